"""``pathways sensitivity``: Sobol and Morris indices of a finished sweep.

The index machinery is checked on functions with known answers (the design's points and the
outputs must stay lined up, or the indices come out wrong), then end to end on tiny model
sweeps: a Morris screening must find that treatment beds, not the housing office's paperwork
time, drive the wait for treatment. Refusals: a grid sweep, an unfinished sweep, an unknown
metric, a folder that is not a sweep -- exit code 2, nothing written.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments.sensitivity import analyse
from sim.experiments.sweep_file import load_sweep
from sim.experiments.sweeps import SweepResult, by_point, open_results, points_table, run_sweep
from tests.test_sweep import tiny_spec, write_toml

runner = CliRunner()
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")

FLOATS = [
    {"key": "housing_office.meeting_interval_days", "range": [0.0, 1.0]},
    {"key": "coordination.hold_discharge_share", "range": [0.0, 1.0]},
    {"key": "discharge.prison_to_temporary_prob", "range": [0.0, 1.0]},
]


def synthetic(design: str, samples: int, f) -> SweepResult:
    """A sweep whose 'metric' is ``f(x)`` of the design's values instead of a model run."""
    spec = tiny_spec(design=design, samples=samples, replications=1, metrics=["waitlist_mean"], parameters=FLOATS)
    spec["parameters"] = [dict(p) for p in FLOATS]
    spec["parameters"][0]["range"] = [1.0, 2.0]  # meeting interval must be > 0
    sweep = load_sweep(spec)
    points = points_table(sweep)
    x = np.column_stack([points[p.key].to_numpy(dtype=float) for p in sweep.parameters])
    x[:, 0] -= 1.0
    runs = pd.DataFrame({
        "run": points["point"], "point": points["point"], "replication": 0, "seed": 0,
        **{p.key: points[p.key] for p in sweep.parameters},
        "waitlist_mean": f(x),
    })
    return SweepResult(sweep, runs, by_point(runs, points, sweep), None)


def test_sobol_indices_of_a_known_function():
    """y = 4 x1 + 2 x2 on uniform [0, 1]: S1 = 16/20, 4/20, 0, and ST = S1 (no interactions)."""
    result = analyse(synthetic("sobol", 1024, lambda x: 4 * x[:, 0] + 2 * x[:, 1]).as_results())
    table = result.table.set_index("parameter")
    assert result.design == "sobol"
    assert list(table.columns) == ["metric", "S1", "S1_conf", "ST", "ST_conf", "noise_share"]
    assert table["S1"].to_numpy() == pytest.approx([0.8, 0.2, 0.0], abs=0.05)
    assert table["ST"].to_numpy() == pytest.approx([0.8, 0.2, 0.0], abs=0.05)
    assert (table["S1_conf"].iloc[:2] > 0).all() and table["S1_conf"].iloc[2] == 0.0
    assert table["noise_share"].isna().all(), "one replication: the noise cannot be told"


def test_noise_share_separates_noise_from_effects():
    """Two replications that differ by +-1 around point means 0, 10, 20: noise share (1/2) / 100."""
    from sim.experiments.sensitivity import noise_share

    runs = pd.DataFrame({"point": [0, 0, 1, 1, 2, 2], "m": [-1.0, 1.0, 9.0, 11.0, 19.0, 21.0]})
    assert noise_share(runs, "m") == pytest.approx((2.0 / 2) / 100.0)
    assert noise_share(runs.assign(m=[0.0, 1, 0, 1, 0, 1]), "m") == 1.0, "nothing but noise"


def test_sobol_sees_an_interaction():
    """y = x1 * x2 (centred): each alone explains little, the total indices are large."""
    result = analyse(synthetic("sobol", 1024, lambda x: (x[:, 0] - 0.5) * (x[:, 1] - 0.5)).as_results())
    table = result.table.set_index("parameter")
    assert table.loc["housing_office.meeting_interval_days", "S1"] == pytest.approx(0.0, abs=0.05)
    assert table.loc["housing_office.meeting_interval_days", "ST"] == pytest.approx(1.0, abs=0.1)
    assert table.loc["discharge.prison_to_temporary_prob", "ST"] == pytest.approx(0.0, abs=0.02)


def test_morris_ranks_a_known_function():
    """y = 10 x1 + x2^2: mu* of x1 is 10 per unit range step (times delta), x3 has no effect, x2 is non-linear."""
    result = analyse(synthetic("morris", 40, lambda x: 10 * x[:, 0] + x[:, 1] ** 2).as_results())
    table = result.table.set_index("parameter")
    assert list(table.columns) == ["metric", "mu_star", "mu_star_conf", "mu", "sigma", "noise_share"]
    assert table["mu_star"].iloc[0] == pytest.approx(10.0, rel=0.01), "linear: every elementary effect is 10"
    assert table["sigma"].iloc[0] == pytest.approx(0.0, abs=1e-6)
    assert table["mu_star"].iloc[2] == 0.0
    assert table["sigma"].iloc[1] > 0, "x2 acts non-linearly"


def test_morris_on_the_model_finds_that_beds_drive_the_treatment_wait(tmp_path):
    """Model end to end: ``pathways sweep --sensitivity`` on a Morris design; beds matter far more than paperwork."""
    spec: dict[str, Any] = tiny_spec(
        design="morris", samples=4, replications=1, metrics=["treatment_wait_days_mean", "waitlist_mean"],
        parameters=[
            {"key": "treatment.beds", "range": [12, 40]},
            {"key": "housing_office.processing_days", "range": [0.0, 28.0]},
        ],
    )
    path = write_toml(tmp_path / "morris.toml", spec)
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "2", "--sensitivity"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "sensitivity" / "sensitivity.csv")
    wait = table[table["metric"] == "treatment_wait_days_mean"].set_index("parameter")
    assert wait.loc["treatment.beds", "mu_star"] > 3 * wait.loc["housing_office.processing_days", "mu_star"]
    assert wait.loc["treatment.beds", "mu"] < 0, "more beds, shorter waits"
    assert (out / "sensitivity" / "sensitivity.png").stat().st_size > 5_000
    assert "mu_star" in result.stdout


def test_sobol_on_the_model_writes_a_table_and_plot(tmp_path):
    """A tiny Sobol sweep of the model: S1 and ST with intervals for every kept metric and parameter."""
    spec = tiny_spec(
        design="sobol", samples=4, replications=1, metrics=["treatment_wait_days_mean"],
        parameters=[{"key": "treatment.beds", "range": [12, 40]}, {"key": "choice.max_declines", "range": [0, 3]}],
    )
    path = write_toml(tmp_path / "sobol.toml", spec)
    out = tmp_path / "out"
    assert runner.invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "1", "--no-figures"]).exit_code == 0
    result = runner.invoke(app, ["sensitivity", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out / "sensitivity" / "sensitivity.parquet")
    assert set(table["parameter"]) == {"treatment.beds", "choice.max_declines"}
    assert table[["S1", "S1_conf", "ST", "ST_conf"]].notna().all().all()
    assert (out / "sensitivity" / "sensitivity.png").is_file()
    again = analyse(open_results(out), ["treatment_wait_days_mean"])
    pd.testing.assert_frame_equal(again.table, table, check_dtype=False)


@pytest.fixture(scope="module")
def grid_out(tmp_path_factory):
    """A finished tiny grid sweep."""
    out = tmp_path_factory.mktemp("grid") / "out"
    run_sweep(load_sweep(tiny_spec(replications=1)), out, workers=1)
    return out


def test_sensitivity_refuses_grid_unfinished_and_unknown(grid_out, tmp_path):
    """Grid design, missing runs, unknown metric, not a sweep folder: exit 2 with the reason, nothing written."""
    refused = runner.invoke(app, ["sensitivity", str(grid_out)])
    assert refused.exit_code == 2 and "sobol" in refused.stderr and "'grid'" in refused.stderr
    assert not (grid_out / "sensitivity").exists()

    params = [{"key": "treatment.beds", "range": [12, 40]}, {"key": "choice.max_declines", "range": [0, 3]}]
    spec = tiny_spec(design="morris", samples=2, replications=1, parameters=params)
    out = tmp_path / "morris"
    sweep = load_sweep(spec)
    run_sweep(sweep, out, workers=1)
    runner_args = ["sensitivity", str(out), "--metric", "no_such_metric"]
    unknown = runner.invoke(app, runner_args)
    assert unknown.exit_code == 2 and "no_such_metric" in unknown.stderr and "waitlist_mean" in unknown.stderr
    (out / "runs" / "run-0000002.parquet").unlink()
    unfinished = runner.invoke(app, ["sensitivity", str(out)])
    assert unfinished.exit_code == 2
    assert "1 of 6 runs are missing" in unfinished.stderr and "--resume" in unfinished.stderr
    assert not (out / "sensitivity").exists()

    elsewhere = runner.invoke(app, ["sensitivity", str(tmp_path)])
    assert elsewhere.exit_code == 2 and "not a sweep" in elsewhere.stderr
