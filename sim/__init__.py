"""housing-pathways: an agent-based simulation of housing pathways in substance-use recovery.

The Python API is loaded on first use, so ``import sim`` stays light::

    import sim
    sim.run("baseline", replications=4)        # -> RunOutput (DataFrames, path)
    sim.compare("baseline", "housing_ready")   # -> CompareOutput
    sim.sweep("scenarios/sweeps/declines_vs_stock.toml", out="results/sweeps/dvs")
    sim.sensitivity("results/sweeps/levers_sobol")

See ``sim.api`` and ``docs/experiments.md``.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = ("run", "compare", "sweep", "sensitivity", "load_scenario", "RunOutput", "CompareOutput", "SweepOutput")
__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    """Load ``sim.api`` when one of its names is first used."""
    if name in _API:
        from sim import api

        return getattr(api, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
