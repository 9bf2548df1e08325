"""Which outputs nbval compares in a chapter's copy: all, or only the tagged ones."""

from __future__ import annotations

from recbook_tools import runner

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def chapter(parameters: str, quick: dict) -> nbformat.NotebookNode:
    return new_notebook(
        cells=[
            new_markdown_cell("# A chapter"),
            new_code_cell(parameters, metadata={"tags": ["parameters"]}),
            new_code_cell(
                "print(len(data))", metadata={"tags": ["nbval-check-output"]}
            ),
            new_code_cell("print(accuracy)"),
            new_code_cell(
                "print(a_timing)", metadata={"tags": ["nbval-ignore-output"]}
            ),
        ],
        metadata={"recbook": {"quick_parameters": quick}},
    )


def test_parameter_defaults_are_the_literal_assignments():
    notebook = chapter(
        'variant = "100k"\nseeds = [0, 1, 2]\nwhere = "a" if flag else "b"\nx, y = 1, 2',
        {},
    )
    assert runner.parameter_defaults(notebook) == {
        "variant": "100k",
        "seeds": [0, 1, 2],
    }


def test_quick_run_is_the_full_run_only_when_every_quick_value_is_the_default():
    assert runner.quick_is_full(
        chapter('variant = "100k"\nepochs = 30', {"variant": "100k"})
    )
    assert not runner.quick_is_full(
        chapter('variant = "100k"\nepochs = 30', {"epochs": 5})
    )
    assert not runner.quick_is_full(
        chapter('where = "a" if flag else "b"', {"where": "a"})
    )
