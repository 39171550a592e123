"""Statistics across replications: the one 95% interval every output uses.

A mean over replications comes with a Student-t interval. With fewer than two values there is
no interval: ``low`` and ``high`` are ``nan`` (``null`` in JSON, a blank in tables, no error bar
in figures), never a zero-width interval that would read as certainty.

A quantity that cannot leave a range (a share lies in [0, 1]) gets an interval cut to that range:
``mean_ci(values, bounds=SHARE_BOUNDS)``. With few replications the Student-t interval of a share
near 0 would otherwise reach below 0%. The cut is here, in one place; which metrics are shares is
:attr:`sim.measures.metrics.Metric.bounds`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: The confidence level of every interval the project reports.
CONFIDENCE = 0.95
#: The range of a share (a metric with unit ``"share"``): an interval never leaves it.
SHARE_BOUNDS: tuple[float, float] = (0.0, 1.0)


@dataclass(frozen=True)
class Interval:
    """A mean over replications with its 95% Student-t interval.

    Attributes:
        mean: Mean of the values (``nan`` if there are none).
        half_width: Half the interval's width (``nan`` with fewer than two values).
        n: Number of values used (``nan`` values are left out).
        floor: The least value the quantity can take (``low`` is never below it); ``-inf``: none.
        ceiling: The greatest value the quantity can take (``high`` is never above it); ``inf``: none.
    """

    mean: float
    half_width: float
    n: int
    floor: float = -math.inf
    ceiling: float = math.inf

    @property
    def low(self) -> float:
        """Lower end of the interval, cut at ``floor`` (``nan`` where there is none)."""
        value = self.mean - self.half_width
        return value if math.isnan(value) else max(value, self.floor)

    @property
    def high(self) -> float:
        """Upper end of the interval, cut at ``ceiling`` (``nan`` where there is none)."""
        value = self.mean + self.half_width
        return value if math.isnan(value) else min(value, self.ceiling)


def mean_ci(values: Sequence[float] | np.ndarray, bounds: tuple[float, float] | None = None) -> Interval:
    """Mean and 95% Student-t interval of per-replication values; ``nan`` values are left out.

    Args:
        values: One value per replication.
        bounds: The range the quantity cannot leave, e.g. :data:`SHARE_BOUNDS` for a share: the
            interval's ends are cut to it (the mean and ``half_width`` are not changed).
            ``None``: no range.

    Returns:
        The mean and its interval.
    """
    # Imported here, not at the top: worker processes compute replication metrics only, and
    # SciPy's statistics take about 0.4 s to import at every worker start.
    from scipy import stats

    floor, ceiling = bounds if bounds is not None else (-math.inf, math.inf)
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    n = len(v)
    if n == 0:
        return Interval(math.nan, math.nan, 0, floor, ceiling)
    mean = float(v.mean())
    if n < 2:
        return Interval(mean, math.nan, n, floor, ceiling)
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * v.std(ddof=1) / math.sqrt(n))
    return Interval(mean, half, n, floor, ceiling)
