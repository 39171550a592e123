"""The command line for a newcomer: hints on mistakes, output folders that say what made them,
and the run in plain words."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim import config as sc
from sim import files
from sim.cli import app
from sim.reports.text import run_in_words

runner = CliRunner()


def test_a_misspelt_scenario_name_gets_a_did_you_mean():
    with pytest.raises(sc.ScenarioError) as err:
        sc.load("basline")
    assert "did you mean 'baseline'?" in str(err.value)
    with pytest.raises(sc.ScenarioError) as err:
        sc.load("zzzzqqq")
    assert "did you mean" not in str(err.value)


def test_a_file_without_extends_gets_one_line_and_a_hint(tmp_path):
    """Many missing keys are one line that points at extends, not one line per key."""
    path = tmp_path / "partial.toml"
    path.write_text("[run]\nyears = 3.0\n", encoding="utf-8")
    with pytest.raises(sc.ScenarioError) as err:
        sc.load(path)
    assert len(err.value.problems) == 1
    assert "required keys are missing" in err.value.problems[0]
    assert 'extends = "baseline.toml"' in err.value.problems[0]


def test_a_stock_addition_after_the_end_of_the_run_is_refused():
    with pytest.raises(sc.ScenarioError) as err:
        sc.load("buy_flats", set_args=["run.years=1.5", "run.warmup_days=100"])
    (problem,) = err.value.problems
    assert problem.startswith("stock.additions.0.day = 730.0: after the end of the run (547.5 days")
    sc.load("buy_flats", set_args=["run.years=2.5"])  # within the run: fine


def test_set_overrides_get_their_own_folder():
    plain = files.default_out_dir("baseline")
    changed = files.default_out_dir("baseline", ["choice.max_declines=1"])
    assert plain == files.RESULTS_DIR / "baseline"
    assert changed.parent == files.RESULTS_DIR and changed.name.startswith("baseline+") and len(changed.name) == 17
    assert files.default_out_dir("baseline", ["b=2", "a=1"]) == files.default_out_dir("baseline", ["a=1", "b=2"])
    assert files.default_out_dir("baseline", ["a=1"]) != files.default_out_dir("baseline", ["a=2"])


def test_a_run_records_its_overrides_and_its_folder_follows_the_umask(tmp_path):
    out = tmp_path / "run"
    old = os.umask(0o022)
    try:
        result = runner.invoke(app, ["run", "baseline", "--years", "2", "--replications", "2", "--seed", "0",
                                     "--set", "run.warmup_days=180", "--no-figures", "--out", str(out)])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["overrides"] == {"set": ["run.warmup_days=180"], "seed": 0, "replications": 2, "years": 2.0}
    assert stat.S_IMODE(out.stat().st_mode) == 0o755, oct(out.stat().st_mode)
    assert "On an average day" in result.output and "temporary housing" in result.output


def test_run_in_words_is_computed_from_the_summary():
    def metric(mean: float) -> dict:
        return {"mean": mean, "ci95": [None, None], "unit": "", "description": ""}

    summary = {"metrics": {
        "temp_occupancy_mean": metric(57.2), "street_count_mean": metric(9.4), "homeless_census_count": metric(62.4),
        "homeless_per_1000": metric(0.8012), "temp_households_over_90d_share": metric(0.33),
        "temp_households_per_year": metric(171.5), "temp_household_days_mean": metric(96.2),
        "discharge_to_street_share": metric(0.15), "readmission_within_365d_share": metric(0.52),
        "cost_total_nok_per_year": metric(126.9e6),
    }}  # fmt: skip
    words = run_in_words(summary)
    assert words[0] == ("On an average day 57 people are in NAV temporary housing and 9 on the street or a friend's "
                        "sofa; on a census day 62 are homeless, 0.80 per 1,000 inhabitants (counting people in an "
                        "institution with nowhere to go).")  # fmt: skip
    assert words[1] == ("In a year 172 people stay in temporary housing, 96 days each on average; 33% of them pass "
                        "the 90-day norm that year (about 1 in 3).")  # fmt: skip
    assert "15% of discharges" in words[2] and "52% of people discharged" in words[2]
    assert words[2].endswith("the services counted cost NOK 127 million a year.")
    summary["metrics"]["temp_household_days_mean"] = metric(float("nan"))
    assert len(run_in_words(summary)) == 2  # a sentence without its numbers is left out


def test_results_readme_mentions_the_overrides():
    text = (Path(__file__).resolve().parent.parent / "results" / "README.md").read_text(encoding="utf-8")
    assert "overrides" in text


def test_a_renamed_key_says_what_replaced_it(tmp_path):
    """An old scenario file with choice.decline_multiplier_in_temporary is told the key's new name."""
    old = tmp_path / "old.toml"
    old.write_text('extends = "baseline"\nname = "old"\n[choice]\ndecline_multiplier_in_temporary = 2.4\n')
    result = runner.invoke(app, ["validate", str(old)])
    assert result.exit_code == 2
    assert "renamed to choice.decline_odds_ratio_in_temporary" in result.output


def test_a_misspelt_key_gets_did_you_mean():
    """An unknown key that is spelt almost like a key of the baseline is named in the message."""
    from typer.testing import CliRunner

    from sim.cli import app

    result = CliRunner().invoke(app, ["validate", "baseline", "--set", "choice.max_declinez=1"])
    assert result.exit_code == 2
    assert "choice.max_declinez = 1: unknown key (did you mean 'choice.max_declines'?" in result.output
    far = CliRunner().invoke(app, ["validate", "baseline", "--set", "choice.zzz=1"])
    assert far.exit_code == 2 and "did you mean" not in far.output
