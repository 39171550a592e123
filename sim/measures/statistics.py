"""Statistics across replications: the one 95% interval every output uses.

A mean over replications comes with a Student-t interval. With fewer than two values there is
no interval: ``low`` and ``high`` are ``nan`` (``null`` in JSON, a blank in tables, no error bar
in figures), never a zero-width interval that would read as certainty.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: The confidence level of every interval the project reports.
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """A mean over replications with its 95% Student-t interval.

    Attributes:
        mean: Mean of the values (``nan`` if there are none).
        half_width: Half the interval's width (``nan`` with fewer than two values).
        n: Number of values used (``nan`` values are left out).
    """

    mean: float
    half_width: float
    n: int

    @property
    def low(self) -> float:
        """Lower end of the interval (``nan`` where there is none)."""
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        """Upper end of the interval (``nan`` where there is none)."""
        return self.mean + self.half_width


def mean_ci(values: Sequence[float] | np.ndarray) -> Interval:
    """Mean and 95% Student-t interval of per-replication values; ``nan`` values are left out."""
    # Imported here, not at the top: worker processes compute replication metrics only, and
    # SciPy's statistics take about 0.4 s to import at every worker start.
    from scipy import stats

    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    n = len(v)
    if n == 0:
        return Interval(math.nan, math.nan, 0)
    mean = float(v.mean())
    if n < 2:
        return Interval(mean, math.nan, n)
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * v.std(ddof=1) / math.sqrt(n))
    return Interval(mean, half, n)
