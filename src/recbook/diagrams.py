"""Diagrams of the book's ideas, drawn with matplotlib at the column's width.

Each function returns a :class:`~matplotlib.figure.Figure`
:data:`recbook.plots.FIGURE_WIDTH_IN` inches wide at :data:`recbook.plots.DPI`, with no
text under :data:`recbook.plots.MIN_TEXT_PX` pixels, so a chapter shows it like any plot
(and the tests read its labels). The figure is closed, so a chapter writes the call as
a cell's last line (``diagrams.two_towers()``) and the figure is shown once, as the
cell's value. The drawing area is one axes in units of 1/100 of the width (one unit is
7.2 px); boxes and arrows are drawn in those units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from recbook import plots

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle

QUERY = "#d6e6f5"
"""Fill of the query (user) side."""
CANDIDATE = "#fde2c8"
"""Fill of the candidate (movie) side."""
NEUTRAL = "#eeeeee"
"""Fill of shared steps (the score, a combiner)."""
HIGHLIGHT = "#f4a582"
"""The row a lookup reads."""
SHARD_COLOURS = ("#c6dbef", "#fdd0a2", "#c7e9c0", "#dadaeb", "#fcbba1", "#d9d9d9")
"""One fill per shard (repeated past six devices)."""
TEXT_PT = plots.FONT_PT
"""Box labels, in points (13.3 px)."""
SMALL_PT = plots.SMALL_PT
"""Notes beside the boxes, in points (11.3 px)."""


def _canvas(height: float) -> tuple[Figure, Axes, float]:
    """A column-wide figure ``height`` inches high and its axes, x from 0 to 100.

    The figure is closed (pyplot forgets it): a notebook shows it once, as the cell's
    value, and not again when the inline backend flushes the cell's open figures.
    """
    mpl.rcParams.update(plots.RC)
    figure = plt.figure(
        figsize=(plots.FIGURE_WIDTH_IN, height), dpi=plots.DPI, layout="none"
    )
    ax = figure.add_axes((0, 0, 1, 1))
    top = 100 * height / plots.FIGURE_WIDTH_IN
    ax.set_xlim(0, 100)
    ax.set_ylim(0, top)
    ax.set_aspect("equal")
    ax.axis("off")
    plt.close(figure)
    return figure, ax, top


def _box(
    ax: Axes,
    x: float,
    y: float,
    width: float,
    height: float,
    text: str,
    fill: str = NEUTRAL,
    size: float = TEXT_PT,
    gid: str | None = None,
    **text_kw,
) -> None:
    """A rounded box with its lower left corner at (x, y), its text centred."""
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            width,
            height,
            boxstyle="round,pad=0,rounding_size=1",
            facecolor=fill,
            edgecolor="#444444",
            linewidth=1,
            gid=gid,
        )
    )
    ax.text(
        x + width / 2,
        y + height / 2,
        text,
        ha="center",
        va="center",
        fontsize=size,
        **text_kw,
    )


def _arrow(
    ax: Axes, start: tuple[float, float], end: tuple[float, float], text: str = ""
) -> None:
    """An arrow from ``start`` to ``end``; ``text`` beside its middle."""
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={"arrowstyle": "-|>", "color": "#444444", "lw": 1.2},
    )
    if text:
        ax.text(
            (start[0] + end[0]) / 2 + 1,
            (start[1] + end[1]) / 2,
            text,
            ha="left",
            va="center",
            fontsize=SMALL_PT,
            color="#333333",
        )


def two_towers(
    user_features: Sequence[str] = ("user id",),
    movie_features: Sequence[str] = ("movie id", "title"),
    layers: Sequence[int] = (64, 32),
) -> Figure:
    """The two-tower retrieval model: each tower turns its features into an embedding,
    and the score of a (user, movie) pair is the dot product of the two.

    Args:
        user_features: the query tower's inputs.
        movie_features: the candidate tower's inputs.
        layers: the dense layers' widths; the last is the embeddings' dimension.
    """
    figure, ax, top = _canvas(4.6)
    dim = layers[-1] if layers else "d"
    dense = "-".join(str(n) for n in layers) if layers else "none"
    sides = (
        (
            6,
            QUERY,
            "Query tower",
            f"user features\n({', '.join(user_features)})",
            f"query embedding q\n({dim} numbers)",
        ),
        (
            56,
            CANDIDATE,
            "Candidate tower",
            f"movie features\n({', '.join(movie_features)})",
            f"candidate embedding c\n({dim} numbers)",
        ),
    )
    width, height = 38, 7.5
    rows = (2, 14, 26, 38)
    for x, fill, title, features, embedding in sides:
        labels = (
            features,
            "embedding tables\n(one lookup per feature)",
            f"dense layers ({dense})",
            embedding,
        )
        ax.text(
            x + width / 2,
            rows[-1] + height + 1.5,
            title,
            ha="center",
            va="bottom",
            fontsize=TEXT_PT,
            fontweight="bold",
        )
        for row, label in zip(rows, labels):
            _box(ax, x, row, width, height, label, fill=fill)
        for lower, upper in zip(rows, rows[1:]):
            _arrow(ax, (x + width / 2, lower + height), (x + width / 2, upper))
    score_y = top - 9.5
    _box(ax, 30, score_y, 40, 7.5, "score = q · c  (dot product)", gid="score")
    for x, *_ in sides:
        inner = x + width - 4 if x < 50 else x + 4  # clear of the tower's title
        _arrow(ax, (inner, rows[-1] + height), (inner + (4 if x < 50 else -4), score_y))
    return figure


def qr_lookup(num_ids: int, m: int, example_id: int | None = None) -> Figure:
    """The quotient-remainder trick: id ``i`` reads row ``i // m`` of a quotient table
    and row ``i mod m`` of a remainder table, and the two rows are combined into its
    embedding; ``ceil(num_ids / m) + m`` rows instead of ``num_ids``.

    Args:
        num_ids: rows of the full table (ids 0 to ``num_ids - 1``).
        m: the remainder table's rows (the divisor).
        example_id: the id followed through the lookup (a mid-table id by default).
    """
    if m < 1 or num_ids < 1:
        raise ValueError("num_ids and m must be positive")
    quotient_rows = math.ceil(num_ids / m)
    i = min(num_ids - 1, num_ids // 2 + m // 3) if example_id is None else example_id
    if not 0 <= i < num_ids:
        raise ValueError(f"example_id must be in [0, {num_ids}), not {i}")
    q, r = divmod(i, m)
    figure, ax, top = _canvas(4.4)
    _box(ax, 2, 23, 15, 9, f"id i = {i:,}", gid="id")
    _box(ax, 25, 36, 22, 8, f"i // m = {q:,}", fill=QUERY)
    _box(ax, 25, 11, 22, 8, f"i mod m = {r:,}", fill=CANDIDATE)
    _arrow(ax, (17, 30), (25, 40))
    _arrow(ax, (17, 25), (25, 15))
    ax.text(9.5, 20.5, f"m = {m:,}", ha="center", va="top", fontsize=SMALL_PT, gid="m")
    tables = (
        (60, 31, quotient_rows, q, QUERY, "quotient table", 40),
        (60, 3, m, r, CANDIDATE, "remainder table", 15),
    )
    for x, y, rows, row, fill, name, start in tables:
        row_y = _table(ax, x, y, 12, 17, rows, row, fill)
        _arrow(ax, (47, start), (x, row_y))
        _arrow(ax, (x + 12, row_y), (82, 27 if y > 20 else 23))
        ax.text(
            x + 6,
            y + 17.8,
            f"{name}\n{rows:,} rows",
            ha="center",
            va="bottom",
            fontsize=SMALL_PT,
        )
    _box(ax, 82, 19, 17, 12, "combine\n(multiply, add\nor concat)")
    ax.text(
        90.5,
        17.5,
        f"embedding\nof {i:,}",
        ha="center",
        va="top",
        fontsize=SMALL_PT,
    )
    ax.text(
        50,
        top - 1.5,
        f"{quotient_rows:,} + {m:,} = {quotient_rows + m:,} rows "
        f"instead of {num_ids:,}",
        ha="center",
        va="top",
        fontsize=TEXT_PT,
        fontweight="bold",
        gid="total",
    )
    return figure


def _table(
    ax: Axes,
    x: float,
    y: float,
    width: float,
    height: float,
    rows: int,
    row: int,
    fill: str,
) -> float:
    """A table drawn as a column of at most 12 rows, the one read (``row``) marked
    and labelled; returns the marked row's middle (y)."""
    shown = min(rows, 12)
    step = height / shown
    slot = round(row * (shown - 1) / max(rows - 1, 1))
    for k in range(shown):
        ax.add_patch(
            Rectangle(
                (x, y + height - (k + 1) * step),
                width,
                step,
                facecolor=HIGHLIGHT if k == slot else fill,
                edgecolor="#666666",
                linewidth=0.6,
            )
        )
    middle = y + height - (slot + 0.5) * step
    ax.text(
        x - 0.8, middle + 1, f"row {row:,}", ha="right", va="bottom", fontsize=SMALL_PT
    )
    return middle


def md_blocks(
    block_sizes: Sequence[int], block_dims: Sequence[int], output_dim: int
) -> Figure:
    """Mixed-dimension embeddings: the ids, most popular first, in blocks whose tables
    have different widths; each block's rows are projected to the common width.

    Block heights are proportional to their rows (with a minimum), widths to their
    dimensions.

    Args:
        block_sizes: ids (rows) per block, most popular block first.
        block_dims: each block's embedding dimension.
        output_dim: the common dimension every block is projected to.
    """
    if len(block_sizes) != len(block_dims) or not block_sizes:
        raise ValueError("one dimension per block, and at least one block")
    total = sum(block_sizes)
    widest = max(max(block_dims), output_dim)
    height_in = 1.0 + 0.75 * len(block_sizes) + 1.2
    figure, ax, top = _canvas(max(3.4, height_in))
    space = top - 16
    gap = 2.5
    usable = space - gap * (len(block_sizes) - 1)
    heights = [max(5.5, usable * size / total) for size in block_sizes]
    scale = usable / sum(heights)
    heights = [h * scale for h in heights]
    y = top - 9
    heads = ((22, "left", "block tables"), (60, "center", "projection"))
    for x, align, text in heads:
        ax.text(x, top - 2, text, ha=align, va="top", fontsize=TEXT_PT)
    ax.text(
        86,
        top - 2,
        f"embeddings ({output_dim} dims)",
        ha="center",
        va="top",
        fontsize=TEXT_PT,
    )
    first = 0
    out_width = 22 * output_dim / widest
    for k, (size, dim, h) in enumerate(zip(block_sizes, block_dims, heights)):
        y -= h
        middle = y + h / 2
        fill = SHARD_COLOURS[k % len(SHARD_COLOURS)]
        width = 22 * dim / widest
        ax.add_patch(
            Rectangle(
                (22, y), width, h, facecolor=fill, edgecolor="#444444", gid="block"
            )
        )
        ax.text(
            21,
            middle,
            f"ids {first:,}-{first + size - 1:,}\n{size:,} x {dim}",
            ha="right",
            va="center",
            fontsize=SMALL_PT,
        )
        first += size
        step = f"{dim} → {output_dim}" if dim != output_dim else "none needed"
        _box(ax, 52, middle - 3, 16, 6, step, gid="projection")
        _arrow(ax, (23 + width, middle), (52, middle))
        ax.add_patch(
            Rectangle(
                (86 - out_width / 2, y),
                out_width,
                h,
                facecolor=fill,
                edgecolor="#444444",
                gid="output",
            )
        )
        _arrow(ax, (68, middle), (86 - out_width / 2, middle))
        y -= gap
    rows = sum(s * d for s, d in zip(block_sizes, block_dims))
    projections = sum(d * output_dim for d in block_dims if d != output_dim)
    ax.text(
        50,
        2,
        f"{rows:,} table numbers + {projections:,} projection numbers "
        f"instead of {total:,} x {output_dim} = {total * output_dim:,}",
        ha="center",
        va="bottom",
        fontsize=SMALL_PT,
        gid="total",
    )
    return figure


def row_shards(rows: int, devices: int) -> tuple[int, int]:
    """Rows per shard and padding rows when a table's rows are split evenly over
    ``devices``: the rows are padded to a multiple of the devices first.

    >>> row_shards(3706, 4)
    (927, 2)
    """
    if rows < 1 or devices < 1:
        raise ValueError("rows and devices must be positive")
    per_shard = math.ceil(rows / devices)
    return per_shard, per_shard * devices - rows


def sharded_table(rows: int, devices: int) -> Figure:
    """A table's rows padded to a multiple of the devices and split into row shards
    over a 1-D mesh: shard ``k`` (rows ``k * s`` to ``(k + 1) * s - 1``) lives on device
    ``k``; the padding rows are at the end of the last shard.

    Args:
        rows: the table's rows (for example 3,706 movies).
        devices: devices on the mesh's one axis (at most 8 are drawn one by one).
    """
    per_shard, padding = row_shards(rows, devices)
    drawn = min(devices, 8)
    figure, ax, top = _canvas(1.2 + 0.62 * drawn)
    x, width = 6, 16
    bottom = 2
    height = top - 10
    step = height / drawn
    ax.text(
        x + width / 2,
        top - 2,
        f"table: {rows:,} rows\n+ {padding:,} padding rows",
        ha="center",
        va="top",
        fontsize=SMALL_PT,
        gid="table",
    )
    for k in range(drawn):
        y = bottom + height - (k + 1) * step
        fill = SHARD_COLOURS[k % len(SHARD_COLOURS)]
        ax.add_patch(
            Rectangle(
                (x, y), width, step, facecolor=fill, edgecolor="#444444", gid="shard"
            )
        )
        last = k == devices - 1
        start, stop = k * per_shard, min((k + 1) * per_shard, rows) - 1
        if last and padding:
            pad_height = max(step * padding / per_shard, 0.9)
            ax.add_patch(
                Rectangle(
                    (x, y),
                    width,
                    pad_height,
                    facecolor="white",
                    edgecolor="#444444",
                    hatch="///",
                    gid="padding",
                )
            )
        label = f"rows {start:,}-{stop:,}"
        if last and padding:
            label += f"\n+ {padding:,} padding rows"
        ax.text(
            x + width + 1.5,
            y + step / 2,
            label,
            ha="left",
            va="center",
            fontsize=SMALL_PT,
        )
        _arrow(ax, (49, y + step / 2), (62, y + step / 2))
        _box(
            ax,
            62,
            y + 0.4,
            34,
            step - 0.8,
            f"device {k}\nshard {k}: {per_shard:,} rows",
            fill=fill,
            size=SMALL_PT,
            gid="device",
        )
    if drawn < devices:
        ax.text(
            79,
            1,
            f"... {devices - drawn} more devices",
            ha="center",
            va="bottom",
            fontsize=SMALL_PT,
        )
    ax.text(
        79,
        top - 2,
        f"1-D mesh, {devices} devices",
        ha="center",
        va="top",
        fontsize=TEXT_PT,
        fontweight="bold",
        gid="mesh",
    )
    return figure
