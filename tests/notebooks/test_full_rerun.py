"""Slow tier: re-execute every chapter with full parameters; its figures match the stored run.

Run with ``make test-slow`` (about 25 minutes on 2 cores). Timings are not compared.
"""

from __future__ import annotations

from pathlib import Path

from recbook import glue, runner

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SOURCES = runner.chapters(NOTEBOOKS)


TIMINGS = ("time", "seconds", "speedup")
"""Figures whose names hold one of these are wall times and their ratios: not compared."""


def comparable(figures: dict, prefix: str = "") -> dict:
    """Figures without timings; nested dicts and lists flattened to ``outer/inner`` keys.

    (``pytest.approx`` cannot compare nested containers.)
    """
    flat = {}
    for name, value in figures.items():
        if isinstance(value, list):
            value = dict(enumerate(value))
        key = f"{prefix}{name}"
        if any(word in key for word in TIMINGS):
            continue
        if isinstance(value, dict):
            flat |= comparable(value, prefix=f"{key}/")
        else:
            flat[key] = value
    return flat


@pytest.mark.slow
@pytest.mark.data
@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_full_run_reproduces_the_stored_figures(source, tmp_path, movielens_dir):
    rerun = glue.read(runner.execute(source, output_dir=tmp_path))
    stored = glue.read(source.with_suffix(".ipynb"))
    # Same seeds, same machine kind: equal up to floating-point reduction order.
    assert comparable(rerun) == pytest.approx(comparable(stored), rel=1e-3, abs=1e-3)
