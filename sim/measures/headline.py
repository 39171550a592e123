"""The headline measures: the one list every output leads with, and which way is better.

``pathways run`` and ``pathways compare`` print these first, the compare report's table, figure
and verdicts use them, the ensemble comparison reports them, and the page shows them. Every
name is a metric of :data:`sim.measures.metrics.METRICS` (``docs/metrics.md``).
"""

from __future__ import annotations

#: The outcomes a planner reads first, in this order.
HEADLINE: tuple[str, ...] = (
    "temp_households_over_90d_share",
    "temp_occupancy_mean",
    "homeless_per_1000",
    "discharge_to_street_share",
    "readmission_within_365d_share",
    "revolving_door_persons_per_year",
    "cost_total_nok_per_year",
)

#: Metrics where a higher value is the better outcome. Every other metric a verdict names is
#: better lower (fewer people homeless, shorter stays, fewer readmissions, lower cost); a metric
#: in :data:`NEUTRAL` is neither.
HIGHER_IS_BETTER: frozenset[str] = frozenset(
    {
        "discharge_to_housing_share",
        "discharge_to_private_share",
        "housed_at_discharge_share_homeless_at_admission",
        "housed_count_mean",
        "private_count_mean",
        "private_entries_per_year",
        "stable_exits_per_year",
        "chosen_lettings_share",
        "added_units_let_within_365d_share",
        "municipal_occupancy_share",
        "temp_households_14d_or_less_share",
    }
)

#: Metrics with no better direction (counts of activity, the size of the population, cost splits).
NEUTRAL: frozenset[str] = frozenset(
    {
        "population_mean",
        "discharges",
        "offers_made",
        "inhabitants",
        "temp_occupancy_trend_per_year",
        "homeless_share_temporary",
        "homeless_share_sofa_street",
        "homeless_share_institution",
    }
)


def better_sign(metric: str) -> int:
    """+1 if a higher value of ``metric`` is better, -1 if a lower one is, 0 if neither."""
    if metric in NEUTRAL:
        return 0
    return 1 if metric in HIGHER_IS_BETTER else -1
