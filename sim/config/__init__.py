"""Scenario configuration: the schema of a scenario file and how it is loaded.

Everything a scenario is made of is in :mod:`sim.config.schema`; reading files, ``extends``,
``--set`` overrides, dotted keys and the error messages are in :mod:`sim.config.loading`. Both
are re-exported here, so ``from sim import config`` gives the whole public surface.
"""

from sim.config.loading import (
    SCENARIO_DIR,
    bound_text,
    flatten,
    load,
    lookup,
    nest,
    parse_set,
    read_toml,
    resolve_path,
    scenario_names,
    validate,
    with_overrides,
)
from sim.config.schema import (
    NEED_LEVELS,
    ChoiceConfig,
    HousingOfficeConfig,
    Scenario,
    ScenarioError,
    StockConfig,
    StrictModel,
    UnitTypeConfig,
)
from sim.config.units import DAYS_PER_YEAR

__all__ = [
    "DAYS_PER_YEAR",
    "NEED_LEVELS",
    "SCENARIO_DIR",
    "ChoiceConfig",
    "HousingOfficeConfig",
    "Scenario",
    "ScenarioError",
    "StockConfig",
    "StrictModel",
    "UnitTypeConfig",
    "bound_text",
    "flatten",
    "load",
    "lookup",
    "nest",
    "parse_set",
    "read_toml",
    "resolve_path",
    "scenario_names",
    "validate",
    "with_overrides",
]
