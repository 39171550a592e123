"""Outcome metrics (``sim.measures.metrics``) computed on small hand-made records, and their summary."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.measures import metrics
from sim.measures.households import revolving_door_in_window
from sim.measures.metrics import METRICS, replication_metrics, summarise
from sim.model.records import Records


def records_with(
    *,
    admissions=(),
    discharges=(),
    relapses=(),
    spells=(),
    offers=(),
    evictions=(),
    exits=(),
    refusals=(),
    samples_days=(0.0, 500.0, 1000.0),
) -> Records:
    """Records filled with the given rows (tuples in column order) and a few flat samples."""
    r = Records()
    for table, rows in (
        (r.admissions, admissions),
        (r.discharges, discharges),
        (r.relapses, relapses),
        (r.offers, offers),
        (r.evictions, evictions),
        (r.exits, exits),
        (r.refusals, refusals),
    ):
        for row in rows:
            Records.add(table, *row)
    for row in spells:
        r.spell(*row)
    for day in samples_days:
        row = {"day": day, "n_treatment": 1, "n_prison": 1, "n_temporary": 4, "n_street": 2, "n_housed": 10,
               "n_private": 3, "waitlist": 6, "treatment_queue": 0, "units": 10, "units_occupied": 8, "followup_clients": 0}
        for k, v in row.items():
            r.samples.setdefault(k, []).append(v)
    return r


def test_readmission_share_counts_treatment_readmissions_within_a_year():
    """Mechanism 10: readmission = treatment discharges followed by a treatment admission within 365 days.

    Only treatment discharges early enough for a full year of follow-up count; prison admissions do not.
    """
    r = records_with(
        discharges=[
            (1, 100.0, "treatment", "street"),  # readmitted on day 300: yes
            (2, 100.0, "treatment", "temporary"),  # next admission on day 500: too late
            (3, 200.0, "treatment", "housing"),  # only a prison admission follows: no
            (4, 150.0, "prison", "street"),  # a prison discharge: not in the denominator
            (5, 700.0, "treatment", "street"),  # after T - 365 = 635: no full year, left out
        ],
        admissions=[
            (1, 50.0, "treatment", "street"),
            (1, 300.0, "treatment", "street"),
            (2, 500.0, "treatment", "street"),
            (3, 250.0, "prison", "housed"),
            (4, 200.0, "treatment", "street"),
            (5, 800.0, "treatment", "street"),
        ],
    )
    m = replication_metrics(r, warmup=0.0, end=1000.0)
    assert m["readmission_within_365d_share"] == pytest.approx(1 / 3)


def test_readmission_window_edges():
    """Mechanism 10: an admission exactly 365 days after discharge counts, one later does not; before, neither."""
    r = records_with(
        discharges=[(1, 100.0, "treatment", "street"), (2, 100.0, "treatment", "street")],
        admissions=[(1, 465.0, "treatment", "street"), (2, 465.5, "treatment", "street"),
                    (2, 90.0, "treatment", "street")],
    )
    m = replication_metrics(r, warmup=0.0, end=1000.0)
    assert m["readmission_within_365d_share"] == pytest.approx(1 / 2)


def test_revolving_door_needs_three_admissions_within_a_year_ending_in_the_window():
    """Mechanism 10: revolving-door people have 3+ admissions (treatment or prison) within 365 days,
    the third in the observation window."""
    adm = pd.DataFrame(
        [
            (1, 0.0, "treatment", "street"), (1, 100.0, "prison", "street"), (1, 200.0, "treatment", "street"),
            (2, 0.0, "treatment", "street"), (2, 200.0, "treatment", "street"), (2, 400.0, "treatment", "street"),
            (3, 10.0, "treatment", "street"), (3, 20.0, "prison", "street"), (3, 30.0, "treatment", "street"),
            (4, 600.0, "treatment", "street"), (4, 610.0, "treatment", "street"),
            (5, 0.0, "treatment", "street"), (5, 300.0, "prison", "street"), (5, 365.0, "treatment", "street"),
            (6, 0.0, "prison", "street"), (6, 500.0, "prison", "street"), (6, 700.0, "prison", "street"),
            (6, 800.0, "prison", "street"),
        ],
        columns=["person", "day", "kind", "from_state"],
    )
    # 1: yes (span 200, ends on day 200); 2: span 400, no; 3: span 20 but ends before day 150, no;
    # 4: only two; 5: span exactly 365, yes; 6: 500-700-800 span 300, yes.
    assert revolving_door_in_window(adm, since=150.0) == 3
    assert revolving_door_in_window(adm, since=0.0) == 4
    assert revolving_door_in_window(adm.iloc[0:0], since=0.0) == 0


def test_relapse_within_90_days_of_discharge():
    """Mechanism 8: the share of discharges followed by the same person's relapse within 90 days."""
    r = records_with(
        discharges=[
            (1, 100.0, "treatment", "street"),
            (2, 100.0, "prison", "temporary"),
            (3, 100.0, "treatment", "housing"),
            (4, 950.0, "treatment", "street"),  # after T - 90: left out
        ],
        relapses=[(1, 150.0, "street"), (2, 200.0, "temporary"), (3, 50.0, "housed"), (4, 960.0, "street")],
    )
    m = replication_metrics(r, warmup=0.0, end=1000.0)
    assert m["relapse_within_90d_share"] == pytest.approx(1 / 3)


def test_discharge_shares_and_rate():
    """Discharge destinations: shares of the discharges in the window, adding to 1; count per year."""
    r = records_with(
        discharges=[
            (1, 10.0, "treatment", "street"),  # before the warm-up ends: not counted
            (2, 400.0, "treatment", "housing"),
            (3, 500.0, "prison", "housing"),
            (4, 600.0, "prison", "temporary"),
            (5, 700.0, "treatment", "street"),
        ]
    )
    m = replication_metrics(r, warmup=270.0, end=1000.0)
    assert m["discharges"] == pytest.approx(4 / 2.0)
    assert m["discharge_to_housing_share"] == pytest.approx(0.5)
    assert m["discharge_to_temporary_share"] == pytest.approx(0.25)
    assert m["discharge_to_street_share"] == pytest.approx(0.25)


def test_metrics_without_data_are_nan_not_errors():
    """A replication with no discharges, spells or offers gives nan shares and zero counts."""
    m = replication_metrics(records_with(), warmup=0.0, end=1000.0)
    assert set(m) == set(METRICS)
    for name in ("discharge_to_housing_share", "relapse_within_90d_share", "readmission_within_365d_share",
                 "temp_spell_days_mean", "temp_spells_over_90d_share"):
        assert math.isnan(m[name]), name
    assert m["discharges"] == 0.0 and m["evictions"] == 0.0 and m["offers_made"] == 0.0
    assert m["revolving_door_persons_window"] == 0.0


def test_temporary_stay_lengths():
    """Temporary-housing spells that start in [W, T - 90] give the mean, median, p90 and share over 90 days."""
    lengths = [10.0, 30.0, 60.0, 100.0, 200.0]
    spells = [(i, "temporary", "", "", 300.0, 300.0 + d, "moved_in") for i, d in enumerate(lengths)]
    spells += [
        (10, "temporary", "", "", 100.0, 500.0, "moved_in"),  # starts in the warm-up
        (11, "temporary", "", "", 950.0, 1000.0, "end_of_run"),  # starts after T - 90
        (12, "street", "", "", 300.0, 900.0, "came_to_nav"),
    ]
    m = replication_metrics(records_with(spells=spells), warmup=200.0, end=1000.0)
    assert m["temp_spell_days_mean"] == pytest.approx(np.mean(lengths))
    assert m["temp_spell_days_median"] == pytest.approx(60.0)
    assert m["temp_spell_days_p90"] == pytest.approx(np.quantile(lengths, 0.9))
    assert m["temp_spells_over_90d_share"] == pytest.approx(2 / 5)


def test_repeat_homeless_counts_episodes_not_spells():
    """Consecutive temporary and street spells are one episode; two episodes make a repeat."""
    spells = [
        # person 1: temporary -> street (one episode), housed, street again (second episode)
        (1, "temporary", "", "", 100.0, 150.0, "left_temporary"),
        (1, "street", "", "", 150.0, 200.0, "moved_in"),
        (1, "housed", "ordinary", "nord", 200.0, 300.0, "evicted"),
        (1, "street", "", "", 300.0, 400.0, "end_of_run"),
        # person 2: one long episode in two spells
        (2, "street", "", "", 100.0, 200.0, "came_to_nav"),
        (2, "temporary", "", "", 200.0, 400.0, "end_of_run"),
    ]
    m = replication_metrics(records_with(spells=spells), warmup=0.0, end=1000.0)
    assert m["repeat_homeless_persons"] == 1.0


def test_offers_evictions_and_sample_averages():
    """Offers made/declined and evictions are per year in the window; occupancy is occupied / existing units."""
    r = records_with(
        offers=[(1, 400.0, "ordinary", "nord", True, "accepted"), (2, 400.0, "ordinary", "sor", False, "declined"),
                (3, 100.0, "ordinary", "sor", False, "declined")],
        evictions=[(1, 50.0, "ordinary"), (2, 600.0, "rop")],
    )
    m = replication_metrics(r, warmup=270.0, end=1000.0)
    assert m["offers_made"] == pytest.approx(2 / 2.0)
    assert m["offers_declined"] == pytest.approx(1 / 2.0)
    assert m["evictions"] == pytest.approx(1 / 2.0)
    assert m["municipal_occupancy_share"] == pytest.approx(0.8)
    assert m["waitlist_mean"] == pytest.approx(6.0)
    assert m["temp_occupancy_mean"] == pytest.approx(4.0)


def test_summarise_mean_and_t_interval():
    """summary.json numbers: mean across replications and a 95% Student-t interval; nan left out."""
    rows = pd.DataFrame([dict.fromkeys(METRICS, v) for v in (1.0, 2.0, 3.0, math.nan)])
    s = summarise(rows)
    assert set(s) == set(METRICS)
    m = s["evictions"]
    assert m["mean"] == pytest.approx(2.0)
    half = 4.302652729911275 * 1.0 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n)
    assert m["ci95"] == pytest.approx([2.0 - half, 2.0 + half])
    assert m["unit"] == METRICS["evictions"].unit and m["description"] == METRICS["evictions"].description


def test_summarise_single_replication_and_all_nan():
    """One replication: interval [None, None]; no data at all: mean None (JSON null, never NaN)."""
    one = summarise(pd.DataFrame([dict.fromkeys(METRICS, 5.0)]))
    assert one["deaths"]["mean"] == 5.0 and one["deaths"]["ci95"] == [None, None]
    empty = summarise(pd.DataFrame([dict.fromkeys(METRICS, math.nan)] * 3))
    assert empty["temp_spell_days_mean"]["mean"] is None and empty["temp_spell_days_mean"]["ci95"] == [None, None]


def test_every_metric_has_a_unit_and_description():
    """Every metric carries a unit and a description (they are written to summary.json)."""
    for name, meta in METRICS.items():
        assert meta.unit and meta.description, name


def test_deaths_per_100_person_years_from_the_spells_in_the_window():
    """Deaths in [W, T] per 100 person-years: the spells' overlap with the window, summed."""
    spells = [
        (1, "street", "", "", 0.0, 365.0 * 3, "end_of_run"),  # 2 years in the window [365, 1095]
        (2, "housed", "ordinary", "nord", 200.0, 730.0, "death"),  # 1 year in the window, dies in it
        (3, "temporary", "", "", 100.0, 300.0, "death"),  # dies in the warm-up: neither count
        (4, "private", "", "", 730.0, 1095.0, "end_of_run"),  # 1 year
    ]
    exits = [(2, 730.0, "death", "housed"), (3, 300.0, "death", "temporary"), (5, 800.0, "moved_away", "street")]
    r = records_with(spells=spells, exits=exits)
    m = replication_metrics(r, warmup=365.0, end=1095.0)
    assert metrics.person_years_in_window(r.frame("spells"), 365.0, 1095.0) == pytest.approx(4.0)
    assert m["deaths_per_100_person_years"] == pytest.approx(100 * 1 / 4.0)
    assert m["deaths"] == pytest.approx(1 / 2.0)
    assert math.isnan(replication_metrics(records_with(), warmup=0.0, end=1000.0)["deaths_per_100_person_years"])


def test_refusals_per_year_all_and_unsuitable():
    """Refusals in the window per year, all reasons; the unsuitable ones on their own."""
    refusals = [(1, 100.0, "full"), (2, 400.0, "full"), (3, 500.0, "unsuitable"), (3, 900.0, "unsuitable"),
                (4, 950.0, "full")]
    m = replication_metrics(records_with(refusals=refusals), warmup=270.0, end=1000.0)
    assert m["temp_refusals_per_year"] == pytest.approx(4 / 2.0)
    assert m["temp_refusals_unsuitable_per_year"] == pytest.approx(2 / 2.0)


def test_private_entries_losses_and_stable_exits():
    """Spells ending own_housing / arranged_private are entries to private housing, lost_private a
    loss; exits "stable" leave the population; only what ends in the window counts."""
    spells = [
        (1, "housed", "ordinary", "nord", 0.0, 300.0, "own_housing"),
        (1, "private", "", "", 300.0, 600.0, "lost_private"),
        (1, "street", "", "", 600.0, 700.0, "came_to_nav"),
        (2, "temporary", "", "", 0.0, 100.0, "own_housing"),  # in the warm-up: not counted
        (2, "private", "", "", 100.0, 800.0, "stable"),
        (3, "temporary", "", "", 0.0, 500.0, "arranged_private"),
        (3, "private", "", "", 500.0, 1000.0, "end_of_run"),
    ]
    exits = [(2, 800.0, "stable", "private"), (4, 100.0, "stable", "housed"), (5, 900.0, "moved_away", "street")]
    m = replication_metrics(records_with(spells=spells, exits=exits), warmup=270.0, end=1000.0)
    assert m["private_entries_per_year"] == pytest.approx(2 / 2.0)
    assert m["private_losses_per_year"] == pytest.approx(1 / 2.0)
    assert m["stable_exits_per_year"] == pytest.approx(1 / 2.0)


def test_point_in_time_counts_and_population():
    """Time averages of n_private, n_housed and of every n_* column summed, over samples in the window."""
    r = records_with(samples_days=(0.0, 500.0, 1000.0))
    r.samples["n_private"][0] = 100  # a sample in the warm-up: not counted
    r.samples["n_private"][2] = 5
    m = replication_metrics(r, warmup=270.0, end=1000.0)
    assert m["private_count_mean"] == pytest.approx((3 + 5) / 2)
    assert m["housed_count_mean"] == pytest.approx(10.0)
    assert m["population_mean"] == pytest.approx(1 + 1 + 4 + 2 + 10 + (3 + 5) / 2)


def test_temp_occupancy_trend_is_the_slope_per_year_in_the_window():
    """n_temporary 4, 4 then rising by 2 each half year: the slope over the window's samples, per year."""
    r = records_with(samples_days=(0.0, 365.0, 547.5, 730.0, 912.5))
    r.samples["n_temporary"][:] = [50, 4, 5, 6, 7]  # +1 per half year in [365, 912.5]; the 50 is warm-up
    m = replication_metrics(r, warmup=365.0, end=912.5)
    assert m["temp_occupancy_trend_per_year"] == pytest.approx(2.0)
    flat = replication_metrics(records_with(), warmup=0.0, end=1000.0)
    assert flat["temp_occupancy_trend_per_year"] == pytest.approx(0.0)
