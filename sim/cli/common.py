"""What every ``pathways`` command shares: the consoles, the error exit and the run overrides."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import typer
from rich.console import Console

from sim.config import ScenarioError

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
