"""Each chapter runs on the real archives with quick parameters; figures vs. known values.

The stored notebooks hold the full run's recorded figures; a quick run must
reproduce those that do not depend on the training budget, and the known
facts of the data set (GroupLens's published counts). The checks themselves
are in ``tests/chapter_checks.py``, shared with the Colab-like tier.
"""

from __future__ import annotations

import pytest

from chapter_checks import CHECKS, NOTEBOOKS, stored
from recbook import results, runner


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory, movielens_dir):
    """Execute every chapter once with its quick parameters; their recorded figures by name."""
    output = tmp_path_factory.mktemp("quick")
    return {
        source.stem: results.read(runner.execute(source, quick=True, output_dir=output))
        for source in runner.chapters(NOTEBOOKS)
    }


@pytest.mark.data
@pytest.mark.notebook
@pytest.mark.parametrize("stem", sorted(CHECKS))
def test_quick_run_shows_the_chapters_figures(quick_runs, stem):
    CHECKS[stem](quick_runs[stem], stored(stem))
