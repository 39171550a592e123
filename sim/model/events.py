"""What each kind of a person's event does when it comes up.

``sim.model.clocks.next_event`` says which kind of event comes next for a person;
``Person.__call__`` runs the handler :data:`HANDLERS` maps it to, then draws the clocks again.
Each handler decides what the event means for the person now and calls the transitions of
:class:`~sim.model.person.Person` (``leave_system``, ``change_state``, ``lose_home``, ``admit``,
``discharge``, ``move_in``, ...), which keep the records, the services and the stock in step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from sim.model import hazards
from sim.model.hazards import INF
from sim.model.states import VALUE, EventKind, State

if TYPE_CHECKING:
    from sim.model.person import Person


def on_death(person: Person) -> None:
    """Death (a competing risk everywhere)."""
    person.leave_system("death")


def on_move_away(person: Person) -> None:
    """Moves away from the municipality."""
    person.leave_system("moved_away")


def on_own_housing(person: Person) -> None:
    """Moves to private housing: found on their own (private rental, family), or, for a homeless
    applicant, a private rental arranged by the office (tilvisningsbolig: deposit, paperwork).

    The clock ran at the sum of the two rates (``sim.model.clocks``); which route it was is
    drawn from their shares (the direct method), so the route costs a draw only when it fires.
    """
    own, arranged = hazards.own_housing_rates(person)
    if arranged > 0.0 and person.luck.random() * (own + arranged) < arranged:
        person.move_to_private("arranged_private")
    else:
        person.move_to_private("own_housing")


def on_private_loss(person: Person) -> None:
    """Loses private housing (end of lease, eviction, thrown out by family)."""
    person.lose_private()


def on_stable(person: Person) -> None:
    """Stable long enough at home, not using, no follow-up: leaves the population as "stable,
    out of services" (counted as an exit)."""
    person.leave_system("stable")


def on_review(person: Person) -> None:
    """Housing competence has moved since the clocks were drawn: nothing happens, but
    ``Person.__call__`` updates the competence and draws the clocks again."""


def on_relapse(person: Person) -> None:
    """Starts using again: housing competence falls (mechanism 3). In a unit whose type ends the
    tenancy at a relapse (an abstinence-based recovery house, F17), the person must leave."""
    model = person.model
    person.using = True
    person.relapses += 1
    person.competence = max(0.0, person.competence - model.cfg.relapse.competence_loss)
    assert person.state is not None
    model.records.relapse(person.unique_id, model.calendar.now, VALUE[person.state])
    unit = person.unit
    if unit is not None and person.state is State.HOUSED and unit.kind.relapse_ends_tenancy:
        person.lose_home("relapse_ends_tenancy", lose_unit=False, to_temporary_prob=model.cfg.eviction.to_temporary_prob)


def on_remission(person: Person) -> None:
    """Stops using (the time stable at home starts now); a referral to treatment still waiting
    for a bed may lapse (``treatment.referral_lapses_on_remission``)."""
    person.using = False
    model = person.model
    person.stable_since = model.calendar.now
    if model.cfg.treatment.referral_lapses_on_remission:
        model.treatment.withdraw(person)


def on_referral(person: Person) -> None:
    """Referred to treatment: joins the queue, admitted at once if a bed is free."""
    person.model.treatment.refer(person)


def on_prison(person: Person) -> None:
    """Goes to prison."""
    person.admit(State.PRISON)


def on_no_contact(person: Person) -> None:
    """Follow-up ends because the person is not reached while using.

    "Follow-up is often ended when the person does not open the door" (thesis 7.3).
    """
    person.end_followup()


def on_followup_end(person: Person) -> None:
    """The follow-up case runs its planned length."""
    person.end_followup()


def on_reapply(person: Person) -> None:
    """The time off the waiting list (after declining past the limit) is over: apply again."""
    person.reapply_day = INF
    model = person.model
    if person.in_institution and model.cfg.coordination.application_timing == "discharge":
        return  # nobody applies while the person is inside; discharge makes the application
    person.ensure_application(model.cfg.housing_office.processing_days)


def on_leave_temporary(person: Person) -> None:
    """Leaves NAV temporary housing for the street."""
    person.change_state(State.STREET, "left_temporary")


def on_to_nav(person: Person) -> None:
    """Comes to NAV from the street: temporary housing if there is room, and an application."""
    model = person.model
    if person.find_temporary_place() is not None:
        person.change_state(State.TEMPORARY, "came_to_nav")
    person.ensure_application(model.cfg.housing_office.processing_days)


def on_eviction(person: Person) -> None:
    """Evicted (mechanism 4); the unit may be lost to the stock (mechanism 5)."""
    model = person.model
    unit = person.unit
    assert unit is not None
    person.evictions += 1
    model.records.eviction(person.unique_id, model.calendar.now, unit.type_name)
    lose = model.stock_rng.random() < model.cfg.stock.loss_prob_after_eviction
    person.lose_home("evicted", lose_unit=lose, to_temporary_prob=model.cfg.eviction.to_temporary_prob)


def on_tenancy_end(person: Person) -> None:
    """The tenancy contract runs out: renewed if the unit type allows, else the person moves out."""
    unit = person.unit
    assert unit is not None
    if person.renews_tenancy:
        person.tenancy_end += unit.kind.tenancy_days
        return
    person.lose_home(
        "tenancy_ended", lose_unit=False, to_temporary_prob=person.model.cfg.eviction.tenancy_end_to_temporary_prob
    )


def on_move_in(person: Person) -> None:
    """The keys of the accepted unit are ready."""
    person.move_in()


def on_discharge(person: Person) -> None:
    """The planned end of a treatment stay or prison sentence."""
    person.discharge()


#: What each kind of pending event does (``Person.__call__`` looks the kind up here).
HANDLERS: Final[dict[EventKind, Callable[[Person], None]]] = {
    EventKind.MOVE_IN: on_move_in,
    EventKind.REAPPLY: on_reapply,
    EventKind.DISCHARGE: on_discharge,
    EventKind.TENANCY_END: on_tenancy_end,
    EventKind.FOLLOWUP_END: on_followup_end,
    EventKind.DEATH: on_death,
    EventKind.MOVE_AWAY: on_move_away,
    EventKind.OWN_HOUSING: on_own_housing,
    EventKind.REFERRAL: on_referral,
    EventKind.PRISON: on_prison,
    EventKind.REMISSION: on_remission,
    EventKind.RELAPSE: on_relapse,
    EventKind.NO_CONTACT: on_no_contact,
    EventKind.LEAVE_TEMPORARY: on_leave_temporary,
    EventKind.TO_NAV: on_to_nav,
    EventKind.EVICTION: on_eviction,
    EventKind.PRIVATE_LOSS: on_private_loss,
    EventKind.STABLE: on_stable,
    EventKind.REVIEW: on_review,
}
