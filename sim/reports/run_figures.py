"""Figures of a run (PNG): people by state over time, temporary stays, discharge destinations,
the yearly measures year by year.

Figures are drawn on :class:`matplotlib.figure.Figure` objects: no backend is chosen, so a
notebook's inline backend is left alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim.config import DAYS_PER_YEAR
from sim.experiments.replications import RunResult
from sim.measures.households import NORM_DAYS
from sim.measures.metrics import METRICS, temporary_stay_lengths
from sim.model.states import State
from sim.reports.language import place
from sim.reports.style import PLACE_COLOURS, WAITLIST_COLOUR, WARMUP_SHADE

STAY_BIN_DAYS = 15.0  # width of a bar of the temporary-stay histograms


def states_over_time(result: RunResult, path: Path) -> None:
    """Mean number of people in each state over time, across replications; warm-up shaded."""
    states = result.states
    mean = states.groupby("day").mean(numeric_only=True)
    years = mean.index.to_numpy() / DAYS_PER_YEAR
    fig = Figure(figsize=(9, 5))
    ax = fig.subplots()
    for state in State:
        ax.plot(years, mean[f"n_{state.value}"], label=place(state), color=PLACE_COLOURS[state])
    ax.plot(years, mean["waitlist"], label="waiting list", linestyle="--", color=WAITLIST_COLOUR)
    ax.axvspan(0, result.scenario.run.warmup_days / DAYS_PER_YEAR, color=WARMUP_SHADE, label="warm-up (not counted)")
    ax.set_xlabel("year")
    ax.set_ylabel("people (mean over replications)")
    ax.set_title(f"{result.scenario.name}: people by state over time")
    ax.legend(loc="upper left", ncols=2, fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def temporary_stays(result: RunResult, path: Path) -> None:
    """Distribution of temporary-housing spell lengths, with the 90-day norm marked."""
    days = temporary_stay_lengths(result.spells, result.scenario.run.warmup_days, result.scenario.total_days)
    fig = Figure(figsize=(9, 5))
    ax = fig.subplots()
    if len(days):
        bins = np.arange(0, max(days.max(), NORM_DAYS) + STAY_BIN_DAYS, STAY_BIN_DAYS)
        ax.hist(days, bins=bins, color="tab:blue", alpha=0.8)
        share = (days > NORM_DAYS).mean()
        ax.axvline(NORM_DAYS, color="tab:red", linewidth=2, label=f"90-day norm ({share:.0%} of stays longer)")
        ax.legend()
    ax.set_xlabel("days in temporary housing (one spell)")
    ax.set_ylabel("spells (all replications)")
    ax.set_title(f"{result.scenario.name}: length of temporary stays")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def discharge_destinations(result: RunResult, path: Path) -> None:
    """Where people went at discharge from treatment and prison, with 95% intervals."""
    metrics = result.summary["metrics"]
    labels = ["housing", "private", "temporary", "street"]
    means, lows, highs = [], [], []
    for label in labels:
        m = metrics[f"discharge_to_{label}_share"]
        mean = m["mean"] or 0.0
        lo, hi = m["ci95"]
        means.append(mean * 100)
        lows.append((mean - lo) * 100 if lo is not None else 0.0)
        highs.append((hi - mean) * 100 if hi is not None else 0.0)
    fig = Figure(figsize=(7, 5))
    ax = fig.subplots()
    places = [State.HOUSED, State.PRIVATE, State.TEMPORARY, State.STREET]  # the order of ``labels``
    ax.bar([place(s) for s in places], means, yerr=[lows, highs], color=[PLACE_COLOURS[s] for s in places], capsize=6)
    ax.tick_params(axis="x", labelsize="small")
    ax.set_ylabel("% of discharges (95% CI)")
    ax.set_title(f"{result.scenario.name}: where discharged people went")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


#: The yearly measures the year-by-year figure shows, one panel each.
YEARLY_PANELS: tuple[str, ...] = (
    "temp_households_over_90d_share",
    "temp_households_per_year",
    "homeless_per_1000",
    "revolving_door_persons_per_year",
)


def yearly_measures(result: RunResult, path: Path) -> None:
    """The yearly measures year by year (mean and 95% interval over replications), each with the
    window's average as a dashed line: whether a window average hides a trend."""
    by_year = result.summary["by_year"]
    metrics = result.summary["metrics"]
    fig = Figure(figsize=(10, 6.5))
    axes = fig.subplots(2, 2)
    for ax, name in zip(axes.flat, YEARLY_PANELS, strict=True):
        rows = by_year[name]
        scale = 100.0 if METRICS[name].unit == "share" else 1.0
        years = [r["year"] for r in rows]
        mean = np.array([np.nan if r["mean"] is None else r["mean"] * scale for r in rows])
        lo = np.array([np.nan if r["ci95"][0] is None else r["ci95"][0] * scale for r in rows])
        hi = np.array([np.nan if r["ci95"][1] is None else r["ci95"][1] * scale for r in rows])
        ax.errorbar(years, mean, yerr=[mean - lo, hi - mean], marker="o", capsize=4, color="tab:blue")
        if metrics[name]["mean"] is not None:
            ax.axhline(metrics[name]["mean"] * scale, color="grey", linestyle="--", label="average over the years")
        ax.set_title(PANEL_TITLES[name], fontsize="medium")
        ax.set_xlabel("counted year (after the warm-up)")
        ax.set_ylabel("%" if scale == 100.0 else METRICS[name].unit)
        ax.set_xticks(years)
        ax.legend(fontsize="small")
    fig.suptitle(f"{result.scenario.name}: year by year, mean and 95% interval over replications")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


#: The year-by-year figure's panel titles.
PANEL_TITLES = {
    "temp_households_over_90d_share": "people in temporary housing > 90 days that year",
    "temp_households_per_year": "people in temporary housing during the year",
    "homeless_per_1000": "homeless per 1,000 inhabitants (census day)",
    "revolving_door_persons_per_year": "people with 3+ admissions within a year",
}


def write_figures(result: RunResult, folder: Path) -> None:
    """Write every figure of a run into ``folder`` (which must exist).

    Args:
        result: The run (:func:`sim.experiments.replications.run_scenario`).
        folder: Where the PNG files go.
    """
    states_over_time(result, folder / "states.png")
    temporary_stays(result, folder / "temporary_stays.png")
    discharge_destinations(result, folder / "discharge_destinations.png")
    if result.summary.get("by_year"):
        yearly_measures(result, folder / "yearly.png")
