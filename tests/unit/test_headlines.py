"""recbook.headlines: verdicts against tolerances and goals, and run times from notebook metadata."""

from __future__ import annotations

import json
import math

import pytest

from recbook import headlines, runner


@pytest.mark.parametrize("ours, options, verdict", [
    (0.3204, {"reference": 0.3216, "tolerance": 0.03}, "within"),
    (0.2800, {"reference": 0.3216, "tolerance": 0.03}, "outside"),
    (0.5084, {"goal": 0.35}, "met"),
    (0.3400, {"goal": 0.35}, "not met"),
    (0.0303, {"goal": 0.03, "lower_is_better": True}, "not met"),
    (0.0377, {"goal": 0.05, "lower_is_better": True}, "met"),
    (0.2314, {"reference": 0.27}, "context"),
])
def test_verdicts(ours, options, verdict):
    row = headlines.comparison("chapter", "experiment", ours, **options)
    assert row["verdict"] == verdict
    if "reference" in options:
        assert row["difference"] == pytest.approx(ours - options["reference"])
        assert row["published"] == options["reference"]
    if "goal" in options:
        assert row["published"] == options["goal"] and row["difference"] is None


def notebook(path, details):
    metadata = {runner.RUN_METADATA: details} if details else {}
    path.write_text(json.dumps({"cells": [], "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}))


def test_run_times_add_up_and_leave_out_the_results_page(tmp_path):
    notebook(tmp_path / "01_a.ipynb", {"seconds": 10.5, "quick": False, "cpus": 2})
    notebook(tmp_path / "02_b.ipynb", {"seconds": 20.0, "quick": False, "cpus": 2})
    notebook(tmp_path / f"{headlines.RESULTS}.ipynb", {"seconds": 1.0, "quick": False, "cpus": 2})
    table = headlines.run_times(tmp_path)
    assert table["chapter"].tolist() == ["01_a", "02_b", "the whole book"]
    assert table["seconds"].tolist() == [10.5, 20.0, 30.5]


def test_a_chapter_without_a_recorded_time_leaves_the_total_unknown(tmp_path):
    notebook(tmp_path / "01_a.ipynb", {"seconds": 10.5, "quick": False, "cpus": 2})
    notebook(tmp_path / "02_b.ipynb", None)
    assert math.isnan(headlines.run_times(tmp_path)["seconds"].iloc[-1])
