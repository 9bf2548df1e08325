"""Slow tier: re-execute every chapter with full parameters; its figures match the stored run.

Run with ``make test-slow`` (about 40 minutes on 2 cores). Wall times are not compared.
A figure recorded with its standard deviation over seeds (a sibling ``<name>_std``)
may move by :data:`recbook.evidence.CROSS_MACHINE_SIGMAS` of them: on another machine
(another CPU count, no FMA, another jaxlib) training rounds differently and behaves
like another draw of the seeds. A standard deviation may move by as many times
itself, one seed's figures (ranking metrics, the log Q holdout scores) by
:data:`recbook.evidence.SINGLE_RUN_RELATIVE` of their value, and choices
(:data:`recbook.records.CHOICE_FIELDS`) are left to the figures they lead to.
Other figures are counts, sizes and figures computed without training, compared at
1e-3. The prose's copies and sentences (:data:`recbook.records.PROSE`) are compared
through the records they come from, and the chapters' goals through their verdicts.
"""

from __future__ import annotations

from pathlib import Path

from recbook import evidence, records
from recbook_tools import notebook_records, runner

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SOURCES = runner.chapters(NOTEBOOKS)

TIMINGS = ("time", "seconds", "speedup")
"""Figures whose names hold one of these are wall times and their ratios: not compared."""


def flatten(figures: dict, prefix: str = "") -> dict:
    """Nested dicts and lists flattened to ``outer/inner`` keys, timings left out."""
    flat = {}
    for name, value in figures.items():
        if isinstance(value, list):
            value = dict(enumerate(value))
        key = f"{prefix}{name}"
        if any(word in key for word in TIMINGS):
            continue
        if isinstance(value, dict):
            flat |= flatten(value, prefix=f"{key}/")
        else:
            flat[key] = value
    return flat


def tolerances(flat: dict) -> dict[str, float]:
    """Each figure's allowed absolute difference (see the module docstring)."""
    allowed = {}
    for key, value in flat.items():
        std = flat.get(f"{key}_std")
        if key.rsplit("/", 1)[-1] in records.CHOICE_FIELDS:
            continue
        if isinstance(value, bool) or not isinstance(value, float):
            allowed[key] = 0.0
        elif key.endswith("_std"):  # a spread of 3 seeds is itself uncertain
            allowed[key] = evidence.CROSS_MACHINE_SIGMAS * value + 1e-6
        elif key.startswith((f"{records.RANKING}/", f"{records.SOFTMAX_HOLDOUT}/")):
            allowed[key] = evidence.SINGLE_RUN_RELATIVE * abs(value)
        elif std is not None:
            allowed[key] = evidence.CROSS_MACHINE_SIGMAS * std + 1e-6
        else:
            allowed[key] = 1e-3 * max(1.0, abs(value))
    return allowed


def differences(stored: dict, rerun: dict) -> list[str]:
    """The figures of ``rerun`` farther from ``stored`` than their tolerance."""
    for name in records.PROSE:
        stored.pop(name, None), rerun.pop(name, None)
    goals = {
        goal.record: goal
        for goal in (
            records.RETRIEVAL_GOAL,
            records.TRAINED_TOWERS_GOAL,
            *records.EMBEDDING_GOALS,
            *records.TUNED_GOALS,
        )
    }
    verdicts = [
        {
            n: goals[n].verdict(v)
            for n, v in figures.pop(records.GOAL_FIGURES, {}).items()
        }
        for figures in (stored, rerun)
    ]
    before, after = flatten(stored), flatten(rerun)
    problems = [f"goal verdicts {verdicts[0]} -> {verdicts[1]}"] * (
        verdicts[0] != verdicts[1]
    )
    if set(before) != set(after):
        problems.append(f"different figures: {sorted(set(before) ^ set(after))}")
    for key, allowed in tolerances(before).items():
        if key in after and not (
            after[key] == before[key]
            if allowed == 0.0
            else abs(after[key] - before[key]) <= allowed
        ):
            problems.append(
                f"{key}: {before[key]!r} -> {after[key]!r} (allowed {allowed:.2g})"
            )
    return problems


def test_single_runs_and_choices_follow_the_stated_rule():
    flat = flatten(
        {records.RANKING: {"m": {"recall@10": 0.2}}, "t": {"stop_epoch": 10}}
    )
    assert tolerances(flat) == {f"{records.RANKING}/m/recall@10": pytest.approx(0.02)}


def test_tolerances_follow_the_stated_rule():
    flat = flatten(
        {"a": {"x": 0.5, "x_std": 0.01, "n": 3, "s": "t"}, "b": 2.0, "c_seconds": 9.0}
    )
    assert tolerances(flat) == {
        "a/x": pytest.approx(0.03 + 1e-6),
        "a/x_std": pytest.approx(0.03 + 1e-6),
        "a/n": 0.0,
        "a/s": 0.0,
        "b": pytest.approx(2e-3),
    }
    assert (
        differences({"a": {"x": 0.5, "x_std": 0.01}}, {"a": {"x": 0.52, "x_std": 0.01}})
        == []
    )
    assert differences(
        {"a": {"x": 0.5, "x_std": 0.01}}, {"a": {"x": 0.54, "x_std": 0.01}}
    )


@pytest.mark.slow
@pytest.mark.data
@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_full_run_reproduces_the_stored_figures(source, tmp_path, movielens_dir):
    rerun = notebook_records.read(runner.execute(source, output_dir=tmp_path))
    stored = notebook_records.read(source.with_suffix(".ipynb"))
    assert differences(stored, rerun) == []
