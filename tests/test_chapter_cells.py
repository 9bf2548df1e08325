"""Bookkeeping stays off the page: the cells that record a chapter's figures hold nothing
else and are removed from the rendered page (Jupyter Book's ``remove-cell`` tag), and
nothing else is removed. The stored notebooks keep the cells, and nbval still runs them.

Fast: reads the chapters' sources and stored notebooks, no kernel.
"""

from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.py"))
FILES = [p for source in NOTEBOOKS for p in (source, source.with_suffix(".ipynb"))]
RECORD = "glue.record("
REMOVED = "remove-cell"


def is_record(statement: ast.stmt) -> bool:
    """``glue.record(...)`` as a statement of its own."""
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and isinstance(statement.value.func, ast.Attribute)
        and statement.value.func.attr == "record"
        and isinstance(statement.value.func.value, ast.Name)
        and statement.value.func.value.id == "glue"
    )


def offending_lines(source: str) -> list[str]:
    """The statements of a cell that are not ``glue.record`` calls, first line each."""
    lines = source.splitlines()
    return [
        lines[statement.lineno - 1].strip()
        for statement in ast.parse(source).body
        if not is_record(statement)
    ]


def code_cells(path: Path) -> list[tuple[int, str, list[str]]]:
    notebook = jupytext.read(path)
    return [
        (number, cell.source, cell.metadata.get("tags", []))
        for number, cell in enumerate(notebook.cells, start=1)
        if cell.cell_type == "code"
    ]


def test_the_check_tells_records_from_other_code():
    assert offending_lines('glue.record("a", 1)\n# why\nglue.record("b", f(x))') == []
    assert offending_lines('x = f()\nglue.record("a", x)') == ["x = f()"]
    assert offending_lines('print(1)\nglue.record("a", 1)') == ["print(1)"]
    assert offending_lines('results.record("a", 1)') == ['results.record("a", 1)']


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_record_cells_hold_only_records_and_are_removed_from_the_page(path):
    problems = []
    for number, source, tags in code_cells(path):
        if RECORD not in source:
            continue
        others = offending_lines(source)
        if others:
            problems.append(
                f"cell {number} records figures but also runs {others}: move that "
                "code to a visible cell and keep only glue.record calls here"
            )
        if REMOVED not in tags:
            problems.append(
                f"cell {number} records figures but is not tagged {REMOVED}"
            )
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_only_record_cells_are_removed_from_the_page(path):
    """A removed cell hides its code from the reader: only bookkeeping may be removed."""
    hidden = [
        f"cell {number}: {offending_lines(source)}"
        for number, source, tags in code_cells(path)
        if REMOVED in tags and (RECORD not in source or offending_lines(source))
    ]
    assert not hidden, (
        f"{path.name} removes code that is not bookkeeping:\n" + "\n".join(hidden)
    )
