"""The domains of ``service/`` import each other without a cycle (docs/architecture.md).

Reads every import in service/**/*.py with ``ast`` (module level, inside functions, and under
``TYPE_CHECKING`` alike) and builds the graph between the domain packages.
"""

from __future__ import annotations

import ast
from itertools import pairwise
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[2] / "service"


def domains(root: Path) -> set[str]:
    """The domain packages: the sub-packages of ``service`` (migrations are not a domain)."""
    return {p.parent.name for p in root.glob("*/__init__.py")} - {"migrations"}


def imported_modules(tree: ast.AST) -> list[str]:
    """Every module an ``import`` or ``from ... import`` names, wherever it sits in the file."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


Graph = dict[str, dict[str, str]]  # domain -> imported domain -> a file making that edge


def domain_graph(root: Path) -> Graph:
    """Domain -> the other domains its modules import."""
    known = domains(root)
    graph: Graph = {name: {} for name in known}
    for path in sorted(root.glob("*/**/*.py")):
        source = path.relative_to(root).parts[0]
        if source not in known:
            continue
        for module in imported_modules(ast.parse(path.read_text(), filename=str(path))):
            parts = module.split(".")
            if parts[0] == "service" and len(parts) > 1 and parts[1] in known - {source}:
                graph[source].setdefault(parts[1], str(path.relative_to(root)))
    return graph


def find_cycle(graph: Graph) -> list[str]:
    """One cycle as its edges ("a -> b (file)"), or [] when there is none (depth-first)."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" once explored
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                loop = [*path[path.index(nxt) :], nxt]
                return [f"{a} -> {b} ({graph[a][b]})" for a, b in pairwise(loop)]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = "done"
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_the_domains_of_service_import_each_other_without_a_cycle():
    graph = domain_graph(SERVICE)
    assert {"contacts", "decisions", "reviews", "auth", "audit"} <= set(graph)
    assert "contacts" in graph["decisions"] and "decisions" in graph["reviews"]
    assert find_cycle(graph) == []


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize(
    "importing",
    [
        "from service.reviews.tables import Review\n",  # module level
        "def later():\n    from service.reviews import service\n",  # inside a function
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import service.reviews\n",
    ],
)
def test_a_cycle_is_found_wherever_the_import_sits(tmp_path, importing):
    for package in ("contacts", "decisions", "reviews"):
        write(tmp_path, f"{package}/__init__.py", "")
    write(tmp_path, "decisions/service.py", "from service.contacts import service\n")
    write(tmp_path, "reviews/service.py", "from service.decisions.service import decide\n")
    assert find_cycle(domain_graph(tmp_path)) == []
    write(tmp_path, "decisions/router.py", importing)
    cycle = find_cycle(domain_graph(tmp_path))
    assert "decisions -> reviews (decisions/router.py)" in cycle
    assert "reviews -> decisions (reviews/service.py)" in cycle
