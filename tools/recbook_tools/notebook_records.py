"""Read an executed chapter back: its recorded figures and how its stored run went.

:func:`read` parses the values a chapter recorded with :func:`recbook.glue.record` out
of its executed ``.ipynb``: the stored notebook is the one source of the figures, for
the tests, the runner, the results page and the README alike. :func:`stored_notebook`
is the one reader of an executed notebook's file, for the recorded figures here and
for the run's metadata (:func:`run_details`, which ``recbook-run``,
:func:`recbook_tools.runner.execute`, writes).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

from recbook.glue import Value

RUN_METADATA = "recbook_run"
"""Notebook metadata key where ``recbook-run`` (:func:`recbook_tools.runner.execute`)
stores how long the run took (wall and kernel CPU), and on how many cores
(:func:`run_details` reads it)."""


class NotANotebookError(ValueError):
    """A stored notebook's file is not a notebook (not JSON, or JSON of another shape)."""


class MissingRecordError(KeyError):
    """A chapter's stored notebook lacks a record: the chapter must be re-run."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else ""


def chapter_number(notebook: str | Path) -> str | None:
    """The chapter number of a notebook named ``NN_name.ipynb`` (``"03"``), if it has one."""
    match = re.match(r"(\d\d)_", Path(notebook).name)
    return match[1] if match else None


def rerun_hint(notebook: str | Path) -> str:
    """How to re-create a stored notebook: ``re-run chapter 03 (recbook-run 03)``."""
    number = chapter_number(notebook)
    if number is None:
        return f"re-run the chapter that writes {Path(notebook).name}"
    return f"re-run chapter {number} (recbook-run {number})"


class Records(dict):
    """A notebook's recorded values by name; a missing name raises :class:`MissingRecordError`.

    The error says which record is missing from which file, and which chapter
    to re-run (``record 'towers' missing from notebooks/03_retrieval_towers.ipynb:
    re-run chapter 03 (recbook-run 03)``).
    """

    def __init__(self, values: dict[str, Value], notebook: str | Path) -> None:
        super().__init__(values)
        self.notebook = str(notebook)

    def __missing__(self, name: str) -> Value:
        raise MissingRecordError(
            f"record {name!r} missing from {self.notebook}: {rerun_hint(self.notebook)}."
        )

    def __reduce__(self):
        return (type(self), (dict(self), self.notebook))


def _not_a_notebook(notebook: str | Path, why: str) -> NotANotebookError:
    return NotANotebookError(
        f"Cannot read {notebook}: not a notebook: {notebook} ({why}). Restore it "
        f"(git checkout {notebook}) or {rerun_hint(notebook)}."
    )


def stored_notebook(notebook: str | Path) -> dict[str, Any]:
    """An executed notebook's file as stored: its JSON (cells, outputs, metadata).

    Raises:
        FileNotFoundError: there is no such file.
        NotANotebookError: (a ``ValueError``) the file is not a notebook: not
            UTF-8 text, not JSON (a merge-conflict marker, say), or JSON that
            is not an object with a list of ``cells`` (``{}``, ``[]``); the
            message says "not a notebook: FILE".
    """
    try:
        text = Path(notebook).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise _not_a_notebook(notebook, f"not UTF-8 text: {error.reason}") from None
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        raise _not_a_notebook(notebook, f"not a notebook's JSON: {error}") from error
    if not isinstance(content, dict):
        raise _not_a_notebook(notebook, f"JSON {type(content).__name__}, not an object")
    if not isinstance(content.get("cells"), list):
        raise _not_a_notebook(notebook, "no list of cells")
    if not isinstance(content.setdefault("metadata", {}), dict):
        raise _not_a_notebook(notebook, "its metadata is not an object")
    return content


def read(notebook: str | Path) -> Records:
    """All values recorded (glued) in an executed notebook, by name.

    A name that is not recorded raises :class:`MissingRecordError` (a
    ``KeyError``) naming the file and the chapter to re-run.

    Raises:
        FileNotFoundError, NotANotebookError: see :func:`stored_notebook`.
        NotANotebookError: a record's output is malformed (not a literal).
        ValueError: a name is recorded twice.
    """
    cells = stored_notebook(notebook)["cells"]
    values: dict[str, Value] = {}
    for cell in cells:
        outputs = cell.get("outputs", []) if isinstance(cell, dict) else []
        for output in outputs if isinstance(outputs, list) else []:
            if not isinstance(output, dict):
                continue
            meta = (output.get("metadata") or {}).get("scrapbook")
            if not meta:
                continue
            try:
                name = meta["name"]
                prefix = meta.get("mime_prefix", "")
                text = output["data"][prefix + "text/plain"]
                text = "".join(text) if isinstance(text, list) else text
                value = ast.literal_eval(text)
            except (KeyError, TypeError, AttributeError) as error:
                raise _not_a_notebook(
                    notebook, f"a record's output lacks {error}"
                ) from error
            except (ValueError, SyntaxError, MemoryError, RecursionError) as error:
                raise _not_a_notebook(
                    notebook, f"record {name!r} is not a literal: {error}"
                ) from error
            if name in values:
                raise ValueError(f"{notebook} records {name!r} twice.")
            values[name] = value
    return Records(values, notebook)


def run_details(notebook: str | Path) -> dict[str, Any] | None:
    """How the stored run of an executed notebook went, if ``recbook-run`` recorded it.

    The keys (:data:`RUN_METADATA`, written by :func:`recbook_tools.runner.execute`):
    ``date`` (UTC, ISO 8601), ``seconds``, ``kernel_cpu_seconds``, ``quick``,
    ``cpus``, ``cpu_model`` and ``cpu_caches``
    (:func:`recbook_tools.runner.cpu_description`), ``gpus`` (NVIDIA GPUs seen),
    ``backend`` (Keras's) and ``versions``
    (:func:`recbook_tools.runner.library_versions`); runs stored before a key existed
    lack it.

    Raises:
        FileNotFoundError, ValueError: see :func:`stored_notebook` ("not a notebook:
            FILE" for a file that is not one).
    """
    details = stored_notebook(notebook)["metadata"].get(RUN_METADATA)
    if details is not None and not isinstance(details, dict):
        raise NotANotebookError(
            f"Cannot read {notebook}: its {RUN_METADATA} metadata is not a mapping "
            f"({details!r}); {rerun_hint(notebook)}."
        )
    return details
