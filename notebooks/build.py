"""Write the notebooks in this folder from their cell lists (stored without outputs).

Usage: .venv/bin/python notebooks/build.py
Edit the cells here, rebuild, and commit both: the .ipynb files are what students open.

Every cell that draws a figure carries the tag ``figure`` (:func:`figure_cell`);
``tests/test_notebooks.py`` runs the notebooks with Jupyter's own (inline) backend and fails
unless each of those cells shows an image. Every title or sentence that states a finding is
written by the code from the numbers shown, never typed in.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

#: The tag of a cell that must show a figure when run (checked by tests/test_notebooks.py).
FIGURE_TAG = "figure"


def figure_cell(source: str) -> nbformat.NotebookNode:
    """A code cell that draws a figure: tagged so the test checks that the figure is shown."""
    return new_code_cell(source, metadata={"tags": [FIGURE_TAG]})

SETUP = '''\
# Run from the repository (notebooks/ is one level down); results go to results/notebooks/.
import os, sys
from pathlib import Path
ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
sys.path.insert(0, str(ROOT))
OUT = ROOT / "results" / "notebooks"
OUT.mkdir(parents=True, exist_ok=True)
# Quick mode (the default, and what the tests use) keeps runs short and few, so the numbers are
# rough and many intervals are wide. Write QUICK = False on the next line for full-size runs.
QUICK = os.environ.get("NOTEBOOK_QUICK", "1") == "1"
import matplotlib.pyplot as plt
import pandas as pd
import sim
pd.set_option("display.width", 160)
pd.set_option("display.max_colwidth", 70)
pd.set_option("display.float_format", "{:,.2f}".format)  # 3,367.10, not 3.367100e+03


def percent(table):
    """Shares as percentages (24 %, not 0.24), as `pathways run` shows them."""
    table = table.copy()
    shares = table["unit"] == "share"
    for column in ["mean", "ci_low", "ci_high"]:
        table.loc[shares, column] = table.loc[shares, column] * 100
    table.loc[shares, "unit"] = "%"
    return table


print("quick mode: short runs, few replications" if QUICK else "full mode: full-size runs (this takes a while)")
'''

#: Helpers of notebooks 2 and 3 that write results in words; every finding they write comes from the numbers.
WORDS = '''\
# Helpers that turn results into words and colours. Run this cell; reading it is optional.
import math
import textwrap
import numpy as np
from sim.measures.headline import better_sign
from sim.measures.metrics import METRICS
from sim.measures.statistics import mean_ci
from sim.reports.style import BETTER_COLOUR, NEUTRAL_COLOUR, WORSE_COLOUR
from sim.reports.text import PLAIN, label, number


def scale(metric):
    """Shares are shown as percentages: a share of 0.24 is shown as 24 (%)."""
    return 100.0 if METRICS[metric].unit == "share" else 1.0


def unit(metric, difference=False):
    """The unit a measure is shown in. A difference of two percentages is in percentage points."""
    if METRICS[metric].unit == "share":
        return "points" if difference else "%"
    return METRICS[metric].unit


def is_clear(low, high):
    """True if the 95% interval leaves out 0: a difference we can trust."""
    return low > 0 or high < 0


def signed(value, decimals):
    """A number with its sign: +4.2, -3, 0."""
    text = number(value, decimals)
    return text if text.startswith("-") or text == "0" else "+" + text


def paired_text(diff, low, high, metric):
    """A difference and its interval, in the unit shown: '-4.2 points (95% CI -6.0 to -2.4)'."""
    finite = [abs(v) for v in (diff, low, high) if not math.isnan(v)]
    decimals = 0 if all(v >= 10 for v in finite) else 1
    while decimals < 3 and any(v > 0 and number(v, decimals) == "0" for v in finite):
        decimals += 1  # an end of the interval that is not 0 must not read as 0
    text = f"{signed(diff, decimals)} {unit(metric, difference=True)}"
    if math.isnan(low):
        return text + " (no interval: too few replications)"
    return text + f" (95% CI {number(low, decimals)} to {number(high, decimals)})"


def reading(metric, diff, low, high):
    """'higher (better)', 'lower (worse)', ..., or 'no clear difference' when the interval includes 0."""
    if math.isnan(low) or not is_clear(low, high):
        return "no clear difference"
    way = "higher" if diff > 0 else "lower"
    sign = better_sign(metric)
    return way if sign == 0 else f"{way} ({'better' if sign * diff > 0 else 'worse'})"


def colour(metric, diff, low, high):
    """Green: clearly better; red: clearly worse; grey: no clear difference."""
    text = reading(metric, diff, low, high)
    return BETTER_COLOUR if "better" in text else WORSE_COLOUR if "worse" in text else NEUTRAL_COLOUR
'''

FIRST = [
    new_markdown_cell("""\
# 1. A first run: housing pathways after treatment

This notebook runs the model once and reads what comes out. You need no programming beyond
pressing **Shift + Enter** on each cell, top to bottom.

**What the model is.** It follows people recovering from substance dependence in a Norwegian
town of about 78,000 people. Each person is always in one place:

| place | what it means |
|---|---|
| treatment (TSB) | inpatient substance treatment |
| prison | serving a sentence |
| NAV temporary housing | hostels, bedsits; meant to last at most 3 months |
| street or a friend's sofa | no place of one's own |
| municipal housing | a municipal flat: ordinary, ROP-adapted, staffed, or a training flat |
| private housing | a private rental, family, or one's own flat |

Things happen to people at random times, more or less often depending on where they are, as the
thesis found (its mechanisms, numbered as in the project's domain brief):

1. **Discharge**: from treatment or prison to a ready flat, to NAV ("just walked to NAV"), or to nothing.
2. **Coordination**: if nobody applies for housing before discharge, the person joins the back of the queue.
3. **Temporary housing destabilises**: relapse is more likely there and on the street.
4. **Mismatch**: a flat with less support than the person needs, or using in a flat that does not allow it, makes eviction more likely.
5. **Lost flats**: some flats are lost after evictions and not rebuilt.
6. **Allocation meetings** every two weeks match free flats to the waiting list; paperwork delays moving in.
7. **Choice**: people may decline offers (more often outside the area they want); declines have a limit.
8. **Place and relapse**: a flat near the old using network raises the risk of relapse.
9. **Follow-up** in the home helps, but ends when the person "does not open the door".
10. **The revolving door**: relapse leads to eviction and readmission, again and again.
11. **People differ**: support need (low, medium, high, ROP), housing competence, preferred area.
"""),
    new_code_cell(SETUP),
    new_markdown_cell("""\
## Run the baseline

The baseline is today's practice. A *replication* is one possible history of 10 years; the first
2 years are a warm-up and are not counted. Several replications give an average and a **95%
interval**: the range where the true average probably lies. The more replications, the narrower
the interval. Shares are shown as percentages (%), as the command line `pathways run` shows them."""),
    new_code_cell('''\
reps = 4 if QUICK else 10
base = sim.run("baseline", replications=reps, out=OUT / "baseline")
print(f"{reps} replications of {base.result.scenario.run.years:g} years each")
percent(base.summary)[["metric", "mean", "ci_low", "ci_high", "unit"]]'''),
    new_markdown_cell("""\
**How to read it.** `temp_occupancy_mean` is how many people are in temporary housing on an
average day (the thesis reports "over 50"). `temp_spells_over_90d_share` is the percentage of stays
longer than the 90-day norm. `readmission_within_365d_share` is the percentage of people leaving
treatment who are back in treatment within a year (nationally: over half). Every metric is
defined in `docs/metrics.md`. The next cell writes the first two in words, from the table."""),
    new_code_cell('''\
from sim.reports.text import PLAIN, quantity
s = base.summary.set_index("metric")
for metric in ["temp_occupancy_mean", "temp_spells_over_90d_share", "readmission_within_365d_share"]:
    row = s.loc[metric]
    print(f"{PLAIN[metric]}: {quantity(row['mean'], row['unit'])} "
          f"(95% interval {quantity(row['ci_low'], row['unit'])} to {quantity(row['ci_high'], row['unit'])})")'''),
    new_markdown_cell("""\
The run also drew three figures (saved next to its results): how many people are in each place
over time, how long temporary stays last, and where people go when they leave treatment or prison."""),
    figure_cell('''\
from IPython.display import Image, display
for name in ["states.png", "temporary_stays.png", "discharge_destinations.png"]:
    display(Image(filename=str(base.path / name)))'''),
    new_markdown_cell("""\
## Follow a few people

Each row of `spells` is one stay of one person in one place. Here are a few people who went
through temporary housing more than once. The colours and names of the places are the same as
in every other figure of the project."""),
    figure_cell('''\
from sim.model.states import State
from sim.reports.language import place
from sim.reports.style import PLACE_COLOURS

spells = base.spells[base.spells.replication == 0]
temp_counts = spells[spells.state == State.TEMPORARY.value].groupby("person").size()
people = temp_counts[temp_counts >= 2].index[:6]
fig, ax = plt.subplots(figsize=(10, 4))
for row, person in enumerate(people):
    mine = spells[spells.person == person]
    for state, colour in PLACE_COLOURS.items():
        part = mine[mine.state == state.value]
        ax.broken_barh(list(zip(part.start / 365, (part.end - part.start) / 365)), (row - 0.4, 0.8), color=colour)
ax.set_yticks(range(len(people)), [f"person {p}" for p in people])
ax.set_xlabel("year (the first 2 are the warm-up)")
ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=c) for c in PLACE_COLOURS.values()],
          labels=[place(state, "en") for state in PLACE_COLOURS], ncols=3, loc="upper center",
          bbox_to_anchor=(0.5, 1.3), fontsize="small")
ax.set_title(f"Pathways of {len(people)} people with two or more stays in temporary housing", pad=55)
fig.tight_layout()
fig.savefig(OUT / "01_pathways.png", dpi=100)
plt.show()'''),
    new_code_cell('''\
# Why did each stay end? The most common endings of temporary-housing stays, as counts and percentages:
ends = spells[spells.state == State.TEMPORARY.value].end_reason.value_counts()
pd.DataFrame({"stays": ends, "%": 100 * ends / ends.sum()})'''),
    new_markdown_cell("""\
## Try it yourself

Change a lever with `set=` (the names are the keys of `scenarios/baseline.toml`) and run again,
for example allocation meetings every week instead of every two weeks:

```python
weekly = sim.run("baseline", replications=4, set={"housing_office.meeting_interval_days": 7})
percent(weekly.summary)
```

Two separate runs each have their own luck, so do not compare their means by eye: notebook 2
compares policies the fair way, with paired differences and their intervals."""),
]

SECOND = [
    new_markdown_cell("""\
# 2. Policy trade-offs

Which lever shortens stays in temporary housing, and what does it cost elsewhere? Every policy
below is a scenario file in `scenarios/`.

**How the comparison is fair.** `sim.compare` runs every policy with **common random numbers**:
in replication 1 the same people meet the same luck under every policy wherever the policies
agree, and the same in replication 2, and so on. So for each replication we can take the
*difference* between a policy and the baseline: a **paired difference**. Its average over the
replications, with a 95% interval, is what this notebook shows.

* An interval that leaves out 0 is a difference we can trust: the policy is clearly higher or
  lower on that measure.
* An interval that includes 0 means **no clear difference**: the policy may help, harm or do
  nothing, and more replications would tell.
* Shares are shown as percentages (%); the difference between two percentages is in percentage
  **points** (24% -> 20% is -4 points)."""),
    new_code_cell(SETUP),
    new_code_cell(WORDS),
    new_code_cell('''\
# Quick mode: 4 replications of 6 years (2 warm-up + 4 counted); full mode: 10 replications of 10 years.
reps, years = (4, 6.0) if QUICK else (10, None)
policies = ["more_staffed", "differentiated", "housing_ready", "strict_choice", "free_choice", "housing_first"]
cmp = sim.compare("baseline", *policies, replications=reps, years=years, out=OUT / "compare")
print(f"{len(policies)} policies against the baseline, {reps} paired replications each")'''),
    new_markdown_cell("""\
## Paired differences from the baseline

One row per policy and measure: the baseline's mean, the policy's mean, their paired difference
with its 95% interval, and how to read it (better or worse follows the measure: fewer long stays
is better, more discharges to a home is better)."""),
    new_code_cell('''\
def paired_table(table, measures, scenarios=None):
    """One row per (policy, measure): both means, the paired difference and its 95% interval, in the unit shown."""
    base_means = table[table.is_base].set_index("metric")["mean"]
    rows = []
    for metric in measures:
        for r in table[(table.metric == metric) & ~table.is_base].itertuples():
            if scenarios is not None and r.scenario not in scenarios:
                continue
            f = scale(metric)
            diff, low, high = r.diff * f, r.diff_ci_low * f, r.diff_ci_high * f
            rows.append({"policy": label(r.scenario), "measure": PLAIN[metric], "unit": unit(metric),
                         "baseline": base_means[metric] * f, "with policy": r.mean * f, "difference": diff,
                         "95% CI from": low, "95% CI to": high, "reading": reading(metric, diff, low, high),
                         "metric": metric, "scenario": r.scenario})
    return pd.DataFrame(rows)


MEASURES = ["temp_spells_over_90d_share", "temp_occupancy_mean", "discharge_to_street_share", "readmission_within_365d_share"]
paired = paired_table(cmp.table, MEASURES)
paired.drop(columns=["metric", "scenario"])'''),
    new_markdown_cell("""\
The same numbers as a picture: one panel per measure, one dot per policy with its 95% interval
as a bar. The black line is "no difference". A bar that crosses it is no clear difference (grey);
green is clearly better, red clearly worse. Each panel's title is written from the intervals."""),
    figure_cell('''\
def sentence(rows, metric):
    """Which policies clearly raise or lower a measure, read from the intervals."""
    clear = rows[rows.reading != "no clear difference"]
    lower, higher = list(clear[clear.difference < 0].policy), list(clear[clear.difference > 0].policy)
    if not lower and not higher:
        return f"{PLAIN[metric].capitalize()}: no clear difference from the baseline for any policy"
    parts = ([f"lower with {', '.join(lower)}"] if lower else []) + ([f"higher with {', '.join(higher)}"] if higher else [])
    rest = len(rows) - len(lower) - len(higher)
    if rest:
        parts.append(f"no clear difference with the other {rest}")
    return f"{PLAIN[metric].capitalize()}: " + "; ".join(parts)


def forest(ax, paired, metric):
    """One measure's paired differences: a dot and its 95% interval per policy, and the zero line."""
    rows = paired[paired.metric == metric].reset_index(drop=True)
    for i, r in rows.iterrows():
        lo, hi = np.nan_to_num(r["difference"] - r["95% CI from"]), np.nan_to_num(r["95% CI to"] - r["difference"])
        ax.errorbar(r["difference"], len(rows) - 1 - i, xerr=[[lo], [hi]], fmt="o", capsize=4, markersize=7,
                    color=colour(metric, r["difference"], r["95% CI from"], r["95% CI to"]))
    ax.axvline(0, color="black", linewidth=1)
    ax.set_yticks(range(len(rows)), list(rows.policy)[::-1])
    ax.set_xlabel(f"difference from the baseline ({unit(metric, difference=True)})")
    ax.set_title(textwrap.fill(sentence(rows, metric), 60), fontsize="medium")
    ax.grid(axis="x", alpha=0.3)


fig, axes = plt.subplots(2, 2, figsize=(13, 8))
for ax, metric in zip(axes.flat, MEASURES):
    forest(ax, paired, metric)
fig.suptitle(f"Each policy minus the baseline, paired by replication ({reps} replications), with 95% intervals")
fig.tight_layout()
fig.savefig(OUT / "02_differences.png", dpi=100)
plt.show()'''),
    new_markdown_cell("""\
## A possible trade-off: coordination without more flats

"Housing ready at discharge" (`housing_ready`) plans housing from admission and gives people in
treatment or prison priority at allocation meetings. We would expect more people to leave
treatment straight to a home. But the stock is the same size: the flats they get may be flats
that people already waiting in temporary housing would otherwise have got. If so, we would see
more discharges to a home **and** people in temporary housing waiting longer (more stays over 90
days, longer stays), or no fewer people there. The two other
policies add or fit flats instead (`more_staffed`, `differentiated`). The next two cells check this
with paired differences; the figure's title is written from the results."""),
    new_code_cell('''\
TRADE = ["discharge_to_housing_share", "discharge_to_street_share", "temp_occupancy_mean",
         "temp_spells_over_90d_share", "temp_spell_days_mean"]
THREE = ["housing_ready", "more_staffed", "differentiated"]
trade = paired_table(cmp.table, TRADE, THREE)
trade.drop(columns=["metric", "scenario"])'''),
    figure_cell('''\
def verdict(name, measures):
    """The title of a policy's trade-off, from its paired differences on the measures."""
    rows = trade[(trade.scenario == name) & trade.metric.isin(measures)]
    readings = list(rows.reading)
    better, worse = any("better" in t for t in readings), any("worse" in t for t in readings)
    lead = ("a trade-off: clearly better on some measures, clearly worse on others" if better and worse
            else "better, and clearly worse on none of these measures" if better
            else "worse, and clearly better on none of these measures" if worse
            else "no clear difference on any of these measures")
    lines = [f"{label(name)} against the baseline: {lead}"]
    for _, r in rows.iterrows():
        lines.append(f"{r['reading'].capitalize()}: {r['measure']}, "
                     f"{paired_text(r['difference'], r['95% CI from'], r['95% CI to'], r['metric'])}")
    return "\\n".join(lines)


fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
for ax, metric in zip(axes.flat, TRADE):
    forest(ax, trade, metric)
axes.flat[-1].axis("off")
fig.suptitle(verdict("housing_ready", TRADE), fontsize="medium")
fig.tight_layout()
fig.savefig(OUT / "02_tradeoff.png", dpi=100)
plt.show()
for name in THREE[1:]:
    print(verdict(name, TRADE), end="\\n\\n")'''),
    new_markdown_cell("""\
## Try the levers yourself

Set the sliders and the tick box, then press **Run Interact**. Moving a slider alone does not run
anything: each press runs the baseline and your settings with the same random numbers (about half
a minute in quick mode, longer in full mode) and shows the paired differences, as above. With the
starting values your settings *are* the baseline, so every difference is 0.

The last line of the cell runs one example without the button (24 staffed units and housing
applications at admission), so the notebook shows a result even before you touch anything. In a
viewer that cannot run code (GitHub, nbviewer) the widgets do nothing: open the notebook in Jupyter."""),
    new_code_cell('''\
import ipywidgets as widgets

LEVER_MEASURES = ["temp_occupancy_mean", "temp_spells_over_90d_share", "discharge_to_street_share", "evictions"]


def lever_run(staffed_units=8, max_declines=2, notice_delay_days=14, application_at_admission=False):
    """Run the baseline and your settings with common random numbers; return the paired differences."""
    extra = max(0, staffed_units - 8)
    mine = sim.load_scenario("baseline", set={
        "name": "your_settings",
        "stock.types.staffed.units": {"sentrum": 8 + extra // 2, "nord": extra - extra // 2},
        "choice.max_declines": max_declines,
        "coordination.notice_delay_days": float(notice_delay_days),
        "coordination.application_timing": "admission" if application_at_admission else "discharge",
    })
    runs = sim.compare("baseline", mine, replications=2 if QUICK else 6, years=6.0 if QUICK else None)
    table = paired_table(runs.table, LEVER_MEASURES)
    return table.drop(columns=["policy", "metric", "scenario"])


widgets.interact_manual(
    lever_run,
    staffed_units=widgets.IntSlider(value=8, min=8, max=40, step=4, description="staffed units"),
    max_declines=widgets.IntSlider(value=2, min=0, max=5, description="free declines"),
    notice_delay_days=widgets.IntSlider(value=14, min=0, max=42, step=7, description="notice (days)"),
    application_at_admission=widgets.Checkbox(value=False, description="apply at admission"),
)
lever_run(staffed_units=24, application_at_admission=True)  # an example, shown without pressing the button'''),
]

THIRD = [
    new_markdown_cell("""\
# 3. Sweeps and sensitivity

A **sweep** runs the model over many parameter values. A **sensitivity analysis** asks which
parameters the outcome depends on most. Here: a small grid (how many offers a person may decline
x how many ordinary flats the town buys), then a Morris screening of several levers.

The same things can be run from the command line on many cores or a cluster:
`pathways sweep scenarios/sweeps/declines_vs_stock.toml --workers 8` (see `docs/experiments.md`)."""),
    new_code_cell(SETUP),
    new_code_cell(WORDS),
    new_markdown_cell("""\
## A grid: declines allowed x flats bought

Nine combinations (points): 0, 2 or unlimited declines, and 0, 40 or 80 ordinary flats bought in
the centre at the end of a one-year warm-up. The measure is the percentage of temporary stays
longer than the 90-day norm.

**How many replications, and why.** One run is one possible history, with its own luck: in
full-size runs the percentage at one point varies by about 2 points from one replication to the
next. A point's 95% interval shrinks with the number of replications *n* (roughly as
1/&radic;*n*, and much faster for very small *n*):

* with 2 replications (what this notebook used to do) an interval is about &plusmn;18 points wide,
  so the points cannot be told apart at all;
* with **10 replications** it is about &plusmn;1.5 points, narrower than the differences between
  0, 40 and 80 flats seen in full-size runs. So full mode uses 10 replications per point
  (90 runs of 10 years: a few minutes on 8 cores, longer on a laptop).

Quick mode uses 3 replications of 3 years: enough to check that everything runs, not to read
the figure (expect wide intervals and "no clear difference"). Every point uses the same seeds
for replication 1, 2, ... (common random numbers), so the *differences* between points are
paired and have narrower intervals than the points themselves; the figure's title uses them."""),
    new_code_cell('''\
reps = 3 if QUICK else 10
grid = {
    "name": "notebook_grid",
    "description": "Declines allowed against ordinary flats bought in the centre at the end of the warm-up",
    "base": "buy_flats",
    "design": "grid",
    "replications": reps,
    "seed": 1,
    "metrics": ["temp_spells_over_90d_share", "temp_occupancy_mean", "offers_declined"],
    "set": {"run.years": 3.0 if QUICK else 10.0, "run.warmup_days": 365.0, "stock.additions.0.day": 365.0},
    "parameters": [
        {"key": "choice.max_declines", "levels": [0, 2, "unlimited"]},
        {"key": "stock.additions.0.count", "levels": [0, 40, 80]},
    ],
}
sw = sim.sweep(grid, out=OUT / "sweep_grid", overwrite=True, figures=False)
print(sw.result.sweep.describe())'''),
    new_markdown_cell("""\
**Reading the grid.** One row per point: the mean over the replications and its 95% interval,
in percent. Compare rows with the same number of flats to see the effect of the decline limit,
and rows with the same limit to see the effect of more flats. If two intervals overlap a lot,
those two points are not clearly different."""),
    new_code_cell('''\
METRIC = "temp_spells_over_90d_share"
runs = sw.runs.rename(columns={"choice.max_declines": "declines allowed", "stock.additions.0.count": "flats bought"})
runs["declines allowed"] = runs["declines allowed"].astype(str)
rows = []
for (flats, declines), group in runs.groupby(["flats bought", "declines allowed"], sort=False):
    iv = mean_ci(group[METRIC] * scale(METRIC), bounds=(0, 100) if unit(METRIC) == "%" else None)
    rows.append({"flats bought": flats, "declines allowed": declines, "replications": iv.n,
                 f"{PLAIN[METRIC]} (%)": iv.mean, "95% CI from": iv.low, "95% CI to": iv.high,
                 "people in temporary housing (mean)": group["temp_occupancy_mean"].mean(),
                 "offers declined a year (mean)": group["offers_declined"].mean()})
points = pd.DataFrame(rows).sort_values(["flats bought", "declines allowed"], kind="stable").reset_index(drop=True)
spread = runs.groupby(["flats bought", "declines allowed"])[METRIC].std().mean() * scale(METRIC)
half = ((points["95% CI to"] - points["95% CI from"]) / 2).mean()
print(f"Between replications a point varies by about {spread:.1f} points (standard deviation); "
      f"with {reps} replications the points' 95% intervals are about ±{half:.1f} points.")
points'''),
    new_markdown_cell("""\
**The two levers, paired.** For each replication we take (a) 80 flats minus 0 flats, averaged over
the three decline limits, and (b) unlimited declines minus no declines, averaged over the three
numbers of flats. Their means and 95% intervals say whether each lever clearly changes the
percentage of long stays, and which changes it more *over the ranges tried here*. The figure's
title is written from these numbers."""),
    figure_cell('''\
wide = runs.pivot_table(index="replication", columns=["flats bought", "declines allowed"], values=METRIC) * scale(METRIC)
flats = sorted(runs["flats bought"].unique())
limits = list(dict.fromkeys(grid["parameters"][0]["levels"]))
limits = [str(v) for v in limits]
# (a) most minus fewest flats, (b) loosest minus strictest decline limit: one value per replication
more_flats = (wide[flats[-1]] - wide[flats[0]]).mean(axis=1)
looser = (wide.xs(limits[-1], level="declines allowed", axis=1) - wide.xs(limits[0], level="declines allowed", axis=1)).mean(axis=1)
effects = {f"{flats[-1]} flats instead of {flats[0]}": mean_ci(more_flats),
           f"{limits[-1]} declines instead of {limits[0]}": mean_ci(looser)}


def effect_line(name, iv):
    text = paired_text(iv.mean, iv.low, iv.high, METRIC)
    return f"{name}: {text}" if is_clear(iv.low, iv.high) else f"{name}: no clear difference, {text}"


# Which lever moves the measure more? Per replication: size of (a) minus size of (b), with the sign of each mean.
bigger = mean_ci(np.sign(more_flats.mean()) * more_flats - np.sign(looser.mean()) * looser)
clear_any = [is_clear(iv.low, iv.high) for iv in effects.values()]
if not any(clear_any):
    lead = f"Neither lever clearly changes the {PLAIN[METRIC]} with {reps} replications"
elif bigger.low > 0:
    lead = f"More flats change the {PLAIN[METRIC]} more than the decline limit does (over the ranges tried)"
elif bigger.high < 0:
    lead = f"The decline limit changes the {PLAIN[METRIC]} more than more flats do (over the ranges tried)"
else:
    lead = f"Neither lever clearly changes the {PLAIN[METRIC]} more than the other"
title = "\\n".join([textwrap.fill(lead, 80)] + [effect_line(n, iv) for n, iv in effects.items()])

fig, ax = plt.subplots(figsize=(9, 5.5))
step = (flats[-1] - flats[0]) / 60  # a small shift, so the error bars of the three lines do not hide each other
for k, limit in enumerate(limits):
    mine = points[points["declines allowed"] == limit]
    y = mine[f"{PLAIN[METRIC]} (%)"]
    ax.errorbar(mine["flats bought"] + (k - 1) * step, y, yerr=[y - mine["95% CI from"], mine["95% CI to"] - y],
                marker="o", capsize=4, label=f"{limit} declines allowed")
ax.set_xticks(flats)
ax.set_xlabel("ordinary flats bought in the centre at the end of the warm-up")
ax.set_ylabel(f"{PLAIN[METRIC]} (%)\\nmean and 95% interval, {reps} replications")
ax.set_title(title, fontsize="medium")
ax.legend(fontsize="small")
ax.grid(alpha=0.3)
fig.tight_layout()
fig.savefig(OUT / "03_grid.png", dpi=100)
plt.show()
pd.DataFrame([{"lever": n, "difference (points)": iv.mean, "95% CI from": iv.low, "95% CI to": iv.high,
               "reading": reading(METRIC, iv.mean, iv.low, iv.high)} for n, iv in effects.items()])'''),
    new_markdown_cell("""\
## Morris screening

Morris moves one parameter at a time along random paths (trajectories). **mu\\*** says how much a
parameter moves the outcome on average (here in percentage points of long stays, over the
parameter's whole range); **mu\\*_conf** is the half-width of its 95% interval; **sigma** says how
much that effect depends on the other parameters (interactions or curves). Parameters with small
mu\\* can be left alone. Quick mode uses 4 trajectories of 3-year runs; full mode 12 trajectories
of 8-year runs."""),
    new_code_cell('''\
morris = {
    "name": "notebook_morris",
    "description": "Morris screening of four levers",
    "base": "baseline",
    "design": "morris",
    "samples": 4 if QUICK else 12,
    "morris_levels": 4,
    "replications": 1,
    "seed": 2,
    "metrics": ["temp_spells_over_90d_share"],
    "set": {"run.years": 3.0 if QUICK else 8.0, "run.warmup_days": 365.0},
    "parameters": [
        {"key": "housing_office.meeting_interval_days", "range": [7.0, 28.0]},
        {"key": "coordination.notice_delay_days", "range": [0.0, 28.0]},
        {"key": "choice.decline_prob_other_zone", "range": [0.0, 0.7]},
        {"key": "treatment.referral_rate_per_day_using", "range": [0.01, 0.04]},
    ],
}
ms = sim.sweep(morris, out=OUT / "sweep_morris", overwrite=True, sensitivity=True, figures=False)
print(ms.result.sweep.describe())
indices = ms.sensitivity.labelled()  # the indices, with each parameter in words ("label")
for column in ["mu_star", "mu_star_conf", "mu", "sigma"]:
    indices[column] = indices[column] * scale(METRIC)  # in percentage points
if ms.sensitivity.notes:
    print("Notes on how far the indices can be read (these give the measure as a share: 0.02 is 2 points):")
for note in ms.sensitivity.notes:
    print("-", note)
indices[["label", "mu_star", "mu_star_conf", "mu", "sigma"]]'''),
    figure_cell('''\
ranked = indices.sort_values("mu_star", ascending=False).reset_index(drop=True)
top, second = ranked.iloc[0], ranked.iloc[1]
if top.mu_star - top.mu_star_conf > second.mu_star + second.mu_star_conf:
    title = (f"{top.label} moves the {PLAIN[METRIC]} most: mu* {top.mu_star:.1f} ± {top.mu_star_conf:.1f} points, "
             f"its interval clear of the next ({second.label})")
else:
    title = (f"No parameter is clearly ahead: the intervals of {top.label} and {second.label} overlap "
             f"(more trajectories would tell)")
fig, ax = plt.subplots(figsize=(10, 3.5))
ax.barh(ranked.label[::-1], ranked.mu_star[::-1], xerr=ranked.mu_star_conf[::-1], capsize=4, color=NEUTRAL_COLOUR)
ax.set_xlabel(f"mu*: mean effect on the {PLAIN[METRIC]} (points), with 95% interval")
ax.set_title(textwrap.fill(title, 70), fontsize="medium")
fig.tight_layout()
fig.savefig(OUT / "03_morris.png", dpi=100)
plt.show()'''),
    new_markdown_cell("""\
With only a few trajectories (quick mode) the indices are rough; with `QUICK = False` they
settle. For a variance-based answer ("what share of the outcome's variance is due to each
parameter, alone and with interactions"), use the Sobol design: see
`scenarios/sweeps/levers_sobol.toml`."""),
]


def write(name: str, cells: list[nbformat.NotebookNode]) -> None:
    """Write ``cells`` as the notebook ``name``, with cell ids that stay the same from one build to the next."""
    for i, cell in enumerate(cells):
        cell.id = f"{name[:2]}-{i:02d}"  # nbformat picks random ids: every rebuild would change every cell
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, HERE / name)


if __name__ == "__main__":
    write("01_first_run.ipynb", FIRST)
    write("02_policy_tradeoffs.ipynb", SECOND)
    write("03_sweeps_and_sensitivity.ipynb", THIRD)
    print("wrote", ", ".join(p.name for p in sorted(HERE.glob("*.ipynb"))))
