"""Shared helpers for the test suite: small scenarios, short runs and extra bookkeeping checks.

Runs are kept short (a few simulated years, a handful of replications) so the whole suite runs
in well under a minute with ``-n auto``. Comparisons between two configurations always use the
same replication seeds (common random numbers) and check that the difference is several
standard errors wide, so they test a mechanism rather than the luck of a seed.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim import config as sc
from sim.experiments.replications import replication_seeds, run_replication
from sim.model import HousingModel, check_invariants, native
from sim.model.states import State

REPO = Path(__file__).resolve().parent.parent
ZONES = ("sentrum", "nord", "sor", "ost")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """While the compiled model modules run, skip the tests that need the plain ones (they
    patch model functions, which compiled code calls directly, or pass stand-ins for people,
    which it refuses); ``scripts/test.sh`` runs them in a second pass without the compiled ones."""
    if not native.ACTIVE:
        return
    skip = pytest.mark.skip(reason="needs the plain model modules: run with PATHWAYS_PURE_PYTHON=1 (scripts/test.sh does)")
    for item in items:
        if item.get_closest_marker("plain_modules"):
            item.add_marker(skip)


# Plenty of vacant ordinary units in every zone and nobody declining: allocation is fast, so
# coordination effects (when the application is made, whether discharge waits) show clearly.
AMPLE_STOCK: dict[str, Any] = {
    "stock": {
        "additions": [{"day": 0.0, "type": "ordinary", "zone": z, "count": 60} for z in ZONES],
    },
    "choice": {"decline_prob_preferred_zone": 0.0, "decline_prob_other_zone": 0.0},
}

# A world where nothing happens by itself: no arrivals, no one at day 0, no hazards. Tests add
# the few people they need and drive them by hand, so each rule can be seen on its own.
QUIET_WORLD: dict[str, Any] = {
    "inflow": {
        "treatment_referrals_per_year": 0.0,
        "prison_releases_per_year": 0.0,
        "nav_homeless_per_year": 0.0,
        "new_person_using_prob": 0.0,
    },
    "initial": {
        "in_treatment": 0,
        "in_prison": 0,
        "in_temporary": 0,
        "on_street": 0,
        "in_private": 0,
        "housed_share": 0.0,
        "using_share": 0.0,
    },
    "treatment": {"referral_rate_per_day_using": 0.0},
    "prison": {"incarceration_rate_per_year_using": 0.0},
    "temporary": {"leave_rate_per_day": 0.0, "street_to_nav_rate_per_day": 0.0},
    # No meeting unless a test asks for one; an offer is answered at once (the tests of the
    # response time set it themselves).
    "housing_office": {"meeting_interval_days": 10_000.0, "offer_response_days": 0.0},
    "relapse": {"rate_per_day": 0.0, "remission_rate_per_day": 0.0},
    "eviction": {"rate_per_day": 0.0},
    "followup": {"no_contact_rate_per_day_using": 0.0},
    "exits": {
        "own_housing_rate_per_year_housed": 0.0,
        "own_housing_rate_per_year_homeless": 0.0,
        "move_away_rate_per_year": 0.0,
        "mortality_per_100_person_years": 0.0,
        "stable_after_days": "never",
    },
    "private": {"arranged_rate_per_year": 0.0, "loss_rate_per_year": 0.0},
    "competence": {"gain_per_year_not_using": 0.0, "gain_per_year_treatment": 0.0, "gain_per_year_followup": 0.0},
    "stock": {"replacement_delay_days": "never"},
}


def merge(*tables: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge nested override tables, later ones winning (arrays are replaced whole)."""
    out: dict[str, Any] = {}
    for table in tables:
        for key, value in table.items():
            if isinstance(value, Mapping) and isinstance(out.get(key), dict):
                out[key] = merge(out[key], value)
            elif isinstance(value, Mapping):
                out[key] = merge(value)
            else:
                out[key] = value
    return out


@pytest.fixture(scope="session")
def baseline() -> sc.Scenario:
    """The shipped baseline scenario, as loaded from ``scenarios/baseline.toml``."""
    return sc.load("baseline")


def small(
    overrides: Mapping[str, Any] | None = None,
    *,
    name: str = "baseline",
    years: float = 4.0,
    warmup_days: float = 365.0,
    replications: int = 2,
) -> sc.Scenario:
    """A shipped scenario shortened to ``years`` and with ``overrides`` merged in."""
    run = {"years": years, "warmup_days": warmup_days, "replications": replications}
    return sc.with_overrides(sc.load(name), merge({"run": run}, overrides or {}))


def quiet(overrides: Mapping[str, Any] | None = None, *, years: float = 3.0) -> sc.Scenario:
    """The :data:`QUIET_WORLD` (baseline with nothing happening by itself) plus ``overrides``."""
    return small(merge(QUIET_WORLD, overrides or {}), years=years, warmup_days=0.0, replications=1)


def run_metrics(scenario: sc.Scenario, replications: int | None = None) -> pd.DataFrame:
    """Run ``replications`` replications in this process; one row of metrics per replication.

    Replication ``r`` gets the same seed in every configuration with the same ``scenario.seed``.
    """
    n = replications or scenario.run.replications
    seeds = replication_seeds(scenario.seed, n)
    return pd.DataFrame([run_replication(scenario, i, seeds[i]).metrics for i in range(n)])


def run_model(scenario: sc.Scenario, seed: int | None = None) -> HousingModel:
    """Build and run one model to the end of the scenario; returns the model (records included)."""
    model = HousingModel(scenario, seed=seed)
    model.run()
    return model


def clearly_greater(high: Iterable[float], low: Iterable[float], k: float = 4.0) -> bool:
    """``mean(high) - mean(low)`` exceeds ``k`` standard errors of that difference (Welch)."""
    a = np.asarray(list(high), dtype=float)
    b = np.asarray(list(low), dtype=float)
    se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    return a.mean() - b.mean() > k * max(se, 1e-12)


def deep_check(model: HousingModel) -> None:
    """``check_invariants`` plus the bookkeeping checks it leaves out.

    Every person is in a state and counted once; tenancies, reservations and the vacant set
    agree with each other; treatment patients, temporary residents and follow-up clients are
    exactly the people whose state says so.
    """
    check_invariants(model)
    people = list(model.agents)
    by_state = {s: 0 for s in State}
    for p in people:
        assert p.state is not None, "a person still in the model is somewhere"
        by_state[p.state] += 1
    assert by_state == dict(model.counts), "counts by state match the people"
    assert sum(by_state.values()) == len(people)

    holders = [p for p in people if p.unit is not None]
    assert len({id(p.unit) for p in holders}) == len(holders), "no two people hold the same unit"
    for p in holders:
        assert p.unit.tenant is p
    for p in people:
        if p.state is State.HOUSED:
            assert p.unit is not None, "a housed person holds a unit"
        if p.offer is not None:
            assert p.offer.reserved_for is p and p.offer.tenant is None, "an accepted offer is reserved"
    occupied = [u for u in model.stock.units if u.tenant is not None]
    assert model.stock.occupied == len(occupied)
    assert all(u.tenant in people for u in occupied), "no unit is held by someone who left"
    vacant = {u.uid for u in model.stock.units if u.is_vacant}
    assert set(model.stock.vacant) == vacant, "the vacant set is exactly the vacant units"
    assert model.stock.size == sum(1 for u in model.stock.units if not u.lost)

    in_treatment = {p for p in people if p.state is State.TREATMENT}
    assert set(model.treatment.patients) == in_treatment, "patients are exactly the people in treatment"
    assert all(p.state is not State.TREATMENT for p in model.treatment.queue)
    assert model.temporary.residents == by_state[State.TEMPORARY]
    assert all(p.in_followup for p in model.followup.clients)
    assert sum(p.in_followup for p in people) == len(model.followup.clients)


def run_checked(model: HousingModel, steps: int = 8) -> None:
    """Run ``model`` to its end in ``steps`` pieces, checking the bookkeeping after each."""
    end = model.cfg.total_days
    for t in np.linspace(end / steps, end, steps):
        model.run_until(float(t))
        deep_check(model)


def cli(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m sim ARGS`` (the ``pathways`` command) in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )
