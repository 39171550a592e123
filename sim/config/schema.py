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

NEED_LEVELS = ("low", "medium", "high", "rop")

# Upper bounds, each with its reason. A scenario describes one municipality: Norway's largest has
# about 720,000 inhabitants and the whole country counted about 3,300 homeless people in 2020, so
# no count of people, places or units of one kind, and no stream of arrivals, comes near these
# limits. They stop a slip of the keyboard (1e300, a count of 10^12) from reaching the model,
# where it would exhaust the memory or never end: what ``validate`` accepts, ``run`` completes.
MAX_COUNT = 100_000  # people, beds, places or units of one kind in one zone
MAX_PER_YEAR = 100_000.0  # arrivals of one kind per year
MAX_RATE_PER_DAY = 100.0  # a hazard of 100 a day: the event comes within about 15 minutes
MAX_RATE_PER_YEAR = MAX_RATE_PER_DAY * DAYS_PER_YEAR
MAX_MULTIPLIER = 1_000.0  # a factor on a hazard
MAX_DAYS = 100 * DAYS_PER_YEAR  # a duration, delay or window: a century
MAX_YEARS = 200.0  # length of a run
# A duration's coefficient of variation: the gamma distribution's shape is 1/cv^2; from 0.001
# (practically a fixed length, shape 10^6) to 10 (shape 0.01), the range Python's sampler handles.
MIN_CV, MAX_CV = 0.001, 10.0
MAX_WEIGHT = 1e6  # a relative weight (only ratios matter)
# A tenancy: at least a day (renewals add one tenancy at a time), at most 10^9 days, which the
# verification queues use for a tenancy that never ends in practice.
MIN_TENANCY_DAYS, MAX_TENANCY_DAYS = 1.0, 1e9

Probability = Field(ge=0.0, le=1.0)
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
PerYear = Annotated[float, Field(ge=0, le=MAX_PER_YEAR)]
RatePerDay = Annotated[float, Field(ge=0, le=MAX_RATE_PER_DAY)]
RatePerYear = Annotated[float, Field(ge=0, le=MAX_RATE_PER_YEAR)]
Multiplier = Annotated[float, Field(ge=0, le=MAX_MULTIPLIER)]
Days = Annotated[float, Field(ge=0, le=MAX_DAYS)]
PositiveDays = Annotated[float, Field(gt=0, le=MAX_DAYS)]
CV = Annotated[float, Field(ge=MIN_CV, le=MAX_CV)]
Weight = Annotated[float, Field(le=MAX_WEIGHT)]
NonNegativeWeight = Annotated[float, Field(ge=0, le=MAX_WEIGHT)]
# An odds ratio on a probability: from 1/1000 to 1000. Combined on the odds scale, it never
# turns a probability below 1 into 1 (sim.model.allocation.decline_probability).
MIN_ODDS_RATIO = 1.0 / MAX_MULTIPLIER
OddsRatio = Annotated[float, Field(ge=MIN_ODDS_RATIO, le=MAX_MULTIPLIER)]


class ScenarioError(Exception):
    """A scenario could not be loaded. ``problems`` holds one readable line per problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


class StrictModel(BaseModel):
    """The base of every model read from a file (scenario sections, sweep files).

    Unknown keys are refused, values are not coerced (``"3"`` is not ``3``), infinities and NaN
    are refused, and a loaded model cannot be changed.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class RunConfig(StrictModel):
    """How long to simulate and what to discard."""

    years: float = Field(gt=0, le=MAX_YEARS)
    warmup_days: Days
    replications: int = Field(ge=1, le=100_000)
    sample_every_days: PositiveDays


class ZonesConfig(StrictModel):
    """Named parts of the municipality (thesis 7.3.1: a plan for 3-4 zones)."""

    names: list[str] = Field(min_length=1)


class PopulationConfig(StrictModel):
    """Who the people are when they enter the system (mechanism 11)."""

    need_shares: dict[Literal["low", "medium", "high", "rop"], Weight]
    female_share: float = Probability
    competence_mean: dict[Literal["low", "medium", "high", "rop"], float]
    competence_sd: float = Field(ge=0, le=1)
    preferred_zone_weights: dict[str, Weight]
    network_zone_weights: dict[str, Weight]
    prefers_network_zone_prob: float = Probability


class InflowConfig(StrictModel):
    """New people entering the system (Poisson arrivals)."""

    treatment_referrals_per_year: PerYear
    prison_releases_per_year: PerYear
    nav_homeless_per_year: PerYear
    new_person_using_prob: float = Probability


class InitialConfig(StrictModel):
    """The population already in the system at day 0."""

    in_treatment: Count
    in_prison: Count
    in_temporary: Count
    on_street: Count
    in_private: Count
    housed_share: float = Probability
    using_share: float = Probability


class TreatmentConfig(StrictModel):
    """Inpatient substance treatment (TSB): beds, a queue and a length of stay."""

    beds: Count
    stay_days_mean: PositiveDays
    stay_days_cv: CV
    referral_rate_per_day_using: RatePerDay
    homeless_referral_multiplier: Multiplier
    referral_lapses_on_remission: bool


class PrisonConfig(StrictModel):
    """Prison: incarceration of people in active use, and sentence length."""

    incarceration_rate_per_year_using: RatePerYear
    sentence_days_mean: PositiveDays
    sentence_days_cv: CV


class CoordinationConfig(StrictModel):
    """Coordination between institutions and the housing office (mechanism 2)."""

    application_timing: Literal["admission", "discharge"]
    notice_delay_days: Days
    hold_discharge_share: float = Probability
    hold_max_days: Days
    institution_priority: bool
    admission_cancels_application: bool


class DischargeConfig(StrictModel):
    """Where people without ready housing go at discharge (mechanism 1)."""

    treatment_to_temporary_prob: float = Probability
    prison_to_temporary_prob: float = Probability


class TemporaryConfig(StrictModel):
    """NAV temporary housing (mechanism 3)."""

    capacity: Count | Literal["unlimited"]
    staffed_places: Count
    staffed_min_need: Literal["low", "medium", "high", "rop"]
    women_crisis_places: Count
    women_using_accept_prob: float = Probability
    leave_rate_per_day: RatePerDay
    street_to_nav_rate_per_day: RatePerDay


class HousingOfficeConfig(StrictModel):
    """The housing office: waiting list, allocation meetings and matching (mechanism 6)."""

    meeting_interval_days: PositiveDays
    allocate_on_vacancy: bool
    rule: Literal["fcfs", "need_priority", "best_fit"]
    processing_days: Days
    move_in_delay_days_mean: Days
    move_in_delay_days_cv: CV
    require_housing_ready: bool
    move_on_lead_days: Days
    offer_response_days: Days
    declined_unit_to: Literal["next_meeting", "next_applicant"]
    best_fit_weight_support: NonNegativeWeight
    best_fit_weight_preferred_zone: NonNegativeWeight
    best_fit_weight_network_zone: NonNegativeWeight


class ChoiceConfig(StrictModel):
    """User choice: declining offers and what a decline costs (mechanism 7)."""

    max_declines: Count | Literal["unlimited"]
    after_limit: Literal["must_accept", "back_of_queue", "lower_priority", "temporary_only"]
    decline_prob_preferred_zone: float = Probability
    decline_prob_other_zone: float = Probability
    decline_odds_ratio_in_temporary: OddsRatio
    reapply_after_days: Days
    chosen_eviction_multiplier: Multiplier


class FollowupConfig(StrictModel):
    """Follow-up teams in the home (mechanism 9)."""

    capacity: Count
    min_need: Literal["low", "medium", "high", "rop"]
    duration_days: PositiveDays
    end_on_no_contact: bool
    no_contact_rate_per_day_using: RatePerDay
    relapse_multiplier: Multiplier
    eviction_multiplier: Multiplier
    continues_after_eviction: bool


class RelapseConfig(StrictModel):
    """Relapse and remission hazards (mechanism 8)."""

    rate_per_day: RatePerDay
    early_multiplier: Multiplier
    early_window_days: Days
    street_multiplier: Multiplier
    temporary_multiplier: Multiplier
    temporary_staffed_multiplier: Multiplier
    network_zone_multiplier: Multiplier
    remission_rate_per_day: RatePerDay
    competence_loss: float = Field(ge=0, le=1)
    private_multiplier: Multiplier


class CompetenceConfig(StrictModel):
    """Housing competence (boevne) that grows back outside a unit too (mechanism 4)."""

    gain_per_year_not_using: float = Field(ge=0, le=1)
    gain_per_year_treatment: float = Field(ge=0, le=1)
    gain_per_year_followup: float = Field(ge=0, le=1)
    review_days: float = Field(ge=1, le=MAX_DAYS)  # at least a day: a review is a redraw of every clock


class PrivateConfig(StrictModel):
    """Private housing (private rental, family, a flat of one's own): a place people can lose."""

    arranged_rate_per_year: RatePerYear
    arranged_requires_not_using: bool
    loss_rate_per_year: RatePerYear
    loss_using_multiplier: Multiplier
    loss_to_temporary_prob: float = Probability


class EvictionConfig(StrictModel):
    """Eviction hazard for tenants of municipal housing (mechanism 4)."""

    rate_per_day: RatePerDay
    using_in_intolerant_multiplier: Multiplier
    using_in_tolerant_multiplier: Multiplier
    mismatch_multiplier_per_level: float = Field(ge=1, le=MAX_MULTIPLIER)
    low_competence_multiplier: Multiplier
    to_temporary_prob: float = Probability
    tenancy_end_to_temporary_prob: float = Probability


class ExitsConfig(StrictModel):
    """Leaving the system: own housing, moving away, death."""

    own_housing_rate_per_year_housed: RatePerYear
    own_housing_rate_per_year_homeless: RatePerYear
    own_housing_competence_midpoint: float = Field(ge=0, le=1)
    own_housing_competence_scale: float = Field(gt=0, le=1)
    own_housing_using_multiplier: Multiplier
    stable_after_days: Days | Literal["never"]
    move_away_rate_per_year: RatePerYear
    mortality_per_100_person_years: float = Field(ge=0, le=100 * MAX_RATE_PER_YEAR)
    mortality_using_multiplier: Multiplier
    mortality_early_multiplier: Multiplier
    mortality_early_window_days: Days


class UnitTypeConfig(StrictModel):
    """One kind of municipal unit (differentiated stock, mechanism 4)."""

    support_level: int = Field(ge=0, le=3)
    tolerates_use: bool
    tenancy_days: float = Field(ge=MIN_TENANCY_DAYS, le=MAX_TENANCY_DAYS)
    renewable: bool
    renewal_requires_not_using: bool
    relapse_ends_tenancy: bool
    relapse_multiplier: Multiplier
    eviction_multiplier: Multiplier
    competence_gain_per_year: float = Field(ge=0, le=1)
    units: dict[str, Count]


class StockAddition(StrictModel):
    """New units added to the stock on a given day."""

    day: float = Field(ge=0, le=MAX_YEARS * DAYS_PER_YEAR)
    type: str
    zone: str
    count: int = Field(ge=0, le=MAX_COUNT)  # 0 adds nothing (a sweep may vary an addition down to none)


class StockConfig(StrictModel):
    """The municipal stock: unit types, attrition and additions (mechanisms 4-5)."""

    loss_prob_after_eviction: float = Probability
    replacement_delay_days: Days | Literal["never"]
    types: dict[str, UnitTypeConfig] = Field(min_length=1)
    additions: list[StockAddition] = Field(default_factory=list)


MAX_INHABITANTS = 10_000_000  # a municipality: Norway has about 5.6 million inhabitants
MAX_NOK = 1e9  # a unit price in NOK (a night, a day, a unit-year): a billion is far beyond any


class MunicipalityConfig(StrictModel):
    """The municipality the population lives in: what per-1,000 measures divide by."""

    inhabitants: int = Field(ge=1, le=MAX_INHABITANTS)


Nok = Annotated[float, Field(ge=0, le=MAX_NOK)]


class CostsConfig(StrictModel):
    """Unit prices in NOK, for the cost measures (``cost_<item>_nok_per_year``).

    Every price is a cost to the public purse per unit of use or of capacity; the scenario file
    gives each one's source. ``unit_nok_per_year`` needs a price for every unit type of the stock;
    a price for a type the stock does not have is unused (the baseline prices the types that
    scenarios add, such as ``recovery``).
    """

    temporary_nok_per_night: Nok
    temporary_staffed_place_nok_per_year: Nok
    treatment_nok_per_bed_day: Nok
    prison_nok_per_day: Nok
    unit_nok_per_year: dict[str, Nok]
    followup_nok_per_client_year: Nok


class Scenario(StrictModel):
    """A whole scenario: every parameter of one model run."""

    name: str
    description: str
    seed: int = Field(ge=0, lt=2**63)
    run: RunConfig
    municipality: MunicipalityConfig
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
    competence: CompetenceConfig
    eviction: EvictionConfig
    private: PrivateConfig
    exits: ExitsConfig
    stock: StockConfig
    costs: CostsConfig

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
