"""The housing office: the waiting list and the periodic allocation meetings (mechanism 6).

At each meeting the office goes through the eligible applicants in the order of the matching
rule and offers each the unit the rule picks from the vacant ones. The person answers
(``sim.model.allocation``) within ``housing_office.offer_response_days``: the unit is held for
them until then. An accepted unit is then reserved while paperwork and deposit are sorted out,
and the person moves in when that is done. A declined unit is vacant again when the answer
comes: it waits for the next meeting, or (``declined_unit_to = "next_applicant"``) the office
offers it at once. Each decline therefore costs the unit empty days (thesis 7.2, 7.4.1). A unit
is not offered again to someone who declined it on the same application.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass
from functools import partial
from itertools import chain
from typing import TYPE_CHECKING

from sim.model import allocation
from sim.model.allocation import Answer
from sim.model.hazards import gamma_duration

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from sim.model.housing_model import HousingModel
    from sim.model.person import Person
    from sim.model.stock import Unit


@dataclass(eq=False, slots=True)
class Application:
    """A person's place on the waiting list."""

    person: Person
    serial: int
    queue_day: float  # position in the queue: earlier is first
    active_from: float  # the office has the papers from this day on
    declines: int = 0
    penalty: int = 0
    answer_due: float = -math.inf  # an offer is out to the applicant until this day
    # Units declined on this application, not offered again (``None`` until the first decline:
    # most applications never decline, and an empty set each was one more object per applicant
    # for memory and the cycle collector).
    declined: set[int] | None = None


class HousingOffice:
    """Waiting list and allocation meetings.

    Args:
        model: The model (clock, scenario, stock, records).
    """

    def __init__(self, model: HousingModel) -> None:
        self.model = model
        cfg = self.cfg = model.cfg.housing_office
        # The rules read at every application and meeting, copied once (the scenario's validated
        # objects read slower than this compiled one's attributes: sim.model.native).
        self.rule = cfg.rule
        self.allocate_on_vacancy = cfg.allocate_on_vacancy
        self.require_housing_ready = cfg.require_housing_ready
        self.institution_priority = model.cfg.coordination.institution_priority
        self.offer_response_days = cfg.offer_response_days
        self.move_in_delay_mean = cfg.move_in_delay_days_mean
        self.move_in_delay_cv = cfg.move_in_delay_days_cv
        self.applications: dict[Person, Application] = {}
        # The waiting list in the order of allocation.queue_key, kept as applications come, go and
        # change place, so a meeting need not sort the list: a declined unit offered to the next
        # applicant looks at the first few applications, not at every one (keeping the order
        # costs a copy and a memmove of the list, in C, per meeting and per change of place).
        # Entries are (*queue_key, application).
        self._order: list[tuple] = []
        self._changes = 0  # changes of the order so far (a meeting walking it finds its place again)
        self._serials = 0  # applications made so far (the next one's serial)
        self._meeting_due: set[float] = set()  # extra meetings already scheduled (allocate_on_vacancy)
        if self.allocate_on_vacancy:
            model.stock.on_vacancy = self.call_meeting

    def call_meeting(self, delay: float = 0.0) -> None:
        """Schedule an extra meeting ``delay`` days from now (once per time point).

        With ``housing_office.allocate_on_vacancy``, a unit is offered as soon as it is free
        and an applicant as soon as their papers arrive, instead of at the next periodic
        meeting (used for docking against queueing theory).
        """
        when = self.model.calendar.now + delay
        if when not in self._meeting_due:
            self._meeting_due.add(when)
            self.model.calendar.schedule(when, self._extra_meeting)

    def _extra_meeting(self) -> None:
        """Hold an extra meeting called by :meth:`call_meeting`."""
        self._meeting_due.discard(self.model.calendar.now)
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
        now = self.model.calendar.now
        existing = self.applications.get(person)
        if existing is not None:
            existing.active_from = min(existing.active_from, now + delay)
        else:
            app = Application(person, self._serials, now + delay, now + delay)
            self._serials += 1
            self.applications[person] = app
            self._enter(app)
        if self.allocate_on_vacancy:
            self.call_meeting(delay)

    def withdraw(self, person: Person) -> None:
        """Take a person off the list (housed, left, or refused further offers)."""
        app = self.applications.pop(person, None)
        if app is not None:
            self._leave(app)

    def requeue(self, app: Application, *, queue_day: float | None = None, penalty: int | None = None) -> None:
        """Move an application to another place in the queue (always through here: the office
        keeps the list in order).

        Args:
            app: An application on the list.
            queue_day: Its new day in the queue, if it changes.
            penalty: Its new priority penalty, if it changes.
        """
        self._leave(app)
        if queue_day is not None:
            app.queue_day = queue_day
        if penalty is not None:
            app.penalty = penalty
        self._enter(app)

    def _entry(self, app: Application) -> tuple:
        """The application's entry in the standing order: its key, then itself."""
        return (*allocation.queue_key(self.rule, app), app)

    def _enter(self, app: Application) -> None:
        """Put an application in its place in the standing order."""
        insort(self._order, self._entry(app))
        self._changes += 1

    def _leave(self, app: Application) -> None:
        """Take an application out of the standing order (before its place changes)."""
        i = bisect_left(self._order, self._entry(app))
        if i == len(self._order) or self._order[i][-1] is not app:
            raise RuntimeError(
                f"application {app.serial} is not where its queue_day and penalty put it in the waiting list's order "
                "(change them only through HousingOffice.requeue)"
            )
        del self._order[i]
        self._changes += 1

    def in_order(self) -> list[Application]:
        """Every application on the list, first in the queue first (:func:`allocation.queue_key`)."""
        return [entry[-1] for entry in self._order]

    def eligible(self, now: float) -> Iterator[Application]:
        """The applications that can be offered a unit at a meeting now, first in the queue first.

        Found one by one as the meeting goes on, so a meeting that offers one unit looks only
        at the front of the list. The applications considered are those on the list when the
        meeting starts and still on it when the walk comes to them, each once, in their order
        then: the walk goes over the list itself (a copy would cost a pass over every
        application at every meeting), and when the list has changed since its last step (an
        applicant housed or put back in the queue, a new application from a training flat's
        tenant) it finds its place again after the last entry it looked at, skipping the
        applications it has offered a unit to (put further back) and those made since the
        meeting began. (During a meeting only the applicant being offered
        a unit is housed, withdrawn or moved in the queue, so a copy taken at the start would
        give the same applicants; an applicant withdrawn before the walk came to them would be
        offered a unit from a copy, and is skipped here.)

        Args:
            now: The model's time.
        """
        # "Housing-ready" rule: no offer to someone in active use (Housing First drops it).
        ready = self.require_housing_ready
        order = self._order
        made_before = self._serials  # applications made from now on are not considered
        offered: set[int] = set()  # serials of the applications yielded (one put back comes up again)
        changes = self._changes
        i = 0
        last: tuple | None = None  # the entry looked at last
        while True:
            if self._changes != changes:
                assert last is not None
                i = bisect_right(order, last)
                changes = self._changes
            if i >= len(order):
                return
            last = order[i]
            i += 1
            a: Application = last[-1]
            if a.serial >= made_before or a.serial in offered:
                continue
            person = a.person
            if a.active_from <= now and a.answer_due <= now and person.offer is None and not (ready and person.using):
                offered.add(a.serial)
                yield a

    def meeting(self, only: Unit | None = None) -> None:
        """Hold an allocation meeting: match vacant units to the waiting list.

        Args:
            only: Offer only this unit (if it is still vacant): a declined unit offered to the
                next applicant when the answer comes (``declined_unit_to = "next_applicant"``).
        """
        model = self.model
        stock = model.stock
        if not stock.vacant or (only is not None and not only.is_vacant):
            return
        now = model.calendar.now
        cfg = self.cfg
        candidates: Iterable[Application] = self.eligible(now)
        if self.institution_priority:
            # People move in and out of institutions while they wait: sort the eligible now.
            candidates = allocation.order_applicants(self.rule, candidates, institution_first=True)
        candidates = iter(candidates)
        first = next(candidates, None)
        if first is None:
            return  # no one to offer a unit to: the vacancies need no order
        candidates = chain((first,), candidates)
        vacant = [only] if only is not None else allocation.vacancy_order(stock.vacant.values())
        choice = model.cfg.choice
        response = self.offer_response_days
        for app in candidates:
            person = app.person
            options = vacant
            declined_units = app.declined
            if declined_units is not None:
                options = [u for u in vacant if u.uid not in declined_units]
                if not options:
                    continue
            unit = allocation.choose_unit(self.rule, app, options, cfg)
            in_preferred_zone = unit.zone == person.preferred_zone
            p_decline = allocation.decline_probability(choice, in_preferred_zone, person.is_in_temporary)
            verdict = allocation.answer(choice, person.luck.random() < p_decline, app.declines)
            declined = verdict.declined
            person.offers += 1
            person.declines += declined
            unit.offers += 1
            model.records.offer(
                person.unique_id, now, unit.type_name, unit.zone, not declined, allocation.ANSWER_VALUE[verdict]
            )
            if verdict is Answer.ACCEPTED:
                vacant.remove(unit)
                stock.reserve(unit, person)
                self.withdraw(person)
                # Chosen: in the zone the person prefers, or taken after using a decline.
                chosen = in_preferred_zone or app.declines > 0
                delay = response + gamma_duration(person.luck, self.move_in_delay_mean, self.move_in_delay_cv)
                person.accept_offer(unit, now + delay, chosen=chosen)
                if not vacant:
                    break
                continue
            app.declined = {unit.uid} if app.declined is None else app.declined | {unit.uid}
            if response > 0.0:
                # The unit waits for the answer: no one else is offered it until then.
                vacant.remove(unit)
                stock.hold(unit)
                app.answer_due = now + response
                model.calendar.schedule(now + response, partial(self._answer_declined, unit))
            if verdict is Answer.DECLINED:
                app.declines += 1
            elif verdict is Answer.BACK_OF_QUEUE:
                self.requeue(app, queue_day=now + response)
                app.declines = 0
            elif verdict is Answer.LOWER_PRIORITY:
                self.requeue(app, penalty=app.penalty + 1)
                app.declines = 0
            elif verdict is Answer.TEMPORARY_ONLY:
                self.withdraw(person)
                person.refused_offers_limit()
            if not vacant:
                break

    def _answer_declined(self, unit: Unit) -> None:
        """A declined offer's answer has come: the unit is vacant again, for the next meeting or
        (``declined_unit_to = "next_applicant"``) offered at once to the next eligible applicant
        (that unit only: the other vacancies wait for the meeting)."""
        self.model.stock.give_back(unit)
        if self.cfg.declined_unit_to == "next_applicant" and not self.allocate_on_vacancy:
            self.meeting(only=unit)
