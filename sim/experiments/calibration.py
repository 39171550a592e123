"""Pattern-oriented calibration of the baseline, and face validity against published trials.

The thesis and the published figures in ``shared/domain.md`` give no rates, only patterns a
credible baseline should reproduce *together* (pattern-oriented modelling, Grimm et al. 2005).
This module holds, in one place:

* :data:`PATTERNS`: each pattern, its source and its target band;
* :data:`SEARCH_SPACE`: the uncertain ("assumption") parameters of ``scenarios/baseline.toml``
  that the search varies, and their ranges;
* the measures the patterns and the face-validity contrasts need beyond ``sim.measures.metrics``
  (computed here from a run's records, so ``sim/measures/metrics.py`` is left alone);
* the search (a Latin hypercube with a fixed seed; the points where every pattern falls in its
  band are kept and one is chosen by :func:`choose_point`'s rule);
* the report ``docs/calibration.md``, which ``pathways calibrate`` writes (never by hand).

A pattern is *met* when the mean over replications lies inside its band (bands include their
edges). Face validity compares the ``housing_first`` scenario with the baseline (F16) and
tenants placed in staffed units with tenants placed in ordinary units (F17), in direction and
rough size.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from sim import config as scenarios
from sim.config import Scenario
from sim.experiments.replications import replication_seeds
from sim.measures.metrics import replication_metrics
from sim.model import HousingModel
from sim.model.records import Records

REPO = Path(__file__).resolve().parent.parent.parent
REPORT_PATH = REPO / "docs" / "calibration.md"
DAYS_PER_YEAR = 365.0
HOMELESS = ("temporary", "street")

# The markers around the search section of the report: ``--check-only`` keeps what is between
# them, so the record of the last search survives a re-check of the baseline.
SEARCH_BEGIN = "<!-- search:begin -->"
SEARCH_END = "<!-- search:end -->"
_PROPOSED = re.compile(r"<!-- proposed: (\{.*?\}) -->")
_FINGERPRINT = re.compile(r"fingerprint `([0-9a-f]{12})`")


# ----------------------------------------------------------------------------- patterns


@dataclass(frozen=True)
class Pattern:
    """A published pattern the baseline should reproduce.

    Attributes:
        name: The measure (a ``sim.measures.metrics`` metric or one computed here).
        label: What it is, in words.
        unit: ``"share"``, ``"people"`` or ``"days"``.
        low: Lower edge of the target band (inclusive).
        high: Upper edge of the target band (inclusive).
        target: The published figure, in words.
        source: Where it comes from (thesis section or F-number of ``shared/domain.md``).
    """

    name: str
    label: str
    unit: str
    low: float
    high: float
    target: str
    source: str

    def met(self, value: float) -> bool:
        """Whether ``value`` lies in the band (``nan`` never does)."""
        return bool(self.low <= value <= self.high)

    def margin(self, value: float) -> float:
        """How far inside the band ``value`` is: 1 at the centre, 0 at an edge, negative outside
        (in units of the band's half-width)."""
        if math.isnan(value):
            return -math.inf
        half = (self.high - self.low) / 2.0
        return 1.0 - abs(value - (self.low + half)) / half

    def miss(self, value: float) -> float:
        """Distance from ``value`` to the band (0 inside it)."""
        if math.isnan(value):
            return math.inf
        return max(self.low - value, value - self.high, 0.0)


PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "temp_occupancy_mean", "People in NAV temporary housing on an average day", "people", 40.0, 60.0,
        "about 50 (\"over 50\", autumn 2022); 40-60 applications in process (2020)",
        "thesis 7.2.2, 1.1",
    ),
    Pattern(
        "temp_share_over_90d", "Share of temporary stays longer than 90 days", "share", 0.15, 0.35,
        "a minority; 19 % nationally (81 % under 3 months, 2016)", "F3; thesis 5.2.2",
    ),
    Pattern(
        "temp_longest_stay_days", "Longest temporary stay in a year (mean over the window's years)", "days",
        450.0, 900.0, "some people near 20 months (about 600 days) in 2020", "F4",
    ),
    Pattern(
        "readmission_within_365d_share", "Treatment discharges readmitted to treatment within a year", "share",
        0.50, 0.70, "over half", "F11",
    ),
    Pattern(
        "relapse_within_90d_share", "Discharges followed by relapse within 90 days", "share", 0.30, 0.45,
        "37 % by 3 months", "F12",
    ),
    Pattern(
        "relapse_within_365d_share", "Discharges followed by relapse within a year", "share", 0.55, 0.80,
        "about two thirds within 12 months", "F13",
    ),
    Pattern(
        "municipal_occupancy_share", "Share of municipal units let", "share", 0.95, 1.0,
        "over 95 % let at any time", "F5",
    ),
    Pattern(
        "treatment_wait_days_mean", "Mean wait from referral to treatment admission", "days", 20.0, 50.0,
        "34 days", "F10",
    ),
)
PATTERN_BY_NAME = {p.name: p for p in PATTERNS}


# ----------------------------------------------------------------------------- search space


@dataclass(frozen=True)
class Parameter:
    """An uncertain parameter the search varies, uniformly between ``low`` and ``high``.

    Values are rounded to ``digits`` significant digits (integers for ``integer``), so a proposed
    point can be written into ``baseline.toml`` exactly as it was evaluated.
    """

    key: str
    low: float
    high: float
    integer: bool = False
    digits: int = 2

    def value(self, u: float) -> float | int:
        """The parameter's value at ``u`` in [0, 1)."""
        x = self.low + u * (self.high - self.low)
        if self.integer:
            return int(min(self.high, max(self.low, math.floor(x + 0.5))))
        return float(f"{x:.{self.digits}g}")


SEARCH_SPACE: tuple[Parameter, ...] = (
    Parameter("inflow.nav_homeless_per_year", 25.0, 60.0),
    Parameter("temporary.leave_rate_per_day", 0.001, 0.006),
    Parameter("exits.own_housing_rate_per_year_homeless", 1.0, 4.0),
    Parameter("exits.own_housing_min_competence", 0.15, 0.45),
    Parameter("choice.decline_prob_other_zone", 0.2, 0.6),
    Parameter("choice.decline_multiplier_in_temporary", 1.0, 2.5),
    Parameter("treatment.referral_rate_per_day_using", 0.015, 0.040),
    Parameter("treatment.beds", 19, 28, integer=True),
    Parameter("relapse.remission_rate_per_day", 0.002, 0.008),
)
SEARCH_SEED = 20240917  # the Latin hypercube's seed: the search is repeatable


def get_value(scenario: Scenario, key: str) -> Any:
    """The value of a dotted key (``"treatment.beds"``) in a scenario."""
    node: Any = scenario.to_dict()
    for part in key.split("."):
        node = node[part]
    return node


def latin_hypercube(
    space: Sequence[Parameter],
    samples: int,
    seed: int = SEARCH_SEED,
    box: Mapping[str, tuple[float, float]] | None = None,
) -> list[dict[str, Any]]:
    """``samples`` points of a Latin hypercube over ``space`` (``scipy.stats.qmc``, fixed seed).

    Args:
        space: The parameters and their ranges.
        samples: Number of points.
        seed: The hypercube's seed.
        box: Optionally, a smaller range for some parameters, as fractions (lo, hi) of their
            full range (0 = ``low``, 1 = ``high``).
    """
    unit = qmc.LatinHypercube(d=len(space), rng=np.random.default_rng(seed)).random(samples)
    points = []
    for row in unit:
        point = {}
        for p, u in zip(space, row, strict=True):
            lo, hi = (box or {}).get(p.key, (0.0, 1.0))
            point[p.key] = p.value(lo + float(u) * (hi - lo))
        points.append(point)
    return points


def zoom_box(space: Sequence[Parameter], centre: Mapping[str, Any], width: float) -> dict[str, tuple[float, float]]:
    """A box of ``width`` (a fraction of each full range) around ``centre``, shifted to stay inside
    the full ranges."""
    box = {}
    for p in space:
        u = (float(centre[p.key]) - p.low) / (p.high - p.low)
        lo = min(max(u - width / 2.0, 0.0), 1.0 - width)
        box[p.key] = (lo, lo + width)
    return box


def fingerprint(scenario: Scenario) -> str:
    """A short hash of every parameter of a scenario (the report names what it evaluated)."""
    return hashlib.sha256(scenario.to_toml().encode("utf-8")).hexdigest()[:12]


# ----------------------------------------------------------------------------- measures from records


def _has_event_within(
    event_person: np.ndarray, event_day: np.ndarray, person: np.ndarray, day: np.ndarray, window: float
) -> np.ndarray:
    """For each (person, day), whether the same person has an event in (day, day + window]."""
    hits = np.zeros(len(person), dtype=bool)
    if len(person) == 0 or len(event_person) == 0:
        return hits
    order = np.lexsort((event_day, event_person))
    ep, ed = event_person[order], event_day[order]
    # Events of all people in one sorted sequence: key = (person, day).
    lo = np.searchsorted(ep, person, side="left")
    hi = np.searchsorted(ep, person, side="right")
    for i, (a, b, d) in enumerate(zip(lo, hi, day, strict=True)):
        if a == b:
            continue
        j = a + np.searchsorted(ed[a:b], d, side="right")
        hits[i] = j < b and ed[j] <= d + window
    return hits


def longest_stay_per_year(spells: pd.DataFrame, warmup: float, end: float) -> float:
    """Mean over the window's whole years of the longest temporary stay in progress in that year.

    A stay's length in a year is its length at the year's end, or when it ended if earlier
    (F4: "some people 20 months", said of one year). ``nan`` if the window is shorter than a year.
    """
    temp = spells[spells["state"] == "temporary"]
    start = temp["start"].to_numpy(dtype=float)
    stop = temp["end"].to_numpy(dtype=float)
    longest = []
    year = warmup
    while year + DAYS_PER_YEAR <= end + 1e-9:
        year_end = year + DAYS_PER_YEAR
        on = (start < year_end) & (stop > year)
        longest.append(float((np.minimum(stop[on], year_end) - start[on]).max()) if on.any() else 0.0)
        year = year_end
    return float(np.mean(longest)) if longest else math.nan


def occupancy_drift(samples: pd.DataFrame, warmup: float, end: float) -> dict[str, float]:
    """Mean number of people in temporary housing in the first and in the last year of the window
    (``temp_occupancy_first_year``, ``temp_occupancy_last_year``): whether the run is settled."""
    day = samples["day"].to_numpy(dtype=float)
    n = samples["n_temporary"].to_numpy(dtype=float)
    first = (day >= warmup) & (day < warmup + DAYS_PER_YEAR)
    last = (day >= end - DAYS_PER_YEAR) & (day <= end)
    return {
        "temp_occupancy_first_year": float(n[first].mean()) if first.any() else math.nan,
        "temp_occupancy_last_year": float(n[last].mean()) if last.any() else math.nan,
    }


def relapse_within_share(records: Records, warmup: float, end: float, window: float) -> float:
    """Of discharges (treatment and prison) in [warmup, end - window], the share followed by a
    relapse of the same person within ``window`` days (as ``relapse_within_90d_share``)."""
    dis = records.frame("discharges")
    dis = dis[(dis["day"] >= warmup) & (dis["day"] <= end - window)]
    if dis.empty:
        return math.nan
    rel = records.frame("relapses")
    hits = _has_event_within(
        rel["person"].to_numpy(), rel["day"].to_numpy(dtype=float),
        dis["person"].to_numpy(), dis["day"].to_numpy(dtype=float), window,
    )
    return float(hits.mean())


def homelessness_outcomes(
    spells: pd.DataFrame,
    exits: pd.DataFrame,
    warmup: float,
    end: float,
    horizon: float = 365.0,
    follow: float = 730.0,
) -> dict[str, float]:
    """What happens to people after they become homeless (F16, At Home/Chez Soi).

    A homelessness episode starts when a person enters temporary housing or the street from
    anywhere else, or arrives homeless. "Housed" means living in a municipal unit, or having left
    the system for housing of their own. Over the episodes starting in [warmup, end - follow]:

    * ``homeless_housed_at_365d_share``: share housed ``horizon`` days after the episode began
      (people who died or moved away before then are left out);
    * ``homeless_time_housed_365d_share``: mean share of those ``horizon`` days spent housed
      (time after death or moving away is left out);
    * ``homeless_days_to_housing_median``: median days from becoming homeless to being housed,
      over all episodes; ``nan`` if fewer than half were housed within ``follow`` days;
    * ``homeless_in_unit_at_365d_share``: as the first, counting only a municipal unit (people
      gone to housing of their own count as not in a unit): how much of the first is the
      municipality's doing.

    Args:
        spells: The run's spells (``Records.frame("spells")``).
        exits: The run's exits (``Records.frame("exits")``).
        warmup: First day of the observation window.
        end: Last day of the run.
        horizon: The follow-up point of the first two measures (days).
        follow: Follow-up of the time to housing (days); episodes need this much time before ``end``.

    Returns:
        The three measures (``nan`` where there is no data).
    """
    out = {
        "homeless_housed_at_365d_share": math.nan,
        "homeless_time_housed_365d_share": math.nan,
        "homeless_days_to_housing_median": math.nan,
        "homeless_in_unit_at_365d_share": math.nan,
    }
    if spells.empty:
        return out
    exit_day = dict(zip(exits["person"].tolist(), exits["day"].tolist(), strict=True))
    exit_reason = dict(zip(exits["person"].tolist(), exits["reason"].tolist(), strict=True))
    s = spells.sort_values(["person", "start", "end"], kind="stable")
    person = s["person"].to_numpy()
    state = s["state"].to_numpy()
    start = s["start"].to_numpy(dtype=float)
    stop = s["end"].to_numpy(dtype=float)
    homeless = np.isin(state, HOMELESS)
    housed = state == "housed"
    same_person = np.r_[False, person[1:] == person[:-1]]
    begins = homeless & ~(same_person & np.r_[False, homeless[:-1]]) & (start >= warmup) & (start <= end - follow)
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
        own = exit_reason.get(int(person[i])) == "own_housing"
        housed_at = next((start[r] for r in rows if housed[r]), math.inf)
        if own and leaves < housed_at:
            housed_at = leaves
        days_to.append(housed_at - t0)

        in_unit = sum(max(0.0, min(stop[r], t1) - max(start[r], t0)) for r in rows if housed[r])
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
        in_unit_at_horizon.append(at_horizon[-1])
    if at_horizon:
        out["homeless_housed_at_365d_share"] = float(np.mean(at_horizon))
        out["homeless_in_unit_at_365d_share"] = float(np.mean(in_unit_at_horizon))
    if time_share:
        out["homeless_time_housed_365d_share"] = float(np.mean(time_share))
    if days_to:
        median = float(np.median(days_to))
        out["homeless_days_to_housing_median"] = median if median <= follow else math.nan
    return out


PLACEMENT_TYPES = ("staffed", "ordinary")


def placement_relapse(
    offers: pd.DataFrame, relapses: pd.DataFrame, warmup: float, end: float, window: float = 730.0
) -> dict[str, float]:
    """Relapse after being placed in a staffed or an ordinary unit (F17, Oxford House).

    A placement is an accepted offer in [warmup, end - window]; the measure is the share of
    placements followed by a relapse of the same person within ``window`` days. A person who
    dies or leaves the system first counts as no relapse (as in ``relapse_within_90d_share``).

    Returns:
        ``<type>_relapse_within_730d_share`` and ``<type>_placements`` (count) for each type of
        :data:`PLACEMENT_TYPES`.
    """
    out: dict[str, float] = {}
    if offers.empty:
        for kind in PLACEMENT_TYPES:
            out[f"{kind}_relapse_within_730d_share"] = math.nan
            out[f"{kind}_placements"] = 0.0
        return out
    accepted = offers[offers["accepted"].astype(bool) & (offers["day"] >= warmup) & (offers["day"] <= end - window)]
    for kind in PLACEMENT_TYPES:
        placed = accepted[accepted["housing_type"] == kind]
        hits = _has_event_within(
            relapses["person"].to_numpy(), relapses["day"].to_numpy(dtype=float),
            placed["person"].to_numpy(), placed["day"].to_numpy(dtype=float), window,
        )
        out[f"{kind}_relapse_within_730d_share"] = float(hits.mean()) if len(hits) else math.nan
        out[f"{kind}_placements"] = float(len(hits))
    return out


def measure_replication(scenario: Scenario, seed: int, face: bool = True) -> dict[str, float]:
    """Run one replication; return every ``sim.measures.metrics`` metric, the pattern measures computed
    here and (with ``face``) the face-validity measures."""
    model = HousingModel(scenario, seed=seed)
    model.run()
    records = model.records
    warmup, end = scenario.run.warmup_days, scenario.total_days
    out = replication_metrics(records, warmup, end)
    spells = records.frame("spells")
    out["temp_longest_stay_days"] = longest_stay_per_year(spells, warmup, end)
    out.update(occupancy_drift(records.frame("samples"), warmup, end))
    out["relapse_within_365d_share"] = relapse_within_share(records, warmup, end, 365.0)
    if face:
        out.update(homelessness_outcomes(spells, records.frame("exits"), warmup, end))
        out.update(placement_relapse(records.frame("offers"), records.frame("relapses"), warmup, end))
    return out


def _job(args: tuple[Scenario, int, bool]) -> dict[str, float]:
    return measure_replication(*args)


def evaluate_many(
    runs: Sequence[Scenario],
    replications: int,
    *,
    face: bool = True,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[pd.DataFrame]:
    """Run ``replications`` replications of each scenario on one pool of worker processes.

    Every scenario's replication ``r`` gets the seed ``replication_seeds(scenario.seed, ...)[r]``,
    so scenarios with the same seed share their random numbers (common random numbers).

    Args:
        runs: The scenarios.
        replications: Replications of each.
        face: Also compute the face-validity measures.
        workers: Processes; default the number of cores; ``1`` runs in this process.
        progress: Called with (done, total) after each replication.

    Returns:
        One frame per scenario, one row per replication (in replication order).
    """
    jobs = [(s, seed, face) for s in runs for seed in replication_seeds(s.seed, replications)]
    workers = min(len(jobs), workers or os.cpu_count() or 1)
    rows: list[dict[str, float]] = []
    if workers <= 1:
        for job in jobs:
            rows.append(_job(job))
            if progress:
                progress(len(rows), len(jobs))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for row in pool.map(_job, jobs, chunksize=1):
                rows.append(row)
                if progress:
                    progress(len(rows), len(jobs))
    return [pd.DataFrame(rows[i * replications : (i + 1) * replications]) for i in range(len(runs))]


def evaluate(
    scenario: Scenario, replications: int, *, face: bool = True, workers: int | None = None
) -> pd.DataFrame:
    """:func:`evaluate_many` for one scenario."""
    return evaluate_many([scenario], replications, face=face, workers=workers)[0]


# ----------------------------------------------------------------------------- estimates and checks


@dataclass(frozen=True)
class Estimate:
    """A mean over replications with its 95% Student-t interval (``nan`` when undefined)."""

    mean: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float] | np.ndarray) -> Estimate:
        """The estimate from per-replication values (``nan`` values are left out)."""
        v = np.asarray(values, dtype=float)
        v = v[~np.isnan(v)]
        if len(v) == 0:
            return cls(math.nan, math.nan, math.nan, 0)
        mean = float(v.mean())
        if len(v) < 2:
            return cls(mean, math.nan, math.nan, len(v))
        half = float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
        return cls(mean, mean - half, mean + half, len(v))


@dataclass(frozen=True)
class PatternResult:
    """A pattern and the baseline's estimate of it."""

    pattern: Pattern
    estimate: Estimate

    @property
    def met(self) -> bool:
        """The mean lies in the band."""
        return self.pattern.met(self.estimate.mean)


def check_patterns(frame: pd.DataFrame) -> list[PatternResult]:
    """Every pattern of :data:`PATTERNS` against the per-replication values in ``frame``."""
    return [PatternResult(p, Estimate.of(frame[p.name].to_numpy(dtype=float))) for p in PATTERNS]


def pattern_means(frame: pd.DataFrame) -> dict[str, float]:
    """Mean over replications of each pattern's measure."""
    return {p.name: Estimate.of(frame[p.name].to_numpy(dtype=float)).mean for p in PATTERNS}


def all_met(means: Mapping[str, float]) -> bool:
    """Every pattern's mean lies in its band."""
    return all(p.met(means[p.name]) for p in PATTERNS)


def worst_margin(means: Mapping[str, float]) -> float:
    """The smallest :meth:`Pattern.margin` over the patterns (how close the point is to an edge)."""
    return min(p.margin(means[p.name]) for p in PATTERNS)


# ----------------------------------------------------------------------------- search


@dataclass
class SearchResult:
    """What a search found.

    Attributes:
        table: One row per screened point: ``round``, the parameter values, each pattern's mean,
            ``all_met`` and ``worst_margin``.
        confirmed: The confirmed candidates: one row per candidate (indexed by its row in
            ``table``), each pattern's mean over the confirmation's replications, ``all_met`` and
            ``worst_margin``.
        frames: The confirmation runs' per-replication values, by row of ``table``.
        chosen: Row of the proposed point (``None`` if no candidate met every band when confirmed).
        closest: Row with the largest screened ``worst_margin`` (reported when nothing is proposed).
        samples: Points per round.
        rounds: Rounds (the first over the full ranges, each later one over a smaller box).
        zoom: A later round's box is ``zoom ** k`` as wide as the full ranges.
        replications: Replications per screened point.
        confirm_replications: Replications of each confirmation.
        seed: The Latin hypercube's seed (round ``k`` uses ``seed + k``).
    """

    table: pd.DataFrame
    confirmed: pd.DataFrame
    frames: dict[int, pd.DataFrame]
    chosen: int | None
    closest: int
    samples: int
    rounds: int
    zoom: float
    replications: int
    confirm_replications: int
    seed: int

    def point(self, row: int) -> dict[str, Any]:
        """The parameter values of a row."""
        return {p.key: _plain(self.table.loc[row, p.key]) for p in SEARCH_SPACE}


def _plain(value: Any) -> Any:
    """numpy scalars as plain Python numbers (for TOML, JSON and printing)."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def choose_point(table: pd.DataFrame) -> int | None:
    """Among the rows where every pattern is in its band, the one whose worst pattern is furthest
    inside its band (largest :func:`worst_margin`; ties go to the earlier row). ``None`` if no row
    met every band."""
    ok = table[table["all_met"]]
    if ok.empty:
        return None
    return int(ok["worst_margin"].idxmax())


def _score(frame: pd.DataFrame) -> dict[str, Any]:
    means = pattern_means(frame)
    return {**means, "all_met": all_met(means), "worst_margin": worst_margin(means)}


def search(
    base: Scenario,
    samples: int,
    replications: int,
    *,
    rounds: int = 3,
    zoom: float = 0.5,
    confirm: int = 5,
    confirm_replications: int = 20,
    seed: int = SEARCH_SEED,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SearchResult:
    """Latin-hypercube search over :data:`SEARCH_SPACE` around ``base``.

    Screening: round 0 spreads ``samples`` points over the full ranges; each later round ``k``
    spreads ``samples`` points over a box ``zoom ** k`` as wide, centred on the best point so far
    (largest :func:`worst_margin`). Each point is ``base`` with the point's values, run for
    ``replications`` replications with ``base``'s seed (common random numbers across points).
    Confirmation: the ``confirm`` screened points that met every band with the largest worst
    margin are run again with ``confirm_replications`` replications, and :func:`choose_point`
    picks among them (a guard against points that looked good by luck).
    """
    rows: list[dict[str, Any]] = []
    total = samples * rounds * replications + confirm * confirm_replications
    done = 0

    def step(n: int, _total: int) -> None:
        if progress is not None:
            progress(done + n, total)

    for k in range(rounds):
        box = None
        if k > 0:
            best = max(rows, key=lambda r: r["worst_margin"])
            box = zoom_box(SEARCH_SPACE, best, zoom**k)
        points = latin_hypercube(SEARCH_SPACE, samples, seed + k, box)
        runs = [scenarios.with_overrides(base, scenarios.nest(dict(p))) for p in points]
        frames = evaluate_many(runs, replications, face=False, workers=workers, progress=step)
        done += len(runs) * replications
        rows += [{"round": k, **point, **_score(frame)} for point, frame in zip(points, frames, strict=True)]
    table = pd.DataFrame(rows)

    ok = table[table["all_met"]].sort_values("worst_margin", ascending=False, kind="stable")
    candidates = [int(i) for i in ok.index[:confirm]]
    point_of = {i: {p.key: _plain(table.loc[i, p.key]) for p in SEARCH_SPACE} for i in candidates}
    runs = [apply_point(base, point_of[i]) for i in candidates]
    frames = dict(zip(candidates, evaluate_many(runs, confirm_replications, face=False, workers=workers,
                                                progress=step), strict=True))  # fmt: skip
    confirmed = pd.DataFrame([_score(frames[i]) for i in candidates], index=pd.Index(candidates, dtype=int))
    return SearchResult(
        table=table,
        confirmed=confirmed,
        frames=frames,
        chosen=choose_point(confirmed) if candidates else None,
        closest=int(table["worst_margin"].idxmax()),
        samples=samples,
        rounds=rounds,
        zoom=zoom,
        replications=replications,
        confirm_replications=confirm_replications,
        seed=seed,
    )


def apply_point(base: Scenario, point: Mapping[str, Any]) -> Scenario:
    """``base`` with a point's parameter values."""
    return scenarios.with_overrides(base, scenarios.nest(dict(point)))


# ----------------------------------------------------------------------------- face validity


@dataclass(frozen=True)
class Contrast:
    """A trial's contrast and the model's version of it.

    Attributes:
        figure: The F-number in ``shared/domain.md``.
        label: The measure, in words.
        unit: ``"share"`` or ``"days"``.
        policy_run: Which run gives the policy arm (``"housing_first"`` or ``"baseline"``).
        policy_measure: Its measure.
        usual_run: Which run gives the usual-services arm.
        usual_measure: Its measure.
        trial_policy: The trial's value in the policy arm (``None``: the trial gives none).
        trial_usual: The trial's value in the usual arm.
        policy: Name of the policy arm.
        usual: Name of the usual arm.
    """

    figure: str
    label: str
    unit: str
    policy_run: str
    policy_measure: str
    usual_run: str
    usual_measure: str
    trial_policy: float | None
    trial_usual: float | None
    policy: str
    usual: str


CONTRASTS: tuple[Contrast, ...] = (
    Contrast(
        "F16", "Housed 12 months after becoming homeless", "share",
        "housing_first", "homeless_housed_at_365d_share", "baseline", "homeless_housed_at_365d_share",
        0.73, 0.31, "Housing First", "usual services",
    ),
    Contrast(
        "F16", "In a municipal unit 12 months after becoming homeless (the row above without own housing)",
        "share", "housing_first", "homeless_in_unit_at_365d_share", "baseline", "homeless_in_unit_at_365d_share",
        None, None, "Housing First", "usual services",
    ),
    Contrast(
        "F16", "Share of the 12 months after becoming homeless spent housed", "share",
        "housing_first", "homeless_time_housed_365d_share", "baseline", "homeless_time_housed_365d_share",
        None, None, "Housing First", "usual services",
    ),
    Contrast(
        "F16", "Days from becoming homeless to housing (median)", "days",
        "housing_first", "homeless_days_to_housing_median", "baseline", "homeless_days_to_housing_median",
        73.0, 220.0, "Housing First", "usual services",
    ),
    Contrast(
        "F17", "Relapse within 24 months of moving in", "share",
        "baseline", "staffed_relapse_within_730d_share", "baseline", "ordinary_relapse_within_730d_share",
        0.156, 0.648, "staffed unit", "ordinary unit",
    ),
)


@dataclass(frozen=True)
class ContrastResult:
    """The model's two arms of a contrast and their paired difference (policy - usual)."""

    contrast: Contrast
    policy: Estimate
    usual: Estimate
    difference: Estimate

    @property
    def same_direction(self) -> bool | None:
        """The model's difference has the trial's sign (``None`` when the trial gives no numbers)."""
        c = self.contrast
        if c.trial_policy is None or c.trial_usual is None or math.isnan(self.difference.mean):
            return None
        return (self.difference.mean > 0) == (c.trial_policy - c.trial_usual > 0)

    @property
    def clear(self) -> bool:
        """The 95% interval of the difference excludes 0."""
        d = self.difference
        return not math.isnan(d.low) and (d.low > 0 or d.high < 0)


def face_validity(frames: Mapping[str, pd.DataFrame]) -> list[ContrastResult]:
    """Every contrast of :data:`CONTRASTS`, from per-replication frames of the runs it names
    (replication ``r`` of each run shares its seed, so differences are paired)."""
    out = []
    for c in CONTRASTS:
        a = frames[c.policy_run][c.policy_measure].to_numpy(dtype=float)
        b = frames[c.usual_run][c.usual_measure].to_numpy(dtype=float)
        out.append(ContrastResult(c, Estimate.of(a), Estimate.of(b), Estimate.of(a - b)))
    return out


# ----------------------------------------------------------------------------- the report


SUPPORTING = (
    "temp_occupancy_mean", "street_count_mean", "discharge_to_street_share", "offers_made", "offers_declined",
    "evictions", "relapses", "municipal_occupancy_share",
)  # fmt: skip


def _fmt(value: float, unit: str) -> str:
    if value is None or math.isnan(value):
        return "-"
    if unit == "share":
        return f"{value * 100:.1f} %"
    if abs(value) >= 100 or (unit == "days" and abs(value) >= 10):
        return f"{value:,.0f}"
    return f"{value:.1f}"


def _fmt_diff(value: float, unit: str) -> str:
    if math.isnan(value):
        return "-"
    if unit == "share":
        return f"{value * 100:+.1f} points"
    return f"{value:+.1f} {unit}"


def _interval(e: Estimate, unit: str) -> str:
    if math.isnan(e.low):
        return "-"
    return f"{_fmt(e.low, unit)} to {_fmt(e.high, unit)}"


def _diff_interval(e: Estimate, unit: str) -> str:
    if math.isnan(e.low):
        return "-"
    return f"{_fmt_diff(e.low, unit)} to {_fmt_diff(e.high, unit)}"


def _band(p: Pattern) -> str:
    if p.unit == "share":
        return f"{p.low * 100:.0f} % to {p.high * 100:.0f} %"
    return f"{p.low:g} to {p.high:g} {p.unit}"


def _value(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def pattern_table(results: Sequence[PatternResult]) -> list[str]:
    """The Markdown table of patterns, bands and estimates."""
    lines = [
        "| pattern | source | published | target band | mean | 95% interval | met |",
        "|---|---|---|---|---:|---:|:---:|",
    ]
    for r in results:
        p, e = r.pattern, r.estimate
        lines.append(
            f"| {p.label} (`{p.name}`) | {p.source} | {p.target} | {_band(p)} | {_fmt(e.mean, p.unit)} | "
            f"{_interval(e, p.unit)} | {'yes' if r.met else '**no**'} |"
        )
    return lines


def verdict(results: Sequence[PatternResult]) -> str:
    """One sentence: every pattern met, or which are not and by how much."""
    missed = [r for r in results if not r.met]
    if not missed:
        return f"**All {len(results)} patterns are met** (each mean lies inside its band)."
    parts = []
    for r in missed:
        p, m = r.pattern, r.estimate.mean
        side = "below" if m < p.low else "above"
        edge = p.low if m < p.low else p.high
        parts.append(
            f"`{p.name}` (mean {_fmt(m, p.unit)}, {_fmt_diff(abs(m - edge), p.unit).lstrip('+')} {side} "
            f"the band {_band(p)})"
        )
    return f"**{len(results) - len(missed)} of {len(results)} patterns are met.** Not met: " + "; ".join(parts) + "."


def face_table(results: Sequence[ContrastResult]) -> list[str]:
    """The Markdown table of the face-validity contrasts."""
    lines = [
        "| figure | measure | arms (policy vs usual) | trial | model: policy | model: usual | "
        "model difference (95% interval) | direction as in the trial |",
        "|---|---|---|---|---:|---:|---:|:---:|",
    ]
    for r in results:
        c = r.contrast
        trial = "-" if c.trial_policy is None else f"{_fmt(c.trial_policy, c.unit)} vs {_fmt(c.trial_usual, c.unit)}"
        direction = {None: "(no trial figure)", True: "yes", False: "**no**"}[r.same_direction]
        if r.same_direction is not None and not r.clear:
            direction += " (interval includes 0)"
        lines.append(
            f"| {c.figure} | {c.label} | {c.policy} vs {c.usual} | {trial} | "
            f"{_fmt(r.policy.mean, c.unit)} ({_interval(r.policy, c.unit)}) | "
            f"{_fmt(r.usual.mean, c.unit)} ({_interval(r.usual, c.unit)}) | "
            f"{_fmt_diff(r.difference.mean, c.unit)} ({_diff_interval(r.difference, c.unit)}) | {direction} |"
        )
    return lines


def _size_words(ratio: float) -> str:
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
            f"model {_fmt(r.policy.mean, c.unit)} ({c.policy}) vs {_fmt(r.usual.mean, c.unit)} ({c.usual}), "
            f"{_fmt_diff(r.difference.mean, c.unit)} ({_diff_interval(r.difference, c.unit)})"
        )
        if c.trial_policy is None or c.trial_usual is None:
            lines.append(f"- {c.figure}, {c.label.lower()}: no trial figure; {model}.")
            continue
        if r.same_direction is None:
            lines.append(f"- {c.figure}, {c.label.lower()}: the model has no data for this measure.")
            continue
        trial_diff = c.trial_policy - c.trial_usual
        trial = (
            f"trial {_fmt(c.trial_policy, c.unit)} vs {_fmt(c.trial_usual, c.unit)}, "
            f"{_fmt_diff(trial_diff, c.unit)}"
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
    """Selected ``sim.measures.metrics`` metrics of the runs side by side (to read the contrasts)."""
    from sim.measures.metrics import METRICS

    names = list(frames)
    lines = ["| metric | unit | " + " | ".join(f"`{n}`" for n in names) + " |", "|---|---|" + "---:|" * len(names)]
    for m in SUPPORTING:
        unit = METRICS[m].unit
        cells = [_fmt(Estimate.of(frames[n][m].to_numpy(dtype=float)).mean, unit) for n in names]
        lines.append(f"| `{m}` | {unit} | " + " | ".join(cells) + " |")
    return lines


def search_section(
    result: SearchResult,
    before: Mapping[str, Any],
    confirmation: Sequence[PatternResult] | None,
    command: str,
    base: Scenario,
) -> str:
    """The search part of the report (kept by ``--check-only`` until the next search)."""
    t = result.table
    lines = [
        SEARCH_BEGIN,
        "## Search",
        "",
        f"Command: `{command}`.",
        "",
        f"Latin hypercubes (`scipy.stats.qmc.LatinHypercube`) over the {len(SEARCH_SPACE)} uncertain parameters "
        "below (all marked \"assumption\" in `scenarios/baseline.toml`; values rounded to two significant "
        f"digits, beds to whole beds), in {result.rounds} round(s) of {result.samples} points: round 0 over the "
        f"full ranges (seed {result.seed}); each later round k over a box {result.zoom:g}^k as wide as the full "
        f"ranges, centred on the best point so far (seed {result.seed} + k). Each point is the baseline with "
        f"those values, run for {result.replications} replication(s) of {base.run.years:g} years with the "
        f"baseline's seed ({base.seed}; the same random numbers at every point). A point meets a pattern when "
        "its mean is inside the band.",
        "",
        "**Rule for choosing one point:** a pattern's margin is 1 - |mean - band centre| / (half the band's "
        "width): 1 at the centre, 0 at an edge, negative outside; a point's worst margin is the smallest over "
        f"the patterns. Of the screened points that meet every pattern, the {len(result.confirmed) or 'few'} "
        f"with the largest worst margin are run again with {result.confirm_replications} replications "
        "(confirmation, against points that looked good by luck); of those that still meet every pattern, the "
        "one with the largest worst margin is proposed. The same worst margin picks the best point so far "
        "that centres a later round.",
        "",
        "| parameter | searched range | before the search | proposed |",
        "|---|---|---:|---:|",
    ]
    chosen = result.chosen
    for p in SEARCH_SPACE:
        proposed = _value(result.point(chosen)[p.key]) if chosen is not None else "-"
        lines.append(f"| `{p.key}` | {p.low:g} to {p.high:g} | {_value(before[p.key])} | {proposed} |")
    n_ok = int(t["all_met"].sum())
    lines += [
        "",
        f"**{n_ok} of {len(t)} points met every pattern**"
        + (f" ({', '.join(f'round {k}: {int(g.sum())} of {len(g)}' for k, g in t.groupby('round')['all_met'])})."
           if result.rounds > 1 else "."),
        "Points meeting each pattern:",
        "",
        "| pattern | band | " + " | ".join(f"round {k}" for k in range(result.rounds)) + " |",
        "|---|---|" + "---:|" * result.rounds,
    ]
    for p in PATTERNS:
        hits = [int(g.apply(p.met).sum()) for _, g in t.groupby("round")[p.name]]
        lines.append(f"| `{p.name}` | {_band(p)} | " + " | ".join(str(h) for h in hits) + " |")
    ranked = t.sort_values(["all_met", "worst_margin"], ascending=[False, False]).head(5)
    lines += [
        "",
        "The five best points (meeting every pattern first, then by worst margin):",
        "",
        "| point | round | " + " | ".join(f"`{p.key.split('.')[-1]}`" for p in SEARCH_SPACE)
        + " | all met | worst margin |",
        "|---:|---:|" + "---:|" * len(SEARCH_SPACE) + ":---:|---:|",
    ]
    for row, r in ranked.iterrows():
        values = " | ".join(_value(_plain(r[p.key])) for p in SEARCH_SPACE)
        lines.append(
            f"| {row} | {int(r['round'])} | {values} | {'yes' if r['all_met'] else 'no'} | {r['worst_margin']:.2f} |"
        )
    c = result.confirmed
    if not c.empty:
        lines += [
            "",
            f"Confirmation ({result.confirm_replications} replications each, same seed):",
            "",
            "| point | screened worst margin | confirmed worst margin | meets every pattern |",
            "|---:|---:|---:|:---:|",
        ]
        for row, r in c.iterrows():
            lines.append(
                f"| {row} | {t.loc[row, 'worst_margin']:.2f} | {r['worst_margin']:.2f} | "
                f"{'yes' if r['all_met'] else 'no'} |"
            )
    if chosen is None:
        closest = result.closest
        lines += [
            "",
            "No point met every pattern"
            + (" when confirmed" if not c.empty else "")
            + f", so nothing is proposed. The closest screened point (largest worst margin, "
            f"{t.loc[closest, 'worst_margin']:.2f}) is point {closest}: "
            + ", ".join(f"`{k}` = {_value(v)}" for k, v in result.point(closest).items()) + ".",
        ]
    else:
        lines += ["", f"**Proposed: point {chosen}.**"]
        if confirmation is not None:
            lines += [
                "",
                f"The proposed point, confirmed with {result.confirm_replications} replications:",
                "",
                *pattern_table(confirmation),
                "",
                verdict(confirmation),
            ]
        lines.append(f"<!-- proposed: {json.dumps(result.point(chosen), sort_keys=True)} -->")
    lines.append(SEARCH_END)
    return "\n".join(lines)


def proposed_from(section: str) -> dict[str, Any] | None:
    """The proposed point recorded in a search section, if any."""
    m = _PROPOSED.search(section)
    return json.loads(m.group(1)) if m else None


def existing_search_section(path: Path) -> str | None:
    """The search section of an existing report (``None`` if there is none)."""
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    if SEARCH_BEGIN in text and SEARCH_END in text:
        return text[text.index(SEARCH_BEGIN) : text.index(SEARCH_END) + len(SEARCH_END)]
    return None


def recorded_fingerprint(path: Path = REPORT_PATH) -> str | None:
    """The fingerprint of the baseline a report evaluated (``None`` if the file has none)."""
    if not path.is_file():
        return None
    m = _FINGERPRINT.search(path.read_text(encoding="utf-8"))
    return m.group(1) if m else None


DEFINITIONS = """## Definitions of the measures computed in `sim/experiments/calibration.py`

The other measures are the metrics of `docs/metrics.md`. All use the observation window from the end
of the warm-up to the end of the run.

- `temp_longest_stay_days`: for each whole year of the window, the longest temporary-housing stay in
  progress during that year, measured at the year's end or when it ended; the mean over the years.
  F4 reports that some people had stayed 20 months in 2020.
- `relapse_within_365d_share`: as `relapse_within_90d_share`, with a 365-day window (discharges in
  the window's first T - 365 days).
- Homelessness episodes (F16): an episode starts when a person enters temporary housing or the
  street from anywhere else, or arrives homeless; episodes starting in the window with at least two
  years of run left are followed. "Housed" is living in a municipal unit, or having left the system
  for housing of one's own (`own_housing`). *Housed 12 months after becoming homeless*: the share
  housed on day 365 of the episode (people who died or moved away before are left out; a tenant in
  treatment or prison that day counts as not housed). *Share of the 12 months spent housed*: time
  housed over time observed. *Days to housing (median)*: the median over all episodes of the days
  until first housed; "-" if fewer than half were housed within 730 days. *In a municipal unit 12
  months after*: as the first, counting only municipal units (a diagnostic: the difference between
  the two rows is the share gone to housing of their own).
- Placements (F17): accepted offers of a staffed or an ordinary unit in the window with two years of
  run left; *relapse within 24 months of moving in* is the share followed by a relapse within 730 days
  of the offer (a person who dies or leaves first counts as no relapse). The trial's figure is use at
  24 months (15.6 % for residents staying 6+ months vs 64.8 % with usual aftercare); the model's is
  any relapse within 24 months, so it is higher in both arms; compare direction and relative size.
"""


def drift_sentence(frame: pd.DataFrame, base: Scenario) -> str:
    """How far temporary-housing occupancy moves between the window's first and last year."""
    first = Estimate.of(frame["temp_occupancy_first_year"].to_numpy(dtype=float))
    last = Estimate.of(frame["temp_occupancy_last_year"].to_numpy(dtype=float))
    if math.isnan(first.mean) or math.isnan(last.mean):
        return "Drift: the window is too short to compare its first and last year."
    change = last.mean / first.mean - 1.0
    text = (
        f"Drift: people in temporary housing average {_fmt(first.mean, 'people')} in the window's first year "
        f"(days {base.run.warmup_days:g}-{base.run.warmup_days + DAYS_PER_YEAR:g}) and "
        f"{_fmt(last.mean, 'people')} in the last year of the run ({change:+.0%}). "
    )
    if abs(change) <= 0.10:
        return text + "The run is close to a steady state over its window."
    return text + (
        "The run is not in a steady state, so the patterns (averages over the whole window) depend on the run's "
        "length. Two mechanisms drive the rise: units lost after evictions are never rebuilt (F8), and people "
        "whose housing competence is below the threshold for leaving to housing of their own accumulate "
        "(tests/test_littles_law.py: the baseline without unit losses settles only after 15-20 years)."
    )


def render_report(
    *,
    command: str,
    base: Scenario,
    replications: int,
    results: Sequence[PatternResult],
    contrasts: Sequence[ContrastResult],
    frames: Mapping[str, pd.DataFrame],
    search_text: str | None,
) -> str:
    """The whole of ``docs/calibration.md``."""
    searched = {p.key: _plain(get_value(base, p.key)) for p in SEARCH_SPACE}
    proposed = proposed_from(search_text) if search_text else None
    lines = [
        "# Calibration and face validity",
        "",
        "<!-- Written by `pathways calibrate` (sim/experiments/calibration.py). Do not edit by hand: change the code or "
        "the baseline and run the command again. -->",
        "",
        f"Written by `{command}` (`sim/experiments/calibration.py`); not edited by hand.",
        "",
        f"Evaluated: `scenarios/baseline.toml` (parameter fingerprint `{fingerprint(base)}`), {replications} "
        f"replications of {base.run.years:g} years, of which the first {base.run.warmup_days:g} days are "
        f"warm-up, seed {base.seed}. Intervals are 95% Student-t intervals over replications.",
        "",
        "## Patterns",
        "",
        "The patterns a credible baseline should reproduce together (`shared/domain.md`; pattern-oriented "
        "modelling, Grimm et al. 2005). The bands are defined with their sources in `sim/experiments/calibration.py` "
        "(`PATTERNS`); a pattern is met when the baseline's mean lies inside its band.",
        "",
        *pattern_table(results),
        "",
        verdict(results),
        "",
        drift_sentence(frames["baseline"], base),
        "",
        "The searched parameters in the evaluated baseline:",
        "",
        "| parameter | value |",
        "|---|---:|",
        *(f"| `{k}` | {_value(v)} |" for k, v in searched.items()),
        "",
    ]
    if proposed is not None:
        same = all(
            k in proposed and math.isclose(float(proposed[k]), float(v), rel_tol=1e-12, abs_tol=1e-15)
            for k, v in searched.items()
        )
        lines += [
            "These are the values proposed by the last search (below): "
            + ("**yes**." if same else "**no** (the baseline differs from the proposal)."),
            "",
        ]
    lines += [
        "## Face validity",
        "",
        "Housing First (scenario `housing_first`) against usual services (the baseline), F16; and people "
        "placed in staffed units against people placed in ordinary units, both in the baseline, F17 "
        f"(recovery housing against usual aftercare). Same seeds and {replications} replications in both "
        "runs, so differences are paired by replication.",
        "",
        *face_table(contrasts),
        "",
        *face_sentences(contrasts),
        "",
        "Placements per replication in the baseline's window: "
        + ", ".join(
            f"{kind} {frames['baseline'][f'{kind}_placements'].mean():.1f}" for kind in PLACEMENT_TYPES
        )
        + ".",
        "",
        "Other outcomes of the two runs (means over replications), to read the contrasts:",
        "",
        *supporting_table(frames),
        "",
    ]
    lines.append(search_text if search_text else "## Search\n\nNo search has been recorded yet "
                 "(`pathways calibrate --search --samples N`).")
    lines += ["", DEFINITIONS]
    return "\n".join(lines).rstrip() + "\n"


# ----------------------------------------------------------------------------- the command's work


@dataclass
class CalibrationRun:
    """Everything one ``pathways calibrate`` produced."""

    report: str
    results: list[PatternResult]
    contrasts: list[ContrastResult]
    search: SearchResult | None
    proposed: dict[str, Any] | None


def calibrate(
    *,
    command: str,
    base: Scenario,
    replications: int,
    search_samples: int | None = None,
    search_replications: int = 4,
    rounds: int = 3,
    seed: int = SEARCH_SEED,
    workers: int | None = None,
    out: Path = REPORT_PATH,
    progress: Callable[[str, int, int], None] | None = None,
) -> CalibrationRun:
    """Check the baseline against the patterns and the trials (and search first if asked); write
    the report to ``out``.

    Args:
        command: The command line, recorded in the report.
        base: The baseline scenario (as loaded; ``run.years`` may be overridden by the caller).
        replications: Replications of the check (baseline and ``housing_first``).
        search_samples: Run a search with this many points first; ``None``: check only, keeping
            the search section of an existing report.
        search_replications: Replications per search point.
        rounds: Rounds of the search (see :func:`search`).
        seed: The Latin hypercube's seed.
        workers: Worker processes.
        out: Where to write the report.
        progress: Called with (stage, done, total).

    Returns:
        The report text and what went into it.
    """
    def stage(name: str) -> Callable[[int, int], None] | None:
        return None if progress is None else (lambda done, total: progress(name, done, total))

    found: SearchResult | None = None
    search_text = existing_search_section(out)
    proposed = proposed_from(search_text) if search_text else None
    if search_samples is not None:
        found = search(base, search_samples, search_replications, rounds=rounds, confirm_replications=replications,
                       seed=seed, workers=workers, progress=stage("search"))  # fmt: skip
        proposed = found.point(found.chosen) if found.chosen is not None else None

    runs = evaluate_many([base, _housing_first(base)], replications, workers=workers, progress=stage("check"))
    frames = {"baseline": runs[0], "housing_first": runs[1]}
    results = check_patterns(frames["baseline"])
    if found is not None:
        confirmation = check_patterns(found.frames[found.chosen]) if found.chosen is not None else None
        before = {p.key: _plain(get_value(base, p.key)) for p in SEARCH_SPACE}
        search_text = search_section(found, before, confirmation, command, base)
    contrasts = face_validity(frames)
    report = render_report(
        command=command, base=base, replications=replications, results=results, contrasts=contrasts,
        frames=frames, search_text=search_text,
    )  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(report, encoding="utf-8")
    tmp.replace(out)
    return CalibrationRun(report, results, contrasts, found, proposed)


def _housing_first(base: Scenario) -> Scenario:
    """The ``housing_first`` scenario on top of ``base`` (its own keys over the baseline's), with
    ``base``'s run settings and seed, so the two runs are paired."""
    raw = scenarios.load("housing_first").to_dict()
    shipped = scenarios.load("baseline").to_dict()
    policy = _diff(raw, shipped)
    merged = scenarios.with_overrides(base, policy)
    return scenarios.with_overrides(merged, {"name": "housing_first"})


def _diff(new: Mapping[str, Any], old: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of ``new`` whose values differ from ``old`` (nested tables compared key by key)."""
    out: dict[str, Any] = {}
    for key, value in new.items():
        if isinstance(value, Mapping) and isinstance(old.get(key), Mapping) and key != "units":
            sub = _diff(value, old[key])
            if sub:
                out[key] = sub
        elif old.get(key) != value:
            out[key] = value
    return out
