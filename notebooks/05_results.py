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
# Every headline figure of the book on one page: ours beside the published one, the
# difference, and whether it is within the tolerance the book states (or whether a goal
# of the book is met). Nothing here is typed by hand: the tables are built from the
# figures each executed chapter recorded and from `recbook.published`, the one place
# that holds the published figures and tolerances. Re-running a chapter changes this
# page when the book is executed again.

# %% [markdown]
# In Colab, the next cell installs `recbook` and fetches the book's executed chapters,
# which this page reads, into `book/notebooks`, and works from there; elsewhere it does
# nothing.

# %%
import os
import subprocess
import sys

if "google.colab" in sys.modules:
    # The book's repository (RECBOOK_REPOSITORY replaces it, e.g. by a local checkout).
    repository = os.environ.get(
        "RECBOOK_REPOSITORY",
        "https://github.com/recbook-authors/deep-recommenders-keras",
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", f"recbook @ git+{repository}"],
        check=True,
    )
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", repository, "book"], check=True
    )
    os.chdir("book/notebooks")

# %%
from pathlib import Path

from recbook import results_page

# %% [markdown]
# Where the executed chapters are:

# %% tags=["parameters"]
chapters_dir = "."

# %% [markdown]
# ## Ours against the published figures
#
# `ours` is the mean over the chapter's seeds (3 for every headline model) and `ours_std`
# their standard deviation. A verdict of *context* means the published figure comes from
# a different protocol (TensorFlow Recommenders' own features and 300 epochs) and is
# shown for orientation only; a goal row compares ours with the book's goal instead.
# The scaling chapter's rows are measured facts: its equality checks are goals (the largest
# difference from the single-device run, within a stated float32 tolerance), its memory
# and communication figures context. Figures below 0.001 are shown with two significant
# digits.

# %%
comparisons = results_page.comparisons(Path(chapters_dir))
comparisons.style.format(
    results_page.figure,
    subset=["published", "ours", "ours_std", "difference", "tolerance"],
    na_rep="",
)

# %%
verdicts = comparisons["verdict"].value_counts()
print(", ".join(f"{count} {verdict}" for verdict, count in verdicts.items()))

# %% [markdown]
# ## Model sizes
#
# Trainable parameters of the headline models (the retrieval index, a copy of the
# candidate tower's outputs, is not a parameter):

# %%
results_page.sizes(Path(chapters_dir)).style.format(thousands=",", na_rep="")

# %% [markdown]
# ## Wall times
#
# How long each chapter's stored run took on the machine that executed it (as
# `recbook-run` recorded it), with the number of CPU cores it had. The performance
# section of the README gives the latest benchmark of the whole book.

# %%
results_page.run_times(Path(chapters_dir)).style.format(precision=0, na_rep="")
