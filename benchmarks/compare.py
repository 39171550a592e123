"""Two benchmark runs side by side: each target of the performance work with its value before and after.

Usage::

    python -m benchmarks.compare BEFORE/benchmarks.json AFTER/benchmarks.json

Prints a Markdown table (the one in ``docs/performance.md``) and the profiles' top ten
functions by own time, before and after. Every number is read from the two files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _get(d: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def rows(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(measure, before, after, after / before, target and whether it is met)."""
    out = []

    def row(name: str, keys: tuple[str, ...], spec: str, target: str = "-", met=None) -> None:
        b, a = _get(before, *keys), _get(after, *keys)
        if b is None or a is None:
            return
        ratio = f"{a / b:.2f}x" if b else "-"
        verdict = "-" if met is None else f"{target}: {'met' if met(a, b) else '**not met**'}"
        out.append((name, format(b, spec), format(a, spec), ratio, verdict))

    row("full model, CPU µs per person-year at 1x (scaling)", ("scaling", "scales", "1", "us_per_person_year"), ",.0f",
        "a third of before", lambda a, b: a <= b / 3)
    row("full model, 50x cost per person-year against 1x", ("scaling", "largest_over_1x"), ".2f",
        "at most 1.25x", lambda a, b: a <= 1.25)
    row("baseline replication, CPU s (simulation and metrics, median of 10)", ("full", "seconds_per_replication"),
        ".3f")
    row("baseline replication, CPU µs per event", ("full", "us_per_event"), ".1f")
    row("docking, people served per CPU second", ("docking", "engines", "pathways", "people_per_second"), ",.0f")
    row("docking, against SimPy in the same run", ("docking", "engines", "pathways", "ratio_to_simpy"), ".2f",
        "at least 0.5x", lambda a, b: a >= 0.5)
    row("memory per person present, KB (5x, tracemalloc, 10 years)", ("scaling", "run_length", "per_person_at_end"),
        ",.0f", "no higher than before", lambda a, b: a <= b)
    row("`pathways validate scenarios/baseline.toml`, wall s", ("startup", "commands", "validate", "wall_median"),
        ".2f", "under 1 s", lambda a, b: a < 1.0)
    return out


def _kb(results: dict[str, Any]) -> None:
    """The memory per person as KB (the file holds bytes in a two-item list: 10 and 40 years)."""
    length = _get(results, "scaling", "run_length")
    if length and isinstance(length.get("per_person_at_end"), list):
        length["per_person_at_end"] = length["per_person_at_end"][0] / 1024


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__)
        return 2
    before, after = (json.loads(Path(p).read_text(encoding="utf-8")) for p in args)
    for results in (before, after):
        _kb(results)
    print(f"before: {before['date']}, load {before['machine']['load_start']:.1f} -> {before['machine']['load_end']:.1f}; "
          f"after: {after['date']}, load {after['machine']['load_start']:.1f} -> {after['machine']['load_end']:.1f}\n")  # fmt: skip
    print("| measure | before | after | after / before | target |")
    print("|---|---:|---:|---:|---|")
    for r in rows(before, after):
        print("| " + " | ".join(r) + " |")
    for label, results in (("before", before), ("after", after)):
        top = _get(results, "profile", "top_own_time") or []
        if not top:
            continue
        print(f"\nProfile {label} (cProfile, one baseline replication; top ten by own time):\n")
        print("| own | cumulative | calls | function |")
        print("|---:|---:|---:|---|")
        for f in top[:10]:
            print(f"| {f['own_share']:.1%} | {f['cumulative_share']:.1%} | {f['calls']:,} | `{f['function']}` |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
