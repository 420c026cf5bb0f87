"""The package's layers stay layers: imports only go down, the core never loads Sphinx, no cycles.

Layers, from the bottom: ``_version``; ``core`` (model, reader, writer, rules, selection);
``cache``; ``awesome``; ``cli``; ``sphinx``; the package's ``__init__`` (the registration
table).  Every import counts, the ones inside functions too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import sphinx_tc_ext

PACKAGE = Path(sphinx_tc_ext.__file__).parent
LAYERS = ("_version", "core", "cache", "awesome", "cli", "sphinx", "__init__")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    rest = module.split(".")[1:] if module != "sphinx_tc_ext" else ["__init__"]
    return LAYERS.index(rest[0] if rest else "__init__")


def imports(path: Path) -> set[str]:
    """Every package module ``path`` imports (absolute or relative, at the top or inside a function)."""
    found: set[str] = set()
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("sphinx_tc_ext"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            if not base.startswith("sphinx_tc_ext"):
                continue
            for alias in node.names:  # `from pkg import module` imports the module
                candidate = f"{base}.{alias.name}"
                found.add(candidate if (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists()
                          or (PACKAGE.parent / candidate.replace(".", "/")).is_dir() else base)
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {name: {m for m in imports(path) if m != name} for name, path in MODULES.items()}
#: Upward imports still to be removed (issue 16, in progress): this list only shrinks.
KNOWN_DEBT = {
}
KNOWN_CYCLES: set[tuple[str, str]] = set()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_only_go_down(name):
    upward = sorted(m for m in GRAPH[name] if layer(m) > layer(name) and (name, m) not in KNOWN_DEBT)
    assert not upward, f"{name} (layer {LAYERS[layer(name)]}) imports from a higher layer: {upward}"


def test_known_debt_is_still_there():
    """A removed upward import or cycle comes off the lists, so they never hide a new one."""
    gone = [(a, b) for a, b in KNOWN_DEBT if b not in GRAPH.get(a, ())]
    gone += [(a, b) for a, b in KNOWN_CYCLES if b not in GRAPH.get(a, ()) or a not in GRAPH.get(b, ())]
    assert not gone, f"fixed, take them off the lists: {gone}"


def test_no_import_cycles():
    done: set[str] = set()
    path: list[str] = []

    def visit(name: str) -> None:
        if name in path:
            cycle = [*path[path.index(name):], name]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if name in done or name not in GRAPH:
            return
        path.append(name)
        for target in sorted(GRAPH[name]):
            if tuple(sorted((name, target))) not in KNOWN_CYCLES:
                visit(target)
        path.pop()
        done.add(name)

    for name in sorted(GRAPH):
        visit(name)


def test_core_loads_neither_sphinx_nor_docutils():
    core = sorted(m for m in MODULES if layer(m) <= LAYERS.index("core"))
    code = ("import sys\n" + "".join(f"import {m}\n" for m in core)
            + "print(sorted({n.split('.')[0] for n in sys.modules} & {'sphinx', 'docutils'}))\n")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]", f"importing the core loads {loaded.strip()}"
