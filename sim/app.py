"""The interactive page: a Mesa ``SolaraViz`` app with the main policy levers and live plots.

As a web page (from the repository root)::

    .venv/bin/solara run sim/app.py          # then open http://localhost:8765

In Jupyter (JupyterLab or a notebook with ipywidgets), inline in the notebook::

    from sim.app import Page
    Page()

Move the sliders, press **Reset** to start a new run with them, then **Step** (one week) or
**Play**. See ``docs/interactive.md``.

This is the only module in ``sim`` that imports solara or ``mesa.visualization``; it needs the
``viz`` extra (``pip install -e ".[viz]"``). The core model (``sim.model``) does not.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

import solara
from matplotlib.figure import Figure
from mesa.datacollection import DataCollector
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.solara_viz import ModelController, ModelCreator, ShowSteps
from mesa.visualization.utils import update_counter

from sim import config as sc
from sim.measures.households import NORM_DAYS
from sim.model import HousingModel
from sim.model.states import State

DAYS_PER_STEP = 7  # one press of "Step" = one week
UNIT_TYPES = ("ordinary", "rop", "staffed", "training")
DECLINE_CHOICES = ("0", "1", "2", "3", "4", "5", "unlimited")

BASELINE = sc.load("baseline")

# ----------------------------------------------------------------------------- scenario from levers


def spread_units(base: Mapping[str, int], total: int, zones: list[str] | tuple[str, ...]) -> dict[str, int]:
    """Units per zone for ``total`` units of one type, starting from the baseline's ``base``.

    The baseline number gives the baseline exactly. Fewer units are taken away in proportion to
    where the type's units are (largest remainder); units beyond the baseline number are spread
    evenly over all zones, one at a time in zone order (so 8 staffed units in the centre become
    14/6/5/5 for 30 units, close to the shipped ``more_staffed`` scenario).
    """
    if total < 0:
        raise ValueError(f"a number of units must be >= 0, got {total}")
    out = {zone: int(base.get(zone, 0)) for zone in zones}
    base_total = sum(out.values())
    if total >= base_total:
        for i in range(total - base_total):
            out[zones[i % len(zones)]] += 1
    else:
        quotas = {zone: n * total / base_total for zone, n in out.items()}
        out = {zone: int(q) for zone, q in quotas.items()}
        by_remainder = sorted(zones, key=lambda z: (-(quotas[z] - out[z]), zones.index(z)))
        for zone in by_remainder[: total - sum(out.values())]:
            out[zone] += 1
    # The baseline's zones first and in its order, so the baseline number gives the baseline
    # table exactly (the order in which units are built).
    return {
        **{zone: out[zone] for zone in base if zone in out},
        **{zone: n for zone, n in out.items() if zone not in base and n > 0},
    }


def _declines(value: int | str) -> int | str:
    text = str(value).strip()
    return "unlimited" if text == "unlimited" else int(text)


def _seed(value: int | str) -> int:
    try:
        seed = int(str(value).strip())
    except ValueError:
        raise ValueError(f"the random seed must be a whole number >= 0, got {value!r}") from None
    if seed < 0:
        raise ValueError(f"the random seed must be a whole number >= 0, got {value!r}")
    return seed


def lever_scenario(
    *,
    ordinary_units: int,
    rop_units: int,
    staffed_units: int,
    training_units: int,
    notice_delay_days: float,
    application_timing: str,
    max_declines: int | str,
    followup_capacity: int,
    seed: int,
    base: sc.Scenario = BASELINE,
) -> sc.Scenario:
    """The baseline scenario with the page's levers applied (validated like a scenario file)."""
    zones = base.zones.names
    totals = {"ordinary": ordinary_units, "rop": rop_units, "staffed": staffed_units, "training": training_units}
    return sc.with_overrides(
        base,
        {
            "seed": seed,
            "coordination": {"application_timing": application_timing, "notice_delay_days": float(notice_delay_days)},
            "choice": {"max_declines": _declines(max_declines)},
            "followup": {"capacity": int(followup_capacity)},
            "stock": {
                "types": {
                    name: {"units": spread_units(base.stock.types[name].units, int(totals[name]), zones)}
                    for name in UNIT_TYPES
                }
            },
        },
    )


def _baseline_units(name: str) -> int:
    return sum(BASELINE.stock.types[name].units.values())


# ----------------------------------------------------------------------------- reporters


def day(model: HousingModel) -> float:
    """Days since the start of the run."""
    return model.time


def temporary_over_norm(model: HousingModel) -> int:
    """People in temporary housing now who have been there longer than the 90-day norm."""
    now = model.time
    return sum(1 for p in model.agents if p.state is State.TEMPORARY and now - p.spell_start > NORM_DAYS)


def waiting_list(model: HousingModel) -> int:
    """Applications on the housing office's waiting list (including those still being processed)."""
    return len(model.office)


def vacant_units(model: HousingModel) -> int:
    """Municipal units free to be offered at the next allocation meeting."""
    return len(model.stock.vacant)


def _count(state: State) -> Callable[[HousingModel], int]:
    def reporter(model: HousingModel) -> int:
        return model.counts[state]

    reporter.__name__ = f"n_{state.value}"
    reporter.__doc__ = f"People in {state.value} now."
    return reporter


REPORTERS: dict[str, Callable[[HousingModel], Any]] = {
    "day": day,
    **{f"n_{state.value}": _count(state) for state in State},
    "temporary_over_90d": temporary_over_norm,
    "waitlist": waiting_list,
    "units_vacant": vacant_units,
}


# ----------------------------------------------------------------------------- the model


class InteractiveModel(HousingModel):
    """:class:`HousingModel` built from the page's levers, advanced one week per ``step()``.

    Every argument is a keyword, as SolaraViz passes them; the defaults are the baseline's.
    ``max_declines`` and ``seed`` may be given as text (from a drop-down or a text field).
    With ``skip_warmup`` the model first runs the scenario's warm-up (``run.warmup_days``, two
    years: the made-up day-0 population settling in), recording every week of it. The run stops
    (``running`` becomes false) at the scenario's end (``run.years``).
    """

    def __init__(
        self,
        *,
        ordinary_units: int = _baseline_units("ordinary"),
        rop_units: int = _baseline_units("rop"),
        staffed_units: int = _baseline_units("staffed"),
        training_units: int = _baseline_units("training"),
        notice_delay_days: float = BASELINE.coordination.notice_delay_days,
        application_timing: str = BASELINE.coordination.application_timing,
        max_declines: int | str = BASELINE.choice.max_declines,
        followup_capacity: int = BASELINE.followup.capacity,
        seed: int | str = BASELINE.seed,
        skip_warmup: bool = True,
    ) -> None:
        self.levers = {
            "ordinary_units": int(ordinary_units),
            "rop_units": int(rop_units),
            "staffed_units": int(staffed_units),
            "training_units": int(training_units),
            "notice_delay_days": float(notice_delay_days),
            "application_timing": str(application_timing),
            "max_declines": _declines(max_declines),
            "followup_capacity": int(followup_capacity),
            "seed": _seed(seed),
        }
        self.skip_warmup = bool(skip_warmup)
        scenario = lever_scenario(**self.levers)
        super().__init__(scenario, seed=scenario.seed)
        self.datacollector = DataCollector(model_reporters=REPORTERS)
        self.datacollector.collect(self)
        if self.skip_warmup:
            while self.time < self.cfg.run.warmup_days:
                self._advance_to(min(self.time + DAYS_PER_STEP, self.cfg.run.warmup_days))

    def step(self) -> None:
        """One press of Step (or one tick of Play): advance ``DAYS_PER_STEP`` days (or to the end
        of the run) and record one row; after the end nothing happens."""
        if self.running:
            self.steps += 1
        self._advance_to(self.time + DAYS_PER_STEP)

    def _advance_to(self, day: float) -> None:
        end = self.cfg.total_days
        if self.running and self.time < end:
            self.run_until(min(day, end))
            self.datacollector.collect(self)
        if self.time >= end:
            self.running = False


# ----------------------------------------------------------------------------- page components

STATE_LABELS = {
    State.TREATMENT: ("in treatment", "tab:purple"),
    State.PRISON: ("in prison", "tab:brown"),
    State.TEMPORARY: ("NAV temporary housing", "tab:orange"),
    State.STREET: ("street / friend's sofa", "tab:red"),
    State.HOUSED: ("municipal housing", "tab:green"),
    State.PRIVATE: ("private housing (rental, family, own flat)", "tab:cyan"),
}


def _figure(title: str, ylabel: str, model: InteractiveModel) -> tuple[Figure, Any]:
    # A fixed layout: constrained/tight layout would make each redraw (every step) 2-3x slower.
    fig = Figure(figsize=(6.4, 4.0))
    fig.subplots_adjust(left=0.1, right=0.97, top=0.92, bottom=0.33)
    ax = fig.subplots()
    warmup = model.cfg.run.warmup_days
    if model.time > 0:
        ax.axvspan(0, min(warmup, model.time), color="0.9", zorder=0, label="warm-up (day-0 population settling in)")
    ax.set_title(title, fontsize="medium")
    ax.set_xlabel(f"day (one step = {DAYS_PER_STEP} days)")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, max(model.time, DAYS_PER_STEP))
    ax.grid(alpha=0.3)
    return fig, ax


def _legend(ax: Any, ncols: int) -> None:
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), fontsize="small", ncols=ncols, frameon=False)


def _style(n_points: int) -> dict[str, Any]:
    # A line needs two points: dots at the start of a run, so a plot is never empty.
    return {"marker": "o", "markersize": 3} if n_points < 10 else {}


def _show(fig: Figure, css_class: str) -> None:
    with solara.Card(margin=0, classes=[css_class]):
        solara.FigureMatplotlib(fig, format="png", dpi=100)


@solara.component
def TemporaryAgainstNorm(model: InteractiveModel):
    """People in temporary housing now, and how many of them have been there over 90 days."""
    update_counter.get()
    df = model.datacollector.get_model_vars_dataframe()
    fig, ax = _figure(f"NAV temporary housing and the {NORM_DAYS:.0f}-day norm", "people", model)
    style = _style(len(df))
    ax.plot(df["day"], df["n_temporary"], color="tab:orange", label="in temporary housing now", **style)
    ax.fill_between(df["day"], 0, df["temporary_over_90d"], color="tab:red", alpha=0.3, linewidth=0)
    ax.plot(
        df["day"],
        df["temporary_over_90d"],
        color="tab:red",
        label=f"of them, there longer than {NORM_DAYS:.0f} days (over the norm)",
        **style,
    )
    ax.set_ylim(bottom=0)
    _legend(ax, ncols=1)
    _show(fig, "hp-plot-temporary")


@solara.component
def PeopleByState(model: InteractiveModel):
    """How many people are in each place."""
    update_counter.get()
    df = model.datacollector.get_model_vars_dataframe()
    fig, ax = _figure("People by place", "people", model)
    for state in State:  # every place, even one STATE_LABELS does not name yet
        label, color = STATE_LABELS.get(state, (state.value, None))
        ax.plot(df["day"], df[f"n_{state.value}"], label=label, color=color, **_style(len(df)))
    ax.set_ylim(bottom=0)
    _legend(ax, ncols=2)
    _show(fig, "hp-plot-states")


@solara.component
def WaitingList(model: InteractiveModel):
    """The housing office's waiting list and the vacant units."""
    update_counter.get()
    df = model.datacollector.get_model_vars_dataframe()
    fig, ax = _figure("Housing waiting list", "applications / units", model)
    style = _style(len(df))
    ax.plot(df["day"], df["waitlist"], color="tab:blue", label="applications on the waiting list", **style)
    ax.plot(df["day"], df["units_vacant"], color="tab:gray", linestyle="--", label="vacant units", **style)
    ax.set_ylim(bottom=0)
    _legend(ax, ncols=2)
    _show(fig, "hp-plot-waitlist")


def describe_levers(levers: Mapping[str, Any]) -> str:
    """The levers of a run, in one line."""
    return (
        f"units: ordinary {levers['ordinary_units']}, ROP {levers['rop_units']}, "
        f"staffed {levers['staffed_units']}, training {levers['training_units']}; "
        f"notice delay {levers['notice_delay_days']:g} days; "
        f"application at {levers['application_timing']}; "
        f"free declines {levers['max_declines']}; "
        f"follow-up capacity {levers['followup_capacity']}; seed {levers['seed']}"
    )


@solara.component
def Summary(model: InteractiveModel):
    """Where the run is, the numbers now, and the levers this run was started with."""
    update_counter.get()
    temporary = model.counts[State.TEMPORARY]
    over = temporary_over_norm(model)
    share = f" ({over / temporary:.0%})" if temporary else ""
    stock = model.stock
    status = " — end of the run; press Reset to start again" if not model.running else ""
    with solara.Card(margin=0, classes=["hp-summary"]):
        solara.Markdown(
            f"""
**Day {model.time:g}**, week {round(model.time / DAYS_PER_STEP)}{status}

In NAV temporary housing: **{temporary}**, of whom **{over}**{share} have been there longer than
the {NORM_DAYS:.0f}-day norm · on the street or a friend's sofa: **{model.counts[State.STREET]}** ·
in private housing: **{model.counts[State.PRIVATE]}** ·
waiting list: **{len(model.office)}** applications · units let: **{stock.occupied}** of **{stock.size}**

This run: {describe_levers(model.levers)}.
*Move the levers on the left, then press **Reset** to start a new run with them; **Step** advances
one week, **▶** keeps going. The grey part of the plots is the warm-up ({model.cfg.run.warmup_days:g} days),
where the made-up day-0 population settles in.*
"""
        )


@solara.component
def Dashboard(model: InteractiveModel):
    """The summary and the three plots."""
    with solara.Column(gap="12px"):
        Summary(model)
        with solara.ColumnsResponsive(12, large=6):
            TemporaryAgainstNorm(model)
            PeopleByState(model)
            WaitingList(model)


# ----------------------------------------------------------------------------- the page

# Slider values show on the knob all the time, not only while dragging; room above each slider.
CSS = """
.v-slider-thumb__label-container { display: block !important; }
.v-input.v-slider { margin-top: 26px; }
"""


def _units(label: str, name: str, maximum: int) -> Slider:
    """A slider for the number of units of one type, from none to ``maximum``, at the baseline's number."""
    return Slider(label, value=_baseline_units(name), min=0, max=maximum, step=1)


#: SolaraViz's inputs, one per lever, starting at the baseline's values. The sliders' maxima are
#: room to explore, not limits of the model: several times the baseline's numbers.
MODEL_PARAMS: dict[str, Any] = {
    "ordinary_units": _units("Ordinary flats", "ordinary", 300),
    "rop_units": _units("ROP-adapted units", "rop", 100),
    "staffed_units": _units("Staffed units", "staffed", 100),
    "training_units": _units("Training flats", "training", 50),
    "notice_delay_days": Slider(
        "Notice delay (days)", value=float(BASELINE.coordination.notice_delay_days), min=0.0, max=90.0, step=1.0
    ),
    "application_timing": {
        "type": "Select",
        "label": "Housing application made at",
        "value": BASELINE.coordination.application_timing,
        "values": ["discharge", "admission"],
    },
    "max_declines": {
        "type": "Select",
        "label": "Offers a person may decline at no cost",
        "value": str(BASELINE.choice.max_declines),
        "values": list(DECLINE_CHOICES),
    },
    "followup_capacity": Slider("Follow-up capacity", value=BASELINE.followup.capacity, min=0, max=150, step=1),
    "seed": {"type": "InputText", "label": "Random seed", "value": str(BASELINE.seed)},
    "skip_warmup": {"type": "Checkbox", "label": "Start after the two-year warm-up", "value": True},
}


TITLE = f"Housing pathways (one step = {DAYS_PER_STEP} days)"


def _new_model() -> solara.Reactive[InteractiveModel]:
    return solara.reactive(InteractiveModel())


@solara.component
def Page():
    """The page: :func:`WebPage` under ``solara run``, :func:`Notebook` in Jupyter."""
    return WebPage() if _in_solara_server() else Notebook()


@solara.component
def WebPage():
    """The web page (``solara run sim/app.py``): SolaraViz with the levers in its sidebar.

    Each browser session gets a model of its own. The plots are laid out here rather than passed
    to SolaraViz as ``components``: SolaraViz puts those in a draggable grid whose JavaScript
    (vue-grid-layout 2) fails under the Vue 3 front end that solara uses with ipyvuetify 3
    ("GlobalVue.use is not a function"), which leaves the plot area empty.
    """
    model = solara.use_memo(_new_model, [])
    solara.Style(CSS)
    SolaraViz(model, components=[], model_params=MODEL_PARAMS, name=TITLE)
    Dashboard(model.value)


@solara.component
def Notebook():
    """The page inline in a Jupyter notebook: the levers and controls in a column on the left.

    Built from the same Mesa parts as SolaraViz's sidebar (``ModelController``, ``ModelCreator``,
    ``ShowSteps``). SolaraViz itself puts them in a sidebar that, in a notebook, solara shows
    behind an app-bar menu, and that app bar fails to draw under ipyvuetify 3 ("[Vuetify] Could
    not find injected layout"), so the levers could not be reached.
    """
    model = solara.use_memo(_new_model, [])
    parameters = solara.use_reactive({})
    play_interval = solara.use_reactive(150)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    with solara.Column(gap="12px") as main:
        solara.Style(CSS)
        solara.Markdown(f"### {TITLE}")
        with solara.Columns([1, 3]):
            with solara.Column(gap="12px"):
                with solara.Card("Controls", margin=0):
                    ModelController(
                        model,
                        model_parameters=parameters,
                        play_interval=play_interval,
                        render_interval=render_interval,
                        use_threads=use_threads,
                    )
                with solara.Card("Model Parameters", margin=0):
                    ModelCreator(model, MODEL_PARAMS, model_parameters=parameters)
                with solara.Card("Information", margin=0):
                    ShowSteps(model.value)
            Dashboard(model.value)
    return main


def _in_solara_server() -> bool:
    """Running under ``solara run`` (rather than in a Jupyter kernel)."""
    return "solara.server.starlette" in sys.modules or "solara.server.flask" in sys.modules
