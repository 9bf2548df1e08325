"""The README's performance figures are the stored runs', never typed.

The block between :data:`recbook_tools.readme.BEGIN` and :data:`recbook_tools.readme.END` is what
``recbook-readme`` writes from the stored notebooks (``recbook_run`` metadata, chapter
3's records); the rest of the *Performance* section states no figure at all.
"""

from __future__ import annotations

import re
from pathlib import Path

from recbook_tools import readme

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"


def section(text: str, title: str) -> str:
    """A ``## title`` section of the README, up to the next ``## `` heading."""
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert found, f"the README has a section {title!r}"
    return found.group(1)


def test_readme_performance_block_is_what_the_stored_runs_say():
    text = README.read_text(encoding="utf-8")
    held = readme.current(text)
    assert held is not None, "the README holds the generated performance block"
    assert held in section(text, "Performance"), (
        "the block is in the Performance section"
    )
    assert held == readme.block(REPO / "notebooks"), (
        "the README's performance figures differ from the stored runs: "
        "run .venv/bin/recbook-readme"
    )


def test_readme_performance_section_types_no_figure():
    """Outside the generated block (and code), no number but a chapter's: a time, a
    ratio or a count typed by hand goes stale when a chapter is re-executed."""
    performance = section(README.read_text(encoding="utf-8"), "Performance")
    held = readme.current(performance)
    prose = performance.replace(held or "", "")
    prose = re.sub(r"`[^`]*`", "", prose)
    # Chapter numbers name chapters ("chapter 3's records", "Chapters 3 and 5").
    prose = re.sub(r"\b[Cc]hapters? \d+(?:'s)?(?: and \d+)?", "", prose)
    typed = re.findall(r"[^\s]*\d[^\s]*", prose)
    assert not typed, f"figures typed in the README's Performance section: {typed}"


def test_block_says_each_chapter_and_the_ratio(tmp_path):
    """The block names every chapter with its recorded time, the whole book, and
    chapter 3's JAX vs. TensorFlow ratio as recorded."""
    from recbook import records
    from recbook_tools import notebook_records, runner

    text = readme.block(REPO / "notebooks")
    total = 0.0
    for source in runner.chapters(REPO / "notebooks"):
        details = notebook_records.run_details(source.with_suffix(".ipynb"))
        assert f"(`{source.stem}`) | {readme.duration(details['seconds'])} |" in text
        total += details["seconds"]
    assert f"**{readme.duration(total)}**" in text
    ratio = notebook_records.read(
        REPO / "notebooks" / f"{records.SOFTMAX_CHAPTER}.ipynb"
    )[records.JAX_SPEEDUP]
    assert f"{ratio:.2f}x faster with JAX" in text.replace("\n", " ")


def test_recbook_readme_rewrites_a_stale_block_and_check_fails_on_it(tmp_path):
    fresh = readme.block(REPO / "notebooks")
    stale = fresh.replace("faster with", "slower with")
    target = tmp_path / "README.md"
    target.write_text(f"# Book\n\n## Performance\n\n{stale}\n\n## Layout\n")
    args = ["--readme", str(target), "--notebooks-dir", str(REPO / "notebooks")]
    assert readme.main([*args, "--check"]) == 1
    assert readme.main(args) == 0
    assert readme.current(target.read_text()) == fresh
    assert readme.main([*args, "--check"]) == 0
