"""Calibration results as text: numbers, bands and intervals, and the Markdown tables of ``docs/calibration.md``.

The pieces ``sim.reports.calibration_report`` puts into the report and ``pathways calibrate``
(``sim.cli.calibrate``) prints: each pattern against its band (:func:`pattern_table`,
:func:`verdict`) and each trial contrast against the model (:func:`face_table`,
:func:`face_sentences`). Shares are shown in per cent, differences of shares in points.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from sim.experiments.calibration import ContrastResult, Pattern, PatternResult
from sim.measures.metrics import METRICS
from sim.measures.statistics import Interval, mean_ci

#: Metrics shown side by side for the runs of the check, to read the contrasts by.
SUPPORTING: tuple[str, ...] = (
    "temp_occupancy_mean", "street_count_mean", "discharge_to_street_share", "offers_made", "offers_declined",
    "evictions", "relapses", "municipal_occupancy_share",
)  # fmt: skip


def fmt_value(value: float | None, unit: str) -> str:
    """A value in its unit: ``37.0 %`` for a share, whole numbers from 100 (from 10 for days),
    one decimal below; ``-`` for ``nan``."""
    if value is None or math.isnan(value):
        return "-"
    if unit == "share":
        return f"{value * 100:.1f} %"
    if abs(value) >= 100 or (unit == "days" and abs(value) >= 10):
        return f"{value:,.0f}"
    return f"{value:.1f}"


def fmt_difference(value: float, unit: str) -> str:
    """A signed difference: ``+4.2 points`` for shares, ``-12.0 days`` otherwise; ``-`` for ``nan``."""
    if math.isnan(value):
        return "-"
    if unit == "share":
        return f"{value * 100:+.1f} points"
    return f"{value:+.1f} {unit}"


def interval_text(e: Interval, unit: str) -> str:
    """An estimate's 95% interval (``30.1 % to 35.2 %``); ``-`` where there is none."""
    if math.isnan(e.low):
        return "-"
    return f"{fmt_value(e.low, unit)} to {fmt_value(e.high, unit)}"


def difference_interval_text(e: Interval, unit: str) -> str:
    """A difference's 95% interval (``+1.0 points to +6.3 points``); ``-`` where there is none."""
    if math.isnan(e.low):
        return "-"
    return f"{fmt_difference(e.low, unit)} to {fmt_difference(e.high, unit)}"


def band_text(p: Pattern) -> str:
    """A pattern's target band: ``30 % to 45 %``, ``20 to 50 days``."""
    if p.unit == "share":
        return f"{p.low * 100:.0f} % to {p.high * 100:.0f} %"
    return f"{p.low:g} to {p.high:g} {p.unit}"


def value_text(value: Any) -> str:
    """A parameter's value as written in a scenario file (``0.0028``, ``26``)."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def pattern_table(results: Sequence[PatternResult]) -> list[str]:
    """The Markdown table of patterns: source, published figure, band, mean, 95% interval, met."""
    lines = [
        "| pattern | source | published | target band | mean | 95% interval | met |",
        "|---|---|---|---|---:|---:|:---:|",
    ]
    for r in results:
        p, e = r.pattern, r.estimate
        lines.append(
            f"| {p.label} (`{p.name}`) | {p.source} | {p.target} | {band_text(p)} | {fmt_value(e.mean, p.unit)} | "
            f"{interval_text(e, p.unit)} | {'yes' if r.met else '**no**'} |"
        )
    return lines


def verdict(results: Sequence[PatternResult]) -> str:
    """One Markdown sentence: every pattern met, or which are not and by how much."""
    missed = [r for r in results if not r.met]
    if not missed:
        return f"**All {len(results)} patterns are met** (each mean lies inside its band)."
    parts = []
    for r in missed:
        p, m = r.pattern, r.estimate.mean
        side = "below" if m < p.low else "above"
        edge = p.low if m < p.low else p.high
        parts.append(
            f"`{p.name}` (mean {fmt_value(m, p.unit)}, {fmt_difference(abs(m - edge), p.unit).lstrip('+')} {side} "
            f"the band {band_text(p)})"
        )
    return f"**{len(results) - len(missed)} of {len(results)} patterns are met.** Not met: " + "; ".join(parts) + "."


def effect_text(r: ContrastResult) -> str:
    """The model's effect as a share of the trial's, with its 95% interval, and what it reads as:
    ``12 % of the trial's (5 % to 19 %): much smaller than the trial's``. A direction alone is not
    a match: an effect a tenth of the trial's is said to be so."""
    c = r.contrast
    if c.trial_policy is None or c.trial_usual is None:
        return "(no trial figure)"
    if math.isnan(r.difference.mean):
        return "(no model data)"
    trial_diff = c.trial_policy - c.trial_usual
    ratio = r.difference.mean / trial_diff
    interval = ""
    if not math.isnan(r.difference.low):
        lo, hi = sorted((r.difference.low / trial_diff, r.difference.high / trial_diff))
        interval = f" ({lo:.0%} to {hi:.0%})"
    if not r.clear:
        reads = "no clear effect: the interval includes none"
    elif ratio < 0:
        reads = "**the opposite direction to the trial**"
    else:
        reads = _size_words(ratio)
    return f"{ratio:.0%} of the trial's{interval}: {reads}"


def face_table(results: Sequence[ContrastResult]) -> list[str]:
    """The Markdown table of the face-validity contrasts: the trial's arms and effect, the model's,
    and the model's effect as a share of the trial's (effect sizes, not directions only)."""
    lines = [
        ("| figure | measure | arms (policy vs usual) | trial | trial effect | model: policy | model: usual | "
        "model effect (95% interval) | model effect as a share of the trial's (95% interval) |"),
        "|---|---|---|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        c = r.contrast
        trial = "-" if c.trial_policy is None else f"{fmt_value(c.trial_policy, c.unit)} vs {fmt_value(c.trial_usual, c.unit)}"
        trial_effect = "-" if c.trial_policy is None else fmt_difference(c.trial_policy - c.trial_usual, c.unit)
        lines.append(
            f"| {c.figure} | {c.label} | {c.policy} vs {c.usual} | {trial} | {trial_effect} | "
            f"{fmt_value(r.policy.mean, c.unit)} ({interval_text(r.policy, c.unit)}) | "
            f"{fmt_value(r.usual.mean, c.unit)} ({interval_text(r.usual, c.unit)}) | "
            f"{fmt_difference(r.difference.mean, c.unit)} ({difference_interval_text(r.difference, c.unit)}) | "
            f"{effect_text(r)} |"
        )
    return lines


def _size_words(ratio: float) -> str:
    """The model's difference as a fraction ``ratio`` of the trial's, in words (under a quarter,
    under two thirds, up to one and a half times, more)."""
    if ratio < 0.25:
        return "much smaller than the trial's"
    if ratio < 0.67:
        return "smaller than the trial's"
    if ratio <= 1.5:
        return "about the trial's size"
    return "larger than the trial's"


def face_sentences(results: Sequence[ContrastResult]) -> list[str]:
    """Plain sentences comparing each contrast's direction and size with the trial's."""
    lines = []
    for r in results:
        c = r.contrast
        model = (
            f"model {fmt_value(r.policy.mean, c.unit)} ({c.policy}) vs {fmt_value(r.usual.mean, c.unit)} ({c.usual}), "
            f"{fmt_difference(r.difference.mean, c.unit)} ({difference_interval_text(r.difference, c.unit)})"
        )
        if c.trial_policy is None or c.trial_usual is None:
            lines.append(f"- {c.figure}, {c.label.lower()}: no trial figure; {model}.")
            continue
        if r.same_direction is None:
            lines.append(f"- {c.figure}, {c.label.lower()}: the model has no data for this measure.")
            continue
        trial_diff = c.trial_policy - c.trial_usual
        trial = (
            f"trial {fmt_value(c.trial_policy, c.unit)} vs {fmt_value(c.trial_usual, c.unit)}, "
            f"{fmt_difference(trial_diff, c.unit)}"
        )
        if r.same_direction:
            ratio = r.difference.mean / trial_diff
            verdict_ = (
                f"the trial's direction{'' if r.clear else ' (but the interval includes no difference)'}; "
                f"the difference is {ratio:.0%} of the trial's, {_size_words(ratio)}"
            )
        else:
            verdict_ = "**the opposite direction to the trial**" + (
                "" if r.clear else " (the interval includes no difference)"
            )
        lines.append(f"- {c.figure}, {c.label.lower()}: {trial}; {model}: {verdict_}.")
    return lines


def supporting_table(frames: Mapping[str, pd.DataFrame]) -> list[str]:
    """The :data:`SUPPORTING` metrics' means over replications, one column per run (to read the contrasts)."""
    names = list(frames)
    lines = ["| metric | unit | " + " | ".join(f"`{n}`" for n in names) + " |", "|---|---|" + "---:|" * len(names)]
    for m in SUPPORTING:
        unit = METRICS[m].unit
        cells = [fmt_value(mean_ci(frames[n][m].to_numpy(dtype=float)).mean, unit) for n in names]
        lines.append(f"| `{m}` | {unit} | " + " | ".join(cells) + " |")
    return lines

