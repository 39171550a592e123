"""Numbers and names in plain words: what a comparison's report and the console say.

``number``, ``quantity`` and ``difference`` write a metric's value or a difference for people
(``24%``, ``65 days``, ``-13 points``); :func:`plain_line` writes one finding of a comparison,
and :func:`findings` all the headline ones. Each takes ``lang``: ``"en"`` (the default) or
``"nb"`` (Norwegian bokmål, with decimal commas; :mod:`sim.reports.language`).
"""

from __future__ import annotations

import math

import pandas as pd

from sim.experiments.comparison import Comparison
from sim.measures.headline import HEADLINE as HEADLINE_MEASURES
from sim.measures.metrics import METRICS
from sim.reports.language import check_lang, fmt

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
#: The same in Norwegian.
UNIT_WORDS_NB = {
    "days": " dager",
    "per year": " per år",
    "people per year": " per år",
    "per 100 person-years": " per 100 personår",
    "per 1,000 inhabitants": " per 1 000 innbyggere",
    "days per year": " dager per år",
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


#: The headline, cost and norm measures in Norwegian (the report's findings, costs, table and
#: verdicts, and the run's sentences); other measures are named in English in every language.
PLAIN_NB: dict[str, str] = {
    "temp_households_over_90d_share": "andel av dem i midlertidig botilbud som passerer 90 dager der i løpet av et år",
    "temp_occupancy_mean": "personer i NAV midlertidig botilbud en gjennomsnittsdag",
    "homeless_per_1000": "bostedsløse per 1 000 innbyggere på en tellingsdag",
    "discharge_to_street_share": "andel utskrivninger til gata eller sofa hos venner",
    "readmission_within_365d_share": "andel av dem som skrives ut fra behandling som er tilbake innen ett år",
    "revolving_door_persons_per_year": "svingdørspersoner (3 eller flere innleggelser innen 365 dager) per år",
    "cost_total_nok_per_year": "samlet kostnad",
    "cost_temporary_nok_per_year": "kostnad til midlertidig botilbud",
    "cost_temporary_staffed_nok_per_year": "kostnad til bemanning av midlertidige plasser",
    "cost_treatment_nok_per_year": "kostnad til behandlingsdøgn (TSB)",
    "cost_prison_nok_per_year": "kostnad til fengselsdøgn",
    "cost_units_nok_per_year": "kostnad til kommunale boliger",
    "cost_followup_nok_per_year": "kostnad til ettervern",
    "temp_days_over_norm_per_year": "døgn i midlertidig botilbud utover 90-dagersnormen, per år",
}


def plain(metric: str, lang: str = "en") -> str:
    """What a metric is, in a planner's words, in the language (English where no translation exists)."""
    if check_lang(lang) == "nb" and metric in PLAIN_NB:
        return PLAIN_NB[metric]
    return PLAIN.get(metric, METRICS[metric].description.lower() if metric in METRICS else metric)


def label(name: str) -> str:
    """A scenario's name as a title: ``housing_ready`` -> ``Housing ready``."""
    text = name.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def number(value: float, decimals: int | None = None, lang: str = "en") -> str:
    """A number for people: no decimals from 10 up, one below (unless ``decimals`` says); no ``-0``.

    In Norwegian (``lang="nb"``) with a decimal comma and thousands grouped with a space.
    """
    if decimals is None:
        decimals = 0 if abs(value) >= WHOLE_FROM else 1
    text = f"{value:.{decimals}f}"
    if float(text) == 0:
        return "0"
    return text if lang == "en" else fmt(value, decimals, lang)


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


def _units(lang: str) -> dict[str, str]:
    """:data:`UNIT_WORDS` in the language."""
    return UNIT_WORDS_NB if check_lang(lang) == "nb" else UNIT_WORDS


def quantity(value: float, unit: str, lang: str = "en") -> str:
    """A metric's value with its unit: ``24%``, ``65 days``, ``42``, ``26 a year``, ``NOK 127 million a year``
    (in Norwegian ``24 %``, ``65 dager``, ``127 mill. kr per år``)."""
    nb = check_lang(lang) == "nb"
    if math.isnan(value):
        return "ingen data" if nb else "no data"
    if unit == "share":
        return f"{number(value * 100, lang=lang)}{' %' if nb else '%'}"
    if unit == NOK_UNIT:
        amount = number(value / MILLION, lang=lang)
        return f"{amount} mill. kr per år" if nb else f"NOK {amount} million a year"
    if unit == PER_1000:
        return number(value, 2, lang) + _units(lang)[unit]
    return number(value, lang=lang) + _units(lang).get(unit, "")


def difference(value: float, unit: str, decimals: int | None = None, lang: str = "en") -> str:
    """A difference with its unit: ``-13 points`` (of a percentage), ``-25 days``, ``+3``, ``NOK -2.1 million a year``
    (in Norwegian ``-13 prosentpoeng``, ``-25 dager``, ``-2,1 mill. kr per år``)."""
    nb = check_lang(lang) == "nb"
    if unit == "share":
        return f"{signed(value * 100, decimals, lang)} {'prosentpoeng' if nb else 'points'}"
    if unit == NOK_UNIT:
        amount = signed(value / MILLION, decimals, lang)
        return f"{amount} mill. kr per år" if nb else f"NOK {amount} million a year"
    if unit == PER_1000:
        return signed(value, 2 if decimals is None else max(decimals, 2), lang) + _units(lang)[unit]
    return signed(value, decimals, lang) + _units(lang).get(unit, "")


def signed(value: float, decimals: int | None = None, lang: str = "en") -> str:
    """:func:`number` with a ``+`` in front of a positive value."""
    text = number(value, decimals, lang)
    return text if text.startswith("-") or text == "0" else f"+{text}"


def scaled(value: float, unit: str) -> float:
    """A value in the unit it is shown in: shares as percentages (points), money in millions."""
    if unit == "share":
        return value * 100
    return value / MILLION if unit == NOK_UNIT else value


#: The words of a finding, in each language.
FINDING_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "no_data": " (no difference can be computed: no data)",
        "one": " (difference {d}; one replication, no interval)",
        "ci": "95% CI {lo} to {hi}",
        "diff": " (difference {d}, {ci})",
        "unclear": ", no clear difference",
    },
    "nb": {
        "no_data": " (ingen forskjell kan beregnes: ingen data)",
        "one": " (forskjell {d}; én replikasjon, intet intervall)",
        "ci": "95 % KI {lo} til {hi}",
        "diff": " (forskjell {d}, {ci})",
        "unclear": ", ingen klar forskjell",
    },
}


def interval_decimals(diff: float, low: float, high: float, unit: str) -> int:
    """One precision for a difference and its interval (in the unit they are shown in)."""
    d = _decimals(scaled(diff, unit), scaled(low, unit), scaled(high, unit))
    return max(d, 2) if unit == PER_1000 else d


def plain_line(name: str, metric: str, table: pd.DataFrame, lang: str = "en") -> str:
    """One finding in plain words.

    ``Housing ready: share of temporary stays over 90 days 24% -> 11% (difference -13 points,
    95% CI -16 to -10)``; ``no clear difference`` is added when the interval includes zero.
    """
    words = FINDING_WORDS[check_lang(lang)]
    rows = table[table["metric"] == metric].set_index("scenario")
    base_name = rows.index[rows["is_base"]][0]
    b, a = rows.loc[base_name], rows.loc[name]
    unit = str(a["unit"])
    head = f"{label(name)}: {plain(metric, lang)} "
    head += f"{quantity(b['mean'], unit, lang)} -> {quantity(a['mean'], unit, lang)}"
    if math.isnan(a["diff"]):
        return head + words["no_data"]
    if math.isnan(a["diff_ci_low"]):
        return head + words["one"].format(d=difference(a["diff"], unit, lang=lang))
    lo, hi = scaled(a["diff_ci_low"], unit), scaled(a["diff_ci_high"], unit)
    d = interval_decimals(a["diff"], a["diff_ci_low"], a["diff_ci_high"], unit)
    ci = words["ci"].format(lo=number(lo, d, lang), hi=number(hi, d, lang))
    clear = lo > 0 or hi < 0
    line = head + words["diff"].format(d=difference(a["diff"], unit, d, lang), ci=ci)
    return line + ("" if clear else words["unclear"])


def findings(comparison: Comparison, lang: str = "en") -> list[str]:
    """The headline findings in plain words: one :func:`plain_line` per (alternative, :data:`HEADLINE` metric)."""
    return [plain_line(name, metric, comparison.table, lang) for name in comparison.names[1:] for metric in HEADLINE]


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


#: The words of the cost lines, in each language.
COST_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "none": "{name}: no costs (the scenario has no prices).",
        "ci": " (95% CI {lo} to {hi})",
        "line": "{name}: total cost {d}{ci}; the largest changes: {moved}.",
        "per_day": " It avoids {days} days a year in temporary housing beyond the 90-day norm: NOK {nok} per day avoided.",
        "saves": " It avoids {days} days a year in temporary housing beyond the 90-day norm and costs less.",
        "adds": " It adds {days} days a year in temporary housing beyond the 90-day norm.",
        "cost_of": "cost of ",
    },
    "nb": {
        "none": "{name}: ingen kostnader (scenarioet har ingen priser).",
        "ci": " (95 % KI {lo} til {hi})",
        "line": "{name}: samlet kostnad {d}{ci}; størst endring: {moved}.",
        "per_day": " Det sparer {days} døgn per år i midlertidig botilbud utover 90-dagersnormen: {nok} kr per spart døgn.",
        "saves": " Det sparer {days} døgn per år i midlertidig botilbud utover 90-dagersnormen og koster mindre.",
        "adds": " Det gir {days} flere døgn per år i midlertidig botilbud utover 90-dagersnormen.",
        "cost_of": "kostnad til ",
    },
}


def cost_lines(comparison: Comparison, lang: str = "en") -> list[str]:
    """The costs of a comparison in plain words, one line per alternative: the difference in total
    cost from the base (paired, with its interval), the items that moved most, and the cost per
    day in temporary housing beyond the 90-day norm avoided (``temp_days_over_norm_per_year``).

    The cost per avoided day is given only when the alternative clearly avoids such days (the
    interval of their difference lies below 0); a saving and fewer days reads as "saves money and
    avoids days" rather than a negative price.
    """
    words = COST_WORDS[check_lang(lang)]
    t = comparison.table
    out = []
    for name in comparison.names[1:]:
        rows = t[t["scenario"] == name].set_index("metric")
        total = rows.loc["cost_total_nok_per_year"]
        if math.isnan(total["diff"]):
            out.append(words["none"].format(name=label(name)))
            continue
        interval = ""
        if not math.isnan(total["diff_ci_low"]):
            lo, hi = total["diff_ci_low"] / MILLION, total["diff_ci_high"] / MILLION
            interval = words["ci"].format(lo=signed(lo, 1, lang), hi=signed(hi, 1, lang))
        items = sorted(
            (r for r in COST_ROWS[1:] if not math.isnan(rows.loc[r, "diff"])),
            key=lambda r: -abs(rows.loc[r, "diff"]),
        )[:2]
        moved = ", ".join(
            f"{plain(r, lang).removeprefix(words['cost_of'])} {difference(rows.loc[r, 'diff'], NOK_UNIT, 1, lang)}"
            for r in items
        )
        line = words["line"].format(name=label(name), d=difference(total["diff"], NOK_UNIT, 1, lang), ci=interval, moved=moved)
        days = rows.loc[OVER_NORM]
        if not math.isnan(days["diff_ci_high"]) and days["diff_ci_high"] < 0:
            avoided = -days["diff"]
            if total["diff"] > 0:
                line += words["per_day"].format(days=fmt(avoided, 0, lang), nok=fmt(total["diff"] / avoided, 0, lang))
            else:
                line += words["saves"].format(days=fmt(avoided, 0, lang))
        elif not math.isnan(days["diff_ci_low"]) and days["diff_ci_low"] > 0:
            line += words["adds"].format(days=fmt(days["diff"], 0, lang))
        out.append(line)
    return out


#: The sentences of :func:`run_in_words`, in each language.
RUN_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "census": "; on a census day {count} are homeless, {per} per 1,000 inhabitants (counting people in an institution with nowhere to go).",
        "day": "On an average day {temp} people are in NAV temporary housing and {street} on the street or a friend's sofa",
        "one_in": " (about 1 in {n})",
        "year": "In a year {households} people stay in temporary housing, {days} days each on average; {share} of them pass the 90-day norm that year{one_in}.",
        "discharge": "{street} of discharges from treatment and prison go to the street or a sofa, and {readmit} of people discharged from treatment are back in treatment within a year",
        "cost": "; the services counted cost {cost}.",
    },
    "nb": {
        "census": "; på en tellingsdag er {count} bostedsløse, {per} per 1 000 innbyggere (medregnet personer i institusjon uten bolig å gå til).",
        "day": "En gjennomsnittsdag bor {temp} personer i NAV midlertidig botilbud og {street} på gata eller på sofaen hos venner",
        "one_in": " (omtrent 1 av {n})",
        "year": "I løpet av et år bor {households} personer i midlertidig botilbud, i snitt {days} døgn hver; {share} av dem passerer 90-dagersnormen det året{one_in}.",
        "discharge": "{street} av utskrivningene fra behandling og fengsel går til gata eller en sofa, og {readmit} av dem som skrives ut fra behandling, er tilbake i behandling innen ett år",
        "cost": "; tjenestene som telles, koster {cost}.",
    },
}


def run_in_words(summary: dict, lang: str = "en") -> list[str]:
    """A run's outcomes in three or four plain sentences, from its summary's means (``pathways run``).

    Args:
        summary: A run's summary (``RunResult.summary``): ``summary["metrics"][name]["mean"]``.
        lang: ``"en"`` or ``"nb"``.

    Returns:
        The sentences; a sentence whose numbers are missing (no data) is left out.
    """
    words = RUN_WORDS[check_lang(lang)]
    m = {name: entry.get("mean") for name, entry in summary["metrics"].items()}

    def have(*names: str) -> bool:
        return all(isinstance(m.get(n), int | float) and not math.isnan(m[n]) for n in names)

    def pct(name: str) -> str:
        return quantity(m[name], "share", lang) if lang != "en" else f"{m[name] * 100:.0f}%"

    def whole(name: str) -> str:
        return fmt(m[name], 0, lang)

    sentences = []
    if have("temp_occupancy_mean", "street_count_mean"):
        census = (
            words["census"].format(count=whole("homeless_census_count"), per=fmt(m["homeless_per_1000"], 2, lang))
            if have("homeless_census_count", "homeless_per_1000")
            else "."
        )
        sentences.append(words["day"].format(temp=whole("temp_occupancy_mean"), street=whole("street_count_mean")) + census)
    if have("temp_households_over_90d_share", "temp_households_per_year", "temp_household_days_mean"):
        share = m["temp_households_over_90d_share"]
        one_in = words["one_in"].format(n=round(1 / share)) if 0.05 <= share < 0.5 else ""
        sentences.append(
            words["year"].format(
                households=whole("temp_households_per_year"),
                days=whole("temp_household_days_mean"),
                share=pct("temp_households_over_90d_share"),
                one_in=one_in,
            )
        )
    if have("discharge_to_street_share", "readmission_within_365d_share"):
        cost = (
            words["cost"].format(cost=quantity(m["cost_total_nok_per_year"], NOK_UNIT, lang))
            if have("cost_total_nok_per_year")
            else "."
        )
        sentences.append(
            words["discharge"].format(
                street=pct("discharge_to_street_share"), readmit=pct("readmission_within_365d_share")
            )
            + cost
        )
    return sentences
