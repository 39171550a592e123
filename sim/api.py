"""The Python API for notebooks and scripts: ``sim.run``, ``sim.compare``, ``sim.sweep``, ``sim.sensitivity``.

Each returns pandas DataFrames (and the folder written, if any), so no subprocess is needed::

    import sim
    r = sim.run("baseline", replications=4, years=5, set={"choice.max_declines": 1})
    r.summary                      # metric, unit, mean, ci_low, ci_high
    c = sim.compare("baseline", "housing_ready", replications=10, out="results/hr")
    c.table; print("\\n".join(c.lines))
    s = sim.sweep("scenarios/sweeps/declines_vs_stock.toml", out="results/sweeps/dvs", workers=2)
    s.runs; s.by_point
    sim.sensitivity("results/sweeps/levers_sobol").table

``executor`` takes ``"process"`` (a local pool of ``workers`` processes, the default),
``"dask"`` (a Dask ``LocalCluster``, or the cluster at ``scheduler``), any
``concurrent.futures.Executor``, or a ``dask.distributed.Client``. The numbers never depend on it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim import config as sc
from sim.config import Scenario
from sim.experiments.comparison import Comparison
from sim.experiments.replications import RunResult
from sim.experiments.sensitivity import SensitivityResult
from sim.experiments.sweeps import SweepResult

ScenarioLike = str | Path | Scenario
SetLike = Mapping[str, Any] | Sequence[str] | None


@dataclass
class RunOutput:
    """What :func:`run` returns.

    Attributes:
        summary: One row per metric: ``metric``, ``unit``, ``mean``, ``ci_low``, ``ci_high``, ``description``.
        replications: One row per replication: its seed and every metric.
        spells: One row per person-spell.
        states: Counts by state over time.
        result: The full :class:`~sim.experiments.replications.RunResult`.
        path: The folder written, or ``None``.
    """

    summary: pd.DataFrame
    replications: pd.DataFrame
    spells: pd.DataFrame
    states: pd.DataFrame
    result: RunResult
    path: Path | None = None

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.summary._repr_html_()


@dataclass
class CompareOutput:
    """What :func:`compare` returns.

    Attributes:
        table: One row per (metric, scenario): mean and 95% CI, and the paired difference from
            the base with its 95% CI.
        replications: Every replication's metrics, with its scenario and seed.
        lines: The headline findings in plain words.
        comparison: The full :class:`~sim.experiments.comparison.Comparison` (runs included).
        path: The folder written (table, figures, report), or ``None``.
    """

    table: pd.DataFrame
    replications: pd.DataFrame
    lines: list[str]
    comparison: Comparison
    path: Path | None = None

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.table._repr_html_()


@dataclass
class SweepOutput:
    """What :func:`sweep` returns.

    Attributes:
        runs: One row per run: run id, point, replication, seed, every varied parameter, every kept metric.
        by_point: One row per point: the parameters and the mean of every kept metric.
        result: The full :class:`~sim.experiments.sweeps.SweepResult`.
        path: The results folder, or ``None`` for a sweep kept in memory.
        sensitivity: The indices, if asked for.
    """

    runs: pd.DataFrame
    by_point: pd.DataFrame
    result: SweepResult
    path: Path | None = None
    sensitivity: SensitivityResult | None = field(default=None)

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.by_point._repr_html_()


def _overrides(
    seed: int | None, replications: int | None, years: float | None, set: SetLike
) -> tuple[dict[str, Any], list[str]]:
    """The nested overrides and ``--set`` strings of the keyword arguments."""
    nested: dict[str, Any] = {}
    if isinstance(set, Mapping):
        nested = sc.nest(sc.flatten(dict(set)))
        set_args: list[str] = []
    else:
        set_args = list(set or [])
    if seed is not None:
        nested["seed"] = seed
    run = dict(nested.get("run", {}))
    if replications is not None:
        run["replications"] = replications
    if years is not None:
        run["years"] = float(years)
    if run:
        nested["run"] = run
    return nested, set_args


def load_scenario(
    scenario: ScenarioLike,
    *,
    seed: int | None = None,
    replications: int | None = None,
    years: float | None = None,
    set: SetLike = None,  # named like the command line's --set
) -> Scenario:
    """A validated scenario from a name, a path or a :class:`Scenario`, with overrides.

    Args:
        scenario: A shipped scenario's name, a TOML file, or a scenario object.
        seed: Seed of the run.
        replications: Number of replications.
        years: Years to simulate, warm-up included.
        set: Overrides: ``{"choice.max_declines": 1}`` (dotted keys or nested tables), or
            ``["choice.max_declines=1"]`` as on the command line.

    Raises:
        ScenarioError: With every problem found.
    """
    nested, set_args = _overrides(seed, replications, years, set)
    if isinstance(scenario, Scenario):
        if set_args:
            scenario = sc.with_overrides(scenario, sc.parse_set(set_args))
        return sc.with_overrides(scenario, nested) if nested else scenario
    return sc.load(scenario, overrides=nested or None, set_args=set_args or None)


@contextmanager
def _executor(executor: Any, workers: int | None, scheduler: str | None, tasks: int) -> Iterator[Any]:
    """The executor the keyword arguments ask for: opened (and shut down) here, or the caller's, borrowed."""
    from sim.experiments.executors import borrowed, open_executor

    if executor is None or isinstance(executor, str):
        with open_executor(executor or "process", workers=workers, scheduler=scheduler, tasks=tasks) as pool:
            yield pool
    else:
        with borrowed(executor) as pool:
            yield pool


def run(
    scenario: ScenarioLike,
    *,
    replications: int | None = None,
    seed: int | None = None,
    years: float | None = None,
    set: SetLike = None,
    workers: int | None = None,
    executor: Any = None,
    scheduler: str | None = None,
    out: Path | str | None = None,
    figures: bool = True,
    progress: bool = False,
) -> RunOutput:
    """Run a scenario's replications, as ``pathways run`` does.

    Args:
        scenario: A shipped scenario's name, a TOML file, or a :class:`Scenario`.
        replications: Number of replications (default: the scenario's).
        seed: Seed (default: the scenario's).
        years: Years to simulate, warm-up included.
        set: Parameter overrides (see :func:`load_scenario`).
        workers: Local processes (default: the number of cores).
        executor: ``"process"``, ``"dask"``, an executor or a Dask client (see the module docstring).
        scheduler: A Dask scheduler's address.
        out: Write ``summary.json``, the tables and figures here; ``None`` writes nothing.
        figures: Write the figures (with ``out``).
        progress: Show a progress bar.

    Returns:
        The summary and tables as DataFrames, the full result, and the folder written (or ``None``).

    Raises:
        ScenarioError: A bad scenario or override, with every problem found.
        ValueError: ``out`` is a file, or a folder with other files in it (nothing is written).
        SchedulerUnavailable: ``scheduler`` is malformed or no scheduler answers there (nothing ran).
        ClusterLost: The Dask cluster failed during the runs (nothing is written).
    """
    from sim.experiments.replications import run_scenario

    loaded = load_scenario(scenario, seed=seed, replications=replications, years=years, set=set)
    with _executor(executor, workers, scheduler, loaded.run.replications) as pool:
        result = run_scenario(loaded, executor=pool, progress=progress)
    path = None
    if out is not None:
        from sim.reports.run_figures import write_figures
        from sim.reports.run_output import write_run

        path = write_run(result, Path(out), extra=(lambda folder: write_figures(result, folder)) if figures else None)
    summary = pd.DataFrame(
        [
            {"metric": name, "unit": m["unit"], "mean": m["mean"], "ci_low": m["ci95"][0], "ci_high": m["ci95"][1],
             "description": m["description"]}
            for name, m in result.summary["metrics"].items()
        ]
    )
    return RunOutput(summary, result.replications, result.spells, result.states, result, path)


def compare(
    base: ScenarioLike,
    *alternatives: ScenarioLike,
    replications: int | None = None,
    seed: int | None = None,
    years: float | None = None,
    set: SetLike = None,
    workers: int | None = None,
    executor: Any = None,
    scheduler: str | None = None,
    out: Path | str | None = None,
    progress: bool = False,
    lang: str = "en",
) -> CompareOutput:
    """Compare scenarios with common random numbers, as ``pathways compare`` does.

    Args:
        base: The base scenario.
        *alternatives: One or more scenarios compared with the base.
        replications: Replications of every scenario (default: the base's).
        seed: Seed of every scenario (default: the base's).
        years: Years to simulate for every scenario.
        set: Overrides applied to every scenario.
        workers: Local processes.
        executor: ``"process"``, ``"dask"``, an executor or a Dask client.
        scheduler: A Dask scheduler's address.
        out: Write the table, figures and report here; ``None`` writes nothing.
        progress: Show a progress bar.
        lang: The language of the report and the findings: ``"en"`` or ``"nb"`` (Norwegian).

    Returns:
        The table, every replication, the findings in plain words
        (:func:`sim.reports.text.findings`), the full comparison and the folder written (or ``None``).

    Raises:
        ScenarioError: A bad scenario or override, with every problem found.
        ValueError: ``out`` is a file, or a folder with other files in it (nothing is written), or
            ``lang`` is not ``"en"`` or ``"nb"``.
        SchedulerUnavailable: ``scheduler`` is malformed or no scheduler answers there (nothing ran).
        ClusterLost: The Dask cluster failed during the runs (scheduler lost, no worker for too
            long, or a run that kept ending its worker: :class:`~sim.experiments.executors.WorkersKilled`).
    """
    from sim.experiments.comparison import compare as run_comparison
    from sim.reports.language import check_lang

    check_lang(lang)
    from sim.experiments.comparison import distinct_names, prepare
    from sim.reports.text import findings

    sources = (base, *alternatives)
    loaded = [load_scenario(s, years=years, set=set) for s in sources]
    names = [s.name if isinstance(s, Scenario) else s for s in sources]
    prepared = prepare(distinct_names(loaded, names), seed=seed, replications=replications)
    with _executor(executor, workers, scheduler, sum(s.run.replications for s in prepared)) as pool:
        comparison = run_comparison(prepared, executor=pool, progress=progress)
    path = None
    if out is not None:
        from sim.reports.compare_report import write_comparison

        path = write_comparison(comparison, Path(out), lang=lang)
    return CompareOutput(comparison.table, comparison.replications, findings(comparison, lang), comparison, path)


def sweep(
    spec: str | Path | Mapping[str, Any],
    *,
    out: Path | str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    workers: int | None = None,
    executor: Any = None,
    scheduler: str | None = None,
    figures: bool = True,
    progress: bool = False,
    sensitivity: bool = False,
) -> SweepOutput:
    """Run a parameter sweep, as ``pathways sweep`` does.

    Args:
        spec: A sweep file, or its content as a dict (``base`` is then looked up from the
            current folder or among the shipped scenarios).
        out: Results folder (runs saved as they finish; resumable); ``None`` keeps everything in memory.
        resume: Continue the sweep in ``out``.
        overwrite: Discard a sweep in ``out`` and start again.
        workers: Local processes.
        executor: ``"process"``, ``"dask"``, an executor or a Dask client.
        scheduler: A Dask scheduler's address.
        figures: Write the figures when complete (with ``out``).
        progress: Show a progress bar.
        sensitivity: Then compute Sobol/Morris indices (written to ``out/sensitivity`` with ``out``).

    Returns:
        The runs and the means by point as DataFrames, the full result, the folder and the indices.

    Raises:
        ScenarioError: A bad sweep file, or an ``out`` folder that cannot take the results.
        SchedulerUnavailable: ``scheduler`` is malformed or no scheduler answers there (nothing ran).
        ClusterLost: The Dask cluster failed during the sweep; the runs finished so far are saved
            in ``out``, and ``resume=True`` finishes it.
    """
    from sim.experiments.sweep_file import load_sweep
    from sim.experiments.sweeps import run_sweep

    loaded = load_sweep(dict(spec) if isinstance(spec, Mapping) else spec)
    with _executor(executor, workers, scheduler, loaded.n_runs) as pool:
        result = run_sweep(loaded, out, executor=pool, resume=resume, overwrite=overwrite, progress=progress)
    if figures and result.path is not None and result.complete:
        from sim.reports.sweep_figures import FIGURES_DIR, write_sweep_figures

        write_sweep_figures(result, result.path / FIGURES_DIR)
    indices = None
    if sensitivity:
        from sim.experiments.sensitivity import analyse

        indices = analyse(result.as_results())
        if result.path is not None:
            from sim.reports.sensitivity_report import SENSITIVITY_DIR, write_sensitivity

            indices.path = write_sensitivity(indices, result.path / SENSITIVITY_DIR)
    return SweepOutput(result.runs, result.by_point, result, result.path, indices)


def sensitivity(
    results: Path | str | SweepOutput,
    metrics: Sequence[str] | None = None,
    *,
    out: Path | str | None = None,
    write: bool = True,
) -> SensitivityResult:
    """Sobol or Morris indices of a finished sweep, as ``pathways sensitivity`` computes them.

    Args:
        results: A sweep's results folder, or what :func:`sweep` returned.
        metrics: Metrics to analyse (default: every metric the sweep kept).
        out: Where to write the table and plot (default: ``<results>/sensitivity``).
        write: Write them (a sweep kept in memory is never written).

    Returns:
        The indices, with ``path`` set to the folder written (or ``None``).

    Raises:
        ScenarioError: Not a complete Sobol or Morris sweep, an unknown metric, or an unusable ``out``.
    """
    from sim.experiments.sensitivity import analyse
    from sim.experiments.sweeps import open_results

    chosen = list(metrics) if metrics else None
    if isinstance(results, SweepOutput):
        if results.path is None:
            return analyse(results.result.as_results(), chosen)
        results = results.path
    swept = open_results(results)
    indices = analyse(swept, chosen)
    if write:
        from sim.reports.sensitivity_report import SENSITIVITY_DIR, write_sensitivity

        indices.path = write_sensitivity(indices, Path(out) if out is not None else swept.path / SENSITIVITY_DIR)
    return indices
