"""Choose the warm-up by a published rule: MSER-5 on the baseline's daily series.

Runs a scenario (default the baseline, 30 years, 10 replications) with a sample every day and
no warm-up, averages three daily series over the replications (people in NAV temporary housing,
the municipal housing waiting list, the treatment queue) and applies MSER-5 to each
(``sim.measures.stationarity.mser5``: White 1997; Franklin & White 2008). Prints one row per
series (truncation point in days, mean after truncation) and the recommended warm-up: the
largest truncation point, rounded up to whole months. ``docs/warmup.md`` explains the rule.

Usage::

    .venv/bin/python scripts/warmup.py                        # 30 years, 10 replications
    .venv/bin/python scripts/warmup.py --years 12 --replications 4 --workers 2
    .venv/bin/python scripts/warmup.py --write                # also rewrite the results in docs/warmup.md

``--write`` replaces what lies between ``<!-- warmup:start -->`` and ``<!-- warmup:end -->`` in
``docs/warmup.md`` with the measured table, the command and the date; nothing else in the file
changes. The script does not change ``scenarios/baseline.toml``: set ``run.warmup_days`` there by hand.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a file: make ``sim`` importable without installing
    sys.path.insert(0, str(REPO))

from sim import config as scenarios
from sim.config import DAYS_PER_YEAR
from sim.experiments.calibration import fingerprint
from sim.experiments.replications import run_scenario
from sim.measures.stationarity import MSER_BATCH, mser5

DOC = REPO / "docs" / "warmup.md"
START, END = "<!-- warmup:start -->", "<!-- warmup:end -->"
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
#: The series MSER-5 is applied to: column of the samples -> what it is.
SERIES = {
    "n_temporary": "people in NAV temporary housing",
    "waitlist": "applications on the municipal housing waiting list",
    "treatment_queue": "people waiting for inpatient treatment",
}


@dataclass(frozen=True)
class Row:
    """MSER-5 applied to one series."""

    column: str
    truncation_days: float
    mean_after: float
    mean_all: float
    at_boundary: bool


def averaged_series(states: pd.DataFrame) -> pd.DataFrame:
    """Each sample's mean over the replications, by day (the rows in time order)."""
    return states.groupby("day", sort=True)[list(SERIES)].mean()


def apply_mser5(series: pd.DataFrame) -> list[Row]:
    """MSER-5 on every column of the replication-averaged series; truncation as the day of the
    first observation kept."""
    days = series.index.to_numpy(dtype=float)
    rows = []
    for column in SERIES:
        y = series[column].to_numpy(dtype=float)
        cut = mser5(y)
        rows.append(Row(column, float(days[cut.observations] - days[0]), float(y[cut.observations :].mean()),
                        float(y.mean()), cut.at_boundary))
    return rows


def recommended_months(rows: list[Row]) -> int:
    """The largest truncation point, rounded up to whole months."""
    return math.ceil(max(r.truncation_days for r in rows) / DAYS_PER_MONTH - 1e-9)


def table_lines(rows: list[Row]) -> list[str]:
    """The results as a Markdown table (also what the console shows)."""
    lines = [
        "| series | what it counts | truncation point (days) | mean after truncation | mean of the whole run |",
        "|---|---|---:|---:|---:|",
    ]
    for r in rows:
        flag = " (at the end of the search: not settled?)" if r.at_boundary else ""
        lines.append(f"| `{r.column}` | {SERIES[r.column]} | {r.truncation_days:.0f}{flag} | {r.mean_after:.1f} | "
                     f"{r.mean_all:.1f} |")
    return lines


def results_section(
    rows: list[Row], months: int, scenario: scenarios.Scenario, as_file: scenarios.Scenario, command: str, seconds: float
) -> str:
    """The text that goes between the markers of ``docs/warmup.md``.

    Args:
        rows: MSER-5 on each series.
        months: The recommended warm-up.
        scenario: The scenario as run (warm-up 0, daily samples).
        as_file: The scenario as its file says (its fingerprint and warm-up are reported).
        command: The command line that measured it.
        seconds: How long the runs took.
    """
    days = math.ceil(months * DAYS_PER_MONTH)
    boundary = [r.column for r in rows if r.at_boundary]
    lines = [
        START,
        "",
        (
            f"Measured on {dt.date.today().isoformat()} with `{command}` ({seconds:.0f} s): scenario "
            f"`{scenario.name}` (parameter fingerprint `{fingerprint(as_file)}` as `pathways calibrate` computes it; run "
            f"with `run.warmup_days = 0` and a sample every day), {scenario.run.replications} "
            f"replications of {scenario.run.years:g} years, seed {scenario.seed}; MSER-5 on each series "
            f"averaged over the replications (batches of {MSER_BATCH} days, d searched over the first half)."
        ),
        "",
        *table_lines(rows),
        "",
        (
            f"**Recommended warm-up: {months} months ({days} days)**, the largest truncation point rounded "
            f"up to whole months. The scenario file has `run.warmup_days = "
            f"{as_file.run.warmup_days:g}`."
        ),
    ]
    if boundary:
        columns = ", ".join(f"`{c}`" for c in boundary)
        lines += ["", (f"Warning: for {columns} the minimum is at the end of the search (half the run): "
                       "the series may not have settled; run longer before trusting it.")]
    lines += ["", END]
    return "\n".join(lines)


def write_doc(section: str, path: Path = DOC) -> None:
    """Replace the part of ``path`` from the line ``<!-- warmup:start -->`` to the line
    ``<!-- warmup:end -->`` (both included; each alone on its line, so a mention of them in the
    text does not count) with ``section``."""
    text = path.read_text(encoding="utf-8")
    start = re.search(rf"^{re.escape(START)}[ \t]*$", text, flags=re.MULTILINE)
    end = re.search(rf"^{re.escape(END)}[ \t]*$", text, flags=re.MULTILINE)
    if start is None or end is None or end.start() < start.start():
        raise SystemExit(f"{path}: the lines {START} and {END} are missing or out of order")
    path.write_text(text[: start.start()] + section + text[end.end() :], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="baseline", help="a scenario name or file (default: baseline)")
    parser.add_argument("--years", type=float, default=30.0, help="years to simulate (default: 30)")
    parser.add_argument("--replications", type=int, default=10, help="replications (default: 10)")
    parser.add_argument("--seed", type=int, default=None, help="seed (default: the scenario's)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: the number of cores)")
    parser.add_argument("--write", action="store_true", help=f"rewrite the results section of {DOC.relative_to(REPO)}")
    args = parser.parse_args(argv)
    if args.years <= 0 or args.replications < 1:
        parser.error("--years must be positive and --replications at least 1")

    overrides: dict = {"run": {"years": args.years, "replications": args.replications, "warmup_days": 0.0,
                               "sample_every_days": 1.0}}
    if args.seed is not None:
        overrides["seed"] = args.seed
    try:
        scenario = scenarios.load(args.scenario, overrides=overrides)
        as_file = scenarios.load(args.scenario)
    except scenarios.ScenarioError as exc:
        print(exc, file=sys.stderr)
        return 2
    started = dt.datetime.now()
    result = run_scenario(scenario, workers=args.workers, progress=sys.stderr.isatty())
    seconds = (dt.datetime.now() - started).total_seconds()
    series = averaged_series(result.states)
    if len(series) < 2 * MSER_BATCH:
        print(f"too few samples ({len(series)}) for MSER-5: run longer", file=sys.stderr)
        return 2
    rows = apply_mser5(series)
    months = recommended_months(rows)

    print(f"{scenario.name}: {scenario.run.replications} replications of {scenario.run.years:g} years, "
          f"seed {scenario.seed}, MSER-5 on the replication-averaged daily series ({seconds:.0f} s)")
    for line in table_lines(rows):
        print(line)
    print(f"Recommended warm-up: {months} months ({math.ceil(months * DAYS_PER_MONTH)} days); "
          f"the largest truncation point, {max(r.truncation_days for r in rows):.0f} days, rounded up to whole months.")
    if any(r.at_boundary for r in rows):
        print("Warning: a series has its minimum at the end of the search; it may not have settled.")
    if args.write:
        command = "python scripts/warmup.py " + shlex.join(argv if argv is not None else sys.argv[1:])
        write_doc(results_section(rows, months, scenario, as_file, command.strip(), seconds))
        print(f"Wrote the results into {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

