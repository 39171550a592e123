"""One replication: the Mesa model, its people, services, stock, calendar and records.

Everything here runs inside one replication and knows nothing of files, many runs or reports.
``HousingModel`` (in :mod:`sim.model.housing_model`) wires the rest together. It is loaded on
first use, so importing a light module of the package (``sim.model.states``) does not load Mesa.
"""

from __future__ import annotations

from typing import Any

from sim.model import native

native.search_path(__path__, __name__)  # compiled copies of the hot modules first, if current

__all__ = ["HousingModel", "check_invariants", "population_size"]


def __getattr__(name: str) -> Any:
    """Load :mod:`sim.model.housing_model` when one of its names is first used."""
    if name in __all__:
        from sim.model import housing_model

        return getattr(housing_model, name)
    raise AttributeError(f"module 'sim.model' has no attribute {name!r}")
