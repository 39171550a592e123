"""Sweep files: reading and checking them, and resolving them into a :class:`~sim.experiments.designs.Sweep`.

A sweep file is TOML (see ``docs/experiments.md`` and ``scenarios/sweeps/``)::

    base = "baseline"                # a shipped scenario's name, or a path relative to this file
    design = "sobol"                 # "grid", "lhs", "sobol" or "morris"
    samples = 64                     # lhs: points; sobol: base samples N (a power of 2); morris: trajectories
    replications = 2                 # replications per point
    metrics = ["temp_spells_over_90d_share"]

    [set]                            # fixed overrides for every point (dotted keys as in --set)
    "run.years" = 6

    [[parameters]]
    key = "choice.max_declines"
    range = [0, 4]                   # or levels = [0, 1, 2, "unlimited"]

It is checked like a scenario file: pydantic, unknown keys refused, and every problem reported as
one :class:`~sim.config.ScenarioError` line naming the file, the key, the value and what is
allowed. Every point of the design is then checked as a scenario. What a loaded sweep is (its
parameters, design, points and seeds) is in :mod:`sim.experiments.designs`.

Integer parameters (``treatment.beds``, unit counts, ``choice.max_declines``) are rounded to the
nearest integer; a ``range = [lo, hi]`` of an integer parameter is sampled on
``[lo - 0.5, hi + 0.5]`` so that each integer from ``lo`` to ``hi`` is equally likely.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from sim import config as sc
from sim.config import Scenario, ScenarioError, StrictModel
from sim.experiments.designs import DEFAULT_MORRIS_LEVELS, Design, Parameter, Sweep

# Keys a sweep may not vary or fix in ``set``, with where they belong instead.
RESERVED_KEYS = {
    "seed": "the sweep's own `seed = N` sets the seeds",
    "name": "the sweep's `name` names the results",
    "description": "the sweep's `description` describes it",
    "run.replications": "each run is one replication; set `replications = N` at the top of the sweep file",
}
#: A design's invalid points are listed until this many problems are shown; further ones are only counted.
SHOWN_BAD_POINTS = 5


class ParameterSpec(StrictModel):
    """One varied parameter, as written in the file."""

    key: str = Field(min_length=1)
    levels: list[bool | int | float | str] | None = Field(default=None, min_length=2)
    range: list[float] | None = Field(default=None, min_length=2, max_length=2)
    steps: int | None = Field(default=None, ge=2)


class SweepFile(StrictModel):
    """A whole sweep file, as written."""

    name: str | None = Field(default=None, min_length=1)
    description: str = ""
    base: str
    design: Design
    samples: int | None = Field(default=None, ge=1)
    replications: int = Field(ge=1, le=10_000)
    seed: int | None = Field(default=None, ge=0, lt=2**63)
    metrics: list[str] | None = Field(default=None, min_length=1)
    common_random_numbers: bool = True
    second_order: bool | None = None
    morris_levels: int | None = Field(default=None, ge=2)
    set: dict[str, Any] = Field(default_factory=dict)
    parameters: list[ParameterSpec] = Field(min_length=1)


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
                (
                    f"base = {spec.base!r}: no such scenario file or shipped scenario; "
                    f"shipped: {', '.join(sc.scenario_names())}"
                )
            ],
        ) from None
    base = sc.load(base_path)  # a broken base scenario reports its own file

    fixed = sc.flatten(spec.set)
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
                    (
                        f"{where} steps = {p.steps}: {p.key} is an integer and range = {p.range!r} holds only "
                        f"{int(high - low) + 1} whole numbers; use steps <= {int(high - low) + 1}"
                    )
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
    """Every point of the design must be a valid scenario; report the first few that are not.

    Raises:
        ScenarioError: Naming the first invalid points and their problems.
    """
    problems: list[str] = []
    bad = 0
    for point in range(sweep.n_points):
        try:
            sweep.scenario(point)
        except ScenarioError as exc:
            bad += 1
            if len(problems) < SHOWN_BAD_POINTS:
                values = ", ".join(f"{k} = {v!r}" for k, v in sweep.point_values(point).items())
                problems += [f"point {point} ({values}): {p}" for p in exc.problems]
    if bad:
        if bad > SHOWN_BAD_POINTS:
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
            table rather than a value, or names a list's entry by anything but its position
            (``stock.additions.0.count`` is the first addition's count).
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
            if not part.isdigit():
                raise KeyError(
                    f"{key!r}: {here} is a list; name an entry by its position from 0 (e.g. {here}.0.{part})"
                )
            node = typing.get_args(node)[0]  # an entry; whether the base has it is checked with the values
        else:
            raise KeyError(f"unknown scenario key {key!r}: {here} is a single value, it has no {part!r}")
    if (isinstance(node, type) and issubclass(node, BaseModel)) or typing.get_origin(node) in (dict, list):
        keys = list(node.model_fields) if isinstance(node, type) and issubclass(node, BaseModel) else []
        hint = f"; vary one of its keys: {', '.join(keys)}" if keys else "; vary one of its entries"
        raise KeyError(f"{key!r} is a table, not a value{hint}")
    return _flatten_type(node)


def _flatten_type(annotation: Any) -> set[Any]:
    """The types and literal values a type annotation allows, with ``Annotated`` and unions unpacked."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _flatten_type(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_flatten_type(a) for a in typing.get_args(annotation)))
    if origin is Literal:
        return set(typing.get_args(annotation))
    return {annotation}


def _describe(allowed: set[Any]) -> str:
    """``it takes float or int``: what :func:`leaf_types` found, for a message."""
    names = sorted(a.__name__ if isinstance(a, type) else repr(a) for a in allowed)
    return "it takes " + " or ".join(names)


# ----------------------------------------------------------------------------- messages


def _format_errors(exc: ValidationError, data: dict[str, Any]) -> list[str]:
    """pydantic errors as lines naming the key, the value and what is allowed.

    Not the scenario's formatter (:mod:`sim.config.loading`): a sweep file's lines name a
    parameter by its index and key (``parameters[1] (key = 'treatment.beds').range``), list the
    allowed keys after an unknown one, and give list lengths; the bounds are worded alike
    (:func:`sim.config.bound_text`).
    """
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
    """What one pydantic error allows, in a few words (``>= 1``, ``at least 2 items``)."""
    ctx = err.get("ctx") or {}
    lengths = {
        "too_short": f"at least {ctx.get('min_length')} items",
        "too_long": f"at most {ctx.get('max_length')} items",
    }
    bound = sc.bound_text(err) or lengths.get(err["type"])
    return bound if bound is not None else err["msg"].removeprefix("Input should be ")


def _key_label(loc: tuple[str, ...], data: dict[str, Any]) -> str:
    """``("parameters", "1", "range")`` -> ``parameters[1] (key = 'treatment.beds').range``."""
    if len(loc) >= 2 and loc[0] == "parameters" and loc[1].isdigit():
        param = sc.lookup(data, loc[:2])
        name = f" (key = {param.get('key')!r})" if isinstance(param, dict) and "key" in param else ""
        rest = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in loc[2:])
        return f"parameters[{loc[1]}]{name}{rest}"
    return ".".join(loc) or "(top level)"
