"""The pathways of a few people: their places over time, relapses and offers of housing.

:func:`draw_timelines` draws one row per person on a matplotlib Axes from plain tables (it knows
nothing of run folders, so the interactive page can call it with spells built from a live model).

The rest reads a run folder (what ``pathways run`` writes) for ``pathways people``: the spells
come from ``spells.parquet``. A run folder keeps no relapses, offers or NAV refusals, so
:func:`read_run` replays the chosen replication from ``scenario.resolved.toml`` and the
replication's seed (``replications.parquet``); a replay is the same run, and it is used only if its
spells equal the stored ones, row for row. Otherwise the text and figure show the spells alone
and say why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.config import DAYS_PER_YEAR
from sim.model.states import State
from sim.reports.language import check_lang, fmt, place, term, unit_type
from sim.reports.style import PLACE_COLOURS, WARMUP_SHADE

#: Words of this report that :mod:`sim.reports.language` does not have, in each language.
#: ``{src}``, ``{dst}``, ``{place}``, ``{unit}`` and the like are filled in by :func:`people_text`.
WORDS: dict[str, dict[str, str]] = {
    # the figure
    "person": {"en": "person", "nb": "person"},
    "year": {"en": "year", "nb": "år"},
    "relapse": {"en": "relapse", "nb": "tilbakefall"},
    "offer_declined": {"en": "offer of housing declined", "nb": "boligtilbud avslått"},
    "offer_accepted": {"en": "offer of housing accepted", "nb": "boligtilbud akseptert"},
    "left": {"en": "left the services", "nb": "gikk ut av tjenestene"},
    "title": {
        "en": "{scenario}: the pathways of {n} people (replication {r})",
        "nb": "{scenario}: forløpene til {n} personer (replikasjon {r})",
    },
    # the text: headers
    "header": {
        "en": "{scenario}, replication {r}: warm-up until year {warmup} (not counted), run ends at year {end}",
        "nb": "{scenario}, replikasjon {r}: innsvingning til år {warmup} (telles ikke), kjøringen slutter i år {end}",
    },
    "person_line": {
        "en": "person {id}: changes of place in the counted years: {changes}; relapses: {relapses}; "
        "offers of housing: {offers} ({declined} declined)",
        "nb": "person {id}: stedsskifter i årene som telles: {changes}; tilbakefall: {relapses}; "
        "boligtilbud: {offers} ({declined} avslått)",
    },
    "no_events": {"en": "(relapses and offers not shown: {why})", "nb": "(tilbakefall og tilbud vises ikke: {why})"},
    # the text: what happened
    "starts": {"en": "starts in {dst}", "nb": "starter i {dst}"},
    "arrives": {"en": "new in the services: {dst}", "nb": "ny i tjenestene: {dst}"},
    "discharged": {"en": "discharged from {src} -> {dst}", "nb": "utskrevet fra {src} -> {dst}"},
    "released": {"en": "released from prison -> {dst}", "nb": "løslatt fra fengsel -> {dst}"},
    "admitted_treatment": {"en": "admitted to treatment: {src} -> {dst}", "nb": "innlagt i behandling: {src} -> {dst}"},
    "admitted_prison": {"en": "sent to prison: {src} -> {dst}", "nb": "satt i fengsel: {src} -> {dst}"},
    "came_to_nav": {"en": "came to NAV: {src} -> {dst}", "nb": "kom til NAV: {src} -> {dst}"},
    "left_temporary": {"en": "left NAV temporary housing -> {dst}", "nb": "forlot NAV midlertidig botilbud -> {dst}"},
    "moved_in": {"en": "moved in: {src} -> {dst}", "nb": "flyttet inn: {src} -> {dst}"},
    "moved_on": {"en": "moved on to another municipal flat", "nb": "flyttet videre til en annen kommunal bolig"},
    "own_housing": {"en": "found private housing: {src} -> {dst}", "nb": "fant privat bolig: {src} -> {dst}"},
    "arranged_private": {
        "en": "private rental arranged by the housing office: {src} -> {dst}",
        "nb": "privat leie skaffet av boligkontoret: {src} -> {dst}",
    },
    "evicted": {"en": "evicted: {src} -> {dst}", "nb": "kastet ut: {src} -> {dst}"},
    "tenancy_ended": {"en": "tenancy ended: {src} -> {dst}", "nb": "leieavtalen gikk ut: {src} -> {dst}"},
    "relapse_ends_tenancy": {
        "en": "tenancy ended by a relapse: {src} -> {dst}",
        "nb": "leieforholdet endte ved tilbakefall: {src} -> {dst}",
    },
    "lost_private": {"en": "lost private housing -> {dst}", "nb": "mistet privat bolig -> {dst}"},
    "other_change": {"en": "{reason}: {src} -> {dst}", "nb": "{reason}: {src} -> {dst}"},
    "stable": {"en": "left the services, stable in {src}", "nb": "gikk ut av tjenestene, stabil i {src}"},
    "moved_away": {"en": "moved away from {src}", "nb": "flyttet fra kommunen, fra {src}"},
    "death": {"en": "died in {src}", "nb": "døde i {src}"},
    "end_of_run": {"en": "end of the run: in {src}", "nb": "slutten av kjøringen: i {src}"},
    "other_exit": {"en": "{reason} (left {src})", "nb": "{reason} (forlot {src})"},
    "relapse_in": {"en": "relapse (in {place})", "nb": "tilbakefall (i {place})"},
    "offer": {"en": "offered {unit}: {answer}", "nb": "tilbud om {unit}: {answer}"},
    # the text: details in brackets
    "flat_ready": {"en": "flat ready", "nb": "bolig klar"},
    "no_flat": {"en": "no flat ready", "nb": "ingen bolig klar"},
    "nav_full": {"en": "NAV had no free place", "nb": "NAV hadde ingen ledig plass"},
    "nav_unsuitable": {
        "en": "no suitable place for a woman in active use",
        "nb": "ingen egnet plass for en kvinne i aktiv rus",
    },
    "accepted": {"en": "accepted", "nb": "takket ja"},
    "declined": {"en": "declined", "nb": "takket nei"},
    "back_of_queue": {"en": "declined, back of the queue", "nb": "takket nei, bakerst i køen"},
    "lower_priority": {"en": "declined, lower priority", "nb": "takket nei, lavere prioritet"},
    "temporary_only": {
        "en": "declined, no more offers (temporary housing only)",
        "nb": "takket nei, ingen flere tilbud (bare midlertidig botilbud)",
    },
    "written": {"en": "Figure written to {path}", "nb": "Figuren er skrevet til {path}"},
    # why relapses and offers are missing
    "no_replay_files": {"en": "the run folder has no {file}", "nb": "resultatmappen har ingen {file}"},
    "no_seed": {
        "en": "replications.parquet has no seed for replication {r}",
        "nb": "replications.parquet har ingen seed for replikasjon {r}",
    },
    "replay_differs": {
        "en": "replaying replication {r} did not give the stored spells (the model has changed since the run)",
        "nb": "replikasjon {r} kjørt på nytt ga ikke de lagrede oppholdene (modellen er endret siden kjøringen)",
    },
    "replay_off": {"en": "not replayed", "nb": "ikke kjørt på nytt"},
}

#: How each kind of marker is drawn: matplotlib marker, face colour, size.
MARKER_STYLES: dict[str, tuple[str, str, float]] = {
    "relapse": ("x", "black", 40.0),
    "offer_declined": ("v", "white", 40.0),
    "offer_accepted": ("^", "black", 40.0),
    "left": ("|", "black", 80.0),  # left the services: stable at home, moved away or dead
}
#: Height of a person's bar (rows are 1 apart).
BAR_HEIGHT = 0.6


def word(key: str, lang: str = "en") -> str:
    """A word of :data:`WORDS` in the language; an unknown key is returned as it is."""
    return WORDS.get(key, {}).get(check_lang(lang), key.replace("_", " "))


def draw_timelines(
    ax: Axes,
    spells: pd.DataFrame,
    markers: pd.DataFrame | None = None,
    lang: str = "en",
    *,
    warmup_days: float = 0.0,
    legend: bool = True,
) -> None:
    """Draw one row per person: a bar coloured by place for each spell, markers on top.

    People are drawn top to bottom in the order they first appear in ``spells``. Nothing is read
    from disk and no backend is chosen: pass the Axes of a :class:`matplotlib.figure.Figure`.

    Args:
        ax: Where to draw.
        spells: Columns ``person``, ``state`` (a :class:`State` value such as ``"temporary"``, or
            the State itself), ``start_day`` and ``end_day`` (NaN: still going on; drawn to the
            latest day in the tables).
        markers: Optional; columns ``person``, ``day`` and ``kind`` (``"relapse"``,
            ``"offer_declined"``, ``"offer_accepted"``, ``"left"``; another kind is drawn as a dot). Rows of
            people not in ``spells`` are left out.
        lang: ``"en"`` or ``"nb"``, for the labels and the legend.
        warmup_days: Days from 0 shaded as the warm-up (not counted); 0 for none.
        legend: Add a legend of the places, markers and warm-up drawn.

    Raises:
        ValueError: If ``lang`` is not known, or a column is missing.
    """
    lang = check_lang(lang)
    _require(spells, ("person", "state", "start_day", "end_day"), "spells")
    if markers is not None:
        _require(markers, ("person", "day", "kind"), "markers")
    people = list(dict.fromkeys(spells["person"].tolist()))
    row = {person: i for i, person in enumerate(people)}
    latest = _latest_day(spells, markers)

    handles: list = []
    if warmup_days > 0:
        handles.append(
            ax.axvspan(0, warmup_days / DAYS_PER_YEAR, color=WARMUP_SHADE, zorder=0, label=term("warmup", lang))
        )
    drawn: dict[State, None] = {}
    for state_value, group in spells.groupby(spells["state"].map(_state_value), sort=False):
        state = State(state_value)
        drawn[state] = None
        ends = group["end_day"].fillna(latest).to_numpy(dtype=float)
        starts = group["start_day"].to_numpy(dtype=float)
        for person, start, end in zip(group["person"], starts, ends, strict=True):
            ax.broken_barh(
                [(start / DAYS_PER_YEAR, max(end - start, 0.0) / DAYS_PER_YEAR)],
                (row[person] - BAR_HEIGHT / 2, BAR_HEIGHT),
                facecolors=PLACE_COLOURS[state],
                zorder=2,
            )
    handles += [Patch(color=PLACE_COLOURS[s], label=place(s, lang)) for s in State if s in drawn]

    if markers is not None and len(markers):
        shown = markers[markers["person"].isin(row)]
        for kind, group in shown.groupby("kind", sort=False):
            marker, face, size = MARKER_STYLES.get(str(kind), (".", "black", 30.0))
            # An unfilled marker ("x") takes its colour from the face; others get a black edge.
            edge = {} if marker in ("x", "+", "|", "_") else {"edgecolors": "black"}
            handles.append(
                ax.scatter(
                    group["day"].to_numpy(dtype=float) / DAYS_PER_YEAR,
                    group["person"].map(row).to_numpy(dtype=float),
                    marker=marker,
                    s=size,
                    c=face,
                    linewidths=1.2,
                    zorder=3,
                    label=word(str(kind), lang),
                    **edge,
                )
            )

    ax.set_yticks(range(len(people)), [f"{word('person', lang)} {p}" for p in people])
    ax.set_ylim(max(len(people), 1) - 0.5, -0.5)  # the first person on top
    ax.set_xlim(0, max(latest, warmup_days) / DAYS_PER_YEAR if latest > 0 else 1.0)
    ax.set_xlabel(word("year", lang))
    ax.grid(axis="x", color="0.8", linewidth=0.5, zorder=1)
    if legend and handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)


def _require(table: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    """Raise a ValueError naming the columns of ``columns`` that ``table`` lacks."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {', '.join(missing)}; needed: {', '.join(columns)}")


def _state_value(state: State | str) -> str:
    """A place's value (``"temporary"``), given a :class:`State` or its value."""
    return state.value if isinstance(state, State) else State(state).value


def _latest_day(spells: pd.DataFrame, markers: pd.DataFrame | None) -> float:
    """The latest day in the tables (spell ends, starts, markers); 0 if there is none."""
    days = [spells["start_day"].max(), spells["end_day"].max()]
    if markers is not None and len(markers):
        days.append(markers["day"].max())
    finite = [float(d) for d in days if d is not None and not (isinstance(d, float) and math.isnan(d))]
    return max(finite, default=0.0)


# ---------------------------------------------------------------------------------------------
# A run folder's people
# ---------------------------------------------------------------------------------------------

#: Files a run folder must have for ``pathways people``.
RUN_FILES: tuple[str, ...] = ("spells.parquet", "scenario.resolved.toml")
#: Files the replay of a replication needs besides :data:`RUN_FILES`.
REPLAY_FILES: tuple[str, ...] = ("replications.parquet",)
#: The tables a replay adds (``sim.model.records.Records``' names).
EVENT_TABLES: tuple[str, ...] = ("relapses", "offers", "refusals")
#: End reasons that take the person out of the population (the last spell), or end the run.
EXIT_REASONS: tuple[str, ...] = ("stable", "moved_away", "death", "end_of_run")
#: Spell columns of ``spells.parquet`` (besides ``replication``) that a replay must reproduce.
SPELL_COLUMNS: tuple[str, ...] = ("person", "state", "housing_type", "zone", "start", "end", "end_reason")


class PeopleInputError(ValueError):
    """A run folder, replication or person id that cannot be shown.

    Attributes:
        what: The input at fault, as the user gave it (``RUN_DIR /tmp/x``, ``--id 7``).
        problem: What is wrong and what is allowed, in one line.
    """

    def __init__(self, what: str, problem: str) -> None:
        self.what = what
        self.problem = problem
        super().__init__(f"{what}: {problem}")


@dataclass
class RunPeople:
    """One replication of a run folder: its spells and, if the replay worked, its events.

    Attributes:
        folder: The run folder.
        scenario: The scenario's name.
        replication: The replication shown.
        warmup_days: The warm-up (not counted), days.
        total_days: The run's length, days.
        spells: That replication's spells, columns as in ``spells.parquet`` (without
            ``replication``), sorted by person and start.
        events: ``relapses``, ``offers`` and ``refusals`` of the replay (``sim.model.records``'
            columns), or ``None`` if there was no replay.
        no_events_key: Why there are no events (a key of :data:`WORDS`), or ``None``.
    """

    folder: Path
    scenario: str
    replication: int
    warmup_days: float
    total_days: float
    spells: pd.DataFrame
    events: dict[str, pd.DataFrame] | None
    no_events_key: str | None = None

    @property
    def people(self) -> list[int]:
        """Every person id of the replication, in increasing order."""
        return sorted(int(p) for p in self.spells["person"].unique())


def read_run(run_dir: str | Path, replication: int = 0, *, replay: bool = True) -> RunPeople:
    """Read one replication of a run folder and, if possible, replay it for its relapses and offers.

    Args:
        run_dir: A folder written by ``pathways run``.
        replication: The replication to show (0 is the first).
        replay: Replay the replication from its scenario and seed (a few seconds for a
            10-year baseline); ``False`` shows the spells alone.

    Returns:
        The replication's tables.

    Raises:
        PeopleInputError: The folder is not a run folder, or has no such replication.
    """
    from sim import config as scenarios
    from sim.config import ScenarioError

    folder = Path(run_dir)
    what = f"RUN_DIR {run_dir}"
    if not folder.is_dir():
        raise PeopleInputError(what, "is not a folder; give a folder written by 'pathways run'")
    missing = [name for name in RUN_FILES if not (folder / name).is_file()]
    if missing:
        raise PeopleInputError(
            what, f"is not a run folder (no {', '.join(missing)}); give a folder written by 'pathways run'"
        )
    try:
        scenario = scenarios.load(folder / "scenario.resolved.toml")
        spells = pd.read_parquet(folder / "spells.parquet")
    except (ScenarioError, OSError, ValueError) as exc:
        raise PeopleInputError(what, f"cannot be read ({str(exc).splitlines()[0]})") from None
    lacking = [c for c in ("replication", *SPELL_COLUMNS) if c not in spells.columns]
    if lacking:
        raise PeopleInputError(what, f"spells.parquet lacks column(s) {', '.join(lacking)}")
    known = sorted(int(r) for r in spells["replication"].unique())
    if replication not in known:
        raise PeopleInputError(f"--replication {replication}", f"is not in the run; allowed: {_ranges(known)}")
    mine = spells[spells["replication"] == replication].drop(columns="replication").reset_index(drop=True)
    run = RunPeople(
        folder, scenario.name, replication, scenario.run.warmup_days, scenario.total_days, _sorted_spells(mine), None
    )
    if not replay:
        run.no_events_key = "replay_off"
        return run
    return replay_run(run)


def replay_run(run: RunPeople) -> RunPeople:
    """Fill ``run.events`` by replaying its replication from the folder's scenario and seed.

    The replay is used only if its spells equal the stored ones; otherwise (or without a seed)
    ``run.events`` stays ``None`` and ``run.no_events_key`` says why.

    Returns:
        ``run``, changed in place.
    """
    from sim import config as scenarios

    seed = _replication_seed(run.folder, run.replication)
    if seed is None:
        run.no_events_key = "no_replay_files" if not (run.folder / REPLAY_FILES[0]).is_file() else "no_seed"
        return run
    scenario = scenarios.load(run.folder / "scenario.resolved.toml")
    run.events, run.no_events_key = _replay(scenario, seed, run.spells)
    return run


def _sorted_spells(spells: pd.DataFrame) -> pd.DataFrame:
    """Spells by person, then start, then end (the stored order is the order they ended in)."""
    return spells.sort_values(["person", "start", "end"], kind="stable").reset_index(drop=True)


def _replication_seed(folder: Path, replication: int) -> int | None:
    """The seed of ``replication`` from ``replications.parquet``, or ``None`` if it is not there."""
    path = folder / REPLAY_FILES[0]
    if not path.is_file():
        return None
    try:
        table = pd.read_parquet(path, columns=["replication", "seed"])
    except (OSError, ValueError, KeyError):
        return None
    row = table[table["replication"] == replication]
    return int(row["seed"].iloc[0]) if len(row) else None


def _replay(scenario: Any, seed: int, stored: pd.DataFrame) -> tuple[dict[str, pd.DataFrame] | None, str | None]:
    """Run the replication again; its event tables if its spells equal ``stored``, else why not."""
    from sim.model import HousingModel

    model = HousingModel(scenario, seed=seed)
    model.run()
    again = _sorted_spells(model.records.frame("spells"))
    same = len(again) == len(stored) and all(
        again[c].reset_index(drop=True).equals(stored[c].reset_index(drop=True).astype(again[c].dtype))
        for c in SPELL_COLUMNS
    )
    if not same:
        return None, "replay_differs"
    return {name: model.records.frame(name) for name in EVENT_TABLES}, None


def _ranges(values: Sequence[int]) -> str:
    """Sorted integers as short ranges: ``0-3, 7, 9-12``."""
    parts: list[str] = []
    start = prev = None
    for v in values:
        if start is None:
            start = prev = v
        elif v == prev + 1:
            prev = v
        else:
            parts.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = v
    if start is not None:
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ", ".join(parts)


def place_changes(run: RunPeople) -> pd.DataFrame:
    """How varied each person's pathway was in the counted years (after the warm-up).

    Returns:
        One row per person with a spell in the counted years: ``person``, ``places`` (different
        places they were in then) and ``changes`` (moves to a different place then), sorted
        with the most varied first (most places, then most changes, then lowest id).
    """
    s = run.spells
    counted = s[s["end"] > run.warmup_days]
    if counted.empty:
        return pd.DataFrame({"person": [], "places": [], "changes": []}, dtype="int64")
    previous = s.groupby("person")["state"].shift()
    moved = (s["start"] >= run.warmup_days) & previous.notna() & (previous != s["state"])
    table = (
        pd.DataFrame(
            {
                "places": counted.groupby("person")["state"].nunique(),
                "changes": moved[s["end"] > run.warmup_days].groupby(counted["person"]).sum(),
            }
        )
        .fillna(0)
        .astype("int64")
        .reset_index()
    )
    return table.sort_values(["places", "changes", "person"], ascending=[False, False, True], kind="stable")


def choose_people(run: RunPeople, n: int = 6, ids: Sequence[int] | None = None) -> list[int]:
    """The people to show: ``ids`` as given, else the ``n`` with the most varied counted years.

    Args:
        run: The replication.
        n: How many to choose when ``ids`` is not given (at least 1).
        ids: Person ids to show, in this order (duplicates dropped).

    Returns:
        Person ids.

    Raises:
        PeopleInputError: ``n`` < 1, or an id that is not in the replication.
    """
    if ids:
        known = set(run.people)
        for person in ids:
            if person not in known:
                raise PeopleInputError(
                    f"--id {person}",
                    f"is not a person of replication {run.replication}; allowed: {_ranges(run.people)}",
                )
        return list(dict.fromkeys(int(p) for p in ids))
    if n < 1:
        raise PeopleInputError(f"--n {n}", "must be at least 1")
    return [int(p) for p in place_changes(run)["person"].head(n)]


def timeline_tables(run: RunPeople, people: Sequence[int]) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The tables :func:`draw_timelines` takes, for ``people`` of ``run`` (in that order).

    Returns:
        ``spells`` (``person``, ``state``, ``start_day``, ``end_day``) and ``markers``
        (``person``, ``day``, ``kind``; ``None`` without a replay).
    """
    order = {p: i for i, p in enumerate(people)}
    s = run.spells[run.spells["person"].isin(order)]
    s = s.assign(_row=s["person"].map(order)).sort_values(["_row", "start"], kind="stable")
    spells = s.rename(columns={"start": "start_day", "end": "end_day"})[["person", "state", "start_day", "end_day"]]
    if run.events is None:
        return spells.reset_index(drop=True), None
    relapses = run.events["relapses"]
    offers = run.events["offers"]
    relapses = relapses[relapses["person"].isin(order)]
    offers = offers[offers["person"].isin(order)]
    markers = pd.concat(
        [
            pd.DataFrame({"person": relapses["person"], "day": relapses["day"], "kind": "relapse"}),
            pd.DataFrame(
                {
                    "person": offers["person"],
                    "day": offers["day"],
                    "kind": ["offer_accepted" if a else "offer_declined" for a in offers["accepted"]],
                }
            ),
        ],
        ignore_index=True,
    )
    return spells.reset_index(drop=True), markers.sort_values(["person", "day"], kind="stable").reset_index(drop=True)


def _place_name(state: str, lang: str) -> str:
    """A place's name from its State value."""
    return place(State(state), lang)


def _unit_name(housing_type: str, zone: str, lang: str) -> str:
    """``municipal housing (ordinary flat, sentrum)``: the place, the unit type and its zone."""
    return f"{place(State.HOUSED, lang)} ({unit_type(housing_type, lang)}, {zone})"


def _housed_name(spell: pd.Series, lang: str) -> str:
    """The place of a spell, with the unit type and zone of a municipal unit."""
    if spell["state"] == State.HOUSED.value and spell["housing_type"]:
        return _unit_name(spell["housing_type"], spell["zone"], lang)
    return _place_name(spell["state"], lang)


def _year(day: float, lang: str) -> str:
    """``year 3.2`` (``år 3,2``), the number padded so that lines line up."""
    return f"{word('year', lang)} {fmt(day / DAYS_PER_YEAR, 1, lang):>4}"


def _change_line(before: pd.Series, after: pd.Series, refusal: str | None, lang: str) -> str:
    """What happened when the spell ``before`` ended and ``after`` began."""
    reason = str(before["end_reason"])
    src, dst = _housed_name(before, lang), _housed_name(after, lang)
    homeless = after["state"] in (State.TEMPORARY.value, State.STREET.value)
    if reason == "discharged":
        key = "released" if before["state"] == State.PRISON.value else "discharged"
        text = word(key, lang).format(src=src, dst=dst)
        details = [word("flat_ready", lang)] if after["state"] == State.HOUSED.value else []
        if homeless:
            details.append(word("no_flat", lang))
    elif reason in WORDS and "{dst}" in WORDS[reason]["en"]:
        text, details = word(reason, lang).format(src=src, dst=dst), []
    elif reason == "moved_on":
        text, details = word(reason, lang) + f" -> {dst}", []
    else:
        text, details = word("other_change", lang).format(reason=reason.replace("_", " "), src=src, dst=dst), []
    if refusal is not None and homeless:
        details.append(word("nav_unsuitable" if refusal == "unsuitable" else "nav_full", lang))
    return text + (f" ({'; '.join(details)})" if details else "")


def _exit_line(last: pd.Series, lang: str) -> str:
    """What ended the last spell: an exit from the population, or the end of the run."""
    reason = str(last["end_reason"])
    src = _housed_name(last, lang)
    if reason in EXIT_REASONS:
        return word(reason, lang).format(src=src)
    return word("other_exit", lang).format(reason=reason.replace("_", " "), src=src)


def person_events(run: RunPeople, person: int, lang: str = "en") -> list[tuple[float, str]]:
    """A person's pathway as (day, what happened), in time order.

    Moves between places come from the spells (why a spell ended and where the next began);
    relapses, offers and NAV's refusals of a temporary place come from the replay, if any.
    """
    lang = check_lang(lang)
    spells = run.spells[run.spells["person"] == person]
    refusals: dict[float, str] = {}
    out: list[tuple[float, int, str]] = []  # (day, order at the same day, text)
    if run.events is not None:
        r = run.events["refusals"]
        refusals = dict(zip(r.loc[r["person"] == person, "day"], r.loc[r["person"] == person, "reason"], strict=True))
        rel = run.events["relapses"]
        for day, state in zip(
            rel.loc[rel["person"] == person, "day"], rel.loc[rel["person"] == person, "state"], strict=True
        ):
            out.append((float(day), 0, word("relapse_in", lang).format(place=_place_name(state, lang))))
        off = run.events["offers"]
        for row in off[off["person"] == person].itertuples(index=False):
            answer = word(
                row.consequence if row.consequence in WORDS else ("accepted" if row.accepted else "declined"), lang
            )
            text = word("offer", lang).format(unit=_unit_name(row.housing_type, row.zone, lang), answer=answer)
            out.append((float(row.day), 1, text))
    rows = [row for _, row in spells.iterrows()]
    if rows:
        first = float(rows[0]["start"])
        key = "starts" if first == 0.0 else "arrives"
        out.append((first, -1, word(key, lang).format(dst=_housed_name(rows[0], lang))))
    for before, after in pairwise(rows):
        day = float(before["end"])
        out.append((day, 2, _change_line(before, after, refusals.get(day), lang)))
    if rows:
        out.append((float(rows[-1]["end"]), 3, _exit_line(rows[-1], lang)))
    out.sort(key=lambda item: (item[0], item[1]))
    return [(day, text) for day, _, text in out]


def people_text(run: RunPeople, people: Sequence[int], lang: str = "en") -> list[str]:
    """The pathways of ``people`` in words: a header, then one block per person.

    Each block opens with the person's counts (changes of place in the counted years, relapses,
    offers) and has one dated line per event, e.g.
    ``year 3.2  discharged from treatment (TSB) -> NAV temporary housing (no flat ready)``.

    Args:
        run: The replication.
        people: Person ids, in the order to show.
        lang: ``"en"`` or ``"nb"``.

    Returns:
        Lines of text (an empty line between blocks).
    """
    lang = check_lang(lang)
    lines = [
        word("header", lang).format(
            scenario=run.scenario,
            r=run.replication,
            warmup=fmt(run.warmup_days / DAYS_PER_YEAR, 1, lang),
            end=fmt(run.total_days / DAYS_PER_YEAR, 1, lang),
        )
    ]
    if run.no_events_key is not None:
        why = word(run.no_events_key, lang).format(r=run.replication, file=", ".join(REPLAY_FILES))
        lines.append(word("no_events", lang).format(why=why))
    changes = place_changes(run).set_index("person")["changes"]
    for person in people:
        relapses = offers = declined = 0
        if run.events is not None:
            rel, off = run.events["relapses"], run.events["offers"]
            relapses = int((rel["person"] == person).sum())
            mine = off[off["person"] == person]
            offers, declined = len(mine), int((~mine["accepted"].astype(bool)).sum())
        lines.append("")
        lines.append(
            word("person_line", lang).format(
                id=person,
                changes=int(changes.get(person, 0)),
                relapses=relapses,
                offers=offers,
                declined=declined,
            )
        )
        lines.extend(f"  {_year(day, lang)}  {text}" for day, text in person_events(run, person, lang))
    return lines


def people_figure(run: RunPeople, people: Sequence[int], lang: str = "en") -> Figure:
    """The timelines of ``people`` (one row each, in that order) on a new Figure."""
    lang = check_lang(lang)
    spells, markers = timeline_tables(run, people)
    fig = Figure(figsize=(11, 1.2 + 0.45 * max(len(people), 1)))
    ax = fig.subplots()
    draw_timelines(ax, spells, markers, lang, warmup_days=run.warmup_days)
    ax.set_xlim(0, run.total_days / DAYS_PER_YEAR)
    ax.set_title(word("title", lang).format(scenario=run.scenario, n=len(people), r=run.replication), fontsize="medium")
    fig.tight_layout()
    return fig


def save_figure(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Write ``fig`` to ``path`` whole or not at all; the format follows the suffix (``.png``)."""
    from sim.files import atomic_write

    path = Path(path)
    atomic_write(path, lambda fh: fig.savefig(fh, format=path.suffix.lstrip(".").lower(), dpi=dpi))
    return path.resolve()
