"""The Python API: ``sim.run``, ``sim.compare``, ``sim.sweep``, ``sim.sensitivity``.

``import sim`` must stay light (no pandas, numpy or Mesa until the API is used); each function
returns DataFrames and the folder it wrote, and gives the same numbers as the command line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

import sim
from sim.config import ScenarioError
from sim.experiments.sweeps import read_runs
from tests.conftest import REPO
from tests.test_sweep import FEW_METRICS, tiny_spec

pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
SHORT = {"years": 2.0, "set": {"run.warmup_days": 180.0}}


def test_import_sim_is_light():
    """``import sim`` loads no numerical library; the API names resolve on first use; typos fail clearly."""
    code = "import sys, sim; print([m for m in ('numpy', 'pandas', 'mesa', 'scipy', 'pydantic') if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    assert all(callable(f) for f in (sim.run, sim.compare, sim.sweep, sim.sensitivity))
    assert {"run", "compare", "sweep", "sensitivity"} <= set(dir(sim))
    with pytest.raises(AttributeError, match="no attribute 'runn'"):
        sim.runn  # noqa: B018


def test_run_returns_dataframes_and_writes_when_asked(tmp_path):
    """``sim.run`` returns the summary and tables; with ``out`` it writes what ``pathways run`` writes."""
    r = sim.run("baseline", replications=2, workers=1, out=tmp_path / "run", figures=False, **SHORT)
    assert list(r.summary.columns) == ["metric", "unit", "mean", "ci_low", "ci_high", "description"]
    assert len(r.replications) == 2 and not r.spells.empty and not r.states.empty
    assert r.path == (tmp_path / "run").resolve()
    summary = json.loads((r.path / "summary.json").read_text())
    row = r.summary.set_index("metric").loc["temp_spells_over_90d_share"]
    assert summary["metrics"]["temp_spells_over_90d_share"]["mean"] == pytest.approx(row["mean"])
    assert sim.run("baseline", replications=2, workers=1, **SHORT).path is None


def test_set_as_dict_or_strings_and_scenario_objects_agree():
    """Overrides given as a dict of dotted keys, as ``--set`` strings, or on a Scenario object give one scenario."""
    a = sim.load_scenario("baseline", set={"choice.max_declines": 1, "housing_office": {"rule": "best_fit"}})
    b = sim.load_scenario("baseline", set=["choice.max_declines=1", "housing_office.rule=best_fit"])
    flat = {"choice.max_declines": 1, "housing_office.rule": "best_fit"}
    c = sim.load_scenario(sim.load_scenario("baseline"), set=flat)
    assert a == b == c and a.choice.max_declines == 1 and a.housing_office.rule == "best_fit"
    with pytest.raises(ScenarioError, match="choice.max_declines"):
        sim.load_scenario("baseline", set={"choice.max_declines": -1})


def test_compare_returns_table_lines_and_path(tmp_path):
    """``sim.compare`` takes the base then alternatives, returns the table and plain lines, and writes the report."""
    c = sim.compare("baseline", "housing_ready", replications=2, seed=3, workers=2, out=tmp_path / "cmp", **SHORT)
    assert set(c.table["scenario"]) == {"baseline", "housing_ready"}
    assert c.lines[0].startswith("Housing ready: ") and "->" in c.lines[0]
    assert (c.path / "report.html").is_file()
    assert set(c.replications["seed"]) == set(c.replications.loc[c.replications["scenario"] == "baseline", "seed"])


def test_sweep_in_memory_with_any_executor():
    """``sim.sweep`` on a dict, kept in memory: a thread pool gives the same rows as one process."""
    one = sim.sweep(tiny_spec(), workers=1)
    assert one.path is None and list(one.runs.columns[-3:]) == FEW_METRICS
    with ThreadPoolExecutor(max_workers=2) as pool:
        threads = sim.sweep(tiny_spec(), executor=pool)
    pd.testing.assert_frame_equal(threads.runs, one.runs)
    assert len(one.by_point) == 4 and (one.by_point["replications"] == 2).all()


def test_sweep_to_a_folder_then_sensitivity(tmp_path):
    """``sim.sweep(..., out=...)`` writes the dataset; ``sim.sensitivity`` reads it back or takes the result."""
    params = [{"key": "treatment.beds", "range": [12, 40]}, {"key": "choice.max_declines", "range": [0, 3]}]
    spec = tiny_spec(design="morris", samples=2, replications=1, parameters=params)
    s = sim.sweep(spec, out=tmp_path / "sw", workers=1, figures=False, sensitivity=True)
    pd.testing.assert_frame_equal(read_runs(s.path), s.runs)
    assert s.sensitivity is not None and (s.path / "sensitivity" / "sensitivity.csv").is_file()
    from_folder = sim.sensitivity(s.path, write=False)
    pd.testing.assert_frame_equal(from_folder.table, s.sensitivity.table)
    in_memory = sim.sensitivity(sim.sweep(spec, workers=1))
    pd.testing.assert_frame_equal(in_memory.table, s.sensitivity.table)
