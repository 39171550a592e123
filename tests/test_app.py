"""The interactive page (``sim/app.py``) without a browser: the model behind it, its figures, and the
page rendered by solara in this process (``solara.render``, the notebook view).

Each test names the behaviour it guards: the run starts after the warm-up; the previous run stays
as a faint trace after Reset; every lever has help with its unit and range; the page speaks
Norwegian when asked; one colour per place; a few people's pathways; a play speed that gets
through the counted years in few drawings. The browser test is in ``test_app_browser.py``.
"""

from __future__ import annotations

import html
import inspect
import re
from collections.abc import Iterator
from typing import Any

import pytest
from matplotlib.colors import to_rgba

from sim.model.states import State
from sim.reports.language import place
from sim.reports.style import PLACE_COLOURS, WAITLIST_COLOUR

app = pytest.importorskip("sim.app", reason="the viz extra is not installed: pip install -e '.[viz]'")
solara = pytest.importorskip("solara")
widgets = pytest.importorskip("ipywidgets")

# ----------------------------------------------------------------------------- helpers


def walk(node: Any) -> Iterator[Any]:
    """Every widget and string under ``node``."""
    yield node
    for child in getattr(node, "children", None) or []:
        if isinstance(child, widgets.Widget | str):
            yield from walk(child)


def page_text(box: Any) -> str:
    """All the text the page shows: strings, labels, and rendered Markdown without its tags."""
    parts: list[str] = []
    for node in walk(box):
        if isinstance(node, str):
            parts.append(node)
            continue
        for attr in ("label", "template"):
            value = getattr(node, attr, None)
            if isinstance(value, str):
                parts.append(html.unescape(re.sub(r"<[^>]+>", " ", value)))
    return re.sub(r"\s+", " ", " ".join(parts))


def button(box: Any, label: str) -> Any:
    """The button with this label."""
    return next(x for x in walk(box) if type(x).__name__ == "Btn" and x.children == [label])


def slider(box: Any, label: str) -> Any:
    """The slider with this label."""
    return next(x for x in walk(box) if type(x).__name__ == "Slider" and x.label == label)


def legend_texts(fig: Any) -> list[str]:
    """The entries of every legend of a figure."""
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]


@pytest.fixture
def page():
    """The page rendered in this process (the notebook view), closed afterwards."""
    rendered: list[Any] = []

    def render(**kwargs: Any) -> Any:
        box, rc = solara.render(app.Page(**kwargs), handle_error=False)
        rendered.append(rc)
        return box

    yield render
    for rc in rendered:
        rc.close()


# ----------------------------------------------------------------------------- 1. after the warm-up


def test_run_starts_after_the_warmup_without_recording_it():
    model = app.InteractiveModel()
    warmup = model.cfg.run.warmup_days
    assert model.time == model.start_day == warmup
    df = model.datacollector.get_model_vars_dataframe()
    assert list(df["day"]) == [warmup]  # the warm-up is run, not recorded week by week
    model.step()
    assert model.time == warmup + app.DAYS_PER_STEP and model.steps == 1


def test_plots_open_on_the_counted_years(page):
    box = page()
    model = app.InteractiveModel()
    fig = app.temporary_figure(model)
    left, _ = fig.axes[0].get_xlim()
    assert left == pytest.approx(model.cfg.run.warmup_days / app.DAYS_PER_YEAR)
    text = page_text(box)
    assert "The run started after the warm-up" in text and "Day 730" in text


def test_warmup_can_still_be_watched_from_day_0():
    model = app.InteractiveModel(skip_warmup=False)
    assert model.time == model.start_day == 0
    model.step()
    fig = app.temporary_figure(model)
    assert "warm-up (not counted)" in legend_texts(fig)


# ----------------------------------------------------------------------------- 2. the previous run


def test_reset_keeps_the_previous_run_as_a_trace(page):
    box = page()
    button(box, "Step").fire_event("click", {})
    staffed = slider(box, "Staffed units")
    staffed.v_model = 12
    button(box, "Reset").fire_event("click", {})
    text = page_text(box)
    assert "Faint lines: the previous run (Staffed units 8 → 12)" in text
    assert "staffed 12" in text  # this run has the new value


def test_reset_of_a_run_that_has_not_moved_keeps_the_older_trace(page):
    box = page()
    button(box, "Step").fire_event("click", {})
    slider(box, "Staffed units").v_model = 12
    button(box, "Reset").fire_event("click", {})
    slider(box, "Staffed units").v_model = 20
    button(box, "Reset").fire_event("click", {})  # the run with 12 never moved
    assert "the previous run (Staffed units 8 → 20)" in page_text(box)


def test_the_trace_is_drawn_faintly_with_a_legend_entry_naming_the_change():
    before = app.InteractiveModel()
    for _ in range(3):
        before.step()
    trace = app.Trace.of(before)
    model = app.InteractiveModel(notice_delay_days=0, application_timing="admission")
    for make in (app.temporary_figure, app.places_figure, app.waitlist_figure):
        fig = make(model, trace)
        entries = legend_texts(fig)
        assert "previous run (Notice delay (days) 14 → 0, Housing application made at discharge → admission)" in entries
        faint = [line for line in fig.axes[0].get_lines() if line.get_alpha() == app.TRACE_STYLE["alpha"]]
        assert faint and all(len(line.get_xdata()) == 4 for line in faint)
        without = make(model, None)
        assert not any(e.startswith("previous run") for e in legend_texts(without))


def test_describe_change():
    base = app.default_levers()
    assert app.describe_change(base, dict(base)) == "same levers"
    more = {**base, "rop_units": 50, "staffed_units": 30, "training_units": 0, "followup_capacity": 60}
    assert app.describe_change(base, more) == (
        "ROP units 36 → 50, Staffed units 8 → 30, Training flats 6 → 0, and 1 more"
    )
    assert app.describe_change(base, {**base, "max_declines": "unlimited"}, "nb") == (
        "Tilbud en person kan avslå uten følger 2 → ubegrenset"
    )


# ----------------------------------------------------------------------------- 3. help for every lever


def test_every_keyword_of_the_model_is_a_lever():
    keywords = [p for p in inspect.signature(app.InteractiveModel.__init__).parameters if p != "self"]
    assert [lever.name for lever in app.LEVERS] == keywords
    model = app.InteractiveModel(**app.default_levers())
    assert model.cfg.to_dict() == app.BASELINE.to_dict()


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_every_lever_has_help_with_what_it_is_its_unit_range_and_baseline(lang):
    for lever in app.LEVERS:
        help_text = lever.help(lang)
        assert lever.what[lang] in help_text, lever.name
        assert f"{app.word('unit', lang)}: {lever.unit[lang]}, {lever.range_text(lang)}." in help_text, lever.name
        assert f"{app.word('baseline', lang)}: {lever.show(lever.value, lang)}." in help_text, lever.name
        assert len(lever.what[lang]) > 60, f"{lever.name}: the help says too little"
    rop = app.LEVER_BY_NAME["rop_units"].help("en")
    assert "co-occurring substance use and mental illness (ROP-bolig)" in rop
    assert "Unit: number of units, 0 to 100." in rop
    follow = app.LEVER_BY_NAME["followup_capacity"].help("en")
    assert "Unit: clients at once, 0 to 150. Baseline: 25." in follow
    assert "`followup.capacity` — follow-up teams in the home (mechanism 9)" in follow  # from the schema


def test_the_page_shows_each_levers_help_under_it(page):
    text = page_text(page())
    for lever in app.LEVERS:
        assert lever.label["en"] in text
        assert lever.help("en").replace("`", "") in text.replace("`", ""), lever.name


# ----------------------------------------------------------------------------- 4. speed


def test_the_fastest_speed_draws_the_counted_years_in_a_few_frames():
    counted_weeks = (app.BASELINE.total_days - app.BASELINE.run.warmup_days) / app.DAYS_PER_STEP
    fastest = max(app.SPEEDS.values(), key=lambda s: s.weeks)
    default = app.SPEEDS[app.DEFAULT_SPEED]
    # Drawing the four plots took up to 2.3 s on a loaded machine: a minute allows some 25 drawings.
    assert counted_weeks / fastest.weeks <= 10
    assert counted_weeks / default.weeks <= 25
    assert min(s.weeks for s in app.SPEEDS.values()) == 1  # and week by week for a close look


def test_step_is_one_week_whatever_the_speed(page):
    box = page()
    button(box, "1 year").fire_event("click", {})
    button(box, "Step").fire_event("click", {})
    assert "Day 737" in page_text(box)


def test_playing_waits_for_each_frame_to_be_drawn():
    frames = app.Frames()
    assert not frames.wait(1, timeout=0.01)
    frames.drawn(1)
    assert frames.wait(1, timeout=0.01)


def test_the_page_marks_each_update_drawn(monkeypatch, page):
    made: list[app.Frames] = []

    class Recording(app.Frames):
        def __init__(self) -> None:
            super().__init__()
            made.append(self)

    monkeypatch.setattr(app, "Frames", Recording)
    box = page()
    button(box, "Step").fire_event("click", {})
    (frames,) = made
    assert frames.wait(app.update_counter.value, timeout=1.0)  # the Dashboard's effect said so


# ----------------------------------------------------------------------------- 5. people's pathways


def test_followed_people_start_one_in_each_place_and_their_spells_reach_today():
    model = app.InteractiveModel()
    assert len(model.followed) == app.FOLLOWED_PEOPLE
    assert [p.state for p in model.followed] == list(State)
    for _ in range(30):
        model.step()
    spells, markers = app.followed_tables(model)
    assert list(spells.columns) == ["person", "state", "start_day", "end_day"]
    assert list(dict.fromkeys(spells["person"])) == [p.unique_id for p in model.followed]
    assert set(spells["state"]) <= {s.value for s in State}
    for person in model.followed:
        mine = spells[spells["person"] == person.unique_id]
        assert (mine["end_day"].iloc[:-1].to_numpy() == mine["start_day"].iloc[1:].to_numpy()).all()  # no gaps
        if person.state is not None:
            assert mine["end_day"].iloc[-1] == model.time and mine["state"].iloc[-1] == person.state.value
    assert list(markers.columns) == ["person", "day", "kind"]
    assert set(markers["person"]) <= {p.unique_id for p in model.followed}


def test_the_page_draws_the_pathways_with_the_shared_drawing(monkeypatch, page):
    calls: list[tuple[Any, str]] = []
    real = app.draw_timelines

    def spy(ax, spells, markers=None, lang="en", **kwargs):
        calls.append((spells, lang))
        return real(ax, spells, markers, lang, **kwargs)

    monkeypatch.setattr(app, "draw_timelines", spy)
    box = page()
    assert calls and len(set(calls[-1][0]["person"])) == app.FOLLOWED_PEOPLE
    assert sum(type(x).__name__ == "Image" for x in walk(box)) == 4  # three plots and the pathways
    assert "Pathways of 6 people" in app.timelines_figure(app.InteractiveModel()).axes[0].get_title()


# ----------------------------------------------------------------------------- 6. Norwegian


def test_page_language_from_argument_url_or_environment(monkeypatch):
    monkeypatch.delenv(app.LANG_ENV, raising=False)
    assert app.page_lang(None) == "en"
    assert app.page_lang("lang=nb") == "nb"
    assert app.page_lang("x=1&lang=nb") == "nb"
    assert app.page_lang("lang=xx") == "en"
    monkeypatch.setenv(app.LANG_ENV, "nb")
    assert app.page_lang(None) == "nb"
    assert app.page_lang("lang=en") == "en"
    assert app.page_lang(None, "en") == "en"


def test_the_page_in_norwegian(page):
    box = page(lang="nb")
    text = page_text(box)
    for words in ("Bemannede boliger", "Varslingstid (dager)", "Virkemidler", "Dag 730", "år 2,0 i kjøringen"):
        assert words in text, words
    assert "Staffed units" not in text and "Day 730" not in text
    assert "ROP-bolig" in app.LEVER_BY_NAME["rop_units"].help("nb")
    button(box, "Ett steg").fire_event("click", {})
    slider(box, "Bemannede boliger").v_model = 9
    button(box, "Start på nytt").fire_event("click", {})
    assert "forrige kjøring (Bemannede boliger 8 → 9)" in page_text(box)


def test_the_language_can_be_changed_on_the_page(page):
    box = page()
    assert "Staffed units" in page_text(box)
    (choice,) = [x for x in walk(box) if type(x).__name__ == "BtnToggle" and "hp-lang" in (x.class_ or "")]
    choice.v_model = "nb"  # a click on "Norsk"
    assert "Bemannede boliger" in page_text(box) and "Staffed units" not in page_text(box)


def test_figures_in_norwegian_use_the_shared_words_and_decimal_commas():
    model = app.InteractiveModel()
    model.step()
    fig = app.places_figure(model, lang="nb")
    assert legend_texts(fig) == [place(state, "nb") for state in State]
    assert fig.axes[0].get_xlabel() == "år i kjøringen"
    for _ in range(30):
        model.step()
    for make in (app.temporary_figure, app.timelines_figure):
        fig = make(model, lang="nb")
        fig.draw_without_rendering()
        ticks = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
        assert any("," in t for t in ticks) and not any("." in t for t in ticks), ticks
    assert app.LEVER_BY_NAME["notice_delay_days"].show(2.5, "nb") == "2,5"


# ----------------------------------------------------------------------------- 7. one colour per place


def test_one_colour_per_place_from_the_shared_style():
    model = app.InteractiveModel()
    model.step()
    lines = app.places_figure(model).axes[0].get_lines()
    assert [to_rgba(line.get_color()) for line in lines] == [to_rgba(PLACE_COLOURS[s]) for s in State]
    waitlist = app.waitlist_figure(model).axes[0].get_lines()[0]
    assert to_rgba(waitlist.get_color()) == to_rgba(WAITLIST_COLOUR)
    temporary = app.temporary_figure(model).axes[0].get_lines()[0]
    assert to_rgba(temporary.get_color()) == to_rgba(PLACE_COLOURS[State.TEMPORARY])
    assert not hasattr(app, "STATE_LABELS")
