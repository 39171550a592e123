"""Hazards: the rates of the things that can happen to a person, and how their times are drawn.

Every transition is a competing risk. A person's rates depend on where they are and on what
they are doing; when either changes, their clocks are drawn again (the rates are piecewise
constant, so redrawing from "now" is exact; how: ``sim.model.clocks``). Two hazards are highest
just after a discharge and fall after a window (relapse, F12; mortality, F14): they are drawn
from a piecewise-constant hazard with one breakpoint.

Rates are per day. Draws are scalar draws from the person's own stream (``sim.model.luck``):
several times faster than a numpy scalar draw.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from sim.config import DAYS_PER_YEAR
from sim.model.states import State, TempPlace

if TYPE_CHECKING:
    from sim.config import Scenario
    from sim.model.luck import Luck
    from sim.model.person import Person

INF: Final = math.inf
# Members as module constants: a global is read faster than a class attribute.
_HOUSED: Final = State.HOUSED
_PRIVATE: Final = State.PRIVATE
_STREET: Final = State.STREET
_TEMPORARY: Final = State.TEMPORARY
_ORDINARY: Final = TempPlace.ORDINARY

#: A mean duration at or below this many days (about 0.09 milliseconds) is no delay at all: the
#: scenarios write 0 for "no delay", and ``random.gammavariate`` would underflow near it.
NO_DELAY_DAYS: Final = 1e-9


@dataclass(frozen=True, slots=True)
class Rates:
    """The scenario's hazards that do not depend on the person's history, per day, worked out
    once per run (they are read at every clock draw; the relapse and eviction hazards depend on
    the person and the unit and are the functions below). Each is computed in the same order of
    operations as from the scenario directly, so the values are identical to the last bit.
    """

    death: float  # for a person not in active substance use
    death_using: float  # in active use
    death_early_multiplier: float  # in the first ``death_early_window`` days after a discharge
    death_early_window: float  # days
    move_away: float
    referral_housed: float  # in active use, to treatment
    referral_homeless: float
    prison_using: float
    remission: float  # in active use
    no_contact_using: float  # 0 unless follow-up ends when the person is not reached
    own_housing_midpoint: float  # competence 0-1 at which the rate is half its full value
    own_housing_scale: float  # competence 0-1: how sharply the rate rises around the midpoint
    own_housing: Mapping[tuple[bool, bool], float]  # (housed, in active use) -> rate; read-only
    arranged_private: float  # arranged by the office (tilvisningsbolig), homeless applicants
    arranged_private_using: bool  # also for applicants in active use (Housing First)
    private_loss: float  # losing private housing, not in active use
    private_loss_using: float  # in active use
    stable_after: float  # days stable before leaving the population (inf: never)
    leave_temporary: float
    street_to_nav: float
    # The factors of the person's own hazards, copied from the scenario as they are (the
    # functions below read them at most events; the scenario's validated objects read slower).
    relapse: float  # relapse.rate_per_day, before the factors of the place
    relapse_street: float  # relapse.street_multiplier
    relapse_temporary: float  # relapse.temporary_multiplier
    relapse_temporary_staffed: float  # relapse.temporary_staffed_multiplier
    relapse_private: float  # relapse.private_multiplier
    relapse_network_zone: float  # relapse.network_zone_multiplier
    relapse_early_multiplier: float  # relapse.early_multiplier
    relapse_early_window: float  # relapse.early_window_days
    eviction: float  # eviction.rate_per_day, before the factors
    eviction_using_tolerant: float  # eviction.using_in_tolerant_multiplier
    eviction_using_intolerant: float  # eviction.using_in_intolerant_multiplier
    eviction_mismatch_per_level: float  # eviction.mismatch_multiplier_per_level
    eviction_low_competence: float  # eviction.low_competence_multiplier
    eviction_chosen: float  # choice.chosen_eviction_multiplier
    followup_relapse: float  # followup.relapse_multiplier
    followup_eviction: float  # followup.eviction_multiplier
    competence_treatment: float  # competence.gain_per_year_treatment
    competence_not_using: float  # competence.gain_per_year_not_using
    competence_followup: float  # competence.gain_per_year_followup
    competence_review: float  # competence.review_days

    @classmethod
    def from_scenario(cls, cfg: Scenario) -> Rates:
        """Per-day rates from the scenario (per-year ones divided by ``DAYS_PER_YEAR``)."""
        exits = cfg.exits
        death = exits.mortality_per_100_person_years / 100.0 / DAYS_PER_YEAR
        own_mult = exits.own_housing_using_multiplier
        housed, homeless = exits.own_housing_rate_per_year_housed, exits.own_housing_rate_per_year_homeless
        return cls(
            death=death,
            death_using=death * exits.mortality_using_multiplier,
            death_early_multiplier=exits.mortality_early_multiplier,
            death_early_window=exits.mortality_early_window_days,
            move_away=exits.move_away_rate_per_year / DAYS_PER_YEAR,
            referral_housed=cfg.treatment.referral_rate_per_day_using,
            referral_homeless=cfg.treatment.referral_rate_per_day_using * cfg.treatment.homeless_referral_multiplier,
            prison_using=cfg.prison.incarceration_rate_per_year_using / DAYS_PER_YEAR,
            remission=cfg.relapse.remission_rate_per_day,
            no_contact_using=cfg.followup.no_contact_rate_per_day_using if cfg.followup.end_on_no_contact else 0.0,
            own_housing_midpoint=exits.own_housing_competence_midpoint,
            own_housing_scale=exits.own_housing_competence_scale,
            own_housing=MappingProxyType({
                (True, False): housed / DAYS_PER_YEAR,
                (True, True): housed * own_mult / DAYS_PER_YEAR,
                (False, False): homeless / DAYS_PER_YEAR,
                (False, True): homeless * own_mult / DAYS_PER_YEAR,
            }),
            arranged_private=cfg.private.arranged_rate_per_year / DAYS_PER_YEAR,
            arranged_private_using=not cfg.private.arranged_requires_not_using,
            private_loss=cfg.private.loss_rate_per_year / DAYS_PER_YEAR,
            private_loss_using=cfg.private.loss_rate_per_year * cfg.private.loss_using_multiplier / DAYS_PER_YEAR,
            stable_after=INF if exits.stable_after_days == "never" else exits.stable_after_days,
            leave_temporary=cfg.temporary.leave_rate_per_day,
            street_to_nav=cfg.temporary.street_to_nav_rate_per_day,
            relapse=cfg.relapse.rate_per_day,
            relapse_street=cfg.relapse.street_multiplier,
            relapse_temporary=cfg.relapse.temporary_multiplier,
            relapse_temporary_staffed=cfg.relapse.temporary_staffed_multiplier,
            relapse_private=cfg.relapse.private_multiplier,
            relapse_network_zone=cfg.relapse.network_zone_multiplier,
            relapse_early_multiplier=cfg.relapse.early_multiplier,
            relapse_early_window=cfg.relapse.early_window_days,
            eviction=cfg.eviction.rate_per_day,
            eviction_using_tolerant=cfg.eviction.using_in_tolerant_multiplier,
            eviction_using_intolerant=cfg.eviction.using_in_intolerant_multiplier,
            eviction_mismatch_per_level=cfg.eviction.mismatch_multiplier_per_level,
            eviction_low_competence=cfg.eviction.low_competence_multiplier,
            eviction_chosen=cfg.choice.chosen_eviction_multiplier,
            followup_relapse=cfg.followup.relapse_multiplier,
            followup_eviction=cfg.followup.eviction_multiplier,
            competence_treatment=cfg.competence.gain_per_year_treatment,
            competence_not_using=cfg.competence.gain_per_year_not_using,
            competence_followup=cfg.competence.gain_per_year_followup,
            competence_review=cfg.competence.review_days,
        )


def competence_factor(competence: float, midpoint: float, scale: float) -> float:
    """The share of the full own-housing rate a person with this housing competence has.

    A logistic curve: half at ``midpoint``, rising from near 0 to near 1 over about four
    ``scale`` either side of it. It replaces a hard threshold, so a small gain or loss of
    competence moves the rate a little rather than switching the exit on or off.

    Args:
        competence: Housing competence, 0 to 1.
        midpoint: Competence at which the factor is one half.
        scale: Competence over which the log-odds change by 1 (above 0).
    """
    z = (competence - midpoint) / scale
    if z < -700.0:  # exp would overflow; the factor is 0 to double precision
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


def piecewise_time(
    rng: Luck, rate_before: float, rate_after: float, until_break: float
) -> float:
    """Time to an event whose hazard is ``rate_before`` for ``until_break`` days, then ``rate_after``.

    Inverts the cumulative hazard with one unit-exponential draw. A hazard that is zero from
    now on gives ``inf`` without a draw.

    Args:
        rng: The person's random stream.
        rate_before: Hazard per day until the break.
        rate_after: Hazard per day from the break on.
        until_break: Days from now to the break (0 or less: the break has passed).
    """
    until_break = max(until_break, 0.0)
    head = rate_before * until_break
    if head <= 0.0 and rate_after <= 0.0:
        return INF
    target = -math.log(1.0 - rng.random())  # rng.expovariate(1.0)
    if head > 0.0 and target <= head:
        return target / rate_before
    if rate_after <= 0.0:
        return INF
    return until_break + (target - head) / rate_after


def gamma_duration(rng: Luck, mean: float, cv: float) -> float:
    """A positive duration with the given mean and coefficient of variation.

    Gamma with shape ``1/cv**2``: ``cv = 1`` is exponential (needed for M/M/c docking),
    ``cv < 1`` is more regular, ``cv > 1`` has a longer tail.

    Args:
        rng: The random stream to draw from (no draw if the mean is no delay).
        mean: Mean duration in days.
        cv: Coefficient of variation (standard deviation over mean), above 0.
    """
    if mean <= NO_DELAY_DAYS:
        return 0.0
    shape = 1.0 / (cv * cv)
    return rng.gammavariate(shape, mean / shape)


def relapse_rate(person: Person) -> float:
    """Relapse hazard per day for a person not in active use, before the early-window factor.

    Place matters (mechanism 3 and 8): temporary housing and the street raise it, staffed and
    training units and follow-up lower it, a unit in the zone of the person's using network
    raises it.
    """
    rates = person.model.rates
    state = person.state
    rate = rates.relapse
    if state is _STREET:
        rate *= rates.relapse_street
    elif state is _TEMPORARY:
        # A staffed place or a women's crisis place has staff on site (thesis 7.2.2, 7.4.1).
        staffed = person.temp_place is not _ORDINARY
        rate *= rates.relapse_temporary_staffed if staffed else rates.relapse_temporary
    elif state is _PRIVATE:
        rate *= rates.relapse_private
    elif state is _HOUSED:
        unit = person.unit
        if unit is not None:
            rate *= unit.kind.relapse_multiplier
            if unit.zone == person.network_zone:
                rate *= rates.relapse_network_zone
    if person.in_followup:
        rate *= rates.followup_relapse
    return rate


def eviction_rate(person: Person) -> float:
    """Eviction hazard per day for a tenant who lives in their unit (mechanism 4).

    Raised by active use in a unit that does not tolerate it, by each level of support need
    the unit does not meet, and by low housing competence; lowered in a unit the person chose
    (mechanism 7) and by follow-up.
    """
    rates = person.model.rates
    unit = person.unit
    assert unit is not None
    kind = unit.kind
    rate = rates.eviction * kind.eviction_multiplier
    if person.using:
        rate *= rates.eviction_using_tolerant if kind.tolerates_use else rates.eviction_using_intolerant
    shortfall = max(0, int(person.need) - kind.support_level)
    if shortfall:
        rate *= rates.eviction_mismatch_per_level**shortfall
    rate *= 1.0 + rates.eviction_low_competence * (1.0 - person.competence)
    if person.chosen_home:
        rate *= rates.eviction_chosen
    if person.in_followup:
        rate *= rates.followup_eviction
    return rate


def own_housing_rates(person: Person) -> tuple[float, float]:
    """Hazards per day of moving to private housing, ``(on their own, arranged by the office)``.

    On their own: the rate for tenants or for the homeless, lower in active use. Arranged
    (tilvisningsbolig): homeless applicants on the waiting list who are not in active use (or in
    active use too, without ``private.arranged_requires_not_using``). Both
    are scaled by :func:`competence_factor` (mechanism 4): a private lease takes housing
    competence (deposit, paperwork, a bank account). Zero in private housing and inside.
    """
    state = person.state
    if state is not State.HOUSED and state is not State.TEMPORARY and state is not State.STREET:
        return 0.0, 0.0
    rates = person.model.rates
    housed = state is State.HOUSED
    using = person.using
    own = rates.own_housing[housed, using]
    arranged = rates.arranged_private
    using_bars = using and not rates.arranged_private_using
    if housed or using_bars or not arranged or person not in person.model.office.applications:
        arranged = 0.0
    if own == 0.0 and arranged == 0.0:
        return 0.0, 0.0
    factor = competence_factor(person.competence, rates.own_housing_midpoint, rates.own_housing_scale)
    return own * factor, arranged * factor
