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

from sim.config import DAYS_PER_YEAR, Scenario
from sim.config.schema import CostsConfig
from sim.measures.episodes import homelessness_episodes
from sim.measures.households import (
    NORM_DAYS,
    PER_INHABITANTS,
    census,
    counted_years,
    episodes_by_year,
    housed_at_discharge_homeless_at_admission,
    per_inhabitants,
    revolving_door_by_year,
    revolving_door_in_window,
    temporary_household_days,
)
from sim.measures.stationarity import trend_per_year
from sim.measures.statistics import SHARE_BOUNDS, mean_ci
from sim.measures.windows import share_followed_within
from sim.model.records import Records, as_frame

READMISSION_WINDOW = DAYS_PER_YEAR  # days: readmission to treatment "within a year" (F11)
RELAPSE_WINDOW = 90.0  # days: relapse "by 3 months" after a discharge (F12)
ADDED_LET_WINDOW = DAYS_PER_YEAR  # days: an added unit "let within a year" of its purchase
PERSON_YEARS_PER = 100.0  # deaths are counted per this many person-years (F14: 1.5 per 100)
#: Spell end reasons that are a move into private housing (``State.PRIVATE``).
TO_PRIVATE = ("own_housing", "arranged_private")
FROM_PRIVATE = "lost_private"  # the end reason of a private spell lost (end of lease, eviction, thrown out)


@dataclass(frozen=True)
class Metric:
    """What a metric measures and in what unit."""

    unit: str
    description: str

    @property
    def bounds(self) -> tuple[float, float] | None:
        """The range the metric cannot leave, for its intervals: [0, 1] for a share, else ``None``."""
        return SHARE_BOUNDS if self.unit == "share" else None


METRICS: dict[str, Metric] = {
    "temp_households_per_year": Metric(
        "per year", "People (households) with any day in NAV temporary housing in a year, each counted once (KOSTRA)"
    ),
    "temp_households_per_1000": Metric("per 1,000 inhabitants", "temp_households_per_year per 1,000 inhabitants"),
    "temp_household_days_mean": Metric(
        "days", "Days in temporary housing per household in a year, every stay that year summed (KOSTRA)"
    ),
    "temp_households_over_90d_share": Metric(
        "share", "Share of households in temporary housing in a year with more than 90 days there that year (KOSTRA)"
    ),
    "temp_households_14d_or_less_share": Metric(
        "share", "Share of households in temporary housing in a year with 14 days or fewer there that year (KOSTRA)"
    ),
    "temp_days_over_norm_per_year": Metric(
        "days per year", "Days beyond the 90-day norm in a year, summed over households (120 days adds 30)"
    ),
    "temp_spell_days_mean": Metric("days", "Mean length of temporary-housing spells (stays) that began in the window"),
    "temp_spell_days_median": Metric("days", "Median length of temporary-housing spells that began in the window"),
    "temp_spell_days_p90": Metric("days", "90th percentile of temporary-housing spell length"),
    "temp_spells_over_90d_share": Metric("share", "Share of temporary-housing spells longer than the 90-day norm"),
    "homeless_per_1000": Metric(
        "per 1,000 inhabitants",
        "Homeless on the census day per 1,000 inhabitants (temporary housing, street or sofa, institution "
        "due out within 2 months without housing)",
    ),
    "homeless_census_count": Metric("people", "Homeless on the census day (the three places together)"),
    "homeless_share_temporary": Metric("share", "Of the homeless on the census day, the share in temporary housing"),
    "homeless_share_sofa_street": Metric(
        "share", "Of the homeless on the census day, the share on the street or a sofa"
    ),
    "homeless_share_institution": Metric(
        "share",
        "Of the homeless on the census day, the share in an institution due out within 2 months without housing",
    ),
    "homeless_episodes_per_year": Metric(
        "per year", "Homelessness episodes starting in a year (an institution stay without housing inside the episode)"
    ),
    "homeless_episodes_per_1000": Metric("per 1,000 inhabitants", "homeless_episodes_per_year per 1,000 inhabitants"),
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
    "housed_at_discharge_share_homeless_at_admission": Metric(
        "share", "Of discharges of people homeless at admission, the share to housing (a municipal unit or private)"
    ),
    "revolving_door_persons_per_year": Metric(
        "per year", "People with 3 or more admissions (treatment or prison) within 365 days, the third in the year"
    ),
    "revolving_door_per_1000": Metric("per 1,000 inhabitants", "revolving_door_persons_per_year per 1,000 inhabitants"),
    "revolving_door_persons_window": Metric(
        "people", "People with 3 or more admissions within 365 days at any time in the whole window (not yearly)"
    ),
    "repeat_homeless_persons": Metric(
        "people",
        "People who became homeless 2 or more times in the whole window (institution stays without housing inside)",
    ),
    "evictions": Metric("per year", "Evictions from municipal housing"),
    "relapses": Metric("per year", "Relapses into active use"),
    "waitlist_mean": Metric("people", "Mean length of the municipal housing waiting list"),
    "offers_made": Metric("per year", "Offers of municipal units made at allocation meetings"),
    "offers_declined": Metric("per year", "Offers declined"),
    "municipal_occupancy_share": Metric("share", "Mean share of existing municipal units with a tenant"),
    "vacant_unit_days_mean": Metric(
        "days", "Mean days a municipal unit stood empty before a letting (between tenancies)"
    ),
    "offers_per_letting": Metric(
        "offers", "Mean offers of a unit per letting (1: the first person offered it took it)"
    ),
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
    "cost_temporary_nok_per_year": Metric("NOK per year", "Nights in NAV temporary housing x the price per night"),
    "cost_temporary_staffed_nok_per_year": Metric(
        "NOK per year", "Staffed and crisis temporary places x the staffing price per place-year"
    ),
    "cost_treatment_nok_per_year": Metric("NOK per year", "Bed-days in treatment (TSB) x the price per bed-day"),
    "cost_prison_nok_per_year": Metric("NOK per year", "Days in prison x the price per prison day"),
    "cost_units_nok_per_year": Metric("NOK per year", "Municipal unit-years by type (let or not) x the price by type"),
    "cost_followup_nok_per_year": Metric("NOK per year", "Follow-up client-years x the price per client-year"),
    "cost_total_nok_per_year": Metric("NOK per year", "The costs above, summed"),
}

#: The items of ``cost_total_nok_per_year``.
COST_ITEMS: tuple[str, ...] = ("temporary", "temporary_staffed", "treatment", "prison", "units", "followup")
#: The yearly measures that are also reported year by year (``by_year`` in ``summary.json``).
YEARLY: tuple[str, ...] = (
    "temp_households_per_year",
    "temp_household_days_mean",
    "temp_households_over_90d_share",
    "temp_households_14d_or_less_share",
    "homeless_per_1000",
    "homeless_census_count",
    "homeless_episodes_per_year",
    "revolving_door_persons_per_year",
)


@dataclass(frozen=True)
class Setting:
    """What the measures need from the scenario beyond the records: the municipality's size and
    the unit prices (``None``: per-1,000 and cost measures are ``nan``).

    Attributes:
        inhabitants: Inhabitants of the municipality (``municipality.inhabitants``).
        costs: ``costs`` of the scenario.
        temp_staffed_places: Staffed and crisis temporary places (paid for whether used or not).
    """

    inhabitants: float = math.nan
    costs: CostsConfig | None = None
    temp_staffed_places: int = 0

    @classmethod
    def of(cls, scenario: Scenario) -> Setting:
        """The setting of a scenario."""
        t = scenario.temporary
        return cls(
            float(scenario.municipality.inhabitants),
            scenario.costs,
            int(t.staffed_places) + int(t.women_crisis_places),
        )


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


def yearly_metrics(records: Records, warmup: float, end: float, setting: Setting | None = None) -> pd.DataFrame:
    """The :data:`YEARLY` measures of one replication, one row per counted year
    (``sim.measures.households.counted_years``; ``year`` 1 is the first year after the warm-up).

    Args:
        records: The run's records.
        warmup: First day of the observation window.
        end: Last day of the run.
        setting: The municipality's size (default: unknown, so per-1,000 values are ``nan``).
    """
    setting = setting or Setting()
    years = counted_years(warmup, end)
    spells = records.frame("spells")
    households = temporary_household_days(spells, years)
    counts = census(spells, years)
    episodes = episodes_by_year(spells, years)
    revolving = revolving_door_by_year(records.frame("admissions"), years)
    rows = []
    for i, (h, c, e, r) in enumerate(zip(households, counts, episodes, revolving, strict=True)):
        rows.append(
            {
                "year": i + 1,
                "temp_households_per_year": float(h.households),
                "temp_household_days_mean": h.days_mean,
                "temp_households_over_90d_share": h.over_norm_share,
                "temp_households_14d_or_less_share": h.short_share,
                "temp_days_over_norm_per_year": h.days_over_norm,
                "homeless_per_1000": per_inhabitants(c.total, setting.inhabitants),
                "homeless_census_count": float(c.total),
                "homeless_census_temporary": float(c.temporary),
                "homeless_census_sofa_street": float(c.sofa_street),
                "homeless_census_institution": float(c.institution),
                "homeless_episodes_per_year": float(e),
                "revolving_door_persons_per_year": float(r),
            }
        )
    return pd.DataFrame(rows, columns=["year", *YEARLY_COLUMNS])


#: Every column of :func:`yearly_metrics` (the :data:`YEARLY` measures and what the window values add up).
YEARLY_COLUMNS: tuple[str, ...] = (
    "temp_households_per_year",
    "temp_household_days_mean",
    "temp_households_over_90d_share",
    "temp_households_14d_or_less_share",
    "temp_days_over_norm_per_year",
    "homeless_per_1000",
    "homeless_census_count",
    "homeless_census_temporary",
    "homeless_census_sofa_street",
    "homeless_census_institution",
    "homeless_episodes_per_year",
    "revolving_door_persons_per_year",
)


def _mean(values: pd.Series) -> float:
    """Mean of the values that are not ``nan``; ``nan`` if none is."""
    v = values.to_numpy(dtype=float)
    v = v[~np.isnan(v)]
    return float(v.mean()) if len(v) else math.nan


def cost_metrics(samples: pd.DataFrame, setting: Setting) -> dict[str, float]:
    """The cost measures, NOK per year, from the counts sampled in the window and the prices.

    Use is priced per day present (a night in temporary housing, a bed-day, a prison day, a
    follow-up client-day as a share of a client-year); capacity per unit-year (a municipal unit,
    let or not, and a staffed temporary place, used or not).

    Args:
        samples: The samples in the observation window.
        setting: The prices (``nan`` for every item without them).
    """
    c = setting.costs
    if c is None or samples.empty:
        return {f"cost_{item}_nok_per_year": math.nan for item in (*COST_ITEMS, "total")}
    per_year = {
        "temporary": float(samples["n_temporary"].mean()) * DAYS_PER_YEAR * c.temporary_nok_per_night,
        "temporary_staffed": setting.temp_staffed_places * c.temporary_staffed_place_nok_per_year,
        "treatment": float(samples["n_treatment"].mean()) * DAYS_PER_YEAR * c.treatment_nok_per_bed_day,
        "prison": float(samples["n_prison"].mean()) * DAYS_PER_YEAR * c.prison_nok_per_day,
        "units": sum(
            float(samples[f"units_{name}"].mean()) * price
            for name, price in c.unit_nok_per_year.items()
            if f"units_{name}" in samples
        ),
        "followup": float(samples["followup_clients"].mean()) * c.followup_nok_per_client_year,
    }
    out = {f"cost_{item}_nok_per_year": float(value) for item, value in per_year.items()}
    out["cost_total_nok_per_year"] = float(sum(per_year.values()))
    return out


def replication_metrics(
    records: Records, warmup: float, end: float, setting: Setting | None = None
) -> dict[str, float]:
    """Every metric of one replication, from its records.

    Args:
        records: The run's records.
        warmup: First day of the observation window.
        end: Last day of the run.
        setting: The municipality's size and the prices (:meth:`Setting.of` a scenario); without
            it the per-1,000 and cost metrics are ``nan``.

    Returns:
        Metric name to value (``nan`` where a metric has no data, e.g. no discharges).
    """
    setting = setting or Setting()
    years = (end - warmup) / DAYS_PER_YEAR
    out: dict[str, float] = {}

    spells = records.frame("spells")
    by_year = yearly_metrics(records, warmup, end, setting)
    for name in ("temp_households_per_year", "temp_household_days_mean", "temp_households_over_90d_share",
                 "temp_households_14d_or_less_share", "temp_days_over_norm_per_year", "homeless_per_1000",
                 "homeless_census_count", "homeless_episodes_per_year", "revolving_door_persons_per_year"):  # fmt: skip
        out[name] = _mean(by_year[name])
    out["temp_households_per_1000"] = per_inhabitants(out["temp_households_per_year"], setting.inhabitants)
    out["homeless_episodes_per_1000"] = per_inhabitants(out["homeless_episodes_per_year"], setting.inhabitants)
    out["revolving_door_per_1000"] = per_inhabitants(out["revolving_door_persons_per_year"], setting.inhabitants)
    counted = float(by_year["homeless_census_count"].sum())
    for place in ("temporary", "sofa_street", "institution"):
        hits = float(by_year[f"homeless_census_{place}"].sum())
        out[f"homeless_share_{place}"] = hits / counted if counted else math.nan
    days = temporary_stay_lengths(spells, warmup, end)
    has = len(days) > 0
    out["temp_spell_days_mean"] = float(days.mean()) if has else math.nan
    out["temp_spell_days_median"] = float(np.median(days)) if has else math.nan
    out["temp_spell_days_p90"] = float(np.quantile(days, 0.9)) if has else math.nan
    out["temp_spells_over_90d_share"] = float((days > NORM_DAYS).mean()) if has else math.nan

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
    out["revolving_door_persons_window"] = float(revolving_door_in_window(adm, warmup))
    out["repeat_homeless_persons"] = float(_repeat_homeless(spells, warmup))
    out["housed_at_discharge_share_homeless_at_admission"] = housed_at_discharge_homeless_at_admission(
        adm, dis, spells, warmup
    )

    out["evictions"] = sum(1 for d in records.evictions["day"] if d >= warmup) / years
    out["relapses"] = int((relapses["day"] >= warmup).sum()) / years if len(relapses) else 0.0
    out["waitlist_mean"] = float(samples["waitlist"].mean())
    offers = records.frame("offers")
    offers = offers[offers["day"] >= warmup]
    out["offers_made"] = len(offers) / years
    out["offers_declined"] = int((~offers["accepted"].astype(bool)).sum()) / years if len(offers) else 0.0
    units = samples["units"].to_numpy(dtype=float)
    occupied = samples["units_occupied"].to_numpy(dtype=float)
    out["municipal_occupancy_share"] = float(
        np.mean(np.divide(occupied, units, out=np.zeros_like(units), where=units > 0))
    )
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
    out.update(cost_metrics(samples, setting))
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


def _repeat_homeless(spells: pd.DataFrame, warmup: float) -> int:
    """People with two or more homelessness episodes (``sim.measures.episodes``, an institution stay
    without housing inside the episode) starting in the window."""
    if spells.empty:
        return 0
    s, starts = homelessness_episodes(spells, warmup, institution_without_housing=True)
    episodes = pd.Series(starts.astype(int)).groupby(s["person"].to_numpy()).sum()
    return int((episodes >= 2).sum())


def summarise(rows: pd.DataFrame, bounded: bool = True) -> dict[str, dict[str, object]]:
    """Mean and 95% t-interval across replications for every metric.

    ``bounded=False`` for values that are not the metrics themselves but differences of them
    (a difference of two shares lies in [-1, 1]: its interval is never cut).

    With a single replication the interval is ``[null, null]`` (see :func:`sim.measures.statistics.mean_ci`);
    a share's interval is cut to [0, 1] (:attr:`Metric.bounds`).
    """
    out: dict[str, dict[str, object]] = {}
    for name, meta in METRICS.items():
        estimate = mean_ci(rows[name].to_numpy(dtype=float), meta.bounds if bounded else None)
        out[name] = {
            "mean": json_number(estimate.mean),
            "ci95": [json_number(estimate.low), json_number(estimate.high)],
            "unit": meta.unit,
            "description": meta.description,
        }
    return out


def summarise_per_1000(rows: pd.DataFrame, inhabitants: float) -> dict[str, dict[str, object]]:
    """Every yearly count (unit "per year") per 1,000 inhabitants: mean and 95% interval across
    replications (``per_1000_inhabitants`` in ``summary.json``), so counts compare across towns.

    Args:
        rows: One row per replication, every metric.
        inhabitants: ``municipality.inhabitants``.
    """
    out: dict[str, dict[str, object]] = {}
    for name, meta in METRICS.items():
        if meta.unit != "per year":
            continue
        estimate = mean_ci(rows[name].to_numpy(dtype=float) * PER_INHABITANTS / inhabitants)
        out[name] = {
            "mean": json_number(estimate.mean),
            "ci95": [json_number(estimate.low), json_number(estimate.high)],
            "unit": "per 1,000 inhabitants a year",
        }
    return out


def summarise_years(yearly: pd.DataFrame) -> dict[str, list[dict[str, object]]]:
    """Mean and 95% interval across replications of each :data:`YEARLY` measure, year by year
    (``by_year`` in ``summary.json``: the trend next to the window's average).

    Args:
        yearly: Every replication's :func:`yearly_metrics`, with a ``replication`` column.
    """
    out: dict[str, list[dict[str, object]]] = {}
    for name in YEARLY:
        rows = []
        for year, group in yearly.groupby("year", sort=True):
            estimate = mean_ci(group[name].to_numpy(dtype=float), METRICS[name].bounds)
            rows.append(
                {
                    "year": int(year),
                    "mean": json_number(estimate.mean),
                    "ci95": [json_number(estimate.low), json_number(estimate.high)],
                }
            )
        out[name] = rows
    return out


def json_number(value: float) -> float | None:
    """A number for a JSON file: JSON has no NaN, so a missing value becomes ``null``; others are
    rounded to 10 decimals, so files do not change with noise in the last digits."""
    return None if math.isnan(value) else round(float(value), 10)
