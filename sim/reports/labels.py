"""Names for people in figures, tables and report text: parameters, their values and metrics.

The one module reports and figures take names from. A parameter's dotted key in words
(``stock.types.ordinary.units.sentrum`` -> ``ordinary flats in the centre (units)``) and its
values come from :mod:`sim.config.labels`, which derives them from the scenario schema (next to
it, so the sensitivity analysis below the reports names parameters the same way); a metric's
words are the planner's words of :data:`sim.reports.text.PLAIN` (or its description).
"""

from __future__ import annotations

from sim.config.labels import parameter_label, value_label
from sim.measures.metrics import METRICS
from sim.reports.text import PLAIN

__all__ = ["capitalised", "metric_label", "parameter_label", "value_label"]


def metric_label(name: str) -> str:
    """A metric in a planner's words (:data:`sim.reports.text.PLAIN`), else its description, else its name."""
    if name in PLAIN:
        return PLAIN[name]
    if name in METRICS:
        description = METRICS[name].description
        return description[:1].lower() + description[1:]
    return name


def capitalised(text: str) -> str:
    """``text`` with its first letter upper-case (for a title)."""
    return text[:1].upper() + text[1:]
