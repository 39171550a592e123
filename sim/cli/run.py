"""``pathways run | validate | list``: one scenario."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from sim import config as scenarios
from sim.cli.common import LangChoice, LangOption, fail, out_console, run_overrides
from sim.config import ScenarioError
from sim.measures.headline import HEADLINE

#: The rows the run table shows first: the headline measures; every other metric follows in the
#: order of ``summary.json``.
FIRST_IN_RUN_TABLE = HEADLINE
#: Below this many columns the run table leaves out its unit and description columns (the
#: description would be squeezed to a word per line, the metric names cut) and draws no
#: vertical lines: it then fits 80 columns. docs/metrics.md has the units and descriptions.
WIDE_TABLE = 120
#: The run table's words in Norwegian (the metric names are the names in summary.json).
TABLE_NB = {"title": "{scenario}: {reps} replikasjoner, frø {seed}", "metric": "mål", "mean": "snitt",
            "ci": "95 % KI", "unit": "enhet", "what": "hva det er (docs/metrics.md)"}


def _format(value: float | None, unit: str, lang: str = "en") -> str:
    """A value of ``summary.json`` for the run table: shares as percentages, money in millions,
    one decimal (two per 1,000 inhabitants), in the language's number format."""
    from sim.reports.language import fmt
    from sim.reports.text import scaled

    if value is None:
        return "-"
    text = fmt(scaled(value, unit), 2 if unit.startswith("per 1,000") else 1, lang)
    return f"{text} %" if unit == "share" else text


def results_table(summary: dict[str, Any], width: int | None = None, lang: str = "en") -> Table:
    """The readable table of outcomes printed after a run.

    Args:
        summary: The content of the run's ``summary.json``.
        width: The console's width: below :data:`WIDE_TABLE` the description column is left out.
        lang: ``"en"`` or ``"nb"`` (headings, numbers with decimal commas, descriptions where translated).
    """
    from sim.reports.text import plain

    nb = lang == "nb"
    wide = width is None or width >= WIDE_TABLE
    words = TABLE_NB if nb else {"title": "{scenario}: {reps} replications, seed {seed}", "metric": "metric",
                                 "mean": "mean", "ci": "95% CI", "unit": "unit", "what": "what it is (docs/metrics.md)"}
    title = words["title"].format(scenario=summary["scenario"], reps=summary["replications"], seed=summary["seed"])
    table = Table(title=title) if wide else Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column(words["metric"], no_wrap=True)
    table.add_column(words["mean"], justify="right", no_wrap=True)
    table.add_column(words["ci"], justify="right", no_wrap=True)
    if wide:
        table.add_column(words["unit"], no_wrap=True)
        table.add_column(words["what"])
    metrics = summary["metrics"]
    order = [*FIRST_IN_RUN_TABLE, *(m for m in metrics if m not in FIRST_IN_RUN_TABLE)]

    for name in order:
        m = metrics[name]
        lo, hi = m["ci95"]
        to = " til " if nb else " to "
        ci = "-" if lo is None else f"{_format(lo, m['unit'], lang)}{to}{_format(hi, m['unit'], lang)}"
        units = {"share": "%", "NOK per year": "mill. kr per år" if nb else "million NOK a year"}
        unit = units.get(m["unit"], m["unit"])
        cells = [name, _format(m["mean"], m["unit"], lang), ci]
        if wide:
            cells += [unit, plain(name, "nb") if nb and name in FIRST_IN_RUN_TABLE else m["description"]]
        table.add_row(*cells)
    if not wide:
        table.caption = (
            "Andeler i %, penger i mill. kr per år; enheter og beskrivelser: docs/metrics.md"
            if nb
            else "Shares in %, money in million NOK a year; units and descriptions: docs/metrics.md"
        )
    return table


def run(
    scenario: Annotated[str, typer.Argument(help="A scenario file, or the name of one in scenarios/ (e.g. baseline).")],
    seed: Annotated[int | None, typer.Option(help="Seed of the run (default: the scenario's).", min=0)] = None,
    replications: Annotated[int | None, typer.Option(help="Number of replications.", min=1)] = None,
    years: Annotated[float | None, typer.Option(help="Years to simulate, warm-up included.", min=0.01)] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a parameter: --set choice.max_declines=1 (repeatable).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Output folder (default: results/<scenario name>, or results/<name>+<hash> with --set)."),
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: number of cores).", min=1)] = None,
    no_figures: Annotated[bool, typer.Option("--no-figures", help="Skip the PNG figures.")] = False,
    lang: LangOption = LangChoice.en,
) -> None:
    """Run a scenario's replications and write summary, tables and figures."""
    from sim.experiments.replications import run_scenario
    from sim.files import check_out_dir, default_out_dir
    from sim.reports.run_figures import write_figures
    from sim.reports.run_output import stationarity_line, write_run
    from sim.reports.text import run_in_words

    try:
        loaded = scenarios.load(scenario, overrides=run_overrides(seed, replications, years), set_args=set_ or None)
    except ScenarioError as exc:
        fail(exc)
    target = out or default_out_dir(loaded.name, set_)
    problem = check_out_dir(target)
    if problem:
        fail(ScenarioError(f"--out {target}", [problem]))
    started = time.perf_counter()
    result = run_scenario(loaded, workers=workers, progress=sys.stderr.isatty())
    elapsed = time.perf_counter() - started
    given = {"set": list(set_ or []), "seed": seed, "replications": replications, "years": years}
    result.summary["overrides"] = {k: v for k, v in given.items() if v is not None and v != []}  # what the command changed
    written = write_run(
        result, target, extra=None if no_figures else lambda folder: write_figures(result, folder), lang=lang.value
    )
    out_console.print(results_table(result.summary, out_console.width, lang.value))
    out_console.print(stationarity_line(result.summary), markup=False, highlight=False, soft_wrap=True)
    out_console.print(" ".join(run_in_words(result.summary, lang.value)), markup=False, highlight=False)
    out_console.print(
        f"{loaded.run.replications} replications of {loaded.run.years:g} years in {elapsed:.1f} s "
        f"({elapsed / loaded.run.replications:.2f} s per replication, wall clock).",
        highlight=False,
    )
    out_console.print(f"Results written to {written}", highlight=False)


def validate(
    scenario: Annotated[str, typer.Argument(help="A scenario file, or the name of one in scenarios/.")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="Overrides to check along with the file.")] = None,
) -> None:
    """Check a scenario file: print "ok" or every problem found."""
    try:
        scenarios.load(scenario, set_args=set_ or None)
    except ScenarioError as exc:
        fail(exc)
    out_console.print("ok")


def list_() -> None:
    """List the shipped scenarios with their descriptions."""
    for name in scenarios.scenario_names():
        try:
            description = scenarios.load(name).description
        except ScenarioError as exc:
            description = f"(invalid: {exc.problems[0]})"
        typer.echo(f"{name:<16} {description}")
