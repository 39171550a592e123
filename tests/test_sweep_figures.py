"""Sweep figures for people, and share intervals that stay within 0-100%.

The figures are drawn from sweeps whose metric values are made up (no model runs): the titles,
axes and legends name parameters, values and metrics in words, and the interval of a share
never leaves [0, 1] -- here, nor in the run summary (``summarise``), where the cut is the same
one (:func:`sim.measures.statistics.mean_ci` with ``bounds``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.experiments.sweep_file import load_sweep
from sim.experiments.sweeps import SweepResult, by_point, points_table
from sim.measures.metrics import METRICS, summarise, summarise_years
from sim.measures.statistics import SHARE_BOUNDS, mean_ci
from sim.reports.sweep_figures import grid_plot, scatter_plot
from tests.test_sweep import tiny_spec

SHARE = "temp_spells_over_90d_share"
DAYS = "treatment_wait_days_mean"


def made_up(spec: dict, values) -> SweepResult:
    """A sweep of ``spec`` whose metrics are ``values(run)`` instead of model runs."""
    sweep = load_sweep(spec)
    points = points_table(sweep)
    rows = []
    for run in range(sweep.n_runs):
        point, replication = divmod(run, sweep.replications)
        row = {"run": run, "point": point, "replication": replication, "seed": 0}
        row.update(points.loc[point, sweep.keys].to_dict())
        row.update({m: values(run) for m in sweep.metrics})
        rows.append(row)
    runs = pd.DataFrame(rows)
    return SweepResult(sweep, runs, by_point(runs, points, sweep), None)


def test_mean_ci_cuts_a_share_interval_to_its_range():
    values = [0.0, 0.0, 0.1]
    free = mean_ci(values)
    cut = mean_ci(values, SHARE_BOUNDS)
    assert free.low < 0, "a Student-t interval of a share near 0 reaches below 0"
    assert cut.low == 0.0 and cut.high == pytest.approx(free.high) and cut.mean == free.mean
    assert mean_ci([1.0, 1.0, 0.9], SHARE_BOUNDS).high == 1.0
    assert math.isnan(mean_ci([0.5], SHARE_BOUNDS).low), "one value: still no interval"
    assert METRICS[SHARE].bounds == SHARE_BOUNDS and METRICS[DAYS].bounds is None


def test_run_summary_cuts_share_intervals_only():
    rows = pd.DataFrame({m: [0.0, 0.0, 0.1] for m in METRICS})
    summary = summarise(rows)
    assert summary[SHARE]["ci95"][0] == 0.0
    assert summary[DAYS]["ci95"][0] < 0, "a metric that is not a share is not cut"
    differences = summarise(rows - 0.05, bounded=False)  # paired differences of shares may be negative
    assert differences[SHARE]["ci95"][0] < 0
    yearly = pd.DataFrame({"year": [1, 1, 1], "replication": [0, 1, 2], **{m: [0.0, 0.0, 0.1] for m in METRICS}})
    by_year = summarise_years(yearly)
    assert by_year["temp_households_over_90d_share"][0]["ci95"][0] == 0.0


def test_grid_figure_names_things_in_words_and_keeps_shares_above_zero():
    spec = tiny_spec(
        replications=3,
        metrics=[SHARE],
        parameters=[
            {"key": "stock.types.ordinary.units.sentrum", "levels": [30, 60]},
            {"key": "choice.max_declines", "levels": [0, "unlimited"]},
            {"key": "housing_office.require_housing_ready", "levels": [True, False]},
        ],
    )
    fig = grid_plot(made_up(spec, lambda run: 0.1 if run % 3 == 2 else 0.0), SHARE)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "ordinary flats in the centre (units)"
    assert "share of temporary stays over 90 days (%)" in ax.get_ylabel()
    assert "share of temporary stays over 90 days" in ax.get_title()
    assert "housing office: require housing ready" in ax.get_title(), "averaged over, in words"
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "user choice: maximum declines"
    assert [t.get_text() for t in legend.get_texts()] == ["0", "unlimited"]
    bottoms = [segment[0][1] for c in ax.collections for segment in c.get_segments()]
    assert bottoms and min(bottoms) == 0.0, "the error bars stop at 0%, not below"
    assert max(segment[1][1] for c in ax.collections for segment in c.get_segments()) < 100


def test_scatter_figure_names_things_in_words():
    spec = tiny_spec(
        design="lhs", samples=6, replications=1, metrics=[DAYS],
        parameters=[
            {"key": "coordination.notice_delay_days", "range": [0.0, 28.0]},
            {"key": "housing_office.rule", "levels": ["fcfs", "need_priority"]},
        ],
    )  # fmt: skip
    fig = scatter_plot(made_up(spec, lambda run: float(run)), DAYS)
    first, second = fig.axes
    assert " ".join(first.get_xlabel().split()) == "coordination: notice delay (days)", "long labels wrap"
    assert second.get_xlabel() == "housing office: rule"
    ticks = [" ".join(t.get_text().split()) for t in second.get_xticklabels()]
    assert ticks == ["first come, first served", "need priority"]
    assert "average wait for treatment" in " ".join(first.get_ylabel().split())
    assert np.isfinite([first.get_ylim()]).all()
