"""Comparing scenarios with common random numbers: means and paired differences.

Every scenario is run with the same seed and number of replications, so replication ``r`` of
every scenario has the same seed; within a replication each person has an own random stream
(``HousingModel.stream_rng``), so the same person meets the same luck wherever the scenarios
agree. The difference from the base is therefore taken replication by replication (paired), and
its 95% interval is the Student-t interval of the paired differences -- much narrower than the
difference of two independent intervals.

This module computes; the findings in plain words, the figures and the report are
:mod:`sim.reports.text` and :mod:`sim.reports.compare_report`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import Scenario, ScenarioError, with_overrides
from sim.experiments.replications import RunResult, run_scenarios
from sim.measures.metrics import METRICS, summarise


@dataclass
class Comparison:
    """The result of comparing scenarios.

    Attributes:
        results: One run per scenario, the base first.
        table: One row per (metric, scenario): ``mean``, ``ci_low``, ``ci_high``, and for the
            alternatives the paired difference from the base ``diff``, ``diff_ci_low``,
            ``diff_ci_high`` (``NaN`` for the base).
        replications: Every replication's metrics, with a ``scenario`` column.
        notes: Caveats (e.g. scenarios with different run lengths).
    """

    results: list[RunResult]
    table: pd.DataFrame
    replications: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def base(self) -> Scenario:
        """The base scenario."""
        return self.results[0].scenario

    @property
    def names(self) -> list[str]:
        """Scenario names, the base first."""
        return [r.scenario.name for r in self.results]

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.table._repr_html_()


def distinct_names(scenarios: Sequence[Scenario], sources: Sequence[object]) -> list[Scenario]:
    """Rename scenarios that share a name after the file they came from, where that tells them apart.

    A scenario file that ``extends`` the baseline without a ``name`` of its own is still called
    ``baseline``; ``pathways compare baseline my_policy.toml`` then calls it ``my_policy``.
    """
    names = [s.name for s in scenarios]
    out = []
    for scenario, source in zip(scenarios, sources, strict=True):
        stem = Path(str(source)).stem
        if names.count(scenario.name) > 1 and stem != scenario.name and stem not in names:
            scenario = with_overrides(scenario, {"name": stem})
            names.append(stem)
        out.append(scenario)
    return out


def prepare(
    scenarios: Sequence[Scenario], *, seed: int | None = None, replications: int | None = None
) -> list[Scenario]:
    """Give every scenario the same seed and number of replications (the base's unless given).

    Raises:
        ScenarioError: Two scenarios have the same name, or fewer than two are given.
    """
    if len(scenarios) < 2:
        raise ScenarioError("compare", ["give a base scenario and at least one alternative"])
    names = [s.name for s in scenarios]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ScenarioError(
            "compare", [f"scenario name {n!r} is given twice; each scenario must have its own name" for n in twice]
        )
    base = scenarios[0]
    seed = base.seed if seed is None else seed
    replications = base.run.replications if replications is None else replications
    return [with_overrides(s, {"seed": seed, "run": {"replications": replications}}) for s in scenarios]


def compare(
    scenarios: Sequence[Scenario],
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: bool = False,
) -> Comparison:
    """Run the scenarios (base first) with common random numbers and compare them.

    Args:
        scenarios: The base then the alternatives, already given the same seed and replications
            (see :func:`prepare`).
        workers: Local processes (default: the number of cores).
        executor: Any ``concurrent.futures`` executor instead of the local pool.
        progress: Show a progress bar.
    """
    seeds = {(s.seed, s.run.replications) for s in scenarios}
    if len(seeds) != 1:
        raise ValueError("every scenario must have the same seed and replications; use prepare() first")
    results = run_scenarios(list(scenarios), workers=workers, executor=executor, progress=progress)
    return from_results(results)


def from_results(results: list[RunResult]) -> Comparison:
    """Build the comparison from runs that share their replication seeds (the base first)."""
    base = results[0]
    rows: list[dict[str, Any]] = []
    diffs = {r.scenario.name: paired_differences(base.replications, r.replications) for r in results[1:]}
    for metric, meta in METRICS.items():
        for r in results:
            name = r.scenario.name
            s = r.summary["metrics"][metric]
            d = diffs[name][metric] if name in diffs else {"mean": None, "ci95": [None, None]}
            n = int(r.replications[metric].notna().sum())
            rows.append(
                {
                    "metric": metric,
                    "unit": meta.unit,
                    "scenario": name,
                    "is_base": name == base.scenario.name,
                    "replications": n,
                    "mean": _nan(s["mean"]),
                    "ci_low": _nan(s["ci95"][0]),
                    "ci_high": _nan(s["ci95"][1]),
                    "diff": _nan(d["mean"]),
                    "diff_ci_low": _nan(d["ci95"][0]),
                    "diff_ci_high": _nan(d["ci95"][1]),
                }
            )
    table = pd.DataFrame(rows)
    reps = pd.concat(
        [r.replications.assign(scenario=r.scenario.name) for r in results], ignore_index=True
    )
    reps = reps[["scenario", *[c for c in reps.columns if c != "scenario"]]]
    return Comparison(results, table, reps, _notes(results))


def paired_differences(base: pd.DataFrame, alt: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Mean and 95% t-interval of ``alt - base``, replication by replication, for every metric.

    A replication where either scenario has no value for a metric is left out of that metric.
    """
    if list(base["seed"]) != list(alt["seed"]):
        raise ValueError("paired differences need the same replication seeds in both scenarios")
    diff = alt[list(METRICS)].reset_index(drop=True) - base[list(METRICS)].reset_index(drop=True)
    return summarise(diff, bounded=False)


def _nan(value: float | None) -> float:
    """``None`` (no value in a summary) as ``nan``, so the table's columns stay numeric."""
    return math.nan if value is None else float(value)


def _notes(results: list[RunResult]) -> list[str]:
    """Caveats about the comparison itself: scenarios observed over different windows."""
    windows = {(r.scenario.run.years, r.scenario.run.warmup_days) for r in results}
    if len(windows) > 1:
        return [
            ("The scenarios have different run lengths or warm-ups (run.years, run.warmup_days): the "
            "differences mix the policy with the observation window. Use --years or --set run.warmup_days=... "
            "to give them the same.")
        ]
    return []
