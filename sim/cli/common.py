"""What every ``pathways`` command shares: the consoles, the error exit, the run overrides and the executor options."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from sim.config import ScenarioError
from sim.experiments.executors import EXECUTOR_KINDS

#: Exit code of a refused input (a bad file, key, value or option): nothing was written.
EXIT_BAD_INPUT = 2

out_console = Console() if sys.stdout.isatty() else Console(width=140)
err_console = Console(stderr=True)


def fail(exc: ScenarioError) -> NoReturn:
    """Print every problem of ``exc`` (file, key, value, what is allowed) and exit with code 2."""
    err_console.print(f"[bold red]error:[/] {exc.source}:", highlight=False, soft_wrap=True)
    for problem in exc.problems:
        err_console.print(f"  - {problem}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(code=EXIT_BAD_INPUT)


def run_overrides(seed: int | None, replications: int | None, years: float | None) -> dict[str, Any]:
    """The scenario overrides given by ``--seed``, ``--replications`` and ``--years``."""
    out: dict[str, Any] = {}
    if seed is not None:
        out["seed"] = seed
    run: dict[str, Any] = {}
    if replications is not None:
        run["replications"] = replications
    if years is not None:
        run["years"] = years
    if run:
        out["run"] = run
    return out


#: Where the runs go (``--executor``): one member per :data:`sim.experiments.executors.EXECUTOR_KINDS`.
ExecutorChoice = Enum("ExecutorChoice", {kind: kind for kind in EXECUTOR_KINDS}, type=str)

WorkersOption = Annotated[
    int | None,
    typer.Option(help="Local worker processes, or Dask LocalCluster workers (default: number of cores).", min=1),
]
ExecutorOption = Annotated[
    ExecutorChoice,
    typer.Option(help="'process': a local process pool; 'dask': start a Dask LocalCluster (see --scheduler)."),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(help="Address of a running Dask scheduler (e.g. tcp://10.0.0.5:8786); implies --executor dask."),
]
