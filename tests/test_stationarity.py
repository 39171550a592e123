"""The stationarity measures (``sim.measures.stationarity``): MSER-5 on synthetic series, the
least-squares trend of a samples table, and the verdict on hand-made summaries."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.measures.stationarity import (
    DRIFTING,
    SETTLED,
    STATIONARITY_KEY,
    TOLERANCE_SHARE,
    UNDECIDED,
    batch_means,
    mser5,
    mser_statistic,
    ols_slope,
    stationarity_verdict,
    summary_with_stationarity,
    trend_per_year,
)

# ----------------------------------------------------------------------------- MSER-5


def test_mser5_finds_a_known_initial_transient():
    """A series that starts 30 above its level and decays to it by day ~300 is truncated near there,
    not at 0 and not at the boundary of the search."""
    rng = np.random.default_rng(1)
    n = 3000
    t = np.arange(n)
    transient = np.where(t < 300, 30.0 * (1 - t / 300), 0.0)
    series = 50.0 + transient + rng.normal(0.0, 2.0, n)
    cut = mser5(series)
    assert 200 <= cut.observations <= 400, cut.observations
    assert cut.observations == 5 * cut.batches
    assert not cut.at_boundary


def test_mser5_on_a_step_cuts_at_the_step():
    """A series 100 for 500 observations, then noise around 0: the cut is at the step, to the batch."""
    rng = np.random.default_rng(2)
    series = np.concatenate([np.full(500, 100.0), rng.normal(0.0, 1.0, 2500)])
    assert mser5(series).observations == 500


def test_mser5_on_a_stationary_series_is_near_zero():
    """Noise around a constant: little or nothing is deleted."""
    rng = np.random.default_rng(3)
    for _ in range(5):
        cut = mser5(rng.normal(50.0, 3.0, 3000))
        assert cut.observations <= 150, cut.observations


def test_mser5_flags_a_series_that_never_settles():
    """A steady upward ramp: the minimum is at the end of the search (half the batches), flagged."""
    cut = mser5(np.arange(1000, dtype=float))
    assert cut.at_boundary and cut.batches == 100


def test_mser_statistic_by_hand():
    """MSER(d) = sum of squared deviations of the batch means after d, over (b - d)^2."""
    z = np.array([10.0, 2.0, 4.0, 3.0])
    stat = mser_statistic(z, 2)
    assert stat[0] == pytest.approx(np.sum((z - z.mean()) ** 2) / 16)
    assert stat[1] == pytest.approx(np.sum((z[1:] - 3.0) ** 2) / 9)
    assert stat[2] == pytest.approx(0.5 / 4)


def test_batch_means_drop_the_incomplete_last_batch():
    assert list(batch_means(np.arange(12.0))) == [2.0, 7.0]


def test_mser5_needs_two_batches():
    with pytest.raises(ValueError, match="at least 10"):
        mser5(np.ones(9))


# ----------------------------------------------------------------------------- the trend


def test_ols_slope_recovers_a_line_and_needs_two_points():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    assert ols_slope(x, 2.0 * x + 5.0) == pytest.approx(2.0)
    assert math.isnan(ols_slope(np.array([1.0]), np.array([3.0])))
    assert math.isnan(ols_slope(np.array([1.0, 1.0]), np.array([3.0, 4.0])))


def test_trend_per_year_uses_the_window_and_years():
    """n_temporary rises 0.01 a day inside [W, T] (3.65 a year); what comes before W does not count."""
    day = np.arange(0.0, 2001.0)
    n = np.where(day < 1000, 500.0 - day, 40.0 + 0.01 * (day - 1000))
    samples = pd.DataFrame({"day": day, "n_temporary": n})
    assert trend_per_year(samples, "n_temporary", 1000.0, 2000.0) == pytest.approx(3.65)
    # with the warm-up's steep fall included, the slope is negative
    assert trend_per_year(samples, "n_temporary", 0.0, 2000.0) < 0
    assert math.isnan(trend_per_year(samples, "n_temporary", 2000.0, 2000.0))


# ----------------------------------------------------------------------------- the verdict


def metrics_with(trend: float | None, low: float | None, high: float | None, level: float | None = 50.0) -> dict:
    """The two entries of ``summary["metrics"]`` the verdict reads."""
    return {
        "temp_occupancy_mean": {"mean": level, "ci95": [None, None], "unit": "people", "description": ""},
        "temp_occupancy_trend_per_year": {"mean": trend, "ci95": [low, high], "unit": "people per year",
                                          "description": ""},
    }


def test_settled_when_the_interval_is_within_the_band():
    """Band = 2% of 50 = 1 person a year: [-0.4, +0.9] is within it."""
    v = stationarity_verdict(metrics_with(0.3, -0.4, 0.9))
    assert v.status == SETTLED and v.band == pytest.approx(TOLERANCE_SHARE * 50.0)
    assert v.line == ("Stationarity: settled (temporary occupancy trend +0.3 people/year [-0.4, +0.9], "
                      "within ±2% of the mean 50.0 per year)")


def test_drifting_up_when_the_interval_leaves_the_band():
    v = stationarity_verdict(metrics_with(2.0, 1.5, 2.5))
    assert v.status == DRIFTING
    assert v.line.startswith("Stationarity: drifting by +2.0 people per year [+1.5, +2.5] (4.0% of the mean 50.0")
    assert "interval includes 0" not in v.line


def test_drifting_down():
    v = stationarity_verdict(metrics_with(-2.0, -2.6, -1.4))
    assert v.status == DRIFTING and "drifting by -2.0 people per year [-2.6, -1.4] (-4.0% of the mean" in v.line


def test_a_wide_interval_around_zero_is_undecided_not_drifting():
    """The interval must lie inside the band to be settled: one end outside is enough to fail. An
    interval around 0 that is too wide is undecided (no trend detected, none ruled out), not drifting."""
    v = stationarity_verdict(metrics_with(0.0, -1.2, 1.2))
    assert v.status == UNDECIDED and "includes 0 but is wider than ±2%" in v.line
    assert "run more years or replications" in v.line
    # one end outside, the other past 0: drifting
    assert stationarity_verdict(metrics_with(1.2, 0.1, 2.3)).status == DRIFTING
    # just inside at both ends
    assert stationarity_verdict(metrics_with(0.0, -0.99, 0.99)).status == SETTLED


def test_one_replication_cannot_be_decided():
    v = stationarity_verdict(metrics_with(0.3, None, None))
    assert v.status == UNDECIDED
    assert v.line.startswith("Stationarity: cannot be decided (one replication")
    assert stationarity_verdict(metrics_with(None, None, None)).status == UNDECIDED
    assert stationarity_verdict({}).status == UNDECIDED


def test_verdict_json_sits_beside_the_metrics():
    """summary.json: the verdict goes under "stationarity", next to "metrics", and every value is JSON."""
    summary = {"scenario": "x", "metrics": metrics_with(2.0, 1.5, 2.5)}
    out = summary_with_stationarity(summary)
    assert set(out["metrics"]) == set(summary["metrics"]) and STATIONARITY_KEY not in summary
    s = out[STATIONARITY_KEY]
    assert s["status"] == DRIFTING and s["ci95"] == [1.5, 2.5] and s["band_per_year"] == [-1.0, 1.0]
    assert s["line"] == stationarity_verdict(summary["metrics"]).line
    single = summary_with_stationarity({"metrics": metrics_with(0.3, None, None)})[STATIONARITY_KEY]
    assert single["status"] == UNDECIDED and single["ci95"] == [None, None]
