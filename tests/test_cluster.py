"""Sweeps on a real Dask cluster that grows, shrinks and fails (issue 16).

Each test starts its own ``dask scheduler`` and ``dask worker`` processes on localhost (random
free ports, own process groups) and stops them at the end, whatever happens. The sweep is small
(16 points x 2 replications of half-year runs) and runs as ``pathways sweep`` in a subprocess,
as a researcher would run it, so exit codes and messages are the real ones. What is checked:

- the rows on the cluster are identical to the process pool's, with workers that join after the
  sweep started (it says once that it waits for workers) and a worker killed in the middle;
- a scheduler killed in the middle ends the sweep with exit code 3, one message and the command
  that finishes it; that command, pointed at a new scheduler, gives the same rows;
- a cluster without workers stops the sweep after ``--no-worker-timeout`` seconds (exit 3);
- a malformed or unreachable ``--scheduler`` is refused with exit code 2 and one message;
- Ctrl-C prints a resume command with every option the sweep was started with.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from sim.experiments.sweep_file import load_sweep
from sim.experiments.sweeps import finished_runs, read_runs, run_sweep
from tests.conftest import REPO
from tests.test_sweep import write_toml

pytest.importorskip("distributed")
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")

BIN = Path(sys.executable).parent
DASK = str(BIN / "dask")
PATHWAYS = [sys.executable, "-m", "sim"]
STARTUP = 60.0  # seconds a process may take to start on a busy 2-core machine
SWEEP_TIME = 180.0  # seconds a whole small sweep may take, at most


def spec(**changes: object) -> dict:
    """16 points x 2 replications of half-year runs (about 0.1 s of work each), with ``changes`` on top."""
    return {
        "name": "cluster",
        "base": "baseline",
        "design": "grid",
        "replications": 2,
        "seed": 11,
        "metrics": ["temp_spells_over_90d_share", "waitlist_mean"],
        "set": {"run.years": 0.5, "run.warmup_days": 30.0},
        "parameters": [
            {"key": "choice.max_declines", "levels": [0, 1, 2, "unlimited"]},
            {"key": "treatment.beds", "levels": [15, 20, 25, 30]},
        ],
    } | changes


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    """The rows of the sweep run in this process: what every cluster run must reproduce."""
    return run_sweep(load_sweep(spec()), None, workers=1).runs


def free_port() -> int:
    """A TCP port on localhost that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout: float, what: str, step: float = 0.1) -> None:
    """Poll ``condition`` until it is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(step)


def listening(port: int) -> bool:
    """Whether something accepts connections on ``port``."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


class Cluster:
    """A scheduler and workers started as processes; :meth:`stop` ends every one of them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.procs: list[subprocess.Popen] = []
        self.scheduler: subprocess.Popen | None = None
        self.address = ""

    def _start(self, args: list[str], log: str) -> subprocess.Popen:
        out = open(self.folder / log, "ab")  # noqa: SIM115 - closed with the process's stop
        proc = subprocess.Popen(args, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        self.procs.append(proc)
        return proc

    def start_scheduler(self) -> str:
        """Start a scheduler on a free port; return its address once it accepts connections."""
        port = free_port()
        self.scheduler = self._start(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], f"scheduler-{port}.log"
        )
        wait_for(lambda: listening(port), STARTUP, "the scheduler")
        self.address = f"tcp://127.0.0.1:{port}"
        return self.address

    def start_worker(self) -> subprocess.Popen:
        """Start one single-threaded worker without a nanny (so killing it loses it for good)."""
        n = len(self.procs)
        return self._start(
            [DASK, "worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard"], f"worker-{n}.log"
        )

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL ``proc`` and its children."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop(self) -> None:
        """End every process started here: the workers first, then the schedulers."""
        workers = [p for p in self.procs if "worker" in p.args]
        schedulers = [p for p in self.procs if p not in workers]
        for group in (workers, schedulers):
            for proc in group:
                if proc.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGTERM)
            for proc in group:
                try:
                    proc.wait(timeout=5)  # a worker whose scheduler is gone may linger, reconnecting
                except subprocess.TimeoutExpired:
                    self.kill(proc)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """Processes of a Dask cluster for one test, all stopped at its end."""
    c = Cluster(tmp_path)
    try:
        yield c
    finally:
        c.stop()


def _default_sigint() -> None:
    """In the child, before exec: SIGINT back to its default disposition."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Sweep:
    """``pathways sweep`` running in a subprocess, its output in files."""

    def __init__(self, folder: Path, args: list[str]) -> None:
        self.folder = folder
        self.stderr_path = folder / "sweep.err"
        with open(folder / "sweep.out", "wb") as out, open(self.stderr_path, "wb") as err:
            # A test run started as a background job ignores SIGINT, and an ignored signal stays ignored across exec:
            # give the sweep the default disposition, so Ctrl-C reaches it as it would from a shell.
            self.proc = subprocess.Popen([*PATHWAYS, "sweep", *args], cwd=REPO, stdout=out, stderr=err,
                                         start_new_session=True, preexec_fn=_default_sigint)  # noqa: PLW1509  # fmt: skip

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float = SWEEP_TIME) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            pytest.fail(f"the sweep did not end within {timeout:g} s; stderr:\n{self.stderr}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def sweeps() -> Iterator[list[Sweep]]:
    """Sweeps started by a test, killed at its end if still running."""
    started: list[Sweep] = []
    yield started
    for s in started:
        s.stop()


def resume_command(stderr: str) -> list[str]:
    """The ``pathways sweep ... --resume`` command printed on stderr, as arguments after ``sweep``."""
    line = next(line for line in stderr.splitlines() if line.strip().startswith("pathways sweep"))
    return shlex.split(line.strip().strip("`"))[2:]


# ----------------------------------------------------------------------------- tests


def test_late_workers_get_work_and_a_killed_worker_loses_nothing(cluster, sweeps, reference, tmp_path):
    """Started before any worker: says so once; workers joining later run it; one killed mid-sweep; same rows."""
    path = write_toml(tmp_path / "cluster.toml", spec())
    out = tmp_path / "out"
    address = cluster.start_scheduler()
    sweep = Sweep(tmp_path, [str(path), "--out", str(out), "--scheduler", address, "--no-figures"])
    sweeps.append(sweep)
    wait_for(lambda: "waiting for workers" in sweep.stderr, STARTUP, "the sweep to say it waits for workers")
    doomed = cluster.start_worker()
    cluster.start_worker()
    wait_for(lambda: len(finished_runs(out)) >= 3, STARTUP, "the first runs on the late workers")
    cluster.kill(doomed)
    killed_at = len(finished_runs(out))
    assert sweep.wait() == 0, sweep.stderr
    assert killed_at < 32, "the worker was killed in the middle of the sweep"
    assert sweep.stderr.count("waiting for workers") == 1
    assert "Traceback" not in sweep.stderr
    pd.testing.assert_frame_equal(read_runs(out), reference)


def test_scheduler_lost_exits_3_with_the_resume_command_and_resume_finishes(cluster, sweeps, reference, tmp_path):
    """Scheduler killed mid-sweep: exit 3, one message, runs kept; the printed command on a new scheduler finishes it."""
    path = write_toml(tmp_path / "cluster.toml", spec())
    out = tmp_path / "out"
    old = cluster.start_scheduler()
    first = cluster.scheduler
    cluster.start_worker()
    sweep = Sweep(tmp_path, [str(path), "--out", str(out), "--scheduler", old, "--no-figures",
                             "--no-worker-timeout", "120"])  # fmt: skip
    sweeps.append(sweep)
    wait_for(lambda: len(finished_runs(out)) >= 3, SWEEP_TIME, "the first runs")
    cluster.kill(first)
    killed = time.monotonic()
    assert sweep.wait() == 3, sweep.stderr
    assert time.monotonic() - killed < 30, "the sweep stops soon after losing its scheduler"
    err = sweep.stderr
    assert "Traceback" not in err and "lost the connection to the Dask scheduler" in err, err
    saved = len(finished_runs(out))
    assert 3 <= saved < 32 and f"{saved} of 32 runs are saved" in err
    args = resume_command(err)
    at = args.index("--no-worker-timeout")
    assert args[-1] == "--resume" and args[at : at + 2] == ["--no-worker-timeout", "120"]
    assert "--no-figures" in args and old in args
    new = cluster.start_scheduler()
    cluster.start_worker()
    args[args.index(old)] = new
    again = Sweep(tmp_path, args)
    sweeps.append(again)
    assert again.wait() == 0, again.stderr
    pd.testing.assert_frame_equal(read_runs(out), reference)


def test_no_worker_for_the_timeout_exits_3(cluster, sweeps, tmp_path):
    """A cluster without workers: the sweep says it waits, then stops after --no-worker-timeout with exit 3."""
    path = write_toml(tmp_path / "cluster.toml", spec())
    out = tmp_path / "out"
    address = cluster.start_scheduler()
    sweep = Sweep(tmp_path, [str(path), "--out", str(out), "--scheduler", address, "--no-worker-timeout", "2"])
    sweeps.append(sweep)
    assert sweep.wait() == 3, sweep.stderr
    err = sweep.stderr
    assert "waiting for workers" in err and "no worker joined the Dask scheduler" in err and "for 2 s" in err, err
    assert "0 of 32 runs are saved" in err and "Traceback" not in err
    assert resume_command(err) == [str(path), "--out", str(out), "--scheduler", address,
                                   "--no-worker-timeout", "2", "--resume"]  # fmt: skip


@pytest.mark.parametrize(
    ("address", "says"),
    [("127.0.0.1:notaport", "the port must be a whole number"), ("foo://x:1", "unknown protocol")],
)
def test_malformed_scheduler_address_is_refused_at_once(address, says, tmp_path):
    """A malformed --scheduler: exit 2 at once, one message, nothing written."""
    from typer.testing import CliRunner

    from sim.cli import app

    path = write_toml(tmp_path / "cluster.toml", spec())
    started = time.monotonic()
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "out"), "--scheduler", address])
    assert result.exit_code == 2, result.output
    assert says in result.stderr and "Traceback" not in result.output
    assert time.monotonic() - started < 5
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler_is_refused_after_a_short_timeout(tmp_path):
    """Nothing listens at --scheduler: exit 2 after the connect timeout (seconds, not half a minute), one message."""
    from typer.testing import CliRunner

    from sim.cli import app
    from sim.experiments.executors import CONNECT_TIMEOUT

    path = write_toml(tmp_path / "cluster.toml", spec())
    started = time.monotonic()
    result = CliRunner().invoke(
        app, ["sweep", str(path), "--out", str(tmp_path / "out"), "--scheduler", f"tcp://127.0.0.1:{free_port()}"]
    )
    assert result.exit_code == 2, result.output
    assert "no Dask scheduler answered" in result.stderr and "Traceback" not in result.output
    assert time.monotonic() - started < CONNECT_TIMEOUT + 10
    assert not (tmp_path / "out").exists()


def test_ctrl_c_prints_the_resume_command_with_every_option(sweeps, tmp_path):
    """SIGINT to a running sweep: exit 130 and a resume command that keeps --workers, --no-figures and the rest."""
    # Runs of 6 years (about half a second each): the 31 runs after the first take long enough that the
    # signal always comes before the sweep ends, even on a loaded machine (2-year runs once finished first).
    path = write_toml(tmp_path / "cluster.toml", spec(set={"run.years": 6.0, "run.warmup_days": 30.0}))
    out = tmp_path / "out"
    sweep = Sweep(tmp_path, [str(path), "--out", str(out), "--workers", "1", "--no-figures",
                             "--no-worker-timeout", "60"])  # fmt: skip
    sweeps.append(sweep)
    wait_for(lambda: len(finished_runs(out)) >= 1, SWEEP_TIME, "the first run")
    os.killpg(sweep.proc.pid, signal.SIGINT)
    assert sweep.wait() == 130, sweep.stderr
    assert resume_command(sweep.stderr) == [str(path), "--out", str(out), "--workers", "1",
                                            "--no-worker-timeout", "60", "--no-figures", "--resume"]  # fmt: skip


def test_calibrate_without_workers_exits_3_and_leaves_the_report(cluster, tmp_path):
    """pathways calibrate on a cluster without workers: exit 3 after --no-worker-timeout, the report untouched."""
    address = cluster.start_scheduler()
    out = tmp_path / "calibration.md"
    result = subprocess.run(
        [*PATHWAYS, "calibrate", "--scheduler", address, "--no-worker-timeout", "2", "--replications", "2",
         "--years", "3", "--out", str(out)],
        capture_output=True, text=True, timeout=SWEEP_TIME, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "no worker joined the Dask scheduler" in result.stderr and "the calibration stopped" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()
