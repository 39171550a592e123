"""``pathways --help``, ``list`` and ``validate`` start without loading the simulation.

Loading SciPy's statistics and Mesa took most of the 2-4 s these commands took; they are
loaded where a command runs the model. Checked by what is imported, not by a time (times
belong to benchmarks/).
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("scipy.stats", "mesa", "sim.model.housing_model", "sim.experiments.calibration", "matplotlib.pyplot")


def test_the_command_line_loads_no_simulation_module():
    """Importing the command line (every command registered) loads none of the heavy modules."""
    code = f"import sys, sim.cli; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"loaded at start: {out}"


def test_validate_loads_no_simulation_module():
    """``pathways validate`` checks a file with the scenario schema alone."""
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom sim.cli import app\n"
        "r = CliRunner().invoke(app, ['validate', 'baseline'])\nassert r.exit_code == 0, r.output\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"loaded by validate: {out}"
