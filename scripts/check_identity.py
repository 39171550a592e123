"""Check that a change of code leaves every result byte-identical.

Runs every shipped scenario (``scenarios/*.toml``) and every verification scenario
(``scenarios/verification/*.toml``) at its own seed and number of replications through the
``pathways`` command, one comparison, one grid sweep, one Morris sweep with its sensitivity
indices and a small calibration search, and hashes the data files they write: a run's
``summary.json``, ``scenario.resolved.toml`` and Parquet tables; the comparison's JSON and CSV
files; the sweeps' Parquet tables; the sensitivity tables; the calibration report (with its own
command line and module paths masked). Figures are left out: PNG files carry the plotting
library's metadata and are not results.

Usage::

    python scripts/check_identity.py record hashes.json   # before the change
    python scripts/check_identity.py check hashes.json    # after it: exit 1 on any difference

``--only NAME`` (repeatable) limits the scenario runs to some scenarios, ``--part`` (repeatable:
runs, compare, sweep, sensitivity, calibration) to some parts; a check then compares only what
it ran. ``--workers`` sets the worker processes (the results do not depend on it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PATHWAYS = [sys.executable, "-m", "sim"]
DATA_SUFFIXES = (".json", ".toml", ".parquet", ".csv", ".md")
SWEEP = """
name = "identity_check"
base = "{base}"
design = "grid"
replications = 2
seed = 7
metrics = ["temp_occupancy_mean", "temp_spells_over_90d_share", "offers_declined"]

[[parameters]]
key = "choice.max_declines"
levels = [0, 2]

[[parameters]]
key = "run.years"
levels = [3, 4]
"""

MORRIS = """
name = "identity_morris"
base = "{base}"
design = "morris"
samples = 3
morris_levels = 4
replications = 2
seed = 11
metrics = ["temp_spells_over_90d_share", "temp_spell_days_mean"]

[set]
"run.years" = 3.0

[[parameters]]
key = "choice.max_declines"
range = [0, 4]

[[parameters]]
key = "coordination.notice_delay_days"
range = [0.0, 28.0]
"""
CALIBRATE = [
    "calibrate",
    "--search",
    "--samples",
    "4",
    "--rounds",
    "2",
    "--search-replications",
    "2",
    "--replications",
    "2",
    "--years",
    "3",
    "--workers",
]


def _scenarios() -> list[str]:
    names = sorted(p.stem for p in (REPO / "scenarios").glob("*.toml"))
    names += sorted(f"verification/{p.stem}" for p in (REPO / "scenarios" / "verification").glob("*.toml"))
    return names


def _hash_folder(folder: Path) -> dict[str, str]:
    hashes = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in DATA_SUFFIXES and "manifest" not in path.name:
            hashes[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def _run(args: list[str]) -> None:
    done = subprocess.run([*PATHWAYS, *args], cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"pathways {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")


PARTS = ("runs", "compare", "sweep", "sensitivity", "calibration")


def collect(only: list[str], parts: list[str], workers: int) -> dict[str, dict[str, str]]:
    """Run everything asked for and return the hashes of the data files, by run."""
    out: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in _scenarios() if "runs" in parts else []:
            if only and name not in only:
                continue
            folder = root / name.replace("/", "_")
            source = str(REPO / "scenarios" / f"{name}.toml")
            _run(["run", source, "--out", str(folder), "--no-figures", "--workers", str(workers)])
            out[f"run {name}"] = _hash_folder(folder)
            print(f"run {name}: {len(out[f'run {name}'])} files", flush=True)
        if "compare" in parts:
            folder = root / "compare"
            _run(
                [
                    "compare",
                    "baseline",
                    "strict_choice",
                    "--replications",
                    "3",
                    "--years",
                    "4",
                    "--out",
                    str(folder),
                    "--workers",
                    str(workers),
                ]
            )
            out["compare"] = {k: v for k, v in _hash_folder(folder).items() if k.endswith((".json", ".csv"))}
            print(f"compare: {len(out['compare'])} files", flush=True)
        sweep_file = root / "identity_sweep.toml"
        if "sweep" in parts:
            sweep_file.write_text(SWEEP.format(base=REPO / "scenarios" / "baseline.toml"), encoding="utf-8")
            folder = root / "sweep"
            _run(["sweep", str(sweep_file), "--out", str(folder), "--workers", str(workers), "--no-figures"])
            out["sweep"] = {k: v for k, v in _hash_folder(folder).items() if k.endswith(".parquet")}
            print(f"sweep: {len(out['sweep'])} files", flush=True)
        if "sensitivity" in parts:
            sweep_file.write_text(MORRIS.format(base=REPO / "scenarios" / "baseline.toml"), encoding="utf-8")
            folder = root / "morris"
            _run(["sweep", str(sweep_file), "--out", str(folder), "--workers", str(workers), "--no-figures"])
            _run(["sensitivity", str(folder), "--out", str(root / "sensitivity")])
            out["sensitivity"] = {
                k: v for k, v in _hash_folder(root / "sensitivity").items() if k.endswith((".json", ".csv", ".parquet"))
            }
            print(f"sensitivity: {len(out['sensitivity'])} files", flush=True)
        if "calibration" in parts:
            report = root / "calibration.md"
            # The accepted set and the search's runs go to the temporary folder too (the defaults are
            # the shipped scenarios/calibration/accepted.parquet and results/calibration/search).
            search = ["--accepted", str(root / "accepted.parquet"), "--search-dir", str(root / "search")]
            _run([*CALIBRATE, str(workers), "--out", str(report), *search])
            # The report names its own command (with the temporary --out) and the module that wrote it.
            text = report.read_text(encoding="utf-8").replace(str(report), "OUT").replace(str(root), "ROOT")
            text = re.sub(r"sim/[a-z_/]+\.py", "MODULE", text)
            out["calibration"] = {"calibration.md": hashlib.sha256(text.encode("utf-8")).hexdigest()}
            print("calibration: 1 file", flush=True)
    return out


def main() -> int:
    """Record or check the hashes; exit 1 when a check finds a difference."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("record", "check"))
    parser.add_argument("file", type=Path)
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--part", action="append", choices=PARTS, default=[])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    hashes = collect(args.only, args.part or list(PARTS), args.workers)
    if args.mode == "record":
        args.file.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"recorded {sum(map(len, hashes.values()))} files of {len(hashes)} runs in {args.file}")
        return 0
    expected = json.loads(args.file.read_text(encoding="utf-8"))
    differ = []
    if args.part or args.only:
        expected = {run: expected[run] for run in hashes}
    for run, files in hashes.items():
        for name, digest in files.items():
            if expected.get(run, {}).get(name) != digest:
                differ.append(f"{run}: {name}")
        differ += [f"{run}: {name} (missing)" for name in expected.get(run, {}) if name not in files]
    if differ:
        print("DIFFERENT:\n  " + "\n  ".join(differ))
        return 1
    print(f"identical: {sum(map(len, hashes.values()))} files of {len(hashes)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
