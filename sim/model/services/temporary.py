"""NAV temporary housing: emergency places that must be offered within 24 hours.

Three kinds of place, each with its own capacity:

- ordinary places (hostels, rooms NAV rents): a number, or unlimited (NAV buys places as needed);
- staffed temporary places for people with high support need (the thesis, 7.2.2 and 7.4.1: none
  exists in the municipality, so the baseline has 0);
- crisis places for women in active use (the thesis, 7.2.2 and 7.4.1: none exists; baseline 0).

The service answers whether a place of a kind is free and counts who is in which; who may take
which place is the person's business (``Person.find_temporary_place``). When nothing suitable is free,
the person is refused and ends up on the street or a friend's sofa.
"""

from __future__ import annotations

from typing import Final, Literal

from sim.model.states import TempPlace

ORDINARY: Final = TempPlace.ORDINARY
STAFFED: Final = TempPlace.STAFFED
CRISIS: Final = TempPlace.CRISIS
#: The kinds of place, in the order they are tried: the one made for the person first.
KINDS: Final = (CRISIS, STAFFED, ORDINARY)


class TemporaryHousing:
    """Counts residents of each kind of place against its capacity.

    Args:
        capacity: Ordinary places, or ``"unlimited"``.
        staffed_places: Staffed temporary places.
        crisis_places: Crisis places for women in active use.
    """

    def __init__(self, capacity: int | Literal["unlimited"], staffed_places: int = 0, crisis_places: int = 0) -> None:
        self.capacity = None if capacity == "unlimited" else int(capacity)
        self.limits: dict[TempPlace, int | None] = {CRISIS: crisis_places, STAFFED: staffed_places, ORDINARY: self.capacity}
        self.by_kind: dict[TempPlace, int] = dict.fromkeys(KINDS, 0)
        self.residents = 0

    def is_free(self, kind: TempPlace) -> bool:
        """A place of this kind can be offered now."""
        limit = self.limits[kind]
        return limit is None or self.by_kind[kind] < limit

    @property
    def has_room(self) -> bool:
        """An ordinary place can be offered now."""
        return self.is_free(ORDINARY)

    def find(self, *, staffed: bool, crisis: bool) -> TempPlace | None:
        """The kind of place to offer a person, or ``None`` if nothing they may take is free.

        Args:
            staffed: The person may take a staffed place (their support need is high enough).
            crisis: The person may take a women's crisis place (a woman in active use).
        """
        if crisis and self.is_free(CRISIS):
            return CRISIS
        if staffed and self.is_free(STAFFED):
            return STAFFED
        return ORDINARY if self.is_free(ORDINARY) else None

    def enter(self, kind: TempPlace = ORDINARY) -> None:
        """One more resident in a place of ``kind`` (the caller has checked it is free)."""
        self.by_kind[kind] += 1
        self.residents += 1

    def leave(self, kind: TempPlace = ORDINARY) -> None:
        """One resident of a place of ``kind`` fewer."""
        self.by_kind[kind] -= 1
        self.residents -= 1
