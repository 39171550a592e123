"""The interactive page: the main policy levers, with help, and live plots of one run.

As a web page (from the repository root)::

    .venv/bin/solara run sim/app.py          # then open http://localhost:8765
                                             # in Norwegian: http://localhost:8765/?lang=nb

In Jupyter (JupyterLab or a notebook with ipywidgets), inline in the notebook::

    from sim.app import Page
    Page()            # Page(lang="nb") in Norwegian

A run starts after the scenario's warm-up (run at once when the run is made, not drawn), so the
plots open on the counted years. Move the levers, press **Reset** to start a new run with them
(the run before stays as faint lines to compare with), then **Step** (one week) or **▶** (plays
at the speed chosen: how many weeks are drawn at a time). See ``docs/interactive.md``.

The page is built from Mesa's visualisation parts (``mesa.visualization.utils``' update counter)
and solara. This is the only module in ``sim`` that imports solara or ``mesa.visualization``; it
needs the ``viz`` extra (``pip install -e ".[viz]"``). The core model (``sim.model``) does not.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import numpy as np
import pandas as pd
import solara
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import ScalarFormatter
from mesa.datacollection import DataCollector
from mesa.visualization.utils import force_update, update_counter

from sim import config as sc
from sim.config import DAYS_PER_YEAR
from sim.config import schema as sch
from sim.measures.households import NORM_DAYS
from sim.model import HousingModel
from sim.model.person import Person
from sim.model.states import State
from sim.reports.language import LANGS, check_lang, fmt, place, term
from sim.reports.people import draw_timelines
from sim.reports.style import PLACE_COLOURS, WAITLIST_COLOUR, WARMUP_SHADE

DAYS_PER_STEP = 7  # one press of "Step" = one week
UNIT_TYPES = ("ordinary", "rop", "staffed", "training")
DECLINE_CHOICES = ("0", "1", "2", "3", "4", "5", "unlimited")
FOLLOWED_PEOPLE = 6  # people whose pathways the page draws
LANG_ENV = "PATHWAYS_LANG"  # the page's language when neither the URL nor Page(lang=...) gives one

BASELINE = sc.load("baseline")

# ----------------------------------------------------------------------------- the page's own words

#: Words of the page that :mod:`sim.reports.language` does not have, in each language.
WORDS: dict[str, dict[str, str]] = {
    "title": {"en": "Housing pathways", "nb": "Boligforløp"},
    "controls": {"en": "Run", "nb": "Kjøring"},
    "levers": {"en": "Levers", "nb": "Virkemidler"},
    "levers_note": {
        "en": "A lever takes effect when you press Reset.",
        "nb": "Et virkemiddel virker fra du trykker Start på nytt.",
    },
    "reset": {"en": "Reset", "nb": "Start på nytt"},
    "step": {"en": "Step", "nb": "Ett steg"},
    "speed": {"en": "Play speed: weeks drawn at a time", "nb": "Avspillingsfart: uker tegnet om gangen"},
    "weeks": {"en": "{n} weeks", "nb": "{n} uker"},
    "one_week": {"en": "1 week", "nb": "1 uke"},
    "one_year": {"en": "1 year", "nb": "1 år"},
    "speed_note": {
        "en": "Step is always one week. ▶ plays to the end of the run at this speed.",
        "nb": "Ett steg er alltid én uke. ▶ spiller til slutten av kjøringen med denne farten.",
    },
    "people": {"en": "people", "nb": "personer"},
    "year_axis": {"en": "year of the run", "nb": "år i kjøringen"},
    "temporary_title": {
        "en": "NAV temporary housing and the {norm}-day norm",
        "nb": "NAV midlertidig botilbud og {norm}-dagersnormen",
    },
    "temporary_now": {"en": "in temporary housing now", "nb": "i midlertidig botilbud nå"},
    "over_norm": {
        "en": "of them, there longer than {norm} days (over the norm)",
        "nb": "av dem, der lenger enn {norm} dager (over normen)",
    },
    "places_title": {"en": "People by place", "nb": "Personer etter sted"},
    "waitlist_title": {"en": "Housing waiting list", "nb": "Venteliste for kommunal bolig"},
    "waitlist_axis": {"en": "applications / units", "nb": "søknader / boliger"},
    "applications": {"en": "applications on the waiting list", "nb": "søknader på ventelisten"},
    "vacant": {"en": "vacant units", "nb": "ledige boliger"},
    "timelines_title": {
        "en": "Pathways of {n} people (one starting in each place)",
        "nb": "Forløpene til {n} personer (én som starter på hvert sted)",
    },
    "previous": {"en": "previous run ({change})", "nb": "forrige kjøring ({change})"},
    "same_levers": {"en": "same levers", "nb": "samme virkemidler"},
    "more_changes": {"en": "and {n} more", "nb": "og {n} til"},
    "unit": {"en": "Unit", "nb": "Enhet"},
    "baseline": {"en": "Baseline", "nb": "Grunnscenario"},
    "in_scenario": {"en": "In the scenario", "nb": "I scenarioet"},
    "range": {"en": "{lo} to {hi}", "nb": "{lo} til {hi}"},
    "one_of": {"en": "one of: {values}", "nb": "ett av: {values}"},
    "day_line": {
        "en": "**Day {day}** (year {year} of the run), week {week}{status}",
        "nb": "**Dag {day}** (år {year} i kjøringen), uke {week}{status}",
    },
    "ended": {
        "en": " — end of the run; press Reset to start again",
        "nb": " — kjøringen er slutt; trykk Start på nytt for å begynne igjen",
    },
    "numbers": {
        "en": "In NAV temporary housing: **{temporary}**, of whom **{over}**{share} have been there longer "
        "than the {norm}-day norm · on the street or a friend's sofa: **{street}** · in private housing: "
        "**{private}** · waiting list: **{waitlist}** applications · units let: **{let}** of **{units}**",
        "nb": "I NAV midlertidig botilbud: **{temporary}**, av dem **{over}**{share} lenger enn "
        "{norm}-dagersnormen · på gata eller sofaen hos venner: **{street}** · i privat bolig: "
        "**{private}** · venteliste: **{waitlist}** søknader · boliger utleid: **{let}** av **{units}**",
    },
    "this_run": {"en": "This run: {levers}.", "nb": "Denne kjøringen: {levers}."},
    "previous_run": {
        "en": "Faint lines: the previous run ({change}).",
        "nb": "Svake linjer: forrige kjøring ({change}).",
    },
    "after_warmup": {
        "en": "The run started after the warm-up: its first {years} years ({days} days), in which the "
        "made-up day-0 population settles in, were run at once when the run was made, and are not "
        "drawn. The plots show the counted years (year {start} to {end}).",
        "nb": "Kjøringen startet etter innsvingningen: de første {years} årene ({days} dager), der den "
        "oppdiktede befolkningen fra dag 0 finner sin plass, ble kjørt med en gang da kjøringen ble "
        "laget, og tegnes ikke. Figurene viser årene som telles (år {start} til {end}).",
    },
    "with_warmup": {
        "en": "The grey part of the plots is the warm-up ({days} days), in which the made-up day-0 "
        "population settles in; it is not counted.",
        "nb": "Den grå delen av figurene er innsvingningen ({days} dager), der den oppdiktede "
        "befolkningen fra dag 0 finner sin plass; den telles ikke.",
    },
    "how_to": {
        "en": "Move the levers on the left, then press **Reset** to start a new run with them (the run "
        "you were looking at stays as faint lines); **Step** advances one week, **▶** plays.",
        "nb": "Flytt virkemidlene til venstre, og trykk **Start på nytt** for en ny kjøring med dem "
        "(kjøringen du så på, blir stående som svake linjer); **Ett steg** går én uke fram, **▶** spiller.",
    },
    "levers_line": {
        "en": "units: ordinary {ordinary}, ROP {rop}, staffed {staffed}, training {training}; notice delay "
        "{delay} days; application at {timing}; free declines {declines}; follow-up capacity {followup} "
        "clients; seed {seed}",
        "nb": "boliger: ordinære {ordinary}, ROP {rop}, bemannede {staffed}, trening {training}; "
        "varslingstid {delay} dager; søknad ved {timing}; gratis avslag {declines}; ettervern {followup} "
        "klienter; seed {seed}",
    },
    "error": {"en": "Could not start the run: {error}", "nb": "Kunne ikke starte kjøringen: {error}"},
}


def word(key: str, lang: str = "en") -> str:
    """A word of the page (:data:`WORDS`) in the language."""
    return WORDS[key][check_lang(lang)]


# ----------------------------------------------------------------------------- scenario from levers


def spread_units(base: Mapping[str, int], total: int, zones: list[str] | tuple[str, ...]) -> dict[str, int]:
    """Units per zone for ``total`` units of one type, starting from the baseline's ``base``.

    The baseline number gives the baseline exactly. Fewer units are taken away in proportion to
    where the type's units are (largest remainder); units beyond the baseline number are spread
    evenly over all zones, one at a time in zone order (so 8 staffed units in the centre become
    14/6/5/5 for 30 units, close to the shipped ``more_staffed`` scenario).
    """
    if total < 0:
        raise ValueError(f"a number of units must be >= 0, got {total}")
    out = {zone: int(base.get(zone, 0)) for zone in zones}
    base_total = sum(out.values())
    if total >= base_total:
        for i in range(total - base_total):
            out[zones[i % len(zones)]] += 1
    else:
        quotas = {zone: n * total / base_total for zone, n in out.items()}
        out = {zone: int(q) for zone, q in quotas.items()}
        by_remainder = sorted(zones, key=lambda z: (-(quotas[z] - out[z]), zones.index(z)))
        for zone in by_remainder[: total - sum(out.values())]:
            out[zone] += 1
    # The baseline's zones first and in its order, so the baseline number gives the baseline
    # table exactly (the order in which units are built).
    return {
        **{zone: out[zone] for zone in base if zone in out},
        **{zone: n for zone, n in out.items() if zone not in base and n > 0},
    }


def _declines(value: int | str) -> int | str:
    text = str(value).strip()
    return "unlimited" if text == "unlimited" else int(text)


def _seed(value: int | str) -> int:
    try:
        seed = int(str(value).strip())
    except ValueError:
        raise ValueError(f"the random seed must be a whole number >= 0, got {value!r}") from None
    if seed < 0:
        raise ValueError(f"the random seed must be a whole number >= 0, got {value!r}")
    return seed


def lever_scenario(
    *,
    ordinary_units: int,
    rop_units: int,
    staffed_units: int,
    training_units: int,
    notice_delay_days: float,
    application_timing: str,
    max_declines: int | str,
    followup_capacity: int,
    seed: int,
    base: sc.Scenario = BASELINE,
) -> sc.Scenario:
    """The baseline scenario with the page's levers applied (validated like a scenario file)."""
    zones = base.zones.names
    totals = {"ordinary": ordinary_units, "rop": rop_units, "staffed": staffed_units, "training": training_units}
    return sc.with_overrides(
        base,
        {
            "seed": seed,
            "coordination": {"application_timing": application_timing, "notice_delay_days": float(notice_delay_days)},
            "choice": {"max_declines": _declines(max_declines)},
            "followup": {"capacity": int(followup_capacity)},
            "stock": {
                "types": {
                    name: {"units": spread_units(base.stock.types[name].units, int(totals[name]), zones)}
                    for name in UNIT_TYPES
                }
            },
        },
    )


def _baseline_units(name: str) -> int:
    return sum(BASELINE.stock.types[name].units.values())


# ----------------------------------------------------------------------------- the levers and their help


@dataclass(frozen=True)
class Lever:
    """One input of the page: how it is shown, its range and its help text in each language.

    Attributes:
        name: The keyword of :class:`InteractiveModel` it sets.
        kind: ``"int"`` or ``"float"`` (a slider), ``"choice"`` (a drop-down), ``"text"`` or
            ``"flag"`` (a tick box).
        value: The baseline's value (what the page starts with).
        label: The input's label, per language.
        unit: Its unit, per language.
        what: What it is and what it stands for in the municipality, per language.
        key: The scenario key it sets (``""`` for a setting of the page only).
        section: The schema class of that key (its docstring says what the section is about).
        minimum: A slider's smallest value.
        maximum: A slider's largest value (room to explore, not a limit of the model).
        step: A slider's step.
        choices: A drop-down's values (what the model is given).
        choice_labels: What a drop-down shows for each value, per language (the value itself
            when missing).
    """

    name: str
    kind: str
    value: Any
    label: dict[str, str]
    unit: dict[str, str]
    what: dict[str, str]
    key: str = ""
    section: type | None = None
    minimum: float = 0
    maximum: float = 0
    step: float = 1
    choices: tuple[str, ...] = ()
    choice_labels: dict[str, dict[str, str]] = field(default_factory=dict)

    def show(self, value: Any, lang: str) -> str:
        """A value of this lever as the page shows it (``14``, ``ved utskrivning``, ``2,5``)."""
        if self.kind == "choice":
            return self.choice_labels.get(str(value), {}).get(lang, str(value))
        if self.kind == "flag":
            return self.choice_labels.get(str(bool(value)), {}).get(lang, str(value))
        if self.kind in ("int", "float"):
            return fmt(float(value), 0 if float(value).is_integer() else 1, lang)
        return str(value)

    def range_text(self, lang: str) -> str:
        """Its range: ``0 to 100`` for a slider, the choices for a drop-down."""
        if self.kind in ("int", "float"):
            return word("range", lang).format(lo=self.show(self.minimum, lang), hi=self.show(self.maximum, lang))
        if self.kind in ("choice", "flag"):
            values = self.choices if self.kind == "choice" else ("True", "False")
            return word("one_of", lang).format(values=", ".join(self.show(v, lang) for v in values))
        return {"en": "a whole number of 0 or more", "nb": "et helt tall, 0 eller mer"}[lang]

    def help(self, lang: str) -> str:
        """The help text: what it is and stands for, its unit and range, the baseline's value,
        and the scenario key (with the schema's description of that part of the scenario)."""
        lang = check_lang(lang)
        text = (
            f"{self.what[lang]} {word('unit', lang)}: {self.unit[lang]}, {self.range_text(lang)}. "
            f"{word('baseline', lang)}: {self.show(self.value, lang)}."
        )
        if self.key:
            where = f"`{self.key}`"
            if self.section is not None and lang == "en" and self.section.__doc__:
                doc = self.section.__doc__.strip().splitlines()[0].rstrip(".")
                where += f" — {doc[0].lower()}{doc[1:]}"
            text += f" {word('in_scenario', lang)}: {where}."
        return text


def _units_lever(name: str, maximum: int, label: dict[str, str], what: dict[str, str]) -> Lever:
    return Lever(
        name=f"{name}_units",
        kind="int",
        value=_baseline_units(name),
        label=label,
        unit={"en": "number of units", "nb": "antall boliger"},
        what=what,
        key=f"stock.types.{name}.units",
        section=sch.UnitTypeConfig,
        minimum=0,
        maximum=maximum,
        step=1,
    )


_SPREAD = {
    "en": "Units added are spread evenly over the four zones.",
    "nb": "Nye boliger fordeles jevnt på de fire sonene.",
}

#: The page's inputs, in the order shown; they start at the baseline's values.
LEVERS: tuple[Lever, ...] = (
    _units_lever(
        "ordinary",
        300,
        {"en": "Ordinary flats", "nb": "Ordinære boliger"},
        {
            "en": "Ordinary municipal flats (ordinær kommunal bolig), often in a housing cooperative: no "
            "support on site, active use not tolerated, 3-year renewable tenancies. " + _SPREAD["en"],
            "nb": "Ordinære kommunale boliger, ofte i et borettslag: ingen oppfølging på stedet, aktiv rus "
            "tåles ikke, 3-årige leieavtaler som kan fornyes. " + _SPREAD["nb"],
        },
    ),
    _units_lever(
        "rop",
        100,
        {"en": "ROP units", "nb": "ROP-boliger"},
        {
            "en": "Municipal units set aside for people with co-occurring substance use and mental illness "
            "(ROP-bolig). Active use is tolerated; in this municipality they are not adapted or reinforced "
            "(thesis 7.2.1), so they meet ROP need only in part. " + _SPREAD["en"],
            "nb": "Kommunale boliger satt av til personer med samtidig rusproblem og psykisk lidelse "
            "(ROP-bolig). Aktiv rus tåles; i denne kommunen er de ikke tilpasset eller forsterket "
            "(oppgaven 7.2.1), så de dekker ROP-behov bare delvis. " + _SPREAD["nb"],
        },
    ),
    _units_lever(
        "staffed",
        100,
        {"en": "Staffed units", "nb": "Bemannede boliger"},
        {
            "en": "Staffed housing (bemannet bolig): units with staff on site, for people with the highest "
            "need; active use is tolerated and evictions are rarer. " + _SPREAD["en"],
            "nb": "Bemannede boliger: boliger med personale på stedet, for dem med størst behov; aktiv rus "
            "tåles, og utkastelser er sjeldnere. " + _SPREAD["nb"],
        },
    ),
    _units_lever(
        "training",
        50,
        {"en": "Training flats", "nb": "Treningsleiligheter"},
        {
            "en": "Training flats (treningsleilighet): one-year tenancies with some support, where a person "
            "builds up the skills to live on their own before moving on to another flat. " + _SPREAD["en"],
            "nb": "Treningsleiligheter: ettårige leieavtaler med noe oppfølging, der en person bygger opp "
            "boevnen før hen flytter videre til en annen bolig. " + _SPREAD["nb"],
        },
    ),
    Lever(
        name="notice_delay_days",
        kind="float",
        value=float(BASELINE.coordination.notice_delay_days),
        label={"en": "Notice delay (days)", "nb": "Varslingstid (dager)"},
        unit={"en": "days", "nb": "dager"},
        what={
            "en": "How late treatment and prison tell the municipality: days from a person's admission or "
            "discharge until the housing office has their housing application.",
            "nb": "Hvor sent behandling og fengsel varsler kommunen: dager fra en person legges inn eller "
            "skrives ut til boligkontoret har boligsøknaden.",
        },
        key="coordination.notice_delay_days",
        section=sch.CoordinationConfig,
        minimum=0.0,
        maximum=90.0,
        step=1.0,
    ),
    Lever(
        name="application_timing",
        kind="choice",
        value=BASELINE.coordination.application_timing,
        label={"en": "Housing application made at", "nb": "Boligsøknad sendes ved"},
        unit={"en": "a moment in a stay", "nb": "et tidspunkt i et opphold"},
        what={
            "en": "When treatment and prison apply for housing for a person: at admission (a flat can be "
            "ready at discharge) or at discharge (nobody applies until the person is out).",
            "nb": "Når behandling og fengsel søker bolig for en person: ved innleggelse (en bolig kan være "
            "klar ved utskrivning) eller ved utskrivning (ingen søker før personen er ute).",
        },
        key="coordination.application_timing",
        section=sch.CoordinationConfig,
        choices=("discharge", "admission"),
        choice_labels={
            "discharge": {"en": "discharge", "nb": "utskrivning"},
            "admission": {"en": "admission", "nb": "innleggelse"},
        },
    ),
    Lever(
        name="max_declines",
        kind="choice",
        value=str(BASELINE.choice.max_declines),
        label={"en": "Offers a person may decline at no cost", "nb": "Tilbud en person kan avslå uten følger"},
        unit={"en": "offers of a municipal unit", "nb": "tilbud om kommunal bolig"},
        what={
            "en": "How much choice people have: offers of a unit a person may turn down before the sanction "
            "(back of the queue). 'unlimited' is free choice.",
            "nb": "Hvor mye valgfrihet folk har: tilbud om bolig en person kan takke nei til før sanksjonen "
            "(bakerst i køen). 'ubegrenset' er fritt valg.",
        },
        key="choice.max_declines",
        section=sch.ChoiceConfig,
        choices=DECLINE_CHOICES,
        choice_labels={"unlimited": {"en": "unlimited", "nb": "ubegrenset"}},
    ),
    Lever(
        name="followup_capacity",
        kind="int",
        value=BASELINE.followup.capacity,
        label={"en": "Follow-up capacity (clients)", "nb": "Oppfølging i hjemmet (klienter)"},
        unit={"en": "clients at once", "nb": "klienter samtidig"},
        what={
            "en": "Follow-up in the home after treatment (ettervern): how many clients the municipality's "
            "follow-up teams can take at once (people of medium need or more, for up to a year). "
            "Follow-up makes relapse and eviction less likely.",
            "nb": "Oppfølging i hjemmet etter behandling (ettervern): hvor mange klienter kommunens "
            "oppfølgingsteam kan ha samtidig (personer med middels behov eller mer, i opptil ett år). "
            "Oppfølging gjør tilbakefall og utkastelse mindre sannsynlig.",
        },
        key="followup.capacity",
        section=sch.FollowupConfig,
        minimum=0,
        maximum=150,
        step=1,
    ),
    Lever(
        name="seed",
        kind="text",
        value=str(BASELINE.seed),
        label={"en": "Random seed", "nb": "Seed (startverdi for tilfeldige tall)"},
        unit={"en": "a whole number", "nb": "et helt tall"},
        what={
            "en": "The same seed and levers give the same run; another seed gives another possible history "
            "of the same municipality (runs differ by chance, sometimes a lot).",
            "nb": "Samme seed og virkemidler gir samme kjøring; en annen seed gir en annen mulig historie for "
            "samme kommune (kjøringer skiller seg ved en tilfeldighet, noen ganger mye).",
        },
        key="seed",
        section=sch.Scenario,
    ),
    Lever(
        name="skip_warmup",
        kind="flag",
        value=True,
        label={"en": "Start after the warm-up", "nb": "Start etter innsvingningen"},
        unit={"en": "on or off", "nb": "på eller av"},
        what={
            "en": f"The first {BASELINE.run.warmup_days:g} days of a run are a warm-up: the made-up day-0 "
            "population settles in, and they are not counted. On: they are run at once when the run is "
            "made and not drawn. Off: watch them from day 0 (grey).",
            "nb": f"De første {BASELINE.run.warmup_days:g} dagene av en kjøring er innsvingning: den "
            "oppdiktede befolkningen fra dag 0 finner sin plass, og de telles ikke. På: de kjøres med en "
            "gang når kjøringen lages, og tegnes ikke. Av: se dem fra dag 0 (grått).",
        },
        key="run.warmup_days",
        section=sch.RunConfig,
        choice_labels={"True": {"en": "on", "nb": "på"}, "False": {"en": "off", "nb": "av"}},
    ),
)
LEVER_BY_NAME: dict[str, Lever] = {lever.name: lever for lever in LEVERS}


def default_levers() -> dict[str, Any]:
    """Every lever at the baseline's value, as :class:`InteractiveModel` takes them."""
    return {lever.name: lever.value for lever in LEVERS}


# ----------------------------------------------------------------------------- reporters


def day(model: HousingModel) -> float:
    """Days since the start of the run."""
    return model.time


def temporary_over_norm(model: HousingModel) -> int:
    """People in temporary housing now who have been there longer than the 90-day norm."""
    now = model.time
    return sum(1 for p in model.agents if p.state is State.TEMPORARY and now - p.spell_start > NORM_DAYS)


def waiting_list(model: HousingModel) -> int:
    """Applications on the housing office's waiting list (including those still being processed)."""
    return len(model.office)


def vacant_units(model: HousingModel) -> int:
    """Municipal units free to be offered at the next allocation meeting."""
    return len(model.stock.vacant)


def _count(state: State) -> Callable[[HousingModel], int]:
    def reporter(model: HousingModel) -> int:
        return model.counts[state]

    reporter.__name__ = f"n_{state.value}"
    reporter.__doc__ = f"People in {state.value} now."
    return reporter


REPORTERS: dict[str, Callable[[HousingModel], Any]] = {
    "day": day,
    **{f"n_{state.value}": _count(state) for state in State},
    "temporary_over_90d": temporary_over_norm,
    "waitlist": waiting_list,
    "units_vacant": vacant_units,
}


# ----------------------------------------------------------------------------- the model


class InteractiveModel(HousingModel):
    """:class:`HousingModel` built from the page's levers, advanced one week per ``step()``.

    Every argument is a keyword; the defaults are the baseline's. ``max_declines`` and ``seed``
    may be given as text (from a drop-down or a text field). With ``skip_warmup`` (the default)
    the model runs the scenario's warm-up (``run.warmup_days``: the made-up day-0 population
    settling in) at once when it is made, without recording it week by week, so the run's
    series start at the end of the warm-up. The run stops (``running`` becomes false) at the
    scenario's end (``run.years``).

    Attributes:
        levers: The levers the run was made with (seed as a number, declines as a number or
            ``"unlimited"``).
        start_day: The first day recorded: the end of the warm-up, or 0.
        followed: The people whose pathways the page draws: present on ``start_day``, one
            starting in each place (the lowest id there), then more until
            :data:`FOLLOWED_PEOPLE`.
    """

    def __init__(
        self,
        *,
        ordinary_units: int = _baseline_units("ordinary"),
        rop_units: int = _baseline_units("rop"),
        staffed_units: int = _baseline_units("staffed"),
        training_units: int = _baseline_units("training"),
        notice_delay_days: float = BASELINE.coordination.notice_delay_days,
        application_timing: str = BASELINE.coordination.application_timing,
        max_declines: int | str = BASELINE.choice.max_declines,
        followup_capacity: int = BASELINE.followup.capacity,
        seed: int | str = BASELINE.seed,
        skip_warmup: bool = True,
    ) -> None:
        self.levers: dict[str, Any] = {
            "ordinary_units": int(ordinary_units),
            "rop_units": int(rop_units),
            "staffed_units": int(staffed_units),
            "training_units": int(training_units),
            "notice_delay_days": float(notice_delay_days),
            "application_timing": str(application_timing),
            "max_declines": _declines(max_declines),
            "followup_capacity": int(followup_capacity),
            "seed": _seed(seed),
            "skip_warmup": bool(skip_warmup),
        }
        self.skip_warmup = bool(skip_warmup)
        scenario = lever_scenario(**{k: v for k, v in self.levers.items() if k != "skip_warmup"})
        super().__init__(scenario, seed=scenario.seed)
        warmup = min(self.cfg.run.warmup_days, self.cfg.total_days)
        if self.skip_warmup and warmup > 0:
            self.run_until(warmup)  # in one go: nothing is drawn or recorded on the way
        self.start_day = float(self.time)
        self.followed: list[Person] = self._choose_followed()
        self.datacollector = DataCollector(model_reporters=REPORTERS)
        self.datacollector.collect(self)
        if self.time >= self.cfg.total_days:
            self.running = False

    def _choose_followed(self) -> list[Person]:
        """People present now: the lowest id in each place (in the order of :class:`State`), then
        the next lowest in each place in turn, until :data:`FOLLOWED_PEOPLE`."""
        by_place: dict[State, list[Person]] = {state: [] for state in State}
        for person in sorted(self.agents, key=lambda p: p.unique_id):
            if person.state is not None:
                by_place[person.state].append(person)
        chosen: list[Person] = []
        for rank in range(max((len(v) for v in by_place.values()), default=0)):
            for people in by_place.values():
                if rank < len(people) and len(chosen) < FOLLOWED_PEOPLE:
                    chosen.append(people[rank])
            if len(chosen) >= FOLLOWED_PEOPLE:
                break
        return chosen

    def has_advanced(self) -> bool:
        """The run has gone past its first recorded day (a run worth keeping as the previous run)."""
        return self.time > self.start_day

    def step(self) -> None:
        """One press of Step: advance ``DAYS_PER_STEP`` days (or to the end of the run) and record
        one row; after the end nothing happens. ``steps`` counts the weeks played."""
        end = self.cfg.total_days
        if not self.running or self.time >= end:
            self.running = False
            return
        self.steps += 1
        self.run_until(min(self.time + DAYS_PER_STEP, end))
        self.datacollector.collect(self)
        if self.time >= end:
            self.running = False


# ----------------------------------------------------------------------------- the previous run


@dataclass(frozen=True)
class Trace:
    """A finished or abandoned run, kept to be drawn faintly behind the next one.

    Attributes:
        levers: The levers it was made with.
        series: Its weekly series (the :data:`REPORTERS` columns).
    """

    levers: dict[str, Any]
    series: pd.DataFrame

    @classmethod
    def of(cls, model: InteractiveModel) -> Trace:
        """The trace of a model's run so far."""
        return cls(dict(model.levers), model.datacollector.get_model_vars_dataframe().copy())


def describe_change(before: Mapping[str, Any], after: Mapping[str, Any], lang: str = "en", most: int = 3) -> str:
    """What differs between two runs' levers: ``Staffed units 8 → 12, Notice delay (days) 14 → 0``.

    Args:
        before: The previous run's levers.
        after: This run's levers.
        lang: ``"en"`` or ``"nb"``.
        most: Levers named at most; the rest are counted (``and 2 more``).
    """
    lang = check_lang(lang)
    changed = [lever for lever in LEVERS if str(before.get(lever.name)) != str(after.get(lever.name))]
    parts = [
        f"{lever.label[lang]} {lever.show(before[lever.name], lang)} → {lever.show(after[lever.name], lang)}"
        for lever in changed[:most]
        if lever.name in before and lever.name in after
    ]
    if not parts:
        return word("same_levers", lang)
    if len(changed) > most:
        parts.append(word("more_changes", lang).format(n=len(changed) - most))
    return ", ".join(parts)


def describe_levers(levers: Mapping[str, Any], lang: str = "en") -> str:
    """The levers of a run, in one line."""
    lang = check_lang(lang)
    timing = LEVER_BY_NAME["application_timing"].show(levers["application_timing"], lang)
    return word("levers_line", lang).format(
        ordinary=levers["ordinary_units"],
        rop=levers["rop_units"],
        staffed=levers["staffed_units"],
        training=levers["training_units"],
        delay=LEVER_BY_NAME["notice_delay_days"].show(levers["notice_delay_days"], lang),
        timing=timing,
        declines=LEVER_BY_NAME["max_declines"].show(levers["max_declines"], lang),
        followup=levers["followup_capacity"],
        seed=levers["seed"],
    )


# ----------------------------------------------------------------------------- the people's pathways


def _column(table: dict[str, Any], name: str, n: int) -> np.ndarray:
    """The first ``n`` values of a records column, copied (the run may append meanwhile)."""
    return np.array(table[name][:n])


def followed_tables(model: InteractiveModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The spells and markers of the followed people, as :func:`draw_timelines` takes them.

    Spells come from the run's records (``model.records.spells``: the finished ones) and from the
    people themselves (the spell they are in now, ending today); markers are their relapses and
    their offers of housing (accepted or declined), and their leaving the services (stable,
    moved away or dead: kind ``"left"``).

    Returns:
        ``spells`` (``person``, ``state``, ``start_day``, ``end_day``), people in the order of
        ``model.followed``, and ``markers`` (``person``, ``day``, ``kind``).
    """
    ids = [person.unique_id for person in model.followed]
    order = {pid: i for i, pid in enumerate(ids)}
    rec = model.records
    s = rec.spells
    n = min(len(s["person"]), len(s["state"]), len(s["start"]), len(s["end"]))
    person = _column(s, "person", n)
    rows = np.flatnonzero(np.isin(person, ids))
    states = s["state"]
    closed = pd.DataFrame(
        {
            "person": person[rows],
            "state": [states[i] for i in rows],
            "start_day": _column(s, "start", n)[rows],
            "end_day": _column(s, "end", n)[rows],
        }
    )
    now = float(model.time)
    open_ = pd.DataFrame(
        [(p.unique_id, p.state.value, float(p.spell_start), now) for p in model.followed if p.state is not None],
        columns=["person", "state", "start_day", "end_day"],
    )
    spells = pd.concat([closed, open_], ignore_index=True) if len(open_) else closed
    spells = (
        spells.assign(_row=spells["person"].map(order))
        .sort_values(["_row", "start_day"], kind="stable")
        .drop(columns="_row")
        .reset_index(drop=True)
    )

    rel, off = rec.relapses, rec.offers
    n_rel = min(len(rel["person"]), len(rel["day"]))
    n_off = min(len(off["person"]), len(off["day"]), len(off["accepted"]))
    rel_person, off_person = _column(rel, "person", n_rel), _column(off, "person", n_off)
    rel_rows = np.flatnonzero(np.isin(rel_person, ids))
    off_rows = np.flatnonzero(np.isin(off_person, ids))
    ex = rec.exits
    n_ex = min(len(ex["person"]), len(ex["day"]))
    ex_person = _column(ex, "person", n_ex)
    ex_rows = np.flatnonzero(np.isin(ex_person, ids))
    accepted = off["accepted"]
    markers = pd.DataFrame(
        {
            "person": np.concatenate([rel_person[rel_rows], off_person[off_rows], ex_person[ex_rows]]),
            "day": np.concatenate(
                [
                    _column(rel, "day", n_rel)[rel_rows],
                    _column(off, "day", n_off)[off_rows],
                    _column(ex, "day", n_ex)[ex_rows],
                ]
            ),
            "kind": ["relapse"] * len(rel_rows)
            + ["offer_accepted" if accepted[i] else "offer_declined" for i in off_rows]
            + ["left"] * len(ex_rows),
        }
    )
    return spells, markers


# ----------------------------------------------------------------------------- the figures

FIGSIZE = (6.4, 4.0)
TRACE_STYLE: dict[str, Any] = {"linewidth": 1.0, "alpha": 0.35, "zorder": 1}
LINE_WIDTH = 1.8


def _years(days: Any) -> Any:
    return days / DAYS_PER_YEAR


def _last_day(model: InteractiveModel, previous: Trace | None) -> float:
    """The right end of the plots: today, or the previous run's end if later (so the run grows into it)."""
    last = max(float(model.time), model.start_day + DAYS_PER_STEP)
    if previous is not None and len(previous.series):
        last = max(last, float(previous.series["day"].max()))
    return last


def _figure(title: str, ylabel: str, model: InteractiveModel, previous: Trace | None, lang: str) -> tuple[Figure, Axes]:
    """A figure with one Axes: the counted years (and the warm-up, grey, if the run shows it)."""
    # A fixed layout: constrained/tight layout would make each redraw 2-3x slower.
    fig = Figure(figsize=FIGSIZE)
    fig.subplots_adjust(left=0.1, right=0.97, top=0.92, bottom=0.36)
    ax = fig.subplots()
    last = _last_day(model, previous)
    warmup = model.cfg.run.warmup_days
    if model.start_day < warmup:
        ax.axvspan(0, _years(min(warmup, last)), color=WARMUP_SHADE, zorder=0, label=term("warmup", lang))
    ax.set_title(title, fontsize="medium")
    ax.set_xlabel(word("year_axis", lang))
    ax.set_ylabel(ylabel)
    ax.set_xlim(_years(model.start_day), _years(last))
    ax.grid(alpha=0.3)
    _number_ticks(ax, lang)
    return fig, ax


class _DecimalComma(ScalarFormatter):
    """Matplotlib's tick labels with a decimal comma (Norwegian)."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return super().__call__(x, pos).replace(".", ",")


def _number_ticks(ax: Axes, lang: str) -> None:
    """Tick labels written the language's way (a decimal comma in Norwegian)."""
    if lang == "nb":
        ax.xaxis.set_major_formatter(_DecimalComma())
        ax.yaxis.set_major_formatter(_DecimalComma())


def _style(n_points: int) -> dict[str, Any]:
    # A line needs two points: dots at the start of a run, so a plot is never empty.
    return {"marker": "o", "markersize": 3} if n_points < 10 else {}


def _trace(ax: Axes, previous: Trace | None, column: str, colour: str, **kwargs: Any) -> None:
    """The previous run's series of ``column``, thin and faint."""
    if previous is not None and column in previous.series:
        ax.plot(_years(previous.series["day"]), previous.series[column], color=colour, **TRACE_STYLE, **kwargs)


def _legend(ax: Axes, model: InteractiveModel, previous: Trace | None, lang: str, ncols: int) -> None:
    """The legend under the plot, with one entry for the previous run (what changed since)."""
    handles, labels = ax.get_legend_handles_labels()
    if previous is not None:
        change = describe_change(previous.levers, model.levers, lang)
        handles.append(Line2D([], [], color="0.45", linewidth=1.0, alpha=0.6))
        labels.append(word("previous", lang).format(change=change))
    ax.legend(
        handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.17), fontsize="small", ncols=ncols, frameon=False
    )


def temporary_figure(model: InteractiveModel, previous: Trace | None = None, lang: str = "en") -> Figure:
    """People in temporary housing now, and how many of them have been there over 90 days."""
    df = model.datacollector.get_model_vars_dataframe()
    norm = f"{NORM_DAYS:.0f}"
    fig, ax = _figure(word("temporary_title", lang).format(norm=norm), word("people", lang), model, previous, lang)
    colour, over = PLACE_COLOURS[State.TEMPORARY], PLACE_COLOURS[State.STREET]
    _trace(ax, previous, "n_temporary", colour)
    _trace(ax, previous, "temporary_over_90d", over)
    style = _style(len(df))
    x = _years(df["day"])
    ax.plot(x, df["n_temporary"], color=colour, linewidth=LINE_WIDTH, label=word("temporary_now", lang), **style)
    ax.fill_between(x, 0, df["temporary_over_90d"], color=over, alpha=0.25, linewidth=0)
    ax.plot(
        x,
        df["temporary_over_90d"],
        color=over,
        linewidth=LINE_WIDTH,
        label=word("over_norm", lang).format(norm=norm),
        **style,
    )
    ax.set_ylim(bottom=0)
    _legend(ax, model, previous, lang, ncols=1)
    return fig


def places_figure(model: InteractiveModel, previous: Trace | None = None, lang: str = "en") -> Figure:
    """How many people are in each place."""
    df = model.datacollector.get_model_vars_dataframe()
    fig, ax = _figure(word("places_title", lang), word("people", lang), model, previous, lang)
    for state in State:
        _trace(ax, previous, f"n_{state.value}", PLACE_COLOURS[state])
    for state in State:
        ax.plot(
            _years(df["day"]),
            df[f"n_{state.value}"],
            color=PLACE_COLOURS[state],
            linewidth=LINE_WIDTH,
            label=place(state, lang),
            **_style(len(df)),
        )
    ax.set_ylim(bottom=0)
    _legend(ax, model, previous, lang, ncols=2)
    return fig


def waitlist_figure(model: InteractiveModel, previous: Trace | None = None, lang: str = "en") -> Figure:
    """The housing office's waiting list and the vacant units."""
    df = model.datacollector.get_model_vars_dataframe()
    fig, ax = _figure(word("waitlist_title", lang), word("waitlist_axis", lang), model, previous, lang)
    _trace(ax, previous, "waitlist", WAITLIST_COLOUR)
    _trace(ax, previous, "units_vacant", "tab:gray", linestyle="--")
    style = _style(len(df))
    x = _years(df["day"])
    ax.plot(x, df["waitlist"], color=WAITLIST_COLOUR, linewidth=LINE_WIDTH, label=word("applications", lang), **style)
    ax.plot(
        x,
        df["units_vacant"],
        color="tab:gray",
        linestyle="--",
        linewidth=LINE_WIDTH,
        label=word("vacant", lang),
        **style,
    )
    ax.set_ylim(bottom=0)
    _legend(ax, model, previous, lang, ncols=2)
    return fig


def timelines_figure(model: InteractiveModel, lang: str = "en") -> Figure:
    """The pathways of the followed people over the run (drawn by ``sim.reports.people``)."""
    spells, markers = followed_tables(model)
    # Spells and markers before the first day shown would be drawn only to be cut off.
    spells = spells[spells["end_day"] >= model.start_day]
    markers = markers[markers["day"] >= model.start_day]
    fig = Figure(figsize=FIGSIZE)
    fig.subplots_adjust(left=0.15, right=0.62, top=0.92, bottom=0.13)
    ax = fig.subplots()
    warmup = model.cfg.run.warmup_days if model.start_day < model.cfg.run.warmup_days else 0.0
    draw_timelines(ax, spells, markers, lang, warmup_days=warmup)
    ax.set_xlim(_years(model.start_day), _years(max(float(model.time), model.start_day + DAYS_PER_STEP)))
    ax.set_title(word("timelines_title", lang).format(n=len(model.followed)), fontsize="medium")
    ax.set_xlabel(word("year_axis", lang))
    if lang == "nb":  # the x axis only: the y axis names the people
        ax.xaxis.set_major_formatter(_DecimalComma())
    return fig


# ----------------------------------------------------------------------------- page components


class Frames:
    """When the plots of an update have been drawn: playing waits for each frame to be drawn
    before it goes on, so no frame is skipped and the model does not run ahead of the page."""

    def __init__(self) -> None:
        self._drawn = -1
        self._cond = threading.Condition()

    def drawn(self, counter: int) -> None:
        """The page has drawn update ``counter``."""
        with self._cond:
            self._drawn = max(self._drawn, counter)
            self._cond.notify_all()

    def wait(self, counter: int, timeout: float) -> bool:
        """Wait until update ``counter`` has been drawn (at most ``timeout`` seconds)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._drawn >= counter, timeout)


@dataclass(frozen=True)
class Speed:
    """A play speed: the weeks run between two drawings, and a pause after each drawing."""

    weeks: int
    pause_s: float

    def label(self, lang: str) -> str:
        """``4 weeks`` (``4 uker``), ``1 week``, ``1 year``."""
        if self.weeks == 1:
            return word("one_week", lang)
        if self.weeks == 52:
            return word("one_year", lang)
        return word("weeks", lang).format(n=self.weeks)


#: The play speeds, slowest first. Drawing is what takes the time (0.5-2.3 s for the four plots,
#: measured): the counted years are 417 weeks, so 1 week at a time takes several minutes, 13 weeks
#: 33 drawings and the default, 26 weeks, 17 drawings: under a minute even at 2.3 s a drawing
#: (docs/interactive.md has the measurements).
SPEEDS: dict[str, Speed] = {
    "1": Speed(1, 0.1),
    "4": Speed(4, 0.05),
    "13": Speed(13, 0.05),
    "26": Speed(26, 0.05),
    "52": Speed(52, 0.05),
}
DEFAULT_SPEED = "26"
FRAME_TIMEOUT_S = 30.0  # longest wait for one frame to be drawn


@dataclass(frozen=True)
class PageState:
    """The state of one page (one browser tab or one notebook cell): reactive variables."""

    model: solara.Reactive[InteractiveModel]
    previous: solara.Reactive[Trace | None]
    levers: solara.Reactive[dict[str, Any]]
    speed: solara.Reactive[str]
    lang: solara.Reactive[str]
    frames: Frames


def use_page_state(lang: str) -> PageState:
    """The page's state, made once per page (a hook: call it from a component)."""
    return solara.use_memo(
        lambda: PageState(
            model=solara.reactive(InteractiveModel()),
            previous=solara.reactive(None),
            levers=solara.reactive(default_levers()),
            speed=solara.reactive(DEFAULT_SPEED),
            lang=solara.reactive(lang),
            frames=Frames(),
        ),
        [],
    )


def _show(fig: Figure, css_class: str, dependencies: list[Any]) -> None:
    with solara.Card(margin=0, classes=[css_class]):
        solara.FigureMatplotlib(fig, dependencies=dependencies, format="png", dpi=100)


def _plot(draw: Callable[[], Figure], css_class: str, dependencies: list[Any]) -> None:
    """A figure drawn only when its dependencies change (not on every render of the page)."""
    fig = solara.use_memo(draw, dependencies)
    _show(fig, css_class, dependencies)


@solara.component
def TemporaryAgainstNorm(model: InteractiveModel, previous: Trace | None = None, lang: str = "en"):
    """People in temporary housing now, and how many of them have been there over 90 days."""
    counter = update_counter.get()
    _plot(lambda: temporary_figure(model, previous, lang), "hp-plot-temporary", [model, previous, lang, counter])


@solara.component
def PeopleByPlace(model: InteractiveModel, previous: Trace | None = None, lang: str = "en"):
    """How many people are in each place."""
    counter = update_counter.get()
    _plot(lambda: places_figure(model, previous, lang), "hp-plot-states", [model, previous, lang, counter])


@solara.component
def WaitingList(model: InteractiveModel, previous: Trace | None = None, lang: str = "en"):
    """The housing office's waiting list and the vacant units."""
    counter = update_counter.get()
    _plot(lambda: waitlist_figure(model, previous, lang), "hp-plot-waitlist", [model, previous, lang, counter])


@solara.component
def Timelines(model: InteractiveModel, lang: str = "en"):
    """The pathways of a few people."""
    counter = update_counter.get()
    _plot(lambda: timelines_figure(model, lang), "hp-plot-people", [model, lang, counter])


@solara.component
def Summary(model: InteractiveModel, previous: Trace | None = None, lang: str = "en"):
    """Where the run is, the numbers now, the levers of this run and of the previous one."""
    update_counter.get()
    temporary = model.counts[State.TEMPORARY]
    over = temporary_over_norm(model)
    share = f" ({fmt(100 * over / temporary, 0, lang)}{'%' if lang == 'en' else ' %'})" if temporary else ""
    stock = model.stock
    cfg = model.cfg
    lines = [
        word("day_line", lang).format(
            day=fmt(model.time, 0, lang),
            year=fmt(model.time / DAYS_PER_YEAR, 1, lang),
            week=round(model.time / DAYS_PER_STEP),
            status="" if model.running else word("ended", lang),
        ),
        word("numbers", lang).format(
            temporary=temporary,
            over=over,
            share=share,
            norm=f"{NORM_DAYS:.0f}",
            street=model.counts[State.STREET],
            private=model.counts[State.PRIVATE],
            waitlist=len(model.office),
            let=stock.occupied,
            units=stock.size,
        ),
        word("this_run", lang).format(levers=describe_levers(model.levers, lang)),
    ]
    if previous is not None:
        lines.append(word("previous_run", lang).format(change=describe_change(previous.levers, model.levers, lang)))
    warmup = cfg.run.warmup_days
    if model.start_day >= warmup:
        note = word("after_warmup", lang).format(
            years=fmt(warmup / DAYS_PER_YEAR, 0, lang),
            days=fmt(warmup, 0, lang),
            start=fmt(model.start_day / DAYS_PER_YEAR, 0, lang),
            end=fmt(cfg.total_days / DAYS_PER_YEAR, 0, lang),
        )
    else:
        note = word("with_warmup", lang).format(days=fmt(warmup, 0, lang))
    lines.append(f"*{note} {word('how_to', lang)}*")
    with solara.Card(margin=0, classes=["hp-summary"]):
        solara.Markdown("\n\n".join(lines))


@solara.component
def Dashboard(model: InteractiveModel, previous: Trace | None = None, lang: str = "en", frames: Frames | None = None):
    """The summary, the three plots and the people's pathways."""
    counter = update_counter.get()
    solara.use_effect(lambda: frames.drawn(counter) if frames is not None else None, [counter, model])
    with solara.Column(gap="12px"):
        Summary(model, previous, lang)
        with solara.ColumnsResponsive(12, large=6):
            TemporaryAgainstNorm(model, previous, lang)
            PeopleByPlace(model, previous, lang)
            WaitingList(model, previous, lang)
            Timelines(model, lang)


@solara.component
def Controls(state: PageState):
    """Reset, play/pause and Step, the play speed, and any error of the last Reset."""
    update_counter.get()
    lang = state.lang.value
    model = state.model
    playing = solara.use_reactive(False)
    error = solara.use_reactive(None)

    def play() -> None:
        try:
            while playing.value and model.value.running:
                speed = SPEEDS[state.speed.value]
                current = model.value
                for _ in range(speed.weeks):
                    if not playing.value or not current.running:
                        break
                    current.step()
                force_update()
                state.frames.wait(update_counter.value, FRAME_TIMEOUT_S)
                time.sleep(speed.pause_s)
        except Exception as exc:  # noqa: BLE001 - any error of the model is shown on the page; playing stops
            error.value = f"error while playing: {exc}"
        finally:
            if not model.value.running:
                playing.value = False

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)

    def reset() -> None:
        playing.value = False
        try:
            new = InteractiveModel(**state.levers.value)
        except ValueError as exc:
            error.value = word("error", lang).format(error=exc)
            return
        error.value = None
        old = model.value
        if old.has_advanced():
            state.previous.value = Trace.of(old)
        model.value = new

    def step() -> None:
        model.value.step()
        force_update()

    running = model.value.running
    with solara.Row(justify="space-between"):
        solara.Button(label=word("reset", lang), color="primary", on_click=reset)
        solara.Button(
            label="❚❚" if playing.value else "▶",
            color="primary",
            on_click=lambda: playing.set(not playing.value),
            disabled=not running,
        )
        solara.Button(label=word("step", lang), color="primary", on_click=step, disabled=playing.value or not running)
    solara.Text(word("speed", lang), style={"font-size": "0.85rem", "margin-top": "12px"})
    with solara.ToggleButtonsSingle(value=state.speed, dense=True, classes=["hp-speed"]):
        for key, speed in SPEEDS.items():
            solara.Button(speed.label(lang), value=key)
    solara.Text(word("speed_note", lang), classes=["hp-help"])
    if error.value:
        solara.Error(label=error.value)


@solara.component
def LeverInput(lever: Lever, levers: solara.Reactive[dict[str, Any]], lang: str):
    """One lever's input, with its help text under it."""
    value = levers.value.get(lever.name, lever.value)
    label = lever.label[lang]

    def set_value(new: Any) -> None:
        levers.value = {**levers.value, lever.name: new}

    if lever.kind == "int":
        solara.SliderInt(
            label,
            value=int(value),
            min=int(lever.minimum),
            max=int(lever.maximum),
            step=int(lever.step),
            on_value=set_value,
        )
    elif lever.kind == "float":
        solara.SliderFloat(
            label, value=float(value), min=lever.minimum, max=lever.maximum, step=lever.step, on_value=set_value
        )
    elif lever.kind == "choice":
        shown = {lever.show(choice, lang): choice for choice in lever.choices}
        solara.Select(
            label,
            value=lever.show(value, lang),
            values=list(shown),
            on_value=lambda text: set_value(shown[text]),
        )
    elif lever.kind == "text":
        solara.InputText(label, value=str(value), on_value=set_value)
    else:
        solara.Checkbox(label=label, value=bool(value), on_value=set_value)
    solara.Markdown(lever.help(lang), style={"font-size": "0.78rem", "color": "#555", "line-height": "1.3"})


@solara.component
def Levers(state: PageState):
    """Every lever, with its help."""
    lang = state.lang.value
    solara.Text(word("levers_note", lang), classes=["hp-help"])
    for lever in LEVERS:
        with solara.Div(classes=["hp-lever", f"hp-lever-{lever.name}"]):
            LeverInput(lever, state.levers, lang)


@solara.component
def LanguageChoice(state: PageState):
    """English or Norwegian."""
    with solara.ToggleButtonsSingle(value=state.lang, dense=True, classes=["hp-lang"]):
        solara.Button("English", value="en")
        solara.Button("Norsk", value="nb")


@solara.component
def SidePanel(state: PageState):
    """The controls and the levers."""
    lang = state.lang.value
    with solara.Column(gap="12px"):
        with solara.Card(word("controls", lang), margin=0):
            Controls(state)
        with solara.Card(word("levers", lang), margin=0):
            Levers(state)


# ----------------------------------------------------------------------------- the page

# Slider values show on the knob all the time, not only while dragging; room above each slider.
CSS = """
.v-slider-thumb__label-container { display: block !important; }
.v-input.v-slider { margin-top: 26px; }
.hp-help { font-size: 0.78rem; color: #555; }
.hp-speed { flex-wrap: wrap; }
.hp-speed .v-btn { text-transform: none; min-width: 0 !important; padding: 0 10px !important; }
.hp-lever { margin-bottom: 6px; }
.hp-lever .v-input { margin-bottom: 0; }
.hp-lever .v-messages { display: none; }
"""


def page_lang(search: str | None = None, lang: str | None = None) -> str:
    """The page's language: ``lang`` if given, else the URL's ``?lang=``, else ``$PATHWAYS_LANG``,
    else English. An unknown language falls back to English."""
    wanted = lang or (parse_qs(search or "").get("lang") or [None])[0] or os.environ.get(LANG_ENV) or "en"
    return wanted if wanted in LANGS else "en"


@solara.component
def Page(lang: str | None = None):
    """The page: :func:`WebPage` under ``solara run``, :func:`Notebook` in Jupyter.

    Args:
        lang: ``"en"`` or ``"nb"``; by default the URL's ``?lang=`` (web page), else
            ``$PATHWAYS_LANG``, else English.
    """
    return WebPage(lang) if _in_solara_server() else Notebook(lang)


@solara.component
def WebPage(lang: str | None = None):
    """The web page (``solara run sim/app.py``): the controls and levers in the sidebar.

    Each browser session gets a page state (and model) of its own. The page is laid out here
    rather than by Mesa's ``SolaraViz``: the levers need their help text and language, and
    playing needs to wait for each frame (see :class:`Frames`). Plots are not in SolaraViz's
    draggable grid either: its JavaScript (vue-grid-layout 2) fails under the Vue 3 front end that
    solara uses with ipyvuetify 3 ("GlobalVue.use is not a function").
    """
    router = solara.use_router()
    state = use_page_state(page_lang(router.search, lang))
    current = state.lang.value
    solara.Style(CSS)
    solara.Title(word("title", current))
    with solara.AppBar():
        solara.AppBarTitle(word("title", current))
        LanguageChoice(state)
    with solara.Sidebar():
        SidePanel(state)
    Dashboard(state.model.value, state.previous.value, current, state.frames)


@solara.component
def Notebook(lang: str | None = None):
    """The page inline in a Jupyter notebook: the controls and levers in a column on the left.

    In a notebook solara shows a sidebar behind an app-bar menu, and that app bar fails to draw
    under ipyvuetify 3 ("[Vuetify] Could not find injected layout"), so the side panel is a column.
    """
    state = use_page_state(page_lang(None, lang))
    current = state.lang.value
    with solara.Column(gap="12px") as main:
        solara.Style(CSS)
        with solara.Row(justify="space-between"):
            solara.Markdown(f"### {word('title', current)}")
            LanguageChoice(state)
        with solara.Columns([1, 3]):
            SidePanel(state)
            Dashboard(state.model.value, state.previous.value, current, state.frames)
    return main


def _in_solara_server() -> bool:
    """Running under ``solara run`` (rather than in a Jupyter kernel)."""
    return "solara.server.starlette" in sys.modules or "solara.server.flask" in sys.modules
