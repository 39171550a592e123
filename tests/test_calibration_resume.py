"""``pathways calibrate --search`` saves its runs as they finish: Ctrl-C, a lost cluster, ``--resume``.

A tiny search (2 points x 3 rounds x 1 replication of 2.1-year runs after a half-year warm-up,
from a test scenario) runs as a real process and gets SIGINT after its first runs: exit code
130, the runs saved, nothing else written, and the command that finishes it, with every option
it was started with. Without ``--resume`` the folder is refused and left alone; the printed
command, on another number of workers, writes the report, the accepted set and the design
byte for byte as an uninterrupted search does. On a Dask scheduler without workers the search
stops with exit code 3 and the same kind of command. That a resume gives the same search
whatever stage it was stopped in is checked in this process in ``tests/test_run_store.py``.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments.run_store import RUNS_DIR, finished_runs
from tests.conftest import REPO

runner = CliRunner()
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
PATHWAYS = [sys.executable, "-m", "sim"]
TIMEOUT = 180.0  # seconds a tiny calibration may take, at most, on a busy 2-core machine
SCENARIO = (
    f'extends = "{REPO / "scenarios" / "baseline.toml"}"\nname = "tiny"\n\n[run]\nyears = 2.1\nwarmup_days = 180.0\n'
)
#: The tiny search's options (paths relative to the folder it runs in, as a person would type them).
ARGS = [
    "calibrate", "--search", "--samples", "2", "--rounds", "3", "--search-replications", "1", "--replications", "2",
    "--scenario", "tiny.toml", "--out", "calibration.md", "--accepted", "accepted.parquet", "--search-dir", "search",
]  # fmt: skip
WRITTEN = ("calibration.md", "accepted.parquet", "design.parquet")


def folder_with_scenario(path: Path) -> Path:
    """``path`` with the tiny test scenario in it."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "tiny.toml").write_text(SCENARIO, encoding="utf-8")
    return path


def _default_sigint() -> None:
    """In the child, before exec: SIGINT back to its default disposition (a background test run ignores it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def printed_command(stderr: str) -> list[str]:
    """The ``pathways calibrate ... --resume`` command printed on stderr, as arguments."""
    line = next(line for line in stderr.splitlines() if line.strip().startswith("pathways calibrate"))
    return shlex.split(line.strip())


def test_ctrl_c_prints_the_command_that_finishes_the_search_with_the_same_results(tmp_path, monkeypatch):
    """SIGINT after the first saved runs: exit 130 and the command with every option; without --resume the folder
    is refused; the printed command (on 1 worker instead of 2) writes exactly what an uninterrupted search writes."""
    here = folder_with_scenario(tmp_path / "interrupted")
    runs = here / "search" / RUNS_DIR
    with open(here / "err.log", "wb") as err:
        proc = subprocess.Popen([*PATHWAYS, *ARGS, "--workers", "2", "--no-worker-timeout", "60"], cwd=here,
                                stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
                                preexec_fn=_default_sigint)  # noqa: PLW1509  # fmt: skip
        try:
            deadline = time.monotonic() + TIMEOUT
            while len(finished_runs(here / "search")) < 2 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            os.killpg(proc.pid, signal.SIGINT)
            code = proc.wait(timeout=TIMEOUT)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    stderr = (here / "err.log").read_text(encoding="utf-8", errors="replace")
    assert code == 130, stderr
    done = len(finished_runs(here / "search"))
    assert 2 <= done < 6, "stopped in the middle of the screening"
    folder = (here / "search").resolve()
    assert (
        f"interrupted: {done} of at most 16 search runs are saved in {folder}; calibration.md was not changed" in stderr
    )
    command = printed_command(stderr)
    assert command == ["pathways", "calibrate", "--search", "--samples", "2", "--rounds", "3", "--accepted",
                       "accepted.parquet", "--search-replications", "1", "--replications", "2", "--scenario",
                       "tiny.toml", "--out", "calibration.md", "--search-dir", str(folder), "--workers", "2",
                       "--no-worker-timeout", "60", "--resume"]  # fmt: skip
    assert not any((here / name).exists() for name in WRITTEN)

    monkeypatch.chdir(here)
    before = {p.name: p.stat().st_mtime_ns for p in runs.iterdir()}
    refused = runner.invoke(app, [*ARGS, "--workers", "1"])
    assert refused.exit_code == 2, refused.output
    assert f"unfinished calibration search ({done} of at most 16 runs done); add --resume" in refused.stderr
    assert {p.name: p.stat().st_mtime_ns for p in runs.iterdir()} == before, "nothing touched"
    at = command.index("--workers")
    finished = runner.invoke(app, [*command[1:at], "--workers", "1", *command[at + 2 :]])
    assert finished.exit_code == 0, finished.output

    reference = folder_with_scenario(tmp_path / "uninterrupted")
    monkeypatch.chdir(reference)
    whole = runner.invoke(app, [*ARGS, "--workers", "2"])
    assert whole.exit_code == 0, whole.output
    for name in WRITTEN:
        assert (here / name).read_bytes() == (reference / name).read_bytes(), name


def test_resume_and_overwrite_need_search(tmp_path):
    """--resume and --overwrite belong to --search (and exclude each other); refused at once, nothing written."""
    out = tmp_path / "calibration.md"
    for extra, says in ((["--resume"], "--resume: only with --search"), (["--overwrite"], "--overwrite: only with"),
                        (["--search", "--resume", "--overwrite"], "choose one")):  # fmt: skip
        result = runner.invoke(app, ["calibrate", *extra, "--out", str(out), "--search-dir", str(tmp_path / "s")])
        assert result.exit_code == 2 and says in result.stderr, result.output
    assert not out.exists() and not (tmp_path / "s").exists()


def test_a_lost_cluster_stops_the_search_with_exit_3_and_the_command_that_finishes_it(tmp_path):
    """On a Dask scheduler without workers: exit 3 after --no-worker-timeout, the report untouched, and the command
    that finishes the search with --scheduler and --no-worker-timeout."""
    pytest.importorskip("distributed")
    from tests.test_cluster import Cluster

    here = folder_with_scenario(tmp_path / "here")
    cluster = Cluster(tmp_path)
    try:
        address = cluster.start_scheduler()
        result = subprocess.run([*PATHWAYS, *ARGS, "--scheduler", address, "--no-worker-timeout", "2"], cwd=here,
                                capture_output=True, text=True, timeout=TIMEOUT, check=False)  # fmt: skip
    finally:
        cluster.stop()
    assert result.returncode == 3, result.stderr
    assert "no worker joined the Dask scheduler" in result.stderr and "calibration.md was not changed" in result.stderr
    assert "0 of at most 16 search runs are saved" in result.stderr and "Traceback" not in result.stderr
    command = printed_command(result.stderr)
    assert command[-5:] == ["--scheduler", address, "--no-worker-timeout", "2", "--resume"]
    assert not any((here / name).exists() for name in WRITTEN)
