"""The municipal housing stock: units of differentiated types, vacancies, losses and additions.

A unit is vacant when it has no tenant, is not reserved for someone who accepted it and is doing
the paperwork, and is not held for an applicant who has been offered it and has not answered
yet. Units can be lost (force-sold after damage, mechanism 5) and added on a schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from sim.config import StockConfig, UnitTypeConfig

if TYPE_CHECKING:
    from sim.model.person import Person


@dataclass(frozen=True, slots=True)
class UnitKind:
    """What the model reads of a unit type (``stock.types``), copied once from the scenario: the
    model reads it at most events, and a plain compiled object reads faster than the scenario's
    validated one (sim.model.native)."""

    support_level: int
    tolerates_use: bool
    tenancy_days: float
    renewable: bool
    renewal_requires_not_using: bool
    relapse_ends_tenancy: bool
    relapse_multiplier: float
    eviction_multiplier: float
    competence_gain_per_year: float

    @classmethod
    def from_config(cls, cfg: UnitTypeConfig) -> UnitKind:
        """The unit type as the scenario gives it: each field of this class, read from the
        scenario's field of the same name (its ``units`` are the stock's business)."""
        return cls(**{f.name: getattr(cfg, f.name) for f in fields(cls)})


@dataclass(eq=False, slots=True)
class Unit:
    """One municipal flat."""

    uid: int
    type_name: str
    kind: UnitKind
    zone: str
    vacant_since: float = 0.0  # first day vacant since the last tenant, reservation or addition
    tenant: Person | None = None
    reserved_for: Person | None = None
    lost: bool = False
    held: bool = False  # offered, the answer is due (a declined offer's response time)
    empty_since: float = 0.0  # no tenant since: the last tenant left, or the unit was added
    offers: int = 0  # offers of this unit since its last letting

    @property
    def is_vacant(self) -> bool:
        """Free to be offered at the next allocation meeting."""
        return self.tenant is None and self.reserved_for is None and not self.lost and not self.held


@dataclass(slots=True)
class HousingStock:
    """All units, with the set of vacant ones kept up to date."""

    units: list[Unit] = field(default_factory=list)
    vacant: dict[int, Unit] = field(default_factory=dict)
    lost_count: int = 0
    occupied: int = 0
    on_vacancy: Callable[[], None] | None = None  # told whenever a unit becomes vacant
    on_loss: Callable[[Unit], None] | None = None  # told whenever a unit is lost
    replaced: int = 0  # units added to replace lost ones
    by_type: dict[str, int] = field(default_factory=dict)  # units that exist, by type name (for costs)
    kinds: dict[str, UnitKind] = field(default_factory=dict)  # the unit types, by name

    @classmethod
    def from_config(cls, cfg: StockConfig) -> HousingStock:
        """Build the day-0 stock, types and zones in file order."""
        stock = cls(
            by_type=dict.fromkeys(cfg.types, 0),
            kinds={type_name: UnitKind.from_config(kind) for type_name, kind in cfg.types.items()},
        )
        for type_name, kind in cfg.types.items():
            for zone, count in kind.units.items():
                stock.add(type_name, zone, count, day=0.0)
        return stock

    def add(self, type_name: str, zone: str, count: int, day: float) -> None:
        """Add ``count`` new vacant units.

        Args:
            type_name: The unit type's name (a key of ``stock.types`` and :attr:`kinds`).
            zone: The zone the units are in.
            count: How many.
            day: Their first day vacant (the day they are added).
        """
        self.by_type[type_name] = self.by_type.get(type_name, 0) + count
        kind = self.kinds[type_name]
        for _ in range(count):
            unit = Unit(len(self.units), type_name, kind, zone, vacant_since=day, empty_since=day)
            self.units.append(unit)
            self.vacant[unit.uid] = unit
        if count and self.on_vacancy is not None:
            self.on_vacancy()

    @property
    def size(self) -> int:
        """Units that exist (not lost)."""
        return len(self.units) - self.lost_count

    def reserve(self, unit: Unit, person: Person) -> None:
        """Hold a unit for a person who accepted it (paperwork, deposit)."""
        assert unit.is_vacant, "a unit is offered only when vacant"
        unit.reserved_for = person
        del self.vacant[unit.uid]

    def hold(self, unit: Unit) -> None:
        """Keep a unit off the vacant list while an applicant who will decline it answers."""
        assert unit.is_vacant, "a unit is offered only when vacant"
        unit.held = True
        del self.vacant[unit.uid]

    def give_back(self, unit: Unit) -> None:
        """The declined offer's answer has come: the unit is vacant again, still counted as
        vacant since it was first free (so it keeps its place in the vacancy order)."""
        assert unit.held
        unit.held = False
        self.vacant[unit.uid] = unit
        if self.on_vacancy is not None:
            self.on_vacancy()

    def occupy(self, unit: Unit, person: Person) -> None:
        """Hand the keys to the person the unit was reserved for."""
        assert unit.tenant is None, "a unit is never occupied by two people"
        assert unit.reserved_for is person
        unit.reserved_for = None
        unit.tenant = person
        self.occupied += 1

    def release(self, unit: Unit, day: float, lose: bool = False) -> None:
        """Free a unit (tenant left, or a reservation fell through); optionally lose it.

        Args:
            unit: The unit.
            day: Now (the unit's first day vacant).
            lose: The unit leaves the stock instead (force-sold after damage, mechanism 5).
        """
        if unit.tenant is not None:
            self.occupied -= 1
            unit.empty_since = day
        unit.tenant = None
        unit.reserved_for = None
        if lose:
            unit.lost = True
            self.lost_count += 1
            self.by_type[unit.type_name] -= 1
            if self.on_loss is not None:
                self.on_loss(unit)
            return
        unit.vacant_since = day
        self.vacant[unit.uid] = unit
        if self.on_vacancy is not None:
            self.on_vacancy()

    def replace(self, lost: Unit, day: float) -> None:
        """Add one new vacant unit of the lost unit's type and zone (mechanism 5, rebuilt).

        Args:
            lost: The unit that was lost.
            day: Now (the new unit's first day vacant).
        """
        self.replaced += 1
        self.add(lost.type_name, lost.zone, 1, day=day)
