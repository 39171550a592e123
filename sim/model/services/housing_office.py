"""The housing office: the waiting list and the periodic allocation meetings (mechanism 6).

At each meeting the office goes through the eligible applicants in the order of the matching
rule and offers each the unit the rule picks from the vacant ones. The person answers
(``sim.model.allocation``); an accepted unit is reserved while paperwork and deposit are sorted out,
and the person moves in when that is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from typing import TYPE_CHECKING

from sim.model import allocation
from sim.model.allocation import Answer
from sim.model.hazards import gamma_duration

if TYPE_CHECKING:
    from sim.model import HousingModel
    from sim.model.person import Person


@dataclass(eq=False, slots=True)
class Application:
    """A person's place on the waiting list."""

    person: Person
    serial: int
    queue_day: float  # position in the queue: earlier is first
    active_from: float  # the office has the papers from this day on
    declines: int = 0
    penalty: int = 0


class HousingOffice:
    """Waiting list and allocation meetings.

    Args:
        model: The model (clock, scenario, stock, records).
    """

    def __init__(self, model: HousingModel) -> None:
        self.model = model
        self.cfg = model.cfg.housing_office
        self.applications: dict[Person, Application] = {}
        self._serial = count()
        self._meeting_due: set[float] = set()  # extra meetings already scheduled (allocate_on_vacancy)
        if self.cfg.allocate_on_vacancy:
            model.stock.on_vacancy = self.call_meeting

    def call_meeting(self, delay: float = 0.0) -> None:
        """Schedule an extra meeting ``delay`` days from now (once per time point).

        With ``housing_office.allocate_on_vacancy``, a unit is offered as soon as it is free
        and an applicant as soon as their papers arrive, instead of at the next periodic
        meeting (used for docking against queueing theory).
        """
        when = self.model.time + delay
        if when not in self._meeting_due:
            self._meeting_due.add(when)
            self.model.calendar.schedule(when, self._extra_meeting)

    def _extra_meeting(self) -> None:
        """Hold an extra meeting called by :meth:`call_meeting`."""
        self._meeting_due.discard(self.model.time)
        self.meeting()

    def __len__(self) -> int:
        return len(self.applications)

    def apply(self, person: Person, delay: float) -> None:
        """Put a person on the list; the application reaches the office after ``delay`` days.

        A person already on the list keeps the earlier place.

        Args:
            person: The applicant.
            delay: Days until the office has the papers (the place in the queue is from then).
        """
        now = self.model.time
        existing = self.applications.get(person)
        if existing is not None:
            existing.active_from = min(existing.active_from, now + delay)
        else:
            self.applications[person] = Application(person, next(self._serial), now + delay, now + delay)
        if self.cfg.allocate_on_vacancy:
            self.call_meeting(delay)

    def withdraw(self, person: Person) -> None:
        """Take a person off the list (housed, left, or refused further offers)."""
        self.applications.pop(person, None)

    def _eligible(self, app: Application) -> bool:
        """The application can be offered a unit at a meeting now."""
        person = app.person
        if app.active_from > self.model.time or person.offer is not None:
            return False
        # "Housing-ready" rule: no offer to someone in active use (Housing First drops it).
        return not (self.cfg.require_housing_ready and person.using)

    def meeting(self) -> None:
        """Hold an allocation meeting: match vacant units to the waiting list."""
        model = self.model
        stock = model.stock
        if not stock.vacant:
            return
        candidates = [a for a in self.applications.values() if self._eligible(a)]
        if not candidates:
            return
        vacant = allocation.vacancy_order(stock.vacant.values())
        choice = model.cfg.choice
        institution_first = model.cfg.coordination.institution_priority
        for app in allocation.order_applicants(self.cfg.rule, candidates, institution_first):
            if not vacant:
                break
            person = app.person
            unit = allocation.choose_unit(self.cfg.rule, app, vacant)
            p_decline = allocation.decline_probability(
                choice, unit.zone == person.preferred_zone, person.is_in_temporary
            )
            verdict = allocation.answer(choice, person.luck.random() < p_decline, app.declines)
            person.offers += 1
            person.declines += verdict.declined
            model.records.add(
                model.records.offers, person.unique_id, model.time, unit.type_name, unit.zone,
                not verdict.declined, verdict.value,
            )
            if verdict is Answer.ACCEPTED:
                vacant.remove(unit)
                stock.reserve(unit, person)
                self.withdraw(person)
                delay = gamma_duration(person.luck, self.cfg.move_in_delay_days_mean, self.cfg.move_in_delay_days_cv)
                person.accept_offer(unit, model.time + delay)
            elif verdict is Answer.DECLINED:
                app.declines += 1
            elif verdict is Answer.BACK_OF_QUEUE:
                app.queue_day, app.declines = model.time, 0
            elif verdict is Answer.LOWER_PRIORITY:
                app.penalty, app.declines = app.penalty + 1, 0
            elif verdict is Answer.TEMPORARY_ONLY:
                self.withdraw(person)
                person.refused_offers_limit()
