"""``pathways people``: the timelines of a few people of a run, as a figure and in words.

Every expectation is read from the run's own tables (``spells.parquet``, or a fresh replay of
the replication for relapses and offers), never typed in, so the tests check that the text
tells what the model did.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from typer.testing import CliRunner

from sim import config as sc
from sim.cli import app
from sim.config import DAYS_PER_YEAR
from sim.model import HousingModel
from sim.model.states import State
from sim.reports.language import fmt, place
from sim.reports.people import draw_timelines
from sim.reports.style import PLACE_COLOURS
from tests.conftest import cli

runner = CliRunner()
WARMUP_DAYS = 365.0
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PERSON_LINE = re.compile(r"^person (\d+):")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small run folder (baseline, 3 years, one replication), written by ``pathways run``."""
    out = tmp_path_factory.mktemp("people") / "run"
    result = runner.invoke(
        app,
        ["run", "baseline", "--years", "3", "--replications", "1", "--workers", "1", "--no-figures",
         "--set", f"run.warmup_days={WARMUP_DAYS}", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def english(run_dir: Path) -> str:
    """The output of ``pathways people RUN_DIR --n 3`` (figure into the run folder)."""
    result = runner.invoke(app, ["people", str(run_dir), "--n", "3"])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def replayed(run_dir: Path) -> HousingModel:
    """Replication 0 of the run, run again here from its scenario and seed: its relapses and offers."""
    scenario = sc.load(run_dir / "scenario.resolved.toml")
    seed = int(pd.read_parquet(run_dir / "replications.parquet").set_index("replication").loc[0, "seed"])
    model = HousingModel(scenario, seed=seed)
    model.run()
    return model


def spells_of(run_dir: Path) -> pd.DataFrame:
    """Replication 0's spells, by person and start."""
    spells = pd.read_parquet(run_dir / "spells.parquet")
    return spells[spells["replication"] == 0].sort_values(["person", "start", "end"], kind="stable")


def blocks(text: str) -> dict[int, list[str]]:
    """The text's blocks by person id: the lines under each ``person N:`` line."""
    out: dict[int, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        match = PERSON_LINE.match(line)
        if match:
            current = out.setdefault(int(match.group(1)), [])
        elif current is not None and line.startswith("  "):
            current.append(line.strip())
    return out


def year(day: float, lang: str = "en") -> str:
    """How the text dates a day: ``year 2.3`` / ``år 2,3`` (the number right-aligned in 4)."""
    label = "year" if lang == "en" else "år"
    return f"{label} {fmt(day / DAYS_PER_YEAR, 1, lang):>4}"


def test_text_names_every_change_of_place_in_the_tables(run_dir, english):
    """Each change of place of each person shown is a dated line ``<old place> -> <new place>``,
    with as many such lines as the spells have changes; the last spell's end is named."""
    shown = blocks(english)
    assert len(shown) == 3
    spells = spells_of(run_dir)
    for person, lines in shown.items():
        mine = spells[spells["person"] == person]
        assert len(mine) >= 2, f"person {person} shown but has no change of place"
        moves = [line for line in lines if " -> " in line]
        assert len(moves) == len(mine) - 1, (person, moves)
        for (_, before), (_, after) in zip(mine.iloc[:-1].iterrows(), mine.iloc[1:].iterrows(), strict=True):
            src, dst = place(State(before["state"])), place(State(after["state"]))
            dated = [line for line in moves if line.startswith(year(before["end"]))]
            assert any(src in line.split(" -> ")[0] or before["end_reason"] == "discharged" for line in dated), (
                person, before.to_dict(), dated,
            )  # fmt: skip
            assert any(line.split(" -> ")[1].startswith(dst) for line in dated), (person, after.to_dict(), dated)
            if before["end_reason"] == "discharged" and after["state"] in ("temporary", "street"):
                assert any("(no flat ready" in line for line in dated)
        last = mine.iloc[-1]
        assert lines[-1].startswith(year(last["end"]))
        assert place(State(last["state"])) in lines[-1]


def test_relapses_and_offers_come_from_a_replay_of_the_replication(english, replayed):
    """The relapse and offer lines of each person match a fresh replay of the replication."""
    relapses = replayed.records.frame("relapses")
    offers = replayed.records.frame("offers")
    assert len(relapses) and len(offers)
    for person, lines in blocks(english).items():
        mine = relapses[relapses["person"] == person]
        text = [line for line in lines if "relapse (in " in line]
        assert len(text) == len(mine)
        assert sorted(line[: len(year(0.0))] for line in text) == sorted(year(d) for d in mine["day"])
        theirs = offers[offers["person"] == person]
        said = [line for line in lines if line[len(year(0.0)) :].strip().startswith("offered ")]
        assert len(said) == len(theirs)
        assert sum(line.endswith(": accepted") for line in said) == int(theirs["accepted"].sum())


def test_default_people_have_the_most_varied_counted_years(run_dir, english):
    """Without --id, the people shown are those with the most places in the counted years, then
    the most changes of place, then the lowest id; and the choice is the same every time."""
    spells = spells_of(run_dir)
    counted = spells[spells["end"] > WARMUP_DAYS]
    places = counted.groupby("person")["state"].nunique()
    previous = spells.groupby("person")["state"].shift()
    moved = (spells["start"] >= WARMUP_DAYS) & previous.notna() & (previous != spells["state"])
    changes = moved.groupby(spells["person"]).sum().reindex(places.index)
    ranking = sorted(places.index, key=lambda p: (-places[p], -changes[p], p))
    assert list(blocks(english)) == ranking[:3]
    again = runner.invoke(app, ["people", str(run_dir), "--n", "3", "--out", str(run_dir / "again.png")])
    assert again.stdout.replace("again.png", "people.png") == english


def test_the_figure_is_written_to_the_run_folder_or_out(run_dir, english, tmp_path):
    """The figure goes to RUN_DIR/people.png by default, to --out when given."""
    assert (run_dir / "people.png").read_bytes()[:8] == PNG_MAGIC
    assert str((run_dir / "people.png").resolve()) in english
    out = tmp_path / "few.png"
    result = runner.invoke(app, ["people", str(run_dir), "--n", "1", "--no-replay", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == PNG_MAGIC
    assert "relapses and offers not shown" in result.stdout


def test_id_picks_that_person(run_dir, english, tmp_path):
    """--id shows exactly the people asked for, in that order, even ones the default leaves out."""
    spells = spells_of(run_dir)
    default = set(blocks(english))
    others = [int(p) for p in spells["person"].unique() if int(p) not in default]
    wanted = [others[-1], others[0]]
    args = ["people", str(run_dir), "--out", str(tmp_path / "ids.png")]
    for person in wanted:
        args += ["--id", str(person)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert list(blocks(result.stdout)) == wanted
    first = spells[spells["person"] == wanted[0]].iloc[0]
    assert place(State(first["state"])) in blocks(result.stdout)[wanted[0]][0]


def test_norwegian_text_and_labels(run_dir, tmp_path):
    """--lang nb writes Norwegian words, place names and decimal commas."""
    out = tmp_path / "nb.png"
    result = runner.invoke(app, ["people", str(run_dir), "--n", "2", "--lang", "nb", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "replikasjon 0" in text and "innsvingning" in text and "stedsskifter" in text
    assert re.search(r"^  år +\d+,\d  ", text, flags=re.MULTILINE)
    assert "year " not in text and "relapse (in" not in text and "discharged from" not in text
    spells = spells_of(run_dir)
    for person in blocks(text):
        for state in spells.loc[spells["person"] == person, "state"].unique():
            assert place(State(state), "nb") in text
    assert "Figuren er skrevet til" in text
    assert out.read_bytes()[:8] == PNG_MAGIC


def test_a_replay_that_does_not_match_is_not_used(run_dir, tmp_path):
    """If the stored spells differ from the replay's (the model changed since the run), the text
    says relapses and offers are not shown and shows none."""
    copy = tmp_path / "changed"
    shutil.copytree(run_dir, copy)
    spells = pd.read_parquet(copy / "spells.parquet")
    spells.loc[spells.index[-1], "end"] += 0.5
    spells.to_parquet(copy / "spells.parquet", index=False)
    result = runner.invoke(app, ["people", str(copy), "--n", "3"])
    assert result.exit_code == 0, result.output
    assert "did not give the stored spells" in result.stdout
    assert "relapse (in " not in result.stdout and "offered " not in result.stdout


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--id", "999999"], ["--id 999999", "allowed:"]),
        (["--n", "0"], ["--n 0", "at least 1"]),
        (["--lang", "de"], ["--lang de", "allowed: en, nb"]),
        (["--replication", "7"], ["--replication 7", "allowed: 0"]),
        (["--out", "figure.txt"], ["figure.txt", "allowed: .png, .pdf, .svg"]),
    ],
)
def test_bad_options_exit_2_with_one_message_and_write_nothing(run_dir, tmp_path, args, names):
    """A bad option: exit code 2, a message naming the value and what is allowed, no figure."""
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    (copy / "people.png").unlink(missing_ok=True)
    before = sorted(p.name for p in copy.iterdir())
    result = runner.invoke(app, ["people", str(copy), *args])
    assert result.exit_code == 2, result.output
    for name in names:
        assert name in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert sorted(p.name for p in copy.iterdir()) == before


def test_a_folder_that_is_not_a_run_is_refused(tmp_path):
    """Not a run folder, or no folder: exit code 2, the folder named, no traceback, nothing
    written (the second case in a fresh process: the honest check of the exit code and stderr)."""
    (tmp_path / "notes.txt").write_text("not a run", encoding="utf-8")
    result = runner.invoke(app, ["people", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert f"RUN_DIR {tmp_path}" in result.stderr and "is not a run folder (no spells.parquet" in result.stderr
    fresh = cli("people", str(tmp_path / "nope"))
    assert fresh.returncode == 2, fresh.stderr
    assert f"RUN_DIR {tmp_path / 'nope'}" in fresh.stderr and "is not a folder" in fresh.stderr
    assert "Traceback" not in fresh.stderr and fresh.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_draw_timelines_draws_a_bar_per_spell_and_the_markers():
    """draw_timelines: one row per person (first on top), a bar per spell in the place's colour,
    a still-open spell drawn to the latest day, one point per marker, labels in the language."""
    spells = pd.DataFrame({
        "person": [7, 7, 7, 3],
        "state": ["temporary", "treatment", "housed", State.STREET],
        "start_day": [0.0, 100.0, 200.0, 50.0],
        "end_day": [100.0, 200.0, np.nan, 400.0],
    })  # fmt: skip
    markers = pd.DataFrame({
        "person": [7, 3, 3, 99], "day": [150.0, 60.0, 300.0, 10.0],
        "kind": ["relapse", "offer_declined", "offer_accepted", "relapse"],
    })  # fmt: skip
    fig = Figure()
    ax = fig.subplots()
    draw_timelines(ax, spells, markers, lang="nb", warmup_days=73.0)
    bars = [c for c in ax.collections if type(c).__name__ in ("BrokenBarHCollection", "PolyCollection")]
    assert len(bars) == len(spells)
    colours = [tuple(np.round(c.get_facecolor()[0], 3)) for c in bars]
    from matplotlib.colors import to_rgba

    expected = [tuple(np.round(to_rgba(PLACE_COLOURS[State(s)]), 3)) for s in spells["state"]]
    assert sorted(colours) == sorted(expected)
    housed_bar = bars[[State(s) for s in spells["state"]].index(State.HOUSED)]
    x0, width = housed_bar.get_paths()[0].vertices[:, 0].min(), np.ptp(housed_bar.get_paths()[0].vertices[:, 0])
    assert x0 == pytest.approx(200 / DAYS_PER_YEAR) and x0 + width == pytest.approx(400 / DAYS_PER_YEAR)
    points = [c for c in ax.collections if type(c).__name__ == "PathCollection"]
    assert sum(len(c.get_offsets()) for c in points) == 3  # person 99 has no row
    assert [t.get_text() for t in ax.get_yticklabels()] == ["person 7", "person 3"]
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # the first person on top
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert place(State.TEMPORARY, "nb") in legend and "tilbakefall" in legend
    assert ax.get_xlabel() == "år"
    with pytest.raises(ValueError, match="end_day"):
        draw_timelines(ax, spells.drop(columns="end_day"))
