"""The shape of the package: stages in layers, imports only downwards, packages entered by their face.

docs/architecture.md describes the layers; this test keeps the code to them. Imports inside
functions count too: an import moved into a function to dodge a cycle is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kotodoc"

# From the ground floor up; a module may import from its own layer's other units only where the
# list says so (a package's own modules always may import each other).
LAYERS: list[set[str]] = [
    {"errors", "_version", "_languages", "_data", "_files", "_lazy", "_i18n", "_vocabulary"},
    {"load"},
    {"model"},
    {"rules"},
    {"context"},
    {"docx"},
    {"pdf"},
    {"run"},
    {"claim", "authoring", "_config"},
    {"serve"},
    {"_cli", "_entry", "__init__", "__main__"},
]
LAYER = {unit: n for n, units in enumerate(LAYERS) for unit in units}


def unit_of(module: str) -> str:
    """`kotodoc.load._careful` -> `load`; `kotodoc._files` -> `_files`; `kotodoc` -> `__init__`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imports(path: Path, module: str) -> set[str]:
    """The kotodoc modules `path` imports, anywhere in the file (functions included)."""
    out = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("kotodoc"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # a relative import: `from . import x` inside a package
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            if not base.startswith("kotodoc"):
                continue
            for alias in node.names:
                # `from kotodoc import _load` imports the module kotodoc._load
                candidate = f"{base}.{alias.name}"
                out.add(candidate if candidate in MODULES else base)
    return out


MODULES = modules()
GRAPH = {m: imports(p, m) & set(MODULES) for m, p in MODULES.items()}


def test_every_unit_has_a_layer() -> None:
    """This test ensures that every module and package of kotodoc is placed in a layer."""
    assert {unit_of(m) for m in MODULES} - set(LAYER) == set()


def test_no_import_runs_back_up() -> None:
    """This test ensures that a module imports only from its own unit or lower layers (the
    lazy `kotodoc/__init__.py` face and the entry point excepted: they sit on top)."""
    wrong = sorted(
        f"{m} -> {target}"
        for m, targets in GRAPH.items()
        for target in targets
        if unit_of(target) != unit_of(m) and LAYER[unit_of(target)] > LAYER[unit_of(m)]
    )
    assert wrong == []


def test_packages_are_entered_by_their_face() -> None:
    """This test ensures that a module outside a stage package imports the package itself, never one
    of its private modules."""
    wrong = sorted(
        f"{m} -> {target}"
        for m, targets in GRAPH.items()
        for target in targets
        if unit_of(target) != unit_of(m)
        and len(target.split(".")) > 2
        and target.split(".")[2].startswith("_")
        and unit_of(m) not in ("__init__",)  # the lazy top-level face names private homes
    )
    assert wrong == []


def test_no_import_cycle() -> None:
    """This test ensures that the module import graph has no cycle (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    # A package's face importing its own private modules, which import the face's siblings, is
    # not a cycle of kotodoc's design; only cycles between different modules' code count.
    real = [c for c in cycles if not all(unit_of(m) == unit_of(c[0]) for m in c)
            or any(m.endswith(tuple(f".{p}" for p in ("__init__",))) for m in c)]
    assert real == [] and cycles == []


@pytest.mark.parametrize("package", sorted({unit_of(m) for m in MODULES if m.count(".") >= 2}))
def test_each_stage_package_has_a_short_face(package: str) -> None:
    """This test ensures that each stage package names what it offers in `__all__`, and that the
    names exist."""
    import importlib

    face = importlib.import_module(f"kotodoc.{package}")
    assert face.__all__, package
    for name in face.__all__:
        assert hasattr(face, name), f"kotodoc.{package}.{name}"
