"""recbook.plots: the inline backend's 2x PNGs, reference lines off the axes' edges, and
legends beside the panels they describe."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("agg")

from recbook import plots  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def shell(tmp_path, monkeypatch):
    """An IPython shell (as a notebook's kernel has), its history in memory; the shell
    and the inline backend's settings are dropped afterwards."""
    from IPython.core.interactiveshell import InteractiveShell
    from matplotlib_inline.backend_inline import InlineBackend
    from traitlets.config import Config

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    yield InteractiveShell.instance(config=config)
    InteractiveShell.clear_instance()
    InlineBackend.clear_instance()


def stored_png(shell, figure) -> tuple[tuple[int, int], dict]:
    """What a notebook stores of ``figure``: the PNG's pixel size and its metadata."""
    data, metadata = shell.display_formatter.format(figure)
    png = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
    return png.size, metadata.get("image/png", {})


def column_wide_figure():
    figure, ax = plots.figure()
    ax.plot([1, 2, 3], label="a series")
    ax.set_xlabel("a label long enough to reach far along the axis, or nearly")
    plots.legend_below(ax)
    return figure


def test_setup_stores_figures_at_twice_their_pixels_and_the_column_width(shell):
    plots.setup()
    (width, height), metadata = stored_png(shell, column_wide_figure())
    assert metadata["width"] == plots.FIGURE_WIDTH_PX <= plots.COLUMN_PX
    assert width == 2 * metadata["width"], "the PNG has twice the pixels it shows"
    assert metadata["height"] == round(plots.FIGURE_HEIGHT_IN * plots.DPI)
    assert height // 2 == metadata["height"]
    plain = plt.subplots()[0]  # a chapter's own plt.subplots gets the same
    plain.gca().plot([1, 2])
    (width, _), metadata = stored_png(shell, plain)
    assert (width, metadata["width"]) == (2 * plots.FIGURE_WIDTH_PX, 720)


def test_setup_survives_a_later_matplotlib_inline(shell):
    """The inline backend's settings hold the 2x format and the figure's own size, so
    that re-selecting the formats from them (as ``%matplotlib inline`` does) keeps it."""
    from IPython.core.pylabtools import select_figure_formats
    from matplotlib_inline.backend_inline import InlineBackend

    plots.setup()
    config = InlineBackend.instance()
    assert config.figure_formats == {"retina"}
    assert config.print_figure_kwargs == {"bbox_inches": None}
    select_figure_formats(shell, config.figure_formats, **config.print_figure_kwargs)
    (width, _), metadata = stored_png(shell, column_wide_figure())
    assert (width, metadata["width"]) == (2 * plots.FIGURE_WIDTH_PX, 720)


def test_without_setup_the_inline_png_is_1x(shell):
    """The inline backend's default, which setup() changes: one PNG pixel per CSS
    pixel, and no size in the metadata."""
    from IPython.core.pylabtools import select_figure_formats
    from matplotlib_inline.backend_inline import InlineBackend

    config = InlineBackend.instance()
    select_figure_formats(shell, config.figure_formats, **config.print_figure_kwargs)
    (width, _), metadata = stored_png(shell, column_wide_figure())
    assert "width" not in metadata and width <= plots.COLUMN_PX


def alphas() -> pd.DataFrame:
    """Figure 4.4's values: close MAEs (a dot plot) and the bias model's MAE just
    below the lowest error bar."""
    return pd.DataFrame(
        {
            "alpha": ["0.0", "0.2", "0.4", "0.6", "hand-picked"],
            "mae": [0.7175, 0.7180, 0.7173, 0.7180, 0.7236],
            "mae_std": [0.0003, 0.0007, 0.00095, 0.0002, 0.00018],
        }
    )


BIAS_MAE = 0.71601


def share_inside(ax, value: float, axis: str = "x") -> float:
    """How far inside the axes' limits ``value`` lies, as a share of their span (0 on
    an edge, negative outside), in the axis's own scale."""
    scale = (ax.xaxis if axis == "x" else ax.yaxis).get_transform()
    limits = ax.get_xlim() if axis == "x" else ax.get_ylim()
    low, high, at = scale.transform(np.array([*sorted(limits), value]))
    return min(at - low, high - at) / (high - low)


def test_the_bias_models_line_sits_inside_the_dot_plot():
    """Figure 4.4: the reference line drawn after the dots lay on the left edge, under
    the spine; legend_below keeps it a margin inside."""
    figure, ax = plots.figure()
    plots.bars_with_errors(alphas(), "alpha", ax=ax)
    ax.axvline(BIAS_MAE, color="grey", linestyle="--", label="bias model")
    assert share_inside(ax, BIAS_MAE) < 0.01, "the fault this guards against"
    data_limits = ax.get_xlim()
    plots.legend_below(ax)
    low, high = ax.get_xlim()
    assert low < BIAS_MAE < high
    assert share_inside(ax, BIAS_MAE) == pytest.approx(plots.REFERENCE_MARGIN, rel=0.1)
    assert high == data_limits[1], "only the side of the line is widened"
    figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    box = ax.get_window_extent()
    assert legend.y1 < box.y0, "the legend is under its own axes"
    assert box.x0 <= legend.x0 and legend.x1 <= box.x1


def test_reference_lines_are_found_and_kept_inside_on_a_log_axis():
    figure, ax = plots.figure()
    ax.plot([10, 1000], [1.0, 2.0])
    ax.set_xscale("log")
    ax.set_xlim(10, 1000)
    ax.axvline(10, color="grey")
    ax.axhline(2.0, color="black")
    ax.axhline(1.5, color="black")  # in the middle: needs nothing
    assert plots.reference_lines(ax) == [("x", 10.0), ("y", 2.0), ("y", 1.5)]
    plots.keep_references_inside(ax, margin=0.1)
    # Two decades; the line 0.2 decades inside, of 2.2.
    assert share_inside(ax, 10.0, "x") == pytest.approx(0.1 / 1.1, rel=1e-6)
    assert ax.get_xlim() == pytest.approx((10**0.8, 1000))
    assert share_inside(ax, 2.0, "y") > 0.05


def test_limits_are_never_narrowed_and_an_inverted_axis_stays_inverted():
    figure, ax = plots.figure()
    ax.plot([0, 10], [0, 1])
    ax.axvline(5)
    ax.set_ylim(1, 0)
    ax.axhline(1.0)
    before = ax.get_xlim()
    plots.keep_references_inside(ax)
    assert ax.get_xlim() == before
    top, bottom = ax.get_ylim()
    assert top > 1.0 and bottom == 0, "inverted, and widened past the line"


@pytest.mark.parametrize("margin", [-0.1, 0.6, float("nan")])
def test_keep_references_inside_refuses_a_margin_outside_0_to_a_half(margin):
    figure, ax = plots.figure()
    with pytest.raises(ValueError, match=r"margin must be a finite number at least 0"):
        plots.keep_references_inside(ax, margin=margin)
    with pytest.raises(TypeError, match=r"margin must be .*got '5%'"):
        plots.keep_references_inside(ax, margin="5%")


def sweep() -> pd.DataFrame:
    rows = [
        {
            "method": method,
            "params": params,
            "test_mae": 0.73 - 0.01 * step + offset,
            "test_mae_std": 0.002,
            "test_rmse": 0.92 - 0.01 * step + offset,
            "test_rmse_std": 0.003,
        }
        for method, offset in (("full", 0.0), ("hashing", 0.2), ("qr", 0.01))
        for step, params in enumerate((3e4, 6e4, 1.2e5, 6.2e5))
    ]
    return pd.DataFrame(rows)


def test_a_legend_of_two_panels_sits_beside_both():
    """Figure 4.5: both panels draw the methods and the bias model, the legend is drawn
    once (legend_below on the last panel); it describes both, so it sits right of both
    and between them, not under the last one."""
    figure, axes = plots.figure(nrows=2, sharex=True)
    for ax, metric, bias in zip(axes, ("test_mae", "test_rmse"), (0.716, 0.907)):
        plots.params_vs_error(sweep(), metric, ax=ax, legend=False)
        ax.axhline(bias, color="grey", linestyle="--", label="bias model")
    plots.legend_below(axes[-1])
    assert all(ax.get_legend() is None for ax in axes), "no panel has its own"
    assert len(figure.legends) == 1
    legend = figure.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == [
        "bias model",
        "full",
        "hashing",
        "qr",
    ]
    figure.canvas.draw()
    box = legend.get_window_extent()
    panels = [ax.get_window_extent() for ax in axes]
    assert box.x0 >= max(panel.x1 for panel in panels), "right of both panels"
    middle = (box.y0 + box.y1) / 2
    assert panels[1].y1 < middle < panels[0].y0 + 0.5 * panels[0].height
    assert box.x1 <= figure.bbox.x1 + 1, "inside the figure"
    for ax, bias in zip(axes, (0.716, 0.907)):
        assert share_inside(ax, bias, "y") > 0


def test_panels_with_their_own_legends_keep_them_under_each():
    """Chapter 3's two panels (each with its own series and legend) and the two
    panels of curves_and_difference (different series) are not given a shared one."""
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
    figure, axes = plots.figure(nrows=2, sharex=True, sharey=True)
    plots.accuracy_vs_epoch(rows, ax=axes[0])
    plots.accuracy_vs_epoch(rows, ax=axes[1])
    for ax in axes:
        ax.axhline(0.15, color="grey", linestyle=":", label="popularity")
        plots.legend_below(ax)
    figure.canvas.draw()
    assert not figure.legends
    for ax in axes:
        legend, box = ax.get_legend().get_window_extent(), ax.get_window_extent()
        assert legend.y1 < box.y0, "each legend under its own panel"
    left, right = plots.curves_and_difference(
        {"one device": [1.0, 0.5], "two devices": [1.0, 0.5 + 1e-7]},
        reference="one device",
        ylabel="loss",
    )
    assert left.get_legend() is not None and right.get_legend() is not None
    assert not left.figure.legends
