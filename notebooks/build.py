"""Write the notebooks in this folder from their cell lists (stored without outputs).

Usage: .venv/bin/python notebooks/build.py
Edit the cells here, rebuild, and commit both: the .ipynb files are what students open.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = '''\
# Run from the repository (notebooks/ is one level down); results go to results/notebooks/.
import os, sys
from pathlib import Path
ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
sys.path.insert(0, str(ROOT))
OUT = ROOT / "results" / "notebooks"
OUT.mkdir(parents=True, exist_ok=True)
# Quick mode (used by the tests) keeps runs short; set QUICK = False for full-size runs.
QUICK = os.environ.get("NOTEBOOK_QUICK", "1") == "1"
import matplotlib.pyplot as plt
import pandas as pd
import sim
pd.set_option("display.width", 160)
pd.set_option("display.max_colwidth", 60)
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
| treatment | inpatient substance treatment (TSB) |
| prison | serving a sentence |
| temporary | NAV's temporary housing: hostels, bedsits; meant to last at most 3 months |
| street | no place: the street or a friend's sofa |
| housed | a municipal flat: ordinary, ROP-adapted, staffed, or a training flat |

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
2 years are a warm-up and are not counted. Several replications give an average and a 95%
interval: the range where the true average probably lies."""),
    new_code_cell('''\
reps = 4 if QUICK else 10
base = sim.run("baseline", replications=reps, out=OUT / "baseline")
base.summary[["metric", "mean", "ci_low", "ci_high", "unit"]].round(3)'''),
    new_markdown_cell("""\
**How to read it.** `temp_occupancy_mean` is how many people are in temporary housing on an
average day (the thesis reports "over 50"). `temp_spells_over_90d_share` is the share of stays longer
than the 90-day norm. `readmission_within_365d_share` is the share of people leaving treatment
who are back in treatment within a year (nationally: over half). Every metric is defined in
`docs/metrics.md`."""),
    new_code_cell('''\
from IPython.display import Image, display
for name in ["states.png", "temporary_stays.png", "discharge_destinations.png"]:
    display(Image(filename=str(base.path / name)))'''),
    new_markdown_cell("""\
## Follow a few people

Each row of `spells` is one stay of one person in one place. Here are the first years of a few
people who went through temporary housing more than once."""),
    new_code_cell('''\
spells = base.spells[base.spells.replication == 0]
temp_counts = spells[spells.state == "temporary"].groupby("person").size()
people = temp_counts[temp_counts >= 2].index[:6]
colours = {"treatment": "tab:blue", "prison": "tab:grey", "temporary": "tab:orange",
           "street": "tab:red", "housed": "tab:green"}
fig, ax = plt.subplots(figsize=(10, 4))
for row, person in enumerate(people):
    mine = spells[spells.person == person]
    for state, colour in colours.items():
        part = mine[mine.state == state]
        ax.broken_barh(list(zip(part.start / 365, (part.end - part.start) / 365)), (row - 0.4, 0.8), color=colour)
ax.set_yticks(range(len(people)), [f"person {p}" for p in people])
ax.set_xlabel("year")
ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()], labels=list(colours),
          ncols=5, loc="upper center", bbox_to_anchor=(0.5, 1.15))
ax.set_title("Pathways of six people (one colour per place)", pad=30)
fig.tight_layout()
fig.savefig(OUT / "01_pathways.png", dpi=100)
plt.show()'''),
    new_code_cell('''\
# Why did each stay end? The most common endings of temporary-housing stays:
spells[spells.state == "temporary"].end_reason.value_counts()'''),
    new_markdown_cell("""\
## Try it yourself

Change a lever with `set=` (the names are the keys of `scenarios/baseline.toml`) and run again,
for example allocation meetings every week instead of every two weeks:

```python
weekly = sim.run("baseline", replications=4, set={"housing_office.meeting_interval_days": 7})
weekly.summary
```

Notebook 2 compares policies side by side."""),
]

SECOND = [
    new_markdown_cell("""\
# 2. Policy trade-offs

Which lever shortens stays in temporary housing, and what does it cost elsewhere? Every policy
below is a scenario file in `scenarios/`. `sim.compare` runs them with **common random
numbers**: the same people meet the same luck in every scenario wherever the scenarios agree, so
the differences come from the policy, not from chance. Each difference has a 95% interval; an
interval that does not include 0 is a difference we can trust."""),
    new_code_cell(SETUP),
    new_code_cell('''\
reps = 4 if QUICK else 10
policies = ["more_staffed", "differentiated", "housing_ready", "strict_choice", "free_choice", "housing_first"]
cmp = sim.compare("baseline", *policies, replications=reps, out=OUT / "compare")
for line in cmp.lines:
    print(line)'''),
    new_code_cell('''\
metrics = ["temp_spells_over_90d_share", "temp_occupancy_mean", "discharge_to_street_share", "readmission_within_365d_share"]
cmp.table[cmp.table.metric.isin(metrics)].round(3)'''),
    new_markdown_cell("""\
## A trade-off: coordination without more flats

"Housing ready at discharge" (`housing_ready`) plans housing from admission and gives people in
treatment or prison priority at allocation meetings. Fewer people leave treatment for the
street or NAV. But the stock is the same size: the flats they get are flats that people already
waiting in temporary housing did not get. The next cell puts numbers on both sides."""),
    new_code_cell('''\
tab = cmp.table.set_index(["metric", "scenario"])
def show(metric):
    b, h = tab.loc[(metric, "baseline")], tab.loc[(metric, "housing_ready")]
    return {"metric": metric, "baseline": round(b["mean"], 3), "housing_ready": round(h["mean"], 3)}
trade = pd.DataFrame([show(m) for m in ["discharge_to_street_share", "discharge_to_housing_share",
                                         "temp_occupancy_mean", "temp_spells_over_90d_share", "temp_spell_days_mean"]])
trade'''),
    new_code_cell('''\
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for ax, metric, label in [(axes[0], "discharge_to_housing_share", "discharges to ready housing (share)"),
                          (axes[1], "temp_occupancy_mean", "people in temporary housing")]:
    rows = tab.xs(metric, level="metric").loc[["baseline", "housing_ready", "more_staffed", "differentiated"]]
    ax.bar(rows.index, rows["mean"], yerr=[rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]], capsize=5,
           color=["grey", "tab:orange", "tab:blue", "tab:green"])
    ax.set_title(label)
    ax.tick_params(axis="x", rotation=20)
fig.suptitle("Coordination helps people leaving treatment; only more or better-fitted flats help everyone")
fig.tight_layout()
fig.savefig(OUT / "02_tradeoff.png", dpi=100)
plt.show()'''),
    new_markdown_cell("""\
## Sliders: try the levers yourself

Move a slider and the cell runs the model again with that value (a few seconds each). In a
notebook viewer that cannot run code, the sliders do nothing: open the notebook in Jupyter."""),
    new_code_cell('''\
import ipywidgets as widgets

def lever_run(staffed_units=8, max_declines=2, notice_delay_days=14, application_at_admission=False):
    extra = max(0, staffed_units - 8)
    units = {"sentrum": 8 + extra // 2, "nord": extra - extra // 2}
    out = sim.run("baseline", replications=2 if QUICK else 6, figures=False, set={
        "stock.types.staffed.units": units,
        "choice.max_declines": max_declines,
        "coordination.notice_delay_days": float(notice_delay_days),
        "coordination.application_timing": "admission" if application_at_admission else "discharge",
    })
    s = out.summary.set_index("metric")
    return s.loc[["temp_occupancy_mean", "temp_spells_over_90d_share", "discharge_to_street_share", "evictions"],
                 ["mean", "ci_low", "ci_high", "unit"]].round(3)

widgets.interact_manual(
    lever_run,
    staffed_units=widgets.IntSlider(value=8, min=8, max=40, step=4, description="staffed units"),
    max_declines=widgets.IntSlider(value=2, min=0, max=5, description="free declines"),
    notice_delay_days=widgets.IntSlider(value=14, min=0, max=42, step=7, description="notice (days)"),
    application_at_admission=widgets.Checkbox(value=False, description="apply at admission"),
)
lever_run()  # the default values, so the notebook shows a result without touching a slider'''),
]

THIRD = [
    new_markdown_cell("""\
# 3. Sweeps and sensitivity

A **sweep** runs the model over many parameter values. A **sensitivity analysis** asks which
parameters the outcome depends on most. Here: a small grid (how many declines are allowed x how
many ordinary flats there are), then a Morris screening of several levers.

The same things can be run from the command line on many cores or a cluster:
`pathways sweep scenarios/sweeps/declines_vs_stock.toml --workers 8` (see `docs/experiments.md`)."""),
    new_code_cell(SETUP),
    new_code_cell('''\
grid = {
    "name": "notebook_grid",
    "description": "Declines allowed against ordinary flats bought in the centre at day 730",
    "base": "buy_flats",
    "design": "grid",
    "replications": 2,
    "seed": 1,
    "metrics": ["temp_spells_over_90d_share", "temp_occupancy_mean", "offers_declined"],
    "set": {"run.years": 4.0 if QUICK else 10.0, "run.warmup_days": 365.0, "stock.additions.0.day": 365.0},
    "parameters": [
        {"key": "choice.max_declines", "levels": [0, 2, "unlimited"]},
        {"key": "stock.additions.0.count", "levels": [0, 40, 80]},
    ],
}
sw = sim.sweep(grid, out=OUT / "sweep_grid", overwrite=True)
sw.by_point'''),
    new_markdown_cell("""\
**Reading the grid.** Each row is one combination; the metric columns are means over
replications. Compare rows with the same number of flats to see the effect of the decline limit,
and rows with the same limit to see the effect of more flats."""),
    new_code_cell('''\
table = sw.by_point.copy()
table["choice.max_declines"] = table["choice.max_declines"].astype(str)
pivot = table.pivot(index="stock.additions.0.count", columns="choice.max_declines", values="temp_spells_over_90d_share")
ax = pivot.plot(marker="o", figsize=(7, 4))
ax.set_xlabel("ordinary flats bought in the centre at day 730")
ax.set_ylabel("share of temporary stays over 90 days")
ax.set_title("More flats matter more than the decline limit")
ax.figure.tight_layout()
ax.figure.savefig(OUT / "03_grid.png", dpi=100)
plt.show()'''),
    new_markdown_cell("""\
## Morris screening

Morris moves one parameter at a time along random paths. **mu\\*** says how much a parameter
moves the outcome on average; **sigma** says how much that effect depends on the other
parameters (interactions or curves). Parameters with small mu\\* can be left alone."""),
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
    "set": {"run.years": 4.0 if QUICK else 8.0, "run.warmup_days": 365.0},
    "parameters": [
        {"key": "housing_office.meeting_interval_days", "range": [7.0, 28.0]},
        {"key": "coordination.notice_delay_days", "range": [0.0, 28.0]},
        {"key": "choice.decline_prob_other_zone", "range": [0.0, 0.7]},
        {"key": "treatment.referral_rate_per_day_using", "range": [0.01, 0.04]},
    ],
}
ms = sim.sweep(morris, out=OUT / "sweep_morris", overwrite=True, sensitivity=True)
ms.sensitivity.table'''),
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
