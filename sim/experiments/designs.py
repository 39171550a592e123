"""A resolved sweep and its design: the parameters, the points, the scenarios and the seeds.

:func:`sim.experiments.sweep_file.load_sweep` reads and checks a sweep file and returns a
:class:`Sweep`; this module is what a sweep *is* once loaded. The design (:func:`design_matrix`)
places the points in design coordinates (:attr:`Parameter.bounds`); each parameter turns a
coordinate into a scenario value (:meth:`Parameter.value`): integers are rounded, a list of
levels is indexed. Every run's seed depends only on the sweep's seed and the run's index
(:meth:`Sweep.run_seed`), never on the executor, the workers or a resume.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np

from sim import config as sc
from sim.config import Scenario
from sim.experiments.replications import replication_seed

#: The designs a sweep file may name.
Design = Literal["grid", "lhs", "sobol", "morris"]
#: The designs whose points a global sensitivity analysis can read (Sobol indices, Morris screening).
SENSITIVITY_DESIGNS: tuple[str, ...] = ("sobol", "morris")
#: Grid levels of a Morris design when the sweep file gives no ``morris_levels`` (SALib's usual choice).
DEFAULT_MORRIS_LEVELS = 4
_DESIGN_TAG = 0x5EED  # separates the design's random stream from the runs' seeds


@dataclass(frozen=True)
class Parameter:
    """A varied parameter, resolved against the scenario schema.

    ``kind`` is ``"int"`` or ``"float"`` for a numeric ``range``, ``"levels"`` for a list of
    values. ``column`` is how the values are stored in the results (``int``, ``float``, ``bool``
    or ``str``; levels mixing numbers and text, like ``[0, 1, "unlimited"]``, are stored as text).
    """

    key: str
    kind: Literal["int", "float", "levels"]
    low: float | None = None
    high: float | None = None
    levels: tuple[Any, ...] | None = None
    column: Literal["int", "float", "bool", "str"] = "float"

    @property
    def bounds(self) -> tuple[float, float]:
        """The interval the design samples for this parameter (before rounding or picking a level)."""
        if self.kind == "levels":
            return 0.0, float(len(self.levels or ()))
        if self.kind == "int":
            return float(self.low) - 0.5, float(self.high) + 0.5
        return float(self.low), float(self.high)

    def value(self, x: float) -> Any:
        """The scenario value at design coordinate ``x`` (rounded for integers, a level for levels)."""
        if self.kind == "levels":
            levels = self.levels or ()
            return levels[min(max(math.floor(x), 0), len(levels) - 1)]
        if self.kind == "int":
            return int(min(max(math.floor(x + 0.5), self.low), self.high))
        return float(x)

    def stored(self, value: Any) -> Any:
        """``value`` as stored in the results' column."""
        if self.column == "str":
            return str(value).lower() if isinstance(value, bool) else str(value)
        if self.column == "float":
            return float(value)
        return value


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: the base scenario, the parameters, the design and the seeds."""

    source: str
    name: str
    description: str
    base: Scenario
    base_ref: str
    design: Design
    samples: int | None
    replications: int
    seed: int
    metrics: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    common_random_numbers: bool = True
    second_order: bool = False
    morris_levels: int = DEFAULT_MORRIS_LEVELS
    fixed: dict[str, Any] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        """The varied parameters' dotted keys, in file order."""
        return [p.key for p in self.parameters]

    @cached_property
    def design_matrix(self) -> np.ndarray:
        """The design's points in design coordinates (one row per point, one column per parameter)."""
        return design_matrix(self)

    @property
    def n_points(self) -> int:
        """Number of points in the design."""
        return int(self.design_matrix.shape[0])

    @property
    def n_runs(self) -> int:
        """Number of runs: points times replications."""
        return self.n_points * self.replications

    def point_values(self, point: int) -> dict[str, Any]:
        """The scenario value of every varied parameter at ``point``."""
        row = self.design_matrix[point]
        return {p.key: p.value(float(x)) for p, x in zip(self.parameters, row, strict=True)}

    def scenario(self, point: int) -> Scenario:
        """The validated scenario of ``point`` (the base with the point's values)."""
        return sc.validate(with_values(self._base_data, self.point_values(point)), f"{self.name}, point {point}")

    @cached_property
    def _base_data(self) -> dict[str, Any]:
        """The base scenario as raw data, which every point's scenario starts from."""
        return self.base.to_dict()

    def run_seed(self, run: int) -> int:
        """The seed of run ``run`` (``point * replications + replication``).

        With common random numbers, replication ``r`` of every point uses the ``r``-th child of
        ``SeedSequence(seed)``, the same seed as replication ``r`` of ``pathways run`` with that
        seed; otherwise run ``i`` uses the ``i``-th child. Either way the seed depends only on the
        sweep seed and the run's index, never on the executor, the workers or a resume.
        """
        index = run % self.replications if self.common_random_numbers else run
        return replication_seed(self.seed, index)

    def describe(self) -> str:
        """One line: design, points, replications and runs."""
        extra = f", N = {self.samples}" if self.samples is not None else ""
        return (
            f"{self.name}: {self.design} design{extra}, {len(self.parameters)} parameters, "
            f"{self.n_points} points x {self.replications} replications = {self.n_runs} runs"
        )

    def to_manifest(self) -> dict[str, Any]:
        """Everything that defines the sweep's results, as plain JSON data."""
        return {
            "name": self.name,
            "description": self.description,
            "base": self.base_ref,
            "design": self.design,
            "samples": self.samples,
            "replications": self.replications,
            "seed": self.seed,
            "common_random_numbers": self.common_random_numbers,
            "second_order": self.second_order,
            "morris_levels": self.morris_levels,
            "metrics": list(self.metrics),
            "set": self.fixed,
            "parameters": [
                {
                    "key": p.key,
                    "kind": p.kind,
                    "low": p.low,
                    "high": p.high,
                    "levels": list(p.levels) if p.levels is not None else None,
                    "column": p.column,
                    "bounds": list(p.bounds),
                }
                for p in self.parameters
            ],
            "n_points": self.n_points,
            "n_runs": self.n_runs,
        }

    @cached_property
    def fingerprint(self) -> str:
        """A hash of everything that determines the runs' rows (not the name or description)."""
        data = {k: v for k, v in self.to_manifest().items() if k not in ("name", "description", "base")}
        data["base_scenario"] = self.base.to_dict()
        text = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def with_values(data: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``data`` with dotted keys set to ``values``; only the tables and lists on the way are copied
    (``data`` is unchanged). A part that is a number names a list's entry by its position
    (``stock.additions.0.count``); the sweep file's check has made sure the base has it."""
    out = dict(data)
    for key, value in values.items():
        node: Any = out
        *parents, leaf = key.split(".")
        for part in parents:
            if isinstance(node, list):
                index = int(part)
                node[index] = dict(node[index])
                node = node[index]
                continue
            child = node.get(part)
            node[part] = dict(child) if isinstance(child, dict) else list(child) if isinstance(child, list) else {}
            node = node[part]
        if isinstance(node, list):
            node[int(leaf)] = value
        else:
            node[leaf] = value
    return out


def design_matrix(sweep: Sweep) -> np.ndarray:
    """The points of ``sweep``'s design, in design coordinates (see :attr:`Parameter.bounds`).

    ``grid``: every combination of the parameters' levels (or ``steps`` values of a range), the
    last parameter varying fastest; the coordinate is the level's index plus 0.5.
    ``lhs``: ``samples`` points of ``scipy.stats.qmc.LatinHypercube``.
    ``sobol``: SALib's Saltelli scheme, ``samples * (D + 2)`` points (``* (2D + 2)`` with second order).
    ``morris``: SALib's Morris trajectories, ``samples * (D + 1)`` points.
    """
    params = sweep.parameters
    seed = design_seed(sweep.seed)
    if sweep.design == "grid":
        axes = [np.arange(len(p.levels or ())) + 0.5 for p in params]
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.column_stack([m.ravel() for m in mesh])
    bounds = np.array([p.bounds for p in params], dtype=float)
    if sweep.design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(params), rng=np.random.default_rng(seed)).random(sweep.samples)
        return qmc.scale(unit, bounds[:, 0], bounds[:, 1])
    problem = salib_problem(sweep.keys, [list(p.bounds) for p in params])
    if sweep.design == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, sweep.samples, calc_second_order=sweep.second_order, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, sweep.samples, num_levels=sweep.morris_levels, seed=seed)


def design_seed(seed: int) -> int:
    """The seed of the design's own random numbers (LHS permutations, Sobol scrambling, Morris starts)."""
    return int(np.random.SeedSequence((seed, _DESIGN_TAG)).generate_state(1)[0])


def salib_problem(names: list[str], bounds: list[list[float]]) -> dict[str, Any]:
    """The SALib problem of varied parameters: their names and design bounds (:attr:`Parameter.bounds`).

    The design samples it (:func:`design_matrix`) and the sensitivity analysis reads it back from
    a sweep's manifest (:func:`sim.experiments.sensitivity.analyse`).
    """
    return {"num_vars": len(names), "names": names, "bounds": bounds}
