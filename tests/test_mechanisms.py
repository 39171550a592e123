"""Each mechanism of the model has a test here that fails if the mechanism is removed.

Most tests are direct: a "calm world" (``conftest.QUIET_WORLD`` plus :data:`CALM`: nothing happens
by itself) where one or a few people are placed, an event is made to come up (:func:`fire`) or a
service is called, and the rule is read off. A few compare two configurations over the same
replication seeds, where the difference must be several standard errors wide.

``scripts/mutants.py`` switches each mechanism off in a copy of the code and checks that a test
here or in ``test_mechanisms_places.py`` (private housing, competence, stable exits, stock
replacement, kinds of temporary place) fails; ``docs/mutants.md`` holds its last table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import config as sc
from sim.model import HousingModel, allocation, events, hazards
from sim.model.luck import Luck
from sim.model.person import Person
from sim.model.states import EventKind, Need, State, TempPlace
from sim.model.stock import Unit, UnitKind
from tests.conftest import merge, quiet

# ----------------------------------------------------------------------------- helpers

UNIT_TYPES = tuple(sc.load("baseline").stock.types)

#: What ``conftest.QUIET_WORLD`` leaves running since the model gained private housing, stable
#: exits, competence that grows back and stock replacement: all switched off here, so that a test
#: sees only the rule it switches on.
CALM: dict = {
    "initial": {"in_private": 0},
    "private": {"arranged_rate_per_year": 0.0, "loss_rate_per_year": 0.0},
    "exits": {"stable_after_days": "never"},
    "competence": {"gain_per_year_not_using": 0.0, "gain_per_year_treatment": 0.0, "gain_per_year_followup": 0.0},
    "followup": {"capacity": 0},
    "stock": {
        "replacement_delay_days": "never",
        "types": {t: {"competence_gain_per_year": 0.0} for t in UNIT_TYPES},
    },
}


def calm(overrides: dict | None = None, *, years: float = 3.0) -> sc.Scenario:
    """A world where nothing happens by itself (no arrivals, nobody at day 0, no hazards) plus ``overrides``."""
    return quiet(merge(CALM, overrides or {}), years=years)


def place(
    model: HousingModel,
    state: State,
    *,
    unit=None,
    release_day: float = np.inf,
    index: int = 0,
    need: Need | None = None,
    female: bool | None = None,
    using: bool | None = None,
    competence: float | None = None,
) -> Person:
    """Create one person (attributes drawn, then any given here set) and start them in ``state``."""
    person = model.new_person(0, 10_000 + index)
    for name, value in (("need", need), ("female", female), ("using", using), ("competence", competence)):
        if value is not None:
            setattr(person, name, value)
    person.start_in(state, unit=unit, release_day=release_day)
    return person


def fire(person: Person, kind: EventKind) -> None:
    """Make the person's event of ``kind`` come up now, exactly as the calendar would run it
    (``Person.__call__``: competence brought up to date, the handler, the clocks drawn again)."""
    person._cancel_event()
    person._next_kind = kind
    person()


def vacant(model: HousingModel, type_name: str = "ordinary", zone: str | None = None):
    """A vacant unit of this type (and zone)."""
    return next(u for u in model.stock.units
                if u.is_vacant and u.type_name == type_name and (zone is None or u.zone == zone))


def give_unit(model: HousingModel, person: Person, unit, move_in_day: float) -> None:
    """The person accepts ``unit`` (off the waiting list); the keys come on ``move_in_day``."""
    model.office.withdraw(person)
    model.stock.reserve(unit, person)
    person.accept_offer(unit, move_in_day)


def rows_of(model: HousingModel, table: str, person: Person) -> pd.DataFrame:
    """The rows of a records table about one person."""
    d = model.records.frame(table)
    return d[d["person"] == person.unique_id]


def discharges_of(model: HousingModel, person: Person) -> pd.DataFrame:
    return rows_of(model, "discharges", person)


_models: dict[int, tuple[sc.Scenario, HousingModel]] = {}  # id(cfg) -> (cfg, a model of it), for stand_in


def stand_in(cfg, *, state=State.HOUSED, unit=None, need=Need.LOW, using=False, competence=1.0, preferred_zone=None,
             network_zone="sentrum", in_followup=False, temp_place=TempPlace.ORDINARY, chosen_home=False) -> Person:
    """A person of a model of ``cfg`` with the attributes the hazard functions read set as given
    (not placed anywhere: no spell, no clocks, not counted)."""
    if id(cfg) not in _models:
        _models[id(cfg)] = (cfg, HousingModel(cfg, seed=1))  # the scenario kept, so its id is not reused
    model = _models[id(cfg)][1]
    person = Person(model, luck=Luck.seeded(0), need=need, female=False,
                    competence=competence, preferred_zone=preferred_zone or network_zone, network_zone=network_zone,
                    using=using)
    person.state, person.unit, person.in_followup = state, unit, in_followup
    person.temp_place, person.chosen_home = temp_place, chosen_home
    return person


def unit_of(cfg, type_name: str, zone: str) -> Unit:
    return Unit(0, type_name, UnitKind.from_config(cfg.stock.types[type_name]), zone)


@pytest.fixture(scope="module")
def hz(baseline):
    """The baseline with the hazard multipliers the hazard tests rely on set explicitly (not tuned values)."""
    from sim.config import with_overrides

    return with_overrides(baseline, {
        "relapse": {"rate_per_day": 0.002, "street_multiplier": 1.8, "temporary_multiplier": 1.5,
                    "temporary_staffed_multiplier": 0.8, "network_zone_multiplier": 1.4, "private_multiplier": 0.9},
        "eviction": {"rate_per_day": 0.0001, "using_in_intolerant_multiplier": 5.0, "using_in_tolerant_multiplier": 2.0,
                     "mismatch_multiplier_per_level": 1.6, "low_competence_multiplier": 2.0},
        "followup": {"relapse_multiplier": 0.7, "eviction_multiplier": 0.6},
        "stock": {"types": {"ordinary": {"support_level": 0, "tolerates_use": False, "relapse_multiplier": 1.0,
                                         "eviction_multiplier": 1.0},
                            "rop": {"support_level": 3, "tolerates_use": True, "eviction_multiplier": 0.7},
                            "staffed": {"relapse_multiplier": 0.6}}},
    })


# ----------------------------------------------------------------------------- 1. discharge destination


@pytest.mark.parametrize("institution", ["treatment", "prison"])
def test_person_holding_a_unit_returns_to_it_at_discharge(institution):
    """Mechanism 1: a tenant admitted to treatment or prison keeps the unit and goes back to it."""
    model = HousingModel(calm())
    unit = model.stock.units[0]
    person = place(model, State.HOUSED, unit=unit)
    if institution == "treatment":
        model.treatment.refer(person)  # a bed is free: admitted at once
    else:
        person.admit(State.PRISON)
    assert person.state.value == institution
    assert unit.tenant is person, "the tenancy is kept during the stay"
    model.run_until(person.release_day + 1.0)
    rows = discharges_of(model, person)
    assert rows["destination"].tolist() == ["housing"]
    assert rows["source"].tolist() == [institution]
    assert person.state is State.HOUSED and person.unit is unit


def test_a_training_flat_whose_tenancy_ends_inside_is_given_back_before_discharge():
    """Mechanism 1: a tenancy that runs out during a stay is renewed if the type renews; a training
    flat's is not, so the person is discharged without it (not "to housing")."""
    model = HousingModel(calm({"stock": {"types": {"training": {"tenancy_days": 50.0}, "ordinary": {"tenancy_days": 50.0}}}}))
    flat, ordinary = vacant(model, "training"), vacant(model, "ordinary")
    tenant = place(model, State.TEMPORARY, index=0)
    other = place(model, State.TEMPORARY, index=1)
    give_unit(model, tenant, flat, 1.0)
    give_unit(model, other, ordinary, 1.0)
    model.run_until(10.0)
    model.office.withdraw(tenant)  # no move-on offer in the way
    for person in (tenant, other):
        person.admit(State.PRISON)
        person.release_day = 100.0
        person.reschedule()
    model.run_until(101.0)
    assert discharges_of(model, tenant)["destination"].item() != "housing"
    assert tenant.unit is None and flat.is_vacant
    assert discharges_of(model, other)["destination"].item() == "housing"
    assert other.unit is ordinary and other.tenancy_end == pytest.approx(151.0)


@pytest.mark.parametrize(("prob", "destination"), [(1.0, "temporary"), (0.0, "street")])
def test_discharge_without_housing_goes_to_temporary_housing_with_its_probability(prob, destination):
    """Mechanism 1: without housing, a discharge goes to NAV temporary housing with the source's
    probability (here 1 or 0, for treatment and prison), else to the street."""
    model = HousingModel(calm({"discharge": {"treatment_to_temporary_prob": prob, "prison_to_temporary_prob": prob}}))
    people = [place(model, State.PRISON, release_day=5.0, index=i) for i in range(5)]
    people += [place(model, State.TREATMENT, release_day=5.0, index=10 + i) for i in range(5)]
    model.run_until(6.0)
    assert model.records.frame("discharges")["destination"].tolist() == [destination] * 10
    assert all(p.state.value == destination for p in people)


@pytest.mark.parametrize(("overrides", "start", "using", "outcome"), [
    ({"temporary": {"leave_rate_per_day": 1.0}}, State.TEMPORARY, False, State.STREET),
    ({"temporary": {"street_to_nav_rate_per_day": 1.0}}, State.STREET, False, State.TEMPORARY),
    ({"prison": {"incarceration_rate_per_year_using": 365.0}}, State.STREET, True, "prison"),
    ({"exits": {"move_away_rate_per_year": 365.0}}, State.STREET, False, "moved_away"),
    ({"relapse": {"remission_rate_per_day": 1.0}}, State.STREET, True, "remission"),
])
def test_each_hazard_of_a_place_runs_its_clock(overrides, start, using, outcome):
    """The simple hazards: leaving temporary housing for the street, coming to NAV from the street,
    prison while in active use, moving away, remission. At a rate of one a day each has happened
    within 30 days (and only it can, in a calm world)."""
    model = HousingModel(calm(overrides))
    person = place(model, start, using=using)
    model.run_until(30.0)
    if outcome == "moved_away":
        assert rows_of(model, "exits", person)["reason"].tolist() == ["moved_away"]
    elif outcome == "prison":
        assert rows_of(model, "admissions", person)["kind"].tolist()[:1] == ["prison"]
    elif outcome == "remission":
        assert person.state is start and not person.using
    else:
        assert person.state is outcome


def test_mortality_is_higher_in_active_use(baseline):
    """Mortality: the death hazard in active use is mortality_using_multiplier times the other."""
    cfg = sc.with_overrides(baseline, {"exits": {"mortality_using_multiplier": 3.0}})
    rates = hazards.Rates.from_scenario(cfg)
    assert rates.death_using == pytest.approx(3.0 * rates.death) and rates.death > 0


# ----------------------------------------------------------------------------- 2. coordination


@pytest.mark.parametrize("priority", [True, False])
def test_institution_priority_puts_people_inside_first_at_meetings(priority):
    """Mechanism 2: with institution_priority, an applicant in prison is offered a unit before one
    who applied earlier from temporary housing; without it, the earlier applicant goes first."""
    model = HousingModel(calm({
        "coordination": {"institution_priority": priority},
        "housing_office": {"processing_days": 0.0},
        "choice": {"decline_prob_preferred_zone": 0.0, "decline_prob_other_zone": 0.0},
    }))
    outside = place(model, State.TEMPORARY, index=0)  # applies on day 0
    model.run_until(5.0)
    inside = place(model, State.PRISON, release_day=200.0, index=1)
    model.office.apply(inside, 0.0)  # applies on day 5
    first = allocation.vacancy_order(model.stock.vacant.values())[0]
    model.office.meeting()
    assert (inside if priority else outside).offer is first
    assert (outside if priority else inside).offer is not first


@pytest.mark.parametrize(("timing", "on_list_while_inside"), [("admission", True), ("discharge", False)])
def test_institution_applies_at_admission_or_at_discharge(timing, on_list_while_inside):
    """Mechanism 2: with timing "admission" the application is made at admission (after the notice delay);
    with "discharge" only when the person leaves."""
    model = HousingModel(calm({"coordination": {"application_timing": timing, "notice_delay_days": 5.0}}))
    person = place(model, State.STREET)
    model.office.withdraw(person)  # start with no application at all
    model.run_until(1.0)
    model.treatment.refer(person)
    assert person.state is State.TREATMENT
    assert (person in model.office.applications) is on_list_while_inside
    if on_list_while_inside:
        assert model.office.applications[person].active_from == pytest.approx(1.0 + 5.0)
    model.run_until(person.release_day + 1.0)
    assert person.state in (State.TEMPORARY, State.STREET)
    assert person in model.office.applications, "everyone without housing is on the list after discharge"


@pytest.mark.parametrize(
    ("hold_share", "move_in_after_release", "held"),
    [(1.0, 10.0, True), (0.0, 10.0, False), (1.0, 100.0, False)],
)
def test_hold_rule_for_one_person(hold_share, move_in_after_release, held):
    """Mechanism 2: a discharge is held until the keys only if hold_discharge_share says so and the wait is short."""
    model = HousingModel(calm({"coordination": {"hold_discharge_share": hold_share, "hold_max_days": 21.0}}))
    person = place(model, State.PRISON, release_day=10.0)
    unit = model.stock.units[0]
    model.stock.reserve(unit, person)
    person.accept_offer(unit, 10.0 + move_in_after_release)
    model.run_until(10.0 + move_in_after_release + 1.0)
    rows = discharges_of(model, person)
    assert len(rows) == 1
    if held:
        assert rows["destination"].item() == "housing"
        assert rows["day"].item() >= 10.0 + move_in_after_release
    else:
        assert rows["destination"].item() in ("temporary", "street")
        assert rows["day"].item() == pytest.approx(10.0)
    assert person.state is State.HOUSED and person.unit is unit  # the keys come either way


# ----------------------------------------------------------------------------- 3. temporary housing


def test_relapse_rate_higher_in_temporary_than_in_an_ordinary_unit(hz):
    """Mechanism 3: relapse hazard is higher in an ordinary temporary place than in an ordinary unit."""
    cfg = hz
    temp = stand_in(cfg, state=State.TEMPORARY)
    housed = stand_in(cfg, state=State.HOUSED, unit=unit_of(cfg, "ordinary", "nord"), network_zone="sentrum")
    assert cfg.relapse.temporary_multiplier > 1.0
    assert hazards.relapse_rate(temp) > hazards.relapse_rate(housed)
    assert hazards.relapse_rate(temp) == pytest.approx(cfg.relapse.rate_per_day * cfg.relapse.temporary_multiplier)
    assert hazards.relapse_rate(housed) == pytest.approx(cfg.relapse.rate_per_day)


@pytest.mark.parametrize("kind", [TempPlace.STAFFED, TempPlace.CRISIS])
def test_staffed_and_crisis_temporary_places_use_the_staffed_multiplier(hz, kind):
    """Mechanism 3: a staffed or women's crisis temporary place has staff on site: its own multiplier."""
    rate = hazards.relapse_rate(stand_in(hz, state=State.TEMPORARY, temp_place=kind))
    assert rate == pytest.approx(hz.relapse.rate_per_day * hz.relapse.temporary_staffed_multiplier)


def test_relapse_rate_on_the_street_and_in_private_housing(hz):
    """Mechanism 3/8: the street and private housing multiply the relapse hazard by their own factors."""
    street = hazards.relapse_rate(stand_in(hz, state=State.STREET))
    assert street == pytest.approx(hz.relapse.rate_per_day * hz.relapse.street_multiplier)
    private = hazards.relapse_rate(stand_in(hz, state=State.PRIVATE))
    assert private == pytest.approx(hz.relapse.rate_per_day * hz.relapse.private_multiplier)


# ----------------------------------------------------------------------------- 4. mismatch and eviction


def test_eviction_rate_rises_with_unmet_support_need(hz):
    """Mechanism 4: each level of need the unit does not meet multiplies the eviction hazard."""
    cfg = hz
    ordinary = unit_of(cfg, "ordinary", "nord")  # support level 0
    rates = [hazards.eviction_rate(stand_in(cfg, unit=ordinary, need=n)) for n in Need]
    assert rates == sorted(rates) and len(set(rates)) == len(rates), rates
    m = cfg.eviction.mismatch_multiplier_per_level
    assert rates[3] / rates[0] == pytest.approx(m**3)
    # a ROP unit (support level 3) meets every need: no mismatch factor
    rop = unit_of(cfg, "rop", "nord")
    assert hazards.eviction_rate(stand_in(cfg, unit=rop, need=Need.ROP)) == pytest.approx(
        hazards.eviction_rate(stand_in(cfg, unit=rop, need=Need.LOW))
    )


def test_eviction_rate_of_a_unit_type(hz):
    """Mechanism 4: the unit type's eviction multiplier scales the hazard of a matched, sober tenant."""
    rop = unit_of(hz, "rop", "nord")
    assert hazards.eviction_rate(stand_in(hz, unit=rop)) == pytest.approx(hz.eviction.rate_per_day * 0.7)


def test_eviction_rate_rises_with_use_in_a_unit_that_does_not_tolerate_it(hz):
    """Mechanism 4: active use multiplies the eviction hazard, more where the unit does not tolerate use."""
    cfg = hz
    ordinary = unit_of(cfg, "ordinary", "nord")
    assert not ordinary.kind.tolerates_use
    sober = hazards.eviction_rate(stand_in(cfg, unit=ordinary))
    using = hazards.eviction_rate(stand_in(cfg, unit=ordinary, using=True))
    assert using == pytest.approx(sober * cfg.eviction.using_in_intolerant_multiplier)
    rop = unit_of(cfg, "rop", "nord")
    assert rop.kind.tolerates_use
    ratio_tolerant = hazards.eviction_rate(stand_in(cfg, unit=rop, using=True)) / hazards.eviction_rate(
        stand_in(cfg, unit=rop)
    )
    assert ratio_tolerant == pytest.approx(cfg.eviction.using_in_tolerant_multiplier)
    assert ratio_tolerant < using / sober


def test_eviction_rate_low_competence_and_followup(hz):
    """Mechanism 4: low housing competence raises the eviction hazard, follow-up lowers it."""
    cfg = hz
    unit = unit_of(cfg, "ordinary", "nord")
    full = hazards.eviction_rate(stand_in(cfg, unit=unit, competence=1.0))
    assert hazards.eviction_rate(stand_in(cfg, unit=unit, competence=0.25)) == pytest.approx(
        full * (1.0 + cfg.eviction.low_competence_multiplier * 0.75)
    )
    assert hazards.eviction_rate(stand_in(cfg, unit=unit, in_followup=True)) == pytest.approx(
        full * cfg.followup.eviction_multiplier
    )


def test_eviction_in_the_model_ends_the_tenancy():
    """Mechanism 4 in the model: the eviction clock runs for a tenant, and an eviction sends them
    to NAV or the street with the unit back in the stock."""
    model = HousingModel(calm({"eviction": {"rate_per_day": 0.5, "to_temporary_prob": 1.0},
                               "stock": {"loss_prob_after_eviction": 0.0}}))
    unit = vacant(model)
    person = place(model, State.HOUSED, unit=unit)
    model.run_until(60.0)
    assert rows_of(model, "evictions", person)["housing_type"].tolist() == ["ordinary"]
    assert person.state is State.TEMPORARY and person.unit is None
    assert unit.is_vacant and person in model.office.applications


# ----------------------------------------------------------------------------- 5. stock attrition and additions


def test_stock_addition_comes_on_its_day():
    """Mechanism 5: a [[stock.additions]] entry adds vacant units of its type and zone on its day."""
    model = HousingModel(calm({"stock": {"additions": [{"day": 50.0, "type": "staffed", "zone": "nord", "count": 3}]}}))
    size = model.stock.size
    model.run_until(49.0)
    assert model.stock.size == size
    model.run_until(51.0)
    assert model.stock.size == size + 3
    assert [(u.type_name, u.zone, u.is_vacant) for u in model.stock.units[-3:]] == [("staffed", "nord", True)] * 3


def test_moving_on_from_a_training_flat():
    """Mechanism 4/5: a tenant who moves into a non-renewable training flat is put on the list to move on."""
    model = HousingModel(calm())
    person = place(model, State.TEMPORARY)
    flat = vacant(model, "training")
    give_unit(model, person, flat, 1.0)
    model.run_until(2.0)
    assert person.state is State.HOUSED and person.unit is flat
    assert person in model.office.applications, "a move-on application is made on moving in"
    lead = model.cfg.housing_office.move_on_lead_days
    tenancy = flat.kind.tenancy_days
    assert model.office.applications[person].active_from == pytest.approx(1.0 + tenancy - lead)


def test_day0_tenant_of_a_training_flat_gets_a_move_on_application():
    """Mechanism 4/5: a tenant placed in a training flat at day 0 is on the move-on list before the tenancy ends."""
    model = HousingModel(calm())
    flat = vacant(model, "training")
    person = place(model, State.HOUSED, unit=flat)
    model.run_until(max(person.tenancy_end - 1.0, 0.0))
    assert person in model.office.applications


# ----------------------------------------------------------------------------- 6. allocation meetings


def test_a_meeting_offers_the_unit_vacant_longest_whatever_order_the_stock_holds_them():
    """fcfs: the meeting puts the vacant units in order itself (vacant the longest, then by id)."""
    model = HousingModel(calm({"choice": {"max_declines": 0, "after_limit": "must_accept"}}))
    stock = model.stock
    assert len(stock.vacant) > 2
    stock.vacant = dict(reversed(list(stock.vacant.items())))  # the same units, held in reverse
    person = place(model, State.TEMPORARY)
    model.office.applications[person].active_from = model.time  # the papers are in at once
    model.office.meeting()
    assert person.offer is min(stock.units, key=lambda u: (u.vacant_since, u.uid))


def test_offers_wait_for_the_papers_and_the_keys_for_the_paperwork():
    """Mechanism 6: an application can be offered a unit only once the office has the papers
    (processing_days); an accepted unit is moved into after the paperwork delay, and allocation
    meetings come every meeting_interval_days."""
    model = HousingModel(calm({
        "housing_office": {"processing_days": 14.0, "meeting_interval_days": 10.0,
                           "move_in_delay_days_mean": 30.0, "move_in_delay_days_cv": 0.01},
        "choice": {"decline_prob_preferred_zone": 0.0, "decline_prob_other_zone": 0.0},
    }))
    person = place(model, State.TEMPORARY)
    model.run_until(10.5)  # meeting on day 10: the papers come on day 14
    assert person.offer is None and not len(model.records.offers["day"])
    model.run_until(20.5)  # meeting on day 20: offered and accepted
    assert model.records.offers["day"] == pytest.approx([20.0])
    assert person.offer is not None and person.state is State.TEMPORARY
    assert person.move_in_day == pytest.approx(50.0, abs=3.0)
    model.run_until(person.move_in_day + 0.1)
    assert person.state is State.HOUSED


@pytest.mark.parametrize(("rule", "using", "offered"), [(True, True, False), (True, False, True), (False, True, True)])
def test_housing_ready_rule_no_offer_while_in_active_use(rule, using, offered):
    """Mechanism 6: with require_housing_ready, a meeting makes no offer to an applicant in active
    use; a sober applicant, or any applicant without the rule (Housing First), is offered a unit."""
    model = HousingModel(calm({
        "housing_office": {"require_housing_ready": rule, "processing_days": 0.0},
        "choice": {"decline_prob_preferred_zone": 0.0, "decline_prob_other_zone": 0.0},
    }))
    person = place(model, State.TEMPORARY, using=using)
    assert person in model.office.applications
    model.office.meeting()
    assert (person.offer is not None) is offered
    assert len(model.records.offers["day"]) == int(offered)


@pytest.mark.parametrize("rule", ["need_priority", "fcfs"])
def test_need_priority_offers_first_to_the_highest_need(rule):
    """Mechanism 6: need_priority goes through applicants by need, highest first; fcfs by date."""
    model = HousingModel(calm({"housing_office": {"rule": rule, "processing_days": 0.0},
                               "choice": {"decline_prob_preferred_zone": 0.0, "decline_prob_other_zone": 0.0}}))
    early_low = place(model, State.TEMPORARY, index=0, need=Need.LOW)
    model.run_until(5.0)
    late_high = place(model, State.TEMPORARY, index=1, need=Need.ROP)
    first = allocation.vacancy_order(model.stock.vacant.values())[0]
    model.office.meeting()
    assert (late_high if rule == "need_priority" else early_low).offer is first


@pytest.mark.parametrize("rule", ["best_fit", "fcfs"])
def test_best_fit_offers_the_unit_closest_to_the_need(rule):
    """Mechanism 6: best_fit offers the vacant unit whose support level is closest to the need;
    fcfs the unit vacant the longest, whatever its type."""
    model = HousingModel(calm({
        "housing_office": {"rule": rule, "processing_days": 0.0},
        "choice": {"decline_prob_preferred_zone": 0.0, "decline_prob_other_zone": 0.0},
        "stock": {"types": {"ordinary": {"support_level": 0}, "staffed": {"support_level": 2}}},
    }))
    person = place(model, State.TEMPORARY, need=Need.ROP)
    vacant_units = list(model.stock.vacant.values())
    first = allocation.vacancy_order(vacant_units)[0]
    assert first.kind.support_level == 0
    model.office.meeting()
    if rule == "best_fit":
        assert person.offer.kind.support_level == max(u.kind.support_level for u in vacant_units) == 2
    else:
        assert person.offer is first


# ----------------------------------------------------------------------------- 7. user choice


def test_decline_probability_by_zone_and_in_temporary_housing(baseline):
    """Mechanism 7: offers outside the preferred zone are declined more often, and people in
    temporary housing decline more often (the odds times decline_odds_ratio_in_temporary)."""
    choice = sc.with_overrides(baseline, {"choice": {"decline_prob_preferred_zone": 0.1, "decline_prob_other_zone": 0.3,
                                                     "decline_odds_ratio_in_temporary": 2.0}}).choice
    assert allocation.decline_probability(choice, True, False) == pytest.approx(0.1)
    assert allocation.decline_probability(choice, False, False) == pytest.approx(0.3)
    assert allocation.decline_probability(choice, True, True) == pytest.approx(0.2 / 1.1)  # odds 1/9 x 2
    assert allocation.decline_probability(choice, False, True) == pytest.approx(0.6 / 1.3)  # odds 3/7 x 2


def quiet_decliner(after_limit: str, max_declines: int = 1):
    """A calm world with one person in temporary housing who wants to decline every offer.

    Meetings every 10 days; the application reaches the office at once.
    """
    s = calm({
        "housing_office": {"meeting_interval_days": 10.0, "processing_days": 0.0, "rule": "fcfs"},
        "choice": {"decline_prob_preferred_zone": 1.0, "decline_prob_other_zone": 1.0,
                   "max_declines": max_declines, "after_limit": after_limit, "reapply_after_days": 45.0},
    }, years=1)
    model = HousingModel(s)
    person = place(model, State.TEMPORARY)
    return model, person


def test_back_of_queue_moves_the_application_to_the_meeting_day():
    """Mechanism 7: after the free declines, a decline puts the application at the back of the queue."""
    model, person = quiet_decliner("back_of_queue", max_declines=1)
    app = model.office.applications[person]
    assert app.queue_day == 0.0
    model.run_until(10.5)  # meeting 1: free decline
    assert app.declines == 1 and app.queue_day == 0.0
    model.run_until(20.5)  # meeting 2: past the limit
    assert model.office.applications[person] is app
    assert app.queue_day == pytest.approx(20.0)
    assert app.declines == 0, "the count starts again"
    assert model.records.frame("offers")["consequence"].tolist() == ["declined", "back_of_queue"]


def test_lower_priority_adds_a_penalty():
    """Mechanism 7: after the free declines, a decline lowers the applicant's priority."""
    model, person = quiet_decliner("lower_priority", max_declines=1)
    model.run_until(20.5)
    app = model.office.applications[person]
    assert app.penalty == 1 and app.declines == 0
    model.run_until(40.5)
    assert app.penalty == 2


def test_temporary_only_takes_the_person_off_the_list_for_a_while():
    """Mechanism 7: temporary_only: off the list until reapply_after_days have passed, then back on."""
    model, person = quiet_decliner("temporary_only", max_declines=0)
    model.run_until(10.5)
    assert person not in model.office.applications
    assert model.records.frame("offers")["consequence"].tolist() == ["temporary_only"]
    model.run_until(50.5)  # meetings on days 20, 30, 40, 50: no offer while off the list
    assert len(model.records.offers["day"]) == 1
    model.run_until(60.5)  # reapplied on day 55 (10 + 45), offered (and declining again) on day 60
    assert model.records.offers["day"] == pytest.approx([10.0, 60.0])
    assert model.records.offers["consequence"] == ["temporary_only", "temporary_only"]
    assert person.state is State.TEMPORARY


def test_must_accept_in_a_quiet_world():
    """Mechanism 7: must_accept: the first offer past the limit is accepted and the person moves in."""
    model, person = quiet_decliner("must_accept", max_declines=0)
    model.run_until(200.0)
    assert model.records.frame("offers")["accepted"].tolist() == [True]
    assert person.state is State.HOUSED


# ----------------------------------------------------------------------------- 8. relapse, death and place


def test_network_zone_raises_relapse_rate(hz):
    """Mechanism 8: a unit in the zone of the person's using network multiplies the relapse hazard."""
    cfg = hz
    unit = unit_of(cfg, "ordinary", "sentrum")
    near = hazards.relapse_rate(stand_in(cfg, unit=unit, network_zone="sentrum"))
    away = hazards.relapse_rate(stand_in(cfg, unit=unit, network_zone="nord"))
    assert cfg.relapse.network_zone_multiplier > 1.0
    assert near == pytest.approx(away * cfg.relapse.network_zone_multiplier)


def test_unit_type_and_followup_change_relapse_rate(hz):
    """Mechanism 8/9: staffed units and follow-up lower the relapse hazard by their multipliers."""
    cfg = hz
    ordinary = hazards.relapse_rate(stand_in(cfg, unit=unit_of(cfg, "ordinary", "nord")))
    staffed = hazards.relapse_rate(stand_in(cfg, unit=unit_of(cfg, "staffed", "nord")))
    assert staffed == pytest.approx(ordinary * cfg.stock.types["staffed"].relapse_multiplier)
    followed = hazards.relapse_rate(stand_in(cfg, unit=unit_of(cfg, "ordinary", "nord"), in_followup=True))
    assert followed == pytest.approx(ordinary * cfg.followup.relapse_multiplier)


def discharged_from_prison(overrides: dict, n: int = 60, window: float = 60.0) -> list[Person]:
    """``n`` people released from prison on day 10 into a calm world, run to the end of ``window`` days after."""
    model = HousingModel(calm(overrides))
    people = [place(model, State.PRISON, release_day=10.0, index=i) for i in range(n)]
    model.run_until(10.0 + window)
    return people


@pytest.mark.parametrize(("early", "low", "high"), [(20.0, 0.45, 1.0), (1.0, 0.0, 0.2)])
def test_relapse_hazard_is_raised_in_the_early_window_after_discharge(early, low, high):
    """Mechanism 8: in the first early_window_days after a discharge the relapse hazard is
    early_multiplier times higher (here 1 - exp(-0.02 * 60) = 70 % relapse within 60 days, against
    6 % with no early window)."""
    people = discharged_from_prison({
        "relapse": {"rate_per_day": 0.001, "early_multiplier": early, "early_window_days": 60.0,
                    "street_multiplier": 1.0, "temporary_multiplier": 1.0},
    })
    share = np.mean([p.relapses > 0 for p in people])
    assert low <= share <= high, share


@pytest.mark.parametrize(("early", "low", "high"), [(500.0, 0.5, 1.0), (1.0, 0.0, 0.1)])
def test_death_hazard_is_raised_in_the_early_window_after_discharge(early, low, high):
    """Mortality (F14): in the first mortality_early_window_days after a discharge the death hazard is
    mortality_early_multiplier times higher (here 75 % die within 28 days, against 0.3 %)."""
    people = discharged_from_prison({
        "exits": {"mortality_per_100_person_years": 100.0 * 0.0001 * 365.25, "mortality_early_multiplier": early,
                  "mortality_early_window_days": 28.0},
    }, window=28.0)
    share = np.mean([p.state is None for p in people])
    assert low <= share <= high, share


def test_piecewise_time_is_exact_at_the_break():
    """Mechanism 8 (drawing): the piecewise hazard gives the right chance of an event before the break."""
    rng = Luck.seeded(1)
    n = 40_000
    draws = np.array([hazards.piecewise_time(rng, 0.02, 0.002, 90.0) for _ in range(n)])
    p_before = 1 - np.exp(-0.02 * 90)
    assert abs((draws <= 90).mean() - p_before) < 4 * np.sqrt(p_before * (1 - p_before) / n)
    # after the break, the remaining time is exponential with the later rate
    tail = draws[draws > 90] - 90
    assert tail.mean() == pytest.approx(1 / 0.002, rel=0.05)
    assert hazards.piecewise_time(rng, 0.0, 0.0, 10.0) == np.inf


# ----------------------------------------------------------------------------- 9. follow-up


def moved_in(model: HousingModel, index: int, need: Need = Need.HIGH) -> Person:
    """A person from temporary housing who moves into a vacant ordinary unit a day from now."""
    person = place(model, State.TEMPORARY, index=index, need=need)
    day = model.time + 1.0
    give_unit(model, person, vacant(model), day)
    model.run_until(day + 0.5)
    assert person.state is State.HOUSED
    return person


def test_followup_takes_people_on_at_move_in_up_to_capacity_and_from_min_need():
    """Mechanism 9: follow-up starts at move-in for people with need >= min_need while a slot is free."""
    model = HousingModel(calm({"followup": {"capacity": 2, "min_need": "medium", "duration_days": 100.0}}))
    low = moved_in(model, 0, need=Need.LOW)
    first, second, third = (moved_in(model, i, need=Need.HIGH) for i in (1, 2, 3))
    assert not low.in_followup, "need below min_need"
    assert first.in_followup and second.in_followup
    assert not third.in_followup, "no slot free"
    assert model.followup.clients == {first, second}
    assert first.followup_until == pytest.approx(first.spell_start + 100.0)
    model.run_until(first.followup_until + 0.1)
    assert not first.in_followup and first not in model.followup.clients, "the case runs its planned length"


@pytest.mark.parametrize("end_on_no_contact", [True, False])
def test_followup_ends_when_a_person_in_use_does_not_open_the_door(end_on_no_contact):
    """Mechanism 9: with end_on_no_contact, the case of a client in active use is closed at the
    no-contact rate; without it, it runs on."""
    model = HousingModel(calm({"followup": {"capacity": 5, "min_need": "low", "duration_days": 1000.0,
                                            "end_on_no_contact": end_on_no_contact,
                                            "no_contact_rate_per_day_using": 0.5}}))
    person = moved_in(model, 0)
    assert person.in_followup
    person.using = True
    person.reschedule()
    model.run_until(60.0)
    assert person.in_followup is not end_on_no_contact


# ----------------------------------------------------------------------------- 10. revolving door


def test_people_in_active_use_are_referred_and_the_homeless_more_often():
    """Mechanism 10: people in active use are referred to treatment (then admitted when a bed is
    free); the homeless homeless_referral_multiplier times as often as tenants."""
    model = HousingModel(calm({"treatment": {"beds": 0, "referral_rate_per_day_using": 0.01,
                                             "homeless_referral_multiplier": 5.0}}))
    street = [place(model, State.STREET, index=i, using=True) for i in range(40)]
    housed = [place(model, State.HOUSED, unit=vacant(model), index=100 + i, using=True) for i in range(40)]
    model.run_until(30.0)
    referred_street = np.mean([model.treatment.is_queued(p) for p in street])  # expected 1 - exp(-1.5) = 0.78
    referred_housed = np.mean([model.treatment.is_queued(p) for p in housed])  # expected 1 - exp(-0.3) = 0.26
    assert referred_street > 0.55 and 0.05 < referred_housed < 0.5, (referred_street, referred_housed)


@pytest.mark.parametrize("lapses", [True, False])
def test_a_referral_lapses_at_remission_only_when_set(lapses):
    """Mechanism 10: a person who stops using while waiting for a bed leaves the treatment queue
    if treatment.referral_lapses_on_remission; otherwise the referral stands."""
    model = HousingModel(calm({"treatment": {"beds": 0, "referral_lapses_on_remission": lapses}}))
    person = place(model, State.STREET, using=True)
    fire(person, EventKind.REFERRAL)
    assert model.treatment.is_queued(person)
    fire(person, EventKind.REMISSION)
    assert not person.using
    assert model.treatment.is_queued(person) is not lapses


# ----------------------------------------------------------------------------- 11. heterogeneity


def test_need_shares_of_new_people_match_the_scenario():
    """Mechanism 11: new people's support needs follow population.need_shares."""
    shares = {"low": 0.1, "medium": 0.2, "high": 0.3, "rop": 0.4}
    model = HousingModel(calm({"population": {"need_shares": shares}}))
    n = 6000
    needs = pd.Series([model.new_person(1, i).need.name.lower() for i in range(n)])
    observed = needs.value_counts(normalize=True)
    for level, share in shares.items():
        assert abs(observed.get(level, 0.0) - share) < 4 * np.sqrt(share * (1 - share) / n), (level, observed)


def test_people_differ_in_more_than_need(baseline):
    """Mechanism 11: sex, competence and zones vary between people and stay within their bounds."""
    model = HousingModel(calm())
    people = [model.new_person(2, i) for i in range(2000)]
    pop = baseline.population
    female = np.mean([p.female for p in people])
    assert abs(female - pop.female_share) < 0.05
    competence = np.array([p.competence for p in people])
    assert competence.min() >= 0.0 and competence.max() <= 1.0 and competence.std() > 0.05
    for n in Need:
        mean = np.mean([p.competence for p in people if p.need is n])
        assert abs(mean - pop.competence_mean[n.name.lower()]) < 0.05, n
    network = pd.Series([p.network_zone for p in people]).value_counts(normalize=True)
    weights = pop.network_zone_weights
    for zone, w in weights.items():
        assert abs(network.get(zone, 0.0) - w / sum(weights.values())) < 0.05, zone


# ----------------------------------------------------------------------------- event kinds


def test_every_kind_of_event_has_one_handler():
    """``events.HANDLERS`` maps every ``EventKind`` explicitly: a kind without a handler fails here."""
    assert events.HANDLERS.keys() == set(EventKind)
    assert all(callable(h) for h in events.HANDLERS.values())


def test_clocks_that_ring_together_go_to_the_kind_whose_name_sorts_first():
    """Ties between clocks are broken by the kind's string value (a ``StrEnum`` compares as its value)."""
    kinds = list(EventKind)
    assert all(type(k.value) is str for k in kinds)
    assert sorted(kinds) == sorted(kinds, key=lambda k: k.value)
    assert min((3.0, EventKind.TENANCY_END), (3.0, EventKind.EVICTION))[1] is EventKind.EVICTION
