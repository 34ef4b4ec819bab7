"""The package layout follows the data flow: no import cycles, no upstream imports, short modules.

Every import counts, type-only ones and those inside functions included, so a cycle cannot hide
behind ``TYPE_CHECKING`` or a local import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROUTE = Path(__file__).resolve().parents[1] / "route"

#: The layers, upstream first. A module may import its own layer and the ones before it.
LAYERS = (
    ("errors", "constants"),
    ("model",),
    ("io",),
    ("network",),
    ("solver",),
    ("routebook",),
    ("districts",),
    ("day",),
    ("output",),
    ("teaching",),
    ("cli",),
)
RANK = {part: i for i, parts in enumerate(LAYERS) for part in parts}
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROUTE.rglob("*.py")):
        parts = path.relative_to(ROUTE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every ``route`` module that ``name`` imports, wherever the import stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "route"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if module.split(".")[0] != "route":
                continue
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                found.add(sub if sub in MODULES else module)
    found.discard(name)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(name: str) -> int | None:
    parts = name.split(".")
    return RANK.get(parts[1]) if len(parts) > 1 else None


def test_every_package_has_a_layer():
    unplaced = [n for n in MODULES if n != "route" and _layer(n) is None]
    assert not unplaced, f"add these to LAYERS (and to docs/architecture.md): {unplaced}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n != "route"))
def test_no_module_imports_downstream(name):
    mine = _layer(name)
    assert mine is not None
    upstream = {
        dep
        for dep in GRAPH[name]
        if dep != "route" and (_layer(dep) or 0) > mine and not name.startswith(dep + ".")
    }
    assert not upstream, f"{name} imports downstream modules {sorted(upstream)}"
    assert "route" not in GRAPH[name] or name.startswith("route.cli"), (
        f"{name} imports the top-level package; import the module that defines the name"
    )


def test_no_import_cycles():
    # Tarjan's strongly connected components; any component of two or more is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH.get(v, ()):
            if w not in MODULES:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            # A package's __init__ importing its own modules is not a cycle unless they
            # import it back.
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(MODULES):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_short(name):
    n = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{MODULES[name]} has {n} lines (at most {MAX_LINES}): split it"


def test_the_checker_sees_a_cycle(tmp_path, monkeypatch):
    """The cycle check can fail: a hand-made cycle is found."""
    monkeypatch.setitem(GRAPH, "route.model.day", {*GRAPH["route.model.day"], "route.day.run"})
    with pytest.raises(AssertionError, match="import cycles"):
        test_no_import_cycles()


def test_declared_dependencies_are_what_route_imports():
    """pyproject.toml declares exactly the third-party packages that route/ imports."""
    import sys
    import tomllib

    project = tomllib.loads((ROUTE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {
        req.split(">")[0].split("=")[0].split("[")[0].strip().lower().replace("-", "_")
        for req in project["project"]["dependencies"]
    }
    optional = {"fast_tsp"}  # the non-reproducible tour engine, imported only when asked for
    imported: set[str] = set()
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "route"}
    assert third_party - optional == declared
