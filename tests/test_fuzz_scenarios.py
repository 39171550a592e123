"""What ``validate`` accepts, ``run`` completes or refuses the same way.

``scenarios/baseline.toml`` is corrupted at random (a value replaced by an extreme number, a
number of the wrong type, a string, a boolean, a list; a line deleted or repeated; bytes
changed). Every variant is validated; a bounded sample of the accepted ones is then run with
``--years 3 --replications 1``. A variant must either be refused with exit code 2 and one clear
message (no traceback), or run to the end with exit code 0.

In CI the test makes ``FUZZ_VARIANTS`` (default 200) variants and runs ``FUZZ_RUNS`` (default 20)
of the accepted ones; set them higher for a full-size run, and ``FUZZ_SEED`` for other variants:

    FUZZ_VARIANTS=2000 FUZZ_RUNS=200 .venv/bin/python -m pytest tests/test_fuzz_scenarios.py
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sim import config as sc

BASELINE = sc.SCENARIO_DIR / "baseline.toml"
VARIANTS = int(os.environ.get("FUZZ_VARIANTS", "200"))
RUNS = int(os.environ.get("FUZZ_RUNS", "20"))
SEED = int(os.environ.get("FUZZ_SEED", "20261130"))
#: A run of 3 years and one replication takes about 2 s here; a variant that runs for longer than
#: this has found a value that makes the model hang or explode.
RUN_TIMEOUT_S = 120

#: Values a corruption puts in place of a value: extremes, wrong types, edge cases.
REPLACEMENTS = (
    "0", "-1", "1", "0.0", "-0.5", "1e-300", "1e300", "1e160", "99999999999999999999999",
    "1000000000000", "2.5", "3.7e9", "inf", "nan", "true", "false", '"x"', '"unlimited"', "[]", "[1, 2]",
    "{}", '""', "1e6", "100000", "0.999999",
)  # fmt: skip
_VALUE = re.compile(r"^(\s*[\w.\"-]+\s*=\s*)([^#\n]*?)(\s*(#.*)?)$")


def corrupt(text: str, rng: random.Random) -> str:
    """One random corruption of a scenario file's text."""
    lines = text.split("\n")
    kind = rng.random()
    if kind < 0.75:  # replace one value (most corruptions: they reach the model)
        candidates = [i for i, line in enumerate(lines) if _VALUE.match(line) and not line.lstrip().startswith("#")]
        i = rng.choice(candidates)
        m = _VALUE.match(lines[i])
        assert m is not None
        new = rng.choice(REPLACEMENTS)
        if rng.random() < 0.3:  # a scaled copy of the old value: plausible but out of range
            try:
                new = repr(float(m.group(2)) * rng.choice((1e3, 1e6, 1e12, -1.0, 1e-6)))
            except ValueError:
                pass
        lines[i] = m.group(1) + new + m.group(3)
    elif kind < 0.85:  # delete a line
        del lines[rng.randrange(len(lines))]
    elif kind < 0.92:  # repeat a line
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    else:  # change some bytes
        data = bytearray("\n".join(lines).encode("utf-8"))
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return data.decode("utf-8", errors="surrogateescape")
    return "\n".join(lines)


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, bool]]:
    """``VARIANTS`` corrupted files and whether ``validate`` accepted each (validated in-process)."""
    rng = random.Random(SEED)
    folder = tmp_path_factory.mktemp("fuzz")
    text = BASELINE.read_text(encoding="utf-8")
    out = []
    for k in range(VARIANTS):
        path = folder / f"variant_{k:04d}.toml"
        _write(path, corrupt(text, rng))
        try:
            sc.load(path)
            accepted = True
        except sc.ScenarioError as exc:
            assert exc.problems and all(isinstance(p, str) and p for p in exc.problems), path
            accepted = False
        out.append((path, accepted))
    return out


def test_validation_accepts_or_refuses_every_variant(variants):
    """Every variant is accepted or refused with a ScenarioError (any other exception fails here)."""
    assert len(variants) == VARIANTS
    refused = sum(not ok for _, ok in variants)
    assert 0 < refused < VARIANTS, "the corruptions should produce both kinds of file"


def _pathways(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S
    )


def test_refused_variants_exit_2_with_one_message(variants, tmp_path):
    """A sample of refused variants: ``validate`` and ``run`` both exit 2, name the file, no traceback."""
    refused = [p for p, ok in variants if not ok][: max(1, RUNS // 4)]
    for path in refused:
        for args in (("validate", str(path)), ("run", str(path), "--out", str(tmp_path / "out"), "--no-figures")):
            done = _pathways(*args, cwd=tmp_path)
            assert done.returncode == 2, (path, args, done.stderr[-2000:])
            assert "Traceback" not in done.stderr, (path, done.stderr[-2000:])
            assert path.name in done.stderr, done.stderr
            assert not (tmp_path / "out").exists(), "a refused run writes nothing"


def test_accepted_variants_run_or_are_refused_cleanly(variants, tmp_path):
    """A bounded sample of accepted variants: ``run`` ends with 0, or 2 with a message; never a traceback."""
    accepted = [p for p, ok in variants if ok]
    rng = random.Random(SEED + 1)
    sample = rng.sample(accepted, min(RUNS, len(accepted)))
    for path in sample:
        out = tmp_path / path.stem
        try:
            done = _pathways(
                "run", str(path), "--years", "3", "--replications", "1", "--workers", "1", "--no-figures",
                "--out", str(out), cwd=tmp_path,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            pytest.fail(f"{path.name}: run did not end within {RUN_TIMEOUT_S} s:\n{path.read_text(errors='replace')}")
        assert "Traceback" not in done.stderr, (path.name, done.stderr[-3000:])
        assert done.returncode in (0, 2), (path.name, done.returncode, done.stderr[-3000:])
        if done.returncode == 0:
            assert (out / "summary.json").is_file()
        else:
            assert not out.exists(), "a refused run writes nothing"


@pytest.mark.parametrize(
    ("assignment", "fragment"),
    [
        ("inflow.treatment_referrals_per_year=1e300", "allowed is <= 100000"),
        ("initial.in_treatment=99999999999999999999999", "allowed is <= 100000"),
        ("stock.types.ordinary.units.sentrum=1000000000000", "allowed is <= 100000"),
        ("prison.sentence_days_cv=1e160", "allowed is <= 10"),
        ("treatment.stay_days_cv=1e-160", "allowed is >= 0.001"),
        ("stock.types.ordinary.tenancy_days=1e-300", "allowed is >= 1"),
        ("run.sample_every_days=0.001", "allowed is at most 1,000,000"),
        ("housing_office.meeting_interval_days=0.0001", "allowed is at most 1,000,000"),
    ],
)
def test_values_that_would_exhaust_the_machine_are_refused(assignment, fragment):
    """The bounds and the size check (each value named in the issue that crashed a run before)."""
    with pytest.raises(sc.ScenarioError) as info:
        sc.load("baseline", set_args=[assignment])
    assert any(fragment in p for p in info.value.problems), info.value.problems


def test_a_run_too_large_for_one_machine_is_refused():
    """Every value within its bound, but together over a million people in one replication."""
    with pytest.raises(sc.ScenarioError) as info:
        sc.load("baseline", set_args=["inflow.prison_releases_per_year=99999", "run.years=200"])
    assert any("people would enter one replication" in p for p in info.value.problems)
    sc.load("baseline", set_args=["inflow.prison_releases_per_year=4000", "run.years=200"])  # 800,000: runs
