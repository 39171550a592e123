"""The full model on two trees of this project, alternately: before and after a change, side by side.

On a shared machine the speed of the processor changes from one minute to the next, so two
benchmark runs taken one after the other do not compare. This runs the same baseline
replications (build, run, records; no metrics) on each tree in turn, each round in a fresh
process per tree, and prints one row per round.

Usage (from the project folder; BEFORE is another checkout, e.g. ``git worktree add /tmp/before
<commit>``)::

    python -m benchmarks.alternate /tmp/before [--rounds 4] [--replications 8] [--scenario FILE]

Both trees run the scenario file given (default: this tree's ``scenarios/baseline.toml``), so a
change of parameters does not pass for a change of speed.

``--instructions`` counts instead the instructions the processor executes (Valgrind's
``cachegrind``, if installed), which do not depend on the machine's load: each tree runs the
replications once under Valgrind and once without them (the imports and the warm-up run), and
the difference is divided by the person-years. It takes about three minutes per tree with 2
replications (half a minute more per replication). One round is enough, and ``--rounds`` is not
used: three counts of the same tree taken together came within 1.5% of each other (memory
addresses, and so the layout of sets of people, differ between runs), but counts of one tree
taken hours apart have differed by up to 6.5%: compare trees counted in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Runs in the tree measured (its own ``sim`` first on the path); prints one JSON object.
CHILD = """
import json, sys, time
from sim.config.loading import load
from sim.model import HousingModel
cfg = load(sys.argv[1])
n = int(sys.argv[2])
HousingModel(cfg, seed=10_000).run()  # warm: imports, caches
events = person_years = 0.0
start = time.process_time()
for seed in range(1, n + 1):
    model = HousingModel(cfg, seed=seed)
    model.run()
    events += model.calendar.executed
    s = model.records.spells
    person_years += sum(e - b for b, e in zip(s["start"], s["end"])) / 365.25
cpu = time.process_time() - start
n, events, person_years = max(n, 1), events or 1, person_years or 1  # 0 replications: the imports only
print(json.dumps({"cpu_per_replication": cpu / n, "us_per_event": cpu / events * 1e6,
                  "us_per_person_year": cpu / person_years * 1e6, "events": events / n,
                  "person_years": person_years / n}))
"""


VALGRIND = ("valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null")


def _child(
    tree: Path, scenario: Path, replications: int, prefix: tuple[str, ...] = (), **env: str
) -> tuple[dict[str, float], str]:
    """Run :data:`CHILD` on ``tree`` (under ``prefix``, e.g. Valgrind): its JSON, and its stderr."""
    proc = subprocess.run([*prefix, sys.executable, "-c", CHILD, str(scenario), str(replications)], cwd=tree,
                          env={**os.environ, "PYTHONPATH": str(tree), **env}, capture_output=True, text=True,
                          check=True)  # fmt: skip
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def measure(tree: Path, scenario: Path, replications: int) -> dict[str, float]:
    """One process on ``tree``: ``replications`` baseline replications, CPU time."""
    return _child(tree, scenario, replications)[0]


def instructions(tree: Path, scenario: Path, replications: int) -> dict[str, float]:
    """Instructions executed by ``replications`` baseline replications on ``tree`` (Valgrind)."""

    def count(n: int) -> tuple[int, dict[str, float]]:
        run, stderr = _child(tree, scenario, n, VALGRIND, PYTHONHASHSEED="0")
        found = re.search(r"I\s+refs:\s+([\d,]+)", stderr)
        if found is None:
            raise RuntimeError(f"no instruction count in Valgrind's output:\n{stderr[-2000:]}")
        return int(found.group(1).replace(",", "")), run

    total, run = count(replications)
    fixed, _ = count(0)
    spent = total - fixed
    person_years = run["person_years"] * replications
    return {"instructions_per_replication": spent / replications, "instructions_per_person_year": spent / person_years,
            "instructions_per_event": spent / (run["events"] * replications), "events": run["events"]}  # fmt: skip


def main_instructions(before_tree: Path, scenario: Path, replications: int) -> int:
    """``--instructions``: one round under Valgrind on each tree."""
    if shutil.which("valgrind") is None:
        print("--instructions needs Valgrind (e.g. apt install valgrind)", file=sys.stderr)
        return 2
    before = instructions(before_tree, scenario, replications)
    after = instructions(REPO, scenario, replications)
    print("| measure | before | after | after / before |")
    print("|---|---:|---:|---:|")
    for key, label in (("instructions_per_person_year", "instructions per person-year"),
                       ("instructions_per_event", "instructions per event"),
                       ("instructions_per_replication", "instructions per replication"),
                       ("events", "events per replication")):  # fmt: skip
        print(f"| {label} | {before[key]:,.0f} | {after[key]:,.0f} | {after[key] / before[key]:.3f} |")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="the other tree (the code before the change)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--scenario", type=Path, default=REPO / "scenarios" / "baseline.toml")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions with Valgrind instead of timing")  # fmt: skip
    args = parser.parse_args(argv)
    scenario = args.scenario.resolve()
    if args.replications < 1:
        parser.error("--replications must be at least 1")
    if args.instructions:
        return main_instructions(args.before.resolve(), scenario, args.replications)
    print("| round | before: CPU s per replication | after | before: µs per person-year | after | events before | after |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    ratios = []
    for r in range(1, args.rounds + 1):
        before = measure(args.before.resolve(), scenario, args.replications)
        after = measure(REPO, scenario, args.replications)
        ratios.append(after["us_per_person_year"] / before["us_per_person_year"])
        print(f"| {r} | {before['cpu_per_replication']:.3f} | {after['cpu_per_replication']:.3f} "
              f"| {before['us_per_person_year']:.1f} | {after['us_per_person_year']:.1f} "
              f"| {before['events']:,.0f} | {after['events']:,.0f} |", flush=True)  # fmt: skip
    ratios.sort()
    print(f"\nafter / before, CPU per person-year: median {ratios[len(ratios) // 2]:.2f}x "
          f"(rounds {ratios[0]:.2f}x to {ratios[-1]:.2f}x)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
