"""Benchmarks: this project against peer simulators, scaling, memory, parallel sweeps, a profile.

Usage (from the project folder, after ``make setup``)::

    .venv/bin/python -m benchmarks            # everything, a few minutes
    .venv/bin/python -m benchmarks --quick    # a smaller version of everything, about a minute
    .venv/bin/python -m benchmarks --only docking,scaling

Every figure that matters is a ratio of two things measured side by side in this run, on this
machine: absolute times on a shared machine are noise. Single-threaded work is timed in CPU
seconds of the process (other jobs on the machine then cost little accuracy); wall-clock
seconds are kept too, and the parallel sweep is timed on the wall clock. The results go to
``results/benchmarks/benchmarks.json`` (and a copy named with the date), the profile next to
it, and a table is printed. See ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

from benchmarks import peers, workloads
from benchmarks.workloads import QUEUE, REPO, finite

SECTIONS = ("docking", "full", "scaling", "parallel", "profile", "startup")
#: The commands whose start the "startup" section times, and the target of each (wall seconds).
STARTUP_COMMANDS = {
    "validate": (["validate", "scenarios/baseline.toml"], 1.0),
    "list": (["list"], 1.0),
    "--help": (["--help"], 1.0),
}
PEERS = ("simpy", "ciw", "mesa_loop", "mesa_agents", "mesa_agents_calendar", "heapq")


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- 1. docking


def bench_docking(days: float, rounds: int) -> dict[str, Any]:
    warmup = min(1000.0, days / 10)
    cfg = workloads.docking_scenario(days)
    p_wait, wq = peers.erlang_c(QUEUE["lam"], QUEUE["c"], QUEUE["mean_service"])
    engines = ("pathways", *PEERS)
    per_round: dict[str, list[dict[str, float]]] = {e: [] for e in engines}
    for r in range(rounds):
        seed = 1 + r
        for engine in engines:  # one after the other in every round: side by side
            log(f"  docking round {r + 1}/{rounds}: {engine}")
            if engine == "pathways":
                run, timer = workloads.run_docking(cfg, days, warmup, seed)
                cpu, wall = timer.cpu, timer.wall
            else:
                with workloads.Timer() as timer:
                    run = peers.ENGINES[engine](QUEUE["lam"], QUEUE["c"], QUEUE["mean_service"], days, warmup, seed)
                cpu, wall = timer.cpu, timer.wall
            per_round[engine].append({
                "served": run.served, "cpu": cpu, "wall": wall, "per_second": run.served / cpu,
                "mean_wait": run.mean_wait, "ci95": peers.batch_ci(run.arrivals, run.waits, warmup, days),
            })  # fmt: skip
    log("  docking: counting the events of one run")
    events = workloads.docking_events(cfg, days, seed=1)
    rows = {}
    for engine in engines:
        runs = per_round[engine]
        ratios_simpy = [a["per_second"] / b["per_second"] for a, b in zip(runs, per_round["simpy"], strict=True)]
        ratios_ciw = [a["per_second"] / b["per_second"] for a, b in zip(runs, per_round["ciw"], strict=True)]
        rows[engine] = {
            "people_per_second": median([x["per_second"] for x in runs]),
            "ratio_to_simpy": median(ratios_simpy),
            "ratio_to_ciw": median(ratios_ciw),
            "mean_wait": median([x["mean_wait"] for x in runs]),
            "mean_wait_ci95": finite(median([x["ci95"] for x in runs])),
            "served": runs[0]["served"],
            "rounds": runs,
        }
    ours = rows["pathways"]
    ours["events"] = events
    ours["events_per_person"] = events / per_round["pathways"][0]["served"]
    ours["us_per_event"] = median([x["cpu"] for x in per_round["pathways"][:1]]) / events * 1e6
    return {
        "queue": {
            **QUEUE,
            "days": days,
            "warmup_days": warmup,
            "scenario": str(workloads.DOCKING_FILE.relative_to(REPO)),
        },
        "erlang_c": {"p_wait": p_wait, "mean_wait": wq},
        "engines": rows,
    }


# ----------------------------------------------------------------------------- 2. full model


def bench_full(replications: int, docking: dict[str, Any] | None) -> dict[str, Any]:
    from sim import config as sc
    from sim.experiments.replications import replication_seeds

    cfg = sc.load("baseline")
    seeds = replication_seeds(cfg.seed, replications)
    reps = []
    for i, seed in enumerate(seeds):
        log(f"  full model: replication {i + 1}/{replications}")
        reps.append(workloads.full_replication(cfg, seed))
    log("  full model: counting the events of each replication (untimed runs)")
    counts = [workloads.full_events(cfg, seed) for seed in seeds]
    sim_cpu = sum(r["simulate_cpu"] for r in reps)  # over all replications: the first alone is slower (cold start)
    out = {
        "scenario": "baseline",
        "years": cfg.run.years,
        "replications": replications,
        "seconds_per_replication": median([r["simulate_cpu"] + r["metrics_cpu"] for r in reps]),
        "simulate_seconds": median([r["simulate_cpu"] for r in reps]),
        "metrics_seconds": median([r["metrics_cpu"] for r in reps]),
        "wall_seconds_per_replication": median([r["simulate_wall"] + r["metrics_wall"] for r in reps]),
        "events": median(counts),
        "events_per_replication": counts,
        "events_per_second": sum(counts) / sim_cpu,
        "us_per_event": sim_cpu / sum(counts) * 1e6,
        "people": reps[0]["people"],
        "replications_detail": reps,
    }
    if docking is not None:
        out["overhead_per_event_vs_docking"] = out["us_per_event"] / docking["engines"]["pathways"]["us_per_event"]
    return out


# ----------------------------------------------------------------------------- 3. scaling


def run_child(scale: int, years: float, seed: int, trace: bool = False) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.child", str(scale), str(years), str(seed), *(["--trace"] if trace else [])],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed (scale {scale}):\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_scaling(
    scales: tuple[int, ...], years: float, rounds: int, long_scale: int, long_factor: float
) -> dict[str, Any]:
    runs: dict[int, list[dict[str, Any]]] = {k: [] for k in scales}
    smallest, larger = scales[0], scales[1:]
    seeds = count(1)
    for r in range(rounds):
        # Interleaved, and the smallest scale (a run of about a second, which a slow moment of a
        # shared machine can double) before every larger scale and once more at the end, so the
        # base of the ratios samples the machine's speed over the whole round.
        for k in [x for big in larger for x in (smallest, big)] + [smallest]:
            log(f"  scaling round {r + 1}/{rounds}: {k}x")
            runs[k].append(run_child(k, years, seed=next(seeds) if k == smallest else 1 + r))
    base = median([x["cpu"] / x["person_years"] for x in runs[smallest]])
    rows = {}
    for k in scales:
        xs = runs[k]
        cost = median([x["cpu"] / x["person_years"] for x in xs])
        people = median([x["people_at_once_max"] for x in xs])
        memory = median([x["memory"] for x in xs])
        records = median([x["records_bytes"] for x in xs])
        rows[str(k)] = {
            "us_per_person_year": cost * 1e6,
            "relative_to_1x": cost / base,
            "cpu_seconds": median([x["cpu"] for x in xs]),
            "person_years": median([x["person_years"] for x in xs]),
            "people_at_once_max": people,
            "peak_memory_bytes": memory,
            "records_bytes": records,
            "memory_per_person_at_once_bytes": max(0.0, memory - records) / people,
            "departed_people_still_in_memory": max(x["person_objects_alive"] - x["people_at_end"] for x in xs),
            "runs": xs,
        }
    log(f"  memory against run length: {long_scale}x for {years:g} and {years * long_factor:g} years, traced")
    short = run_child(long_scale, years, seed=1, trace=True)
    long = run_child(long_scale, years * long_factor, seed=1, trace=True)
    length = {
        "scale": long_scale,
        "years": [years, years * long_factor],
        "measured_with": "tracemalloc (bytes Python holds)",
        **{key: [short[key], long[key]] for key in ("people_at_once_max", "people_at_end", "traced_peak",
                                                    "traced_at_end", "records_bytes", "records_rows",
                                                    "at_end_beyond_records", "per_person_at_end", "event_list")},
    }  # fmt: skip
    top = str(scales[-1])
    return {
        "years": years,
        "scales": rows,
        "largest_over_1x": rows[top]["relative_to_1x"],
        "flat": rows[top]["relative_to_1x"] <= 1.25,
        "run_length": length,
    }


# ----------------------------------------------------------------------------- 4. parallel sweeps


def bench_parallel(runs: int) -> dict[str, Any]:
    """Speed-up on the wall clock; the share of the CPU time spent outside simulation (start-up
    of the workers, pickling, writing the results, the pool's bookkeeping), which does not
    depend on what else the machine is doing."""
    log(f"  parallel: the {runs} simulations alone, one after the other")
    simulate, how_sim = workloads.sweep_simulation_seconds(runs)
    out: dict[str, Any] = {"runs": runs, "simulation_cpu_seconds": simulate, "simulation_measured_with": how_sim}
    for workers in (1, 2):
        log(f"  parallel: sweep of {runs} runs with {workers} worker(s)")
        res = workloads.parallel_sweep(runs, workers)
        out[f"workers_{workers}"] = {
            **res,
            "outside_simulation_share": max(0.0, 1.0 - simulate / res["cpu"]),
            "busy_share": res["cpu"] / (res["wall"] * workers),  # below 1: idle workers, or other jobs
        }
    out["speed_up"] = out["workers_1"]["wall"] / out["workers_2"]["wall"]
    out["how"] = out["workers_2"]["how"]
    return out


def bench_startup(rounds: int) -> dict[str, Any]:
    """Wall time of ``pathways validate``, ``list`` and ``--help`` (a new Python process each),
    median of ``rounds``; the import time of ``sim.cli`` (``python -X importtime``) beside it."""
    out: dict[str, Any] = {"rounds": rounds, "commands": {}}
    for name, (args, target) in STARTUP_COMMANDS.items():
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "sim", *args], cwd=REPO, capture_output=True, check=True)
            times.append(time.perf_counter() - start)
        out["commands"][name] = {"wall_median": median(times), "wall_min": min(times), "target": target}
        log(f"  startup: pathways {' '.join(args)}: {median(times):.2f} s (median of {rounds})")
    res = subprocess.run([sys.executable, "-X", "importtime", "-c", "import sim.cli"], cwd=REPO,
                         capture_output=True, text=True, check=True)  # fmt: skip
    last = [line for line in res.stderr.splitlines() if line.startswith("import time:")][-1]
    out["import_sim_cli_seconds"] = int(last.split("|")[1]) / 1e6
    return out


# ----------------------------------------------------------------------------- table


def fmt(x: float | None, spec: str = ",.0f") -> str:
    return "-" if x is None else format(x, spec)


def table(results: dict[str, Any]) -> str:
    lines: list[str] = []
    add = lines.append
    machine = results["machine"]
    add(f"housing-pathways benchmarks, {results['date']} ({machine['cpus']} CPUs, Python {machine['python']}, "
        f"Mesa {machine['mesa']}, load {machine['load_start']:.1f} -> {machine['load_end']:.1f})")  # fmt: skip
    compiled = machine.get("compiled_model")
    if compiled is not None:
        add(f"Model modules: {'compiled (mypyc)' if compiled else 'plain Python'} (sim.model.native)")
    if "docking" in results:
        d = results["docking"]
        q = d["queue"]
        add("")
        add(f"1. Docking: M/M/c, lambda {q['lam']:g}/day, c = {q['c']}, mean tenancy {q['mean_service']:g} days, "
            f"{q['days']:,.0f} days (median of {len(d['engines']['simpy']['rounds'])} rounds, CPU time)")  # fmt: skip
        exact = d["erlang_c"]
        add(f"   Erlang C: P(wait) = {exact['p_wait']:.4f}, mean wait Wq = {exact['mean_wait']:.4f} days")
        add(f"   {'engine':<34}{'people/s':>10}{'vs SimPy':>10}{'vs Ciw':>8}{'mean wait':>11}{'95% CI':>9}")
        names = {
            "pathways": "housing-pathways (full Person)",
            "simpy": "SimPy 4 (Resource)",
            "ciw": "Ciw 3",
            "mesa_loop": "Mesa: bare schedule_event loop",
            "mesa_agents": "Mesa: agent + own stream/person",
            "mesa_agents_calendar": "  same, calendar + luck.py streams",
            "heapq": "hand-written heapq loop",
        }
        for engine, row in d["engines"].items():
            add(f"   {names[engine]:<34}{fmt(row['people_per_second']):>10}{row['ratio_to_simpy']:>10.2f}"
                f"{row['ratio_to_ciw']:>8.2f}{row['mean_wait']:>11.3f}"
                f"{'±' + fmt(row['mean_wait_ci95'], '.3f'):>9}")  # fmt: skip
        ours = d["engines"]["pathways"]
        add(f"   housing-pathways: {ours['events_per_person']:.2f} events per person served, "
            f"{ours['us_per_event']:.1f} us CPU per event")  # fmt: skip
    if "full" in results:
        f = results["full"]
        add("")
        add(f"2. Full model: baseline, {f['years']:g} years, {f['people']:,} people, median of {f['replications']} "
            f"replications")  # fmt: skip
        add(f"   time per replication {f['seconds_per_replication']:.3f} s CPU (simulation {f['simulate_seconds']:.3f}"
            f" + metrics {f['metrics_seconds']:.3f}; wall {f['wall_seconds_per_replication']:.3f} s)")  # fmt: skip
        extra = ""
        if "overhead_per_event_vs_docking" in f:
            extra = f", {f['overhead_per_event_vs_docking']:.2f}x the docking run's cost per event"
        add(f"   {f['events']:,.0f} events (median), {f['events_per_second']:,.0f} events/s, "
            f"{f['us_per_event']:.1f} us per event{extra}")  # fmt: skip
    if "scaling" in results:
        s = results["scaling"]
        add("")
        add(f"3. Scaling: baseline x k (inflows, day-0 population, beds, follow-up places, units), "
            f"{s['years']:g} years, "
            f"fresh process each")  # fmt: skip
        add(f"   {'scale':>6}{'person-years':>14}{'us/person-year':>16}{'vs 1x':>7}{'people at once':>16}"
            f"{'peak memory':>13}{'records':>10}{'per person':>12}")  # fmt: skip
        for k, row in s["scales"].items():
            add(f"   {k + 'x':>6}{row['person_years']:>14,.0f}{row['us_per_person_year']:>16,.0f}"
                f"{row['relative_to_1x']:>7.2f}{row['people_at_once_max']:>16,.0f}"
                f"{row['peak_memory_bytes'] / 2**20:>10.1f} MB{row['records_bytes'] / 2**20:>7.1f} MB"
                f"{row['memory_per_person_at_once_bytes'] / 1024:>9.1f} KB")  # fmt: skip
        verdict = "within" if s["flat"] else "NOT within"
        add(f"   largest scale costs {s['largest_over_1x']:.2f}x the 1x cost per person-year ({verdict} 1.25x)")
        r = s["run_length"]
        add(f"   run length, {r['scale']}x, {r['years'][0]:g} vs {r['years'][1]:g} years (tracemalloc): people at once "
            f"{r['people_at_once_max'][0]:,} vs {r['people_at_once_max'][1]:,}; peak "
            f"{r['traced_peak'][0] / 2**20:.1f} vs {r['traced_peak'][1] / 2**20:.1f} MB, of which records "
            f"{r['records_bytes'][0] / 2**20:.1f} vs {r['records_bytes'][1] / 2**20:.1f} MB "
            f"({r['records_rows'][0]:,} vs {r['records_rows'][1]:,} rows); held beyond the records at the end "
            f"{r['at_end_beyond_records'][0] / 2**20:.1f} vs {r['at_end_beyond_records'][1] / 2**20:.1f} MB "
            f"({r['per_person_at_end'][0] / 1024:.1f} vs {r['per_person_at_end'][1] / 1024:.1f} KB "
            f"per person present)")  # fmt: skip
        gone = max(row["departed_people_still_in_memory"] for row in s["scales"].values())
        add(f"   departed people still in memory at the end of any run: {gone}")
    if "parallel" in results:
        p = results["parallel"]
        add("")
        add(f"4. Parallel sweep: {p['runs']} runs ({p['how']})")
        add(f"   simulations alone: {p['simulation_cpu_seconds']:.1f} s CPU")
        for w in (1, 2):
            row = p[f"workers_{w}"]
            add(f"   {w} worker{'s' if w > 1 else ' '}: {row['wall']:.1f} s wall, "
                f"{row['cpu']:.1f} s CPU in all processes, "
                f"{row['outside_simulation_share']:.0%} of it outside simulation; workers busy "
                f"{min(row['busy_share'], 1.0):.0%} of the wall time")  # fmt: skip
        add(f"   speed-up with 2 workers: {p['speed_up']:.2f}x")
    if "startup" in results:
        s = results["startup"]
        add("")
        add(f"6. Start of the command line (wall, median of {s['rounds']}; import of sim.cli "
            f"{s['import_sim_cli_seconds']:.2f} s)")  # fmt: skip
        for name, row in s["commands"].items():
            met = "met" if row["wall_median"] < row["target"] else "MISSED"
            add(f"   pathways {name:<9} {row['wall_median']:.2f} s (target < {row['target']:g} s: {met})")
    if "profile" in results:
        add("")
        add("5. Profile: one baseline replication, functions by own time (cProfile; the call tree is in "
            "profile_full_model.txt/.html)")  # fmt: skip
        if results["profile"].get("plain_modules"):
            add("   (taken on the plain model modules, the same code: a profiler does not see inside compiled functions)")
        for row in results["profile"]["top_own_time"][:10]:
            add(f"   {row['own_share']:>6.1%} own {row['cumulative_share']:>6.1%} cum  {row['function']}")
        dock = results["profile"].get("docking")
        if dock:
            add("   Docking run, share of the time under each kind of event (pyinstrument; profile_docking.txt):")
            for label, share in dock["shares"].items():
                add(f"   {share:>6.1%}  {label}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main


# The profile section's child: profilers do not see inside compiled functions, so the profile is
# taken on the plain modules (the same code: sim.model.native).
PROFILE_CHILD = """
import json, sys
from pathlib import Path
from benchmarks import workloads
out = Path(sys.argv[1])
result = workloads.profile_full_model(out, seed=20221101)
result["docking"] = workloads.profile_docking(out, days=float(sys.argv[2]))
print(json.dumps(result))
"""


def profile_plain(out_dir: Path, docking_days: float) -> dict[str, Any]:
    """The profiles of section 5, taken in a fresh process on the plain model modules."""
    env = {**os.environ, "PATHWAYS_PURE_PYTHON": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", PROFILE_CHILD, str(out_dir), str(docking_days)], cwd=REPO, env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return {**json.loads(done.stdout.splitlines()[-1]), "plain_modules": True}


def machine_info() -> dict[str, Any]:
    import mesa

    try:  # the model's hot modules compiled (sim.model.native); a tree from before it has none
        from sim.model import native

        compiled: bool | None = native.in_use()
    except ImportError:
        compiled = None
    info: dict[str, Any] = {
        "compiled_model": compiled,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "mesa": mesa.__version__,
        "load_start": os.getloadavg()[0],
    }
    for name in ("simpy", "ciw", "numpy", "pandas"):
        try:
            info[name] = __import__(name).__version__
        except Exception:  # noqa: BLE001
            info[name] = None
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller version of everything (about a minute)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections: {','.join(SECTIONS)}")
    parser.add_argument("--rounds", type=int, default=None, help="rounds of the docking and scaling runs")
    parser.add_argument("--out", type=Path, default=REPO / "results" / "benchmarks", help="output folder")
    args = parser.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(only) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {unknown}; choose from {','.join(SECTIONS)}")
    quick = args.quick
    rounds = args.rounds or (1 if quick else 3)
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": quick,
        "machine": machine_info(),
    }
    if "docking" in only:
        log("1. docking against peers")
        results["docking"] = bench_docking(days=20_000.0 if quick else 100_000.0, rounds=rounds)
    if "full" in only:
        log("2. full model")
        results["full"] = bench_full(replications=3 if quick else 10, docking=results.get("docking"))
    if "scaling" in only:
        log("3. scaling and memory")
        results["scaling"] = bench_scaling(
            scales=(1, 10, 50), years=2.0 if quick else 10.0, rounds=1 if quick else min(rounds, 2),
            long_scale=1 if quick else 5, long_factor=4.0,
        )  # fmt: skip
    if "parallel" in only:
        log("4. parallel sweeps")
        results["parallel"] = bench_parallel(runs=16 if quick else 64)
    if "profile" in only:
        log("5. profile (of the plain model modules, in a child process)")
        results["profile"] = profile_plain(out_dir, docking_days=5_000.0 if quick else 20_000.0)
    if "startup" in only:
        log("6. start of the command line")
        results["startup"] = bench_startup(rounds=3 if quick else 7)
    results["machine"]["load_end"] = os.getloadavg()[0]
    results["seconds"] = time.perf_counter() - started

    text = table(results)
    results["table"] = text.splitlines()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    for name in ("benchmarks.json", f"benchmarks-{stamp}.json"):
        (out_dir / name).write_text(json.dumps(results, indent=1, default=_json_default) + "\n", encoding="utf-8")
    (out_dir / "benchmarks.txt").write_text(text + "\n", encoding="utf-8")
    print(text)
    print(f"\n({results['seconds']:.0f} s; written to {out_dir / 'benchmarks.json'})")
    return 0


def _json_default(x: object) -> object:
    if isinstance(x, float):
        return finite(x)
    return str(x)


if __name__ == "__main__":
    raise SystemExit(main())
