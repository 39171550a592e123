"""Experiment commands of ``pathways`` (compare, sweep, sensitivity), registered on ``sim.cli.app``."""

from __future__ import annotations

from sim.cli import app  # noqa: F401
