"""NAV temporary housing: emergency places that must be offered within 24 hours.

Capacity is either unlimited (NAV buys places as needed) or a fixed number of places; when it
is full, people end up on the street or a friend's sofa.
"""

from __future__ import annotations

from typing import Literal


class TemporaryHousing:
    """Counts residents against an optional capacity.

    Args:
        capacity: Number of places, or ``"unlimited"``.
    """

    def __init__(self, capacity: int | Literal["unlimited"]) -> None:
        self.capacity = None if capacity == "unlimited" else int(capacity)
        self.residents = 0

    @property
    def has_room(self) -> bool:
        """A place can be offered now."""
        return self.capacity is None or self.residents < self.capacity

    def enter(self) -> None:
        """One more resident (the caller has checked ``has_room``)."""
        self.residents += 1

    def leave(self) -> None:
        """One resident fewer."""
        self.residents -= 1
