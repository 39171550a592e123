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

Each run's file is written to a hidden temporary file and moved into place with
``os.replace``, so a kill at any moment loses at most the runs in flight and never leaves a
partial file where a reader looks (readers skip names starting with ``.``). ``resume=True``
skips the runs whose files exist. Every run's seed depends only on the sweep seed and the run's
index (:meth:`~sim.experiments.designs.Sweep.run_seed`), so the rows are the same whatever the executor,
the number of workers, or how often the sweep was interrupted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
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

MANIFEST = "manifest.json"
RUNS_DIR = "runs"
POINTS = "points.parquet"
BY_POINT = "by_point"
FORMAT = 1  # the layout of a sweep's folder; open_results refuses any other
_PART = re.compile(r"^run-(\d+)\.parquet$")
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
    out = Path(out)
    problem = files.check_out_dir(out, marker=MANIFEST)
    if problem is not None or not out.is_dir() or not any(out.iterdir()):
        return problem
    manifest = _read_manifest(out)
    if manifest is None:
        return f"is a folder with other files in it (no {MANIFEST}); choose a new or empty folder"
    if overwrite:
        return None
    done = len(finished_runs(out))
    if not resume:
        return (
            f"already holds sweep {manifest.get('name')!r} ({done} of {manifest.get('n_runs')} runs done); "
            "add --resume to finish it, or --overwrite to discard it and start again"
        )
    if manifest.get("fingerprint") != sweep.fingerprint:
        return (
            f"holds a different sweep ({manifest.get('name')!r}: its design, parameters, seed, metrics or base "
            "scenario differ from this file's); choose another --out, or --overwrite to discard it"
        )
    return None


def _read_manifest(out: Path) -> dict[str, Any] | None:
    """The ``manifest.json`` in ``out``, or ``None`` if there is no readable one."""
    try:
        return json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def finished_runs(out: Path) -> set[int]:
    """Indices of the runs whose files are in ``out/runs``."""
    folder = Path(out) / RUNS_DIR
    if not folder.is_dir():
        return set()
    return {int(m.group(1)) for name in os.listdir(folder) if (m := _PART.match(name))}


def _start_folder(out: Path, sweep: Sweep, overwrite: bool) -> set[int]:
    """Create (or reopen) the output folder; return the runs already finished."""
    if overwrite and _read_manifest(out) is not None:
        shutil.rmtree(out)
    (out / RUNS_DIR).mkdir(parents=True, exist_ok=True)
    for stale in (out / RUNS_DIR).glob(".*.tmp"):  # left by a kill in the middle of a write
        stale.unlink(missing_ok=True)
    manifest = {"format": FORMAT, "fingerprint": sweep.fingerprint, **sweep.to_manifest()}
    text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n"
    files.atomic_write(out / MANIFEST, lambda fh: fh.write(text.encode()))
    files.atomic_write(out / "base.resolved.toml", lambda fh: fh.write(sweep.base.to_toml().encode()))
    points = pa.Table.from_pandas(points_table(sweep), preserve_index=False)
    files.atomic_write(out / POINTS, lambda fh: pq.write_table(points, fh))
    return {run for run in finished_runs(out) if run < sweep.n_runs}


def _write_run(out: Path, row: dict[str, Any], arrow_schema: pa.Schema) -> None:
    """One finished run's row as ``runs/run-NNNNNNN.parquet``, written atomically."""
    table = pa.Table.from_pylist([row], schema=arrow_schema)
    files.atomic_write(out / RUNS_DIR / f"run-{row['run']:07d}.parquet", lambda fh: pq.write_table(table, fh))


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
    from sim.experiments.executors import borrowed, open_executor, progress_bar, run_tasks

    path = Path(out).resolve() if out is not None else None
    done: set[int] = set()
    rows: list[dict[str, Any]] = []
    if path is not None:
        problem = check_sweep_out_dir(path, sweep, resume=resume, overwrite=overwrite)
        if problem:
            raise ScenarioError(f"--out {path}", [problem])
        done = _start_folder(path, sweep, overwrite)
    resumed = len(done)
    todo = [run for run in range(sweep.n_runs) if run not in done]
    arrow_schema = schema(sweep)
    points = points_table(sweep)
    values = points.set_index("point")[sweep.keys].to_dict("index")

    bar = progress_bar(
        total=sweep.n_runs, initial=resumed, desc=sweep.name, unit="run", disable=not progress, smoothing=0.05
    )
    try:
        pool_cm = (
            open_executor("process", workers=workers, tasks=len(todo))
            if executor is None
            else borrowed(executor)
        )
        with pool_cm as pool:
            for (run, _, seed), metrics in run_tasks(pool, _sweep_job, _tasks(sweep, todo)):
                point, replication = divmod(run, sweep.replications)
                row = {"run": run, "point": point, "replication": replication, "seed": seed}
                row.update(values[point])
                row.update(metrics)
                if path is not None:
                    _write_run(path, row, arrow_schema)
                else:
                    rows.append(row)
                bar.update()
                if on_run is not None:
                    on_run(row)
    finally:
        bar.close()

    if path is not None:
        runs = read_runs(path)
    else:
        runs = _sorted(pa.Table.from_pylist(rows, schema=arrow_schema).to_pandas())
    result = SweepResult(sweep, runs, by_point(runs, points, sweep), path, resumed)
    if path is not None and result.complete:
        _write_by_point(path, result.by_point)
    return result


def _sorted(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs in run order, numbered from 0."""
    return runs.sort_values("run", kind="stable").reset_index(drop=True)


def read_runs(out: Path | str) -> pd.DataFrame:
    """Every finished run of the sweep in ``out``, one row each, sorted by run."""
    folder = Path(out) / RUNS_DIR
    manifest = _read_manifest(Path(out))
    if manifest is None:
        raise ScenarioError(str(out), [f"not a sweep's results folder (no readable {MANIFEST})"])
    if not finished_runs(Path(out)):
        columns = [*ID_COLUMNS, *(p["key"] for p in manifest["parameters"]), *manifest["metrics"]]
        return pd.DataFrame(columns=columns)
    return _sorted(pq.read_table(folder).to_pandas())


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
    manifest = _read_manifest(path)
    if manifest is None or manifest.get("format") != FORMAT or not (path / POINTS).is_file():
        raise ScenarioError(str(path), [f"not a sweep's results folder (no readable {MANIFEST} and {POINTS})"])
    return SweepResults(path, manifest, pd.read_parquet(path / POINTS), read_runs(path))
