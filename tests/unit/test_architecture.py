"""The house's rooms stay as built: no import cycle, a small tui/ top floor, no module past 500 lines.

The import graph is read by grimp (import-linter's own reader), which counts imports inside functions
and under ``TYPE_CHECKING`` too: a cycle hidden in either still ties two modules together.
"""

from __future__ import annotations

import ast

import grimp
import pytest

from tests.support.paths import ROOT

PACKAGES = ("tui", "feeds", "signals", "themes")
MAX_LINES = 500
MAX_TUI_TOP = 12


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def test_no_import_cycle_between_the_projects_modules(graph: grimp.ImportGraph) -> None:
    cycles = sorted(
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if graph.chain_exists(importer=imported, imported=importer)
    )
    assert not cycles, f"modules that import each other (directly or through others): {cycles}"


def test_tui_top_floor_holds_only_what_draws_and_no_sqlite() -> None:
    top = sorted(p.name for p in (ROOT / "tui").glob("*.py"))
    assert len(top) <= MAX_TUI_TOP, f"{len(top)} modules directly in tui/: {top}"
    for name in top:
        tree = ast.parse((ROOT / "tui" / name).read_text())
        imported = {
            a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
        }
        imported |= {
            (n.module or "").split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.level == 0
        }
        assert "sqlite3" not in imported, f"tui/{name} touches SQLite: that belongs in feeds/history"


def test_no_module_is_over_500_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (split them): {long}"
