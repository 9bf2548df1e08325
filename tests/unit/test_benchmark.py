"""recbook_tools.benchmark: verdicts, the loops' diagnoses, the report and its file,
stored times."""

from __future__ import annotations

import re
from pathlib import Path

from recbook_tools import benchmark, notebook_records, runner

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
    assert (
        times["01_a"]
        == notebook_records.run_details(notebooks / "01_a.ipynb")["seconds"]
        > 0
    )
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


# --- issue 29: a damaged benchmark.json, an output that cannot be written ------------


def stored_figures(**changes) -> dict:
    """:func:`results` with one loop, after ``changes`` (a dotted key: a value, or
    ``DROP`` to remove the key)."""
    figures = results(mse_towers=loop(0.84, 1.0, 2.6))
    for dotted, value in changes.items():
        *parents, key = dotted.split("__")
        held = figures
        for parent in parents:
            held = held[parent]
        if value is DROP:
            del held[key]
        else:
            held[key] = value
    return figures


DROP = object()
MEND = (
    r"Run `make benchmark` again, or restore it with `git checkout .*benchmark.json`\.$"
)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            '{"date": "2026-12-02", "floors": {"dram_b',
            r"not the JSON recbook-benchmark "
            r"writes \(Unterminated string",
        ),
        ("", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\xff", r"not UTF-8 text \(invalid start byte\)"),
        (
            '<<<<<<< HEAD\n{"date": 1}\n=======\n{}\n>>>>>>> theirs\n',
            r"it holds a merge conflict \(a line starting <<<<<<<\)",
        ),
        ("{}", "date is missing"),
        ("[]", r"the file must be a JSON object holding 'date'; got list"),
    ],
    ids=["truncated", "empty", "binary", "merge conflict", "{}", "[]"],
)
def test_a_damaged_file_is_refused_naming_it_and_the_fix(tmp_path, text, why):
    path = tmp_path / "benchmark.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    with pytest.raises(
        benchmark.ResultsError,
        match=rf"^Cannot use {re.escape(str(path))}: {why}.*{MEND}",
    ):
        benchmark.read(path)


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        (
            {"loops__mse_towers__step_seconds": DROP},
            "loops.mse_towers.step_seconds is missing",
        ),
        (
            {"floors__matmul_peak": float("nan")},
            r"floors.matmul_peak must be a finite "
            r"number greater than 0; got nan",
        ),
        (
            {"loops__mse_towers__floor_seconds": 0},
            r"loops.mse_towers.floor_seconds must "
            r"be a finite number greater than 0; got 0",
        ),
        (
            {"floors__dram_bandwidth__2": float("inf")},
            r"floors.dram_bandwidth\['2'\] must",
        ),
        ({"loops__mse_towers__bandwidth": -1.0}, r"loops.mse_towers.bandwidth must"),
        (
            {"backends__rating__ratios": []},
            r"backends.rating.ratios must be a non-empty",
        ),
        (
            {"site_seconds": "30 s"},
            r"site_seconds must be a finite number .*'30 s' \(str\)",
        ),
        ({"loops__towers": loop(1, 1, 1)}, r"loops holds 'towers', not one of the"),
        (
            {"loops__mse_towers__bound": "cache"},
            r"loops.mse_towers.bound must be one of",
        ),
        ({"book__total_seconds": float("nan")}, r"book.total_seconds must be a finite"),
    ],
    ids=[
        "missing",
        "nan",
        "zero floor",
        "inf",
        "negative",
        "no ratios",
        "a string",
        "unknown loop",
        "bound",
        "nan book",
    ],
)
def test_a_figure_missing_not_finite_or_zero_is_refused(tmp_path, changes, why):
    path = tmp_path / "benchmark.json"
    benchmark.write(stored_figures(**changes), path)
    with pytest.raises(
        benchmark.ResultsError,
        match=rf"^Cannot use {re.escape(str(path))}: {why}.*{MEND}",
    ):
        benchmark.read(path)


def test_usable_figures_are_read_back_as_written(tmp_path):
    path = tmp_path / "benchmark.json"
    for figures in (
        stored_figures(),
        stored_figures(backends=None, book__total_seconds=None),
        stored_figures(fingerprints={"book settings": {"sum": "0a1b2c3d"}}),
    ):
        benchmark.write(figures, path)
        assert benchmark.read(path) == figures
    assert "| 0.84 ms (compute) |" in benchmark.report(benchmark.read(path))


def never_measure(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("measured despite an output that cannot be written")

    monkeypatch.setattr(benchmark, "machine", never)
    monkeypatch.setattr(benchmark, "machine_floors", never)


def test_an_output_that_cannot_be_written_stops_before_measuring(
    tmp_path, capsys, monkeypatch
):
    never_measure(monkeypatch)
    folder = tmp_path / "results"
    folder.mkdir()
    assert benchmark.main(["--output", str(folder)]) == 1
    assert (
        f"recbook-benchmark: --output {folder} is a folder: give the path of a file, "
        f"like {folder / 'benchmark.json'}." in capsys.readouterr().err
    )
    missing = tmp_path / "nowhere" / "benchmark.json"
    assert benchmark.main(["--output", str(missing)]) == 1
    assert f"its folder {missing.parent} does not exist" in capsys.readouterr().err
    assert not missing.parent.exists()
    original = runner.tempfile.mkstemp

    def read_only(*args, dir=None, **kwargs):
        if dir is not None and Path(dir) == folder:
            raise PermissionError(13, "Permission denied")
        return original(*args, dir=dir, **kwargs)

    monkeypatch.setattr(runner.tempfile, "mkstemp", read_only)
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"--output {folder}/b.json: Cannot write to the folder of --output "
            f"{folder} (PermissionError: Permission denied); make {folder} writable"
        ),
    ):
        benchmark.check_output(folder / "b.json")
    assert benchmark.main(["--output", str(folder / "b.json")]) == 1


def test_a_writable_output_passes_and_leaves_nothing(tmp_path):
    benchmark.check_output(tmp_path / "benchmark.json")
    (tmp_path / "old.json").write_text("{}")
    benchmark.check_output(tmp_path / "old.json")  # an old file is replaced whole
    assert [p.name for p in tmp_path.iterdir()] == ["old.json"]
