"""Numbers and names in plain words: what a comparison's report and the console say.

``number``, ``quantity`` and ``difference`` write a metric's value or a difference for people
(``24%``, ``65 days``, ``-13 points``); :func:`plain_line` writes one finding of a comparison,
and :func:`findings` all the headline ones.
"""

from __future__ import annotations

import math

import pandas as pd

from sim.experiments.comparison import Comparison
from sim.measures.headline import HEADLINE as HEADLINE_MEASURES
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
    "per 1,000 inhabitants": " per 1,000 inhabitants",
    "days per year": " days a year",
}

#: The outcomes a comparison leads with, in this order (one list, owned by ``sim.measures.headline``):
#: the plain-words findings, the report's figure and the console table of ``pathways compare``.
HEADLINE = HEADLINE_MEASURES

#: What each metric is, in a planner's words (docs/metrics.md has the exact definitions).
PLAIN: dict[str, str] = {
    "temp_households_per_year": "people in temporary housing during a year",
    "temp_households_per_1000": "people in temporary housing during a year per 1,000 inhabitants",
    "temp_household_days_mean": "days a person spends in temporary housing in a year",
    "temp_households_over_90d_share": "share of people in temporary housing who pass 90 days there in a year",
    "temp_households_14d_or_less_share": "share of people in temporary housing who stay 14 days or fewer in a year",
    "temp_days_over_norm_per_year": "days in temporary housing beyond the 90-day norm, a year",
    "homeless_per_1000": "homeless per 1,000 inhabitants on a census day",
    "homeless_census_count": "homeless people on a census day",
    "homeless_share_temporary": "share of the homeless in temporary housing",
    "homeless_share_sofa_street": "share of the homeless on the street or a sofa",
    "homeless_share_institution": "share of the homeless in an institution with nowhere to go",
    "homeless_episodes_per_year": "times people become homeless, a year",
    "homeless_episodes_per_1000": "times people become homeless, a year per 1,000 inhabitants",
    "housed_at_discharge_share_homeless_at_admission": "share of people homeless at admission who leave to a home",
    "revolving_door_persons_per_year": "revolving-door people (3 or more admissions within 365 days)",
    "revolving_door_per_1000": "revolving-door people a year per 1,000 inhabitants",
    "cost_temporary_nok_per_year": "cost of temporary housing",
    "cost_temporary_staffed_nok_per_year": "cost of staffing temporary places",
    "cost_treatment_nok_per_year": "cost of treatment bed-days",
    "cost_prison_nok_per_year": "cost of prison days",
    "cost_units_nok_per_year": "cost of the municipal units",
    "cost_followup_nok_per_year": "cost of follow-up",
    "cost_total_nok_per_year": "total cost",
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
    "revolving_door_persons_window": "people with 3 or more admissions within a year, over the whole window",
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


#: Rates per 1,000 inhabitants are shown with two decimals (0.62, the national figure).
PER_1000 = "per 1,000 inhabitants"
#: Money is shown in millions of NOK.
NOK_UNIT = "NOK per year"
MILLION = 1e6


def quantity(value: float, unit: str) -> str:
    """A metric's value with its unit: ``24%``, ``65 days``, ``42``, ``26 a year``, ``NOK 127 million a year``."""
    if math.isnan(value):
        return "no data"
    if unit == "share":
        return f"{number(value * 100)}%"
    if unit == NOK_UNIT:
        return f"NOK {number(value / MILLION)} million a year"
    if unit == PER_1000:
        return f"{value:.2f}{UNIT_WORDS[unit]}"
    return number(value) + UNIT_WORDS.get(unit, "")


def difference(value: float, unit: str, decimals: int | None = None) -> str:
    """A difference with its unit: ``-13 points`` (of a percentage), ``-25 days``, ``+3``, ``NOK -2.1 million a year``."""
    if unit == "share":
        return f"{_signed(value * 100, decimals)} points"
    if unit == NOK_UNIT:
        return f"NOK {_signed(value / MILLION, decimals)} million a year"
    if unit == PER_1000:
        return _signed(value, 2 if decimals is None else max(decimals, 2)) + UNIT_WORDS[unit]
    return _signed(value, decimals) + UNIT_WORDS.get(unit, "")


def _signed(value: float, decimals: int | None = None) -> str:
    """:func:`number` with a ``+`` in front of a positive value."""
    text = number(value, decimals)
    return text if text.startswith("-") or text == "0" else f"+{text}"


def _scaled(value: float, unit: str) -> float:
    """A value in the unit it is shown in: shares as percentages, money in millions."""
    if unit == "share":
        return value * 100
    return value / MILLION if unit == NOK_UNIT else value


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
    if unit == PER_1000:
        d = max(d, 2)
    ci = f"95% CI {number(lo, d)} to {number(hi, d)}"
    clear = lo > 0 or hi < 0
    return head + f" (difference {difference(a['diff'], unit, d)}, {ci})" + ("" if clear else ", no clear difference")


def findings(comparison: Comparison) -> list[str]:
    """The headline findings in plain words: one :func:`plain_line` per (alternative, :data:`HEADLINE` metric)."""
    return [plain_line(name, metric, comparison.table) for name in comparison.names[1:] for metric in HEADLINE]


#: The cost items of the costs section, in this order (``cost_<item>_nok_per_year``).
COST_ROWS: tuple[str, ...] = (
    "cost_total_nok_per_year",
    "cost_temporary_nok_per_year",
    "cost_temporary_staffed_nok_per_year",
    "cost_units_nok_per_year",
    "cost_followup_nok_per_year",
    "cost_treatment_nok_per_year",
    "cost_prison_nok_per_year",
)
#: What the cost per avoided day divides by.
OVER_NORM = "temp_days_over_norm_per_year"


def cost_lines(comparison: Comparison) -> list[str]:
    """The costs of a comparison in plain words, one line per alternative: the difference in total
    cost from the base (paired, with its interval), the items that moved most, and the cost per
    day in temporary housing beyond the 90-day norm avoided (``temp_days_over_norm_per_year``).

    The cost per avoided day is given only when the alternative clearly avoids such days (the
    interval of their difference lies below 0); a saving and fewer days reads as "saves money and
    avoids days" rather than a negative price.
    """
    t = comparison.table
    out = []
    for name in comparison.names[1:]:
        rows = t[t["scenario"] == name].set_index("metric")
        total = rows.loc["cost_total_nok_per_year"]
        if math.isnan(total["diff"]):
            out.append(f"{label(name)}: no costs (the scenario has no prices).")
            continue
        interval = ""
        if not math.isnan(total["diff_ci_low"]):
            lo, hi = total["diff_ci_low"] / MILLION, total["diff_ci_high"] / MILLION
            interval = f" (95% CI {_signed(lo, 1)} to {_signed(hi, 1)})"
        items = sorted(
            (r for r in COST_ROWS[1:] if not math.isnan(rows.loc[r, "diff"])),
            key=lambda r: -abs(rows.loc[r, "diff"]),
        )[:2]
        moved = ", ".join(f"{PLAIN[r].removeprefix('cost of ')} {difference(rows.loc[r, 'diff'], NOK_UNIT, 1)}" for r in items)
        line = f"{label(name)}: total cost {difference(total['diff'], NOK_UNIT, 1)}{interval}; the largest changes: {moved}."
        days = rows.loc[OVER_NORM]
        if not math.isnan(days["diff_ci_high"]) and days["diff_ci_high"] < 0:
            avoided = -days["diff"]
            if total["diff"] > 0:
                line += (
                    f" It avoids {avoided:,.0f} days a year in temporary housing beyond the 90-day norm: "
                    f"NOK {total['diff'] / avoided:,.0f} per day avoided."
                )
            else:
                line += f" It avoids {avoided:,.0f} days a year in temporary housing beyond the 90-day norm and costs less."
        elif not math.isnan(days["diff_ci_low"]) and days["diff_ci_low"] > 0:
            line += f" It adds {days['diff']:,.0f} days a year in temporary housing beyond the 90-day norm."
        out.append(line)
    return out


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
        census = (
            f"; on a census day {m['homeless_census_count']:.0f} are homeless, {m['homeless_per_1000']:.2f} per 1,000 "
            "inhabitants (counting people in an institution with nowhere to go)."
            if have("homeless_census_count", "homeless_per_1000")
            else "."
        )
        sentences.append(
            f"On an average day {m['temp_occupancy_mean']:.0f} people are in NAV temporary housing and "
            f"{m['street_count_mean']:.0f} on the street or a friend's sofa" + census
        )
    if have("temp_households_over_90d_share", "temp_households_per_year", "temp_household_days_mean"):
        share = m["temp_households_over_90d_share"]
        one_in = f" (about 1 in {round(1 / share)})" if 0.05 <= share < 0.5 else ""
        sentences.append(
            f"In a year {m['temp_households_per_year']:.0f} people stay in temporary housing, "
            f"{m['temp_household_days_mean']:.0f} days each on average; {pct('temp_households_over_90d_share')} "
            f"of them pass the 90-day norm that year{one_in}."
        )
    if have("discharge_to_street_share", "readmission_within_365d_share"):
        sentences.append(
            f"{pct('discharge_to_street_share')} of discharges from treatment and prison go to the street or a "
            f"sofa, and {pct('readmission_within_365d_share')} of people discharged from treatment are back in "
            "treatment within a year"
            + (
                f"; the services counted cost {quantity(m['cost_total_nok_per_year'], NOK_UNIT)}."
                if have("cost_total_nok_per_year")
                else "."
            )
        )
    return sentences
