"""Outcome metrics: one value per replication from the records, and their summary across replications.

Every metric is defined in ``docs/metrics.md``; the short descriptions here are what
``summary.json`` carries. All of them use only the observation window, from the end of the
warm-up (``run.warmup_days``) to the end of the run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.config import DAYS_PER_YEAR
from sim.measures.episodes import homelessness_episodes
from sim.measures.stationarity import trend_per_year
from sim.measures.statistics import mean_ci
from sim.measures.windows import share_followed_within
from sim.model.records import Records, as_frame

NORM_DAYS = 90.0  # the intended maximum stay in temporary housing (thesis 1, 5.2.2)
READMISSION_WINDOW = DAYS_PER_YEAR  # days: readmission to treatment "within a year" (F11); also the revolving-door span
RELAPSE_WINDOW = 90.0  # days: relapse "by 3 months" after a discharge (F12)
ADDED_LET_WINDOW = DAYS_PER_YEAR  # days: an added unit "let within a year" of its purchase
REVOLVING_DOOR_ADMISSIONS = 3  # admissions within READMISSION_WINDOW that make a revolving door
PERSON_YEARS_PER = 100.0  # deaths are counted per this many person-years (F14: 1.5 per 100)
#: Spell end reasons that are a move into private housing (``State.PRIVATE``).
TO_PRIVATE = ("own_housing", "arranged_private")
FROM_PRIVATE = "lost_private"  # the end reason of a private spell lost (end of lease, eviction, thrown out)


@dataclass(frozen=True)
class Metric:
    """What a metric measures and in what unit."""

    unit: str
    description: str


METRICS: dict[str, Metric] = {
    "temp_days_mean": Metric("days", "Mean length of temporary-housing spells that began in the window"),
    "temp_days_median": Metric("days", "Median length of temporary-housing spells that began in the window"),
    "temp_days_p90": Metric("days", "90th percentile of temporary-housing spell length"),
    "temp_share_over_90d": Metric("share", "Share of temporary-housing spells longer than the 90-day norm"),
    "temp_occupancy_mean": Metric("people", "Mean number of people in temporary housing at a point in time"),
    "temp_occupancy_trend_per_year": Metric(
        "people per year", "Least-squares trend of the number in temporary housing over the window"
    ),
    "street_count_mean": Metric("people", "Mean number of people on the street or a friend's sofa"),
    "housed_count_mean": Metric("people", "Mean number of people in a municipal unit"),
    "private_count_mean": Metric("people", "Mean number of people in private housing (rental, family, own flat)"),
    "population_mean": Metric("people", "Mean number of people in the system (every place)"),
    "temp_refusals_per_year": Metric("per year", "Times NAV could not give a temporary place (full or unsuitable)"),
    "temp_refusals_unsuitable_per_year": Metric(
        "per year", "Times a woman in active use had no suitable temporary place (would not take an ordinary one)"
    ),
    "discharges": Metric("per year", "Discharges from treatment and prison"),
    "discharge_to_housing_share": Metric("share", "Share of discharges to housing that was ready"),
    "discharge_to_temporary_share": Metric("share", "Share of discharges to NAV temporary housing"),
    "discharge_to_street_share": Metric("share", "Share of discharges to nothing (street, sofa)"),
    "discharge_to_private_share": Metric("share", "Share of discharges back to private housing kept during the stay"),
    "relapse_within_90d_share": Metric("share", "Share of discharges followed by a relapse within 90 days"),
    "readmission_within_365d_share": Metric(
        "share", "Share of treatment discharges followed by a new treatment admission within 365 days"
    ),
    "revolving_door_persons": Metric(
        "people", "People with 3 or more admissions (treatment or prison) within 365 days, in the window"
    ),
    "repeat_homeless_persons": Metric("people", "People who became homeless 2 or more times in the window"),
    "evictions": Metric("per year", "Evictions from municipal housing"),
    "relapses": Metric("per year", "Relapses into active use"),
    "waitlist_mean": Metric("people", "Mean length of the municipal housing waiting list"),
    "offers_made": Metric("per year", "Offers of municipal units made at allocation meetings"),
    "offers_declined": Metric("per year", "Offers declined"),
    "municipal_occupancy_share": Metric("share", "Mean share of existing municipal units with a tenant"),
    "vacant_unit_days_mean": Metric("days", "Mean days a municipal unit stood empty before a letting (between tenancies)"),
    "offers_per_letting": Metric("offers", "Mean offers of a unit per letting (1: the first person offered it took it)"),
    "chosen_lettings_share": Metric(
        "share", "Share of lettings the tenant chose (in the preferred zone, or taken after a decline)"
    ),
    "added_units_let_within_365d_share": Metric(
        "share", "Share of units bought by the scenario's stock additions that were let within a year"
    ),
    "treatment_wait_days_mean": Metric("days", "Mean days from referral to admission to treatment"),
    "deaths": Metric("per year", "Deaths"),
    "deaths_per_100_person_years": Metric(
        "per 100 person-years", "Deaths per 100 person-years lived in the system (F14: 1.5)"
    ),
    "stable_exits_per_year": Metric("per year", "People who leave the population stable at home"),
    "private_entries_per_year": Metric("per year", "Moves into private housing (own or arranged by the office)"),
    "private_losses_per_year": Metric("per year", "Losses of private housing"),
}


def _share(hits: int, total: int) -> float:
    return hits / total if total else math.nan


def temporary_stay_lengths(spells: pd.DataFrame, warmup: float, end: float) -> np.ndarray:
    """Lengths in days of the temporary stays the metrics count: those that began in the window
    and at least ``NORM_DAYS`` before its end (so a stay over the norm can be seen to be one)."""
    start = spells["start"]
    temp = spells[(spells["state"] == "temporary") & (start >= warmup) & (start <= end - NORM_DAYS)]
    return (temp["end"] - temp["start"]).to_numpy(dtype=float)


def relapse_within_share(records: Records, warmup: float, end: float, window: float) -> float:
    """Of discharges (treatment and prison) in [warmup, end - window], the share followed by a
    relapse of the same person within ``window`` days (``relapse_within_90d_share`` with 90 days).

    Args:
        records: The run's records.
        warmup: First day of the observation window.
        end: Last day of the run.
        window: The follow-up in days.

    Returns:
        The share; ``nan`` without discharges.
    """
    dis = records.frame("discharges")
    dis = dis[(dis["day"] >= warmup) & (dis["day"] <= end - window)]
    return share_followed_within(records.frame("relapses"), dis, window)


def replication_metrics(records: Records, warmup: float, end: float) -> dict[str, float]:
    """Every metric of one replication, from its records.

    Args:
        records: The run's records.
        warmup: First day of the observation window.
        end: Last day of the run.

    Returns:
        Metric name to value (``nan`` where a metric has no data, e.g. no discharges).
    """
    years = (end - warmup) / DAYS_PER_YEAR
    out: dict[str, float] = {}

    spells = records.frame("spells")
    days = temporary_stay_lengths(spells, warmup, end)
    has = len(days) > 0
    out["temp_days_mean"] = float(days.mean()) if has else math.nan
    out["temp_days_median"] = float(np.median(days)) if has else math.nan
    out["temp_days_p90"] = float(np.quantile(days, 0.9)) if has else math.nan
    out["temp_share_over_90d"] = float((days > NORM_DAYS).mean()) if has else math.nan

    samples = as_frame(records.samples)
    samples = samples[samples["day"] >= warmup]
    out["temp_occupancy_mean"] = float(samples["n_temporary"].mean())
    out["street_count_mean"] = float(samples["n_street"].mean())

    dis = records.frame("discharges")
    dis_w = dis[dis["day"] >= warmup]
    n = len(dis_w)
    out["discharges"] = n / years
    for dest in ("housing", "temporary", "street", "private"):
        out[f"discharge_to_{dest}_share"] = _share(int((dis_w["destination"] == dest).sum()), n)

    relapses = records.frame("relapses")
    out["relapse_within_90d_share"] = relapse_within_share(records, warmup, end, RELAPSE_WINDOW)

    adm = records.frame("admissions")
    treat_adm = adm[adm["kind"] == "treatment"]
    treat_dis = dis_w[(dis_w["source"] == "treatment") & (dis_w["day"] <= end - READMISSION_WINDOW)]
    out["readmission_within_365d_share"] = share_followed_within(treat_adm, treat_dis, READMISSION_WINDOW)
    out["revolving_door_persons"] = float(_revolving_door(adm, warmup))
    out["repeat_homeless_persons"] = float(_repeat_homeless(spells, warmup))

    out["evictions"] = sum(1 for d in records.evictions["day"] if d >= warmup) / years
    out["relapses"] = int((relapses["day"] >= warmup).sum()) / years if len(relapses) else 0.0
    out["waitlist_mean"] = float(samples["waitlist"].mean())
    offers = records.frame("offers")
    offers = offers[offers["day"] >= warmup]
    out["offers_made"] = len(offers) / years
    out["offers_declined"] = int((~offers["accepted"].astype(bool)).sum()) / years if len(offers) else 0.0
    units = samples["units"].to_numpy(dtype=float)
    occupied = samples["units_occupied"].to_numpy(dtype=float)
    out["municipal_occupancy_share"] = float(np.mean(np.divide(occupied, units, out=np.zeros_like(units), where=units > 0)))
    lettings = records.frame("lettings")
    let_w = lettings[lettings["day"] >= warmup]
    has_lettings = len(let_w) > 0
    out["vacant_unit_days_mean"] = float(let_w["vacant_days"].mean()) if has_lettings else math.nan
    out["offers_per_letting"] = float(let_w["offers"].mean()) if has_lettings else math.nan
    out["chosen_lettings_share"] = float(let_w["chosen"].astype(bool).mean()) if has_lettings else math.nan
    out["added_units_let_within_365d_share"] = added_units_let_within(
        records.frame("added_units"), lettings, warmup, end, ADDED_LET_WINDOW
    )
    waits = records.frame("treatment_waits")
    waits = waits[waits["admitted"] >= warmup]
    out["treatment_wait_days_mean"] = float((waits["admitted"] - waits["referred"]).mean()) if len(waits) else math.nan
    exits = records.frame("exits")
    exit_reasons = exits.loc[exits["day"] >= warmup, "reason"]
    deaths = int((exit_reasons == "death").sum())
    out["deaths"] = deaths / years
    person_years = person_years_in_window(spells, warmup, end)
    out["deaths_per_100_person_years"] = PERSON_YEARS_PER * deaths / person_years if person_years > 0 else math.nan
    out["stable_exits_per_year"] = int((exit_reasons == "stable").sum()) / years

    refusals = records.frame("refusals")
    refusal_reasons = refusals.loc[refusals["day"] >= warmup, "reason"]
    out["temp_refusals_per_year"] = len(refusal_reasons) / years
    out["temp_refusals_unsuitable_per_year"] = int((refusal_reasons == "unsuitable").sum()) / years

    out["private_count_mean"] = float(samples["n_private"].mean())
    out["housed_count_mean"] = float(samples["n_housed"].mean())
    out["population_mean"] = float(samples[[c for c in samples.columns if c.startswith("n_")]].sum(axis=1).mean())
    ended = spells.loc[(spells["end"] >= warmup) & (spells["end"] <= end), "end_reason"]
    out["private_entries_per_year"] = int(ended.isin(TO_PRIVATE).sum()) / years
    out["private_losses_per_year"] = int((ended == FROM_PRIVATE).sum()) / years
    out["temp_occupancy_trend_per_year"] = trend_per_year(samples, "n_temporary", warmup, end)
    assert set(out) == set(METRICS), "every metric must be computed and documented"
    return out


def added_units_let_within(
    added: pd.DataFrame, lettings: pd.DataFrame, warmup: float, end: float, window: float
) -> float:
    """Of the units a scenario's stock additions bought in [warmup, end - window], the share
    first let within ``window`` days of their purchase (``nan`` if none was bought then).

    A unit bought before the warm-up ends counts too when its window ends inside the run: the
    measure is about the purchase, and a purchase at the end of the warm-up (the usual day) is
    then included. Units bought so late that their window runs past the end are left out.

    Args:
        added: The ``added_units`` records (unit, day).
        lettings: The ``lettings`` records (unit, day), the whole run.
        warmup: First day of the observation window.
        end: Last day of the run.
        window: Days within which a unit counts as let.
    """
    del warmup  # every purchase whose window fits in the run is counted (see above)
    bought = added[added["day"] <= end - window]
    if not len(bought):
        return math.nan
    first_let = lettings.groupby("unit")["day"].min() if len(lettings) else pd.Series(dtype=float)
    let_day = bought["unit"].map(first_let)
    return float(((let_day - bought["day"]) <= window).mean())


def person_years_in_window(spells: pd.DataFrame, warmup: float, end: float) -> float:
    """Person-years lived in the system in [warmup, end]: the spells' overlaps with the window,
    summed (every person present is in exactly one spell at a time, and the spells of people
    still present are closed at the end of the run)."""
    if spells.empty:
        return 0.0
    start = spells["start"].to_numpy(dtype=float).clip(warmup, end)
    stop = spells["end"].to_numpy(dtype=float).clip(warmup, end)
    return float((stop - start).sum()) / DAYS_PER_YEAR


def _revolving_door(admissions: pd.DataFrame, warmup: float) -> int:
    """People with ``REVOLVING_DOOR_ADMISSIONS`` admissions within 365 days, the last in the window."""
    k = REVOLVING_DOOR_ADMISSIONS
    if len(admissions) < k:
        return 0
    person = admissions["person"].to_numpy()
    day = admissions["day"].to_numpy(dtype=float)
    order = np.lexsort((day, person))
    person, day = person[order], day[order]
    # Admission j closes a run of k admissions of one person that began at admission j - k + 1.
    same = person[k - 1 :] == person[: len(person) - k + 1]
    span_ends = day[k - 1 :]
    spans = span_ends - day[: len(day) - k + 1]
    revolving = same & (spans <= READMISSION_WINDOW) & (span_ends >= warmup)
    return len(np.unique(person[k - 1 :][revolving]))


def _repeat_homeless(spells: pd.DataFrame, warmup: float) -> int:
    """People with two or more homelessness episodes (``sim.measures.episodes``) starting in the window."""
    if spells.empty:
        return 0
    s, starts = homelessness_episodes(spells, warmup)
    episodes = pd.Series(starts.astype(int)).groupby(s["person"].to_numpy()).sum()
    return int((episodes >= 2).sum())


def summarise(rows: pd.DataFrame) -> dict[str, dict[str, object]]:
    """Mean and 95% t-interval across replications for every metric.

    With a single replication the interval is ``[null, null]`` (see :func:`sim.measures.statistics.mean_ci`).
    """
    out: dict[str, dict[str, object]] = {}
    for name, meta in METRICS.items():
        estimate = mean_ci(rows[name].to_numpy(dtype=float))
        out[name] = {
            "mean": json_number(estimate.mean),
            "ci95": [json_number(estimate.low), json_number(estimate.high)],
            "unit": meta.unit,
            "description": meta.description,
        }
    return out


def json_number(value: float) -> float | None:
    """A number for a JSON file: JSON has no NaN, so a missing value becomes ``null``; others are
    rounded to 10 decimals, so files do not change with noise in the last digits."""
    return None if math.isnan(value) else round(float(value), 10)
