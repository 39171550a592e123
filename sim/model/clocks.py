"""A person's clocks: which of the things that can happen to them comes first, and when.

A person holds one pending event, the earliest of their clocks: fixed timers (move-in,
discharge, end of tenancy, ...) and competing risks whose times are drawn from the hazards of
the person's situation now (:mod:`sim.model.hazards`). ``Person.reschedule`` asks
:func:`next_event` whenever the situation changes; which clocks run in which place is in
``docs/ODD.md`` (section 3.3).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

from sim.model import hazards
from sim.model.hazards import INF
from sim.model.states import EventKind, State

if TYPE_CHECKING:
    from sim.model.luck import Luck
    from sim.model.person import Person

# Enum members as module constants: read at every clock draw, a global is cheaper than a class attribute.
_DEATH: Final = EventKind.DEATH
_DISCHARGE: Final = EventKind.DISCHARGE
_EVICTION: Final = EventKind.EVICTION
_FOLLOWUP_END: Final = EventKind.FOLLOWUP_END
_LEAVE_TEMPORARY: Final = EventKind.LEAVE_TEMPORARY
_MOVE_AWAY: Final = EventKind.MOVE_AWAY
_MOVE_IN: Final = EventKind.MOVE_IN
_NO_CONTACT: Final = EventKind.NO_CONTACT
_OWN_HOUSING: Final = EventKind.OWN_HOUSING
_PRISON: Final = EventKind.PRISON
_PRIVATE_LOSS: Final = EventKind.PRIVATE_LOSS
_REAPPLY: Final = EventKind.REAPPLY
_REFERRAL: Final = EventKind.REFERRAL
_RELAPSE: Final = EventKind.RELAPSE
_REMISSION: Final = EventKind.REMISSION
_REVIEW: Final = EventKind.REVIEW
_STABLE: Final = EventKind.STABLE
_TENANCY_END: Final = EventKind.TENANCY_END
_TO_NAV: Final = EventKind.TO_NAV
_IN_HOUSED: Final = State.HOUSED
_IN_PRISON: Final = State.PRISON
_IN_PRIVATE: Final = State.PRIVATE
_IN_STREET: Final = State.STREET
_IN_TEMPORARY: Final = State.TEMPORARY
_IN_TREATMENT: Final = State.TREATMENT


class Race:
    """The clocks of one draw (:func:`next_event`): the earliest fixed timer, and the race of
    constant hazards with their total.

    One per model, used again at every draw (:meth:`start` empties it), so a draw makes no
    lists or tuples of its own. The total is summed as Python's ``sum`` sums floats
    (Neumaier's compensated sum, Python 3.12 and later), term by term in the same order, so
    the time drawn is the same to the last bit.
    """

    def __init__(self) -> None:
        self.rates: list[float] = []  # the race's hazards per day, in a fixed order
        self.kinds: list[EventKind] = []  # what each is
        self.total = 0.0  # their sum so far, ...
        self.error = 0.0  # ... and its running compensation
        self.timed = False  # a timer has been given
        self.soonest = INF  # the earliest timer's delay, ...
        self.soonest_kind = _DEATH  # ... and its kind
        self.kind = _DEATH  # what the last :meth:`draw` chose

    def start(self) -> None:
        """Forget the last draw's clocks."""
        self.rates.clear()
        self.kinds.clear()
        self.total = 0.0
        self.error = 0.0
        self.timed = False
        self.soonest = INF
        self.soonest_kind = _DEATH

    def timer(self, delay: float, kind: EventKind) -> None:
        """A fixed timer ``delay`` days from now; at equal delays the kind that sorts first wins."""
        if not self.timed or delay < self.soonest or (delay == self.soonest and kind < self.soonest_kind):
            self.timed = True
            self.soonest = delay
            self.soonest_kind = kind

    def risk(self, rate: float, kind: EventKind) -> None:
        """A hazard of ``rate`` per day, constant from now on, joins the race (a zero rate changes
        neither the total nor the pick, and is left out)."""
        if rate == 0.0:
            return
        self.rates.append(rate)
        self.kinds.append(kind)
        total = self.total
        new = total + rate
        if abs(total) >= abs(rate):
            self.error += (total - new) + rate
        else:
            self.error += (rate - new) + total
        self.total = new

    def after_discharge(self, rng: Luck, rate: float, early_multiplier: float, until_break: float, kind: EventKind) -> None:
        """A hazard raised by ``early_multiplier`` for ``until_break`` more days after a discharge:
        drawn now as a piecewise timer while the window is open, else a constant risk of the race."""
        if until_break > 0.0:
            self.timer(hazards.piecewise_time(rng, rate * early_multiplier, rate, until_break), kind)
        else:
            self.risk(rate, kind)

    def draw(self, rng: Luck) -> float:
        """The delay to the earliest of the timers and the race; its kind is left in :attr:`kind`.

        One draw for the race's time (none if every rate is 0), and one for which risk it is,
        made only when the race comes first. ``inf`` (kind ``DEATH``) if nothing can happen.
        """
        total = self.total
        error = self.error
        if error != 0.0 and not (math.isinf(error) or math.isnan(error)):  # as ``sum`` ends a sum of floats
            total += error
        if total > 0.0:
            first = -math.log(1.0 - rng.random()) / total  # the earliest of the race: exponential, the summed rate
            if not self.timed or first < self.soonest:
                pick = rng.random() * total
                rates = self.rates
                kinds = self.kinds
                chosen = _DEATH
                for i in range(len(rates)):
                    rate = rates[i]
                    if rate > 0.0:
                        chosen = kinds[i]  # if rounding leaves ``pick`` at 0 or above: the last risk with a rate
                        pick -= rate
                        if pick < 0.0:
                            break
                self.kind = chosen
                return first
        self.kind = self.soonest_kind
        return self.soonest


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
    race = model.race
    race.start()
    rng = person.luck

    if person.offer is not None:
        race.timer(person.move_in_day - now, _MOVE_IN)
    if person.reapply_day < INF:
        race.timer(person.reapply_day - now, _REAPPLY)

    death = rates.death_using if using else rates.death
    if state is _IN_TREATMENT or state is _IN_PRISON:
        race.timer(person.release_day - now, _DISCHARGE)
        race.risk(death, _DEATH)
        return race.draw(rng), race.kind

    since = now - person.last_discharge
    race.after_discharge(rng, death, rates.death_early_multiplier, rates.death_early_window - since, _DEATH)
    race.risk(rates.move_away, _MOVE_AWAY)

    housed = state is _IN_HOUSED
    at_home = housed or state is _IN_PRIVATE
    if using:
        if not model.treatment.is_queued(person):
            race.risk(rates.referral_housed if at_home else rates.referral_homeless, _REFERRAL)
        race.risk(rates.prison_using, _PRISON)
        race.risk(rates.remission, _REMISSION)
        if person.in_followup:
            race.risk(rates.no_contact_using, _NO_CONTACT)
    else:
        race.after_discharge(rng, hazards.relapse_rate(person), rates.relapse_early_multiplier,
                             rates.relapse_early_window - since, _RELAPSE)  # fmt: skip
    if state is _IN_PRIVATE:
        race.risk(rates.private_loss_using if using else rates.private_loss, _PRIVATE_LOSS)
    else:
        own, arranged = hazards.own_housing_rates(person)
        race.risk(own + arranged, _OWN_HOUSING)
        if person.competence < 1.0 and person.competence_gain_per_year() > 0.0:
            # The own-housing and eviction hazards depend on competence, which is growing:
            # look again after a while (the hazards are piecewise constant between reviews).
            race.timer(rates.competence_review, _REVIEW)

    if state is _IN_TEMPORARY:
        race.risk(rates.leave_temporary, _LEAVE_TEMPORARY)
    elif state is _IN_STREET:
        race.risk(rates.street_to_nav, _TO_NAV)
    elif housed:
        race.risk(hazards.eviction_rate(person), _EVICTION)
        race.timer(person.tenancy_end - now, _TENANCY_END)
    if at_home and not using and not person.in_followup and rates.stable_after < INF:
        race.timer(person.stable_since + rates.stable_after - now, _STABLE)
    if person.in_followup:
        race.timer(person.followup_until - now, _FOLLOWUP_END)
    return race.draw(rng), race.kind
