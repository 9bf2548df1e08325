"""recbook.runner on a tiny generated chapter, executed for real by papermill."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from recbook import results, runner

CHAPTER = '''# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   recbook:
#     quick_parameters:
#       epochs: 1
# ---

# %% tags=["parameters"]
epochs = 30
fail = False

# %%
from recbook import results

assert not fail, "asked to fail"
results.record("epochs_run", epochs)
results.record("half", epochs / 2)
'''


@pytest.fixture
def book(tmp_path, monkeypatch) -> Path:
    """A book folder with one chapter, as the working directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01_tiny.py").write_text(CHAPTER)
    return tmp_path


def test_full_run_stores_outputs_beside_the_source(book):
    target = runner.execute(Path("notebooks/01_tiny.py"))
    assert target == Path("notebooks/01_tiny.ipynb")
    assert results.read(target) == {"epochs_run": 30, "half": 15.0}
    stored = nbformat.read(target, as_version=4)
    assert "papermill" not in stored.metadata
    assert all("papermill" not in cell.metadata for cell in stored.cells)
    assert stored.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    assert not Path("build/failed/01_tiny.ipynb").exists()
    details = runner.run_details(target)
    assert details["quick"] is False and details["cpus"] >= 1 and 0 < details["seconds"] < 300


def test_quick_run_injects_parameters_and_leaves_stored_outputs(book):
    target = runner.execute(Path("notebooks/01_tiny.py"), quick=True)
    assert target == Path("build/quick/01_tiny.ipynb")
    assert results.read(target) == {"epochs_run": 1, "half": 0.5}
    assert not Path("notebooks/01_tiny.ipynb").exists()
    assert runner.run_details(target)["quick"] is True


def test_extra_parameters_go_over_the_quick_ones(book):
    target = runner.execute(Path("notebooks/01_tiny.py"), quick=True, output_dir=Path("build/other"),
                            parameters={"epochs": 4})
    assert target == Path("build/other/01_tiny.ipynb")
    assert results.read(target) == {"epochs_run": 4, "half": 2.0}
    assert results.read(runner.execute(Path("notebooks/01_tiny.py"), parameters={"epochs": 6},
                                       output_dir=Path("build/full")))["epochs_run"] == 6


def test_failed_run_keeps_the_stored_notebook(book):
    source = Path("notebooks/01_tiny.py")
    good = runner.execute(source)
    before = good.read_bytes()
    source.write_text(CHAPTER.replace("fail = False", "fail = True"))
    with pytest.raises(runner.ChapterError, match="AssertionError: asked to fail") as raised:
        runner.execute(source)
    assert "01_tiny.ipynb was left as it was" in str(raised.value)
    assert good.read_bytes() == before
    partial = json.loads(Path("build/failed/01_tiny.ipynb").read_text())
    assert any(o.get("ename") == "AssertionError" for c in partial["cells"] for o in c.get("outputs", []))
    assert not list(Path("notebooks").glob(".01_tiny.*"))  # no temporary file left


def test_find_chapters_by_number_or_name(book):
    (book / "notebooks" / "02_other.py").write_text(CHAPTER)
    found = runner.find_chapters(["02", "tiny", "01_tiny.py"])
    assert [p.name for p in found] == ["02_other.py", "01_tiny.py", "01_tiny.py"]
    assert [p.name for p in runner.find_chapters([])] == ["01_tiny.py", "02_other.py"]
    with pytest.raises(runner.ChapterError, match="the chapters are: 01_tiny, 02_other"):
        runner.find_chapters(["03"])


def test_the_results_page_runs_after_the_chapters_it_reads(tmp_path):
    for stem in ("06_later", runner.RESULTS_PAGE, "01_first"):
        (tmp_path / f"{stem}.py").write_text(CHAPTER)
    assert [p.stem for p in runner.chapters(tmp_path)] == ["01_first", "06_later", runner.RESULTS_PAGE]


def test_no_chapters_is_an_error(tmp_path):
    with pytest.raises(runner.ChapterError, match="No chapters"):
        runner.chapters(tmp_path)


def test_prepare_nbval_keeps_outputs_and_injects_quick_parameters(book):
    runner.execute(Path("notebooks/01_tiny.py"))
    (copy,) = runner.prepare_nbval()
    notebook = nbformat.read(copy, as_version=4)
    injected = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "epochs = 1" in injected[0].source
    assert results.read(copy) == {"epochs_run": 30, "half": 15.0}  # the stored outputs


def test_prepare_nbval_needs_executed_notebooks(book):
    with pytest.raises(runner.ChapterError, match="has no executed 01_tiny.ipynb"):
        runner.prepare_nbval()


def test_command_line_reports_errors(book, capsys):
    assert runner.main(["nope"]) == 1
    assert "No single chapter is called 'nope'" in capsys.readouterr().err
    assert runner.main(["--list"]) == 0
    assert "01_tiny: quick {'epochs': 1}" in capsys.readouterr().out
