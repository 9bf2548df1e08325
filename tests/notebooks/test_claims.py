"""Every answer a chapter states is registered with its verdict, which the stored run holds.

See ``tests/claims.py``. An answer is a markdown paragraph starting with
``**Answer.**``, or a bullet of the chapter's "What we learned" section, which runs to
about 150 words at most.
"""

from __future__ import annotations

import re
from pathlib import Path

from recbook_tools import notebook_records

import jupytext
import pytest
from claims import CLAIMS

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
ANSWER = "**Answer.**"
LEARNED = "## What we learned"
LEARNED_WORDS = 160
"""About 150 words: the section's prose, its heading left out."""
CHAPTERS = sorted({c.chapter for c in CLAIMS})


def markdown(chapter: str) -> list[str]:
    notebook = jupytext.read(NOTEBOOKS / f"{chapter}.py")
    return [c.source for c in notebook.cells if c.cell_type == "markdown"]


def one_line(text: str) -> str:
    return " ".join(text.split())


def answers(chapter: str) -> list[str]:
    """The chapter's answer sentences, as written (whitespace folded)."""
    return answers_in(markdown(chapter))


def answers_in(sources: list[str]) -> list[str]:
    """The answer sentences of markdown cells: ``**Answer.**`` paragraphs and the
    bullets of the "What we learned" cell."""
    found = []
    for source in sources:
        for paragraph in re.split(r"\n\s*\n", source):
            text = one_line(paragraph)
            if text.startswith(ANSWER):
                found.append(text.removeprefix(ANSWER).strip())
        if source.lstrip().startswith(LEARNED):
            body = source.lstrip().removeprefix(LEARNED)
            found += [
                one_line(b) for b in re.split(r"\n\s*- ", "\n" + body) if b.strip()
            ]
    return found


def learned_words(chapter: str) -> int:
    sections = [s for s in markdown(chapter) if s.lstrip().startswith(LEARNED)]
    assert len(sections) == 1, f"{chapter}: one '{LEARNED}' section"
    return len(sections[0].lstrip().removeprefix(LEARNED).split())


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_answer_is_registered_with_its_verdict(chapter):
    registered = {c.sentence for c in CLAIMS if c.chapter == chapter}
    written = answers(chapter)
    assert written, f"{chapter} states no answer"
    unregistered = [a for a in written if a not in registered]
    assert not unregistered, (
        "answers without a registered verdict (tests/claims.py):\n"
        + "\n".join(unregistered)
    )
    unused = registered - set(written)
    assert not unused, f"registered but not in {chapter}: {sorted(unused)}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_what_we_learned_is_short(chapter):
    assert learned_words(chapter) <= LEARNED_WORDS


@pytest.mark.parametrize(
    "claim", CLAIMS, ids=[f"{c.chapter}:{c.sentence[:40]}" for c in CLAIMS]
)
def test_the_stored_run_holds_each_answer(claim):
    stored = notebook_records.read(NOTEBOOKS / f"{claim.chapter}.ipynb")
    assert claim.holds(stored), (
        f"the recorded verdict no longer says: {claim.sentence!r}; rewrite the answer"
    )


@pytest.mark.parametrize(
    "claim", CLAIMS, ids=[f"{c.chapter}:{c.sentence[:40]}" for c in CLAIMS]
)
def test_a_flipped_verdict_fails_the_answer(claim):
    stored = notebook_records.read(NOTEBOOKS / f"{claim.chapter}.ipynb")
    assert not claim.holds(claim.flip(stored)), "this check cannot fail"


def test_answers_are_found_in_markdown():
    cells = [
        "## A section\n\nSome prose.\n\n**Answer.** The towers\nlose.",
        "## What we learned\n\n- One thing.\n- Another\n  thing.",
        "Prose that is **Answer.** not at the start.",
    ]
    assert answers_in(cells) == ["The towers lose.", "One thing.", "Another thing."]
