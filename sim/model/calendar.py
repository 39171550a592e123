"""The model's calendar: its pending events in time order, and the event loop that runs them.

Every event of the model (a person's next clock, an arrival, an allocation meeting, a sample)
is an :class:`Entry` (time, seq, action). Entries run in order of time; ties go to the entry
scheduled first (``seq``), the order Mesa's event list gives events of equal time and equal
priority. An entry is one small object compared in compiled code (``Entry.__lt__``, two
numbers); with the plain modules its comparison is a Python call, as a Mesa ``Event``'s is.

The model owns its event loop outright (:class:`CalendarModel`: ``run_until``, ``run_for`` and
``step`` run the calendar and nothing else) and uses only Mesa's public API: the agents'
registry, the random number generators and ``model.time``. Why not Mesa's event list? A Mesa
``Event`` is a Python object with a weak reference to its callback and a Python ``__lt__``, so
scheduling one and taking it off the heap costs about 4 microseconds; this model schedules a few
events per person and change of place, and that was the largest single cost of a run (see
``docs/performance.md``). Running Mesa's list beside the calendar would need Mesa's private
event list and time-advance method, which change between Mesa versions; the model schedules
nothing there, so it does not run Mesa's list at all (``CalendarModel.schedule_event`` raises).

Layout: entries due in the current window (one day at first) are in a binary heap
(``heapq``, compared in C); later ones of the current epoch (64 days) wait, unsorted, in a
bucket per window, and a bucket is put into the heap when its window comes up (a "calendar
queue"); entries due after the current epoch wait, unsorted, in a bucket per epoch, and an
epoch's bucket is shared out into the buckets of its windows when the epoch comes up. The heap
stays small however many people there are, which keeps the cost per event flat as the
population grows: one heap of every pending entry was 1.3x slower per event at 50 times the
baseline's size, mostly in cache misses. A bucket that comes up with more than ``split_at``
entries makes the windows narrower (halved until such a bucket would hold a quarter of that,
every entry waiting in the epoch put into the bucket of its narrower window): a run with many
people gets short windows, a small one keeps its one-day windows. The windows of an epoch come
up one after the other (a look-up per window, most of them empty); the epochs, in the order of
a small heap of their numbers. Two levels rather than one: with short windows, a bucket per
window for the whole future made a bucket, and a heap of bucket numbers, of nearly every entry,
and that heap's far-apart numbers were read from memory at every window (see
``docs/performance.md``). Windows and epochs are powers of two of a day wide, so their bounds
are exact floats.

Cancelling marks the entry (its action becomes ``None``); marked entries are dropped when they
come up, and the calendar is rebuilt without them when they outnumber the live ones, so it
holds about one entry per person present, however long the run. The calendar holds its actions
(people, bound methods) by strong reference until they run or are cancelled.
"""

from __future__ import annotations

import gc
import heapq
import math
import threading
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, NoReturn

import mesa
from mesa.experimental.mesa_signals import ObservableSignals
from mypy_extensions import mypyc_attr

if TYPE_CHECKING:  # only the signatures of the refusals below use them
    from mesa.time import Priority, Schedule

INF: Final = float("inf")
# Names read at every event are ``Final``: compiled (sim.model.native), a constant is read
# without a look-up in the module's dictionary, as an ordinary global is.
heapify: Final = heapq.heapify
heappop: Final = heapq.heappop
heappush: Final = heapq.heappush

#: Where Mesa's observable ``model.time`` keeps its value in the model's ``__dict__`` (its
#: descriptor's ``private_name``, "_time"), or ``None`` if this version of Mesa does it otherwise.
_TIME_SLOT: Final[str | None] = getattr(vars(mesa.Model).get("time"), "private_name", None)
#: The key of the observers of ``model.time`` in Mesa's ``model.subscribers``.
_TIME_OBSERVED: Final = ("time", ObservableSignals.CHANGED)

#: Entries in a window's bucket above which the windows are made narrower (:class:`Calendar`).
SPLIT_AT: Final = 64
#: The narrowest window, in days (about 84 seconds): a burst of entries at one time cannot be split.
MIN_WINDOW: Final = 2.0**-10
#: Days per epoch: entries due after the current epoch wait in a bucket per epoch (:class:`Calendar`).
EPOCH: Final = 64.0
#: No entry may be due at or after this time (2^43 days): below it, the number of every window,
#: however narrow, is an integer that a float holds exactly, so windows come up in order.
MAX_TIME: Final = 2.0**53 * MIN_WINDOW

#: Cancelled entries held before the calendar considers a rebuild (:meth:`Calendar.compact`):
#: often enough that memory stays flat in long runs, rarely enough that the one pass a rebuild
#: takes costs nothing noticeable.
COMPACT_AT: Final = 1024


class CyclesPaused:
    """A ``with`` block during which Python's cycle collector does not run (the model's runs and
    the building of its day-0 population).

    The model makes no reference cycles while it runs (``tests/test_performance_invariants.py``
    checks every shipped scenario), so the collector would find nothing; but it walks the
    objects made since its last pass, and with many people present that is most of them, again
    and again (6% of a run at 50 times the baseline's size). Paused only if it is on, and only on
    the main thread: another thread's cycles would wait for the end of the block. On again at the
    end of the block, however it ends.
    """

    __slots__ = ("_paused",)

    def __init__(self) -> None:
        self._paused = False

    def __enter__(self) -> None:
        self._paused = gc.isenabled() and threading.current_thread() is threading.main_thread()
        if self._paused:
            gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self._paused:
            gc.enable()


class Entry:
    """A pending event: when, its place among the entries scheduled before it, and what to call.

    Entries order by time, then by ``seq``: ``(time, seq)`` is unique. One compiled object
    (sim.model.native), compared in compiled code: the heap's comparisons, which are most of
    its work, read two numbers without a call into the interpreter.

    Args:
        time: When, in model time.
        seq: Its number in the order of scheduling.
        action: Called with no arguments; ``None`` once cancelled or taken off to run.
    """

    __slots__ = ("action", "held", "seq", "time")

    def __init__(self, time: float, seq: int, action: Callable[[], None] | None) -> None:
        self.time = time
        self.seq = seq
        self.action = action
        self.held = True  # on the calendar (a cancelled entry too, until it is dropped)

    def __lt__(self, other: Entry) -> bool:
        return self.time < other.time or (self.time == other.time and self.seq < other.seq)


class Calendar:
    """Pending events in order of time, then of scheduling.

    Args:
        compact_at: Rebuild when more than this many cancelled entries are held and they are
            more than the live ones (rebuilding costs one pass; it keeps memory flat in long
            runs).
        split_at: Make the windows narrower when a bucket comes up with more entries than this.
        epoch: Days per epoch, a power of two of at least a day (:data:`EPOCH`).
    """

    __slots__ = (
        "_buckets", "_cancelled", "_epoch_end", "_epochs", "_heap", "_held", "_horizon", "_later",
        "_next_window", "_seq", "compact_at", "epoch", "executed", "now", "split_at", "window",
    )  # fmt: skip

    def __init__(self, compact_at: int = COMPACT_AT, split_at: int = SPLIT_AT, epoch: float = EPOCH) -> None:
        if not (epoch >= 1.0 and math.frexp(epoch)[0] == 0.5):
            raise ValueError(f"epoch must be a power of two of at least 1, not {epoch}")
        self.compact_at = compact_at
        self.split_at = split_at
        self.epoch = epoch
        self.window = 1.0  # days per window: a power of two (halved by ``_narrow``)
        self.now = 0.0  # the clock: nothing may be scheduled before it (set by the loop that runs it)
        # Invariant: every entry in ``_heap`` is due before ``_horizon``, the start of window
        # number ``_next_window``; every entry in ``_buckets`` at or after it and before
        # ``_epoch_end`` (in the bucket of its window); every entry in ``_later`` at or after
        # ``_epoch_end`` (in the bucket of its epoch, whose number is in the heap ``_epochs``).
        # A window's bucket goes into the heap whole; an epoch's is shared out into ``_buckets``.
        self._heap: list[Entry] = []
        self._horizon = self.window
        self._next_window = 1  # the number of the next window to come up (the horizon's)
        self._epoch_end = epoch
        self._buckets: dict[int, list[Entry]] = {}  # window number -> its entries (unsorted)
        self._later: dict[int, list[Entry]] = {}  # epoch number -> its entries (unsorted)
        self._epochs: list[int] = []  # heap of the numbers in ``_later``
        self._seq = 0  # entries scheduled so far
        self._cancelled = 0
        self._held = 0  # entries in the heap and the buckets, cancelled ones included
        self.executed = 0  # entries taken off to run, so far

    def schedule(self, time: float, action: Callable[[], None], spare: Entry | None = None) -> Entry:
        """Call ``action()`` at ``time``; returns the entry (a handle for :meth:`cancel`).

        Args:
            time: When, in model time; entries at equal times run in the order scheduled.
            action: Called with no arguments; held by strong reference until it runs or is
                cancelled.
            spare: An entry that has run, to be used again for this one (a person's last event
                becomes their next: no new object, and none for the garbage collector to walk);
                ignored if it is still on the calendar. The order is the same either way. The
                caller gives up its old handle: cancelling through it cancels the new event.

        Raises:
            ValueError: If ``time`` is before :attr:`now` (as Mesa's ``schedule_event``), or not
                before :data:`MAX_TIME`.
        """
        if time < self.now:
            raise ValueError(f"cannot schedule an event in the past: at {time}, now is {self.now}")
        if not time < MAX_TIME:
            raise ValueError(f"cannot schedule an event at {time}: the calendar holds times below {MAX_TIME:g}")
        seq = self._seq
        self._seq = seq + 1
        if spare is None or spare.held:
            entry = Entry(time, seq, action)
        else:
            entry = spare
            entry.time = time
            entry.seq = seq
            entry.action = action
            entry.held = True
        self._held += 1
        if time < self._horizon:
            heappush(self._heap, entry)
        elif time < self._epoch_end:
            self._file(entry)
        else:
            self._file_later(entry)
        return entry

    def _file(self, entry: Entry) -> None:
        """Put an entry due in the current epoch, at or after the horizon, into its window's bucket."""
        window = int(entry.time / self.window)  # time >= 0, the width a power of two: the floor, exactly
        bucket = self._buckets.get(window)
        if bucket is None:
            self._buckets[window] = [entry]
        else:
            bucket.append(entry)

    def _file_later(self, entry: Entry) -> None:
        """Put an entry due after the current epoch into its epoch's bucket."""
        epoch = int(entry.time / self.epoch)
        bucket = self._later.get(epoch)
        if bucket is None:
            self._later[epoch] = [entry]
            heappush(self._epochs, epoch)
        else:
            bucket.append(entry)

    def cancel(self, entry: Entry) -> None:
        """Do not run this entry's action (a no-op if it already ran or was cancelled, unless it
        has since been given to :meth:`schedule` as ``spare``: it is then the new entry).

        Args:
            entry: What :meth:`schedule` returned.
        """
        if entry.action is not None:
            entry.action = None
            self._cancelled += 1
            if self._cancelled > self.compact_at and 2 * self._cancelled > self._held:
                self.compact()

    def compact(self) -> None:
        """Drop cancelled entries (the order of the rest is unchanged: ``(time, seq)`` is unique)."""
        self._heap[:] = [e for e in self._heap if e.action is not None]
        heapify(self._heap)
        for buckets in (self._buckets, self._later):
            for number, bucket in list(buckets.items()):
                bucket[:] = [e for e in bucket if e.action is not None]
                if not bucket:
                    del buckets[number]
        self._epochs[:] = sorted(self._later)
        self._held -= self._cancelled
        self._cancelled = 0

    def next_time(self) -> float:
        """Time of the earliest live entry (``inf`` if none)."""
        heap = self._heap
        while True:
            while heap and heap[0].action is None:
                heappop(heap)
                self._cancelled -= 1
                self._held -= 1
            if heap:
                return heap[0].time
            buckets = self._buckets
            if buckets:
                # The heap is empty: the next window with entries comes up (there is one in this epoch).
                window = self._next_window
                while window not in buckets:
                    window += 1
                bucket = buckets.pop(window)
                if len(bucket) > self.split_at and self.window > MIN_WINDOW and self._narrow(window, bucket):
                    continue  # the first of the narrower windows comes up
                heap[:] = bucket
                heapify(heap)
                self._come_to(window + 1)
            elif self._epochs:
                # This epoch is over: the next epoch with entries comes up, its entries shared out
                # into the buckets of its windows.
                epoch = heappop(self._epochs)
                later = self._later.pop(epoch)
                self._epoch_end = (epoch + 1) * self.epoch
                self._come_to(int(epoch * self.epoch / self.window))
                self._refile(later)
            else:
                return INF

    def _come_to(self, window: int) -> None:
        """Make window number ``window`` the next to come up: the horizon is its start, and
        entries due before it go to the heap (the one place the two are set, so they agree)."""
        self._next_window = window
        self._horizon = window * self.window

    def _refile(self, entries: list[Entry]) -> None:
        """File ``entries``, all due in the current epoch, into their windows' buckets, leaving
        cancelled ones out."""
        for entry in entries:
            if entry.action is None:
                self._cancelled -= 1
                self._held -= 1
            else:
                self._file(entry)

    def _narrow(self, window: int, bucket: list[Entry]) -> bool:
        """Halve the windows until ``bucket`` (window number ``window``)'s entries would fill a
        quarter of ``split_at`` a window, and put every entry waiting in the epoch (``bucket``'s
        and the other buckets') into the bucket of its new window, leaving cancelled ones out
        (the heap is empty: no entry of the epoch is elsewhere).

        Entries due at the same time count once: many at one time (timers set together, such
        as the day-0 population's reviews) cannot be split, and such a bucket narrows nothing.

        Returns:
            Whether the windows were narrowed (if not, ``bucket`` is as it was, and comes up).
        """
        times = len({entry.time for entry in bucket})
        if times <= self.split_at:
            return False
        old = self.window
        while self.window > MIN_WINDOW and times * (self.window / old) > self.split_at / 4:
            self.window /= 2.0
        waiting = [bucket, *self._buckets.values()]
        self._buckets = {}
        self._come_to(int(window * old / self.window))  # the same time: powers of two
        for entries in waiting:
            self._refile(entries)
        return True

    def pop(self) -> Callable[[], None]:
        """Take the earliest entry off the calendar and return its action (call
        :meth:`next_time` first, so the earliest entry is a live one in the heap)."""
        entry: Entry = heappop(self._heap)
        self._held -= 1
        action = entry.action
        assert action is not None, "next_time leaves a live entry first"
        entry.action = None  # gone from the calendar: a later ``cancel`` of it must be a no-op
        entry.held = False
        self.executed += 1
        return action

    def held(self) -> int:
        """Entries held, cancelled ones included."""
        return self._held

    def __len__(self) -> int:
        """Live entries."""
        return self._held - self._cancelled


@mypyc_attr(allow_interpreted_subclasses=True)  # compiled (sim.model.native), and open to subclasses
class CalendarModel(mesa.Model):
    """A Mesa model that runs its own event loop over a :class:`Calendar` (``self.calendar``).

    Mesa gives the agents' registry, the random number generators and the ``time`` attribute;
    this class advances the clock itself (:meth:`run_until`, :meth:`run_for`, :meth:`step`),
    running the calendar's entries in order of time, then of scheduling, and nothing else. It
    uses no private part of Mesa.

    Mesa's own event list is not run, so Mesa's event scheduling is not supported:
    :meth:`schedule_event` and :meth:`schedule_recurring` raise instead of taking events that
    would never run (schedule on ``self.calendar``), and Mesa's ``DEVSimulator`` cannot drive
    this model. The daily ``step`` event that ``mesa.Model.__init__`` puts on Mesa's list never
    runs either, so Mesa never calls a ``step`` hook and ``steps`` counts only calls of
    :meth:`step`.
    """

    steps: int  # set by ``mesa.Model.__init__`` (declared for the type checker and the compiler)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # ``mesa.Model.__init__`` sets ``self.step`` to a wrapper that advances Mesa's clock over
        # Mesa's event list: take it off, so ``model.step()`` is this class's (a no-op if a
        # version of Mesa does not set it).
        self.__dict__.pop("step", None)
        self.calendar = Calendar()

    def run_until(self, end_time: float) -> None:
        """Run every entry due up to and including ``end_time`` in order, then set the clock to it.

        Args:
            end_time: The time to run to; may be ``inf`` (run until nothing is left).

        Warns:
            RuntimeWarning: If ``end_time`` is not after the current time (the clock does not
                move and nothing runs).
        """
        calendar = self.calendar
        if end_time <= calendar.now:  # ``calendar.now`` is ``self.time``: this loop sets both
            warnings.warn(f"end time {end_time} is not after time {calendar.now}", RuntimeWarning, stacklevel=2)
            return
        with CyclesPaused():
            self._run_entries(end_time)
        setattr(self, "time", end_time)  # noqa: B010
        calendar.now = end_time

    def _run_entries(self, end_time: float) -> None:
        """Run every entry due up to and including ``end_time``, in order (:meth:`run_until`)."""
        calendar = self.calendar
        next_time, pop = calendar.next_time, calendar.pop
        # ``model.time`` is Mesa's observable attribute: setting it runs Mesa's Python code, which
        # looks for observers and tells them of the change. It is set that way, through
        # ``setattr``, whenever something observes it (``self.time = ...`` in this class would
        # give the compiled class, sim.model.native, an attribute of its own that hides Mesa's).
        # While nothing does, the value is written where that code would write it (a third of a
        # microsecond less per event); reading ``model.time`` is the same either way.
        slot = _TIME_SLOT
        store: dict[str, Any] = self.__dict__
        subscribers: dict[Any, Any] = self.subscribers
        while True:
            when = next_time()
            if when > end_time or when == INF:
                break
            action = pop()
            if slot is None or subscribers.get(_TIME_OBSERVED):
                setattr(self, "time", when)  # noqa: B010
            else:
                store[slot] = when
            calendar.now = when
            action()

    def run_for(self, duration: float) -> None:
        """Run for ``duration`` time units from now (see :meth:`run_until`).

        Args:
            duration: Time units (days) to advance.
        """
        self.run_until(self.calendar.now + duration)

    def step(self) -> None:
        """Advance the clock by one time unit (one day), running every entry due (as Mesa's ``step``)."""
        self.steps += 1
        self.run_for(1.0)

    def schedule_event(
        self,
        function: Callable[[], Any],
        *,
        at: float | None = None,
        after: float | None = None,
        priority: Priority | None = None,
    ) -> NoReturn:
        """Not supported: this model does not run Mesa's event list.

        Raises:
            NotImplementedError: Always; schedule on ``model.calendar`` instead.
        """
        raise NotImplementedError(
            f"{type(self).__name__} runs its own calendar, not Mesa's event list: use "
            "model.calendar.schedule(time, action)"
        )

    def schedule_recurring(
        self, function: Callable[[], Any], schedule: Schedule, priority: Priority | None = None
    ) -> NoReturn:
        """Not supported: this model does not run Mesa's event list.

        Raises:
            NotImplementedError: Always; schedule on ``model.calendar`` instead (an action that
                schedules its own next call, as ``sim.model.housing_model.Recurring`` does).
        """
        raise NotImplementedError(
            f"{type(self).__name__} runs its own calendar, not Mesa's event list: use "
            "model.calendar.schedule(time, action)"
        )
