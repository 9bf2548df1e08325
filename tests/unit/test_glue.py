"""recbook.glue (values to plain Python, recorded); recbook_tools.notebook_records."""

from __future__ import annotations

import json
import re

from recbook import glue
from recbook_tools import notebook_records

import numpy as np
import pytest


def test_to_plain_converts_numpy():
    value = glue.to_plain(
        {"a": np.float32(0.5), "b": np.int64(3), "c": np.arange(3), "d": (1, "x")}
    )
    assert value == {"a": 0.5, "b": 3, "c": [0, 1, 2], "d": [1, "x"]}
    assert type(value["a"]) is float and type(value["b"]) is int
    assert glue.to_plain(np.bool_(True)) is True
    assert glue.to_plain({"threshold": None}) == {"threshold": None}


def test_to_plain_refuses_objects():
    with pytest.raises(TypeError, match="Cannot record a object"):
        glue.to_plain(object())


def glued(name, text, prefix=glue.GLUE_PREFIX):
    return {
        "output_type": "display_data",
        "data": {prefix + "text/plain": text},
        "metadata": {"scrapbook": {"name": name, "mime_prefix": prefix}},
    }


def write_notebook(path, outputs):
    cells = [{"cell_type": "code", "source": "", "metadata": {}, "outputs": outputs}]
    path.write_text(json.dumps({"cells": cells}))
    return path


def test_read_parses_glued_values(tmp_path):
    notebook = write_notebook(
        tmp_path / "n.ipynb",
        [
            glued("n_ratings", "100000"),
            glued("acc", ["0.3216"], prefix=""),
            {"output_type": "stream"},
        ],
    )
    assert notebook_records.read(notebook) == {"n_ratings": 100000, "acc": 0.3216}


def test_read_refuses_a_name_recorded_twice(tmp_path):
    notebook = write_notebook(tmp_path / "n.ipynb", [glued("x", "1"), glued("x", "2")])
    with pytest.raises(ValueError, match="records 'x' twice"):
        notebook_records.read(notebook)


def test_a_recorded_third_reads_back_exactly(tmp_path, monkeypatch):
    import IPython.display

    outputs = []
    monkeypatch.setattr(
        IPython.display,
        "display",
        lambda data, raw, metadata: outputs.append(
            {"output_type": "display_data", "data": data, "metadata": metadata}
        ),
    )
    glue.record("third", 1 / 3)
    glue.record("thirds", np.array([1 / 3, 2 / 3], dtype="float64"))
    values = notebook_records.read(write_notebook(tmp_path / "n.ipynb", outputs))
    assert values["third"] == 1 / 3 and values["thirds"] == [1 / 3, 2 / 3]


def test_figures_and_run_details_come_from_one_reader(tmp_path):
    notebook = write_notebook(tmp_path / "n.ipynb", [glued("x", "1")])
    stored = notebook_records.stored_notebook(notebook)
    stored["metadata"] = {
        notebook_records.RUN_METADATA: {"seconds": 1.5, "quick": True}
    }
    notebook.write_text(json.dumps(stored))
    assert notebook_records.read(notebook) == {"x": 1}
    assert notebook_records.run_details(notebook) == {"seconds": 1.5, "quick": True}


def test_a_broken_notebook_file_is_named(tmp_path):
    notebook = tmp_path / "n.ipynb"
    notebook.write_text("<<<<<<< HEAD\n{}")
    for read in (notebook_records.read, notebook_records.run_details):
        with pytest.raises(ValueError, match=re.escape(f"Cannot read {notebook}: not")):
            read(notebook)


@pytest.mark.parametrize(
    "content, why",
    [
        (b"{}", "no list of cells"),
        (b"[]", "JSON list, not an object"),
        (b"\x89PNG\r\n\x1a\n\x00\xff", "not UTF-8 text"),
        (b'{"cells": {}}', "no list of cells"),
        (b'{"cells": [], "metadata": []}', "its metadata is not an object"),
    ],
    ids=["empty-object", "list", "binary", "cells-not-a-list", "metadata-not-a-dict"],
)
def test_a_file_that_is_not_a_notebook_says_so(tmp_path, content, why):
    notebook = tmp_path / "03_retrieval_towers.ipynb"
    notebook.write_bytes(content)
    for read in (
        notebook_records.read,
        notebook_records.stored_notebook,
        notebook_records.run_details,
    ):
        with pytest.raises(notebook_records.NotANotebookError) as raised:
            read(notebook)
        message = str(raised.value)
        assert f"not a notebook: {notebook} ({why}" in message
        assert "re-run chapter 03 (recbook-run 03)" in message


def test_a_malformed_record_says_not_a_notebook(tmp_path):
    notebook = write_notebook(tmp_path / "04_x.ipynb", [glued("towers", "{'a': [1,")])
    with pytest.raises(
        notebook_records.NotANotebookError,
        match=re.escape(
            f"not a notebook: {notebook} (record 'towers' is not a literal"
        ),
    ):
        notebook_records.read(notebook)
    notebook = write_notebook(
        tmp_path / "04_x.ipynb",
        [{"output_type": "display_data", "metadata": {"scrapbook": {"name": "x"}}}],
    )
    with pytest.raises(
        notebook_records.NotANotebookError, match="a record's output lacks 'data'"
    ):
        notebook_records.read(notebook)


def test_a_missing_record_names_the_file_and_the_chapter_to_rerun(tmp_path):
    notebook = write_notebook(tmp_path / "03_retrieval_towers.ipynb", [glued("x", "1")])
    values = notebook_records.read(notebook)
    assert values["x"] == 1 and values.get("towers") is None and "towers" not in values
    with pytest.raises(KeyError) as raised:
        values["towers"]
    assert isinstance(raised.value, notebook_records.MissingRecordError)
    assert str(raised.value) == (
        f"record 'towers' missing from {notebook}: re-run chapter 03 (recbook-run 03)."
    )
    assert notebook_records.read(
        write_notebook(tmp_path / "notes.ipynb", [])
    ).notebook.endswith("notes.ipynb")
    with pytest.raises(KeyError, match="re-run the chapter that writes notes.ipynb"):
        notebook_records.read(tmp_path / "notes.ipynb")["y"]


def test_records_pickle_and_compare_as_plain_dicts(tmp_path):
    import pickle

    values = notebook_records.read(
        write_notebook(tmp_path / "01_a.ipynb", [glued("x", "[1, 2]")])
    )
    assert values == {"x": [1, 2]}
    copy = pickle.loads(pickle.dumps(values))
    assert copy == values and copy.notebook == values.notebook


def test_run_details_must_be_a_mapping(tmp_path):
    notebook = tmp_path / "02_b.ipynb"
    notebook.write_text(json.dumps({"cells": [], "metadata": {"recbook_run": [1]}}))
    with pytest.raises(ValueError, match="its recbook_run metadata is not a mapping"):
        notebook_records.run_details(notebook)
