"""Inpatient substance treatment (TSB): a fixed number of beds and a first-come queue."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from sim.model.states import State

if TYPE_CHECKING:
    from sim.model.housing_model import HousingModel
    from sim.model.person import Person


class Treatment:
    """Beds and a waiting queue; admits the head of the queue whenever a bed is free.

    Args:
        model: The model (for its clock and records).
        beds: Number of beds.
    """

    def __init__(self, model: HousingModel, beds: int) -> None:
        self.model = model
        self.beds = beds
        self.patients: set[Person] = set()
        # The waiting queue, first referred first: person -> day of referral. An ordered dict
        # takes a person out of the middle (prison, death) as cheaply as off the front.
        self.queue: OrderedDict[Person, float] = OrderedDict()

    @property
    def has_bed(self) -> bool:
        """A bed is free now."""
        return len(self.patients) < self.beds

    def is_queued(self, person: Person) -> bool:
        """The person is waiting for a bed."""
        return person in self.queue

    def refer(self, person: Person) -> None:
        """Put a person on the treatment queue, admitting at once if a bed is free."""
        if person in self.queue or person in self.patients:
            return
        self.queue[person] = self.model.calendar.now
        self._admit_waiting()

    def withdraw(self, person: Person) -> None:
        """Take a person off the queue (they left the system or went to prison)."""
        self.queue.pop(person, None)

    def occupy_at_start(self, person: Person) -> None:
        """Place a person in a bed at day 0 (initial population), beyond capacity if need be."""
        self.patients.add(person)

    def leave(self, person: Person) -> None:
        """Free the person's bed (discharge or death) and admit the next in the queue."""
        self.patients.discard(person)
        self._admit_waiting()

    def _admit_waiting(self) -> None:
        """Admit from the head of the queue while a bed is free (recording each wait)."""
        while self.queue and self.has_bed:
            person, referred = self.queue.popitem(last=False)
            self.model.records.treatment_wait(person.unique_id, referred, self.model.calendar.now)
            self.patients.add(person)
            person.admit(State.TREATMENT)
