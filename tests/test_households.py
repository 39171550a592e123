"""Measures counted as planners count them (``sim.measures.households``), on hand-made records.

Each test checks one rule and fails if it is removed: a household counted once a year with its
stays summed, the census's three places, the revolving door per year, the Norwegian episode rule,
housed at discharge of people homeless at admission, and the costs.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim import config as scenarios
from sim.measures import households as hh
from sim.measures.metrics import Setting, cost_metrics, replication_metrics, yearly_metrics
from sim.model.records import Records

COLUMNS = ["person", "state", "housing_type", "zone", "start", "end", "end_reason"]


def spells(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=COLUMNS)


def test_counted_years_are_whole_years_from_the_end_of_the_warmup():
    assert hh.counted_years(100.0, 100.0 + 3 * 365.0) == [(100.0, 465.0), (465.0, 830.0), (830.0, 1195.0)]
    assert hh.counted_years(0.0, 364.0) == []


def test_a_household_is_counted_once_a_year_with_every_stay_that_year_summed():
    # Person 1: two stays of 50 days in year 1, broken by treatment: one household, 100 days (> 90).
    # Person 2: one stay of 20 days. Person 3: 10 days, 14 or fewer. Person 4: a stay across the
    # year's end, 30 days in year 1 and 70 in year 2.
    s = spells(
        (1, "temporary", "", "", 0.0, 50.0, "admitted_treatment"),
        (1, "treatment", "", "", 50.0, 90.0, "discharged"),
        (1, "temporary", "", "", 90.0, 140.0, "moved_in"),
        (2, "temporary", "", "", 100.0, 120.0, "moved_in"),
        (3, "temporary", "", "", 200.0, 210.0, "left_temporary"),
        (4, "temporary", "", "", 335.0, 435.0, "moved_in"),
    )
    y1, y2 = hh.temporary_household_days(s, [(0.0, 365.0), (365.0, 730.0)])
    assert y1.households == 4
    assert y1.days_mean == pytest.approx((100 + 20 + 10 + 30) / 4)
    assert y1.over_norm_share == pytest.approx(1 / 4)  # only person 1: counted per spell, nobody passes 90
    assert y1.short_share == pytest.approx(1 / 4)
    assert y1.days_over_norm == pytest.approx(10.0)
    assert y2.households == 1 and y2.days_mean == pytest.approx(70.0)


def test_the_census_counts_three_places_and_an_institution_only_without_housing_and_due_out_soon():
    day = hh.CENSUS_OFFSET_DAYS  # year (0, 365)
    s = spells(
        (1, "temporary", "", "", 100.0, 300.0, "moved_in"),  # temporary
        (2, "street", "", "", 150.0, 200.0, "came_to_nav"),  # street or sofa
        (3, "treatment", "", "", 170.0, day + 30.0, "discharged"),  # due out in 30 days, to the street: yes
        (3, "street", "", "", day + 30.0, 400.0, "came_to_nav"),
        (4, "treatment", "", "", 170.0, day + 30.0, "discharged"),  # goes home: no
        (4, "housed", "ordinary", "nord", day + 30.0, 400.0, "end_of_run"),
        (5, "prison", "", "", 100.0, day + 90.0, "discharged"),  # without housing but due out in 90 days: no
        (5, "temporary", "", "", day + 90.0, 400.0, "end_of_run"),
        (6, "housed", "ordinary", "nord", 0.0, 400.0, "end_of_run"),
    )
    (c,) = hh.census(s, [(0.0, 365.0)])
    assert (c.temporary, c.sofa_street, c.institution, c.total) == (1, 1, 1, 3)


def test_the_revolving_door_counts_a_person_once_in_the_year_the_third_admission_falls():
    adm = pd.DataFrame(
        [
            (1, 10.0), (1, 100.0), (1, 200.0), (1, 300.0),  # runs close on 200 and 300: year 1, once
            (2, 300.0), (2, 350.0), (2, 400.0),  # closes on 400: year 2
            (3, 0.0), (3, 200.0), (3, 500.0),  # span 500: never
        ],
        columns=["person", "day"],
    )  # fmt: skip
    assert hh.revolving_door_by_year(adm, [(0.0, 365.0), (365.0, 730.0)]) == [1, 1]
    assert hh.revolving_door_in_window(adm, 0.0) == 2


def test_an_institution_stay_without_housing_continues_a_homelessness_episode():
    s = spells(
        (1, "temporary", "", "", 0.0, 50.0, "admitted_treatment"),
        (1, "treatment", "", "", 50.0, 90.0, "discharged"),  # back to temporary housing: same episode
        (1, "temporary", "", "", 90.0, 140.0, "moved_in"),
        (1, "housed", "ordinary", "nord", 140.0, 200.0, "evicted"),
        (1, "street", "", "", 200.0, 300.0, "end_of_run"),  # a new episode
        (2, "housed", "ordinary", "nord", 0.0, 100.0, "admitted_treatment"),
        (2, "treatment", "", "", 100.0, 150.0, "discharged"),  # lost the flat inside: episode starts at admission
        (2, "street", "", "", 150.0, 300.0, "end_of_run"),
    )
    assert hh.episodes_by_year(s, [(0.0, 365.0)]) == [3]
    # Counted spell by spell (the F16 rule), the treatment stay breaks person 1's episode in two.
    from sim.measures.episodes import homelessness_episodes

    _, starts = homelessness_episodes(s, 0.0)
    assert int(starts.sum()) == 4


def test_housed_at_discharge_counts_only_people_homeless_at_admission():
    s = spells(
        (1, "treatment", "", "", 10.0, 50.0, "discharged"),
        (2, "treatment", "", "", 10.0, 50.0, "discharged"),
        (3, "treatment", "", "", 10.0, 50.0, "discharged"),
        (4, "prison", "", "", 10.0, 50.0, "discharged"),
    )
    adm = pd.DataFrame(
        [(1, 10.0, "treatment", "temporary"), (2, 10.0, "treatment", "street"), (3, 10.0, "treatment", "housed"),
         (4, 10.0, "prison", "outside")],
        columns=["person", "day", "kind", "from_state"],
    )  # fmt: skip
    dis = pd.DataFrame(
        [(1, 50.0, "treatment", "housing"), (2, 50.0, "treatment", "street"), (3, 50.0, "treatment", "housing"),
         (4, 50.0, "prison", "temporary")],
        columns=["person", "day", "source", "destination"],
    )  # fmt: skip
    # People 1, 2 and 4 were homeless when admitted; only 1 left to housing. Person 3 (a tenant) is left out.
    assert hh.housed_at_discharge_homeless_at_admission(adm, dis, s, 0.0) == pytest.approx(1 / 3)


def test_costs_price_use_per_day_and_capacity_per_year():
    costs = scenarios.load("baseline").costs.model_copy(
        update={
            "temporary_nok_per_night": 1000.0, "temporary_staffed_place_nok_per_year": 500_000.0,
            "treatment_nok_per_bed_day": 5000.0, "prison_nok_per_day": 3000.0,
            "unit_nok_per_year": {"ordinary": 100_000.0, "staffed": 900_000.0},
            "followup_nok_per_client_year": 200_000.0,
        }
    )  # fmt: skip
    samples = pd.DataFrame(
        {"n_temporary": [10, 30], "n_treatment": [2, 2], "n_prison": [1, 3], "followup_clients": [5, 5],
         "units_ordinary": [100, 100], "units_staffed": [8, 10]}
    )  # fmt: skip
    out = cost_metrics(samples, Setting(78_000.0, costs, temp_staffed_places=2))
    assert out["cost_temporary_nok_per_year"] == pytest.approx(20 * 365 * 1000.0)
    assert out["cost_temporary_staffed_nok_per_year"] == pytest.approx(2 * 500_000.0)
    assert out["cost_treatment_nok_per_year"] == pytest.approx(2 * 365 * 5000.0)
    assert out["cost_prison_nok_per_year"] == pytest.approx(2 * 365 * 3000.0)
    assert out["cost_units_nok_per_year"] == pytest.approx(100 * 100_000.0 + 9 * 900_000.0)
    assert out["cost_followup_nok_per_year"] == pytest.approx(5 * 200_000.0)
    items = [v for k, v in out.items() if k != "cost_total_nok_per_year"]
    assert out["cost_total_nok_per_year"] == pytest.approx(sum(items))
    assert all(math.isnan(v) for v in cost_metrics(samples, Setting()).values())


def test_per_1000_divides_by_the_inhabitants_and_window_values_are_yearly_means():
    r = Records()
    for row in [
        (1, "temporary", "", "", 0.0, 200.0, "moved_in"),  # census day 182 of year 1: homeless
        (1, "housed", "ordinary", "nord", 200.0, 730.0, "end_of_run"),
        (2, "street", "", "", 365.0, 730.0, "end_of_run"),  # census of year 2
        (3, "street", "", "", 365.0, 730.0, "end_of_run"),
    ]:
        r.spell(*row)
    for day in (0.0, 365.0, 729.0):
        for k, v in {"day": day, "n_treatment": 0, "n_prison": 0, "n_temporary": 1, "n_street": 1, "n_housed": 1,
                     "n_private": 0, "waitlist": 0, "treatment_queue": 0, "units": 1, "units_occupied": 1,
                     "followup_clients": 0}.items():  # fmt: skip
            r.samples.setdefault(k, []).append(v)
    yearly = yearly_metrics(r, 0.0, 730.0, Setting(2000.0))
    assert list(yearly["homeless_census_count"]) == [1.0, 2.0]
    assert list(yearly["homeless_per_1000"]) == [0.5, 1.0]
    m = replication_metrics(r, 0.0, 730.0, Setting(2000.0))
    assert m["homeless_per_1000"] == pytest.approx(0.75)
    assert m["homeless_share_sofa_street"] == pytest.approx(2 / 3)
    assert math.isnan(replication_metrics(r, 0.0, 730.0)["homeless_per_1000"])  # no inhabitants given


def test_a_scenario_must_price_every_unit_type():
    data = scenarios.load("baseline").to_dict()
    data["stock"]["types"]["castle"] = dict(data["stock"]["types"]["training"])
    with pytest.raises(scenarios.ScenarioError, match="no price for unit type 'castle'"):
        scenarios.validate(data, "test.toml")
    assert "recovery" in scenarios.load("baseline").costs.unit_nok_per_year  # priced for the scenario that adds it
    assert "recovery" not in scenarios.load("baseline").stock.types
