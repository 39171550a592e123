"""The planner's one-page summary (``sim.reports.planner``) and the outputs in Norwegian.

Checked on hand-made comparison tables (so the expected marks and verdicts are known): a mark
knows which direction is better and needs an interval that excludes zero; a verdict names the
trade-off; the PDF is one A4 page whatever the number of scenarios; ``--lang nb`` writes the
report, the run's sentences and the tables in Norwegian with decimal commas; the run table fits
80 columns.
"""

from __future__ import annotations

import io
import math
import re
from types import SimpleNamespace

import pandas as pd
import pytest
from rich.console import Console

from sim.measures.headline import HEADLINE, better_sign
from sim.measures.metrics import METRICS
from sim.reports import planner
from sim.reports.language import fmt
from sim.reports.text import run_in_words


def fake_comparison(effects: dict[str, dict[str, tuple[float, float, float]]]) -> SimpleNamespace:
    """A comparison-like object: the base's mean is 100 for every headline measure (0.3 for a share,
    NOK 100 million for cost); ``effects[alt][metric] = (diff, low, high)``, no difference elsewhere."""
    rows = []
    names = ["baseline", *effects]
    for metric in HEADLINE:
        unit = METRICS[metric].unit
        base = 0.3 if unit == "share" else 1e8 if "NOK" in unit else 100.0
        for name in names:
            d, lo, hi = effects.get(name, {}).get(metric, (0.0, -1e-3 * base, 1e-3 * base))
            is_base = name == "baseline"
            rows.append({
                "metric": metric, "unit": unit, "scenario": name, "is_base": is_base,
                "mean": base + (0 if is_base else d), "ci_low": base, "ci_high": base,
                "diff": math.nan if is_base else d, "diff_ci_low": math.nan if is_base else lo,
                "diff_ci_high": math.nan if is_base else hi,
            })
    run = SimpleNamespace(replications=10, years=12.0, warmup_days=730.0)
    return SimpleNamespace(table=pd.DataFrame(rows), names=names, base=SimpleNamespace(run=run, seed=1, name="baseline"))


def test_a_mark_knows_which_direction_is_better():
    """Lower is better for stays and street discharges; an interval across zero is no clear difference."""
    assert better_sign("discharge_to_street_share") == -1
    assert planner.judge(-0.07, -0.09, -0.05, -1) == "better"
    assert planner.judge(-0.07, -0.09, -0.05, +1) == "worse"
    assert planner.judge(+0.07, 0.05, 0.09, -1) == "worse"
    assert planner.judge(-0.07, -0.09, 0.01, -1) == "unclear"
    assert planner.judge(math.nan, math.nan, math.nan, -1) == "nodata"
    assert planner.judge(1.0, 0.5, 1.5, 0) == "neutral"


def test_the_verdict_names_the_trade_off():
    """Fewer discharges to the street but more people over 90 days: both named, better first."""
    comp = fake_comparison({
        "housing_ready": {
            "discharge_to_street_share": (-0.07, -0.09, -0.05),
            "temp_households_over_90d_share": (0.05, 0.02, 0.08),
        },
        "twin": {},
    })
    text = planner.verdict(comp, "housing_ready")
    assert text.startswith("Housing ready: better on discharges to the street or a sofa (-7.0 points)")
    assert "but worse on people in temporary housing over 90 days in a year (+5.0 points); a trade-off." in text
    assert text.endswith("The other 5 headline measures show no clear difference.")
    assert planner.verdict(comp, "twin") == "Twin: no clear difference from Baseline on any headline measure."
    nb = planner.verdict(comp, "housing_ready", "nb")
    assert "men verre på" in nb and "(-7,0 prosentpoeng)" in nb


def test_the_table_marks_better_and_worse():
    """The summary table: the base's value, then per alternative the difference, interval and mark."""
    comp = fake_comparison({"alt": {"cost_total_nok_per_year": (2e6, 1e6, 3e6), "homeless_per_1000": (-0.1, -0.2, -0.05)}})
    header, body = planner.rows(comp)
    assert header[:3] == ["Measure", "Better", "Baseline (base)"]
    by = {r[0]: r for r in body}
    assert by["total cost"][1] == "lower" and by["total cost"][3].startswith("✗ NOK +2.0 m [1.0, 3.0]")
    assert by["homeless per 1,000 inhabitants"][3].startswith("✓ -0.10 [-0.20, -0.05]")
    assert by["revolving-door people a year"][3].startswith("○")


@pytest.mark.parametrize("n_alternatives", [1, 6])
def test_the_pdf_is_one_a4_page(tmp_path, n_alternatives):
    """One page of A4 (595 x 842 points), with 1 or 6 alternatives."""
    comp = fake_comparison({f"alt_{i}": {"temp_occupancy_mean": (-5.0 - i, -8.0 - i, -2.0 - i)} for i in range(n_alternatives)})
    path = planner.write_pdf(comp, tmp_path / "report.pdf", "A title", "en")
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type /Page\b", data)) == 1
    box = [float(x) for x in re.search(rb"/MediaBox \[ ([\d. ]+) \]", data).group(1).split()]
    assert box[2] == pytest.approx(595.44, abs=1) and box[3] == pytest.approx(841.68, abs=1)


def test_the_forest_plot_and_html_are_computed(tmp_path):
    """The HTML summary carries the verdicts, the marks as classes and the forest plot."""
    comp = fake_comparison({"alt": {"discharge_to_street_share": (-0.07, -0.09, -0.05)}})
    text = planner.html_summary(comp, "en")
    assert planner.verdict(comp, "alt") in text
    assert '<td class="better">' in text and text.count("data:image/png;base64,") == 1
    assert planner.forest_png(comp).startswith(b"\x89PNG")


def test_numbers_in_norwegian_have_decimal_commas():
    """Babel's locale tables: a decimal comma and a space between thousands."""
    assert fmt(1234.5, 1, "nb") == "1\u00a0234,5"
    assert fmt(1234.5, 1, "en") == "1,234.5"
    with pytest.raises(ValueError, match="allowed: en, nb"):
        fmt(1.0, 1, "de")


SUMMARY = {"metrics": {
    "temp_occupancy_mean": {"mean": 57.2}, "street_count_mean": {"mean": 19.0},
    "homeless_census_count": {"mean": 65.0}, "homeless_per_1000": {"mean": 0.84},
    "temp_households_over_90d_share": {"mean": 0.334}, "temp_households_per_year": {"mean": 179.0},
    "temp_household_days_mean": {"mean": 73.7}, "discharge_to_street_share": {"mean": 0.18},
    "readmission_within_365d_share": {"mean": 0.5}, "cost_total_nok_per_year": {"mean": 107.4e6},
}}


def test_the_run_in_words_in_english_and_norwegian():
    """The same numbers, in each language's words and number format."""
    en, nb = run_in_words(SUMMARY), run_in_words(SUMMARY, "nb")
    assert len(en) == len(nb) == 3
    assert en[0].startswith("On an average day 57 people are in NAV temporary housing") and "0.84 per 1,000" in en[0]
    assert nb[0].startswith("En gjennomsnittsdag bor 57 personer i NAV midlertidig botilbud") and "0,84 per 1 000" in nb[0]
    assert "33 % av dem passerer 90-dagersnormen" in nb[1] and "107 mill. kr per år" in nb[2]


def test_the_run_table_fits_80_columns():
    """At 80 columns the description column is left out and no metric name is cut."""
    from sim.cli.run import results_table

    summary = {"scenario": "baseline", "replications": 10, "seed": 1, "metrics": {
        name: {"mean": 0.5, "ci95": [0.4, 0.6], "unit": meta.unit, "description": meta.description}
        for name, meta in METRICS.items()
    }}
    buffer = io.StringIO()
    console = Console(file=buffer, width=80)
    console.print(results_table(summary, 80))
    lines = buffer.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any("housed_at_discharge_share_homeless_at_admission" in line for line in lines)
    wide = io.StringIO()
    Console(file=wide, width=160).print(results_table(summary, 160))
    assert METRICS["temp_occupancy_mean"].description[:30] in wide.getvalue()


def test_the_comparison_tables_fit_80_columns():
    """At 80 columns the comparison is one short table per alternative; no scenario name is cut."""
    from sim.cli.experiments import comparison_tables

    comp = fake_comparison({"temporary_capacity": {}, "staffed_temporary": {}})
    comp.base.run = SimpleNamespace(replications=10, years=12.0, warmup_days=730.0)
    tables = comparison_tables(comp, 80)
    assert len(tables) == 2
    buffer = io.StringIO()
    console = Console(file=buffer, width=80)
    for table in tables:
        console.print(table)
    text = buffer.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80 and "…" not in text
    assert "Temporary" in text and "capacity" in text and "revolving_door_persons_per_year" in text


def test_the_table_gives_the_share_of_plausible_parameter_sets():
    """With an ensemble, each cell also says on what share of the accepted sets the alternative is better."""
    comp = fake_comparison({"alt": {"discharge_to_street_share": (-0.07, -0.09, -0.05)}})
    table = pd.DataFrame([
        {"scenario": "alt", "metric": m, "share_better": 0.9 if m == "discharge_to_street_share" else 0.4, "points": 34}
        for m in HEADLINE
    ])
    ensemble = SimpleNamespace(table=table)
    _, body = planner.rows(comp, "en", ensemble)
    by = {r[0]: r for r in body}
    assert by["discharges to the street or a sofa"][3].endswith("better on 90% of plausible parameter sets")
    assert by["total cost"][3].endswith("better on 40% of plausible parameter sets")
    lines = planner.markdown_summary(comp, "en", ensemble)
    assert any("Across 34 plausible parameter sets" in line for line in lines)


def test_the_api_refuses_an_unknown_language_before_running():
    """``sim.compare(..., lang=...)`` takes en or nb; anything else is refused at once."""
    import sim

    with pytest.raises(ValueError, match="allowed: en, nb"):
        sim.compare("baseline", "best_fit", lang="de")
