"""A run's output folder: ``summary.json`` (with the stationarity verdict), the run in plain
words (``summary.txt``), the resolved scenario and the Parquet tables."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.experiments.replications import RunResult
from sim.files import replace_folder
from sim.measures.stationarity import STATIONARITY_KEY, summary_with_stationarity
from sim.reports.text import run_in_words


def stationarity_line(summary: dict[str, Any]) -> str:
    """The verdict of a run's summary as one plain line (``Stationarity: settled (...)``)."""
    return summary_with_stationarity(summary)[STATIONARITY_KEY]["line"]


def summary_json(result: RunResult) -> str:
    """``summary.json`` text (the summary carries its stationarity verdict): deterministic for a
    given scenario and seed (no timestamps)."""
    return json.dumps(result.summary, indent=2, ensure_ascii=False) + "\n"


def summary_text(result: RunResult, lang: str = "en") -> str:
    """``summary.txt``: the run in three or four plain sentences and its stationarity verdict."""
    return "\n\n".join([*run_in_words(result.summary, lang), stationarity_line(result.summary)]) + "\n"


def write_run(result: RunResult, out: Path, extra: Callable[[Path], None] | None = None, lang: str = "en") -> Path:
    """Write every output of a run to ``out`` (replacing what was there).

    Args:
        result: The run.
        out: Target folder.
        extra: Called with the staging folder to add more files (figures).
        lang: The language of ``summary.txt``: ``"en"`` or ``"nb"``.

    Returns:
        The folder written.
    """
    with replace_folder(out) as staging:
        (staging / "summary.json").write_text(summary_json(result), encoding="utf-8")
        (staging / "summary.txt").write_text(summary_text(result, lang), encoding="utf-8")
        (staging / "scenario.resolved.toml").write_text(result.scenario.to_toml(), encoding="utf-8")
        result.replications.to_parquet(staging / "replications.parquet", index=False)
        result.spells.to_parquet(staging / "spells.parquet", index=False)
        result.states.to_parquet(staging / "states.parquet", index=False)
        if result.yearly is not None:
            result.yearly.to_csv(staging / "yearly.csv", index=False)
        if extra is not None:
            extra(staging)
    return Path(out).resolve()
