"""Labelled plots shared by the chapters (matplotlib; one function per figure kind).

Every figure is drawn for the book's content column (:data:`COLUMN_PX`): at
:data:`DPI` dots per inch a figure :data:`FIGURE_WIDTH_IN` inches wide is
:data:`FIGURE_WIDTH_PX` CSS pixels wide, which the page shows unscaled at 1280 px, with
text of at least :data:`MIN_TEXT_PX` pixels. In a notebook the stored PNG has twice as
many pixels (:data:`FIGURE_FORMATS`), so the figure is sharp on a HiDPI screen and when
opened full size. A chapter calls :func:`setup` once, in its import cell, and draws with
:func:`figure` (or with the helpers below, which use it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from recbook import checks

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

COLUMN_PX = 724
"""Width of the site's content column at a 1280 px window (sphinx-book-theme with
_static/recbook.css; measured in headless Chromium)."""

DPI = 96
"""Dots per inch of the figures: one PNG pixel is one CSS pixel."""

FIGURE_WIDTH_PX = 720
"""Width of every figure's PNG: the column's width, less a few pixels of slack."""

FIGURE_WIDTH_IN = FIGURE_WIDTH_PX / DPI
"""Width of every figure, in inches (7.5)."""

FIGURE_HEIGHT_IN = 4.2
"""Default height of a one-row figure, in inches (403 px)."""

MIN_TEXT_PX = 11
"""No text is drawn smaller than this, in pixels on the page at 1280 px (8.25 pt at
:data:`DPI`); the stored PNG has twice as many pixels (:data:`FIGURE_FORMATS`)."""

FONT_PT = 10.0
"""Body text of a figure (axis labels), in points: 13.3 px."""

SMALL_PT = 8.5
"""Tick labels and legends, in points: 11.3 px, above :data:`MIN_TEXT_PX`."""

RC = {
    "figure.dpi": DPI,
    "figure.figsize": (FIGURE_WIDTH_IN, FIGURE_HEIGHT_IN),
    "savefig.dpi": "figure",
    "savefig.bbox": None,
    # Where a tight bbox is still used (an inline backend before setup()): 2 px around
    # the ink, not 10, so the PNG stays within the column.
    "savefig.pad_inches": 0.02,
    "font.size": FONT_PT,
    "axes.titlesize": FONT_PT + 1,
    "axes.labelsize": FONT_PT,
    "xtick.labelsize": SMALL_PT,
    "ytick.labelsize": SMALL_PT,
    "legend.fontsize": SMALL_PT,
    "legend.title_fontsize": SMALL_PT,
    "figure.titlesize": FONT_PT + 2,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
"""The rcParams :func:`setup` sets (a chapter's plain ``plt.subplots`` gets them too).

Not ``figure.constrained_layout.use``: matplotlib 3.11 gives a figure drawn without a
layout engine (the results page's figure, the diagrams) that default engine after
its first savefig. :func:`figure` asks for a constrained layout itself."""

PRINT_FIGURE_KWARGS = {"bbox_inches": None}
"""What the notebook's inline backend passes to ``savefig``. Its default,
``bbox_inches="tight"``, crops or grows each PNG to its ink, so widths would vary
with the labels; without it a PNG is exactly the figure's size times its dpi."""

FIGURE_FORMATS = ("retina",)
"""What the notebook's inline backend stores of a figure: IPython's "retina" PNG, drawn
at twice :data:`DPI` (2 x :data:`FIGURE_WIDTH_PX` pixels wide for a column-wide figure)
with the figure's size at :data:`DPI` as its ``width`` and ``height`` metadata, so the
page shows it at the column's width and a HiDPI screen gets every pixel it can show."""


def setup() -> None:
    """Draw figures for the column: the rcParams of :data:`RC`, and in a notebook the
    inline backend's PNGs at the figure's own size (:data:`PRINT_FIGURE_KWARGS`) and at
    twice its pixels (:data:`FIGURE_FORMATS`).

    Call once in a chapter's import cell. Idempotent; outside IPython it only sets the
    rcParams.
    """
    mpl.rcParams.update(RC)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is installed with Jupyter
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    from IPython.core.pylabtools import select_figure_formats
    from matplotlib_inline.backend_inline import InlineBackend

    config = InlineBackend.instance()
    # Also what a later "%matplotlib inline" (or the first pyplot import) applies.
    config.print_figure_kwargs = dict(PRINT_FIGURE_KWARGS)
    config.figure_formats = set(FIGURE_FORMATS)
    select_figure_formats(shell, FIGURE_FORMATS, **PRINT_FIGURE_KWARGS)


def figure(
    nrows: int = 1,
    ncols: int = 1,
    height: float | None = None,
    **subplot_kw,
) -> tuple[Figure, Axes | np.ndarray]:
    """A figure as wide as the column (:data:`FIGURE_WIDTH_IN`) with a grid of axes.

    Its layout is constrained: labels, titles and legends placed outside the axes stay
    inside the figure, so the figure is :data:`FIGURE_WIDTH_PX` wide on the page after
    :func:`setup` (its stored PNG twice that; within a few pixels of it without).
    Applies :data:`RC` first.

    Args:
        nrows, ncols: the grid of axes.
        height: in inches; by default :data:`FIGURE_HEIGHT_IN` for one row and 3.2 in
            per row for more.
        **subplot_kw: passed to :func:`matplotlib.pyplot.subplots` (``sharey=True``,
            ``subplot_kw={...}``, ``gridspec_kw={...}``); ``figsize`` and ``dpi`` are
            the standard's.

    Returns:
        The figure and its axes (one :class:`~matplotlib.axes.Axes`, or an array as
        :func:`matplotlib.pyplot.subplots` returns).
    """
    mpl.rcParams.update(RC)
    if height is None:
        height = FIGURE_HEIGHT_IN if nrows == 1 else 3.2 * nrows
    for key in ("figsize", "dpi"):
        subplot_kw.pop(key, None)
    subplot_kw.setdefault("layout", "constrained")
    return plt.subplots(
        nrows, ncols, figsize=(FIGURE_WIDTH_IN, height), dpi=DPI, **subplot_kw
    )


def _axes(ax: Axes | None) -> Axes:
    return ax if ax is not None else figure()[1]


_TUPLE = re.compile(r"[(\[]\s*(\d+(?:\s*,\s*\d+)*)\s*,?\s*[)\]]")


def tower_label(sizes: Sequence[int] | str, suffix: str = "") -> str:
    """A tower's layer sizes as a reader writes them: ``(64, 32)`` -> ``"2-layer (64→32)"``.

    Also rewrites every tuple or list of integers inside a longer label
    (``"(32,), log Q"`` -> ``"1-layer (32), log Q"``); other text is left alone.

    Args:
        sizes: the layer sizes, or a label that contains them as a tuple or list repr.
        suffix: appended to the sizes (for example ``" towers"``).
    """

    def named(widths: Sequence[str]) -> str:
        return f"{len(widths)}-layer ({'→'.join(widths)}){suffix}"

    if not isinstance(sizes, str):
        return named([str(int(size)) for size in sizes])
    return _TUPLE.sub(lambda match: named(re.split(r"\s*,\s*", match.group(1))), sizes)


def count_label(value: float) -> str:
    """A count for a tick: 950, 2k, 15k, 1.5M (no exponents)."""
    value = float(value)
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{unit}"
    return f"{value:.3g}"


def _thousands(value: float, _=None) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3g}"


def log_ticks(ax: Axes, axis: str = "x", formatter=count_label) -> None:
    """Labelled ticks on a log axis, at least four where they fit: powers of ten,
    else 1-2-5 or 1-2-3-5 steps per decade, else 1...9; minor ticks unlabelled.

    Call after the data are drawn (it reads the axis's limits).

    Args:
        axis: ``"x"`` or ``"y"``.
        formatter: a tick value to its label (:func:`count_label`: 20k, 1.5M).
    """
    low, high = sorted(ax.get_xlim() if axis == "x" else ax.get_ylim())
    low, high = max(low, 1e-300), max(high, 1e-300)
    decades = range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)
    ticks: list[float] = []
    for subs in ((1.0,), (1.0, 2.0, 5.0), (1.0, 2.0, 3.0, 5.0), tuple(range(1, 10))):
        ticks = [
            s * 10.0**d for d in decades for s in subs if low <= s * 10.0**d <= high
        ]
        if len(ticks) >= 4:
            break
    which = ax.xaxis if axis == "x" else ax.yaxis
    which.set_major_locator(FixedLocator(ticks))
    which.set_major_formatter(FuncFormatter(lambda v, _: formatter(v)))
    which.set_minor_formatter(NullFormatter())
    if len(ticks) > 6:
        which.set_minor_locator(NullLocator())


REFERENCE_MARGIN = 0.05
"""Share of an axis's span that keeps a reference line (``axvline``, ``axhline``) off
the axes' edge, where the spine would hide it (:func:`keep_references_inside`)."""


def reference_lines(ax: Axes) -> list[tuple[str, float]]:
    """The axes' reference lines as ``(axis, value)``: ``("x", v)`` for
    ``ax.axvline(v)``, ``("y", v)`` for ``ax.axhline(v)``."""
    found = []
    for line in ax.lines:
        for axis, transform, data in (
            ("x", ax.get_xaxis_transform(which="grid"), line.get_xdata()),
            ("y", ax.get_yaxis_transform(which="grid"), line.get_ydata()),
        ):
            values = np.unique(np.asarray(data, dtype=float))
            if line.get_transform() == transform and values.size == 1:
                found.append((axis, float(values[0])))
    return found


def keep_references_inside(ax: Axes, margin: float = REFERENCE_MARGIN) -> None:
    """Widen the axes' limits so that every reference line (:func:`reference_lines`)
    lies at least ``margin`` of the axis's span inside them, not on their edge.

    Limits are never narrowed; a log axis is measured in its own scale. Call after the
    lines are drawn (:func:`legend_below` does, as a panel's last step).

    Raises:
        TypeError, ValueError: ``margin`` is not a number in [0, 0.5].
    """
    margin = checks.real("margin", margin, minimum=0, maximum=0.5)
    for axis in ("x", "y"):
        scale = (ax.xaxis if axis == "x" else ax.yaxis).get_transform()
        values = scale.transform(
            np.array([v for where, v in reference_lines(ax) if where == axis], float)
        )
        values = values[np.isfinite(values)]
        if not values.size:
            continue
        limits = ax.get_xlim() if axis == "x" else ax.get_ylim()
        low, high = scale.transform(np.sort(np.asarray(limits, dtype=float)))
        pad = margin * (high - low)
        wider = min(low, values.min() - pad), max(high, values.max() + pad)
        if wider == (low, high):
            continue
        wider = scale.inverted().transform(np.asarray(wider))
        if limits[0] > limits[1]:  # an inverted axis stays inverted
            wider = wider[::-1]
        (ax.set_xlim if axis == "x" else ax.set_ylim)(*wider)


def legend_below(ax: Axes, ncol: int = 2, **kwargs) -> None:
    """The axes' legend under its x label, where it covers no data: a panel's last step.

    The reference lines drawn on the axes (``axvline``, ``axhline``) are first kept off
    their edges (:func:`keep_references_inside`). When other panels of the figure draw
    the same labelled series and have no legend of their own (panels drawn with a
    helper's ``legend=False``), the legend describes them all: one legend beside those
    panels (:func:`shared_legend`), not under the last of them alone.

    Args:
        ncol: the columns of a legend under the axes (a shared legend has one).
        **kwargs: passed to the legend (``title=...``).
    """
    panels = panels_of_the_legend(ax)
    for panel in panels:
        keep_references_inside(panel)
    if len(panels) > 1:
        shared_legend(ax.figure, ax, **kwargs)
        return
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=ncol,
        frameon=False,
        **kwargs,
    )


def panels_of_the_legend(ax: Axes) -> list[Axes]:
    """``ax`` and the other axes of its figure that draw the same labelled series
    (the same legend labels) and have no legend of their own: the panels that
    ``ax``'s legend describes."""

    def labels(panel: Axes) -> list[str]:
        return sorted(panel.get_legend_handles_labels()[1])

    own = labels(ax)
    return [ax] + [
        other
        for other in ax.figure.axes
        if other is not ax
        and own
        and other.get_legend() is None
        and labels(other) == own
    ]


def shared_legend(fig: Figure, ax: Axes, **kwargs) -> None:
    """One legend (the handles of ``ax``) beside all of ``fig``'s panels, right of them
    and centred on them, in one column; for figures whose panels draw the same series
    (the helpers' ``legend=False``, then :func:`legend_below` on one of the panels).

    Args:
        **kwargs: passed to the legend (``title=...``).
    """
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="outside right center", ncol=1, frameon=False, **kwargs
    )


def rating_distribution(
    ratings: pd.Series, ax: Axes | None = None, label: str = "ratings"
) -> Axes:
    """Bar chart of how many ratings give each star value (bars from 0)."""
    ax = _axes(ax)
    counts = ratings.value_counts().sort_index()
    ax.bar(counts.index.astype(str), counts.to_numpy(), label=label)
    ax.set_xlabel("rating (stars)")
    ax.set_ylabel(f"number of {label}")
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.set_title("Distribution of ratings")
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
    log_ticks(ax, "y", _thousands)
    if loglog:
        ax.set_xscale("log")
        log_ticks(ax, "x", _thousands)
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.set_xlabel(f"{what} ranked by number of ratings (rank{', log scale' * loglog})")
    ax.set_ylabel(f"ratings per {what[:-1]} (log scale)")
    ax.set_title(f"Ratings per {what[:-1]}")
    ax.legend(loc="upper right")
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
    ax.set_title(f"Ratings covered by the top {what}")
    ax.legend(loc="lower right")  # the curve runs above the diagonal
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
    legend: bool = True,
) -> Axes:
    """Validation error against trainable parameters (log scale), one curve per method.

    The parameter axis has several labelled ticks (20k, 50k, 100k; :func:`log_ticks`).

    Args:
        summary: rows with ``method``, ``params``, ``<metric>`` and ``<metric>_std``
            (mean and standard deviation over seeds).
        published: optional rows with ``label``, ``params`` and ``<metric>``, drawn as stars.
        legend: draw the legend under the axes; ``False`` for panels that share one
            (:func:`shared_legend`).
    """
    ax = _axes(ax)
    for method, rows in summary.sort_values("params").groupby("method", sort=False):
        ax.errorbar(
            rows["params"],
            rows[metric],
            yerr=rows[f"{metric}_std"],
            marker="o",
            capsize=3,
            label=str(method),
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
    ax.margins(x=0.08)
    log_ticks(ax, "x")
    ax.set_xlabel("trainable parameters (log scale)")
    ax.set_ylabel(f"{error_label(metric)} (stars)")
    ax.set_title(f"{error_label(metric)} against model size")
    if legend:
        legend_below(ax, ncol=2, title="method (mean ± std over seeds)")
    return ax


def bars_with_errors(
    summary: pd.DataFrame,
    label: str,
    metric: str = "mae",
    ax: Axes | None = None,
    title: str = "",
    kind: str = "auto",
    xlabel: str | None = None,
) -> Axes:
    """``metric`` (mean over seeds, std as error bars) per ``label`` value.

    Bars start at 0. When the values differ by less than a fifth of the largest, bars
    from 0 would look equal, so ``kind="auto"`` draws a dot plot instead: one row per
    value, a dot with its std, on an axis fitted to the values (position, not length,
    carries the value).

    Args:
        summary: rows with ``label``, ``<metric>`` and ``<metric>_std``.
        label: the column that names the rows (tuple reprs become :func:`tower_label`).
        kind: ``"bar"``, ``"dot"`` or ``"auto"``.
        xlabel: the name of the ``label`` column for the reader (its name by default).
    """
    ax = _axes(ax)
    names = [tower_label(str(name)) for name in summary[label]]
    values = summary[metric].to_numpy(dtype=float)
    spread = summary[f"{metric}_std"].to_numpy(dtype=float)
    what = f"{error_label(metric)} (stars, mean ± std over seeds)"
    if kind == "auto":
        kind = "dot" if np.ptp(values) < 0.2 * np.abs(values).max() else "bar"
    name_label = xlabel or label.replace("_", " ")
    if kind == "dot":
        rows = np.arange(len(names))[::-1]
        ax.errorbar(values, rows, xerr=spread, fmt="o", capsize=4, markersize=7)
        ax.set_yticks(rows, names)
        ax.set_ylim(rows.min() - 0.6, rows.max() + 0.6)
        ax.grid(axis="x", alpha=0.4)
        ax.set_xlabel(what)
        ax.set_ylabel(name_label)
        for value, row in zip(values, rows):
            ax.annotate(
                f"{value:.4f}",
                (value, row),
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                fontsize=SMALL_PT,
            )
    elif kind == "bar":
        ax.bar(names, values, yerr=spread, capsize=4)
        ax.set_ylim(bottom=0)
        ax.set_xlabel(name_label)
        ax.set_ylabel(what)
    else:
        raise ValueError(f"kind must be 'auto', 'bar' or 'dot', not {kind!r}")
    ax.set_title(title)
    return ax


def accuracy_vs_epoch(
    summaries: Sequence[Mapping],
    published: Mapping[str, Sequence[float]] | None = None,
    published_epochs: Sequence[int] = (),
    ax: Axes | None = None,
    title: str = "",
    curve: str = "accuracy",
    legend: bool = True,
) -> Axes:
    """Test accuracy against epoch: ours solid (mean, with a +/- std band over seeds),
    the published curves dashed in the same colour.

    Labels that are layer-size tuples (``"(64, 32)"``) are shown as
    :func:`tower_label` writes them (``"2-layer (64→32)"``).

    Args:
        summaries: rows with ``label``, ``epochs``, ``<curve>_curve``,
            ``<curve>_curve_std`` and ``seeds`` (as :func:`recbook.training.summarize`
            returns for :func:`recbook.towers.fit` runs).
        published: published values by the same labels, at ``published_epochs``.
        curve: ``"accuracy"`` (5-star test ratings) or ``"accuracy_all"`` (every one).
        legend: draw the legend under the axes; ``False`` for panels that share one
            (:func:`shared_legend`).
    """
    ax = _axes(ax)
    for row in summaries:
        epochs, mean, std = (
            np.asarray(row["epochs"]),
            np.asarray(row[f"{curve}_curve"]),
            np.asarray(row[f"{curve}_curve_std"]),
        )
        name = tower_label(str(row["label"]))
        seeds = f"mean of {row['seeds']} seeds" if row["seeds"] > 1 else "1 seed"
        (line,) = ax.plot(epochs, mean, marker="o", label=f"{name}, ours ({seeds})")
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
                label=f"{name}, published",
            )
    ax.set_xlabel("epoch")
    counted = "5-star ratings" if curve == "accuracy" else "all ratings"
    ax.set_ylabel(f"top-100 accuracy\n(share of test {counted})")
    ax.set_title(title)
    if legend:
        legend_below(ax, ncol=2)
    return ax


def curves_and_difference(
    curves: Mapping[str, Sequence[float]],
    reference: str,
    ylabel: str,
    xlabel: str = "training step",
    title: str = "",
    axes: tuple[Axes, Axes] | None = None,
) -> tuple[Axes, Axes]:
    """Several runs' curves on top; below, each run's absolute difference from
    ``reference`` (log scale; a difference of exactly 0 is drawn at 10^-12).

    Args:
        curves: equally long curves by run name (one of them ``reference``).
        axes: the two axes to draw on (default: a new two-row :func:`figure`).
    """
    if axes is None:
        _, axes = figure(2, 1, sharex=True)
    left, right = axes
    base = np.asarray(curves[reference], dtype="float64")
    for name, curve in curves.items():
        curve = np.asarray(curve, dtype="float64")
        steps = np.arange(1, len(curve) + 1)
        (line,) = left.plot(
            steps, curve, label=name, linestyle="-" if name == reference else "--"
        )
        if name != reference:  # in the run's colour, as above
            right.plot(
                steps,
                np.maximum(np.abs(curve - base), 1e-12),
                label=name,
                color=line.get_color(),
            )
    left.set_ylabel(ylabel)
    left.set_title(title)
    legend_below(left, ncol=2)
    right.set_yscale("log")
    right.set_xlabel(xlabel)
    right.set_ylabel("absolute difference\n(log scale)")
    right.set_title(f"Difference from {reference} ($10^{{-12}}$ marks none)")
    legend_below(right, ncol=2)
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
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("devices in the mesh (log scale)")
    ax.set_ylabel("collective results per device\nper step (MB)")
    ax.set_title(title)
    legend_below(ax, ncol=2)
    return ax
