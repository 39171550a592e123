"""The ``pathways calibrate`` command, registered on ``sim.cli.app``.

``pathways calibrate`` (the same as ``--check-only``) runs the baseline and the ``housing_first``
scenario, checks the baseline against the published patterns and the trials, prints the result
and writes ``docs/calibration.md``. ``pathways calibrate --search --samples N`` first runs a
Latin-hypercube search over the uncertain parameters and proposes values for them. The logic is
in ``sim.experiments.calibration``.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sim import config as scenarios
from sim.cli.common import err_console, fail, out_console
from sim.config import ScenarioError
from sim.experiments import calibration as cal


def _command_line(options: list[tuple[str, object, object]]) -> str:
    """The command that reproduces this report: ``pathways calibrate`` and every option whose value
    is not the default (``(flag, value, default)`` triples; a flag with value ``True`` stands alone)."""
    args = ["pathways", "calibrate"]
    for flag, value, default in options:
        if value == default or value is None or value is False:
            continue
        args += [flag] if value is True else [flag, str(value)]
    return shlex.join(args)


def _pattern_table(results: list[cal.PatternResult], title: str) -> Table:
    table = Table(title=title)
    for name, justify in (("pattern", "left"), ("source", "left"), ("band", "right"), ("mean", "right"),
                          ("95% CI", "right"), ("met", "center")):  # fmt: skip
        table.add_column(name, justify=justify, no_wrap=name != "source")
    for r in results:
        p, e = r.pattern, r.estimate
        table.add_row(p.name, p.source, cal._band(p), cal._fmt(e.mean, p.unit), cal._interval(e, p.unit),
                      "yes" if r.met else "NO")  # fmt: skip
    return table


def _contrast_table(results: list[cal.ContrastResult]) -> Table:
    table = Table(title="Face validity (policy vs usual)")
    for name in ("figure", "measure", "trial", "model", "difference (95% CI)", "same direction"):
        table.add_column(name)
    for r in results:
        c = r.contrast
        trial = "-"
        if c.trial_policy is not None and c.trial_usual is not None:
            trial = f"{cal._fmt(c.trial_policy, c.unit)} vs {cal._fmt(c.trial_usual, c.unit)}"
        model = f"{cal._fmt(r.policy.mean, c.unit)} vs {cal._fmt(r.usual.mean, c.unit)}"
        diff = f"{cal._fmt_diff(r.difference.mean, c.unit)} ({cal._diff_interval(r.difference, c.unit)})"
        direction = {None: "-", True: "yes", False: "NO"}[r.same_direction]
        table.add_row(c.figure, c.label, trial, model, diff, direction)
    return table


def calibrate(
    check_only: Annotated[
        bool,
        typer.Option("--check-only", help="Only check the baseline (the default); keeps the last search's record."),
    ] = False,
    search: Annotated[
        bool, typer.Option("--search", help="Search the uncertain parameters first and propose values.")
    ] = False,
    samples: Annotated[int, typer.Option(help="Points of the Latin hypercube (with --search).", min=2)] = 128,
    rounds: Annotated[
        int, typer.Option(help="Search rounds: the first over the full ranges, each later one zoomed in.", min=1)
    ] = 3,
    search_replications: Annotated[int, typer.Option(help="Replications per search point.", min=1)] = 4,
    replications: Annotated[int, typer.Option(help="Replications of the check runs.", min=2)] = 20,
    years: Annotated[
        float | None, typer.Option(help="Years per run, warm-up included (default: the baseline's).", min=0.01)
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the Latin hypercube.", min=0)] = cal.SEARCH_SEED,
    scenario: Annotated[str, typer.Option(help="The baseline scenario (name or file).")] = "baseline",
    out: Annotated[Path, typer.Option(help="Where to write the report.")] = cal.REPORT_PATH,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: number of cores).", min=1)] = None,
) -> None:
    """Check the baseline against published patterns and trials; optionally search parameters first.

    Writes docs/calibration.md: each pattern's source, band, mean, 95% interval and verdict; trials vs model.
    """
    if check_only and search:
        fail(ScenarioError("pathways calibrate", ["--check-only and --search exclude each other"]))
    try:
        base = scenarios.load(scenario, overrides={"run": {"years": years}} if years is not None else None)
    except ScenarioError as exc:
        fail(exc)
    if out.exists() and not out.is_file():
        fail(ScenarioError(f"--out {out}", ["is not a file"]))

    show = sys.stderr.isatty()

    def progress(stage: str, done: int, total: int) -> None:
        if show:
            err_console.print(f"{stage}: {done}/{total} replications", end="\r", highlight=False)

    command = _command_line([
        ("--check-only", check_only, False), ("--search", search, False),
        ("--samples", samples if search else None, None), ("--rounds", rounds if search else None, None),
        ("--search-replications", search_replications if search else None, None),
        ("--replications", replications, 20),
        ("--years", years, None), ("--seed", seed, cal.SEARCH_SEED), ("--scenario", scenario, "baseline"),
        ("--out", out, cal.REPORT_PATH),
    ])  # fmt: skip
    run = cal.calibrate(
        command=command,
        base=base,
        replications=replications,
        search_samples=samples if search else None,
        search_replications=search_replications,
        rounds=rounds,
        seed=seed,
        workers=workers,
        out=out,
        progress=progress,
    )
    if show:
        err_console.print(" " * 60, end="\r")
    if run.search is not None:
        found = run.search
        n_ok = int(found.table["all_met"].sum())
        out_console.print(f"Search: {n_ok} of {len(found.table)} points met every pattern.", highlight=False)
        if run.proposed is None:
            closest = found.point(found.closest)
            out_console.print("No point met every pattern; nothing proposed. Closest point:", highlight=False)
            for key, value in closest.items():
                out_console.print(f"  {key} = {cal._value(value)}", highlight=False)
        else:
            out_console.print(
                f"Proposed values (point {found.chosen}; rule: largest worst margin among confirmed points):",
                highlight=False,
            )
            for key, value in run.proposed.items():
                before = cal._plain(cal.get_value(base, key))
                out_console.print(f"  {key} = {cal._value(value)}    (now {cal._value(before)})", highlight=False)
    out_console.print(_pattern_table(run.results, f"{base.name}: {replications} replications"))
    out_console.print(cal.verdict(run.results).replace("**", ""), highlight=False)
    out_console.print(_contrast_table(run.contrasts))
    out_console.print(f"Report written to {out}", highlight=False)
