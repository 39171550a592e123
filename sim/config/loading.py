"""Loading scenario files: ``extends``, ``--set`` overrides, dotted keys and error messages.

A scenario is a TOML file in ``scenarios/`` (or anywhere on disk). It is validated with
pydantic (:mod:`sim.config.schema`) on load; every problem is collected and reported as one
:class:`ScenarioError` whose lines name the file, the dotted key, the value and what is allowed.
"""

from __future__ import annotations

import copy
import difflib
import functools
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.config.schema import NEED_LEVELS, Scenario, ScenarioError
from sim.config.units import DAYS_PER_YEAR

SCENARIO_DIR = Path(__file__).resolve().parent.parent.parent / "scenarios"


def scenario_names() -> list[str]:
    """Names of the scenarios shipped in ``scenarios/``."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def resolve_path(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """Find a scenario file from a path or a shipped scenario's name."""
    text = str(name_or_path)
    candidates = [Path(text)]
    if relative_to is not None:
        candidates.insert(0, relative_to / text)
    if not text.endswith(".toml"):
        candidates.append(SCENARIO_DIR / f"{text}.toml")
    candidates.append(SCENARIO_DIR / text)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    names = ", ".join(scenario_names())
    close = difflib.get_close_matches(Path(text).stem, scenario_names(), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ScenarioError(
        text,
        [f"no scenario file or shipped scenario of that name; {hint}shipped scenarios: {names}"],
    )


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning every reading problem into a :class:`ScenarioError` naming the file."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), [f"not valid TOML: {exc}"]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(str(path), [f"not UTF-8 text (byte {exc.start}); save the file as UTF-8"]) from None
    except OSError as exc:
        raise ScenarioError(str(path), [f"cannot be read: {exc.strerror}"]) from None


def _merge(base: dict[str, Any], override: dict[str, Any], where: str = "") -> dict[str, Any]:
    """Deep-merge tables; any other value (arrays included) is replaced whole, except that a
    table whose keys are list positions (``{"0": {...}}``, from a dotted key such as
    ``stock.additions.0.count``) is merged into those entries of the list.

    Raises:
        ScenarioError: A list position that the list does not have.
    """
    out = copy.deepcopy(base)
    for key, value in override.items():
        here = f"{where}{key}"
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, here + ".")
        elif isinstance(value, dict) and isinstance(out.get(key), list) and value and all(k.isdigit() for k in value):
            entries = out[key]
            for index, entry in value.items():
                i = int(index)
                if i >= len(entries):
                    raise ScenarioError(
                        f"{here}.{index}",
                        [f"{here} has {len(entries)} entries, numbered from 0; there is no entry {i}"],
                    )
                if isinstance(entry, dict) and isinstance(entries[i], dict):
                    entries[i] = _merge(entries[i], entry, f"{here}.{index}.")
                else:
                    entries[i] = copy.deepcopy(entry)
        elif isinstance(value, dict) and key not in out and value and all(k.isdigit() for k in value):
            raise ScenarioError(here, [f"{here} has no entries; there is no entry {min(int(k) for k in value)}"])
        else:
            out[key] = copy.deepcopy(value)
    return out


def _load_raw(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a file and everything it ``extends``, merged, child over parent."""
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError(str(path), [f"extends: circular chain {cycle}"])
    data = read_toml(path)
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        return data
    if not isinstance(parent_ref, str):
        raise ScenarioError(
            str(path), [f"extends = {parent_ref!r}: must be a file name such as 'baseline.toml'"]
        )
    try:
        parent_path = resolve_path(parent_ref, relative_to=path.parent)
    except ScenarioError:
        raise ScenarioError(
            str(path),
            [f"extends = {parent_ref!r}: no such scenario; shipped: {', '.join(scenario_names())}"],
        ) from None
    return _merge(_load_raw(parent_path, (*chain, path)), data)


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` -> ``{"a": {"b": 1}}``: dotted keys as a nested override table."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"run": {"years": 6}, "a.b": 1}`` -> ``{"run.years": 6, "a.b": 1}``: the inverse of :func:`nest`.

    Args:
        table: A nested table; its keys may already be dotted.
        prefix: Put in front of every key (used for the tables inside ``table``).

    Returns:
        One entry per value that is not a table, under its dotted key.
    """
    out: dict[str, Any] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, full + "."))
        else:
            out[full] = value
    return out


def parse_set(assignments: list[str]) -> dict[str, Any]:
    """Turn ``["a.b=1", "c=fcfs"]`` into a nested override table.

    The value is read as a TOML value (``1``, ``0.5``, ``true``, ``"x"``, ``[1, 2]``); a bare
    word that is not TOML is taken as a string, so ``--set housing_office.rule=best_fit`` works.
    """
    out: dict[str, Any] = {}
    problems = []
    for item in assignments:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key or any(not part for part in key.split(".")):
            problems.append(f"{item!r}: expected KEY=VALUE with a dotted KEY, e.g. choice.max_declines=1")
            continue
        try:
            value = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                problems.append(f"{item!r}: {part} is set twice as a value and a table")
                break
        else:
            node[parts[-1]] = value
    if problems:
        raise ScenarioError("--set", problems)
    return out


def bound_text(err: dict[str, Any]) -> str | None:
    """The bound a pydantic range error names (``>= 1``, ``< 365``), or ``None`` for any other error."""
    ctx = err.get("ctx") or {}
    bounds = {
        "greater_than_equal": ("ge", ">="),
        "less_than_equal": ("le", "<="),
        "greater_than": ("gt", ">"),
        "less_than": ("lt", "<"),
    }
    if err["type"] not in bounds:
        return None
    name, sign = bounds[err["type"]]
    return f"{sign} {ctx.get(name)}"


#: Keys that were renamed, with what replaced them (an old scenario file gets told, not just "unknown").
RENAMED: dict[str, str] = {
    "choice.decline_multiplier_in_temporary": (
        "renamed to choice.decline_odds_ratio_in_temporary, an odds ratio: the old factor multiplied the "
        "probability and was capped at 1 (docs/ODD.md, 7.9)"
    ),
}


@functools.cache
def _baseline_keys() -> tuple[str, ...]:
    """Every dotted key of the shipped baseline (and the sections above them), for "did you mean"."""
    keys = set()
    for key in flatten(read_toml(SCENARIO_DIR / "baseline.toml")):
        parts = key.split(".")
        keys.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return tuple(sorted(keys))


def _close_keys(key: str) -> list[str]:
    """Keys of the baseline at the same level as ``key`` that are spelt almost like it (difflib)."""
    parent, _, name = key.rpartition(".")
    level = key.count(".")
    siblings = {k.rpartition(".")[2]: k for k in _baseline_keys() if k.count(".") == level and k.rpartition(".")[0] == parent}
    return [siblings[c] for c in difflib.get_close_matches(name, list(siblings), n=2, cutoff=0.75)]


def _describe_allowed(err: dict[str, Any]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        key = ".".join(str(p) for p in err["loc"])
        if key in RENAMED:
            return f"unknown key: {RENAMED[key]}"
        close = _close_keys(key)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        return f"unknown key ({hint}check the spelling; see scenarios/baseline.toml for every key)"
    if kind == "missing":
        return "required key is missing"
    bound = bound_text(err)
    if bound is not None:
        return f"out of range: allowed is {bound}"
    return err["msg"]


#: From this many missing required keys on, they are reported as one line with a hint about
#: ``extends`` rather than one line each.
MANY_MISSING = 5


def _format_validation(exc: ValidationError, data: dict[str, Any]) -> list[str]:
    by_key: dict[str, list[dict[str, Any]]] = {}
    locs: dict[str, list[str]] = {}
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        # A union (e.g. ``int | "unlimited"``) reports one error per branch, tagged with the
        # branch's name as the last element of the location; they are merged into one line.
        if loc and (loc[-1] in ("int", "bool", "float", "str", "constrained-int") or loc[-1].startswith("literal[")):
            loc = loc[:-1]
        key = ".".join(loc) or "(top level)"
        by_key.setdefault(key, []).append(err)
        locs[key] = loc
    lines = []
    missing = [key for key, errs in by_key.items() if errs[0]["type"] == "missing"]
    if len(missing) >= MANY_MISSING:
        # Most likely a file meant to change a few keys of the baseline without ``extends``.
        lines.append(
            f"{len(missing)} required keys are missing ({', '.join(missing[:3])}, ...): a scenario that "
            'changes a few keys of another starts with extends = "baseline.toml"; a file without extends '
            "gives every key (scenarios/baseline.toml has them all)"
        )
    for key, errs in by_key.items():
        if errs[0]["type"] == "missing":
            if len(missing) < MANY_MISSING:
                lines.append(f"{key}: required key is missing")
            continue
        allowed = [_describe_allowed(e) for e in errs]
        if len(allowed) > 1:
            text = "allowed is " + " or ".join(
                a.removeprefix("Input should be ").removeprefix("out of range: allowed is ") for a in allowed
            )
        else:
            text = allowed[0]
        lines.append(f"{key} = {lookup(data, locs[key])!r}: {text}")
    return lines


def lookup(data: Any, loc: list[str] | tuple[str, ...]) -> Any:
    """The value at a pydantic error location in raw data (``None`` if there is none)."""
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _cross_check(s: Scenario) -> list[str]:
    """Checks that span sections: zone names, shares that must sum to one, the warm-up, the size of a run."""
    problems = []
    zones = set(s.zones.names)
    if len(zones) != len(s.zones.names):
        problems.append(f"zones.names = {s.zones.names!r}: zone names must be unique")
    for field in ("preferred_zone_weights", "network_zone_weights"):
        weights = getattr(s.population, field)
        for zone, w in weights.items():
            if zone not in zones:
                problems.append(f"population.{field}.{zone}: unknown zone; zones are {sorted(zones)}")
            if w < 0:
                problems.append(f"population.{field}.{zone} = {w!r}: weights must be >= 0")
        if sum(weights.values()) <= 0:
            problems.append(f"population.{field} = {weights!r}: at least one weight must be > 0")
    shares = s.population.need_shares
    if set(shares) != set(NEED_LEVELS):
        problems.append(f"population.need_shares = {shares!r}: give a share for each of {list(NEED_LEVELS)}")
    elif any(v < 0 for v in shares.values()) or abs(sum(shares.values()) - 1.0) > 1e-6:
        problems.append(f"population.need_shares = {shares!r}: shares must be >= 0 and sum to 1")
    comp = s.population.competence_mean
    if set(comp) != set(NEED_LEVELS):
        problems.append(f"population.competence_mean = {comp!r}: give a value for each of {list(NEED_LEVELS)}")
    for level, v in comp.items():
        if not 0 <= v <= 1:
            problems.append(f"population.competence_mean.{level} = {v!r}: allowed is 0 to 1")
    if s.run.warmup_days >= s.total_days:
        problems.append(
            f"run.warmup_days = {s.run.warmup_days!r}: must be shorter than the run "
            f"({s.total_days:g} days = run.years * {DAYS_PER_YEAR:g})"
        )
    for tname, t in s.stock.types.items():
        for zone in t.units:
            if zone not in zones:
                problems.append(f"stock.types.{tname}.units.{zone}: unknown zone; zones are {sorted(zones)}")
    for i, add in enumerate(s.stock.additions):
        if add.day >= s.total_days:
            problems.append(
                f"stock.additions.{i}.day = {add.day!r}: after the end of the run ({s.total_days:g} days = "
                f"run.years * {DAYS_PER_YEAR:g}); the units would never be added: choose an earlier day or a longer run"
            )
        if add.type not in s.stock.types:
            problems.append(
                f"stock.additions.{i}.type = {add.type!r}: unknown unit type; types are {sorted(s.stock.types)}"
            )
        if add.zone not in zones:
            problems.append(f"stock.additions.{i}.zone = {add.zone!r}: unknown zone; zones are {sorted(zones)}")
    priced = s.costs.unit_nok_per_year
    for tname in s.stock.types:
        if tname not in priced:
            problems.append(
                f"costs.unit_nok_per_year: no price for unit type {tname!r}; priced types are {sorted(priced)} "
                f"(add {tname} = <NOK per unit-year>)"
            )
    problems += _size_check(s)
    return problems


#: People one replication may take in (day-0 population, day-0 tenants and expected arrivals): a
#: replication keeps its records in memory, about 1 KB per person who entered, so a million
#: people is about 1 GB per worker. The baseline takes in about 1,000.
MAX_PEOPLE_PER_RUN = 1_000_000
#: Municipal units in one run (day-0 stock and additions).
MAX_UNITS = 1_000_000
#: Allocation meetings, or samples of the counts, in one run.
MAX_RECURRING = 1_000_000


def _size_check(s: Scenario) -> list[str]:
    """Whether one replication fits in memory and time: people, units, meetings and samples."""
    problems = []
    day0_units = sum(n for t in s.stock.types.values() for n in t.units.values())
    units = day0_units + sum(add.count for add in s.stock.additions)
    if units > MAX_UNITS:
        problems.append(
            f"stock: {units:,} units in all (stock.types.*.units and stock.additions); allowed is at most "
            f"{MAX_UNITS:,} in one run"
        )
    init, inflow = s.initial, s.inflow
    people = (
        init.in_treatment + init.in_prison + init.in_temporary + init.on_street + init.in_private
        + init.housed_share * day0_units
        + (inflow.treatment_referrals_per_year + inflow.prison_releases_per_year + inflow.nav_homeless_per_year)
        * s.run.years
    )  # fmt: skip
    if people > MAX_PEOPLE_PER_RUN:
        problems.append(
            f"inflow: about {people:,.0f} people would enter one replication (the initial population plus "
            f"inflow.*_per_year x run.years = {s.run.years:g}); allowed is at most {MAX_PEOPLE_PER_RUN:,}: "
            "lower the inflow or run.years"
        )
    for key, interval in (
        ("housing_office.meeting_interval_days", s.housing_office.meeting_interval_days),
        ("run.sample_every_days", s.run.sample_every_days),
    ):
        if s.total_days / interval > MAX_RECURRING:
            problems.append(
                f"{key} = {interval!r}: {s.total_days / interval:,.0f} in a run of {s.total_days:g} days; allowed "
                f"is at most {MAX_RECURRING:,} (an interval of at least {s.total_days / MAX_RECURRING:.3g} days)"
            )
    return problems


def validate(data: dict[str, Any], source: str) -> Scenario:
    """Validate raw scenario data, raising one :class:`ScenarioError` with every problem."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, _format_validation(exc, data)) from None
    problems = _cross_check(scenario)
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def load(
    name_or_path: str | Path,
    overrides: dict[str, Any] | None = None,
    set_args: list[str] | None = None,
) -> Scenario:
    """Load, merge and validate a scenario.

    Args:
        name_or_path: A path to a TOML file, or the name of a file in ``scenarios/``.
        overrides: A nested table merged over the file (the Python API's ``--set``).
        set_args: ``KEY=VALUE`` strings as given to ``--set``.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: With one line per problem, naming the file, key, value and what is allowed.
    """
    path = resolve_path(name_or_path)
    data = _load_raw(path)
    source = str(path)
    if overrides:
        data = _merge(data, overrides)
        source += " (with overrides)"
    if set_args:
        data = _merge(data, parse_set(set_args))
        source += " (with --set " + " ".join(set_args) + ")"
    return validate(data, source)


def with_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """A copy of ``scenario`` with a nested override table merged in and re-validated."""
    return validate(_merge(scenario.to_dict(), overrides), f"{scenario.name} (with overrides)")
