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
    """Several runs' curves on the left; on the right each run's absolute difference from ``reference``.

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
    """Megabytes of collectives per training step against the number of devices, one line per ``strategy``.

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
