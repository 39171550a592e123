"""``pathways compare``: common random numbers, paired differences, the table, figures and report.

Runs are short (2-year runs after a half-year warm-up, 3 replications). Checked: every scenario
gets the same replication seeds; a scenario identical to the base differs by exactly zero; the
difference and its interval are the paired Student-t interval of the per-replication
differences; the plain-words line reads like the issue's example; every promised file is
written; bad input is refused with exit code 2 and nothing written.
"""

from __future__ import annotations

import html
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from sim import config as sc
from sim.cli import app
from sim.config import ScenarioError
from sim.experiments.comparison import compare, prepare
from sim.experiments.replications import replication_seeds
from sim.measures.metrics import METRICS
from sim.reports.text import HEADLINE, findings, label, plain_line

runner = CliRunner()
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
SHORT = {"run": {"years": 2.0, "warmup_days": 180.0}}
SHORT_ARGS = ("--years", "2", "--set", "run.warmup_days=180", "--replications", "3")


def short(name: str, **extra) -> sc.Scenario:
    """A shipped scenario shortened to 2 years."""
    return sc.load(name, overrides={**SHORT, **extra})


@pytest.fixture(scope="module")
def comparison():
    """Baseline against housing_ready and a copy of the baseline under another name, 3 replications
    of 3 years (with 2, the interval of housing_ready's effect on street discharges, about -6
    points, can reach 0)."""
    run = {"run": {"years": 3.0, "warmup_days": 180.0}}
    twin = sc.with_overrides(short("baseline", **run), {"name": "baseline_twin"})
    scenarios = prepare([short("baseline", **run), short("housing_ready", **run), twin], seed=11, replications=3)
    return compare(scenarios, workers=2)


def test_every_scenario_gets_the_same_seeds(comparison):
    """Common random numbers: replication r of every scenario has the same seed, from the one seed given."""
    reps = comparison.replications
    expected = replication_seeds(11, 3)
    for name in ("baseline", "housing_ready", "baseline_twin"):
        assert list(reps.loc[reps["scenario"] == name, "seed"]) == expected
    assert all(r.scenario.seed == 11 and r.scenario.run.replications == 3 for r in comparison.results)


def test_an_identical_scenario_differs_by_exactly_zero(comparison):
    """The same scenario under another name: every metric identical replication by replication, difference 0 [0, 0]."""
    table = comparison.table
    twin = table[table["scenario"] == "baseline_twin"]
    assert len(twin) == len(METRICS)
    finite = twin.dropna(subset=["diff"])
    assert len(finite) >= len(METRICS) - 1
    assert (finite["diff"] == 0).all() and (finite["diff_ci_low"] == 0).all() and (finite["diff_ci_high"] == 0).all()


def test_difference_is_the_paired_t_interval(comparison):
    """The difference and its 95% interval are the Student-t interval of the per-replication differences."""
    reps = comparison.replications
    base = reps[reps["scenario"] == "baseline"].reset_index(drop=True)
    alt = reps[reps["scenario"] == "housing_ready"].reset_index(drop=True)
    table = comparison.table.set_index(["metric", "scenario"])
    for metric in HEADLINE:
        d = (alt[metric] - base[metric]).dropna().to_numpy()
        half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
        row = table.loc[(metric, "housing_ready")]
        assert row["diff"] == pytest.approx(d.mean(), abs=1e-9)
        assert row["diff_ci_low"] == pytest.approx(d.mean() - half, abs=1e-9)
        assert row["diff_ci_high"] == pytest.approx(d.mean() + half, abs=1e-9)
        assert row["mean"] == pytest.approx(alt[metric].mean(), abs=1e-9)
    base_rows = comparison.table[comparison.table["is_base"]]
    assert base_rows["diff"].isna().all() and len(base_rows) == len(METRICS)


def test_housing_ready_sends_fewer_people_to_the_street(comparison):
    """A mechanism seen through compare: holding discharges until housing is ready cuts discharges to the street."""
    row = comparison.table.set_index(["metric", "scenario"]).loc[("discharge_to_street_share", "housing_ready")]
    assert row["diff_ci_high"] < 0, "the whole interval of the difference is below zero"


def test_plain_line_reads_like_the_issue_example():
    """24% -> 11% with a difference of -13 points [-16, -10] is written as the issue asks."""
    table = pd.DataFrame(
        [
            {"metric": "temp_spells_over_90d_share", "unit": "share", "scenario": "baseline", "is_base": True,
             "mean": 0.24, "diff": np.nan, "diff_ci_low": np.nan, "diff_ci_high": np.nan},
            {"metric": "temp_spells_over_90d_share", "unit": "share", "scenario": "housing_ready", "is_base": False,
             "mean": 0.11, "diff": -0.13, "diff_ci_low": -0.16, "diff_ci_high": -0.10},
        ]
    )
    assert plain_line("housing_ready", "temp_spells_over_90d_share", table) == (
        "Housing ready: share of temporary stays over 90 days 24% -> 11% (difference -13 points, 95% CI -16 to -10)"
    )
    table.loc[1, ["diff_ci_low", "diff_ci_high"]] = [-0.031, 0.004]
    assert plain_line("housing_ready", "temp_spells_over_90d_share", table).endswith(
        "(difference -13.0 points, 95% CI -3.1 to 0.4), no clear difference"
    )
    assert label("more_staffed") == "More staffed"


def test_lines_cover_every_alternative_and_headline_metric(comparison):
    """One plain line per alternative and headline metric, in the scenarios' order."""
    lines = findings(comparison)
    assert len(lines) == 2 * len(HEADLINE)
    assert lines[0].startswith("Housing ready: share of people in temporary housing who pass 90 days there in a year ")
    assert lines[len(HEADLINE)].startswith("Baseline twin: ")
    assert all("no clear difference" in line for line in lines[len(HEADLINE):])


# ----------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def compare_out(tmp_path_factory):
    """``pathways compare baseline housing_ready differentiated`` (short, seed 5): the folder and the result."""
    out = tmp_path_factory.mktemp("compare") / "out"
    result = runner.invoke(
        app, ["compare", "baseline", "housing_ready", "differentiated", *SHORT_ARGS, "--seed", "5", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out, result


def test_compare_writes_table_figures_and_report(compare_out):
    """Table (CSV, Parquet), figures, one-page report (Markdown and self-contained HTML) and resolved scenarios."""
    out, result = compare_out
    for name in ("summary.json", "comparison.csv", "comparison.parquet", "replications.parquet", "metrics.png",
                 "temporary_stays.png", "report.md", "report.html", "report.pdf", "forest.png"):
        assert (out / name).is_file(), name
    assert (out / "metrics.png").stat().st_size > 10_000 and (out / "temporary_stays.png").stat().st_size > 10_000
    table = pd.read_csv(out / "comparison.csv")
    assert len(table) == 3 * len(METRICS)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "comparison.parquet"), table, check_dtype=False)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenarios"] == ["baseline", "housing_ready", "differentiated"] and summary["seed"] == 5
    report_md, report_html = (out / "report.md").read_text(), (out / "report.html").read_text()
    assert len(summary["findings"]) == 2 * len(HEADLINE)
    for line in summary["findings"]:
        assert line in report_md and html.escape(line) in report_html
        assert line in result.stdout
    assert report_html.count("data:image/png;base64,") == 3, "the HTML carries its figures (forest plot, outcomes, stays)"
    assert "(base)" in report_md
    resolved = sc.load(out / "scenarios" / "housing_ready.resolved.toml")
    assert resolved.seed == 5 and resolved.run.replications == 3


def test_compare_does_not_depend_on_workers():
    """One worker and two workers give the same summary.json content and replications."""
    from sim.reports.compare_report import summary

    scenarios = prepare([short("baseline"), short("best_fit")], replications=2)
    one, two = compare(scenarios, workers=1), compare(scenarios, workers=2)
    assert summary(one) == summary(two)
    pd.testing.assert_frame_equal(one.replications, two.replications)


def test_compare_replaces_its_own_earlier_output(compare_out, tmp_path):
    """Running into an earlier comparison's folder replaces it (like ``pathways run``)."""
    out, _ = compare_out
    again = runner.invoke(
        app, ["compare", "baseline", "strict_choice", "--years", "2", "--set", "run.warmup_days=180",
              "--replications", "2", "--workers", "1", "--out", str(out)]
    )
    assert again.exit_code == 0, again.output
    assert json.loads((out / "summary.json").read_text())["scenarios"] == ["baseline", "strict_choice"]


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["baseline", "no_such_scenario"], ["no_such_scenario", "shipped scenarios", "baseline"]),
        (["baseline", "housing_ready", "--set", "choice.max_declines=-1"], ["choice.max_declines", "-1", ">= 0"]),
        (["baseline", "housing_ready", "--set", "nosuch.key=1"], ["nosuch", "unknown key"]),
        (["baseline", "baseline"], ["baseline", "given twice"]),
    ],
)
def test_compare_refuses_bad_input(tmp_path, args, fragments):
    """Bad scenarios or overrides: exit 2, the key and value named, nothing written."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["compare", *args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert not out.exists()


def test_compare_refuses_an_out_folder_with_other_files(tmp_path):
    """--out at a folder that is not an earlier result, or at a file: exit 2, no traceback, left as it was."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    for target in (folder, folder / "notes.txt"):
        result = runner.invoke(app, ["compare", "baseline", "housing_ready", "--out", str(target)])
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
        assert str(target) in result.stderr and ("other files" in result.stderr or "is a file" in result.stderr)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"] and (folder / "notes.txt").read_text() == "keep me"


def test_compare_notes_different_run_lengths():
    """Scenarios with different observation windows get a note saying so."""
    longer = sc.load("housing_ready", overrides={"run": {"years": 2.5, "warmup_days": 180.0}})
    scenarios = prepare([short("baseline"), longer], replications=2)
    result = compare(scenarios, workers=1)
    assert result.notes and "run lengths" in result.notes[0]


def test_a_file_without_its_own_name_is_named_after_the_file(tmp_path):
    """A scenario file that extends the baseline but keeps its name is compared under the file's name."""
    path = tmp_path / "weekly_meetings.toml"
    path.write_text('extends = "baseline"\n[housing_office]\nmeeting_interval_days = 7.0\n', encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["compare", "baseline", str(path), "--years", "2", "--set", "run.warmup_days=180",
                                 "--replications", "2", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "summary.json").read_text())["scenarios"] == ["baseline", "weekly_meetings"]
    assert "Weekly meetings: " in (out / "report.md").read_text()


def test_prepare_needs_two_scenarios():
    """A comparison needs a base and at least one alternative."""
    with pytest.raises(ScenarioError, match="at least one alternative"):
        prepare([short("baseline")])


def test_cost_lines_price_the_avoided_days_over_the_norm():
    """The costs section: the total's paired difference, the largest items, and the cost per day in
    temporary housing beyond the 90-day norm avoided, only when such days are clearly avoided."""
    from types import SimpleNamespace

    from sim.reports.text import COST_ROWS, cost_lines

    def rows(name, total, days_diff, days_ci):
        out = [{"metric": m, "scenario": name, "diff": 0.0, "diff_ci_low": -1.0, "diff_ci_high": 1.0} for m in COST_ROWS]
        out[0].update(diff=total, diff_ci_low=total - 1e5, diff_ci_high=total + 1e5)
        out[1].update(diff=total)  # temporary housing carries it all
        out.append({"metric": "temp_days_over_norm_per_year", "scenario": name, "diff": days_diff,
                    "diff_ci_low": days_ci[0], "diff_ci_high": days_ci[1]})  # fmt: skip
        return out

    table = pd.DataFrame(
        rows("dearer", 2e6, -1000.0, (-1200.0, -800.0))
        + rows("cheaper", -1e6, -500.0, (-600.0, -400.0))
        + rows("unclear", 1e6, -10.0, (-50.0, 30.0))
    )
    comparison = SimpleNamespace(table=table, names=["baseline", "dearer", "cheaper", "unclear"])
    dearer, cheaper, unclear = cost_lines(comparison)
    assert dearer.startswith("Dearer: total cost NOK +2.0 million a year (95% CI +1.9 to +2.1)")
    assert "temporary housing NOK +2.0 million a year" in dearer
    assert dearer.endswith("It avoids 1,000 days a year in temporary housing beyond the 90-day norm: NOK 2,000 per day avoided.")
    assert cheaper.endswith("beyond the 90-day norm and costs less.")
    assert "per day avoided" not in unclear and "avoids" not in unclear
