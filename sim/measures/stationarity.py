"""Is the observation window in steady state? The trend of a series, the MSER-5 warm-up rule and
the stationarity verdict every run prints.

- :func:`trend_per_year` is the ordinary least-squares slope of a sampled count against time in
  years (``temp_occupancy_trend_per_year`` of ``sim.measures.metrics``).
- :func:`stationarity_verdict` turns a run's summary (the mean and 95% interval of that slope
  and the mean temporary occupancy) into a verdict: *settled* when the whole interval lies within
  ``TOLERANCE_SHARE`` of the mean occupancy per year, *drifting* when it does not and excludes 0,
  *undecided* when it includes 0 but is wider than that, or without an interval. It is computed from the numbers, never typed.
- :func:`mser5` is the MSER-5 truncation rule (White 1997; Franklin & White 2008) that
  ``scripts/warmup.py`` applies to choose ``run.warmup_days``.

``docs/warmup.md`` explains all three.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.config import DAYS_PER_YEAR

#: The trend a settled run may have: this share of the mean temporary occupancy, per year.
TOLERANCE_SHARE = 0.02
#: MSER-5: observations per batch.
MSER_BATCH = 5
#: The metric whose trend is judged, and the level the tolerance is a share of.
TREND_METRIC = "temp_occupancy_trend_per_year"
LEVEL_METRIC = "temp_occupancy_mean"

SETTLED = "settled"
DRIFTING = "drifting"
UNDECIDED = "undecided"


# ----------------------------------------------------------------------------- the trend


def ols_slope(x: np.ndarray, y: np.ndarray) -> float:
    """The ordinary least-squares slope of ``y`` against ``x``; ``nan`` with fewer than two
    distinct ``x``."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) < 2:
        return math.nan
    dx = x - x.mean()
    sxx = float(dx @ dx)
    if sxx == 0.0:
        return math.nan
    return float(dx @ (y - y.mean())) / sxx


def trend_per_year(samples: pd.DataFrame, column: str, warmup: float, end: float) -> float:
    """The least-squares slope of a sampled count against time in years, over the samples in
    [``warmup``, ``end``] (people per year for a count of people).

    Args:
        samples: The samples table (columns ``day`` and ``column``).
        column: The count, e.g. ``n_temporary``.
        warmup: First day of the observation window.
        end: Last day of the run.

    Returns:
        The slope; ``nan`` with fewer than two samples in the window.
    """
    day = samples["day"].to_numpy(dtype=float)
    keep = (day >= warmup) & (day <= end)
    return ols_slope(day[keep] / DAYS_PER_YEAR, samples[column].to_numpy(dtype=float)[keep])


# ----------------------------------------------------------------------------- the verdict


def _num(value: float) -> str:
    """A signed number with one decimal (two when one would show a non-zero value as 0.0)."""
    decimals = 2 if 0 < abs(value) < 0.05 else 1
    text = f"{value:+.{decimals}f}"
    return text.replace("-0.0", "0.0").replace("+0.0", "0.0") if float(text) == 0 else text


def _share_text(value: float) -> str:
    return f"{value * 100:.1f}%"


@dataclass(frozen=True)
class Stationarity:
    """The verdict on a run's observation window.

    Attributes:
        status: ``settled``, ``drifting`` or ``undecided``.
        trend: Mean over replications of the temporary-occupancy trend, people per year
            (``nan`` if no replication has one).
        low: Lower end of its 95% interval (``nan`` without an interval).
        high: Upper end (``nan`` without an interval).
        level: Mean temporary occupancy, people (``nan`` without data).
        reason: Why the verdict is undecided (``""`` otherwise).
    """

    status: str
    trend: float
    low: float
    high: float
    level: float
    reason: str = ""

    @property
    def band(self) -> float:
        """The largest trend a settled run may have, people per year (``TOLERANCE_SHARE`` of the level)."""
        return TOLERANCE_SHARE * abs(self.level)

    @property
    def line(self) -> str:
        """The verdict as one plain line, as ``pathways run`` prints it."""
        tol = f"±{TOLERANCE_SHARE * 100:g}%"
        if self.status == UNDECIDED:
            return f"Stationarity: cannot be decided ({self.reason})"
        interval = f"[{_num(self.low)}, {_num(self.high)}]"
        if self.status == SETTLED:
            return (
                f"Stationarity: settled (temporary occupancy trend {_num(self.trend)} people/year {interval}, "
                f"within {tol} of the mean {self.level:.1f} per year)"
            )
        share = f"{_share_text(self.trend / self.level)} of the mean {self.level:.1f} per year" if self.level else (
            "mean occupancy 0"
        )
        return (
            f"Stationarity: drifting by {_num(self.trend)} people per year {interval} "
            f"({share}; settled needs the interval within {tol}, [{_num(-self.band)}, {_num(self.band)}])"
        )

    def as_json(self) -> dict[str, Any]:
        """The verdict for ``summary.json`` (numbers rounded as the metrics are; ``nan`` -> ``null``)."""

        def j(v: float) -> float | None:
            return None if math.isnan(v) else round(float(v), 10)

        return {
            "status": self.status,
            "line": self.line,
            "rule": (
                f"settled if the 95% interval of {TREND_METRIC} lies within ±{TOLERANCE_SHARE * 100:g}% "
                f"of {LEVEL_METRIC} per year (docs/warmup.md)"
            ),
            "trend_per_year": j(self.trend),
            "ci95": [j(self.low), j(self.high)],
            "occupancy_mean": j(self.level),
            "band_per_year": [j(-self.band), j(self.band)] if not math.isnan(self.level) else [None, None],
        }


def _value(metrics: Mapping[str, Mapping[str, Any]], name: str, key: str = "mean") -> float:
    entry = metrics.get(name)
    value = None if entry is None else entry.get(key)
    return math.nan if value is None else float(value)


def stationarity_verdict(metrics: Mapping[str, Mapping[str, Any]]) -> Stationarity:
    """The stationarity verdict of a run, from its summary's metrics (``summary["metrics"]``).

    Settled if the 95% interval of ``temp_occupancy_trend_per_year`` lies within
    ±``TOLERANCE_SHARE`` of ``temp_occupancy_mean`` per year; drifting if it does not and
    excludes 0; undecided if it includes 0 but is wider than that (no trend detected, none ruled
    out), and without an interval (one replication) or without a trend.

    Args:
        metrics: Metric name to ``{"mean": ..., "ci95": [low, high], ...}`` (``None`` for missing).

    Returns:
        The verdict with its numbers and its line of text.
    """
    trend = _value(metrics, TREND_METRIC)
    ci = (metrics.get(TREND_METRIC) or {}).get("ci95") or [None, None]
    low, high = (math.nan if v is None else float(v) for v in ci)
    level = _value(metrics, LEVEL_METRIC)
    if TREND_METRIC not in metrics or math.isnan(trend):
        return Stationarity(UNDECIDED, trend, low, high, level,
                            "no trend: fewer than two samples of temporary occupancy in the observation window")
    if math.isnan(level):
        return Stationarity(UNDECIDED, trend, low, high, level, "no mean temporary occupancy")
    if math.isnan(low) or math.isnan(high):
        return Stationarity(
            UNDECIDED, trend, low, high, level,
            f"one replication: the temporary occupancy trend {_num(trend)} people/year has no 95% interval; "
            "run 2 or more replications",
        )
    band = TOLERANCE_SHARE * abs(level)
    if -band <= low and high <= band:
        return Stationarity(SETTLED, trend, low, high, level)
    if low <= 0.0 <= high:
        # No trend is detected, but the interval is too wide to say it is small: calling that
        # "drifting" would report noise as a drift.
        return Stationarity(
            UNDECIDED, trend, low, high, level,
            f"the temporary occupancy trend {_num(trend)} people/year [{_num(low)}, {_num(high)}] includes 0 "
            f"but is wider than ±{TOLERANCE_SHARE * 100:g}% of the mean {level:.1f} "
            f"([{_num(-band)}, {_num(band)}] per year): run more years or replications",
        )
    return Stationarity(DRIFTING, trend, low, high, level)


#: The key of a summary (``summary.json``) that holds the stationarity verdict: beside ``metrics``,
#: not in it, so code that iterates the metrics finds only metrics.
STATIONARITY_KEY = "stationarity"


def summary_with_stationarity(summary: dict[str, Any]) -> dict[str, Any]:
    """A run's summary with its stationarity verdict (:func:`stationarity_verdict`, computed from
    its metrics) under :data:`STATIONARITY_KEY`, after the metrics; a summary that has one already
    is returned as it is."""
    if STATIONARITY_KEY in summary:
        return summary
    return {**summary, STATIONARITY_KEY: stationarity_verdict(summary["metrics"]).as_json()}


# ----------------------------------------------------------------------------- MSER-5


@dataclass(frozen=True)
class Truncation:
    """The MSER-5 truncation of one series.

    Attributes:
        batches: Batches of ``MSER_BATCH`` observations deleted from the start (d*).
        observations: Observations deleted, ``MSER_BATCH * batches``.
        statistic: The MSER statistic for d = 0 .. the largest d searched.
        at_boundary: d* is the last d searched (half the batches): the series may not have
            settled within the run, and the truncation is not to be trusted.
    """

    batches: int
    observations: int
    statistic: np.ndarray
    at_boundary: bool


def batch_means(series: np.ndarray, size: int = MSER_BATCH) -> np.ndarray:
    """Means of consecutive, non-overlapping batches of ``size`` observations from the start; the
    last ``len(series) % size`` observations, too few for a batch, are left out."""
    y = np.asarray(series, dtype=float)
    b = len(y) // size
    return y[: b * size].reshape(b, size).mean(axis=1)


def mser_statistic(z: np.ndarray, max_d: int) -> np.ndarray:
    """MSER(d) = sum_{j>d} (z_j - mean_{j>d} z)^2 / (b - d)^2 for d = 0 .. ``max_d`` (z has b values)."""
    z = np.asarray(z, dtype=float)
    b = len(z)
    out = np.empty(max_d + 1)
    # Sums over the tail z[d:], for every d at once.
    tail_sum = np.cumsum(z[::-1])[::-1]
    tail_sq = np.cumsum((z * z)[::-1])[::-1]
    for d in range(max_d + 1):
        n = b - d
        ss = tail_sq[d] - tail_sum[d] ** 2 / n
        out[d] = max(ss, 0.0) / (n * n)
    return out


def mser5(series: np.ndarray | list[float]) -> Truncation:
    """The MSER-5 truncation point of a series (White 1997; Franklin & White 2008).

    The series is cut into batches of 5 observations; the batch means z_1 .. z_b give, for each
    number d of batches deleted from the start, MSER(d) = sum_{j>d} (z_j - mean)^2 / (b - d)^2
    (the squared standard error of the truncated mean, up to a constant). d* minimises MSER(d)
    over the first half of the batches, d = 0 .. floor(b / 2); the first 5 d* observations are
    the warm-up.

    Args:
        series: The observations in time order (e.g. a daily count averaged over replications).

    Returns:
        The truncation: batches and observations deleted, the statistic, whether d* is at the
        boundary of the search.

    Raises:
        ValueError: Fewer than two batches (10 observations).
    """
    z = batch_means(np.asarray(series, dtype=float))
    if len(z) < 2:
        raise ValueError(f"MSER-5 needs at least {2 * MSER_BATCH} observations, got {len(np.asarray(series))}")
    max_d = len(z) // 2
    stat = mser_statistic(z, max_d)
    d = int(np.argmin(stat))  # the first minimum: the shortest warm-up among ties
    return Truncation(d, MSER_BATCH * d, stat, at_boundary=d == max_d and max_d > 0)
