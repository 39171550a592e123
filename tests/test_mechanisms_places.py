"""Mechanisms of housing competence, private housing, stable exits, stock replacement and the kinds
of temporary place: each has a direct test here that fails if the mechanism is removed.

The tests use the calm world of ``test_mechanisms.py`` (nothing happens by itself), switch on the
one rule they look at with explicit values (never the baseline's tuned ones), place a person or
a few, and either make an event come up (:func:`~tests.test_mechanisms.fire`) or run a short
while. ``scripts/mutants.py`` checks that each fails when its mechanism is switched off.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import DAYS_PER_YEAR
from sim.model import HousingModel, hazards
from sim.model.states import EventKind, Need, State, TempPlace
from tests.test_mechanisms import calm, discharges_of, fire, give_unit, moved_in, place, rows_of, vacant

YEAR = DAYS_PER_YEAR
HALF_YEAR = DAYS_PER_YEAR / 2


def competence_now(person) -> float:
    """The person's housing competence brought up to the model's time."""
    person._update_competence()
    return person.competence


# ----------------------------------------------------------------------------- housing competence


def test_competence_grows_while_holding_a_unit():
    """A tenant living in a unit gains the unit type's competence_gain_per_year."""
    model = HousingModel(calm({"stock": {"types": {"ordinary": {"competence_gain_per_year": 0.4}}}}))
    person = place(model, State.HOUSED, unit=vacant(model, "ordinary"), competence=0.2)
    assert person.competence_gain_per_year() == pytest.approx(0.4)
    model.run_until(HALF_YEAR)
    assert competence_now(person) == pytest.approx(0.2 + 0.4 / 2)
    model.run_until(3 * YEAR)
    assert competence_now(person) == 1.0, "competence stops at 1"


def test_competence_falls_at_a_relapse():
    """A relapse takes relapse.competence_loss off housing competence (not below 0)."""
    model = HousingModel(calm({"relapse": {"rate_per_day": 0.5, "competence_loss": 0.15}}))
    person = place(model, State.TEMPORARY, competence=0.5)
    model.run_until(30.0)
    assert person.relapses == 1 and person.using
    assert person.competence == pytest.approx(0.35)
    low = place(model, State.TEMPORARY, competence=0.1, index=1)
    fire(low, EventKind.RELAPSE)
    assert low.competence == 0.0


@pytest.mark.parametrize("using", [False, True])
def test_competence_recovers_while_not_in_active_use(using):
    """Outside treatment, housing competence grows at gain_per_year_not_using while the person is
    not in active use (here on the street), and not while using."""
    model = HousingModel(calm({"competence": {"gain_per_year_not_using": 0.3}}))
    person = place(model, State.STREET, competence=0.2, using=using)
    model.run_until(HALF_YEAR)
    assert competence_now(person) == pytest.approx(0.2 if using else 0.35)


def test_competence_recovers_in_treatment():
    """In treatment, housing competence grows at gain_per_year_treatment."""
    model = HousingModel(calm({"competence": {"gain_per_year_treatment": 0.4}}))
    person = place(model, State.TREATMENT, release_day=2 * YEAR, competence=0.2)
    model.run_until(HALF_YEAR)
    assert competence_now(person) == pytest.approx(0.4)


def test_competence_recovers_with_followup():
    """With follow-up in the home, housing competence grows at gain_per_year_followup."""
    model = HousingModel(calm({"competence": {"gain_per_year_followup": 0.25},
                               "followup": {"capacity": 5, "min_need": "low", "duration_days": 1000.0}}))
    person = moved_in(model, 0)
    assert person.in_followup
    person.competence = 0.2
    start = model.time
    person._competence_updated = start
    model.run_until(start + HALF_YEAR)
    assert competence_now(person) == pytest.approx(0.2 + 0.25 / 2)


def test_own_housing_rate_is_a_logistic_function_of_competence():
    """The own-housing hazard is the full rate times a logistic curve in housing competence: half
    at the midpoint, near 0 well below it and near 1 well above it."""
    assert hazards.competence_factor(0.4, 0.4, 0.1) == pytest.approx(0.5)
    assert hazards.competence_factor(0.6, 0.4, 0.1) == pytest.approx(1 / (1 + np.exp(-2.0)))
    assert hazards.competence_factor(0.0, 0.4, 0.1) == pytest.approx(1 / (1 + np.exp(4.0)))
    model = HousingModel(calm({"exits": {"own_housing_rate_per_year_homeless": 3.0, "own_housing_using_multiplier": 0.5,
                                         "own_housing_competence_midpoint": 0.4,
                                         "own_housing_competence_scale": 0.1}}))
    person = place(model, State.STREET)
    full = 3.0 / DAYS_PER_YEAR
    rates = []
    for c in (0.0, 0.2, 0.4, 0.6, 1.0):
        person.competence = c
        own, _ = hazards.own_housing_rates(person)
        assert own == pytest.approx(full * hazards.competence_factor(c, 0.4, 0.1))
        rates.append(own)
    assert rates == sorted(rates) and rates[0] < 0.02 * full and rates[2] == pytest.approx(full / 2)
    person.using = True
    assert hazards.own_housing_rates(person)[0] == pytest.approx(0.5 * full * hazards.competence_factor(1.0, 0.4, 0.1))


def test_competence_is_brought_up_to_date_at_an_admission_from_the_queue():
    """An admission from the treatment queue comes at another person's event (a bed freed): the
    follow-up gain up to the admission is still counted, though the admission ends the follow-up."""
    model = HousingModel(calm({
        "competence": {"gain_per_year_followup": 0.5, "review_days": 1000.0},
        "followup": {"capacity": 5, "min_need": "low", "duration_days": 1000.0},
        "treatment": {"beds": 1},
    }))
    place(model, State.TREATMENT, release_day=200.0, index=5)  # holds the only bed until day 200
    person = moved_in(model, 0)
    person.competence, person._competence_updated, start = 0.2, model.time, model.time
    person.using = True
    fire(person, EventKind.REFERRAL)
    assert model.treatment.is_queued(person)
    model.run_until(200.5)
    assert person.state is State.TREATMENT and not person.in_followup
    assert person.competence == pytest.approx(0.2 + 0.5 * (200.0 - start) / DAYS_PER_YEAR)


def test_competence_is_brought_up_to_date_at_a_move_on_at_the_meeting():
    """A tenant moving on from a training flat at an allocation meeting (no paperwork delay) keeps
    the training flat's gain up to the move, not the new unit's."""
    model = HousingModel(calm({
        "competence": {"review_days": 1000.0},
        "housing_office": {"processing_days": 0.0, "move_in_delay_days_mean": 0.0},
        "choice": {"decline_prob_preferred_zone": 0.0, "decline_prob_other_zone": 0.0},
        "stock": {"types": {"training": {"competence_gain_per_year": 0.5}}},
    }))
    person = place(model, State.TEMPORARY, competence=0.2)
    give_unit(model, person, vacant(model, "training"), 1.0)
    model.run_until(100.0)
    model.office.apply(person, 0.0)
    model.office.meeting()
    assert person.unit.type_name == "ordinary"
    assert person.competence == pytest.approx(0.2 + 0.5 * 99.0 / DAYS_PER_YEAR)


# ----------------------------------------------------------------------------- tenancy renewal


@pytest.mark.parametrize(("type_name", "using", "renewed"),
                         [("ordinary", False, True), ("ordinary", True, False), ("rop", True, True),
                          ("training", False, False)])
def test_tenancy_renewal(type_name, using, renewed):
    """At the end of a tenancy the contract is renewed if the unit type is renewable and, where the
    type renews only for people not in active use (ordinary flats), the tenant is not using."""
    tenancy = {"tenancy_days": 100.0}
    model = HousingModel(calm({"stock": {"types": {
        "ordinary": {**tenancy, "renewable": True, "renewal_requires_not_using": True},
        "rop": {**tenancy, "renewable": True, "renewal_requires_not_using": False},
        "training": {**tenancy, "renewable": False},
    }}}))
    person = place(model, State.TEMPORARY)
    unit = vacant(model, type_name)
    give_unit(model, person, unit, 1.0)
    model.run_until(2.0)
    assert person.unit is unit and person.tenancy_end == pytest.approx(101.0)
    person.using = using
    person.reschedule()
    assert person.renews_tenancy is renewed
    model.run_until(150.0)
    if renewed:
        assert person.state is State.HOUSED and person.unit is unit
        assert person.tenancy_end == pytest.approx(201.0)
    else:
        assert person.state in (State.TEMPORARY, State.STREET) and person.unit is None
        assert rows_of(model, "spells", person)["end_reason"].tolist()[-1] == "tenancy_ended"


# ----------------------------------------------------------------------------- private housing


def test_moving_to_private_housing_gives_back_the_municipal_unit():
    """Own housing: a tenant moves to private housing, stays in the population, and the municipal
    unit goes back to the stock."""
    model = HousingModel(calm())
    unit = vacant(model)
    person = place(model, State.HOUSED, unit=unit)
    fire(person, EventKind.OWN_HOUSING)
    assert person.state is State.PRIVATE and person.has_private
    assert person.unit is None and unit.tenant is None and unit.uid in model.stock.vacant
    assert person in model.agents and not rows_of(model, "exits", person).size
    assert rows_of(model, "spells", person)["end_reason"].tolist() == ["own_housing"]


def test_moving_to_private_housing_gives_back_an_accepted_offer_and_the_application():
    """Own housing from temporary housing: the accepted unit is freed and the application withdrawn."""
    model = HousingModel(calm())
    person = place(model, State.TEMPORARY)
    unit = vacant(model)
    give_unit(model, person, unit, 50.0)
    model.office.apply(person, 0.0)  # a standing application too
    fire(person, EventKind.OWN_HOUSING)
    assert person.state is State.PRIVATE and person.offer is None
    assert unit.is_vacant and person not in model.office.applications
    assert model.temporary.residents == 0


def test_losing_private_housing():
    """Losing private housing sends the person to NAV (or the street) with a new application."""
    model = HousingModel(calm({"private": {"loss_to_temporary_prob": 1.0}}))
    person = place(model, State.PRIVATE)
    assert person.has_private and person not in model.office.applications
    fire(person, EventKind.PRIVATE_LOSS)
    assert person.state is State.TEMPORARY and not person.has_private
    assert person in model.office.applications
    assert rows_of(model, "spells", person)["end_reason"].tolist() == ["lost_private"]


def test_private_housing_is_lost_faster_in_active_use():
    """The private-loss hazard is loss_using_multiplier times higher in active use: with 0.02 a
    year and a multiplier of 500, everyone in use loses it within a year, almost nobody else."""
    model = HousingModel(calm({"private": {"loss_rate_per_year": 0.02, "loss_using_multiplier": 500.0}}))
    assert model.rates.private_loss_using == pytest.approx(500 * model.rates.private_loss)
    using = [place(model, State.PRIVATE, index=i, using=True) for i in range(20)]
    sober = [place(model, State.PRIVATE, index=100 + i, using=False) for i in range(20)]
    model.run_until(YEAR)
    assert all(not p.has_private for p in using)
    assert sum(not p.has_private for p in sober) <= 3


def test_private_housing_is_kept_during_treatment_and_returned_to():
    """A person with private housing keeps it while in treatment, makes no application, and is
    discharged back to it."""
    model = HousingModel(calm({"coordination": {"application_timing": "admission"}}))
    person = place(model, State.PRIVATE, using=True)
    model.treatment.refer(person)
    assert person.state is State.TREATMENT and person.has_private
    assert person not in model.office.applications
    model.run_until(person.release_day + 1.0)
    assert person.state is State.PRIVATE
    assert discharges_of(model, person)["destination"].tolist() == ["private"]


def arranged_calm(rate: float = 4.0) -> HousingModel:
    return HousingModel(calm({"private": {"arranged_rate_per_year": rate}}))


def test_arranged_private_rental_only_for_homeless_applicants_not_in_active_use():
    """The office arranges a private rental (tilvisningsbolig) at arranged_rate_per_year for
    homeless applicants not in active use: not for people in use, not for people off the waiting
    list, not for tenants, not in private housing."""
    model = arranged_calm(4.0)
    full = 4.0 / DAYS_PER_YEAR
    temp = place(model, State.TEMPORARY, index=0, competence=1.0)
    street = place(model, State.STREET, index=1, competence=1.0)
    factor = hazards.competence_factor(1.0, model.rates.own_housing_midpoint, model.rates.own_housing_scale)
    for person in (temp, street):
        assert hazards.own_housing_rates(person) == pytest.approx((0.0, full * factor))
    using = place(model, State.TEMPORARY, index=2, competence=1.0, using=True)
    off_list = place(model, State.TEMPORARY, index=3, competence=1.0)
    model.office.withdraw(off_list)
    tenant = place(model, State.HOUSED, unit=vacant(model), index=4, competence=1.0)
    model.office.apply(tenant, 0.0)
    private = place(model, State.PRIVATE, index=5, competence=1.0)
    for person in (using, off_list, tenant, private):
        assert hazards.own_housing_rates(person)[1] == 0.0


def test_arranged_private_rental_in_the_model():
    """A homeless applicant with a high arranged rate moves to private housing, recorded as arranged."""
    model = arranged_calm(50.0)
    person = place(model, State.TEMPORARY, competence=1.0)
    model.run_until(60.0)
    assert person.state is State.PRIVATE
    assert rows_of(model, "spells", person)["end_reason"].tolist() == ["arranged_private"]


def test_competence_review_redraws_the_hazards_while_competence_grows():
    """While competence grows, a review every competence.review_days draws the clocks again, so the
    own-housing hazard follows it: a person with no chance of private housing at competence 0
    gets one once competence has passed the midpoint (about half a year at 1 a year)."""
    model = HousingModel(calm({
        "competence": {"gain_per_year_not_using": 1.0, "review_days": 10.0},
        "exits": {"own_housing_rate_per_year_homeless": 50.0, "own_housing_competence_midpoint": 0.5,
                  "own_housing_competence_scale": 0.01},
    }))
    person = place(model, State.STREET, competence=0.0)
    model.run_until(YEAR)
    assert person.state is State.PRIVATE
    moved = rows_of(model, "spells", person)
    assert moved["end_reason"].tolist() == ["own_housing"]
    assert 0.45 * YEAR < moved["end"].item() < 0.7 * YEAR


# ----------------------------------------------------------------------------- stable exits


def stable_world(after=100.0, **more) -> HousingModel:
    return HousingModel(calm({"exits": {"stable_after_days": after}, **more}))


def housed_on_day(model: HousingModel, day: float, index: int = 0):
    """A person in temporary housing who moves into a unit on ``day`` (stable from then on)."""
    person = place(model, State.TEMPORARY, index=index)
    give_unit(model, person, vacant(model), day)
    return person


def exit_of(model: HousingModel, person) -> tuple[float, str] | None:
    rows = rows_of(model, "exits", person)
    return (rows["day"].item(), rows["reason"].item()) if len(rows) else None


def test_stable_at_home_leaves_the_population_after_stable_after_days():
    """A person at home, not using and without follow-up leaves as "stable" stable_after_days after
    moving in; in private housing too."""
    model = stable_world(100.0)
    person = housed_on_day(model, 5.0)
    private = place(model, State.PRIVATE, index=1)
    model.run_until(104.0)
    assert person.state is State.HOUSED
    model.run_until(106.0)
    assert exit_of(model, person) == (pytest.approx(105.0), "stable")
    assert exit_of(model, private)[1] == "stable"


def test_never_stable_and_not_while_using():
    """With stable_after_days = "never" nobody leaves as stable; in active use nobody does either."""
    model = stable_world("never")
    person = housed_on_day(model, 5.0)
    model.run_until(1000.0)
    assert person.state is State.HOUSED
    model = stable_world(100.0)
    person = housed_on_day(model, 5.0)
    model.run_until(6.0)
    person.using = True
    person.reschedule()
    model.run_until(300.0)
    assert person.state is State.HOUSED


def test_stable_time_starts_again_at_remission():
    """Stopping active use starts the time stable at home again."""
    model = stable_world(100.0)
    person = housed_on_day(model, 5.0)
    model.run_until(6.0)
    person.using = True
    person.reschedule()
    model.run_until(50.0)
    fire(person, EventKind.REMISSION)
    model.run_until(149.0)
    assert person.state is State.HOUSED, "stable from day 50, not from moving in"
    model.run_until(151.0)
    assert exit_of(model, person) == (pytest.approx(150.0), "stable")


def test_stable_time_starts_again_at_the_end_of_followup():
    """Follow-up counts as service contact: the time stable starts when the case closes."""
    model = stable_world(50.0, followup={"capacity": 5, "min_need": "low", "duration_days": 100.0})
    person = moved_in(model, 0)  # moves in on day 1, follow-up to day 101
    assert person.in_followup and person.followup_until == pytest.approx(101.0)
    model.run_until(150.0)
    assert person.state is State.HOUSED and not person.in_followup
    model.run_until(152.0)
    assert exit_of(model, person) == (pytest.approx(151.0), "stable")


# ----------------------------------------------------------------------------- stock replacement


@pytest.mark.parametrize("delay", [30.0, "never"])
def test_a_lost_unit_is_replaced_after_the_delay(delay):
    """A unit lost after an eviction is replaced replacement_delay_days later by a vacant unit of
    the same type and zone; with "never", it is not."""
    model = HousingModel(calm({"stock": {"loss_prob_after_eviction": 1.0, "replacement_delay_days": delay}}))
    unit = vacant(model, "rop", "nord")
    person = place(model, State.HOUSED, unit=unit)
    size = model.stock.size
    model.run_until(10.0)
    fire(person, EventKind.EVICTION)
    assert unit.lost and model.stock.size == size - 1
    model.run_until(39.0)
    assert model.stock.size == size - 1
    model.run_until(41.0)
    if delay == "never":
        assert model.stock.size == size - 1 and model.stock.replaced == 0
        return
    assert model.stock.size == size and model.stock.replaced == 1
    new = model.stock.units[-1]
    assert (new.type_name, new.zone, new.vacant_since) == ("rop", "nord", pytest.approx(40.0))
    assert new.is_vacant


# ----------------------------------------------------------------------------- temporary places


def test_refused_when_temporary_housing_is_full():
    """A capacity of ordinary temporary places: who comes when it is full is refused (recorded) and
    stays on the street."""
    model = HousingModel(calm({"temporary": {"capacity": 1}}))
    first = place(model, State.TEMPORARY, index=0, need=Need.LOW)
    second = place(model, State.STREET, index=1, need=Need.LOW)
    fire(second, EventKind.TO_NAV)
    assert first.state is State.TEMPORARY and second.state is State.STREET
    refusals = model.records.frame("refusals")
    assert refusals["person"].tolist() == [second.unique_id] and refusals["reason"].tolist() == ["full"]
    assert model.temporary.residents == 1


def test_staffed_temporary_places_for_high_need():
    """Staffed temporary places go to people with need >= staffed_min_need while free; then they
    take an ordinary place. A staffed place has the staffed relapse multiplier."""
    model = HousingModel(calm({"temporary": {"staffed_places": 1, "staffed_min_need": "high"},
                               "relapse": {"rate_per_day": 0.001, "temporary_multiplier": 2.0,
                                           "temporary_staffed_multiplier": 0.5}}))
    medium = place(model, State.TEMPORARY, index=0, need=Need.MEDIUM)
    high = place(model, State.TEMPORARY, index=1, need=Need.HIGH)
    rop = place(model, State.TEMPORARY, index=2, need=Need.ROP)
    assert (medium.temp_place, high.temp_place, rop.temp_place) == (
        TempPlace.ORDINARY, TempPlace.STAFFED, TempPlace.ORDINARY)
    assert hazards.relapse_rate(high) == pytest.approx(0.001 * 0.5)
    assert hazards.relapse_rate(medium) == pytest.approx(0.001 * 2.0)
    fire(high, EventKind.LEAVE_TEMPORARY)
    assert model.temporary.by_kind[TempPlace.STAFFED] == 0
    again = place(model, State.TEMPORARY, index=3, need=Need.ROP)
    assert again.temp_place is TempPlace.STAFFED


@pytest.mark.parametrize("accept", [0.0, 1.0])
def test_women_in_active_use_get_a_crisis_place_or_may_refuse_an_ordinary_one(accept):
    """A woman in active use gets a women's crisis place while one is free; when none is, she takes
    an ordinary place with probability women_using_accept_prob, else is refused as "unsuitable".
    Men, and women not in use, take ordinary places."""
    model = HousingModel(calm({"temporary": {"women_crisis_places": 1, "women_using_accept_prob": accept}}))
    first = place(model, State.TEMPORARY, index=0, female=True, using=True, need=Need.LOW)
    second = place(model, State.TEMPORARY, index=1, female=True, using=True, need=Need.LOW)
    man = place(model, State.TEMPORARY, index=2, female=False, using=True, need=Need.LOW)
    sober = place(model, State.TEMPORARY, index=3, female=True, using=False, need=Need.LOW)
    assert first.temp_place is TempPlace.CRISIS
    assert man.temp_place is TempPlace.ORDINARY and sober.temp_place is TempPlace.ORDINARY
    if accept:
        assert second.temp_place is TempPlace.ORDINARY
        assert not len(model.records.frame("refusals"))
    else:
        assert second.state is State.STREET
        assert model.records.frame("refusals")["reason"].tolist() == ["unsuitable"]


def test_women_in_active_use_take_an_ordinary_place_with_the_accept_probability():
    """Without crisis places, about women_using_accept_prob of women in active use take an ordinary place."""
    model = HousingModel(calm({"temporary": {"women_crisis_places": 0, "women_using_accept_prob": 0.3}}))
    n = 400
    people = [place(model, State.TEMPORARY, index=i, female=True, using=True) for i in range(n)]
    share = np.mean([p.state is State.TEMPORARY for p in people])
    assert abs(share - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n), share


# ----------------------------------------------------------------------------- admission and the application


@pytest.mark.parametrize("cancels", [True, False])
def test_admission_cancels_a_standing_application_only_when_set(cancels):
    """With application_timing = "discharge", an admission takes a standing application off the
    list only if admission_cancels_application."""
    model = HousingModel(calm({"coordination": {"application_timing": "discharge",
                                                "admission_cancels_application": cancels}}))
    person = place(model, State.STREET, using=True)
    assert person in model.office.applications
    model.run_until(5.0)
    fire(person, EventKind.PRISON)
    assert person.state is State.PRISON
    assert (person in model.office.applications) is not cancels

