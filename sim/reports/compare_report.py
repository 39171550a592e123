"""Writing a comparison: table (CSV, Parquet), figures and a one-page report, all or nothing.

The output folder of ``pathways compare``::

    summary.json             every metric: each scenario's mean and 95% CI, the paired differences
    comparison.csv/.parquet  the same as a table, one row per (metric, scenario)
    replications.parquet     every replication's metrics, with its scenario and seed
    metrics.png              the headline metrics by scenario with 95% intervals
    temporary_stays.png      the temporary-stay distributions overlaid, with the 90-day norm
    forest.png               the paired differences from the base with 95% intervals (forest plot)
    report.pdf               the planner's summary on one A4 page (table, verdicts, forest plot)
    report.md, report.html   the report: the planner's summary first, then findings, costs and
                             figures (the HTML has the figures inside it)
    scenarios/<name>.resolved.toml   every parameter of every scenario, with the seed

With an ensemble (``pathways compare --ensemble``, :mod:`sim.experiments.ensemble`), also::

    ensemble.csv             one row per (alternative, headline metric): the paired difference across
                             the plausible parameter sets (:mod:`sim.reports.ensemble_report`)
    ensemble.png             each alternative's difference at every parameter set
    ensemble/                the ensemble's runs (manifest.json, points.parquet, runs/), kept so that
                             an interrupted ensemble can be resumed

Figures are drawn on :class:`matplotlib.figure.Figure` objects: no backend is chosen, so a
notebook's inline backend is left alone.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from sim.config import DAYS_PER_YEAR
from sim.experiments.comparison import Comparison
from sim.experiments.ensemble import ENSEMBLE_DIR, EnsembleResult
from sim.experiments.ensemble import MANIFEST as ENSEMBLE_MANIFEST
from sim.files import check_out_dir, replace_folder
from sim.measures.households import NORM_DAYS
from sim.measures.metrics import json_number, temporary_stay_lengths
from sim.reports import ensemble_report, planner
from sim.reports.language import check_lang
from sim.reports.run_figures import STAY_BIN_DAYS
from sim.reports.text import HEADLINE, NOK_UNIT, PLAIN, cost_lines, findings, label, scaled

#: One colour per scenario, the base (grey) first.
COLOURS = ("tab:grey", "tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink")
#: The stays figure's x axis reaches this quantile of every scenario's stays (the last 1% would
#: squeeze the rest), and at least twice the norm.
LONGEST_QUANTILE = 0.99
CURVE_POINTS = 400  # days at which the "still going" curve is evaluated
#: The share of temporary stays over 90 days, shown in the stays figure's legend ("no data" if it is not measured).
STAYS_OVER_NORM = "temp_spells_over_90d_share"
#: The forest plot of the paired differences and the one-page PDF summary.
FOREST_FIGURE = "forest.png"
REPORT_PDF = "report.pdf"


def summary(comparison: Comparison, ensemble: EnsembleResult | None = None) -> dict[str, Any]:
    """``summary.json`` content: deterministic for the same scenarios and seed (no timestamps).

    Args:
        comparison: The comparison (:func:`sim.experiments.comparison.compare`).
        ensemble: The ensemble comparison, if one was run (:func:`sim.experiments.ensemble.run_ensemble`).

    Returns:
        Every metric's means, intervals and paired differences, the findings and the notes (and
        the ensemble's table and sentences under ``"ensemble"``).
    """
    base = comparison.base
    metrics: dict[str, Any] = {}
    for metric, rows in comparison.table.groupby("metric", sort=False):
        entry: dict[str, Any] = {"unit": rows["unit"].iloc[0], "scenarios": {}, "differences": {}}
        for _, r in rows.iterrows():
            entry["scenarios"][r["scenario"]] = {
                "mean": json_number(r["mean"]),
                "ci95": [json_number(r["ci_low"]), json_number(r["ci_high"])],
            }
            if not r["is_base"]:
                entry["differences"][r["scenario"]] = {
                    "mean": json_number(r["diff"]),
                    "ci95": [json_number(r["diff_ci_low"]), json_number(r["diff_ci_high"])],
                }
        metrics[metric] = entry
    out = {
        "base": base.name,
        "scenarios": comparison.names,
        "seed": base.seed,
        "replications": base.run.replications,
        "common_random_numbers": True,
        "metrics": metrics,
        "findings": findings(comparison),
        "verdicts": planner.verdicts(comparison),
        "costs": cost_lines(comparison),
        "notes": comparison.notes,
    }
    if ensemble is not None:
        out["ensemble"] = ensemble_report.ensemble_summary(ensemble)
    return out


def _file_name(name: str) -> str:
    """A scenario name made safe as a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "scenario"


# ----------------------------------------------------------------------------- figures


def metrics_figure(comparison: Comparison, path: Path) -> None:
    """The headline metrics by scenario: mean and 95% interval, one panel per metric (four to a row)."""
    table = comparison.table
    names = comparison.names
    rows_of_panels = math.ceil(len(HEADLINE) / ensemble_report.PANEL_COLUMNS)
    fig = Figure(figsize=(16, 3.75 * rows_of_panels))
    for ax, metric in zip(ensemble_report.panels(fig, len(HEADLINE)), HEADLINE, strict=True):
        rows = table[table["metric"] == metric].set_index("scenario").loc[names]
        unit = rows["unit"].iloc[0]
        factor = scaled(1.0, unit)
        means = rows["mean"].to_numpy(dtype=float) * factor
        low = np.nan_to_num(means - rows["ci_low"].to_numpy(dtype=float) * factor)
        high = np.nan_to_num(rows["ci_high"].to_numpy(dtype=float) * factor - means)
        for i, (m, lo, hi) in enumerate(zip(means, low, high, strict=True)):
            ax.errorbar([i], [m], yerr=[[lo], [hi]], fmt="o", capsize=5, markersize=7, color=COLOURS[i % len(COLOURS)])
        ax.set_xticks(range(len(names)), [label(n) for n in names], rotation=20, ha="right", fontsize="small")
        ax.set_xlim(-0.6, len(names) - 0.4)
        shown = "%" if unit == "share" else "NOK million a year" if unit == NOK_UNIT else unit
        ax.set_title(f"{PLAIN[metric]} ({shown})", fontsize="small", wrap=True)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("Headline outcomes by scenario: mean and 95% interval over replications", fontsize="medium")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def stays_figure(comparison: Comparison, path: Path) -> None:
    """Temporary-stay lengths overlaid: histogram (share of stays) and share of stays longer than d days."""
    lengths = {
        r.scenario.name: temporary_stay_lengths(r.spells, r.scenario.run.warmup_days, r.scenario.total_days)
        for r in comparison.results
    }
    table = comparison.table
    share = table[table["metric"] == STAYS_OVER_NORM].set_index("scenario")["mean"].to_dict()
    share = {name: share.get(name, math.nan) for name in lengths}
    longest = max([NORM_DAYS * 2, *(np.quantile(v, LONGEST_QUANTILE) for v in lengths.values() if len(v))])
    bins = np.arange(0.0, longest + STAY_BIN_DAYS, STAY_BIN_DAYS)
    fig = Figure(figsize=(14, 5))
    left, right = fig.subplots(1, 2)
    for i, (name, days) in enumerate(lengths.items()):
        colour = COLOURS[i % len(COLOURS)]
        if not len(days):
            continue
        weights = np.full(len(days), 100.0 / len(days))
        left.hist(days, bins=bins, weights=weights, histtype="step", linewidth=2, color=colour, label=label(name))
        grid = np.linspace(0.0, longest, CURVE_POINTS)
        longer = (days[None, :] > grid[:, None]).mean(axis=1) * 100.0
        over = f"{share[name] * 100:.0f}% over 90 days" if not math.isnan(share[name]) else "no data"
        right.plot(grid, longer, color=colour, linewidth=2, label=f"{label(name)} ({over})")
    for ax in (left, right):
        ax.axvline(NORM_DAYS, color="tab:red", linestyle="--", linewidth=1.5)
        ax.set_xlabel("days in temporary housing (one stay)")
        ax.set_xlim(0, longest)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    left.set_ylabel(f"% of stays ({STAY_BIN_DAYS:g}-day bins)")
    left.set_title("How long temporary stays last (dashed: the 90-day norm)", fontsize="medium")
    right.set_ylabel("% of stays longer than this")
    right.set_title("Share of stays still going after a given number of days", fontsize="medium")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


# ----------------------------------------------------------------------------- report


#: The report's headings and fixed sentences, in each language.
REPORT_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "{alts} compared with {base}",
        "compared": "What was compared",
        "base": " (base)",
        "findings": "Main findings",
        "costs": "Costs",
        "care": "Read with care",
        "metrics_alt": "Headline outcomes by scenario",
        "stays_alt": "Length of temporary stays",
        "descriptions": "",
    },
    "nb": {
        "title": "{alts} sammenlignet med {base}",
        "compared": "Hva som ble sammenlignet",
        "base": " (utgangspunkt)",
        "findings": "Hovedfunn",
        "costs": "Kostnader",
        "care": "Les med varsomhet",
        "metrics_alt": "Hovedutfall per scenario",
        "stays_alt": "Lengden på opphold i midlertidig botilbud",
        "descriptions": "Scenariobeskrivelsene står på engelsk, slik de står i scenariofilene.",
    },
}

#: How the comparison was made, in Norwegian (the English text is in :func:`_intro`).
HOW_NB = (
    "Hvert scenario ble simulert {reps} ganger over {years:g} år; de første {warmup:g} årene lar modellen "
    "finne sitt leie og telles ikke, så alle tall gjelder {counted:g} år. Alle scenarioer møtte de samme "
    "tilfeldige hendelsene (frø {seed}): de samme personene kommer med de samme behovene og den samme flaksen "
    "der scenarioene er like, så forskjellene kommer fra tiltakene, ikke fra tilfeldigheter. Intervallene er "
    "95 % konfidensintervaller over replikasjonene; en forskjell måles replikasjon for replikasjon."
)

#: The caveats in Norwegian.
CAVEATS_NB = (
    ("Dette er en modell, ikke en prognose: den er så god som antakelsene sine, og mange parametere er merket "
    "'assumption' (antakelse) i scenarios/baseline.toml."),
    ('"Ingen klar forskjell" betyr at 95 %-intervallet for forskjellen inneholder null: simuleringen kan ikke '
    "skille scenarioene på det utfallet."),
    "Alle utfall for alle scenarioer står i comparison.csv; de nøyaktige definisjonene står i docs/metrics.md.",
)


def _intro(comparison: Comparison, lang: str = "en") -> tuple[str, list[tuple[str, str]], str]:
    """The report's title, each scenario's name and description, and how the comparison was made."""
    words = REPORT_WORDS[check_lang(lang)]
    base = comparison.base
    run = base.run
    alts = [label(n) for n in comparison.names[1:]]
    title = words["title"].format(alts=", ".join(alts), base=label(base.name))
    described = [(label(r.scenario.name), r.scenario.description) for r in comparison.results]
    years = run.years - run.warmup_days / DAYS_PER_YEAR
    if lang == "nb":
        how = HOW_NB.format(reps=run.replications, years=run.years, warmup=run.warmup_days / DAYS_PER_YEAR,
                            counted=years, seed=base.seed)
        return title, described, how
    how = (
        f"Each scenario was simulated {run.replications} times over {run.years:g} years; the first "
        f"{run.warmup_days / DAYS_PER_YEAR:g} years settle the model and are not counted, so every figure covers "
        f"{years:g} years. Every scenario met the same random events (seed {base.seed}): the same people "
        "arrive with the same needs and the same luck wherever the scenarios agree, so the differences come "
        "from the policies, not from chance. Ranges are 95% confidence intervals over the replications; a "
        "difference is measured replication by replication."
    )
    return title, described, how


CAVEATS = (
    (
        "This is a model, not a forecast: it is as good as its assumptions, and many parameters are "
        "marked 'assumption' in scenarios/baseline.toml."
    ),
    (
        '"No clear difference" means the 95% interval of the difference includes zero: the '
        "simulation cannot tell the scenarios apart on that outcome."
    ),
    "Every outcome for every scenario is in comparison.csv; the exact definitions are in docs/metrics.md.",
)


def _caveats(lang: str) -> tuple[str, ...]:
    """The fixed caveats in the language."""
    return CAVEATS_NB if lang == "nb" else CAVEATS


def markdown_report(comparison: Comparison, ensemble: EnsembleResult | None = None, lang: str = "en") -> str:
    """The report in Markdown (the figures are the PNG files beside it): the planner's summary
    first (:mod:`sim.reports.planner`), then what was compared, the findings, the costs and the
    figures, with the ensemble's section when an ensemble was run."""
    words = REPORT_WORDS[check_lang(lang)]
    title, described, how = _intro(comparison, lang)
    out = [f"# {title}", "", *planner.markdown_summary(comparison, lang, ensemble, FOREST_FIGURE)]
    out += [f"## {words['compared']}", ""]
    out += [f"- **{name}**{words['base'] if i == 0 else ''}: {text}" for i, (name, text) in enumerate(described)]
    if words["descriptions"]:
        out += ["", words["descriptions"]]
    out += ["", how, "", f"## {words['findings']}", ""]
    out += [f"- {line}" for line in findings(comparison, lang)]
    out += ["", f"## {words['costs']}", ""]
    out += [f"- {line}" for line in cost_lines(comparison, lang)]
    out += ["", f"![{words['metrics_alt']}](metrics.png)", ""]
    out += [f"![{words['stays_alt']}](temporary_stays.png)"]
    if ensemble is not None:
        out += ["", *ensemble_report.markdown_section(ensemble)]
    out += ["", f"## {words['care']}", ""]
    out += [f"- {c}" for c in (*comparison.notes, *_ensemble_notes(ensemble), *_caveats(lang))]
    return "\n".join(out) + "\n"


def html_report(
    comparison: Comparison,
    figures: dict[str, Path],
    ensemble: EnsembleResult | None = None,
    ensemble_figure: Path | None = None,
    lang: str = "en",
) -> str:
    """The report as a single HTML file with the figures inside it (easy to send on): the planner's
    summary first, with the ensemble's section (and its figure) when an ensemble was run."""
    words = REPORT_WORDS[check_lang(lang)]
    title, described, how = _intro(comparison, lang)
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        (
            "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
            "line-height:1.45;color:#222}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.6rem}"
            "img{max-width:100%;margin:0.8rem 0}li{margin:0.25rem 0}.muted{color:#555;font-size:0.9rem}"
            f"{planner.HTML_STYLE}</style>"
        ),
        "</head><body>",
        f"<h1>{esc(title)}</h1>",
        planner.html_summary(comparison, lang, ensemble),
        f"<h2>{esc(words['compared'])}</h2><ul>",
    ]
    parts += [
        f"<li><b>{esc(name)}</b>{esc(words['base']) if i == 0 else ''}: {esc(text)}</li>"
        for i, (name, text) in enumerate(described)
    ]
    if words["descriptions"]:
        parts.append(f'<p class="muted">{esc(words["descriptions"])}</p>')
    parts += ["</ul>", f"<p>{esc(how)}</p>", f"<h2>{esc(words['findings'])}</h2><ul>"]
    parts += [f"<li>{esc(line)}</li>" for line in findings(comparison, lang)]
    parts += ["</ul>", f"<h2>{esc(words['costs'])}</h2><ul>"]
    parts += [f"<li>{esc(line)}</li>" for line in cost_lines(comparison, lang)]
    parts.append("</ul>")
    for alt, path in figures.items():
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        parts.append(f'<img alt="{esc(alt)}" src="data:image/png;base64,{data}">')
    if ensemble is not None:
        data = base64.b64encode(ensemble_figure.read_bytes()).decode("ascii") if ensemble_figure else None
        parts += ensemble_report.html_section(ensemble, data)
    parts += [f'<h2>{esc(words["care"])}</h2><ul class="muted">']
    parts += [f"<li>{esc(c)}</li>" for c in (*comparison.notes, *_ensemble_notes(ensemble), *_caveats(lang))]
    parts += ["</ul></body></html>"]
    return "\n".join(parts) + "\n"


def _ensemble_notes(ensemble: EnsembleResult | None) -> list[str]:
    """The ensemble's caveats (none without an ensemble)."""
    return [] if ensemble is None else ensemble_report.notes(ensemble)


def check_compare_out_dir(out: Path) -> str | None:
    """Why ``out`` cannot take a comparison's output, or ``None`` if it can.

    New, empty, an earlier comparison's output (it has ``summary.json``), or a folder holding only
    an interrupted ensemble's runs (``ensemble/manifest.json``) is fine; a file, or a folder with
    other files in it, is not (see :func:`sim.files.check_out_dir`).
    """
    return check_out_dir(Path(out), marker=_marker(Path(out)))


def _marker(out: Path) -> str:
    """The file that marks ``out`` as a comparison's output: ``summary.json``, or the manifest of
    an ensemble whose comparison was never written (interrupted before the end)."""
    ensemble_manifest = f"{ENSEMBLE_DIR}/{ENSEMBLE_MANIFEST}"
    if not (out / "summary.json").is_file() and (out / ensemble_manifest).is_file():
        return ensemble_manifest
    return "summary.json"


def _carry_over(source: Path, target: Path) -> None:
    """Put the folder ``source`` at ``target`` without touching ``source``: hard links where the
    file system allows them (instant), copies where it does not."""

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link_or_copy)


def write_comparison(
    comparison: Comparison, out: Path, ensemble: EnsembleResult | None = None, lang: str = "en"
) -> Path:
    """Write every output of a comparison to ``out`` (replacing an earlier run's output), all or nothing.

    Args:
        comparison: The comparison.
        out: The output folder.
        ensemble: The ensemble comparison, if one was run: ``ensemble.csv``, ``ensemble.png`` and
            the report's section are written, and its runs' folder, when it is ``out/ensemble``,
            is kept in the new output.
        lang: The language of the reports (``report.md``, ``report.html``, ``report.pdf``):
            ``"en"`` or ``"nb"``. The tables and ``summary.json`` are the same in both.

    Raises:
        ValueError: ``out`` is a file, or a folder with other files in it.
    """
    check_lang(lang)
    out = Path(out).resolve()
    with replace_folder(out, marker=_marker(out)) as staging:
        text = json.dumps(summary(comparison, ensemble), indent=2, ensure_ascii=False) + "\n"
        (staging / "summary.json").write_text(text, encoding="utf-8")
        comparison.table.to_csv(staging / "comparison.csv", index=False)
        comparison.table.to_parquet(staging / "comparison.parquet", index=False)
        comparison.replications.to_parquet(staging / "replications.parquet", index=False)
        (staging / "scenarios").mkdir()
        for r in comparison.results:
            path = staging / "scenarios" / f"{_file_name(r.scenario.name)}.resolved.toml"
            path.write_text(r.scenario.to_toml(), encoding="utf-8")
        metrics_figure(comparison, staging / "metrics.png")
        stays_figure(comparison, staging / "temporary_stays.png")
        figure = None
        if ensemble is not None:
            ensemble_report.ensemble_csv(ensemble, staging / ensemble_report.ENSEMBLE_CSV)
            figure = ensemble_report.ensemble_figure(ensemble, staging / ensemble_report.ENSEMBLE_FIGURE)
        (staging / FOREST_FIGURE).write_bytes(planner.forest_png(comparison, lang))
        planner.write_pdf(comparison, staging / REPORT_PDF, _intro(comparison, lang)[0], lang, ensemble)
        (staging / "report.md").write_text(markdown_report(comparison, ensemble, lang), encoding="utf-8")
        words = REPORT_WORDS[lang]
        figures = {
            words["metrics_alt"]: staging / "metrics.png",
            words["stays_alt"]: staging / "temporary_stays.png",
        }
        html_text = html_report(comparison, figures, ensemble, figure, lang)
        (staging / "report.html").write_text(html_text, encoding="utf-8")
        if ensemble is not None and ensemble.path is not None and Path(ensemble.path).resolve() == out / ENSEMBLE_DIR:
            _carry_over(out / ENSEMBLE_DIR, staging / ENSEMBLE_DIR)  # last: the runs stay where they are until now
    return out
