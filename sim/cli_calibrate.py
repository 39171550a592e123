"""The ``pathways calibrate`` command, registered on ``sim.cli.app``."""

from __future__ import annotations

from sim.cli import app  # noqa: F401
