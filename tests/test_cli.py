"""The command line: ``pathways list | validate | run`` and how it refuses bad input.

Bad input to ``pathways run`` is checked in a fresh process (``python -m sim``): that is the
honest check of the exit code, of stderr and that no traceback is printed. The project's rule:
one clear message naming the file, the key, the value and what is allowed; exit code 2; no
traceback; nothing written.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim import config as sc
from sim.cli import app
from tests.conftest import cli

runner = CliRunner()


def test_validate_baseline_prints_ok():
    """``pathways validate baseline`` prints ok and exits 0."""
    result = runner.invoke(app, ["validate", "baseline"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "ok"


def test_console_script_is_installed():
    """The ``pathways`` console script runs ``validate`` like ``python -m sim`` does."""
    script = Path(sys.executable).parent / "pathways"
    if not script.exists():
        pytest.skip("no pathways script next to this interpreter (not an installed venv)")
    result = subprocess.run(
        [str(script), "validate", "baseline"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok"
    assert cli("validate", "baseline").stdout.strip() == "ok"


@pytest.mark.parametrize("name", sc.scenario_names())
def test_every_shipped_scenario_validates(name):
    """Every shipped scenario passes ``pathways validate``."""
    result = runner.invoke(app, ["validate", name])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "ok"


def test_validate_with_set():
    """``validate --set`` checks the overrides along with the file."""
    assert runner.invoke(app, ["validate", "baseline", "--set", "choice.max_declines=3"]).exit_code == 0
    bad = runner.invoke(app, ["validate", "baseline", "--set", "choice.max_declines=-1"])
    assert bad.exit_code == 2
    assert "choice.max_declines" in bad.stderr and "-1" in bad.stderr


def test_list_shows_every_shipped_scenario():
    """``pathways list`` names every shipped scenario with its description."""
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    names = [line.split()[0] for line in lines if line.strip()]
    assert names == sc.scenario_names()
    for name in names:
        description = sc.load(name).description
        assert any(line.startswith(name) and description[:30] in line for line in lines)


def test_validate_bad_file_exits_2(tmp_path):
    """``pathways validate`` on a bad file prints every problem and exits 2."""
    path = tmp_path / "bad.toml"
    path.write_text('extends = "baseline.toml"\n[treatment]\nbeds = -1\n[choice]\nmax_declinez = 1\n')
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "treatment.beds" in result.stderr and "max_declinez" in result.stderr
    assert "ok" not in result.stdout


# ----------------------------------------------------------------------------- pathways run: bad input

BAD_FILES = {
    "malformed": ('extends = "baseline.toml"\n[run\nyears = 1\n', ["malformed.toml", "TOML"]),
    "unknown_key": ('extends = "baseline.toml"\n[choice]\nmax_declinez = 1\n', ["choice.max_declinez", "unknown key"]),
    "negative_beds": ('extends = "baseline.toml"\n[treatment]\nbeds = -1\n', ["treatment.beds", "-1", ">= 0"]),
    "prob_above_one": (
        'extends = "baseline.toml"\n[discharge]\ntreatment_to_temporary_prob = 1.5\n',
        ["discharge.treatment_to_temporary_prob", "1.5", "<= 1"],
    ),
    "wrong_type": ('extends = "baseline.toml"\n[treatment]\nbeds = "twelve"\n', ["treatment.beds", "twelve", "integer"]),
    "missing_parent": ('extends = "nowhere.toml"\nname = "x"\n', ["missing_parent.toml", "extends", "nowhere.toml"]),
}


def assert_refused(result, out: Path, *fragments: str) -> None:
    """Exit code 2, a message on stderr with every fragment, no traceback, nothing written."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert not out.exists(), "nothing is written on bad input"
    assert not list(out.parent.glob(f".{out.name}*")), "no staging folder is left behind"


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_run_refuses_bad_files(tmp_path, case):
    """``pathways run`` with a bad scenario file: exit 2, the key and value on stderr, no traceback, no output."""
    body, fragments = BAD_FILES[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(body, encoding="utf-8")
    out = tmp_path / "out"
    result = cli("run", str(path), "--out", str(out), "--no-figures", cwd=tmp_path)
    assert_refused(result, out, f"{case}.toml", *fragments)


def test_run_refuses_circular_extends(tmp_path):
    """``pathways run`` with a circular chain of extends is refused cleanly."""
    (tmp_path / "a.toml").write_text('extends = "b.toml"\nname = "a"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\nname = "b"\n')
    out = tmp_path / "out"
    result = cli("run", str(tmp_path / "a.toml"), "--out", str(out), cwd=tmp_path)
    assert_refused(result, out, "circular", "a.toml", "b.toml")


def test_run_refuses_unknown_scenario(tmp_path):
    """``pathways run`` with an unknown scenario name names it and lists the shipped ones."""
    out = tmp_path / "out"
    result = cli("run", "no_such_scenario", "--out", str(out), cwd=tmp_path)
    assert_refused(result, out, "no_such_scenario", "baseline")


@pytest.mark.parametrize(
    ("assignment", "fragments"),
    [
        ("choice.max_declines=-1", ["choice.max_declines", "-1"]),
        ("nosuch.key=1", ["nosuch", "unknown key"]),
        ("noequals", ["noequals", "KEY=VALUE"]),
    ],
)
def test_run_refuses_bad_set(tmp_path, assignment, fragments):
    """``pathways run --set`` with a bad value or key is refused like a bad file."""
    out = tmp_path / "out"
    result = cli("run", "baseline", "--set", assignment, "--out", str(out), cwd=tmp_path)
    assert_refused(result, out, *fragments)


def test_run_refuses_years_shorter_than_warmup(tmp_path):
    """``--years`` shorter than the warm-up is refused, naming run.warmup_days."""
    out = tmp_path / "out"
    result = cli("run", "baseline", "--years", "1", "--out", str(out), cwd=tmp_path)
    assert_refused(result, out, "run.warmup_days")


def test_bad_input_keeps_an_existing_output_folder(tmp_path):
    """A refused run leaves an existing output folder as it was."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("{}")
    result = cli("run", "baseline", "--set", "treatment.beds=-1", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2
    assert (out / "summary.json").read_text() == "{}"


def test_run_with_out_pointing_at_a_file_fails_cleanly(tmp_path):
    """``--out`` naming an existing file: a clear error (exit 2), no traceback, and the file untouched."""
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    result = cli("run", "baseline", "--years", "3", "--replications", "1", "--workers", "1", "--no-figures",
                 "--out", str(target), cwd=tmp_path)
    assert target.read_text() == "keep me"
    assert "Traceback" not in result.stderr
    assert result.returncode == 2


def test_run_refuses_a_file_that_is_not_utf8(tmp_path):
    """A scenario file that is not UTF-8 (e.g. saved as Latin-1) is refused cleanly, naming the file."""
    path = tmp_path / "latin1.toml"
    path.write_bytes('extends = "baseline.toml"\nname = "Troms\xf8"\n'.encode("latin-1"))
    out = tmp_path / "out"
    result = cli("run", str(path), "--out", str(out), cwd=tmp_path)
    assert_refused(result, out, "latin1.toml")
