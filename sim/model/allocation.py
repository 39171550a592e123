"""Allocation and choice rules: who is offered what at an allocation meeting, and whether they say yes.

Pure functions of the waiting list, the vacant units and the scenario, so each rule can be read
and tested on its own.

Matching rules (``housing_office.rule``):
    fcfs: applicants by date of application; each is offered the unit vacant the longest.
    need_priority: applicants with the highest support need first, then by date; unit as fcfs.
    best_fit: applicants by date; each is offered the "recovery-best" unit: support level close
        to their need, in their preferred zone, away from their using network, with weights
        (``housing_office.best_fit_weight_*``).

A priority penalty (a decline past the limit with ``after_limit = "lower_priority"``) sorts an
applicant after everyone with a smaller penalty under every rule. With
``coordination.institution_priority``, applicants in treatment or prison go next.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum
from operator import attrgetter
from typing import TYPE_CHECKING, Final

from sim.config import ChoiceConfig, HousingOfficeConfig

if TYPE_CHECKING:
    from sim.model.services.housing_office import Application
    from sim.model.stock import Unit


class Answer(Enum):
    """What a person says to an offer, and what it costs them."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    BACK_OF_QUEUE = "back_of_queue"
    LOWER_PRIORITY = "lower_priority"
    TEMPORARY_ONLY = "temporary_only"

    @property
    def declined(self) -> bool:
        """Every answer but ``ACCEPTED`` is a decline."""
        return self is not Answer.ACCEPTED


#: Each answer's value, read without ``Enum.value`` (a Python-level property): at every offer.
ANSWER_VALUE: Final[dict[Answer, str]] = {answer: answer.value for answer in Answer}


def queue_key(rule: str, application: Application) -> tuple[int, int, float, int]:
    """An application's place on the waiting list under the matching rule: smaller is first.

    The penalty first, then (``need_priority``) the highest support need, then the day in the
    queue and the order of application (unique, so no two applications tie). The housing office
    keeps its list in this order (``HousingOffice``), and :func:`order_applicants` sorts by it.

    Args:
        rule: The matching rule (``housing_office.rule``).
        application: The application.
    """
    need = -int(application.person.need) if rule == "need_priority" else 0
    return (application.penalty, need, application.queue_day, application.serial)


def order_applicants(
    rule: str, applications: Iterable[Application], institution_first: bool = False
) -> list[Application]:
    """Applicants in the order the meeting goes through them.

    With ``institution_first`` (coordinated discharge planning), people now in treatment or
    prison come before everyone else with the same penalty, so housing can be ready when they
    leave.

    Args:
        rule: The matching rule (``housing_office.rule``).
        applications: The eligible applications.
        institution_first: People in treatment or prison go first (``coordination.institution_priority``).

    Returns:
        The applications, first to be offered a unit first.
    """
    if institution_first:
        return sorted(applications, key=lambda a: (a.penalty, not a.person.in_institution, queue_key(rule, a)))
    return sorted(applications, key=lambda a: queue_key(rule, a))


_VACANCY_KEY: Final = attrgetter("vacant_since", "uid")


def vacancy_order(units: Iterable[Unit]) -> list[Unit]:
    """Units in the order a meeting considers them: vacant the longest first (then by id).

    The stock's vacant units are nearly always in that order already (a unit joins them when
    it falls vacant), so they are checked first and sorted only if they are not.
    """
    ordered = list(units)
    for i in range(1, len(ordered)):
        a, b = ordered[i - 1], ordered[i]
        if a.vacant_since > b.vacant_since or (a.vacant_since == b.vacant_since and a.uid > b.uid):
            ordered.sort(key=_VACANCY_KEY)
            break
    return ordered


def choose_unit(rule: str, application: Application, vacant: Sequence[Unit], office: HousingOfficeConfig) -> Unit:
    """The unit the meeting offers this applicant.

    Under ``best_fit`` the office makes its "recovery-best" offer (thesis 7.4.1): the unit with
    the lowest score ``best_fit_weight_support`` x (levels between the unit's support and the
    person's need) + ``best_fit_weight_preferred_zone`` x (outside the preferred zone) +
    ``best_fit_weight_network_zone`` x (in the zone of the person's using network). Ties go to
    the unit vacant the longest.

    Args:
        rule: The matching rule (``housing_office.rule``).
        application: The applicant's application.
        vacant: The units still vacant at this meeting: not empty, and in :func:`vacancy_order`
            (the meeting sorts them once, so an offer costs nothing under fcfs: a meeting with
            many vacancies and offers is not quadratic).
        office: The housing office's settings (the best-fit weights).
    """
    if rule == "best_fit":
        person = application.person
        need = int(person.need)
        preferred, network = person.preferred_zone, person.network_zone
        w_support = office.best_fit_weight_support
        w_preferred = office.best_fit_weight_preferred_zone
        w_network = office.best_fit_weight_network_zone
        return min(
            vacant,
            key=lambda u: (
                w_support * abs(u.kind.support_level - need)
                + w_preferred * (u.zone != preferred)
                + w_network * (u.zone == network)
            ),
        )
    return vacant[0]


def decline_probability(cfg: ChoiceConfig, in_preferred_zone: bool, in_temporary: bool) -> float:
    """Chance that a person would decline this offer if free to (mechanism 7).

    The zone sets the probability for a person who is not in temporary housing
    (``decline_prob_preferred_zone`` or ``decline_prob_other_zone``); being in temporary housing
    multiplies the odds by ``decline_odds_ratio_in_temporary``, since staying put is convenient
    (thesis 7.2.2). Factors are combined on the odds scale, so a probability below 1 stays
    below 1 whatever the odds ratio (a probability of exactly 0 or 1 stays what it is).

    Args:
        cfg: The scenario's choice rules.
        in_preferred_zone: The unit is in the zone the person prefers.
        in_temporary: The person is in NAV temporary housing now.
    """
    p = cfg.decline_prob_preferred_zone if in_preferred_zone else cfg.decline_prob_other_zone
    if in_temporary and 0.0 < p < 1.0:
        odds = p * cfg.decline_odds_ratio_in_temporary
        p = odds / ((1.0 - p) + odds)  # p x OR / ((1 - p) + p x OR): the odds p/(1-p) times OR
    return p


def answer(cfg: ChoiceConfig, wants_to_decline: bool, declines_so_far: int) -> Answer:
    """Apply the decline limit to what the person wants.

    Up to ``max_declines`` declines cost nothing. A decline beyond the limit is either not
    allowed (``must_accept``) or allowed at the cost named by ``after_limit``.

    Args:
        cfg: The scenario's choice rules.
        wants_to_decline: The person would decline (drawn with :func:`decline_probability`).
        declines_so_far: Declines on this application since the last penalty.
    """
    if not wants_to_decline:
        return Answer.ACCEPTED
    if cfg.max_declines == "unlimited" or declines_so_far < cfg.max_declines:
        return Answer.DECLINED
    return {
        "must_accept": Answer.ACCEPTED,
        "back_of_queue": Answer.BACK_OF_QUEUE,
        "lower_priority": Answer.LOWER_PRIORITY,
        "temporary_only": Answer.TEMPORARY_ONLY,
    }[cfg.after_limit]
