"""Every chapter is a Jupytext pair whose two halves hold the same cells."""

from __future__ import annotations

from pathlib import Path

from recbook_tools import runner

import jupytext
import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCES = runner.chapters(REPO / "notebooks")


def cells(notebook):
    return [
        (c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", [])))
        for c in notebook.cells
    ]


@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_pair_is_in_sync(source):
    executed = source.with_suffix(".ipynb")
    assert executed.exists(), (
        f"{source.name} has no executed pair: run recbook-run {source.stem}"
    )
    assert cells(jupytext.read(executed)) == cells(jupytext.read(source)), (
        f"{executed.name} is out of sync with {source.name}: re-run recbook-run {source.stem}"
    )


@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_stored_notebook_is_fully_executed(source):
    notebook = jupytext.read(source.with_suffix(".ipynb"))
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "every code cell has run"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors


@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_chapter_has_parameters_and_quick_parameters(source):
    notebook = jupytext.read(source)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert runner.quick_parameters(notebook), "quick parameters in the .py header"
