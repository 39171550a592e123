"""``pathways people``: the pathways of a few people of a run, as a figure and in words."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from sim.cli.common import fail
from sim.config import ScenarioError
from sim.reports.language import LANGS, check_lang

#: Figure formats ``--out`` may name (by its suffix).
FIGURE_SUFFIXES: tuple[str, ...] = (".png", ".pdf", ".svg")


def _refuse(what: str, problem: str) -> NoReturn:
    """Exit with code 2: ``what`` (the input as given) and what is wrong with it; nothing written."""
    fail(ScenarioError(what, [problem]))


def people(
    run_dir: Annotated[Path, typer.Argument(help="A folder written by 'pathways run'.", show_default=False)],
    n: Annotated[int, typer.Option("--n", help="How many people to show (the most varied counted years).")] = 6,
    ids: Annotated[
        list[int] | None, typer.Option("--id", help="Show this person (repeatable); overrides --n.", show_default=False)
    ] = None,
    replication: Annotated[int, typer.Option(help="The replication the people are taken from.")] = 0,
    out: Annotated[
        Path | None, typer.Option(help="Figure file (.png, .pdf or .svg; default: RUN_DIR/people.png).")
    ] = None,
    lang: Annotated[str, typer.Option(help=f"Language of the text and figure: {', '.join(LANGS)}.")] = "en",
    no_replay: Annotated[
        bool, typer.Option("--no-replay", help="Do not replay the replication: no relapses or offers, but faster.")
    ] = False,
) -> None:
    """Draw the timelines of a few people of a run and print their pathways in words.

    Places over time (treatment, prison, NAV temporary housing, street or sofa, municipal and
    private housing), relapses, offers of housing and why each spell ended. The relapses and
    offers come from replaying the replication from the folder's scenario and seed (checked
    against the stored spells).
    """
    from sim.reports.people import (
        PeopleInputError,
        choose_people,
        people_figure,
        people_text,
        read_run,
        replay_run,
        save_figure,
        word,
    )

    try:
        lang = check_lang(lang)
    except ValueError as exc:
        _refuse(f"--lang {lang}", str(exc))
    if not ids and n < 1:
        _refuse(f"--n {n}", "must be at least 1")
    target = out if out is not None else run_dir / "people.png"
    if target.suffix.lower() not in FIGURE_SUFFIXES:
        _refuse(f"--out {target}", f"has suffix {target.suffix or '(none)'!r}; allowed: {', '.join(FIGURE_SUFFIXES)}")
    if target.is_dir():
        _refuse(f"--out {target}", "is a folder; give a file name such as people.png")
    if out is not None and not target.parent.is_dir():
        _refuse(f"--out {target}", f"its folder {target.parent} does not exist")
    try:
        run = read_run(run_dir, replication, replay=False)
        chosen = choose_people(run, n, ids)
    except PeopleInputError as exc:
        _refuse(exc.what, exc.problem)
    if not no_replay:
        replay_run(run)  # after every check: a replay takes seconds
    lines = people_text(run, chosen, lang)
    written = save_figure(people_figure(run, chosen, lang), target)
    for line in lines:
        typer.echo(line)
    typer.echo("")
    typer.echo(word("written", lang).format(path=written))
