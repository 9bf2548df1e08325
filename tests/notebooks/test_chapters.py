"""Each chapter runs on the real archives with quick parameters; figures vs. known values.

The stored notebooks hold the full run's recorded figures; a quick run must
reproduce those that do not depend on the training budget, and the known
facts of the data set (GroupLens's published counts). The checks themselves
are in ``tests/chapter_checks.py``, shared with the Colab-like tier.

No chapter is executed twice in one run of the suite. A chapter whose quick run
is its full run (chapters 1, 2 and the results page) is executed by nbval on its
copy in ``build/nbval``, which compares every output, the recorded figures among
them, with the stored run; its checks here read the stored figures. Every other
chapter is executed here once, with its quick parameters, and besides its checks
the outputs of its cells tagged ``nbval-check-output`` must be the stored ones.
"""

from __future__ import annotations

from pathlib import Path

from recbook import records
from recbook_tools import notebook_records, runner

import nbformat
import pytest
from chapter_checks import (
    CHECKS,
    NOTEBOOKS,
    checked_outputs,
    communication_run,
    data_parallel_run,
    model_parallel_run,
    stored,
)


class QuickRuns(dict):
    """Each chapter's executed notebook from one quick run, run when a test first asks for it.

    So ``pytest -k scaling`` executes the scaling chapter alone.
    """

    def __init__(self, output: Path) -> None:
        super().__init__()
        self.output = output

    def __missing__(self, stem: str) -> Path:
        self[stem] = runner.execute(
            NOTEBOOKS / f"{stem}.py", quick=True, output_dir=self.output
        )
        return self[stem]


def nbval_executes(stem: str) -> bool:
    """Whether nbval executes this chapter (its quick run is its full run)."""
    return runner.quick_is_full(runner.read_stored(NOTEBOOKS / f"{stem}.ipynb"))


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory, movielens_dir):
    """Every chapter's figures from a quick run, by chapter name (each run on demand)."""
    return QuickRuns(tmp_path_factory.mktemp("quick"))


@pytest.mark.data
@pytest.mark.notebook
@pytest.mark.parametrize("stem", sorted(CHECKS))
def test_quick_run_shows_the_chapters_figures(quick_runs, stem):
    if nbval_executes(stem):
        CHECKS[stem](stored(stem), stored(stem))
        return
    executed = quick_runs[stem]
    CHECKS[stem](notebook_records.read(executed), stored(stem))
    assert checked_outputs(nbformat.read(executed, as_version=4)) == checked_outputs(
        nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    )


ONE_DEVICE = {
    records.DATA_PARALLEL_CHAPTER: ({}, data_parallel_run),
    records.MODEL_PARALLEL_CHAPTER: ({}, model_parallel_run),
    records.COMMUNICATION_CHAPTER: ({"scaling_counts": [1, 2]}, communication_run),
}
"""Chapters 8 to 10: parameters of their one-device run beside their quick ones, and the
check of what such a run must show."""


@pytest.mark.data
@pytest.mark.notebook
@pytest.mark.parametrize("stem", ONE_DEVICE)
def test_distribution_chapter_on_one_device(tmp_path, movielens_dir, stem):
    # Colab without a TPU has one device: the chapter runs on a 1-device mesh.
    parameters, check = ONE_DEVICE[stem]
    figures = notebook_records.read(
        runner.execute(
            NOTEBOOKS / f"{stem}.py",
            quick=True,
            output_dir=tmp_path,
            parameters={"device_count": 1, **parameters},
        )
    )
    check(figures, devices=1)
