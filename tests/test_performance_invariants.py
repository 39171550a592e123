"""What the performance work must not break: memory bounded by the people present, compact
records, and the faster metric code giving exactly what the plain version gives.

No timing here (timings live in ``benchmarks/``); these are properties that hold on any machine.
"""

from __future__ import annotations

import gc
import math
import random
import threading
import weakref
from array import array

import numpy as np
import pandas as pd
import pytest

from sim import config as sc
from sim.measures import households, windows
from sim.model import HousingModel, clocks, hazards
from sim.model.luck import Luck
from sim.model.person import Person
from sim.model.records import Records
from sim.model.states import EventKind
from tests.conftest import small

# ----------------------------------------------------------------------------- memory


def test_departed_people_are_freed():
    """Nothing keeps a person who has left: not Mesa's registry, the event list, or any service."""
    model = HousingModel(small(years=3.0))
    model.run_until(200.0)
    early = [weakref.ref(p) for p in model.agents]
    model.run()
    gc.collect()
    present = set(model.agents)
    alive = [r() for r in early if r() is not None]
    assert len(early) > 100
    assert len(alive) < len(early), "some of the day-200 population must have left by the end"
    assert all(p in present for p in alive), "a person who left is still referenced somewhere"
    assert sum(isinstance(o, Person) and o.model is model for o in gc.get_objects()) == len(present)


def test_services_hold_only_people_present():
    """Treatment, the housing office, follow-up and the stock refer only to people still in the model."""
    model = HousingModel(small(years=3.0))
    model.run()
    present = set(model.agents)
    assert set(model.treatment.queue) <= present
    assert model.treatment.patients <= present
    assert set(model.office.applications) <= present
    assert model.followup.clients <= present
    assert {u.tenant for u in model.stock.units if u.tenant is not None} <= present
    assert {u.reserved_for for u in model.stock.units if u.reserved_for is not None} <= present


def test_event_list_grows_with_the_people_present_not_the_run():
    """At most one live event per person, plus a few of the model's own (arrivals, meetings, sampling)
    and one per unit held for a declined offer's answer."""
    model = HousingModel(small(years=4.0))
    for day in (365.0, 2 * 365.0, 4 * 365.0):
        model.run_until(day)
        calendar = model.calendar
        held = sum(1 for u in model.stock.units if u.held)
        assert len(calendar) <= len(model.agents) + held + 10
        # cancelled entries are dropped once they outnumber the live ones
        assert calendar.held() <= 2 * len(calendar) + calendar.compact_at + 1
    assert model.steps == 0, "the model runs on its own events, without Mesa's daily step"


@pytest.mark.parametrize("name", [*sc.scenario_names(), "verification/mmc_rho095", "verification/mdc_treatment"])
def test_a_model_makes_no_reference_cycles(name):
    """Building a model and running it leave nothing for Python's cycle collector, which is
    therefore paused while the day-0 population is built and while the calendar runs
    (``sim.model.calendar.CyclesPaused``): garbage in cycles would pile up until the end."""
    cfg = small(name=name, years=3.0)
    gc.collect()
    gc.disable()
    try:
        model = HousingModel(cfg)
        built = gc.collect()
        model.run()
        ran = gc.collect()
    finally:
        gc.enable()
    assert (built, ran) == (0, 0), f"{name}: objects left in reference cycles: {built} built, {ran} run"


def test_the_run_pauses_the_cycle_collector_and_restores_it():
    """Paused while the calendar runs, on again after (an action that raises too); left off if it
    was off; not paused on another thread (whose cycles would otherwise wait for the run);
    paused while the day-0 population is built."""
    seen: list[bool] = []
    model = HousingModel(small(years=2.0))
    model.calendar.schedule(10.0, lambda: seen.append(gc.isenabled()))
    model.run_until(20.0)
    assert seen == [False] and gc.isenabled()

    def fail() -> None:
        raise KeyError("boom")

    model.calendar.schedule(30.0, fail)
    with pytest.raises(KeyError, match="boom"):
        model.run_until(40.0)
    assert gc.isenabled()
    gc.disable()
    try:
        model.run_until(50.0)
        assert not gc.isenabled()
    finally:
        gc.enable()
    model.calendar.schedule(60.0, lambda: seen.append(gc.isenabled()))
    worker = threading.Thread(target=model.run_until, args=(70.0,))
    worker.start()
    worker.join()
    assert seen == [False, True]

    class Noting(HousingModel):
        def _populate(self) -> None:
            seen.append(gc.isenabled())
            super()._populate()

    Noting(small(years=2.0))
    assert seen == [False, True, False] and gc.isenabled(), "paused while the day-0 population is built"


def test_records_are_typed_columns():
    """Numbers are stored 8 bytes a value; a frame gives numbers as int64/float64."""
    model = HousingModel(small(years=2.0))
    model.run()
    records = model.records
    assert isinstance(records.spells["start"], array) and records.spells["start"].typecode == "d"
    assert isinstance(records.spells["person"], array) and records.spells["person"].typecode == "q"
    assert isinstance(records.samples["day"], array)
    spells = records.frame("spells")
    assert spells["person"].dtype == np.int64 and spells["end"].dtype == np.float64
    assert (spells["end"] >= spells["start"]).all()
    assert records.nbytes() > 0 and records.rows() >= len(spells)


def test_a_reason_string_is_shared_not_copied():
    """Text columns hold references to a few shared strings, not a new string per row."""
    model = HousingModel(small(years=3.0))
    model.run()
    reasons = model.records.spells["end_reason"]
    assert len({id(r) for r in reasons}) <= len(set(reasons))


# ----------------------------------------------------------------------------- random draws


def test_a_zero_hazard_draws_nothing():
    """A hazard that is zero from now on gives infinity without using the person's stream."""
    rng = Luck.seeded(3)
    assert hazards.piecewise_time(rng, 0.0, 0.0, 10.0) == np.inf
    assert hazards.piecewise_time(rng, 0.5, 0.0, 0.0) == np.inf  # the early window is over
    # a race of constant hazards that are all zero (sim.model.clocks, the direct method)
    race = clocks.Race()
    race.risk(0.0, EventKind.DEATH)
    race.risk(0.0, EventKind.MOVE_AWAY)
    assert race.draw(rng) == np.inf
    assert rng.random() == random.Random(3).random(), "nothing drawn before"


def race_of(rates: list[float], timers: list[tuple[float, EventKind]] = ()) -> clocks.Race:
    """A race of death and moving away at these rates, with these timers."""
    race = clocks.Race()
    for rate, kind in zip(rates, (EventKind.DEATH, EventKind.MOVE_AWAY), strict=True):
        race.risk(rate, kind)
    for delay, kind in timers:
        race.timer(delay, kind)
    return race


def test_the_race_draws_its_kind_only_when_it_comes_first():
    """The direct method: one draw for the race's time; a second for which risk only when no
    timer comes before it; the time is Python's exponential draw with the summed rate."""
    a, b = Luck.seeded(11), random.Random(11)
    race = race_of([0.1, 0.2], [(0.001, EventKind.DISCHARGE)])  # the timer comes first almost surely
    assert (race.draw(a), race.kind) == (0.001, EventKind.DISCHARGE)
    b.random()
    race.start()
    assert race.draw(a) == np.inf, "started again: no clocks"
    race = race_of([0.1, 0.2])
    assert race.draw(a) == b.expovariate(0.1 + 0.2)
    b.random()
    assert a.random() == b.random(), "two draws for a race that comes first, one for a timer that does"


def test_timers_tie_to_the_kind_that_sorts_first():
    """Of two timers at the same time, the kind whose value sorts first comes up, whatever the order given."""
    for order in ((EventKind.TENANCY_END, EventKind.DISCHARGE), (EventKind.DISCHARGE, EventKind.TENANCY_END)):
        race = race_of([0.0, 0.0], [(5.0, order[0]), (5.0, order[1]), (7.0, EventKind.MOVE_IN)])
        assert (race.draw(Luck.seeded(1)), race.kind) == (5.0, EventKind.DISCHARGE)


def test_the_race_sums_its_rates_as_python_does():
    """The race's total rate is Python's ``sum`` of its rates to the last bit (a compensated sum,
    which a plain running total is not: ten times 0.1 sums to 1.0, added up to 0.9999999999999999)."""
    rng = random.Random(5)
    cases = [[0.1] * 10, [1e-3, 1e3, 1e-9, 7.0], [math.inf, 1.0]]  # inf: a correction that is not finite is left out
    cases += [[rng.random() * 10 ** rng.randint(-12, 3) for _ in range(rng.randint(1, 12))] for _ in range(2000)]
    for rates in cases:
        race = clocks.Race()
        for rate in rates:
            race.risk(rate, EventKind.DEATH)
        a, b = Luck.seeded(3), random.Random(3)
        assert race.draw(a) == -math.log(1.0 - b.random()) / sum(rates), rates


# ----------------------------------------------------------------------------- metrics, vectorised


def _within_plain(events: pd.DataFrame, starts: pd.DataFrame, window: float) -> int:
    """The straightforward version of ``metrics._within`` (person by person)."""
    if starts.empty or events.empty:
        return 0
    by_person = {p: np.sort(g["day"].to_numpy()) for p, g in events.groupby("person")}
    hits = 0
    for person, day in zip(starts["person"], starts["day"], strict=True):
        days = by_person.get(person)
        if days is None:
            continue
        i = np.searchsorted(days, day, side="right")
        if i < len(days) and days[i] <= day + window:
            hits += 1
    return hits


def _revolving_plain(admissions: pd.DataFrame, warmup: float) -> int:
    k = households.REVOLVING_DOOR_ADMISSIONS
    count = 0
    for _, group in admissions.groupby("person"):
        days = np.sort(group["day"].to_numpy())
        if len(days) < k:
            continue
        ends = days[k - 1 :]
        if np.any((ends - days[: len(days) - k + 1] <= households.REVOLVING_WINDOW_DAYS) & (ends >= warmup)):
            count += 1
    return count


@pytest.mark.parametrize("seed", range(20))
def test_vectorised_metrics_match_the_plain_versions(seed):
    """Random tables with many ties (whole days, repeated days, the window's edge exactly)."""
    rng = np.random.default_rng(seed)
    n_events, n_starts = int(rng.integers(0, 80)), int(rng.integers(0, 40))
    events = pd.DataFrame({"person": rng.integers(0, 12, n_events), "day": rng.integers(0, 60, n_events) * 10.0})
    starts = pd.DataFrame({"person": rng.integers(0, 15, n_starts), "day": rng.integers(0, 60, n_starts) * 10.0})
    for window in (0.0, 10.0, 90.0, 365.0):
        assert int(windows.followed_within(events, starts, window).sum()) == _within_plain(events, starts, window)
    for warmup in (0.0, 200.0, 500.0):
        assert households.revolving_door_in_window(events, warmup) == _revolving_plain(events, warmup)


def test_metrics_accept_plain_lists_too():
    """Records built by hand (lists, as the metric tests do) give the same frames as typed arrays."""
    r = Records()
    Records.add(r.relapses, 1, 10.0, "street")
    plain = pd.DataFrame({"person": [1], "day": [10.0], "state": ["street"]})
    pd.testing.assert_frame_equal(r.frame("relapses"), plain)
