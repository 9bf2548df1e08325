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
#     export: data_parallelism
#     quick_parameters:
#       max_train: 8192
#       sgd_epochs: 1
#       sgd_max_train: 16384
# ---

# %% [markdown]
# # Data parallel: one model, many devices
#
# Chapter 6 made the tables smaller. This chapter and the next two ask what happens
# when a model is spread over several devices, and this one starts with the simplest way:
# every device holds the whole model and takes a share of each batch. Does that train the
# very model one device trains?
#
# The tool is Keras's own distribution API on JAX, `keras.distribution`: a `DeviceMesh`
# of devices and `DataParallel` to split the batch over it. The same code runs on several
# GPUs or a TPU slice. This machine has one CPU, so XLA simulates the devices: the
# numbers below say whether the runs agree, but no wall time here is a scaling figure.
# The cells marked `#| export` define the distribution code this chapter teaches; they
# are also written into the book's package (as `recbook.data_parallelism`), so that the
# next chapters and the tests use this very code.

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

# %% [markdown]
# The parameters come first, because `device_count`, the devices of the mesh, must be
# known before JAX starts. The others size the training runs of the two checks.

# %% tags=["parameters"]
device_count = 4
variant = "1m"
max_train = 65_536
epochs = 1
batch_size = 128
sgd_max_train = 524_288
sgd_epochs = 3
sgd_batch_size = 1024
sgd_learning_rate = 20.0
split_seed = 42

# %% [markdown]
# JAX fixes its devices when it starts, so the next cell runs before anything imports it
# (`recbook.devices` needs only the standard library). It asks XLA for `device_count`
# CPU devices; on a GPU or TPU machine the flag changes nothing and the mesh uses the
# accelerators. In a kernel where JAX has already started, the flag comes too late and
# the chapter runs on the devices that exist, one included.

# %%
from recbook import devices as device_setup

in_time = device_setup.simulate_cpu_devices(device_count)

# %%
#| export
from collections.abc import Sequence

from recbook import checks, rating_models

import keras
import numpy as np
import pandas as pd

# %% [markdown]
# The meshes take the first `device_count` devices of JAX's default platform: the
# accelerators where there are any, else the CPU devices just asked for.


# %%
#| export
def choose_devices(count: int) -> list[str]:
    """The first ``count`` devices of JAX's default platform (all, when fewer exist).

    The default platform is the accelerators (GPU or TPU) when there are any,
    else the CPU, whose device count ``XLA_FLAGS`` may have raised
    (:func:`recbook.devices.simulate_cpu_devices`).
    """
    checks.whole("count", count)
    return keras.distribution.list_devices()[:count]


# %%
import textwrap

from recbook import baselines, data, glue, plots, published, records, sharding, tables

import matplotlib.pyplot as plt

plots.setup()
mesh_devices = choose_devices(device_count)
print(device_setup.summary(mesh_devices, in_time))

# %% [markdown]
# ## The data and the model
#
# Chapter 6's model and protocol: one 64-dimensional row per user and per movie,
# `sigmoid(user . movie) * 5`, the squared error, chapter 6's split with 15% of the
# ratings for validation. For the equality checks, a seeded sample of the training
# ratings is enough:


# %%
#| export
def sample_split(
    ratings: pd.DataFrame, max_train: int, seed: int
) -> rating_models.RatingData:
    """Chapter 6's split of the ratings (15% for validation), with a seeded sample of
    ``max_train`` training ratings."""
    return rating_models.split_ratings(
        ratings, val_fraction=0.15, seed=seed, max_train=max_train
    )


# %%
ratings = data.load_ratings(variant)
split = sample_split(ratings, max_train, split_seed)
train_count = len(split.train["rating"])
print(
    f"training ratings: {train_count:,} ({train_count // batch_size} "
    f"steps of {batch_size}), validation ratings: {len(split.val['rating']):,}"
)

# %% tags=["nbval-check-output"]
print(f"users: {split.num_users:,}, movies: {split.num_movies:,}")

# %% [markdown]
# The model is chapter 6's rating model on two full tables. The tables get fixed names, so
# that the next chapter's layouts can find their weights; Adam gets one too, so that its
# slots' paths (`adam/...`) do not depend on how many optimizers the process made before:


# %%
#| export
USER_TABLE, MOVIE_TABLE = "user_emb", "movie_emb"


def full_tables(
    num_users: int, num_movies: int, dim: int = 64
) -> tuple[keras.layers.Layer, keras.layers.Layer]:
    """Chapter 6's baseline tables, named ``user_emb`` and ``movie_emb``."""
    checks.whole("num_users", num_users)
    checks.whole("num_movies", num_movies)
    checks.whole("dim", dim)
    return (
        keras.layers.Embedding(num_users, dim, name=USER_TABLE),
        keras.layers.Embedding(num_movies, dim, name=MOVIE_TABLE),
    )


def compile_rating_model(model: keras.Model) -> keras.Model:
    """Compile as chapter 6 does (Adam 0.001, MSE, MAE as a metric), one step per call.

    The optimizer is named, so that its slots' paths (``adam/...``) do not depend
    on how many optimizers the process made before.
    """
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3, name="adam"),
        loss="mse",
        metrics=[keras.metrics.MeanAbsoluteError(name="mae")],
    )
    return model


# %% [markdown]
# Training keeps the loss after every batch, to compare two runs step by step, then
# scores the validation split. A distributed batch must split evenly over the devices, so
# the validation ratings are predicted in padded batches and the padding's predictions
# dropped (a `sample_weight` of zero would not do: `evaluate` passes it to
# `weighted_metrics` only). The seed is set right before `fit`, so two models with the
# same weights see the same shuffled batches:


# %%
#| export
class BatchLosses(keras.callbacks.Callback):
    """Collects the training loss ``fit`` reports after every batch.

    Keras reports its running mean over the epoch.
    """

    def __init__(self) -> None:
        super().__init__()
        self.losses: list[float] = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(float(logs["loss"]))


def batch_shards() -> int:
    """How many pieces the current distribution cuts each batch into (1 without one)."""
    distribution = keras.distribution.distribution()
    if distribution is None:
        return 1
    mesh = distribution.device_mesh
    return mesh.shape[mesh.axis_names.index(distribution.batch_dim_name)]


def train_and_score(
    model: keras.Model,
    data: rating_models.RatingData,
    epochs: int = 1,
    batch_size: int = 128,
    seed: int = 0,
    eval_batch_size: int = 4096,
) -> tuple[list[float], float]:
    """Train a compiled model (one step per call) and score the validation split.

    Returns the per-batch loss curve and the validation MAE. Call it inside the
    distribution's scope for a distributed model.

    Raises:
        ValueError: the batch does not split over the devices, or the training
            ratings do not fill whole batches on a distributed model.
    """
    checks.whole("epochs", epochs)
    checks.whole("batch_size", batch_size)
    checks.whole("seed", seed, minimum=0)
    checks.whole("eval_batch_size", eval_batch_size)
    shards = batch_shards()
    train_size = len(data.train["rating"])
    if not train_size:
        raise ValueError("train_and_score needs training ratings; data.train is empty.")
    if batch_size % shards or (shards > 1 and train_size % batch_size):
        raise ValueError(
            f"Batches of {batch_size} over {shards} devices need a batch size divisible "
            f"by {shards} and whole batches ({train_size:,} training ratings)."
        )
    callback = BatchLosses()
    keras.utils.set_random_seed(seed)
    model.fit(
        data.inputs("train"),
        data.train["rating"],
        batch_size=batch_size,
        epochs=epochs,
        verbose=0,
        callbacks=[callback],
    )
    eval_batch = max(shards, eval_batch_size // shards * shards)
    inputs, targets = data.inputs("val"), data.val["rating"]
    padding = -len(targets) % eval_batch
    inputs = {
        k: np.concatenate([v, np.zeros(padding, v.dtype)]) for k, v in inputs.items()
    }
    predictions = model.predict(inputs, batch_size=eval_batch, verbose=0)
    predictions = np.reshape(predictions, -1)[: len(targets)].astype("float64")
    return callback.losses, float(np.mean(np.abs(predictions - targets)))


# %% [markdown]
# ## Data parallel: the batch split over the devices
#
# `DataParallel` replicates every variable on every device of a one-axis mesh and splits
# each batch along it: with 4 devices, each sees 32 of the 128 ratings and computes its
# part of the gradient of the batch's mean loss, and an all-reduce adds the parts, which
# gives the gradient of the mean over all 128, as on one device. Its mesh has one axis,
# named `data` (the next chapter's mesh adds a second, `model`), over a list of device
# names that is checked first:

# %%
#| export
DATA_AXIS = "data"


def check_devices(devices: Sequence[str]) -> None:
    """A non-empty list of device names (a string is one name, not a list of them)."""
    if isinstance(devices, (str, bytes)) or not isinstance(devices, Sequence):
        raise TypeError(
            f"devices must be a list of device names, like ['cpu:0', 'cpu:1']; "
            f"got {devices!r}."
        )
    if not devices:
        raise ValueError("devices must name at least one device; got an empty list.")


def data_parallel(devices: Sequence[str]) -> keras.distribution.DataParallel:
    """Every variable replicated; the batch split over ``devices`` (a ``data`` mesh)."""
    check_devices(devices)
    mesh = keras.distribution.DeviceMesh((len(devices),), (DATA_AXIS,), list(devices))
    return keras.distribution.DataParallel(device_mesh=mesh)


# %% [markdown]
# A model built inside the distribution's scope has its variables laid out by it:

# %%
dp_distribution = data_parallel(mesh_devices)
print(dp_distribution.device_mesh, "| batch axis:", dp_distribution.batch_dim_name)

# %% [markdown]
# ## Plain SGD, on a model that learns
#
# Plain SGD's step is the learning rate times the gradient,
#
# $$w \leftarrow w - \eta \, \frac{1}{n} \sum_{k=1}^{n} g_k,$$
#
# where $g_k$ is device $k$'s gradient of its share of the batch's loss. Summing the
# $g_k$ instead of averaging them is a step $n$ times too long, the same as training on
# one device with $n \eta$: a run with that error leaves the single-device run at once.
# So the check is made with SGD, and on a model trained long enough to beat the global
# mean: a seeded sample of the training split, in whole batches, for a few epochs.

# %%
sgd_split = sample_split(ratings, sgd_max_train, split_seed)
sgd_global_mean = baselines.global_mean(sgd_split)
sgd_train_count = len(sgd_split.train["rating"])
sgd_steps = sgd_train_count // sgd_batch_size
print(
    f"training ratings: {sgd_train_count:,} ({sgd_steps} steps of "
    f"{sgd_batch_size:,} per epoch, {sgd_epochs} epoch{'s' * (sgd_epochs > 1)}), "
    f"SGD learning rate {sgd_learning_rate:g}"
)
print(f"global mean {sgd_global_mean['mae']:.4f} validation MAE")

# %% [markdown]
# The same model, compiled with plain SGD (no momentum) instead of Adam:


# %%
#| export
def compile_sgd_rating_model(model: keras.Model, learning_rate: float) -> keras.Model:
    """Compile with plain SGD (no momentum) on the squared error, MAE as a metric.

    A data-parallel step that summed the devices' gradients instead of averaging
    them would be a step with ``n`` times the learning rate on ``n`` devices;
    Adam, which divides by the gradients' running scale, would hide it. The
    optimizer is named ``sgd``.
    """
    learning_rate = checks.real("learning_rate", learning_rate, above=0)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate, name="sgd"),
        loss="mse",
        metrics=[keras.metrics.MeanAbsoluteError(name="mae")],
    )
    return model


# %%
def sgd_model(learning_rate=sgd_learning_rate):
    tables_ = full_tables(sgd_split.num_users, sgd_split.num_movies)
    return compile_sgd_rating_model(rating_models.rating_model(*tables_), learning_rate)


keras.utils.set_random_seed(0)
sgd_single = sgd_model()
sgd_start = sgd_single.get_weights()
sgd_losses, sgd_mae = train_and_score(sgd_single, sgd_split, sgd_epochs, sgd_batch_size)
with dp_distribution.scope():
    sgd_dp = sgd_model()
    sgd_dp.set_weights(sgd_start)
    sgd_dp_losses, sgd_dp_mae = train_and_score(
        sgd_dp, sgd_split, sgd_epochs, sgd_batch_size
    )

# %% [markdown]
# And the planted error, gradients summed over the devices instead of averaged: one
# device, the same weights and batches, and $n \eta$.

# %%
summed = sgd_model(sgd_learning_rate * len(mesh_devices))
summed.set_weights(sgd_start)
summed_losses, summed_mae = train_and_score(
    summed, sgd_split, sgd_epochs, sgd_batch_size
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Plain SGD: the training loss (running mean over each epoch) of the single-device run, of data parallel on the same weights and batches, and of the planted error that sums the devices' gradients instead of averaging them (top); and each run's absolute difference from the single-device run (bottom, log scale).", "name": "fig-dp-sgd"}, "image": {"alt": "Two charts over three epochs of SGD steps. Top: the single-device and data-parallel loss curves lie on top of each other and fall from about 2.4 to 0.7; the planted summed-gradient run's loss first falls faster, then climbs to about 2.8. Bottom: on a log scale, data parallel stays below a millionth of the single-device run, while the planted run is about 1 to 2 away."}}
plots.curves_and_difference(
    {
        "one device": sgd_losses,
        f"data parallel, {len(mesh_devices)} devices": sgd_dp_losses,
        "gradients summed (planted error)": summed_losses,
    },
    reference="one device",
    ylabel="training loss\n(MSE, running mean)",
    title="SGD: training loss, one device, data parallel and the planted error",
)
plt.show()

# %%
sgd_dp_loss_gap = float(np.max(np.abs(np.subtract(sgd_dp_losses, sgd_losses))))
sgd_dp_mae_gap = abs(sgd_dp_mae - sgd_mae)
summed_loss_gap = float(np.max(np.abs(np.subtract(summed_losses, sgd_losses))))
summed_mae_gap = abs(summed_mae - sgd_mae)
sgd_agreement = sharding.agreement(
    {"training losses": sgd_dp_loss_gap, "validation MAEs": sgd_dp_mae_gap}
)
tables.show(
    pd.DataFrame(
        [
            {
                "run": "global mean (no training)",
                "validation MAE": sgd_global_mean["mae"],
            },
            {"run": "one device", "validation MAE": sgd_mae},
            {
                "run": f"data parallel, {len(mesh_devices)} devices",
                "validation MAE": sgd_dp_mae,
            },
            {"run": "gradients summed (planted error)", "validation MAE": summed_mae},
        ]
    ),
    headers={"validation MAE": "validation MAE (stars)"},
    caption=f"Plain SGD, {sgd_epochs} epochs, learning rate {sgd_learning_rate:g}",
)

# %% [markdown]
# Data parallel against one device, and the planted error against one device:

# %%
planted_agreement = sharding.agreement(
    {"training losses": summed_loss_gap, "validation MAEs": summed_mae_gap}
)
print(textwrap.fill(f"data parallel: {sgd_agreement}", width=80))
print(textwrap.fill(f"planted error: {planted_agreement}", width=80))

# %% tags=["remove-cell"]
glue.record(records.SGD_GLOBAL_MEAN_MAE, sgd_global_mean["mae"])
glue.record(records.SGD_SINGLE_MAE, sgd_mae)
glue.record(records.SGD_DP_LOSS_MAX_ABS_DIFF, sgd_dp_loss_gap)
glue.record(records.SGD_DP_MAE_ABS_DIFF, sgd_dp_mae_gap)
glue.record(records.SGD_SUMMED_LOSS_MAX_ABS_DIFF, summed_loss_gap)
glue.record(records.SGD_SUMMED_MAE_ABS_DIFF, summed_mae_gap)
glue.record(records.SGD_DP_AGREEMENT, sgd_agreement)

# %% [markdown]
# **Answer.** Data parallelism trains as one device does, as long as the devices'
# gradients are averaged, not summed.

# %% [markdown]
# ## Adam, and the reference run of the next chapter
#
# Chapter 6 trains with Adam(0.001) in batches of 128. The reference run is on one
# device, with no distribution set, for one epoch; its starting weights are kept, so that
# the data-parallel run below and the next chapter's model-parallel runs start from the
# very same numbers:


# %%
#| export
def reference_run(
    split: rating_models.RatingData, epochs: int = 1, batch_size: int = 128
) -> tuple[keras.Model, list[np.ndarray], list[float], float]:
    """The single-device run on full tables, from weights seeded with 0.

    Returns the trained model, its starting weights, its loss after each batch and
    its validation MAE.
    """
    keras.utils.set_random_seed(0)
    model = compile_rating_model(
        rating_models.rating_model(*full_tables(split.num_users, split.num_movies))
    )
    start = model.get_weights()
    losses, mae = train_and_score(model, split, epochs, batch_size)
    return model, start, losses, mae


# %%
single, start_weights, single_losses, single_mae = reference_run(
    split, epochs, batch_size
)
print(
    f"single device: final training loss {single_losses[-1]:.5f}, "
    f"validation MAE {single_mae:.5f}"
)

# %% [markdown]
# Data parallel from the reference run's starting weights, on the same batches:

# %%
with dp_distribution.scope():
    dp_model = compile_rating_model(
        rating_models.rating_model(*full_tables(split.num_users, split.num_movies))
    )
    dp_model.set_weights(start_weights)
    dp_losses, dp_mae = train_and_score(dp_model, split, epochs, batch_size)

# %% [markdown]
# This run checks the mechanics, not a trained model: one epoch of Adam on 65,536
# ratings ends at a validation MAE worse than predicting the global mean. The same seed
# shuffles the same batches, so the two loss curves should be one curve: only the order
# in which float32 sums are taken differs.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Adam: the training loss (running mean over the epoch) of the single-device run and of data parallel on the same weights and batches (top), and the absolute difference between them at each step (bottom, log scale).", "name": "fig-dp-adam"}, "image": {"alt": "Two charts over 512 training steps. Top: two loss curves that lie on top of each other. Bottom: their difference on a log scale, about 2 \u00d7 10\u207b\u2077 at the first step (float32 rounding) and none after it."}}
plots.curves_and_difference(
    {
        "one device": single_losses,
        f"data parallel, {len(mesh_devices)} devices": dp_losses,
    },
    reference="one device",
    ylabel="training loss\n(MSE, running mean)",
    title="Adam: training loss, one device and data parallel",
)
plt.show()

# %%
dp_loss_gap = float(np.max(np.abs(np.subtract(dp_losses, single_losses))))
dp_mae_gap = abs(dp_mae - single_mae)
dp_agreement = sharding.agreement(
    {"training losses": dp_loss_gap, "validation MAEs": dp_mae_gap}
)
print(f"validation MAE: one device {single_mae:.6f}, data parallel {dp_mae:.6f}")
print(textwrap.fill(f"over {len(dp_losses)} steps, {dp_agreement}", width=80))
tolerance = {
    k: sharding.difference_words(published.SCALING_TOLERANCE[k])
    for k in ("loss", "mae")
}
print(f"tolerance: {tolerance['loss']} for the losses, {tolerance['mae']} for the MAEs")

# %% [markdown]
# They agree, but Adam could not have told a mean of the devices' gradients from their
# sum: it divides each step by the gradients' running scale, so a gradient 4 times too
# large gives nearly the same step. That is why the check above used plain SGD.

# %% tags=["remove-cell"]
glue.record(records.DEVICES, len(mesh_devices))
glue.record(records.DP_LOSS_MAX_ABS_DIFF, dp_loss_gap)
glue.record(records.DP_MAE_ABS_DIFF, dp_mae_gap)
glue.record(records.DP_AGREEMENT, dp_agreement)

# %% [markdown]
# ## What we learned
#
# - Data parallelism trains as one device does, as long as the devices' gradients are
#   averaged, not summed.
# - The check was made on a model that learned: its validation MAE beats the global
#   mean's.
