"""A run store: a folder of runs, each saved the moment it finishes, so an interrupted batch of runs can be resumed.

Sweeps (:mod:`sim.experiments.sweeps`), ensemble comparisons (:mod:`sim.experiments.ensemble`) and
the calibration search (:mod:`sim.experiments.calibration_search`) save their runs here. A run
store's folder::

    manifest.json              what the runs are, their number and the fingerprint of everything
                               that determines their rows (written by the owner)
    runs/run-0000042.parquet   one row per finished run; read the folder as one dataset
    ...                        any other files the owner writes when it starts (points, base scenario)

Every run has an index, and its row depends only on what the fingerprint covers and on that
index (its seed included), never on the executor, the number of workers or the order the runs
finish. Each run's file is written to a hidden temporary file and moved into place with
``os.replace``, so a kill at any moment loses at most the runs in flight and never leaves a
partial file where a reader looks (Parquet readers skip names starting with ``.``). Reopening the
folder to resume removes the temporary files a kill left and reports the runs already finished;
only the others are run (:func:`run_missing`).

:func:`check_store_dir` says whether a folder may take a batch of runs: a new or empty folder,
the same batch to resume (same fingerprint), or any batch to discard with ``overwrite``; a
folder holding other files is always refused, so ``--out .`` never wipes a project.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import files

MANIFEST = "manifest.json"
RUNS_DIR = "runs"
_PART = re.compile(r"^run-(\d+)\.parquet$")
#: What ends the message about a folder that holds unfinished runs and no ``--resume``.
ADD_RESUME = "add --resume to finish it, or --overwrite to discard it and start again"


def read_manifest(folder: Path | str) -> dict[str, Any] | None:
    """The ``manifest.json`` in ``folder``, or ``None`` if there is no readable one (or it is not a JSON object)."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def finished_runs(folder: Path | str) -> set[int]:
    """Indices of the runs whose files are in ``folder/runs``."""
    runs = Path(folder) / RUNS_DIR
    if not runs.is_dir():
        return set()
    return {int(m.group(1)) for name in os.listdir(runs) if (m := _PART.match(name))}


def check_store_dir(
    folder: Path | str,
    fingerprint: str,
    *,
    resume: bool,
    overwrite: bool,
    unfinished: str,
    different: str,
    replace_finished: bool = False,
    what: str = "results",
    option: str = "--out",
) -> str | None:
    """Why ``folder`` cannot take a batch of runs with this ``fingerprint``, or ``None`` if it can.

    A new or empty folder is fine. A file, or a folder with other files in it and no readable
    ``manifest.json``, is refused even with ``overwrite``. With ``overwrite`` any earlier batch is
    fine (it is discarded). Without ``resume`` an earlier batch is refused (``unfinished``),
    unless ``replace_finished`` and all its runs are done (it is earlier output, replaced). With
    ``resume`` the batch must be the same one (``different`` otherwise).

    Args:
        folder: The run store's folder.
        fingerprint: The fingerprint of the batch to run.
        resume: The batch is to be continued.
        overwrite: An earlier batch is to be discarded.
        unfinished: The message about an earlier batch without ``resume``: a template that may
            use ``{name}``, ``{done}`` and ``{total}`` (the manifest's ``name`` and ``n_runs``);
            :data:`ADD_RESUME` is added.
        different: The message about another batch with ``resume`` (the same fields); what to do
            is added.
        replace_finished: A finished batch is earlier output, replaced without ``resume``.
        what: What the folder is for, named in the message about a file in the way.
        option: The command-line option that names the folder.

    Returns:
        The reason, to follow the folder's name in a message, or ``None``.
    """
    folder = Path(folder)
    problem = files.check_out_dir(folder, marker=MANIFEST, what=what)
    if problem is not None or not folder.is_dir() or not any(folder.iterdir()):
        return problem
    manifest = read_manifest(folder)
    if manifest is None:
        return f"is a folder with other files in it (no readable {MANIFEST}); choose a new or empty folder"
    if overwrite:
        return None
    done, total = len(finished_runs(folder)), manifest.get("n_runs")
    fields = {"name": manifest.get("name"), "done": done, "total": total}
    if not resume:
        if replace_finished and not (isinstance(total, int) and done < total):
            return None
        return f"{unfinished.format(**fields)}; {ADD_RESUME}"
    if manifest.get("fingerprint") != fingerprint:
        return f"{different.format(**fields)}; choose another {option}, or --overwrite to discard it"
    return None


class RunStore:
    """The folder of a batch of runs: its manifest, one Parquet file per finished run, and reading them back.

    Attributes:
        folder: The folder (resolved).
        schema: The Arrow schema every run's file shares; ``None`` to read it from the files.
    """

    def __init__(self, folder: Path | str, schema: pa.Schema | None = None) -> None:
        self.folder = Path(folder).resolve()
        self.schema = schema

    @property
    def runs_dir(self) -> Path:
        """``folder/runs``."""
        return self.folder / RUNS_DIR

    def start(
        self,
        manifest: Mapping[str, Any],
        *,
        discard: bool = False,
        extra: Mapping[str, Callable[[BinaryIO], object]] | None = None,
    ) -> set[int]:
        """Create (or reopen) the folder; return the runs already finished.

        Args:
            manifest: What the runs are (``fingerprint`` and ``n_runs`` included), written to
                ``manifest.json``.
            discard: Remove an earlier batch first (a folder with a readable manifest).
            extra: Other files to write, by name: each a function writing the file's bytes.

        Returns:
            The finished runs with an index below ``manifest["n_runs"]``.
        """
        if discard and read_manifest(self.folder) is not None:
            shutil.rmtree(self.folder)
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.runs_dir.glob(".*.tmp"):  # left by a kill in the middle of a write
            stale.unlink(missing_ok=True)
        self.write_manifest(manifest)
        for name, write in (extra or {}).items():
            files.atomic_write(self.folder / name, write)
        return {run for run in self.finished() if run < manifest["n_runs"]}

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        """``manifest.json``, written atomically."""
        text = json.dumps(dict(manifest), indent=2, ensure_ascii=False, default=str) + "\n"
        files.atomic_write(self.folder / MANIFEST, lambda fh: fh.write(text.encode()))

    def manifest(self) -> dict[str, Any] | None:
        """``manifest.json``, or ``None`` if there is no readable one."""
        return read_manifest(self.folder)

    def finished(self) -> set[int]:
        """Indices of the finished runs."""
        return finished_runs(self.folder)

    def write(self, row: Mapping[str, Any]) -> None:
        """One finished run's row as ``runs/run-NNNNNNN.parquet`` (``row["run"]`` is its index), written atomically."""
        table = pa.Table.from_pylist([dict(row)], schema=self.schema)
        files.atomic_write(self.runs_dir / f"run-{row['run']:07d}.parquet", lambda fh: pq.write_table(table, fh))

    def read(self) -> pd.DataFrame:
        """Every finished run, one row each, sorted by run (:func:`read_rows`)."""
        return read_rows(self.folder, self.schema)


def read_rows(folder: Path | str, schema: pa.Schema | None = None) -> pd.DataFrame:
    """Every finished run saved in ``folder``, one row each, sorted by run.

    Args:
        folder: A run store's folder.
        schema: The runs' Arrow schema; ``None`` reads it from the files.

    Returns:
        The rows; without any finished run, an empty frame with the schema's columns (no
        columns without a schema).
    """
    if not finished_runs(folder):
        return schema.empty_table().to_pandas() if schema is not None else pd.DataFrame()
    return sorted_runs(pq.read_table(Path(folder) / RUNS_DIR, schema=schema).to_pandas())


def sorted_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs in run order, numbered from 0."""
    return runs.sort_values("run", kind="stable").reset_index(drop=True)


def run_missing[T: tuple](
    job: Callable[..., Any],
    tasks: Iterable[T],
    make_row: Callable[[T, Any], dict[str, Any]],
    *,
    store: RunStore | None,
    executor: Executor | None = None,
    workers: int | None = None,
    n_tasks: int,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Run ``job(*task)`` for every task and save each run's row the moment it finishes.

    Args:
        job: A function importable by the workers (defined at module level).
        tasks: Argument tuples, the run's index first; only the runs still to do.
        make_row: The run's row from its task and ``job``'s result; ``row["run"]`` is the index.
        store: Where each row is saved; ``None`` keeps nothing (``on_row`` gets the rows).
        executor: Any ``concurrent.futures`` executor or a Dask client; left open. Default: a
            local process pool of ``workers`` processes, shut down at the end.
        workers: Processes of the default pool (default: the number of cores; 1 runs here).
        n_tasks: How many tasks there are (the default pool never starts more processes).
        on_row: Called with each row once it is saved, in the order the runs finish.

    Raises:
        ClusterLost: A Dask cluster failed (:func:`sim.experiments.executors.run_tasks`); the
            rows saved so far stay.
        KeyboardInterrupt: Ctrl-C; the rows saved so far stay and the runs in flight are cancelled.
    """
    from sim.experiments.executors import borrowed, open_executor, run_tasks

    pool_cm = open_executor("process", workers=workers, tasks=n_tasks) if executor is None else borrowed(executor)
    with pool_cm as pool:
        for task, result in run_tasks(pool, job, tasks):
            row = make_row(task, result)
            if store is not None:
                store.write(row)
            if on_row is not None:
                on_row(row)


def run_with_bar[T: tuple](
    job: Callable[..., Any],
    tasks: Iterable[T],
    make_row: Callable[[T, Any], dict[str, Any]],
    *,
    store: RunStore | None,
    executor: Executor | None,
    workers: int | None,
    n_tasks: int,
    desc: str,
    total: int,
    progress: bool,
    on_run: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """:func:`run_missing` with a progress bar over all ``total`` runs (those already saved count
    as done), as sweeps and ensembles run.

    Args:
        job, tasks, make_row, store, executor, workers, n_tasks: As for :func:`run_missing`;
            ``tasks`` are the runs still to do.
        desc: The bar's label.
        total: Every run, saved or not.
        progress: Show the bar.
        on_run: Called with each row once it is saved.

    Returns:
        The new rows when there is no ``store`` (kept in memory), else an empty list (read them
        from the store).
    """
    from sim.experiments.executors import progress_bar

    rows: list[dict[str, Any]] = []
    bar = progress_bar(
        total=total, initial=total - n_tasks, desc=desc, unit="run", disable=not progress, smoothing=0.05
    )

    def saved(row: dict[str, Any]) -> None:
        if store is None:
            rows.append(row)
        bar.update()
        if on_run is not None:
            on_run(row)

    try:
        run_missing(job, tasks, make_row, store=store, executor=executor, workers=workers, n_tasks=n_tasks,
                    on_row=saved)  # fmt: skip
    finally:
        bar.close()
    return rows
