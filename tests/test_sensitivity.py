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
from sim.experiments.sensitivity import analyse, noise_share, readability, replications_for
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
    assert result.labels["housing_office.meeting_interval_days"] == "housing office: meeting interval (days)"
    assert list(result.labelled().columns[:3]) == ["metric", "parameter", "label"], "the written table"
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


def test_morris_table_is_sorted_by_mu_star():
    """y = x1 + 10 x3: the third parameter comes first, the second (no effect) last."""
    result = analyse(synthetic("morris", 20, lambda x: x[:, 0] + 10 * x[:, 2]).as_results())
    assert list(result.table["parameter"]) == [
        "discharge.prison_to_temporary_prob", "housing_office.meeting_interval_days",
        "coordination.hold_discharge_share",
    ]  # fmt: skip
    assert result.table["mu_star"].is_monotonic_decreasing


SOBOL_MANIFEST = {"design": "sobol", "samples": 32, "n_points": 32 * 4, "replications": 2}


def sobol_table(rows: list[tuple[str, float, float, float, float]], noise: float = float("nan")) -> pd.DataFrame:
    """An index table of one metric 'm': (label, S1, S1_conf, ST, ST_conf) per parameter."""
    return pd.DataFrame(
        [
            {"metric": "m", "parameter": label, "S1": s1, "S1_conf": s1c, "ST": st,
             "ST_conf": stc, "noise_share": noise}
            for label, s1, s1c, st, stc in rows
        ]
    )  # fmt: skip


def quiet_runs() -> pd.DataFrame:
    """Two replications at three points, no noise to speak of."""
    return pd.DataFrame({"point": [0, 0, 1, 1, 2, 2], "m": [0.0, 0.0, 10.0, 10.0, 20.0, 20.0]})


def test_readable_indices_get_no_warning():
    table = sobol_table([("a", 0.6, 0.05, 0.65, 0.05), ("b", 0.3, 0.04, 0.35, 0.05), ("c", 0.01, 0.02, 0.01, 0.01)])
    assert readability(table, quiet_runs(), SOBOL_MANIFEST) == []


def test_negative_first_order_beyond_its_interval_is_flagged():
    table = sobol_table([("a", -0.175, 0.1, 0.6, 0.05), ("b", -0.02, 0.04, 0.3, 0.05)])
    notes = readability(table, quiet_runs(), SOBOL_MANIFEST)
    negative = [n for n in notes if "below 0" in n]
    assert len(negative) == 1 and "a: S1 = -0.17" in negative[0] and "b:" not in negative[0], negative
    assert "S1 cannot be read" in negative[0]
    in_words = readability(table, quiet_runs(), SOBOL_MANIFEST, {"a": "the lever in words"})
    assert "(the lever in words: S1 = -0.17" in in_words[0], "the notes name parameters in words"


def test_total_index_above_one_is_flagged():
    notes = readability(sobol_table([("a", 0.5, 0.05, 1.4, 0.1)]), quiet_runs(), SOBOL_MANIFEST)
    assert any("above 1" in n and "ST = 1.40" in n for n in notes), notes


def test_wide_intervals_are_flagged_with_the_samples_that_would_do():
    """ST = 0.4 +- 0.4: the target is 0.2, twice narrower, so 4 N = 128 (a power of 2 anyway)."""
    table = sobol_table([("a", 0.3, 0.1, 0.4, 0.4), ("b", 0.3, 0.1, 0.4, 0.1)])
    notes = [n for n in readability(table, quiet_runs(), SOBOL_MANIFEST) if "wider than" in n]
    assert len(notes) == 1, notes
    note = notes[0]
    assert note.startswith("m: 1 of 4 indices have 95% intervals wider than 50% of their estimate")
    assert "widest is ST of a: 0.40 \u00b1 0.40" in note
    assert "N = 128 (now 32) would roughly halve them" in note
    assert "N = 128 would bring the widest within 50%" in note and "(1024 runs at 2 replications)" in note
    # Three times the target: 9 N = 288, rounded up to the next power of 2.
    table = sobol_table([("a", 0.3, 0.1, 0.4, 0.6)])
    note = next(n for n in readability(table, quiet_runs(), SOBOL_MANIFEST) if "wider than" in n)
    assert "N = 512 would bring the widest" in note


def test_small_indices_with_small_intervals_are_not_flagged():
    """0.01 +- 0.03 is three times its estimate, but reads as 'next to no effect' either way."""
    table = sobol_table([("a", 0.9, 0.05, 0.95, 0.05), ("b", 0.01, 0.03, 0.01, 0.03)])
    assert readability(table, quiet_runs(), SOBOL_MANIFEST) == []


def test_replication_noise_is_flagged_with_the_replications_that_would_do():
    """+-5 around 0, 10, 20: noise 25 of 100, signal 75; R' = 2 * 25 * 0.8 / (0.2 * 75) = 2.7, so 3."""
    runs = pd.DataFrame({"point": [0, 0, 1, 1, 2, 2], "m": [-5.0, 5.0, 5.0, 15.0, 15.0, 25.0]})
    assert noise_share(runs, "m") == pytest.approx(0.25)
    assert replications_for(runs, "m") == 3
    notes = readability(sobol_table([("a", 0.6, 0.05, 0.65, 0.05)], noise=0.25), runs, SOBOL_MANIFEST)
    assert notes == [
        (
            "m: replication noise is 25% of the variance of the point means (more than 20%); the indices split "
            "it among the parameters as if it were their doing. Its variance falls as 1/R: replications = 3 "
            "(now 2) would bring it to 20%, or longer runs."
        )
    ]
    pure_noise = runs.assign(m=[-10.0, 10.0, 0.0, 20.0, 10.0, 30.0])
    assert replications_for(pure_noise, "m") is None
    notes = readability(sobol_table([("a", 0.6, 0.05, 0.65, 0.05)], noise=1.0), pure_noise, SOBOL_MANIFEST)
    assert "no number of replications can be sized" in notes[0]


def test_one_replication_says_the_noise_cannot_be_measured():
    manifest = {**SOBOL_MANIFEST, "replications": 1}
    runs = pd.DataFrame({"point": [0, 1, 2], "m": [0.0, 10.0, 20.0]})
    notes = readability(sobol_table([("a", 0.6, 0.05, 0.65, 0.05)]), runs, manifest)
    assert len(notes) == 1 and notes[0].startswith("one replication per point")


def test_morris_wide_intervals_size_the_trajectories():
    manifest = {"design": "morris", "samples": 10, "n_points": 10 * 3, "replications": 2}
    table = pd.DataFrame(
        [
            {"metric": "m", "parameter": "a", "mu_star": 10.0, "mu_star_conf": 2.0, "mu": 10.0,
             "sigma": 1.0, "noise_share": float("nan")},
            {"metric": "m", "parameter": "b", "mu_star": 4.0, "mu_star_conf": 4.0, "mu": 1.0,
             "sigma": 1.0, "noise_share": float("nan")},
        ]
    )  # fmt: skip
    notes = readability(table, quiet_runs(), manifest)
    assert len(notes) == 1 and "widest is mu* of b: 4.00 \u00b1 4.00" in notes[0]
    assert "samples (trajectories r) = 40 (now 10) would roughly halve them" in notes[0]
    assert "samples (trajectories r) = 40 would bring the widest within 50%" in notes[0]
    assert "(240 runs at 2 replications)" in notes[0]


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
    pd.testing.assert_frame_equal(again.labelled(), table, check_dtype=False)
    assert set(table["label"]) == {"treatment: beds", "user choice: maximum declines"}
    # N = 4 with one replication: the notes say so, with numbers, on the console and in notes.txt.
    assert "note: one replication per point" in result.stderr
    assert "Intervals shrink as 1/sqrt(N): N = 16 (now 4)" in " ".join(result.stderr.split())
    notes = (out / "sensitivity" / "notes.txt").read_text(encoding="utf-8")
    assert "average wait for treatment (treatment_wait_days_mean): " in notes


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


def test_the_plot_names_parameters_and_metrics_in_words():
    from sim.reports.sensitivity_report import sensitivity_plot

    sobol = analyse(synthetic("sobol", 64, lambda x: 4 * x[:, 0] + 2 * x[:, 1]).as_results())
    ax = sensitivity_plot(sobol).axes[0]
    ticks = [" ".join(t.get_text().split()) for t in ax.get_yticklabels()]
    assert ticks[0] == "housing office: meeting interval (days)"
    assert " ".join(ax.get_title().split()) == "people on the housing waiting list on an average day"
    morris = analyse(synthetic("morris", 10, lambda x: 10 * x[:, 0] + x[:, 1]).as_results())
    ax = sensitivity_plot(morris).axes[0]
    assert "coordination: hold discharge (share)" in [t.get_text() for t in ax.texts]
