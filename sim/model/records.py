"""Compact records of what happened: spells, events and counts over time.

People who have left the system keep nothing but rows here. Every table is a set of columns
filled during the run: numbers (person ids, days, counts) in typed arrays of 8 bytes a value,
text (states, reasons, unit types) as references to a handful of shared strings. Tables are
built once, at the end (:meth:`Records.frame`). Memory therefore grows with the events of a run
by a few dozen bytes a row, and with the people present at once by what they hold.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# Columns holding numbers, and their array type code ("q": 64-bit integer, "d": float64).
# Every other column is a plain list (text, yes/no).
NUMERIC: dict[str, str] = {
    "person": "q", "day": "d", "start": "d", "end": "d", "referred": "d", "admitted": "d",
    "unit": "q", "vacant_days": "d", "offers": "q",
}  # fmt: skip


def _columns(*names: str) -> dict[str, list | array]:
    """Empty columns with these names, in this order: typed arrays for numbers, lists for the rest."""
    return {name: array(NUMERIC[name]) if name in NUMERIC else [] for name in names}


@dataclass
class Records:
    """Columnar logs filled during a run.

    Each table is a dict of columns (``table["day"]`` is every row's day, in order); the model
    adds rows with the table's own method (:meth:`spell`, :meth:`admission`, ...), other code
    with :meth:`add`; read a table with :meth:`frame`. ``samples`` holds the
    counts over time, one column per quantity.
    """

    spells: dict[str, list | array] = field(
        default_factory=lambda: _columns("person", "state", "housing_type", "zone", "start", "end", "end_reason")
    )
    admissions: dict[str, list | array] = field(default_factory=lambda: _columns("person", "day", "kind", "from_state"))
    discharges: dict[str, list | array] = field(
        default_factory=lambda: _columns("person", "day", "source", "destination")
    )
    relapses: dict[str, list | array] = field(default_factory=lambda: _columns("person", "day", "state"))
    evictions: dict[str, list | array] = field(default_factory=lambda: _columns("person", "day", "housing_type"))
    offers: dict[str, list | array] = field(
        default_factory=lambda: _columns("person", "day", "housing_type", "zone", "accepted", "consequence")
    )
    exits: dict[str, list | array] = field(default_factory=lambda: _columns("person", "day", "reason", "state"))
    treatment_waits: dict[str, list | array] = field(
        default_factory=lambda: _columns("person", "referred", "admitted")
    )
    # People NAV could not give a temporary place: "full" (no suitable place free) or
    # "unsuitable" (a woman in active use who would not take an ordinary place).
    refusals: dict[str, list | array] = field(default_factory=lambda: _columns("person", "day", "reason"))
    # Lettings of municipal units: who moved in, the days the unit stood empty since its last
    # tenant left (or it was added), the offers it took, and whether the tenant chose it.
    lettings: dict[str, list | array] = field(
        default_factory=lambda: _columns(
            "person", "day", "unit", "housing_type", "zone", "vacant_days", "offers", "chosen"
        )
    )
    # Units a scenario's stock additions bought (``stock.additions``), one row each.
    added_units: dict[str, list | array] = field(default_factory=lambda: _columns("unit", "day", "housing_type", "zone"))
    samples: dict[str, list | array] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Every table's column appends, bound once: the model adds a row at most events, through
        # the table's own method below (``spell``, ``admission``, ...).
        self._spell = _appends(self.spells)
        self._admission = _appends(self.admissions)
        self._discharge = _appends(self.discharges)
        self._relapse = _appends(self.relapses)
        self._eviction = _appends(self.evictions)
        self._offer = _appends(self.offers)
        self._exit = _appends(self.exits)
        self._treatment_wait = _appends(self.treatment_waits)
        self._refusal = _appends(self.refusals)
        self._letting = _appends(self.lettings)
        self._added_unit = _appends(self.added_units)

    def spell(self, person: int, state: str, housing_type: str, zone: str, start: float, end: float, reason: str) -> None:
        """Append one finished spell.

        Args:
            person: The person's id.
            state: Where they were (a ``State``'s value: a plain ``str``, as every text column).
            housing_type: The unit type, for a housed spell in a unit; else ``""``.
            zone: The unit's zone, for a housed spell in a unit; else ``""``.
            start: Day the spell began.
            end: Day it ended.
            reason: Why it ended.
        """
        a = self._spell
        a[0](person)
        a[1](state)
        a[2](housing_type)
        a[3](zone)
        a[4](start)
        a[5](end)
        a[6](reason)

    # One method per table, its arguments in column order (text as plain ``str``).

    def admission(self, person: int, day: float, kind: str, from_state: str) -> None:
        """An admission to treatment or prison (``kind``), from ``from_state`` (or ``"outside"``)."""
        a = self._admission
        a[0](person)
        a[1](day)
        a[2](kind)
        a[3](from_state)

    def discharge(self, person: int, day: float, source: str, destination: str) -> None:
        """A discharge from treatment or prison (``source``) to ``destination``."""
        a = self._discharge
        a[0](person)
        a[1](day)
        a[2](source)
        a[3](destination)

    def relapse(self, person: int, day: float, state: str) -> None:
        """A relapse, in ``state``."""
        a = self._relapse
        a[0](person)
        a[1](day)
        a[2](state)

    def eviction(self, person: int, day: float, housing_type: str) -> None:
        """An eviction from a unit of ``housing_type``."""
        a = self._eviction
        a[0](person)
        a[1](day)
        a[2](housing_type)

    def offer(self, person: int, day: float, housing_type: str, zone: str, accepted: bool, consequence: str) -> None:
        """An offer of a unit, and the answer (``consequence``: ``sim.model.allocation.Answer``'s value)."""
        a = self._offer
        a[0](person)
        a[1](day)
        a[2](housing_type)
        a[3](zone)
        a[4](accepted)
        a[5](consequence)

    def exit(self, person: int, day: float, reason: str, state: str) -> None:
        """A person left the system, from ``state``."""
        a = self._exit
        a[0](person)
        a[1](day)
        a[2](reason)
        a[3](state)

    def treatment_wait(self, person: int, referred: float, admitted: float) -> None:
        """A wait for treatment, from referral to admission."""
        a = self._treatment_wait
        a[0](person)
        a[1](referred)
        a[2](admitted)

    def refusal(self, person: int, day: float, reason: str) -> None:
        """NAV could not give a temporary place (``reason``: ``"full"`` or ``"unsuitable"``)."""
        a = self._refusal
        a[0](person)
        a[1](day)
        a[2](reason)

    def letting(
        self, person: int, day: float, unit: int, housing_type: str, zone: str, vacant_days: float, offers: int,
        chosen: bool,
    ) -> None:  # fmt: skip
        """A letting of a municipal unit."""
        a = self._letting
        a[0](person)
        a[1](day)
        a[2](unit)
        a[3](housing_type)
        a[4](zone)
        a[5](vacant_days)
        a[6](offers)
        a[7](chosen)

    def added_unit(self, unit: int, day: float, housing_type: str, zone: str) -> None:
        """A unit a stock addition bought."""
        a = self._added_unit
        a[0](unit)
        a[1](day)
        a[2](housing_type)
        a[3](zone)

    @staticmethod
    def add(table: dict[str, list | array], *values: object) -> None:
        """Append one row to a columnar table.

        Args:
            table: One of the tables (e.g. ``records.exits``).
            values: One value per column, in column order; text as plain ``str``.
        """
        for column, value in zip(table.values(), values, strict=True):
            column.append(value)

    def frame(self, name: str) -> pd.DataFrame:
        """One log as a DataFrame (numeric columns as int64/float64, text as strings)."""
        return as_frame(getattr(self, name))

    def _tables(self) -> tuple[dict[str, list | array], ...]:
        """Every table, the samples included."""
        return (self.spells, self.admissions, self.discharges, self.relapses, self.evictions, self.offers,
                self.exits, self.treatment_waits, self.refusals, self.lettings, self.added_units,
                self.samples)  # fmt: skip

    def rows(self) -> int:
        """Rows held over all tables (samples included)."""
        return sum(len(next(iter(t.values()))) for t in self._tables() if t)

    def nbytes(self) -> int:
        """Bytes allocated for the columns, room for growth included (for text columns, the
        references; the few strings they point to are shared)."""
        return sum(sys.getsizeof(column) for table in self._tables() for column in table.values())


def _appends(table: dict[str, list | array]) -> tuple[Callable[[Any], None], ...]:
    """The ``append`` of each column of ``table``, in column order."""
    return tuple(column.append for column in table.values())


def as_frame(columns: dict[str, list | array]) -> pd.DataFrame:
    """A DataFrame from a dict of columns; typed arrays are copied in one go (no per-value work)."""
    return pd.DataFrame({k: np.array(v) if isinstance(v, array) else v for k, v in columns.items()})
