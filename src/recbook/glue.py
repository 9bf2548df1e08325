"""Record a chapter's headline figures in its executed notebook, and read them back.

:func:`record` stores a value in the notebook's outputs in the format of
myst-nb's ``glue`` (so the book's prose can paste it with ``{glue:text}`name```),
without needing myst-nb in the kernel (Colab has none). :func:`read` parses
them out of an executed ``.ipynb``: the stored notebook is the one source of
the figures, for the tests, the runner and the book alike.

:func:`stored_notebook` is the one reader of an executed notebook's file, for
the recorded figures here and for the run's metadata
(:func:`recbook.runner.run_details`).
"""

from __future__ import annotations

import ast
import json
import numbers
from pathlib import Path
from typing import Any

GLUE_PREFIX = "application/papermill.record/"
"""MIME prefix myst-nb uses for glued values that are stored but not shown."""

Value = int | float | str | bool | list | dict


def to_plain(value: Any) -> Value:
    """Convert numpy scalars, arrays and nested containers to plain Python values.

    Raises:
        TypeError: the value is not a number, string, bool, sequence or mapping.
    """
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if hasattr(value, "tolist"):
        return to_plain(value.tolist())
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    raise TypeError(
        f"Cannot record a {type(value).__name__}; record numbers or strings."
    )


def record(name: str, value: Any) -> None:
    """Glue a headline figure into the executing notebook's outputs (not displayed)."""
    from IPython.display import display

    plain = to_plain(value)
    display(
        {GLUE_PREFIX + "text/plain": repr(plain)},
        raw=True,
        metadata={"scrapbook": {"name": name, "mime_prefix": GLUE_PREFIX}},
    )


def stored_notebook(notebook: str | Path) -> dict[str, Any]:
    """An executed notebook's file as stored: its JSON (cells, outputs, metadata).

    Raises:
        FileNotFoundError: there is no such file.
        ValueError: the file is not a notebook's JSON (a merge-conflict marker,
            say); the message names the file.
    """
    try:
        return json.loads(Path(notebook).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(
            f"Cannot read {notebook}: not a notebook's JSON ({error}). Restore it "
            f"(git checkout {notebook}) or re-run the chapter."
        ) from error


def read(notebook: str | Path) -> dict[str, Value]:
    """All values recorded (glued) in an executed notebook, by name.

    Raises:
        FileNotFoundError, ValueError: see :func:`stored_notebook`.
        ValueError: a name is recorded twice.
    """
    cells = stored_notebook(notebook)["cells"]
    values: dict[str, Value] = {}
    for cell in cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            prefix = meta.get("mime_prefix", "")
            text = output["data"][prefix + "text/plain"]
            text = "".join(text) if isinstance(text, list) else text
            if meta["name"] in values:
                raise ValueError(f"{notebook} records {meta['name']!r} twice.")
            values[meta["name"]] = ast.literal_eval(text)
    return values
