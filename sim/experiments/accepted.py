"""The accepted set of the calibration: the parameter sets that passed its acceptance rule.

``pathways calibrate --search`` writes the points it accepted to
``scenarios/calibration/accepted.parquet`` (:data:`ACCEPTED_PATH`), one row per point:

* ``point``: the point's number in the search design (an integer, unique);
* one column per searched parameter, named by its dotted key (``"treatment.beds"``), holding the
  value the point gives it;
* the point's pattern measures and its implausibility (any other column, not parameters).

The baseline scenario is one of these points (``baseline`` is ``True`` on its row). An ensemble
comparison (``pathways compare ... --ensemble``) runs every scenario on every point, each
scenario's own keys over the point's (:func:`on_point`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim import config as scenarios
from sim.config import Scenario
from sim.experiments.defaults import ACCEPTED_PATH

#: Columns of an accepted-set file that are not parameters.
POINT = "point"
BASELINE = "baseline"


def read_accepted(path: Path | str = ACCEPTED_PATH) -> pd.DataFrame:
    """The accepted set as a frame, ordered by ``point``.

    Raises:
        scenarios.ScenarioError: The file is missing, unreadable or has no ``point`` column or no
            parameter column.
    """
    path = Path(path)
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise scenarios.ScenarioError(str(path), [f"cannot read the accepted set: {exc}"]) from None
    problems = []
    if POINT not in frame.columns:
        problems.append("column 'point' is missing")
    if not parameter_keys(frame):
        problems.append("no parameter column (dotted keys such as 'treatment.beds')")
    if problems:
        raise scenarios.ScenarioError(str(path), problems)
    return frame.sort_values(POINT, kind="stable").reset_index(drop=True)


def parameter_keys(frame: pd.DataFrame) -> list[str]:
    """The parameter columns of an accepted set: the dotted keys, in file order."""
    return [c for c in frame.columns if "." in c]


def points(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Each row's parameter values by dotted key (plain Python numbers), in row order."""
    keys = parameter_keys(frame)
    return [{k: _plain(row[k]) for k in keys} for _, row in frame.iterrows()]


def own_keys(scenario: Scenario, base: Scenario | None = None) -> dict[str, Any]:
    """The keys a scenario sets differently from the shipped baseline (nested, as in a scenario
    file; the ``units`` tables as a whole), without ``name``, ``description`` and ``seed``."""
    base = scenarios.load("baseline") if base is None else base
    diff = _diff(scenario.to_dict(), base.to_dict())
    for key in ("name", "description", "seed"):
        diff.pop(key, None)
    return diff


def overridden(scenario: Scenario, keys: Sequence[str], base: Scenario | None = None) -> list[str]:
    """Which of the dotted ``keys`` (calibrated parameters) the scenario sets itself."""
    own = own_keys(scenario, base)
    out = []
    for key in keys:
        node: Any = own
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                break
            node = node[part]
        else:
            out.append(key)
    return out


def on_point(scenario: Scenario, point: Mapping[str, Any], base: Scenario | None = None) -> Scenario:
    """``scenario`` at a calibrated point: the shipped baseline with the point's values, then the
    scenario's own keys (:func:`own_keys`) over them, with the scenario's name, seed and run.

    Args:
        scenario: A scenario (usually one that extends the baseline).
        point: Parameter values by dotted key (a row of :func:`points`).
        base: The baseline to diff against (default: the shipped ``baseline``).
    """
    base = scenarios.load("baseline") if base is None else base
    at_point = scenarios.with_overrides(base, scenarios.nest(dict(point)))
    own = own_keys(scenario, base)
    own.update({"name": scenario.name, "description": scenario.description, "seed": scenario.seed})
    own["run"] = scenario.run.model_dump() if hasattr(scenario.run, "model_dump") else own.get("run", {})
    return scenarios.with_overrides(at_point, own)


def _diff(new: Mapping[str, Any], old: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of ``new`` whose values differ from ``old`` (nested tables compared key by key;
    the ``units`` table as a whole)."""
    out: dict[str, Any] = {}
    for key, value in new.items():
        if isinstance(value, Mapping) and isinstance(old.get(key), Mapping) and key != "units":
            sub = _diff(value, old[key])
            if sub:
                out[key] = sub
        elif old.get(key) != value:
            out[key] = value
    return out


def _plain(value: Any) -> Any:
    """numpy scalars as plain Python numbers."""
    return value.item() if hasattr(value, "item") else value
