"""The defaults of the calibration and face-validity checks, in a module that loads nothing heavy.

The command line shows them in ``--help`` and as option defaults before it loads an experiment
(SciPy, Mesa), so ``pathways --help``, ``list`` and ``validate`` answer at once. Each experiment
module takes its default from here: one owner per value.
"""

from __future__ import annotations

from pathlib import Path

from sim.config import SCENARIO_DIR
from sim.files import RESULTS_DIR

#: The repository's root (``docs/`` and ``scenarios/`` are in it).
REPO = Path(__file__).resolve().parents[2]

#: Replications of the check runs (the baseline and ``housing_first``) and of a search's confirmations.
CHECK_REPLICATIONS = 20
#: The Latin hypercube's seed: the search is repeatable.
SEARCH_SEED = 20240917
#: How many of the screened points that met every band are confirmed, at most.
CONFIRM_CANDIDATES = 5
#: Where ``pathways calibrate --search`` saves the search's runs (``--search-dir``).
SEARCH_DIR = RESULTS_DIR / "calibration" / "search"
#: The shipped accepted set.
ACCEPTED_PATH = SCENARIO_DIR / "calibration" / "accepted.parquet"
#: The calibration report ``pathways calibrate`` writes.
CALIBRATION_REPORT = REPO / "docs" / "calibration.md"
#: The face-validity expectations shipped with the model.
SPEC_PATH = SCENARIO_DIR / "checks" / "face_validity.toml"
#: Replications of the committed face-validity table.
FULL_REPLICATIONS = 20
