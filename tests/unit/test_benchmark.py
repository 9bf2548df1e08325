"""recbook.benchmark: verdicts, the loops' diagnoses, the report and its file, stored times."""

from __future__ import annotations

from pathlib import Path

from recbook import benchmark, runner

import pytest

CHAPTER = """# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
epochs = 1
"""


def test_verdicts_compare_with_the_targets():
    assert benchmark.verdict("book_seconds", 1199.0).startswith("met")
    assert benchmark.verdict("book_seconds", 1201.0).startswith("NOT met")
    assert benchmark.verdict("site_seconds", 12.0) == "met (target <= 60)"
    assert benchmark.verdict("jax_speedup", 2.8) == "met (target >= 2.5)"
    assert benchmark.verdict("jax_speedup", 2.4).startswith("NOT met")
    assert benchmark.verdict("book_seconds", None) == "not measured"


def test_stored_chapter_times_come_from_the_last_full_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    notebooks = Path("notebooks")
    notebooks.mkdir()
    for name in ("01_a", "02_b"):
        (notebooks / f"{name}.py").write_text(CHAPTER)
    runner.execute(notebooks / "01_a.py")
    runner.execute(
        notebooks / "02_b.py", quick=True, output_dir=notebooks
    )  # a quick run is no full run
    times = benchmark.chapter_times(notebooks, stored=True)
    assert list(times) == ["01_a", "02_b"]
    assert times["01_a"] == runner.run_details(notebooks / "01_a.ipynb")["seconds"] > 0
    assert times["02_b"] is None


def test_machine_names_cores_and_versions():
    line = benchmark.machine()
    assert "cores" in line and "Python 3." in line and "Keras 3." in line


def loop(floor_ms: float, step_ms: float, fit_ms: float) -> dict:
    return {
        "flops": 1.3e8,
        "bytes_accessed": 3.8e7,
        "working_set_bytes": 7_200_000,
        "bandwidth": 50e9,
        "bound": "compute",
        "floor_seconds": floor_ms / 1e3,
        "step_seconds": step_ms / 1e3,
        "fit_step_seconds": fit_ms / 1e3,
        "fit_step_seconds_one_per_call": fit_ms * 1.1 / 1e3,
        "first_fit_seconds_cold": 1.2,
        "first_fit_seconds_cached": 0.4,
        "evaluation_seconds": 0.39,
    }


def results(**loops: dict) -> dict:
    return {
        "date": "2026-12-02T15:00:00+00:00",
        "machine": "a test machine",
        "floors": {
            "dram_bytes": 1 << 30,
            "dram_bandwidth": {"1": 20e9, "2": 25e9},
            "matmul_peak": 150e9,
        },
        "loops": loops,
        "preparation": {"retrieval_seconds": 52.0, "rating_seconds": 9.0},
        "backends": {
            "retrieval": {"ratios": [3.0, 3.6, 3.3]},
            "rating": {"ratios": [1.4, 1.6, 1.5]},
        },
        "book": {"stored": True, "chapters": {}, "total_seconds": 1500.0},
        "site_seconds": 30.0,
    }


def test_a_loop_within_twice_its_floor_says_so():
    said = benchmark.diagnosis(loop(0.84, 0.9, 1.6), peak=150e9)
    assert "1.9x its floor of 0.84 ms" in said and said.endswith("within 2x.")
    assert "0.130 GFLOP per step at 150 GFLOP/s" in said


def test_a_loop_beyond_twice_its_floor_says_where_the_time_goes():
    outside = benchmark.diagnosis(loop(0.84, 1.0, 2.6), peak=150e9)
    assert "3.1x its floor" in outside and "1.2x" in outside
    assert "the other 1.60 ms of each step are spent outside the compiled program" in (
        outside
    )
    below = benchmark.diagnosis(loop(0.84, 0.5, 0.6), peak=150e9)
    assert "0.7x its floor" in below and "the floor is not a bound here" in below
    inside = benchmark.diagnosis(loop(0.84, 2.5, 2.6), peak=150e9)
    assert "the time is inside XLA's program" in inside


def test_spread_is_the_median_and_the_sample_standard_deviation():
    # median 3.3; sample std of 3.0, 3.3, 3.6 = sqrt((0.09 + 0 + 0.09) / 2) = 0.3.
    assert benchmark.spread([3.0, 3.6, 3.3]) == "3.30x (sample std 0.30, 3 runs)"


def test_the_report_has_a_row_per_loop_and_every_verdict():
    text = benchmark.report(
        results(mse_towers=loop(0.84, 1.0, 2.6), rating_full=loop(0.7, 0.6, 0.66))
    )
    assert "20.0 GB/s on 1 thread, 25.0 GB/s on 2 threads" in text
    assert text.count("| chapter ") == 2
    assert "3.30x (sample std 0.30, 3 runs) faster with JAX (met" in text
    assert "1.50x (sample std 0.10, 3 runs) faster with JAX (NOT met" in text
    assert "1500 s (stored runs), NOT met (target <= 1200)" in text
    assert "Its training loops run at 0.9x to 3.1x their floors" in text


def test_results_are_written_whole_and_read_back(tmp_path):
    path = tmp_path / "benchmark.json"
    figures = results(mse_towers=loop(0.84, 1.0, 2.6))
    benchmark.write(figures, path)
    assert benchmark.read(path) == figures
    assert [p.name for p in tmp_path.iterdir()] == ["benchmark.json"]
    with pytest.raises(FileNotFoundError, match="run recbook-benchmark"):
        benchmark.read(tmp_path / "missing.json")
