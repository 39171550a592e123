"""Running replications of a scenario: seeds, workers and the assembled results.

Replication ``r`` of a scenario with seed ``s`` always gets the same seed (``SeedSequence(s)``'s
``r``-th child), and results are put back in replication order, so the numbers do not depend on
the number of workers.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.metrics import replication_metrics, summarise
from sim.model import HousingModel
from sim.scenario import Scenario


@dataclass
class Replication:
    """What one replication returns."""

    index: int
    seed: int
    metrics: dict[str, float]
    spells: pd.DataFrame
    states: pd.DataFrame


@dataclass
class RunResult:
    """All replications of one scenario."""

    scenario: Scenario
    replications: pd.DataFrame  # one row per replication, every metric
    spells: pd.DataFrame  # one row per person-spell
    states: pd.DataFrame  # counts by state over time
    summary: dict[str, object]  # the content of summary.json


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Independent 63-bit seeds for replications ``0 .. replications-1`` of a run with ``seed``."""
    children = np.random.SeedSequence(seed).spawn(replications)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


def run_replication(scenario: Scenario, index: int, seed: int) -> Replication:
    """Build a model, run it to the end and measure it."""
    model = HousingModel(scenario, seed=seed)
    model.run()
    metrics = replication_metrics(model.records, scenario.run.warmup_days, scenario.total_days)
    spells = model.records.frame("spells")
    spells.insert(0, "replication", index)
    states = pd.DataFrame(model.records.samples)
    states.insert(0, "replication", index)
    return Replication(index, seed, metrics, spells, states)


def _run_one(args: tuple[Scenario, int, int]) -> Replication:
    return run_replication(*args)


def run_scenario(
    scenario: Scenario,
    *,
    workers: int | None = None,
    progress: bool = True,
    on_done: Callable[[Replication], None] | None = None,
) -> RunResult:
    """Run every replication of a scenario (``scenario.run.replications``, seed ``scenario.seed``).

    Args:
        scenario: The validated scenario.
        workers: Processes to use; default the number of cores (at most one per replication).
            ``1`` runs in this process.
        progress: Show a progress bar.
        on_done: Called with each replication as it finishes.

    Returns:
        Per-replication metrics, spells, counts over time and the summary.
    """
    n = scenario.run.replications
    seeds = replication_seeds(scenario.seed, n)
    jobs = [(scenario, i, seeds[i]) for i in range(n)]
    workers = min(n, workers or os.cpu_count() or 1)
    done: dict[int, Replication] = {}
    bar = tqdm(total=n, desc=f"{scenario.name}: replications", unit="rep", disable=not progress, leave=False)
    try:
        if workers == 1:
            for job in jobs:
                rep = _run_one(job)
                done[rep.index] = rep
                bar.update()
                if on_done:
                    on_done(rep)
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                for future in as_completed([pool.submit(_run_one, job) for job in jobs]):
                    rep = future.result()
                    done[rep.index] = rep
                    bar.update()
                    if on_done:
                        on_done(rep)
    finally:
        bar.close()
    reps = [done[i] for i in range(n)]
    table = pd.DataFrame([{"replication": r.index, "seed": r.seed, **r.metrics} for r in reps])
    summary = {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "replications": n,
        "years": scenario.run.years,
        "warmup_days": scenario.run.warmup_days,
        "metrics": summarise(table),
    }
    return RunResult(
        scenario=scenario,
        replications=table,
        spells=pd.concat([r.spells for r in reps], ignore_index=True),
        states=pd.concat([r.states for r in reps], ignore_index=True),
        summary=summary,
    )
