"""Face validity of every shipped scenario: the expected direction of its outcomes, the observed
paired difference from the base, and a verdict.

The expectations are data (``scenarios/checks/face_validity.toml``): for each scenario, the outcomes a
source gives a direction for (``expect``), absolute checks (``check``, e.g. "at least three
quarters of the bought flats are let within a year"), the mechanism that explains a result that
is not as expected (``explain``), and, for a named policy package, its levers (``levers``), each
of which is also run alone. This module loads that file, runs everything with common random
numbers (:func:`sim.experiments.calibration.evaluate_many`) and computes the verdicts; the
Markdown is :mod:`sim.reports.face_validity_report`, the command ``pathways face-validity``.

A verdict is computed, never typed: ``as expected`` when the 95% interval of the paired
difference lies entirely on the expected side of 0, ``against`` when it lies entirely on the
other side, ``not significant`` when it contains 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from sim import config as sc
from sim.config import Scenario, ScenarioError, StrictModel
from sim.experiments.calibration import ContrastResult, evaluate_many, face_validity
from sim.experiments.defaults import FULL_REPLICATIONS, SPEC_PATH
from sim.measures.metrics import METRICS
from sim.measures.statistics import Interval, mean_ci

#: Keys that name or describe a scenario rather than change the model.
NOT_LEVERS = ("name", "description")

Verdict = Literal["as expected", "against", "not significant", "no value"]


class Expectation(StrictModel):
    """The direction a source expects an outcome to move in, against the base."""

    direction: Literal["lower", "higher"]
    source: str = Field(min_length=1)


class Check(StrictModel):
    """An absolute bound a scenario's own value must meet (not a difference)."""

    at_least: float | None = None
    at_most: float | None = None
    source: str = Field(min_length=1)


class ScenarioSpec(StrictModel):
    """What is expected of one scenario."""

    expect: dict[str, Expectation] = Field(default_factory=dict)
    check: dict[str, Check] = Field(default_factory=dict)
    explain: dict[str, str] = Field(default_factory=dict)
    levers: dict[str, list[str]] = Field(default_factory=dict)
    lever_notes: dict[str, str] = Field(default_factory=dict)  # a lever alone that moves an outcome the wrong way


class Spec(StrictModel):
    """The whole expectations file."""

    base: str
    scenarios: dict[str, ScenarioSpec] = Field(min_length=1)


@dataclass(frozen=True)
class Row:
    """One outcome of one scenario (or of one lever of a package run alone)."""

    scenario: str
    metric: str
    expected: Expectation | None
    difference: Interval
    verdict: Verdict | None  # None for a lever run alone: observed only
    explanation: str | None


@dataclass(frozen=True)
class CheckRow:
    """An absolute check of one scenario."""

    scenario: str
    metric: str
    check: Check
    value: Interval

    @property
    def met(self) -> bool | None:
        """The mean meets the bound (``None`` without a value)."""
        v = self.value.mean
        if math.isnan(v):
            return None
        low_ok = self.check.at_least is None or v >= self.check.at_least
        high_ok = self.check.at_most is None or v <= self.check.at_most
        return low_ok and high_ok


@dataclass
class FaceValidity:
    """Every scenario's rows, the packages' levers run alone, and the trials' contrasts.

    Attributes:
        base: The base scenario.
        scenarios: The shipped scenarios compared, in the file's order.
        levers: For each package, its levers run alone: (lever name, the keys, the scenario).
        rows: One per (scenario or lever, expected outcome).
        checks: One per absolute check.
        contrasts: The published trials' contrasts (F16, F17), when ``housing_first`` is compared.
        replications: Replications of every run.
        changed: For each scenario and lever, the keys it changes against the base.
        lever_notes: For each package, the mechanism behind a lever alone that moves an outcome
            against the package's expectation (from the file; shown under the lever table).
    """

    base: Scenario
    scenarios: list[Scenario]
    levers: dict[str, list[tuple[str, list[str], Scenario]]]
    rows: list[Row]
    checks: list[CheckRow]
    contrasts: list[ContrastResult]
    replications: int
    changed: dict[str, list[str]] = field(default_factory=dict)
    lever_notes: dict[str, dict[str, str]] = field(default_factory=dict)

    def count(self, verdict: Verdict) -> int:
        """How many rows of the shipped scenarios (not levers alone) have this verdict."""
        return sum(1 for r in self.rows if r.verdict == verdict)

    def unexplained(self) -> list[Row]:
        """Rows against expectation with no explanation in the file."""
        return [r for r in self.rows if r.verdict == "against" and not r.explanation]


def load_spec(path: Path = SPEC_PATH) -> Spec:
    """Read and check the expectations file.

    Raises:
        ScenarioError: The file cannot be read, or names an unknown metric; one line per problem.
    """
    data = sc.read_toml(path)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)
        ]
        raise ScenarioError(str(path), problems) from None
    problems = []
    for name, s in spec.scenarios.items():
        for part, table in (("expect", s.expect), ("check", s.check), ("explain", s.explain)):
            problems += [
                f"scenarios.{name}.{part}.{metric}: no such metric; see docs/metrics.md"
                for metric in table
                if metric not in METRICS
            ]
        problems += [
            f"scenarios.{name}.lever_notes.{lever}: no such lever; the levers are: {', '.join(s.levers) or 'none'}"
            for lever in s.lever_notes
            if lever not in s.levers
        ]
        problems += [
            f"scenarios.{name}.explain.{metric}: explains an outcome with no expectation; add it to expect"
            for metric in s.explain
            if metric in METRICS and metric not in s.expect
        ]
    if problems:
        raise ScenarioError(str(path), problems)
    return spec


def changed_keys(scenario: Scenario, base: Scenario) -> list[str]:
    """The dotted keys whose value differs from the base's (a list such as ``stock.additions``
    counts as one key), name and description left out."""
    mine, theirs = sc.flatten(scenario.to_dict()), sc.flatten(base.to_dict())
    keys = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
    return [k for k in keys if k not in NOT_LEVERS]


def lever_scenario(package: Scenario, base: Scenario, lever: str, keys: list[str]) -> Scenario:
    """The base with only ``keys`` set to the package's values: one lever of the package alone."""
    values = sc.flatten(package.to_dict())
    overrides = sc.nest({k: values[k] for k in keys})
    overrides["name"] = f"{package.name}.{lever}"
    overrides["description"] = f"{package.name}'s lever {lever!r} alone: " + ", ".join(
        f"{k} = {values[k]!r}" for k in keys
    )
    return sc.with_overrides(base, overrides)


#: What :func:`build` returns: the base, the scenarios, each package's levers alone
#: (lever name, its keys, its scenario) and each run's changed keys.
Built = tuple[Scenario, list[Scenario], dict[str, list[tuple[str, list[str], Scenario]]], dict[str, list[str]]]


def build(spec: Spec, *, replications: int, years: float | None = None, spec_source: str = str(SPEC_PATH)) -> Built:
    """The base, the shipped scenarios and the packages' levers, with the base's seed, the given
    replications and (if given) years, ready to run with common random numbers.

    Raises:
        ScenarioError: A scenario cannot be loaded, or a package's levers do not name exactly
            the keys the package changes (each once).
    """
    run: dict[str, Any] = {"replications": replications}
    if years is not None:
        run["years"] = years
    base = sc.load(spec.base, overrides={"run": run})
    shared = {"seed": base.seed, "run": {"replications": replications, "years": base.run.years}}
    scenarios = [sc.load(name, overrides=shared) for name in spec.scenarios]
    levers: dict[str, list[tuple[str, list[str], Scenario]]] = {}
    changed: dict[str, list[str]] = {}
    problems: list[str] = []
    for scenario in scenarios:
        keys = changed_keys(scenario, base)
        changed[scenario.name] = keys
        named = spec.scenarios[scenario.name].levers
        if not named:
            continue
        listed = [k for ks in named.values() for k in ks]
        twice = sorted({k for k in listed if listed.count(k) > 1})
        missing = [k for k in keys if k not in listed]
        extra = [k for k in listed if k not in keys]
        where = f"scenarios.{scenario.name}.levers"
        problems += [f"{where}: {k} is in two levers; give each key to one lever" for k in twice]
        problems += [f"{where}: {k} is changed by the package but in no lever" for k in missing]
        problems += [f"{where}: {k} is not changed by the package (it has the base's value)" for k in extra]
        if not (twice or missing or extra):
            levers[scenario.name] = [
                (lever, ks, lever_scenario(scenario, base, lever, ks)) for lever, ks in named.items()
            ]
            for lever, ks, _ in levers[scenario.name]:
                changed[f"{scenario.name}.{lever}"] = ks
    if problems:
        raise ScenarioError(spec_source, problems)
    return base, scenarios, levers, changed


def verdict(expected: Expectation, difference: Interval) -> Verdict:
    """``as expected``, ``against`` or ``not significant`` for a paired difference."""
    low, high = difference.low, difference.high
    if math.isnan(difference.mean):
        return "no value"
    if math.isnan(low) or low <= 0.0 <= high:
        return "not significant"
    lower = high < 0.0
    return "as expected" if lower == (expected.direction == "lower") else "against"


def assess(
    spec: Spec,
    *,
    replications: int = FULL_REPLICATIONS,
    years: float | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    spec_source: str = str(SPEC_PATH),
    built: Built | None = None,
) -> FaceValidity:
    """Run the base, every scenario of ``spec`` and every package lever alone, and judge them.

    Args:
        spec: The expectations (:func:`load_spec`).
        replications: Replications of every run (common random numbers: replication ``r`` of
            every run has the same seed).
        years: Years per run, warm-up included (default: the base's).
        workers: Processes of a local pool (default: the number of cores).
        executor: Run on this executor instead; it is left open.
        progress: Called with (done, total) after each replication.
        spec_source: The file the spec came from, for messages.
        built: What :func:`build` returned for the same arguments, if already called (the
            command builds first, to refuse a bad file before it opens an executor).
    """
    if built is None:
        built = build(spec, replications=replications, years=years, spec_source=spec_source)
    base, scenarios, levers, changed = built
    lever_runs = [s for items in levers.values() for _, _, s in items]
    runs = [base, *scenarios, *lever_runs]
    frames = evaluate_many(runs, replications, workers=workers, executor=executor, progress=progress)
    by_name = {s.name: f for s, f in zip(runs, frames, strict=True)}
    base_frame = by_name[base.name]

    def diff(name: str, metric: str) -> Interval:
        a = by_name[name][metric].to_numpy(dtype=float) - base_frame[metric].to_numpy(dtype=float)
        return mean_ci(a)

    rows: list[Row] = []
    checks: list[CheckRow] = []
    for scenario in scenarios:
        s = spec.scenarios[scenario.name]
        for metric, expected in s.expect.items():
            d = diff(scenario.name, metric)
            v = verdict(expected, d)
            rows.append(Row(scenario.name, metric, expected, d, v, s.explain.get(metric) if v != "as expected" else None))
        for metric, check in s.check.items():
            checks.append(CheckRow(scenario.name, metric, check, mean_ci(by_name[scenario.name][metric].to_numpy(dtype=float))))
        for lever, _, lever_run in levers.get(scenario.name, []):
            for metric, expected in s.expect.items():
                rows.append(Row(lever_run.name, metric, expected, diff(lever_run.name, metric), None, None))
    contrasts: list[ContrastResult] = []
    if "housing_first" in by_name:
        contrasts = face_validity({"baseline": base_frame, "housing_first": by_name["housing_first"]})
    notes = {name: dict(s.lever_notes) for name, s in spec.scenarios.items() if s.lever_notes}
    return FaceValidity(base, scenarios, levers, rows, checks, contrasts, replications, changed, notes)
