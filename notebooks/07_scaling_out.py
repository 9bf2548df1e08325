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
#     export: scaling
#     quick_parameters:
#       max_train: 8192
#       scaling_counts:
#       - 1
#       - 2
#       sgd_epochs: 1
#       sgd_max_train: 16384
# ---

# %% [markdown]
# # Scaling out: embedding tables on many devices
#
# Chapter 5 made the tables smaller. This chapter asks what happens when they no longer
# fit one device at all. MovieLens-1M's tables hold 624 thousand parameters; MovieLens-32M
# has 200,948 users and 87,585 movies; a production catalogue has tens of millions of
# users and millions of items, and at 64 float32 dimensions a table of 100 million rows
# is 25.6 GB before the optimizer's slots.
#
# The answer here is Keras's own distribution API on JAX, `keras.distribution`: a
# `DeviceMesh` of devices, `DataParallel` to split the batch, and `ModelParallel` with a
# `LayoutMap` to split the tables by rows. The same code runs on several GPUs or a TPU
# slice; where a TPU has SparseCores, `keras_rs.layers.DistributedEmbedding` takes over.
# This machine has one CPU, so XLA simulates the devices: every number below about memory
# and communication is what the compiler and the arrays say, but no wall time here is a
# scaling figure. The cells marked `#| export` define the distribution code this chapter
# teaches; they are also written into the book's package (as `recbook.scaling`), so that
# the tests use this very code.

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
# The chapter's parameters come first, because one of them must be known before JAX
# starts: `device_count`, the devices of the meshes. The rest: the training ratings of
# the Adam runs (a seeded sample of MovieLens-1M's training split, one epoch: they
# compare runs, they do not train a good model); those of the plain-SGD check, which
# trains long enough to beat the global mean; the memory classes of today's
# accelerators, in GB; and the mesh sizes of the communication study.

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
qr_ratio = 10
memory_device_counts = [1, 4, 8, 64]
device_memory_gb = [80, 141, 192]
scaling_counts = [1, 2, 4, 8]

# %% [markdown]
# JAX fixes its devices when it starts, so the next cell runs before anything imports it
# (`recbook.devices` needs only the standard library). It asks XLA for `device_count`
# CPU devices. That flag only shapes the CPU platform: on a GPU or TPU machine it changes
# nothing, and the meshes below use the accelerators (up to `device_count` of them). In a
# kernel where JAX has already started, the flag comes too late and the chapter runs on
# whatever devices exist, one included.

# %%
from recbook import devices as device_setup

in_time = device_setup.simulate_cpu_devices(device_count)

# %%
#| export
import re
from collections.abc import Iterable, Sequence

from recbook import checks
from recbook.embeddings import HashEmbedding, MDEmbedding, QREmbedding

import keras

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

from recbook import (
    baselines,
    data,
    diagrams,
    glue,
    plots,
    published,
    rating_models,
    records,
    sharding,
    tables,
)

import jax
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

plots.setup()
mesh_devices = choose_devices(device_count)
print(
    f"Keras {keras.__version__}, JAX {jax.__version__}, "
    f"backend {keras.backend.backend()}"
)
print(f"XLA flag set before JAX started: {in_time}")
print(
    f"devices used: {len(mesh_devices)} ({', '.join(mesh_devices)}) "
    f"of {len(jax.devices())} {jax.devices()[0].platform} device(s)"
)

# %% [markdown]
# ## Memory on paper
#
# How much memory do the tables need, and how much of it lands on one device when each
# table is split by rows? The table below builds the real layers of chapter 5 for four
# catalogues and reads their weights' shapes. The layers are built inside a
# `keras.StatelessScope`, which creates no arrays, so a 100-million-row table costs nothing
# here:


# %%
#| export
def weight_shapes(
    layer: keras.layers.Layer, input_shape: tuple = (None,)
) -> dict[str, tuple[int, ...]]:
    """The shapes of a layer's weights by path, built without allocating them.

    A copy of the layer (from its config; ``layer`` itself stays unbuilt) is
    built in a ``keras.StatelessScope(initialize_variables=False)``, where
    Keras creates variables with a shape and an initializer but no value, so a
    100-million-row table costs nothing. Keras keeps such variables in a list
    to initialize when the next stateless scope closes; the copy's are taken
    off that list (Keras's ``global_state``, the same in Keras 3.13 and 3.15),
    so they are never initialized.
    """
    from keras.src.backend.common import global_state

    copy = type(layer).from_config(layer.get_config())
    with keras.StatelessScope(initialize_variables=False):
        copy.build(input_shape)
    pending = global_state.get_global_attribute("uninitialized_variables") or []
    mine = {id(w) for w in copy.weights}
    global_state.set_global_attribute(
        "uninitialized_variables", [v for v in pending if id(v) not in mine]
    )
    return {w.path: tuple(int(d) for d in w.shape) for w in copy.weights}


# %% [markdown]
# The catalogues:
#
# - MovieLens-100K, -1M and -32M, with the users and movies GroupLens publishes in each
#   release's README ([Harper and Konstan, 2015](https://doi.org/10.1145/2827872);
#   `recbook.published.MOVIELENS_COUNTS`; for ML-1M the 3,706 movies that have ratings);
# - a production-sized catalogue that we state, not measure: 100 million users and 10
#   million items.
#
# The designs: full tables (chapter 5's baseline), the recipe's QR users + MD movies (its
# blocks scaled to each catalogue), and QR tables for both at chapter 5's 10x ratio.
#
# Every value is a float32, 4 bytes, and Adam keeps two more values per parameter (its
# first and second moments), so with Adam a parameter costs
#
# $$\underbrace{4}_{\text{weight}} + \underbrace{2 \times 4}_{\text{Adam's two slots}}
#   = 12 \text{ bytes}.$$
#
# Split by rows over $d$ devices, a table of $r$ rows and $k$ columns keeps
# $\lceil r / d \rceil$ of its rows on each device (the last shard padded), and the
# weights that are not tables (the MD projections, $P$ values) are replicated. One
# device then holds
#
# $$B_d = 12 \Big( \sum_{\text{tables}} \lceil r / d \rceil \, k + P \Big)
#   \text{ bytes}.$$
#
# The catalogues' sizes:

# %%
catalogues = [
    sharding.Catalogue(f"MovieLens-{name.upper()}", c["users"], c["movies"])
    for name, c in published.MOVIELENS_COUNTS.items()
]
catalogues.append(sharding.Catalogue("production (stated)", 100_000_000, 10_000_000))
designs = {
    "full tables": lambda c, dim: sharding.full_tables(c.num_users, c.num_movies, dim),
    "QR users + MD movies": sharding.recipe_tables,
    f"QR tables at {qr_ratio}x": lambda c, dim: sharding.qr_tables(c, qr_ratio, dim),
}
memory = sharding.memory_table(catalogues, designs, memory_device_counts)
tables.show(
    pd.DataFrame(
        [
            {"catalogue": c.name, "users": c.num_users, "movies": c.num_movies}
            for c in catalogues
        ]
    ),
    caption="The catalogues",
)

# %% [markdown]
# The two tables of each design, on one device (decimal units: 1 GB is $10^9$ bytes).
# The recipe design's MovieLens-1M row is chapter 5's 113,312 parameters.

# %% tags=["nbval-check-output"]
in_bytes = ["weights (bytes)", "with Adam (bytes)"]
tables.show(
    memory[
        ["catalogue", "design", "parameters", "weights (bytes)", "with Adam (bytes)"]
    ],
    headers={"weights (bytes)": "weights", "with Adam (bytes)": "with Adam"},
    formats={c: sharding.human_bytes for c in in_bytes},
    caption="Parameters and memory of the two tables, float32",
)

# %% [markdown]
# The largest catalogue, split by rows: memory per device, weights and Adam's slots.

# %% tags=["nbval-check-output"]
production = memory[memory["catalogue"] == "production (stated)"]
per_device_columns = {
    f"per device on {d} (bytes)": f"{d} device{'s' * (d > 1)}"
    for d in memory_device_counts
}
tables.show(
    production[["design", *per_device_columns]],
    headers=per_device_columns,
    formats={c: sharding.human_bytes for c in per_device_columns},
    caption="Production catalogue with Adam: memory per device, tables split by rows",
)

# %% [markdown]
# Which devices hold that? These figures count the tables and Adam's slots and nothing
# else (no activations, no other layers, no framework workspace), and they are measured
# against one data-centre accelerator of a memory class sold today: 80 GB (NVIDIA A100
# 80 GB, H100), 141 GB (NVIDIA H200) and 192 GB (AMD MI300X). The fewest such devices
# whose row shards hold the production catalogue's full tables with Adam:

# %% tags=["nbval-check-output"]
production_shapes = {
    path: shape
    for layer in designs["full tables"](catalogues[-1], 64)
    for path, shape in weight_shapes(layer).items()
}
holders = {
    f"{gb} GB": sharding.fewest_devices(production_shapes, gb * 1e9)
    for gb in device_memory_gb
}
tables.show(
    pd.DataFrame(
        [
            {
                "device memory": memory_class,
                "devices needed": needed,
                "per device": sharding.human_bytes(
                    sharding.per_device_bytes(production_shapes, needed)
                ),
            }
            for memory_class, needed in holders.items()
        ]
    ),
    caption=(
        "Production catalogue, full tables with Adam: the fewest devices to hold it"
    ),
)

# %%
production_with_adam = sharding.human_bytes(
    sharding.per_device_bytes(production_shapes, 1)
)
print(f"production catalogue, full tables with Adam: {production_with_adam}")

# %% [markdown]
# So the production catalogue's full tables with Adam, 84.5 GB, do not fit one 80 GB
# device but fit one 141 GB or one 192 GB device, with what is left for everything else
# (activations, the rest of the model); two 80 GB devices hold them, and on 64 devices
# each holds little more than a GB. Compression and sharding multiply: the QR tables at
# 10x on 8 devices need less per device than the full tables on 64.

# %% tags=["remove-cell"]
glue.record(
    records.PRODUCTION_FULL_WITH_ADAM_BYTES,
    memory.set_index(["catalogue", "design"]).loc[
        ("production (stated)", "full tables"), "with Adam (bytes)"
    ],
)
glue.record(
    records.PRODUCTION_FULL_PER_DEVICE_BYTES,
    {
        str(d): memory.set_index(["catalogue", "design"]).loc[
            ("production (stated)", "full tables"), f"per device on {d} (bytes)"
        ]
        for d in memory_device_counts
    },
)
glue.record(
    records.ML32M_FULL_WITH_ADAM_BYTES,
    memory.set_index(["catalogue", "design"]).loc[
        ("MovieLens-32M", "full tables"), "with Adam (bytes)"
    ],
)
glue.record(records.DEVICES_TO_HOLD_PRODUCTION, holders)
glue.record(records.PRODUCTION_FULL_WITH_ADAM_TEXT, production_with_adam)

# %% [markdown]
# **Answer.** A production catalogue's full tables, with Adam's slots, need more memory
# than one 80 GB accelerator holds.

# %% [markdown]
# ## The data and the single-device run
#
# Chapter 5's model and protocol: one 64-dimensional row per user and per movie,
# `sigmoid(user . movie) * 5`, Adam(0.001) on the squared error, batch 128. For the
# equality checks, a seeded sample of the training split and one epoch are enough.

# %%
ratings = data.load_ratings(variant)
split = rating_models.split_ratings(
    ratings, val_fraction=0.15, seed=split_seed, max_train=max_train
)
train_count = len(split.train["rating"])
print(
    f"training ratings: {train_count:,} ({train_count // batch_size} "
    f"steps of {batch_size}), validation ratings: {len(split.val['rating']):,}"
)

# %% tags=["nbval-check-output"]
print(f"users: {split.num_users:,}, movies: {split.num_movies:,}")

# %% [markdown]
# The reference run on one device, with no distribution set. Its starting weights are
# kept, so that every distributed run below starts from the very same numbers.

# %%
keras.utils.set_random_seed(0)
single = sharding.compile_rating_model(
    rating_models.rating_model(*sharding.full_tables(split.num_users, split.num_movies))
)
start_weights = single.get_weights()
single_losses, single_mae = sharding.train_and_score(single, split, epochs, batch_size)
print(
    f"single device: final training loss {single_losses[-1]:.5f}, "
    f"validation MAE {single_mae:.5f}"
)

# %% [markdown]
# ## Data parallel: the batch split over the devices
#
# `DataParallel` replicates every variable on every device of a one-axis mesh and splits
# each batch along it: with 4 devices, each sees 32 of the 128 ratings and computes its
# part of the gradient of the batch's mean loss, and an all-reduce adds the parts, which
# gives the gradient of the mean over all 128, as on one device. Its mesh has one axis,
# named `data` (the model-parallel mesh below adds a second, `model`), over a list of
# device names that is checked first:

# %%
#| export
DATA_AXIS, MODEL_AXIS = "data", "model"


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
# The model is built inside the distribution's scope, so its variables are created with
# their layouts.

# %%
dp_distribution = data_parallel(mesh_devices)
print(dp_distribution.device_mesh, "| batch axis:", dp_distribution.batch_dim_name)
with dp_distribution.scope():
    dp_model = sharding.compile_rating_model(
        rating_models.rating_model(
            *sharding.full_tables(split.num_users, split.num_movies)
        )
    )
    dp_model.set_weights(start_weights)
    dp_losses, dp_mae = sharding.train_and_score(dp_model, split, epochs, batch_size)

# %% [markdown]
# This run checks the mechanics, not a trained model: one epoch of Adam on 65,536
# ratings ends at a validation MAE worse than predicting the global mean (the next
# section trains a model that learns, and checks it again). The same seed shuffles the
# same batches, so the two loss curves should be one curve: only the order in which
# float32 sums are taken differs.

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
# Adam cannot tell a mean of the devices' gradients from their sum: it divides each
# step by the gradients' running scale, so a gradient 4 times too large gives nearly
# the same step. The next section makes the check with an optimizer that can.

# %% tags=["remove-cell"]
glue.record(records.DEVICES, len(mesh_devices))
glue.record(records.DP_LOSS_MAX_ABS_DIFF, dp_loss_gap)
glue.record(records.DP_MAE_ABS_DIFF, dp_mae_gap)
glue.record(records.DP_AGREEMENT, dp_agreement)

# %% [markdown]
# ## Data parallel with plain SGD, on a trained model
#
# Plain SGD's step is the learning rate times the gradient,
#
# $$w \leftarrow w - \eta \, \frac{1}{n} \sum_{k=1}^{n} g_k,$$
#
# where $g_k$ is device $k$'s gradient of its share of the batch's loss. Summing the
# $g_k$ instead of averaging them is a step $n$ times too long, the same as training on
# one device with $n \eta$: a run with that error leaves the single-device run at once.
# So the check is made again with SGD, and on a model trained long enough to beat the
# global mean: a seeded sample of the training split, in whole batches, for a few epochs.

# %%
sgd_split = rating_models.split_ratings(
    ratings, val_fraction=0.15, seed=split_seed, max_train=sgd_max_train
)
sgd_global_mean = baselines.global_mean(sgd_split)
sgd_train_count = len(sgd_split.train["rating"])
sgd_steps = sgd_train_count // sgd_batch_size
print(
    f"training ratings: {sgd_train_count:,} ({sgd_steps} steps of "
    f"{sgd_batch_size:,} per epoch, {sgd_epochs} epoch{'s' * (sgd_epochs > 1)}), "
    f"SGD learning rate {sgd_learning_rate:g}"
)
print(f"global mean {sgd_global_mean['mae']:.4f} validation MAE")


# %%
def sgd_model(learning_rate=sgd_learning_rate):
    tables_ = sharding.full_tables(sgd_split.num_users, sgd_split.num_movies)
    return sharding.compile_sgd_rating_model(
        rating_models.rating_model(*tables_), learning_rate
    )


keras.utils.set_random_seed(0)
sgd_single = sgd_model()
sgd_start = sgd_single.get_weights()
sgd_losses, sgd_mae = sharding.train_and_score(
    sgd_single, sgd_split, sgd_epochs, sgd_batch_size
)
with dp_distribution.scope():
    sgd_dp = sgd_model()
    sgd_dp.set_weights(sgd_start)
    sgd_dp_losses, sgd_dp_mae = sharding.train_and_score(
        sgd_dp, sgd_split, sgd_epochs, sgd_batch_size
    )

# %% [markdown]
# And the planted error, gradients summed over the devices instead of averaged: one
# device, the same weights and batches, and $n \eta$.

# %%
summed = sgd_model(sgd_learning_rate * len(mesh_devices))
summed.set_weights(sgd_start)
summed_losses, summed_mae = sharding.train_and_score(
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
# ## Model parallel: the tables split by rows
#
# Data parallelism keeps a whole copy of every table on every device: it helps speed, not
# memory. `ModelParallel` shards variables. The mesh has two axes, `data` (how many
# copies) and `model` (how many pieces per copy); here all the devices go to `model`. A
# `LayoutMap` maps each table's weight path to the layout `("model", None)`: rows split
# over `model`, columns whole. Everything else is replicated. For the movie table on
# this chapter's mesh:

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Row sharding: the movie table's rows, padded to a multiple of the devices, are cut into one contiguous shard per device of the mesh's model axis; every device holds a quarter of the rows and all 64 columns.", "name": "fig-row-sharding"}, "image": {"alt": "Diagram: a table of 3,706 movie rows plus 2 padding rows is cut into four shards of 927 rows, rows 0-926, 927-1,853, 1,854-2,780 and 2,781-3,705 plus the padding, and each shard is drawn on its own device 0 to 3 of a one-axis mesh."}}
diagrams.sharded_table(split.num_movies, len(mesh_devices))

# %% [markdown]
# The mesh has `data` groups of `model` devices; by default every device goes to `model`:


# %%
#| export
def device_mesh(
    devices: Sequence[str], model: int | None = None
) -> keras.distribution.DeviceMesh:
    """A ``(data, model)`` mesh over ``devices``.

    ``model`` devices per table (default: all).
    """
    check_devices(devices)
    model = len(devices) if model is None else model
    checks.whole("model", model, maximum=len(devices), bound="the devices")
    if len(devices) % model:
        raise ValueError(f"{len(devices)} devices do not split into groups of {model}.")
    return keras.distribution.DeviceMesh(
        (len(devices) // model, model), (DATA_AXIS, MODEL_AXIS), list(devices)
    )


# %% [markdown]
# A table's rows must divide by the `model` axis. MovieLens-1M's 6,040 users do on 4
# devices; its 3,706 movies do not, and JAX refuses:

# %%
mesh = device_mesh(mesh_devices)
shards = mesh.shape[1]
print(mesh)
unpadded_map = keras.distribution.LayoutMap(mesh)
unpadded_map["movie_emb/embeddings"] = ("model", None)
try:
    with keras.distribution.ModelParallel(
        layout_map=unpadded_map, batch_dim_name="data"
    ).scope():
        keras.layers.Embedding(split.num_movies, 64, name="movie_emb").build((None,))
    print(
        f"{split.num_movies:,} rows divide by {shards}: no padding needed on this mesh"
    )
except Exception as error:  # JAX's IndivisibleError (a ValueError)
    message = f"{type(error).__name__}: {str(error)[:220]}..."
    print(textwrap.fill(message, width=80, break_long_words=False))

# %% [markdown]
# The fix is padding: `pad_table` adds rows that no id reads, up to the next multiple of
# the `model` axis (`padded_rows`); `padded` pads each table of a model:


# %%
#| export
def padded_rows(rows: int, shards: int) -> int:
    """The smallest multiple of ``shards`` that is at least ``rows``.

    Raises:
        TypeError, ValueError: ``rows`` or ``shards`` is not a whole number of at
            least 1.
    """
    rows, shards = checks.whole("rows", rows), checks.whole("shards", shards)
    return -(-rows // shards) * shards


def pad_table(layer: keras.layers.Layer, shards: int) -> keras.layers.Layer:
    """A copy of an (unbuilt) table whose id-indexed weights have a multiple of
    ``shards`` rows.

    Every id reads the same row as before; the added rows are read by no id.

    * ``keras.layers.Embedding``: ``input_dim`` rounded up.
    * :class:`~recbook.embeddings.QREmbedding`: the quotient table rounded up
      (``input_dim`` becomes ``quotient rows x num_buckets``); the remainder
      table has ``num_buckets`` rows, which padding cannot change (``id mod m``
      would move), so it is left as it is.
    * :class:`~recbook.embeddings.MDEmbedding`,
      :class:`~recbook.embeddings.HashEmbedding`:
      unchanged (their row count fixes which row an id reads).

    Tables that still do not divide are replicated by :func:`row_layout_map`.
    """
    checks.whole("shards", shards)
    config = layer.get_config()
    if type(layer) is keras.layers.Embedding:
        config["input_dim"] = padded_rows(layer.input_dim, shards)
    elif isinstance(layer, QREmbedding):
        config["input_dim"] = (
            padded_rows(layer.quotient_rows, shards) * layer.num_buckets
        )
    elif not isinstance(layer, (MDEmbedding, HashEmbedding)):
        raise TypeError(f"Cannot pad a {type(layer).__name__}.")
    return type(layer).from_config(config)


def padded(
    layers: Iterable[keras.layers.Layer], shards: int
) -> tuple[keras.layers.Layer, ...]:
    """:func:`pad_table` applied to each layer."""
    checks.whole("shards", shards)
    return tuple(pad_table(layer, shards) for layer in layers)


# %% [markdown]
# `row_layout_map` then writes the `LayoutMap` from the padded layers' own weight paths:
# each table weight gets the layout `("model", None)`, and everything else matches no key
# and is replicated (tables whose rows still do not divide would be replicated too, and
# listed). A table weight is one that ids index:

# %%
#| export
TABLE_WEIGHTS = ("embeddings", "rows")
"""Weight names indexed by id (or by a row of a flat table): sharded by rows."""


def is_table_weight(path: str) -> bool:
    """Whether a weight path names an id-indexed table.

    That is ``.../embeddings``, or an MD table's ``.../rows``.
    """
    return path.rsplit("/", 1)[-1] in TABLE_WEIGHTS


def row_layout_map(
    mesh: keras.distribution.DeviceMesh, layers: Iterable[keras.layers.Layer]
) -> tuple[keras.distribution.LayoutMap, list[str]]:
    """A ``LayoutMap`` sharding each table weight of ``layers`` by rows over ``model``.

    Keys are the weights' exact paths (so the layers need fixed names). Weights
    that are not tables (MD projections) match no key and are replicated;
    tables whose rows do not divide by the ``model`` axis are replicated too and
    returned in the list. Adam's slots follow their variable's layout.
    """
    shards = mesh.shape[mesh.axis_names.index(MODEL_AXIS)]
    layout_map = keras.distribution.LayoutMap(mesh)
    replicated = []
    for layer in layers:
        for path, shape in weight_shapes(layer).items():
            if not is_table_weight(path):
                continue
            if shape[0] % shards:
                replicated.append(path)
                continue
            layout_map[re.escape(path)] = (MODEL_AXIS, *[None] * (len(shape) - 1))
    return layout_map, replicated


# %% [markdown]
# The full tables, padded, their layout map, and the distribution made from it:

# %%
mp_layers = padded(sharding.full_tables(split.num_users, split.num_movies), shards)
layout_map, replicated = row_layout_map(mesh, mp_layers)
mp_distribution = keras.distribution.ModelParallel(
    layout_map=layout_map, batch_dim_name="data"
)

# %% tags=["nbval-check-output"]
for layer in mp_layers:
    print(f"{layer.name}: {layer.input_dim:,} rows")
for path in layout_map:
    print(f"layout of {path}: {layout_map[path].axes}")
print("replicated tables:", replicated or "none")

# %% [markdown]
# The sharded model is built in the distribution's scope and given the single-device
# run's trained weights, with zero rows appended for the padding. Its shards, read from
# the arrays themselves (`jax.Array.addressable_shards`): each device holds a quarter of
# each table's rows, and Adam's slots follow their variable's layout.

# %%
with mp_distribution.scope():
    mp_model = sharding.compile_rating_model(rating_models.rating_model(*mp_layers))
    mp_model.set_weights(sharding.padded_weights(single.get_weights(), mp_model))
    mp_model.optimizer.build(mp_model.trainable_variables)

# %% tags=["nbval-check-output"]
mp_shards = sharding.shard_report(sharding.model_and_slot_variables(mp_model))
tables.show(
    sharding.readable_shards(mp_shards),
    caption=f"Full tables and Adam's slots on the mesh of {shards} devices",
)

# %% [markdown]
# Same weights, same inputs: the sharded model's predictions should be the unsharded
# model's. Each device looks up the ids whose rows it holds, and the devices add their
# partial results.

# %%
with mp_distribution.scope():
    mp_predictions = mp_model.predict(split.inputs("val"), batch_size=4096, verbose=0)
single_predictions = single.predict(split.inputs("val"), batch_size=4096, verbose=0)
mp_prediction_gap = float(np.max(np.abs(mp_predictions - single_predictions)))
mp_agreement = sharding.agreement({"predictions": mp_prediction_gap})
print(f"{len(mp_predictions):,} validation predictions: {mp_agreement}")
tolerance = sharding.difference_words(published.SCALING_TOLERANCE["predictions"])
print(f"(tolerance {tolerance})")

# %% [markdown]
# And it trains: from the same starting weights and batches as the single-device run, the
# model-parallel loss curve is that run's too.

# %%
with mp_distribution.scope():
    mp_train = sharding.compile_rating_model(
        rating_models.rating_model(
            *padded(sharding.full_tables(split.num_users, split.num_movies), shards)
        )
    )
    mp_train.set_weights(sharding.padded_weights(start_weights, mp_train))
    mp_losses, mp_mae = sharding.train_and_score(mp_train, split, epochs, batch_size)
mp_loss_gap = float(np.max(np.abs(np.subtract(mp_losses, single_losses))))
mp_training_agreement = sharding.agreement(
    {"training losses": mp_loss_gap, "validation MAEs": abs(mp_mae - single_mae)}
)
print(textwrap.fill(f"model parallel: {mp_training_agreement}", width=80))
print(f"validation MAE {mp_mae:.6f} (one device {single_mae:.6f})")

# %% tags=["remove-cell"]
glue.record(records.MP_PREDICTION_MAX_ABS_DIFF, mp_prediction_gap)
glue.record(records.MP_LOSS_MAX_ABS_DIFF, mp_loss_gap)
glue.record(records.MP_MAE_ABS_DIFF, abs(mp_mae - single_mae))
glue.record(records.MP_AGREEMENT, mp_agreement)
glue.record(
    records.SHARD_SHAPES,
    {
        row["variable"]: list(row["shard shape"])
        for _, row in mp_shards.iterrows()
        if not row["variable"].startswith("adam/")
    },
)

# %% [markdown]
# ## QR and MD on the mesh
#
# Chapter 5's recipe design, QR users and MD movies, sharded the same way: the QR
# quotient table (51 rows) is padded to the mesh, its remainder table (120 rows) and the
# MD table's flat weight split by rows, the MD projections replicated. This time the
# layout map and the distribution are made in one step:


# %%
#| export
def model_parallel(
    mesh: keras.distribution.DeviceMesh, layers: Iterable[keras.layers.Layer]
) -> tuple[keras.distribution.ModelParallel, list[str]]:
    """Tables of ``layers`` sharded by rows over the mesh's ``model`` axis, the batch
    over ``data``.

    Returns the distribution and the table weights left replicated because
    their rows do not divide (pad them first with :func:`pad_table`).
    """
    layout_map, replicated = row_layout_map(mesh, layers)
    return keras.distribution.ModelParallel(
        layout_map=layout_map, batch_dim_name=DATA_AXIS
    ), replicated


# %%
ml1m = sharding.Catalogue("MovieLens-1M", split.num_users, split.num_movies)
qr_md_layers = padded(sharding.recipe_tables(ml1m), shards)
qr_md_parallel, qr_md_replicated = model_parallel(mesh, qr_md_layers)
with qr_md_parallel.scope():
    qr_md_model = sharding.compile_rating_model(
        rating_models.rating_model(*qr_md_layers)
    )
    qr_md_model.optimizer.build(qr_md_model.trainable_variables)

# %% tags=["nbval-check-output"]
qr_md_shards = sharding.shard_report(sharding.model_and_slot_variables(qr_md_model))
print("replicated tables:", qr_md_replicated or "none")
tables.show(
    sharding.readable_shards(qr_md_shards),
    caption=f"QR users and MD movies on the mesh of {shards} devices",
)

# %% [markdown]
# Bytes per device, measured from the shards of the weights and Adam's slots, beside the
# full tables on one device and on the mesh; and the same figures on paper
# (`per_device_bytes` on the layers' shapes), which they match.

# %%
full_layers_unpadded = sharding.full_tables(split.num_users, split.num_movies)
per_device = sharding.per_device_comparison(
    {
        "full tables, one device": (single, full_layers_unpadded, 1),
        f"full tables, {shards} shard{'s' * (shards > 1)}": (
            mp_model,
            mp_layers,
            shards,
        ),
        f"QR users + MD movies, {shards} shard{'s' * (shards > 1)}": (
            qr_md_model,
            qr_md_layers,
            shards,
        ),
    }
)
per_device["share of the full tables on one device"] = (
    per_device["measured"] / per_device["measured"].iloc[0]
)
tables.show(
    per_device,
    headers={
        "measured": "measured (MB)",
        "on paper": "on paper (MB)",
        "share of the full tables on one device": "share of one device's",
    },
    formats={
        "measured": sharding.megabytes,
        "on paper": sharding.megabytes,
        "share of the full tables on one device": "{:.3f}",
    },
    caption="Bytes per device of the weights and Adam's slots (1 MB: 1,000,000 bytes)",
)

# %% tags=["remove-cell"]
glue.record(
    records.PER_DEVICE_BYTES, dict(zip(per_device["model"], per_device["measured"]))
)
glue.record(
    records.PER_DEVICE_BYTES_MATCH_PAPER,
    bool((per_device["measured"] == per_device["on paper"]).all()),
)

# %% [markdown]
# **Answer.** Splitting the tables by rows over the devices predicts what one device
# predicts, and each device holds the share of the bytes counted on paper.

# %% [markdown]
# ## What moves between devices
#
# Splitting the work costs communication. The compiled training step says how much: we
# compile Keras's own `model.train_step` (the step `fit` runs) for one batch with
# `jax.jit(...).lower(...).compile()`, read its optimized HLO (`as_text()`), and list its
# collective operations with the bytes each produces on a device. On this chapter's mesh:

# %%
batch = sharding.sample_batch(split.num_users, split.num_movies, batch_size)
with dp_distribution.scope():
    dp_hlo = sharding.train_step_hlo(dp_model, *batch)
with mp_distribution.scope():
    mp_hlo = sharding.train_step_hlo(mp_train, *batch)
step_collectives = pd.concat(
    [
        sharding.collectives(dp_hlo).assign(strategy="data parallel"),
        sharding.collectives(mp_hlo).assign(strategy="model parallel"),
    ],
    ignore_index=True,
)
tables.show(
    step_collectives.assign(
        arrays=step_collectives["result"].map(sharding.arrays_text)
    )[["strategy", "operation", "arrays", "bytes"]],
    headers={"arrays": "arrays (float32)", "bytes": "bytes per device"},
    caption=f"Collective operations of one compiled training step, {shards} devices",
)

# %% [markdown]
# Data parallelism all-reduces the gradient of every parameter, and an embedding table's
# gradient is a dense table-sized array: 2.5 MB per step for MovieLens-1M, whatever the
# batch. Model parallelism all-reduces the looked-up rows instead: batch x 64 floats per
# table. Both are the result sizes; a ring all-reduce sends about `2 (n - 1) / n` times
# that per device.

# %%
dp_bytes, mp_bytes = (
    sharding.collective_bytes(dp_hlo),
    sharding.collective_bytes(mp_hlo),
)
print(
    f"data parallel: {sum(dp_bytes.values()):,} bytes per step; "
    f"model parallel: {sum(mp_bytes.values()):,}"
)

# %% tags=["remove-cell"]
glue.record(records.DP_COLLECTIVE_BYTES_PER_STEP, sum(dp_bytes.values()))
glue.record(records.MP_COLLECTIVE_BYTES_PER_STEP, sum(mp_bytes.values()))

# %% [markdown]
# **Answer.** Per step, model parallelism moves far fewer bytes between devices than
# data parallelism: large tables want it.

# %% [markdown]
# ### How it grows with the number of devices
#
# One process has one device count, fixed when JAX starts. So the scaling is measured in
# one child process started with `max(scaling_counts)` simulated CPU devices, compiling the
# step for meshes over the first 1, 2, 4, ... of them: the compiled program of a 4-device
# mesh is the same whether the process has 4 devices or 8. Data parallel uses a one-axis
# mesh, model parallel a `(1, n)` mesh with the tables padded to `n`. The child compiles
# for the CPU, even on a GPU or TPU machine.

# %%
scaling = sharding.collectives_by_device_count(
    scaling_counts, split.num_users, split.num_movies, batch_size
)
scaling["ring estimate sent per device"] = (
    (scaling["total"] * 2 * (scaling["devices"] - 1) / scaling["devices"])
    .round()
    .astype(int)
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Megabytes of collective results per device in one training step, against the number of devices (log scale), for data parallel (the tables' gradients) and model parallel (the looked-up rows); MovieLens-1M's tables, batch 128.", "name": "fig-collectives"}, "image": {"alt": "Line chart over 1, 2, 4 and 8 devices: both strategies move nothing on one device; from 2 devices on, data parallel stays flat at about 2.5 MB per step and model parallel flat at about 0.07 MB."}}
fig, ax = plots.figure()
plots.bytes_vs_devices(
    scaling,
    ax=ax,
    title=f"Collective bytes per training step (batch {batch_size}, "
    "MovieLens-1M tables)",
)
plt.show()

# %% [markdown]
# In megabytes, by kind of collective (kinds that move nothing on any mesh are left out):

# %%
moved = [kind for kind in sharding.COLLECTIVES if scaling[kind].any()]
in_mb = [*moved, "total", "ring estimate sent per device"]
tables.show(
    scaling[["devices", "strategy", *in_mb]],
    headers={
        **{kind: f"{kind} (MB)" for kind in moved},
        "total": "total (MB)",
        "ring estimate sent per device": "ring estimate sent (MB)",
    },
    formats={column: sharding.megabytes for column in in_mb},
    caption="Collective results per device and training step",
)

# %% tags=["remove-cell"]
glue.record(
    records.COLLECTIVE_BYTES_BY_DEVICES,
    {
        f"{row['strategy']}, {row['devices']}": row["total"]
        for _, row in scaling.iterrows()
    },
)

# %% [markdown]
# Data parallelism moves a table-sized gradient every step, on any number of devices; a
# ring spreads it, but each device still sends nearly twice its size. Model parallelism
# moves activations: batch-sized, independent of the tables (the global batch is fixed at
# 128 here; on a `(1, n)` mesh every device looks up the whole batch). Wall times on simulated
# devices say nothing about this: the "devices" share this machine's two cores, and no
# bytes cross a wire. On real hardware the step time depends on the links (NVLink, ICI,
# PCIe) as much as on these byte counts.

# %% [markdown]
# ## Beyond one host
#
# Nothing above names a CPU. On a machine with 8 GPUs, or a TPU slice, the same chapter
# runs with `device_count = 8`: `keras.distribution.list_devices()` returns the
# accelerators, the flag that simulated CPU devices does nothing, and the mesh is the only
# thing that changes. Across several hosts, each process calls
# `keras.distribution.initialize()` first and the mesh spans every host's devices:
#
# ```python
# import keras
#
# # Multi-host only: once per process, before the model.
# keras.distribution.initialize()
# devices = keras.distribution.list_devices()  # e.g. 32 TPU chips
# mesh = keras.distribution.DeviceMesh((4, 8), ("data", "model"), devices)
# layout_map = keras.distribution.LayoutMap(mesh)
# layout_map["user_emb/embeddings"] = ("model", None)  # rows split over 8 chips
# layout_map["movie_emb/embeddings"] = ("model", None)
# keras.distribution.set_distribution(
#     keras.distribution.ModelParallel(layout_map=layout_map, batch_dim_name="data")
# )
# model = rating_model(...)  # built after set_distribution
# model.fit(...)  # each of the 4 data groups gets a quarter of the batch
# ```
#
# On TPUs with SparseCores (v5p, v6e), `keras_rs.layers.DistributedEmbedding` goes
# further: the tables are placed on the SparseCores and looked up there, sharded across
# chips, with the lookups of all features batched into one operation. Elsewhere (CPU,
# GPU, older TPUs) it is an ordinary embedding layer that follows whatever distribution is
# set (keras-rs picks its implementation when it is imported: the SparseCore one needs
# JAX on Linux x86-64 with the `jax-tpu-embedding` package, and a TPU with SparseCores at
# run time). Here is the fallback on this chapter's mesh; it runs on CPU with JAX, and a
# `LayoutMap` pattern (a regular expression) shards its table by rows like ours:

# %%
import keras_rs

movie_table = keras_rs.layers.TableConfig(
    name="movie_emb",
    vocabulary_size=padded_rows(split.num_movies, shards),
    embedding_dim=64,
    placement="auto",
)
features = {
    "movie": keras_rs.layers.FeatureConfig(
        name="movie",
        table=movie_table,
        input_shape=(batch_size,),
        output_shape=(batch_size, 64),
    )
}
table_layouts = keras.distribution.LayoutMap(mesh)
table_layouts[".*/movie_emb/embeddings"] = ("model", None)
with keras.distribution.ModelParallel(
    layout_map=table_layouts, batch_dim_name="data"
).scope():
    distributed = keras_rs.layers.DistributedEmbedding(features)
    looked_up = distributed({"movie": batch[0]["movie"]})

# %% tags=["nbval-check-output"]
print(f"implementation: {type(distributed).__mro__[1].__module__}")
print(f"output: {tuple(looked_up['movie'].shape)}")
shards_report = sharding.shard_report(distributed.weights)
tables.show(
    sharding.readable_shards(shards_report),
    caption=f"keras-rs DistributedEmbedding's table on the mesh of {shards} devices",
)

# %% [markdown]
# On a SparseCore TPU the table config is the same; the layer needs its inputs
# preprocessed outside the compiled step, as its documentation shows:
#
# ```python
# devices = keras.distribution.list_devices()
# keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
# # placement "auto": the tables go to the SparseCores
# embedding = keras_rs.layers.DistributedEmbedding(features)
# batches = ((embedding.preprocess(x, training=True), y) for x, y in dataset)
# model.fit(batches, ...)
# ```

# %% [markdown]
# ## What we learned
#
# - A production catalogue's full tables, with Adam's slots, need more memory than one
#   80 GB accelerator holds.
# - Data parallelism trains as one device does, as long as the devices' gradients are
#   averaged, not summed.
# - Splitting the tables by rows over the devices predicts what one device predicts,
#   and each device holds the share of the bytes counted on paper.
# - Per step, model parallelism moves far fewer bytes between devices than data
#   parallelism: large tables want it.
