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
#     export: tuned_embeddings
#     quick_parameters:
#       learning_rates:
#       - 0.003
#       max_epochs: 2
#       max_train: 20000
#       patience: 1
#       ratios:
#       - 10
#       seeds:
#       - 0
#       weight_decays:
#       - 0.1
# ---

# %% [markdown]
# # Compressed embeddings, trained for their size
#
# In the previous chapter every model trained the recipe's way: Adam at a learning rate
# of 0.001, batches of 128, three epochs, no regularisation. Trained so, the compressed
# tables kept less than half of what the full tables add over the bias model. But a
# table with five times fewer parameters may want other training than a full one: more
# epochs, another learning rate, more or less regularisation. Is it the compressed
# tables that lose, or their training?
#
# This chapter trains every model as a practitioner would for its size, with one grid
# for all: AdamW's learning rate and weight decay, and the number of epochs, each chosen
# on the selection half. It adds the yardstick of every compression: **plain tables of
# a smaller dimension**, at the same parameter budget.

# %% [markdown]
# ## Setup
#
# In Colab, the next cell installs the book's helper package `recbook`; elsewhere it
# does nothing.

# %%
import os
import sys

if "google.colab" in sys.modules:  # in Colab only; RECBOOK_REPOSITORY: another copy
    book = os.environ.get(
        "RECBOOK_REPOSITORY",
        "https://github.com/recbook-authors/deep-recommenders-keras",
    )
    # %pip install -q "recbook @ git+{book}"

# %%
from recbook import baselines, data, glue, plots, rating_models, records, tables

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

plots.setup()
print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")

# %% [markdown]
# The cells marked `#| export` are also written into the book's package as
# `recbook.tuned_embeddings`, for the tests. What they need:

# %%
#| export
import dataclasses
import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence

from recbook import baselines, checks, evidence, guards, training, training_towers
from recbook.memory_efficient import STEPS_PER_EXECUTION
from recbook.memory_efficient import rating_model  # noqa: F401 (used below)
from recbook.rating_models import METHODS, RatingData, full_layers, method_layers

import keras
import numpy as np

# %% [markdown]
# The chapter's parameters: the compression ratios, the grid every model is tuned on,
# and the seeds of the final runs. Every model trains once per setting tried and again
# per seed, which makes this the book's longest chapter to run (the results chapter
# lists each chapter's time). The test suite runs it on a sample of the training
# ratings, with one ratio, one setting, one seed and two epochs.

# %% tags=["parameters"]
variant = "1m"
ratios = [5, 10]
learning_rates = [0.001, 0.003, 0.01]
weight_decays = [0.03, 0.1, 0.3]
max_epochs = 50
patience = 3
seeds = [0, 1, 2]
max_train = None
split_seed = 42

# %% [markdown]
# ## The data and the zero
#
# The previous chapter's split of MovieLens-1M: 85% of the ratings to train on, the
# other 15% cut in a selection half, where every choice is made, and a test half,
# where the choices are scored. The bias model, with no embeddings, is the zero again.

# %%
ratings = data.load_ratings(variant)
split = rating_models.split_ratings(
    ratings, val_fraction=0.15, seed=split_seed, max_train=max_train
)
bias, _ = baselines.bias_model(split)

# %%
print(f"training ratings: {len(split.train['rating']):,}")
print(f"selection half: {int((~split.in_test).sum()):,} ratings")
print(f"test half: {int(split.in_test.sum()):,} ratings")

# %% [markdown]
# ## Training for its size
#
# Three levers, one sentence each:
#
# - **Weight decay** shrinks every weight a little at each step, so rows seen rarely
#   shrink towards zero instead of fitting noise.
# - **The learning rate** sets how far each step moves; tables that share rows
#   between ids may want another step size than full ones.
# - **An early stop** scores the selection half after every epoch and keeps the best
#   epoch's weights once a few epochs bring no improvement.
#
# Every model trains on batches of 4,096 ratings (the recipe's are 128), and the
# learning rate is tuned with that batch.

# %%
#| export
BATCH_SIZE = 4096
"""Training ratings per step, for every model of the chapter."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """What is tuned: AdamW's learning rate (> 0) and weight decay (>= 0)."""

    learning_rate: float
    weight_decay: float

    def __post_init__(self) -> None:
        checks.learning_rate(self.learning_rate)
        checks.real("weight_decay", self.weight_decay, minimum=0)

    @property
    def text(self) -> str:
        """The settings in words, as the tables show them."""
        rate, decay = self.learning_rate, self.weight_decay
        return f"learning rate {rate:g}, weight decay {decay:g}"


# %% [markdown]
# `fit` trains one model with one seed. Its metrics are those of the best epoch on the
# selection half: the selection MAE that chose it, and the test half's MAE and RMSE.


# %%
#| export
def errors(model: keras.Model, data: RatingData) -> np.ndarray:
    """Predicted minus true stars, on every validation rating."""
    predicted = model.predict(data.inputs("val"), batch_size=8192, verbose=0)
    return predicted - data.val["rating"]


def fit(
    build: Callable[[], keras.Model],
    data: RatingData,
    seed: int,
    settings: Settings,
    max_epochs: int = 40,
    patience: int = 3,
    batch_size: int = BATCH_SIZE,
) -> training.Run:
    """Seed, build and train with AdamW on the squared error, one epoch at a time;
    stop ``patience`` epochs after the selection half's best MAE and keep that
    epoch's weights. A loss or weight that stops being finite raises
    ``recbook.guards.NonFiniteTrainingError``."""
    checks.whole("max_epochs", max_epochs)
    checks.whole("patience", patience)
    checks.whole("batch_size", batch_size)
    checks.whole("seed", seed, minimum=0)
    keras.utils.set_random_seed(seed)
    model = build()
    model.compile(
        optimizer=keras.optimizers.AdamW(
            settings.learning_rate, weight_decay=settings.weight_decay
        ),
        loss="mse",
        steps_per_execution=STEPS_PER_EXECUTION,
    )
    guard = guards.FiniteGuard(model.name, seed, settings.learning_rate)
    selection = ~data.in_test
    best, best_epoch, best_weights = np.inf, 0, None
    tic = time.perf_counter()
    for epoch in range(1, max_epochs + 1):
        model.fit(
            data.inputs("train"),
            data.train["rating"],
            batch_size=batch_size,
            verbose=0,
            callbacks=[guard],
        )
        guard.check()
        mae = float(np.abs(errors(model, data)[selection]).mean())
        if mae < best:
            best, best_epoch, best_weights = mae, epoch, model.get_weights()
        elif epoch - best_epoch >= patience:
            break
    seconds = time.perf_counter() - tic
    model.set_weights(best_weights)
    test = errors(model, data)[data.in_test]
    metrics = {
        "selection_mae": best,
        "test_mae": float(np.abs(test).mean()),
        "test_rmse": float(np.sqrt(np.mean(test**2))),
        "epochs": best_epoch,
    }
    return training.Run(model.count_params(), seconds, metrics, model=model)


# %% [markdown]
# ## The models at equal budgets
#
# Each compression method of the previous chapter at 5x and 10x fewer parameters than
# the full tables, and beside them plain tables whose dimension is cut instead, to the
# largest that fits the budget: 12 at 5x, 6 at 10x. The tables below give each
# model's parameters.

# %%
#| export
METHOD_NAMES = {
    "full": "plain tables",
    "hashing": "hashing",
    "qr": "QR",
    "md": "MD",
    "qr+md": "QR + MD",
}
"""The compression methods (``recbook.rating_models.METHODS``) in words; ``full``
at a ratio is full tables of a smaller dimension."""
FULL_TABLES = "full tables (64)"


def model_name(method: str, ratio: int) -> str:
    """``"QR, 5x"``; ratio 1 is the full tables."""
    if method not in METHOD_NAMES:
        raise ValueError(f"Unknown method {method!r}; choose one of {METHODS}.")
    checks.whole("ratio", ratio)
    return FULL_TABLES if ratio == 1 else f"{METHOD_NAMES[method]}, {ratio}x"


def layers(method: str, ratio: int, data: RatingData) -> Callable:
    """The user and movie tables of one model, built afresh at each call. Plain
    tables take the largest dimension within the budget, ``64 // ratio``."""
    if method == "full":
        return lambda: full_layers(data, dim=64 // ratio)
    return lambda: method_layers(method, data, ratio)


# %%
models = {model_name("full", 1): ("full", 1)}
models |= {model_name(m, r): (m, r) for r in ratios for m in rating_models.METHODS}

# %% [markdown]
# ## Tuning on the selection half
#
# Every model trains once, with seed 0, at every point of the grid (three learning rates
# by three weight decays), and keeps the setting with the lowest selection MAE. The
# best value may lie past a chosen one at the end of its range, so the grid then grows
# one step past it (0.01, 0.03, 0.1, ...), at most twice.

# %%
#| export
FIELDS = ("learning_rate", "weight_decay")
"""The tuned fields of :class:`Settings`."""
WIDENINGS = 2
"""How many times :func:`tune` may widen a grid past a chosen value on its edge."""


def edges(settings: Settings, grid: Sequence[Settings]) -> list[str]:
    """The fields whose value in ``settings`` is at an end of its range in ``grid``
    (a range of two values or more; a weight decay of 0 is no edge)."""
    found = []
    for field in FIELDS:
        values = sorted({getattr(s, field) for s in grid})
        value = getattr(settings, field)
        if len(values) > 1 and value in (values[0], values[-1]) and value > 0:
            found.append(field)
    return found


def step_past(value: float, upward: bool) -> float:
    """The next rung above or below ``value`` on the ladder 1, 3, 10, 30, ...
    (times a power of ten), of which ``value`` is a rung."""
    checks.positive("value", value)
    one = value / 10 ** math.floor(math.log10(value)) < 2  # on a 1, not a 3
    factor = (3 if one else 10 / 3) if upward else 1 / (10 / 3 if one else 3)
    return float(f"{value * factor:.1g}")


def widened(grid: Sequence[Settings], settings: Settings) -> list[Settings]:
    """``grid`` with one more value past each edge value of ``settings``
    (:func:`edges`, :func:`step_past`), crossed with the other field's values."""
    values = {f: sorted({getattr(s, f) for s in grid}) for f in FIELDS}
    for field in edges(settings, grid):
        upward = getattr(settings, field) == values[field][-1]
        end = values[field][-1] if upward else values[field][0]
        values[field] = sorted([*values[field], step_past(end, upward)])
    return [Settings(*pair) for pair in itertools.product(*values.values())]


def tune(
    build: Callable[[], keras.Model],
    data: RatingData,
    grid: Sequence[Settings],
    widenings: int = WIDENINGS,
    **options,
) -> tuple[list[dict], Settings, training.Run, list[Settings]]:
    """:func:`fit` seed 0 at every setting of ``grid``, widening the grid
    (:func:`widened`) while the best sits on its edge, at most ``widenings`` times.
    Returns each setting's selection MAE and epochs, the chosen (lowest) setting,
    its run and the final grid."""
    if not grid:
        raise ValueError("tune needs at least one setting in grid.")
    checks.whole("widenings", widenings, minimum=0)
    runs = {}
    for widening in range(widenings + 1):
        for settings in grid:
            if settings not in runs:
                runs[settings] = fit(build, data, 0, settings, **options)
        best = min(runs, key=lambda s: runs[s].metrics["selection_mae"])
        if widening == widenings or not edges(best, grid):
            break
        grid = widened(grid, best)
    rows = [
        {
            **dataclasses.asdict(s),
            **{k: run.metrics[k] for k in ("selection_mae", "epochs")},
        }
        for s, run in runs.items()
    ]
    return rows, best, runs[best], list(grid)


# %%
pairs = itertools.product(learning_rates, weight_decays)
grid = [Settings(lr, wd) for lr, wd in pairs]
options = {"max_epochs": max_epochs, "patience": patience}
chosen, runs, grids = {}, {}, {}
for name, (method, ratio) in models.items():
    build = lambda: rating_model(*layers(method, ratio, split)())  # noqa: E731
    found = tune(build, split, grid, **options)
    _, chosen[name], first, grids[name] = found
    runs[name] = [first] + [
        fit(build, split, seed, chosen[name], **options) for seed in seeds[1:]
    ]


# %%
#| export
def chosen_rows(
    chosen: Mapping[str, Settings],
    grids: Mapping[str, Sequence[Settings]],
) -> list[dict]:
    """A row per model: its chosen settings, how many were tried, and the fields
    still on an edge of the final grid, in words."""
    return [
        {
            "model": name,
            **dataclasses.asdict(settings),
            "tried": len(grids[name]),
            "edge": ", ".join(
                f.replace("_", " ") for f in edges(settings, grids[name])
            ),
        }
        for name, settings in chosen.items()
    ]


# %%
tables.show(
    pd.DataFrame(chosen_rows(chosen, grids)).assign(
        epochs=[runs[name][0].metrics["epochs"] for name in chosen],
        edge=lambda df: df["edge"].replace("", "none"),
    ),
    headers={
        "learning_rate": "learning rate",
        "weight_decay": "weight decay",
        "tried": "settings tried",
        "edge": "still on an edge",
    },
    formats={"learning_rate": "{:g}", "weight_decay": "{:g}"},
    caption="Chosen on the selection half (seed 0)",
)

# %% [markdown]
# ## On the test half
#
# Each model's chosen setting trains with every seed (seed 0's run is the tuning's).
# The share of the gain is the previous chapter's: the part of the full tables' gain
# over the bias model that a model keeps, 100% for all of it and 0% for none. Here the
# full tables are tuned too.


# %%
#| export
def summary(
    runs: Mapping[str, Sequence[training.Run]],
    models: Mapping[str, tuple[str, int]],
    bias_mae: float,
) -> list[dict]:
    """A row per model: method, ratio, parameters, compression against the full
    tables, the seeds' figures (:func:`recbook.training.summarize`) and the share of
    the full tables' gain over the bias model (``bias_mae``) it keeps
    (:func:`recbook.baselines.gain_share`)."""
    full = training.summarize(runs[FULL_TABLES])
    rows = []
    for name, (method, ratio) in models.items():
        row = training.summarize(runs[name], model=name, method=method, ratio=ratio)
        row["compression"] = full["params"] / row["params"]
        share = baselines.gain_share(row["test_mae"], bias_mae, full["test_mae"])
        row["share"] = share
        rows.append(row)
    return rows


# %%
results = pd.DataFrame(summary(runs, models, bias["test_mae"]))
tables.show(
    results[["model", "params", "test_mae", "test_mae_std", "share"]],
    headers={
        "params": "parameters",
        "test_mae": "test MAE",
        "test_mae_std": "std",
        "share": "share of the gain",
    },
    formats={"share": "{:.0%}"},
    caption=f"Test half, {len(seeds)} seeds; the bias model's MAE is "
    f"{bias['test_mae']:.4f}",
)

# %% mystnb={"figure": {"caption": "Test-half MAE against trainable parameters, each model trained for its size: mean and one standard deviation over the seeds. The rightmost point is the full tables; the dashed line is the bias model, which has no embeddings.", "name": "fig-tuned"}, "image": {"alt": "Chart of test-half MAE against trainable parameters on a log scale, one line per method (plain tables, hashing, QR, MD, QR + MD) at 10x and 5x fewer parameters and the full tables, with the bias model's error as a dashed horizontal line."}} tags=["hide-input"]
full = results[results["ratio"] == 1]
points = pd.concat(
    [results[results["ratio"] > 1]]
    + [full.assign(method=m) for m in rating_models.METHODS]
).assign(method=lambda df: df["method"].map(METHOD_NAMES))
fig, ax = plots.figure()
plots.params_vs_error(points, "test_mae", ax=ax, legend=False)
ax.axhline(bias["test_mae"], color="grey", linestyle="--", label="bias model")
plots.legend_below(ax)
plt.show()

# %% [markdown]
# ## Does compression beat smaller tables?
#
# QR and MD earn their extra machinery only by predicting more accurately than plain
# tables of the same size. Each is compared with them on the same test ratings: the
# noise counts the seeds and a paired bootstrap over test users, as in chapter 5.


# %%
#| export
def versus(
    a: Sequence[training.Run], b: Sequence[training.Run], data: RatingData
) -> evidence.Comparison:
    """Test-half MAE of runs ``a`` minus runs ``b`` by chapter 5's rule
    (``recbook.training_towers.versus``): the seeds' spread and a paired bootstrap
    over the test half's users."""
    a_errors, b_errors = (
        np.array([np.abs(errors(run.model, data)[data.in_test]) for run in runs])
        for runs in (a, b)
    )
    users = data.val["user"][data.in_test]
    return training_towers.versus(a_errors, b_errors, users)


def against_plain(
    runs: Mapping[str, Sequence[training.Run]],
    data: RatingData,
    methods: Sequence[str],
    ratios: Sequence[int],
) -> list[dict]:
    """Each method at each ratio against the plain tables of that ratio (lower MAE
    is better)."""
    rows = []
    for ratio, method in itertools.product(ratios, methods):
        name, plain = model_name(method, ratio), model_name("full", ratio)
        comparison = versus(runs[name], runs[plain], data)
        rows.append(
            {
                "model": name,
                "difference": comparison.difference,
                "threshold": comparison.threshold,
                "verdict": comparison.verdict(
                    METHOD_NAMES[method], "plain tables", higher_is_better=False
                ),
            }
        )
    return rows


# %%
compared = pd.DataFrame(against_plain(runs, split, ["qr", "md"], ratios))
tables.show(
    compared,
    headers={"difference": "MAE difference", "threshold": "threshold"},
    caption="QR and MD against plain tables of the same size (test half)",
)

# %% tags=["remove-cell"]
glue.record(records.TUNED_BIAS_MAE, bias["test_mae"])
glue.record(records.TUNED_RUNS, results.to_dict("records"))
glue.record(records.TUNED_CHOSEN, chosen_rows(chosen, grids))
glue.record(records.TUNED_VERSUS, compared.to_dict("records"))

# %% [markdown]
# **Answer.** Trained for their size, plain tables of a smaller dimension predict better
# than QR at both sizes and better than MD at 5x; at 10x, MD and the plain tables are
# within the noise. Neither QR nor MD earns its memory here.

# %% [markdown]
# ## How far can the tables shrink?
#
# Two questions (`recbook.records.TUNED_GOALS`). At each budget the best model is the
# one with the lowest selection MAE among those at least that many times smaller; its
# share of the gain is then read on the test half.

# %% tags=["wrap-output"]
goal_figures = {}
for goal, budget in zip(records.TUNED_GOALS, (5, 10)):
    small = results[results["compression"] >= budget]
    best = small.sort_values("selection_mae").iloc[0] if len(small) else None
    if best is None:
        print(f"{goal.text}\n  no model is {budget}x smaller in this run")
        continue
    goal_figures[goal.record] = float(best["share"])
    print(
        f"{goal.text}\n  {best['model']}: {best['share']:.0%}, "
        f"{goal.verdict(best['share'])}"
    )

# %% tags=["remove-cell"]
glue.record(records.GOAL_FIGURES, goal_figures)

# %% [markdown]
# **Answer.** Both goals are met, by plain tables of a smaller dimension: with 5x and
# with 10x fewer parameters they keep more than 90% and more than 80% of the full
# tables' gain. No compression method keeps that much at either size.

# %% [markdown]
# ## What we learned
#
# - Trained for their size, plain tables of a smaller dimension meet both goals: with
#   5x fewer parameters they keep more than 90% of the full tables' gain over the bias
#   model, and with 10x fewer more than 80%.
# - QR predicts worse than plain tables of the same size at 5x and at 10x; MD predicts
#   worse at 5x and is within the noise of them at 10x.
# - No compression method keeps as much of the gain as the goals ask, so on
#   MovieLens-1M cutting the dimension is the way to shrink these tables.
