"""One replication: the Mesa model, its people, services, stock, calendar and records.

Everything here runs inside one replication and knows nothing of files, many runs or reports.
``HousingModel`` (in :mod:`sim.model.housing_model`) wires the rest together.
"""

from sim.model.housing_model import HousingModel, check_invariants, population_size

__all__ = ["HousingModel", "check_invariants", "population_size"]
