"""recbook.tables: what a result table looks like on the page."""

from __future__ import annotations

import re

from recbook import tables

import numpy as np
import pandas as pd
import pytest


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": ["(64, 32)", "TFRS (all)"],
            "params": [1234567, 20],
            "accuracy_all_std": [0.67371234, np.nan],
            "count": [3.0, np.nan],
            "note": ["ours", None],
        },
        index=[7, 8],
    )


def html(styler) -> str:
    return styler.to_html()


def headers(text: str) -> list[str]:
    return re.findall(r"<th[^>]*>(.*?)</th>", text)


def cells(text: str) -> list[str]:
    return [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", text)]


def test_no_index_column_and_human_headers():
    text = html(
        tables.show(frame(), headers={"label": "towers", "params": "parameters"})
    )
    assert headers(text) == [
        "towers",
        "parameters",
        "accuracy all std",
        "count",
        "note",
    ]
    assert "row_heading" not in text and "blank" not in text, "no index cells"
    assert "7" not in cells(text) and "8" not in cells(text)
    assert len(cells(text)) == 2 * 5


def test_numbers_are_formatted_and_missing_cells_say_so():
    text = html(
        tables.show(frame(), integer_columns=["count"], missing="not published")
    )
    first, second = cells(text)[:5], cells(text)[5:]
    assert first == ["(64, 32)", "1,234,567", "0.6737", "3", "ours"]
    assert second == [
        "TFRS (all)",
        "20",
        "not published",
        "not published",
        "not published",
    ]
    assert "nan" not in text.lower().replace("nowrap", "")
    assert "None" not in text


def test_default_missing_text_and_per_column_formats():
    text = html(
        tables.show(frame(), formats={"accuracy_all_std": "{:.1%}", "label": str.upper})
    )
    row = cells(text)[:5]
    assert row[0] == "(64, 32)".upper() and row[2] == "67.4%"
    assert cells(text)[7] == tables.MISSING


def test_cells_are_padded_and_the_caption_is_shown():
    text = html(tables.show(frame(), caption="Tuned towers, mean over 3 seeds"))
    assert re.search(r"td \{\s*padding: 0\.3em 0\.8em", text)
    assert re.search(r"th \{\s*padding: 0\.3em 0\.8em", text)
    assert "<caption>Tuned towers, mean over 3 seeds</caption>" in text


def test_snake_case_headers_are_prettified_or_refused():
    assert tables.prettify("accuracy_all_std") == "accuracy all std"
    assert tables.prettify("MAE (stars)") == "MAE (stars)"
    with pytest.raises(ValueError, match="snake_case header 'accuracy_all_std'"):
        tables.show(frame(), prettify_headers=False)
    ok = tables.show(
        frame(),
        headers={"accuracy_all_std": "accuracy, all (std)"},
        prettify_headers=False,
    )
    assert "accuracy, all (std)" in headers(html(ok))


def test_unknown_columns_are_an_error():
    with pytest.raises(KeyError, match="typo"):
        tables.show(frame(), headers={"typo": "x"})
