"""Writing sensitivity indices: the tables (CSV, Parquet), notes and one plot, all or nothing.

The output folder of ``pathways sensitivity`` (by default ``<sweep results>/sensitivity``)::

    sensitivity.csv/.parquet   one row per (metric, parameter): Sobol S1, ST or Morris mu*, sigma,
                               with the parameter in words (``label``)
    sobol_pairs.csv            second-order Sobol indices (a sweep with second_order = true)
    notes.txt                  metrics that could not be analysed, indices that cannot be read
                               (and how large the sweep would need to be), and why
    sensitivity.png            one panel per metric, parameters and metrics in words

Parameters and metrics are named in words (:mod:`sim.reports.labels`).
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim import files
from sim.config import ScenarioError
from sim.experiments.sensitivity import SensitivityResult
from sim.measures.metrics import METRICS
from sim.reports.labels import metric_label

#: The default output folder, inside the sweep's results folder.
SENSITIVITY_DIR = "sensitivity"
#: The file that marks a folder as an earlier analysis's output (which may be replaced).
MARKER = "sensitivity.csv"
PANEL_WIDTH = 7.0  # inches per panel of the plot
COLUMNS = 2  # panels side by side at most
TITLE_WIDTH = 60  # characters per line of a panel's title (longer ones wrap)
LABEL_WIDTH = 34  # characters per line of a parameter's name on a Sobol panel's axis (longer ones wrap)
BAR_HEIGHT = 0.4  # of a Sobol panel's bars; S1 and ST sit side by side at each parameter


def check_sensitivity_out_dir(out: Path) -> str | None:
    """Why ``out`` cannot take sensitivity results, or ``None``: it must be new, empty, or an earlier analysis.

    :func:`sim.files.check_out_dir` with this output's marker file.
    """
    return files.check_out_dir(out, marker=MARKER, what="sensitivity results")


def write_sensitivity(result: SensitivityResult, out: Path) -> Path:
    """Write ``sensitivity.csv``/``.parquet`` (and ``sobol_pairs.csv``, ``notes.txt``) and ``sensitivity.png``.

    Args:
        result: The indices (:func:`sim.experiments.sensitivity.analyse`).
        out: The folder; an earlier analysis there is replaced, all or nothing.

    Returns:
        The folder written.

    Raises:
        ScenarioError: ``out`` cannot be written (see :func:`check_sensitivity_out_dir`); nothing is written.
    """
    out = Path(out).resolve()
    problem = check_sensitivity_out_dir(out)
    if problem:
        raise ScenarioError(f"--out {out}", [problem])
    with files.replace_folder(out, marker=MARKER) as staging:
        table = result.labelled()
        table.to_csv(staging / "sensitivity.csv", index=False)
        table.to_parquet(staging / "sensitivity.parquet", index=False)
        if not result.pairs.empty:
            pairs = result.pairs.copy()
            for i in (1, 2):
                pairs.insert(2 + i, f"label_{i}", [result.labels.get(k, k) for k in pairs[f"parameter_{i}"]])
            pairs.to_csv(staging / "sobol_pairs.csv", index=False)
        if result.notes:
            text = "\n".join(note_in_words(note) for note in result.notes)
            (staging / "notes.txt").write_text(text + "\n", encoding="utf-8")
        if not result.table.empty:
            sensitivity_figure(result, staging / "sensitivity.png")
    return out


def note_in_words(note: str) -> str:
    """A note with the metric it starts with (``temp_spells_over_90d_share: ...``) also in words."""
    metric, sep, rest = note.partition(": ")
    if not sep or metric not in METRICS:
        return note
    return f"{metric_label(metric)} ({metric}): {rest}"


def sensitivity_figure(result: SensitivityResult, path: Path) -> None:
    """:func:`sensitivity_plot` as PNG."""
    sensitivity_plot(result).savefig(path, dpi=110)


def sensitivity_plot(result: SensitivityResult) -> Figure:
    """One panel per metric: Sobol S1 and ST bars with intervals, or Morris mu* against sigma.

    Parameters and metrics are named in words (the table's ``label``, :func:`~sim.reports.labels.metric_label`).
    """
    metrics = list(dict.fromkeys(result.table["metric"]))
    table = result.labelled()
    cols = min(COLUMNS, len(metrics))
    rows = math.ceil(len(metrics) / cols)
    n_params = result.table["parameter"].nunique()
    # A Sobol panel grows with its bars (two per parameter); a Morris panel is a scatter of fixed size.
    height = max(2.8, 0.55 * n_params + 1.4) if result.design == "sobol" else 4.5
    fig = Figure(figsize=(PANEL_WIDTH * cols, height * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        t = table[table["metric"] == metric]
        if result.design == "sobol":
            pos = np.arange(len(t))
            offset = BAR_HEIGHT / 2
            ax.barh(pos - offset, t["S1"], height=BAR_HEIGHT, xerr=t["S1_conf"], capsize=3, label="first order S1")
            ax.barh(pos + offset, t["ST"], height=BAR_HEIGHT, xerr=t["ST_conf"], capsize=3, label="total ST")
            ax.set_yticks(pos, [textwrap.fill(x, LABEL_WIDTH) for x in t["label"]], fontsize="small")
            ax.invert_yaxis()
            ax.axvline(0, color="black", linewidth=0.8)
            ax.set_xlabel("Sobol index (95% CI)")
            ax.legend(fontsize="small", loc="best")
        else:
            ax.errorbar(t["mu_star"], t["sigma"], xerr=t["mu_star_conf"], fmt="o", capsize=3)
            for _, r in t.iterrows():
                ax.annotate(
                    r["label"], (r["mu_star"], r["sigma"]), fontsize="x-small",
                    xytext=(4, 4), textcoords="offset points",
                )
            ax.set_xlabel("mu* (mean |elementary effect|, 95% CI)")
            ax.set_ylabel("sigma")
        noise = t["noise_share"].iloc[0]
        name = metric_label(metric)
        title = name if math.isnan(noise) else f"{name} (noise: {noise:.0%} of variance)"
        ax.set_title(textwrap.fill(title, TITLE_WIDTH), fontsize="medium")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig
