"""The README's build command renders the book from the stored outputs, warnings as errors."""

from __future__ import annotations

import html
import re
from pathlib import Path

from recbook import glue, repository, results_page

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.site
def test_every_toc_page_is_rendered(site):
    toc = (REPO / "_toc.yml").read_text()
    for page in re.findall(r"file: (\S+)", toc) + ["book/intro"]:
        assert (site / Path(page).with_suffix(".html")).is_file(), page


def glued(page: str, name: str, fmt: str) -> str:
    value = glue.read(REPO / "notebooks" / f"{page}.ipynb")[name]
    return format(value, fmt)


@pytest.mark.site
@pytest.mark.parametrize(
    "page, plots, pasted",
    [
        ("01_movielens_data", 3, [("density", ".1%")]),
        ("02_featurization", 0, []),
        (
            "03_retrieval_towers",
            3,
            [
                ("shallow_top100", ".3f"),
                ("popularity_top100", ".3f"),
                ("best_top100", ".3f"),
            ],
        ),
        (
            "04_memory_efficient_embeddings",
            5,
            [("baseline_mae", ".3f"), ("recipe_params", ",")],
        ),
        (
            "06_scaling_out",
            2,
            [
                ("production_full_with_adam_bytes", ","),
                ("dp_collective_bytes_per_step", ","),
                ("dp_loss_max_abs_diff", ".1e"),
            ],
        ),
    ],
)
def test_chapter_shows_its_plots_and_glued_figures(site, page, plots, pasted):
    html = (site / "notebooks" / f"{page}.html").read_text()
    images = re.findall(r'<img[^>]+src="([^"]+\.png)"', html)
    assert len(images) >= plots
    for src in images:
        assert (site / "notebooks" / src).resolve().stat().st_size > 5_000
    for name, fmt in pasted:
        assert glued(page, name, fmt) in html, (
            f"the recorded {name} is pasted into the prose"
        )
    assert "colab.research.google.com" in html, "a launch-in-Colab button"


@pytest.mark.site
def test_bibliography_resolves_citations(site):
    page = (site / "book" / "references.html").read_text()
    for cited in (
        "doi:10.1145/2827872",
        "Hertschuh",
        "Michael Shi",
        "Ginart",
        "Sampling-bias-corrected",
    ):
        assert cited in page
    chapter = (site / "notebooks" / "01_movielens_data.html").read_text()
    assert 'href="../book/references.html#id' in chapter, (
        "the chapter's citation links to it"
    )


@pytest.mark.site
def test_results_page_shows_every_comparison(site):
    page = html.unescape((site / "notebooks" / "05_results.html").read_text())
    comparisons = results_page.comparisons(REPO / "notebooks")
    for _, row in comparisons.iterrows():
        assert row["experiment"] in page
        if row["ours"] == row["ours"] and row["ours"] is not None:  # not NaN or missing
            assert results_page.figure(row["ours"]) in page, row["experiment"]
    assert "the whole book" in page


@pytest.mark.site
@pytest.mark.parametrize(
    "page",
    [
        "01_movielens_data",
        "02_featurization",
        "03_retrieval_towers",
        "04_memory_efficient_embeddings",
        "05_results",
    ],
)
def test_chapter_launches_in_colab_and_binder_from_the_configured_repository(
    site, page
):
    owner_name = repository.configured_url(REPO).removeprefix("https://github.com/")
    branch = yaml.safe_load((REPO / "_config.yml").read_text())["repository"]["branch"]
    page_html = (site / "notebooks" / f"{page}.html").read_text()
    colab = f"https://colab.research.google.com/github/{owner_name}/blob/{branch}/notebooks/{page}.ipynb"
    binder = f"https://mybinder.org/v2/gh/{owner_name}/{branch}?urlpath=tree/notebooks/{page}.ipynb"
    assert f'href="{colab}"' in page_html
    assert f'href="{binder}"' in page_html


@pytest.mark.site
def test_every_page_shows_the_licenses_in_its_footer(site):
    toc = (REPO / "_toc.yml").read_text()
    for page in re.findall(r"file: (\S+)", toc) + ["book/intro"]:
        footer = (
            (site / Path(page).with_suffix(".html")).read_text().split("<footer", 1)[1]
        )
        assert (
            '<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>'
            in footer
        ), page
        assert (
            '<a href="https://www.apache.org/licenses/LICENSE-2.0">Apache License 2.0</a>'
            in footer
        ), page
        assert "MovieLens" in footer, page
