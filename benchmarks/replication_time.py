"""Time one replication of a scenario, in this process (no workers).

Usage: .venv/bin/python benchmarks/replication_time.py [SCENARIO] [--n N]

Prints wall-clock seconds per replication (mean and spread over N replications) and the number
of events processed per second. Absolute times depend on the machine; compare runs made side by
side.
"""

from __future__ import annotations

import argparse
import statistics
import time

from sim import config as scenario
from sim.experiments.replications import replication_seeds
from sim.model import HousingModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="baseline")
    parser.add_argument("--n", type=int, default=10, help="replications to time")
    args = parser.parse_args()
    cfg = scenario.load(args.scenario)
    times, events = [], []
    for seed in replication_seeds(cfg.seed, args.n):
        start = time.perf_counter()
        model = HousingModel(cfg, seed=seed)
        model.run()
        times.append(time.perf_counter() - start)
        r = model.records
        events.append(sum(len(t["day"]) for t in (r.admissions, r.discharges, r.relapses, r.evictions, r.offers, r.exits))
                      + len(r.spells["start"]))
    mean = statistics.mean(times)
    sd = statistics.stdev(times) if len(times) > 1 else 0.0
    print(f"{cfg.name}: {cfg.run.years:g} years, {args.n} replications")
    print(f"seconds per replication: mean {mean:.3f}, sd {sd:.3f}, min {min(times):.3f}, max {max(times):.3f}")
    print(f"recorded events per replication: {statistics.mean(events):,.0f}; per second: {statistics.mean(events) / mean:,.0f}")


if __name__ == "__main__":
    main()
