"""recbook_tools.readme on small stored notebooks: which runs count, and what is refused.

The notebooks are written with their ``recbook_run`` metadata as
:func:`recbook_tools.runner.execute` records it; nothing is executed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from recbook_tools import notebook_records, readme

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook
from test_benchmark import loop, results


def stored_run(seconds: float, cpu: float, quick: bool = False) -> dict:
    return {
        "date": "2026-12-02T10:00:00+00:00",
        "seconds": seconds,
        "kernel_cpu_seconds": cpu,
        "quick": quick,
        "cpus": 2,
        "gpus": 0,
        "backend": "jax",
        "versions": {"keras": "3.15.1"},
    }


@pytest.fixture
def book(tmp_path) -> Path:
    """A book folder with two chapters stored from full runs of 65 s and 30.4 s."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for stem, title, run in (
        ("01_data", "The data", stored_run(65.0, 60.2)),
        ("02_models", "The models", stored_run(30.4, 28.0)),
    ):
        (notebooks / f"{stem}.py").write_text("# %%\n")
        store(notebooks / f"{stem}.ipynb", title, run)
    (tmp_path / "README.md").write_text(
        f"# Book\n\n## Performance\n\n{readme.BEGIN}\n{readme.END}\n"
    )
    return tmp_path


def store(path: Path, title: str, run: dict) -> None:
    notebook = new_notebook(
        cells=[new_markdown_cell(f"# {title}")],
        metadata={
            notebook_records.RUN_METADATA: run,
            "language_info": {"name": "python", "version": "3.11.7"},
        },
    )
    nbformat.write(notebook, path)


def test_the_full_runs_are_each_chapters_time_and_their_sum_the_books(book):
    text = readme.block(book / "notebooks")
    assert "| 1. The data (`01_data`) | 1 min 5 s | 1 min |" in text
    assert "| 2. The models (`02_models`) | 30 s | 28 s |" in text
    # 65 + 30.4 = 95.4 s of wall time, 60.2 + 28.0 = 88.2 s of kernel CPU time.
    assert "| **the whole book** | **1 min 35 s** | 1 min 28 s |" in text
    assert (
        "(2 December 2026; 2 CPU cores, no GPU, Python 3.11.7, Keras 3.15.1, JAX"
        in (text.replace("\n", " "))
    )
    assert "Not measured yet: run `make benchmark`." in text


def test_a_stored_quick_run_is_not_counted_as_the_chapters_full_run(book):
    store(
        book / "notebooks" / "02_models.ipynb",
        "The models",
        stored_run(3.0, 2.5, quick=True),
    )
    text = readme.block(book / "notebooks")
    assert "| 2. The models (`02_models`) | not recorded (no full run stored) | |" in (
        text
    )
    assert "| **the whole book** | not known (a chapter has no full run) | |" in text
    assert "The whole book's time is not known" in text
    assert "3 s" not in text and "1 min 8 s" not in text  # 65 + 3: never summed


def damage(path: Path, how: str) -> None:
    """Write a damaged ``benchmark.json``, as a broken run or a bad merge leaves it."""
    figures = results(mse_towers=loop(0.84, 1.0, 2.6))
    whole = json.dumps(figures, indent=1)
    if how == "nan floor":
        figures["loops"]["mse_towers"]["floor_seconds"] = float("nan")
    elif how == "zero floor":
        figures["loops"]["mse_towers"]["floor_seconds"] = 0.0
    elif how == "missing key":
        del figures["floors"]["matmul_peak"]
    texts = {
        "truncated": whole[: len(whole) // 2],
        "empty": "",
        "merge conflict": f"<<<<<<< HEAD\n{whole}\n=======\n{{}}\n>>>>>>> theirs\n",
        "{}": "{}",
        "[]": "[]",
    }
    if how == "binary":
        path.write_bytes(b"\x00\xff\xfe binary")
    else:
        path.write_text(texts[how] if how in texts else json.dumps(figures))


DAMAGES = [
    "truncated",
    "empty",
    "binary",
    "merge conflict",
    "{}",
    "[]",
    "missing key",
    "nan floor",
    "zero floor",
]


@pytest.mark.parametrize("how", DAMAGES)
@pytest.mark.parametrize("check", [True, False], ids=["--check", "rewrite"])
def test_a_damaged_benchmark_file_is_one_line_naming_it_and_the_fix(
    book, capsys, how, check
):
    results = book / "benchmark.json"
    damage(results, how)
    before = (book / "README.md").read_text()
    args = [
        "--readme",
        str(book / "README.md"),
        "--notebooks-dir",
        str(book / "notebooks"),
    ]
    assert readme.main(args + ["--check"] * check) == readme.UNUSABLE != 0
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith(f"recbook-readme: Cannot use {results}: ")
    assert line.endswith(
        f"Run `make benchmark` again, or restore it with `git checkout {results}`."
    )
    assert "Traceback" not in captured.err and not captured.out
    assert (book / "README.md").read_text() == before  # nothing written


def test_a_nan_or_zero_floor_is_never_written_into_the_readme(book):
    for floor in (float("nan"), 0.0):
        figures = results(mse_towers=loop(0.84, 1.0, 2.6))
        figures["loops"]["mse_towers"]["floor_seconds"] = floor
        (book / "benchmark.json").write_text(json.dumps(figures))
        with pytest.raises(
            ValueError, match=r"loops.mse_towers.floor_seconds must be a finite number"
        ):
            readme.update(book / "README.md", book / "notebooks")
    assert "ms" not in (book / "README.md").read_text()
    figures["loops"]["mse_towers"]["floor_seconds"] = 0.84e-3
    (book / "benchmark.json").write_text(json.dumps(figures))
    assert readme.update(book / "README.md", book / "notebooks")
    assert "| 0.84 ms (compute) |" in (book / "README.md").read_text()


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), -1.0, "65 s"])
def test_a_stored_run_time_that_is_not_a_finite_number_is_refused(book, seconds):
    notebook = book / "notebooks" / "01_data.ipynb"
    store(notebook, "The data", stored_run(seconds, 60.0))
    with pytest.raises(
        ValueError,
        match=rf"^Cannot use {re.escape(str(notebook))}: recbook_run.seconds must be a "
        r"finite number at least 0; got .*; re-run chapter 01 \(recbook-run 01\)\.$",
    ):
        readme.block(book / "notebooks")
