"""Labelled plots shared by the chapters (matplotlib; one function per figure kind)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import NullFormatter


def _axes(ax: Axes | None) -> Axes:
    return ax if ax is not None else plt.subplots(figsize=(6, 4))[1]


def rating_distribution(
    ratings: pd.Series, ax: Axes | None = None, label: str = "ratings"
) -> Axes:
    """Bar chart of how many ratings give each star value."""
    ax = _axes(ax)
    counts = ratings.value_counts().sort_index()
    ax.bar(counts.index.astype(str), counts.to_numpy(), label=label)
    ax.set_xlabel("rating (stars)")
    ax.set_ylabel("number of ratings")
    ax.set_title("Distribution of ratings")
    ax.legend()
    return ax


def long_tail(
    ids: pd.Series, what: str, ax: Axes | None = None, loglog: bool = False
) -> Axes:
    """Ratings per item against the item's popularity rank, largest first.

    Args:
        ids: one id per rating (for example every rating's movie id).
        what: plural noun for the items, used in the labels ("movies", "users").
        loglog: log-scale the rank axis too (the count axis is always log-scaled).
    """
    ax = _axes(ax)
    counts = np.sort(ids.value_counts().to_numpy())[::-1]
    ranks = np.arange(1, len(counts) + 1)
    ax.plot(ranks, counts, label=f"{len(counts):,} {what}")
    ax.set_yscale("log")
    if loglog:
        ax.set_xscale("log")
    ax.set_xlabel(f"{what} ranked by number of ratings (rank)")
    ax.set_ylabel("number of ratings (log scale)")
    ax.set_title(f"Ratings per {what[:-1]}")
    ax.legend()
    return ax


def share_of_ratings(ids: pd.Series, what: str, ax: Axes | None = None) -> Axes:
    """Cumulative share of all ratings covered by the most-rated items."""
    ax = _axes(ax)
    counts = np.sort(ids.value_counts().to_numpy())[::-1]
    share = np.cumsum(counts) / counts.sum()
    fraction = np.arange(1, len(counts) + 1) / len(counts)
    ax.plot(100 * fraction, 100 * share, label=f"{what}, most-rated first")
    ax.plot([0, 100], [0, 100], linestyle="--", color="grey", label="equal popularity")
    ax.set_xlabel(f"share of {what} (%)")
    ax.set_ylabel("share of all ratings (%)")
    ax.set_title(f"How concentrated the ratings are over {what}")
    ax.legend()
    return ax


def error_label(metric: str) -> str:
    """Axis label of a rating model's error metric (see :data:`recbook.rating_models.METRICS`)."""
    part, _, name = metric.rpartition("_")
    where = {"": "validation", "test": "test-half", "selection": "selection-half"}
    return f"{where[part]} {name.upper()}"


def params_vs_error(
    summary: pd.DataFrame,
    metric: str = "mae",
    published: pd.DataFrame | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Validation error against trainable parameters (log scale), one curve per method.

    Args:
        summary: rows with ``method``, ``params``, ``<metric>`` and ``<metric>_std``
            (mean and standard deviation over seeds).
        published: optional rows with ``label``, ``params`` and ``<metric>``, drawn as stars.
    """
    ax = _axes(ax)
    for method, rows in summary.sort_values("params").groupby("method", sort=False):
        ax.errorbar(
            rows["params"],
            rows[metric],
            yerr=rows[f"{metric}_std"],
            marker="o",
            capsize=3,
            label=method,
        )
    if published is not None:
        for _, row in published.iterrows():
            ax.plot(
                row["params"],
                row[metric],
                marker="*",
                markersize=12,
                linestyle="none",
                label=f"published: {row['label']}",
            )
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(
        NullFormatter()
    )  # minor ticks unlabelled: the labels collide
    ax.set_xlabel("trainable parameters (log scale)")
    ax.set_ylabel(f"{error_label(metric)} (stars)")
    ax.set_title(
        f"{error_label(metric).capitalize()} against model size (mean, std over seeds)",
        fontsize="medium",
    )
    ax.legend(fontsize="small")
    return ax


def bars_with_errors(
    summary: pd.DataFrame,
    label: str,
    metric: str = "mae",
    ax: Axes | None = None,
    title: str = "",
) -> Axes:
    """Bar chart of ``metric`` (mean over seeds, std as error bars) per ``label`` value."""
    ax = _axes(ax)
    names = summary[label].astype(str)
    ax.bar(
        names,
        summary[metric],
        yerr=summary[f"{metric}_std"],
        capsize=4,
        label=f"{error_label(metric)}, mean and std over seeds",
    )
    low = (summary[metric] - 3 * summary[f"{metric}_std"]).min()
    ax.set_ylim(bottom=max(0.0, low - 0.02))
    ax.set_xlabel(label)
    ax.set_ylabel(f"{error_label(metric)} (stars)")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small")
    return ax


def accuracy_vs_epoch(
    summaries: Sequence[Mapping],
    published: Mapping[str, Sequence[float]] | None = None,
    published_epochs: Sequence[int] = (),
    ax: Axes | None = None,
    title: str = "",
    curve: str = "accuracy",
) -> Axes:
    """Test accuracy against epoch: ours solid (mean, with a +/- std band over seeds),
    the published curves dashed in the same colour.

    Args:
        summaries: rows with ``label``, ``epochs``, ``<curve>_curve``,
            ``<curve>_curve_std`` and ``seeds`` (as :func:`recbook.training.summarize`
            returns for :func:`recbook.retrieval.fit` runs).
        published: published values by the same labels, at ``published_epochs``.
        curve: ``"accuracy"`` (5-star test ratings) or ``"accuracy_all"`` (every one).
    """
    ax = _axes(ax)
    for row in summaries:
        epochs, mean, std = (
            np.asarray(row["epochs"]),
            np.asarray(row[f"{curve}_curve"]),
            np.asarray(row[f"{curve}_curve_std"]),
        )
        seeds = f"mean of {row['seeds']} seeds" if row["seeds"] > 1 else "1 seed"
        (line,) = ax.plot(
            epochs, mean, marker="o", label=f"{row['label']}, ours ({seeds})"
        )
        if row["seeds"] > 1:
            ax.fill_between(
                epochs, mean - std, mean + std, color=line.get_color(), alpha=0.2
            )
        if published is not None and row["label"] in published:
            ax.plot(
                published_epochs,
                published[row["label"]],
                linestyle="--",
                marker="x",
                color=line.get_color(),
                label=f"{row['label']}, published",
            )
    ax.set_xlabel("epoch")
    counted = "5-star ratings" if curve == "accuracy" else "all ratings"
    ax.set_ylabel(f"test top-100 accuracy ({counted})")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax


def curves_and_difference(
    curves: Mapping[str, Sequence[float]],
    reference: str,
    ylabel: str,
    xlabel: str = "training step",
    title: str = "",
) -> tuple[Axes, Axes]:
    """Several runs' curves on the left; on the right, each run's absolute difference
    from ``reference``.

    Args:
        curves: equally long curves by run name (one of them ``reference``).
    """
    _, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    base = np.asarray(curves[reference], dtype="float64")
    for name, curve in curves.items():
        curve = np.asarray(curve, dtype="float64")
        steps = np.arange(1, len(curve) + 1)
        left.plot(
            steps, curve, label=name, linestyle="-" if name == reference else "--"
        )
        if name != reference:
            right.plot(
                steps,
                np.maximum(np.abs(curve - base), 1e-12),
                label=f"|{name} - {reference}|",
            )
    left.set_xlabel(xlabel)
    left.set_ylabel(ylabel)
    left.set_title(title)
    left.legend()
    right.set_yscale("log")
    right.set_xlabel(xlabel)
    right.set_ylabel("absolute difference (log scale)")
    right.set_title(f"Difference from {reference} (1e-12 marks equal)")
    right.legend()
    return left, right


def bytes_vs_devices(
    table: pd.DataFrame, column: str = "total", ax: Axes | None = None, title: str = ""
) -> Axes:
    """Megabytes of collectives per training step against the number of devices.

    One line per ``strategy``.

    Args:
        table: rows with ``devices``, ``strategy`` and ``column`` (bytes per device per step).
    """
    ax = _axes(ax)
    for strategy, rows in table.groupby("strategy", sort=False):
        ax.plot(rows["devices"], rows[column] / 1e6, marker="o", label=strategy)
    ax.set_xscale("log", base=2)
    ax.set_xticks(
        sorted(table["devices"].unique()),
        [str(d) for d in sorted(table["devices"].unique())],
    )
    ax.set_xlabel("devices in the mesh (log scale)")
    ax.set_ylabel("MB of collective results per device per step")
    ax.set_title(title)
    ax.legend()
    return ax


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
    table: pd.DataFrame, titles: Mapping[str, str] | None = None, width: float = 7.2
) -> plt.Figure:
    """Every headline comparison at a glance: one strip per row, grouped by chapter.

    Each strip has its own scale (accuracies, MAE, float32 differences and megabytes
    share a figure). Ours is a dot with its spread over seeds (``ours_std``) as a bar;
    a published figure is a black tick with its tolerance band shaded, a goal a dashed
    threshold line; rows with neither are context. The verdict is written at the right,
    in its colour. Artists carry gids for tests: ``ours`` (one per row with a figure),
    ``verdict`` (one per row), ``published``, ``tolerance`` and ``goal``.

    Args:
        table: rows as :func:`recbook.results_page.comparisons` returns them.
        titles: chapter titles by notebook stem (the stem where there is none).
    """
    import textwrap

    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

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
    figure = plt.figure(figsize=(width, height))
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
