# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: recbook
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
#   recbook:
#     quick_parameters:
#       chapters_dir: .
# ---

# %% [markdown]
# # Results
#
# Every headline figure of the book on one page, beside the published figure it
# reproduces. Each row answers one of three questions:
#
# - **Does ours reproduce the published figure?** The verdict is *within* when the
#   difference is at most the tolerance, *outside* (with the side: ours higher or
#   lower) when not. The tolerance follows one rule for every row
#   (`recbook.evidence.tolerance`): two standard errors of the difference,
#   $2\sqrt{s_{\text{pub}}^2 + s^2/n}$, with $s_{\text{pub}}$ the sample standard
#   deviation of the published runs (each tutorial was published twice) and $s$ ours
#   over our $n$ seeds. It is also the smallest difference the row could detect (the
#   ± beside the verdict); for normal noise with known spreads it calls an exact
#   reproduction outside about 5% of the time. A figure is compared only on its own
#   metric and protocol: the keras.io retrieval tutorial counts 5-star test ratings,
#   TensorFlow Recommenders counts every test rating, and the
#   memory-efficient-embeddings recipe reports the MAE on its whole validation split.
# - **Does ours reach a threshold?** A chapter asks whether a figure passes a stated
#   level, set where the chapter's baselines cannot reach it (for example, whether the
#   towers beat popularity, item-item and EASE beyond the noise, or whether a
#   compressed table keeps half of what the embeddings add over the bias model):
#   *met* or *not met*.
# - **Baselines**: popularity, item-item, EASE, iALS, the global mean and the bias model,
#   beside the models they frame, shown as context.
# - **Context**: a figure with nothing comparable on the same protocol, shown for
#   orientation (a published figure on another protocol is drawn beside it).
#
# Nothing here is typed by hand: the figure and the tables are built, by the book's
# machinery (`recbook_tools.results_page`), from the figures each executed chapter
# recorded, from `recbook.published` (the published figures) and from
# `recbook.records` (the questions and their thresholds).

# %% [markdown]
# In Colab, the next cell installs `recbook`, fetches the book's executed chapters,
# which this page reads, into `book/notebooks`, installs the book's machinery that
# assembles this page (`recbook_tools`, from that copy) and works from there; elsewhere
# it does nothing.

# %%
import os
import sys

if "google.colab" in sys.modules:  # in Colab only; RECBOOK_REPOSITORY: another copy
    book = os.environ.get(
        "RECBOOK_REPOSITORY",
        "https://github.com/recbook-authors/deep-recommenders-keras",
    )
    # %pip install -q "recbook @ git+{book}"
    # !git clone -q --depth 1 {book} book
    # %pip install -q --no-deps ./book/tools
    os.chdir("book/notebooks")

# %%
from pathlib import Path

from recbook import plots, reproducibility
from recbook_tools import results_figure, results_page

import matplotlib.pyplot as plt
from IPython.display import Markdown

plots.setup()

# %% [markdown]
# Where the executed chapters are:

# %% tags=["parameters"]
chapters_dir = "."

# %%
comparisons = results_page.comparisons(Path(chapters_dir))
titles = results_page.chapter_titles(Path(chapters_dir))
answered = comparisons[comparisons["verdict"] != "context"]
context = comparisons[comparisons["verdict"] == "context"]

# %% [markdown]
# ## The answers
#
# Each chapter's question, and how its figures compare with the published ones:

# %% tags=["remove-input"]
display(Markdown(results_page.answers(comparisons, titles)))

# %% [markdown]
# **On another machine:**

# %% tags=["remove-input"]
display(Markdown(reproducibility.STATEMENT))

# %% [markdown]
# ## At a glance
#
# One strip per reproduction or question (context rows have a section of their own), each
# on its own scale. The dot is ours, the mean over the chapter's seeds, with its
# sample standard deviation as a bar when there are several seeds;
# the black tick is the published figure and the grey band the tolerance around it; a
# dashed line is a threshold. The verdict is at the right.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Every reproduction and question at a glance, grouped by chapter: our figure (dot, with its standard deviation over seeds), the published figure (black tick) with its tolerance band, or the question's threshold (dashed), and the verdict at the right.", "name": "fig-overview"}, "image": {"alt": "Strip chart with one row per reproduction or question of chapters 3 to 10, each on its own scale, showing our figure against the published figure or the threshold, with the verdict written beside each row."}}
results_figure.comparison_overview(answered, titles)
plt.show()

# %% [markdown]
# ## The figures
#
# Every reproduction and question. Ours is the mean over the chapter's seeds, ± their
# standard deviation. Figures below 0.001 are shown with two significant digits.

# %%
results_page.styled(
    results_page.compact_table(answered, titles),
    caption=results_page.verdict_counts(answered),
)

# %% [markdown]
# ## Context
#
# The baselines and the measured facts, with nothing comparable on the same protocol,
# shown for orientation (on the site, the table opens with the button below):

# %% tags=["hide-output"]
results_page.styled(
    results_page.compact_table(context, titles),
    caption=results_page.verdict_counts(context),
)

# %% [markdown]
# ## Model sizes
#
# Trainable parameters of the headline models (the retrieval index, a copy of the
# candidate tower's outputs, is not a parameter):

# %%
results_page.styled(
    results_page.sizes_table(results_page.sizes(Path(chapters_dir)), titles)
)

# %% [markdown]
# ## Wall times
#
# How long each chapter's stored run took on the machine that executed it (as
# `recbook-run` recorded it), with the number of CPU cores it had. The performance
# section of the README gives the latest benchmark of the whole book.

# %%
results_page.styled(
    results_page.run_times_table(results_page.run_times(Path(chapters_dir)), titles)
)
