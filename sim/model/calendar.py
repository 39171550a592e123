"""The model's calendar: its own pending events, in time order.

Every event of the model (a person's next clock, an arrival, an allocation meeting, a sample)
is an entry ``[time, seq, action]``. Entries run in order of time; ties go to the entry
scheduled first (``seq``). That is the order Mesa's own event list gives events of equal time
and the default priority, which is all this model used, so the model gives the same results on
either.

Why not Mesa's event list for these? A Mesa ``Event`` is a Python object with a weak reference
to its callback and a Python ``__lt__``, so scheduling one and taking it off the heap costs about
4 microseconds; this model schedules a few events per person and change of place, and that was
the largest single cost of a run (see ``docs/performance.md``). A :class:`CalendarModel` (the
base of ``HousingModel``) still runs on Mesa's clock (``run_until``, ``run_for``, ``step``,
``model.time``) and runs events scheduled with ``model.schedule_event`` in time order together
with these (at equal times, Mesa's first).

Layout: entries due in the current window of ``WINDOW`` days are in a binary heap (``heapq``,
compared in C); later ones wait, unsorted, in a bucket per window, and a bucket is put into
the heap when its window comes up (a "calendar queue"). The heap stays small however many
people there are, which keeps the cost per event flat as the population grows: one heap of
every pending entry was 1.3x slower per event at 50 times the baseline's size, mostly in
cache misses.

Cancelling marks the entry (its action becomes ``None``); marked entries are dropped when they
come up, and the calendar is rebuilt without them when they outnumber the live ones, so it
holds about one entry per person present, however long the run. The calendar holds its actions
(people, bound methods) by strong reference until they run or are cancelled.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from heapq import heapify, heappop, heappush
from itertools import count
from typing import Any

import mesa

INF = float("inf")

# An entry: [time, seq, action]; ``action`` is ``None`` once cancelled or taken off to run.
Entry = list
TIME, SEQ, ACTION = 0, 1, 2


class Calendar:
    """Pending events in order of time, then of scheduling.

    Args:
        compact_at: Rebuild when more than this many cancelled entries are held and they are
            more than the live ones (rebuilding costs one pass; it keeps memory flat in long
            runs).
    """

    __slots__ = (
        "_buckets", "_cancelled", "_heap", "_held", "_horizon", "_next_seq", "_windows",
        "compact_at", "executed", "now",
    )  # fmt: skip

    #: Days per window (a power of two, so window boundaries are exact floats).
    WINDOW = 1.0

    def __init__(self, compact_at: int = 1024) -> None:
        self.compact_at = compact_at
        self.now = 0.0  # the clock: nothing may be scheduled before it (set by whoever runs the calendar)
        # Invariant: every entry in ``_heap`` is due before ``_horizon``, every entry in a bucket
        # at or after it; a window's bucket goes into the heap whole.
        self._heap: list[Entry] = []
        self._horizon = self.WINDOW
        self._buckets: dict[int, list[Entry]] = {}  # window index -> its entries (unsorted)
        self._windows: list[int] = []  # heap of the indices in ``_buckets``
        self._next_seq = count().__next__
        self._cancelled = 0
        self._held = 0  # entries in the heap and the buckets, cancelled ones included
        self.executed = 0  # entries taken off to run, so far

    def schedule(self, time: float, action: Callable[[], None]) -> Entry:
        """Call ``action()`` at ``time``; returns the entry (a handle for :meth:`cancel`).

        Raises:
            ValueError: If ``time`` is before :attr:`now` (as Mesa's ``schedule_event``).
        """
        if time < self.now:
            raise ValueError(f"cannot schedule an event in the past: at {time}, now is {self.now}")
        entry = [time, self._next_seq(), action]
        self._held += 1
        if time < self._horizon:
            heappush(self._heap, entry)
        else:
            window = int(time // self.WINDOW)
            bucket = self._buckets.get(window)
            if bucket is None:
                self._buckets[window] = [entry]
                heappush(self._windows, window)
            else:
                bucket.append(entry)
        return entry

    def cancel(self, entry: Entry) -> None:
        """Do not run this entry's action (a no-op if it already ran or was cancelled)."""
        if entry[ACTION] is not None:
            entry[ACTION] = None
            self._cancelled += 1
            if self._cancelled > self.compact_at and 2 * self._cancelled > self._held:
                self.compact()

    def compact(self) -> None:
        """Drop cancelled entries (the order of the rest is unchanged: ``(time, seq)`` is unique)."""
        self._heap[:] = [e for e in self._heap if e[ACTION] is not None]
        heapify(self._heap)
        for window, bucket in list(self._buckets.items()):
            bucket[:] = [e for e in bucket if e[ACTION] is not None]
            if not bucket:
                del self._buckets[window]
        self._windows[:] = sorted(self._buckets)
        self._held -= self._cancelled
        self._cancelled = 0

    def next_time(self) -> float:
        """Time of the earliest live entry (``inf`` if none)."""
        heap = self._heap
        while True:
            while heap and heap[0][ACTION] is None:
                heappop(heap)
                self._cancelled -= 1
                self._held -= 1
            if heap:
                return heap[0][TIME]
            if not self._windows:
                return INF
            # The heap is empty: the next window with entries comes up.
            window = heappop(self._windows)
            heap[:] = self._buckets.pop(window)
            heapify(heap)
            self._horizon = (window + 1) * self.WINDOW

    def pop(self) -> Callable[[], None]:
        """Take the earliest entry off the calendar and return its action (call
        :meth:`next_time` first, so the earliest entry is a live one in the heap)."""
        entry = heappop(self._heap)
        self._held -= 1
        action = entry[ACTION]
        entry[ACTION] = None  # gone from the calendar: a later ``cancel`` of it must be a no-op
        self.executed += 1
        return action

    def held(self) -> int:
        """Entries held, cancelled ones included."""
        return self._held

    def __len__(self) -> int:
        """Live entries."""
        return self._held - self._cancelled


class CalendarModel(mesa.Model):
    """A Mesa model whose own events run from a :class:`Calendar` (``self.calendar``).

    The clock (``model.time``, ``run_until``, ``run_for``, ``step``) and the agents are Mesa's.
    Events scheduled with Mesa's ``schedule_event`` or ``schedule_recurring`` run in one time
    order with the calendar's; at equal times Mesa's run first, whatever their priority (among
    themselves they keep Mesa's order). Mesa's ``DEVSimulator`` is not supported: it takes
    events off Mesa's list only.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calendar = Calendar()

    def _next_mesa_time(self) -> float:
        """Time of the earliest live event on Mesa's own list (``inf`` if none)."""
        events = self._event_list._events  # read each time: Mesa's ``compact()`` replaces the list
        while events and events[0].CANCELED:
            heappop(events)  # as Mesa's own ``pop_event`` does with a cancelled event on top
        return events[0].time if events else INF

    def _advance_time(self, until: float) -> None:
        """Run every event due up to ``until`` in time order, then set the clock to ``until``.

        This is Mesa's ``Model._advance_time`` (behind ``run_until``, ``run_for`` and ``step``)
        extended to the calendar.
        """
        if until <= self.time:
            warnings.warn(f"end time {until} is not after time {self.time}", RuntimeWarning, stacklevel=2)
            return
        calendar = self.calendar
        while True:
            when = calendar.next_time()
            mesa_when = self._next_mesa_time() if self._event_list._events else INF
            if mesa_when <= when:  # Mesa's event first, also at equal times
                if mesa_when > until or mesa_when == INF:
                    break
                event = self._event_list.pop_event()
                self.time = calendar.now = mesa_when
                event.execute()
            else:
                if when > until:
                    break
                action = calendar.pop()
                self.time = calendar.now = when
                action()
        self.time = calendar.now = until
