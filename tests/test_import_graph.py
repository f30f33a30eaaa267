"""The package's modules import one another in one direction: no cycle, lazy imports included."""

from __future__ import annotations

import ast
from pathlib import Path

import fastlinreg

PACKAGE = Path(fastlinreg.__file__).parent
MODULES = {p.stem for p in PACKAGE.glob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST):
    """Every node executed at some point: ``if TYPE_CHECKING:`` bodies are left out."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                stack.extend(child.orelse)
            else:
                stack.append(child)


def _targets(node: ast.AST) -> set[str]:
    """The package modules an import statement loads (``__init__`` for names of the package)."""
    if isinstance(node, ast.Import):
        parts = [alias.name.split(".") for alias in node.names]
        return {p[1] for p in parts if p[0] == "fastlinreg" and len(p) > 1}
    if not isinstance(node, ast.ImportFrom):
        return set()
    inside = node.level == 1 or (node.level == 0 and (node.module or "").startswith("fastlinreg"))
    if not inside:
        return set()
    dotted = (node.module or "").split(".")
    if node.level == 0:
        dotted = dotted[1:]
    if dotted and dotted[0]:
        return {dotted[0]}
    return {alias.name if alias.name in MODULES else "__init__" for alias in node.names}


def import_graph() -> dict[str, set[str]]:
    """Each module of the package, and the package modules it imports at run time."""
    graph = {}
    for name in MODULES:
        tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
        found = set().union(*(_targets(node) for node in _runtime_nodes(tree)))
        graph[name] = found - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the graph as a list of modules (first repeated last), or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_graph_sees_static_lazy_and_absolute_imports():
    graph = import_graph()
    assert {"_driver", "_outcome", "_chunked"} <= graph["_estimator"]
    assert "dask" in graph["_estimator"]  # imported inside fit, for Dask input
    assert "_estimator" not in graph["dask"]  # only under TYPE_CHECKING
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_the_package_modules():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle or [])
