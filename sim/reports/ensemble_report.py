"""Writing an ensemble comparison: ``ensemble.csv``, a figure, and the report's section in plain words.

The numbers are :mod:`sim.experiments.ensemble`'s; here they become the table a planner opens
(``ensemble.csv``, one row per alternative and headline metric), sentences such as

    Housing ready lowers the share of discharges to the street or a sofa on 100% of plausible
    parameter sets (median -7.1 points; 90% of sets from -9.0 points to -5.2 points).

and the ensemble section of the compare report (:mod:`sim.reports.compare_report`). Figures are
drawn on :class:`matplotlib.figure.Figure` objects: no backend is chosen.
"""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.experiments.ensemble import TABLE_COLUMNS, EnsembleResult
from sim.measures.headline import better_sign
from sim.measures.metrics import METRICS, json_number
from sim.reports.text import (
    NOK_UNIT,
    PLAIN,
    SHOWS_AS_ZERO,
    UNIT_WORDS,
    WHOLE_FROM,
    difference,
    label,
    number,
    scaled,
)

ENSEMBLE_CSV = "ensemble.csv"
ENSEMBLE_FIGURE = "ensemble.png"
#: Panels per row in a figure of the headline metrics.
PANEL_COLUMNS = 4
#: How a plain description starts when it already names a quantity ("share of ...", "total cost");
#: any other is "the number of ...".
_QUANTITY_WORDS = ("share", "total", "cost", "average", "median", "length", "trend", "days")


def panels(fig: Figure, n: int, columns: int = PANEL_COLUMNS) -> list[Axes]:
    """``n`` panels on ``fig``, ``columns`` to a row; the unused ones of the last row are hidden."""
    cols = max(1, min(columns, n))
    rows = max(1, math.ceil(n / cols))
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return list(axes[:n])


# ----------------------------------------------------------------------------- words


def _plain(metric: str) -> str:
    """The metric in a planner's words."""
    return PLAIN.get(metric) or (METRICS[metric].description.lower() if metric in METRICS else metric)


def _noun(metric: str) -> str:
    """The metric as the object of "raises"/"lowers": ``the share of ...``, ``the number of people ...``."""
    text = _plain(metric)
    return f"the {text}" if text.startswith(_QUANTITY_WORDS) else f"the number of {text}"


def _precision(values: Sequence[float], unit: str) -> int:
    """Decimals for numbers shown together (as :mod:`sim.reports.text` does for a difference and its interval)."""
    shown = [abs(scaled(v, unit)) for v in values if not math.isnan(v)]
    if all(v >= WHOLE_FROM for v in shown):
        return 0
    return 2 if any(0 < v < SHOWS_AS_ZERO for v in shown) else 1


def spread(low: float, high: float, unit: str, decimals: int) -> str:
    """Two differences with the unit once: ``-10.8 to -8.7 points``, ``NOK -0.5 to +0.6 million a year``."""
    a, b = (difference(scaled(v, unit), "", decimals) for v in (low, high))  # signed numbers, no unit
    if unit == NOK_UNIT:
        return f"NOK {a} to {b} million a year"
    return f"{a} to {b}" + (" points" if unit == "share" else UNIT_WORDS.get(unit, ""))


def percent(share: float) -> str:
    """A share of parameter sets as a percentage; never ``100%`` or ``0%`` unless it is exactly so."""
    if math.isnan(share):
        return "no data"
    value = round(share * 100)
    if share < 1 and value == 100:
        value = 99
    if share > 0 and value == 0:
        value = 1
    return f"{value}%"


def _shares(result: EnsembleResult, name: str, metric: str) -> tuple[float, float]:
    """The share of points where ``name`` is higher, and where it is lower, than the base."""
    d = result.differences
    diffs = d.loc[(d["scenario"] == name) & (d["metric"] == metric), "diff"].dropna().to_numpy(dtype=float)
    if len(diffs) == 0:
        return math.nan, math.nan
    return float(np.mean(diffs > 0)), float(np.mean(diffs < 0))


def metric_sentence(result: EnsembleResult, row: Any) -> str:
    """One alternative and metric in words: which way the median goes, on what share of the sets, and the spread."""
    name, metric, unit = str(row.scenario), str(row.metric), str(row.unit)
    who, noun = label(name), _noun(metric)
    if row.points == 0:
        return f"{who}: no difference in {noun} could be computed at any plausible parameter set (no data)."
    higher, lower = _shares(result, name, metric)
    d = _precision([row.median_diff, row.p05, row.p95], unit)
    median = difference(row.median_diff, unit, d)
    if row.points == 1:
        numbers = f"difference {median}"
    else:
        numbers = f"median {median}; 90% of sets from {spread(row.p05, row.p95, unit, d)}"
    if row.median_diff > 0:
        return f"{who} raises {noun} on {percent(higher)} of plausible parameter sets ({numbers})."
    if row.median_diff < 0:
        return f"{who} lowers {noun} on {percent(lower)} of plausible parameter sets ({numbers})."
    if higher == 0 and lower == 0:
        return f"{who} leaves {noun} unchanged on every plausible parameter set."
    return (
        f"{who} leaves {noun} unchanged at the median plausible parameter set; it is higher on {percent(higher)} "
        f"and lower on {percent(lower)} of them ({numbers})."
    )


def ranking_sentence(result: EnsembleResult, name: str) -> str:
    """How robust an alternative's ranking against the base is: outcomes better (worse) on every set."""
    rows = result.table[result.table["scenario"] == name]
    base = label(result.ensemble.names[0])
    better = worse = mixed = 0
    for row in rows.itertuples(index=False):
        sign = better_sign(str(row.metric))
        if sign == 0 or row.points == 0:
            continue
        higher, lower = _shares(result, name, str(row.metric))
        good, bad = (higher, lower) if sign > 0 else (lower, higher)
        if good == 1:
            better += 1
        elif bad == 1:
            worse += 1
        else:
            mixed += 1
    total = better + worse + mixed
    sets = result.ensemble.n_points
    where = "the one plausible parameter set" if sets == 1 else f"all {sets} plausible parameter sets"
    return (
        f"On {where}, {label(name)} is better than {base} for {better} of {total} headline outcomes, "
        f"worse for {worse}, and the ranking depends on the parameters for the other {mixed}."
    )


def ensemble_sentences(result: EnsembleResult) -> list[str]:
    """The ensemble in plain sentences: per alternative its ranking, then one sentence per headline metric."""
    out = []
    for name in result.ensemble.names[1:]:
        out.append(ranking_sentence(result, name))
        rows = result.table[result.table["scenario"] == name]
        out += [metric_sentence(result, row) for row in rows.itertuples(index=False)]
    return out


def how(result: EnsembleResult) -> str:
    """How the ensemble was made, in one paragraph."""
    e = result.ensemble
    source = Path(e.accepted).name if e.accepted.endswith(".parquet") else e.accepted
    if e.subset_seed is None:
        which = f"all {e.n_points} parameter sets the calibration accepted ({source})"
    else:
        ids = ", ".join(str(p) for p in e.point_ids)
        which = (
            f"{e.n_points} of the {e.accepted_points} parameter sets the calibration accepted ({source}; "
            f"points {ids}, drawn at random with seed {e.subset_seed})"
        )
    reps = f"{e.replications} replication{'s' if e.replications != 1 else ''}"
    return (
        f"Every scenario was also run on {which} with {reps} at each and the same seeds for every scenario at every "
        f"set (common random numbers, seed {e.seed}). At each set the difference from {label(e.names[0])} is the "
        "mean over replications of the paired differences; across sets the table gives the median, the 5th to "
        "95th percentiles, the extremes and the share of sets where the scenario is better."
    )


def notes(result: EnsembleResult) -> list[str]:
    """Caveats: calibrated keys a scenario sets itself (not varied for it), metrics without data at some sets."""
    e = result.ensemble
    out = []
    for name, keys in e.overridden.items():
        if keys:
            out.append(
                f"{label(name)} sets {', '.join(keys)} itself: at every parameter set these keep its own value, "
                "so the ensemble does not vary them for it."
            )
    for row in result.table.itertuples(index=False):
        if 0 < row.points < e.n_points:
            missing = e.n_points - row.points
            out.append(
                f"{label(str(row.scenario))}: {_plain(str(row.metric))} has no difference at {missing} of the "
                f"{e.n_points} parameter sets (no data there); its numbers are over the other {row.points}."
            )
    return out


# ----------------------------------------------------------------------------- tables and files


def ensemble_csv(result: EnsembleResult, path: Path) -> Path:
    """Write the ensemble table (:data:`~sim.experiments.ensemble.TABLE_COLUMNS`) as CSV."""
    result.table[list(TABLE_COLUMNS)].to_csv(path, index=False)
    return path


def _better_cell(row: Any) -> str:
    """The share of sets where the scenario is better (higher, for a metric with no better direction)."""
    text = percent(float(row.share_better))
    return f"higher on {text}" if better_sign(str(row.metric)) == 0 else text


def _rows(result: EnsembleResult) -> list[list[str]]:
    """The report's table: scenario, outcome, median, 5th-95th percentile, min-max, better on, sets."""
    out = []
    for row in result.table.itertuples(index=False):
        unit = str(row.unit)
        if row.points == 0:
            cells = ["no data"] * 3
        else:
            d = _precision([row.median_diff, row.p05, row.p95, row.min, row.max], unit)
            cells = [
                difference(row.median_diff, unit, d),
                f"{number(scaled(row.p05, unit), d)} to {number(scaled(row.p95, unit), d)}",
                f"{number(scaled(row.min, unit), d)} to {number(scaled(row.max, unit), d)}",
            ]
        out.append([label(str(row.scenario)), _plain(str(row.metric)), *cells, _better_cell(row), str(row.points)])
    return out


HEADER = ["Scenario", "Outcome", "Median difference", "5th to 95th percentile", "Min to max", "Better on", "Sets"]


def markdown_section(result: EnsembleResult, figure: str | None = ENSEMBLE_FIGURE) -> list[str]:
    """The report's ensemble section in Markdown (lines)."""
    out = ["## Across plausible parameter sets", "", how(result), ""]
    out += [f"- {line}" for line in ensemble_sentences(result)]
    out += ["", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    out += ["| " + " | ".join(cells) + " |" for cells in _rows(result)]
    out += ["", f"The full numbers are in `{ENSEMBLE_CSV}`; every run is in `ensemble/runs/`."]
    if figure:
        out += ["", f"![Differences from the base at each plausible parameter set]({figure})"]
    return out


def html_section(result: EnsembleResult, figure_data: str | None = None) -> list[str]:
    """The report's ensemble section in HTML (parts); ``figure_data`` is the figure as base64 PNG."""
    esc = html.escape
    parts = ["<h2>Across plausible parameter sets</h2>", f"<p>{esc(how(result))}</p>", "<ul>"]
    parts += [f"<li>{esc(line)}</li>" for line in ensemble_sentences(result)]
    parts += ["</ul>", '<table style="border-collapse:collapse;font-size:0.9rem">', "<tr>"]
    parts += [f'<th style="text-align:left;padding:2px 8px">{esc(h)}</th>' for h in HEADER]
    parts.append("</tr>")
    for cells in _rows(result):
        parts.append("<tr>" + "".join(f'<td style="padding:2px 8px">{esc(c)}</td>' for c in cells) + "</tr>")
    parts.append("</table>")
    if figure_data:
        parts.append(
            f'<img alt="Differences from the base at each plausible parameter set" src="data:image/png;base64,{figure_data}">'
        )
    return parts


def ensemble_summary(result: EnsembleResult) -> dict[str, Any]:
    """The ensemble for ``summary.json``: how it was made, its table and its sentences (no timestamps)."""
    e = result.ensemble
    table = [
        {k: (json_number(v) if isinstance(v, float) else v) for k, v in row.items()}
        for row in result.table.to_dict("records")
    ]
    return {
        "accepted": e.accepted,
        "accepted_points": e.accepted_points,
        "points": list(e.point_ids),
        "subset_seed": e.subset_seed,
        "seed": e.seed,
        "replications": e.replications,
        "fingerprint": e.fingerprint,
        "overridden": e.overridden,
        "table": table,
        "sentences": ensemble_sentences(result),
        "notes": notes(result),
    }


def ensemble_figure(result: EnsembleResult, path: Path) -> Path:
    """Each alternative's difference from the base at every parameter set (dots) and the median (bar), per metric."""
    e = result.ensemble
    alternatives = e.names[1:]
    metrics = list(e.metrics)
    fig = Figure(figsize=(4 * min(PANEL_COLUMNS, len(metrics)), 3.8 * math.ceil(len(metrics) / PANEL_COLUMNS)))
    d = result.differences
    for ax, metric in zip(panels(fig, len(metrics)), metrics, strict=True):
        unit = METRICS[metric].unit if metric in METRICS else ""
        for i, name in enumerate(alternatives):
            values = d.loc[(d["scenario"] == name) & (d["metric"] == metric), "diff"].dropna().to_numpy(dtype=float)
            shown = np.array([scaled(v, unit) for v in values])
            if len(shown):
                jitter = np.linspace(-0.12, 0.12, len(shown)) if len(shown) > 1 else np.zeros(1)
                ax.plot(i + jitter, shown, "o", color=f"C{i % 10}", alpha=0.6, markersize=5)
                ax.hlines(np.median(shown), i - 0.25, i + 0.25, color="black", linewidth=2)
        ax.axhline(0.0, color="grey", linewidth=1, linestyle="--")
        ax.set_xticks(range(len(alternatives)), [label(n) for n in alternatives], rotation=20, ha="right")
        ax.set_xlim(-0.6, len(alternatives) - 0.4)
        shown_unit = "points" if unit == "share" else "NOK million a year" if unit == NOK_UNIT else unit
        ax.set_title(textwrap.fill(f"{_plain(metric)} ({shown_unit})", 48), fontsize="small")
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(
        f"Difference from {label(e.names[0])} at each of {e.n_points} plausible parameter sets (bar: median)",
        fontsize="medium",
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path
