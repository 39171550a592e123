"""Figures of a finished sweep: each kept metric against the varied parameters (PNG).

A grid sweep gets, per metric, the metric against the first parameter with one line per level
of the second (any further parameters averaged over), with 95% intervals across the runs. The
sampled designs (``lhs``, ``sobol``, ``morris``) get, per metric, one scatter panel per
parameter of the point means.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # files only; no screen needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402

from sim.measures.metrics import METRICS  # noqa: E402

if TYPE_CHECKING:
    from sim.experiments.sweeps import SweepResult

MAX_PANELS = 6


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _scale(metric: str) -> tuple[float, str]:
    unit = METRICS[metric].unit
    return (100.0, "%") if unit == "share" else (1.0, unit)


def _mean_ci(values: np.ndarray) -> tuple[float, float]:
    """Mean and half-width of the 95% t-interval (0 with fewer than two values)."""
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return math.nan, math.nan
    if len(values) < 2:
        return float(values.mean()), 0.0
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    return float(values.mean()), float(half)


def grid_figure(result: SweepResult, metric: str, path: Path) -> None:
    """The metric against the first parameter, one line per level of the second, with 95% intervals."""
    runs = result.runs
    keys = result.sweep.keys
    x_key = keys[0]
    hue_key = keys[1] if len(keys) > 1 else None
    factor, unit = _scale(metric)
    x_levels = list(pd.unique(result.by_point[x_key]))
    numeric = _is_numeric(runs[x_key])
    positions = {v: (float(v) if numeric else i) for i, v in enumerate(x_levels)}
    fig, ax = plt.subplots(figsize=(8, 5))
    groups = [(None, runs)] if hue_key is None else list(runs.groupby(hue_key, sort=False))
    for hue, group in groups:
        xs, ys, errs = [], [], []
        for x in x_levels:
            mean, half = _mean_ci(group.loc[group[x_key] == x, metric].to_numpy(dtype=float))
            xs.append(positions[x])
            ys.append(mean * factor)
            errs.append(half * factor)
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
    fig.savefig(path, dpi=110)
    plt.close(fig)


def scatter_figure(result: SweepResult, metric: str, path: Path) -> None:
    """The point means of the metric against each parameter (one panel per parameter)."""
    table = result.by_point
    keys = result.sweep.keys[:MAX_PANELS]
    factor, unit = _scale(metric)
    fig, axes = plt.subplots(1, len(keys), figsize=(3.2 * len(keys) + 1, 3.6), sharey=True, squeeze=False)
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
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_sweep_figures(result: SweepResult, folder: Path) -> None:
    """One PNG per kept metric in ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    draw = grid_figure if result.sweep.design == "grid" else scatter_figure
    for metric in result.sweep.metrics:
        tmp = folder / f".{metric}.tmp.png"
        draw(result, metric, tmp)
        tmp.replace(folder / f"{metric}.png")
