"""The ``pathways face-validity`` command, registered on ``sim.cli.app``.

Runs the baseline, every scenario named in ``scenarios/checks/face_validity.toml`` and every lever of
its policy packages alone, with common random numbers, and writes ``docs/face_validity.md``: the
expected direction of each outcome, the observed paired difference, a computed verdict and the
mechanism behind any result that is not as expected. The work is
:mod:`sim.experiments.face_validity`; the page is :mod:`sim.reports.face_validity_report`.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sim import files
from sim.cli.common import (
    ExecutorChoice,
    ExecutorOption,
    NoWorkerTimeoutOption,
    SchedulerOption,
    WorkersOption,
    check_scheduler,
    cluster_failed,
    err_console,
    executor_for,
    fail,
    out_console,
)
from sim.config import ScenarioError
from sim.experiments.defaults import FULL_REPLICATIONS, SPEC_PATH
from sim.experiments.executors import NO_WORKER_TIMEOUT, ClusterLost

REPORT_PATH = Path("docs") / "face_validity.md"


def face_validity(
    replications: Annotated[
        int, typer.Option(help="Replications of every scenario (the committed table uses 20).", min=2)
    ] = FULL_REPLICATIONS,
    years: Annotated[
        float | None, typer.Option(help="Years per run, warm-up included (default: the baseline's).", min=0.01)
    ] = None,
    spec: Annotated[Path, typer.Option(help="The expectations file.")] = SPEC_PATH,
    out: Annotated[Path, typer.Option(help="Where to write the table (Markdown).")] = REPORT_PATH,
    workers: WorkersOption = None,
    executor: ExecutorOption = ExecutorChoice.process,
    scheduler: SchedulerOption = None,
    no_worker_timeout: NoWorkerTimeoutOption = NO_WORKER_TIMEOUT,
) -> None:
    """Check every shipped scenario against the direction its source expects; write docs/face_validity.md.

    Each package's levers are also run alone. Verdicts are computed from paired differences.
    """
    # Loaded here, not at the top: ``pathways --help``, ``list`` and ``validate`` need neither.
    from sim.experiments.face_validity import assess, build, load_spec
    from sim.reports.face_validity_report import render

    check_scheduler(scheduler)
    if out.exists() and not out.is_file():
        fail(ScenarioError(f"--out {out}", ["is not a file"]))
    try:
        expectations = load_spec(spec)
        built = build(expectations, replications=replications, years=years, spec_source=str(spec))
    except ScenarioError as exc:
        fail(exc)
    _, scenarios, levers, _ = built
    runs = 1 + len(scenarios) + sum(len(v) for v in levers.values())
    show = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show:
            err_console.print(f"face validity: {done}/{total} replications", end="\r", highlight=False)

    parts = ["pathways", "face-validity", "--replications", str(replications)]
    if years is not None:
        parts += ["--years", f"{years:g}"]
    if spec != SPEC_PATH:
        parts += ["--spec", str(spec)]
    if out != REPORT_PATH:
        parts += ["--out", str(out)]
    command = shlex.join(parts)
    try:
        with executor_for(executor.value, workers=workers, scheduler=scheduler, tasks=runs * replications,
                          no_worker_timeout=no_worker_timeout) as pool:  # fmt: skip
            result = assess(expectations, replications=replications, years=years, executor=pool, progress=progress,
                            spec_source=str(spec), built=built)  # fmt: skip
    except ClusterLost as exc:
        cluster_failed(f"{exc}; the face-validity check stopped and {out} was not changed.",
                       "Run the same command again once the cluster works.")  # fmt: skip
    page = render(result, command)
    out.parent.mkdir(parents=True, exist_ok=True)
    files.atomic_write(out, lambda fh: fh.write(page.encode("utf-8")))
    if show:
        err_console.print(" " * 60, end="\r")
    table = Table(title=f"Face validity: {len(result.scenarios)} scenarios, {replications} replications")
    for column in ("scenario", "outcome", "expected", "difference [95% CI]", "verdict"):
        table.add_column(column, overflow="fold")
    for r in result.rows:
        if r.verdict is None or r.expected is None:
            continue
        d = r.difference
        table.add_row(r.scenario, r.metric, r.expected.direction, f"{d.mean:+.3g} [{d.low:+.3g}, {d.high:+.3g}]",
                      r.verdict)  # fmt: skip
    out_console.print(table)
    judged = [r for r in result.rows if r.verdict is not None]
    out_console.print(
        f"{result.count('as expected')} of {len(judged)} as expected, {result.count('not significant')} not "
        f"significant, {result.count('against')} against ({len(result.unexplained())} without an explanation).",
        highlight=False,
    )
    out_console.print(f"Table written to {out}", highlight=False)
