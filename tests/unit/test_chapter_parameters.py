"""The parameters a run injects: the book's chapters pass the runner's checks.

Each chapter's ``.py`` source is read by the runner's own reader
(:func:`recbook_tools.runner.read_source`), as ``recbook-run --quick`` reads it; nothing is
executed.
"""

from __future__ import annotations

from pathlib import Path

from recbook_tools import runner

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parents[2]
SOURCES = runner.chapters(REPO / "notebooks")
EMBEDDINGS = REPO / "notebooks" / "06_memory_efficient_embeddings.py"


@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_every_chapter_injects_its_quick_parameters_into_its_parameters_cell(source):
    notebook = runner.read_source(source)
    quick = runner.quick_parameters(notebook, source)
    assert quick, f"{source.name} declares recbook.quick_parameters in its header"
    assert runner.injected_parameters(notebook, source, quick=True) == quick
    index = runner.parameters_cell(notebook, source)
    assert set(quick) <= set(runner.assigned_names(notebook, index, source))


def test_chapter_4_with_its_tag_lost_is_refused(tmp_path):
    lost = tmp_path / EMBEDDINGS.name
    text = EMBEDDINGS.read_text(encoding="utf-8")
    assert text.count('# %% tags=["parameters"]\n') == 1
    lost.write_text(text.replace('# %% tags=["parameters"]\n', "# %%\n"))
    notebook = runner.read_source(lost)
    with pytest.raises(
        runner.ParametersError,
        match=r"06_memory_efficient_embeddings.py: no cell is tagged exactly "
        r"'parameters' \(cell \d+ \(`variant = \"1m\"`\) assigns epochs, seeds",
    ):
        runner.injected_parameters(notebook, lost, quick=True)


def chapter(*cells, quick=None):
    """A notebook of code cells given as ``(source, tags)``, with quick parameters."""
    metadata = {} if quick is None else {"recbook": {"quick_parameters": quick}}
    return new_notebook(
        cells=[new_markdown_cell("# A chapter")]
        + [new_code_cell(source, metadata={"tags": tags}) for source, tags in cells],
        metadata=metadata,
    )


def test_assigned_names_are_the_cells_top_level_assignments():
    notebook = chapter(
        (
            "a = 1\nb, (c, *d) = 2, (3, 4)\ne: int = 5\nf += 1\ng[0] = 1\n"
            "if a:\n    h = 1\ndef i():\n    j = 1\na = 2",
            ["parameters"],
        )
    )
    assert runner.assigned_names(notebook, 1) == ["a", "b", "c", "d", "e", "f"]
    notebook.cells[1].source = "%time a = 1"
    with pytest.raises(
        runner.ParametersError,
        match=r"parameters cell 1 \(`%time a = 1`\) is not valid",
    ):
        runner.assigned_names(notebook, 1, "01_a.py")


def test_injected_parameters_are_the_quick_ones_then_the_given_ones():
    notebook = chapter(
        ("epochs = 30\nseeds = [0, 1, 2]", ["parameters"]), quick={"epochs": 1}
    )
    assert runner.injected_parameters(notebook, "01_a", quick=True) == {"epochs": 1}
    assert runner.injected_parameters(
        notebook, "01_a", quick=True, parameters={"epochs": 4, "seeds": [0]}
    ) == {"epochs": 4, "seeds": [0]}
    assert runner.injected_parameters(notebook, "01_a", quick=False) == {}
    # No quick parameters (the metadata absent): the quick run is the full run.
    bare = chapter(("epochs = 30", []))
    assert runner.injected_parameters(bare, "01_a", quick=True) == {}


def test_a_tag_near_parameters_is_named_and_two_tagged_cells_are_refused():
    for tag in ("parameter", "Parameters", "params", "PARAMETERS"):
        notebook = chapter(("x = 1", ["hide-input"]), ("epochs = 30", [tag]))
        with pytest.raises(
            runner.ParametersError,
            match=rf"01_a: no cell is tagged exactly 'parameters' \(cell 2 "
            rf"\(`epochs = 30`\) is tagged '{tag}'\)",
        ):
            runner.parameters_cell(notebook, "01_a")
    notebook = chapter(("epochs = 30", ["parameters"]), ("x = 1", ["parameters"]))
    with pytest.raises(
        runner.ParametersError,
        match=r"cell 1 \(`epochs = 30`\) and cell 2 \(`x = 1`\); papermill injects "
        r"after the first alone",
    ):
        runner.parameters_cell(notebook, "01_a")
    assert (
        runner.parameters_cell(chapter(("x = 1", []), ("y = 2", ["parameters"]))) == 2
    )
