"""The project's own workloads: the docking queue, a baseline replication, the scaled baseline,
a parallel sweep and a profile. Each returns plain numbers (seconds, counts, bytes) for
``benchmarks.run`` to put side by side.

Times are taken twice: CPU time of this process (``time.process_time``, what the ratios use:
other jobs on a shared machine slow the wall clock but not the CPU time of a single-threaded
run) and wall-clock time (``time.perf_counter``). The parallel sweep is timed on the wall clock
only, since that is what parallelism buys.
"""

from __future__ import annotations

import gc
import math
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

from benchmarks.peers import QueueRun
from sim import config as sc
from sim.config import DAYS_PER_YEAR, Scenario
from sim.model import HousingModel

REPO = Path(__file__).resolve().parent.parent
DOCKING_FILE = REPO / "scenarios" / "verification" / "mmc_rho080.toml"

# The docking queue of the issue: lambda = 1 per day, c = 50 units, mean tenancy 40 days.
QUEUE = {"lam": 1.0, "c": 50, "mean_service": 40.0}


class Timer:
    """CPU and wall-clock seconds of a ``with`` block."""

    def __enter__(self) -> Self:
        gc.collect()  # start every timed block from the same garbage-free state
        self._cpu, self._wall = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu = time.process_time() - self._cpu
        self.wall = time.perf_counter() - self._wall


# ----------------------------------------------------------------------------- counting events


def count_events(model: HousingModel, run: Callable[[], None]) -> int:
    """Run ``run()``; the number of events executed (the model runs nothing but its calendar)."""
    before = model.calendar.executed
    run()
    return model.calendar.executed - before


# ----------------------------------------------------------------------------- 1. docking


def docking_scenario(days: float) -> Scenario:
    """``scenarios/verification/mmc_rho080.toml`` set to the issue's queue, started empty.

    The file's comments name the three keys of the queue (arrival rate, units, tenancy); they
    are set here to lambda = 1/day, c = 50, mean tenancy 40 days whatever the file holds now,
    and the run is set to ``days`` days (``run.years`` is capped at 200 years by the schema, so
    a longer run is set to 200 years and stopped at ``days`` by the caller).
    """
    base = sc.load(DOCKING_FILE)
    zone = base.zones.names[0]
    (type_name, *others) = list(base.stock.types)
    overrides: dict[str, Any] = {
        "run": {"years": min(200.0, days / DAYS_PER_YEAR), "warmup_days": 0.0, "sample_every_days": 30.0},
        "inflow": {"nav_homeless_per_year": QUEUE["lam"] * DAYS_PER_YEAR},
        "initial": {"in_temporary": 0, "on_street": 0, "in_treatment": 0, "in_prison": 0, "housed_share": 0.0},
        "exits": {"own_housing_rate_per_year_housed": DAYS_PER_YEAR / QUEUE["mean_service"]},
        "stock": {"types": {type_name: {"units": {zone: QUEUE["c"]}}, **{t: {"units": {}} for t in others}}},
    }
    cfg = sc.with_overrides(base, overrides)
    assert cfg.housing_office.allocate_on_vacancy and cfg.housing_office.rule == "fcfs"
    assert sum(cfg.stock.types[type_name].units.values()) == QUEUE["c"]
    return cfg


def served(model: HousingModel) -> int:
    """People whose service ended: tenancies ended by the exponential "own housing" exit (the
    docking scenario's end of service; the person then stays in private housing, where nothing
    more happens to them, so they are not an exit of the system)."""
    return model.records.spells["end_reason"].count("own_housing")


def run_docking(cfg: Scenario, days: float, warmup: float, seed: int) -> tuple[QueueRun, Timer]:
    """This project's model on the docking queue: people served and the waits in temporary housing."""
    with Timer() as timer:
        model = HousingModel(cfg, seed=seed)
        model.run_until(days)
    spells = model.records.spells
    out = QueueRun(served(model), [], [])
    for state, start, end, reason in zip(spells["state"], spells["start"], spells["end"], spells["end_reason"],
                                         strict=True):  # fmt: skip
        if state == "temporary" and reason == "moved_in" and start >= warmup:
            out.waits.append(end - start)
            out.arrivals.append(start)
    return out, timer


def docking_events(cfg: Scenario, days: float, seed: int) -> int:
    """Events executed by the docking run with this seed (an untimed run)."""
    model = HousingModel(cfg, seed=seed)
    return count_events(model, lambda: model.run_until(days))


# ----------------------------------------------------------------------------- 2. full model


def full_replication(cfg: Scenario, seed: int) -> dict[str, float]:
    """One replication as ``sim.experiments.replications.run_replication`` does it, timed in two parts."""
    import pandas as pd

    from sim.measures.metrics import replication_metrics

    with Timer() as simulate:
        model = HousingModel(cfg, seed=seed)
        model.run()
    with Timer() as measure:
        replication_metrics(model.records, cfg.run.warmup_days, cfg.total_days)
        model.records.frame("spells")
        pd.DataFrame(model.records.samples)
    return {
        "simulate_cpu": simulate.cpu, "simulate_wall": simulate.wall,
        "metrics_cpu": measure.cpu, "metrics_wall": measure.wall,
        "people": model.entered, "person_years": person_years(model),
    }  # fmt: skip


def full_events(cfg: Scenario, seed: int) -> int:
    """Events executed by one replication with this seed (an untimed run)."""
    model = HousingModel(cfg, seed=seed)
    return count_events(model, model.run)


def person_years(model: HousingModel) -> float:
    """Simulated person-years: every person is in exactly one spell at a time (after ``run``)."""
    spells = model.records.spells
    return sum(e - s for s, e in zip(spells["start"], spells["end"], strict=True)) / DAYS_PER_YEAR


# ----------------------------------------------------------------------------- 3. scaling


def scaled_baseline(scale: int, years: float | None = None) -> Scenario:
    """The baseline with ``scale`` times the people and the services: inflows, day-0 population,
    beds, follow-up places, temporary places (if limited) and every unit count."""
    data = sc.load("baseline").to_dict()
    inflow, initial = data["inflow"], data["initial"]
    for key in ("treatment_referrals_per_year", "prison_releases_per_year", "nav_homeless_per_year"):
        inflow[key] *= scale
    for key in ("in_treatment", "in_prison", "in_temporary", "on_street"):
        initial[key] *= scale
    data["treatment"]["beds"] *= scale
    data["followup"]["capacity"] *= scale
    if data["temporary"]["capacity"] != "unlimited":
        data["temporary"]["capacity"] *= scale
    for kind in data["stock"]["types"].values():
        kind["units"] = {zone: n * scale for zone, n in kind["units"].items()}
    for addition in data["stock"].get("additions", []):
        addition["count"] *= scale
    if years is not None:
        data["run"]["years"] = years
        data["run"]["warmup_days"] = min(data["run"]["warmup_days"], years * DAYS_PER_YEAR / 5)
    return sc.validate(data, f"baseline x{scale}")


def _memory_status() -> tuple[int, int]:
    """(resident memory now, peak resident memory) of this process, in bytes."""
    try:
        status = Path("/proc/self/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):  # not Linux: the peak since the process started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return peak, peak


def _reset_peak_memory() -> None:
    """Start the peak-memory count from now (Linux: ``/proc/self/clear_refs``), so the imports'
    own peak does not hide the model's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def memory_child(scale: int, years: float, seed: int) -> dict[str, Any]:
    """Run the scaled baseline once under ``tracemalloc``: the exact bytes Python holds.

    Slower than :func:`scaling_child` (every allocation is traced), used only to split the
    peak into what the people present hold and what the records of the run hold.
    """
    import tracemalloc

    cfg = scaled_baseline(scale, years)
    gc.collect()
    tracemalloc.start()
    model = HousingModel(cfg, seed=seed)
    model.run()
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    samples = model.records.samples
    at_once = max(sum(v) for v in zip(*(samples[f"n_{s}"] for s in ("treatment", "prison", "temporary", "street",
                                                                          "housed")), strict=True))  # fmt: skip
    records = model.records.nbytes()
    return {
        "scale": scale,
        "years": years,
        "people_at_once_max": at_once,
        "people_at_end": len(model.agents),
        "traced_peak": peak,
        "traced_at_end": current,
        "records_rows": model.records.rows(),
        "records_bytes": records,
        "at_end_beyond_records": current - records,
        "per_person_at_end": (current - records) / max(1, len(model.agents)),
        "event_list": model.calendar.held(),
    }


def scaling_child(scale: int, years: float, seed: int) -> dict[str, Any]:
    """Run the scaled baseline once in this (fresh) process: time, person-years, memory.

    Peak memory is the process's peak resident set during the run minus the resident set just
    before the model was built (the interpreter and the imports). The live people at the end are counted twice,
    through Mesa's registry and by asking the garbage collector for every ``Person`` object,
    so a departed person still referenced somewhere would show up.
    """
    from sim.model.person import Person

    cfg = scaled_baseline(scale, years)
    gc.collect()
    _reset_peak_memory()
    before, _ = _memory_status()
    with Timer() as timer:
        model = HousingModel(cfg, seed=seed)
        model.run()
    _, peak = _memory_status()
    samples = model.records.samples
    at_once = max(sum(v) for v in zip(*(samples[f"n_{s}"] for s in ("treatment", "prison", "temporary", "street",
                                                                          "housed")), strict=True))  # fmt: skip
    gc.collect()
    live_objects = sum(1 for o in gc.get_objects() if isinstance(o, Person))
    return {
        "scale": scale,
        "years": years,
        "cpu": timer.cpu,
        "wall": timer.wall,
        "person_years": person_years(model),
        "people": model.entered,
        "people_at_once_max": at_once,
        "people_at_end": len(model.agents),
        "person_objects_alive": live_objects,
        "event_list": model.calendar.held(),
        "event_list_canceled": model.calendar.held() - len(model.calendar),
        "rss_before": before,
        "rss_peak": peak,
        "memory": max(0, peak - before),
        "records_rows": model.records.rows(),
        "records_bytes": model.records.nbytes(),
    }


# ----------------------------------------------------------------------------- 4. parallel sweeps


def sweep_spec(runs: int) -> dict[str, Any]:
    """A small sweep of ``runs`` baseline runs (half as many points, two replications each)."""
    return {
        "name": "benchmark",
        "base": "baseline",
        "design": "lhs",
        "samples": runs // 2,
        "replications": 2,
        "seed": 7,
        "metrics": ["temp_spells_over_90d_share", "readmission_within_365d_share"],
        "parameters": [
            {"key": "choice.max_declines", "range": [0, 4]},
            {"key": "housing_office.meeting_interval_days", "range": [7.0, 28.0]},
        ],
    }


def _children_cpu() -> float:
    """CPU seconds of this process's finished (and waited-for) child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def parallel_sweep(runs: int, workers: int) -> dict[str, Any]:
    """Time a sweep of ``runs`` runs, written to a temporary folder, with ``workers`` processes.

    Uses ``sim.experiments.sweeps.run_sweep`` (``pathways sweep``). If that is not available, falls back to
    ``sim.experiments.replications.run_scenario`` over ``runs`` replications of the baseline, written with
    ``sim.reports.run_output.write_run``; ``how`` says which was used. Returns the wall-clock time and the
    CPU time of this process and of the worker processes (counted once the pool has shut down).
    """
    try:
        from sim.experiments.sweep_file import load_sweep
        from sim.experiments.sweeps import run_sweep

        sweep = load_sweep(sweep_spec(runs), base_dir=REPO / "scenarios")
        assert sweep.n_runs == runs, f"sweep has {sweep.n_runs} runs, wanted {runs}"
    except Exception as exc:  # noqa: BLE001 - the sweep module is optional here
        return _parallel_replications(runs, workers, reason=f"sim.experiments.sweeps not usable: {exc!r}")
    children = _children_cpu()
    with tempfile.TemporaryDirectory() as tmp, Timer() as timer:
        run_sweep(sweep, Path(tmp) / "sweep", workers=workers)
    return {"how": "sim.experiments.sweeps.run_sweep (pathways sweep without figures)", "runs": runs, "workers": workers,
            "wall": timer.wall, "cpu": timer.cpu + _children_cpu() - children}  # fmt: skip


def sweep_simulation_seconds(runs: int) -> tuple[float, str]:
    """CPU seconds of the sweep's simulations alone, run here one after the other (what the
    sweep would cost with no start-up, pickling or writing)."""
    try:
        from sim.experiments.replications import measure_replication
        from sim.experiments.sweep_file import load_sweep

        sweep = load_sweep(sweep_spec(runs), base_dir=REPO / "scenarios")
        jobs = [(sweep.scenario(run // sweep.replications), sweep.run_seed(run)) for run in range(sweep.n_runs)]
    except Exception:  # noqa: BLE001 - same fallback as parallel_sweep
        from sim.experiments.replications import replication_seeds, run_replication

        cfg = sc.with_overrides(sc.load("baseline"), {"run": {"replications": runs}})
        with Timer() as timer:
            for i, seed in enumerate(replication_seeds(cfg.seed, runs)):
                run_replication(cfg, i, seed)
        return timer.cpu, "sim.experiments.replications.run_replication"
    with Timer() as timer:
        for scenario, seed in jobs:
            measure_replication(scenario, seed)
    return timer.cpu, "sim.experiments.replications.measure_replication"


def _parallel_replications(runs: int, workers: int, reason: str) -> dict[str, Any]:
    from sim.experiments.replications import run_scenario
    from sim.reports.run_output import write_run

    cfg = sc.with_overrides(sc.load("baseline"), {"run": {"replications": runs}})
    children = _children_cpu()
    with tempfile.TemporaryDirectory() as tmp, Timer() as timer:
        result = run_scenario(cfg, workers=workers, progress=False)
        write_run(result, Path(tmp) / "run")
    return {"how": f"sim.experiments.replications.run_scenario + run_output.write_run ({reason})", "runs": runs,
            "workers": workers, "wall": timer.wall, "cpu": timer.cpu + _children_cpu() - children}  # fmt: skip


# ----------------------------------------------------------------------------- 5. profile


def profile_full_model(out_dir: Path, seed: int, top: int = 15) -> dict[str, Any]:
    """Profile one baseline replication (model and metrics): pyinstrument's call tree (HTML and
    text) and cProfile's functions by own time. Returns the top ``top`` functions."""
    import cProfile
    import pstats

    from pyinstrument import Profiler

    from sim.experiments.replications import run_replication

    cfg = sc.load("baseline")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for i in range(3):  # three replications: enough samples for a stable tree
        run_replication(cfg, i, seed + i)
    profiler.stop()
    (out_dir / "profile_full_model.html").write_text(profiler.output_html(), encoding="utf-8")
    (out_dir / "profile_full_model.txt").write_text(
        profiler.output_text(unicode=False, color=False, show_all=False), encoding="utf-8"
    )

    prof = cProfile.Profile()
    prof.enable()
    run_replication(cfg, 0, seed)
    prof.disable()
    stats = pstats.Stats(prof)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]  # type: ignore[attr-defined]
    hot = [
        {
            "function": f"{_short(path)}:{line}({name})",
            "calls": calls,
            "own_share": own / total,
            "cumulative_share": cum / total,
        }
        for (path, line, name), (_, calls, own, cum, _) in rows
    ]
    stats.dump_stats(out_dir / "profile_full_model.pstats")
    return {"top_own_time": hot, "files": ["profile_full_model.html", "profile_full_model.txt",
                                           "profile_full_model.pstats"]}  # fmt: skip


def profile_docking(out_dir: Path, days: float = 20_000.0) -> dict[str, Any]:
    """pyinstrument's call tree of the docking run (``profile_docking.txt``), and the share of
    the run spent under each of the model's events."""
    from pyinstrument import Profiler

    cfg = docking_scenario(days)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    model = HousingModel(cfg, seed=1)
    model.run_until(days)
    profiler.stop()
    (out_dir / "profile_docking.txt").write_text(
        profiler.output_text(unicode=False, color=False, show_all=False), encoding="utf-8"
    )
    shares: dict[str, float] = {}
    root = profiler.last_session.root_frame() if profiler.last_session else None
    total = root.time if root else 0.0

    def walk(frame: Any) -> None:
        label = WATCH.get((frame.function, _short(frame.file_path or "")))
        if label is not None:
            shares[label] = shares.get(label, 0.0) + frame.time / total
            return
        for child in frame.children:
            walk(child)

    if root is not None and total > 0:
        walk(root)
        shares["the event loop itself (calendar and clock)"] = 1.0 - sum(shares.values())
    return {"served": served(model), "shares": shares, "files": ["profile_docking.txt"]}


# The callbacks of the docking run's events: everything under each is charged to it.
WATCH = {
    ("fire", "sim/model/housing_model.py"): "arrival (ArrivalStream.fire: new Person, application, next arrival)",
    ("_extra_meeting", "sim/model/services/housing_office.py"): "allocation meeting (offer, accept, move in)",
    ("__call__", "sim/model/person.py"): "a person's own event (tenancy ends: to private housing)",
    ("__call__", "sim/model/housing_model.py"): "sampling and periodic meetings (Recurring)",
}


def _short(path: str) -> str:
    for marker in ("site-packages/", "/work/main/", str(REPO) + os.sep):
        if marker in path:
            return path.split(marker, 1)[1]
    return os.path.basename(path) if os.sep in path else path


def finite(x: float) -> float | None:
    """JSON has no NaN or infinity."""
    return x if math.isfinite(x) else None
