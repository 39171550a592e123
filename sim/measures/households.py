"""Measures counted the way Norwegian planners count them: per household per calendar year, and
on a census day.

The model follows people; a person counts as one household (the population is mostly single
adults). Every measure here is computed for each *counted year*, a whole year of the observation
window counted from the end of the warm-up (:func:`counted_years`), and a window value is the mean
of the yearly values; ``docs/metrics.md`` defines each in words.

* KOSTRA's temporary-housing indicators (F19): each household that used NAV temporary housing in
  a year is counted once, with its days summed over every stay that year
  (:func:`temporary_household_days`).
* The national homelessness survey's point-in-time count (F1): on a census day, people in
  temporary housing, on the street or a friend's sofa, and in treatment or prison due out within
  two months with no housing to go to (:func:`census`).
* Revolving-door people per year (:func:`revolving_door_by_year`) and homelessness episodes per
  year with an institution stay without housing inside the episode (:func:`episodes_by_year`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.config import DAYS_PER_YEAR
from sim.measures.episodes import HOMELESS, INSTITUTIONS, homelessness_episodes
from sim.model.states import State

#: Slack (days) when fitting whole years into the window, so a window of exactly N years, whose
#: end carries a rounding error, still has N years.
WHOLE_YEAR_SLACK = 1e-9
#: The census day's place in each counted year (days after the year's start): mid-year, so that
#: the two months after it always lie inside the run.
CENSUS_OFFSET_DAYS = 182.0
#: F1: people in an institution count as homeless when due out within two months with no housing.
INSTITUTION_DUE_DAYS = 60.0
#: F19: KOSTRA's short-stay indicator, households with this many days or fewer in a year.
SHORT_STAY_DAYS = 14.0
#: The intended maximum stay in temporary housing (thesis 1, 5.2.2): KOSTRA's "more than 3 months".
NORM_DAYS = 90.0
#: Admissions within :data:`REVOLVING_WINDOW_DAYS` that make a revolving door.
REVOLVING_DOOR_ADMISSIONS = 3
REVOLVING_WINDOW_DAYS = DAYS_PER_YEAR
#: Per this many inhabitants.
PER_INHABITANTS = 1000.0

_TEMPORARY = State.TEMPORARY.value
_STREET = State.STREET.value


def counted_years(warmup: float, end: float) -> list[tuple[float, float]]:
    """The observation window's whole years, ``[start, stop)`` each, from the end of the warm-up.

    Args:
        warmup: First day of the observation window.
        end: Last day of the run.

    Returns:
        The years in order; empty if the window is shorter than a year.
    """
    years = []
    year = warmup
    while year + DAYS_PER_YEAR <= end + WHOLE_YEAR_SLACK:
        years.append((year, year + DAYS_PER_YEAR))
        year += DAYS_PER_YEAR
    return years


@dataclass(frozen=True)
class HouseholdYear:
    """KOSTRA's temporary-housing figures for one year (F19).

    Attributes:
        households: People with any day in NAV temporary housing that year.
        days_mean: Their mean days in temporary housing that year, all stays summed (``nan`` if none).
        over_norm_share: Share of them with more than :data:`NORM_DAYS` days that year.
        short_share: Share with :data:`SHORT_STAY_DAYS` days or fewer.
        days_over_norm: Days beyond the norm, summed over them (a person with 120 days adds 30).
    """

    households: int
    days_mean: float
    over_norm_share: float
    short_share: float
    days_over_norm: float


def temporary_household_days(spells: pd.DataFrame, years: list[tuple[float, float]]) -> list[HouseholdYear]:
    """Days in NAV temporary housing per person and year, all of a person's stays in the year summed.

    A stay that runs across a year's end counts in both years, with its days in each.

    Args:
        spells: A run's spells (``Records.frame("spells")``).
        years: The counted years (:func:`counted_years`).

    Returns:
        One :class:`HouseholdYear` per year.
    """
    temp = spells[spells["state"] == _TEMPORARY]
    person = temp["person"].to_numpy()
    start = temp["start"].to_numpy(dtype=float)
    stop = temp["end"].to_numpy(dtype=float)
    out = []
    for a, b in years:
        overlap = np.minimum(stop, b) - np.maximum(start, a)
        on = overlap > 0
        days = pd.Series(overlap[on]).groupby(person[on]).sum().to_numpy(dtype=float)
        n = len(days)
        out.append(
            HouseholdYear(
                households=n,
                days_mean=float(days.mean()) if n else math.nan,
                over_norm_share=float((days > NORM_DAYS).mean()) if n else math.nan,
                short_share=float((days <= SHORT_STAY_DAYS).mean()) if n else math.nan,
                days_over_norm=float(np.clip(days - NORM_DAYS, 0.0, None).sum()),
            )
        )
    return out


@dataclass(frozen=True)
class Census:
    """The point-in-time count of homeless people on one census day (F1's places).

    Attributes:
        day: The census day.
        temporary: People in NAV temporary housing.
        sofa_street: People on the street or a friend's sofa (the model does not tell them apart).
        institution: People in treatment or prison due out within :data:`INSTITUTION_DUE_DAYS`
            days with no housing to go to (they leave for temporary housing or the street).
    """

    day: float
    temporary: int
    sofa_street: int
    institution: int

    @property
    def total(self) -> int:
        """Every homeless person counted."""
        return self.temporary + self.sofa_street + self.institution


def census(spells: pd.DataFrame, years: list[tuple[float, float]]) -> list[Census]:
    """The homeless counted on each year's census day (:data:`CENSUS_OFFSET_DAYS` into the year).

    "No housing to go to" is read from what happened: the institution stay ended, within two
    months of the census, with the person going to temporary housing or the street.

    Args:
        spells: A run's spells.
        years: The counted years.

    Returns:
        One :class:`Census` per year.
    """
    s = spells.sort_values(["person", "start", "end"], kind="stable")
    person = s["person"].to_numpy()
    state = s["state"].to_numpy()
    start = s["start"].to_numpy(dtype=float)
    stop = s["end"].to_numpy(dtype=float)
    same_next = np.r_[person[1:] == person[:-1], False]
    next_state = np.concatenate([state[1:], np.array([""], dtype=object)])
    to_nothing = same_next & np.isin(next_state, HOMELESS)
    inside = np.isin(state, INSTITUTIONS)
    out = []
    for a, _b in years:
        day = a + CENSUS_OFFSET_DAYS
        on = (start <= day) & (stop > day)
        out.append(
            Census(
                day=day,
                temporary=int((on & (state == _TEMPORARY)).sum()),
                sofa_street=int((on & (state == _STREET)).sum()),
                institution=int((on & inside & to_nothing & (stop <= day + INSTITUTION_DUE_DAYS)).sum()),
            )
        )
    return out


def revolving_door_by_year(admissions: pd.DataFrame, years: list[tuple[float, float]]) -> list[int]:
    """People with :data:`REVOLVING_DOOR_ADMISSIONS` admissions (treatment or prison) within
    :data:`REVOLVING_WINDOW_DAYS` days, counted in the year of the admission that completes the
    run (a person counts once a year, however many runs close in it).

    Args:
        admissions: A run's admissions (``person``, ``day``).
        years: The counted years.

    Returns:
        One count per year.
    """
    k = REVOLVING_DOOR_ADMISSIONS
    if len(admissions) < k:
        return [0 for _ in years]
    person = admissions["person"].to_numpy()
    day = admissions["day"].to_numpy(dtype=float)
    order = np.lexsort((day, person))
    person, day = person[order], day[order]
    # Admission j closes a run of k admissions of one person that began at admission j - k + 1.
    same = person[k - 1 :] == person[: len(person) - k + 1]
    closes = day[k - 1 :]
    revolving = same & (closes - day[: len(day) - k + 1] <= REVOLVING_WINDOW_DAYS)
    who, when = person[k - 1 :][revolving], closes[revolving]
    return [len(np.unique(who[(when >= a) & (when < b)])) for a, b in years]


def revolving_door_in_window(admissions: pd.DataFrame, since: float) -> int:
    """Distinct people with a revolving door closing on or after ``since``: the whole window's
    total (``revolving_door_persons_window``), not a yearly figure."""
    return revolving_door_by_year(admissions, [(since, math.inf)])[0]


def episodes_by_year(spells: pd.DataFrame, years: list[tuple[float, float]]) -> list[int]:
    """Homelessness episodes starting in each year, by the Norwegian definition: an institution
    stay with no housing to go to is part of the episode, not a break in it
    (:func:`sim.measures.episodes.homelessness_episodes` with ``institution_without_housing``).

    Args:
        spells: A run's spells, not empty.
        years: The counted years.

    Returns:
        One count per year.
    """
    if spells.empty or not years:
        return [0 for _ in years]
    s, begins = homelessness_episodes(spells, years[0][0], institution_without_housing=True)
    start = s["start"].to_numpy(dtype=float)[begins]
    return [int(((start >= a) & (start < b)).sum()) for a, b in years]


def housed_at_discharge_homeless_at_admission(
    admissions: pd.DataFrame, discharges: pd.DataFrame, spells: pd.DataFrame, warmup: float
) -> float:
    """Of discharges in the window of people who were homeless when admitted (from temporary
    housing, the street, or arriving from outside with no home), the share who left to housing:
    a municipal unit or private housing.

    The admission of a discharge is the start of the institution stay it ends (same person, the
    stay's first day).

    Args:
        admissions: A run's admissions (``person``, ``day``, ``from_state``).
        discharges: A run's discharges (``person``, ``day``, ``destination``).
        spells: A run's spells.
        warmup: First day of the observation window.

    Returns:
        The share, ``nan`` without such discharges.
    """
    stays = spells[spells["state"].isin(INSTITUTIONS) & (spells["end_reason"] == "discharged")]
    stays = stays[stays["end"] >= warmup][["person", "start", "end"]]
    if stays.empty:
        return math.nan
    adm = admissions[["person", "day", "from_state"]].rename(columns={"day": "start"})
    dis = discharges[["person", "day", "destination"]].rename(columns={"day": "end"})
    joined = stays.merge(adm.drop_duplicates(["person", "start"]), on=["person", "start"], how="inner")
    joined = joined.merge(dis.drop_duplicates(["person", "end"]), on=["person", "end"], how="inner")
    homeless = joined[joined["from_state"].isin((*HOMELESS, "outside"))]
    if homeless.empty:
        return math.nan
    return float(homeless["destination"].isin(("housing", "private")).mean())


def per_inhabitants(count: float, inhabitants: float) -> float:
    """A count per :data:`PER_INHABITANTS` inhabitants."""
    return PER_INHABITANTS * count / inhabitants if inhabitants > 0 else math.nan
