"""Running replications of a scenario: seeds, workers and the assembled results.

Replication ``r`` of a scenario with seed ``s`` always gets the same seed (``SeedSequence(s)``'s
``r``-th child), and results are put back in replication order, so the numbers do not depend on
the number of workers or on the executor (``sim.experiments.executors``). Several scenarios can share one
pool of workers (:func:`run_scenarios`), which is how ``pathways compare`` runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.config import Scenario
from sim.measures.metrics import (
    Setting,
    replication_metrics,
    summarise,
    summarise_per_1000,
    summarise_years,
    yearly_metrics,
)
from sim.measures.patterns import face_validity_measures, pattern_measures
from sim.measures.stationarity import summary_with_stationarity
from sim.model import HousingModel


@dataclass
class Replication:
    """What one replication returns."""

    index: int
    seed: int
    metrics: dict[str, float]
    spells: pd.DataFrame
    states: pd.DataFrame
    yearly: pd.DataFrame  # the yearly measures, one row per counted year


@dataclass
class RunResult:
    """All replications of one scenario."""

    scenario: Scenario
    replications: pd.DataFrame  # one row per replication, every metric
    spells: pd.DataFrame  # one row per person-spell
    states: pd.DataFrame  # counts by state over time
    summary: dict[str, object]  # the content of summary.json
    yearly: pd.DataFrame | None = None  # the yearly measures, one row per (replication, counted year)


def replication_seed(seed: int, index: int) -> int:
    """The 63-bit seed of replication ``index`` of a run with ``seed``: the ``index``-th child of
    ``SeedSequence(seed)`` (what ``SeedSequence(seed).spawn`` gives), independent of the others."""
    child = np.random.SeedSequence(seed, spawn_key=(index,))
    return int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Independent 63-bit seeds for replications ``0 .. replications-1`` of a run with ``seed``."""
    return [replication_seed(seed, index) for index in range(replications)]


def run_replication(scenario: Scenario, index: int, seed: int) -> Replication:
    """Build a model, run it to the end and measure it."""
    model = HousingModel(scenario, seed=seed)
    model.run()
    warmup, end, setting = scenario.run.warmup_days, scenario.total_days, Setting.of(scenario)
    metrics = replication_metrics(model.records, warmup, end, setting)
    yearly = yearly_metrics(model.records, warmup, end, setting)
    yearly.insert(0, "replication", index)
    spells = model.records.frame("spells")
    spells.insert(0, "replication", index)
    states = pd.DataFrame(model.records.samples)
    states.insert(0, "replication", index)
    return Replication(index, seed, metrics, spells, states, yearly)


def measure_replication(scenario: Scenario, seed: int, patterns: bool = False, face: bool = False) -> dict[str, float]:
    """Run one replication and return only its numbers (what a sweep or a calibration keeps;
    cheap to send back).

    Args:
        scenario: The validated scenario.
        seed: The replication's seed.
        patterns: Also the calibration patterns' measures
            (:func:`sim.measures.patterns.pattern_measures`).
        face: Also the face-validity measures (:func:`sim.measures.patterns.face_validity_measures`).

    Returns:
        Every metric of ``sim.measures.metrics``, then the measures asked for, by name.
    """
    model = HousingModel(scenario, seed=seed)
    model.run()
    warmup, end = scenario.run.warmup_days, scenario.total_days
    out = replication_metrics(model.records, warmup, end, Setting.of(scenario))
    if patterns:
        out.update(pattern_measures(model.records, warmup, end))
    if face:
        out.update(face_validity_measures(model.records, warmup, end))
    return out


def _replication_job(slot: int, scenario: Scenario, index: int, seed: int) -> Replication:
    """One replication of the ``slot``-th scenario of a batch (a task for an executor)."""
    return run_replication(scenario, index, seed)


def run_scenario(
    scenario: Scenario,
    *,
    workers: int | None = None,
    progress: bool = True,
    on_done: Callable[[Replication], None] | None = None,
    executor: Executor | None = None,
) -> RunResult:
    """Run every replication of a scenario (``scenario.run.replications``, seed ``scenario.seed``).

    Args:
        scenario: The validated scenario.
        workers: Processes to use; default the number of cores (at most one per replication).
            ``1`` runs in this process. Ignored when ``executor`` is given.
        progress: Show a progress bar.
        on_done: Called with each replication as it finishes.
        executor: Run on this ``concurrent.futures`` executor (e.g. a Dask client's) instead of
            a local process pool; it is left open.

    Returns:
        Per-replication metrics, spells, counts over time and the summary.
    """
    return run_scenarios([scenario], workers=workers, progress=progress, on_done=on_done, executor=executor)[0]


def run_scenarios(
    scenarios: Sequence[Scenario],
    *,
    workers: int | None = None,
    progress: bool = True,
    on_done: Callable[[Replication], None] | None = None,
    executor: Executor | None = None,
) -> list[RunResult]:
    """Run every replication of several scenarios on one pool of workers.

    Each scenario uses its own ``seed`` and ``run.replications``; give them the same seed and
    number of replications for common random numbers (``sim.experiments.comparison`` does).

    Args:
        scenarios: Validated scenarios.
        workers: Processes to use; default the number of cores (at most one per replication).
            ``1`` runs in this process. Ignored when ``executor`` is given.
        progress: Show a progress bar.
        on_done: Called with each replication as it finishes.
        executor: Run on this executor instead of a local process pool; it is left open.

    Returns:
        One :class:`RunResult` per scenario, in the order given.
    """
    from sim.experiments.executors import borrowed, open_executor, progress_bar, run_tasks

    jobs = [
        (slot, scenario, i, seed)
        for slot, scenario in enumerate(scenarios)
        for i, seed in enumerate(replication_seeds(scenario.seed, scenario.run.replications))
    ]
    done: dict[tuple[int, int], Replication] = {}
    names = ", ".join(s.name for s in scenarios)
    bar = progress_bar(total=len(jobs), desc=f"{names}: replications", unit="rep", disable=not progress, leave=False)
    try:
        pool_cm = open_executor("process", workers=workers, tasks=len(jobs)) if executor is None else borrowed(executor)
        with pool_cm as pool:
            for (slot, *_), rep in run_tasks(pool, _replication_job, jobs):
                done[slot, rep.index] = rep
                bar.update()
                if on_done:
                    on_done(rep)
    finally:
        bar.close()
    return [
        _assemble(scenario, [done[slot, i] for i in range(scenario.run.replications)])
        for slot, scenario in enumerate(scenarios)
    ]


def _assemble(scenario: Scenario, reps: list[Replication]) -> RunResult:
    """Put one scenario's replications (in replication order) together with its summary."""
    n = len(reps)
    table = pd.DataFrame([{"replication": r.index, "seed": r.seed, **r.metrics} for r in reps])
    summary = {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "replications": n,
        "years": scenario.run.years,
        "warmup_days": scenario.run.warmup_days,
        "metrics": summarise(table),
    }
    yearly = pd.concat([r.yearly for r in reps], ignore_index=True)
    summary["by_year"] = summarise_years(yearly)
    summary["per_1000_inhabitants"] = summarise_per_1000(table, float(scenario.municipality.inhabitants))
    summary = summary_with_stationarity(summary)  # beside the metrics, not among them
    return RunResult(
        scenario=scenario,
        replications=table,
        spells=pd.concat([r.spells for r in reps], ignore_index=True),
        states=pd.concat([r.states for r in reps], ignore_index=True),
        summary=summary,
        yearly=yearly,
    )
