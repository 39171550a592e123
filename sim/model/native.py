"""Compiled copies of the model's hot modules, used only while they match the sources exactly.

A replication spends its time in Python work spread thinly over every event (the clocks, the
calendar, the people's transitions, the services, the records; ``docs/performance.md``).
``scripts/build_native.py`` (run by ``make setup``) compiles the modules in :data:`MODULES` with
mypyc, the compiler of typed Python that mypy ships, into ``sim/model/_native/``, and writes
there a manifest of the SHA-256 of every file the compiler read types from (:func:`sources`:
the model and the scenario schema). When ``sim.model`` is first imported, the compiled copies
are put first on the packages' search paths if, and only if, the manifest matches this
interpreter and every one of those files as it is now, and the compiled library loads;
otherwise the plain Python modules run, which give the same numbers (``tests/test_native.py``)
more slowly. So a file edited before a process starts runs as written until the next build.
The check is made once per process: a model file edited while a Python session runs (a notebook
with autoreload, say) takes effect in a new session, which then runs the plain modules until
``make setup`` compiles them again; compiled modules cannot be reloaded.

Set ``PATHWAYS_PURE_PYTHON=1`` to run the plain Python modules anyway (a profiler sees only those).

Compiled code differs from Python in a few ways that the model's code avoids (each found by a
test or by comparing records; ``docs/performance.md``, fifth round): a value typed ``float`` is
converted to one (an ``int`` passed to ``Calendar.schedule`` or ``run_until`` is stored as a
float; a tuple of a float and ints is typed, and converted, as floats), an attribute narrowed by
the type checker stays narrowed across calls, ``sum`` of a generator of floats adds plainly
(Python's ``sum`` compensates; sum lists, or ints), patching a module's function does not reach
compiled callers, arguments of compiled classes' types are checked, and an attribute assigned
in a compiled class is the class's own (``CalendarModel`` sets Mesa's observable ``time``
through ``setattr``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import sysconfig
import warnings
from importlib import import_module
from pathlib import Path

#: The modules compiled, as paths from the folder that holds ``sim`` (one list: the build
#: script reads it too).
MODULES = (
    "sim/model/allocation.py",
    "sim/model/calendar.py",
    "sim/model/clocks.py",
    "sim/model/events.py",
    "sim/model/hazards.py",
    "sim/model/housing_model.py",
    "sim/model/luck.py",
    "sim/model/person.py",
    "sim/model/records.py",
    "sim/model/states.py",
    "sim/model/stock.py",
    "sim/model/services/followup.py",
    "sim/model/services/housing_office.py",
    "sim/model/services/temporary.py",
    "sim/model/services/treatment.py",
)

#: The folder that holds the package ``sim``.
ROOT = Path(__file__).resolve().parents[2]
#: Where the build goes: the compiled modules under ``sim/...`` and the shared library beside.
BUILD = ROOT / "sim" / "model" / "_native"
MANIFEST = "manifest.json"
#: The group the modules are compiled as (``scripts/build_native.py``), and the module of its
#: shared library (mypyc names it after the group).
GROUP = "pathways_native"
LIBRARY = f"{GROUP}__mypyc"
#: Set (to anything but ``""`` or ``0``) to run the plain Python modules.
PURE_PYTHON = "PATHWAYS_PURE_PYTHON"


def sources(root: Path = ROOT) -> list[str]:
    """The files a build depends on, as paths from ``root``: every module of ``sim.model`` and
    ``sim.config`` (the compiler reads the types of what the compiled modules import, and the
    model imports nothing else of ``sim``: ``tests/test_layers.py``), and ``sim/__init__.py``.

    Args:
        root: The folder that holds ``sim``.
    """
    found = [p for d in ("sim/model", "sim/config") for p in (root / d).rglob("*.py") if "_native" not in p.parts]
    return sorted({"sim/__init__.py", *(p.relative_to(root).as_posix() for p in found)})


def fingerprint(root: Path = ROOT) -> dict[str, object]:
    """What a build must match: this interpreter's extension suffix, and each source's SHA-256.

    Args:
        root: The folder that holds ``sim``.
    """
    return {
        "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX"),
        "sources": {m: hashlib.sha256((root / m).read_bytes()).hexdigest() for m in sources(root)},
    }


def build_status(build: Path = BUILD, root: Path = ROOT) -> str:
    """``"current"``, ``"stale"`` (built, but a source or the interpreter changed since) or ``"none"``.

    Args:
        build: The build folder.
        root: The folder that holds the sources.
    """
    try:
        manifest = json.loads((build / MANIFEST).read_text())
    except (OSError, ValueError):
        return "none"
    return "current" if manifest == fingerprint(root) else "stale"


def _decide() -> bool:
    """Whether the compiled modules run in this process (decided once, at the first import)."""
    if os.environ.get(PURE_PYTHON, "") not in ("", "0"):
        return False
    status = build_status()
    if status == "stale":
        warnings.warn(
            f"the compiled model modules in {BUILD} do not match the sources (edited since the last "
            "build): running the plain Python modules, which give the same results more slowly; "
            "'make setup' (or 'python scripts/build_native.py') compiles them again",
            RuntimeWarning,
            stacklevel=3,
        )
    if status != "current":
        return False
    sys.path.append(str(BUILD))  # the shared library of the compiled modules (a top-level module)
    try:
        import_module(LIBRARY)
    except (ImportError, OSError) as error:
        sys.path.remove(str(BUILD))
        warnings.warn(f"the compiled model modules in {BUILD} do not load ({error}): running the plain "
                      "Python modules, which give the same results more slowly", RuntimeWarning, stacklevel=3)  # fmt: skip
        return False
    return True


ACTIVE = _decide()


def search_path(path: list[str], package: str) -> None:
    """Put the compiled copies of ``package``'s modules first on its search path, if they run.

    Called at the top of ``sim/model/__init__.py`` and ``sim/model/services/__init__.py``, before
    any of their modules is imported.

    Args:
        path: The package's ``__path__`` (changed in place).
        package: Its dotted name.
    """
    if ACTIVE:
        path.insert(0, str(BUILD.joinpath(*package.split("."))))


def in_use() -> bool:
    """Whether the model's hot modules run compiled in this process (imports them)."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    return all(str(import_module(m.removesuffix(".py").replace("/", ".")).__file__).endswith(suffix) for m in MODULES)
