"""The planner's one-page summary of a comparison: a table, a verdict per scenario, a forest plot.

Everything here is computed from the comparison (and the ensemble, when one was run):

- :func:`marks`: for every alternative and headline measure, the paired difference from the base
  with its 95% interval and a mark: *better*, *worse* (the interval excludes zero, and the
  measure's better direction, :func:`sim.measures.headline.better_sign`, says which),
  *no clear difference* (the interval includes zero) or *no data*;
- :func:`verdict`: one sentence per alternative that names what it does better and what it does
  worse (its trade-off);
- :func:`forest_figure`: the paired differences with their intervals and a zero line, one panel
  per headline measure, coloured by the mark;
- :func:`markdown_summary`, :func:`html_summary` (a Jinja2 template) and :func:`write_pdf` (one A4
  page drawn with matplotlib's PDF backend through a :class:`~matplotlib.figure.Figure`: no
  system packages, no backend chosen).

Each takes ``lang``: ``"en"`` or ``"nb"`` (:mod:`sim.reports.language`).
"""

from __future__ import annotations

import base64
import io
import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.config import DAYS_PER_YEAR
from sim.experiments.comparison import Comparison
from sim.experiments.ensemble import EnsembleResult
from sim.measures.headline import HEADLINE, better_sign
from sim.reports.language import check_lang, fmt
from sim.reports.style import BETTER_COLOUR, NEUTRAL_COLOUR, WORSE_COLOUR
from sim.reports.text import MILLION, NOK_UNIT, PER_1000, difference, interval_decimals, label, number, quantity, scaled
from sim.reports.text import signed as signed_number

#: Short names of the headline measures for the table, the verdicts and the forest plot.
SHORT: dict[str, dict[str, str]] = {
    "temp_households_over_90d_share": {
        "en": "people in temporary housing over 90 days in a year",
        "nb": "personer over 90 døgn i midlertidig botilbud i løpet av et år",
    },
    "temp_occupancy_mean": {
        "en": "people in temporary housing on an average day",
        "nb": "personer i midlertidig botilbud en gjennomsnittsdag",
    },
    "homeless_per_1000": {"en": "homeless per 1,000 inhabitants", "nb": "bostedsløse per 1 000 innbyggere"},
    "discharge_to_street_share": {
        "en": "discharges to the street or a sofa",
        "nb": "utskrivninger til gata eller sofa",
    },
    "readmission_within_365d_share": {
        "en": "readmissions to treatment within a year",
        "nb": "reinnleggelser i behandling innen ett år",
    },
    "revolving_door_persons_per_year": {"en": "revolving-door people a year", "nb": "svingdørspersoner per år"},
    "cost_total_nok_per_year": {"en": "total cost", "nb": "samlet kostnad"},
}

#: The words of the summary, in each language.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Summary for planners",
        "measure": "Measure",
        "better_when": "Better",
        "lower": "lower",
        "higher": "higher",
        "base": "{name} (base)",
        "vs": "{name}: difference [95% CI]",
        "better": "better",
        "worse": "worse",
        "unclear": "no clear difference",
        "nodata": "no data",
        "sets": "better on {share} of plausible parameter sets",
        "verdicts": "Verdicts",
        "trade": "{name}: better on {good}, but worse on {bad}; a trade-off.",
        "only_good": "{name}: better on {good}; no headline measure is clearly worse.",
        "only_bad": "{name}: worse on {bad}; no headline measure is clearly better.",
        "none": "{name}: no clear difference from {base} on any headline measure.",
        "rest": " The other {n} headline measures show no clear difference.",
        "rest1": " The other headline measure shows no clear difference.",
        "and": " and ",
        "forest": "Difference from {base} with 95% interval (green: better, red: worse, grey: no clear difference)",
        "how": (
            "{reps} replications of {years:g} counted years each, the same random events in every scenario "
            "(seed {seed}); a difference is paired replication by replication. Better or worse only when the "
            "95% interval of the difference excludes zero."
        ),
        "ensemble": "Across {points} plausible parameter sets: share of sets on which each scenario is better.",
        "page": "Full report: report.html (figures, costs, definitions in docs/metrics.md).",
    },
    "nb": {
        "title": "Sammendrag for planleggere",
        "measure": "Mål",
        "better_when": "Bedre",
        "lower": "lavere",
        "higher": "høyere",
        "base": "{name} (utgangspunkt)",
        "vs": "{name}: forskjell [95 % KI]",
        "better": "bedre",
        "worse": "verre",
        "unclear": "ingen klar forskjell",
        "nodata": "ingen data",
        "sets": "bedre i {share} av de plausible parametersettene",
        "verdicts": "Vurdering",
        "trade": "{name}: bedre på {good}, men verre på {bad}; en avveining.",
        "only_good": "{name}: bedre på {good}; ingen hovedmål er klart verre.",
        "only_bad": "{name}: verre på {bad}; ingen hovedmål er klart bedre.",
        "none": "{name}: ingen klar forskjell fra {base} på noe hovedmål.",
        "rest": " De andre {n} hovedmålene viser ingen klar forskjell.",
        "rest1": " Det siste hovedmålet viser ingen klar forskjell.",
        "and": " og ",
        "forest": "Forskjell fra {base} med 95 % intervall (grønn: bedre, rød: verre, grå: ingen klar forskjell)",
        "how": (
            "{reps} replikasjoner med {years:g} telte år hver, de samme tilfeldige hendelsene i alle scenarioer "
            "(frø {seed}); forskjellen måles parvis, replikasjon for replikasjon. Bedre eller verre bare når "
            "95 %-intervallet for forskjellen ikke inneholder null."
        ),
        "ensemble": "På tvers av {points} plausible parametersett: andelen sett der hvert scenario er bedre.",
        "page": "Hele rapporten: report.html (figurer, kostnader; definisjoner i docs/metrics.md).",
    },
}

#: The marks, as the tables show them.
SYMBOL = {"better": "✓", "worse": "✗", "unclear": "○", "nodata": "–", "neutral": "·"}
COLOUR = {
    "better": BETTER_COLOUR,
    "worse": WORSE_COLOUR,
    "unclear": NEUTRAL_COLOUR,
    "nodata": NEUTRAL_COLOUR,
    "neutral": NEUTRAL_COLOUR,
}


@dataclass(frozen=True)
class Mark:
    """One alternative on one headline measure.

    Attributes:
        scenario: The alternative's name.
        metric: The measure.
        unit: The measure's unit.
        base: The base's mean.
        mean: The alternative's mean.
        diff: The paired difference (alternative minus base).
        low: Low end of the difference's 95% interval (``nan`` with one replication).
        high: High end of it.
        mark: ``"better"``, ``"worse"``, ``"unclear"``, ``"neutral"`` (no better direction) or ``"nodata"``.
    """

    scenario: str
    metric: str
    unit: str
    base: float
    mean: float
    diff: float
    low: float
    high: float
    mark: str

    def size(self) -> float:
        """The difference relative to the base's value (for ordering a verdict's items)."""
        return abs(self.diff) / abs(self.base) if self.base else abs(self.diff)


def judge(diff: float, low: float, high: float, sign: int) -> str:
    """The mark of a difference: better or worse when its interval excludes zero.

    Args:
        diff: The paired difference.
        low: Low end of its 95% interval.
        high: High end of its 95% interval.
        sign: +1 if higher is better, -1 if lower is better, 0 if neither.
    """
    if math.isnan(diff) or math.isnan(low) or math.isnan(high):
        return "nodata"
    if low <= 0 <= high:
        return "unclear"
    if sign == 0:
        return "neutral"
    return "better" if (diff > 0) == (sign > 0) else "worse"


def marks(comparison: Comparison) -> list[Mark]:
    """Every (alternative, headline measure) with its difference and mark, alternatives in order."""
    table = comparison.table
    out = []
    for name in comparison.names[1:]:
        for metric in HEADLINE:
            rows = table[table["metric"] == metric].set_index("scenario")
            a, b = rows.loc[name], rows.loc[comparison.names[0]]
            diff, low, high = float(a["diff"]), float(a["diff_ci_low"]), float(a["diff_ci_high"])
            out.append(
                Mark(
                    name,
                    metric,
                    str(a["unit"]),
                    float(b["mean"]),
                    float(a["mean"]),
                    diff,
                    low,
                    high,
                    judge(diff, low, high, better_sign(metric)),
                )
            )
    return out


def compact(value: float, unit: str, lang: str = "en", signed: bool = False, decimals: int | None = None) -> str:
    """A value or difference in the table's short form: the measure's name carries the rest of
    the unit (``33%``, ``0.84``, ``NOK 108 m``; ``-7.1 points``, ``-0.12``, ``NOK -0.3 m``)."""
    write = signed_number if signed else number
    if unit == PER_1000:
        return write(value, 2 if decimals is None else max(decimals, 2), lang)
    if unit == NOK_UNIT:
        amount = write(value / MILLION, 1 if decimals is None else decimals, lang)
        return f"{amount} mill. kr" if lang == "nb" else f"NOK {amount} m"
    return difference(value, unit, decimals, lang) if signed else quantity(value, unit, lang)


def _item(m: Mark, lang: str) -> str:
    """A measure and its difference, for a verdict: ``discharges to the street or a sofa (-7 points)``."""
    d = interval_decimals(m.diff, m.low, m.high, m.unit)
    return f"{SHORT[m.metric][lang]} ({compact(m.diff, m.unit, lang, signed=True, decimals=d)})"


def _join(items: list[str], lang: str) -> str:
    """``a, b and c`` in the language."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + WORDS[lang]["and"] + items[-1]


def verdict(comparison: Comparison, name: str, lang: str = "en") -> str:
    """One sentence on ``name`` against the base: the measures it is clearly better and clearly
    worse on (largest relative change first), and how many show no clear difference."""
    words = WORDS[check_lang(lang)]
    mine = [m for m in marks(comparison) if m.scenario == name]
    good = sorted((m for m in mine if m.mark == "better"), key=lambda m: -m.size())
    bad = sorted((m for m in mine if m.mark == "worse"), key=lambda m: -m.size())
    good_text = _join([_item(m, lang) for m in good], lang)
    bad_text = _join([_item(m, lang) for m in bad], lang)
    if good and bad:
        text = words["trade"].format(name=label(name), good=good_text, bad=bad_text)
    elif good:
        text = words["only_good"].format(name=label(name), good=good_text)
    elif bad:
        text = words["only_bad"].format(name=label(name), bad=bad_text)
    else:
        return words["none"].format(name=label(name), base=label(comparison.names[0]))
    rest = len(mine) - len(good) - len(bad)
    if rest == 1:
        text += words["rest1"]
    elif rest > 1:
        text += words["rest"].format(n=rest)
    return text


def verdicts(comparison: Comparison, lang: str = "en") -> list[str]:
    """:func:`verdict` for every alternative."""
    return [verdict(comparison, name, lang) for name in comparison.names[1:]]


def _cell(m: Mark, lang: str) -> str:
    """A table cell: mark, difference and interval: ``✓ -7.1 points [-9.0, -5.2]``."""
    if m.mark == "nodata":
        return f"{SYMBOL['nodata']} {WORDS[lang]['nodata']}"
    d = interval_decimals(m.diff, m.low, m.high, m.unit)
    scale = scaled(1.0, m.unit)
    ci = (
        f"[{number(m.low * scale, d, lang)}; {number(m.high * scale, d, lang)}]"
        if lang == "nb"
        else (f"[{number(m.low * scale, d, lang)}, {number(m.high * scale, d, lang)}]")
    )
    return f"{SYMBOL[m.mark]} {compact(m.diff, m.unit, lang, signed=True, decimals=d)} {ci}"


def _ensemble_shares(ensemble: EnsembleResult | None) -> dict[tuple[str, str], float]:
    """The share of plausible parameter sets on which each (alternative, measure) is better."""
    if ensemble is None:
        return {}
    return {(str(r.scenario), str(r.metric)): float(r.share_better) for r in ensemble.table.itertuples(index=False)}


def rows(
    comparison: Comparison, lang: str = "en", ensemble: EnsembleResult | None = None
) -> tuple[list[str], list[list[str]]]:
    """The summary table: one row per headline measure; the better direction, the base's value,
    and per alternative its difference with interval and mark (and, with an ensemble, the share
    of plausible parameter sets on which it is better)."""
    words = WORDS[check_lang(lang)]
    base = comparison.names[0]
    header = [words["measure"], words["better_when"], words["base"].format(name=label(base))]
    header += [words["vs"].format(name=label(n)) for n in comparison.names[1:]]
    by = {(m.scenario, m.metric): m for m in marks(comparison)}
    shares = _ensemble_shares(ensemble)
    table = comparison.table
    body = []
    for metric in HEADLINE:
        r = table[(table["metric"] == metric) & (table["scenario"] == base)].iloc[0]
        sign = better_sign(metric)
        cells = [
            SHORT[metric][lang],
            words["lower"] if sign < 0 else words["higher"] if sign > 0 else "",
            compact(float(r["mean"]), str(r["unit"]), lang),
        ]
        for name in comparison.names[1:]:
            text = _cell(by[(name, metric)], lang)
            if (name, metric) in shares and not math.isnan(shares[(name, metric)]):
                text += f"; {words['sets'].format(share=quantity(shares[(name, metric)], 'share', lang))}"
            cells.append(text)
        body.append(cells)
    return header, body


def how(comparison: Comparison, lang: str = "en") -> str:
    """How the comparison was made, in one sentence."""
    run = comparison.base.run
    years = run.years - run.warmup_days / DAYS_PER_YEAR
    return WORDS[check_lang(lang)]["how"].format(
        reps=run.replications, years=round(years, 2), seed=comparison.base.seed
    )


# ----------------------------------------------------------------------------- forest plot


#: The forest plot's axis units, in each language (the measure's name carries "per 1,000").
AXIS_UNITS: dict[str, dict[str, str]] = {
    "en": {
        "share": "points",
        NOK_UNIT: "NOK million",
        PER_1000: "",
        "days": "days",
        "people": "people",
        "per year": "a year",
        "people per year": "a year",
    },
    "nb": {
        "share": "prosentpoeng",
        NOK_UNIT: "mill. kr",
        PER_1000: "",
        "days": "dager",
        "people": "personer",
        "per year": "per år",
        "people per year": "per år",
    },
}


def _scale(unit: str, lang: str = "en") -> tuple[float, str]:
    """The factor and axis unit a measure's differences are shown in."""
    factor = scaled(1.0, unit)
    return factor, AXIS_UNITS[lang].get(unit, unit)


def _tick_decimals(ax: object) -> int:
    """The fewest decimals (up to 3) that write every x tick of ``ax`` exactly."""
    ticks = ax.get_xticks()  # type: ignore[attr-defined]
    for d in range(4):
        if all(abs(round(x, d) - x) < 1e-9 for x in ticks):
            return d
    return 3


def draw_forest(
    fig: Figure, comparison: Comparison, lang: str = "en", rect: tuple[float, float, float, float] | None = None
) -> None:
    """The forest plot of the paired differences on ``fig``: one row per headline measure, one
    point and 95% interval per alternative, a zero line, coloured by the mark.

    Args:
        fig: The figure to draw on.
        comparison: The comparison.
        lang: ``"en"`` or ``"nb"``.
        rect: Where on the figure (left, bottom, width, height in figure fractions); all of it by default.
    """
    words = WORDS[check_lang(lang)]
    names = comparison.names[1:]
    by = {(m.scenario, m.metric): m for m in marks(comparison)}
    n = len(HEADLINE)
    left, bottom, width, height = rect or (0.0, 0.0, 1.0, 1.0)
    grid = fig.add_gridspec(
        n,
        1,
        left=left + width * 0.42,
        right=left + width * 0.97,
        bottom=bottom + height * 0.06,
        top=bottom + height * 0.9,
        hspace=0.55,
    )
    offsets = np.linspace(-0.25, 0.25, len(names)) if len(names) > 1 else np.zeros(1)
    for i, metric in enumerate(HEADLINE):
        ax = fig.add_subplot(grid[i, 0])
        unit = by[(names[0], metric)].unit
        factor, shown = _scale(unit, lang)
        for j, name in enumerate(names):
            m = by[(name, metric)]
            if math.isnan(m.diff):
                continue
            y = -offsets[j]
            x = m.diff * factor
            if not math.isnan(m.low):
                ax.plot([m.low * factor, m.high * factor], [y, y], color=COLOUR[m.mark], linewidth=2)
            ax.plot([x], [y], marker="o", markersize=4.5, color=COLOUR[m.mark])
            if len(names) > 1:
                ax.annotate(label(name), (x, y), xytext=(3, 2), textcoords="offset points", fontsize=5.5, color="0.3")
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_ylim(-0.6, 0.6)
        ax.set_yticks([])
        lo, hi = ax.get_xlim()
        reach = max(abs(lo), abs(hi))
        ax.set_xlim(-reach, reach)  # zero in the middle: left and right read the same in every panel
        ax.tick_params(axis="x", labelsize=6, pad=1)
        sign = better_sign(metric)
        direction = (
            f"({words['lower']} = {words['better']})" if sign < 0 else f"({words['higher']} = {words['better']})"
        )
        text = textwrap.fill(f"{SHORT[metric][lang]}{', ' + shown if shown else ''} {direction}", 44)
        if lang != "en":
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos, ax=ax: fmt(x, _tick_decimals(ax), lang)))
        fig.text(
            left + width * 0.01,
            ax.get_position().y0 + ax.get_position().height / 2,
            text,
            fontsize=6.5,
            va="center",
            ha="left",
        )
    fig.text(
        left + width * 0.01,
        bottom + height * 0.95,
        textwrap.fill(words["forest"].format(base=label(comparison.names[0])), 95),
        fontsize=8,
        weight="bold",
        va="center",
    )


def forest_png(comparison: Comparison, lang: str = "en") -> bytes:
    """The forest plot alone, as PNG bytes (for the HTML and Markdown reports)."""
    fig = Figure(figsize=(7.5, 0.55 * len(HEADLINE) + 0.9))
    draw_forest(fig, comparison, lang)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=130)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- outputs


def markdown_summary(
    comparison: Comparison, lang: str = "en", ensemble: EnsembleResult | None = None, figure: str = "forest.png"
) -> list[str]:
    """The summary as Markdown lines (a table, the verdicts and the forest plot's image)."""
    words = WORDS[check_lang(lang)]
    header, body = rows(comparison, lang, ensemble)
    out = [f"## {words['title']}", "", how(comparison, lang), ""]
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|")
    out += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in body]
    out += ["", f"✓ {words['better']}, ✗ {words['worse']}, ○ {words['unclear']}.", "", f"### {words['verdicts']}", ""]
    out += [f"- {v}" for v in verdicts(comparison, lang)]
    if ensemble is not None:
        out += ["", words["ensemble"].format(points=_points(ensemble))]
    out += ["", f"![{words['forest'].format(base=label(comparison.names[0]))}]({figure})", ""]
    return out


def _points(ensemble: EnsembleResult) -> int:
    """How many plausible parameter sets the ensemble ran."""
    return int(ensemble.table["points"].max()) if len(ensemble.table) else 0


#: The summary table's style (the report's <style> carries it).
HTML_STYLE = (
    "table.summary{border-collapse:collapse;font-size:0.85rem;margin:0.6rem 0}"
    "table.summary th,table.summary td{border:1px solid #ccc;padding:0.25rem 0.45rem;text-align:right}"
    "table.summary td:first-child,table.summary th:first-child{text-align:left}"
    "td.better{background:#e6f4ea}td.worse{background:#fce8e6}"
    "@media print{body{margin:0}section.planner{page-break-after:always}}"
)


#: The summary's HTML.
HTML_TEMPLATE = jinja2.Template(
    """<section class="planner">
<h2>{{ words.title }}</h2>
<p class="muted">{{ how }}</p>
<table class="summary">
<thead><tr>{% for h in header %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in rows %}<tr>{% for cell, cls in row %}<td class="{{ cls }}">{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
<p class="muted">✓ {{ words.better }}, ✗ {{ words.worse }}, ○ {{ words.unclear }}.</p>
<h3>{{ words.verdicts }}</h3>
<ul>{% for v in verdicts %}<li>{{ v }}</li>{% endfor %}</ul>
{% if ensemble_line %}<p>{{ ensemble_line }}</p>{% endif %}
<img alt="{{ forest_alt }}" src="data:image/png;base64,{{ forest }}">
</section>
""",
    autoescape=True,
)


def html_summary(comparison: Comparison, lang: str = "en", ensemble: EnsembleResult | None = None) -> str:
    """The summary as an HTML section (a Jinja2 template, escaped), with the forest plot inside it."""
    words = WORDS[check_lang(lang)]
    header, body = rows(comparison, lang, ensemble)
    by = {(m.scenario, m.metric): m for m in marks(comparison)}
    # A cell's class is its mark, so better and worse are coloured.
    table = [
        list(zip(cells, ["", "", ""] + [by[(name, metric)].mark for name in comparison.names[1:]], strict=True))
        for metric, cells in zip(HEADLINE, body, strict=True)
    ]
    return HTML_TEMPLATE.render(
        words=words,
        how=how(comparison, lang),
        header=header,
        rows=table,
        verdicts=verdicts(comparison, lang),
        ensemble_line=None if ensemble is None else words["ensemble"].format(points=_points(ensemble)),
        forest=base64.b64encode(forest_png(comparison, lang)).decode("ascii"),
        forest_alt=words["forest"].format(base=label(comparison.names[0])),
    )


#: A4 in inches (portrait).
A4 = (8.27, 11.69)


def write_pdf(
    comparison: Comparison, path: Path, title: str, lang: str = "en", ensemble: EnsembleResult | None = None
) -> Path:
    """The summary on one A4 page (PDF): title, how, table, verdicts and forest plot.

    One :class:`~matplotlib.figure.Figure` of A4 size saved as PDF is one page, whatever the
    number of scenarios; text is wrapped to the page's width and shrinks with many scenarios.
    """
    words = WORDS[check_lang(lang)]
    fig = Figure(figsize=A4)
    y = 0.965
    fig.text(0.06, y, textwrap.fill(title, 80), fontsize=12, weight="bold", va="top")
    y -= 0.035 * (1 + title.count("\n") + len(title) // 80)
    fig.text(0.06, y, words["title"], fontsize=10, weight="bold", va="top")
    y -= 0.022
    fig.text(0.06, y, textwrap.fill(how(comparison, lang), 115), fontsize=7, va="top", color="0.3")
    y -= 0.05
    header, body = rows(comparison, lang, ensemble)
    by = {(m.scenario, m.metric): m for m in marks(comparison)}
    n_alt = len(comparison.names) - 1
    table_height = 0.03 * (len(body) + 1) * (1.6 if ensemble is not None else 1.0)
    ax = fig.add_axes((0.04, y - table_height, 0.92, table_height))
    ax.axis("off")
    wrap_first = 28
    cells = [[textwrap.fill(r[0], wrap_first), *r[1:]] for r in body]
    width_alt = 0.62 / max(n_alt, 1)
    wrap_alt = max(14, int(width_alt * 150))
    cells = [[*c[:3], *(textwrap.fill(x, wrap_alt) for x in c[3:])] for c in cells]
    head = [textwrap.fill(h, 22 if i < 3 else wrap_alt) for i, h in enumerate(header)]
    table = ax.table(
        cellText=cells,
        colLabels=head,
        loc="upper center",
        cellLoc="left",
        colWidths=[0.22, 0.06, 0.1, *([width_alt] * n_alt)],
    )
    table.auto_set_font_size(False)
    size = 6.5 if n_alt <= 2 else 5.5 if n_alt <= 4 else 4.5
    table.set_fontsize(size)
    table.scale(1.0, 2.2 if ensemble is None else 2.8)
    for (row, col), cell in table.get_celld().items():
        cell.set_edgecolor("0.8")
        if row == 0:
            cell.set_facecolor("0.93")
        elif col >= 3:
            mark = by[(comparison.names[col - 2], HEADLINE[row - 1])].mark
            cell.set_facecolor({"better": "#e6f4ea", "worse": "#fce8e6"}.get(mark, "white"))
    y -= table_height + 0.03
    legend = f"✓ {words['better']}   ✗ {words['worse']}   ○ {words['unclear']}"
    fig.text(0.06, y, legend, fontsize=6.5, va="top", color="0.3")
    y -= 0.025
    fig.text(0.06, y, words["verdicts"], fontsize=9, weight="bold", va="top")
    y -= 0.02
    for line in verdicts(comparison, lang):
        wrapped = textwrap.fill(line, 125)
        fig.text(0.06, y, wrapped, fontsize=6.8, va="top")
        y -= 0.013 * (wrapped.count("\n") + 1) + 0.006
    if ensemble is not None:
        fig.text(0.06, y, words["ensemble"].format(points=_points(ensemble)), fontsize=6.8, va="top")
        y -= 0.02
    forest_top = y - 0.01
    draw_forest(fig, comparison, lang, rect=(0.05, 0.045, 0.9, max(forest_top - 0.045, 0.15)))
    fig.text(0.06, 0.02, words["page"], fontsize=6.5, color="0.4")
    fig.savefig(path, format=Path(path).suffix.lstrip(".") or "pdf")  # a .png path gives a preview
    return Path(path)
