"""Mechanisms seen in whole runs of the model: the scenarios with a few explicit overrides,
shortened to a few years.

The direct tests of each mechanism are in ``test_mechanisms.py`` and ``test_mechanisms_places.py``;
the tests here check that the rules add up in a running model (every discharge, every offer, the
stock over time) and that a lever moves an outcome measure, comparing two configurations over
the same replication seeds (the difference must be several standard errors wide). They are the
slow part of the mechanism tests, so they come last (``scripts/mutants.py`` runs the files in
name order and stops at the first failure).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from sim.model import HousingModel
from sim.model.person import Person
from tests.conftest import ZONES, clearly_greater, merge, run_metrics, run_model, small

# ----------------------------------------------------------------------------- 1. discharge destination


@pytest.mark.plain_modules  # spies on Person.discharge
def test_every_discharge_goes_to_housing_exactly_when_a_unit_is_held(monkeypatch):
    """Mechanism 1, over a whole baseline run: destination is housing iff the person holds a unit then
    (one whose tenancy has not run out, or renews)."""
    held: dict[tuple[int, float], bool] = {}
    original = Person.discharge

    def spy(self):
        # A unit whose tenancy ran out while inside is given back unless it renews (a training flat does not).
        unit_kept = self.unit is not None and (self.tenancy_end > self.model.time or self.renews_tenancy)
        held[(self.unique_id, self.model.time)] = unit_kept
        original(self)

    monkeypatch.setattr(Person, "discharge", spy)
    model = run_model(small(years=4))
    d = model.records.frame("discharges")
    assert len(d) > 100
    holds = [held[(p, t)] for p, t in zip(d["person"], d["day"], strict=True)]
    assert ((d["destination"] == "housing") == pd.Series(holds)).all()
    assert {"housing", "temporary", "street"} <= set(d["destination"]) <= {"housing", "temporary", "street", "private"}


def test_all_discharges_without_housing_go_to_temporary_when_prob_is_one():
    """Mechanism 1: with both to-temporary probabilities 1 and unlimited places, nobody is discharged to the street."""
    s = small({"discharge": {"treatment_to_temporary_prob": 1.0, "prison_to_temporary_prob": 1.0},
               "temporary": {"capacity": "unlimited", "women_using_accept_prob": 1.0}})
    d = run_model(s).records.frame("discharges")
    assert (d["destination"] == "temporary").sum() > 50
    assert (d["destination"] != "street").all()


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


# ----------------------------------------------------------------------------- 5. stock attrition and additions


def test_units_are_lost_after_evictions():
    """Mechanism 5: with loss_prob_after_eviction = 1 (and no replacement) every eviction loses its
    unit; the stock shrinks."""
    model = run_model(small({"stock": {"loss_prob_after_eviction": 1.0, "replacement_delay_days": "never"}}))
    units = model.records.samples["units"]
    evictions = len(model.records.evictions["day"])
    assert evictions > 10
    assert units[-1] < units[0]
    assert units[0] - units[-1] == evictions == model.stock.lost_count
    assert all(b <= a for a, b in pairwise(units)), "the stock never grows without additions"


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


# ----------------------------------------------------------------------------- 6. allocation meetings


@pytest.mark.parametrize("interval", [7.0, 30.0])
def test_offers_are_made_only_at_meetings(interval):
    """Mechanism 6: offers happen on multiples of meeting_interval_days, never in between (with
    declined units waiting for the next meeting; with "next_applicant" a declined unit is offered
    again when the answer comes, between meetings)."""
    model = run_model(small({"housing_office": {"meeting_interval_days": interval, "declined_unit_to": "next_meeting"}},
                            years=3))
    days = np.asarray(model.records.offers["day"], dtype=float)
    assert len(days) > 20
    k = days / interval
    assert np.allclose(k, np.round(k), atol=1e-6)
    assert (np.round(k) >= 1).all(), "the first meeting is one interval after day 0"
    assert len(np.unique(days)) > 5


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
    """Mechanism 6 in the model: with vacant units of every type, best_fit offers units that fit; fcfs
    does not. (The zone weights and the declines are set to 0 here, so the offer is the rule's
    support fit alone: after a decline the next offer is another, less fitting unit.)"""
    every_type = {"stock": {"additions": [{"day": 0.0, "type": t, "zone": z, "count": 10}
                                          for t in ("ordinary", "training", "staffed", "rop") for z in ZONES]},
                  "housing_office": {"best_fit_weight_preferred_zone": 0.0, "best_fit_weight_network_zone": 0.0},
                  "choice": {"decline_prob_preferred_zone": 0.0, "decline_prob_other_zone": 0.0}}

    def gaps(rule: str) -> pd.Series:
        # 6 years (about 1,100 offers a rule): the difference is 5 to 6 standard errors at 3 years,
        # too close to the test's 6 to stay on one side of it whatever the random streams.
        o = offers_with_need(small(merge(every_type, {"housing_office": {"rule": rule}}), years=6, warmup_days=0.0))
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


# ----------------------------------------------------------------------------- 9. follow-up


def test_followup_in_the_model_never_exceeds_capacity():
    """Mechanism 9: the number of follow-up clients never exceeds followup.capacity, and it is reached."""
    s = small({"followup": {"capacity": 10, "min_need": "low"}}, years=3)
    clients = run_model(s).records.samples["followup_clients"]
    assert max(clients) == 10


# ----------------------------------------------------------------------------- 10. revolving door


def test_no_readmissions_without_referrals():
    """Mechanism 10: with no referrals while using, nobody is admitted to treatment a second time."""
    s = small({"treatment": {"referral_rate_per_day_using": 0.0}}, years=4, replications=2)
    m = run_metrics(s)
    assert (m["readmission_within_365d_share"] == 0.0).all()
    base = run_metrics(small({"treatment": {"referral_rate_per_day_using": 0.03}}, years=4, replications=2))
    assert (base["readmission_within_365d_share"] > 0.05).all()


# ----------------------------------------------------------------------------- records


def test_records_hold_plain_strings():
    """States, reasons and kinds are written as plain ``str`` (not enum members), so the tables do
    not depend on how a writer treats an enum."""
    model = run_model(small(years=3))
    for name in ("spells", "admissions", "discharges", "relapses", "evictions", "offers", "exits", "refusals"):
        for column, values in getattr(model.records, name).items():
            if isinstance(values, list):  # the text and yes/no columns (numbers are typed arrays)
                assert values and all(type(v) in (str, bool) for v in values), (name, column)


# ----------------------------------------------------------------------------- outcome measures move with the levers


def test_temporary_multiplier_raises_relapse_after_discharge_in_the_model():
    """Mechanism 3 in the model: a larger temporary_multiplier gives more relapses within 90 days of discharge."""
    common = {"discharge": {"treatment_to_temporary_prob": 1.0, "prison_to_temporary_prob": 1.0}}
    high = run_metrics(small(merge(common, {"relapse": {"temporary_multiplier": 4.0}}), years=3, replications=3))
    low = run_metrics(small(merge(common, {"relapse": {"temporary_multiplier": 1.0}}), years=3, replications=3))
    assert clearly_greater(high["relapse_within_90d_share"], low["relapse_within_90d_share"])


def test_mismatch_raises_evictions_in_the_model():
    """Mechanism 4 in the model: a larger mismatch multiplier gives more evictions per year."""
    high = run_metrics(small({"eviction": {"mismatch_multiplier_per_level": 3.0}}, years=3, replications=3))
    low = run_metrics(small({"eviction": {"mismatch_multiplier_per_level": 1.0}}, years=3, replications=3))
    assert clearly_greater(high["evictions"], low["evictions"])
