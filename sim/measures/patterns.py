"""The calibration's measures beyond the metrics: published patterns and face validity.

The calibration (``sim.experiments.calibration``) checks the baseline against patterns and trial
contrasts that need a few measures ``summary.json`` does not carry. They are computed here, from a
replication's records, over the observation window from the end of the warm-up (``warmup``) to the
end of the run (``end``); ``docs/calibration.md`` defines them in words.

* Patterns (:func:`pattern_measures`): the longest temporary stay in a year (F4), temporary-housing
  occupancy in the window's first and last year (is the run settled?), relapse within a year of a
  discharge (F13).
* Face validity (:func:`face_validity_measures`): what happens after becoming homeless (F16) and
  relapse after a placement in a staffed or an ordinary unit (F17).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.config import DAYS_PER_YEAR
from sim.measures.episodes import homelessness_episodes
from sim.measures.households import counted_years
from sim.measures.metrics import relapse_within_share
from sim.measures.windows import share_followed_within
from sim.model.records import Records
from sim.model.states import HOME, State

#: F13: relapse within 12 months of a discharge.
RELAPSE_YEAR_WINDOW = DAYS_PER_YEAR
#: F16: whether people are housed 12 months after becoming homeless.
HOUSED_HORIZON_DAYS = DAYS_PER_YEAR
#: F16: follow-up of the time from becoming homeless to housing (two years); episodes need this
#: much run left after they start.
HOUSING_FOLLOW_UP_DAYS = 2 * DAYS_PER_YEAR
#: F17: relapse within 24 months of moving in; placements need this much run left.
PLACEMENT_WINDOW_DAYS = 2 * DAYS_PER_YEAR
#: The unit types whose placements F17 compares.
PLACEMENT_TYPES: tuple[str, ...] = ("recovery", "staffed", "ordinary")
#: The states in which a person is housed, as the spells record them: a municipal unit or private housing.
AT_HOME: tuple[str, ...] = tuple(state.value for state in HOME)


def days_label(days: float) -> str:
    """A window's length as it appears in a measure's name: ``730.0`` -> ``"730"`` (``_730d_``)."""
    return f"{days:g}"


def longest_stay_per_year(spells: pd.DataFrame, warmup: float, end: float) -> float:
    """Mean over the window's whole years of the longest temporary stay in progress in that year.

    A stay's length in a year is its length at the year's end, or when it ended if earlier
    (F4: "some people 20 months", said of one year).

    Args:
        spells: The run's spells (``Records.frame("spells")``).
        warmup: First day of the observation window.
        end: Last day of the run.

    Returns:
        The mean in days; ``nan`` if the window is shorter than a year.
    """
    temp = spells[spells["state"] == "temporary"]
    start = temp["start"].to_numpy(dtype=float)
    stop = temp["end"].to_numpy(dtype=float)
    longest = []
    for year, year_end in counted_years(warmup, end):
        on = (start < year_end) & (stop > year)
        longest.append(float((np.minimum(stop[on], year_end) - start[on]).max()) if on.any() else 0.0)
    return float(np.mean(longest)) if longest else math.nan


def occupancy_drift(samples: pd.DataFrame, warmup: float, end: float) -> dict[str, float]:
    """Mean number of people in temporary housing in the first and in the last year of the window.

    Args:
        samples: The run's daily counts (``Records.frame("samples")``).
        warmup: First day of the observation window.
        end: Last day of the run.

    Returns:
        ``temp_occupancy_first_year`` and ``temp_occupancy_last_year`` (``nan`` without samples):
        whether the run is settled.
    """
    day = samples["day"].to_numpy(dtype=float)
    n = samples["n_temporary"].to_numpy(dtype=float)
    first = (day >= warmup) & (day < warmup + DAYS_PER_YEAR)
    last = (day >= end - DAYS_PER_YEAR) & (day <= end)
    return {
        "temp_occupancy_first_year": float(n[first].mean()) if first.any() else math.nan,
        "temp_occupancy_last_year": float(n[last].mean()) if last.any() else math.nan,
    }


def homelessness_outcomes(
    spells: pd.DataFrame,
    exits: pd.DataFrame,
    warmup: float,
    end: float,
    horizon: float = HOUSED_HORIZON_DAYS,
    follow: float = HOUSING_FOLLOW_UP_DAYS,
) -> dict[str, float]:
    """What happens to people after they become homeless (F16, At Home/Chez Soi).

    Episodes are those of :func:`sim.measures.episodes.homelessness_episodes`, starting in
    [warmup, end - follow]. "Housed" means living in a municipal unit or in private housing, or
    having left the population as stable (which happens only from one of those). With ``H`` the horizon in days (365 by default):

    * ``homeless_housed_at_<H>d_share``: share housed ``horizon`` days after the episode began
      (people who died or moved away before then are left out);
    * ``homeless_time_housed_<H>d_share``: mean share of those ``horizon`` days spent housed
      (time after death or moving away is left out);
    * ``homeless_days_to_housing_median``: median days from becoming homeless to being housed,
      over all episodes; ``nan`` if fewer than half were housed within ``follow`` days;
    * ``homeless_in_unit_at_<H>d_share``: as the first, counting only a municipal unit (people
      in private housing, or gone as stable, count as not in a unit): how much of the first is
      the municipality's doing.

    Args:
        spells: The run's spells (``Records.frame("spells")``).
        exits: The run's exits (``Records.frame("exits")``).
        warmup: First day of the observation window.
        end: Last day of the run.
        horizon: The follow-up point of the first two measures (days).
        follow: Follow-up of the time to housing (days); episodes need this much time before ``end``.

    Returns:
        The four measures (``nan`` where there is no data).
    """
    h = days_label(horizon)
    housed_at_key = f"homeless_housed_at_{h}d_share"
    time_key = f"homeless_time_housed_{h}d_share"
    in_unit_key = f"homeless_in_unit_at_{h}d_share"
    out = {
        housed_at_key: math.nan,
        time_key: math.nan,
        "homeless_days_to_housing_median": math.nan,
        in_unit_key: math.nan,
    }
    if spells.empty:
        return out
    exit_day = dict(zip(exits["person"].tolist(), exits["day"].tolist(), strict=True))
    exit_reason = dict(zip(exits["person"].tolist(), exits["reason"].tolist(), strict=True))
    s, begins = homelessness_episodes(spells, warmup, end - follow)
    person = s["person"].to_numpy()
    start = s["start"].to_numpy(dtype=float)
    stop = s["end"].to_numpy(dtype=float)
    state = s["state"].to_numpy()
    housed = np.isin(state, AT_HOME)  # a municipal unit or private housing
    in_municipal = state == State.HOUSED.value
    # one past each person's last spell, for every row
    bounds = np.flatnonzero(np.r_[True, person[1:] != person[:-1], True])
    stop_row = np.repeat(bounds[1:], np.diff(bounds))

    at_horizon: list[bool] = []
    in_unit_at_horizon: list[bool] = []
    time_share: list[float] = []
    days_to: list[float] = []
    for i in np.flatnonzero(begins):
        t0, t1 = start[i], start[i] + horizon
        rows = range(i, stop_row[i])
        leaves = exit_day.get(int(person[i]), math.inf)
        # left the population stable at home (only possible from a home): housed from then on
        own = exit_reason.get(int(person[i])) == "stable"
        housed_at = next((start[r] for r in rows if housed[r]), math.inf)
        if own and leaves < housed_at:
            housed_at = leaves
        days_to.append(housed_at - t0)

        in_unit = sum(max(0.0, min(stop[r], t1) - max(start[r], t0)) for r in rows if housed[r])  # at home
        observed = horizon
        if leaves < t1:
            if own:
                in_unit += t1 - leaves
            else:
                observed = leaves - t0
        if observed > 0:
            time_share.append(in_unit / observed)

        if leaves <= t1:
            if own:
                at_horizon.append(True)
                in_unit_at_horizon.append(False)
            continue  # died or moved away before the horizon: left out
        covering = next((r for r in rows if start[r] <= t1 < stop[r]), None)
        at_horizon.append(covering is not None and bool(housed[covering]))
        in_unit_at_horizon.append(covering is not None and bool(in_municipal[covering]))
    if at_horizon:
        out[housed_at_key] = float(np.mean(at_horizon))
        out[in_unit_key] = float(np.mean(in_unit_at_horizon))
    if time_share:
        out[time_key] = float(np.mean(time_share))
    if days_to:
        median = float(np.median(days_to))
        out["homeless_days_to_housing_median"] = median if median <= follow else math.nan
    return out


def placement_relapse(
    offers: pd.DataFrame, relapses: pd.DataFrame, warmup: float, end: float, window: float = PLACEMENT_WINDOW_DAYS
) -> dict[str, float]:
    """Relapse after being placed in a staffed or an ordinary unit (F17, Oxford House).

    A placement is an accepted offer in [warmup, end - window]; the measure is the share of
    placements followed by a relapse of the same person within ``window`` days. A person who
    dies or leaves the system first counts as no relapse (as in ``relapse_within_90d_share``).

    Args:
        offers: The run's offers (``Records.frame("offers")``).
        relapses: The run's relapses (``Records.frame("relapses")``).
        warmup: First day of the observation window.
        end: Last day of the run.
        window: The follow-up in days (``W``).

    Returns:
        ``<type>_relapse_within_<W>d_share`` (``nan`` without placements) and ``<type>_placements``
        (count) for each type of :data:`PLACEMENT_TYPES`.
    """
    share_key = f"relapse_within_{days_label(window)}d_share"
    out: dict[str, float] = {}
    if offers.empty:
        for kind in PLACEMENT_TYPES:
            out[f"{kind}_{share_key}"] = math.nan
            out[f"{kind}_placements"] = 0.0
        return out
    accepted = offers[offers["accepted"].astype(bool) & (offers["day"] >= warmup) & (offers["day"] <= end - window)]
    for kind in PLACEMENT_TYPES:
        placed = accepted[accepted["housing_type"] == kind]
        out[f"{kind}_{share_key}"] = share_followed_within(relapses, placed, window)
        out[f"{kind}_placements"] = float(len(placed))
    return out


def pattern_measures(records: Records, warmup: float, end: float) -> dict[str, float]:
    """The patterns' measures that are not metrics, of one replication.

    Args:
        records: The run's records.
        warmup: First day of the observation window.
        end: Last day of the run.

    Returns:
        ``temp_longest_stay_days``, ``temp_occupancy_first_year``, ``temp_occupancy_last_year``
        and ``relapse_within_365d_share``.
    """
    out = {"temp_longest_stay_days": longest_stay_per_year(records.frame("spells"), warmup, end)}
    out.update(occupancy_drift(records.frame("samples"), warmup, end))
    out[f"relapse_within_{days_label(RELAPSE_YEAR_WINDOW)}d_share"] = relapse_within_share(
        records, warmup, end, RELAPSE_YEAR_WINDOW
    )
    return out


def face_validity_measures(records: Records, warmup: float, end: float) -> dict[str, float]:
    """The face-validity measures of one replication (:func:`homelessness_outcomes` and
    :func:`placement_relapse` with their default windows).

    Args:
        records: The run's records.
        warmup: First day of the observation window.
        end: Last day of the run.

    Returns:
        The measures by name.
    """
    out = homelessness_outcomes(records.frame("spells"), records.frame("exits"), warmup, end)
    out.update(placement_relapse(records.frame("offers"), records.frame("relapses"), warmup, end))
    return out
