"""A person's clocks: which of the things that can happen to them comes first, and when.

A person holds one pending event, the earliest of their clocks: fixed timers (move-in,
discharge, end of tenancy, ...) and competing risks whose times are drawn from the hazards of
the person's situation now (:mod:`sim.model.hazards`). ``Person.reschedule`` asks
:func:`next_event` whenever the situation changes; which clocks run in which place is in
``docs/ODD.md`` (section 3.3).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.model import hazards
from sim.model.hazards import INF
from sim.model.states import EventKind, State

if TYPE_CHECKING:
    from sim.model.luck import Luck
    from sim.model.person import Person

_log = math.log
# Enum members as module constants: read at every clock draw, a global is cheaper than a class attribute.
_DEATH = EventKind.DEATH
_DISCHARGE = EventKind.DISCHARGE
_EVICTION = EventKind.EVICTION
_FOLLOWUP_END = EventKind.FOLLOWUP_END
_LEAVE_TEMPORARY = EventKind.LEAVE_TEMPORARY
_MOVE_AWAY = EventKind.MOVE_AWAY
_MOVE_IN = EventKind.MOVE_IN
_NO_CONTACT = EventKind.NO_CONTACT
_OWN_HOUSING = EventKind.OWN_HOUSING
_PRISON = EventKind.PRISON
_PRIVATE_LOSS = EventKind.PRIVATE_LOSS
_REAPPLY = EventKind.REAPPLY
_REFERRAL = EventKind.REFERRAL
_RELAPSE = EventKind.RELAPSE
_REMISSION = EventKind.REMISSION
_REVIEW = EventKind.REVIEW
_STABLE = EventKind.STABLE
_TENANCY_END = EventKind.TENANCY_END
_TO_NAV = EventKind.TO_NAV
_IN_HOUSED = State.HOUSED
_IN_PRISON = State.PRISON
_IN_PRIVATE = State.PRIVATE
_IN_STREET = State.STREET
_IN_TEMPORARY = State.TEMPORARY
_IN_TREATMENT = State.TREATMENT


def next_event(person: Person, now: float) -> tuple[float, EventKind]:
    """The time from ``now`` to the person's earliest clock, and what it is.

    The competing risks with a constant hazard from now on are drawn as one race (the direct
    method): the time to the first of them from their total rate, then which one it is from
    their shares, a second draw made only if the race comes before every other clock. This is
    exactly the distribution of the earliest of independent exponential clocks (the minimum of
    exponentials is exponential with the summed rate, and it is clock *i* with probability
    rate *i* / total, independently of the time). Hazards that are higher just after a
    discharge (death, relapse) are drawn on their own from their piecewise hazard while the
    person is inside that window, and join the race once it has passed. Fixed timers
    (discharge, move-in, end of tenancy, ...) are compared as they are.

    The draws come from the person's own stream in a fixed order (so the same person meets the
    same luck wherever two scenarios agree); ties between timers go to the kind that sorts first
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
    state = person.state
    using = person.using
    clocks: list[tuple[float, EventKind]] = []
    timer = clocks.append
    # The race: constant hazards from now on, in a fixed order.
    race_rates: list[float] = []
    race_kinds: list[EventKind] = []
    rate = race_rates.append
    kind = race_kinds.append

    if person.offer is not None:
        timer((person.move_in_day - now, _MOVE_IN))
    if person.reapply_day < INF:
        timer((person.reapply_day - now, _REAPPLY))

    death = rates.death_using if using else rates.death
    if state is _IN_TREATMENT or state is _IN_PRISON:
        timer((person.release_day - now, _DISCHARGE))
        rate(death)
        kind(_DEATH)
        return _earliest(person.luck, clocks, race_rates, race_kinds)

    rng = person.luck
    since = now - person.last_discharge
    _after_discharge(rng, death, rates.death_early_multiplier, rates.death_early_window - since, _DEATH, clocks,
                     race_rates, race_kinds)  # fmt: skip
    rate(rates.move_away)
    kind(_MOVE_AWAY)

    housed = state is _IN_HOUSED
    at_home = housed or state is _IN_PRIVATE
    if using:
        if not model.treatment.is_queued(person):
            rate(rates.referral_housed if at_home else rates.referral_homeless)
            kind(_REFERRAL)
        rate(rates.prison_using)
        kind(_PRISON)
        rate(rates.remission)
        kind(_REMISSION)
        if person.in_followup:
            rate(rates.no_contact_using)
            kind(_NO_CONTACT)
    else:
        relapse = model.cfg.relapse
        _after_discharge(rng, hazards.relapse_rate(person), relapse.early_multiplier,
                         relapse.early_window_days - since, _RELAPSE, clocks, race_rates, race_kinds)  # fmt: skip
    if state is _IN_PRIVATE:
        rate(rates.private_loss_using if using else rates.private_loss)
        kind(_PRIVATE_LOSS)
    else:
        own, arranged = hazards.own_housing_rates(person)
        rate(own + arranged)
        kind(_OWN_HOUSING)
        if person.competence < 1.0 and person.competence_gain_per_year() > 0.0:
            # The own-housing and eviction hazards depend on competence, which is growing:
            # look again after a while (the hazards are piecewise constant between reviews).
            timer((model.cfg.competence.review_days, _REVIEW))

    if state is _IN_TEMPORARY:
        rate(rates.leave_temporary)
        kind(_LEAVE_TEMPORARY)
    elif state is _IN_STREET:
        rate(rates.street_to_nav)
        kind(_TO_NAV)
    elif housed:
        rate(hazards.eviction_rate(person))
        kind(_EVICTION)
        timer((person.tenancy_end - now, _TENANCY_END))
    if at_home and not using and not person.in_followup and rates.stable_after < INF:
        timer((person.stable_since + rates.stable_after - now, _STABLE))
    if person.in_followup:
        timer((person.followup_until - now, _FOLLOWUP_END))
    return _earliest(rng, clocks, race_rates, race_kinds)


def _after_discharge(
    rng: Luck,
    rate: float,
    early_multiplier: float,
    until_break: float,
    kind: EventKind,
    clocks: list[tuple[float, EventKind]],
    race_rates: list[float],
    race_kinds: list[EventKind],
) -> None:
    """A hazard raised by ``early_multiplier`` for ``until_break`` more days after a discharge:
    drawn now as a piecewise clock while the window is open, else a constant risk of the race."""
    if until_break > 0.0:
        clocks.append((hazards.piecewise_time(rng, rate * early_multiplier, rate, until_break), kind))
    else:
        race_rates.append(rate)
        race_kinds.append(kind)


def _earliest(
    rng: Luck, clocks: list[tuple[float, EventKind]], race_rates: list[float], race_kinds: list[EventKind]
) -> tuple[float, EventKind]:
    """The earliest of the timers and the race of constant hazards (see :func:`next_event`).

    One draw for the race's time (none if every rate is 0), and one for which risk it is, made
    only when the race comes first.
    """
    total = sum(race_rates)
    if total > 0.0:
        first = -_log(1.0 - rng.random()) / total  # the earliest of the race: exponential, the summed rate
        if not clocks or first < min(clocks)[0]:
            pick = rng.random() * total
            for rate, kind in zip(race_rates, race_kinds, strict=True):
                if rate > 0.0:
                    chosen = kind  # if rounding leaves ``pick`` at 0 or above: the last risk with a rate
                    pick -= rate
                    if pick < 0.0:
                        break
            return first, chosen
    return min(clocks) if clocks else (INF, _DEATH)
