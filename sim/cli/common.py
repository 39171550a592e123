"""What every ``pathways`` command shares: the consoles, the error exit, the run overrides and the executor options."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import ExitStack, contextmanager
from enum import Enum
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from sim.config import ScenarioError
from sim.experiments.executors import (
    EXECUTOR_KINDS,
    NO_WORKER_TIMEOUT,
    SchedulerUnavailable,
    check_scheduler_address,
    open_executor,
)

#: Exit code of a refused input (a bad file, key, value or option, a ``--scheduler`` that is
#: malformed or does not answer): nothing was written.
EXIT_BAD_INPUT = 2
#: Exit code of a run stopped because its Dask cluster failed (scheduler lost, no worker for
#: ``--no-worker-timeout`` seconds); a sweep keeps its finished runs and ``--resume`` finishes it.
EXIT_CLUSTER_LOST = 3

out_console = Console() if sys.stdout.isatty() else Console(width=140)
err_console = Console(stderr=True)


def fail(exc: ScenarioError) -> NoReturn:
    """Print every problem of ``exc`` (file, key, value, what is allowed) and exit with code 2."""
    err_console.print(f"[bold red]error:[/] {exc.source}:", highlight=False, soft_wrap=True)
    for problem in exc.problems:
        err_console.print(f"  - {problem}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(code=EXIT_BAD_INPUT)


def say(message: str) -> None:
    """A one-line note on stderr (e.g. that a Dask cluster has no worker yet)."""
    err_console.print(f"note: {message}", highlight=False, markup=False, soft_wrap=True)


def check_scheduler(scheduler: str | None) -> None:
    """Exit with code 2 at once if ``--scheduler`` is not a scheduler address (before any slow work)."""
    problem = None if scheduler is None else check_scheduler_address(scheduler)
    if problem is not None:
        fail(ScenarioError(f"--scheduler {scheduler}", [f"{problem}; nothing was run or written"]))


@contextmanager
def executor_for(
    kind: str, *, workers: int | None, scheduler: str | None, tasks: int, no_worker_timeout: float = NO_WORKER_TIMEOUT
) -> Iterator[Executor]:
    """:func:`sim.experiments.executors.open_executor` for a command: a bad ``--scheduler`` exits with code 2."""
    with ExitStack() as stack:
        try:
            opened = open_executor(
                kind,  # type: ignore[arg-type]
                workers=workers,
                scheduler=scheduler,
                tasks=tasks,
                no_worker_timeout=no_worker_timeout,
                notify=say,
            )
            pool = stack.enter_context(opened)
        except SchedulerUnavailable as exc:
            fail(ScenarioError(f"--scheduler {scheduler}", [f"{exc}; nothing was run or written"]))
        yield pool


def cluster_failed(message: str, *lines: str) -> NoReturn:
    """Print that the Dask cluster failed (and what to do), then exit with code 3."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    for line in lines:
        err_console.print(line, highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(code=EXIT_CLUSTER_LOST)


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
NoWorkerTimeoutOption = Annotated[
    float,
    typer.Option(help="Dask: stop (exit code 3) after this many seconds with no worker in the cluster.", min=1.0),
]

#: The languages of the reports and the run's summary in words (``--lang``).
LangChoice = Enum("LangChoice", {lang: lang for lang in ("en", "nb")}, type=str)
LangOption = Annotated[
    LangChoice,
    typer.Option("--lang", help="Language of the report and the summary in words: en (English) or nb (Norwegian)."),
]
