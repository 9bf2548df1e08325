"""The results page's figure: every headline comparison at a glance, in the book's plot style."""

from __future__ import annotations

from collections.abc import Mapping

from recbook.plots import DPI, FIGURE_WIDTH_IN

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

OVERVIEW_COLOURS = {
    "within": "#1b7837",
    "met": "#1b7837",
    "outside": "#b2182b",
    "not met": "#b2182b",
    "context": "#6e6e6e",
}
"""Verdict colours of :func:`comparison_overview` (as the results page's table)."""

OVERVIEW_MARKS = {"within": "✓", "met": "✓", "outside": "✗", "not met": "✗"}
"""The sign beside each verdict word (context rows have none)."""


def _finite(value: object) -> bool:
    return value is not None and bool(np.isfinite(float(value)))


def _overview_range(row: Mapping) -> tuple[float, float]:
    """The x range of one row's strip: ours with its spread, the reference with its band."""
    points = []
    if _finite(row["ours"]):
        spread = float(row["ours_std"]) if _finite(row["ours_std"]) else 0.0
        points += [row["ours"] - spread, row["ours"] + spread]
    if _finite(row["published"]):
        band = float(row["tolerance"]) if _finite(row["tolerance"]) else 0.0
        points += [row["published"] - band, row["published"] + band]
    low, high = min(points), max(points)
    pad = 0.15 * (high - low) or 0.1 * abs(high) or 1e-6
    return low - pad, high + pad


def comparison_overview(
    table: pd.DataFrame,
    titles: Mapping[str, str] | None = None,
    width: float | None = None,
) -> plt.Figure:
    """Every headline comparison at a glance: one strip per row, grouped by chapter.

    Each strip has its own scale (accuracies, MAE, float32 differences and megabytes
    share a figure). Ours is a dot with its spread over seeds (``ours_std``) as a bar;
    a published figure is a black tick with its tolerance band shaded, a goal a dashed
    threshold line; rows with neither are context. The verdict is written at the right,
    in its colour. Artists carry gids for tests: ``ours`` (one per row with a figure),
    ``verdict`` (one per row), ``published``, ``tolerance`` and ``goal``.

    Args:
        table: rows as :func:`recbook_tools.results_page.comparisons` returns them.
        titles: chapter titles by notebook stem (the stem where there is none).
        width: in inches; the column's width (:data:`FIGURE_WIDTH_IN`) by default.
    """
    import textwrap

    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    width = FIGURE_WIDTH_IN if width is None else width
    titles = titles or {}
    groups = list(table.groupby("chapter", sort=False))
    labels = {
        index: textwrap.fill(str(row["experiment"]), 46)
        for index, row in table.iterrows()
    }
    heights = []
    for _, rows in groups:
        heights.append(0.3)  # the chapter's title
        heights += [max(0.42, 0.13 * labels[i].count("\n") + 0.32) for i in rows.index]
    height = sum(heights) + 0.9  # the legend above, the last strip's ticks below
    # Its own grid (left, right): no layout engine, whatever setup() made the default.
    figure = plt.figure(figsize=(width, height), dpi=DPI, layout="none")
    grid = figure.add_gridspec(
        len(heights),
        1,
        height_ratios=heights,
        left=0.45,
        right=0.83,
        top=1 - 0.55 / height,
        bottom=0.3 / height,
        hspace=0.9,
    )
    slot = 0
    for chapter, rows in groups:
        head = figure.add_subplot(grid[slot])
        head.axis("off")
        head.text(
            -0.82,
            0.0,
            titles.get(chapter, chapter),
            transform=head.transAxes,
            fontsize=10,
            fontweight="bold",
            va="bottom",
        )
        slot += 1
        for index, row in rows.iterrows():
            ax = figure.add_subplot(grid[slot])
            slot += 1
            colour = OVERVIEW_COLOURS.get(row["verdict"], "black")
            ax.text(
                -0.04,
                0.5,
                labels[index],
                transform=ax.transAxes,
                ha="right",
                va="center",
                fontsize=8,
            )
            mark = OVERVIEW_MARKS.get(row["verdict"], "○")
            ax.text(
                1.04,
                0.5,
                f"{mark} {row['verdict']}",
                transform=ax.transAxes,
                ha="left",
                va="center",
                fontsize=8.5,
                color=colour,
                fontweight="bold",
                gid="verdict",
            )
            for side in ("left", "right", "top"):
                ax.spines[side].set_visible(False)
            ax.set_yticks([])
            ax.set_ylim(-1, 1)
            ax.tick_params(axis="x", labelsize=7, length=2, pad=1)
            if not _finite(row["ours"]):
                ax.set_xticks([])
                ax.spines["bottom"].set_visible(False)
                ax.text(
                    0.5,
                    0.0,
                    "(a yes-or-no check: no figure)",
                    transform=ax.transAxes,
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    style="italic",
                    color="#6e6e6e",
                )
                continue
            ax.set_xlim(*_overview_range(row))
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            if _finite(row["published"]):
                if row["verdict"] in ("met", "not met"):
                    ax.axvline(
                        row["published"],
                        color="black",
                        linestyle="--",
                        lw=1,
                        gid="goal",
                    )
                else:
                    ax.plot(
                        [row["published"]],
                        [0],
                        marker="|",
                        markersize=14,
                        markeredgewidth=2,
                        color="black",
                        linestyle="none",
                        gid="published",
                    )
                    if _finite(row["tolerance"]):
                        ax.axvspan(
                            row["published"] - row["tolerance"],
                            row["published"] + row["tolerance"],
                            color="#999999",
                            alpha=0.3,
                            lw=0,
                            gid="tolerance",
                        )
            ours = ax.errorbar(
                [row["ours"]],
                [0],
                xerr=[row["ours_std"]] if _finite(row["ours_std"]) else None,
                fmt="o",
                color=colour,
                markersize=6,
                capsize=3,
                elinewidth=1.5,
                zorder=3,
            )
            ours.lines[0].set_gid("ours")
    figure.legend(
        handles=[
            Line2D(
                [],
                [],
                marker="o",
                color="black",
                linestyle="none",
                label="ours (± std over seeds)",
            ),
            Line2D(
                [],
                [],
                marker="|",
                markersize=10,
                markeredgewidth=2,
                color="black",
                linestyle="none",
                label="published",
            ),
            Patch(color="#999999", alpha=0.3, label="tolerance"),
            Line2D([], [], color="black", linestyle="--", label="goal"),
        ],
        loc="upper center",
        ncol=4,
        fontsize=8,
        frameon=False,
    )
    return figure
