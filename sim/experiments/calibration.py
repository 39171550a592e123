"""Pattern-oriented calibration of the baseline, and face validity against published trials: the checks.

The thesis and the published figures in ``docs/sources.md`` give no rates, only patterns a
credible baseline should reproduce *together* (pattern-oriented modelling, Grimm et al. 2005).
This module holds:

* :data:`PATTERNS`: each pattern, its source and its target band;
* :data:`CONTRASTS`: the trials' contrasts the model should reproduce in direction and rough size;
* running a calibration's replications on any executor (:func:`evaluate_many`) and checking the
  baseline (:func:`check_baseline`).

A pattern is *met* when the mean over replications lies inside its band (bands include their
edges). Face validity compares the ``housing_first`` scenario with the baseline (F16) and
tenants placed in staffed units with tenants placed in ordinary units (F17), in direction and
rough size. The measures are ``sim.measures.metrics``'s and ``sim.measures.patterns``'s; the
search over the uncertain parameters is in ``sim.experiments.calibration_search``; the report
``docs/calibration.md`` is rendered by ``sim.reports.calibration_report`` and written by
``pathways calibrate`` (``sim.cli.calibrate``).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import pandas as pd

from sim import config as scenarios
from sim.config import Scenario
from sim.experiments.accepted import own_keys
from sim.experiments.executors import borrowed, open_executor, run_tasks
from sim.experiments.replications import measure_replication, replication_seeds
from sim.measures.statistics import Interval, mean_ci

# ----------------------------------------------------------------------------- patterns


@dataclass(frozen=True)
class Pattern:
    """A published pattern the baseline should reproduce.

    Attributes:
        name: The measure (a ``sim.measures.metrics`` metric or a ``sim.measures.patterns`` measure).
        label: What it is, in words.
        unit: ``"share"``, ``"people"`` or ``"days"``.
        low: Lower edge of the target band (inclusive).
        high: Upper edge of the target band (inclusive).
        target: The published figure, in words.
        source: Where it comes from (thesis section or F-number of ``docs/sources.md``).
        accepts: Whether the acceptance rule uses it. A pattern that no point of the search's
            design meets together with the others is still checked and reported, but ruling
            points out by it would leave nothing: ``why_not`` says so.
        why_not: Why a pattern is not used to accept (empty when it is).
    """

    name: str
    label: str
    unit: str
    low: float
    high: float
    target: str
    source: str
    accepts: bool = True
    why_not: str = ""

    def met(self, value: float) -> bool:
        """Whether ``value`` lies in the band (``nan`` never does)."""
        return bool(self.low <= value <= self.high)

    @property
    def sigma(self) -> float:
        """The pattern's sigma: a third of the band's half-width (the band is the target +- 3 sigma)."""
        return (self.high - self.low) / (2.0 * IMPLAUSIBILITY_CUTOFF)

    def implausibility(self, value: float) -> float:
        """|value - band centre| / sigma (``inf`` for ``nan``): above 3 the point is ruled out."""
        if math.isnan(value):
            return math.inf
        return abs(value - (self.low + self.high) / 2.0) / self.sigma

    def margin(self, value: float) -> float:
        """How far inside the band ``value`` is: 1 at the centre, 0 at an edge, negative outside
        (in units of the band's half-width); ``-inf`` for ``nan``."""
        if math.isnan(value):
            return -math.inf
        half = (self.high - self.low) / 2.0
        return 1.0 - abs(value - (self.low + half)) / half


#: Implausibility above which a point is ruled out (Pukelsheim's three-sigma rule, as history
#: matching uses it: Vernon, Goldstein & Bower 2010; Andrianakis et al. 2015).
IMPLAUSIBILITY_CUTOFF = 3.0


def band(centre: float, sigma: float) -> tuple[float, float]:
    """The band ``centre +- IMPLAUSIBILITY_CUTOFF x sigma`` (symmetric: its midpoint is the target)."""
    return centre - IMPLAUSIBILITY_CUTOFF * sigma, centre + IMPLAUSIBILITY_CUTOFF * sigma


#: The patterns that can fail: measures the model produces, not inputs fed back. Each band is the
#: published figure +- 3 sigma, sigma being the uncertainty of the figure and of the model's
#: reading of it (said in ``target``); a point whose mean lies outside any band is implausible.
#: Left out, as inputs in disguise: municipal occupancy (F5; every search point met it), relapse
#: by 90 days and by a year (F12, F13; the relapse hazards are set from them), unit counts (F8).
# fmt: off
PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "temp_occupancy_mean", "People in NAV temporary housing on an average day", "people", *band(50.0, 5.0),
        "about 50 (\"over 50\", autumn 2022); sigma 5 people", "thesis 7.2.2",
    ),
    Pattern(
        "temp_households_over_90d_share", "Households in temporary housing in a year with more than 90 days there",
        "share", *band(0.19, 0.06),
        "19 % nationally (81 % of households under 3 months, 2016); sigma 6 points for a town with long stays (F4)",
        "F3, F19",
    ),
    Pattern(
        "temp_longest_stay_days", "Longest temporary stay in a year (mean over the window's years)", "days",
        *band(600.0, 70.0), "some people near 20 months (about 600 days) in 2020; sigma 70 days", "F4",
        accepts=False,
        why_not=(
            "the model's tail of long temporary stays is too thin"
        ),
    ),
    Pattern(
        "readmission_within_365d_share", "Treatment discharges readmitted to treatment within a year", "share",
        *band(0.55, 0.03), "over half (SAMDATA 2018); read as 55 %, sigma 3 points", "F11",
    ),
    Pattern(
        "treatment_wait_days_mean", "Mean wait from referral to treatment admission", "days", *band(34.0, 6.0),
        "34 days (national mean, 2018); sigma 6 days", "F10",
    ),
    Pattern(
        "homeless_per_1000", "Homeless on the census day per 1,000 inhabitants", "per 1,000 inhabitants",
        *band(0.62, 0.15),
        "0.62 nationally (2020); the model counts only people with substance dependence (about half of the "
        "homeless, F2) in a town, where rates are higher than nationally: the two are taken to cancel, sigma 0.15",
        "F1, F2",
    ),
    Pattern(
        "homeless_share_temporary", "Of the homeless on the census day, the share in temporary housing", "share",
        *band(0.37, 0.08),
        "31 % of the 83 % in F1's three places: 37 %; sigma 8 points (a national split read for one town)", "F1",
    ),
    Pattern(
        "homeless_share_institution",
        "Of the homeless on the census day, the share in an institution due out within 2 months without housing",
        "share", *band(0.27, 0.06), "22 % of the 83 %: 27 %; sigma 6 points", "F1",
    ),
)
# fmt: on


#: The patterns the acceptance rule uses.
ACCEPTING: tuple[Pattern, ...] = tuple(p for p in PATTERNS if p.accepts)


@dataclass(frozen=True)
class PatternResult:
    """A pattern and the baseline's estimate of it (mean and 95% interval over replications)."""

    pattern: Pattern
    estimate: Interval

    @property
    def met(self) -> bool:
        """The mean lies in the band."""
        return self.pattern.met(self.estimate.mean)


def check_patterns(frame: pd.DataFrame) -> list[PatternResult]:
    """Every pattern of :data:`PATTERNS` against the per-replication values in ``frame``."""
    return [PatternResult(p, mean_ci(frame[p.name].to_numpy(dtype=float))) for p in PATTERNS]


def pattern_means(frame: pd.DataFrame) -> dict[str, float]:
    """Mean over replications of each pattern's measure (``nan`` values left out)."""
    return {p.name: mean_ci(frame[p.name].to_numpy(dtype=float)).mean for p in PATTERNS}


def all_met(means: Mapping[str, float]) -> bool:
    """Every pattern used to accept (:attr:`Pattern.accepts`) has its mean in its band."""
    return all(p.met(means[p.name]) for p in ACCEPTING)


def worst_margin(means: Mapping[str, float]) -> float:
    """The smallest :meth:`Pattern.margin` over the patterns used to accept (how close the point
    is to an edge)."""
    return min(p.margin(means[p.name]) for p in ACCEPTING)


# ----------------------------------------------------------------------------- face validity


@dataclass(frozen=True)
class Contrast:
    """A trial's contrast and the model's version of it.

    Attributes:
        figure: The F-number in ``docs/sources.md``.
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
        "F16",
        "Housed 12 months after becoming homeless",
        "share",
        "housing_first",
        "homeless_housed_at_365d_share",
        "baseline",
        "homeless_housed_at_365d_share",
        0.73,
        0.31,
        "Housing First",
        "usual services",
    ),
    Contrast(
        "F16",
        "In a municipal unit 12 months after becoming homeless (the row above without own housing)",
        "share",
        "housing_first",
        "homeless_in_unit_at_365d_share",
        "baseline",
        "homeless_in_unit_at_365d_share",
        None,
        None,
        "Housing First",
        "usual services",
    ),
    Contrast(
        "F16",
        "Share of the 12 months after becoming homeless spent housed",
        "share",
        "housing_first",
        "homeless_time_housed_365d_share",
        "baseline",
        "homeless_time_housed_365d_share",
        None,
        None,
        "Housing First",
        "usual services",
    ),
    Contrast(
        "F16",
        "Days from becoming homeless to housing (median)",
        "days",
        "housing_first",
        "homeless_days_to_housing_median",
        "baseline",
        "homeless_days_to_housing_median",
        73.0,
        220.0,
        "Housing First",
        "usual services",
    ),
    Contrast(
        "F17", "Relapse within 24 months of moving in", "share",
        "recovery_house", "recovery_relapse_within_730d_share", "recovery_house", "ordinary_relapse_within_730d_share",
        0.156, 0.648, "recovery house", "ordinary unit",
    ),
)


@dataclass(frozen=True)
class ContrastResult:
    """The model's two arms of a contrast and their paired difference (policy - usual)."""

    contrast: Contrast
    policy: Interval
    usual: Interval
    difference: Interval

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
        if c.policy_run not in frames or c.usual_run not in frames:
            continue
        a = frames[c.policy_run][c.policy_measure].to_numpy(dtype=float)
        b = frames[c.usual_run][c.usual_measure].to_numpy(dtype=float)
        out.append(ContrastResult(c, mean_ci(a), mean_ci(b), mean_ci(a - b)))
    return out


# ----------------------------------------------------------------------------- running replications


def _measure_job(slot: int, index: int, scenario: Scenario, seed: int, face: bool) -> dict[str, float]:
    """Replication ``index`` of the ``slot``-th scenario of a batch (a task for an executor)."""
    return measure_replication(scenario, seed, patterns=True, face=face)


def evaluate_many(
    runs: Sequence[Scenario],
    replications: int,
    *,
    face: bool = True,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[pd.DataFrame]:
    """Run ``replications`` replications of each scenario, measuring the metrics and the patterns.

    Every scenario's replication ``r`` gets the seed ``replication_seeds(scenario.seed, ...)[r]``,
    so scenarios with the same seed share their random numbers (common random numbers). The
    results do not depend on the executor or the number of workers.

    Args:
        runs: The scenarios.
        replications: Replications of each.
        face: Also compute the face-validity measures.
        workers: Processes of a local pool; default the number of cores; ``1`` runs in this
            process. Ignored when ``executor`` is given.
        executor: Run on this executor (a process pool, a Dask client's) instead; it is left open.
        progress: Called with (done, total) after each replication.

    Returns:
        One frame per scenario, one row per replication (in replication order).
    """
    tasks = [
        (slot, index, scenario, seed, face)
        for slot, scenario in enumerate(runs)
        for index, seed in enumerate(replication_seeds(scenario.seed, replications))
    ]
    rows: dict[tuple[int, int], dict[str, float]] = {}
    pool_cm = open_executor("process", workers=workers, tasks=len(tasks)) if executor is None else borrowed(executor)
    with pool_cm as pool:
        for (slot, index, *_), row in run_tasks(pool, _measure_job, tasks):
            rows[slot, index] = row
            if progress:
                progress(len(rows), len(tasks))
    return [pd.DataFrame([rows[slot, i] for i in range(replications)]) for slot in range(len(runs))]


# ----------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class CalibrationCheck:
    """The baseline checked against the patterns and the trials.

    Attributes:
        frames: Per-replication values of the ``"baseline"`` and ``"housing_first"`` runs.
        results: Every pattern against the baseline.
        contrasts: Every face-validity contrast.
    """

    frames: dict[str, pd.DataFrame]
    results: list[PatternResult]
    contrasts: list[ContrastResult]


def check_baseline(
    base: Scenario,
    replications: int,
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CalibrationCheck:
    """Run the baseline and ``housing_first`` on top of it (same seeds), and check both.

    Args:
        base: The baseline scenario.
        replications: Replications of each run.
        workers: Processes of a local pool (see :func:`evaluate_many`).
        executor: Run on this executor instead; it is left open.
        progress: Called with (done, total) after each replication.

    Returns:
        The runs, the patterns and the contrasts.
    """
    runs = evaluate_many(
        [base, housing_first_on(base), scenario_on("recovery_house", base)],
        replications,
        workers=workers,
        executor=executor,
        progress=progress,
    )
    frames = {"baseline": runs[0], "housing_first": runs[1], "recovery_house": runs[2]}
    return CalibrationCheck(frames, check_patterns(frames["baseline"]), face_validity(frames))


def scenario_on(name: str, base: Scenario) -> Scenario:
    """The shipped scenario ``name`` on top of ``base`` (its own keys over the baseline's), with
    ``base``'s run settings and seed, so the two runs are paired."""
    policy = own_keys(scenarios.load(name))
    policy.pop("run", None)
    merged = scenarios.with_overrides(base, policy)
    return scenarios.with_overrides(merged, {"name": name})


def housing_first_on(base: Scenario) -> Scenario:
    """The ``housing_first`` scenario on top of ``base`` (:func:`scenario_on`)."""
    return scenario_on("housing_first", base)


def fingerprint(scenario: Scenario) -> str:
    """A short hash of every parameter of a scenario (the report names what it evaluated)."""
    return hashlib.sha256(scenario.to_toml().encode("utf-8")).hexdigest()[:12]
