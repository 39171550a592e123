"""The compiled copies of the model's hot modules (``sim.model.native``): the same numbers as the
plain modules, used only while they match the sources, and in use under CI.

The rest of the suite runs on whichever modules the process loaded (the compiled ones after
``make setup``); the tests here run the plain ones beside them, in fresh processes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.model import native

REPO = Path(__file__).resolve().parent.parent
UNDER_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")  # as scripts/test.sh reads it
built = pytest.mark.skipif(
    native.build_status() != "current" and not UNDER_CI,
    reason="the compiled modules are not built (make setup builds them; under CI this fails instead)",
)

# A digest of every record table of two years of every shipped scenario (their rules, unit types,
# matching and choice rules between them reach every module compiled) and of the M/M/c queue.
DIGEST = """
import hashlib, json, sys
from pathlib import Path
from sim.config.loading import load
from sim.model import HousingModel, native
digest = hashlib.sha256()
paths = [*sorted(Path("scenarios").glob("*.toml")), Path("scenarios/verification/mmc_rho090.toml")]
for seed, path in enumerate(paths, start=3):
    cfg = load(path)
    cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"years": 2.0})})
    model = HousingModel(cfg, seed=seed)
    model.run()
    digest.update(str(path).encode())
    for table in model.records._tables():
        for name, column in table.items():
            digest.update(name.encode() + repr(list(column)).encode())
print(json.dumps({"compiled": native.in_use(), "digest": digest.hexdigest()}))
"""


def _digest(pure: bool) -> dict[str, object]:
    env = {**os.environ, native.PURE_PYTHON: "1" if pure else ""}
    done = subprocess.run([sys.executable, "-c", DIGEST], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600, check=True)  # fmt: skip
    return json.loads(done.stdout)


@built
def test_the_compiled_and_the_plain_modules_give_identical_records() -> None:
    compiled, plain = _digest(pure=False), _digest(pure=True)
    assert compiled["compiled"] is True
    assert plain["compiled"] is False
    assert compiled["digest"] == plain["digest"]


@pytest.mark.skipif(not UNDER_CI, reason="outside CI the plain modules are allowed (no compiler, say)")
def test_under_ci_the_compiled_modules_are_built_and_in_use() -> None:
    assert native.build_status() == "current"
    assert native.ACTIVE
    assert native.in_use()


def test_a_build_is_current_only_for_the_sources_and_the_interpreter_it_was_made_from(tmp_path: Path) -> None:
    root, build = tmp_path / "src", tmp_path / "build"
    shutil.copytree(REPO / "sim", root / "sim", ignore=shutil.ignore_patterns("__pycache__", "_native*"))
    assert set(native.MODULES) < set(native.sources(root))
    build.mkdir()
    assert native.build_status(build, root) == "none"
    manifest = native.fingerprint(root)
    (build / native.MANIFEST).write_text(json.dumps(manifest))
    assert native.build_status(build, root) == "current"

    # A compiled module, and a module whose types the compiler read (the schema's), each make it stale.
    for changed in (native.MODULES[0], "sim/config/schema.py"):
        edited = root / changed
        edited.write_text(edited.read_text() + "\n# an edit\n")
        assert native.build_status(build, root) == "stale"
        shutil.copy(REPO / changed, edited)
        assert native.build_status(build, root) == "current"

    (build / native.MANIFEST).write_text(json.dumps({**manifest, "ext_suffix": ".cpython-399-elsewhere.so"}))
    assert native.build_status(build, root) == "stale"


def test_the_compiled_classes_hide_none_of_mesas_attributes() -> None:
    """An attribute assigned in a compiled class becomes the class's own: it must not hide one of
    Mesa's (``model.time`` is observable; assigned plainly in the compiled calendar it went silent)."""
    import inspect

    import mesa

    from sim.model import HousingModel
    from sim.model.person import Person

    for ours, mesas in ((HousingModel, mesa.Model), (Person, mesa.Agent)):
        for name in dir(mesas):
            theirs = inspect.getattr_static(mesas, name)
            if hasattr(type(theirs), "__set__"):  # a data descriptor: Mesa's code runs on assignment
                assert inspect.getattr_static(ours, name) is theirs, f"{ours.__name__}.{name} hides Mesa's"


@built
def test_an_edited_model_file_runs_as_written_not_its_old_compiled_copy(tmp_path: Path) -> None:
    shutil.copytree(REPO / "sim", tmp_path / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    probe = "from sim.model import native; print(native.ACTIVE, native.in_use())"
    env = {**os.environ, "PYTHONPATH": str(tmp_path), native.PURE_PYTHON: ""}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=120, check=True)  # fmt: skip

    assert run().stdout.split() == ["True", "True"]  # the copy's build matches the copy's sources
    clocks = tmp_path / "sim" / "model" / "clocks.py"
    clocks.write_text(clocks.read_text() + "\n# an edit\n")
    done = run()
    assert done.stdout.split() == ["False", "False"]
    assert "do not match the sources" in done.stderr
