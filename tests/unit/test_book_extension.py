"""book/_ext/recbook_site.py: the line under each chapter's title, and the API page's modules."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "book" / "_ext"))
import recbook_site  # noqa: E402

FULL = {
    "date": "2026-11-23T19:05:01+00:00",
    "seconds": 636.4,
    "kernel_cpu_seconds": 1100.2,
    "quick": False,
    "cpus": 2,
    "gpus": 0,
    "backend": "jax",
    "versions": {
        "keras": "3.15.1",
        "keras-rs": "0.4.0",
        "jax": "0.8.1",
        "tensorflow": "2.20.0",
    },
}


def test_a_fully_recorded_run():
    assert recbook_site.run_line(FULL, "3.11.7") == (
        "Stored run: 23 November 2026, 10 min 36 s of wall time on 2 CPU cores and "
        "no GPU; Python 3.11.7, Keras 3.15.1 (JAX backend), keras-rs 0.4.0, "
        "JAX 0.8.1, TensorFlow 2.20.0."
    )


def test_what_the_run_did_not_record_is_named():
    assert recbook_site.run_line({"seconds": 13.5, "cpus": 2}, "3.11.7") == (
        "Stored run: 14 s of wall time on 2 CPU cores; Python 3.11.7. Not recorded: "
        "the date, the GPUs and the Keras, keras-rs, JAX and TensorFlow versions."
    )


@pytest.mark.parametrize(
    "gpus, shown", [(1, "1 GPU"), (4, "4 GPUs"), (["NVIDIA L4"], "NVIDIA L4")]
)
def test_gpus(gpus, shown):
    line = recbook_site.run_line({**FULL, "gpus": gpus, "quick": True})
    assert f"on 2 CPU cores and {shown}, with the quick parameters;" in line


@pytest.mark.parametrize(
    "seconds, shown", [(0.4, "0 s"), (59.6, "1 min 0 s"), (3725, "1 h 2 min")]
)
def test_durations(seconds, shown):
    assert recbook_site.duration(seconds) == shown


def test_a_notebook_without_a_recorded_run_gets_no_line(tmp_path):
    notebook = tmp_path / "01_a.ipynb"
    notebook.write_text(json.dumps({"cells": [], "metadata": {}}))
    assert recbook_site.notebook_run(notebook) is None
    notebook.write_text(
        json.dumps(
            {
                "cells": [],
                "metadata": {
                    "recbook_run": {"seconds": 1.0},
                    "language_info": {"version": "3.11.7"},
                },
            }
        )
    )
    assert recbook_site.notebook_run(notebook) == ({"seconds": 1.0}, "3.11.7")


def test_every_module_of_both_packages_gets_a_page_with_its_automodule(tmp_path):
    for folder, package, names in (
        ("src", "recbook", ("__init__", "data", "_private", "plots")),
        ("tools", "recbook_tools", ("__init__", "runner")),
    ):
        (tmp_path / folder / package).mkdir(parents=True)
        for name in names:
            (tmp_path / folder / package / f"{name}.py").write_text(f'"""{name}."""')
    assert recbook_site.modules(tmp_path) == [
        "recbook.data",
        "recbook.plots",
        "recbook_tools.runner",
    ]
    page = recbook_site.module_page("plots")
    assert page.splitlines()[1] == "# `recbook.plots`"
    assert ".. automodule:: recbook.plots" in page
    assert recbook_site.summary(tmp_path, "recbook_tools.runner") == "runner."
    assert recbook_site.summary(tmp_path, "plots") == "plots."


def test_the_book_tools_are_documented_as_the_books_machinery():
    """recbook_tools' modules get pages of their own, under their own layer, saying that
    no chapter imports them; recbook's pages say nothing of the kind."""
    page = recbook_site.module_page("recbook_tools.runner")
    assert page.splitlines()[1] == "# `recbook_tools.runner`"
    assert "no chapter imports it and Colab never installs it" in page
    assert ".. automodule:: recbook_tools.runner\n" in page
    checks = recbook_site.module_page("checks")
    assert "# `recbook.checks`" in checks and "Colab" not in checks
    assert ".. automodule:: recbook.checks\n" in checks
    tools = {title: names for title, _, names in recbook_site.layers(REPO)}[
        "Book tools: recbook_tools"
    ]
    assert tools[:2] == ["recbook_tools.export", "recbook_tools.runner"]
    assert (
        "- :doc:`recbook_tools.runner <api/recbook_tools.runner>`: Execute the book's "
        "chapters with papermill" in recbook_site.api_overview(REPO)
    )


def test_the_api_page_holds_the_marker():
    assert recbook_site.API_MARKER in (REPO / "book" / "api.md").read_text()


@pytest.mark.parametrize("what", ["data", "attribute"])
def test_a_constants_docstring_renders_as_a_sentence_not_a_type(what):
    """Napoleon would read "Training steps per compiled call" as the constant's type."""
    from sphinx.ext.napoleon import Config
    from sphinx.ext.napoleon.docstring import GoogleDocstring

    text = "Training steps per compiled call: identical results, less overhead."
    lines = [text]
    recbook_site.keep_attribute_docstring(None, what, "STEPS", None, {}, lines)
    lines[:] = str(
        GoogleDocstring(lines, Config(napoleon_use_ivar=True), what=what, name="STEPS")
    ).splitlines()
    assert ":type: Training steps per compiled call" in lines, "what napoleon does"
    recbook_site.attribute_docstring_as_prose(None, what, "STEPS", None, {}, lines)
    assert lines == [text]
    function = ["Args: none."]
    recbook_site.keep_attribute_docstring(None, "function", "f", None, {}, function)
    recbook_site.attribute_docstring_as_prose(None, "function", "f", None, {}, function)
    assert function == ["Args: none."], "only constants and attributes are touched"
