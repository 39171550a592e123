"""The notebooks in notebooks/ run top to bottom (quick mode) and show every figure they draw.

They are executed as a student runs them in Jupyter: with the kernel's own (inline) matplotlib
backend, not a forced ``Agg``, so a figure that would not appear for a student fails the test.
Every cell that draws a figure is tagged ``figure`` by ``notebooks/build.py`` and must have an
``image/png`` output.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

FOLDER = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
FIGURE_TAG = "figure"
#: Code that draws or shows a figure: a cell containing it must carry the ``figure`` tag.
DRAWS = re.compile(r"plt\.(show|subplots|figure)\(|\.plot\(|display\(Image\(")


def _is_figure_cell(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and FIGURE_TAG in cell.metadata.get("tags", [])


def _build_module():
    """notebooks/build.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("notebooks_build", FOLDER / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_there_are_three_notebooks():
    """The three notebooks of the course exist."""
    assert [p.name for p in NOTEBOOKS] == [
        "01_first_run.ipynb",
        "02_policy_tradeoffs.ipynb",
        "03_sweeps_and_sensitivity.ipynb",
    ]


def test_notebooks_are_built_from_build_py():
    """The stored notebooks are what build.py writes: the cells' sources and tags agree."""
    build = _build_module()
    for name, cells in [
        ("01_first_run.ipynb", build.FIRST),
        ("02_policy_tradeoffs.ipynb", build.SECOND),
        ("03_sweeps_and_sensitivity.ipynb", build.THIRD),
    ]:
        stored = nbformat.read(FOLDER / name, as_version=4).cells
        assert [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in stored] == [
            (c.cell_type, c.source, c.metadata.get("tags", [])) for c in cells
        ], f"{name} differs from notebooks/build.py; run .venv/bin/python notebooks/build.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    """Notebooks are committed clean: no outputs, no execution counts."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name} has outputs; rebuild it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_cells_that_draw_are_tagged(path):
    """Every cell that draws or shows a figure carries the ``figure`` tag, so the run below checks it."""
    nb = nbformat.read(path, as_version=4)
    untagged = [c.id for c in nb.cells if c.cell_type == "code" and DRAWS.search(c.source) and not _is_figure_cell(c)]
    assert not untagged, f"{path.name}: cells {untagged} draw a figure but are not tagged {FIGURE_TAG!r} in build.py"
    assert any(_is_figure_cell(c) for c in nb.cells), f"{path.name} has no figure cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_shows_its_figures(path, monkeypatch):
    """Execute the notebook in a fresh kernel from notebooks/, as in Jupyter (inline backend).

    Fails on any failing cell, and on any cell tagged ``figure`` without an ``image/png`` output
    (a figure that a student would not see).
    """
    monkeypatch.setenv("NOTEBOOK_QUICK", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel picks its inline backend, as for a student
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert os.environ["NOTEBOOK_QUICK"] == "1"
    figures = [c for c in nb.cells if _is_figure_cell(c)]
    assert figures, f"{path.name} has no cell tagged {FIGURE_TAG!r}"
    blank = [
        f"{c.id} ({c.source.splitlines()[0]!r})"
        for c in figures
        if not any("image/png" in o.get("data", {}) for o in c.outputs)
    ]
    assert not blank, f"{path.name}: these figure cells showed no image: {', '.join(blank)}"
