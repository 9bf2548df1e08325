"""Prose that cannot outrun its evidence (chapters 3 and 4).

A paragraph of a chapter that compares models ("leads", "beats", "helps", "better",
"within", ...) must take the comparison from a computed one: it holds a glued
sentence or figure ({glue:text}), or it introduces, with its final colon, the cell
below it that computes and prints the comparison. Otherwise a rerun whose figures
change would leave the sentence standing.
"""

from __future__ import annotations

import re
from pathlib import Path

from recbook import records

import jupytext
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CHAPTERS = (records.RETRIEVAL_CHAPTER, records.EMBEDDINGS_CHAPTER)
COMPARATIVE = re.compile(
    r"\b(leads?|beats?|beaten|helps?|better|worse|within|outside|trails?|"
    r"ahead of (?:the|every|all|it)|behind|outperforms?|higher than|lower than|"
    r"more than any|less than)\b",
    re.IGNORECASE,
)
BACKED = re.compile(r"\{glue:text\}`[^`]+`")


def paragraphs(chapter: str) -> list[str]:
    notebook = jupytext.read(NOTEBOOKS / f"{chapter}.py")
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        text = re.sub(r"```.*?```", "", cell.source, flags=re.DOTALL)  # listings
        for block in re.split(r"\n\s*\n|\n(?=- )", text):
            found.append(" ".join(block.split()))
    return found


def unbacked(paragraph: str) -> bool:
    # Code, maths and quoted names are not claims.
    plain = re.sub(r"`[^`]*`|\$\$.*?\$\$|\$[^$]*\$", "", paragraph)
    if not COMPARATIVE.search(plain):
        return False
    # A heading or a question asks; it claims nothing.
    if paragraph.startswith("#") or paragraph.rstrip().endswith("?"):
        return False
    return not (BACKED.search(paragraph) or paragraph.rstrip().endswith(":"))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_comparative_paragraph_is_backed_by_a_computed_comparison(chapter):
    loose = [p for p in paragraphs(chapter) if unbacked(p)]
    assert not loose, "comparisons not backed by a record:\n\n" + "\n\n".join(loose)


def test_the_check_finds_an_unbacked_claim():
    assert unbacked("The deep towers beat the shallow ones.")
    assert not unbacked("The towers reach {glue:text}`best_top100:.3f`, better.")
    assert not unbacked("Against the MSE towers, by the same rule:")
    assert not unbacked("Hashing maps ids to `n / ratio` rows.")
    assert not unbacked("## Does depth help once tuned?")
