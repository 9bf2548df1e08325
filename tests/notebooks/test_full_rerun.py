"""Slow tier: re-execute every chapter with full parameters; its figures match the stored run.

Run with ``make test-slow`` (about 35 minutes on 2 cores). Timings are not compared.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from recbook import results, runner

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SOURCES = runner.chapters(NOTEBOOKS)


def comparable(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if "time" not in k}


@pytest.mark.slow
@pytest.mark.data
@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_full_run_reproduces_the_stored_figures(source, tmp_path, movielens_dir):
    rerun = results.read(runner.execute(source, output_dir=tmp_path))
    stored = results.read(source.with_suffix(".ipynb"))
    # Same seeds, same machine kind: equal up to floating-point reduction order.
    assert comparable(rerun) == pytest.approx(comparable(stored), rel=1e-3, abs=1e-3)
