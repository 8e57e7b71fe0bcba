"""The shape of course_lib: one-way imports (lazy ones included), no cycle, every module documented.

Layers, from the math up to the fronts (the package docstring says the same):

    passk, _checks  <-  softmax, symbolic, advantages  <-  bandit, lab  <-  viz  <-  doctor, cli

Chart and CLI modules may sit beside their chapter's code (``bandit/charts.py``, ``lab/cli.py``) and
import from it and from ``viz``; nothing imports them back except the fronts.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "course_lib"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every course_lib module (or package) that ``path`` imports, at top level or inside functions."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("course_lib")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("course_lib"):
                continue
            for alias in node.names:  # `from pkg import submodule` imports the submodule
                sub = f"{mod}.{alias.name}"
                found.add(
                    sub
                    if (PKG.parent / (sub.replace(".", "/") + ".py")).exists()
                    or (PKG.parent / sub.replace(".", "/")).is_dir()
                    else mod
                )
    found.discard(name)
    return found


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}
GRAPH = {name: _imports(path) for name, path in MODULES.items()}

MATH = ("course_lib.passk", "course_lib._checks", "course_lib.softmax", "course_lib.symbolic", "course_lib.advantages")
UPPER = (
    "course_lib.viz",
    "course_lib.lab",
    "course_lib.bandit",
    "course_lib.grading",
    "course_lib.cli",
    "course_lib.doctor",
)
FRONTS = ("charts", "cli", "widgets", "explorers")


def _under(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _heavy_imports(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    return set(
        re.findall(r"^\s*(?:import|from)\s+(altair|ipywidgets|anywidget|IPython|nbclient|nbformat)\b", text, re.M)
    )


def test_every_module_is_parsed():
    assert len(MODULES) > 30 and "course_lib.advantages.registry" in MODULES


def test_no_import_cycle():
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH.get(v, ()):
            if w not in MODULES:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in MODULES:
        if v not in index:
            visit(v)
    # a package __init__ re-exporting its submodules is not a cycle of ideas; anything else is
    cycles = [
        c
        for c in cycles
        if not all(m.startswith(c[0].rsplit(".", 1)[0]) for m in c)
        or not any(MODULES[m].name == "__init__.py" for m in c)
    ]
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize("module", [m for m in MODULES if _under(m, MATH)])
def test_math_imports_no_plotting_widgets_lab_grading_or_cli(module):
    upward = sorted(m for m in GRAPH[module] if _under(m, UPPER))
    assert not upward, f"{module} (math) imports {upward}"
    assert not _heavy_imports(MODULES[module]), f"{module} (math) imports {_heavy_imports(MODULES[module])}"


@pytest.mark.parametrize(
    "module",
    [m for m in MODULES if _under(m, ("course_lib.bandit", "course_lib.lab")) and m.rsplit(".", 1)[-1] not in FRONTS],
)
def test_simulators_import_no_charts_widgets_grading_or_cli(module):
    bad = sorted(
        m
        for m in GRAPH[module]
        if _under(m, ("course_lib.viz", "course_lib.grading", "course_lib.cli", "course_lib.doctor"))
        or m.rsplit(".", 1)[-1] in FRONTS
    )
    assert not bad, f"{module} imports {bad}"
    assert not _heavy_imports(MODULES[module]) - {"IPython"}, module


@pytest.mark.parametrize("module", [m for m in MODULES if _under(m, ("course_lib.viz",))])
def test_viz_imports_no_simulator_grading_or_cli(module):
    bad = sorted(
        m
        for m in GRAPH[module]
        if _under(m, ("course_lib.lab", "course_lib.bandit", "course_lib.grading", "course_lib.cli"))
    )
    assert not bad, f"{module} imports {bad}"


def test_chart_and_cli_modules_are_imported_only_by_fronts():
    for module, deps in GRAPH.items():
        for dep in deps:
            if dep.rsplit(".", 1)[-1] in ("charts", "cli") and dep != "course_lib.viz.charts":
                assert module.rsplit(".", 1)[-1] in FRONTS or module == "course_lib.cli", f"{module} imports {dep}"


def test_package_docstring_lists_every_module_and_subpackage():
    import course_lib

    doc = course_lib.__doc__
    for name in MODULES:
        parts = name.split(".")
        if len(parts) == 2 and parts[1] not in ("_checks", "__init__"):
            assert f"course_lib.{parts[1]}" in doc, f"course_lib's docstring does not list {name}"
        elif len(parts) == 3 and parts[1] != "grading" and not parts[2].startswith("_"):
            assert f"``{parts[2]}``" in doc or f"{parts[1]}.{parts[2]}" in doc, (
                f"course_lib's docstring does not list {name}"
            )
