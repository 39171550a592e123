"""Mechanism 7 and the offers: what a decline costs (the unit waits for the answer), what a
chosen home gives back (a lower eviction hazard), the office's recovery-best offer, and the
Housing First and recovery-house switches. Each test fails when its mechanism is removed
(``scripts/mutants.py``)."""

from __future__ import annotations

import math
from array import array

import pytest

from sim import config as sc
from sim.measures.metrics import added_units_let_within, replication_metrics
from sim.model import HousingModel, hazards
from sim.model.luck import Luck
from sim.model.states import EventKind, State
from tests.test_mechanisms import calm, fire, place, stand_in, unit_of

ZONES = ("sentrum", "nord", "sor", "ost")


def only_flats(**units: int) -> dict:
    """Stock overrides: only these ordinary flats (zone=count), no unit of any other type."""
    none = dict.fromkeys(ZONES, 0)
    return {"types": {"ordinary": {"units": {**none, **units}}, "rop": {"units": none}, "staffed": {"units": none},
                      "training": {"units": none}}}


def drawing(*numbers: float, then: float | None = None) -> Luck:
    """A person's stream that draws these numbers, then ``then`` for a long while (or, without
    ``then``, the numbers of a Mersenne Twister)."""
    block = array("d", numbers if then is None else [*numbers, *[then] * 100_000])
    return Luck(block, 0)


# Every offer is declined by someone who draws below 0.5 and accepted otherwise (the people's
# luck is then set to answer 0.0 or 0.99).
EVEN_ODDS = {"decline_prob_preferred_zone": 0.5, "decline_prob_other_zone": 0.5, "decline_odds_ratio_in_temporary": 1.0}


def decliners(response: float, *, to: str = "next_meeting", n: int = 2):
    """A calm world with one vacant ordinary flat and ``n`` people in temporary housing; the first
    in the queue declines every offer, the others accept. Meetings every 10 days."""
    s = calm({
        "housing_office": {"meeting_interval_days": 10.0, "processing_days": 0.0, "rule": "fcfs",
                           "offer_response_days": response, "declined_unit_to": to,
                           "move_in_delay_days_mean": 0.0},
        "choice": {"max_declines": "unlimited", **EVEN_ODDS},
        "stock": only_flats(sentrum=1),
    }, years=1)
    model = HousingModel(s)
    people = [place(model, State.TEMPORARY, index=i) for i in range(n)]
    for i, p in enumerate(people):
        model.office.requeue(model.office.applications[p], queue_day=float(i))  # the first person is first in the queue
    # The first declines for sure, the rest accept for sure: luck that answers 0.0 or 0.99.
    people[0].luck = drawing(then=0.0)
    for p in people[1:]:
        p.luck = drawing(then=0.99)
    return model, people


def test_a_declined_unit_waits_for_the_answer():
    """Offers take time: a declined unit is held for ``offer_response_days`` and goes to the next
    meeting, not to the next applicant in the same meeting; the decliner gets no other offer
    while the answer is due. Without the response time it goes to the next applicant at once."""
    model, (decliner, taker) = decliners(7.0)
    model.run_until(10.5)  # meeting 1: the decliner is offered the flat and holds it for 7 days
    offers = model.records.frame("offers")
    assert offers["person"].tolist() == [decliner.unique_id]
    unit = model.stock.units[0]
    assert unit.held and not unit.is_vacant
    model.run_until(17.5)  # the answer came on day 17: vacant again, still "vacant since day 0"
    assert unit.is_vacant and unit.vacant_since == 0.0
    model.run_until(20.5)  # meeting 2: the unit is not offered to the decliner again; the taker takes it
    offers = model.records.frame("offers")
    assert offers["person"].tolist() == [decliner.unique_id, taker.unique_id]
    assert offers["day"].tolist() == pytest.approx([10.0, 20.0])
    assert taker.offer is unit  # accepted; the keys come after the answer (day 27)

    instant, (decliner0, taker0) = decliners(0.0)
    instant.run_until(10.5)
    offers0 = instant.records.frame("offers")
    assert offers0["person"].tolist() == [decliner0.unique_id, taker0.unique_id]
    assert taker0.state is State.HOUSED, "with no response time the next applicant takes it in the same meeting"


def test_a_declined_unit_goes_to_the_next_applicant_when_the_answer_comes():
    """declined_unit_to = "next_applicant": the office offers the unit again as soon as the answer
    comes (day 17), not at the next meeting (day 20), to the next applicant (a unit is not
    offered again to someone who declined it)."""
    model, (decliner, taker) = decliners(7.0, to="next_applicant")
    model.run_until(17.5)
    offers = model.records.frame("offers")
    assert offers["person"].tolist() == [decliner.unique_id, taker.unique_id]
    assert offers["day"].tolist() == pytest.approx([10.0, 17.0])


@pytest.mark.plain_modules  # replaces office.eligible with a counting wrapper
def test_a_declined_unit_offered_to_the_next_applicant_reads_only_the_front_of_the_list():
    """The office keeps its list in order, so offering one declined unit looks at the applicants
    until one takes it, not at the whole list (sorting everyone per declined unit made the cost
    grow with the square of the municipality). The standing order stays the rule's order."""
    model, people = decliners(7.0, to="next_applicant", n=60)
    office = model.office
    looked_at: list = []
    whole_list = office.eligible

    def counting(now: float):
        for app in whole_list(now):
            looked_at.append(app.person)
            yield app

    office.eligible = counting
    model.run_until(17.5)  # day 10: the first declines; day 17: the unit goes to the second
    offers = model.records.frame("offers")
    assert offers["person"].tolist() == [people[0].unique_id, people[1].unique_id]
    # Day 10: the first, who holds the unit; day 17: the first again (not offered a unit they
    # declined) and the second, who takes it. No one further down the list is looked at.
    assert looked_at == [people[0], people[0], people[1]]
    assert office.in_order() == [office.applications[p] for p in [people[0], *people[2:]]]


def test_a_meeting_considers_the_list_as_it_was_when_it_began_each_applicant_once():
    """The meeting walks the waiting list itself, not a copy: an applicant put back in the queue
    during the meeting is not considered again, one housed is gone, an application made during the
    meeting waits for the next, and the others come in their order at the start."""
    model, people = decliners(0.0, n=5)
    office = model.office
    now = model.calendar.now
    walk = office.eligible(now)
    first = next(walk)
    assert first.person is people[0]
    office.requeue(first, queue_day=1000.0)  # put back (as a decline past the limit would)
    second = next(walk)
    assert second.person is people[1]
    office.withdraw(people[1])  # housed
    newcomer = place(model, State.TEMPORARY, index=99)  # applies now, placed after the third (day 2)
    office.requeue(office.applications[newcomer], queue_day=2.5)
    office.withdraw(people[3])  # gone before the walk came to them
    assert [a.person for a in walk] == [people[2], people[4]]
    assert [a.person for a in office.eligible(now)] == [people[2], newcomer, people[4], people[0]]


def test_an_accepted_offer_moves_in_after_the_answer_and_the_paperwork():
    """An accepted unit is reserved at once; the keys come after the response time plus the paperwork."""
    model, (taker,) = decliners(7.0, n=1)
    taker.luck = drawing(then=0.99)
    model.run_until(16.5)
    assert taker.offer is not None and taker.state is State.TEMPORARY
    model.run_until(17.5)
    assert taker.state is State.HOUSED


def test_lettings_record_the_empty_days_and_the_offers_it_took():
    """A letting records the days since the unit was last free (or added) and every offer since."""
    model, (_, taker) = decliners(7.0, to="next_applicant")
    model.run_until(30.0)
    lettings = model.records.frame("lettings")
    assert lettings["person"].tolist() == [taker.unique_id]
    assert lettings["offers"].tolist() == [2]
    # Empty since day 0; offered on day 17, accepted, keys after the 7-day answer: day 24.
    assert lettings["vacant_days"].tolist() == pytest.approx([24.0])
    metrics = replication_metrics(model.records, 0.0, 30.0)
    assert metrics["offers_per_letting"] == 2.0
    assert metrics["vacant_unit_days_mean"] == pytest.approx(24.0)


def test_a_chosen_home_lowers_the_eviction_hazard(baseline):
    """Choice with an upside: in a unit the person chose, eviction is ``chosen_eviction_multiplier`` times as likely."""
    cfg = sc.with_overrides(baseline, {"eviction": {"rate_per_day": 0.0001}, "choice": {"chosen_eviction_multiplier": 0.8}})
    unit = unit_of(cfg, "ordinary", "nord")
    chosen = hazards.eviction_rate(stand_in(cfg, unit=unit, chosen_home=True))
    assigned = hazards.eviction_rate(stand_in(cfg, unit=unit, chosen_home=False))
    assert chosen == pytest.approx(0.8 * assigned)


@pytest.mark.parametrize(("preferred", "declines_first", "chosen"), [
    ("sentrum", False, True),  # the first flat offered is in the preferred zone
    ("sor", True, True),  # another zone, taken after declining the first flat
    ("sor", False, False),  # another zone, taken at the first offer
])  # fmt: skip
def test_a_home_is_chosen_in_the_preferred_zone_or_after_a_decline(preferred, declines_first, chosen):
    """The tenancy counts as chosen when the unit is in the preferred zone or was taken after a decline."""
    s = calm({
        "housing_office": {"meeting_interval_days": 10.0, "processing_days": 0.0, "move_in_delay_days_mean": 0.0},
        "choice": {"max_declines": "unlimited", "decline_prob_preferred_zone": 0.5, "decline_prob_other_zone": 0.5},
        "stock": only_flats(sentrum=1, nord=1),
    }, years=1)
    model = HousingModel(s)
    person = place(model, State.TEMPORARY)
    person.preferred_zone = preferred
    person.luck = drawing(*([0.0, 0.99] if declines_first else [0.99]))
    model.run_until(25.0)
    assert person.state is State.HOUSED
    assert person.chosen_home is chosen
    assert model.records.frame("lettings")["chosen"].tolist() == [chosen]


def test_day_0_tenants_chose_their_home_when_it_is_in_their_preferred_zone():
    """A day-0 tenant's home counts as chosen when it is in the person's preferred zone."""
    model = HousingModel(calm())
    unit = model.stock.units[0]
    person = model.new_person(0, 10_000)
    person.preferred_zone = unit.zone
    person.start_in(State.HOUSED, unit=unit)
    assert person.chosen_home
    other = model.new_person(0, 10_001)
    other.preferred_zone = next(z for z in model.cfg.zones.names if z != model.stock.units[1].zone)
    other.start_in(State.HOUSED, unit=model.stock.units[1])
    assert not other.chosen_home


def test_a_relapse_ends_the_tenancy_where_the_unit_type_says_so():
    """Recovery houses (F17): a relapse ends the tenancy; in other units it does not."""
    s = calm({"stock": {"types": {"training": {"relapse_ends_tenancy": True}}}})
    model = HousingModel(s)
    training = next(u for u in model.stock.units if u.type_name == "training")
    ordinary = next(u for u in model.stock.units if u.type_name == "ordinary")
    resident = place(model, State.HOUSED, unit=training, using=False)
    tenant = place(model, State.HOUSED, unit=ordinary, using=False, index=1)
    fire(resident, EventKind.RELAPSE)
    fire(tenant, EventKind.RELAPSE)
    assert resident.unit is None and resident.state in (State.TEMPORARY, State.STREET)
    assert training.is_vacant
    assert tenant.unit is ordinary and tenant.state is State.HOUSED
    ends = model.records.frame("spells")["end_reason"].tolist()
    assert "relapse_ends_tenancy" in ends


@pytest.mark.parametrize("continues", [True, False])
def test_act_followup_follows_the_person_through_an_eviction(continues):
    """With ``followup.continues_after_eviction`` the case stays open when the home is lost."""
    s = calm({"followup": {"capacity": 5, "min_need": "low", "continues_after_eviction": continues}})
    model = HousingModel(s)
    unit = model.stock.units[0]
    person = place(model, State.TEMPORARY)
    model.office.withdraw(person)
    person.offer = None
    model.stock.reserve(unit, person)
    person.accept_offer(unit, model.time)
    assert person.in_followup
    fire(person, EventKind.EVICTION)
    assert person.state in (State.TEMPORARY, State.STREET)
    assert person.in_followup is continues


@pytest.mark.parametrize("requires", [True, False])
def test_arranged_private_housing_for_people_in_active_use(requires):
    """Housing First supply: without ``arranged_requires_not_using`` an applicant in active use
    can be given an arranged private rental too."""
    s = calm({"private": {"arranged_rate_per_year": 2.0, "arranged_requires_not_using": requires}})
    model = HousingModel(s)
    person = place(model, State.TEMPORARY, using=True, competence=1.0)
    assert person in model.office.applications
    _, arranged = hazards.own_housing_rates(person)
    assert (arranged > 0.0) is (not requires)


def test_added_units_let_within_a_year_is_measured_from_the_purchase():
    """The share of a stock addition's units first let within a year of the purchase."""
    import pandas as pd

    added = pd.DataFrame({"unit": [10, 11, 12, 13], "day": [730.0, 730.0, 730.0, 3000.0]})
    lettings = pd.DataFrame({"unit": [10, 11, 10, 5], "day": [760.0, 1200.0, 900.0, 800.0]})
    # unit 10 let on day 760 (yes), 11 on day 1200 (no: 470 days), 12 never (no); 13 too late to count
    assert added_units_let_within(added, lettings, 730.0, 3650.0 - 500, 365.0) == pytest.approx(1 / 3)
    assert math.isnan(added_units_let_within(added.iloc[:0], lettings, 730.0, 3650.0, 365.0))


def test_a_stock_addition_is_recorded_and_let():
    """A scenario's stock addition is recorded unit by unit; a letting follows it."""
    s = calm({
        "housing_office": {"meeting_interval_days": 10.0, "processing_days": 0.0, "move_in_delay_days_mean": 0.0},
        "choice": {"decline_prob_preferred_zone": 0.0, "decline_prob_other_zone": 0.0},
        "stock": {**only_flats(), "additions": [{"day": 5.0, "type": "ordinary", "zone": "nord", "count": 2}]},
    }, years=1)
    model = HousingModel(s)
    place(model, State.TEMPORARY)
    model.run_until(30.0)
    added = model.records.frame("added_units")
    assert added["unit"].tolist() == [0, 1] and added["day"].tolist() == [5.0, 5.0]
    lettings = model.records.frame("lettings")
    assert lettings["unit"].tolist() == [0]
    assert lettings["vacant_days"].tolist() == pytest.approx([5.0])  # bought on day 5, let at the day-10 meeting


def test_no_other_offer_while_an_answer_is_due():
    """While an offer's answer is due, the applicant gets no other offer, even of another vacant
    unit at a meeting in between (meetings every 5 days, answers take 7)."""
    s = calm({
        "housing_office": {"meeting_interval_days": 5.0, "processing_days": 0.0, "rule": "fcfs",
                           "offer_response_days": 7.0, "declined_unit_to": "next_meeting",
                           "move_in_delay_days_mean": 0.0},
        "choice": {"max_declines": "unlimited", **EVEN_ODDS},
        "stock": only_flats(sentrum=2),
    }, years=1)
    model = HousingModel(s)
    decliner = place(model, State.TEMPORARY)
    decliner.luck = drawing(then=0.0)
    model.run_until(10.5)  # day 5: offered the first flat; day 10: the answer is due on day 12
    assert model.records.frame("offers")["day"].tolist() == [5.0]
    model.run_until(15.5)  # day 15: the answer has come; offered the other flat
    offers = model.records.frame("offers")
    assert offers["day"].tolist() == [5.0, 15.0]
    assert model.office.applications[decliner].declined == {0, 1}


def test_best_fit_keeps_people_away_from_their_using_network():
    """The office's recovery-best offer (best_fit) weighs the zone of the person's using network:
    between two equal flats the one outside it is offered; with the weight at 0, the one vacant
    the longest."""
    from sim.model import allocation
    from sim.model.services.housing_office import Application

    model = HousingModel(calm({"stock": only_flats(nord=1, sor=1)}))
    nord, sor = model.stock.units  # nord is first in the vacancy order (same day, lower id)
    person = model.new_person(0, 10_000)
    person.preferred_zone, person.network_zone = "sentrum", "nord"
    app = Application(person, 0, 0.0, 0.0)
    vacant = allocation.vacancy_order(model.stock.vacant.values())
    office = model.cfg.housing_office
    assert office.best_fit_weight_network_zone > 0.0
    assert allocation.choose_unit("best_fit", app, vacant, office) is sor
    blind = office.model_copy(update={"best_fit_weight_network_zone": 0.0})
    assert allocation.choose_unit("best_fit", app, vacant, blind) is nord
