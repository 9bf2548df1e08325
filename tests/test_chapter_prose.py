"""Prose that cannot outrun its evidence (chapters 3 to 7).

A paragraph of a chapter that compares models ("leads", "beats", "helps", "better",
"within", ...) must take the comparison from a computed one: it is the last paragraph
of its markdown cell and introduces, with its final colon, the code cell below it that
computes and prints the comparison; or it is one of the chapter's answers
(``**Answer.** ...`` or a "What we learned" bullet) registered with the verdict it
states in ``tests/claims.py``. A sentence that a code cell writes
(``display(Markdown(f"..."))``, its figures the chapter's variables) is computed, not
typed: it is not a markdown paragraph and is not checked here. Otherwise a rerun whose
figures change would leave the sentence standing.
"""

from __future__ import annotations

import re
from pathlib import Path

from recbook import records

import jupytext
import pytest
from claims import CLAIMS

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CHAPTERS = (
    records.RETRIEVAL_CHAPTER,
    records.SOFTMAX_CHAPTER,
    records.TRAINING_CHAPTER,
    records.EMBEDDINGS_CHAPTER,
    records.TUNED_CHAPTER,
)
COMPARATIVE = re.compile(
    r"\b(leads?|beats?|beaten|helps?|better|worse|within|outside|trails?|"
    r"ahead of (?:the|every|all|it)|behind|outperforms?|higher than|lower than|"
    r"more than any|less than)\b",
    re.IGNORECASE,
)
REGISTERED = {claim.sentence for claim in CLAIMS}


def paragraphs(chapter: str) -> list[tuple[str, bool]]:
    return paragraphs_of(jupytext.read(NOTEBOOKS / f"{chapter}.py").cells)


def paragraphs_of(cells: list) -> list[tuple[str, bool]]:
    """Each paragraph of the markdown cells (whitespace folded), and whether it
    introduces a code cell: it ends its markdown cell, and a code cell follows."""
    found = []
    for index, cell in enumerate(cells):
        if cell.cell_type != "markdown":
            continue
        text = re.sub(r"```.*?```", "", cell.source, flags=re.DOTALL)  # listings
        blocks = [" ".join(b.split()) for b in re.split(r"\n\s*\n|\n(?=- )", text)]
        blocks = [block for block in blocks if block]
        code_below = index + 1 < len(cells) and cells[index + 1].cell_type == "code"
        for number, block in enumerate(blocks):
            found.append((block, code_below and number == len(blocks) - 1))
    return found


def unbacked(paragraph: str, introduces_code: bool = True) -> bool:
    # Code, maths and quoted names are not claims.
    plain = re.sub(r"`[^`]*`|\$\$.*?\$\$|\$[^$]*\$", "", paragraph)
    if not COMPARATIVE.search(plain):
        return False
    # A heading or a question asks; it claims nothing.
    if paragraph.startswith("#") or paragraph.rstrip().endswith("?"):
        return False
    answer = paragraph.removeprefix("**Answer.**").removeprefix("- ").strip()
    if answer in REGISTERED:
        return False
    return not (introduces_code and paragraph.rstrip().endswith(":"))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_comparative_paragraph_is_backed_by_a_computed_comparison(chapter):
    loose = [p for p, introduces in paragraphs(chapter) if unbacked(p, introduces)]
    assert not loose, "comparisons not backed by a record:\n\n" + "\n\n".join(loose)


def test_the_check_finds_an_unbacked_claim():
    assert unbacked("The deep towers beat the shallow ones.")
    # A glued figure backs nothing now: chapters show no MyST role.
    assert unbacked("The towers reach {glue:text}`best_top100:.3f`, better.")
    assert not unbacked("Against the MSE towers, by the same rule:")
    # A colon backs a comparison only when a code cell follows.
    claim = "The deep towers beat the shallow ones, by the same rule:"
    assert not unbacked(claim)
    assert unbacked(claim, introduces_code=False)
    assert not unbacked("Hashing maps ids to `n / ratio` rows.")
    assert not unbacked("## Does depth help once tuned?")


def test_a_colon_introduces_only_the_code_cell_right_below():
    from nbformat.v4 import new_code_cell, new_markdown_cell

    claim = "The deep towers beat the shallow ones, by the same rule:"
    cells = [
        new_markdown_cell(f"{claim}\n\nMore prose."),
        new_code_cell("print(1)"),
        new_markdown_cell(claim),
        new_markdown_cell(claim),
        new_code_cell("print(2)"),
    ]
    found = paragraphs_of(cells)
    assert found == [
        (claim, False),  # not the cell's last paragraph
        ("More prose.", True),
        (claim, False),  # a markdown cell follows
        (claim, True),
    ]
    assert [unbacked(p, introduces) for p, introduces in found] == [
        True,
        False,
        True,
        False,
    ]
