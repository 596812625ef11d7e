"""The code's layers import downwards only, and no files import each other in a circle.

core (``studio``) ← ``questions`` ← ``live``; the project package (``socialroom``) wires them and
is imported by no app. Every import counts, at the top of a file or inside a function. Tests and
migrations are left out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Lowest first: a package may import its own layer and the ones below it, never one above.
LAYERS = ("studio", "questions", "live", "reports", "socialroom")


def modules(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if "migrations" in parts or "tests" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The first-party modules ``name`` imports: ``from a import b`` is module ``a.b`` when that
    is a module, else ``a``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for alias in node.names:
                if f"{source}.{alias.name}" in known:
                    yield f"{source}.{alias.name}"
                elif source in known:
                    yield source


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, set[str]]:
    known = modules(root, packages)
    return {
        name: {target for target in imported(name, path, known) if target != name}
        for name, path in known.items()
    }


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def upward_imports(graph: dict[str, set[str]], layers: tuple[str, ...]) -> list[str]:
    rank = {package: n for n, package in enumerate(layers)}
    return sorted(
        f"{source} imports {target}"
        for source, targets in graph.items()
        for target in targets
        if rank[target.split(".")[0]] > rank[source.split(".")[0]]
    )


def test_no_layer_imports_a_layer_above_it():
    assert upward_imports(import_graph(ROOT, LAYERS), LAYERS) == []


def test_no_files_import_each_other_in_a_circle():
    assert circles(import_graph(ROOT, LAYERS)) == []


def test_no_two_apps_import_each_other():
    graph = import_graph(ROOT, LAYERS)
    app_graph: dict[str, set[str]] = {}
    for source, targets in graph.items():
        for target in targets:
            if source.split(".")[0] != target.split(".")[0]:
                app_graph.setdefault(source.split(".")[0], set()).add(target.split(".")[0])
    assert circles(app_graph) == []
    assert "socialroom" not in set().union(*app_graph.values())


# The checks themselves, on a small tree with the faults they look for.


@pytest.fixture
def faulty_tree(tmp_path: Path) -> Path:
    files = {
        "low/__init__.py": "",
        "low/models.py": "def f():\n    from high import views\n",  # upwards, in a function
        "low/a.py": "from . import b\n",
        "low/b.py": "from low.a import thing\n",  # a ⇄ b
        "low/migrations/__init__.py": "",
        "low/migrations/0001.py": "from high import views\n",  # ignored
        "high/__init__.py": "",
        "high/views.py": "import low.models\nfrom low import a\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_the_walk_finds_an_upward_import_inside_a_function(faulty_tree):
    graph = import_graph(faulty_tree, ("low", "high"))
    assert upward_imports(graph, ("low", "high")) == ["low.models imports high.views"]


def test_the_walk_finds_a_circle_of_relative_imports(faulty_tree):
    graph = import_graph(faulty_tree, ("low", "high"))
    assert ["low.a", "low.b"] in circles(graph)
    assert ["high.views", "low.models"] in circles(graph)
