"""Where replications run: this process, a local process pool, or a Dask cluster.

Every runner in ``sim`` (``run``, ``compare``, ``sweep``, ``sensitivity``, ``calibrate``) hands its work to a
:class:`concurrent.futures.Executor`, so any executor works through the Python API: a
:class:`~concurrent.futures.ProcessPoolExecutor`, a Dask ``Client.get_executor()``, an MPI pool.
Results never depend on the executor: every task carries its own seed, and results are put
back in task order.

:func:`open_executor` builds the executors the command line offers (``--workers``,
``--executor dask``, ``--scheduler ADDRESS``); :func:`run_tasks` feeds tasks to an executor,
a few at a time, and yields results as they finish.

On a Dask cluster :func:`run_tasks` also watches the cluster: the number of tasks in flight
follows the worker threads as workers come and go, a scenario (any large argument) is sent to
the cluster once rather than with every task, and a lost scheduler or a cluster without workers
for :data:`NO_WORKER_TIMEOUT` seconds stops the run with :class:`ClusterLost` (the caller's
finished results are kept; a sweep is resumed with ``--resume``). A ``--scheduler`` address that
is malformed or does not answer within :data:`CONNECT_TIMEOUT` seconds is refused with
:class:`SchedulerUnavailable` before anything runs.
"""

from __future__ import annotations

import functools
import logging
import math
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, CancelledError, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Literal, get_args

_log = logging.getLogger(__name__)

ExecutorKind = Literal["process", "dask"]
#: The executors :func:`open_executor` builds, by name (the command line's ``--executor`` choices).
EXECUTOR_KINDS: tuple[ExecutorKind, ...] = get_args(ExecutorKind)

#: Seconds to wait for a Dask scheduler to answer (``--scheduler``). A scheduler on the same
#: network answers in milliseconds; Dask's own default (30 s, then a long traceback) only delays
#: the message about a mistyped host or port or a scheduler that is not running. Also how long
#: a client tries to reconnect after losing its scheduler before it gives up.
CONNECT_TIMEOUT = 5.0
#: Seconds a run on a Dask cluster waits with no worker at all before it stops (``--no-worker-timeout``):
#: long enough for a batch system to start a worker job on a busy cluster, short enough that a
#: cluster whose workers all died does not hold a sweep for hours.
NO_WORKER_TIMEOUT = 300.0
#: Tasks kept submitted on a Dask cluster, at least, whatever its size: with none or few workers,
#: queued work is what makes ``cluster.adapt()`` start more.
MIN_IN_FLIGHT = 4
#: Tasks kept submitted per worker thread on a Dask cluster: one running, one ready to start.
IN_FLIGHT_PER_SLOT = 2
#: Seconds between two looks at a Dask cluster (its workers, its scheduler) while tasks run.
WATCH_INTERVAL = 1.0


class SchedulerUnavailable(Exception):
    """A ``--scheduler`` address that is malformed, or whose scheduler does not answer; nothing ran."""


class ClusterLost(Exception):
    """A Dask cluster stopped being usable in the middle of a run: its scheduler was lost, or it
    had no worker for longer than the no-worker timeout. Finished results are the caller's to keep.
    """


class WorkersKilled(ClusterLost):
    """A run ended the Dask worker that ran it as many times in a row as Dask allows
    (``distributed.scheduler.allowed-failures``, 3 by default), and Dask gave up on it: most often
    the run needs more memory than a worker may use. Finished results are the caller's to keep.
    """


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
    if isinstance(executor, DaskExecutor):
        try:
            return max(1, executor.slots())
        except Exception:  # noqa: BLE001 - a cluster that is still starting
            return default_workers()
    client = getattr(executor, "_client", None)  # distributed.cfexecutor.ClientExecutor
    if client is not None:
        try:
            return max(1, sum(client.nthreads().values()))
        except Exception:  # noqa: BLE001 - a cluster that is still starting
            return default_workers()
    workers = getattr(executor, "_max_workers", None)  # ProcessPool / ThreadPool
    return int(workers) if workers else default_workers()


def as_executor(executor: Any) -> Executor:
    """Accept a ``concurrent.futures`` executor, or a Dask ``Client`` or its executor (made a :class:`DaskExecutor`)."""
    if isinstance(executor, Executor) and not type(executor).__module__.startswith("distributed"):
        return executor
    if type(executor).__module__.startswith("distributed") and hasattr(executor, "get_executor"):
        return DaskExecutor(executor)
    client = getattr(executor, "_client", None)  # a Dask client's executor: watch its cluster too
    if type(executor).__module__.startswith("distributed") and client is not None:
        return DaskExecutor(client)
    if isinstance(executor, Executor):
        return executor
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
    no_worker_timeout: float = NO_WORKER_TIMEOUT,
    notify: Callable[[str], None] | None = None,
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
        no_worker_timeout: Dask only: seconds without any worker after which a run stops
            with :class:`ClusterLost`.
        notify: Dask only: called with a one-line message when the cluster has no worker yet
            (default: a warning on the ``sim`` logger).

    Yields:
        The executor. On an error or Ctrl-C, queued tasks are cancelled and a local pool's worker
        processes are ended at once (they ignore Ctrl-C themselves), so nothing waits for them.

    Raises:
        SchedulerUnavailable: ``scheduler`` is malformed or does not answer within
            :data:`CONNECT_TIMEOUT` seconds.
    """
    if scheduler is not None or kind == "dask":
        with _dask_executor(workers, scheduler, no_worker_timeout, notify) as executor:
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
    pool = ProcessPoolExecutor(max_workers=n, mp_context=_safe_context(), initializer=_leave_interrupts_to_parent)
    try:
        yield pool
        pool.shutdown(wait=True)
    except BaseException:
        _stop_now(pool)
        raise


def _leave_interrupts_to_parent() -> None:
    """In a pool's worker process: ignore Ctrl-C (SIGINT); the parent stops the workers itself.

    A terminal sends Ctrl-C to every process of the command. A worker interrupted while it
    holds a lock of the pool's queues dies holding it, and the other workers then wait for it
    for ever (and the command with them, at exit).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop_now(pool: ProcessPoolExecutor) -> None:
    """Cancel the queued tasks and end the workers now, without waiting for the running ones.

    Uses two private attributes of ``ProcessPoolExecutor`` (its processes and its result queue;
    Python's own ``terminate_workers``, new in 3.14, does the first half): a worker ended while
    it sends a result leaves the pool's manager thread waiting for the rest of the message, so
    the queue's writing end is closed once the workers are gone, and the wait ends.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())  # before shutdown forgets them
    results = getattr(pool, "_result_queue", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join()
    writer = getattr(results, "_writer", None)
    if writer is not None:
        writer.close()


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


#: The protocols of Dask's scheduler addresses (``distributed.comm.registry.backends``).
SCHEDULER_PROTOCOLS = ("tcp", "tls", "inproc", "ucx", "ws", "wss")
#: A scheduler's port when the address has none (Dask's default).
DEFAULT_SCHEDULER_PORT = 8786


def check_scheduler_address(address: str) -> str | None:
    """Why ``address`` is not a Dask scheduler address, or ``None`` if it looks like one.

    Accepted: ``[PROTOCOL://]HOST[:PORT]`` with a protocol Dask knows (``tcp`` if none is given),
    a host, and a port from 1 to 65535 (8786, Dask's default, if none is given); IPv6 hosts in
    brackets (``tcp://[::1]:8786``). Checked without importing Dask, so a typo is refused at once.
    """
    expected = "expected PROTOCOL://HOST:PORT, e.g. tcp://10.0.0.5:8786"
    protocol, sep, location = address.strip().rpartition("://")
    protocol = protocol if sep else "tcp"
    if protocol not in SCHEDULER_PROTOCOLS:
        return f"{address!r}: unknown protocol {protocol!r} (allowed: {', '.join(SCHEDULER_PROTOCOLS)}); {expected}"
    if protocol == "inproc":
        return None if location else f"{address!r}: nothing after {protocol}://; {expected}"
    if location.startswith("["):
        host, bracket, rest = location[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return f"{address!r}: an IPv6 host must be in brackets, e.g. tcp://[::1]:8786"
        port = rest[1:] if rest else None
    else:
        host, colon, port_text = location.rpartition(":")
        host, port = (host, port_text) if colon else (location, None)
    if not host or "/" in host or " " in host:
        return f"{address!r}: no host name or IP address; {expected}"
    if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
        return f"{address!r}: the port must be a whole number from 1 to 65535, not {port!r}; {expected}"
    return None


class DaskExecutor(Executor):
    """A Dask client as a ``concurrent.futures`` executor that :func:`run_tasks` can watch.

    ``submit`` goes through the client's own executor (``pure=False``). Besides, it knows the
    client (to count worker threads and see a lost scheduler), how long to wait for a worker and
    whom to tell while it waits, and it sends large arguments to the cluster once
    (:meth:`shared`).
    """

    def __init__(
        self,
        client: Any,
        *,
        no_worker_timeout: float = NO_WORKER_TIMEOUT,
        notify: Callable[[str], None] | None = None,
        share: bool = True,
    ) -> None:
        self.client = client
        self.share = share
        self.no_worker_timeout = no_worker_timeout
        self.notify = notify or logging.getLogger("sim").warning
        self._executor = client.get_executor(pure=False)
        self._shared: dict[int, tuple[Any, Any]] = {}
        self._address: str | None = None
        self._address = self.address

    @property
    def address(self) -> str:
        """The scheduler's address (also once the connection is lost)."""
        if self._address is None:
            self._address = str(getattr(self.client.scheduler, "address", "?"))
        return self._address

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Submit ``fn(*args, **kwargs)``; large arguments go to the cluster once (see :meth:`shared`)."""
        return self._executor.submit(fn, *(self.shared(a) for a in args), **kwargs)

    def shared(self, value: Any) -> Any:
        """``value`` itself if it is small (a number, text), else a reference to one copy on the cluster.

        The first time an object is seen it becomes a task of its own that returns it; tasks
        that take it then carry the reference, and their workers fetch the value once from the
        worker that holds it, rather than the scheduler carrying a pickled copy in every task.
        A task rather than ``scatter``: if the worker holding the copy dies, the scheduler runs
        that task again elsewhere (scattered data would be lost with it), and submitting does not
        wait for a worker to exist.
        """
        if not self.share or value is None or isinstance(value, int | float | str | bool | bytes):
            return value
        if isinstance(value, tuple) and all(isinstance(v, int | float | str | bool) for v in value):
            return value
        key = id(value)
        if key not in self._shared:
            if len(self._shared) >= 64:  # a sweep's points come in order: forget the oldest
                self._shared.pop(next(iter(self._shared)))
            # the value is kept too, so that its id cannot be reused while the reference lives
            self._shared[key] = (value, self.client.submit(_identity, value, pure=False))
        return self._shared[key][1]

    def slots(self) -> int:
        """Worker threads in the cluster now (0 without workers)."""
        return int(sum(self.client.nthreads().values()))

    def connected(self) -> bool:
        """Whether the client is still connected to its scheduler."""
        return self.client.status == "running"

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Forget the shared values (the client is closed by whoever opened it)."""
        self._shared.clear()
        self._executor.shutdown(wait=wait)


def _identity(value: Any) -> Any:
    """``value`` (the task that holds a shared argument on a Dask cluster)."""
    return value


@contextmanager
def _dask_executor(
    workers: int | None, scheduler: str | None, no_worker_timeout: float, notify: Callable[[str], None] | None
) -> Iterator[Executor]:
    """A :class:`DaskExecutor` on a new ``LocalCluster`` or on the scheduler at ``scheduler``."""
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
        problem = check_scheduler_address(scheduler)
        if problem is not None:
            raise SchedulerUnavailable(problem)
        # A lost scheduler is reported once, by run_tasks (ClusterLost); the client's own log
        # lines about reconnecting and closing would only bury that message.
        quiet = _quiet_logs(logging.CRITICAL)
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            quiet()
            raise SchedulerUnavailable(
                f"no Dask scheduler answered at {scheduler} within {CONNECT_TIMEOUT:g} s: check that it "
                "is running and that the host and port are the ones it printed when it started"
            ) from exc
        except BaseException:
            quiet()
            raise
    executor = DaskExecutor(client, no_worker_timeout=no_worker_timeout, notify=notify)
    try:
        yield executor
    finally:
        executor.shutdown(wait=False)
        if cluster is None:
            try:
                client.close(timeout=CONNECT_TIMEOUT)
            except Exception as exc:  # noqa: BLE001 - a client whose scheduler is gone cannot close cleanly
                logging.getLogger("sim").debug("closing the Dask client: %s", exc)
            quiet()
        else:
            client.close()
            cluster.close()


def _quiet_logs(level: int) -> Callable[[], None]:
    """Raise the level of Dask's client-side loggers to ``level``; return what puts them back.

    Dask's logging configuration gives some loggers (``distributed.client``, ...) levels of their
    own, so every logger under ``distributed`` and ``tornado`` is set, not only the parents.
    """
    names = [name for name in list(logging.root.manager.loggerDict) if name.split(".")[0] in ("distributed", "tornado")]
    loggers = [logging.getLogger(name) for name in ("distributed", "tornado", *names)]
    before = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(level)

    def restore() -> None:
        for lg, old in zip(loggers, before, strict=True):
            lg.setLevel(old)

    return restore


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

    On a :class:`DaskExecutor` (what :func:`open_executor` and :func:`as_executor` give for
    Dask) the default follows the cluster: every :data:`WATCH_INTERVAL` seconds the worker
    threads are counted again and :data:`IN_FLIGHT_PER_SLOT` tasks per thread are kept
    submitted, at least :data:`MIN_IN_FLIGHT`. Without any worker, ``notify`` is called once
    (and again if the workers come and go); after ``no_worker_timeout`` seconds without one, or
    when the scheduler is lost, :class:`ClusterLost` is raised.

    Args:
        executor: Any ``concurrent.futures`` executor.
        fn: A function importable by the workers (defined at module level).
        tasks: Argument tuples.
        max_pending: Tasks submitted but not yet yielded, at most (fixed).

    Yields:
        ``(task, result)`` in the order the tasks finish.

    Raises:
        ClusterLost: A Dask cluster lost its scheduler or had no worker for too long.
        WorkersKilled: A run ended its Dask worker as often as Dask allows (a :class:`ClusterLost`).
        Exception: The first task's error, with a note naming the task.
    """
    watch = _Watch(executor) if isinstance(executor, DaskExecutor) else None
    if max_pending is None and watch is None:
        max_pending = 1 if isinstance(executor, SerialExecutor) else 2 * capacity(executor)
    queue = iter(tasks)
    pending: dict[Future, T] = {}

    def fill() -> None:
        limit = max_pending if max_pending is not None else watch.in_flight()  # type: ignore[union-attr]
        while len(pending) < limit:
            task = next(queue, None)
            if task is None:
                return
            pending[executor.submit(fn, *task)] = task

    try:
        if watch is not None:
            watch.look()
        fill()
        while pending:
            done, _ = wait(list(pending), timeout=WATCH_INTERVAL if watch else None, return_when=FIRST_COMPLETED)
            for future in done:
                task = pending.pop(future)
                try:
                    result = future.result()
                except CancelledError:
                    if watch is not None:
                        raise ClusterLost(watch.lost()) from None
                    raise
                except Exception as exc:
                    if type(exc).__name__ == "KilledWorker":  # distributed's, not imported here
                        allowed = getattr(exc, "allowed_failures", None)  # retries Dask allows
                        deaths = "several" if allowed is None else str(allowed + 1)
                        raise WorkersKilled(
                            f"the run {_describe(task)} ended the Dask worker running it, {deaths} time(s) in a row, "
                            "and Dask gave up on it "
                            "(most often the run needs more memory than a worker may use: give the workers more "
                            "memory, e.g. dask worker --memory-limit, or the SLURM job more)"
                        ) from None
                    exc.add_note(f"while running {getattr(fn, '__name__', fn)} on task {_describe(task)}")
                    raise
                yield task, result
            if watch is not None:
                watch.look()
            fill()
    finally:
        for future in pending:
            future.cancel()


class _Watch:
    """What :func:`run_tasks` knows about a Dask cluster: worker threads now, since when there are none."""

    def __init__(self, executor: DaskExecutor) -> None:
        self.executor = executor
        self.slots = 0
        self.idle_since: float | None = None
        self.last_look = -math.inf

    def in_flight(self) -> int:
        """Tasks to keep submitted now."""
        return max(MIN_IN_FLIGHT, IN_FLIGHT_PER_SLOT * self.slots)

    def lost(self) -> str:
        """The message for a lost scheduler."""
        return f"lost the connection to the Dask scheduler at {self.executor.address}"

    def look(self) -> None:
        """Count the worker threads again (at most every :data:`WATCH_INTERVAL` seconds).

        Raises:
            ClusterLost: The scheduler is gone, or there was no worker for too long.
        """
        if not self.executor.connected():
            raise ClusterLost(self.lost())
        now = time.monotonic()
        if now - self.last_look < WATCH_INTERVAL:
            return
        self.last_look = now
        try:
            slots = self.executor.slots()
        except (OSError, TimeoutError) as exc:
            raise ClusterLost(self.lost()) from exc
        if slots != self.slots:
            keep = max(MIN_IN_FLIGHT, IN_FLIGHT_PER_SLOT * slots)
            _log.debug("%d worker threads: keeping %d tasks in flight", slots, keep)
        self.slots = slots
        if self.slots > 0:
            self.idle_since = None
            return
        if self.idle_since is None:
            self.idle_since = now
            limit = self.executor.no_worker_timeout
            self.executor.notify(
                f"waiting for workers: the Dask scheduler at {self.executor.address} has none "
                f"(the run stops after {limit:g} s without one)"
            )
        elif now - self.idle_since > self.executor.no_worker_timeout:
            raise ClusterLost(
                f"no worker joined the Dask scheduler at {self.executor.address} "
                f"for {self.executor.no_worker_timeout:g} s"
            )


def _describe(task: tuple) -> str:
    """A short description of a task for error messages (no large objects)."""
    parts = [repr(a) if isinstance(a, int | float | str) else type(a).__name__ for a in task]
    return "(" + ", ".join(parts) + ")"
