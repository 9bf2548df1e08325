"""Tables for the page: human headers, no index, separated thousands, padded cells.

:func:`show` turns a result frame into a :class:`pandas.io.formats.style.Styler` that
a notebook cell displays as HTML. _static/recbook.css lets a table wider than the
column scroll inside its own output area, with its first column kept in view.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

MISSING = "—"
"""What an empty cell (NaN, None) shows by default."""

FLOAT_FORMAT = "{:,.4f}"
"""Floats: four decimals, thousands separated."""

INTEGER_FORMAT = "{:,.0f}"
"""Integers (and integral floats of :func:`show`'s ``integer_columns``): 1,234,567."""

CELL_PADDING = "0.3em 0.8em"
"""Padding of every header and body cell, so neighbouring numbers never run together."""

_SNAKE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)+$")

Format = str | Callable[[object], str]


def prettify(name: object) -> str:
    """A column name for a reader: ``"accuracy_all_std"`` -> ``"accuracy all std"``.

    Only snake_case names change (underscores become spaces); others are kept.
    """
    text = str(name)
    return text.replace("_", " ") if _SNAKE.match(text) else text


def _is_integer_column(column: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(column):
        return False
    if pd.api.types.is_integer_dtype(column):
        return True
    values = [v for v in column if not _is_missing(v)]
    return bool(values) and all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values
    )


def _is_missing(value: object) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # lists, arrays: not one missing value
        return False


def _formatter(fmt: Format, missing: str) -> Callable[[object], str]:
    def format_cell(value: object) -> str:
        if _is_missing(value):
            return missing
        if callable(fmt):
            return fmt(value)
        if isinstance(value, numbers.Number) and not isinstance(value, bool):
            return fmt.format(value)
        return str(value)

    return format_cell


def show(
    frame: pd.DataFrame,
    headers: Mapping[str, str] | None = None,
    formats: Mapping[str, Format] | None = None,
    caption: str | None = None,
    integer_columns: Iterable[str] | None = None,
    missing: str = MISSING,
    prettify_headers: bool = True,
) -> Styler:
    """A frame as a page shows it: a Styler with no index and human headers.

    Integers get thousands separators (1,234,567), floats four decimals (0.6737), and
    NaN or None the ``missing`` text; every cell is padded (:data:`CELL_PADDING`).

    Args:
        frame: the rows; its index is not shown (make a column of it first if it
            matters: ``frame.reset_index()``).
        headers: new names by column name ("accuracy_all_std": "accuracy, all (std)").
        formats: per column, a format string (``"{:.1%}"``) or a function of the value;
            others use :data:`INTEGER_FORMAT` or :data:`FLOAT_FORMAT`.
        caption: a sentence above the table (its HTML ``<caption>``).
        integer_columns: columns shown as integers though stored as floats (counts
            with a NaN in them).
        missing: what an empty cell shows ("not published", "—").
        prettify_headers: write a snake_case header left after ``headers`` with
            spaces (:func:`prettify`); when False such a header is an error.

    Raises:
        KeyError: ``headers``, ``formats`` or ``integer_columns`` name a column that
            ``frame`` does not have.
        ValueError: a snake_case header is left and ``prettify_headers`` is False.
    """
    headers = dict(headers or {})
    formats = dict(formats or {})
    integer_columns = set(integer_columns or ())
    unknown = (set(headers) | set(formats) | integer_columns) - set(frame.columns)
    if unknown:
        raise KeyError(f"no such columns: {sorted(map(str, unknown))}")
    names = {}
    for column in frame.columns:
        name = headers.get(column, str(column))
        if _SNAKE.match(name):
            if not prettify_headers:
                raise ValueError(f"snake_case header {name!r}: name it in headers")
            name = prettify(name)
        names[column] = name
    if len(set(names.values())) < len(names):
        raise ValueError(f"two columns would share a header: {list(names.values())}")
    shown = frame.rename(columns=names).reset_index(drop=True)
    cell_formats = {}
    for column in frame.columns:
        if column in formats:
            fmt: Format = formats[column]
        elif column in integer_columns or _is_integer_column(frame[column]):
            fmt = INTEGER_FORMAT
        elif pd.api.types.is_float_dtype(frame[column]) or any(
            isinstance(v, (float, np.floating)) for v in frame[column]
        ):
            fmt = FLOAT_FORMAT
        else:
            fmt = "{}"
        cell_formats[names[column]] = _formatter(fmt, missing)
    styler = shown.style.format(cell_formats).hide(axis="index")
    cell = [("padding", CELL_PADDING)]
    styler = styler.set_table_styles(
        [
            {"selector": "th", "props": cell + [("text-align", "left")]},
            {"selector": "td", "props": cell},
            {"selector": "td", "props": [("white-space", "nowrap")]},
            {
                "selector": "caption",
                "props": [("caption-side", "top"), ("text-align", "left")],
            },
        ]
    )
    numeric = [
        names[c]
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
    ]
    if numeric:
        styler = styler.set_properties(subset=numeric, **{"text-align": "right"})
    if caption:
        styler = styler.set_caption(caption)
    return styler
