"""The model's calendar (``sim.model.calendar``) against a plain sorted list (same order of events,
cancellation, compaction), and the model's own event loop (``CalendarModel``: the clock, ``step``,
and Mesa's event scheduling refused)."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mesa.experimental.mesa_signals import ObservableSignals

from sim.model import HousingModel
from sim.model.calendar import INF, MAX_TIME, Calendar, CalendarModel
from tests.conftest import small


class Recorder:
    """An action that notes its name when called."""

    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name

    def __call__(self) -> None:
        self.log.append(self.name)


def drain(calendar: Calendar, until: float = float("inf")) -> None:
    """Run every entry due up to ``until`` (what ``CalendarModel.run_until`` does, less the model's clock)."""
    while (when := calendar.next_time()) < INF and when <= until:
        action = calendar.pop()
        calendar.now = when
        action()


# operations: ("schedule", time) | ("cancel", k-th entry scheduled so far) | ("run", until)
operation = st.one_of(
    st.tuples(st.just("schedule"), st.floats(0.0, 40.0).map(lambda x: round(x * 4) / 4)),  # many ties
    st.tuples(st.just("cancel"), st.integers(0, 200)),
    st.tuples(st.just("run"), st.floats(0.0, 40.0)),
)


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(operation, max_size=120), st.integers(0, 3), st.sampled_from([1, 4, 64]), st.sampled_from([1.0, 4.0, 64.0])
)
def test_same_order_as_a_sorted_list(ops, compact_at, split_at, epoch):
    """Entries run by time, ties in the order they were scheduled; cancelled ones never run."""
    # Compact early and often; narrow windows; short epochs.
    calendar = Calendar(compact_at=compact_at, split_at=split_at, epoch=epoch)
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


def test_times_the_windows_cannot_number_exactly_and_bad_epochs_are_refused():
    """Below ``MAX_TIME`` every window's number is exact, so an entry at the largest time allowed
    runs in order; at or after it (where ``window + 1`` rounds to ``window``) scheduling is refused,
    as is an epoch that is not a power of two of at least a day."""
    calendar = Calendar()
    log: list[str] = []
    last = math.nextafter(MAX_TIME, 0.0)
    calendar.schedule(last, Recorder(log, "a"))
    drain(calendar)
    calendar.schedule(last, Recorder(log, "b"))  # at the time just run, as the model may
    calendar.schedule(last, Recorder(log, "c"))
    drain(calendar)
    assert log == ["a", "b", "c"]
    for bad in (MAX_TIME, math.inf, math.nan):
        with pytest.raises(ValueError, match="holds times below"):
            calendar.schedule(bad, Recorder(log, "x"))
    for epoch in (0.5, 3.0, -64.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="power of two"):
            Calendar(epoch=epoch)
    assert Calendar(epoch=2.0).epoch == 2.0


def test_a_bucket_of_cancelled_entries_that_narrows_the_windows_leaves_the_calendar_whole():
    """A crowded bucket whose entries were all cancelled narrows the windows and leaves nothing:
    the horizon must follow (the start of the next window), or an entry scheduled before that
    start would be filed in a window the calendar has already passed."""
    calendar = Calendar(split_at=4)
    entries = [calendar.schedule(5.0 + i / 100, Recorder([], str(i))) for i in range(10)]
    for entry in entries:
        calendar.cancel(entry)
    assert calendar.next_time() == INF and calendar.window < 1.0
    log: list[str] = []
    calendar.schedule(3.0, Recorder(log, "a"))
    assert holds_its_invariants(calendar)
    drain(calendar)
    assert log == ["a"]


def test_far_future_entries_wait_in_buckets_and_come_back_in_order():
    calendar = Calendar()
    log: list[str] = []
    rng = random.Random(3)
    times = [rng.uniform(0.0, 10_000.0) for _ in range(2_000)]
    for i, t in enumerate(times):
        calendar.schedule(t, Recorder(log, str(i)))
    assert len(calendar._heap) < 10, "only the current window's entries are in the heap"
    drain(calendar)
    assert [times[int(i)] for i in log] == sorted(times)


def test_crowded_windows_are_made_narrower_and_keep_the_order():
    """Many entries a day: the windows narrow until a bucket holds about a quarter of ``split_at``;
    the order is the same; a calendar with few entries a day keeps its one-day windows."""
    burst = Calendar(split_at=64)  # 400 entries at one time and a few others: nothing to split
    for i in range(400):
        burst.schedule(5.0, Recorder([], str(i)))
    burst.schedule(5.5, Recorder([], "x"))
    drain(burst)
    assert burst.window == 1.0
    rng = random.Random(5)
    for per_day, narrower in ((2, False), (400, True)):
        calendar = Calendar(split_at=64)
        log: list[str] = []
        times = [rng.uniform(1.0, 30.0) for _ in range(29 * per_day)]
        for i, t in enumerate(times):
            calendar.schedule(t, Recorder(log, str(i)))
        cancelled = set(range(0, len(times), 7))
        entries = list(calendar._heap) + [e for b in calendar._buckets.values() for e in b]
        for entry in entries:
            if int(entry.action.name) in cancelled:
                calendar.cancel(entry)
        drain(calendar)
        assert [int(i) for i in log] == sorted(set(range(len(times))) - cancelled, key=lambda i: (times[i], i))
        assert (calendar.window < 1.0) is narrower
        if narrower:
            assert 400 * calendar.window <= 64 / 4 < 400 * calendar.window * 2 + 1
        assert len(calendar) == 0 and calendar.held() == 0


def test_an_entry_that_has_run_is_used_again_and_one_on_the_calendar_is_not():
    """``schedule(..., spare)`` takes the spare for the new entry only once it has run; a spare
    still waiting, or cancelled and not yet dropped, is left alone. Runs in the same order."""
    calendar = Calendar()
    log: list[str] = []
    first = calendar.schedule(1.0, Recorder(log, "a"))
    waiting = calendar.schedule(5.0, Recorder(log, "b"))
    cancelled = calendar.schedule(6.0, Recorder(log, "x"))
    calendar.cancel(cancelled)
    drain(calendar, 1.0)
    again = calendar.schedule(3.0, Recorder(log, "c"), first)
    assert again is first and again.time == 3.0
    assert calendar.schedule(4.0, Recorder(log, "d"), waiting) is not waiting
    assert calendar.schedule(4.0, Recorder(log, "e"), cancelled) is not cancelled
    drain(calendar)
    assert log == ["a", "c", "d", "e", "b"]
    assert len(calendar) == 0 and calendar.held() == 0


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


def test_run_for_and_run_until_run_the_models_events_up_to_the_end_time():
    """``run_for`` and ``run_until`` run every entry due, in order, and leave the clock at the end."""
    model = HousingModel(small(years=2.0))
    seen: list[tuple[float, float]] = []

    def probe() -> None:
        seen.append((model.time, model.calendar.next_time()))

    model.calendar.schedule(10.5, probe)
    model.calendar.schedule(20.0, probe)
    model.calendar.cancel(model.calendar.schedule(15.0, probe))
    model.run_for(12.0)
    assert model.time == 12.0 and [s[0] for s in seen] == [10.5]
    executed_before = model.calendar.executed
    model.run_until(30.0)
    assert [s[0] for s in seen] == [10.5, 20.0]
    time, next_own = seen[1]
    assert next_own >= time, "no event of the model's own was left behind"
    assert model.calendar.executed > executed_before
    assert model.time == 30.0 and model.calendar.now == 30.0


def test_the_clock_does_not_go_back():
    model = HousingModel(small(years=2.0))
    model.run_until(50.0)
    with pytest.warns(RuntimeWarning, match="not after"):
        model.run_until(50.0)  # reaches the model's own check (Mesa's stops only a smaller end)
    with pytest.warns(RuntimeWarning, match="not after"):
        model.run_for(0.0)
    assert model.time == 50.0
    with pytest.raises(ValueError, match="in the past"):
        model.calendar.schedule(49.0, lambda: None)


def holds_its_invariants(calendar: Calendar) -> bool:
    """Heap entries are due before the horizon (the start of the next window), an epoch's waiting
    ones in the bucket of their window from then to the end of the epoch, later ones in the bucket
    of their epoch; the counts add up."""
    horizon, end = calendar._horizon, calendar._epoch_end
    windows = [(w, e) for w, bucket in calendar._buckets.items() for e in bucket]
    later = [(k, e) for k, bucket in calendar._later.items() for e in bucket]
    stored = calendar._heap + [e for _, e in windows] + [e for _, e in later]
    return (
        all(e.time < horizon for e in calendar._heap)
        and horizon == calendar._next_window * calendar.window
        and all(horizon <= e.time < end and int(e.time / calendar.window) == w for w, e in windows)
        and all(end <= e.time and int(e.time / calendar.epoch) == k for k, e in later)
        and sorted(calendar._epochs) == sorted(calendar._later)
        and calendar.held() == len(stored)
        and len(calendar) == sum(e.action is not None for e in stored)
    )


@pytest.mark.parametrize("trial", range(40))
def test_actions_that_schedule_and_cancel_while_running(trial):
    """Random programs whose actions schedule new entries (now, within the day, on a day boundary,
    far ahead) and cancel others, live or already run; the order must be a sorted list's."""
    rng = random.Random(trial)
    calendar = Calendar(compact_at=rng.choice([0, 1, 8, 1024]), epoch=rng.choice([1.0, 2.0, 64.0]))
    pending: dict[int, tuple[float, int]] = {}  # name -> (time, name): what a sorted list would hold
    entries: dict[int, list] = {}
    names = itertools.count()
    ran: list[int] = []

    def add(time: float) -> None:
        name = next(names)
        entries[name] = calendar.schedule(time, lambda: act(name))
        pending[name] = (time, name)

    def act(name: int) -> None:
        ran.append(name)
        now = calendar.now
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            add(now + rng.choice([0.0, rng.random(), math.floor(now) + 1.0 - now, 1.0 - 1e-12, rng.uniform(0.0, 3.0),
                                  rng.uniform(0.0, 300.0)]))  # fmt: skip
        if pending and rng.random() < 0.3:
            victim = rng.choice(sorted(pending))
            calendar.cancel(entries[victim])
            del pending[victim]
        if rng.random() < 0.1:
            calendar.cancel(entries[rng.choice(ran)])  # already run: a no-op

    for _ in range(rng.randint(1, 30)):
        add(rng.uniform(0.0, 50.0))
    steps = 0
    while pending and steps < 2_000:
        expected = min(pending.values())
        assert calendar.next_time() == expected[0]
        assert holds_its_invariants(calendar)
        del pending[expected[1]]
        action = calendar.pop()
        calendar.now = expected[0]
        action()
        assert ran[-1] == expected[1], "the entry run is the earliest, ties in the order scheduled"
        assert len(calendar) == len(pending)
        steps += 1
    if not pending:
        assert calendar.next_time() == INF


class _Tiny(CalendarModel):
    """A model with nothing but its calendar."""

    def __init__(self) -> None:
        super().__init__(rng=1)
        self.log: list[tuple[str, float]] = []

    def note(self, what: str) -> None:
        self.log.append((what, self.time))


def test_mesas_observers_of_time_are_told_of_every_change():
    """``model.time`` stays Mesa's observable attribute (the compiled calendar must not hide it)."""
    model = _Tiny()
    seen: list[float] = []

    def note(message: object) -> None:
        seen.append(model.time)

    model.observe("time", ObservableSignals.CHANGED, note)
    model.calendar.schedule(2.0, lambda: None)
    model.calendar.schedule(5.0, lambda: None)
    model.run_until(8.0)
    assert seen == [2.0, 5.0, 8.0]


def test_an_observer_of_time_that_comes_during_a_run_is_told_from_then_on():
    """The loop looks for observers of ``model.time`` at every event (and, without any, still
    keeps ``model.time`` right: :meth:`_Tiny.note` reads it)."""
    model = _Tiny()
    seen: list[float] = []

    def note(message: object) -> None:
        seen.append(model.time)

    model.calendar.schedule(1.0, lambda: model.note("a"))
    model.calendar.schedule(2.0, lambda: model.observe("time", ObservableSignals.CHANGED, note))
    model.calendar.schedule(3.0, lambda: model.note("b"))
    model.run_until(4.0)
    assert seen == [3.0, 4.0]
    assert model.log == [("a", 1.0), ("b", 3.0)] and model.time == 4.0


def test_a_run_to_infinity_ends_when_nothing_is_left():
    model = _Tiny()
    model.calendar.schedule(3.0, lambda: model.note("a"))
    model.run_until(math.inf)
    assert model.log == [("a", 3.0)] and model.time == math.inf


def test_equal_times_run_in_the_order_scheduled_and_the_end_time_is_included():
    model = _Tiny()
    for what, when in [("b 5", 5.0), ("a 4", 4.0), ("c 5", 5.0), ("d 10", 10.0), ("e 10.5", 10.5)]:
        model.calendar.schedule(when, lambda what=what: model.note(what))
    model.run_until(10.0)
    assert model.log == [("a 4", 4.0), ("b 5", 5.0), ("c 5", 5.0), ("d 10", 10.0)]
    assert model.time == 10.0 and len(model.calendar) == 1


def test_step_advances_one_day_on_the_models_own_loop():
    """``model.step()`` is ``CalendarModel.step`` (not Mesa's wrapper over its own event list): it
    runs the calendar's entries of the next day and counts the step; Mesa's daily step event never runs."""
    model = _Tiny()
    model.calendar.schedule(0.5, lambda: model.note("half"))
    model.calendar.schedule(1.0, lambda: model.note("one"))
    model.calendar.schedule(1.5, lambda: model.note("later"))
    model.step()
    assert model.log == [("half", 0.5), ("one", 1.0)] and model.time == 1.0 and model.steps == 1
    model.step()
    assert model.log[-1] == ("later", 1.5) and model.time == 2.0 and model.steps == 2


def test_mesas_event_scheduling_is_refused_not_silently_dropped():
    """The model does not run Mesa's event list, so an event put there would never run: refused."""
    from mesa.time import Schedule

    model = _Tiny()
    with pytest.raises(NotImplementedError, match="calendar.schedule"):
        model.schedule_event(lambda: None, at=1.0)
    with pytest.raises(NotImplementedError, match="calendar.schedule"):
        model.schedule_recurring(lambda: None, Schedule(interval=1.0))


def test_removing_a_person_takes_their_pending_event_off_the_calendar():
    """The calendar holds people by strong reference: ``Person.remove`` cancels their event."""
    model = HousingModel(small(years=2.0))
    model.run_until(30.0)
    person = next(p for p in model.agents if p._event is not None)
    live = len(model.calendar)
    person.remove()
    assert person._event is None and len(model.calendar) == live - 1
