"""The calibration search: Latin hypercubes over the baseline's uncertain parameters.

* :data:`SEARCH_SPACE`: the uncertain ("assumption") parameters of ``scenarios/baseline.toml``
  that the search varies, and their ranges;
* :func:`search`: rounds of Latin hypercubes with a fixed seed, each later round zoomed in on the
  best point so far; the points where every pattern (``sim.experiments.calibration.PATTERNS``)
  falls in its band are confirmed with more replications and one is chosen by
  :func:`choose_point`'s rule.

A search given a folder (``out``; ``pathways calibrate --search`` uses ``--search-dir``,
default ``results/calibration/search``) saves every replication the moment it finishes, in a
run store (:mod:`sim.experiments.run_store`)::

    manifest.json              what the search is (:class:`SearchPlan`) and its fingerprint
    runs/run-0000042.parquet   one row per finished replication: ``run``, ``stage``
                               (``screening`` or ``confirmation``), ``round``, ``point`` (its row
                               in the search table), ``replication``, ``seed`` and each pattern's value

Replication ``r`` of the ``i``-th point of round ``k`` is run ``(k * samples + i) *
replications + r``; replication ``r`` of the ``c``-th confirmed candidate is run
``rounds * samples * replications + c * confirm_replications + r``. A later round's points
and the candidates depend only on the rows of the runs before them, so ``resume=True`` runs
only the missing replications, round by round, and the search's tables are computed from the
same rows whatever the executor, the number of workers or how often the search was interrupted.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.stats import qmc

from sim import config as scenarios
from sim.config import Scenario, ScenarioError
from sim.experiments.calibration import (
    IMPLAUSIBILITY_CUTOFF,
    PATTERNS,
    PatternResult,
    all_met,
    check_patterns,
    pattern_means,
    worst_margin,
)
from sim.experiments.defaults import CHECK_REPLICATIONS, CONFIRM_CANDIDATES, SEARCH_SEED
from sim.experiments.replications import measure_replication, replication_seeds
from sim.experiments.run_store import RunStore, check_store_dir, finished_runs, read_manifest, run_missing

SEARCH_FORMAT = 1  # the layout of a search's folder
SCREENING, CONFIRMATION = "screening", "confirmation"
ID_COLUMNS = ("run", "stage", "round", "point", "replication", "seed")


@dataclass(frozen=True)
class SearchParameter:
    """An uncertain parameter the search varies, uniformly between ``low`` and ``high``.

    Values are rounded to ``digits`` significant digits (integers for ``integer``), so a proposed
    point can be written into ``baseline.toml`` exactly as it was evaluated.

    Attributes:
        key: The dotted key in the scenario (``"treatment.beds"``).
        low: Lower end of the range.
        high: Upper end of the range.
        integer: Whether the values are whole numbers.
        digits: Significant digits of a value that is not an integer.
    """

    key: str
    low: float
    high: float
    integer: bool = False
    digits: int = 2

    def value(self, u: float) -> float | int:
        """The parameter's value at ``u`` in [0, 1)."""
        x = self.low + u * (self.high - self.low)
        if self.integer:
            return int(min(self.high, max(self.low, math.floor(x + 0.5))))
        return float(f"{x:.{self.digits}g}")


SEARCH_SPACE: tuple[SearchParameter, ...] = (
    SearchParameter("inflow.nav_homeless_per_year", 25.0, 60.0),
    SearchParameter("temporary.leave_rate_per_day", 0.001, 0.006),
    SearchParameter("exits.own_housing_rate_per_year_homeless", 1.0, 4.0),
    SearchParameter("exits.own_housing_competence_midpoint", 0.15, 0.45),
    SearchParameter("choice.decline_prob_other_zone", 0.2, 0.6),
    SearchParameter("choice.decline_odds_ratio_in_temporary", 1.0, 4.0),
    SearchParameter("treatment.referral_rate_per_day_using", 0.015, 0.040),
    SearchParameter("treatment.beds", 24, 40, integer=True),
    SearchParameter("relapse.remission_rate_per_day", 0.002, 0.008),
    SearchParameter("temporary.street_to_nav_rate_per_day", 0.005, 0.06),
    SearchParameter("discharge.treatment_to_temporary_prob", 0.3, 0.9),
)


def plain(value: Any) -> Any:
    """numpy scalars as plain Python numbers (for TOML, JSON and printing); other values as they are."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def get_value(scenario: Scenario, key: str) -> Any:
    """The value of a dotted key (``"treatment.beds"``) in a scenario."""
    node: Any = scenario.to_dict()
    for part in key.split("."):
        node = node[part]
    return node


def searched_values(scenario: Scenario) -> dict[str, Any]:
    """The values of the searched parameters (:data:`SEARCH_SPACE`) in a scenario, by key."""
    return {p.key: plain(get_value(scenario, p.key)) for p in SEARCH_SPACE}


def apply_point(base: Scenario, point: Mapping[str, Any]) -> Scenario:
    """``base`` with a point's parameter values (dotted keys)."""
    return scenarios.with_overrides(base, scenarios.nest(dict(point)))


def latin_hypercube(
    space: Sequence[SearchParameter],
    samples: int,
    seed: int = SEARCH_SEED,
    box: Mapping[str, tuple[float, float]] | None = None,
) -> list[dict[str, Any]]:
    """``samples`` points of a Latin hypercube over ``space`` (``scipy.stats.qmc``, fixed seed).

    Args:
        space: The parameters and their ranges.
        samples: Number of points.
        seed: The hypercube's seed.
        box: Optionally, a smaller range for some parameters, as fractions (lo, hi) of their
            full range (0 = ``low``, 1 = ``high``).

    Returns:
        The points, each a dict of parameter key to value.
    """
    unit = qmc.LatinHypercube(d=len(space), rng=np.random.default_rng(seed)).random(samples)
    points = []
    for row in unit:
        point = {}
        for p, u in zip(space, row, strict=True):
            lo, hi = (box or {}).get(p.key, (0.0, 1.0))
            point[p.key] = p.value(lo + float(u) * (hi - lo))
        points.append(point)
    return points


def zoom_box(
    space: Sequence[SearchParameter], centre: Mapping[str, Any], width: float
) -> dict[str, tuple[float, float]]:
    """A box of ``width`` (a fraction of each full range) around ``centre``, shifted to stay inside
    the full ranges."""
    box = {}
    for p in space:
        u = (float(centre[p.key]) - p.low) / (p.high - p.low)
        lo = min(max(u - width / 2.0, 0.0), 1.0 - width)
        box[p.key] = (lo, lo + width)
    return box


@dataclass
class SearchResult:
    """What a search found.

    Attributes:
        table: One row per screened point: ``round``, the parameter values, each pattern's mean,
            ``all_met`` and ``worst_margin``.
        confirmed: The confirmed candidates: one row per candidate (indexed by its row in
            ``table``), each pattern's mean over the confirmation's replications, ``all_met`` and
            ``worst_margin``.
        frames: The confirmation runs' per-replication values, by row of ``table``.
        chosen: Row of the proposed point (``None`` if no candidate met every band when confirmed).
        closest: Row with the largest screened ``worst_margin`` (reported when nothing is proposed).
        samples: Points per round.
        rounds: Rounds (the first over the full ranges, each later one over a smaller box).
        zoom: A later round's box is ``zoom ** k`` as wide as the full ranges.
        replications: Replications per screened point.
        confirm_replications: Replications of each confirmation.
        seed: The Latin hypercube's seed (round ``k`` uses ``seed + k``).
    """

    table: pd.DataFrame
    confirmed: pd.DataFrame
    frames: dict[int, pd.DataFrame]
    chosen: int | None
    closest: int
    samples: int
    rounds: int
    zoom: float
    replications: int
    confirm_replications: int
    seed: int

    def point(self, row: int) -> dict[str, Any]:
        """The parameter values of a row of :attr:`table`."""
        return _table_point(self.table, row)

    def confirmation(self) -> list[PatternResult] | None:
        """Every pattern against the chosen point's confirmation runs (``None`` if none was chosen)."""
        return None if self.chosen is None else check_patterns(self.frames[self.chosen])


def _table_point(table: pd.DataFrame, row: int) -> dict[str, Any]:
    """The parameter values of a row of a search table."""
    return {p.key: plain(table.loc[row, p.key]) for p in SEARCH_SPACE}


def choose_point(table: pd.DataFrame) -> int | None:
    """Among the rows where every pattern is in its band, the one whose worst pattern is furthest
    inside its band (largest :func:`worst_margin`; ties go to the earlier row). ``None`` if no row
    met every band."""
    ok = table[table["all_met"]]
    if ok.empty:
        return None
    return int(ok["worst_margin"].idxmax())


def accepted_frame(result: SearchResult) -> pd.DataFrame:
    """The accepted set of a search (``scenarios/calibration/accepted.parquet``, read by
    ``sim.experiments.accepted``): every screened point that no pattern rules out.

    Columns: ``point`` (its row in the search table), the searched parameters by dotted key, each
    pattern's mean over the screening replications, ``implausibility`` (the largest over the
    patterns) and ``baseline`` (the chosen point, the one the baseline takes).
    """
    t = result.table[result.table["all_met"]]
    frame = pd.DataFrame({"point": t.index.astype(int)})
    for p in SEARCH_SPACE:
        frame[p.key] = t[p.key].to_numpy()
    for p in PATTERNS:
        frame[p.name] = t[p.name].to_numpy(dtype=float)
    frame["implausibility"] = (IMPLAUSIBILITY_CUTOFF * (1.0 - t["worst_margin"])).to_numpy(dtype=float)
    frame["baseline"] = frame["point"] == (-1 if result.chosen is None else result.chosen)
    return frame


def _score(frame: pd.DataFrame) -> dict[str, Any]:
    """Each pattern's mean over the replications in ``frame``, ``all_met`` and ``worst_margin``."""
    means = pattern_means(frame)
    return {**means, "all_met": all_met(means), "worst_margin": worst_margin(means)}


@dataclass(frozen=True, eq=False)
class SearchPlan:
    """Everything that determines a search's runs (see :func:`search` for what each setting does).

    Attributes:
        base: The baseline scenario.
        samples: Points per round.
        replications: Replications per screened point.
        rounds: Rounds of screening.
        zoom: How much narrower each later round's box is.
        confirm: How many candidates to confirm, at most.
        confirm_replications: Replications of each confirmation.
        seed: The Latin hypercube's seed (round ``k`` uses ``seed + k``).
    """

    base: Scenario
    samples: int
    replications: int
    rounds: int = 1
    zoom: float = 0.5
    confirm: int = CONFIRM_CANDIDATES
    confirm_replications: int = CHECK_REPLICATIONS
    seed: int = SEARCH_SEED

    @property
    def screening_runs(self) -> int:
        """Replications of the screening: rounds x samples x replications."""
        return self.rounds * self.samples * self.replications

    @property
    def max_runs(self) -> int:
        """Replications of the whole search, at most (fewer when fewer points can be confirmed)."""
        return self.screening_runs + self.confirm * self.confirm_replications

    def screening_run(self, k: int, i: int, r: int) -> int:
        """The run index of replication ``r`` of the ``i``-th point of round ``k``."""
        return (k * self.samples + i) * self.replications + r

    def confirmation_run(self, c: int, r: int) -> int:
        """The run index of replication ``r`` of the ``c``-th confirmed candidate."""
        return self.screening_runs + c * self.confirm_replications + r

    def to_manifest(self) -> dict[str, Any]:
        """What the search is, as plain JSON data (``n_runs``: at most :attr:`max_runs`)."""
        return {
            "kind": "calibration search",
            "base": self.base.name,
            "samples": self.samples,
            "replications": self.replications,
            "rounds": self.rounds,
            "zoom": self.zoom,
            "confirm": self.confirm,
            "confirm_replications": self.confirm_replications,
            "seed": self.seed,
            "scenario_seed": self.base.seed,
            "parameters": [asdict(p) for p in SEARCH_SPACE],
            "patterns": [{"name": p.name, "low": p.low, "high": p.high, "accepts": p.accepts} for p in PATTERNS],
            "screening_runs": self.screening_runs,
            "n_runs": self.max_runs,
        }

    @cached_property
    def fingerprint(self) -> str:
        """A hash of everything that determines the runs' rows: the settings, the base scenario,
        the searched ranges and the patterns' bands (which steer the later rounds)."""
        data = {**self.to_manifest(), "scenario_data": self.base.to_dict()}
        text = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_schema() -> pa.Schema:
    """The Arrow schema of a search's run files."""
    fields = [pa.field(name, pa.string() if name == "stage" else pa.int64()) for name in ID_COLUMNS]
    fields += [pa.field(p.name, pa.float64()) for p in PATTERNS]
    return pa.schema(fields)


def check_search_dir(
    folder: Path | str, plan: SearchPlan, *, resume: bool = False, overwrite: bool = False
) -> str | None:
    """Why ``folder`` cannot take this search's runs, or ``None`` if it can.

    A new or empty folder is fine; a file, or a folder with other files and no
    ``manifest.json``, is refused (even with ``overwrite``). A finished search is earlier output:
    it is replaced (kept with ``resume`` if it is this same search). An unfinished one is kept:
    ``resume`` finishes it if it is this same search (same fingerprint), ``overwrite`` discards it.
    """
    if resume and overwrite:
        return "--resume and --overwrite: choose one (continue, or start again)"
    return check_store_dir(
        folder,
        plan.fingerprint,
        resume=resume,
        overwrite=overwrite,
        unfinished="holds an unfinished calibration search ({done} of at most {total} runs done)",
        different=(
            "holds a different calibration search ({done} of at most {total} runs done; its samples, rounds, "
            "replications, seed, baseline, searched ranges or pattern bands differ)"
        ),
        replace_finished=True,
        what="search's runs",
        option="--search-dir",
    )


def search_progress(folder: Path | str, plan: SearchPlan | None = None) -> str:
    """``k of at most n search runs are saved in FOLDER`` (for the message of an interrupted search);
    ``n`` is the folder's, or ``plan``'s before the folder was started."""
    folder = Path(folder).resolve()
    total = (read_manifest(folder) or {}).get("n_runs", plan.max_runs if plan is not None else "?")
    return f"{len(finished_runs(folder))} of at most {total} search runs are saved in {folder}"


def _search_job(run: int, scenario: Scenario, seed: int) -> dict[str, float]:
    """One replication of a search (a task for an executor): each pattern's value."""
    values = measure_replication(scenario, seed, patterns=True)
    return {p.name: _number(values[p.name]) for p in PATTERNS}


def _number(value: Any) -> float:
    """A measure as a float (``nan`` for a missing one)."""
    return math.nan if value is None else float(value)


def search(
    base: Scenario,
    samples: int,
    replications: int,
    *,
    rounds: int = 1,
    zoom: float = 0.5,
    confirm: int = CONFIRM_CANDIDATES,
    confirm_replications: int = CHECK_REPLICATIONS,
    seed: int = SEARCH_SEED,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    out: Path | str | None = None,
    resume: bool = False,
    overwrite: bool = False,
) -> SearchResult:
    """Latin-hypercube search over :data:`SEARCH_SPACE` around ``base``.

    Screening: round 0 spreads ``samples`` points over the full ranges; each later round ``k``
    spreads ``samples`` points over a box ``zoom ** k`` as wide, centred on the best point so far
    (largest :func:`worst_margin`). Each point is ``base`` with the point's values, run for
    ``replications`` replications with ``base``'s seed (common random numbers across points).
    Confirmation: the ``confirm`` screened points that met every band with the largest worst
    margin are run again with ``confirm_replications`` replications, and :func:`choose_point`
    picks among them (a guard against points that looked good by luck).

    Args:
        base: The baseline scenario.
        samples: Points per round.
        replications: Replications per screened point.
        rounds: Rounds of screening.
        zoom: How much narrower each later round's box is.
        confirm: How many candidates to confirm, at most.
        confirm_replications: Replications of each confirmation.
        seed: The Latin hypercube's seed (round ``k`` uses ``seed + k``).
        workers: Processes of a local pool (default: the number of cores; 1 runs here);
            ignored with ``executor``.
        executor: Run on this executor instead; it is left open.
        progress: Called with (done, total) replications after each one (``total`` counts
            every confirmation the search may run).
        out: A folder to save every replication in as it finishes (:func:`run_search`);
            ``None`` keeps them in memory only (no resume).
        resume: Continue the search already in ``out`` (it must be the same search).
        overwrite: Discard an unfinished search in ``out`` and start again.

    Returns:
        Every screened point, the confirmations and the choice.
    """
    plan = SearchPlan(base, samples, replications, rounds, zoom, confirm, confirm_replications, seed)
    return run_search(
        plan, out, workers=workers, executor=executor, progress=progress, resume=resume, overwrite=overwrite
    )


def run_search(
    plan: SearchPlan,
    out: Path | str | None = None,
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
    resume: bool = False,
    overwrite: bool = False,
) -> SearchResult:
    """Run every replication of ``plan`` not finished yet, saving each as it finishes; see :func:`search`.

    Raises:
        ScenarioError: ``out`` cannot take the runs (:func:`check_search_dir`); nothing is written.
    """
    store: RunStore | None = None
    rows: dict[int, dict[str, Any]] = {}
    if out is not None:
        path = Path(out).resolve()
        problem = check_search_dir(path, plan, resume=resume, overwrite=overwrite)
        if problem:
            raise ScenarioError(f"--search-dir {path}", [problem])
        store = RunStore(path, run_schema())
        manifest = {"format": SEARCH_FORMAT, "fingerprint": plan.fingerprint, **plan.to_manifest()}
        done = store.start(manifest, discard=not resume)
        if done:
            rows = {int(row["run"]): row for row in store.read().to_dict("records") if row["run"] in done}
    base = plan.base

    def measure(
        batch: list[tuple[Scenario, dict[str, Any]]], reps: int, first_run: Callable[[int], int]
    ) -> list[pd.DataFrame]:
        """Run the missing replications of each ``(scenario, its columns)`` of ``batch`` (the ``slot``-th's
        first run is ``first_run(slot)``); return each one's pattern values, one row per replication."""
        seeds = replication_seeds(base.seed, reps)
        meta: dict[int, dict[str, Any]] = {}
        tasks = []
        for slot, (scenario, ids) in enumerate(batch):
            for r, seed in enumerate(seeds):
                run = first_run(slot) + r
                meta[run] = {**ids, "replication": r, "seed": seed}
                if run not in rows:
                    tasks.append((run, scenario, seed))

        def make_row(task: tuple[int, Scenario, int], values: dict[str, float]) -> dict[str, Any]:
            return {"run": task[0], **meta[task[0]], **values}

        def saved(row: dict[str, Any]) -> None:
            rows[row["run"]] = row
            if progress is not None:
                progress(len(rows), plan.max_runs)

        run_missing(_search_job, tasks, make_row, store=store, executor=executor, workers=workers,
                    n_tasks=len(tasks), on_row=saved)  # fmt: skip
        names = [p.name for p in PATTERNS]
        return [
            pd.DataFrame([{n: float(rows[first_run(slot) + r][n]) for n in names} for r in range(reps)], columns=names)
            for slot in range(len(batch))
        ]

    table_rows: list[dict[str, Any]] = []
    for k in range(plan.rounds):
        box = None
        if k > 0:
            best = max(table_rows, key=lambda r: r["worst_margin"])
            box = zoom_box(SEARCH_SPACE, best, plan.zoom**k)
        points = latin_hypercube(SEARCH_SPACE, plan.samples, plan.seed + k, box)
        batch = [
            (apply_point(base, p), {"stage": SCREENING, "round": k, "point": k * plan.samples + i})
            for i, p in enumerate(points)
        ]
        frames = measure(batch, plan.replications, lambda i, k=k: plan.screening_run(k, i, 0))
        table_rows += [{"round": k, **point, **_score(frame)} for point, frame in zip(points, frames, strict=True)]
    table = pd.DataFrame(table_rows)

    ok = table[table["all_met"]].sort_values("worst_margin", ascending=False, kind="stable")
    candidates = [int(i) for i in ok.index[: plan.confirm]]
    if store is not None:  # the number of runs is known now: the search is finished when they are done
        n_runs = plan.screening_runs + len(candidates) * plan.confirm_replications
        store.write_manifest({**(store.manifest() or {}), "n_runs": n_runs, "candidates": candidates})
    batch = [
        (apply_point(base, _table_point(table, i)), {"stage": CONFIRMATION, "round": -1, "point": i})
        for i in candidates
    ]
    confirmations = measure(batch, plan.confirm_replications, lambda c: plan.confirmation_run(c, 0))
    frames = dict(zip(candidates, confirmations, strict=True))
    confirmed = pd.DataFrame([_score(frames[i]) for i in candidates], index=pd.Index(candidates, dtype=int))
    return SearchResult(
        table=table,
        confirmed=confirmed,
        frames=frames,
        chosen=choose_point(confirmed) if candidates else None,
        closest=int(table["worst_margin"].idxmax()),
        samples=plan.samples,
        rounds=plan.rounds,
        zoom=plan.zoom,
        replications=plan.replications,
        confirm_replications=plan.confirm_replications,
        seed=plan.seed,
    )
