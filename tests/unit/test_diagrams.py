"""recbook.diagrams and the figure standard of recbook.plots: widths, labels, text sizes."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("agg")

from recbook import diagrams, plots  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402


def texts(figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(matplotlib.text.Text) if t.get_text()]


def joined(figure) -> str:
    return "\n".join(texts(figure))


def png_width(figure, **kwargs) -> int:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", **kwargs)
    return Image.open(io.BytesIO(buffer.getvalue())).size[0]


def assert_legible(figure) -> None:
    """Every non-empty text is at least MIN_TEXT_PX on the page."""
    figure.canvas.draw()
    small = [
        (t.get_text(), t.get_fontsize())
        for t in figure.findobj(matplotlib.text.Text)
        if t.get_text()
        and t.get_visible()
        and t.get_fontsize() * plots.DPI / 72 < plots.MIN_TEXT_PX
    ]
    assert not small, f"text under {plots.MIN_TEXT_PX} px: {small}"


def assert_column_wide(figure) -> None:
    assert figure.get_figwidth() == pytest.approx(plots.FIGURE_WIDTH_IN)
    assert figure.dpi == plots.DPI
    assert png_width(figure, bbox_inches=None) == plots.FIGURE_WIDTH_PX


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_the_standard_fits_the_column():
    assert plots.FIGURE_WIDTH_PX <= plots.COLUMN_PX
    assert plots.FIGURE_WIDTH_PX >= 0.9 * plots.COLUMN_PX
    assert plots.FIGURE_WIDTH_IN * plots.DPI == plots.FIGURE_WIDTH_PX
    assert min(plots.SMALL_PT, plots.FONT_PT) * plots.DPI / 72 >= plots.MIN_TEXT_PX


def test_figure_is_column_wide_with_or_without_a_tight_bbox():
    plots.setup()  # outside IPython: only the rcParams
    figure, axes = plots.figure(1, 2, sharey=True)
    assert axes.shape == (2,)
    for ax in axes:
        ax.plot([1, 2, 3])
        ax.set_xlabel("a label long enough to reach the figure's edge, or nearly")
    figure.legend(["x"], loc="outside right upper")
    assert_column_wide(figure)
    tight = png_width(figure, bbox_inches="tight")  # the inline backend's default
    assert 0.9 * plots.COLUMN_PX <= tight <= plots.COLUMN_PX
    plain = plt.subplots()[0]
    assert plain.get_figwidth() == pytest.approx(plots.FIGURE_WIDTH_IN)
    assert png_width(plain) == plots.FIGURE_WIDTH_PX


def test_tower_labels_replace_tuple_reprs():
    assert plots.tower_label((64, 32)) == "2-layer (64→32)"
    assert plots.tower_label("(32,)") == "1-layer (32)"
    assert plots.tower_label("[128, 64, 32], log Q") == "3-layer (128→64→32), log Q"
    assert plots.tower_label((64, 32), suffix=" towers") == "2-layer (64→32) towers"
    assert plots.tower_label("TFRS (all)") == "TFRS (all)"
    assert plots.count_label(50_000) == "50k" and plots.count_label(1.5e6) == "1.5M"


def sweep() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "method": ["QR"] * 3 + ["full"],
            "params": [3e4, 6e4, 1.2e5, 4e5],
            "test_mae": [0.74, 0.73, 0.72, 0.71],
            "test_mae_std": [0.003] * 4,
        }
    )


def test_params_vs_error_has_several_labelled_log_ticks():
    ax = plots.params_vs_error(sweep(), "test_mae")
    figure = ax.figure
    figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert len(ticks) >= 4, ticks
    assert all("^" not in t and "e" not in t for t in ticks), ticks
    assert "100k" in ticks
    assert_column_wide(figure)
    assert_legible(figure)


def test_bars_with_errors_draws_dots_for_close_values_and_bars_from_zero():
    close = pd.DataFrame(
        {"alpha": [0.1, 0.2, "hand-picked"], "mae": [0.71, 0.70, 0.72], "mae_std": 0.01}
    )
    ax = plots.bars_with_errors(close, "alpha")
    assert not ax.patches, "a dot plot, not bars"
    top_down = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in top_down] == ["0.1", "0.2", "hand-picked"]
    far = close.assign(mae=[0.2, 0.5, 0.9])
    ax = plots.bars_with_errors(far, "alpha")
    assert len(ax.patches) == 3 and ax.get_ylim()[0] == 0
    assert ax.get_legend() is None, "no legend over the bars"
    towers = close.assign(alpha=["(32,)", "(64, 32)", "(128, 64, 32)"])
    names = [
        t.get_text() for t in plots.bars_with_errors(towers, "alpha").get_yticklabels()
    ]
    assert "2-layer (64→32)" in names and not any("," in n for n in names)


def test_accuracy_vs_epoch_legend_has_no_tuples_and_sits_below_the_axes():
    rows = [
        {
            "label": str(sizes),
            "epochs": [1, 5],
            "accuracy_curve": np.array([0.1, 0.2]),
            "accuracy_curve_std": np.array([0.01, 0.01]),
            "seeds": 3,
        }
        for sizes in [(32,), (64, 32)]
    ]
    ax = plots.accuracy_vs_epoch(rows, {"(32,)": [0.12, 0.22]}, [1, 5])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        "1-layer (32), ours (mean of 3 seeds)",
        "1-layer (32), published",
        "2-layer (64→32), ours (mean of 3 seeds)",
    ]
    ax.figure.canvas.draw()
    box = ax.get_legend().get_window_extent()
    assert box.y1 < ax.get_window_extent().y0, "the legend is under the axes"
    assert_column_wide(ax.figure)
    assert_legible(ax.figure)


def test_long_tail_labels_counts_without_exponents():
    ids = pd.Series(np.repeat(np.arange(200), np.arange(200, 0, -1)))
    ax = plots.long_tail(ids, "movies", loglog=True)
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert labels and all("10^" not in t and "$" not in t for t in labels), labels


def test_two_towers_names_both_towers_and_the_score():
    figure = diagrams.two_towers(layers=(64, 32))
    text = joined(figure)
    for label in (
        "Query tower",
        "Candidate tower",
        "user features",
        "movie features",
        "dense layers (64-32)",
        "query embedding q",
        "candidate embedding c",
        "score = q · c",
    ):
        assert label in text
    assert "32 numbers" in text
    assert_column_wide(figure)
    assert_legible(figure)


def test_qr_lookup_follows_one_id_through_both_tables():
    figure = diagrams.qr_lookup(6040, 120, example_id=1234)
    text = joined(figure)
    assert "i // m = 10" in text and "i mod m = 34" in text
    assert "quotient table\n51 rows" in text and "remainder table\n120 rows" in text
    assert "row 10" in text and "row 34" in text
    assert "51 + 120 = 171 rows instead of 6,040" in text
    assert_column_wide(figure)
    assert_legible(figure)
    with pytest.raises(ValueError):
        diagrams.qr_lookup(10, 3, example_id=10)


def test_md_blocks_draws_one_block_and_projection_per_popularity_block():
    figure = diagrams.md_blocks((400, 1300, 2006), (64, 32, 16), 32)
    ax = figure.axes[0]
    blocks = [p for p in ax.patches if p.get_gid() == "block"]
    outputs = [p for p in ax.patches if p.get_gid() == "output"]
    assert len(blocks) == len(outputs) == 3
    widths = [b.get_width() for b in blocks]
    assert widths[0] == pytest.approx(2 * widths[1]) == pytest.approx(4 * widths[2])
    assert len({o.get_width() for o in outputs}) == 1, "one common width"
    text = joined(figure)
    assert "64 → 32" in text and "16 → 32" in text and "none needed" in text
    assert "ids 400-1,699" in text and "2,006 x 16" in text
    assert "instead of 3,706 x 32 = 118,592" in text
    assert_column_wide(figure)
    assert_legible(figure)


def test_sharded_table_pads_and_splits_the_rows_over_the_mesh():
    assert diagrams.row_shards(3706, 4) == (927, 2)
    assert diagrams.row_shards(8, 4) == (2, 0)
    figure = diagrams.sharded_table(3706, 4)
    ax = figure.axes[0]
    shards = [p for p in ax.patches if p.get_gid() == "shard"]
    devices = [p for p in ax.patches if p.get_gid() == "device"]
    assert len(shards) == len(devices) == 4
    assert len([p for p in ax.patches if p.get_gid() == "padding"]) == 1
    text = joined(figure)
    for k in range(4):
        assert f"device {k}\nshard {k}: 927 rows" in text
    assert "rows 0-926" in text and "rows 2,781-3,705\n+ 2 padding rows" in text
    assert "1-D mesh, 4 devices" in text and "+ 2 padding rows" in text
    assert_column_wide(figure)
    assert_legible(figure)
