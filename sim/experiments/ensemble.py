"""Ensemble comparison: every scenario on every plausible parameter set, with common random numbers.

The calibration accepts a set of parameter sets (:mod:`sim.experiments.accepted`); a policy
ranking that holds on all of them does not hang on one calibrated value. An ensemble runs
every scenario (the base first) at every accepted point (or a random subset of them, drawn with
:data:`SUBSET_SEED`), each scenario's own keys over the point's values
(:func:`sim.experiments.accepted.on_point`), ``replications`` times. Replication ``r`` uses the
seed ``replication_seeds(base.seed, replications)[r]`` for every scenario and every point, so
scenario and point never change the luck, only the parameters.

For each alternative, point and metric the *paired difference* is the mean over replications of
``alt_r - base_r`` (a replication where either has no value is left out). Across points, per
alternative and metric: the median difference, the 5th and 95th percentiles and the extremes,
and the share of points where the alternative is better than the base
(:func:`sim.measures.headline.better_sign`; a difference of exactly 0 is not better; for a
metric with no better direction, the share of points where it is higher).

Runs are saved like a sweep's, in a run store (:mod:`sim.experiments.run_store`): the ensemble's folder
(``pathways compare --ensemble`` uses ``OUT/ensemble``)::

    manifest.json              what was run (scenarios, points, seed, replications, metrics) and its fingerprint
    points.parquet             the points run: ``point`` and every parameter's value
    runs/run-0000042.parquet   one row per finished run; read the folder as one dataset

Run ``i`` is scenario ``(i // replications) % len(scenarios)`` at the ``i // (replications *
len(scenarios))``-th point, replication ``i % replications``: runs are started point by point,
so an interrupted ensemble has mostly whole points done. Each file is written atomically; a kill loses
at most the runs in flight and ``resume=True`` runs only the rest. The numbers are computed from
the saved rows, so they are the same whatever the executor, the number of workers or how often
the ensemble was interrupted.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import config as scenarios
from sim.config import Scenario, ScenarioError
from sim.experiments.accepted import ACCEPTED_PATH, POINT, on_point, overridden, parameter_keys, read_accepted
from sim.experiments.accepted import points as point_values
from sim.experiments.replications import replication_seeds
from sim.experiments.run_store import (
    MANIFEST,  # noqa: F401 - also this module's name (sim.reports.compare_report reads it)
    RunStore,
    check_store_dir,
    read_manifest,  # noqa: F401 - also this module's name
    run_with_bar,
    sorted_runs,
)
from sim.measures.headline import HEADLINE, better_sign
from sim.measures.metrics import METRICS

#: The ensemble's folder inside the output folder of ``pathways compare --ensemble``.
ENSEMBLE_DIR = "ensemble"
POINTS = "points.parquet"
FORMAT = 1  # the layout of an ensemble's folder
#: The seed of the random subset of points (``--ensemble-points N``): the same N give the same points.
SUBSET_SEED = 20250612
ID_COLUMNS = ("run", "point", "scenario", "replication", "seed")
#: The columns of the ensemble table (:func:`ensemble_table`), in order.
TABLE_COLUMNS = (
    "scenario",
    "metric",
    "unit",
    "median_diff",
    "p05",
    "p95",
    "min",
    "max",
    "share_better",
    "points",
    "replications",
    "overridden_keys",
    "better_when",
)
#: The percentiles of the spread across points.
LOW_PERCENTILE, HIGH_PERCENTILE = 5.0, 95.0
#: How problems with an accepted set are listed at most (the rest are counted).
MAX_PROBLEMS = 10


@dataclass(frozen=True, eq=False)
class Ensemble:
    """The scenarios, the points and the seeds of an ensemble comparison.

    Build one with :func:`build_ensemble`, which checks every scenario at every point.

    Attributes:
        scenarios: The base then the alternatives, with the same seed and replications.
        points: The parameter values of each point run, by dotted key, in point order.
        point_ids: Their ``point`` numbers in the accepted set.
        keys: The calibrated parameters (the accepted set's dotted keys).
        metrics: The metrics kept and summarised (default :data:`~sim.measures.headline.HEADLINE`).
        accepted: The accepted set's file (or a description of the frame given).
        accepted_points: How many points the accepted set has.
        subset_seed: The seed of the random subset of points, ``None`` when every point is run.
        reference: The baseline the points are values of (the shipped ``baseline``).
    """

    scenarios: tuple[Scenario, ...]
    points: tuple[dict[str, Any], ...]
    point_ids: tuple[int, ...]
    keys: tuple[str, ...]
    metrics: tuple[str, ...]
    accepted: str
    accepted_points: int
    subset_seed: int | None
    reference: Scenario

    @property
    def base(self) -> Scenario:
        """The base scenario."""
        return self.scenarios[0]

    @property
    def names(self) -> list[str]:
        """Scenario names, the base first."""
        return [s.name for s in self.scenarios]

    @property
    def replications(self) -> int:
        """Replications of every scenario at every point."""
        return self.base.run.replications

    @property
    def seed(self) -> int:
        """The seed every scenario shares."""
        return self.base.seed

    @property
    def n_points(self) -> int:
        """Points run."""
        return len(self.points)

    @property
    def n_runs(self) -> int:
        """Runs: points x scenarios x replications."""
        return self.n_points * len(self.scenarios) * self.replications

    @cached_property
    def seeds(self) -> list[int]:
        """The replications' seeds, the same for every scenario and point."""
        return replication_seeds(self.seed, self.replications)

    def locate(self, run: int) -> tuple[int, int, int]:
        """``(point index, scenario slot, replication)`` of run ``run``."""
        rest, replication = divmod(run, self.replications)
        point, slot = divmod(rest, len(self.scenarios))
        return point, slot, replication

    def run_seed(self, run: int) -> int:
        """The seed of run ``run``: that of its replication, whatever the scenario and point."""
        return self.seeds[run % self.replications]

    def scenario(self, slot: int, point: int) -> Scenario:
        """The ``slot``-th scenario at the ``point``-th point run (:func:`~sim.experiments.accepted.on_point`)."""
        return on_point(self.scenarios[slot], self.points[point], self.reference)

    @cached_property
    def overridden(self) -> dict[str, list[str]]:
        """The calibrated keys each scenario sets itself (kept at its own value at every point)."""
        return {s.name: overridden(s, self.keys, self.reference) for s in self.scenarios}

    def describe(self) -> str:
        """One line: scenarios, points, replications and runs."""
        subset = (
            f"{self.n_points} of the {self.accepted_points} accepted points (drawn with seed {self.subset_seed})"
            if self.subset_seed is not None
            else f"all {self.n_points} accepted points"
        )
        return (
            f"ensemble: {len(self.scenarios)} scenarios x {subset} x {self.replications} replications "
            f"= {self.n_runs} runs (seed {self.seed}, the same at every point)"
        )

    def to_manifest(self) -> dict[str, Any]:
        """Everything that defines the ensemble's runs, as plain JSON data."""
        return {
            "accepted": self.accepted,
            "accepted_points": self.accepted_points,
            "subset_seed": self.subset_seed,
            "points": list(self.point_ids),
            "keys": list(self.keys),
            "scenarios": self.names,
            "seed": self.seed,
            "replications": self.replications,
            "seeds": self.seeds,
            "metrics": list(self.metrics),
            "overridden": self.overridden,
            "n_points": self.n_points,
            "n_runs": self.n_runs,
        }

    @cached_property
    def fingerprint(self) -> str:
        """A hash of everything that determines the runs' rows (not where the accepted set lies)."""
        data = {k: v for k, v in self.to_manifest().items() if k != "accepted"}
        data["values"] = [dict(p) for p in self.points]
        data["scenario_data"] = [s.to_dict() for s in self.scenarios]
        data["reference"] = self.reference.to_dict()
        text = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_ensemble(
    prepared: Sequence[Scenario],
    accepted: pd.DataFrame | Path | str = ACCEPTED_PATH,
    *,
    n_points: int | None = None,
    subset_seed: int = SUBSET_SEED,
    metrics: Sequence[str] | None = None,
    reference: Scenario | None = None,
) -> Ensemble:
    """The ensemble of ``prepared`` scenarios on the accepted points, every scenario checked at every point.

    Args:
        prepared: The base then the alternatives, with the same seed and replications
            (:func:`sim.experiments.comparison.prepare`).
        accepted: The accepted set: a file (:func:`~sim.experiments.accepted.read_accepted`) or
            its frame.
        n_points: Run a random subset of this many points (drawn with ``subset_seed``, kept in
            point order); default (or more than there are) every point.
        subset_seed: The seed of that subset.
        metrics: The metrics to keep (default :data:`~sim.measures.headline.HEADLINE`).
        reference: The baseline the points' values apply to (default: the shipped ``baseline``).

    Raises:
        ScenarioError: The accepted set cannot be read, has no points or a point number twice,
            or a scenario is not valid at a point (e.g. a value out of range, an unknown key);
            a metric is unknown; fewer than two scenarios.
        ValueError: The scenarios do not share their seed and replications.
    """
    if len(prepared) < 2:
        raise ScenarioError("compare --ensemble", ["give a base scenario and at least one alternative"])
    if len({(s.seed, s.run.replications) for s in prepared}) != 1:
        raise ValueError("every scenario must have the same seed and replications; use comparison.prepare() first")
    metrics = tuple(HEADLINE if metrics is None else metrics)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ScenarioError("compare --ensemble", [f"unknown metric {m!r} (see docs/metrics.md)" for m in unknown])
    if isinstance(accepted, pd.DataFrame):
        source, frame = "the accepted set given", accepted
    else:
        source = str(accepted)
        if not Path(accepted).is_file():
            what = "is a folder, not a file" if Path(accepted).is_dir() else "no such file"
            raise ScenarioError(source, [f"{what} (an accepted set is written by `pathways calibrate --search`)"])
        frame = read_accepted(accepted)
    problems = _frame_problems(frame)
    if problems:
        raise ScenarioError(source, problems)
    frame = frame.sort_values(POINT, kind="stable").reset_index(drop=True)
    rows = list(range(len(frame)))
    chosen_seed: int | None = None
    if n_points is not None:
        if n_points < 1:
            raise ScenarioError("--ensemble-points", [f"{n_points}: must be 1 or more"])
        if n_points < len(frame):
            rng = np.random.default_rng(subset_seed)
            rows = sorted(int(i) for i in rng.choice(len(frame), size=n_points, replace=False))
            chosen_seed = subset_seed
    all_values = point_values(frame)
    reference = scenarios.load("baseline") if reference is None else reference
    ensemble = Ensemble(
        scenarios=tuple(prepared),
        points=tuple(all_values[i] for i in rows),
        point_ids=tuple(int(frame[POINT].iloc[i]) for i in rows),
        keys=tuple(parameter_keys(frame)),
        metrics=metrics,
        accepted=source,
        accepted_points=len(frame),
        subset_seed=chosen_seed,
        reference=reference,
    )
    check_points(ensemble)
    return ensemble


def _frame_problems(frame: pd.DataFrame) -> list[str]:
    """What is wrong with an accepted set's rows (none, a point number twice, missing values)."""
    if POINT not in frame.columns or not parameter_keys(frame):
        return ["not an accepted set: it needs a 'point' column and parameter columns named by dotted keys"]
    if frame.empty:
        return ["has no points (no rows): the calibration accepted nothing"]
    problems = []
    twice = sorted({int(p) for p in frame[POINT][frame[POINT].duplicated()]})
    if twice:
        problems.append(f"point numbers given twice: {', '.join(map(str, twice))}")
    for key in parameter_keys(frame):
        missing = frame.loc[frame[key].isna(), POINT].tolist()
        if missing:
            problems.append(f"column {key!r} has no value at point(s) {', '.join(map(str, missing))}")
    return problems


def check_points(ensemble: Ensemble) -> None:
    """Build every scenario at every point, so a point no scenario can take is refused before anything runs.

    Raises:
        ScenarioError: Naming the accepted set, and for each point and scenario that fails, why.
    """
    problems: list[str] = []
    for index, point in enumerate(ensemble.point_ids):
        for slot, name in enumerate(ensemble.names):
            try:
                ensemble.scenario(slot, index)
            except ScenarioError as exc:
                problems += [f"point {point}, scenario {name}: {p}" for p in exc.problems]
                break  # one scenario's problems at a point are enough
    if problems:
        more = len(problems) - MAX_PROBLEMS
        shown = problems[:MAX_PROBLEMS] + ([f"... and {more} more"] if more > 0 else [])
        raise ScenarioError(ensemble.accepted, shown)


# ----------------------------------------------------------------------------- the folder


def schema(ensemble: Ensemble) -> pa.Schema:
    """The Arrow schema every run's file shares."""
    fields = [pa.field(name, pa.string() if name == "scenario" else pa.int64()) for name in ID_COLUMNS]
    fields += [pa.field(m, pa.float64()) for m in ensemble.metrics]
    return pa.schema(fields)


def points_table(ensemble: Ensemble) -> pd.DataFrame:
    """One row per point run: ``point`` and every calibrated parameter's value."""
    return pd.DataFrame([{POINT: p, **values} for p, values in zip(ensemble.point_ids, ensemble.points, strict=True)])


def check_ensemble_dir(
    folder: Path, ensemble: Ensemble, *, resume: bool = False, overwrite: bool = False
) -> str | None:
    """Why ``folder`` cannot take this ensemble's runs, or ``None`` if it can.

    A new or empty folder is fine. A folder with other files and no ``manifest.json`` is refused
    (even with ``overwrite``). A finished ensemble is earlier output: it is replaced (kept with
    ``resume`` if it is this same ensemble). An unfinished one is kept: ``resume`` finishes it if
    it is this same ensemble (same fingerprint), ``overwrite`` discards it.
    """
    if resume and overwrite:
        return "--resume and --overwrite: choose one (continue, or start again)"
    return check_store_dir(
        folder,
        ensemble.fingerprint,
        resume=resume,
        overwrite=overwrite,
        unfinished="holds an unfinished ensemble ({done} of {total} runs done)",
        different=(
            "holds a different ensemble ({done} of {total} runs done; its scenarios, points, seed, replications "
            "or metrics differ)"
        ),
        replace_finished=True,
        what="ensemble's runs",
    )


def _start_folder(folder: Path, ensemble: Ensemble, resume: bool) -> tuple[RunStore, set[int]]:
    """Create (or reopen, with ``resume``) the ensemble's folder; return its store and the runs already finished."""
    store = RunStore(folder, schema(ensemble))
    table = pa.Table.from_pandas(points_table(ensemble), preserve_index=False)
    done = store.start(
        {"format": FORMAT, "fingerprint": ensemble.fingerprint, **ensemble.to_manifest()},
        discard=not resume,
        extra={POINTS: lambda fh: pq.write_table(table, fh)},
    )
    return store, done


def read_runs(folder: Path | str, ensemble: Ensemble) -> pd.DataFrame:
    """Every finished run saved in ``folder``, one row each, sorted by run."""
    return RunStore(folder, schema(ensemble)).read()


# ----------------------------------------------------------------------------- running


def _ensemble_job(run: int, ensemble: Ensemble, seed: int) -> dict[str, float]:
    """One run of an ensemble (a task for an executor): the kept metrics of one replication.

    The task carries the whole ensemble, the same object for every run, so a Dask executor sends
    it once; the scenario at the point is built where it runs (a few milliseconds).
    """
    from sim.experiments.replications import measure_replication

    point, slot, _ = ensemble.locate(run)
    values = measure_replication(ensemble.scenario(slot, point), seed)
    return {m: float(values[m]) for m in ensemble.metrics}


def _tasks(ensemble: Ensemble, todo: Sequence[int]) -> Iterator[tuple[int, Ensemble, int]]:
    """The arguments of :func:`_ensemble_job` for each run in ``todo``."""
    for run in todo:
        yield run, ensemble, ensemble.run_seed(run)


@dataclass
class EnsembleResult:
    """What an ensemble comparison returns.

    Attributes:
        ensemble: The ensemble.
        runs: One row per finished run: ``run``, ``point``, ``scenario``, ``replication``,
            ``seed`` and every kept metric, sorted by ``run``.
        differences: One row per (alternative, point, metric): ``diff`` (mean over replications
            of alternative minus base) and ``pairs`` (replications with both values).
        table: One row per (alternative, metric): :data:`TABLE_COLUMNS`.
        path: The ensemble's folder (``None`` when kept in memory).
        resumed: Runs that were already finished before this call.
    """

    ensemble: Ensemble
    runs: pd.DataFrame
    differences: pd.DataFrame
    table: pd.DataFrame
    path: Path | None
    resumed: int = 0

    @property
    def complete(self) -> bool:
        """Whether every run has finished."""
        return len(self.runs) == self.ensemble.n_runs

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.table._repr_html_()


def run_ensemble(
    ensemble: Ensemble,
    out: Path | str | None = None,
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = False,
    on_run: Callable[[dict[str, Any]], None] | None = None,
) -> EnsembleResult:
    """Run every run of ``ensemble`` not finished yet, saving each as it finishes, and summarise.

    Args:
        ensemble: The ensemble (:func:`build_ensemble`).
        out: The ensemble's folder (``pathways compare`` uses ``OUT/ensemble``); ``None`` keeps
            the runs in memory only (no resume).
        executor: Any ``concurrent.futures`` executor or a Dask client's; left open. Default: a
            local process pool of ``workers`` processes.
        workers: Processes for the default pool (default: the number of cores; 1 runs here).
        resume: Continue the ensemble already in ``out`` (it must be the same ensemble).
        overwrite: Discard an ensemble already in ``out`` and start again.
        progress: Show a progress bar with the runs done and the time left.
        on_run: Called with each run's row once it is saved.

    Returns:
        The runs, the paired differences by point and the table across points, all computed from
        the saved rows (so identical after a resume).

    Raises:
        ScenarioError: ``out`` cannot take the runs (:func:`check_ensemble_dir`); nothing is written.
    """
    path = Path(out).resolve() if out is not None else None
    store: RunStore | None = None
    done: set[int] = set()
    if path is not None:
        problem = check_ensemble_dir(path, ensemble, resume=resume, overwrite=overwrite)
        if problem:
            raise ScenarioError(f"--out {path}", [problem])
        store, done = _start_folder(path, ensemble, resume and not overwrite)
    resumed = len(done)
    todo = [run for run in range(ensemble.n_runs) if run not in done]
    arrow_schema = schema(ensemble)
    names = ensemble.names

    def make_row(task: tuple[int, Ensemble, int], metrics: dict[str, float]) -> dict[str, Any]:
        run, _, seed = task
        point, slot, replication = ensemble.locate(run)
        return {
            "run": run,
            "point": ensemble.point_ids[point],
            "scenario": names[slot],
            "replication": replication,
            "seed": seed,
            **metrics,
        }

    rows = run_with_bar(_ensemble_job, _tasks(ensemble, todo), make_row, store=store, executor=executor, workers=workers,
                        n_tasks=len(todo), desc="ensemble", total=ensemble.n_runs, progress=progress, on_run=on_run)  # fmt: skip

    if store is not None:
        runs = store.read()
    else:
        runs = sorted_runs(pa.Table.from_pylist(rows, schema=arrow_schema).to_pandas())
    return summarise(ensemble, runs, path, resumed)


def summarise(ensemble: Ensemble, runs: pd.DataFrame, path: Path | None = None, resumed: int = 0) -> EnsembleResult:
    """The paired differences by point and the table across points, from an ensemble's runs."""
    differences = point_differences(runs, ensemble.names[0], ensemble.names[1:], ensemble.metrics)
    table = ensemble_table(differences, ensemble.metrics, ensemble.replications, ensemble.overridden)
    return EnsembleResult(ensemble, runs, differences, table, path, resumed)


# ----------------------------------------------------------------------------- the numbers


def point_differences(
    runs: pd.DataFrame, base: str, alternatives: Sequence[str], metrics: Sequence[str]
) -> pd.DataFrame:
    """The paired difference of each alternative from the base at each point, for every metric.

    Args:
        runs: One row per run: ``point``, ``scenario``, ``replication`` and the metrics.
        base: The base scenario's name.
        alternatives: The alternatives' names, in order.
        metrics: The metrics.

    Returns:
        One row per (alternative, point, metric), in that order: ``scenario``, ``point``,
        ``metric``, ``diff`` (mean over replications of ``alt - base``, ``NaN`` without a pair)
        and ``pairs`` (the replications where both have a value).
    """
    columns = ["scenario", "point", "metric", "diff", "pairs"]
    metrics = list(metrics)
    index = ["point", "replication"]
    base_rows = runs[runs["scenario"] == base].set_index(index)[metrics]
    out = []
    for name in alternatives:
        alt_rows = runs[runs["scenario"] == name].set_index(index)[metrics]
        paired = alt_rows.merge(base_rows, how="inner", left_index=True, right_index=True, suffixes=("_alt", "_base"))
        for metric in metrics:
            d = (paired[f"{metric}_alt"] - paired[f"{metric}_base"]).astype(float)
            by_point = d.groupby(level="point", sort=True)
            frame = pd.DataFrame({"diff": by_point.mean(), "pairs": by_point.count()}).reset_index()
            frame.insert(0, "scenario", name)
            frame.insert(2, "metric", metric)
            out.append(frame)
    if not out:
        return pd.DataFrame(columns=columns)
    table = pd.concat(out, ignore_index=True)[columns]
    table["pairs"] = table["pairs"].astype(int)
    return table


def share_better(diffs: np.ndarray, metric: str) -> float:
    """The share of ``diffs`` where the alternative is better: higher for a metric better higher,
    lower for one better lower (exactly 0 is not better); higher for a metric with no better
    direction. ``NaN`` without any difference."""
    if len(diffs) == 0:
        return math.nan
    sign = better_sign(metric) or 1
    return float(np.mean(sign * diffs > 0))


def better_when(metric: str) -> str:
    """``"higher"``, ``"lower"``, or ``"neither (share higher)"`` for a metric with no better direction."""
    sign = better_sign(metric)
    return "higher" if sign > 0 else "lower" if sign < 0 else "neither (share higher)"


def ensemble_table(
    differences: pd.DataFrame,
    metrics: Sequence[str],
    replications: int,
    overridden_keys: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Across points, per alternative and metric: median, spread and the share of points where it is better.

    Args:
        differences: :func:`point_differences`.
        metrics: The metrics, in the order of the table.
        replications: Replications per scenario and point (reported).
        overridden_keys: The calibrated keys each scenario sets itself (reported, joined by ``"; "``).

    Returns:
        One row per (alternative, metric) with :data:`TABLE_COLUMNS`; a point without a
        difference is not counted (``points`` counts those with one).
    """
    overridden_keys = overridden_keys or {}
    rows = []
    for name in dict.fromkeys(differences["scenario"]):
        mine = differences[differences["scenario"] == name]
        for metric in metrics:
            d = mine.loc[mine["metric"] == metric, "diff"].dropna().to_numpy(dtype=float)
            have = len(d) > 0
            low, high = np.percentile(d, [LOW_PERCENTILE, HIGH_PERCENTILE]) if have else (math.nan, math.nan)
            rows.append(
                {
                    "scenario": name,
                    "metric": metric,
                    "unit": METRICS[metric].unit if metric in METRICS else "",
                    "median_diff": float(np.median(d)) if have else math.nan,
                    "p05": float(low),
                    "p95": float(high),
                    "min": float(d.min()) if have else math.nan,
                    "max": float(d.max()) if have else math.nan,
                    "share_better": share_better(d, metric),
                    "points": len(d),
                    "replications": replications,
                    "overridden_keys": "; ".join(overridden_keys.get(name, [])),
                    "better_when": better_when(metric),
                }
            )
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
