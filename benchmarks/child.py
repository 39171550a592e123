"""Entry point for a measurement in a fresh process (peak memory is per process).

Usage: python -m benchmarks.child SCALE YEARS SEED [--trace]   -> one JSON object on stdout

``--trace`` measures memory with ``tracemalloc`` (exact, slower) instead of timing the run.
"""

from __future__ import annotations

import json
import sys

from benchmarks.workloads import memory_child, scaling_child


def main() -> None:
    scale, years, seed = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    run = memory_child if "--trace" in sys.argv[4:] else scaling_child
    print(json.dumps(run(scale, years, seed)))


if __name__ == "__main__":
    main()
