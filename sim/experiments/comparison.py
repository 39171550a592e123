"""Comparing scenarios with common random numbers: means, paired differences, plain words.

Every scenario is run with the same seed and number of replications, so replication ``r`` of
every scenario has the same seed; within a replication each person has an own random stream
(``HousingModel.stream_rng``), so the same person meets the same luck wherever the scenarios
agree. The difference from the base is therefore taken replication by replication (paired), and
its 95% interval is the Student-t interval of the paired differences -- much narrower than the
difference of two independent intervals.
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

# The rows a planner sees first (report, console), in this order.
HEADLINE = (
    "temp_share_over_90d",
    "temp_days_mean",
    "temp_occupancy_mean",
    "street_count_mean",
    "discharge_to_street_share",
    "readmission_within_365d_share",
    "relapse_within_90d_share",
    "revolving_door_persons",
)

# What each metric is, in a planner's words (docs/metrics.md has the exact definitions).
PLAIN: dict[str, str] = {
    "temp_days_mean": "average length of a temporary stay",
    "temp_days_median": "median length of a temporary stay",
    "temp_days_p90": "length of the longest tenth of temporary stays (90th percentile)",
    "temp_share_over_90d": "share of temporary stays over 90 days",
    "temp_occupancy_mean": "people in temporary housing on an average day",
    "street_count_mean": "people on the street or a friend's sofa on an average day",
    "discharges": "discharges from treatment and prison",
    "discharge_to_housing_share": "share of discharges straight to a home",
    "discharge_to_temporary_share": "share of discharges to temporary housing",
    "discharge_to_street_share": "share of discharges to the street or a sofa",
    "relapse_within_90d_share": "share of discharges followed by relapse within 90 days",
    "readmission_within_365d_share": "share of treatment discharges readmitted within a year",
    "revolving_door_persons": "people with 3 or more admissions within a year",
    "repeat_homeless_persons": "people homeless twice or more",
    "evictions": "evictions",
    "relapses": "relapses",
    "waitlist_mean": "people on the housing waiting list on an average day",
    "offers_made": "offers of municipal housing",
    "offers_declined": "offers declined",
    "municipal_occupancy_share": "share of municipal units let",
    "treatment_wait_days_mean": "average wait for treatment",
    "deaths": "deaths",
}


@dataclass
class Comparison:
    """The result of comparing scenarios.

    Attributes:
        results: One run per scenario, the base first.
        table: One row per (metric, scenario): ``mean``, ``ci_low``, ``ci_high``, and for the
            alternatives the paired difference from the base ``diff``, ``diff_ci_low``,
            ``diff_ci_high`` (``NaN`` for the base).
        replications: Every replication's metrics, with a ``scenario`` column.
        lines: The headline findings in plain words, one per (alternative, headline metric).
        notes: Caveats (e.g. scenarios with different run lengths).
    """

    results: list[RunResult]
    table: pd.DataFrame
    replications: pd.DataFrame
    lines: list[str]
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


def label(name: str) -> str:
    """A scenario's name as a title: ``housing_ready`` -> ``Housing ready``."""
    text = name.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


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
    lines = [
        plain_line(r.scenario.name, metric, table)
        for r in results[1:]
        for metric in HEADLINE
    ]
    return Comparison(results, table, reps, lines, _notes(results))


def paired_differences(base: pd.DataFrame, alt: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Mean and 95% t-interval of ``alt - base``, replication by replication, for every metric.

    A replication where either scenario has no value for a metric is left out of that metric.
    """
    if list(base["seed"]) != list(alt["seed"]):
        raise ValueError("paired differences need the same replication seeds in both scenarios")
    diff = alt[list(METRICS)].reset_index(drop=True) - base[list(METRICS)].reset_index(drop=True)
    return summarise(diff)


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _notes(results: list[RunResult]) -> list[str]:
    windows = {(r.scenario.run.years, r.scenario.run.warmup_days) for r in results}
    if len(windows) > 1:
        return [
            "The scenarios have different run lengths or warm-ups (run.years, run.warmup_days): the "
            "differences mix the policy with the observation window. Use --years or --set run.warmup_days=... "
            "to give them the same."
        ]
    return []


# ----------------------------------------------------------------------------- plain words


def number(value: float, decimals: int | None = None) -> str:
    """A number for people: no decimals from 10 up, one below (unless ``decimals`` says); no ``-0``."""
    if decimals is None:
        decimals = 0 if abs(value) >= 9.95 else 1
    text = f"{value:.{decimals}f}"
    return "0" if float(text) == 0 else text


def _decimals(*values: float) -> int:
    """One precision for numbers shown together: none if all are 10 or more, else one decimal
    (two if a value that is not zero would show as 0)."""
    if all(abs(v) >= 9.95 for v in values):
        return 0
    return 2 if any(0 < abs(v) < 0.05 for v in values) else 1


def quantity(value: float, unit: str) -> str:
    """A metric's value with its unit: ``24%``, ``65 days``, ``42``, ``26 a year``."""
    if math.isnan(value):
        return "no data"
    if unit == "share":
        return f"{number(value * 100)}%"
    if unit == "days":
        return f"{number(value)} days"
    if unit == "per year":
        return f"{number(value)} a year"
    return number(value)


def difference(value: float, unit: str, decimals: int | None = None) -> str:
    """A difference with its unit: ``-13 points``, ``-25 days``, ``+3``."""
    if unit == "share":
        return f"{_signed(value * 100, decimals)} points"
    if unit == "days":
        return f"{_signed(value, decimals)} days"
    if unit == "per year":
        return f"{_signed(value, decimals)} a year"
    return _signed(value, decimals)


def _signed(value: float, decimals: int | None = None) -> str:
    text = number(value, decimals)
    return text if text.startswith("-") or text == "0" else f"+{text}"


def _scaled(value: float, unit: str) -> float:
    return value * 100 if unit == "share" else value


def plain_line(name: str, metric: str, table: pd.DataFrame) -> str:
    """One finding in plain words.

    ``Housing ready: share of temporary stays over 90 days 24% -> 11% (difference -13 points,
    95% CI -16 to -10)``; ``no clear difference`` is added when the interval includes zero.
    """
    rows = table[table["metric"] == metric].set_index("scenario")
    base_name = rows.index[rows["is_base"]][0]
    b, a = rows.loc[base_name], rows.loc[name]
    unit = str(a["unit"])
    head = f"{label(name)}: {PLAIN.get(metric, METRICS[metric].description.lower())} "
    head += f"{quantity(b['mean'], unit)} -> {quantity(a['mean'], unit)}"
    if math.isnan(a["diff"]):
        return head + " (no difference can be computed: no data)"
    if math.isnan(a["diff_ci_low"]):
        return head + f" (difference {difference(a['diff'], unit)}; one replication, no interval)"
    lo, hi = _scaled(a["diff_ci_low"], unit), _scaled(a["diff_ci_high"], unit)
    d = _decimals(_scaled(a["diff"], unit), lo, hi)
    ci = f"95% CI {number(lo, d)} to {number(hi, d)}"
    clear = lo > 0 or hi < 0
    return head + f" (difference {difference(a['diff'], unit, d)}, {ci})" + ("" if clear else ", no clear difference")
