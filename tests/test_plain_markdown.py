"""A chapter's markdown is plain: Colab and JupyterLab show MyST directives and roles raw.

Every markdown cell of every chapter is parsed for a MyST directive (```` ```{name} ````,
``:::{name}``), a role (``{name}`text` ``) and a MyST target (``(label)=``). Code a
chapter teaches lives in its code cells; figures the prose quotes come from code-cell
output; citations are links.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CHAPTERS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))

DIRECTIVE = re.compile(r"^\s*(?:`{3,}|~{3,}|:{3,})\s*\{[\w:.-]+\}", re.MULTILINE)
ROLE = re.compile(r"\{[\w:.-]+\}`[^`]*`")
TARGET = re.compile(r"^\s*\([\w:.-]+\)=\s*$", re.MULTILINE)

NOT_YET_PLAIN: dict[str, str] = {}
"""Chapters still to be converted (issue: notebook-first chapters), with what they hold.
The test below fails as soon as one of them is plain, so that it leaves this list."""


def myst_in(text: str) -> list[str]:
    """The MyST directives, roles and targets in a piece of markdown, as written."""
    return [
        m.group(0).strip() for p in (DIRECTIVE, ROLE, TARGET) for m in p.finditer(text)
    ]


def myst_in_chapter(source: Path) -> list[str]:
    notebook = jupytext.read(source)
    return [
        f"cell {index}: {found}"
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "markdown"
        for found in myst_in(cell.source)
    ]


@pytest.mark.parametrize("source", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_markdown_holds_no_myst_directive_or_role(source):
    found = myst_in_chapter(source)
    if source.stem in NOT_YET_PLAIN:
        assert found, f"{source.stem} is plain now: remove it from NOT_YET_PLAIN"
        return
    assert not found, (
        f"{source.name} shows these raw in Colab and JupyterLab:\n" + "\n".join(found)
    )


@pytest.mark.parametrize(
    "text",
    [
        "```{literalinclude} ../src/recbook/x.py\n:pyobject: f\n```",
        ":::{note}\nA note.\n:::",
        "Only {glue:text}`density:.1%` are rated.",
        "As shown {cite}`harper2015movielens`.",
        "See {numref}`fig-two-towers`.",
        "(sec-split)=\n## The split",
        "~~~{code-cell} python\nx = 1\n~~~",
    ],
)
def test_the_check_finds_myst(text):
    assert myst_in(text)


@pytest.mark.parametrize(
    "text",
    [
        "```python\nx = {'a': 1}\n```",
        "A dict `{k: v}` and maths $\\{x\\}$.",
        "[Harper and Konstan, 2015](https://doi.org/10.1145/2827872)",
        "$$s(u, i) = q(u)^\\top c(i),$$",
    ],
)
def test_plain_markdown_passes(text):
    assert not myst_in(text)
