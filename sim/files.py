"""Results folders: where they are, whether one may be (re)written, and writing one all or nothing.

Files are written into a hidden folder beside the target and moved into place only when every
file is written, so a failed or interrupted run leaves no partial output. One file is written
the same way by :func:`atomic_write`: through a hidden temporary file moved into place.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

RESULTS_DIR = Path(__file__).resolve().parent.parent / "results"


def default_out_dir(scenario_name: str, set_args: list[str] | None = None) -> Path:
    """``results/<scenario name>``; with ``--set`` overrides, ``results/<scenario name>+<hash>``,
    so a changed scenario never overwrites the unchanged one's results (the hash is the first 8
    hex digits of SHA-256 over the overrides, sorted: the same overrides give the same folder)."""
    if not set_args:
        return RESULTS_DIR / scenario_name
    digest = hashlib.sha256("\n".join(sorted(set_args)).encode("utf-8")).hexdigest()[:8]
    return RESULTS_DIR / f"{scenario_name}+{digest}"


def _folder_mode() -> int:
    """The mode a new folder gets from the user's umask (``tempfile.mkdtemp`` makes it 0700:
    colleagues on a shared drive could not open the results)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o777 & ~mask


def check_out_dir(out: Path, marker: str = "summary.json", what: str = "results") -> str | None:
    """Why ``out`` cannot be (re)written, or ``None`` if it can.

    A run replaces its output folder, so the folder must be new, empty, or an earlier run's
    output (it has a ``marker`` file): ``--out .`` must never wipe a project.

    Args:
        out: The folder to be (re)written.
        marker: The file whose presence marks a folder as earlier output of the same kind
            (``summary.json`` for a run, ``manifest.json`` for a sweep). Only its presence is
            checked, not what it holds.
        what: What the folder is for, named in the message about a file in the way.

    Returns:
        The reason, to follow the folder's name in a message, or ``None``.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        return f"exists and is a file, not a folder; choose a folder for the {what}"
    if out.is_dir() and any(out.iterdir()) and not (out / marker).is_file():
        return f"is a folder with other files in it (no {marker}); choose a new or empty folder"
    return None


@contextmanager
def replace_folder(out: Path, marker: str = "summary.json") -> Iterator[Path]:
    """Yield a staging folder beside ``out``; on success it replaces ``out``, on any error it is removed.

    Raises:
        ValueError: ``out`` is a file, or a folder with other files in it (see :func:`check_out_dir`).
    """
    out = Path(out).resolve()
    problem = check_out_dir(out, marker=marker)
    if problem:
        raise ValueError(f"{out} {problem}")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        staging.chmod(_folder_mode())
        yield staging
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write the file ``path`` whole or not at all.

    ``write`` gets a binary file open on a hidden temporary file in the same folder
    (``.<name>.<pid>.tmp``); once it returns, the file is flushed to disk and moved onto ``path``
    with ``os.replace``. On any error the temporary file is removed and ``path`` is untouched.
    The folder must exist.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
