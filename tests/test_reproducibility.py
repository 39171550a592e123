"""Reproducibility and outputs of ``pathways run``.

Same scenario and seed give a byte-identical ``summary.json``, whatever the number of workers;
running the written ``scenario.resolved.toml`` reproduces it; every promised file and metric is
written. The runs are short (3 years, 2 replications).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim import config as sc
from sim.experiments.replications import replication_seeds, run_replication, run_scenario
from sim.model import HousingModel
from tests.conftest import cli, small

SHORT = ("--years", "3", "--replications", "2")

ISSUE_METRICS = [
    "temp_spell_days_mean", "temp_spell_days_median", "temp_spell_days_p90", "temp_spells_over_90d_share", "temp_occupancy_mean",
    "discharges", "discharge_to_housing_share", "discharge_to_temporary_share", "discharge_to_street_share",
    "relapse_within_90d_share", "readmission_within_365d_share", "revolving_door_persons_window", "evictions",
    "waitlist_mean", "offers_made", "offers_declined", "municipal_occupancy_share",
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Three CLI runs of the baseline: with figures on 1 worker, again on 1 worker, and on 2 workers."""
    root = tmp_path_factory.mktemp("runs")
    out = {"figures": root / "figures", "again": root / "again", "two_workers": root / "two_workers"}
    args = {
        "figures": ("--workers", "1"),
        "again": ("--workers", "1", "--no-figures"),
        "two_workers": ("--workers", "2", "--no-figures"),
    }
    for key, extra in args.items():
        result = cli("run", "baseline", *SHORT, *extra, "--out", str(out[key]), cwd=root)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    return out


def test_same_seed_gives_identical_summary(runs):
    """Same scenario and seed: byte-identical summary.json (no timestamps, stable rounding)."""
    assert (runs["figures"] / "summary.json").read_bytes() == (runs["again"] / "summary.json").read_bytes()


def test_number_of_workers_does_not_change_results(runs):
    """--workers 1 and --workers 2 give the same summary.json and the same tables."""
    assert (runs["again"] / "summary.json").read_bytes() == (runs["two_workers"] / "summary.json").read_bytes()
    for table in ("replications", "spells", "states"):
        a = pd.read_parquet(runs["again"] / f"{table}.parquet")
        b = pd.read_parquet(runs["two_workers"] / f"{table}.parquet")
        pd.testing.assert_frame_equal(a, b)


def test_resolved_scenario_reproduces_the_run(runs, tmp_path):
    """``pathways run <out>/scenario.resolved.toml`` reproduces summary.json exactly, apart from the
    record of what the first command changed (``overrides``: the resolved file needs none)."""
    resolved = runs["again"] / "scenario.resolved.toml"
    other = tmp_path / "other"
    result = cli("run", str(resolved), "--no-figures", "--out", str(other), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    first = json.loads((runs["again"] / "summary.json").read_text(encoding="utf-8"))
    again = json.loads((other / "summary.json").read_text(encoding="utf-8"))
    assert first.pop("overrides") == {"replications": 2, "years": 3.0} and again.pop("overrides") == {}
    assert again == first
    assert (other / "scenario.resolved.toml").read_text() == resolved.read_text()


def test_a_different_seed_gives_different_results(tmp_path, runs):
    """The seed matters: --seed 7 does not give the baseline's summary.json."""
    out = tmp_path / "seed7"
    result = cli("run", "baseline", *SHORT, "--seed", "7", "--workers", "1", "--no-figures", "--out", str(out),
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "summary.json").read_text())["seed"] == 7
    assert (out / "summary.json").read_bytes() != (runs["again"] / "summary.json").read_bytes()


def test_summary_json_has_every_metric_with_mean_ci_unit_description(runs):
    """summary.json: every metric named in the issue, each with mean, ci95 [lo, hi], unit and description."""
    summary = json.loads((runs["figures"] / "summary.json").read_text())
    assert summary["scenario"] == "baseline" and summary["replications"] == 2 and summary["years"] == 3
    metrics = summary["metrics"]
    for name in ISSUE_METRICS:
        m = metrics[name]
        assert set(m) >= {"mean", "ci95", "unit", "description"}, name
        assert isinstance(m["ci95"], list) and len(m["ci95"]) == 2
        assert m["unit"] and m["description"]
        if m["mean"] is not None and m["ci95"][0] is not None:
            assert m["ci95"][0] <= m["mean"] <= m["ci95"][1], name
    assert metrics["discharges"]["mean"] > 0


def test_run_writes_every_output_file(runs):
    """A run writes summary.json, the three tables, yearly.csv, scenario.resolved.toml and the four figures."""
    folder = runs["figures"]
    for name in ("summary.json", "replications.parquet", "spells.parquet", "states.parquet",
                 "scenario.resolved.toml", "states.png", "temporary_stays.png", "discharge_destinations.png",
                 "yearly.png", "yearly.csv"):
        assert (folder / name).is_file(), name
    for png in folder.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(list(folder.glob("*.png"))) == 4
    assert not list((runs["again"]).glob("*.png")), "--no-figures writes no figures"


def test_output_tables_have_the_documented_columns(runs):
    """spells.parquet has person, state, housing_type, zone, start, end, end_reason; the others match."""
    folder = runs["figures"]
    spells = pd.read_parquet(folder / "spells.parquet")
    assert {"person", "state", "housing_type", "zone", "start", "end", "end_reason"} <= set(spells.columns)
    assert set(spells["replication"]) == {0, 1}
    assert set(spells["state"]) == {"treatment", "prison", "temporary", "street", "housed", "private"}
    assert (spells["end"] >= spells["start"]).all()
    reps = pd.read_parquet(folder / "replications.parquet")
    assert len(reps) == 2 and {"replication", "seed", *ISSUE_METRICS} <= set(reps.columns)
    states = pd.read_parquet(folder / "states.parquet")
    assert {"replication", "day", "n_treatment", "n_prison", "n_temporary", "n_street", "n_housed",
            "waitlist", "units"} <= set(states.columns)
    resolved = sc.load(folder / "scenario.resolved.toml")
    assert resolved.run.years == 3 and resolved.run.replications == 2


def test_run_replaces_an_existing_output_folder(tmp_path):
    """Writing into an earlier run's folder (it has a summary.json) replaces it: no stale files are left."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("{}")
    (out / "stale.txt").write_text("old")
    result = cli("run", "baseline", "--years", "3", "--replications", "1", "--workers", "1", "--no-figures",
                 "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (out / "summary.json").read_text() != "{}" and not (out / "stale.txt").exists()


def test_run_refuses_to_wipe_a_folder_that_is_not_a_results_folder(tmp_path):
    """``--out`` naming a folder with other files in it (no summary.json) is refused before running; nothing is deleted."""
    out = tmp_path / "project"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = cli("run", "baseline", "--years", "3", "--replications", "1", "--workers", "1", "--no-figures",
                 "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "project" in result.stderr
    assert (out / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


# ----------------------------------------------------------------------------- the Python API


def test_replication_seeds_are_fixed_and_distinct():
    """Replication r of a run with seed s always gets the same seed; seeds differ between replications."""
    a = replication_seeds(123, 5)
    assert a == replication_seeds(123, 5)
    assert replication_seeds(123, 3) == a[:3], "adding replications does not change the earlier ones"
    assert len(set(a)) == 5 and all(0 <= s < 2**63 for s in a)
    assert replication_seeds(124, 5) != a


def test_same_seed_same_model_history():
    """Two models with the same scenario and seed have identical records."""
    s = small(years=2, warmup_days=100.0)
    a, b = HousingModel(s, seed=42), HousingModel(s, seed=42)
    a.run()
    b.run()
    for table in ("spells", "discharges", "offers", "relapses", "evictions", "exits"):
        pd.testing.assert_frame_equal(a.records.frame(table), b.records.frame(table))
    c = HousingModel(s, seed=43)
    c.run()
    assert not a.records.frame("spells").equals(c.records.frame("spells"))


def test_run_scenario_matches_run_replication():
    """run_scenario's per-replication metrics are those of run_replication with the derived seeds."""
    s = small(years=2, warmup_days=100.0, replications=2)
    result = run_scenario(s, workers=1, progress=False)
    seeds = replication_seeds(s.seed, 2)
    for i in range(2):
        direct = run_replication(s, i, seeds[i]).metrics
        row = result.replications.iloc[i]
        assert row["seed"] == seeds[i]
        for name, value in direct.items():
            assert row[name] == pytest.approx(value, nan_ok=True), name
