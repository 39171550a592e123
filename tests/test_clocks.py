"""A person's next event: the direct method draws what independent clocks would.

``sim.model.clocks.next_event`` draws the constant competing risks as one race (the time from
their total rate, the kind from their shares). Before, every risk had a clock of its own and the
earliest won. The two must give the same distribution of (time, kind) in any situation: checked
here against that method, kept below as the reference, on fixed situations of the baseline with
two-sample tests (Kolmogorov-Smirnov on the times, chi-square on the kinds), and per kind on
the times of the commonest kinds. Also: the person's random stream is theirs whatever else
happens (common random numbers).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from scipy import stats

from sim.model import HousingModel, hazards
from sim.model.clocks import next_event
from sim.model.hazards import INF
from sim.model.luck import BLOCK, Luck
from sim.model.states import EventKind, State

DRAWS = 4000
ALPHA = 1e-3  # fixed seeds: a deterministic test; a real difference gives p far below this


def exp_time(rng: Luck, rate: float) -> float:
    """Exp(rate), ``inf`` without a draw for a zero rate (the draw of the method before)."""
    return -math.log(1.0 - rng.random()) / rate if rate > 0.0 else INF


def independent_clocks(person, now: float) -> tuple[float, EventKind]:
    """The method before the direct method: one exponential clock per risk, the earliest wins."""
    model = person.model
    rates = model.rates
    rng = person.luck
    state = person.state
    using = person.using
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
            timer((exp_time(rng, rates.no_contact_using), EventKind.NO_CONTACT))
    else:
        relapse = model.cfg.relapse
        rate = hazards.relapse_rate(person)
        timer(
            (
                hazards.piecewise_time(rng, rate * relapse.early_multiplier, rate, relapse.early_window_days - since),
                EventKind.RELAPSE,
            )
        )
    if state is State.PRIVATE:
        timer((exp_time(rng, rates.private_loss_using if using else rates.private_loss), EventKind.PRIVATE_LOSS))
    else:
        own, arranged = hazards.own_housing_rates(person)
        timer((exp_time(rng, own + arranged), EventKind.OWN_HOUSING))
        if person.competence < 1.0 and person.competence_gain_per_year() > 0.0:
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


@pytest.fixture(scope="module")
def model(baseline) -> HousingModel:
    """The baseline at day 0 (its people placed, nothing run)."""
    return HousingModel(baseline, seed=5)


def someone(model: HousingModel, state: State, *, using: bool, since_discharge: float, competence: float):
    """A person of the day-0 population in ``state``, with their situation set as given."""
    person = next(p for p in model.agents if p.state is state)
    person.using = using
    person.last_discharge = -since_discharge
    person.competence = competence
    return person


SITUATIONS = {
    # Just out of treatment, not using: the early relapse and death windows are on (piecewise
    # clocks beside the race), competence still growing (a review timer).
    "temporary, 10 days after a discharge": (State.TEMPORARY, False, 10.0, 0.4),
    # In active use on the street: referral, prison, remission, own housing, to NAV, death, moving away.
    "street, in active use": (State.STREET, True, 1e6, 0.3),
    # A tenant long after any discharge: relapse and death join the race; eviction; the tenancy's end.
    "housed, stable": (State.HOUSED, False, 1e6, 1.0),
    "private, in active use": (State.PRIVATE, True, 1e6, 0.8),
    "prison": (State.PRISON, False, 1e6, 0.5),
}


def sample(method, person, seed: int) -> tuple[np.ndarray, list[EventKind]]:
    """``DRAWS`` draws of (time, kind) from ``method`` for this person, from a stream seeded ``seed``."""
    saved = person.luck
    person.luck = Luck.seeded(seed)
    try:
        draws = [method(person, 0.0) for _ in range(DRAWS)]
    finally:
        person.luck = saved
    return np.array([t for t, _ in draws]), [k for _, k in draws]


@pytest.mark.parametrize("situation", SITUATIONS)
def test_direct_method_draws_what_independent_clocks_draw(model, situation):
    """Same distribution of the time to the next event and of its kind, and of the time per kind."""
    state, using, since, competence = SITUATIONS[situation]
    person = someone(model, state, using=using, since_discharge=since, competence=competence)
    new_times, new_kinds = sample(next_event, person, 1)
    old_times, old_kinds = sample(independent_clocks, person, 2)
    assert stats.ks_2samp(new_times, old_times).pvalue > ALPHA
    kinds = sorted(set(new_kinds) | set(old_kinds))
    assert len(kinds) >= 2, "a situation with competing risks"
    new_count, old_count = Counter(new_kinds), Counter(old_kinds)
    table = np.array([[new_count[k] for k in kinds], [old_count[k] for k in kinds]])
    assert stats.chi2_contingency(table).pvalue > ALPHA
    for kind in (k for k in kinds if min(new_count[k], old_count[k]) >= 200):
        new_k = new_times[[k == kind for k in new_kinds]]
        old_k = old_times[[k == kind for k in old_kinds]]
        assert stats.ks_2samp(new_k, old_k).pvalue > ALPHA, kind


@pytest.mark.plain_modules  # patches clocks.Race.draw
def test_the_test_sees_a_wrong_share(model, monkeypatch):
    """The check above fails for a race that picks its kind with equal shares (a wrong method)."""
    from sim.model import clocks

    def equal_shares(race, rng):
        first = -math.log(1.0 - rng.random()) / sum(race.rates)
        if not race.timed or first < race.soonest:
            live = [k for r, k in zip(race.rates, race.kinds, strict=True) if r > 0.0]
            race.kind = live[int(rng.random() * len(live))]
            return first
        race.kind = race.soonest_kind
        return race.soonest

    monkeypatch.setattr(clocks.Race, "draw", equal_shares)
    person = someone(model, State.STREET, using=True, since_discharge=1e6, competence=0.3)
    _, new_kinds = sample(next_event, person, 1)
    _, old_kinds = sample(independent_clocks, person, 2)
    kinds = sorted(set(new_kinds) | set(old_kinds))
    table = np.array([[Counter(new_kinds)[k] for k in kinds], [Counter(old_kinds)[k] for k in kinds]])
    assert stats.chi2_contingency(table).pvalue < ALPHA


def test_a_persons_stream_is_their_own(baseline):
    """Person k of an arrival stream draws the same numbers in two models with other histories,
    past their first block too; two people's numbers differ."""
    one = HousingModel(baseline, seed=7)
    other = HousingModel(baseline, seed=7)
    other.run_for(200.0)  # other people created and drawing in between
    for tag, index in ((1, 0), (1, 300), (3, 12), (0, 5000)):
        a, b = one.new_person(tag, index).luck, other.new_person(tag, index).luck
        first = [a.random() for _ in range(3 * BLOCK)]
        assert first == [b.random() for _ in range(3 * BLOCK)]
        assert len(set(first)) == len(first)
    assert one.new_person(1, 1).luck.random() != one.new_person(1, 2).luck.random()
    assert HousingModel(baseline, seed=8).new_person(1, 0).luck.random() != one.new_person(1, 0).luck.random()


def test_a_stream_draws_its_block_then_its_mersenne_twister():
    """A person's numbers are their block in order, then ``random.Random(seed)``'s, whatever the
    block's length (the stream takes them out of the block eight at a time)."""
    import random
    from array import array

    for length in (0, 1, 6, 8, 12, 17, BLOCK):
        rng = random.Random(length)
        block = [rng.random() for _ in range(length)]
        luck = Luck(array("d", block), 99)
        twister = random.Random(99)
        assert [luck.random() for _ in range(length + 50)] == block + [twister.random() for _ in range(50)]


def test_a_streams_distributions_draw_what_random_randoms_draw():
    """A stream's distributions are ``random.Random``'s on its numbers: ``choice`` draws what
    ``choices(...)[0]`` draws, from one number."""
    import random
    from itertools import accumulate

    population, cum_weights = ["a", "b", "c", "d"], list(accumulate([1.0, 0.0, 6.0, 3.0]))
    for seed in range(300):
        ours, theirs = Luck.seeded(seed), random.Random(seed)
        assert ours.choice(population, cum_weights) == theirs.choices(population, cum_weights=cum_weights)[0]
        assert ours.gammavariate(2.0, 3.0) == theirs.gammavariate(2.0, 3.0)
        assert ours.normalvariate(0.5, 0.2) == theirs.normalvariate(0.5, 0.2)
        assert ours.uniform(1.0, 4.0) == theirs.uniform(1.0, 4.0)
        assert ours.expovariate(0.5) == theirs.expovariate(0.5)
        assert ours.random() == theirs.random()


def test_a_population_whose_weights_add_up_to_nothing_is_refused(baseline):
    """A person's need and zones are drawn from the scenario's cumulative weights without the
    checks of ``random.Random.choices``: a scenario that skipped validation, with weights adding
    up to 0, is refused when the model is made."""
    shares = dict.fromkeys(baseline.population.need_shares, 0.0)
    scenario = baseline.model_copy(update={"population": baseline.population.model_copy(update={"need_shares": shares})})
    with pytest.raises(ValueError, match="population.need_shares"):
        HousingModel(scenario, seed=1)
