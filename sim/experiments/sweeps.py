"""Running a sweep: one row per run, saved the moment it finishes, resumable after a kill.

A sweep's output folder::

    manifest.json          what was swept (design, parameters, seeds, metrics) and its fingerprint
    base.resolved.toml     the base scenario with the sweep's [set] applied
    points.parquet         one row per point: its parameter values and design coordinates
    runs/run-0000042.parquet   one file per finished run; read the folder as one dataset
    by_point.parquet, by_point.csv   mean of every kept metric at each point (when complete)
    figures/<metric>.png   the metric against the parameters (when complete; drawn by
                           :mod:`sim.reports.sweep_figures`, which ``pathways sweep`` and
                           ``sim.sweep`` call after :func:`run_sweep`)

The folder is a run store (:mod:`sim.experiments.run_store`): each run's file is written to a
hidden temporary file and moved into place with ``os.replace``, so a kill at any moment loses at
most the runs in flight and never leaves a partial file where a reader looks (readers skip names
starting with ``.``). ``resume=True`` skips the runs whose files exist. Every run's seed depends
only on the sweep seed and the run's index (:meth:`~sim.experiments.designs.Sweep.run_seed`), so
the rows are the same whatever the executor, the number of workers, or how often the sweep was
interrupted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import files
from sim.config import ScenarioError
from sim.experiments.designs import Sweep
from sim.experiments.run_store import (
    MANIFEST,
    RUNS_DIR,  # noqa: F401 - also this module's name, for its readers
    RunStore,
    check_store_dir,
    finished_runs,
    read_manifest,
    read_rows,
    run_with_bar,
    sorted_runs,
)

POINTS = "points.parquet"
BY_POINT = "by_point"
FORMAT = 1  # the layout of a sweep's folder; open_results refuses any other
_ARROW_TYPES = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "str": pa.string()}
ID_COLUMNS = ("run", "point", "replication", "seed")


@dataclass
class SweepResult:
    """What a sweep returns.

    Attributes:
        sweep: The sweep.
        runs: One row per finished run: ``run``, ``point``, ``replication``, ``seed``, every
            varied parameter (named by its dotted key) and every kept metric, sorted by ``run``.
        by_point: One row per point: the parameters, ``replications`` finished and the mean of
            every kept metric.
        path: The output folder (``None`` for a sweep kept in memory).
        resumed: Runs that were already finished before this call.
    """

    sweep: Sweep
    runs: pd.DataFrame
    by_point: pd.DataFrame
    path: Path | None
    resumed: int = 0

    @property
    def complete(self) -> bool:
        """Whether every run of the design has finished."""
        return len(self.runs) == self.sweep.n_runs

    def as_results(self) -> SweepResults:
        """These results in the form read back from a folder (what the sensitivity analysis takes)."""
        manifest = {"format": FORMAT, "fingerprint": self.sweep.fingerprint, **self.sweep.to_manifest()}
        return SweepResults(self.path or Path("<memory>"), manifest, points_table(self.sweep), self.runs)

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.by_point._repr_html_()


def default_sweep_dir(sweep: Sweep) -> Path:
    """``results/sweeps/<sweep name>``."""
    return files.RESULTS_DIR / "sweeps" / sweep.name


def schema(sweep: Sweep) -> pa.Schema:
    """The Arrow schema every run's file shares."""
    fields = [pa.field(name, pa.int64()) for name in ID_COLUMNS]
    fields += [pa.field(p.key, _ARROW_TYPES[p.column]) for p in sweep.parameters]
    fields += [pa.field(m, pa.float64()) for m in sweep.metrics]
    return pa.schema(fields)


def points_table(sweep: Sweep) -> pd.DataFrame:
    """One row per point: ``point``, each parameter's stored value and its design coordinate (``design:<key>``)."""
    rows = []
    matrix = sweep.design_matrix
    for point in range(sweep.n_points):
        values = sweep.point_values(point)
        row: dict[str, Any] = {"point": point}
        row.update({p.key: p.stored(values[p.key]) for p in sweep.parameters})
        row.update({f"design:{p.key}": float(x) for p, x in zip(sweep.parameters, matrix[point], strict=True)})
        rows.append(row)
    table = pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [pa.field("point", pa.int64())]
            + [pa.field(p.key, _ARROW_TYPES[p.column]) for p in sweep.parameters]
            + [pa.field(f"design:{p.key}", pa.float64()) for p in sweep.parameters]
        ),
    )
    return table.to_pandas()


# ----------------------------------------------------------------------------- the output folder


def check_sweep_out_dir(out: Path, sweep: Sweep, *, resume: bool = False, overwrite: bool = False) -> str | None:
    """Why ``out`` cannot take this sweep's results, or ``None`` if it can.

    First :func:`sim.files.check_out_dir`: a file, or a folder with other files in it and no
    ``manifest.json``, is refused, so ``--out .`` never wipes a project; a new or empty folder is
    fine. Then a folder whose ``manifest.json`` cannot be read or is not JSON is refused too. A
    folder holding this same sweep (same fingerprint) is fine with ``resume``; a folder holding
    any sweep is fine with ``overwrite`` (it is replaced).
    """
    return check_store_dir(
        out,
        sweep.fingerprint,
        resume=resume,
        overwrite=overwrite,
        unfinished="already holds sweep {name!r} ({done} of {total} runs done)",
        different=(
            "holds a different sweep ({name!r}: its design, parameters, seed, metrics or base "
            "scenario differ from this file's)"
        ),
    )


def _start_folder(out: Path, sweep: Sweep, overwrite: bool) -> tuple[RunStore, set[int]]:
    """Create (or reopen) the output folder; return its store and the runs already finished."""
    store = RunStore(out, schema(sweep))
    points = pa.Table.from_pandas(points_table(sweep), preserve_index=False)
    done = store.start(
        {"format": FORMAT, "fingerprint": sweep.fingerprint, **sweep.to_manifest()},
        discard=overwrite,
        extra={
            "base.resolved.toml": lambda fh: fh.write(sweep.base.to_toml().encode()),
            POINTS: lambda fh: pq.write_table(points, fh),
        },
    )
    return store, done


# ----------------------------------------------------------------------------- running


def _sweep_job(run: int, sweep: Sweep, seed: int) -> dict[str, float]:
    """One run of a sweep (a task for an executor): the kept metrics of one replication.

    The task carries the whole sweep, the same object for every run, so an executor that sends
    an argument once (:class:`~sim.experiments.executors.DaskExecutor`) sends it once per sweep;
    the run's scenario is built where it runs (a fraction of a millisecond).
    """
    from sim.experiments.replications import measure_replication

    values = measure_replication(sweep.scenario(run // sweep.replications), seed)
    return {m: float(values[m]) for m in sweep.metrics}


def _tasks(sweep: Sweep, todo: list[int]) -> Iterator[tuple[int, Sweep, int]]:
    """The arguments of :func:`_sweep_job` for each run in ``todo``."""
    for run in todo:
        yield run, sweep, sweep.run_seed(run)


def run_sweep(
    sweep: Sweep,
    out: Path | str | None = None,
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = False,
    on_run: Callable[[dict[str, Any]], None] | None = None,
) -> SweepResult:
    """Run every run of ``sweep`` that is not finished yet, saving each as it finishes.

    Args:
        sweep: A loaded sweep (:func:`sim.experiments.sweep_file.load_sweep`).
        out: Output folder; ``None`` keeps the results in memory only (no resume).
        executor: Any ``concurrent.futures`` executor; left open. Default: a local process pool
            of ``workers`` processes.
        workers: Processes for the default pool (default: the number of cores; 1 runs here).
        resume: Continue the sweep already in ``out`` (must be the same sweep).
        overwrite: Discard a sweep already in ``out`` and start again.
        progress: Show a progress bar with the runs done and the time left.
        on_run: Called with each run's row once it is saved.

    Returns:
        The rows of every finished run (all of them unless interrupted) and the means by point,
        also written to ``by_point.parquet``/``.csv`` once the sweep is complete. Figures are
        the caller's: :func:`sim.reports.sweep_figures.write_sweep_figures`.

    Raises:
        ScenarioError: ``out`` cannot take the results (see :func:`check_sweep_out_dir`); nothing is written.
    """
    path = Path(out).resolve() if out is not None else None
    store: RunStore | None = None
    done: set[int] = set()
    if path is not None:
        problem = check_sweep_out_dir(path, sweep, resume=resume, overwrite=overwrite)
        if problem:
            raise ScenarioError(f"--out {path}", [problem])
        store, done = _start_folder(path, sweep, overwrite)
    resumed = len(done)
    todo = [run for run in range(sweep.n_runs) if run not in done]
    arrow_schema = schema(sweep)
    points = points_table(sweep)
    values = points.set_index("point")[sweep.keys].to_dict("index")

    def make_row(task: tuple[int, Sweep, int], metrics: dict[str, float]) -> dict[str, Any]:
        run, _, seed = task
        point, replication = divmod(run, sweep.replications)
        row = {"run": run, "point": point, "replication": replication, "seed": seed}
        row.update(values[point])
        row.update(metrics)
        return row

    rows = run_with_bar(_sweep_job, _tasks(sweep, todo), make_row, store=store, executor=executor, workers=workers,
                        n_tasks=len(todo), desc=sweep.name, total=sweep.n_runs, progress=progress, on_run=on_run)  # fmt: skip

    if path is not None:
        runs = read_runs(path)
    else:
        runs = sorted_runs(pa.Table.from_pylist(rows, schema=arrow_schema).to_pandas())
    result = SweepResult(sweep, runs, by_point(runs, points, sweep), path, resumed)
    if path is not None and result.complete:
        _write_by_point(path, result.by_point)
    return result


def read_runs(out: Path | str) -> pd.DataFrame:
    """Every finished run of the sweep in ``out``, one row each, sorted by run."""
    manifest = read_manifest(out)
    if manifest is None:
        raise ScenarioError(str(out), [f"not a sweep's results folder (no readable {MANIFEST})"])
    if not finished_runs(out):
        columns = [*ID_COLUMNS, *(p["key"] for p in manifest["parameters"]), *manifest["metrics"]]
        return pd.DataFrame(columns=columns)
    return read_rows(out)


def by_point(runs: pd.DataFrame, points: pd.DataFrame, sweep: Sweep) -> pd.DataFrame:
    """Mean of every kept metric at each point, with the point's parameters and replications done."""
    metrics = list(sweep.metrics)
    base = points[["point", *sweep.keys]].copy()
    if runs.empty:
        base["replications"] = 0
        for m in metrics:
            base[m] = float("nan")
        return base
    grouped = runs.groupby("point")
    means = grouped[metrics].mean()
    means.insert(0, "replications", grouped.size())
    table = base.merge(means, left_on="point", right_index=True, how="left")
    table["replications"] = table["replications"].fillna(0).astype(int)
    return table.reset_index(drop=True)


def _write_by_point(out: Path, table: pd.DataFrame) -> None:
    """``by_point.parquet`` and ``by_point.csv`` in ``out``, each written atomically."""
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    files.atomic_write(out / f"{BY_POINT}.parquet", lambda fh: pq.write_table(arrow, fh))
    text = table.to_csv(index=False)
    files.atomic_write(out / f"{BY_POINT}.csv", lambda fh: fh.write(text.encode()))


@dataclass
class SweepResults:
    """A sweep's results folder, read back (for ``pathways sensitivity``)."""

    path: Path
    manifest: dict[str, Any]
    points: pd.DataFrame
    runs: pd.DataFrame

    @property
    def complete(self) -> bool:
        """Whether every run of the design has finished."""
        return len(self.runs) == self.manifest["n_runs"]


def open_results(out: Path | str) -> SweepResults:
    """Read a sweep's results folder.

    Raises:
        ScenarioError: ``out`` is not a sweep's results folder.
    """
    path = Path(out)
    if not path.is_dir():
        raise ScenarioError(str(path), ["no such folder; give the --out folder of a sweep"])
    manifest = read_manifest(path)
    if manifest is None or manifest.get("format") != FORMAT or not (path / POINTS).is_file():
        raise ScenarioError(str(path), [f"not a sweep's results folder (no readable {MANIFEST} and {POINTS})"])
    return SweepResults(path, manifest, pd.read_parquet(path / POINTS), read_runs(path))
