"""Executors: this process, a local process pool, Dask distributed, any ``concurrent.futures`` executor.

The rule: results do not depend on the executor or the number of workers. The same sweep gives
identical rows in one process, on two worker processes, on a thread pool and on a Dask cluster
(started here, and shut down at the end of the module).
"""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments.executors import SerialExecutor, as_executor, capacity, open_executor, run_tasks
from sim.experiments.replications import run_scenario
from sim.experiments.sweep_file import load_sweep
from sim.experiments.sweeps import read_runs, run_sweep
from tests.conftest import small
from tests.test_sweep import tiny_spec, write_toml

runner = CliRunner()
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")


def _square(x: int) -> int:
    return x * x


def _sigint_handler(started: str | None = None) -> object:
    """In a worker: what Ctrl-C does here; with ``started``, write that file, then wait a minute."""
    if started is not None:
        Path(started).write_text("running", encoding="utf-8")
        time.sleep(60.0)
    return signal.getsignal(signal.SIGINT)


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x


# ----------------------------------------------------------------------------- the pieces


def test_serial_executor_runs_at_submit_and_keeps_errors_in_the_future():
    """``SerialExecutor`` runs a task when submitted; an error is held by the future, not raised."""
    ex = SerialExecutor()
    ok = ex.submit(_square, 4)
    assert ok.done() and ok.result() == 16
    bad = ex.submit(_fail_on_three, 3)
    assert bad.done() and isinstance(bad.exception(), ValueError)


def test_run_tasks_yields_every_result_and_bounds_the_tasks_in_flight():
    """Every task's result comes back once; never more than ``max_pending`` are submitted and unfinished."""
    in_flight = 0
    most = 0
    lock = threading.Lock()

    class Counting(ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs) -> Future:
            nonlocal in_flight, most
            with lock:
                in_flight += 1
                most = max(most, in_flight)
            return super().submit(fn, *args, **kwargs)

    with Counting(max_workers=3) as pool:
        results = {}
        for (x,), y in run_tasks(pool, _square, [(i,) for i in range(20)], max_pending=4):
            with lock:
                in_flight -= 1
            results[x] = y
    assert results == {i: i * i for i in range(20)}
    assert most <= 4


def test_run_tasks_raises_the_first_error_naming_the_task():
    """A failing task stops the run with its own error and a note naming the task."""
    with pytest.raises(ValueError, match="three") as info:
        list(run_tasks(SerialExecutor(), _fail_on_three, [(i,) for i in range(6)]))
    assert any("(3)" in note for note in info.value.__notes__)


def test_as_executor_and_capacity():
    """Executors pass through; other objects are refused; capacity is the pool size (1 in process)."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert as_executor(pool) is pool and capacity(pool) == 3
    assert capacity(SerialExecutor()) == 1
    with pytest.raises(TypeError, match="concurrent.futures"):
        as_executor(object())
    with open_executor("process", workers=1) as ex:
        assert isinstance(ex, SerialExecutor)
    with open_executor("process", workers=8, tasks=2) as ex:
        assert capacity(ex) == 2, "never more processes than tasks"


def test_ctrl_c_is_left_to_the_parent_which_ends_the_workers_at_once(tmp_path):
    """A local pool's workers ignore SIGINT (a terminal sends Ctrl-C to every process; a worker
    interrupted inside the pool's queues can die holding a lock and hang the rest), and an
    interrupt in the parent ends them at once instead of waiting for the tasks they run."""
    # As in a terminal: Ctrl-C raises KeyboardInterrupt here (a test run in the background
    # ignores SIGINT, and forked workers would inherit that whatever the pool does).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _ctrl_c_checks(tmp_path)
    finally:
        signal.signal(signal.SIGINT, previous)


def _ctrl_c_checks(tmp_path: Path) -> None:
    """The workers ignore SIGINT; an interrupt in the ``with`` block ends a running task's worker."""
    with open_executor("process", workers=2) as pool:
        assert pool.submit(_sigint_handler).result() is signal.SIG_IGN
    started, marker = time.monotonic(), tmp_path / "started"
    with pytest.raises(KeyboardInterrupt), open_executor("process", workers=2) as pool:
        pool.submit(_sigint_handler, str(marker))
        while not marker.exists() and time.monotonic() - started < 30.0:
            time.sleep(0.01)
        assert marker.exists(), "the task did not start"
        workers = list(pool._processes.values())
        raise KeyboardInterrupt
    for process in workers:
        process.join(timeout=10.0)
    assert not any(process.is_alive() for process in workers), "the running task was waited for"


# ----------------------------------------------------------------------------- same results everywhere


@pytest.fixture(scope="module")
def dask_cluster():
    """A two-worker Dask cluster in this process (threads), shut down after the module."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0", silence_logs=50
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def reference():
    """The tiny sweep run in this process: the rows every executor must reproduce."""
    return run_sweep(load_sweep(tiny_spec()), None, workers=1).runs


def test_sweep_rows_identical_on_one_and_two_workers_and_threads(reference):
    """1 worker, 2 worker processes and a thread pool give identical rows."""
    sweep = load_sweep(tiny_spec())
    two = run_sweep(sweep, None, workers=2).runs
    pd.testing.assert_frame_equal(two, reference)
    with ThreadPoolExecutor(max_workers=2) as pool:
        threads = run_sweep(sweep, None, executor=pool).runs
    pd.testing.assert_frame_equal(threads, reference)


def test_sweep_rows_identical_on_dask(reference, dask_cluster, tmp_path):
    """A Dask cluster (through its client, or the client's executor) gives identical rows, written to disk."""
    sweep = load_sweep(tiny_spec())
    via_client = run_sweep(sweep, tmp_path / "dask", executor=dask_cluster)
    pd.testing.assert_frame_equal(read_runs(tmp_path / "dask"), reference)
    assert via_client.complete
    via_executor = run_sweep(sweep, None, executor=dask_cluster.get_executor(pure=False)).runs
    pd.testing.assert_frame_equal(via_executor, reference)


def test_cli_sweep_with_scheduler_address(reference, dask_cluster, tmp_path):
    """``pathways sweep --scheduler ADDRESS`` runs on an existing cluster and gives the same rows."""
    path = write_toml(tmp_path / "tiny.toml", tiny_spec())
    out = tmp_path / "out"
    address = dask_cluster.scheduler.address
    result = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--scheduler", address, "--no-figures"])
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(read_runs(out), reference)


def test_run_scenario_identical_on_dask_and_processes(dask_cluster):
    """``run_scenario`` gives the same replications in process, on 2 processes and on Dask."""
    scenario = small(years=2.0, warmup_days=180.0, replications=3)
    here = run_scenario(scenario, workers=1, progress=False)
    pool = run_scenario(scenario, workers=2, progress=False)
    dask = run_scenario(scenario, executor=dask_cluster, progress=False)
    for other in (pool, dask):
        pd.testing.assert_frame_equal(other.replications, here.replications)
        pd.testing.assert_frame_equal(other.spells, here.spells)
    assert dask.summary == here.summary


def test_cli_executor_dask_starts_and_stops_a_local_cluster(reference, tmp_path):
    """``--executor dask`` starts a LocalCluster of worker processes, runs the sweep on it and shuts it down."""
    import multiprocessing

    before = {p.pid for p in multiprocessing.active_children()}
    path = write_toml(tmp_path / "tiny.toml", tiny_spec())
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["sweep", str(path), "--out", str(out), "--executor", "dask", "--workers", "1", "--no-figures"]
    )
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(read_runs(out), reference)
    left = {p.pid for p in multiprocessing.active_children()} - before
    assert not left, "the cluster's worker processes are gone"


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("tcp://10.0.0.5:8786", True),
        ("localhost:8786", True),
        ("tcp://node1", True),
        ("tcp://[::1]:8786", True),
        ("inproc://10.0.0.5/123/1", True),
        ("127.0.0.1:notaport", False),
        ("tcp://127.0.0.1:99999", False),
        ("tcp://:8786", False),
        ("foo://x:1", False),
        ("tcp://host:", False),
    ],
)
def test_scheduler_addresses_are_checked_without_dask(address, ok):
    """A malformed ``--scheduler`` is found before anything connects; a good one passes."""
    from sim.experiments.executors import check_scheduler_address

    problem = check_scheduler_address(address)
    assert (problem is None) == ok, problem
    if not ok:
        assert address in problem and "tcp://" in problem


def _end_the_worker(x: int) -> int:
    """A run that ends the worker process running it (as a run that exhausts a worker's memory does)."""
    import os

    if x == 2:
        os._exit(1)
    return x


def test_a_run_that_keeps_killing_its_worker_is_one_clear_error():
    """Dask gives up on a run that ended its worker as often as allowed (here once): run_tasks raises
    WorkersKilled (a ClusterLost, so the commands save the finished runs, print the command that
    finishes them and exit 3), naming the run, instead of Dask's KilledWorker traceback."""
    distributed = pytest.importorskip("distributed")
    import dask

    from sim.experiments.executors import ClusterLost, WorkersKilled

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
        )
        client = distributed.Client(cluster)
        try:
            seen = []
            with pytest.raises(WorkersKilled, match=r"the run \(2\) ended the Dask worker running it, 1 time\(s\) in a row") as info:
                for task, result in run_tasks(as_executor(client), _end_the_worker, [(1,), (2,), (3,)], max_pending=1):
                    seen.append(result)
            assert isinstance(info.value, ClusterLost) and seen == [1]
        finally:
            client.close()
            cluster.close()
