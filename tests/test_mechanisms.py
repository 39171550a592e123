"""Each mechanism of the model has a test here that fails if the mechanism is removed.

Two kinds of test: a hand-driven "quiet world" (see ``conftest.QUIET_WORLD``) where one person
is placed and moved through the rule, and a comparison of two configurations over the same
replication seeds where the difference must be several standard errors wide.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.model import HousingModel, hazards
from sim.model.person import Person
from sim.model.states import Need, State
from tests.conftest import AMPLE_STOCK, ZONES, clearly_greater, merge, quiet, run_metrics, run_model, small

# ----------------------------------------------------------------------------- helpers


def place(model: HousingModel, state: State, *, unit=None, release_day: float = np.inf, index: int = 0) -> Person:
    """Create one person and start them in ``state`` (the way arrivals are placed)."""
    person = model.new_person(0, 10_000 + index)
    person.start_in(state, unit=unit, release_day=release_day)
    return person


def discharges_of(model: HousingModel, person: Person) -> pd.DataFrame:
    d = model.records.frame("discharges")
    return d[d["person"] == person.unique_id]


def stand_in(cfg, *, state=State.HOUSED, unit=None, need=Need.LOW, using=False, competence=1.0,
             network_zone="sentrum", in_followup=False):
    """An object with just what the hazard functions read from a person."""
    return SimpleNamespace(
        model=SimpleNamespace(cfg=cfg), state=state, unit=unit, need=need, using=using,
        competence=competence, network_zone=network_zone, in_followup=in_followup,
    )


def unit_of(cfg, type_name: str, zone: str):
    return SimpleNamespace(kind=cfg.stock.types[type_name], type_name=type_name, zone=zone)


@pytest.fixture(scope="module")
def hz(baseline):
    """The baseline with the hazard multipliers the hazard tests rely on set explicitly (not tuned values)."""
    from sim.config import with_overrides

    return with_overrides(baseline, {
        "relapse": {"rate_per_day": 0.002, "street_multiplier": 1.8, "temporary_multiplier": 1.5,
                    "temporary_staffed_multiplier": 1.0, "network_zone_multiplier": 1.4},
        "eviction": {"rate_per_day": 0.0001, "using_in_intolerant_multiplier": 5.0, "using_in_tolerant_multiplier": 2.0,
                     "mismatch_multiplier_per_level": 1.6, "low_competence_multiplier": 2.0},
        "followup": {"relapse_multiplier": 0.7, "eviction_multiplier": 0.6},
        "temporary": {"staffed": False},
        "stock": {"types": {"ordinary": {"support_level": 0, "tolerates_use": False, "relapse_multiplier": 1.0,
                                         "eviction_multiplier": 1.0},
                            "rop": {"support_level": 3, "tolerates_use": True},
                            "staffed": {"relapse_multiplier": 0.6}}},
    })


# ----------------------------------------------------------------------------- 1. discharge destination


@pytest.mark.parametrize("institution", ["treatment", "prison"])
def test_person_holding_a_unit_returns_to_it_at_discharge(institution):
    """Mechanism 1: a tenant admitted to treatment or prison keeps the unit and goes back to it."""
    model = HousingModel(quiet())
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


def test_every_discharge_goes_to_housing_exactly_when_a_unit_is_held(monkeypatch):
    """Mechanism 1, over a whole baseline run: destination is housing iff the person holds a unit then."""
    held: dict[tuple[int, float], bool] = {}
    original = Person.discharge

    def spy(self):
        held[(self.unique_id, self.model.time)] = self.unit is not None
        original(self)

    monkeypatch.setattr(Person, "discharge", spy)
    model = run_model(small(years=4))
    d = model.records.frame("discharges")
    assert len(d) > 100
    holds = [held[(p, t)] for p, t in zip(d["person"], d["day"], strict=True)]
    assert ((d["destination"] == "housing") == pd.Series(holds)).all()
    assert set(d["destination"]) == {"housing", "temporary", "street"}


def test_all_discharges_without_housing_go_to_temporary_when_prob_is_one():
    """Mechanism 1: with both to-temporary probabilities 1 and unlimited places, nobody is discharged to the street."""
    s = small({"discharge": {"treatment_to_temporary_prob": 1.0, "prison_to_temporary_prob": 1.0},
               "temporary": {"capacity": "unlimited"}})
    d = run_model(s).records.frame("discharges")
    assert (d["destination"] == "temporary").sum() > 50
    assert (d["destination"] != "street").all()


def test_no_discharge_goes_to_temporary_when_prob_is_zero():
    """Mechanism 1: with both to-temporary probabilities 0, nobody is discharged to temporary housing."""
    s = small({"discharge": {"treatment_to_temporary_prob": 0.0, "prison_to_temporary_prob": 0.0}})
    d = run_model(s).records.frame("discharges")
    assert (d["destination"] == "street").sum() > 50
    assert (d["destination"] != "temporary").all()


def test_discharge_to_street_when_temporary_housing_is_full():
    """Mechanism 1: with temporary capacity 0, even probability 1 ends on the street."""
    s = small({"discharge": {"treatment_to_temporary_prob": 1.0, "prison_to_temporary_prob": 1.0},
               "temporary": {"capacity": 0}})
    d = run_model(s).records.frame("discharges")
    assert (d["destination"] == "street").sum() > 50
    assert (d["destination"] != "temporary").all()


# ----------------------------------------------------------------------------- 2. coordination


def test_housing_ready_gives_more_discharges_to_housing_than_baseline():
    """Mechanism 2: the shipped housing_ready scenario (apply at admission, priority, held discharges)
    sends more discharges to housing and fewer to temporary housing than the shipped baseline."""
    ready = run_metrics(small(name="housing_ready", replications=4))
    base = run_metrics(small(name="baseline", replications=4))
    assert clearly_greater(ready["discharge_to_housing_share"], base["discharge_to_housing_share"])
    assert clearly_greater(base["discharge_to_temporary_share"], ready["discharge_to_temporary_share"])


def test_housing_ready_beats_baseline_when_units_are_plentiful():
    """Mechanism 2: with ample vacant stock in both, coordination still sends more discharges to housing."""
    ready = run_metrics(small(AMPLE_STOCK, name="housing_ready", replications=4))
    base = run_metrics(small(AMPLE_STOCK, name="baseline", replications=4))
    assert clearly_greater(ready["discharge_to_housing_share"], base["discharge_to_housing_share"])
    assert clearly_greater(base["discharge_to_temporary_share"], ready["discharge_to_temporary_share"])


def test_institution_priority_matters():
    """Mechanism 2: taking people in treatment or prison first at meetings raises discharge to housing."""
    first = run_metrics(small({"coordination": {"institution_priority": True}}, name="housing_ready", replications=4))
    plain = run_metrics(small({"coordination": {"institution_priority": False}}, name="housing_ready", replications=4))
    assert clearly_greater(first["discharge_to_housing_share"], plain["discharge_to_housing_share"])


NO_DAY0_INSTITUTIONS = {
    "inflow": {"prison_releases_per_year": 0.0},
    "initial": {"in_treatment": 0, "in_prison": 0},
}


def test_application_timing_alone_matters():
    """Mechanism 2: only application_timing changed (admission vs discharge) raises discharge to housing."""
    adm = run_metrics(small(merge(AMPLE_STOCK, {"coordination": {"application_timing": "admission"}}), replications=4))
    dis = run_metrics(small(merge(AMPLE_STOCK, {"coordination": {"application_timing": "discharge"}}), replications=4))
    assert clearly_greater(adm["discharge_to_housing_share"], dis["discharge_to_housing_share"])


def test_application_timing_matters_for_admissions_during_the_run():
    """Mechanism 2: application at admission must matter for people admitted during the run, not only
    for those who start in an institution. Here nobody starts in one (no day-0 patients or prisoners,
    no prison arrivals), so every discharge follows an admission during the run."""
    common = merge(AMPLE_STOCK, NO_DAY0_INSTITUTIONS)
    adm = run_metrics(small(merge(common, {"coordination": {"application_timing": "admission"}}), replications=4))
    dis = run_metrics(small(merge(common, {"coordination": {"application_timing": "discharge"}}), replications=4))
    assert not adm.equals(dis), "the two timings give bit-identical replications"
    assert clearly_greater(adm["discharge_to_housing_share"], dis["discharge_to_housing_share"])


@pytest.mark.parametrize(("timing", "on_list_while_inside"), [("admission", True), ("discharge", False)])
def test_institution_applies_at_admission_or_at_discharge(timing, on_list_while_inside):
    """Mechanism 2: with timing "admission" the application is made at admission (after the notice delay);
    with "discharge" only when the person leaves."""
    model = HousingModel(quiet({"coordination": {"application_timing": timing, "notice_delay_days": 5.0}}))
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


def test_holding_discharges_matters():
    """Mechanism 2: hold_discharge_share = 1 gives more discharges to housing than 0."""
    common = merge(AMPLE_STOCK, {
        "coordination": {"application_timing": "admission", "hold_max_days": 90.0},
        "housing_office": {"move_in_delay_days_mean": 45.0},
    })
    hold = run_metrics(small(merge(common, {"coordination": {"hold_discharge_share": 1.0}}), replications=4))
    free = run_metrics(small(merge(common, {"coordination": {"hold_discharge_share": 0.0}}), replications=4))
    assert clearly_greater(hold["discharge_to_housing_share"], free["discharge_to_housing_share"])
    assert clearly_greater(free["discharge_to_temporary_share"], hold["discharge_to_temporary_share"])


@pytest.mark.parametrize(
    ("hold_share", "move_in_after_release", "held"),
    [(1.0, 10.0, True), (0.0, 10.0, False), (1.0, 100.0, False)],
)
def test_hold_rule_for_one_person(hold_share, move_in_after_release, held):
    """Mechanism 2: a discharge is held until the keys only if hold_discharge_share says so and the wait is short."""
    model = HousingModel(quiet({"coordination": {"hold_discharge_share": hold_share, "hold_max_days": 21.0}}))
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
    """Mechanism 3: relapse hazard is higher in (unstaffed) temporary housing than in an ordinary unit."""
    cfg = hz
    temp = stand_in(cfg, state=State.TEMPORARY)
    housed = stand_in(cfg, state=State.HOUSED, unit=unit_of(cfg, "ordinary", "nord"), network_zone="sentrum")
    assert cfg.relapse.temporary_multiplier > 1.0
    assert hazards.relapse_rate(temp) > hazards.relapse_rate(housed)
    assert hazards.relapse_rate(temp) == pytest.approx(cfg.relapse.rate_per_day * cfg.relapse.temporary_multiplier)
    assert hazards.relapse_rate(housed) == pytest.approx(cfg.relapse.rate_per_day)


def test_staffed_temporary_housing_uses_its_own_multiplier(hz):
    """Mechanism 3: with temporary.staffed the staffed multiplier applies instead."""
    from sim.config import with_overrides

    cfg = with_overrides(hz, {"relapse": {"temporary_multiplier": 3.0, "temporary_staffed_multiplier": 0.5},
                                    "temporary": {"staffed": True}})
    assert hazards.relapse_rate(stand_in(cfg, state=State.TEMPORARY)) == pytest.approx(cfg.relapse.rate_per_day * 0.5)


def test_temporary_multiplier_raises_relapse_after_discharge_in_the_model():
    """Mechanism 3 in the model: a larger temporary_multiplier gives more relapses within 90 days of discharge."""
    common = {"discharge": {"treatment_to_temporary_prob": 1.0, "prison_to_temporary_prob": 1.0}}
    high = run_metrics(small(merge(common, {"relapse": {"temporary_multiplier": 4.0}}), replications=4))
    low = run_metrics(small(merge(common, {"relapse": {"temporary_multiplier": 1.0}}), replications=4))
    assert clearly_greater(high["relapse_within_90d_share"], low["relapse_within_90d_share"])


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
    assert hazards.eviction_rate(stand_in(cfg, unit=unit, competence=0.1)) > hazards.eviction_rate(
        stand_in(cfg, unit=unit, competence=0.9)
    )
    assert hazards.eviction_rate(stand_in(cfg, unit=unit, in_followup=True)) == pytest.approx(
        hazards.eviction_rate(stand_in(cfg, unit=unit)) * cfg.followup.eviction_multiplier
    )


def test_mismatch_raises_evictions_in_the_model():
    """Mechanism 4 in the model: a larger mismatch multiplier gives more evictions per year."""
    high = run_metrics(small({"eviction": {"mismatch_multiplier_per_level": 3.0}}, replications=3))
    low = run_metrics(small({"eviction": {"mismatch_multiplier_per_level": 1.0}}, replications=3))
    assert clearly_greater(high["evictions"], low["evictions"])


# ----------------------------------------------------------------------------- 5. stock attrition and additions


def test_units_are_lost_after_evictions():
    """Mechanism 5: with loss_prob_after_eviction = 1 every eviction loses its unit; the stock shrinks."""
    model = run_model(small({"stock": {"loss_prob_after_eviction": 1.0}}))
    units = model.records.samples["units"]
    evictions = len(model.records.evictions["day"])
    assert evictions > 10
    assert units[-1] < units[0]
    assert units[0] - units[-1] == evictions == model.stock.lost_count
    assert all(b <= a for a, b in zip(units, units[1:], strict=False)), "the stock never grows without additions"


def test_no_units_lost_when_loss_prob_is_zero():
    """Mechanism 5: with loss_prob_after_eviction = 0 the stock stays the same size despite evictions."""
    model = run_model(small({"stock": {"loss_prob_after_eviction": 0.0}}))
    units = model.records.samples["units"]
    assert len(model.records.evictions["day"]) > 10
    assert set(units) == {units[0]}


def test_stock_addition_raises_the_unit_count_on_its_day():
    """Mechanism 5: a [[stock.additions]] entry adds its units on its day, not before."""
    s = small({
        "stock": {
            "loss_prob_after_eviction": 0.0,
            "additions": [{"day": 400.0, "type": "staffed", "zone": "nord", "count": 15}],
        }
    })
    model = run_model(s)
    samples = pd.DataFrame(model.records.samples)
    before = samples.loc[samples["day"] < 400.0, "units"]
    after = samples.loc[samples["day"] >= 400.0, "units"]
    assert set(before) == {before.iloc[0]}
    assert set(after) == {before.iloc[0] + 15}
    added = [u for u in model.stock.units if u.type_name == "staffed" and u.zone == "nord"]
    assert len(added) == 15
    assert any(u.tenant is not None for u in added), "new units are let like any other"


def test_moving_on_from_a_training_flat():
    """Mechanism 4/5: a tenant who moves into a non-renewable training flat is put on the list to move on."""
    model = HousingModel(quiet())
    person = place(model, State.TEMPORARY)
    flat = next(u for u in model.stock.units if u.type_name == "training")
    model.office.withdraw(person)
    model.stock.reserve(flat, person)
    person.accept_offer(flat, 1.0)
    model.run_until(2.0)
    assert person.state is State.HOUSED and person.unit is flat
    assert person in model.office.applications, "a move-on application is made on moving in"
    lead = model.cfg.housing_office.move_on_lead_days
    tenancy = flat.kind.tenancy_days
    assert model.office.applications[person].active_from == pytest.approx(1.0 + tenancy - lead)


def test_day0_tenant_of_a_training_flat_gets_a_move_on_application():
    """Mechanism 4/5: a tenant placed in a training flat at day 0 is on the move-on list before the tenancy ends."""
    model = HousingModel(quiet())
    flat = next(u for u in model.stock.units if u.type_name == "training")
    person = place(model, State.HOUSED, unit=flat)
    model.run_until(max(person.tenancy_end - 1.0, 0.0))
    assert person in model.office.applications


# ----------------------------------------------------------------------------- 6. allocation meetings


@pytest.mark.parametrize("interval", [7.0, 30.0])
def test_offers_are_made_only_at_meetings(interval):
    """Mechanism 6: offers happen on multiples of meeting_interval_days, never in between."""
    model = run_model(small({"housing_office": {"meeting_interval_days": interval}}, years=3))
    days = np.asarray(model.records.offers["day"], dtype=float)
    assert len(days) > 20
    k = days / interval
    assert np.allclose(k, np.round(k), atol=1e-6)
    assert (np.round(k) >= 1).all(), "the first meeting is one interval after day 0"
    assert len(np.unique(days)) > 5


def test_a_meeting_offers_the_unit_vacant_longest_whatever_order_the_stock_holds_them():
    """fcfs: the meeting puts the vacant units in order itself (vacant the longest, then by id)."""
    model = HousingModel(quiet({"choice": {"max_declines": 0, "after_limit": "must_accept"}}))
    stock = model.stock
    assert len(stock.vacant) > 2
    stock.vacant = dict(reversed(list(stock.vacant.items())))  # the same units, held in reverse
    person = place(model, State.TEMPORARY)
    model.office.applications[person].active_from = model.time  # the papers are in at once
    model.office.meeting()
    assert person.offer is min(stock.units, key=lambda u: (u.vacant_since, u.uid))


def offers_with_need(scenario) -> pd.DataFrame:
    """Run a model and return its offers with the need of the person and the support level of the unit."""
    model = HousingModel(scenario)
    need: dict[int, int] = {}
    for t in np.arange(7.0, scenario.total_days + 7.0, 7.0):
        model.run_until(min(float(t), scenario.total_days))
        need.update({p.unique_id: int(p.need) for p in model.agents})
    offers = model.records.frame("offers")
    offers = offers[offers["person"].isin(need)].copy()
    offers["need"] = offers["person"].map(need)
    offers["support"] = offers["housing_type"].map({k: t.support_level for k, t in scenario.stock.types.items()})
    return offers


def test_best_fit_offers_units_that_fit_the_need():
    """Mechanism 6 in the model: with vacant units of every type, best_fit offers units that fit; fcfs does not."""
    every_type = {"stock": {"additions": [{"day": 0.0, "type": t, "zone": z, "count": 10}
                                          for t in ("ordinary", "training", "staffed", "rop") for z in ZONES]}}

    def gaps(rule: str) -> pd.Series:
        o = offers_with_need(small(merge(every_type, {"housing_office": {"rule": rule}}), years=2, warmup_days=0.0))
        assert len(o) > 100
        return (o["need"] - o["support"]).abs()

    best_fit, fcfs = gaps("best_fit"), gaps("fcfs")
    assert clearly_greater(fcfs, best_fit, k=6), (fcfs.mean(), best_fit.mean())


def test_need_priority_offers_scarce_units_to_higher_need():
    """Mechanism 6 in the model: when units are scarce, need_priority offers them to people with higher need."""

    def needs(rule: str) -> pd.Series:
        o = offers_with_need(small({"housing_office": {"rule": rule}}, years=3, warmup_days=0.0))
        assert len(o) > 100
        return o["need"]

    priority, fcfs = needs("need_priority"), needs("fcfs")
    assert clearly_greater(priority, fcfs, k=5), (priority.mean(), fcfs.mean())


# ----------------------------------------------------------------------------- 7. user choice


HIGH_DECLINES = {"choice": {"decline_prob_preferred_zone": 0.9, "decline_prob_other_zone": 0.9}}


def offers_of(scenario) -> pd.DataFrame:
    return run_model(scenario).records.frame("offers")


def test_must_accept_with_no_declines_means_every_offer_is_accepted():
    """Mechanism 7: max_declines = 0 with must_accept: no offer is ever declined (baseline has declines)."""
    strict = offers_of(small(merge(HIGH_DECLINES, {"choice": {"max_declines": 0, "after_limit": "must_accept"}})))
    assert len(strict) > 50
    assert strict["accepted"].all()
    assert set(strict["consequence"]) == {"accepted"}
    base = offers_of(small())
    assert (~base["accepted"]).sum() > 10


def test_unlimited_declines_have_no_consequences():
    """Mechanism 7: with unlimited declines the only answers are accepted and a free decline."""
    o = offers_of(small(merge(HIGH_DECLINES, {"choice": {"max_declines": "unlimited", "after_limit": "temporary_only"}})))
    assert (o["consequence"] == "declined").sum() > 50
    assert set(o["consequence"]) <= {"accepted", "declined"}


@pytest.mark.parametrize("after_limit", ["back_of_queue", "lower_priority", "temporary_only"])
def test_declines_past_the_limit_have_their_consequence(after_limit):
    """Mechanism 7: past max_declines, a decline costs exactly what after_limit names."""
    o = offers_of(small(merge(HIGH_DECLINES, {"choice": {"max_declines": 1, "after_limit": after_limit}})))
    consequences = set(o["consequence"])
    assert (o["consequence"] == after_limit).sum() > 5
    assert consequences <= {"accepted", "declined", after_limit}
    assert (o["accepted"] == (o["consequence"] == "accepted")).all()


def quiet_decliner(after_limit: str, max_declines: int = 1):
    """A quiet world with one person in temporary housing who wants to decline every offer.

    Meetings every 10 days; the application reaches the office at once.
    """
    s = quiet({
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


# ----------------------------------------------------------------------------- 8. relapse and place


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
    street = hazards.relapse_rate(stand_in(cfg, state=State.STREET))
    assert street == pytest.approx(cfg.relapse.rate_per_day * cfg.relapse.street_multiplier)


def test_early_window_makes_relapse_soon_after_discharge_more_likely():
    """Mechanism 8: with early_multiplier = 1 fewer discharges are followed by a relapse within 90 days."""
    flat = run_metrics(small({"relapse": {"early_multiplier": 1.0}}, replications=3))
    early = run_metrics(small(replications=3))
    assert clearly_greater(early["relapse_within_90d_share"], flat["relapse_within_90d_share"])


def test_piecewise_time_is_exact_at_the_break():
    """Mechanism 8 (drawing): the piecewise hazard gives the right chance of an event before the break."""
    import random

    rng = random.Random(1)
    n = 40_000
    draws = np.array([hazards.piecewise_time(rng, 0.02, 0.002, 90.0) for _ in range(n)])
    p_before = 1 - np.exp(-0.02 * 90)
    assert abs((draws <= 90).mean() - p_before) < 4 * np.sqrt(p_before * (1 - p_before) / n)
    # after the break, the remaining time is exponential with the later rate
    tail = draws[draws > 90] - 90
    assert tail.mean() == pytest.approx(1 / 0.002, rel=0.05)
    assert hazards.piecewise_time(rng, 0.0, 0.0, 10.0) == np.inf
    assert hazards.exp_time(rng, 0.0) == np.inf


# ----------------------------------------------------------------------------- 9. follow-up


def test_followup_never_exceeds_capacity():
    """Mechanism 9: the number of follow-up clients never exceeds followup.capacity, and it is reached."""
    s = small({"followup": {"capacity": 10, "min_need": "low"}}, years=3)
    clients = run_model(s).records.samples["followup_clients"]
    assert max(clients) == 10


def test_followup_capacity_changes_outcomes():
    """Mechanism 9: no follow-up at all gives more evictions than follow-up for every tenant."""
    none = run_metrics(small({"followup": {"capacity": 0}}, replications=4))
    lots = run_metrics(small({"followup": {"capacity": 400, "min_need": "low",
                                           "eviction_multiplier": 0.2, "relapse_multiplier": 0.5}}, replications=4))
    assert clearly_greater(none["evictions"], lots["evictions"])
    assert clearly_greater(none["relapses"], lots["relapses"])


def test_end_on_no_contact_closes_cases_of_people_in_use():
    """Mechanism 9: with end_on_no_contact, people in active use soon lose their follow-up; without, they keep it."""

    def clients_in_use(end_on_no_contact: bool) -> tuple[float, float]:
        s = small({"followup": {"capacity": 1000, "min_need": "low", "end_on_no_contact": end_on_no_contact,
                                "no_contact_rate_per_day_using": 0.2}}, years=3)
        model = HousingModel(s)
        using, total = [], []
        for t in range(400, 1095, 30):
            model.run_until(float(t))
            using.append(sum(p.using for p in model.followup.clients))
            total.append(len(model.followup.clients))
        return float(np.mean(using)), float(np.mean(total))

    (closes_using, closes_total), (keeps_using, keeps_total) = clients_in_use(True), clients_in_use(False)
    assert keeps_using > 3 * closes_using + 2, (keeps_using, closes_using)
    assert keeps_total > closes_total


# ----------------------------------------------------------------------------- 10. revolving door


def test_no_readmissions_without_referrals():
    """Mechanism 10: with no referrals while using, nobody is admitted to treatment a second time."""
    s = small({"treatment": {"referral_rate_per_day_using": 0.0}}, years=4, replications=3)
    m = run_metrics(s)
    assert (m["readmission_within_365d_share"] == 0.0).all()
    base = run_metrics(small(years=4, replications=3))
    assert (base["readmission_within_365d_share"] > 0.05).all()


def test_referrals_feed_the_revolving_door():
    """Mechanism 10: a higher referral rate while using gives more readmissions within a year."""
    high = run_metrics(small({"treatment": {"referral_rate_per_day_using": 0.02}}, replications=3))
    low = run_metrics(small({"treatment": {"referral_rate_per_day_using": 0.001}}, replications=3))
    assert clearly_greater(high["readmission_within_365d_share"], low["readmission_within_365d_share"])
    assert clearly_greater(high["revolving_door_persons"], low["revolving_door_persons"])


# ----------------------------------------------------------------------------- 11. heterogeneity


def test_need_shares_of_new_people_match_the_scenario():
    """Mechanism 11: new people's support needs follow population.need_shares."""
    shares = {"low": 0.1, "medium": 0.2, "high": 0.3, "rop": 0.4}
    model = HousingModel(quiet({"population": {"need_shares": shares}}))
    n = 6000
    needs = pd.Series([model.new_person(1, i).need.name.lower() for i in range(n)])
    observed = needs.value_counts(normalize=True)
    for level, share in shares.items():
        assert abs(observed.get(level, 0.0) - share) < 4 * np.sqrt(share * (1 - share) / n), (level, observed)


def test_people_differ_in_more_than_need(baseline):
    """Mechanism 11: age, sex, competence and zones vary between people and stay within their bounds."""
    model = HousingModel(quiet())
    people = [model.new_person(2, i) for i in range(2000)]
    pop = baseline.population
    ages = np.array([p.age for p in people])
    assert ages.min() >= pop.age_min_years and ages.max() <= pop.age_max_years
    assert abs(ages.mean() - pop.age_mean_years) < 1.5
    female = np.mean([p.female for p in people])
    assert abs(female - pop.female_share) < 0.05
    for n in Need:
        competence = np.mean([p.competence for p in people if p.need is n])
        assert abs(competence - pop.competence_mean[n.name.lower()]) < 0.05, n
    network = pd.Series([p.network_zone for p in people]).value_counts(normalize=True)
    weights = pop.network_zone_weights
    for zone, w in weights.items():
        assert abs(network.get(zone, 0.0) - w / sum(weights.values())) < 0.05, zone


# ----------------------------------------------------------------------------- event kinds


def test_every_kind_of_event_has_one_handler():
    """``events.HANDLERS`` maps every ``EventKind`` explicitly: a kind without a handler fails here."""
    from sim.model.events import HANDLERS
    from sim.model.states import EventKind

    assert HANDLERS.keys() == set(EventKind)
    assert all(callable(h) for h in HANDLERS.values())


def test_clocks_that_ring_together_go_to_the_kind_whose_name_sorts_first():
    """Ties between clocks are broken by the kind's string value (a ``StrEnum`` compares as its value)."""
    from sim.model.states import EventKind

    kinds = list(EventKind)
    assert all(type(k.value) is str for k in kinds)
    assert sorted(kinds) == sorted(kinds, key=lambda k: k.value)
    assert min((3.0, EventKind.TENANCY_END), (3.0, EventKind.EVICTION))[1] is EventKind.EVICTION


def test_records_hold_plain_strings():
    """States, reasons and kinds are written as plain ``str`` (not enum members), so the tables do
    not depend on how a writer treats an enum."""
    model = run_model(small(years=3))
    for name in ("spells", "admissions", "discharges", "relapses", "evictions", "offers", "exits"):
        for column, values in getattr(model.records, name).items():
            if isinstance(values, list):  # the text and yes/no columns (numbers are typed arrays)
                assert values and all(type(v) in (str, bool) for v in values), (name, column)
