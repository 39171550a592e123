"""Command line: ``pathways run | validate | list`` (also ``python -m sim``)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sim import scenario as scenarios
from sim.scenario import ScenarioError

app = typer.Typer(
    help="Housing pathways in substance-use recovery: an agent-based simulation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out_console = Console() if sys.stdout.isatty() else Console(width=140)
err_console = Console(stderr=True)

HEADLINE = (
    "temp_occupancy_mean",
    "temp_share_over_90d",
    "temp_days_mean",
    "temp_days_median",
    "temp_days_p90",
    "readmission_within_365d_share",
    "relapse_within_90d_share",
    "revolving_door_persons",
)


def _fail(exc: ScenarioError) -> None:
    err_console.print(f"[bold red]error:[/] {exc.source}:", highlight=False, soft_wrap=True)
    for problem in exc.problems:
        err_console.print(f"  - {problem}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _overrides(seed: int | None, replications: int | None, years: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if seed is not None:
        out["seed"] = seed
    run: dict[str, Any] = {}
    if replications is not None:
        run["replications"] = replications
    if years is not None:
        run["years"] = years
    if run:
        out["run"] = run
    return out


def _format(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "share":
        return f"{value * 100:.1f} %"
    return f"{value:,.1f}"


def results_table(summary: dict[str, Any]) -> Table:
    """The readable table of outcomes printed after a run."""
    table = Table(title=f"{summary['scenario']}: {summary['replications']} replications, seed {summary['seed']}")
    table.add_column("metric", no_wrap=True)
    table.add_column("mean", justify="right", no_wrap=True)
    table.add_column("95% CI", justify="right", no_wrap=True)
    table.add_column("unit", no_wrap=True)
    table.add_column("what it is (docs/metrics.md)")
    metrics = summary["metrics"]
    order = [*HEADLINE, *(m for m in metrics if m not in HEADLINE)]
    for name in order:
        m = metrics[name]
        lo, hi = m["ci95"]
        ci = "-" if lo is None else f"{_format(lo, m['unit'])} to {_format(hi, m['unit'])}"
        unit = "%" if m["unit"] == "share" else m["unit"]
        table.add_row(name, _format(m["mean"], m["unit"]), ci, unit, m["description"])
    return table


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="A scenario file, or the name of one in scenarios/ (e.g. baseline).")],
    seed: Annotated[int | None, typer.Option(help="Seed of the run (default: the scenario's).", min=0)] = None,
    replications: Annotated[int | None, typer.Option(help="Number of replications.", min=1)] = None,
    years: Annotated[float | None, typer.Option(help="Years to simulate, warm-up included.", min=0.01)] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a parameter: --set choice.max_declines=1 (repeatable).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: results/<scenario name>).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: number of cores).", min=1)] = None,
    no_figures: Annotated[bool, typer.Option("--no-figures", help="Skip the PNG figures.")] = False,
) -> None:
    """Run a scenario's replications and write summary, tables and figures."""
    from sim.experiment import run_scenario
    from sim.plots import write_figures
    from sim.storage import check_out_dir, default_out_dir, write_run

    try:
        cfg = scenarios.load(scenario, overrides=_overrides(seed, replications, years), set_args=set_ or None)
    except ScenarioError as exc:
        _fail(exc)
    target = out or default_out_dir(cfg.name)
    problem = check_out_dir(target)
    if problem:
        _fail(ScenarioError(f"--out {target}", [problem]))
    started = time.perf_counter()
    result = run_scenario(cfg, workers=workers, progress=sys.stderr.isatty())
    elapsed = time.perf_counter() - started
    written = write_run(result, target, extra=None if no_figures else lambda folder: write_figures(result, folder))
    out_console.print(results_table(result.summary))
    out_console.print(
        f"{cfg.run.replications} replications of {cfg.run.years:g} years in {elapsed:.1f} s "
        f"({elapsed / cfg.run.replications:.2f} s per replication, wall clock).",
        highlight=False,
    )
    out_console.print(f"Results written to {written}", highlight=False)


@app.command()
def validate(
    scenario: Annotated[str, typer.Argument(help="A scenario file, or the name of one in scenarios/.")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="Overrides to check along with the file.")] = None,
) -> None:
    """Check a scenario file: print ``ok`` or every problem found."""
    try:
        scenarios.load(scenario, set_args=set_ or None)
    except ScenarioError as exc:
        _fail(exc)
    out_console.print("ok")


@app.command("list")
def list_() -> None:
    """List the shipped scenarios with their descriptions."""
    for name in scenarios.scenario_names():
        try:
            description = scenarios.load(name).description
        except ScenarioError as exc:
            description = f"(invalid: {exc.problems[0]})"
        typer.echo(f"{name:<16} {description}")


# Commands defined in their own modules register themselves on ``app``.
from sim import cli_calibrate, cli_experiments  # noqa: E402, F401


def main() -> None:
    """Console-script entry point."""
    app()
