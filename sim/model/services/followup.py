"""Follow-up teams (FACT, home follow-up): a number of client slots (mechanism 9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model.person import Person


class FollowupTeam:
    """Client slots; a person is taken on only when a slot is free.

    Args:
        capacity: Number of clients the teams can follow at once.
        min_need: The lowest support need (``Need`` value) the teams take on.
        duration_days: How long a case lasts.
    """

    def __init__(self, capacity: int, min_need: int, duration_days: float) -> None:
        self.capacity = capacity
        self.min_need = min_need
        self.duration_days = duration_days
        self.clients: set[Person] = set()

    def try_enrol(self, person: Person) -> bool:
        """Take a person on if a slot is free; return whether they were taken on."""
        if len(self.clients) >= self.capacity:
            return False
        self.clients.add(person)
        return True

    def end(self, person: Person) -> None:
        """Close the person's case."""
        self.clients.discard(person)
