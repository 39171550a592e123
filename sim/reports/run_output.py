"""A run's output folder: ``summary.json`` (with the stationarity verdict), the resolved scenario
and the Parquet tables."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.experiments.replications import RunResult
from sim.files import replace_folder
from sim.measures.stationarity import STATIONARITY_KEY, summary_with_stationarity


def stationarity_line(summary: dict[str, Any]) -> str:
    """The verdict of a run's summary as one plain line (``Stationarity: settled (...)``)."""
    return summary_with_stationarity(summary)[STATIONARITY_KEY]["line"]


def summary_json(result: RunResult) -> str:
    """``summary.json`` text (the summary carries its stationarity verdict): deterministic for a
    given scenario and seed (no timestamps)."""
    return json.dumps(result.summary, indent=2, ensure_ascii=False) + "\n"


def write_run(result: RunResult, out: Path, extra: Callable[[Path], None] | None = None) -> Path:
    """Write every output of a run to ``out`` (replacing what was there).

    Args:
        result: The run.
        out: Target folder.
        extra: Called with the staging folder to add more files (figures).

    Returns:
        The folder written.
    """
    with replace_folder(out) as staging:
        (staging / "summary.json").write_text(summary_json(result), encoding="utf-8")
        (staging / "scenario.resolved.toml").write_text(result.scenario.to_toml(), encoding="utf-8")
        result.replications.to_parquet(staging / "replications.parquet", index=False)
        result.spells.to_parquet(staging / "spells.parquet", index=False)
        result.states.to_parquet(staging / "states.parquet", index=False)
        if result.yearly is not None:
            result.yearly.to_csv(staging / "yearly.csv", index=False)
        if extra is not None:
            extra(staging)
    return Path(out).resolve()
