"""Each chapter runs on the real archives with quick parameters; figures vs. known values.

The stored notebooks hold the full run's recorded figures; a quick run must
reproduce those that do not depend on the training budget, and the known
facts of the data set (GroupLens's published counts). The checks themselves
are in ``tests/chapter_checks.py``, shared with the Colab-like tier.
"""

from __future__ import annotations

from pathlib import Path

from recbook import glue, records, runner

import pytest
from chapter_checks import CHECKS, NOTEBOOKS, scaling_run, stored


class QuickRuns(dict):
    """Each chapter's figures from one quick run, executed when a test first asks for it.

    So ``pytest -k scaling`` executes the scaling chapter alone.
    """

    def __init__(self, output: Path) -> None:
        super().__init__()
        self.output = output

    def __missing__(self, stem: str) -> dict:
        self[stem] = glue.read(
            runner.execute(NOTEBOOKS / f"{stem}.py", quick=True, output_dir=self.output)
        )
        return self[stem]


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory, movielens_dir):
    """Every chapter's figures from a quick run, by chapter name (each run on demand)."""
    return QuickRuns(tmp_path_factory.mktemp("quick"))


@pytest.mark.data
@pytest.mark.notebook
@pytest.mark.parametrize("stem", sorted(CHECKS))
def test_quick_run_shows_the_chapters_figures(quick_runs, stem):
    CHECKS[stem](quick_runs[stem], stored(stem))


@pytest.mark.data
@pytest.mark.notebook
def test_scaling_out_chapter_on_one_device(tmp_path, movielens_dir):
    # Colab without a TPU has one device: the chapter runs on a 1-device mesh.
    figures = glue.read(
        runner.execute(
            NOTEBOOKS / "05_scaling_out.py",
            quick=True,
            output_dir=tmp_path,
            parameters={"device_count": 1, "scaling_counts": [1, 2]},
        )
    )
    scaling_run(figures, devices=1)
    assert (
        figures[records.DP_COLLECTIVE_BYTES_PER_STEP]
        == figures[records.MP_COLLECTIVE_BYTES_PER_STEP]
        == 0
    )
