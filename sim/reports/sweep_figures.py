"""Figures of a finished sweep: each kept metric against the varied parameters (PNG).

A grid sweep gets, per metric, the metric against the first parameter with one line per level
of the second (any further parameters averaged over), with 95% intervals across the runs (no
error bar where a level has a single run: one value gives no interval). The sampled designs
(``lhs``, ``sobol``, ``morris``) get, per metric, one scatter panel per parameter of the point
means.

Figures are drawn on :class:`matplotlib.figure.Figure` objects: no backend is chosen, so a
notebook's inline backend is left alone. Each figure is written as PNG to a path or an open
binary file.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pandas as pd
from matplotlib.figure import Figure

from sim import files
from sim.experiments.sweeps import SweepResult
from sim.measures.metrics import METRICS
from sim.measures.statistics import mean_ci

MAX_PANELS = 6  # parameters shown in a sampled design's scatter figure; more make the panels unreadable
FIGURES_DIR = "figures"  # the figures' folder inside a sweep's results folder


def _is_numeric(column: pd.Series) -> bool:
    """Whether a parameter's values are numbers on an axis (``bool`` and text levels are categories)."""
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _scale(metric: str) -> tuple[float, str]:
    """Factor and unit to show a metric in: shares as percentages."""
    unit = METRICS[metric].unit
    return (100.0, "%") if unit == "share" else (1.0, unit)


def grid_figure(result: SweepResult, metric: str, path: Path | BinaryIO) -> None:
    """The metric against the first parameter, one line per level of the second, with 95% intervals."""
    runs = result.runs
    keys = result.sweep.keys
    x_key = keys[0]
    hue_key = keys[1] if len(keys) > 1 else None
    factor, unit = _scale(metric)
    x_levels = list(pd.unique(result.by_point[x_key]))
    numeric = _is_numeric(runs[x_key])
    positions = {v: (float(v) if numeric else i) for i, v in enumerate(x_levels)}
    fig = Figure(figsize=(8, 5))
    ax = fig.subplots()
    groups = [(None, runs)] if hue_key is None else list(runs.groupby(hue_key, sort=False))
    for hue, group in groups:
        xs, ys, errs = [], [], []
        for x in x_levels:
            interval = mean_ci(group.loc[group[x_key] == x, metric].to_numpy(dtype=float))
            xs.append(positions[x])
            ys.append(interval.mean * factor)
            errs.append(interval.half_width * factor)
        label = None if hue_key is None else f"{hue_key} = {hue}"
        ax.errorbar(xs, ys, yerr=errs, marker="o", capsize=4, label=label)
    if not numeric:
        ax.set_xticks(list(positions.values()), [str(v) for v in x_levels])
    ax.set_xlabel(x_key)
    ax.set_ylabel(f"{metric} ({unit}), mean and 95% CI")
    others = keys[2:]
    note = f" (averaged over {', '.join(others)})" if others else ""
    ax.set_title(f"{result.sweep.name}: {metric}{note}", fontsize="medium")
    if hue_key is not None:
        ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")


def scatter_figure(result: SweepResult, metric: str, path: Path | BinaryIO) -> None:
    """The point means of the metric against each parameter (one panel per parameter)."""
    table = result.by_point
    keys = result.sweep.keys[:MAX_PANELS]
    factor, unit = _scale(metric)
    fig = Figure(figsize=(3.2 * len(keys) + 1, 3.6))
    axes = fig.subplots(1, len(keys), sharey=True, squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        column = table[key]
        if _is_numeric(column):
            xs = column.to_numpy(dtype=float)
        else:
            levels = list(pd.unique(column))
            xs = column.map({v: i for i, v in enumerate(levels)}).to_numpy(dtype=float)
            ax.set_xticks(range(len(levels)), [str(v) for v in levels])
        ax.scatter(xs, table[metric].to_numpy(dtype=float) * factor, s=10, alpha=0.6)
        ax.set_xlabel(key, fontsize="small")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(f"{metric} ({unit})")
    fig.suptitle(f"{result.sweep.name}: {metric} at each point (mean over replications)", fontsize="medium")
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")


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
