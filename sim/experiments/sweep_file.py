"""Sweep files: which parameters to vary, the design that picks the points, and what to keep.

A sweep file is TOML (see ``docs/experiments.md`` and ``scenarios/sweeps/``)::

    base = "baseline"                # a shipped scenario's name, or a path relative to this file
    design = "sobol"                 # "grid", "lhs", "sobol" or "morris"
    samples = 64                     # lhs: points; sobol: base samples N (a power of 2); morris: trajectories
    replications = 2                 # replications per point
    metrics = ["temp_share_over_90d"]

    [set]                            # fixed overrides for every point (dotted keys as in --set)
    "run.years" = 6

    [[parameters]]
    key = "choice.max_declines"
    range = [0, 4]                   # or levels = [0, 1, 2, "unlimited"]

It is checked like a scenario file: pydantic, unknown keys refused, and every problem reported as
one :class:`~sim.config.ScenarioError` line naming the file, the key, the value and what is
allowed. Every point of the design is then checked as a scenario.

Integer parameters (``treatment.beds``, unit counts, ``choice.max_declines``) are rounded to the
nearest integer; a ``range = [lo, hi]`` of an integer parameter is sampled on
``[lo - 0.5, hi + 0.5]`` so that each integer from ``lo`` to ``hi`` is equally likely.
"""

from __future__ import annotations

import hashlib
import json
import math
import types
import typing
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim import config as sc
from sim.config import Scenario, ScenarioError

DESIGNS: tuple[str, ...] = ("grid", "lhs", "sobol", "morris")
DEFAULT_MORRIS_LEVELS = 4
# Keys a sweep may not vary or fix in ``set``, with where they belong instead.
RESERVED_KEYS = {
    "seed": "the sweep's own `seed = N` sets the seeds",
    "name": "the sweep's `name` names the results",
    "description": "the sweep's `description` describes it",
    "run.replications": "each run is one replication; set `replications = N` at the top of the sweep file",
}
_DESIGN_TAG = 0x5EED  # separates the design's random stream from the runs' seeds


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class ParameterSpec(_Strict):
    """One varied parameter, as written in the file."""

    key: str = Field(min_length=1)
    levels: list[bool | int | float | str] | None = Field(default=None, min_length=2)
    range: list[float] | None = Field(default=None, min_length=2, max_length=2)
    steps: int | None = Field(default=None, ge=2)


class SweepFile(_Strict):
    """A whole sweep file, as written."""

    name: str | None = Field(default=None, min_length=1)
    description: str = ""
    base: str
    design: Literal["grid", "lhs", "sobol", "morris"]
    samples: int | None = Field(default=None, ge=1)
    replications: int = Field(ge=1, le=10_000)
    seed: int | None = Field(default=None, ge=0, lt=2**63)
    metrics: list[str] | None = Field(default=None, min_length=1)
    common_random_numbers: bool = True
    second_order: bool | None = None
    morris_levels: int | None = Field(default=None, ge=2)
    set: dict[str, Any] = Field(default_factory=dict)
    parameters: list[ParameterSpec] = Field(min_length=1)


# ----------------------------------------------------------------------------- resolved sweep


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
            return levels[min(max(int(math.floor(x)), 0), len(levels) - 1)]
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
    design: Literal["grid", "lhs", "sobol", "morris"]
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
        return self.base.to_dict()

    def run_seed(self, run: int) -> int:
        """The seed of run ``run`` (``point * replications + replication``).

        With common random numbers, replication ``r`` of every point uses the ``r``-th child of
        ``SeedSequence(seed)``, the same seed as replication ``r`` of ``pathways run`` with that
        seed; otherwise run ``i`` uses the ``i``-th child. Either way the seed depends only on the
        sweep seed and the run's index, never on the executor, the workers or a resume.
        """
        index = run % self.replications if self.common_random_numbers else run
        return child_seed(self.seed, index)

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


def child_seed(seed: int, index: int) -> int:
    """The 63-bit seed of the ``index``-th child of ``SeedSequence(seed)`` (as ``replication_seeds``)."""
    child = np.random.SeedSequence(seed, spawn_key=(index,))
    return int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def with_values(data: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``data`` with dotted keys set to ``values``; only the tables on the way are copied (``data`` is unchanged)."""
    out = dict(data)
    for key, value in values.items():
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.get(part)
            node[part] = dict(child) if isinstance(child, dict) else {}
            node = node[part]
        node[leaf] = value
    return out


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"run": {"years": 6}, "a.b": 1}`` -> ``{"run.years": 6, "a.b": 1}``."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, full + "."))
        else:
            out[full] = value
    return out


# ----------------------------------------------------------------------------- designs


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
    problem = salib_problem(sweep)
    if sweep.design == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, sweep.samples, calc_second_order=sweep.second_order, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, sweep.samples, num_levels=sweep.morris_levels, seed=seed)


def design_seed(seed: int) -> int:
    """The seed of the design's own random numbers (LHS permutations, Sobol scrambling, Morris starts)."""
    return int(np.random.SeedSequence((seed, _DESIGN_TAG)).generate_state(1)[0])


def salib_problem(sweep: Sweep) -> dict[str, Any]:
    """The SALib problem: names and design bounds of the varied parameters."""
    return {
        "num_vars": len(sweep.parameters),
        "names": sweep.keys,
        "bounds": [list(p.bounds) for p in sweep.parameters],
    }


# ----------------------------------------------------------------------------- loading


def load_sweep(source: str | Path | dict[str, Any], *, base_dir: Path | None = None) -> Sweep:
    """Read, check and resolve a sweep file (or a dict with the same content).

    Args:
        source: A sweep file's path, or its content as a dict (the Python API).
        base_dir: Where a relative ``base`` path is looked up for a dict (default: the current
            folder); for a file, its folder.

    Returns:
        The sweep, with every point of its design checked as a scenario.

    Raises:
        ScenarioError: Every problem found, one line each, naming the file, key, value and what
            is allowed.
    """
    if isinstance(source, dict):
        data, label, folder, stem = dict(source), "<sweep>", base_dir or Path.cwd(), "sweep"
    else:
        path = Path(source)
        if not path.is_file():
            raise ScenarioError(str(path), ["no such sweep file"])
        data = sc.read_toml(path)
        label, folder, stem = str(path), path.resolve().parent, path.stem
    try:
        spec = SweepFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(label, _format_errors(exc, data)) from None
    return _resolve(spec, label, folder, stem)


def _resolve(spec: SweepFile, label: str, folder: Path, stem: str) -> Sweep:
    """Turn a schema-valid sweep file into a :class:`Sweep`, collecting every problem."""
    from sim.measures.metrics import METRICS

    problems: list[str] = []
    try:
        base_path = sc.resolve_path(spec.base, relative_to=folder)
    except ScenarioError:
        raise ScenarioError(
            label,
            [
                f"base = {spec.base!r}: no such scenario file or shipped scenario; "
                f"shipped: {', '.join(sc.scenario_names())}"
            ],
        ) from None
    base = sc.load(base_path)  # a broken base scenario reports its own file

    fixed = _flatten(spec.set)
    for key in fixed:
        if key in RESERVED_KEYS:
            problems.append(f"set.{key}: cannot be set in a sweep: {RESERVED_KEYS[key]}")
        elif (why := _key_problem(key)) is not None:
            problems.append(f"set.{key} = {fixed[key]!r}: {why}")
    if not problems and fixed:
        try:
            base = sc.with_overrides(base, sc.nest(fixed))
        except ScenarioError as exc:
            problems += [f"set: {p}" for p in exc.problems]

    params: list[Parameter] = []
    seen: set[str] = set()
    for i, p in enumerate(spec.parameters):
        where = f"parameters[{i}] (key = {p.key!r})"
        if p.key in seen:
            problems.append(f"{where}: this key is varied twice; give each parameter once")
            continue
        seen.add(p.key)
        if p.key in fixed:
            problems.append(f"{where}: the key is also in [set]; a key is either varied or fixed")
            continue
        param, errs = _parameter(p, spec.design, where, base)
        problems += errs
        if param is not None:
            params.append(param)

    metrics = tuple(spec.metrics or METRICS)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        problems.append(
            f"metrics = {list(spec.metrics or [])!r}: unknown metric {', '.join(map(repr, unknown))}; "
            f"metrics are: {', '.join(METRICS)} (docs/metrics.md)"
        )
    elif len(set(metrics)) != len(metrics):
        problems.append(f"metrics = {list(metrics)!r}: a metric is named twice")
    problems += _design_problems(spec, len(spec.parameters))
    if problems:
        raise ScenarioError(label, problems)

    sweep = Sweep(
        source=label,
        name=spec.name or stem,
        description=spec.description,
        base=base,
        base_ref=str(base_path),
        design=spec.design,
        samples=spec.samples,
        replications=spec.replications,
        seed=base.seed if spec.seed is None else spec.seed,
        metrics=metrics,
        parameters=tuple(params),
        common_random_numbers=spec.common_random_numbers,
        second_order=bool(spec.second_order),
        morris_levels=spec.morris_levels or DEFAULT_MORRIS_LEVELS,
        fixed=fixed,
    )
    _check_points(sweep, label)
    return sweep


def _design_problems(spec: SweepFile, n_params: int) -> list[str]:
    """Options that do not fit the design (samples, steps, second_order, morris_levels)."""
    problems = []
    design = spec.design
    if design == "grid":
        if spec.samples is not None:
            problems.append(
                f"samples = {spec.samples}: the grid design takes every combination of the levels; remove samples"
            )
    elif spec.samples is None:
        what = {"lhs": "points", "sobol": "base samples N (a power of 2)", "morris": "trajectories"}[design]
        problems.append(f"samples: required by the {design} design (the number of {what})")
    elif design == "sobol" and spec.samples & (spec.samples - 1):
        lower = 1 << (spec.samples.bit_length() - 1)
        problems.append(
            f"samples = {spec.samples}: the sobol design needs a power of 2 (e.g. {lower} or {lower * 2}), "
            "or the Sobol' sequence loses its balance"
        )
    elif design == "morris" and spec.samples < 2:
        problems.append(f"samples = {spec.samples}: the morris design needs at least 2 trajectories")
    if spec.second_order is not None and design != "sobol":
        problems.append(f"second_order = {spec.second_order}: only for the sobol design (this is {design})")
    if spec.second_order and n_params < 2:
        problems.append("second_order = true: needs at least 2 parameters")
    if spec.morris_levels is not None and design != "morris":
        problems.append(f"morris_levels = {spec.morris_levels}: only for the morris design (this is {design})")
    for i, p in enumerate(spec.parameters):
        if p.steps is not None and design != "grid":
            problems.append(
                f"parameters[{i}] (key = {p.key!r}) steps = {p.steps}: only for the grid design; "
                f"the {design} design samples the whole range"
            )
    return problems


def _parameter(p: ParameterSpec, design: str, where: str, base: Scenario) -> tuple[Parameter | None, list[str]]:
    """Resolve one parameter; ``(None, problems)`` if it is unusable."""
    if p.key in RESERVED_KEYS:
        return None, [f"{where}: cannot be varied in a sweep: {RESERVED_KEYS[p.key]}"]
    if (why := _key_problem(p.key)) is not None:
        return None, [f"{where}: {why}"]
    if (p.levels is None) == (p.range is None):
        return None, [f"{where}: give either levels = [...] or range = [low, high]"]
    allowed = leaf_types(p.key)
    if p.levels is not None:
        if len(set(map(repr, p.levels))) != len(p.levels):
            return None, [f"{where} levels = {p.levels!r}: a level is given twice"]
        if p.steps is not None:
            return None, [f"{where} steps = {p.steps}: steps goes with range, not with levels"]
        problems = [
            f"{where} levels: {msg}" for level in p.levels if (msg := _value_problem(base, p.key, level)) is not None
        ]
        if problems:
            return None, problems
        return Parameter(p.key, "levels", levels=tuple(p.levels), column=_column(p.levels)), []
    low, high = p.range or (0.0, 0.0)
    numeric = [t for t in (float, int) if t in allowed]
    if not numeric:
        return None, [
            f"{where} range = {p.range!r}: {p.key} is not a number ({_describe(allowed)}); use levels = [...]"
        ]
    if not low < high:
        return None, [f"{where} range = {p.range!r}: the low end must be below the high end"]
    kind: Literal["int", "float"] = "float" if float in allowed else "int"
    if kind == "int" and (low != int(low) or high != int(high)):
        return None, [f"{where} range = {p.range!r}: {p.key} is an integer; give whole numbers"]
    problems = [
        f"{where} range = {p.range!r}: {msg}"
        for end in (low, high)
        if (msg := _value_problem(base, p.key, int(end) if kind == "int" else float(end))) is not None
    ]
    if problems:
        return None, problems
    if design == "grid":
        if p.steps is None:
            return None, [
                f"{where} range = {p.range!r}: the grid design needs steps = N (values from low to high), or levels"
            ]
        values = np.linspace(low, high, p.steps)
        if kind == "int":
            ints = sorted({int(v) for v in np.floor(values + 0.5)})
            if len(ints) < p.steps:
                return None, [
                    f"{where} steps = {p.steps}: {p.key} is an integer and range = {p.range!r} holds only "
                    f"{int(high - low) + 1} whole numbers; use steps <= {int(high - low) + 1}"
                ]
            return Parameter(p.key, "levels", levels=tuple(ints), column="int"), []
        return Parameter(p.key, "levels", levels=tuple(float(v) for v in values), column="float"), []
    return Parameter(p.key, kind, low=low, high=high, column=kind), []


def _column(levels: list[Any]) -> Literal["int", "float", "bool", "str"]:
    """The results column type of a list of levels."""
    if all(isinstance(v, bool) for v in levels):
        return "bool"
    if any(isinstance(v, bool | str) for v in levels):
        return "str"
    if all(isinstance(v, int) for v in levels):
        return "int"
    return "float"


def _value_problem(base: Scenario, key: str, value: Any) -> str | None:
    """Why the base scenario with ``key = value`` is not a valid scenario, or ``None``."""
    try:
        sc.with_overrides(base, sc.nest({key: value}))
    except ScenarioError as exc:
        return "; ".join(exc.problems)
    return None


def _check_points(sweep: Sweep, label: str) -> None:
    """Every point of the design must be a valid scenario; report the first few that are not."""
    problems: list[str] = []
    bad = 0
    for point in range(sweep.n_points):
        try:
            sweep.scenario(point)
        except ScenarioError as exc:
            bad += 1
            if len(problems) < 5:
                values = ", ".join(f"{k} = {v!r}" for k, v in sweep.point_values(point).items())
                problems += [f"point {point} ({values}): {p}" for p in exc.problems]
    if bad:
        if bad > 5:
            problems.append(f"... {bad} of {sweep.n_points} points are not valid scenarios; narrow the ranges")
        raise ScenarioError(label, problems)


# ----------------------------------------------------------------------------- schema introspection


def _key_problem(key: str) -> str | None:
    """Why ``key`` is not a scenario value that can be set on its own, or ``None``."""
    try:
        leaf_types(key)
    except KeyError as exc:
        return str(exc.args[0])
    return None


def leaf_types(key: str) -> set[Any]:
    """The Python types (and literal values) a dotted scenario key accepts.

    Raises:
        KeyError: With a readable message if the key is not in the scenario schema, names a
            table rather than a value, or reaches into a list.
    """
    node: Any = Scenario
    parts = key.split(".")
    for i, part in enumerate(parts):
        here = ".".join(parts[:i]) or "the scenario"
        if isinstance(node, type) and issubclass(node, BaseModel):
            fields = node.model_fields
            if part not in fields:
                raise KeyError(
                    f"unknown scenario key {key!r}: {here} has no {part!r}; its keys are: {', '.join(fields)}"
                )
            node = fields[part].annotation
        elif typing.get_origin(node) is dict:
            node = typing.get_args(node)[1]
        elif typing.get_origin(node) is list:
            raise KeyError(f"{key!r}: {here} is a list; replace the whole list in [set] instead of varying an item")
        else:
            raise KeyError(f"unknown scenario key {key!r}: {here} is a single value, it has no {part!r}")
    if (isinstance(node, type) and issubclass(node, BaseModel)) or typing.get_origin(node) in (dict, list):
        keys = list(node.model_fields) if isinstance(node, type) and issubclass(node, BaseModel) else []
        hint = f"; vary one of its keys: {', '.join(keys)}" if keys else "; vary one of its entries"
        raise KeyError(f"{key!r} is a table, not a value{hint}")
    return _flatten_type(node)


def _flatten_type(annotation: Any) -> set[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _flatten_type(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_flatten_type(a) for a in typing.get_args(annotation)))
    if origin is Literal:
        return set(typing.get_args(annotation))
    return {annotation}


def _describe(allowed: set[Any]) -> str:
    names = sorted(a.__name__ if isinstance(a, type) else repr(a) for a in allowed)
    return "it takes " + " or ".join(names)


# ----------------------------------------------------------------------------- messages


def _format_errors(exc: ValidationError, data: dict[str, Any]) -> list[str]:
    """pydantic errors as lines naming the key, the value and what is allowed."""
    grouped: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for err in exc.errors(include_url=False):
        loc = tuple(str(p) for p in err["loc"])
        while loc and (loc[-1] in ("bool", "int", "float", "str") or loc[-1].startswith("literal[")):
            loc = loc[:-1]
        grouped.setdefault(loc, []).append(err)
    lines = []
    for loc, errs in grouped.items():
        key = _key_label(loc, data)
        kind = errs[0]["type"]
        if kind == "missing":
            lines.append(f"{key}: required key is missing")
        elif kind == "extra_forbidden":
            model = ParameterSpec if loc[0] == "parameters" else SweepFile
            lines.append(f"{key}: unknown key; allowed keys are: {', '.join(model.model_fields)}")
        else:
            msgs = list(dict.fromkeys(_message(e) for e in errs))
            lines.append(f"{key} = {sc.lookup(data, loc)!r}: allowed is {' or '.join(msgs)}")
    return lines


def _message(err: dict[str, Any]) -> str:
    ctx = err.get("ctx") or {}
    bounds = {
        "greater_than_equal": f">= {ctx.get('ge')}",
        "less_than_equal": f"<= {ctx.get('le')}",
        "greater_than": f"> {ctx.get('gt')}",
        "less_than": f"< {ctx.get('lt')}",
        "too_short": f"at least {ctx.get('min_length')} items",
        "too_long": f"at most {ctx.get('max_length')} items",
    }
    return bounds.get(err["type"], err["msg"].removeprefix("Input should be "))


def _key_label(loc: tuple[str, ...], data: dict[str, Any]) -> str:
    """``("parameters", "1", "range")`` -> ``parameters[1] (key = 'treatment.beds').range``."""
    if len(loc) >= 2 and loc[0] == "parameters" and loc[1].isdigit():
        param = sc.lookup(data, loc[:2])
        name = f" (key = {param.get('key')!r})" if isinstance(param, dict) and "key" in param else ""
        rest = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in loc[2:])
        return f"parameters[{loc[1]}]{name}{rest}"
    return ".".join(loc) or "(top level)"


