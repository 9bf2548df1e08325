"""recbook.results_page: verdicts against tolerances and goals, and run times from notebook metadata."""

from __future__ import annotations

import json
import math

from recbook import results_page, runner

import pytest


@pytest.mark.parametrize(
    "ours, options, verdict",
    [
        (0.3204, {"reference": 0.3216, "tolerance": 0.03}, "within"),
        (0.2800, {"reference": 0.3216, "tolerance": 0.03}, "outside"),
        (0.5084, {"goal": 0.35}, "met"),
        (0.3400, {"goal": 0.35}, "not met"),
        (0.0303, {"goal": 0.03, "lower_is_better": True}, "not met"),
        (0.0377, {"goal": 0.05, "lower_is_better": True}, "met"),
        (0.2314, {"reference": 0.27}, "context"),
    ],
)
def test_verdicts(ours, options, verdict):
    row = results_page.comparison("chapter", "experiment", ours, **options)
    assert row["verdict"] == verdict
    if "reference" in options:
        assert row["difference"] == pytest.approx(ours - options["reference"])
        assert row["published"] == options["reference"]
    if "goal" in options:
        assert row["published"] == options["goal"] and row["difference"] is None


def notebook(path, details):
    metadata = {runner.RUN_METADATA: details} if details else {}
    path.write_text(
        json.dumps(
            {"cells": [], "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
        )
    )


def test_run_times_add_up_and_leave_out_the_results_page(tmp_path):
    notebook(tmp_path / "01_a.ipynb", {"seconds": 10.5, "quick": False, "cpus": 2})
    notebook(tmp_path / "02_b.ipynb", {"seconds": 20.0, "quick": False, "cpus": 2})
    notebook(
        tmp_path / f"{results_page.RESULTS}.ipynb",
        {"seconds": 1.0, "quick": False, "cpus": 2},
    )
    table = results_page.run_times(tmp_path)
    assert table["chapter"].tolist() == ["01_a", "02_b", "the whole book"]
    assert table["seconds"].tolist() == [10.5, 20.0, 30.5]


def test_a_chapter_without_a_recorded_time_leaves_the_total_unknown(tmp_path):
    notebook(tmp_path / "01_a.ipynb", {"seconds": 10.5, "quick": False, "cpus": 2})
    notebook(tmp_path / "02_b.ipynb", None)
    assert math.isnan(results_page.run_times(tmp_path)["seconds"].iloc[-1])


SCALING_FIGURES = {
    "devices": 4,
    "dp_loss_max_abs_diff": 2.4e-7,
    "dp_mae_abs_diff": 0.0,
    "mp_prediction_max_abs_diff": 0.0,
    "mp_loss_max_abs_diff": 3e-4,
    "per_device_bytes": {
        "full tables, one device": 7_484_928,
        "full tables, 4 shards": 1_871_616,
    },
    "dp_collective_bytes_per_step": 2_494_984,
    "mp_collective_bytes_per_step": 65_536,
    "production_full_with_adam_bytes": 84_480_000_000,
}


def test_scaling_rows_are_goals_and_context():
    rows = results_page.scaling_rows(SCALING_FIGURES)
    verdicts = [row["verdict"] for row in rows]
    # Four equality checks against SCALING_TOLERANCE; the model-parallel loss gap above 1e-4 is not met.
    assert verdicts[:4] == ["met", "met", "met", "not met"]
    assert rows[0]["published"] == 1e-4 and rows[0]["difference"] is None
    assert set(verdicts[4:]) == {"context"} and len(rows) == 4 + 2 + 3
    assert rows[4]["ours"] == pytest.approx(7.484928) and rows[-1][
        "ours"
    ] == pytest.approx(84.48)
    assert all(
        row["chapter"] == results_page.SCALING and "4" in row["experiment"]
        for row in rows[:4]
    )


@pytest.mark.parametrize(
    "value, shown",
    [
        (0.3216, "0.3216"),
        (2.384e-7, "2.4e-07"),
        (0.0, "0.0000"),
        (-0.0062, "-0.0062"),
        (84.48, "84.4800"),
        (1e-5, "1.0e-05"),
    ],
)
def test_figures_are_shown_with_their_small_values_readable(value, shown):
    assert results_page.figure(value) == shown
