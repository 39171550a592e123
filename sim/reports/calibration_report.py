"""The calibration report, ``docs/calibration.md``: its text from a check and a search.

:func:`render_report` puts the whole report together from the check of the baseline
(``sim.experiments.calibration.check_baseline``) and the search section, either a new one
(:func:`search_section`, from ``sim.experiments.calibration_search.search``) or the one of the
report already written (:func:`existing_search_section`: ``--check-only`` keeps it).
``pathways calibrate`` (``sim.cli.calibrate``) writes the file; nothing here writes.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import DAYS_PER_YEAR, Scenario
from sim.experiments.calibration import (
    IMPLAUSIBILITY_CUTOFF,
    PATTERNS,
    CalibrationCheck,
    Pattern,
    PatternResult,
    fingerprint,
)
from sim.experiments.calibration_search import SEARCH_SPACE, SearchResult, plain, searched_values
from sim.experiments.defaults import CALIBRATION_REPORT
from sim.measures.patterns import PLACEMENT_TYPES
from sim.measures.statistics import mean_ci
from sim.reports.calibration_text import (
    band_text,
    face_sentences,
    face_table,
    fmt_value,
    pattern_table,
    supporting_table,
    value_text,
    verdict,
)

REPO = Path(__file__).resolve().parent.parent.parent
#: Where ``pathways calibrate`` writes the report by default.
REPORT_PATH = CALIBRATION_REPORT

# The markers around the search section of the report: ``--check-only`` keeps what is between
# them, so the record of the last search survives a re-check of the baseline.
SEARCH_BEGIN = "<!-- search:begin -->"
SEARCH_END = "<!-- search:end -->"
_PROPOSED = re.compile(r"<!-- proposed: (\{.*?\}) -->")
_FINGERPRINT = re.compile(r"fingerprint `([0-9a-f]{12})`")

#: A change of temporary-housing occupancy between the window's first and last year of at most
#: this fraction (10 %) reads as a steady state.
STEADY_DRIFT = 0.10
#: Tolerances for "the baseline has the proposed values": equal up to the rounding of a number
#: written to JSON (the proposal) and to TOML (the baseline).
SAME_VALUE_REL_TOL = 1e-12
SAME_VALUE_ABS_TOL = 1e-15


def search_section(
    result: SearchResult,
    before: Mapping[str, Any],
    confirmation: Sequence[PatternResult] | None,
    command: str,
    base: Scenario,
) -> str:
    """The search part of the report (kept by ``--check-only`` until the next search).

    Args:
        result: What the search found.
        before: The searched parameters' values in the baseline before the search.
        confirmation: Every pattern against the proposed point's confirmation runs (``None`` if
            nothing is proposed).
        command: The command line that ran the search.
        base: The baseline scenario searched around.

    Returns:
        The section's Markdown, between :data:`SEARCH_BEGIN` and :data:`SEARCH_END`.
    """
    lines = [
        SEARCH_BEGIN,
        "## Search",
        "",
        f"Command: `{command}`.",
        "",
        *_search_method(result, base),
        *_parameter_table(result, before),
        *_pattern_hits(result),
        *_best_points(result),
        *_confirmation(result),
        *_proposal(result, confirmation),
        SEARCH_END,
    ]
    return "\n".join(lines)


def _search_method(result: SearchResult, base: Scenario) -> list[str]:
    """How the search sampled, the acceptance rule and the rule that chose one point."""
    return [
        (f"History matching over a Latin hypercube (`scipy.stats.qmc.LatinHypercube`) of {result.samples} points "
        f"over the {len(SEARCH_SPACE)} uncertain parameters below (all marked \"assumption\" in "
        "`scenarios/baseline.toml`; values rounded to two significant digits, beds to whole beds; seed "
        f"{result.seed})"
        + (f", in {result.rounds} rounds, each later round k over a box {result.zoom:g}^k as wide, centred on the "
           "best point so far (seed + k)" if result.rounds > 1 else "")
        + f". Each point is the baseline with those values, run for {result.replications} replication(s) of "
        f"{base.run.years:g} years (the first {base.run.warmup_days:g} days are warm-up and not counted) with the "
        f"baseline's seed ({base.seed}; the same random numbers at every point)."),
        "",
        ("**Acceptance rule:** a pattern's implausibility is |mean - target| / sigma, where the target is the "
        "band's centre and sigma a third of its half-width (the uncertainty of the published figure and of the "
        "model's reading of it, given with each pattern); a point is ruled out when any implausibility exceeds "
        f"{IMPLAUSIBILITY_CUTOFF:g} (the three-sigma rule of history matching: Vernon, Goldstein & Bower 2010, "
        "Bayesian Analysis 5(4); Andrianakis et al. 2015, PLoS Comput Biol 11(1)), that is when its mean lies "
        "outside a band. The points not ruled out are the accepted set."),
        "",
        *(_not_accepting(p, result) for p in PATTERNS if not p.accepts),
        "",
        ("**Rule for choosing the baseline among them:** a pattern's margin is 1 - implausibility / 3: 1 at the "
        "target, 0 at a band's edge; a point's worst margin is the smallest over the patterns. The "
        f"{len(result.confirmed) or 'few'} accepted points with the largest worst margin are run again with "
        f"{result.confirm_replications} replications (against points that looked good by luck); of those that "
        "still meet every pattern, the one with the largest worst margin is proposed as the baseline."),
        "",
    ]  # fmt: skip


def _not_accepting(p: Pattern, result: SearchResult) -> str:
    """Why a pattern is not used to accept, with what the search found for it: how many points met
    it together with every other pattern, and its range over the accepted points."""
    t = result.table
    others = [q for q in PATTERNS if q is not p and q.accepts]
    met_others = t[[q.name for q in others]].apply(lambda col: col.apply(PATTERN_BY_NAME[col.name].met)).all(axis=1)
    both = int((met_others & t[p.name].apply(p.met)).sum())
    accepted = t.loc[t["all_met"], p.name]
    spread = (
        f" At the {len(accepted)} accepted points it ranges from {fmt_value(accepted.min(), p.unit)} to "
        f"{fmt_value(accepted.max(), p.unit)} (median {fmt_value(accepted.median(), p.unit)}), against the band "
        f"{band_text(p)}."
        if len(accepted)
        else ""
    )
    return (
        f"**Not used to accept: `{p.name}` ({p.source}).** It is checked and reported like the others, but "
        f"{both} of the {len(t)} points met it together with every other pattern: {p.why_not}.{spread} Ruling "
        "points out by it would leave none; it is a known misfit of the model."
    )


def _parameter_table(result: SearchResult, before: Mapping[str, Any]) -> list[str]:
    """Each searched parameter: its range, its value before the search and the proposed value."""
    lines = ["| parameter | searched range | before the search | proposed |", "|---|---|---:|---:|"]
    chosen = result.chosen
    for p in SEARCH_SPACE:
        proposed = value_text(result.point(chosen)[p.key]) if chosen is not None else "-"
        lines.append(f"| `{p.key}` | {p.low:g} to {p.high:g} | {value_text(before[p.key])} | {proposed} |")
    return lines


def _pattern_hits(result: SearchResult) -> list[str]:
    """How many points met every pattern (the accepted set), and how many points of the covering
    design (round 0, over the full ranges) met each pattern: a pattern that every point meets
    rules nothing out and says nothing about the parameters."""
    t = result.table
    cover = t[t["round"] == 0]
    n_ok = int(t["all_met"].sum())
    lines = [
        "",
        f"**{n_ok} of {len(t)} points met every pattern: the accepted set** "
        "(`scenarios/calibration/accepted.parquet`, read by `pathways compare --ensemble`; every screened "
        "point with its pattern means is in `scenarios/calibration/design.parquet`)"
        + (f" ({', '.join(f'round {k}: {int(g.sum())} of {len(g)}' for k, g in t.groupby('round')['all_met'])})."
           if result.rounds > 1 else "."),
        "",
        (f"Points of the covering design (round 0, {len(cover)} points over the full ranges) meeting each pattern "
        "alone, and meeting every other pattern: a pattern met by (nearly) every point rules nothing out; one "
        "that no point meets together with the others is where the model and the published figures disagree."),
        "",
        "| pattern | band | points meeting it | share | informative | points meeting every other pattern |",
        "|---|---|---:|---:|:---:|---:|",
    ]  # fmt: skip
    met = pd.DataFrame({p.name: cover[p.name].apply(p.met) for p in PATTERNS})
    for p in PATTERNS:
        hits = int(met[p.name].sum())
        says = "yes"
        if hits >= NEARLY_ALL * len(cover):
            says = "**no**: every point meets it" if hits == len(cover) else "**barely**: nearly every point meets it"
        elif hits == 0:
            says = "**no**: no point meets it"
        others = int(met.drop(columns=p.name).all(axis=1).sum())
        lines.append(
            f"| `{p.name}` | {band_text(p)} | {hits} of {len(cover)} | {100.0 * hits / len(cover):.1f} % | {says} | "
            f"{others} |"
        )
    return lines


#: Every pattern by its measure's name.
PATTERN_BY_NAME = {p.name: p for p in PATTERNS}

#: A pattern met by at least this share of the design's points rules out almost nothing.
NEARLY_ALL = 0.99

#: Points listed in the report's table of the best screened points (its heading says "five").
BEST_POINTS_SHOWN = 5


def _best_points(result: SearchResult) -> list[str]:
    """The best screened points: those meeting every pattern first, then by worst margin."""
    ranked = result.table.sort_values(["all_met", "worst_margin"], ascending=[False, False]).head(BEST_POINTS_SHOWN)
    lines = [
        "",
        "The five best points (meeting every pattern first, then by worst margin):",
        "",
        "| point | round | " + " | ".join(f"`{p.key.split('.')[-1]}`" for p in SEARCH_SPACE)
        + " | all met | worst margin |",
        "|---:|---:|" + "---:|" * len(SEARCH_SPACE) + ":---:|---:|",
    ]  # fmt: skip
    for row, r in ranked.iterrows():
        values = " | ".join(value_text(plain(r[p.key])) for p in SEARCH_SPACE)
        lines.append(
            f"| {row} | {int(r['round'])} | {values} | {'yes' if r['all_met'] else 'no'} | {r['worst_margin']:.2f} |"
        )
    return lines


def _confirmation(result: SearchResult) -> list[str]:
    """The confirmation runs of the best points (nothing if none was confirmed)."""
    c, t = result.confirmed, result.table
    if c.empty:
        return []
    lines = [
        "",
        f"Confirmation ({result.confirm_replications} replications each, same seed):",
        "",
        "| point | screened worst margin | confirmed worst margin | meets every pattern |",
        "|---:|---:|---:|:---:|",
    ]
    for row, r in c.iterrows():
        lines.append(
            f"| {row} | {t.loc[row, 'worst_margin']:.2f} | {r['worst_margin']:.2f} | "
            f"{'yes' if r['all_met'] else 'no'} |"
        )
    return lines


def _proposal(result: SearchResult, confirmation: Sequence[PatternResult] | None) -> list[str]:
    """The proposed point with its confirmed patterns, or the closest point when none is proposed."""
    chosen, t = result.chosen, result.table
    if chosen is None:
        closest = result.closest
        return [
            "",
            "No point met every pattern"
            + (" when confirmed" if not result.confirmed.empty else "")
            + f", so nothing is proposed. The closest screened point (largest worst margin, "
            f"{t.loc[closest, 'worst_margin']:.2f}) is point {closest}: "
            + ", ".join(f"`{k}` = {value_text(v)}" for k, v in result.point(closest).items())
            + ".",
        ]
    lines = ["", f"**Proposed: point {chosen}.**"]
    if confirmation is not None:
        lines += [
            "",
            f"The proposed point, confirmed with {result.confirm_replications} replications:",
            "",
            *pattern_table(confirmation),
            "",
            verdict(confirmation),
        ]
    lines.append(f"<!-- proposed: {json.dumps(result.point(chosen), sort_keys=True)} -->")
    return lines


def proposed_from(section: str) -> dict[str, Any] | None:
    """The proposed point recorded in a search section, if any."""
    m = _PROPOSED.search(section)
    return json.loads(m.group(1)) if m else None


def existing_search_section(path: Path) -> str | None:
    """The search section of an existing report (``None`` if there is none)."""
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    if SEARCH_BEGIN in text and SEARCH_END in text:
        return text[text.index(SEARCH_BEGIN) : text.index(SEARCH_END) + len(SEARCH_END)]
    return None


def recorded_fingerprint(path: Path = REPORT_PATH) -> str | None:
    """The fingerprint of the baseline a report evaluated (``None`` if the file has none)."""
    if not path.is_file():
        return None
    m = _FINGERPRINT.search(path.read_text(encoding="utf-8"))
    return m.group(1) if m else None


#: The last section of the report: the measures that are not metrics, in words.
DEFINITIONS = """## Definitions of the measures computed in `sim/measures/patterns.py`

The other measures are the metrics of `docs/metrics.md`. All use the observation window from the end
of the warm-up to the end of the run.

- `temp_longest_stay_days`: for each whole year of the window, the longest temporary-housing stay in
  progress during that year, measured at the year's end or when it ended; the mean over the years.
  F4 reports that some people had stayed 20 months in 2020.
- `relapse_within_365d_share`: as `relapse_within_90d_share`, with a 365-day window (discharges in
  the window's first T - 365 days).
- Homelessness episodes (F16): an episode starts when a person enters temporary housing or the
  street from anywhere else, or arrives homeless; episodes starting in the window with at least two
  years of run left are followed. "Housed" is living in a municipal unit, or having left the system
  for housing of one's own (`own_housing`). *Housed 12 months after becoming homeless*: the share
  housed on day 365 of the episode (people who died or moved away before are left out; a tenant in
  treatment or prison that day counts as not housed). *Share of the 12 months spent housed*: time
  housed over time observed. *Days to housing (median)*: the median over all episodes of the days
  until first housed; "-" if fewer than half were housed within 730 days. *In a municipal unit 12
  months after*: as the first, counting only municipal units (a diagnostic: the difference between
  the two rows is the share gone to housing of their own).
- Placements (F17): accepted offers of a staffed or an ordinary unit in the window with two years of
  run left; *relapse within 24 months of moving in* is the share followed by a relapse within 730 days
  of the offer (a person who dies or leaves first counts as no relapse). The trial's figure is use at
  24 months (15.6 % for residents staying 6+ months vs 64.8 % with usual aftercare); the model's is
  any relapse within 24 months, so it is higher in both arms; compare direction and relative size.
"""


def drift_sentence(frame: pd.DataFrame, base: Scenario) -> str:
    """How far temporary-housing occupancy moves between the window's first and last year, in words.

    Args:
        frame: The baseline's per-replication values.
        base: The baseline scenario (for the window's days).

    Returns:
        One paragraph.
    """
    first = mean_ci(frame["temp_occupancy_first_year"].to_numpy(dtype=float))
    last = mean_ci(frame["temp_occupancy_last_year"].to_numpy(dtype=float))
    if math.isnan(first.mean) or math.isnan(last.mean):
        return "Drift: the window is too short to compare its first and last year."
    change = last.mean / first.mean - 1.0
    text = (
        f"Drift: people in temporary housing average {fmt_value(first.mean, 'people')} in the window's first year "
        f"(days {base.run.warmup_days:g}-{base.run.warmup_days + DAYS_PER_YEAR:g}) and "
        f"{fmt_value(last.mean, 'people')} in the last year of the run ({change:+.0%}). "
    )
    if abs(change) <= STEADY_DRIFT:
        return text + "The run is close to a steady state over its window."
    return text + (
        "The run is not in a steady state, so the patterns (averages over the whole window) depend on the run's "
        "length. Two mechanisms drive the rise: units lost after evictions are never rebuilt (F8), and people "
        "whose housing competence is below the threshold for leaving to housing of their own accumulate "
        "(tests/test_littles_law.py: the baseline without unit losses settles only after 15-20 years)."
    )


def render_report(
    *,
    command: str,
    base: Scenario,
    replications: int,
    check: CalibrationCheck,
    search_text: str | None,
) -> str:
    """The whole of ``docs/calibration.md``.

    Args:
        command: The command line, recorded in the report.
        base: The baseline scenario checked.
        replications: Replications of each check run.
        check: The check of the baseline (patterns and contrasts).
        search_text: The search section (new or kept from the last report); ``None`` if no
            search has been recorded.

    Returns:
        The report's Markdown.
    """
    results, contrasts, frames = check.results, check.contrasts, check.frames
    searched = searched_values(base)
    proposed = proposed_from(search_text) if search_text else None
    lines = [
        "# Calibration and face validity",
        "",
        (
            "<!-- Written by `pathways calibrate` (sim/reports/calibration_report.py). Do not edit by hand: change the code or "
            "the baseline and run the command again. -->"
        ),
        "",
        f"Written by `{command}` (`sim/reports/calibration_report.py`); not edited by hand.",
        "",
        (
            f"Evaluated: `scenarios/baseline.toml` (parameter fingerprint `{fingerprint(base)}`), {replications} "
            f"replications of {base.run.years:g} years, of which the first {base.run.warmup_days:g} days are "
            f"warm-up, seed {base.seed}. Intervals are 95% Student-t intervals over replications."
        ),
        "",
        "## Patterns",
        "",
        (
            "The patterns a credible baseline should reproduce together (`docs/sources.md`; pattern-oriented "
            "modelling, Grimm et al. 2005). The bands are defined with their sources in `sim/experiments/calibration.py` "
            "(`PATTERNS`): each band is the published figure +- 3 sigma (the acceptance rule of the search, "
            "below); a pattern is met when the baseline's mean lies inside its band. Left out as inputs in "
            "disguise: municipal occupancy (F5: every point of earlier searches met it), relapse by 90 days and by "
            "a year (F12, F13: the relapse hazards are set from them) and the unit counts (F8). Not used: the "
            "municipal waiting list (F9, about 180 around 2014) counts every applicant, not only the people this "
            "model follows, and no published share converts it; the 40-60 applications for temporary housing in "
            "process (thesis 1.1) have no counterpart in the model, where NAV gives a place on the day it is asked "
            "for (thesis 7.2.2)."
        ),
        "",
        *pattern_table(results),
        "",
        *(
            f"`{p.name}` is checked but not used to accept points: no point of the search met it together with the "
            f"others (Search, below); {p.why_not}."
            for p in PATTERNS
            if not p.accepts
        ),
        "",
        verdict(results),
        "",
        drift_sentence(frames["baseline"], base),
        "",
        "The searched parameters in the evaluated baseline:",
        "",
        "| parameter | value |",
        "|---|---:|",
        *(f"| `{k}` | {value_text(v)} |" for k, v in searched.items()),
        "",
    ]
    if proposed is not None:
        same = all(
            k in proposed
            and math.isclose(float(proposed[k]), float(v), rel_tol=SAME_VALUE_REL_TOL, abs_tol=SAME_VALUE_ABS_TOL)
            for k, v in searched.items()
        )
        gone = sorted(set(proposed) - set(searched))
        if gone:
            answer = (
                "**no**: the last search (below) was made on an earlier version of the model; it varied "
                + ", ".join(f"`{k}`" for k in gone)
                + ", which the search no longer varies. Its proposal does not apply to this baseline."
            )
        else:
            answer = "**yes**." if same else "**no** (the baseline differs from the proposal)."
        lines += ["These are the values proposed by the last search (below): " + answer, ""]
    lines += [
        "## Face validity",
        "",
        (
            "Housing First (scenario `housing_first`) against usual services (the baseline), F16; and, in the "
            "scenario `recovery_house`, people placed in a recovery house against people placed in an ordinary "
            f"unit, F17 (recovery housing against usual aftercare). Same seeds and {replications} replications "
            "in every run, so differences are paired by replication. Each model effect is shown as a share of the "
            "trial's effect: a direction alone is not a match."
        ),
        "",
        *face_table(contrasts),
        "",
        *face_sentences(contrasts),
        "",
        "Placements per replication in the window: "
        + ", ".join(
            f"{kind} {frames[run][f'{kind}_placements'].mean():.1f} ({run})"
            for run in frames
            if run != "housing_first"
            for kind in PLACEMENT_TYPES
            if frames[run][f"{kind}_placements"].mean() > 0
        )
        + ".",
        "",
        "Other outcomes of the two runs (means over replications), to read the contrasts:",
        "",
        *supporting_table(frames),
        "",
    ]
    lines.append(
        search_text
        if search_text
        else "## Search\n\nNo search has been recorded yet (`pathways calibrate --search --samples N`)."
    )
    lines += ["", DEFINITIONS]
    return "\n".join(lines).rstrip() + "\n"
