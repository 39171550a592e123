"""A person's clocks: which of the things that can happen to them comes first, and when.

A person holds one pending event, the earliest of their clocks: fixed timers (move-in,
discharge, end of tenancy, ...) and competing risks whose times are drawn from the hazards of
the person's situation now (:mod:`sim.model.hazards`). ``Person.reschedule`` asks
:func:`next_event` whenever the situation changes; which clocks run in which place is in
``docs/ODD.md`` (section 3.3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.model import hazards
from sim.model.hazards import INF
from sim.model.states import EventKind, State

if TYPE_CHECKING:
    from sim.model.person import Person


def next_event(person: Person, now: float) -> tuple[float, EventKind]:
    """The time from ``now`` to the person's earliest clock, and what it is.

    Clocks are drawn in a fixed order from the person's own stream (so the same person meets
    the same luck wherever two scenarios agree); ties go to the kind that sorts first
    (:class:`EventKind` compares as its string value).

    Args:
        person: A person present in the system (``person.state`` is not ``None``).
        now: The model's time.

    Returns:
        ``(delay, kind)``: ``delay`` may be negative (a timer that ran out while the person
        was away fires at once) or ``inf`` (nothing can happen).
    """
    model = person.model
    rates = model.rates
    rng = person.luck
    state = person.state
    using = person.using
    exp_time = hazards.exp_time
    clocks: list[tuple[float, EventKind]] = []
    timer = clocks.append

    if person.offer is not None:
        timer((person.move_in_day - now, EventKind.MOVE_IN))
    if person.reapply_day < INF:
        timer((person.reapply_day - now, EventKind.REAPPLY))

    death = rates.death_using if using else rates.death
    if state is State.TREATMENT or state is State.PRISON:
        timer((person.release_day - now, EventKind.DISCHARGE))
        timer((exp_time(rng, death), EventKind.DEATH))
        return min(clocks)

    since = now - person.last_discharge
    early = death * rates.death_early_multiplier
    timer((hazards.piecewise_time(rng, early, death, rates.death_early_window - since), EventKind.DEATH))
    timer((exp_time(rng, rates.move_away), EventKind.MOVE_AWAY))

    housed = state is State.HOUSED
    at_home = housed or state is State.PRIVATE
    if using:
        if not model.treatment.is_queued(person):
            referral = rates.referral_housed if at_home else rates.referral_homeless
            timer((exp_time(rng, referral), EventKind.REFERRAL))
        timer((exp_time(rng, rates.prison_using), EventKind.PRISON))
        timer((exp_time(rng, rates.remission), EventKind.REMISSION))
        if person.in_followup:
            timer((exp_time(rng, rates.no_contact_using), EventKind.NO_CONTACT))  # no draw if the rate is 0
    else:
        relapse = model.cfg.relapse
        rate = hazards.relapse_rate(person)
        timer((
            hazards.piecewise_time(rng, rate * relapse.early_multiplier, rate, relapse.early_window_days - since),
            EventKind.RELAPSE,
        ))
    if state is State.PRIVATE:
        timer((exp_time(rng, rates.private_loss_using if using else rates.private_loss), EventKind.PRIVATE_LOSS))
    else:
        own, arranged = hazards.own_housing_rates(person)
        timer((exp_time(rng, own + arranged), EventKind.OWN_HOUSING))
        if person.competence < 1.0 and person.competence_gain_per_year() > 0.0:
            # The own-housing and eviction hazards depend on competence, which is growing:
            # look again after a while (the hazards are piecewise constant between reviews).
            timer((model.cfg.competence.review_days, EventKind.REVIEW))

    if state is State.TEMPORARY:
        timer((exp_time(rng, rates.leave_temporary), EventKind.LEAVE_TEMPORARY))
    elif state is State.STREET:
        timer((exp_time(rng, rates.street_to_nav), EventKind.TO_NAV))
    elif housed:
        timer((exp_time(rng, hazards.eviction_rate(person)), EventKind.EVICTION))
        timer((person.tenancy_end - now, EventKind.TENANCY_END))
    if at_home and not using and not person.in_followup and rates.stable_after < INF:
        timer((person.stable_since + rates.stable_after - now, EventKind.STABLE))
    if person.in_followup:
        timer((person.followup_until - now, EventKind.FOLLOWUP_END))
    return min(clocks)
