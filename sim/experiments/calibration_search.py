"""The calibration search: Latin hypercubes over the baseline's uncertain parameters.

* :data:`SEARCH_SPACE`: the uncertain ("assumption") parameters of ``scenarios/baseline.toml``
  that the search varies, and their ranges;
* :func:`search`: rounds of Latin hypercubes with a fixed seed, each later round zoomed in on the
  best point so far; the points where every pattern (``sim.experiments.calibration.PATTERNS``)
  falls in its band are confirmed with more replications and one is chosen by
  :func:`choose_point`'s rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from sim import config as scenarios
from sim.config import Scenario
from sim.experiments.calibration import (
    CHECK_REPLICATIONS,
    IMPLAUSIBILITY_CUTOFF,
    PATTERNS,
    PatternResult,
    all_met,
    check_patterns,
    evaluate_many,
    pattern_means,
    worst_margin,
)

SEARCH_SEED = 20240917  # the Latin hypercube's seed: the search is repeatable
#: How many of the screened points that met every band are confirmed, at most.
CONFIRM_CANDIDATES = 5


@dataclass(frozen=True)
class SearchParameter:
    """An uncertain parameter the search varies, uniformly between ``low`` and ``high``.

    Values are rounded to ``digits`` significant digits (integers for ``integer``), so a proposed
    point can be written into ``baseline.toml`` exactly as it was evaluated.

    Attributes:
        key: The dotted key in the scenario (``"treatment.beds"``).
        low: Lower end of the range.
        high: Upper end of the range.
        integer: Whether the values are whole numbers.
        digits: Significant digits of a value that is not an integer.
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


SEARCH_SPACE: tuple[SearchParameter, ...] = (
    SearchParameter("inflow.nav_homeless_per_year", 25.0, 60.0),
    SearchParameter("temporary.leave_rate_per_day", 0.001, 0.006),
    SearchParameter("exits.own_housing_rate_per_year_homeless", 1.0, 4.0),
    SearchParameter("exits.own_housing_competence_midpoint", 0.15, 0.45),
    SearchParameter("choice.decline_prob_other_zone", 0.2, 0.6),
    SearchParameter("choice.decline_odds_ratio_in_temporary", 1.0, 4.0),
    SearchParameter("treatment.referral_rate_per_day_using", 0.015, 0.040),
    SearchParameter("treatment.beds", 24, 40, integer=True),
    SearchParameter("relapse.remission_rate_per_day", 0.002, 0.008),
    SearchParameter("temporary.street_to_nav_rate_per_day", 0.005, 0.06),
    SearchParameter("discharge.treatment_to_temporary_prob", 0.3, 0.9),
)


def plain(value: Any) -> Any:
    """numpy scalars as plain Python numbers (for TOML, JSON and printing); other values as they are."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def get_value(scenario: Scenario, key: str) -> Any:
    """The value of a dotted key (``"treatment.beds"``) in a scenario."""
    node: Any = scenario.to_dict()
    for part in key.split("."):
        node = node[part]
    return node


def searched_values(scenario: Scenario) -> dict[str, Any]:
    """The values of the searched parameters (:data:`SEARCH_SPACE`) in a scenario, by key."""
    return {p.key: plain(get_value(scenario, p.key)) for p in SEARCH_SPACE}


def apply_point(base: Scenario, point: Mapping[str, Any]) -> Scenario:
    """``base`` with a point's parameter values (dotted keys)."""
    return scenarios.with_overrides(base, scenarios.nest(dict(point)))


def latin_hypercube(
    space: Sequence[SearchParameter],
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

    Returns:
        The points, each a dict of parameter key to value.
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


def zoom_box(
    space: Sequence[SearchParameter], centre: Mapping[str, Any], width: float
) -> dict[str, tuple[float, float]]:
    """A box of ``width`` (a fraction of each full range) around ``centre``, shifted to stay inside
    the full ranges."""
    box = {}
    for p in space:
        u = (float(centre[p.key]) - p.low) / (p.high - p.low)
        lo = min(max(u - width / 2.0, 0.0), 1.0 - width)
        box[p.key] = (lo, lo + width)
    return box


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
        """The parameter values of a row of :attr:`table`."""
        return _table_point(self.table, row)

    def confirmation(self) -> list[PatternResult] | None:
        """Every pattern against the chosen point's confirmation runs (``None`` if none was chosen)."""
        return None if self.chosen is None else check_patterns(self.frames[self.chosen])


def _table_point(table: pd.DataFrame, row: int) -> dict[str, Any]:
    """The parameter values of a row of a search table."""
    return {p.key: plain(table.loc[row, p.key]) for p in SEARCH_SPACE}


def choose_point(table: pd.DataFrame) -> int | None:
    """Among the rows where every pattern is in its band, the one whose worst pattern is furthest
    inside its band (largest :func:`worst_margin`; ties go to the earlier row). ``None`` if no row
    met every band."""
    ok = table[table["all_met"]]
    if ok.empty:
        return None
    return int(ok["worst_margin"].idxmax())


def accepted_frame(result: SearchResult) -> pd.DataFrame:
    """The accepted set of a search (``scenarios/calibration/accepted.parquet``, read by
    ``sim.experiments.accepted``): every screened point that no pattern rules out.

    Columns: ``point`` (its row in the search table), the searched parameters by dotted key, each
    pattern's mean over the screening replications, ``implausibility`` (the largest over the
    patterns) and ``baseline`` (the chosen point, the one the baseline takes).
    """
    t = result.table[result.table["all_met"]]
    frame = pd.DataFrame({"point": t.index.astype(int)})
    for p in SEARCH_SPACE:
        frame[p.key] = t[p.key].to_numpy()
    for p in PATTERNS:
        frame[p.name] = t[p.name].to_numpy(dtype=float)
    frame["implausibility"] = (IMPLAUSIBILITY_CUTOFF * (1.0 - t["worst_margin"])).to_numpy(dtype=float)
    frame["baseline"] = frame["point"] == (-1 if result.chosen is None else result.chosen)
    return frame


def _score(frame: pd.DataFrame) -> dict[str, Any]:
    """Each pattern's mean over the replications in ``frame``, ``all_met`` and ``worst_margin``."""
    means = pattern_means(frame)
    return {**means, "all_met": all_met(means), "worst_margin": worst_margin(means)}


def search(
    base: Scenario,
    samples: int,
    replications: int,
    *,
    rounds: int = 1,
    zoom: float = 0.5,
    confirm: int = CONFIRM_CANDIDATES,
    confirm_replications: int = CHECK_REPLICATIONS,
    seed: int = SEARCH_SEED,
    workers: int | None = None,
    executor: Executor | None = None,
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

    Args:
        base: The baseline scenario.
        samples: Points per round.
        replications: Replications per screened point.
        rounds: Rounds of screening.
        zoom: How much narrower each later round's box is.
        confirm: How many candidates to confirm, at most.
        confirm_replications: Replications of each confirmation.
        seed: The Latin hypercube's seed (round ``k`` uses ``seed + k``).
        workers: Processes of a local pool (see ``evaluate_many``); ignored with ``executor``.
        executor: Run on this executor instead; it is left open.
        progress: Called with (done, total) replications.

    Returns:
        Every screened point, the confirmations and the choice.
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
        runs = [apply_point(base, p) for p in points]
        frames = evaluate_many(runs, replications, face=False, workers=workers, executor=executor, progress=step)
        done += len(runs) * replications
        rows += [{"round": k, **point, **_score(frame)} for point, frame in zip(points, frames, strict=True)]
    table = pd.DataFrame(rows)

    ok = table[table["all_met"]].sort_values("worst_margin", ascending=False, kind="stable")
    candidates = [int(i) for i in ok.index[:confirm]]
    runs = [apply_point(base, _table_point(table, i)) for i in candidates]
    confirmations = evaluate_many(
        runs, confirm_replications, face=False, workers=workers, executor=executor, progress=step
    )
    frames = dict(zip(candidates, confirmations, strict=True))
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
