"""The model's calendar (``sim.calendar``) against a plain sorted list, and together with Mesa's
own event list: same order of events, cancellation, compaction, and the clock."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.calendar import Calendar
from sim.model import HousingModel
from tests.conftest import small


class Recorder:
    """An action that notes its name when called."""

    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name

    def __call__(self) -> None:
        self.log.append(self.name)


def drain(calendar: Calendar, until: float = float("inf")) -> None:
    """Run every entry due up to ``until`` (what ``HousingModel._advance_time`` does, less Mesa)."""
    while (when := calendar.next_time()) < float("inf") and when <= until:
        calendar.pop()()


# operations: ("schedule", time) | ("cancel", k-th entry scheduled so far) | ("run", until)
operation = st.one_of(
    st.tuples(st.just("schedule"), st.floats(0.0, 40.0).map(lambda x: round(x * 4) / 4)),  # many ties
    st.tuples(st.just("cancel"), st.integers(0, 200)),
    st.tuples(st.just("run"), st.floats(0.0, 40.0)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(operation, max_size=120), st.integers(0, 3))
def test_same_order_as_a_sorted_list(ops, compact_at):
    """Entries run by time, ties in the order they were scheduled; cancelled ones never run."""
    calendar = Calendar(compact_at=compact_at)  # compact early and often
    log: list[str] = []
    reference: list[tuple[float, int, str]] = []  # (time, seq, name) not yet run or cancelled
    entries = []
    now = 0.0
    for kind, value in ops:
        if kind == "schedule":
            time = now + value  # never in the past, as the model schedules
            name = f"e{len(entries)}"
            entries.append((calendar.schedule(time, Recorder(log, name)), (time, len(entries), name)))
            reference.append(entries[-1][1])
        elif kind == "cancel" and entries:
            entry, key = entries[value % len(entries)]
            calendar.cancel(entry)
            if key in reference:
                reference.remove(key)
        elif kind == "run":
            now = max(now, value)
            due = sorted(k for k in reference if k[0] <= now)
            log.clear()
            drain(calendar, now)
            assert log == [name for _, _, name in due]
            reference = [k for k in reference if k[0] > now]
        assert len(calendar) == len(reference)
    log.clear()
    drain(calendar)
    assert log == [name for _, _, name in sorted(reference)]
    assert len(calendar) == 0 and calendar.held() == 0


def test_cancelling_a_run_entry_is_a_no_op():
    calendar = Calendar()
    log: list[str] = []
    entry = calendar.schedule(1.0, Recorder(log, "a"))
    drain(calendar)
    calendar.cancel(entry)
    assert log == ["a"] and len(calendar) == 0 and calendar.held() == 0


def test_far_future_entries_wait_in_buckets_and_come_back_in_order():
    calendar = Calendar()
    log: list[str] = []
    rng = random.Random(3)
    times = [rng.uniform(0.0, 10_000.0) for _ in range(2_000)]
    for i, t in enumerate(times):
        calendar.schedule(t, Recorder(log, str(i)))
    assert len(calendar.heap) < 10, "only the current window's entries are in the heap"
    drain(calendar)
    assert [times[int(i)] for i in log] == sorted(times)


def test_compaction_keeps_memory_bounded():
    calendar = Calendar()
    log: list[str] = []
    action = Recorder(log, "x")
    live = [calendar.schedule(1000.0 + i, action) for i in range(100)]
    for i in range(20_000):  # a person rescheduled over and over: the old entry is cancelled
        calendar.cancel(live[i % 100])
        live[i % 100] = calendar.schedule(1000.0 + i, action)
    assert len(calendar) == 100
    assert calendar.held() <= 2 * 100 + calendar.compact_at + 1


def test_mesa_events_run_in_time_order_with_the_models_own():
    """An event scheduled with Mesa's ``schedule_event`` runs at its time, between the model's
    events, and sees the model's clock; ``run_for`` and ``run_until`` still work."""
    model = HousingModel(small(years=2.0))
    seen: list[tuple[float, float, int]] = []

    class Probe:
        def __call__(self) -> None:
            seen.append((model.time, model.calendar.next_time(), model.calendar.executed))

    probe = Probe()
    model.schedule_event(probe, at=10.5)
    model.schedule_event(probe, at=20.0)
    cancelled = model.schedule_event(probe, at=15.0)
    cancelled.cancel()
    model.run_for(12.0)
    assert model.time == 12.0
    assert [s[0] for s in seen] == [10.5]
    executed_before = model.calendar.executed
    model.run_until(30.0)
    assert [s[0] for s in seen] == [10.5, 20.0]
    time, next_own, _ = seen[1]
    assert next_own >= time, "no event of the model's own was left behind the Mesa event"
    assert model.calendar.executed > executed_before
    assert model.time == 30.0


def test_the_clock_does_not_go_back():
    model = HousingModel(small(years=2.0))
    model.run_until(50.0)
    with pytest.warns(RuntimeWarning):
        model.run_until(40.0)
    assert model.time == 50.0
