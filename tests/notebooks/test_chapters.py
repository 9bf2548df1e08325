"""Each chapter runs on the real archives with quick parameters; figures vs. known values.

The stored notebooks hold the full run's recorded figures; a quick run must
reproduce those that do not depend on the training budget, and the known
facts of the data set (GroupLens's published counts).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from recbook import results, runner

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory, movielens_dir):
    """Execute every chapter once with its quick parameters; their recorded figures by name."""
    output = tmp_path_factory.mktemp("quick")
    return {
        source.stem: results.read(runner.execute(source, quick=True, output_dir=output))
        for source in runner.chapters(NOTEBOOKS)
    }


def stored(stem: str) -> dict:
    return results.read(NOTEBOOKS / f"{stem}.ipynb")


@pytest.mark.data
@pytest.mark.notebook
def test_movielens_data_chapter(quick_runs):
    figures = quick_runs["01_movielens_data"]
    # MovieLens-100K's README: 100,000 ratings by 943 users on 1,682 movies.
    assert figures["n_ratings"] == 100_000
    assert figures["n_users"] == 943
    assert figures["n_movies"] == 1_682
    assert figures["density"] == pytest.approx(100_000 / (943 * 1_682))
    # Hand-checked against u.data: sum of stars 352,986; 21,201 five-star ratings.
    assert figures["mean_rating"] == pytest.approx(3.52986, abs=1e-5)
    assert figures["share_five_stars"] == pytest.approx(0.21201, abs=1e-5)
    assert figures == stored("01_movielens_data")
