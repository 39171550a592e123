"""Where replications run: this process, a local process pool, or a Dask cluster.

Every runner in ``sim`` (``run``, ``compare``, ``sweep``, ``sensitivity``, ``calibrate``) hands its work to a
:class:`concurrent.futures.Executor`, so any executor works through the Python API: a
:class:`~concurrent.futures.ProcessPoolExecutor`, a Dask ``Client.get_executor()``, an MPI pool.
Results never depend on the executor: every task carries its own seed, and results are put
back in task order.

:func:`open_executor` builds the executors the command line offers (``--workers``,
``--executor dask``, ``--scheduler ADDRESS``); :func:`run_tasks` feeds tasks to an executor,
a few at a time, and yields results as they finish.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Literal, get_args

ExecutorKind = Literal["process", "dask"]
#: The executors :func:`open_executor` builds, by name (the command line's ``--executor`` choices).
EXECUTOR_KINDS: tuple[ExecutorKind, ...] = get_args(ExecutorKind)


class SerialExecutor(Executor):
    """Runs each task in this process, at once, when it is submitted (``--workers 1``)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` now and return a finished future."""
        future: Future = Future()
        future.set_running_or_notify_cancel()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        else:
            future.set_result(result)
        return future


def progress_bar(**kwargs: Any) -> Any:
    """A tqdm progress bar (runs done, rate, time left) without tqdm's monitor thread.

    Worker processes may be forked after the bar appears; a process without extra threads can
    safely use ``fork``.
    """
    return _bar_class()(**kwargs)


@functools.cache
def _bar_class() -> type:
    from tqdm import tqdm

    class Bar(tqdm):
        monitor_interval = 0

    return Bar


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def capacity(executor: Executor) -> int:
    """How many tasks ``executor`` runs at once (a guess for unknown executors)."""
    if isinstance(executor, SerialExecutor):
        return 1
    client = getattr(executor, "_client", None)  # distributed.cfexecutor.ClientExecutor
    if client is not None:
        try:
            return max(1, sum(client.nthreads().values()))
        except Exception:  # noqa: BLE001 - a cluster that is still starting
            return default_workers()
    workers = getattr(executor, "_max_workers", None)  # ProcessPool / ThreadPool
    return int(workers) if workers else default_workers()


def as_executor(executor: Any) -> Executor:
    """Accept a ``concurrent.futures`` executor or a Dask ``Client`` (turned into its executor)."""
    if isinstance(executor, Executor):
        return executor
    if type(executor).__module__.startswith("distributed") and hasattr(executor, "get_executor"):
        return executor.get_executor(pure=False)
    raise TypeError(
        f"executor must be a concurrent.futures.Executor or a dask.distributed.Client, not {type(executor).__name__}"
    )


@contextmanager
def open_executor(
    kind: ExecutorKind = "process",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    tasks: int | None = None,
) -> Iterator[Executor]:
    """An executor for the command line's options, shut down on leaving the ``with`` block.

    Args:
        kind: ``"process"`` for a local process pool (one process with ``workers=1``), or
            ``"dask"`` for Dask distributed: a ``LocalCluster`` of ``workers`` single-threaded
            worker processes, or the existing cluster at ``scheduler``.
        workers: Processes (default: the number of cores). Ignored with ``scheduler``.
        scheduler: Address of a running Dask scheduler, e.g. ``tcp://10.0.0.5:8786``; implies
            ``kind="dask"``.
        tasks: The number of tasks to come; a local pool never starts more processes than that.

    Yields:
        The executor. On an error or Ctrl-C, queued tasks are cancelled and nothing waits for them.
    """
    if scheduler is not None or kind == "dask":
        with _dask_executor(workers, scheduler) as executor:
            yield executor
        return
    if kind != "process":
        raise ValueError(f"unknown executor {kind!r}; allowed: {', '.join(EXECUTOR_KINDS)}")
    n = workers or default_workers()
    if tasks is not None:
        n = min(n, max(tasks, 1))
    if n <= 1:
        yield SerialExecutor()
        return
    pool = ProcessPoolExecutor(max_workers=n, mp_context=_safe_context())
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _safe_context() -> multiprocessing.context.BaseContext:
    """The platform's default start method, but never ``fork`` while other Python threads run.

    Forking while another Python thread holds a lock (a notebook's Dask client, say) can
    deadlock the child; ``forkserver`` (or ``spawn``) starts the workers from a clean process
    instead, at the cost of a second or two of start-up. Native thread pools (OpenBLAS, Arrow)
    protect themselves across ``fork``, as every ``ProcessPoolExecutor`` on Linux relies on.
    """
    default = multiprocessing.get_start_method(allow_none=False)
    if default != "fork" or threading.active_count() == 1:
        return multiprocessing.get_context(default)
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


@contextmanager
def _dask_executor(workers: int | None, scheduler: str | None) -> Iterator[Executor]:
    """A Dask ``ClientExecutor`` on a new ``LocalCluster`` or on the scheduler at ``scheduler``."""
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers or default_workers(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port, never a clash with a running dashboard
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@contextmanager
def borrowed(executor: Any) -> Iterator[Executor]:
    """Hand out an executor (or Dask client) the caller owns, without shutting it down."""
    yield as_executor(executor)


def run_tasks[T: tuple, R](
    executor: Executor,
    fn: Callable[..., R],
    tasks: Iterable[T],
    *,
    max_pending: int | None = None,
) -> Iterator[tuple[T, R]]:
    """Run ``fn(*task)`` for every task on ``executor``; yield ``(task, result)`` as each finishes.

    Only ``max_pending`` tasks are handed to the executor at a time (default: twice its
    capacity, one for a :class:`SerialExecutor`), so an interrupted run has little in flight and
    the caller sees (and can save) each result soon after it is ready.

    Args:
        executor: Any ``concurrent.futures`` executor.
        fn: A function importable by the workers (defined at module level).
        tasks: Argument tuples.
        max_pending: Tasks submitted but not yet yielded, at most.

    Yields:
        ``(task, result)`` in the order the tasks finish.

    Raises:
        Exception: The first task's error, with a note naming the task.
    """
    if max_pending is None:
        max_pending = 1 if isinstance(executor, SerialExecutor) else 2 * capacity(executor)
    queue = iter(tasks)
    pending: dict[Future, T] = {}

    def fill() -> None:
        while len(pending) < max_pending:
            task = next(queue, None)
            if task is None:
                return
            pending[executor.submit(fn, *task)] = task

    try:
        fill()
        while pending:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for future in done:
                task = pending.pop(future)
                try:
                    result = future.result()
                except Exception as exc:
                    exc.add_note(f"while running {getattr(fn, '__name__', fn)} on task {_describe(task)}")
                    raise
                yield task, result
            fill()
    finally:
        for future in pending:
            future.cancel()


def _describe(task: tuple) -> str:
    """A short description of a task for error messages (no large objects)."""
    parts = [repr(a) if isinstance(a, int | float | str) else type(a).__name__ for a in task]
    return "(" + ", ".join(parts) + ")"
