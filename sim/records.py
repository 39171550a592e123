"""Compact records of what happened: spells, events and counts over time.

People who have left the system keep nothing but rows here, so memory grows with the events of
a run, held as plain columns, and tables are built once at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


def _columns(*names: str) -> dict[str, list]:
    return {name: [] for name in names}


@dataclass
class Records:
    """Columnar logs filled during a run."""

    spells: dict[str, list] = field(
        default_factory=lambda: _columns("person", "state", "housing_type", "zone", "start", "end", "end_reason")
    )
    admissions: dict[str, list] = field(default_factory=lambda: _columns("person", "day", "kind", "from_state"))
    discharges: dict[str, list] = field(
        default_factory=lambda: _columns("person", "day", "source", "destination")
    )
    relapses: dict[str, list] = field(default_factory=lambda: _columns("person", "day", "state"))
    evictions: dict[str, list] = field(default_factory=lambda: _columns("person", "day", "housing_type"))
    offers: dict[str, list] = field(
        default_factory=lambda: _columns("person", "day", "housing_type", "zone", "accepted", "consequence")
    )
    exits: dict[str, list] = field(default_factory=lambda: _columns("person", "day", "reason", "state"))
    treatment_waits: dict[str, list] = field(default_factory=lambda: _columns("person", "referred", "admitted"))
    samples: dict[str, list] = field(default_factory=dict)

    def spell(self, person: int, state: str, housing_type: str, zone: str, start: float, end: float, reason: str) -> None:
        """Append one finished spell."""
        s = self.spells
        s["person"].append(person)
        s["state"].append(state)
        s["housing_type"].append(housing_type)
        s["zone"].append(zone)
        s["start"].append(start)
        s["end"].append(end)
        s["end_reason"].append(reason)

    @staticmethod
    def add(table: dict[str, list], *values: object) -> None:
        """Append one row to a columnar table, values in column order."""
        for column, value in zip(table.values(), values, strict=True):
            column.append(value)

    def frame(self, name: str) -> pd.DataFrame:
        """One log as a DataFrame."""
        return pd.DataFrame(getattr(self, name))
