"""``pathways compare --ensemble``: every scenario on every plausible parameter set, common random numbers.

Runs are tiny (2-year runs after a half-year warm-up, 2 points of a toy accepted set, 1-2
replications). Checked: the paired differences and the shares of points where an alternative is
better, on a fake small enough to check by hand; every scenario and point gets the same
replication seeds (a copy of the base differs by exactly 0 everywhere) and runs at the point's
values under its own keys; the numbers do not depend on the number of workers; an interrupted
ensemble resumes to the same ensemble.csv (through the command line, with the command it
prints); a bad accepted set is refused with exit code 2, one message and nothing written; the
command end to end; the headline figure for any number of headline metrics.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from typer.testing import CliRunner

from sim import config as sc
from sim.cli import app
from sim.experiments import ensemble as ens
from sim.experiments.calibration_search import searched_values
from sim.experiments.comparison import compare, prepare
from sim.experiments.ensemble import (
    ENSEMBLE_DIR,
    TABLE_COLUMNS,
    build_ensemble,
    ensemble_table,
    point_differences,
    run_ensemble,
    summarise,
)
from sim.experiments.replications import replication_seeds
from sim.experiments.run_store import RunStore
from sim.experiments.sweeps import finished_runs
from sim.measures.headline import HEADLINE
from sim.reports import compare_report
from sim.reports.ensemble_report import ENSEMBLE_CSV, ensemble_sentences, panels

runner = CliRunner()
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
SHORT = {"run": {"years": 2.0, "warmup_days": 180.0}}
#: Metrics that exist whatever the headline list becomes (one better lower, one better higher, one neutral).
FEW = ("discharge_to_street_share", "housed_count_mean", "population_mean")
TINY_ARGS = ("--replications", "1", "--years", "2", "--set", "run.warmup_days=180")


def toy_accepted(path: Path, factors: tuple[float, ...] = (1.0, 0.9, 1.1, 1.05)) -> Path:
    """An accepted set of ``len(factors)`` points: the baseline's searched values times each factor."""
    values = searched_values(sc.load("baseline"))
    rows = []
    for i, f in enumerate(factors):
        row: dict[str, Any] = {"point": i}
        row.update({k: (round(x * f) if isinstance(x, int) else x * f) for k, x in values.items()})
        row["baseline"] = i == 0
        rows.append(row)
    pd.DataFrame(rows).to_parquet(path, index=False)
    return path


@pytest.fixture(scope="module")
def accepted(tmp_path_factory) -> Path:
    """The toy accepted set (4 points)."""
    return toy_accepted(tmp_path_factory.mktemp("accepted") / "accepted.parquet")


def short(name: str) -> sc.Scenario:
    """A shipped scenario shortened to 2 years."""
    return sc.load(name, overrides=SHORT)


@pytest.fixture(scope="module")
def trio(accepted) -> ens.Ensemble:
    """Baseline, housing_ready and a copy of the baseline under another name, on 2 of the 4 points, 2 replications."""
    twin = sc.with_overrides(short("baseline"), {"name": "baseline_twin"})
    prepared = prepare([short("baseline"), short("housing_ready"), twin], seed=5, replications=2)
    return build_ensemble(prepared, accepted, n_points=2, metrics=FEW)


@pytest.fixture(scope="module")
def reference(trio) -> ens.EnsembleResult:
    """The trio's ensemble, in memory, on 2 worker processes."""
    return run_ensemble(trio, None, workers=2)


# ----------------------------------------------------------------------------- the numbers, by hand


def fake_runs(names: tuple[str, str], values: dict[str, dict[int, tuple[list[float], list[float]]]]) -> pd.DataFrame:
    """Runs by hand: ``values[metric][point] = (base's replications, alternative's replications)``."""
    rows = []
    metrics = list(values)
    points = sorted(next(iter(values.values())))
    for point in points:
        for slot, name in enumerate(names):
            for rep in range(2):
                row = {"point": point, "scenario": name, "replication": rep, "seed": rep}
                row.update({m: values[m][point][slot][rep] for m in metrics})
                rows.append(row)
    return pd.DataFrame(rows)


NAN = float("nan")
#: Three points (0, 1, 2), two replications. discharge_to_street_share (better lower): the
#: alternative's differences are -0.15, exactly 0 and, pairing its one replication with a value
#: with the base's same replication, +0.05 (unpaired it would be 0.25 - 0.40 = -0.15).
#: housed_count_mean (better higher): +2, -1, +2. population_mean (neutral): +5, no pair, -5.
#: readmission_within_365d_share (better lower): lower at every point.
HAND = {
    "discharge_to_street_share": {0: ([0.30, 0.50], [0.20, 0.30]), 1: ([0.40, 0.40], [0.40, 0.40]),
                                  2: ([0.20, 0.60], [0.25, NAN])},
    "housed_count_mean": {0: ([10, 10], [12, 12]), 1: ([10, 10], [9, 9]), 2: ([10, 10], [10, 14])},
    "population_mean": {0: ([100, 100], [105, 105]), 1: ([NAN, NAN], [100, 100]), 2: ([100, 100], [95, 95])},
    "readmission_within_365d_share": {0: ([0.5, 0.5], [0.4, 0.4]), 1: ([0.5, 0.5], [0.45, 0.45]),
                                      2: ([0.5, 0.5], [0.3, 0.5])},
}  # fmt: skip


def test_paired_differences_and_shares_by_hand():
    """Mean of paired differences per point; median, 5-95% (linear), extremes, share better (0 is not better)."""
    runs = fake_runs(("base", "alt"), HAND)
    diffs = point_differences(runs, "base", ["alt"], list(HAND))
    street = diffs[diffs["metric"] == "discharge_to_street_share"]
    assert list(street["point"]) == [0, 1, 2] and list(street["pairs"]) == [2, 2, 1]
    assert street["diff"].to_numpy() == pytest.approx([-0.15, 0.0, 0.05])
    population = diffs[diffs["metric"] == "population_mean"]
    assert np.isnan(population["diff"].iloc[1]) and population["pairs"].iloc[1] == 0

    table = ensemble_table(diffs, list(HAND), 2, {"alt": ["treatment.beds", "inflow.nav_homeless_per_year"]})
    assert list(table.columns) == list(TABLE_COLUMNS)
    row = table.set_index("metric").loc["discharge_to_street_share"]
    assert row["median_diff"] == pytest.approx(0.0, abs=1e-12)
    # sorted -0.15, 0, 0.05: the 5th percentile is 10% of the way from the first to the second, the 95th 90% from the second to the third
    assert row["p05"] == pytest.approx(-0.135) and row["p95"] == pytest.approx(0.045)
    assert (row["min"], row["max"]) == pytest.approx((-0.15, 0.05))
    assert row["share_better"] == pytest.approx(1 / 3), "only the point where it is lower; exactly 0 is not better"
    assert (row["points"], row["replications"], row["unit"]) == (3, 2, "share")
    assert row["overridden_keys"] == "treatment.beds; inflow.nav_homeless_per_year"
    housed = table.set_index("metric").loc["housed_count_mean"]
    assert (housed["median_diff"], housed["share_better"], housed["better_when"]) == (
        2.0,
        pytest.approx(2 / 3),
        "higher",
    )
    neutral = table.set_index("metric").loc["population_mean"]
    assert (neutral["points"], neutral["median_diff"], neutral["share_better"]) == (2, 0.0, 0.5), "share higher"
    readmitted = table.set_index("metric").loc["readmission_within_365d_share"]
    assert readmitted["share_better"] == 1.0 and readmitted["median_diff"] == pytest.approx(-0.1)


def test_sentences_read_the_table(accepted):
    """The ranking sentence counts outcomes better (worse) at every set; each metric's sentence follows its median."""
    frame = pd.read_parquet(accepted).iloc[:3]
    prepared = prepare([short("baseline"), short("housing_ready")], replications=2)
    ensemble = build_ensemble(prepared, frame, metrics=list(HAND))
    runs = fake_runs(("baseline", "housing_ready"), HAND)
    result = summarise(ensemble, runs)
    lines = ensemble_sentences(result)
    assert lines[0] == (
        "On all 3 plausible parameter sets, Housing ready is better than Baseline for 1 of 3 headline outcomes, "
        "worse for 0, and the ranking depends on the parameters for the other 2."
    )
    assert lines[1].startswith(
        "Housing ready leaves the share of discharges to the street or a sofa unchanged at the median"
    )
    assert "higher on 33% and lower on 33%" in lines[1]
    assert lines[2].startswith(
        "Housing ready raises the number of people in municipal housing on an average day on 67% of"
    )
    assert "(median +2.0; 90% of sets from -0.7 to +2.0)" in lines[2]
    assert lines[4].startswith(
        "Housing ready lowers the share of treatment discharges readmitted within a year on 100%"
    )
    assert "(median -10.0 points; 90% of sets from -10.0 to -5.5 points)" in lines[4]


# ----------------------------------------------------------------------------- seeds, points, workers


def test_every_scenario_and_point_gets_the_same_seeds(trio, reference):
    """Replication r has seed replication_seeds(base seed)[r] for every scenario and point: a copy of the base differs by 0."""
    runs = reference.runs
    assert len(runs) == trio.n_runs == 3 * 2 * 2
    assert list(runs["seed"]) == [replication_seeds(5, 2)[r] for r in runs["replication"]]
    twin = reference.table[reference.table["scenario"] == "baseline_twin"]
    assert (twin["median_diff"] == 0).all() and (twin["min"] == 0).all() and (twin["max"] == 0).all()
    assert (twin["share_better"] == 0).all() and (twin["points"] == 2).all()
    assert (reference.differences["pairs"] == 2).all()


def test_runs_are_at_the_points_values_under_the_scenarios_own_keys(accepted, trio, reference):
    """The scenario at a point has the point's values (the runs differ between points); a key a scenario sets stays its own."""
    frame = pd.read_parquet(accepted).set_index("point")
    for i, point in enumerate(trio.point_ids):
        assert trio.scenario(0, i).treatment.beds == frame.loc[point, "treatment.beds"]
        assert trio.scenario(1, i).coordination.application_timing == "admission", "housing_ready's own key"
    base = reference.runs[reference.runs["scenario"] == "baseline"]
    first, second = (base[base["point"] == p][list(FEW[:2])].to_numpy() for p in trio.point_ids)
    assert not np.array_equal(first, second), "the same seeds at two points with different values give different runs"

    own_beds = sc.with_overrides(short("housing_ready"), {"name": "hr_40_beds", "treatment": {"beds": 40}})
    mixed = build_ensemble(prepare([short("baseline"), own_beds], replications=1), accepted, metrics=FEW)
    assert mixed.overridden == {"baseline": [], "hr_40_beds": ["treatment.beds"]}
    assert {mixed.scenario(1, i).treatment.beds for i in range(mixed.n_points)} == {40}
    assert mixed.subset_seed is None and mixed.point_ids == (0, 1, 2, 3)
    again = build_ensemble(trio.scenarios, accepted, n_points=2, metrics=FEW)
    assert again.point_ids == trio.point_ids and again.subset_seed == ens.SUBSET_SEED, "a fixed subset"


def test_same_numbers_with_one_or_two_workers(trio, reference):
    """The ensemble in this process equals the one on two worker processes, row for row."""
    serial = run_ensemble(trio, None, workers=1)
    pd.testing.assert_frame_equal(serial.runs, reference.runs)
    pd.testing.assert_frame_equal(serial.table, reference.table)


# An interrupted ensemble resuming to the table of an uninterrupted one (in this process): tests/test_run_store.py.


# ----------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def cli_run(accepted, tmp_path_factory) -> Path:
    """``pathways compare baseline housing_ready --ensemble FILE --ensemble-points 2 --replications 1 --years 2 ...``."""
    out = tmp_path_factory.mktemp("cli") / "out"
    args = ["compare", "baseline", "housing_ready", "--ensemble", str(accepted), "--ensemble-points", "2", *TINY_ARGS]
    result = runner.invoke(app, [*args, "--out", str(out), "--workers", "2"])
    assert result.exit_code == 0, result.output
    (out / "stdout.txt").write_text(result.stdout)
    return out


def test_command_end_to_end(cli_run):
    """ensemble.csv (one row per headline metric), the report's section, summary.json and the sentences printed."""
    table = pd.read_csv(cli_run / ENSEMBLE_CSV)
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert list(table["metric"]) == list(HEADLINE) and set(table["scenario"]) == {"housing_ready"}
    assert (table["points"] == 2).all() and (table["replications"] == 1).all()
    assert table["share_better"].between(0, 1).all()
    report = (cli_run / "report.md").read_text()
    assert "## Across plausible parameter sets" in report and "2 of the 4 parameter sets" in report
    assert "Across plausible parameter sets" in (cli_run / "report.html").read_text()
    summary = json.loads((cli_run / "summary.json").read_text())
    assert len(summary["ensemble"]["points"]) == 2 and len(summary["ensemble"]["table"]) == len(HEADLINE)
    stdout = (cli_run / "stdout.txt").read_text()
    assert "of plausible parameter sets (median" in stdout and "ensemble.csv" in stdout
    assert (cli_run / "ensemble.png").is_file() and len(finished_runs(cli_run / ENSEMBLE_DIR)) == 2 * 2


def test_command_interrupted_then_resumed(cli_run, accepted, tmp_path, monkeypatch):
    """Ctrl-C after 2 saved runs: exit 130 and the command that finishes it; without --resume the folder is refused;
    the printed command finishes it, on another number of workers, with the same ensemble.csv."""
    out = tmp_path / "out"
    write_run = RunStore.write
    saved: list[int] = []

    def interrupt_after_two(store: RunStore, row: dict[str, Any]) -> None:
        write_run(store, row)
        saved.append(row["run"])
        if len(saved) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(RunStore, "write", interrupt_after_two)
    args = ["compare", "baseline", "housing_ready", "--ensemble", str(accepted), "--ensemble-points", "2", *TINY_ARGS]
    stopped = runner.invoke(app, [*args, "--out", str(out), "--workers", "1"])
    monkeypatch.undo()
    assert stopped.exit_code == 130, stopped.output
    assert "2 of 4 ensemble runs are saved" in stopped.stderr and not (out / "summary.json").exists()
    command = shlex.split(stopped.stderr.split("finish the comparison with:")[1].strip())
    assert command[:2] == ["pathways", "compare"] and command[-1] == "--resume"

    refused = runner.invoke(app, [*args, "--out", str(out), "--workers", "1"])
    assert refused.exit_code == 2 and "--resume" in refused.stderr and "2 of 4 runs done" in refused.stderr
    finished = runner.invoke(app, [*command[1:]])
    assert finished.exit_code == 0, finished.output
    assert "(2 were already done)" in finished.stdout
    assert (out / ENSEMBLE_CSV).read_bytes() == (cli_run / ENSEMBLE_CSV).read_bytes()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "no such file"),
        ("not_parquet", "cannot read the accepted set"),
        ("no_point", "column 'point' is missing"),
        ("out_of_range", "point 1, scenario baseline: treatment.beds = -3"),
    ],
)
def test_a_bad_accepted_set_is_refused(case, message, accepted, tmp_path):
    """One message naming the file and the problem, exit code 2, no traceback, nothing written."""
    path = tmp_path / f"{case}.parquet"
    frame = pd.read_parquet(accepted)
    if case == "not_parquet":
        path.write_text("point,treatment.beds\n0,30\n")
    elif case == "no_point":
        frame.drop(columns=["point"]).to_parquet(path)
    elif case == "out_of_range":
        frame.loc[1, "treatment.beds"] = -3
        frame.to_parquet(path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["compare", "baseline", "housing_ready", "--ensemble", "--accepted", str(path),
                                 *TINY_ARGS, "--out", str(out)])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert f"error: {path}:" in result.stderr and message in result.stderr
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert not out.exists()


def test_ensemble_options_need_ensemble(accepted, tmp_path):
    """--resume, --accepted, --ensemble-points and an accepted set among the scenarios are refused without --ensemble."""
    out = tmp_path / "out"
    for extra in (["--resume"], ["--ensemble-points", "2"], [str(accepted)]):
        result = runner.invoke(app, ["compare", "baseline", "housing_ready", *extra, "--out", str(out)])
        assert result.exit_code == 2 and "--ensemble" in result.stderr, result.output
    assert not out.exists()


# ----------------------------------------------------------------------------- the headline figure


def test_headline_figure_takes_any_number_of_metrics(tmp_path, monkeypatch):
    """The figure has one visible panel per headline metric, four to a row; the rest of the last row is hidden."""
    fig = Figure()
    shown = panels(fig, 5)
    assert len(shown) == 5 and len(fig.axes) == 8 and sum(ax.get_visible() for ax in fig.axes) == 5
    comparison = compare(prepare([short("baseline"), short("housing_ready")], replications=1), workers=1)
    for names in (FEW[:2], (*FEW, "temp_occupancy_mean", "discharge_to_street_share", "housed_count_mean",
                             "readmission_within_365d_share", "waitlist_mean", "evictions")):  # fmt: skip
        monkeypatch.setattr(compare_report, "HEADLINE", names)
        compare_report.metrics_figure(comparison, tmp_path / f"{len(names)}.png")
        assert (tmp_path / f"{len(names)}.png").stat().st_size > 0


def test_the_issue_command_on_the_shipped_accepted_set(tmp_path):
    """``pathways compare baseline housing_ready housing_first --ensemble`` on the shipped accepted set
    (scenarios/calibration/accepted.parquet), at a small size: 2 of its points, 1 replication."""
    out = tmp_path / "out"
    args = ["compare", "baseline", "housing_ready", "housing_first", "--ensemble", "--ensemble-points", "2", *TINY_ARGS]
    result = runner.invoke(app, [*args, "--out", str(out), "--workers", "2"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / ENSEMBLE_CSV)
    assert set(table["scenario"]) == {"housing_ready", "housing_first"}
    assert (table["points"] == 2).all() and len(table) == 2 * len(HEADLINE)
