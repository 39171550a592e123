"""Figures of a finished sweep: each kept metric against the varied parameters (PNG).

A grid sweep gets, per metric, the metric against the first parameter with one line per level
of the second (any further parameters averaged over), with 95% intervals across the runs (no
error bar where a level has a single run: one value gives no interval). The sampled designs
(``lhs``, ``sobol``, ``morris``) get, per metric, one scatter panel per parameter of the point
means.

Parameters, their values and metrics are named in words (:mod:`sim.reports.labels`), and a
share's interval is cut to 0-100% (:attr:`sim.measures.metrics.Metric.bounds`).

Figures are drawn on :class:`matplotlib.figure.Figure` objects: no backend is chosen, so a
notebook's inline backend is left alone. Each figure is written as PNG to a path or an open
binary file.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from matplotlib.figure import Figure

from sim import files
from sim.experiments.sweeps import SweepResult
from sim.measures.metrics import METRICS
from sim.measures.statistics import mean_ci
from sim.reports.labels import metric_label, parameter_label, value_label

MAX_PANELS = 6  # parameters shown in a sampled design's scatter figure; more make the panels unreadable
FIGURES_DIR = "figures"  # the figures' folder inside a sweep's results folder
VALUE_WIDTH = 12  # characters per line of a level's name under a scatter panel
LABEL_WIDTH = 32  # characters per line of a scatter panel's axis label (longer labels wrap)


def _is_numeric(column: pd.Series) -> bool:
    """Whether a parameter's values are numbers on an axis (``bool`` and text levels are categories)."""
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _scale(metric: str) -> tuple[float, str]:
    """Factor and unit to show a metric in: shares as percentages."""
    unit = METRICS[metric].unit
    return (100.0, "%") if unit == "share" else (1.0, unit)


def grid_figure(result: SweepResult, metric: str, path: Path | BinaryIO) -> None:
    """:func:`grid_plot` as PNG."""
    grid_plot(result, metric).savefig(path, dpi=110, format="png")


def grid_plot(result: SweepResult, metric: str) -> Figure:
    """The metric against the first parameter, one line per level of the second, with 95% intervals."""
    runs = result.runs
    keys = result.sweep.keys
    base = result.sweep.base
    x_key = keys[0]
    hue_key = keys[1] if len(keys) > 1 else None
    factor, unit = _scale(metric)
    bounds = METRICS[metric].bounds
    x_levels = list(pd.unique(result.by_point[x_key]))
    numeric = _is_numeric(runs[x_key])
    positions = {v: (float(v) if numeric else i) for i, v in enumerate(x_levels)}
    fig = Figure(figsize=(8, 5))
    ax = fig.subplots()
    groups = [(None, runs)] if hue_key is None else list(runs.groupby(hue_key, sort=False))
    for hue, group in groups:
        xs, ys, below, above = [], [], [], []
        for x in x_levels:
            interval = mean_ci(group.loc[group[x_key] == x, metric].to_numpy(dtype=float), bounds)
            xs.append(positions[x])
            ys.append(interval.mean * factor)
            below.append((interval.mean - interval.low) * factor)
            above.append((interval.high - interval.mean) * factor)
        label = None if hue_key is None else value_label(hue)
        ax.errorbar(xs, ys, yerr=[below, above], marker="o", capsize=4, label=label)
    if not numeric:
        ax.set_xticks(list(positions.values()), [value_label(v) for v in x_levels])
    ax.set_xlabel(parameter_label(x_key, base))
    ax.set_ylabel(f"{metric_label(metric)} ({unit}),\nmean and 95% CI", fontsize="small")
    others = [parameter_label(k, base) for k in keys[2:]]
    note = f"\n(averaged over {'; '.join(others)})" if others else ""
    ax.set_title(f"{result.sweep.name}: {metric_label(metric)}{note}", fontsize="medium")
    if hue_key is not None:
        ax.legend(title=parameter_label(hue_key, base), fontsize="small", title_fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def scatter_figure(result: SweepResult, metric: str, path: Path | BinaryIO) -> None:
    """:func:`scatter_plot` as PNG."""
    scatter_plot(result, metric).savefig(path, dpi=100, format="png")


def scatter_plot(result: SweepResult, metric: str) -> Figure:
    """The point means of the metric against each parameter (one panel per parameter)."""
    table = result.by_point
    keys = result.sweep.keys[:MAX_PANELS]
    factor, unit = _scale(metric)
    fig = Figure(figsize=(3.2 * len(keys) + 1, 3.8))
    axes = fig.subplots(1, len(keys), sharey=True, squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        column = table[key]
        if _is_numeric(column):
            xs = column.to_numpy(dtype=float)
        else:
            levels = list(pd.unique(column))
            xs = column.map({v: i for i, v in enumerate(levels)}).to_numpy(dtype=float)
            ticks = [textwrap.fill(value_label(v), VALUE_WIDTH) for v in levels]
            ax.set_xticks(range(len(levels)), ticks, fontsize="small")
        ax.scatter(xs, table[metric].to_numpy(dtype=float) * factor, s=10, alpha=0.6)
        ax.set_xlabel(textwrap.fill(parameter_label(key, result.sweep.base), LABEL_WIDTH), fontsize="small")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(textwrap.fill(f"{metric_label(metric)} ({unit})", LABEL_WIDTH), fontsize="small")
    fig.suptitle(
        f"{result.sweep.name}: {metric_label(metric)} at each point (mean over replications)", fontsize="medium"
    )
    fig.tight_layout()
    return fig


def write_sweep_figures(result: SweepResult, folder: Path) -> None:
    """One PNG per kept metric in ``folder`` (created if needed), each written whole or not at all.

    Args:
        result: A complete sweep (:func:`sim.experiments.sweeps.run_sweep`).
        folder: Where the figures go; a sweep's is ``<results>/figures`` (:data:`FIGURES_DIR`).
    """
    folder.mkdir(parents=True, exist_ok=True)
    draw = grid_figure if result.sweep.design == "grid" else scatter_figure
    for metric in result.sweep.metrics:
        files.atomic_write(folder / f"{metric}.png", lambda fh, metric=metric: draw(result, metric, fh))
