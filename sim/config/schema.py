"""The scenario schema: every parameter of one model run, its type and its allowed range.

Units are in the key names (``_days``, ``_per_day``, ``_per_year``, ``_prob``, ``_share``);
the shipped ``baseline.toml`` carries each value's unit and source as a trailing comment.
Loading, ``extends``, ``--set`` and the error messages are in :mod:`sim.config.loading`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field

from sim.config.units import DAYS_PER_YEAR

Probability = Field(ge=0.0, le=1.0)
NEED_LEVELS = ("low", "medium", "high", "rop")
Count = Annotated[int, Field(ge=0)]


class ScenarioError(Exception):
    """A scenario could not be loaded. ``problems`` holds one readable line per problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class RunConfig(_Section):
    """How long to simulate and what to discard."""

    years: float = Field(gt=0, le=200)
    warmup_days: float = Field(ge=0)
    replications: int = Field(ge=1, le=100_000)
    sample_every_days: float = Field(gt=0)


class ZonesConfig(_Section):
    """Named parts of the municipality (thesis 7.3.1: a plan for 3-4 zones)."""

    names: list[str] = Field(min_length=1)


class PopulationConfig(_Section):
    """Who the people are when they enter the system (mechanism 11)."""

    need_shares: dict[Literal["low", "medium", "high", "rop"], float]
    female_share: float = Probability
    age_mean_years: float = Field(ge=18, le=90)
    age_sd_years: float = Field(ge=0)
    age_min_years: float = Field(ge=16)
    age_max_years: float = Field(le=100)
    competence_mean: dict[Literal["low", "medium", "high", "rop"], float]
    competence_sd: float = Field(ge=0, le=1)
    preferred_zone_weights: dict[str, float]
    network_zone_weights: dict[str, float]
    prefers_network_zone_prob: float = Probability


class InflowConfig(_Section):
    """New people entering the system (Poisson arrivals)."""

    treatment_referrals_per_year: float = Field(ge=0)
    prison_releases_per_year: float = Field(ge=0)
    nav_homeless_per_year: float = Field(ge=0)
    new_person_using_prob: float = Probability


class InitialConfig(_Section):
    """The population already in the system at day 0."""

    in_treatment: int = Field(ge=0)
    in_prison: int = Field(ge=0)
    in_temporary: int = Field(ge=0)
    on_street: int = Field(ge=0)
    housed_share: float = Probability
    using_share: float = Probability


class TreatmentConfig(_Section):
    """Inpatient substance treatment (TSB): beds, a queue and a length of stay."""

    beds: int = Field(ge=0)
    stay_days_mean: float = Field(gt=0)
    stay_days_cv: float = Field(gt=0)
    referral_rate_per_day_using: float = Field(ge=0)
    homeless_referral_multiplier: float = Field(ge=0)


class PrisonConfig(_Section):
    """Prison: incarceration of people in active use, and sentence length."""

    incarceration_rate_per_year_using: float = Field(ge=0)
    sentence_days_mean: float = Field(gt=0)
    sentence_days_cv: float = Field(gt=0)


class CoordinationConfig(_Section):
    """Coordination between institutions and the housing office (mechanism 2)."""

    application_timing: Literal["admission", "discharge"]
    notice_delay_days: float = Field(ge=0)
    hold_discharge_share: float = Probability
    hold_max_days: float = Field(ge=0)
    institution_priority: bool


class DischargeConfig(_Section):
    """Where people without ready housing go at discharge (mechanism 1)."""

    treatment_to_temporary_prob: float = Probability
    prison_to_temporary_prob: float = Probability


class TemporaryConfig(_Section):
    """NAV temporary housing (mechanism 3)."""

    capacity: Count | Literal["unlimited"]
    staffed: bool
    leave_rate_per_day: float = Field(ge=0)
    street_to_nav_rate_per_day: float = Field(ge=0)


class HousingOfficeConfig(_Section):
    """The housing office: waiting list, allocation meetings and matching (mechanism 6)."""

    meeting_interval_days: float = Field(gt=0)
    allocate_on_vacancy: bool
    rule: Literal["fcfs", "need_priority", "best_fit"]
    processing_days: float = Field(ge=0)
    move_in_delay_days_mean: float = Field(ge=0)
    move_in_delay_days_cv: float = Field(gt=0)
    require_housing_ready: bool
    move_on_lead_days: float = Field(ge=0)


class ChoiceConfig(_Section):
    """User choice: declining offers and what a decline costs (mechanism 7)."""

    max_declines: Count | Literal["unlimited"]
    after_limit: Literal["must_accept", "back_of_queue", "lower_priority", "temporary_only"]
    decline_prob_preferred_zone: float = Probability
    decline_prob_other_zone: float = Probability
    decline_multiplier_in_temporary: float = Field(ge=0)
    reapply_after_days: float = Field(ge=0)


class FollowupConfig(_Section):
    """Follow-up teams in the home (mechanism 9)."""

    capacity: int = Field(ge=0)
    min_need: Literal["low", "medium", "high", "rop"]
    duration_days: float = Field(gt=0)
    end_on_no_contact: bool
    no_contact_rate_per_day_using: float = Field(ge=0)
    relapse_multiplier: float = Field(ge=0)
    eviction_multiplier: float = Field(ge=0)


class RelapseConfig(_Section):
    """Relapse and remission hazards (mechanism 8)."""

    rate_per_day: float = Field(ge=0)
    early_multiplier: float = Field(ge=0)
    early_window_days: float = Field(ge=0)
    street_multiplier: float = Field(ge=0)
    temporary_multiplier: float = Field(ge=0)
    temporary_staffed_multiplier: float = Field(ge=0)
    network_zone_multiplier: float = Field(ge=0)
    remission_rate_per_day: float = Field(ge=0)
    competence_loss: float = Field(ge=0, le=1)


class EvictionConfig(_Section):
    """Eviction hazard for tenants of municipal housing (mechanism 4)."""

    rate_per_day: float = Field(ge=0)
    using_in_intolerant_multiplier: float = Field(ge=0)
    using_in_tolerant_multiplier: float = Field(ge=0)
    mismatch_multiplier_per_level: float = Field(ge=1)
    low_competence_multiplier: float = Field(ge=0)
    to_temporary_prob: float = Probability
    tenancy_end_to_temporary_prob: float = Probability


class ExitsConfig(_Section):
    """Leaving the system: own housing, moving away, death."""

    own_housing_rate_per_year_housed: float = Field(ge=0)
    own_housing_rate_per_year_homeless: float = Field(ge=0)
    own_housing_min_competence: float = Field(ge=0, le=1)
    own_housing_using_multiplier: float = Field(ge=0)
    move_away_rate_per_year: float = Field(ge=0)
    mortality_per_100_person_years: float = Field(ge=0)
    mortality_using_multiplier: float = Field(ge=0)
    mortality_early_multiplier: float = Field(ge=0)
    mortality_early_window_days: float = Field(ge=0)


class UnitTypeConfig(_Section):
    """One kind of municipal unit (differentiated stock, mechanism 4)."""

    support_level: int = Field(ge=0, le=3)
    tolerates_use: bool
    tenancy_days: float = Field(gt=0)
    renewable: bool
    renewal_requires_not_using: bool
    relapse_multiplier: float = Field(ge=0)
    eviction_multiplier: float = Field(ge=0)
    competence_gain_per_year: float = Field(ge=0, le=1)
    units: dict[str, int]


class StockAddition(_Section):
    """New units added to the stock on a given day."""

    day: float = Field(ge=0)
    type: str
    zone: str
    count: int = Field(ge=1)


class StockConfig(_Section):
    """The municipal stock: unit types, attrition and additions (mechanisms 4-5)."""

    loss_prob_after_eviction: float = Probability
    types: dict[str, UnitTypeConfig] = Field(min_length=1)
    additions: list[StockAddition] = Field(default_factory=list)


class Scenario(_Section):
    """A whole scenario: every parameter of one model run."""

    name: str
    description: str
    seed: int = Field(ge=0, lt=2**63)
    run: RunConfig
    zones: ZonesConfig
    population: PopulationConfig
    inflow: InflowConfig
    initial: InitialConfig
    treatment: TreatmentConfig
    prison: PrisonConfig
    coordination: CoordinationConfig
    discharge: DischargeConfig
    temporary: TemporaryConfig
    housing_office: HousingOfficeConfig
    choice: ChoiceConfig
    followup: FollowupConfig
    relapse: RelapseConfig
    eviction: EvictionConfig
    exits: ExitsConfig
    stock: StockConfig

    @property
    def total_days(self) -> float:
        """Length of a run in days, warm-up included."""
        return self.run.years * DAYS_PER_YEAR

    def to_dict(self) -> dict[str, Any]:
        """Every effective parameter, as plain TOML-ready data."""
        return self.model_dump(mode="python")

    def to_toml(self) -> str:
        """Every effective parameter as TOML (the ``scenario.resolved.toml`` format)."""
        return tomli_w.dumps(self.to_dict())
