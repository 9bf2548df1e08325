"""recbook.benchmark: verdicts against the targets, and chapter times read from stored runs."""

from __future__ import annotations

from pathlib import Path

from recbook import benchmark, runner

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
    assert benchmark.verdict("book_seconds", 599.0).startswith("met")
    assert benchmark.verdict("book_seconds", 601.0).startswith("NOT met")
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
