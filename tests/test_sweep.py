"""Parameter sweeps: sweep files, the four designs, seeds, the Parquet dataset, resume after a kill.

Sweeps here are tiny (2-year runs, a handful of points). The rules checked: every design gives
the promised points; integer parameters are whole numbers; each run's seed depends only on the
sweep seed and the run's index (so rows do not depend on workers, executors or resumes); a
sweep killed at any moment keeps every finished run in a readable file and ``--resume``
finishes it with exactly the rows of an uninterrupted sweep; bad sweep files are refused with
one message naming the file, key, value and what is allowed, exit code 2, nothing written.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim import config as sc
from sim.cli import app
from sim.config import ScenarioError
from sim.experiments.replications import replication_seeds, run_scenario
from sim.experiments.sweep_file import load_sweep
from sim.experiments.sweeps import RUNS_DIR, finished_runs, read_runs, run_sweep
from sim.reports.sweep_figures import write_sweep_figures
from tests.conftest import REPO, cli

runner = CliRunner()
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
SWEEP_DIR = REPO / "scenarios" / "sweeps"
TINY_SET = {"run.years": 2.0, "run.warmup_days": 180.0}
FEW_METRICS = ["temp_spells_over_90d_share", "waitlist_mean", "treatment_wait_days_mean"]


def tiny_spec(**changes: Any) -> dict[str, Any]:
    """A grid sweep of 2 x 2 points x 2 replications of 2-year runs, with ``changes`` on top."""
    spec: dict[str, Any] = {
        "name": "tiny",
        "base": "baseline",
        "design": "grid",
        "replications": 2,
        "seed": 7,
        "metrics": FEW_METRICS,
        "set": dict(TINY_SET),
        "parameters": [
            {"key": "choice.max_declines", "levels": [0, "unlimited"]},
            {"key": "treatment.beds", "range": [15, 30], "steps": 2},
        ],
    }
    spec.update(changes)
    return spec


def write_toml(path: Path, spec: dict[str, Any]) -> Path:
    """Write a sweep spec as a TOML file."""
    import tomli_w

    path.write_text(tomli_w.dumps(spec), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- shipped examples


@pytest.mark.parametrize("path", sorted(SWEEP_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_sweeps_load_and_are_small(path):
    """Every shipped sweep file loads, every point is a valid scenario, and it stays a few-minute job."""
    sweep = load_sweep(path)
    assert sweep.n_runs <= 600, "shipped examples must run in a few minutes on 2 cores"
    for point in range(sweep.n_points):
        sweep.scenario(point)
    result = runner.invoke(app, ["sweep", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"{sweep.n_runs} runs" in result.stdout


def test_shipped_examples_cover_the_issue():
    """The decline limit against stock size (grid) and a Sobol analysis of the main levers are shipped."""
    grid = load_sweep(SWEEP_DIR / "declines_vs_stock.toml")
    assert grid.design == "grid"
    assert grid.keys == ["choice.max_declines", "stock.additions.0.count"]
    assert grid.base.name == "buy_flats", "flats are added vacant (an addition), not as day-0 tenants"
    sobol = load_sweep(SWEEP_DIR / "levers_sobol.toml")
    assert sobol.design == "sobol" and len(sobol.keys) >= 4


# ----------------------------------------------------------------------------- designs


def test_grid_is_every_combination_last_parameter_fastest():
    """A grid has every combination of the levels; a range with steps gives evenly spaced whole numbers."""
    sweep = load_sweep(tiny_spec(parameters=[
        {"key": "choice.max_declines", "levels": [0, 1, "unlimited"]},
        {"key": "treatment.beds", "range": [10, 30], "steps": 3},
    ]))
    values = [sweep.point_values(p) for p in range(sweep.n_points)]
    assert sweep.n_points == 9 and sweep.n_runs == 18
    assert values[:3] == [
        {"choice.max_declines": 0, "treatment.beds": 10},
        {"choice.max_declines": 0, "treatment.beds": 20},
        {"choice.max_declines": 0, "treatment.beds": 30},
    ]
    assert {(v["choice.max_declines"], v["treatment.beds"]) for v in values} == {
        (d, b) for d in (0, 1, "unlimited") for b in (10, 20, 30)
    }


def test_lhs_is_a_latin_hypercube_with_whole_numbers_for_integers():
    """LHS: each of n equal slices of every range holds exactly one point; integers are rounded and cover the range."""
    n = 20
    sweep = load_sweep(tiny_spec(design="lhs", samples=n, parameters=[
        {"key": "housing_office.meeting_interval_days", "range": [7.0, 28.0]},
        {"key": "treatment.beds", "range": [10, 14]},
    ]))
    x = sweep.design_matrix
    assert x.shape == (n, 2)
    slices = np.floor((x[:, 0] - 7.0) / 21.0 * n).astype(int)
    assert sorted(slices) == list(range(n)), "one point per slice"
    beds = [sweep.point_values(p)["treatment.beds"] for p in range(n)]
    assert all(isinstance(b, int) for b in beds)
    assert set(beds) == {10, 11, 12, 13, 14}, "every whole number in the range, ends included"
    assert sweep.scenario(0).treatment.beds == beds[0]


def test_sobol_has_saltelli_size_and_morris_has_trajectories():
    """Sobol: N (D + 2) points, N (2D + 2) with second order; Morris: N (D + 1), one parameter moving per step."""
    params = [
        {"key": "housing_office.meeting_interval_days", "range": [7.0, 28.0]},
        {"key": "coordination.hold_discharge_share", "range": [0.0, 0.9]},
        {"key": "housing_office.rule", "levels": ["fcfs", "need_priority", "best_fit"]},
    ]
    sobol = load_sweep(tiny_spec(design="sobol", samples=8, parameters=params))
    assert sobol.n_points == 8 * (3 + 2)
    second = load_sweep(tiny_spec(design="sobol", samples=8, second_order=True, parameters=params))
    assert second.n_points == 8 * (2 * 3 + 2)
    morris = load_sweep(tiny_spec(design="morris", samples=5, parameters=params))
    assert morris.n_points == 5 * (3 + 1)
    x = morris.design_matrix.reshape(5, 4, 3)
    changed = (np.diff(x, axis=1) != 0).sum(axis=2)
    assert (changed == 1).all(), "each step of a trajectory moves exactly one parameter"
    rules = {sobol.point_values(p)["housing_office.rule"] for p in range(sobol.n_points)}
    assert rules == {"fcfs", "need_priority", "best_fit"}


@pytest.mark.parametrize("design", ["grid", "lhs", "sobol", "morris"])
def test_every_design_runs_end_to_end(design, tmp_path):
    """Each design runs and writes one row per run with the run id, seed, parameters and metrics; then its figures."""
    extra: dict[str, Any] = {"design": design}
    if design != "grid":
        extra["samples"] = 2
        extra["parameters"] = [
            {"key": "choice.max_declines", "levels": [0, "unlimited"]},
            {"key": "treatment.beds", "range": [15, 30]},
        ]
    sweep = load_sweep(tiny_spec(replications=1, **extra))
    result = run_sweep(sweep, tmp_path / "out", workers=1)
    assert not (tmp_path / "out" / "figures").exists(), "computing a sweep draws nothing"
    write_sweep_figures(result, tmp_path / "out" / "figures")  # what the command and sim.sweep do next
    runs = pd.read_parquet(tmp_path / "out" / RUNS_DIR)  # the dataset, read as any Parquet reader would
    assert len(runs) == sweep.n_runs == len(result.runs)
    assert list(result.runs.columns) == ["run", "point", "replication", "seed", *sweep.keys, *FEW_METRICS]
    assert sorted(runs["run"]) == list(range(sweep.n_runs))
    assert runs["treatment.beds"].between(15, 30).all()
    assert set(runs["choice.max_declines"]) <= {"0", "unlimited"}, "mixed levels are stored as text"
    assert runs["waitlist_mean"].notna().all()
    by_point = pd.read_csv(tmp_path / "out" / "by_point.csv")
    assert len(by_point) == sweep.n_points and (by_point["replications"] == 1).all()
    assert sorted(p.name for p in (tmp_path / "out" / "figures").iterdir()) == sorted(f"{m}.png" for m in FEW_METRICS)


# ----------------------------------------------------------------------------- seeds


def test_common_random_numbers_reproduce_pathways_run():
    """With common random numbers, a point equal to the base reproduces ``pathways run`` with the sweep's seed."""
    beds = sc.load("baseline").treatment.beds
    assert beds > 8
    sweep = load_sweep(tiny_spec(parameters=[{"key": "treatment.beds", "levels": [beds, 8]}]))
    result = run_sweep(sweep, None, workers=1)
    seeds = replication_seeds(7, 2)
    assert list(result.runs["seed"]) == seeds * 2, "replication r of every point has the same seed"
    run = {"years": 2.0, "warmup_days": 180.0, "replications": 2}
    base = sc.with_overrides(sc.load("baseline"), {"seed": 7, "run": run})
    reference = run_scenario(base, workers=1, progress=False).replications
    first = result.runs[result.runs["point"] == 0].reset_index(drop=True)
    pd.testing.assert_frame_equal(first[FEW_METRICS], reference[FEW_METRICS])
    other = result.runs[result.runs["point"] == 1]
    assert (other["treatment_wait_days_mean"].to_numpy() > first["treatment_wait_days_mean"].to_numpy()).all(), (
        "fewer beds, longer waits, replication by replication"
    )


def test_independent_seeds_differ_per_run():
    """``common_random_numbers = false``: run i gets the i-th child seed, all different."""
    sweep = load_sweep(tiny_spec(common_random_numbers=False))
    seeds = [sweep.run_seed(i) for i in range(sweep.n_runs)]
    assert seeds == replication_seeds(7, sweep.n_runs)
    assert len(set(seeds)) == sweep.n_runs


# ----------------------------------------------------------------------------- resume and kills


# An interrupted sweep resuming to the rows of an uninterrupted one (in this process): tests/test_run_store.py.


def test_killed_sweep_leaves_readable_files_and_resumes(tmp_path):
    """SIGKILL to a running ``pathways sweep`` (and its workers): every file left is readable; --resume completes it."""
    spec = tiny_spec(replications=2, parameters=[
        {"key": "choice.max_declines", "levels": [0, 1, 2, "unlimited"]},
        {"key": "treatment.beds", "range": [15, 30], "steps": 2},
    ])
    path = write_toml(tmp_path / "kill.toml", spec)
    out = tmp_path / "out"
    n_runs = load_sweep(path).n_runs
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), "--workers", "2", "--no-figures"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while len(finished_runs(out)) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    done = finished_runs(out)
    assert 3 <= len(done) < n_runs, "killed in the middle of the sweep"
    partial = read_runs(out)
    assert sorted(partial["run"]) == sorted(done) and partial[FEW_METRICS[1]].notna().all()
    result = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--resume", "--workers", "1", "--no-figures"])
    assert result.exit_code == 0, result.output
    assert f"{len(done)} were already done" in result.stdout
    reference = run_sweep(load_sweep(path), None, workers=1)
    pd.testing.assert_frame_equal(read_runs(out), reference.runs)


def test_a_half_written_file_is_ignored_and_cleaned_on_resume(tmp_path):
    """A temporary file left by a kill mid-write is not part of the dataset and is removed on resume."""
    sweep = load_sweep(tiny_spec(replications=1))
    out = tmp_path / "out"
    run_sweep(sweep, out, workers=1)
    (out / RUNS_DIR / "run-0000001.parquet").unlink()
    junk = out / RUNS_DIR / ".run-0000001.parquet.999.tmp"
    junk.write_bytes(b"PAR1 half a file")
    assert len(pd.read_parquet(out / RUNS_DIR)) == sweep.n_runs - 1
    result = run_sweep(sweep, out, workers=1, resume=True)
    assert result.complete and result.resumed == sweep.n_runs - 1
    assert not junk.exists()


def test_output_folder_rules(tmp_path):
    """Without --resume an earlier sweep is kept (exit 2); a changed sweep cannot resume; --overwrite starts again."""
    path = write_toml(tmp_path / "s.toml", tiny_spec(replications=1))
    out = tmp_path / "out"
    assert runner.invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "1", "--no-figures"]).exit_code == 0
    before = {p.name: p.stat().st_mtime_ns for p in (out / RUNS_DIR).iterdir()}
    again = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "1"])
    assert again.exit_code == 2 and "--resume" in again.stderr and "4 of 4 runs done" in again.stderr
    changed = write_toml(tmp_path / "s2.toml", tiny_spec(replications=1, seed=8))
    refused = runner.invoke(app, ["sweep", str(changed), "--out", str(out), "--resume"])
    assert refused.exit_code == 2 and "different sweep" in refused.stderr
    assert {p.name: p.stat().st_mtime_ns for p in (out / RUNS_DIR).iterdir()} == before, "nothing touched"
    both = runner.invoke(app, ["sweep", str(changed), "--out", str(out), "--overwrite", "--resume"])
    assert both.exit_code == 2 and "choose one" in both.stderr
    fresh = runner.invoke(
        app, ["sweep", str(changed), "--out", str(out), "--overwrite", "--workers", "1", "--no-figures"]
    )
    assert fresh.exit_code == 0, fresh.output
    assert set(read_runs(out)["seed"]) == set(replication_seeds(8, 1))


def test_sweep_refuses_a_folder_that_is_not_a_sweep(tmp_path):
    """--out pointing at a folder with other files (or a file) is refused and left alone, even with --overwrite."""
    path = write_toml(tmp_path / "s.toml", tiny_spec(replications=1))
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    for extra in ([], ["--overwrite"], ["--resume"]):
        result = runner.invoke(app, ["sweep", str(path), "--out", str(folder), *extra])
        assert result.exit_code == 2 and "other files" in result.stderr
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    result = runner.invoke(app, ["sweep", str(path), "--out", str(folder / "notes.txt")])
    assert result.exit_code == 2 and "is a file" in result.stderr


# ----------------------------------------------------------------------------- bad sweep files

BAD_SPECS: dict[str, tuple[dict[str, Any] | str, list[str]]] = {
    "malformed": ('base = "baseline"\n[[parameters]\nkey = 1\n', ["malformed.toml", "TOML"]),
    "unknown_top_key": ({"replicatons": 3}, ["replicatons", "unknown key", "replications"]),
    "unknown_param_field": (
        {"parameters": [{"key": "treatment.beds", "rnge": [1, 2]}]},
        ["parameters[0]", "rnge", "unknown key", "range"],
    ),
    "unknown_scenario_key": (
        {"parameters": [{"key": "choice.max_declinez", "levels": [0, 1]}]},
        ["choice.max_declinez", "unknown scenario key", "max_declines"],
    ),
    "unknown_design": ({"design": "factorial"}, ["design", "factorial", "'grid', 'lhs', 'sobol' or 'morris'"]),
    "unknown_metric": ({"metrics": ["temp_share_over90"]}, ["metrics", "temp_share_over90", "temp_spells_over_90d_share"]),
    "reversed_range": (
        {"design": "lhs", "samples": 4, "parameters": [{"key": "treatment.beds", "range": [30, 10]}]},
        ["treatment.beds", "[30.0, 10.0]", "low end must be below"],
    ),
    "range_out_of_bounds": (
        {"design": "lhs", "samples": 4, "parameters": [{"key": "treatment.beds", "range": [-5, 10]}]},
        ["treatment.beds", "-5", ">= 0"],
    ),
    "range_on_text": (
        {"design": "lhs", "samples": 4, "parameters": [{"key": "housing_office.rule", "range": [0, 1]}]},
        ["housing_office.rule", "not a number", "levels"],
    ),
    "bad_level": (
        {"parameters": [{"key": "housing_office.rule", "levels": ["fcfs", "lottery"]}]},
        ["housing_office.rule", "lottery", "best_fit"],
    ),
    "sobol_not_power_of_two": (
        {"design": "sobol", "samples": 12, "parameters": [{"key": "treatment.beds", "range": [10, 20]}]},
        ["samples = 12", "power of 2", "8 or 16"],
    ),
    "grid_with_samples": ({"samples": 10}, ["samples = 10", "grid"]),
    "grid_range_without_steps": (
        {"parameters": [{"key": "treatment.beds", "range": [10, 20]}]},
        ["treatment.beds", "steps"],
    ),
    "lhs_without_samples": ({"design": "lhs"}, ["samples", "required", "lhs"]),
    "reserved_key": ({"parameters": [{"key": "seed", "levels": [1, 2]}]}, ["seed", "cannot be varied"]),
    "twice": (
        {"parameters": [{"key": "treatment.beds", "levels": [1, 2]}, {"key": "treatment.beds", "levels": [3, 4]}]},
        ["treatment.beds", "varied twice"],
    ),
    "bad_set": ({"set": {"run.years": -1.0}}, ["set", "run.years", "-1"]),
    "missing_base": ({"base": "nowhere"}, ["base", "nowhere", "baseline"]),
    "point_invalid": (
        # Each level is fine on its own, but a warm-up of 1000 days in a run of 2.5 years is not.
        {
            "set": {},
            "parameters": [
                {"key": "run.warmup_days", "levels": [100.0, 1000.0]},
                {"key": "run.years", "levels": [2.5, 10.0]},
            ],
        },
        ["point 2", "run.warmup_days = 1000.0", "shorter than the run", "912.5 days"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_SPECS))
def test_bad_sweep_files_are_refused(tmp_path, case):
    """A bad sweep file: exit 2, one message naming the file, key, value and what is allowed; nothing written."""
    body, fragments = BAD_SPECS[case]
    path = tmp_path / f"{case}.toml"
    if isinstance(body, str):
        path.write_text(body, encoding="utf-8")
    else:
        write_toml(path, tiny_spec(**body))
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", str(path), "--out", str(out)])
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{case}.toml" in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert not out.exists(), "nothing is written on bad input"


def test_bad_sweep_file_in_a_fresh_process(tmp_path):
    """The same refusal checked in a fresh ``python -m sim`` process: exit code 2 and no traceback."""
    path = write_toml(tmp_path / "bad.toml", tiny_spec(design="latin"))
    out = tmp_path / "out"
    result = cli("sweep", str(path), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2
    assert "bad.toml" in result.stderr and "latin" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists()


def test_load_sweep_reports_every_problem_at_once():
    """Several problems in one file are all reported, one line each."""
    with pytest.raises(ScenarioError) as info:
        load_sweep(tiny_spec(metrics=["nope"], parameters=[{"key": "treatment.bedz", "levels": [1, 2]}]))
    assert len(info.value.problems) == 2
    assert any("treatment.bedz" in p for p in info.value.problems)
    assert any("'nope'" in p for p in info.value.problems)
