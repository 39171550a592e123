"""The face-validity table: every shipped scenario has expectations, changes what its
description says, and the command writes a table whose verdicts follow from its numbers.

The command runs here at small size (2 replications of 3 years); the committed
``docs/face_validity.md`` is the full size (``pathways face-validity``, 20 replications).
"""

from __future__ import annotations

import fnmatch
import math
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim import config as sc
from sim.cli import app
from sim.experiments import face_validity as fv
from sim.measures.statistics import Interval

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "face_validity.md"


@pytest.fixture(scope="module")
def spec() -> fv.Spec:
    return fv.load_spec()


def test_every_shipped_scenario_has_expectations(spec):
    """Every scenario shipped in scenarios/ (but the base) is in the expectations file, with at least one expectation."""
    shipped = set(sc.scenario_names()) - {spec.base}
    assert shipped == set(spec.scenarios)
    for name, s in spec.scenarios.items():
        assert s.expect, f"{name}: no expected direction"
        assert all(e.source.strip() for e in s.expect.values())


def _named(description: str, key: str) -> bool:
    """The description names ``key``: the key itself, a pattern matching it (``stock.types.*.units``)
    or a table it is in (``stock.types.recovery``, ``stock.additions``)."""
    words = re.findall(r"[a-z_]+(?:\.[a-z_*0-9]+)+", description)
    return any(key == w or fnmatch.fnmatch(key, w) or fnmatch.fnmatch(key, w + ".*") for w in words)


def test_each_scenario_changes_one_lever_or_is_a_package_that_names_every_key(spec, baseline):
    """A scenario without levers changes keys of one section only; every key a scenario changes is
    named in its description (packages list every key)."""
    for name, s in spec.scenarios.items():
        scenario = sc.load(name)
        keys = fv.changed_keys(scenario, baseline)
        assert keys, f"{name} changes nothing"
        unnamed = [k for k in keys if not _named(scenario.description, k)]
        assert not unnamed, f"{name}: the description does not name {unnamed}"
        if not s.levers:
            sections = {k.split(".")[0] for k in keys}
            assert len(sections) == 1, f"{name} changes keys of {sorted(sections)}: one lever, or a package with levers"


def test_package_levers_cover_every_changed_key_once(spec):
    """build() accepts the shipped packages (every changed key in exactly one lever) and makes
    each lever alone change only its keys."""
    base, _, levers, changed = fv.build(spec, replications=2, years=3.0)
    assert set(levers) == {"housing_first", "housing_ready"}
    for package, items in levers.items():
        assert sorted(k for _, ks, _ in items for k in ks) == changed[package]
        for lever, keys, run in items:
            assert fv.changed_keys(run, base) == sorted(keys), (package, lever)


def test_levers_that_miss_a_key_are_refused(spec, tmp_path):
    """A package whose levers leave out a changed key is refused with a message naming it."""
    hf = spec.scenarios["housing_first"]
    levers = dict(hf.levers)
    del levers["private_supply"]
    broken = spec.model_copy(update={"scenarios": {"housing_first": hf.model_copy(update={"levers": levers})}})
    with pytest.raises(sc.ScenarioError) as err:
        fv.build(broken, replications=2)
    assert any("private.arranged_rate_per_year is changed by the package but in no lever" in p for p in err.value.problems)


@pytest.mark.parametrize(("low", "high", "direction", "expected"), [
    (-3.0, -1.0, "lower", "as expected"),
    (1.0, 3.0, "lower", "against"),
    (-1.0, 3.0, "lower", "not significant"),
    (1.0, 3.0, "higher", "as expected"),
    (-3.0, -1.0, "higher", "against"),
])  # fmt: skip
def test_verdict_follows_the_interval(low, high, direction, expected):
    d = Interval((low + high) / 2, (high - low) / 2, 20)
    assert fv.verdict(fv.Expectation(direction=direction, source="x"), d) == expected
    assert fv.verdict(fv.Expectation(direction=direction, source="x"), Interval(math.nan, math.nan, 0)) == "no value"


def test_an_unknown_metric_in_the_expectations_is_refused(tmp_path):
    bad = tmp_path / "fv.toml"
    bad.write_text('base = "baseline"\n[scenarios.buy_flats.expect]\ntemp_dayz = { direction = "lower", source = "x" }\n')
    with pytest.raises(sc.ScenarioError) as err:
        fv.load_spec(bad)
    assert "scenarios.buy_flats.expect.temp_dayz: no such metric" in err.value.problems[0]


def test_the_command_writes_a_table_at_small_size(tmp_path):
    """pathways face-validity at 2 replications of 3 years: every scenario and lever is in the page,
    and the counts in its summary are those of its rows."""
    out = tmp_path / "fv.md"
    result = CliRunner().invoke(
        app, ["face-validity", "--replications", "2", "--years", "3", "--workers", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    page = out.read_text()
    spec = fv.load_spec()
    for name in spec.scenarios:
        assert f"## `{name}`" in page
    for lever in spec.scenarios["housing_first"].levers:
        assert f"| {lever} (" in page
    for lever in spec.scenarios["housing_first"].lever_notes:
        assert f"- {lever} alone: " in page
    verdicts = re.findall(r"\| (as expected|\*\*against\*\*|not significant|no value) \|\n", page)
    judged = sum(len(s.expect) for s in spec.scenarios.values())
    assert len(verdicts) == judged
    m = re.search(r"\*\*(\d+) of (\d+) expected directions are met; (\d+) are not significant; (\d+) go against", page)
    assert m is not None
    met, total, ns, against = map(int, m.groups())
    assert total == judged
    assert met == verdicts.count("as expected") and ns == verdicts.count("not significant")
    assert against == verdicts.count("**against**")


def test_a_bad_spec_is_exit_2_and_writes_nothing(tmp_path):
    bad = tmp_path / "fv.toml"
    bad.write_text('base = "baseline"\n[scenarios.nosuch.expect]\nevictions = { direction = "down", source = "x" }\n')
    out = tmp_path / "fv.md"
    result = CliRunner().invoke(app, ["face-validity", "--spec", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert "direction" in result.output and not out.exists()


def test_the_committed_table_explains_every_result_against_expectation():
    """docs/face_validity.md (full size) leaves no result against expectation unexplained."""
    page = DOC.read_text()
    assert "pathways face-validity --replications 20" in page
    assert "without an explanation" not in page
    assert "no explanation in scenarios/checks/face_validity.toml yet" not in page.split("## `")[0]
    for line in page.splitlines():
        if line.startswith("- ") and "**against**" in line:
            assert "no explanation" not in line, line
