"""Experiment commands of ``pathways`` (compare, sweep, sensitivity), registered on ``sim.cli.app``.

Bad input (a bad scenario, sweep or accepted-set file, an unknown key or metric, an unusable
``--out``) is refused like ``pathways run`` refuses it: one message naming the file, key, value
and what is allowed, exit code 2, no traceback, nothing written. A sweep or an ensemble
comparison stopped by Ctrl-C (exit code 130) or a failed Dask cluster (exit code 3) keeps its
finished runs and prints the command that finishes it (``--resume``).
"""

from __future__ import annotations

import math
import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sim import config as scenarios
from sim.cli.common import (
    ExecutorChoice,
    ExecutorOption,
    LangChoice,
    LangOption,
    NoWorkerTimeoutOption,
    SchedulerOption,
    WorkersOption,
    check_scheduler,
    cluster_failed,
    err_console,
    executor_for,
    fail,
    out_console,
    run_overrides,
)
from sim.config import ScenarioError
from sim.experiments.executors import NO_WORKER_TIMEOUT, ClusterLost

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from sim.config import Scenario
    from sim.experiments.comparison import Comparison
    from sim.experiments.designs import Sweep
    from sim.experiments.ensemble import Ensemble, EnsembleResult

#: Exit code of an interrupted sweep (Ctrl-C): 128 + SIGINT, as a shell reports it.
EXIT_INTERRUPTED = 130


def _progress() -> bool:
    """Show progress bars when a person watches (stderr is a terminal)."""
    return sys.stderr.isatty()


# ----------------------------------------------------------------------------- compare


def _fmt(value: float, unit: str) -> str:
    """A mean for the table, ``-`` where there is none."""
    from sim.reports.text import quantity

    return "-" if math.isnan(value) else quantity(value, unit)


def _ci(low: float, high: float, unit: str) -> str:
    """`` [low, high]`` in the unit shown (shares as percentages, money in millions), or nothing where there is no interval."""
    from sim.reports.text import number, scaled

    if math.isnan(low):
        return ""
    scale = scaled(1.0, unit)
    return f" [{number(low * scale)}, {number(high * scale)}]"


def comparison_tables(comparison: Comparison, width: int) -> list[Table]:
    """The comparison's console tables for a console ``width`` columns wide: the full table if it
    fits, else one short table per alternative (its base, its value and the difference with
    interval, without the means' intervals), so that no column is cut."""
    from rich.console import Console
    from rich.measure import Measurement

    full = comparison_table(comparison)
    probe = Console(width=10_000)
    if Measurement.get(probe, probe.options, full).maximum <= width:
        return [full]
    return [_narrow_table(comparison, name) for name in comparison.names[1:]]


def _narrow_table(comparison: Comparison, name: str) -> Table:
    """One alternative against the base in short cells (``NOK 108 m``, ``-0.3 m [-2.0, 1.5]``)."""
    from rich import box

    from sim.reports.planner import marks
    from sim.reports.text import PER_1000, interval_decimals, label, number, scaled, signed

    base = comparison.names[0]
    table = Table(
        title=f"{label(name)} vs {label(base)}",
        caption="Money in NOK million a year; differences of shares in percentage points.",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("metric", no_wrap=True)
    table.add_column(label(base), justify="right")
    table.add_column(label(name), justify="right")
    table.add_column("difference [95% CI]", justify="right", no_wrap=True)
    for m in marks(comparison):
        if m.scenario != name:
            continue
        d = interval_decimals(m.diff, m.low, m.high, m.unit)
        scale = scaled(1.0, m.unit)
        diff = "-" if math.isnan(m.diff) else signed(m.diff * scale, d)
        if not math.isnan(m.low):
            diff += f" [{number(m.low * scale, d)}, {number(m.high * scale, d)}]"
        percent = "%" if m.unit == "share" else ""
        places = 2 if m.unit == PER_1000 else None
        base_value, value = number(m.base * scale, places), number(m.mean * scale, places)
        table.add_row(m.metric, base_value + percent, value + percent, diff)
    return table


def comparison_table(comparison: Comparison) -> Table:
    """The headline metrics of a comparison: each scenario's mean [95% CI] and the difference from the base."""
    from sim.reports.text import HEADLINE, difference, label

    names = comparison.names
    base = comparison.base
    table = Table(
        title=f"{label(base.name)} vs {', '.join(label(n) for n in names[1:])}: "
        f"{base.run.replications} replications, seed {base.seed} (same for all)"
    )
    table.add_column("metric", no_wrap=True)
    table.add_column(f"{names[0]} (base)", justify="right")
    for name in names[1:]:
        table.add_column(name, justify="right")
        table.add_column("difference [95% CI]", justify="right")
    rows = comparison.table
    for metric in HEADLINE:
        by = rows[rows["metric"] == metric].set_index("scenario")
        cells = [metric]
        for name in names:
            r = by.loc[name]
            unit = str(r["unit"])
            cells.append(_fmt(r["mean"], unit) + _ci(r["ci_low"], r["ci_high"], unit))
            if name != names[0]:
                diff = "-" if math.isnan(r["diff"]) else difference(r["diff"], unit)
                cells.append(diff + _ci(r["diff_ci_low"], r["diff_ci_high"], unit))
        table.add_row(*cells)
    return table


#: What marks a positional argument of ``compare`` as an accepted set rather than a scenario.
ACCEPTED_SUFFIX = ".parquet"


def compare(
    base: Annotated[str, typer.Argument(help="The base scenario (a file, or a name in scenarios/).")],
    alternatives: Annotated[list[str], typer.Argument(help="One or more scenarios to compare with the base.")],
    replications: Annotated[
        int | None, typer.Option(help="Replications of every scenario (default: the base's).", min=1)
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of every scenario (default: the base's).", min=0)] = None,
    years: Annotated[
        float | None, typer.Option(help="Years to simulate, warm-up included, for every scenario.", min=0.01)
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a parameter in every scenario (repeatable).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: results/compare/<base>_vs_<alternatives>).")
    ] = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = ExecutorChoice.process,
    scheduler: SchedulerOption = None,
    no_worker_timeout: NoWorkerTimeoutOption = NO_WORKER_TIMEOUT,
    ensemble: Annotated[
        bool,
        typer.Option(
            "--ensemble",
            help="Also run every scenario on every plausible parameter set the calibration accepted and report "
            "how often each alternative beats the base. The accepted set is --accepted, or a .parquet FILE given "
            "with the scenarios (--ensemble FILE); default scenarios/calibration/accepted.parquet.",
        ),
    ] = False,
    accepted: Annotated[
        Path | None,
        typer.Option(help="--ensemble: the accepted set (default: scenarios/calibration/accepted.parquet)."),
    ] = None,
    ensemble_points: Annotated[
        int | None,
        typer.Option(
            help="--ensemble: a random subset of this many points, drawn with a fixed seed (default: all).", min=1
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="--ensemble: continue the ensemble in --out, skipping finished runs.")
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="--ensemble: discard an unfinished ensemble in --out and start again."),
    ] = False,
    lang: LangOption = LangChoice.en,
) -> None:
    """Compare scenarios with common random numbers: table, figures and a one-page report.

    Every scenario runs with the same seeds, so a difference from BASE is measured replication by
    replication, with its 95% interval. With --ensemble every scenario also runs on each plausible
    parameter set of the calibration (same seeds everywhere): ensemble.csv and the report say on
    what share of the sets each alternative is better. An ensemble killed mid-way keeps its
    finished runs; --resume finishes it with the same numbers.
    """
    from sim.experiments.comparison import compare as run_comparison
    from sim.experiments.comparison import distinct_names, prepare
    from sim.files import RESULTS_DIR, check_out_dir
    from sim.reports.compare_report import write_comparison
    from sim.reports.planner import verdicts
    from sim.reports.text import findings

    check_scheduler(scheduler)
    names = [base, *alternatives]
    given = [n for n in names if n.lower().endswith(ACCEPTED_SUFFIX)]
    if given and not ensemble:
        problem = "an accepted set (.parquet), not a scenario: add --ensemble to run the scenarios on its points"
        fail(ScenarioError(given[0], [problem]))
    if given:
        if len(given) > 1 or accepted is not None:
            files = [*given, *([str(accepted)] if accepted is not None else [])]
            fail(ScenarioError("--ensemble", [f"give one accepted set, not {len(files)}: {', '.join(files)}"]))
        accepted = Path(given[0])
        names = [n for n in names if n != given[0]]
    if not ensemble:
        flags = {
            "--accepted": accepted is not None,
            "--ensemble-points": ensemble_points is not None,
            "--resume": resume,
            "--overwrite": overwrite,
        }
        if any(flags.values()):
            used = ", ".join(flag for flag, on in flags.items() if on)
            fail(ScenarioError("pathways compare", [f"{used}: only with --ensemble"]))
    if resume and overwrite:
        fail(ScenarioError("pathways compare", ["--resume and --overwrite: choose one (continue, or start again)"]))
    try:
        loaded = [
            scenarios.load(name, overrides=run_overrides(None, None, years), set_args=set_ or None) for name in names
        ]
        prepared = prepare(distinct_names(loaded, names), seed=seed, replications=replications)
        plan = _ensemble_plan(prepared, accepted, ensemble_points) if ensemble else None
    except ScenarioError as exc:
        fail(exc)
    target = out or RESULTS_DIR / "compare" / f"{prepared[0].name}_vs_{'_'.join(s.name for s in prepared[1:])}"
    problem = check_out_dir(target) if plan is None else _ensemble_out_problem(target, plan, resume, overwrite)
    if problem:
        fail(ScenarioError(f"--out {target}", [problem]))
    n_tasks = sum(s.run.replications for s in prepared) + (plan.n_runs if plan is not None else 0)
    resume_command = _compare_resume_command(
        names, accepted, ensemble_points, replications=replications, seed=seed, years=years, set_=set_,
        target=target, workers=workers, executor=executor, scheduler=scheduler, no_worker_timeout=no_worker_timeout,
        lang=lang.value,
    )  # fmt: skip
    if plan is not None:
        out_console.print(plan.describe(), highlight=False)
    started = time.perf_counter()
    ensembled: EnsembleResult | None = None
    try:
        with executor_for(executor.value, workers=workers, scheduler=scheduler, tasks=n_tasks,
                          no_worker_timeout=no_worker_timeout) as pool:  # fmt: skip
            if plan is not None:
                ensembled = _run_ensemble(plan, target, pool, resume=resume, overwrite=overwrite)
            comparison = run_comparison(prepared, executor=pool, progress=_progress())
    except KeyboardInterrupt:
        if plan is None:
            raise
        err_console.print(
            f"interrupted: {_ensemble_done(plan, target)}; finish the comparison with:\n  {resume_command}",
            highlight=False, markup=False, soft_wrap=True,
        )  # fmt: skip
        raise typer.Exit(code=EXIT_INTERRUPTED) from None
    except ClusterLost as exc:
        if plan is None:
            cluster_failed(f"{exc}; the comparison stopped and nothing was written.",
                           "Run the same command again once the cluster works.")  # fmt: skip
        cluster_failed(
            f"{exc}; the comparison stopped.",
            f"{_ensemble_done(plan, target)}. Once the cluster works again (with a scheduler at the same "
            "address, or change --scheduler), finish the comparison with:",
            f"  {resume_command}",
        )
    elapsed = time.perf_counter() - started
    written = write_comparison(comparison, target, ensembled, lang=lang.value)
    for table in comparison_tables(comparison, out_console.width):
        out_console.print(table)
    for line in verdicts(comparison, lang.value):
        out_console.print(line, highlight=False, markup=False, soft_wrap=True)
    for line in findings(comparison, lang.value):
        out_console.print(f"- {line}", highlight=False, markup=False, soft_wrap=True)
    for note in comparison.notes:
        err_console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    if ensembled is not None:
        _print_ensemble(ensembled)
    out_console.print(
        f"{len(prepared)} scenarios x {prepared[0].run.replications} replications"
        + (_ensemble_runs_line(ensembled) if ensembled is not None else "")
        + f" in {elapsed:.1f} s (wall clock).",
        highlight=False,
    )
    listed = "report.pdf, report.html, report.md, comparison.csv" + (", ensemble.csv" if ensembled is not None else "")
    out_console.print(f"Report, table and figures written to {written} ({listed})", highlight=False)


def _ensemble_plan(prepared: list[Scenario], accepted: Path | None, n_points: int | None) -> Ensemble:
    """The ensemble of the prepared scenarios on the accepted set (``--accepted``, or the shipped one).

    Raises:
        ScenarioError: The accepted set is missing or unreadable, or a scenario is not valid at one of its points.
    """
    from sim.experiments.accepted import ACCEPTED_PATH
    from sim.experiments.ensemble import build_ensemble

    return build_ensemble(prepared, accepted if accepted is not None else ACCEPTED_PATH, n_points=n_points)


def _ensemble_out_problem(target: Path, plan: Ensemble, resume: bool, overwrite: bool) -> str | None:
    """Why ``target`` cannot take a comparison with this ensemble (its runs go to ``target/ensemble``)."""
    from sim.experiments.ensemble import ENSEMBLE_DIR, check_ensemble_dir
    from sim.reports.compare_report import check_compare_out_dir

    problem = check_compare_out_dir(target)
    if problem is not None:
        return problem
    problem = check_ensemble_dir(target / ENSEMBLE_DIR, plan, resume=resume, overwrite=overwrite)
    return None if problem is None else f"{ENSEMBLE_DIR}/ {problem}"


def _run_ensemble(plan: Ensemble, target: Path, pool: Executor, *, resume: bool, overwrite: bool) -> EnsembleResult:
    """Run the ensemble's unfinished runs into ``target/ensemble`` on ``pool``."""
    from sim.experiments.ensemble import ENSEMBLE_DIR, run_ensemble

    return run_ensemble(
        plan, target / ENSEMBLE_DIR, executor=pool, resume=resume, overwrite=overwrite, progress=_progress()
    )


def _ensemble_done(plan: Ensemble, target: Path) -> str:
    """``k of n ensemble runs are saved in FOLDER``."""
    from sim.experiments.ensemble import ENSEMBLE_DIR
    from sim.experiments.sweeps import finished_runs

    folder = (target / ENSEMBLE_DIR).resolve()
    return f"{len(finished_runs(folder))} of {plan.n_runs} ensemble runs are saved in {folder}"


def _ensemble_runs_line(result: EnsembleResult) -> str:
    """`` and N ensemble runs (k were already done)``, for the line with the time taken."""
    ran = len(result.runs) - result.resumed
    done = f" ({result.resumed} were already done)" if result.resumed else ""
    return f" and {ran} ensemble runs{done}"


def _print_ensemble(result: EnsembleResult) -> None:
    """The ensemble's sentences (stdout) and its notes (stderr)."""
    from sim.reports.ensemble_report import ensemble_sentences, how, notes

    out_console.print(f"Across plausible parameter sets: {how(result)}", highlight=False, markup=False, soft_wrap=True)
    for line in ensemble_sentences(result):
        out_console.print(f"- {line}", highlight=False, markup=False, soft_wrap=True)
    for note in notes(result):
        err_console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)


def _compare_resume_command(
    names: list[str],
    accepted: Path | None,
    ensemble_points: int | None,
    *,
    replications: int | None,
    seed: int | None,
    years: float | None,
    set_: list[str] | None,
    target: Path,
    workers: int | None,
    executor: ExecutorChoice,
    scheduler: str | None,
    no_worker_timeout: float,
    lang: str = "en",
) -> str:
    """The command that finishes an ensemble comparison: every option it was started with, and ``--resume``."""
    parts = ["pathways", "compare", *names, "--ensemble"]
    if accepted is not None:
        parts += ["--accepted", str(accepted)]
    if ensemble_points is not None:
        parts += ["--ensemble-points", str(ensemble_points)]
    if replications is not None:
        parts += ["--replications", str(replications)]
    if seed is not None:
        parts += ["--seed", str(seed)]
    if years is not None:
        parts += ["--years", f"{years:g}"]
    for item in set_ or []:
        parts += ["--set", item]
    parts += ["--out", str(Path(target).resolve())]
    parts += _executor_flags(executor, scheduler, workers, no_worker_timeout)
    if lang != "en":
        parts += ["--lang", lang]
    parts.append("--resume")
    return shlex.join(parts)


# ----------------------------------------------------------------------------- sweep


def sweep(
    sweep_file: Annotated[
        str, typer.Argument(help="A sweep file (TOML), e.g. scenarios/sweeps/declines_vs_stock.toml.")
    ],
    out: Annotated[Path | None, typer.Option(help="Output folder (default: results/sweeps/<sweep name>).")] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the sweep in --out, skipping finished runs.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Discard a sweep already in --out and start again.")
    ] = False,
    workers: WorkersOption = None,
    executor: ExecutorOption = ExecutorChoice.process,
    scheduler: SchedulerOption = None,
    no_worker_timeout: NoWorkerTimeoutOption = NO_WORKER_TIMEOUT,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the file and show the design; run and write nothing.")
    ] = False,
    sensitivity: Annotated[
        bool, typer.Option("--sensitivity", help="Then compute Sobol or Morris indices (sobol/morris designs).")
    ] = False,
    no_figures: Annotated[bool, typer.Option("--no-figures", help="Skip the PNG figures.")] = False,
) -> None:
    """Run a parameter sweep: one row per run in a Parquet dataset, saved as runs finish.

    Killing a sweep loses at most the runs in flight; --resume finishes it. The rows do not
    depend on the executor or the number of workers.
    """
    from sim.experiments.designs import SENSITIVITY_DESIGNS
    from sim.experiments.sweep_file import load_sweep
    from sim.experiments.sweeps import check_sweep_out_dir, default_sweep_dir, finished_runs, run_sweep
    from sim.reports.sweep_figures import FIGURES_DIR, write_sweep_figures

    check_scheduler(scheduler)
    if resume and overwrite:
        fail(ScenarioError("pathways sweep", ["--resume and --overwrite: choose one (continue, or start again)"]))
    try:
        loaded = load_sweep(sweep_file)
    except ScenarioError as exc:
        fail(exc)
    if sensitivity and loaded.design not in SENSITIVITY_DESIGNS:
        problem = f'--sensitivity: needs design = "sobol" or "morris" (this is {loaded.design!r})'
        fail(ScenarioError(sweep_file, [problem]))
    if dry_run:
        out_console.print(_design_table(loaded))
        out_console.print(loaded.describe(), highlight=False)
        return
    target = (out or default_sweep_dir(loaded)).resolve()
    problem = check_sweep_out_dir(target, loaded, resume=resume, overwrite=overwrite)
    if problem:
        fail(ScenarioError(f"--out {target}", [problem]))
    out_console.print(loaded.describe(), highlight=False)
    started = time.perf_counter()
    resume_command = _resume_command(
        sweep_file, target, workers=workers, executor=executor, scheduler=scheduler,
        no_worker_timeout=no_worker_timeout, sensitivity=sensitivity, no_figures=no_figures,
    )  # fmt: skip
    try:
        with executor_for(executor.value, workers=workers, scheduler=scheduler, tasks=loaded.n_runs,
                          no_worker_timeout=no_worker_timeout) as pool:  # fmt: skip
            result = run_sweep(loaded, target, executor=pool, resume=resume, overwrite=overwrite, progress=_progress())
    except KeyboardInterrupt:
        done = len(finished_runs(target))
        err_console.print(
            f"interrupted: {done} of {loaded.n_runs} runs are saved in {target}; finish the sweep with:\n"
            f"  {resume_command}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(code=EXIT_INTERRUPTED) from None
    except ClusterLost as exc:
        done = len(finished_runs(target))
        cluster_failed(
            f"{exc}; the sweep stopped.",
            f"{done} of {loaded.n_runs} runs are saved in {target}. Once the cluster works again "
            f"(with a scheduler at the same address, or change --scheduler), finish the sweep with:",
            f"  {resume_command}",
        )
    if result.complete and not no_figures:
        write_sweep_figures(result, target / FIGURES_DIR)
    elapsed = time.perf_counter() - started
    ran = len(result.runs) - result.resumed
    out_console.print(
        f"{ran} runs in {elapsed:.1f} s (wall clock)"
        + (f"; {result.resumed} were already done" if result.resumed else "")
        + f". Results in {target}: runs/ (one row per run), by_point.csv"
        + ("" if no_figures else f", {FIGURES_DIR}/"),
        highlight=False,
    )
    if sensitivity:
        _sensitivity(target, None, None)


def _executor_flags(
    executor: ExecutorChoice, scheduler: str | None, workers: int | None, no_worker_timeout: float
) -> list[str]:
    """The executor options of a command line, each only when it differs from its default."""
    parts: list[str] = []
    if executor != ExecutorChoice.process:
        parts += ["--executor", executor.value]
    if scheduler is not None:
        parts += ["--scheduler", scheduler]
    if workers is not None:
        parts += ["--workers", str(workers)]
    if no_worker_timeout != NO_WORKER_TIMEOUT:
        parts += ["--no-worker-timeout", f"{no_worker_timeout:g}"]
    return parts


def _resume_command(
    sweep_file: str,
    target: Path,
    *,
    workers: int | None,
    executor: ExecutorChoice,
    scheduler: str | None,
    no_worker_timeout: float,
    sensitivity: bool,
    no_figures: bool,
) -> str:
    """The command that finishes this sweep: every option it was started with, and ``--resume``."""
    parts = ["pathways", "sweep", sweep_file, "--out", str(target)]
    parts += _executor_flags(executor, scheduler, workers, no_worker_timeout)
    if sensitivity:
        parts.append("--sensitivity")
    if no_figures:
        parts.append("--no-figures")
    parts.append("--resume")
    return shlex.join(parts)


def _design_table(sweep: Sweep) -> Table:
    """The sweep's parameters and the values each takes (``--dry-run``)."""
    table = Table(title=f"{sweep.name}: {sweep.design} design (base {Path(sweep.base_ref).name}, seed {sweep.seed})")
    table.add_column("parameter", no_wrap=True)
    table.add_column("values")
    for p in sweep.parameters:
        if p.kind == "levels":
            values = ", ".join(str(v) for v in p.levels)
        else:
            values = f"{p.low:g} to {p.high:g}" + (" (rounded to whole numbers)" if p.kind == "int" else "")
        table.add_row(p.key, values)
    return table


# ----------------------------------------------------------------------------- sensitivity


def _sensitivity(results: Path, metric: list[str] | None, out: Path | None) -> None:
    """Compute, write and print the indices of the sweep in ``results`` (``pathways sensitivity``)."""
    from sim.experiments.sensitivity import analyse
    from sim.experiments.sweeps import open_results
    from sim.reports.sensitivity_report import SENSITIVITY_DIR, check_sensitivity_out_dir, write_sensitivity

    try:
        swept = open_results(results)
        result = analyse(swept, metric or None)
        target = (out or swept.path / SENSITIVITY_DIR).resolve()
        problem = check_sensitivity_out_dir(target)
        if problem:
            raise ScenarioError(f"--out {target}", [problem])
    except ScenarioError as exc:
        fail(exc)
    written = write_sensitivity(result, target)
    table = Table(title=f"{result.design} sensitivity indices ({swept.manifest['name']})")
    columns = list(result.table.columns)
    for column in columns:
        # The parameter in words (it may wrap); the numbers never wrap, so they are never cut.
        table.add_column(column, justify="left" if column in ("metric", "parameter") else "right",
                         no_wrap=column != "parameter")
    for row in result.table.itertuples(index=False):
        cells = [v if isinstance(v, str) else f"{v:.3f}" for v in row]
        if "parameter" in columns:
            key = cells[columns.index("parameter")]
            cells[columns.index("parameter")] = result.labels.get(key, key)
        table.add_row(*cells)
    out_console.print(table)
    for note in result.notes:
        err_console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    out_console.print(f"Table and plot written to {written} (sensitivity.csv, sensitivity.png)", highlight=False)


def sensitivity(
    results: Annotated[Path, typer.Argument(help="The output folder of a finished sobol or morris sweep.")],
    metric: Annotated[
        list[str] | None, typer.Option("--metric", help="Analyse this metric (repeatable; default: every kept metric).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: RESULTS/sensitivity).")] = None,
) -> None:
    """Sobol first-order and total indices (or Morris mu*, sigma) with 95% intervals, from a sweep's results."""
    _sensitivity(results, metric, out)
