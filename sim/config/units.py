"""Units shared by every stage: the model's clock counts days."""

from typing import Final

#: Days in a model year. The model has no calendar of months or leap years: a "year" in a
#: parameter name (``_per_year``, ``run.years``) is always this many days.
DAYS_PER_YEAR: Final = 365.0
