"""recbook_tools.runner on a tiny generated chapter, executed for real by papermill."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import time
from pathlib import Path

from recbook import data
from recbook_tools import notebook_records, runner

import nbformat
import papermill
import pytest

CHAPTER = """# ---
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
from recbook import glue

assert not fail, "asked to fail"
glue.record("epochs_run", epochs)
glue.record("half", epochs / 2)
"""


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
    assert notebook_records.read(target) == {"epochs_run": 30, "half": 15.0}
    stored = nbformat.read(target, as_version=4)
    assert "papermill" not in stored.metadata
    assert all("papermill" not in cell.metadata for cell in stored.cells)
    assert stored.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    assert not list(
        Path("build/failed").iterdir()
    )  # this run's failure file was removed
    details = notebook_records.run_details(target)
    assert (
        details["quick"] is False
        and details["cpus"] >= 1
        and 0 < details["seconds"] < 300
    )
    assert (
        0 < details["kernel_cpu_seconds"] < 300
    )  # the kernel's own CPU time, beside the wall time
    assert details["cpu_model"] and details["cpu_caches"]  # where Linux reports them
    assert target.stat().st_mode & 0o777 == 0o666 & ~current_umask()


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_quick_run_injects_parameters_and_leaves_stored_outputs(book):
    target = runner.execute(Path("notebooks/01_tiny.py"), quick=True)
    assert target == Path("build/quick/01_tiny.ipynb")
    assert notebook_records.read(target) == {"epochs_run": 1, "half": 0.5}
    assert not Path("notebooks/01_tiny.ipynb").exists()
    assert notebook_records.run_details(target)["quick"] is True


def test_extra_parameters_go_over_the_quick_ones(book):
    target = runner.execute(
        Path("notebooks/01_tiny.py"),
        quick=True,
        output_dir=Path("build/other"),
        parameters={"epochs": 4},
    )
    assert target == Path("build/other/01_tiny.ipynb")
    assert notebook_records.read(target) == {"epochs_run": 4, "half": 2.0}
    assert (
        notebook_records.read(
            runner.execute(
                Path("notebooks/01_tiny.py"),
                parameters={"epochs": 6},
                output_dir=Path("build/full"),
            )
        )["epochs_run"]
        == 6
    )


def failure_files() -> list[Path]:
    return sorted(Path("build/failed").glob("*.ipynb"))


def test_failed_run_keeps_the_stored_notebook_and_its_own_output(book, capsys):
    source = Path("notebooks/01_tiny.py")
    good = runner.execute(source)
    before = good.read_bytes()
    source.write_text(CHAPTER.replace("fail = False", "fail = True"))
    with pytest.raises(
        runner.ChapterError, match="AssertionError: asked to fail"
    ) as raised:
        runner.execute(source)
    assert "01_tiny.ipynb was left as it was" in str(raised.value)
    assert good.read_bytes() == before
    (failed,) = failure_files()
    assert failed.name.startswith(
        "01_tiny.full.2"
    ) and f"partial output is in {failed}" in str(raised.value)
    partial = json.loads(failed.read_text())
    assert any(
        o.get("ename") == "AssertionError"
        for c in partial["cells"]
        for o in c.get("outputs", [])
    )
    assert not list(Path("notebooks").glob(".01_tiny.*"))  # no temporary file left
    # A second failure gets its own file; a later successful run deletes neither.
    assert runner.main(["--quick", "01"]) == 1
    assert "partial output is in build/failed/01_tiny.quick." in capsys.readouterr().err
    source.write_text(CHAPTER)
    runner.execute(source, quick=True)
    assert len(failure_files()) == 2 and failed in failure_files()


def test_failure_files_of_runs_in_the_same_second_differ(book):
    source = Path("notebooks/01_tiny.py")
    paths = [runner.failure_path(source, quick=True) for _ in range(3)]
    assert len(set(paths)) == 3 and all(p.exists() for p in paths)
    assert paths[1].name == paths[0].name.replace(".ipynb", "-2.ipynb")


def test_dead_kernel_is_reported_with_the_chapter(book, capsys):
    chapter = Path("notebooks/01_tiny.py")
    chapter.write_text(
        CHAPTER.replace(
            'assert not fail, "asked to fail"',
            "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
        )
    )
    assert runner.main(["--quick", "01"]) == 1
    error = capsys.readouterr().err
    assert (
        "recbook-run: 01_tiny.py: the kernel died (killed, perhaps for lack of memory"
        in error
    )
    assert (
        "Traceback" not in error
        and f"partial output is in {failure_files()[0]}" in error
    )


@pytest.mark.parametrize(
    "where",
    [
        KeyboardInterrupt(),  # in the runner
        papermill.PapermillExecutionError(
            2, 3, "", "KeyboardInterrupt", "", []
        ),  # in the kernel's cell
    ],
    ids=["runner", "kernel"],
)
def test_ctrl_c_ends_with_the_runner_message_and_code_130(
    book, capsys, monkeypatch, where
):
    def interrupted(*args, **kwargs):
        raise where

    monkeypatch.setattr(papermill, "execute_notebook", interrupted)
    assert runner.main(["01"]) == runner.INTERRUPTED == 130
    error = capsys.readouterr().err
    assert error.startswith("recbook-run: 01_tiny.py was interrupted (Ctrl-C)")
    assert (
        "Its partial output is in build/failed/01_tiny.full." in error
        and "Traceback" not in error
    )


def test_a_run_that_never_started_leaves_no_empty_failure_file(book, monkeypatch):
    def no_kernel(*args, **kwargs):
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(papermill, "execute_notebook", no_kernel)
    with pytest.raises(RuntimeError, match="Kernel died"):
        runner.execute(Path("notebooks/01_tiny.py"))
    assert not failure_files()


def test_relative_data_dir_is_made_absolute_for_the_kernel(book, monkeypatch):
    (book / "shared").mkdir()
    monkeypatch.setenv(data.DATA_DIR_ENV, "shared")
    Path("notebooks/01_tiny.py").write_text(
        CHAPTER.replace(
            'glue.record("half", epochs / 2)',
            'import os\nglue.record("half", os.environ["MOVIELENS_DIR"])',
        )
    )
    target = runner.execute(Path("notebooks/01_tiny.py"), quick=True)
    assert notebook_records.read(target)["half"] == str(book / "shared")


def test_output_dir_that_is_a_file_stops_before_executing(book, capsys):
    Path("out").write_text("not a folder")
    tic = time.perf_counter()
    assert runner.main(["--output-dir", "out", "1"]) == 1
    assert time.perf_counter() - tic < 5
    assert (
        "Cannot write to the output folder out (FileExistsError"
        in capsys.readouterr().err
    )
    assert not Path("build/failed").exists() or not failure_files()


def test_broken_yaml_header_names_the_file(book, capsys):
    Path("notebooks/01_tiny.py").write_text(
        CHAPTER.replace("#   recbook:", "#   recbook: [unclosed")
    )
    with pytest.raises(
        runner.ChapterError, match=r"Cannot read notebooks/01_tiny.py: \w*Error"
    ):
        runner.execute(Path("notebooks/01_tiny.py"))
    assert runner.main(["--list"]) == 1
    assert "Cannot read notebooks/01_tiny.py" in capsys.readouterr().err


def test_find_chapters_by_number_or_name(book):
    (book / "notebooks" / "02_other.py").write_text(CHAPTER)
    found = runner.find_chapters(["02", "tiny", "01_tiny.py", "1", "2"])
    assert [p.name for p in found] == [
        "02_other.py",
        "01_tiny.py",
        "01_tiny.py",
        "01_tiny.py",
        "02_other.py",
    ]
    assert [p.name for p in runner.find_chapters([])] == ["01_tiny.py", "02_other.py"]
    with pytest.raises(
        runner.ChapterError, match="the chapters are: 01_tiny, 02_other"
    ):
        runner.find_chapters(["03"])


def test_the_results_page_runs_after_the_chapters_it_reads(tmp_path):
    for stem in ("06_later", runner.RESULTS_PAGE, "01_first"):
        (tmp_path / f"{stem}.py").write_text(CHAPTER)
    assert [p.stem for p in runner.chapters(tmp_path)] == [
        "01_first",
        "06_later",
        runner.RESULTS_PAGE,
    ]


def test_no_chapters_is_an_error(tmp_path):
    with pytest.raises(runner.ChapterError, match="No chapters"):
        runner.chapters(tmp_path)


def test_prepare_nbval_copies_only_chapters_whose_quick_run_is_the_full_run(book):
    runner.execute(Path("notebooks/01_tiny.py"))
    # Quick is not full (1 epoch, not 30): not an nbval test (the notebook tier checks
    # it), but copied unchanged for the results page, and kept from pytest's collection.
    assert runner.prepare_nbval() == []
    assert notebook_records.read("build/nbval/01_tiny.ipynb") == notebook_records.read(
        "notebooks/01_tiny.ipynb"
    )
    conftest: dict = {}
    exec(Path("build/nbval/conftest.py").read_text(), conftest)
    assert conftest["collect_ignore"] == ["01_tiny.ipynb"]
    full = CHAPTER.replace("#       epochs: 1", "#       epochs: 30")
    Path("notebooks/01_tiny.py").write_text(full)
    runner.execute(Path("notebooks/01_tiny.py"))
    (copy,) = runner.prepare_nbval()
    notebook = nbformat.read(copy, as_version=4)
    injected = [
        c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])
    ]
    assert len(injected) == 1 and "epochs = 30" in injected[0].source
    assert notebook_records.read(copy) == {
        "epochs_run": 30,
        "half": 15.0,
    }  # the stored outputs
    assert not any(
        "nbval-ignore-output" in c.metadata.get("tags", []) for c in notebook.cells
    )


def test_prepare_nbval_needs_executed_notebooks(book):
    with pytest.raises(runner.ChapterError, match="has no executed 01_tiny.ipynb"):
        runner.prepare_nbval()


def test_prepare_nbval_is_all_or_nothing_and_names_a_broken_notebook(book):
    (book / "notebooks" / "02_other.py").write_text(CHAPTER)
    for name in ("01_tiny", "02_other"):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
        nbformat.write(notebook, f"notebooks/{name}.ipynb")
    first = runner.prepare_nbval()
    assert [p.name for p in first] == ["01_tiny.ipynb", "02_other.ipynb"]
    before = {p.name: p.read_bytes() for p in Path("build/nbval").iterdir()}
    Path("notebooks/01_tiny.ipynb").write_text(
        '{"cells": []}'
    )  # fresh, would change its copy
    stored = Path("notebooks/02_other.ipynb")
    stored.write_text("<<<<<<< HEAD\n" + stored.read_text())
    with pytest.raises(
        runner.ChapterError, match="Cannot read notebooks/02_other.ipynb: NotJSONError"
    ):
        runner.prepare_nbval()
    assert {p.name: p.read_bytes() for p in Path("build/nbval").iterdir()} == before
    assert sorted(p.name for p in Path("build").iterdir()) == [
        "nbval"
    ]  # no temporary folder left


def test_command_line_reports_errors(book, capsys):
    assert runner.main(["nope"]) == 1
    assert "No single chapter is called 'nope'" in capsys.readouterr().err
    assert runner.main(["--list"]) == 0
    assert "01_tiny: quick {'epochs': 1}" in capsys.readouterr().out


# --- issue 20: SIGTERM, write probes, a full disk, the stored file's mode ------------


def test_sigterm_is_handled_like_ctrl_c(book, capsys):
    # The kernel's parent is this process, the runner: the cell terminates it.
    Path("notebooks/01_tiny.py").write_text(
        CHAPTER.replace(
            'assert not fail, "asked to fail"',
            "import os, signal, time\n"
            "os.kill(os.getppid(), signal.SIGTERM)\n"
            "time.sleep(60)",
        )
    )
    tic = time.perf_counter()
    code = runner.main(["--quick", "01"])
    assert time.perf_counter() - tic < 50
    assert code == runner.TERMINATED == 143
    error = capsys.readouterr().err
    assert error.startswith("recbook-run: 01_tiny.py was terminated (SIGTERM)")
    assert "Its partial output is in build/failed/01_tiny.quick." in error
    assert "Traceback" not in error
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored


def test_sigterm_between_chapters_ends_with_143(book, capsys, monkeypatch):
    def terminated(*args, **kwargs):
        raise runner.Terminated()

    monkeypatch.setattr(runner, "find_chapters", terminated)
    assert runner.main(["01"]) == runner.TERMINATED
    assert "terminated (SIGTERM) between chapters" in capsys.readouterr().err


def refuse_writes_in(monkeypatch, folder: str, code: int):
    original = runner.tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and Path(dir).resolve() == Path(folder).resolve():
            raise OSError(code, os.strerror(code))
        return original(*args, dir=dir, **kwargs)

    monkeypatch.setattr(runner.tempfile, "mkstemp", mkstemp)

    def never(*args, **kwargs):
        raise AssertionError("the kernel started despite an unwritable folder")

    monkeypatch.setattr(papermill, "execute_notebook", never)


def test_an_unwritable_output_folder_stops_before_the_kernel(book, capsys, monkeypatch):
    Path("out").mkdir()
    refuse_writes_in(monkeypatch, "out", errno.EROFS)
    assert runner.main(["--output-dir", "out", "1"]) == 1
    error = capsys.readouterr().err
    assert "Cannot write to the output folder out (OSError: Read-only file system)" in (
        error
    )
    assert "choose another --output-dir" in error
    assert not list(Path("out").iterdir())  # no probe left


def test_a_full_failed_folder_stops_before_the_kernel(book, capsys, monkeypatch):
    refuse_writes_in(monkeypatch, "build/failed", errno.ENOSPC)
    assert runner.main(["--quick", "1"]) == 1
    error = capsys.readouterr().err
    assert "Cannot write to the folder of failed runs build/failed" in error
    assert f"the disk holding {Path('build/failed').resolve()} is full" in error


def test_a_disk_that_fills_during_the_run_leaves_no_fragment(book, monkeypatch):
    def fills(notebook, output, **kwargs):
        Path(output).write_text('{"cells": [{"cell_type": "co')  # truncated
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(papermill, "execute_notebook", fills)
    with pytest.raises(runner.ChapterError) as raised:
        runner.execute(Path("notebooks/01_tiny.py"), quick=True)
    message = str(raised.value)
    assert "no space left on the disk holding" in message
    assert str(Path("build/failed").resolve()) in message
    assert "the fragment was removed" in message
    assert not failure_files()


def test_write_atomically_keeps_the_mode(tmp_path):
    notebook = nbformat.v4.new_notebook()
    kept = tmp_path / "kept.ipynb"
    kept.write_text("{}")
    kept.chmod(0o640)
    runner.write_atomically(notebook, kept)
    assert kept.stat().st_mode & 0o777 == 0o640
    umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.ipynb"
        runner.write_atomically(notebook, fresh)
        assert fresh.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(umask)


def test_cpu_model_and_caches_are_read_from_linux(tmp_path, monkeypatch):
    (tmp_path / "cpuinfo").write_text(
        "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n"
        "processor\t: 1\nmodel name\t: AMD EPYC 7B13\n"
    )
    caches = tmp_path / "cache"
    for index, (level, kind, size) in enumerate(
        [
            (1, "Data", "32K"),
            (1, "Instruction", "32K"),
            (2, "Unified", "512K"),
            (3, "Unified", "32768K"),
        ]
    ):
        folder = caches / f"index{index}"
        folder.mkdir(parents=True)
        for name, value in (("level", level), ("type", kind), ("size", size)):
            (folder / name).write_text(f"{value}\n")
    monkeypatch.setattr(runner, "CPUINFO", tmp_path / "cpuinfo")
    monkeypatch.setattr(runner, "CPU_CACHES", caches)
    assert runner.cpu_description() == {
        "cpu_model": "AMD EPYC 7B13",
        "cpu_caches": {"L1d": "32K", "L1i": "32K", "L2": "512K", "L3": "32768K"},
    }
    monkeypatch.setattr(runner, "CPUINFO", tmp_path / "none")
    monkeypatch.setattr(runner, "CPU_CACHES", tmp_path / "none")
    assert runner.cpu_description() == {}


# --- issue 29: quick parameters that would not be injected are refused -------------


def never_execute(monkeypatch):
    """papermill fails the test if a kernel is started."""

    def never(*args, **kwargs):
        raise AssertionError("a kernel started despite parameters that were refused")

    monkeypatch.setattr(papermill, "execute_notebook", never)


@pytest.mark.parametrize(
    ("tag", "said"),
    [
        (
            "# %%",
            r"no cell is tagged exactly 'parameters' \(cell 0 \(`epochs = 30`\) "
            r"assigns epochs\)",
        ),
        ('# %% tags=["parameter"]', r"cell 0 \(`epochs = 30`\) is tagged 'parameter'"),
        (
            '# %% tags=["Parameters"]',
            r"cell 0 \(`epochs = 30`\) is tagged 'Parameters'",
        ),
    ],
    ids=["no tag", "misspelt", "capitalised"],
)
def test_a_quick_run_without_its_parameters_cell_is_refused(
    book, capsys, monkeypatch, tag, said
):
    never_execute(monkeypatch)
    Path("notebooks/01_tiny.py").write_text(
        CHAPTER.replace('# %% tags=["parameters"]', tag)
    )
    assert runner.main(["--quick", "01"]) == 1
    captured = capsys.readouterr()
    assert re.search(said, captured.err)
    assert captured.err.startswith("recbook-run: notebooks/01_tiny.py: ")
    assert 'tags=["parameters"]' in captured.err and "Traceback" not in captured.err
    assert "wrote" not in captured.out
    assert not Path("build").exists()  # refused before the failure file was reserved
    with pytest.raises(runner.ParametersError, match=said):
        runner.execute(Path("notebooks/01_tiny.py"), quick=True)
    # As written, the chapter needs no tag: nothing is injected into a full run.
    assert (
        runner.injected_parameters(
            runner.read_source(Path("notebooks/01_tiny.py")), "01_tiny", quick=False
        )
        == {}
    )


def test_two_parameters_cells_are_refused_naming_both(book, monkeypatch):
    never_execute(monkeypatch)
    Path("notebooks/01_tiny.py").write_text(
        CHAPTER.replace("# %%\nfrom recbook", '# %% tags=["parameters"]\nfrom recbook')
    )
    with pytest.raises(
        runner.ParametersError,
        match=r"2 cells are tagged 'parameters', cell 0 \(`epochs = 30`\) and cell 1 "
        r"\(`from recbook import glue`\)",
    ):
        runner.execute(Path("notebooks/01_tiny.py"), quick=True)


def test_a_quick_parameter_the_cell_does_not_assign_is_refused(
    book, capsys, monkeypatch
):
    never_execute(monkeypatch)
    Path("notebooks/01_tiny.py").write_text(
        CHAPTER.replace("#       epochs: 1", "#       epoch: 1")
    )
    assert runner.main(["--quick", "01"]) == 1
    error = capsys.readouterr().err
    assert (
        "recbook-run: notebooks/01_tiny.py: recbook.quick_parameters in its .py header "
        "sets 'epoch' (did you mean 'epochs'?), which its parameters cell 0 "
        "(`epochs = 30`) does not assign, so it would change nothing; that cell "
        "assigns epochs, fail." in error
    )
    Path("notebooks/01_tiny.py").write_text(CHAPTER)
    with pytest.raises(
        runner.ParametersError,
        match=r"the parameters given to recbook_tools.runner.execute sets 'seeds', which",
    ):
        runner.execute(
            Path("notebooks/01_tiny.py"),
            quick=True,
            output_dir=Path("out"),
            parameters={"seeds": [0]},
        )


@pytest.mark.parametrize(
    ("header", "got"),
    [
        ("#     quick_parameters: 1", r"got 1 \(int\)"),
        (
            "#     quick_parameters:\n#     - epochs\n#     - 1",
            r"got \['epochs', 1\] \(list\)",
        ),
        ("#     quick_parameters:", r"got None \(NoneType\)"),
    ],
    ids=["a number", "a list", "empty"],
)
def test_quick_parameters_must_be_a_mapping(book, capsys, monkeypatch, header, got):
    never_execute(monkeypatch)
    Path("notebooks/01_tiny.py").write_text(
        CHAPTER.replace("#     quick_parameters:\n#       epochs: 1", header)
    )
    said = (
        r"notebooks/01_tiny.py: recbook.quick_parameters in its header .* must be a "
        r"mapping.*\(like 'epochs: 1'\); " + got
    )
    with pytest.raises(runner.ParametersTypeError, match=said) as raised:
        runner.execute(Path("notebooks/01_tiny.py"), quick=True)
    assert isinstance(raised.value, TypeError)
    for argv in (["--quick", "01"], ["--list"]):
        assert runner.main(argv) == 1
        error = capsys.readouterr().err
        assert re.search(said, error) and "Traceback" not in error


def test_every_quick_chapter_is_checked_before_the_first_runs(
    book, capsys, monkeypatch
):
    never_execute(monkeypatch)
    (book / "notebooks" / "02_other.py").write_text(
        CHAPTER.replace("#       epochs: 1", "#       epoch: 1")
    )
    assert runner.main(["--quick"]) == 1  # 01_tiny is fine, but 02_other is not
    captured = capsys.readouterr()
    assert "notebooks/02_other.py: recbook.quick_parameters" in captured.err
    assert "[1/2]" not in captured.out
