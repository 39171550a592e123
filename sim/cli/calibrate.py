"""The ``pathways calibrate`` command, registered on ``sim.cli.app``.

``pathways calibrate`` (the same as ``--check-only``) runs the baseline and the ``housing_first``
scenario, checks the baseline against the published patterns and the trials, prints the result
and writes ``docs/calibration.md``. ``pathways calibrate --search --samples N`` first runs a
Latin-hypercube search over the uncertain parameters and proposes values for them; the search
saves its runs as they finish (``--search-dir``), so one stopped by Ctrl-C (exit code 130) or a
failed Dask cluster (exit code 3) prints the command that finishes it (``--resume``).

The steps are other stages' work, put together here: the search and the checks are in
``sim.experiments.calibration_search`` and ``sim.experiments.calibration``, the report's text in
``sim.reports.calibration_report``; this module runs them on one executor (a local process pool
or Dask) and writes the file.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sim import config as scenarios
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
from sim.cli.experiments import EXIT_INTERRUPTED, _executor_flags
from sim.config import ScenarioError
from sim.experiments.defaults import (
    ACCEPTED_PATH,
    CALIBRATION_REPORT,
    CHECK_REPLICATIONS,
    CONFIRM_CANDIDATES,
    SEARCH_DIR,
    SEARCH_SEED,
)
from sim.experiments.executors import NO_WORKER_TIMEOUT, ClusterLost

if TYPE_CHECKING:
    from sim.config import Scenario
    from sim.experiments.calibration import ContrastResult, PatternResult
    from sim.experiments.calibration_search import SearchResult

# The experiments and reports (SciPy, Mesa) are imported where they are used, so that
# ``pathways --help``, ``list`` and ``validate`` do not load them.
REPORT_PATH = CALIBRATION_REPORT


def _command_args(options: list[tuple[str, object, object]]) -> list[str]:
    """``pathways calibrate`` and every option whose value is not the default (``(flag, value,
    default)`` triples; a flag with value ``True`` stands alone), as arguments."""
    args = ["pathways", "calibrate"]
    for flag, value, default in options:
        if value == default or value is None or value is False:
            continue
        args += [flag] if value is True else [flag, str(value)]
    return args


def _command_line(options: list[tuple[str, object, object]]) -> str:
    """The command that reproduces this report (:func:`_command_args`, joined)."""
    return shlex.join(_command_args(options))


def _pattern_table(results: list[PatternResult], title: str) -> Table:
    """The patterns against their bands, for the terminal."""
    from sim.reports.calibration_text import band_text, fmt_value, interval_text
    table = Table(title=title)
    for name, justify in (("pattern", "left"), ("source", "left"), ("band", "right"), ("mean", "right"),
                          ("95% CI", "right"), ("met", "center")):  # fmt: skip
        table.add_column(name, justify=justify, no_wrap=name != "source")
    for r in results:
        p, e = r.pattern, r.estimate
        table.add_row(p.name, p.source, band_text(p), fmt_value(e.mean, p.unit), interval_text(e, p.unit),
                      "yes" if r.met else "NO")  # fmt: skip
    return table


def _contrast_table(results: list[ContrastResult]) -> Table:
    """The face-validity contrasts, for the terminal."""
    from sim.reports.calibration_text import difference_interval_text, effect_text, fmt_difference, fmt_value
    table = Table(title="Face validity (policy vs usual)")
    for name in ("figure", "measure", "trial", "model", "difference (95% CI)", "model effect vs trial's"):
        table.add_column(name)
    for r in results:
        c = r.contrast
        trial = "-"
        if c.trial_policy is not None and c.trial_usual is not None:
            trial = f"{fmt_value(c.trial_policy, c.unit)} vs {fmt_value(c.trial_usual, c.unit)}"
        model = f"{fmt_value(r.policy.mean, c.unit)} vs {fmt_value(r.usual.mean, c.unit)}"
        diff = f"{fmt_difference(r.difference.mean, c.unit)} ({difference_interval_text(r.difference, c.unit)})"
        table.add_row(c.figure, c.label, trial, model, diff, effect_text(r).replace("**", ""))
    return table


def _print_search(found: SearchResult, base: Scenario) -> None:
    """What the search found: how many points met every pattern, and the proposal or the closest point."""
    from sim.experiments.calibration_search import searched_values
    from sim.reports.calibration_text import value_text
    n_ok = int(found.table["all_met"].sum())
    out_console.print(
        f"Search: {n_ok} of {len(found.table)} points met every pattern (the accepted set).", highlight=False
    )
    if found.chosen is None:
        out_console.print("No point met every pattern; nothing proposed. Closest point:", highlight=False)
        for key, value in found.point(found.closest).items():
            out_console.print(f"  {key} = {value_text(value)}", highlight=False)
        return
    out_console.print(
        f"Proposed values (point {found.chosen}; rule: largest worst margin among confirmed points):",
        highlight=False,
    )
    before = searched_values(base)
    for key, value in found.point(found.chosen).items():
        out_console.print(f"  {key} = {value_text(value)}    (now {value_text(before[key])})", highlight=False)


def calibrate(
    check_only: Annotated[
        bool,
        typer.Option("--check-only", help="Only check the baseline (the default); keeps the last search's record."),
    ] = False,
    search_: Annotated[
        bool, typer.Option("--search", help="Search the uncertain parameters first and propose values.")
    ] = False,
    samples: Annotated[int, typer.Option(help="Points of the Latin hypercube (with --search).", min=2)] = 512,
    rounds: Annotated[
        int, typer.Option(help="Search rounds: the first over the full ranges, each later one zoomed in.", min=1)
    ] = 1,
    search_replications: Annotated[int, typer.Option(help="Replications per search point.", min=1)] = 2,
    accepted: Annotated[
        Path, typer.Option(help="Where --search writes the accepted set (points no pattern rules out).")
    ] = ACCEPTED_PATH,
    replications: Annotated[int, typer.Option(help="Replications of the check runs.", min=2)] = CHECK_REPLICATIONS,
    years: Annotated[
        float | None, typer.Option(help="Years per run, warm-up included (default: the baseline's).", min=0.01)
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the Latin hypercube.", min=0)] = SEARCH_SEED,
    scenario: Annotated[str, typer.Option(help="The baseline scenario (name or file).")] = "baseline",
    out: Annotated[Path, typer.Option(help="Where to write the report.")] = REPORT_PATH,
    workers: WorkersOption = None,
    executor: ExecutorOption = ExecutorChoice.process,
    scheduler: SchedulerOption = None,
    no_worker_timeout: NoWorkerTimeoutOption = NO_WORKER_TIMEOUT,
    search_dir: Annotated[
        Path, typer.Option(help="Where --search saves its runs as they finish (what --resume continues).")
    ] = SEARCH_DIR,
    resume: Annotated[
        bool, typer.Option("--resume", help="--search: continue the search in --search-dir, skipping finished runs.")
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="--search: discard an unfinished search in --search-dir and start again."),
    ] = False,
) -> None:
    """Check the baseline against published patterns and trials; optionally search parameters first.

    Writes docs/calibration.md: each pattern's source, band, mean, 95% interval and verdict; trials vs model.
    A search saves its runs as they finish; one stopped by Ctrl-C or a failed cluster is finished with --resume.
    """
    from sim.experiments.calibration import check_baseline
    from sim.experiments.calibration_search import (
        SearchPlan,
        accepted_frame,
        check_search_dir,
        run_search,
        search_progress,
        searched_values,
    )
    from sim.reports.calibration_report import existing_search_section, render_report, search_section
    from sim.reports.calibration_text import verdict

    check_scheduler(scheduler)
    if check_only and search_:
        fail(ScenarioError("pathways calibrate", ["--check-only and --search exclude each other"]))
    if not search_ and (resume or overwrite):
        used = ", ".join(flag for flag, on in (("--resume", resume), ("--overwrite", overwrite)) if on)
        fail(ScenarioError("pathways calibrate", [f"{used}: only with --search"]))
    if resume and overwrite:
        fail(ScenarioError("pathways calibrate", ["--resume and --overwrite: choose one (continue, or start again)"]))
    try:
        base = scenarios.load(scenario, overrides={"run": {"years": years}} if years is not None else None)
    except ScenarioError as exc:
        fail(exc)
    if out.exists() and not out.is_file():
        fail(ScenarioError(f"--out {out}", ["is not a file"]))

    show = sys.stderr.isatty()

    def progress(stage: str) -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:
            if show:
                err_console.print(f"{stage}: {done}/{total} replications", end="\r", highlight=False)

        return report

    options: list[tuple[str, object, object]] = [
        ("--check-only", check_only, False), ("--search", search_, False),
        ("--samples", samples if search_ else None, None), ("--rounds", rounds if search_ else None, None),
        ("--accepted", accepted if search_ else None, ACCEPTED_PATH),
        ("--search-replications", search_replications if search_ else None, None),
        ("--replications", replications, CHECK_REPLICATIONS),
        ("--years", years, None), ("--seed", seed, SEARCH_SEED), ("--scenario", scenario, "baseline"),
        ("--out", out, REPORT_PATH),
    ]  # fmt: skip
    command = _command_line(options)
    plan: SearchPlan | None = None
    folder = search_dir.resolve()
    if search_:
        plan = SearchPlan(base, samples, search_replications, rounds=rounds, confirm_replications=replications,
                          seed=seed)  # fmt: skip
        problem = check_search_dir(folder, plan, resume=resume, overwrite=overwrite)
        if problem:
            fail(ScenarioError(f"--search-dir {folder}", [problem]))
    # The command that finishes an interrupted search: every option it was started with, and --resume.
    resume_command = shlex.join(
        _command_args(options)
        + ["--search-dir", str(folder)]
        + _executor_flags(executor, scheduler, workers, no_worker_timeout)
        + ["--resume"]
    )
    search_text = existing_search_section(out)
    found: SearchResult | None = None
    # The largest batch of replications run at once (the check, a search round, the confirmations):
    # a local pool never needs more processes.
    batches = [2 * replications] + (
        [samples * search_replications, CONFIRM_CANDIDATES * replications] if search_ else []
    )
    tasks = max(batches)
    try:
        with executor_for(executor.value, workers=workers, scheduler=scheduler, tasks=tasks,
                          no_worker_timeout=no_worker_timeout) as pool:  # fmt: skip
            if plan is not None:
                found = run_search(plan, folder, executor=pool, progress=progress("search"), resume=resume,
                                   overwrite=overwrite)  # fmt: skip
            check = check_baseline(base, replications, executor=pool, progress=progress("check"))
    except KeyboardInterrupt:
        if plan is None:
            raise
        err_console.print(
            f"interrupted: {search_progress(folder, plan)}; {out} was not changed. Finish the calibration with:\n"
            f"  {resume_command}",
            highlight=False, markup=False, soft_wrap=True,
        )  # fmt: skip
        raise typer.Exit(code=EXIT_INTERRUPTED) from None
    except ClusterLost as exc:
        if plan is None:
            cluster_failed(f"{exc}; the calibration stopped and {out} was not changed.",
                           "Run the same command again once the cluster works.")  # fmt: skip
        cluster_failed(
            f"{exc}; the calibration stopped and {out} was not changed.",
            f"{search_progress(folder, plan)}. Once the cluster works again (with a scheduler at the same address, "
            "or change --scheduler), finish the calibration with:",
            f"  {resume_command}",
        )
    if found is not None:
        frame = accepted_frame(found)
        accepted.parent.mkdir(parents=True, exist_ok=True)
        files.atomic_write(accepted, lambda fh: frame.to_parquet(fh, index=False))
        design = found.table.rename_axis("point").reset_index()
        files.atomic_write(accepted.with_name("design.parquet"), lambda fh: design.to_parquet(fh, index=False))
        search_text = search_section(found, searched_values(base), found.confirmation(), command, base)
    report = render_report(command=command, base=base, replications=replications, check=check,
                           search_text=search_text)  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    files.atomic_write(out, lambda fh: fh.write(report.encode("utf-8")))  # whole or not at all
    if show:
        err_console.print(" " * 60, end="\r")
    if found is not None:
        _print_search(found, base)
    out_console.print(_pattern_table(check.results, f"{base.name}: {replications} replications"))
    out_console.print(verdict(check.results).replace("**", ""), highlight=False)
    out_console.print(_contrast_table(check.contrasts))
    out_console.print(f"Report written to {out}", highlight=False)
