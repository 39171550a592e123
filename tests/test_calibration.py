"""Calibration: the baseline stays inside the published patterns' bands, the report in the repo is
the command's output for the current baseline, and the measures and the search do what they say.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim import config as sc
from sim.cli import app
from sim.experiments import calibration as cal
from sim.experiments import calibration_search as cs
from sim.experiments.executors import SerialExecutor
from sim.measures import patterns
from sim.model.records import Records
from sim.reports import calibration_report as report
from sim.reports.calibration_text import band_text
from tests.conftest import REPO

REPORT = REPO / "docs" / "calibration.md"


# ----------------------------------------------------------------------------- the baseline against the bands


@pytest.fixture(scope="module")
def baseline_check() -> cal.CalibrationCheck:
    """Six replications of the baseline, of Housing First and of the recovery house on top of it
    (same seeds), in this process."""
    return cal.check_baseline(sc.load("baseline"), 6, workers=1)


def test_baseline_stays_inside_every_pattern_band(baseline_check):
    """The baseline reproduces the published patterns together: the mean over six replications of
    each pattern the acceptance rule uses lies in its band (docs/calibration.md has the full check
    with more replications). A pattern not used to accept (F4's longest stays) is a known misfit:
    the model's value is still below its band, and when it is not, this fails so the rule is
    revisited."""
    results = baseline_check.results
    missed = [
        f"{r.pattern.name} = {r.estimate.mean:.4g} (band {r.pattern.low:g} to {r.pattern.high:g}, {r.pattern.source})"
        for r in results
        if r.pattern.accepts and not r.met
    ]
    assert not missed, "the baseline drifted out of its calibration bands: " + "; ".join(missed)
    for r in results:
        if not r.pattern.accepts:
            assert r.estimate.mean < r.pattern.low, (r.pattern.name, "now met: use it to accept again")


#: Contrasts whose model difference is far smaller than the trial's, each explained by its
#: mechanism (docs/calibration.md and docs/face_validity.md show them). Housed 12 months after
#: becoming homeless (F16): in the model both arms are mostly housed a year on (about four in five),
#: because private housing counts as housed and usual services send many homeless people on to
#: private housing within a year, while the trial's usual arm was housed at 31 %; the difference is
#: within a few points of 0 in either direction. When the difference grows, this fails: update it.
KNOWN_FAR_SMALLER = {"Housed 12 months after becoming homeless"}


def test_face_validity_effects_are_sized_against_the_trials(baseline_check):
    """Housing First houses people sooner than usual services (F16), and people placed in a
    recovery house relapse less than people placed in an ordinary unit (F17): every contrast with
    a trial figure has the trial's direction with a 95% interval that excludes 0, and its size is
    reported as a share of the trial's effect -- but for those in :data:`KNOWN_FAR_SMALLER`, whose
    difference is under a tenth of the trial's either way (said so, not called a match)."""
    from sim.reports.calibration_text import effect_text

    results = [r for r in baseline_check.contrasts if r.contrast.trial_policy is not None]
    assert {r.contrast.figure for r in results} == {"F16", "F17"} and len(results) == 3
    for r in results:
        c = r.contrast
        detail = (c.label, r.policy.mean, r.usual.mean, r.difference)
        text = effect_text(r)
        assert "of the trial's" in text, text
        if c.label in KNOWN_FAR_SMALLER:
            trial = c.trial_policy - c.trial_usual
            assert abs(r.difference.mean) < 0.1 * abs(trial), ("no longer far smaller than the trial's: update it", *detail)
            assert "much smaller" in text or "no clear effect" in text or "opposite" in text, text
            continue
        assert r.same_direction and r.clear, detail


def test_report_in_the_repo_is_the_commands_output_for_the_current_baseline():
    """docs/calibration.md evaluated exactly the current scenarios/baseline.toml (parameter
    fingerprint) and shows every pattern with its current band: change the baseline or a band,
    and this fails until ``pathways calibrate`` is run again."""
    text = REPORT.read_text(encoding="utf-8")
    assert "Written by `pathways calibrate" in text
    assert report.recorded_fingerprint(REPORT) == cal.fingerprint(sc.load("baseline")), (
        "docs/calibration.md is stale: run `pathways calibrate`"
    )
    for p in cal.PATTERNS:
        row = next((line for line in text.splitlines() if f"(`{p.name}`)" in line), None)
        assert row is not None, p.name
        assert band_text(p) in row and p.source in row, p.name
    for c in cal.CONTRASTS:
        assert c.label in text


def test_the_shipped_accepted_set_holds_the_baseline_and_only_accepted_points():
    """scenarios/calibration/accepted.parquet is the search's accepted set: every point inside every
    band the acceptance rule uses, the baseline one of them (the same searched values as
    scenarios/baseline.toml), and the report says how many points met each pattern, none of them
    every point of the design."""
    from sim.experiments import accepted

    frame = accepted.read_accepted()
    assert len(frame) >= 10
    for p in cal.PATTERNS:
        if p.accepts:
            assert frame[p.name].apply(p.met).all(), p.name
    assert frame["implausibility"].max() <= cal.IMPLAUSIBILITY_CUTOFF
    base_rows = frame[frame["baseline"]]
    assert len(base_rows) == 1
    row = accepted.points(base_rows)[0]
    for key, value in cs.searched_values(sc.load("baseline")).items():
        assert row[key] == pytest.approx(value, rel=1e-12), key
    design = pd.read_parquet(accepted.ACCEPTED_PATH.with_name("design.parquet"))
    assert set(frame["point"]) <= set(design["point"])
    text = REPORT.read_text(encoding="utf-8")
    assert f"**{len(frame)} of {len(design)} points met every pattern" in text
    assert "**no**: every point meets it" not in text


# ----------------------------------------------------------------------------- patterns and measures


def test_pattern_band_margin_and_implausibility():
    assert cal.band(0.40, 0.1 / 3) == pytest.approx((0.30, 0.50))
    p = cal.Pattern("x", "x", "share", 0.30, 0.50, "40 %", "F0")
    assert p.met(0.30) and p.met(0.5) and p.met(0.4)
    assert not p.met(0.29) and not p.met(math.nan)
    assert p.implausibility(0.40) == pytest.approx(0.0)
    assert p.implausibility(0.50) == pytest.approx(cal.IMPLAUSIBILITY_CUTOFF)
    assert p.implausibility(0.60) == pytest.approx(6.0) and p.implausibility(math.nan) == math.inf
    assert p.margin(0.40) == pytest.approx(1.0)
    assert p.margin(0.30) == pytest.approx(0.0) and p.margin(0.50) == pytest.approx(0.0, abs=1e-12)
    assert p.margin(0.25) == pytest.approx(-0.5)
    assert p.margin(math.nan) == -math.inf


def test_patterns_are_defined_once_with_sources_and_sane_bands():
    """The patterns that can fail, each once, with a source and a band around its target; the
    inputs in disguise (occupancy of the stock, relapse by 90 days and a year) are not patterns."""
    names = [p.name for p in cal.PATTERNS]
    assert len(names) == len(set(names))
    assert {"temp_occupancy_mean", "temp_households_over_90d_share", "temp_longest_stay_days",
            "readmission_within_365d_share", "treatment_wait_days_mean", "homeless_per_1000",
            "homeless_share_temporary", "homeless_share_institution"} == set(names)  # fmt: skip
    assert not {"municipal_occupancy_share", "relapse_within_90d_share", "relapse_within_365d_share"} & set(names)
    for p in cal.PATTERNS:
        assert p.low < p.high and p.source and p.target
        if p.unit == "share":
            assert 0.0 <= p.low < p.high <= 1.0


def spells_frame(rows: list[tuple]) -> pd.DataFrame:
    """A spells table from (person, state, housing_type, start, end, end_reason) rows."""
    records = Records()
    for person, state, kind, start, end, reason in rows:
        records.spell(person, state, kind, "sentrum" if kind else "", start, end, reason)
    return records.frame("spells")


def test_longest_stay_per_year():
    """Each year's longest stay in progress, cut at the year's end; the mean over whole years."""
    spells = spells_frame([
        (1, "temporary", "", 0.0, 500.0, "moved_in"),      # in year 1 (365-730): 500 at its end
        (2, "temporary", "", 600.0, 1200.0, "moved_in"),   # year 1: 130 by day 730; year 2: 600
        (3, "housed", "ordinary", 0.0, 1200.0, "end_of_run"),
    ])  # fmt: skip
    assert patterns.longest_stay_per_year(spells, 365.0, 1095.0) == pytest.approx((500.0 + 495.0) / 2)
    assert math.isnan(patterns.longest_stay_per_year(spells, 365.0, 700.0))


def test_relapse_within_share_counts_relapses_in_the_window_after_discharge():
    records = Records()
    for person, day in ((1, 100.0), (2, 100.0), (3, 100.0), (4, 900.0)):
        Records.add(records.discharges, person, day, "treatment", "temporary")
    Records.add(records.relapses, 1, 50.0, "street")  # before the discharge: does not count
    Records.add(records.relapses, 2, 400.0, "temporary")  # within 365 days
    Records.add(records.relapses, 3, 500.0, "temporary")  # after 365 days
    Records.add(records.relapses, 4, 910.0, "temporary")  # discharge too late for a 365-day window
    assert patterns.relapse_within_share(records, 0.0, 1000.0, 365.0) == pytest.approx(1 / 3)


def test_homelessness_outcomes():
    """Episodes, time to housing, housed at 12 months and the share of the year housed, by hand."""
    spells = spells_frame([
        # 1: homeless 100 days, then a municipal unit for good
        (1, "temporary", "", 1000.0, 1100.0, "moved_in"),
        (1, "housed", "ordinary", 1100.0, 4000.0, "end_of_run"),
        # 2: street then temporary (one episode), housed after 400 days (after the 12-month point)
        (2, "street", "", 1000.0, 1200.0, "came_to_nav"),
        (2, "temporary", "", 1200.0, 1400.0, "moved_in"),
        (2, "housed", "rop", 1400.0, 4000.0, "end_of_run"),
        # 3: moves to private housing after 50 days, leaves the population stable at day 1300
        (3, "temporary", "", 1000.0, 1050.0, "own_housing"),
        (3, "private", "", 1050.0, 1300.0, "stable"),
        # 4: dies after 100 days: left out of the 12-month share, 100 days observed
        (4, "street", "", 1000.0, 1100.0, "death"),
        # 5: homeless all the time, in treatment on day 365
        (5, "temporary", "", 1000.0, 1300.0, "admitted_treatment"),
        (5, "treatment", "", 1300.0, 1400.0, "discharged"),
        (5, "temporary", "", 1400.0, 4000.0, "end_of_run"),
        # 6: episode starts too late to be followed for two years
        (6, "temporary", "", 3500.0, 4000.0, "end_of_run"),
    ])  # fmt: skip
    exits = pd.DataFrame({"person": [3, 4], "day": [1300.0, 1100.0], "reason": ["stable", "death"],
                          "state": ["private", "street"]})  # fmt: skip
    out = patterns.homelessness_outcomes(spells, exits, warmup=500.0, end=4000.0)
    # housed on day 365: persons 1 and 3 yes; 2 and 5 no; 4 left out; the second episode of 5 starts at
    # 1400 (after treatment; 1400 + 730 <= 4000, so it counts: never housed)
    assert out["homeless_housed_at_365d_share"] == pytest.approx(2 / 5)
    shares = [265 / 365, 0.0, 315 / 365, 0.0, 0.0, 0.0]  # 1, 2 (housed from day 400), 3, 4, 5, 5 again
    assert out["homeless_time_housed_365d_share"] == pytest.approx(np.mean(shares))
    # days to housing: 100, 400, 50, inf (4 died), 2700-ish/inf (5), inf (5 again) -> median of 6 is inf
    assert math.isnan(out["homeless_days_to_housing_median"])
    out = patterns.homelessness_outcomes(spells[spells["person"] <= 3], exits, warmup=500.0, end=4000.0)
    assert out["homeless_days_to_housing_median"] == pytest.approx(100.0)
    # the names follow the horizon
    half = patterns.homelessness_outcomes(spells, exits, warmup=500.0, end=4000.0, horizon=180.0)
    assert {"homeless_housed_at_180d_share", "homeless_time_housed_180d_share",
            "homeless_in_unit_at_180d_share"} <= set(half)  # fmt: skip


def test_placement_relapse_by_unit_type():
    offers = pd.DataFrame({
        "person": [1, 2, 3, 4, 5],
        "day": [100.0, 100.0, 100.0, 100.0, 900.0],
        "housing_type": ["staffed", "staffed", "ordinary", "ordinary", "staffed"],
        "zone": ["sentrum"] * 5,
        "accepted": [True, True, True, False, True],
        "consequence": ["accepted", "accepted", "accepted", "declined", "accepted"],
    })  # fmt: skip
    relapses = pd.DataFrame({"person": [1, 3, 4], "day": [500.0, 200.0, 150.0], "state": ["housed"] * 3})
    out = patterns.placement_relapse(offers, relapses, warmup=0.0, end=1000.0)
    assert out["staffed_placements"] == 2 and out["ordinary_placements"] == 1  # 5 is too late, 4 declined
    assert out["staffed_relapse_within_730d_share"] == pytest.approx(0.5)
    assert out["ordinary_relapse_within_730d_share"] == pytest.approx(1.0)
    # the names follow the window: a year-long window names its measures ``_365d_``
    short = patterns.placement_relapse(offers, relapses, warmup=0.0, end=1000.0, window=365.0)
    assert set(short) == {f"{kind}_{what}" for kind in ("recovery", "staffed", "ordinary")
                          for what in ("relapse_within_365d_share", "placements")}  # fmt: skip
    assert short["staffed_placements"] == 2 and short["staffed_relapse_within_365d_share"] == 0.0  # 400 days later


# ----------------------------------------------------------------------------- the search


def test_latin_hypercube_is_repeatable_and_inside_the_ranges():
    a = cs.latin_hypercube(cs.SEARCH_SPACE, 16, seed=3)
    assert a == cs.latin_hypercube(cs.SEARCH_SPACE, 16, seed=3)
    assert a != cs.latin_hypercube(cs.SEARCH_SPACE, 16, seed=4)
    for p in cs.SEARCH_SPACE:
        values = [point[p.key] for point in a]
        assert all(p.low <= v <= p.high for v in values), p.key
        assert len(set(values)) > 8, f"{p.key}: the hypercube spreads every parameter"
        if p.integer:
            assert all(isinstance(v, int) for v in values)
    box = cs.zoom_box(cs.SEARCH_SPACE, a[0], 0.25)
    for point in cs.latin_hypercube(cs.SEARCH_SPACE, 8, seed=5, box=box):
        for p in cs.SEARCH_SPACE:
            lo, hi = box[p.key]
            assert hi - lo == pytest.approx(0.25) and 0.0 <= lo and hi <= 1.0
            v = point[p.key]
            rounding = 0.5 if p.integer else 0.5 * 10 ** (math.floor(math.log10(abs(v))) - p.digits + 1)
            span = p.high - p.low
            assert p.low + lo * span - rounding - 1e-12 <= v <= p.low + hi * span + rounding + 1e-12, p.key


def test_every_searched_parameter_is_an_assumption_in_the_baseline_file():
    """The search varies only values the baseline file marks as assumptions, and they exist."""
    text = (REPO / "scenarios" / "baseline.toml").read_text(encoding="utf-8")
    base = sc.load("baseline")
    section = ""
    lines: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("["):
            section = line.strip("[] ").split("]")[0]
        elif "=" in line and not line.lstrip().startswith("#"):
            lines[f"{section}.{line.split('=', 1)[0].strip()}"] = line
    for p in cs.SEARCH_SPACE:
        cs.get_value(base, p.key)
        assert "assumption" in lines[p.key], p.key


def test_choose_point_takes_the_largest_worst_margin_among_points_meeting_every_band():
    table = pd.DataFrame({"all_met": [False, True, True, True], "worst_margin": [0.9, 0.2, 0.6, 0.6]})
    assert cs.choose_point(table) == 2
    assert cs.choose_point(table.assign(all_met=False)) is None


def test_search_runs_and_reports_every_point():
    """A tiny two-round search: every point evaluated, the second round inside the zoomed box."""
    base = sc.with_overrides(sc.load("baseline"), {"run": {"years": 2.5}})
    found = cs.search(base, samples=3, replications=1, rounds=2, workers=1)
    t = found.table
    assert len(t) == 6 and list(t["round"]) == [0, 0, 0, 1, 1, 1]
    assert {p.name for p in cal.PATTERNS} <= set(t.columns)
    assert found.closest == int(t["worst_margin"].idxmax())
    assert (found.chosen is None) == (not t["all_met"].any())


# ----------------------------------------------------------------------------- the command


def test_calibrate_command_writes_the_report(tmp_path):
    """``pathways calibrate`` is registered, runs, prints the check and writes the report, naming
    the command that reproduces it."""
    out = tmp_path / "calibration.md"
    result = CliRunner().invoke(app, ["calibrate", "--check-only", "--replications", "2", "--years", "3",
                                      "--out", str(out), "--workers", "1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    for p in cal.PATTERNS:
        assert f"(`{p.name}`)" in text
    assert f"Written by `pathways calibrate --check-only --replications 2 --years 3.0 --out {out}`" in text
    assert "No search has been recorded yet" in text
    assert "temp_occupancy_mean" in result.output


def test_calibrate_refuses_check_only_with_search(tmp_path):
    result = CliRunner().invoke(app, ["calibrate", "--check-only", "--search", "--out", str(tmp_path / "x.md")])
    assert result.exit_code == 2
    assert "exclude each other" in result.output
    assert not (tmp_path / "x.md").exists()


def test_check_only_keeps_the_last_search_and_compares_the_baseline_with_its_proposal(tmp_path):
    out = tmp_path / "calibration.md"
    base = sc.with_overrides(sc.load("baseline"), {"run": {"years": 2.5}})
    current = cs.searched_values(base)
    other = {**current, "treatment.beds": current["treatment.beds"] + 1}
    for proposal, answer in ((current, "**yes**"), (other, "**no**")):
        section = (
            f"{report.SEARCH_BEGIN}\n## Search\n\nsearched by hand\n"
            f"<!-- proposed: {json.dumps(proposal)} -->\n{report.SEARCH_END}"
        )
        out.write_text("# old report\n\n" + section + "\n", encoding="utf-8")
        result = CliRunner().invoke(app, ["calibrate", "--replications", "2", "--years", "2.5", "--workers", "1",
                                          "--out", str(out)])  # fmt: skip
        assert result.exit_code == 0, result.output
        text = out.read_text(encoding="utf-8")
        assert section in text and "searched by hand" in text
        assert f"These are the values proposed by the last search (below): {answer}" in text
        assert "Search:" not in result.output  # no new search


def test_a_calibration_runs_on_any_executor_with_the_same_numbers():
    """The calibration's replications go through ``sim.experiments.executors`` (so a Dask client's
    executor works too): a process pool and this process give the same rows, in replication order."""
    base = sc.with_overrides(sc.load("baseline"), {"run": {"years": 2.5}})
    here = cal.evaluate_many([base, cal.housing_first_on(base)], 2, executor=SerialExecutor())
    pooled = cal.evaluate_many([base, cal.housing_first_on(base)], 2, workers=2)
    for a, b in zip(here, pooled, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert "relapse_within_365d_share" in here[0] and "staffed_placements" in here[0]
