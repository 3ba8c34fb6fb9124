"""The shape of backend/ (issue 16): no import cycle, and no file over 400 lines.

Read from the source with ``ast``, nothing imported. Every import counts: at module level,
under ``if TYPE_CHECKING:`` and inside functions. A type-only or deferred import still ties
the two files together for whoever reads or moves them, so a cycle through one is a cycle.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "backend"
#: Alembic's revisions are history: they are never edited, only added to.
MIGRATIONS = BACKEND / "db" / "migrations" / "versions"
MAX_LINES = 400


def _sources() -> list[Path]:
    return sorted(p for p in BACKEND.rglob("*.py") if MIGRATIONS not in p.parents)


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every ``backend.*`` module name a file imports, wherever the import stands."""
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            names.add(origin)
            # `from backend.rooms import core` imports the module backend.rooms.core.
            names.update(f"{origin}.{alias.name}" for alias in node.names)
    return {name for name in names if name == "backend" or name.startswith("backend.")}


def import_graph() -> dict[str, set[str]]:
    """Module -> the backend modules it imports (only names that are files of backend/)."""
    files = {_module_of(path): path for path in _sources()}
    graph = {}
    for module, path in files.items():
        source = path.read_text(encoding="utf-8")
        names = _imported(source, module, is_package=path.name == "__init__.py")
        graph[module] = {name for name in names if name in files and name != module}
    return graph


def test_the_reader_sees_imports_of_every_kind() -> None:
    source = """
import backend.a
from backend.b import thing
from . import sibling
from .c import other
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from backend.d import OnlyAType
def later():
    from backend.e import deferred
"""
    assert _imported(source, "backend.x.y") >= {
        "backend.a",
        "backend.b",
        "backend.x.sibling",
        "backend.x.c",
        "backend.d",
        "backend.e",
    }
    graph = import_graph()
    assert "backend.composition" in graph["backend.app"]
    assert graph["backend.parts"] >= {"backend.context", "backend.settings"}


def test_no_import_cycle_in_backend() -> None:
    sorter = graphlib.TopologicalSorter(import_graph())
    try:
        sorter.prepare()
    except graphlib.CycleError as error:
        cycle = error.args[1]
        pytest.fail("import cycle in backend/: " + " -> ".join(cycle))


def test_cycle_detection_finds_a_cycle() -> None:
    # The check above would pass on any graph if the sorter were used wrongly.
    sorter = graphlib.TopologicalSorter({"a": {"b"}, "b": {"c"}, "c": {"a"}})
    with pytest.raises(graphlib.CycleError):
        sorter.prepare()


def test_no_file_in_backend_over_400_lines() -> None:
    """Split a file by job before it grows past 400 lines (migrations excepted: history)."""
    long = {
        str(path.relative_to(ROOT)): n
        for path in _sources()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
