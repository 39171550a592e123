"""The package layout: imports point one way, down the stages the data flows through.

scenario (``sim.config``, with ``sim.files``) -> one replication (``sim.model``) -> measures
(``sim.measures``) -> many runs (``sim.experiments``) -> figures and reports (``sim.reports``) ->
the faces (``sim.cli``, ``sim.api``, ``sim.app``). A module may import from its own stage and the
stages below it, never from a stage above; no two modules import each other, directly or round a
circle (imports under ``if TYPE_CHECKING:`` are for type hints only and do not count). No module
reaches for another module's private names. See ``docs/architecture.md``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

SIM = Path(__file__).resolve().parent.parent / "sim"

#: The stages, bottom first; a module belongs to the first prefix it starts with.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("sim.config", "sim.files"),
    ("sim.model",),
    ("sim.measures",),
    ("sim.experiments",),
    ("sim.reports",),
    ("sim.cli", "sim.api", "sim.app", "sim.__init__", "sim.__main__"),
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    if parts[-1] == "__init__" and len(parts) > 2:
        parts = parts[:-1]
    return ".".join(parts)


def _layer(module: str) -> int:
    for level, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return level
    raise AssertionError(f"{module} belongs to no stage of LAYERS: add it to tests/test_layers.py")


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, modules: set[str]) -> list[tuple[str, list[str], int]]:
    """(imported sim module, names taken from it, line) for every import that runs."""
    found: list[tuple[str, list[str], int]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("sim"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                if sub in modules:  # ``from sim.model import hazards``: the module itself
                    found.append((sub, [], node.lineno))
                else:
                    found.append((node.module, [alias.name], node.lineno))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, [], node.lineno) for alias in node.names if alias.name.startswith("sim"))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _graph() -> tuple[nx.DiGraph, dict[str, list[tuple[str, list[str], int]]]]:
    paths = {_module_name(p): p for p in SIM.rglob("*.py")}
    modules = set(paths)
    graph = nx.DiGraph()
    imports = {}
    for name, path in paths.items():
        graph.add_node(name)
        imports[name] = _imports(ast.parse(path.read_text(encoding="utf-8")), modules)
        for target, _names, _line in imports[name]:
            if target in modules and target != name:
                graph.add_edge(name, target)
    return graph, imports


GRAPH, IMPORTS = _graph()


def test_every_module_belongs_to_a_stage():
    for module in GRAPH:
        _layer(module)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down_the_stages(module):
    level = _layer(module)
    upward = [
        f"line {line}: {target} ({LAYERS[_layer(target)][0]})"
        for target, _names, line in IMPORTS[module]
        if target in GRAPH and _layer(target) > level
    ]
    assert not upward, f"{module} ({LAYERS[level][0]}) imports from a later stage: {upward}"


def test_no_import_cycles():
    cycles = list(nx.simple_cycles(GRAPH))
    assert not cycles, f"import cycles (outside TYPE_CHECKING): {cycles}"


def test_no_private_names_across_modules():
    offenders = []
    for module, found in IMPORTS.items():
        for target, names, line in found:
            package = target.rpartition(".")[0]
            if package and module.startswith(package + "."):
                continue  # a package's own modules may share its private helpers
            offenders += [f"{module}:{line} takes {target}.{n}" for n in names if n.startswith("_")]
    for path in SIM.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim")
            for alias in node.names
            if f"{node.module}.{alias.name}" in GRAPH
        }
        offenders += [
            f"{_module_name(path)}:{node.lineno} reads {node.value.id}.{node.attr}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
        ]
    assert not offenders, "private names used across modules:\n" + "\n".join(offenders)


def test_the_layer_rule_catches_an_upward_import(tmp_path):
    """The checker itself: an import from a later stage is seen (and one under TYPE_CHECKING is not)."""
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "from sim.experiments.replications import RunResult\n"
        "if TYPE_CHECKING:\n    from sim.reports.run_figures import write_figures\n"
    )
    found = _imports(tree, set(GRAPH))
    assert [t for t, _n, _l in found] == ["sim.experiments.replications"]
    assert _layer("sim.model.person") < _layer("sim.experiments.replications")
