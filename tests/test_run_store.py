"""The run store that sweeps, ensemble comparisons and the calibration search share: interrupted, resumed, same results.

One test, parametrised over the three owners (:mod:`sim.experiments.run_store`): a batch of runs is
stopped after a few saved runs (``KeyboardInterrupt`` from the callback that sees each saved run,
in this process); the files in ``runs/`` are exactly those runs; without ``resume`` the folder is
refused and left alone; ``resume=True`` runs only the rest; the results equal those of an
uninterrupted batch kept in memory. The search is stopped in each of its stages (the first round,
a later round, whose points depend on the first, and the confirmation). The command-line side
(Ctrl-C to a real process, the printed command) is in ``tests/test_calibration_resume.py``,
``tests/test_sweep.py``, ``tests/test_ensemble.py`` and ``tests/test_cluster.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sim import config as sc
from sim.config import ScenarioError
from sim.experiments import calibration_search as cs
from sim.experiments.comparison import prepare
from sim.experiments.ensemble import build_ensemble, run_ensemble
from sim.experiments.run_store import RUNS_DIR, finished_runs
from sim.experiments.sweep_file import load_sweep
from sim.experiments.sweeps import run_sweep
from sim.reports.ensemble_report import ensemble_csv
from tests.test_ensemble import FEW, short, toy_accepted
from tests.test_sweep import tiny_spec

pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")

#: The tiny search: 2 points x 2 rounds x 1 replication, then (every point a candidate) 2 candidates x 2.
SEARCH = {"samples": 2, "replications": 1, "rounds": 2, "confirm": 2, "confirm_replications": 2}
SEARCH_RUNS = 2 * 2 * 1 + 2 * 2


@contextmanager
def every_point_a_candidate() -> Iterator[None]:
    """Every screened point meets every band, so the tiny search's confirmation stage runs too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cs, "all_met", lambda means: True)
        yield


def search_base() -> sc.Scenario:
    """The baseline shortened to 2.1 years after a half-year warm-up."""
    return sc.load("baseline", overrides={"run": {"years": 2.1, "warmup_days": 180.0}})


@dataclass
class Batch:
    """A batch of runs that saves into a run store.

    Attributes:
        run: ``run(out, resume, each)``: run the batch into ``out`` (``None``: in memory), calling
            ``each`` once per saved run; returns the result.
        n_runs: Runs of the whole batch.
        refused: What the refusal of the folder without ``resume`` says.
        same: Asserts that two results are the same.
    """

    run: Callable[[Path | None, bool, Callable[..., None] | None], Any]
    n_runs: int
    refused: str
    same: Callable[[Any, Any], None]
    _reference: list[Any] = field(default_factory=list)

    @property
    def reference(self) -> Any:
        """The uninterrupted batch, in memory (run once)."""
        if not self._reference:
            self._reference.append(self.run(None, False, None))
        return self._reference[0]


def sweep_batch(tmp_path: Path) -> Batch:
    sweep = load_sweep(tiny_spec())

    def same(a: Any, b: Any) -> None:
        pd.testing.assert_frame_equal(a.runs, b.runs)
        pd.testing.assert_frame_equal(a.by_point, b.by_point)

    return Batch(
        lambda out, resume, each: run_sweep(sweep, out, workers=1, resume=resume, on_run=each),
        sweep.n_runs, "already holds sweep", same,
    )  # fmt: skip


def ensemble_batch(tmp_path: Path) -> Batch:
    accepted = toy_accepted(tmp_path / "accepted.parquet")
    prepared = prepare([short("baseline"), short("housing_ready")], seed=5, replications=2)
    ensemble = build_ensemble(prepared, accepted, n_points=2, metrics=FEW)

    def same(a: Any, b: Any) -> None:
        pd.testing.assert_frame_equal(a.runs, b.runs)
        assert ensemble_csv(a, tmp_path / "a.csv").read_bytes() == ensemble_csv(b, tmp_path / "b.csv").read_bytes()

    return Batch(
        lambda out, resume, each: run_ensemble(ensemble, out, workers=1, resume=resume, on_run=each),
        ensemble.n_runs, "unfinished ensemble", same,
    )  # fmt: skip


def search_batch(tmp_path: Path) -> Batch:
    base = search_base()

    def run(out: Path | None, resume: bool, each: Callable[..., None] | None) -> cs.SearchResult:
        with every_point_a_candidate():
            return cs.search(base, **SEARCH, workers=1, out=out, resume=resume, progress=each)

    def same(a: cs.SearchResult, b: cs.SearchResult) -> None:
        pd.testing.assert_frame_equal(a.table, b.table)
        pd.testing.assert_frame_equal(a.confirmed, b.confirmed)
        assert a.frames.keys() == b.frames.keys() and a.chosen == b.chosen and a.closest == b.closest
        for key in a.frames:
            pd.testing.assert_frame_equal(a.frames[key], b.frames[key])
        pd.testing.assert_frame_equal(cs.accepted_frame(a), cs.accepted_frame(b))

    return Batch(run, SEARCH_RUNS, "unfinished calibration search", same)


BATCHES = {"sweep": sweep_batch, "ensemble": ensemble_batch, "search": search_batch}


@pytest.fixture(scope="module")
def batches(tmp_path_factory) -> dict[str, Batch]:
    """Each kind's batch, built once (so its uninterrupted reference runs once)."""
    return {kind: build(tmp_path_factory.mktemp(kind)) for kind, build in BATCHES.items()}


def stop_after(n: int) -> tuple[Callable[..., None], list[int]]:
    """A callback that raises ``KeyboardInterrupt`` on its ``n``-th call, and the list counting its calls."""
    calls: list[int] = []

    def each(*_: Any) -> None:
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt

    return each, calls


@pytest.mark.parametrize(
    ("kind", "stop"),
    [("sweep", 3), ("ensemble", 3), ("search", 1), ("search", 3), ("search", 6)],
    ids=["sweep", "ensemble", "search-first-round", "search-later-round", "search-confirmation"],
)
def test_an_interrupted_batch_resumes_to_the_results_of_an_uninterrupted_one(batches, kind, stop, tmp_path):
    """Stopped after ``stop`` saved runs: those files stay; without resume the folder is refused and untouched;
    resume runs only the rest; the results equal an uninterrupted batch's."""
    batch = batches[kind]
    out = tmp_path / "out"
    each, _ = stop_after(stop)
    with pytest.raises(KeyboardInterrupt):
        batch.run(out, False, each)
    saved = finished_runs(out)
    assert len(saved) == stop and not any(p.name.startswith(".") for p in (out / RUNS_DIR).iterdir())
    before = {p.name: p.stat().st_mtime_ns for p in (out / RUNS_DIR).iterdir()}
    with pytest.raises(ScenarioError, match=batch.refused):
        batch.run(out, False, None)
    assert {p.name: p.stat().st_mtime_ns for p in (out / RUNS_DIR).iterdir()} == before, "nothing touched"
    again: list[int] = []
    resumed = batch.run(out, True, lambda *_: again.append(1))
    assert len(again) == batch.n_runs - stop and len(finished_runs(out)) == batch.n_runs
    batch.same(resumed, batch.reference)


def test_the_search_folder_rules(tmp_path):
    """A changed search cannot resume an unfinished one; --overwrite discards it; a finished search is
    earlier output (replaced without --resume); --resume with --overwrite is refused."""
    base = search_base()
    plan = cs.SearchPlan(base, samples=2, replications=1, confirm_replications=2)
    out = tmp_path / "search"
    each, _ = stop_after(1)
    with pytest.raises(KeyboardInterrupt):
        cs.run_search(plan, out, workers=1, progress=each)
    other = cs.SearchPlan(base, samples=2, replications=1, confirm_replications=2, seed=cs.SEARCH_SEED + 1)
    assert "different calibration search (1 of at most" in cs.check_search_dir(out, other, resume=True)
    assert "choose one" in cs.check_search_dir(out, plan, resume=True, overwrite=True)
    assert cs.check_search_dir(out, other, overwrite=True) is None
    assert "1 of at most 12 search runs are saved" in cs.search_progress(out)  # 2 screening + 5 x 2 confirmations
    cs.run_search(plan, out, workers=1, resume=True)
    assert cs.check_search_dir(out, other) is None, "a finished search is replaced"
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("keep me")
    for flags in ({}, {"overwrite": True}, {"resume": True}):
        assert "other files" in cs.check_search_dir(tmp_path / "notes", plan, **flags)
