"""Record a chapter's headline figures in its executed notebook.

:func:`record` stores a value in the notebook's outputs in the format of
myst-nb's ``glue`` (so the book's prose can paste it with ``{glue:text}`name```),
without needing myst-nb in the kernel (Colab has none). The book's machinery reads
them back (``recbook_tools.notebook_records.read``): the stored notebook is the one source of
the figures, for the tests, the runner and the book alike.
"""

from __future__ import annotations

import numbers
from typing import Any

GLUE_PREFIX = "application/papermill.record/"
"""MIME prefix myst-nb uses for glued values that are stored but not shown."""

Value = int | float | str | bool | list | dict | None


def to_plain(value: Any) -> Value:
    """Convert numpy scalars, arrays and nested containers to plain Python values.

    Raises:
        TypeError: the value is not a number, string, bool, ``None`` (a table's empty
            cell), sequence or mapping.
    """
    if value is None or isinstance(value, (bool, str)):
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
