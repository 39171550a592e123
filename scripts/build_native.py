"""Compile the model's hot modules with mypyc into ``sim/model/_native`` (see ``sim/model/native.py``).

Usage (from the project folder; ``make setup`` runs it)::

    .venv/bin/python scripts/build_native.py [--force]

Does nothing, quietly, if the build matches the sources and this interpreter. Otherwise compiles the
modules of ``sim.model.native.MODULES`` (mypy's mypyc and a C compiler, under a minute),
then replaces the build folder and its manifest in one step. If it cannot compile (no mypy, no
C compiler), it says why and exits with 1; the plain Python modules then run, with the same
results, and the same sources are not tried again without ``--force`` (``sim/model/_native.failed``).
The compiler's output goes to ``sim/model/_native.log``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ["PATHWAYS_PURE_PYTHON"] = "1"  # this process reads the sources only, never the build
sys.path.insert(0, str(REPO))

from sim.model import native

# mypy's options for the compilation: Mesa, pandas and the like have no type information.
MYPY_OPTIONS = ("--ignore-missing-imports", "--follow-imports=silent")


def compile_into(out: Path, work: Path) -> None:
    """Run in a child process (the compiler's output goes to the log): build into ``out``."""
    from mypyc.build import mypycify
    from setuptools import setup

    os.chdir(REPO)  # mypy names the modules from paths relative to the folder that holds ``sim``
    extensions = mypycify(
        [*MYPY_OPTIONS, "--cache-dir", str(work / "mypy_cache"), *native.MODULES],
        opt_level="3",
        group_name=native.GROUP,
        target_dir=str(work / "c"),
    )
    setup(
        name="pathways-native",
        ext_modules=extensions,
        script_args=["build_ext", "--build-lib", str(out), "--build-temp", str(work / "temp")],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="compile even if the build is current")
    parser.add_argument("--compile-into", nargs=2, metavar=("OUT", "WORK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.compile_into:
        compile_into(Path(args.compile_into[0]), Path(args.compile_into[1]))
        return 0

    if native.build_status() == "current" and not args.force:
        return 0  # quietly: ``make setup`` runs this every time
    fingerprint = native.fingerprint()  # of the sources as they are before compiling them
    manifest = json.dumps(fingerprint, indent=1, sort_keys=True) + "\n"
    log = native.BUILD.with_suffix(".log")
    failed = native.BUILD.with_suffix(".failed")  # the fingerprint of the sources that failed to compile
    if failed.is_file() and failed.read_text() == manifest and not args.force:
        print(f"build_native: these sources did not compile before ({log.relative_to(REPO)}): the plain Python "
              "modules run; --force tries again", file=sys.stderr)  # fmt: skip
        return 1
    try:
        import mypyc  # noqa: F401
    except ImportError:
        print("build_native: mypy (which has mypyc) is not installed: the plain Python modules run "
              "('pip install -e .[dev]' installs it)", file=sys.stderr)  # fmt: skip
        return 1
    print(f"build_native: compiling {len(native.MODULES)} model modules with mypyc (under a minute)")
    start = time.monotonic()
    # Built beside the build it replaces (the same file system), the manifest written last, then
    # swapped in by renaming: a reader sees the old build, none, or the whole new one.
    new = native.BUILD.with_name(f"{native.BUILD.name}.new-{os.getpid()}")
    old = native.BUILD.with_name(f"{native.BUILD.name}.old-{os.getpid()}")
    shutil.rmtree(new, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="pathways-native-") as tmp, log.open("w") as sink:
        done = subprocess.run(
            [sys.executable, __file__, "--compile-into", str(new), tmp],
            stdout=sink, stderr=subprocess.STDOUT, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        shutil.rmtree(new, ignore_errors=True)
        failed.write_text(manifest)
        print("\n".join(log.read_text().splitlines()[-25:]), file=sys.stderr)
        print(f"build_native: compiling failed (full output in {log.relative_to(REPO)}): the plain "
              "Python modules run, with the same results, more slowly", file=sys.stderr)  # fmt: skip
        return 1
    (new / native.MANIFEST).write_text(manifest)
    if native.BUILD.exists():
        native.BUILD.rename(old)
    new.rename(native.BUILD)
    shutil.rmtree(old, ignore_errors=True)
    failed.unlink(missing_ok=True)
    print(f"build_native: done in {time.monotonic() - start:.0f} s ({native.BUILD.relative_to(REPO)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
