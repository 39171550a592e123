"""Per-task overhead of the executors: tasks that do nothing but take a sweep's arguments.

Run from the project folder::

    .venv/bin/python -m benchmarks.task_overhead [--tasks 400] [--workers 2] [--old FILE]

Each task takes a sweep's arguments and returns at once: ``(run, sweep, seed)`` as sweeps send
them now (the same sweep object for every run: sent to a Dask cluster once), and ``(run,
scenario, seed, metrics)`` as they did before (the point's scenario pickled into every task;
2 replications per point) for ``--old``. The sweep is ``scenarios/sweeps/levers_sobol.toml``.
Reported: the wall-clock time per task on a local process pool and on a Dask ``LocalCluster`` of
``--workers`` single-threaded worker processes (started before the clock starts, warmed up).
``--old FILE`` also times ``run_tasks`` from another version of ``executors.py`` (e.g.
``git show HEAD:sim/experiments/executors.py > /tmp/old.py``) on the same cluster.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import time
from typing import Any


def noop(run: int, *args: Any) -> int:
    """A task that does nothing (what is left is the executor's cost)."""
    return run


def _sweep() -> Any:
    from sim.experiments.sweep_file import load_sweep

    sweep = load_sweep("scenarios/sweeps/levers_sobol.toml")
    sweep.scenario(0)
    return sweep


def _tasks(n: int) -> list[tuple]:
    """``n`` tasks as a sweep sends them now: one sweep object for all."""
    sweep = _sweep()
    return [(i, sweep, i) for i in range(n)]


def _old_tasks(n: int) -> list[tuple]:
    """``n`` tasks as a sweep sent them before: the point's scenario in every task."""
    sweep = _sweep()
    scenarios = [sweep.scenario(p) for p in range(sweep.n_points)]
    return [(i, scenarios[(i // sweep.replications) % sweep.n_points], i, sweep.metrics) for i in range(n)]


def _time(run_tasks: Any, executor: Any, tasks: list[tuple]) -> float:
    started = time.perf_counter()
    for _ in run_tasks(executor, noop, tasks):
        pass
    return (time.perf_counter() - started) / len(tasks) * 1000.0


def main() -> None:
    """Print milliseconds per task for each executor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--old", help="another executors.py to time too")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    from sim.experiments.executors import DaskExecutor, open_executor, run_tasks

    with open_executor("process", workers=args.workers) as pool:
        _time(run_tasks, pool, _tasks(20))
        print(f"process pool, {args.workers} workers: {_time(run_tasks, pool, _old_tasks(args.tasks)):.2f} ms per task"
              " (scenario in every task)")  # fmt: skip
        print(f"process pool, {args.workers} workers: {_time(run_tasks, pool, _tasks(args.tasks)):.2f} ms per task"
              " (the sweep in every task)")  # fmt: skip
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=logging.ERROR) as cluster, Client(cluster) as client:  # fmt: skip
        client.run(lambda: __import__("sim.config"))
        _time(run_tasks, DaskExecutor(client), _tasks(20))
        if args.old:
            spec = importlib.util.spec_from_file_location("old_executors", args.old)
            old = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
            spec.loader.exec_module(old)  # type: ignore[union-attr]
            ms = _time(old.run_tasks, client.get_executor(pure=False), _old_tasks(args.tasks))
            print(f"Dask, {args.workers} workers, old run_tasks (scenario in every task): {ms:.2f} ms per task")
        ms = _time(run_tasks, DaskExecutor(client, share=False), _old_tasks(args.tasks))
        print(f"Dask, {args.workers} workers, run_tasks, scenario in every task: {ms:.2f} ms per task")
        ms = _time(run_tasks, DaskExecutor(client), _tasks(args.tasks))
        print(f"Dask, {args.workers} workers, run_tasks, the sweep sent once: {ms:.2f} ms per task")


if __name__ == "__main__":
    main()
