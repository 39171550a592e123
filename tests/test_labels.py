"""Names for people: parameter keys, values and metrics in words (``sim.config.labels``, ``sim.reports.labels``).

A key is walked through the scenario schema: a field's description is used where the schema has
one, else its name with the unit suffix as the unit; unit types, zones and sections come from
small tables; a key the schema does not know comes back as it is.
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from sim import config as sc
from sim.config.labels import parameter_label, value_label
from sim.measures.metrics import METRICS
from sim.reports import labels as report_labels


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("stock.types.ordinary.units.sentrum", "ordinary flats in the centre (units)"),
        ("stock.types.staffed.units.nord", "staffed units in the north (units)"),
        ("coordination.notice_delay_days", "coordination: notice delay (days)"),
        ("housing_office.meeting_interval_days", "housing office: meeting interval (days)"),
        ("coordination.hold_discharge_share", "coordination: hold discharge (share)"),
        ("discharge.prison_to_temporary_prob", "discharge: prison to temporary (probability)"),
        ("choice.max_declines", "user choice: maximum declines"),
        ("followup.capacity", "follow-up: capacity"),
        ("temporary.capacity", "temporary housing: capacity"),
        ("treatment.referral_rate_per_day_using", "treatment: referral rate, in active use (per day)"),
        ("exits.mortality_per_100_person_years", "exits: mortality (per 100 person-years)"),
        ("costs.temporary_nok_per_night", "costs: temporary (NOK per night)"),
        ("population.need_shares.high", "population: need shares, high need"),
        ("stock.types.staffed.relapse_multiplier", "staffed units: relapse multiplier"),
        ("stock.additions.0.count", "stock addition 1: count"),
    ],
)
def test_keys_in_words(key, label):
    assert parameter_label(key) == label


def test_unknown_keys_come_back_as_they_are():
    for key in ("coordination.delay_days", "nonsense", "stock.types.ordinary.units.sentrum.more", ""):
        assert parameter_label(key) == key


def test_a_stock_addition_is_named_from_the_base_scenario():
    """With the base, addition 0 of buy_flats is the 80 ordinary flats bought in the centre on day 730."""
    base = sc.load("buy_flats")
    label = "ordinary flats bought in the centre on day 730 (units)"
    assert parameter_label("stock.additions.0.count", base) == label
    assert parameter_label("stock.additions.0.count", base.to_dict()) == label
    assert parameter_label("stock.additions.5.count", base) == "stock addition 6: count", "no such entry"


def test_a_field_description_in_the_schema_is_used():
    """Where the schema gives ``Field(description=...)``, that is the label (with the unit from the name)."""

    class Section(BaseModel):
        wait_days: float = Field(description="wait for a flat")
        other_days: float

    class Top(BaseModel):
        office: Section

    assert parameter_label("office.wait_days", schema=Top) == "office: wait for a flat (days)"
    assert parameter_label("office.other_days", schema=Top) == "office: other (days)"


def test_values_in_words():
    assert value_label(True) == "yes" and value_label(False) == "no"
    assert value_label("need_priority") == "need priority"
    assert value_label("fcfs") == "first come, first served"
    assert value_label(30.0) == "30" and value_label(0.25) == "0.25" and value_label("unlimited") == "unlimited"


def test_metrics_in_words_and_one_place_for_reports():
    assert report_labels.metric_label("temp_spells_over_90d_share") == "share of temporary stays over 90 days"
    assert report_labels.metric_label("no_such_metric") == "no_such_metric"
    assert all(report_labels.metric_label(m) for m in METRICS)
    assert report_labels.metric_label("waitlist_mean") == "people on the housing waiting list on an average day"
    assert report_labels.parameter_label is parameter_label


def test_a_metric_without_plain_words_gets_its_description(monkeypatch):
    from sim.reports import text

    monkeypatch.delitem(text.PLAIN, "waitlist_mean")
    assert report_labels.metric_label("waitlist_mean") == "mean length of the municipal housing waiting list"
