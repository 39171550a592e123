"""Allocation and choice rules (mechanisms 6 and 7), tested as the pure functions they are."""

from __future__ import annotations

import pytest

from sim import config as sc
from sim.config import ChoiceConfig
from sim.model import allocation
from sim.model.allocation import Answer
from sim.model.services.housing_office import Application
from sim.model.states import Need, State
from sim.model.stock import Unit, UnitKind
from tests.test_mechanisms import stand_in

_BASELINE = sc.load("baseline")  # the applicants' model (stand_in)

def applicant(serial: int, queue_day: float, need: Need = Need.LOW, zone: str = "sentrum", penalty: int = 0) -> Application:
    """An application from a person on the street of a baseline model (only what the rules read is set)."""
    person = stand_in(_BASELINE, state=State.STREET, need=need, preferred_zone=zone, network_zone="sentrum")
    return Application(person=person, serial=serial, queue_day=queue_day, active_from=queue_day, penalty=penalty)


@pytest.fixture
def units(baseline):
    """A few vacant units of every type, in two zones, vacant since different days. The ROP type
    is the ROP-adapted one (support level 3), whatever the baseline's ROP units are."""
    types = dict(baseline.stock.types)
    types["rop"] = types["rop"].model_copy(update={"support_level": 3})

    def unit(uid: int, type_name: str, zone: str, since: float) -> Unit:
        return Unit(uid, type_name, UnitKind.from_config(types[type_name]), zone, vacant_since=since)

    return {
        "ordinary_nord_old": unit(0, "ordinary", "nord", 10.0),
        "ordinary_sor_new": unit(1, "ordinary", "sor", 50.0),
        "training_sor": unit(2, "training", "sor", 40.0),
        "staffed_nord": unit(3, "staffed", "nord", 30.0),
        "staffed_sor": unit(4, "staffed", "sor", 35.0),
        "rop_sentrum": unit(5, "rop", "sentrum", 20.0),
    }


def choice(**kw) -> ChoiceConfig:
    base = {
        "max_declines": 2,
        "after_limit": "back_of_queue",
        "decline_prob_preferred_zone": 0.1,
        "decline_prob_other_zone": 0.4,
        "decline_odds_ratio_in_temporary": 1.5,
        "reapply_after_days": 90.0,
        "chosen_eviction_multiplier": 1.0,
    }
    return ChoiceConfig(**{**base, **kw})


@pytest.fixture
def office(baseline):
    """The baseline's housing office settings (the best-fit weights)."""
    return baseline.housing_office


# ----------------------------------------------------------------------------- order_applicants


def test_fcfs_orders_by_application_date():
    """fcfs: the earliest application comes first, whatever the need; ties by serial number."""
    a = applicant(0, 30.0, Need.ROP)
    b = applicant(1, 10.0, Need.LOW)
    c = applicant(2, 20.0, Need.HIGH)
    d = applicant(3, 10.0, Need.MEDIUM)
    assert allocation.order_applicants("fcfs", [a, b, c, d]) == [b, d, c, a]


def test_need_priority_orders_by_need_then_date():
    """need_priority: highest support need first (ROP > high > medium > low), then by date."""
    low_early = applicant(0, 1.0, Need.LOW)
    rop_late = applicant(1, 90.0, Need.ROP)
    high_mid = applicant(2, 50.0, Need.HIGH)
    high_early = applicant(3, 5.0, Need.HIGH)
    medium = applicant(4, 2.0, Need.MEDIUM)
    order = allocation.order_applicants("need_priority", [low_early, rop_late, high_mid, high_early, medium])
    assert order == [rop_late, high_early, high_mid, medium, low_early]


def test_best_fit_orders_by_date_like_fcfs():
    """best_fit: the order is by date (the fit is in the choice of unit, not of applicant)."""
    a = applicant(0, 30.0, Need.ROP)
    b = applicant(1, 10.0, Need.LOW)
    assert allocation.order_applicants("best_fit", [a, b]) == [b, a]


@pytest.mark.parametrize("rule", ["fcfs", "need_priority", "best_fit"])
def test_priority_penalty_sorts_after_everyone_else(rule):
    """A lower_priority penalty puts an applicant after all with a smaller penalty, under every rule."""
    penalised = applicant(0, 0.0, Need.ROP, penalty=1)
    twice = applicant(1, -50.0, Need.ROP, penalty=2)
    late_low = applicant(2, 100.0, Need.LOW)
    order = allocation.order_applicants(rule, [twice, penalised, late_low])
    assert order == [late_low, penalised, twice]


# ----------------------------------------------------------------------------- choose_unit


@pytest.mark.parametrize("rule", ["fcfs", "need_priority"])
def test_fcfs_and_need_priority_offer_the_longest_vacant_unit(rule, units, office):
    """fcfs / need_priority: the unit vacant the longest is offered, whatever the person needs."""
    app = applicant(0, 0.0, Need.ROP, zone="sor")
    vacant = allocation.vacancy_order(units.values())
    assert allocation.choose_unit(rule, app, vacant, office) is units["ordinary_nord_old"]


def test_best_fit_picks_the_closest_support_level(units, office):
    """best_fit: a ROP-level need gets the ROP unit, a high need a staffed unit, a medium need a training flat."""
    vacant = allocation.vacancy_order(units.values())
    assert allocation.choose_unit("best_fit", applicant(0, 0, Need.ROP, "nord"), vacant, office) is units["rop_sentrum"]
    assert allocation.choose_unit("best_fit", applicant(0, 0, Need.MEDIUM, "nord"), vacant, office) is units["training_sor"]
    assert allocation.choose_unit("best_fit", applicant(0, 0, Need.LOW, "nord"), vacant, office) is units["ordinary_nord_old"]


def test_best_fit_prefers_the_preferred_zone_among_equal_fits(units, office):
    """best_fit: among units of the same (best) support level, one in the preferred zone wins."""
    vacant = allocation.vacancy_order(units.values())
    high_sor = applicant(0, 0.0, Need.HIGH, zone="sor")
    high_nord = applicant(1, 0.0, Need.HIGH, zone="nord")
    assert allocation.choose_unit("best_fit", high_sor, vacant, office) is units["staffed_sor"]
    assert allocation.choose_unit("best_fit", high_nord, vacant, office) is units["staffed_nord"]
    low_sor = applicant(2, 0.0, Need.LOW, zone="sor")
    assert allocation.choose_unit("best_fit", low_sor, vacant, office) is units["ordinary_sor_new"]


def test_best_fit_support_level_beats_zone(units, office):
    """best_fit: a closer support level in another zone is better than a worse fit in the preferred zone."""
    vacant = allocation.vacancy_order([units["ordinary_sor_new"], units["staffed_nord"]])
    assert allocation.choose_unit("best_fit", applicant(0, 0, Need.HIGH, "sor"), vacant, office) is units["staffed_nord"]


# ----------------------------------------------------------------------------- answers


def test_best_fit_keeps_away_from_the_using_network(units, office):
    """best_fit (the office's recovery-best offer): between two equal fits, the unit outside the
    person's using network wins, with the network weight; without it, the longest vacant."""
    vacant = allocation.vacancy_order([units["ordinary_nord_old"], units["ordinary_sor_new"]])
    app = applicant(0, 0.0, Need.LOW, zone="sentrum")  # prefers neither zone
    app.person.network_zone = "nord"
    assert allocation.choose_unit("best_fit", app, vacant, office) is units["ordinary_sor_new"]
    blind = office.model_copy(update={"best_fit_weight_network_zone": 0.0})
    assert allocation.choose_unit("best_fit", app, vacant, blind) is units["ordinary_nord_old"]


def test_best_fit_weights_trade_the_preferred_zone_against_the_network(units, office):
    """A preferred zone that is also the network zone: the weights decide whether it is offered."""
    vacant = allocation.vacancy_order([units["ordinary_nord_old"], units["ordinary_sor_new"]])
    app = applicant(0, 0.0, Need.LOW, zone="nord")
    app.person.network_zone = "nord"
    heavy_network = office.model_copy(update={"best_fit_weight_preferred_zone": 0.5, "best_fit_weight_network_zone": 2.0})
    assert allocation.choose_unit("best_fit", app, vacant, heavy_network) is units["ordinary_sor_new"]
    heavy_zone = office.model_copy(update={"best_fit_weight_preferred_zone": 2.0, "best_fit_weight_network_zone": 0.5})
    assert allocation.choose_unit("best_fit", app, vacant, heavy_zone) is units["ordinary_nord_old"]


def test_decline_probability_by_zone_and_temporary():
    """Offers outside the preferred zone are declined more often; from temporary housing the odds
    are multiplied by the odds ratio, so the probability stays below 1."""
    cfg = choice(decline_prob_preferred_zone=0.1, decline_prob_other_zone=0.4, decline_odds_ratio_in_temporary=1.5)
    assert allocation.decline_probability(cfg, True, False) == pytest.approx(0.1)
    assert allocation.decline_probability(cfg, False, False) == pytest.approx(0.4)
    assert allocation.decline_probability(cfg, False, True) == pytest.approx(0.4 * 1.5 / (0.6 + 0.4 * 1.5))  # 0.5
    big = choice(decline_prob_other_zone=0.9, decline_odds_ratio_in_temporary=3.0)
    p = allocation.decline_probability(big, False, True)
    assert p == pytest.approx(27.0 / 28.0) and p < 1.0  # odds 9 x 3 = 27
    # 0 and 1 are what the user asked for, whatever the odds ratio.
    assert allocation.decline_probability(choice(decline_prob_other_zone=0.0), False, True) == 0.0
    assert allocation.decline_probability(choice(decline_prob_other_zone=1.0), False, True) == 1.0


def test_no_decline_probability_reaches_one_over_the_whole_parameter_range():
    """Over every valid odds ratio (the schema's whole range) and probabilities below 1 up to
    1 - 1e-9, from temporary housing or not, in the preferred zone or not: the decline
    probability stays a probability below 1 and moves with the odds ratio in its direction."""
    from sim.config.schema import MAX_MULTIPLIER, MIN_ODDS_RATIO

    probabilities = [0.0, 1e-9, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999999, 1.0 - 1e-9]
    ratios = [MIN_ODDS_RATIO, 0.01, 0.5, 1.0, 2.4, 10.0, 100.0, MAX_MULTIPLIER]
    for p0 in probabilities:
        for ratio in ratios:
            cfg = choice(decline_prob_preferred_zone=p0, decline_prob_other_zone=p0, decline_odds_ratio_in_temporary=ratio)
            for zone in (True, False):
                outside = allocation.decline_probability(cfg, zone, False)
                inside = allocation.decline_probability(cfg, zone, True)
                assert outside == p0
                assert 0.0 <= inside < 1.0, (p0, ratio, inside)
                if 0.0 < p0 and ratio > 1.0:
                    assert inside > p0
                if 0.0 < p0 and ratio < 1.0:
                    assert inside < p0


def test_no_shipped_scenario_declines_an_offer_with_probability_one():
    """In every shipped scenario, every combination of the decline model's inputs (zone,
    temporary housing) gives a probability below 1."""
    from sim import config as sc

    for name in sc.scenario_names():
        cfg = sc.load(name).choice
        for zone in (True, False):
            for temporary in (True, False):
                assert allocation.decline_probability(cfg, zone, temporary) < 1.0, (name, zone, temporary)


def test_answer_accepts_when_the_person_wants_to():
    """A person who wants the unit accepts it under every limit."""
    for after in ("must_accept", "back_of_queue", "lower_priority", "temporary_only"):
        assert allocation.answer(choice(max_declines=0, after_limit=after), False, 5) is Answer.ACCEPTED


def test_answer_free_declines_up_to_the_limit():
    """Declines below max_declines are free; the one at the limit costs what after_limit says."""
    cfg = choice(max_declines=2, after_limit="back_of_queue")
    assert allocation.answer(cfg, True, 0) is Answer.DECLINED
    assert allocation.answer(cfg, True, 1) is Answer.DECLINED
    assert allocation.answer(cfg, True, 2) is Answer.BACK_OF_QUEUE
    assert allocation.answer(cfg, True, 7) is Answer.BACK_OF_QUEUE


@pytest.mark.parametrize(
    ("after_limit", "expected"),
    [
        ("must_accept", Answer.ACCEPTED),
        ("back_of_queue", Answer.BACK_OF_QUEUE),
        ("lower_priority", Answer.LOWER_PRIORITY),
        ("temporary_only", Answer.TEMPORARY_ONLY),
    ],
)
def test_answer_past_the_limit(after_limit, expected):
    """Past the limit, a wished decline becomes the after_limit consequence (must_accept: a yes)."""
    assert allocation.answer(choice(max_declines=0, after_limit=after_limit), True, 0) is expected
    assert allocation.answer(choice(max_declines=1, after_limit=after_limit), True, 1) is expected


def test_answer_unlimited_declines_are_always_free():
    """max_declines = "unlimited": every decline is free, however many came before."""
    for after in ("must_accept", "back_of_queue", "lower_priority", "temporary_only"):
        cfg = choice(max_declines="unlimited", after_limit=after)
        assert allocation.answer(cfg, True, 1000) is Answer.DECLINED


def test_every_answer_but_accepted_is_a_decline():
    """Answer.declined is what the offers record stores as not accepted."""
    assert not Answer.ACCEPTED.declined
    assert all(a.declined for a in Answer if a is not Answer.ACCEPTED)


def test_institution_priority_puts_people_inside_first():
    """Coordination (mechanism 2): with institution_first, applicants in treatment or prison come before
    others with the same penalty; without it the order is unchanged."""
    outside_early = applicant(0, 1.0, Need.ROP)
    inside_late = applicant(1, 50.0, Need.LOW)
    inside_late.person.state = State.TREATMENT
    penalised_inside = applicant(2, 0.0, Need.LOW, penalty=1)
    penalised_inside.person.state = State.PRISON
    apps = [outside_early, inside_late, penalised_inside]
    for rule in ("fcfs", "need_priority", "best_fit"):
        assert allocation.order_applicants(rule, apps, True) == [inside_late, outside_early, penalised_inside]
        assert allocation.order_applicants(rule, apps, False) == [outside_early, inside_late, penalised_inside]
