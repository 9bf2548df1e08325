"""The README's build command renders the book from the stored outputs, warnings as errors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("site")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    done = subprocess.run(
        [str(jupyter_book), "build", str(REPO), "--path-output", str(output),
         "--warningiserror", "--keep-going"],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return output / "_build" / "html"


@pytest.mark.site
def test_every_toc_page_is_rendered(site):
    toc = (REPO / "_toc.yml").read_text()
    for page in re.findall(r"file: (\S+)", toc) + ["book/intro"]:
        assert (site / Path(page).with_suffix(".html")).is_file(), page


@pytest.mark.site
def test_chapter_shows_its_plots_and_glued_figures(site):
    page = (site / "notebooks" / "01_movielens_data.html").read_text()
    images = re.findall(r'<img[^>]+src="([^"]+\.png)"', page)
    assert len(images) >= 3, "rating distribution, long tails, user activity"
    for src in images:
        assert (site / "notebooks" / src).resolve().stat().st_size > 5_000
    assert "6.3%" in page, "the glued density figure is pasted into the prose"
    assert "colab.research.google.com" in page, "a launch-in-Colab button"


@pytest.mark.site
def test_bibliography_resolves_citations(site):
    page = (site / "book" / "references.html").read_text()
    for cited in ("doi:10.1145/2827872", "Hertschuh", "Michael Shi", "Ginart"):
        assert cited in page
    chapter = (site / "notebooks" / "01_movielens_data.html").read_text()
    assert 'href="../book/references.html#id' in chapter, "the chapter's citation links to it"
