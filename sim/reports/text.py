"""Numbers and names in plain words: what a comparison's report and the console say.

``number``, ``quantity`` and ``difference`` write a metric's value or a difference for people
(``24%``, ``65 days``, ``-13 points``); :func:`plain_line` writes one finding of a comparison,
and :func:`findings` all the headline ones.
"""

from __future__ import annotations

import math

import pandas as pd

from sim.experiments.comparison import Comparison
from sim.measures.metrics import METRICS

# Shown without decimals from here: 9.95 and up would read 10.0 with one decimal.
WHOLE_FROM = 9.95
# A value that is not zero but below this would read 0.0 with one decimal.
SHOWS_AS_ZERO = 0.05
#: How a metric's unit is written after a number (shares are written as percentages instead).
UNIT_WORDS = {
    "days": " days",
    "per year": " a year",
    "people per year": " a year",
    "per 100 person-years": " per 100 person-years",
}

#: The outcomes a comparison leads with, in this order: the plain-words findings, the report's
#: figure (2 x 4 panels) and the console table of ``pathways compare``.
HEADLINE = (
    "temp_spells_over_90d_share",
    "temp_spell_days_mean",
    "temp_occupancy_mean",
    "street_count_mean",
    "discharge_to_street_share",
    "readmission_within_365d_share",
    "relapse_within_90d_share",
    "revolving_door_persons_window",
)

#: What each metric is, in a planner's words (docs/metrics.md has the exact definitions).
PLAIN: dict[str, str] = {
    "temp_spell_days_mean": "average length of a temporary stay",
    "temp_spell_days_median": "median length of a temporary stay",
    "temp_spell_days_p90": "length of the longest tenth of temporary stays (90th percentile)",
    "temp_spells_over_90d_share": "share of temporary stays over 90 days",
    "temp_occupancy_mean": "people in temporary housing on an average day",
    "temp_occupancy_trend_per_year": "trend of the number in temporary housing, people a year",
    "street_count_mean": "people on the street or a friend's sofa on an average day",
    "housed_count_mean": "people in municipal housing on an average day",
    "private_count_mean": "people in private housing (rental, family, own flat) on an average day",
    "population_mean": "people in the system on an average day",
    "temp_refusals_per_year": "times NAV had no temporary place to give",
    "temp_refusals_unsuitable_per_year": "times a woman in active use had no suitable temporary place",
    "discharges": "discharges from treatment and prison",
    "discharge_to_housing_share": "share of discharges straight to a home",
    "discharge_to_temporary_share": "share of discharges to temporary housing",
    "discharge_to_street_share": "share of discharges to the street or a sofa",
    "discharge_to_private_share": "share of discharges back to private housing",
    "relapse_within_90d_share": "share of discharges followed by relapse within 90 days",
    "readmission_within_365d_share": "share of treatment discharges readmitted within a year",
    "revolving_door_persons_window": "people with 3 or more admissions within a year",
    "repeat_homeless_persons": "people homeless twice or more",
    "evictions": "evictions",
    "relapses": "relapses",
    "waitlist_mean": "people on the housing waiting list on an average day",
    "offers_made": "offers of municipal housing",
    "offers_declined": "offers declined",
    "municipal_occupancy_share": "share of municipal units let",
    "vacant_unit_days_mean": "days a municipal unit stands empty between tenancies",
    "offers_per_letting": "offers it takes to let a unit",
    "chosen_lettings_share": "share of new tenants who chose their flat",
    "added_units_let_within_365d_share": "share of bought units let within a year",
    "treatment_wait_days_mean": "average wait for treatment",
    "deaths": "deaths",
    "deaths_per_100_person_years": "deaths per 100 person-years",
    "stable_exits_per_year": "people leaving services stable at home",
    "private_entries_per_year": "moves into private housing",
    "private_losses_per_year": "losses of private housing",
}


def label(name: str) -> str:
    """A scenario's name as a title: ``housing_ready`` -> ``Housing ready``."""
    text = name.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def number(value: float, decimals: int | None = None) -> str:
    """A number for people: no decimals from 10 up, one below (unless ``decimals`` says); no ``-0``."""
    if decimals is None:
        decimals = 0 if abs(value) >= WHOLE_FROM else 1
    text = f"{value:.{decimals}f}"
    return "0" if float(text) == 0 else text


def _decimals(*values: float) -> int:
    """One precision for numbers shown together.

    None if all are 10 or more, else one decimal (two if a value that is not zero would show as 0).
    """
    if all(abs(v) >= WHOLE_FROM for v in values):
        return 0
    return 2 if any(0 < abs(v) < SHOWS_AS_ZERO for v in values) else 1


def quantity(value: float, unit: str) -> str:
    """A metric's value with its unit: ``24%``, ``65 days``, ``42``, ``26 a year``."""
    if math.isnan(value):
        return "no data"
    if unit == "share":
        return f"{number(value * 100)}%"
    return number(value) + UNIT_WORDS.get(unit, "")


def difference(value: float, unit: str, decimals: int | None = None) -> str:
    """A difference with its unit: ``-13 points`` (of a percentage), ``-25 days``, ``+3``."""
    if unit == "share":
        return f"{_signed(value * 100, decimals)} points"
    return _signed(value, decimals) + UNIT_WORDS.get(unit, "")


def _signed(value: float, decimals: int | None = None) -> str:
    """:func:`number` with a ``+`` in front of a positive value."""
    text = number(value, decimals)
    return text if text.startswith("-") or text == "0" else f"+{text}"


def _scaled(value: float, unit: str) -> float:
    """A value in the unit it is shown in: shares as percentages."""
    return value * 100 if unit == "share" else value


def plain_line(name: str, metric: str, table: pd.DataFrame) -> str:
    """One finding in plain words.

    ``Housing ready: share of temporary stays over 90 days 24% -> 11% (difference -13 points,
    95% CI -16 to -10)``; ``no clear difference`` is added when the interval includes zero.
    """
    rows = table[table["metric"] == metric].set_index("scenario")
    base_name = rows.index[rows["is_base"]][0]
    b, a = rows.loc[base_name], rows.loc[name]
    unit = str(a["unit"])
    head = f"{label(name)}: {PLAIN.get(metric, METRICS[metric].description.lower())} "
    head += f"{quantity(b['mean'], unit)} -> {quantity(a['mean'], unit)}"
    if math.isnan(a["diff"]):
        return head + " (no difference can be computed: no data)"
    if math.isnan(a["diff_ci_low"]):
        return head + f" (difference {difference(a['diff'], unit)}; one replication, no interval)"
    lo, hi = _scaled(a["diff_ci_low"], unit), _scaled(a["diff_ci_high"], unit)
    d = _decimals(_scaled(a["diff"], unit), lo, hi)
    ci = f"95% CI {number(lo, d)} to {number(hi, d)}"
    clear = lo > 0 or hi < 0
    return head + f" (difference {difference(a['diff'], unit, d)}, {ci})" + ("" if clear else ", no clear difference")


def findings(comparison: Comparison) -> list[str]:
    """The headline findings in plain words: one :func:`plain_line` per (alternative, :data:`HEADLINE` metric)."""
    return [plain_line(name, metric, comparison.table) for name in comparison.names[1:] for metric in HEADLINE]


def run_in_words(summary: dict) -> list[str]:
    """A run's outcomes in three or four plain sentences, from its summary's means (``pathways run``).

    Args:
        summary: A run's summary (``RunResult.summary``): ``summary["metrics"][name]["mean"]``.

    Returns:
        The sentences; a sentence whose numbers are missing (no data) is left out.
    """
    m = {name: entry.get("mean") for name, entry in summary["metrics"].items()}

    def have(*names: str) -> bool:
        return all(isinstance(m.get(n), int | float) and not math.isnan(m[n]) for n in names)

    def pct(name: str) -> str:
        return f"{m[name] * 100:.0f}%"

    sentences = []
    if have("temp_occupancy_mean", "street_count_mean"):
        sentences.append(
            f"On an average day {m['temp_occupancy_mean']:.0f} people are in NAV temporary housing and "
            f"{m['street_count_mean']:.0f} on the street or a friend's sofa"
            + (
                f"; {m['housed_count_mean']:.0f} live in a municipal unit and {m['private_count_mean']:.0f} in "
                "private housing."
                if have("housed_count_mean", "private_count_mean")
                else "."
            )
        )
    if have("temp_spells_over_90d_share", "temp_spell_days_mean"):
        share = m["temp_spells_over_90d_share"]
        one_in = f" (about 1 in {round(1 / share)})" if 0.05 <= share < 0.5 else ""
        sentences.append(
            f"{pct('temp_spells_over_90d_share')} of stays in temporary housing pass the 90-day norm{one_in}; "
            f"a stay lasts {m['temp_spell_days_mean']:.0f} days on average."
        )
    if have("discharge_to_street_share", "readmission_within_365d_share"):
        sentences.append(
            f"{pct('discharge_to_street_share')} of discharges from treatment and prison go to the street or a "
            f"sofa, and {pct('readmission_within_365d_share')} of people discharged from treatment are back in "
            "treatment within a year."
        )
    if have("deaths_per_100_person_years", "stable_exits_per_year"):
        sentences.append(
            f"Each year about {m['stable_exits_per_year']:.0f} people leave the services stable at home; "
            f"{m['deaths_per_100_person_years']:.1f} die per 100 person-years."
        )
    return sentences
