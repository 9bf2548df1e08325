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
#     export: model_parallelism
#     quick_parameters:
#       max_train: 8192
# ---

# %% [markdown]
# # Model parallel: tables split by rows
#
# Chapter 8 copied the whole model onto every device. That cannot help a table that no
# longer fits one device: MovieLens-32M has 200,948 users and 87,585 movies, a
# production catalogue has tens of millions of users and millions of items, and at 64
# float32 dimensions a table of 100 million rows is 25.6 GB before the optimizer's slots.
# This chapter splits the tables themselves over the devices, each device holding some of
# the rows. Does the split model still predict and train as one device does, and how
# many bytes does each device then hold?
#
# The tool is `keras.distribution` on JAX again: a two-axis `DeviceMesh`, a `LayoutMap`
# that says how each weight is split, and `ModelParallel`. As in chapter 8, XLA
# simulates the devices on this machine's CPU. The cells marked `#| export` are also
# written into the book's package (as `recbook.model_parallelism`).

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
# starts: `device_count`, the devices of the mesh. The rest: the training ratings (a
# seeded sample of MovieLens-1M's training split, one epoch: enough to compare runs).

# %% tags=["parameters"]
device_count = 4
variant = "1m"
max_train = 65_536
epochs = 1
batch_size = 128
split_seed = 42

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

# %% [markdown]
# The code exported from this chapter builds on chapter 8's: its data axis, its check of
# a list of devices, and `choose_devices`, which takes the first `device_count` devices
# of JAX's default platform (the accelerators where there are any, else the CPU devices
# just asked for).

# %%
#| export
import re
from collections.abc import Iterable, Sequence

from recbook import checks
from recbook.data_parallelism import DATA_AXIS, check_devices
from recbook.embeddings import HashEmbedding, MDEmbedding, QREmbedding

import keras

# %%
import textwrap

from recbook import data, diagrams, glue, plots, published, rating_models, records
from recbook import sharding, tables
from recbook.data_parallelism import (
    choose_devices,
    compile_rating_model,
    full_tables,
    reference_run,
    sample_split,
    train_and_score,
)

import numpy as np

plots.setup()
mesh_devices = choose_devices(device_count)
print(device_setup.summary(mesh_devices, in_time))

# %% [markdown]
# ## The data and the single-device run
#
# Chapter 6's model and protocol: one 64-dimensional row per user and per movie,
# `sigmoid(user . movie) * 5`, Adam(0.001) on the squared error, batch 128. For the
# equality checks, a seeded sample of the training split and one epoch are enough.

# %%
split = sample_split(data.load_ratings(variant), max_train, split_seed)
print(
    f"training ratings: {len(split.train['rating']):,}, "
    f"validation ratings: {len(split.val['rating']):,}"
)

# %% tags=["nbval-check-output"]
print(f"users: {split.num_users:,}, movies: {split.num_movies:,}")

# %% [markdown]
# Chapter 8's reference run on one device, with no distribution set. Its starting weights
# are kept, so that every distributed run below starts from the very same numbers.

# %%
single, start_weights, single_losses, single_mae = reference_run(
    split, epochs, batch_size
)
print(
    f"single device: final training loss {single_losses[-1]:.5f}, "
    f"validation MAE {single_mae:.5f}"
)

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
# The mesh has `data` groups of `model` devices (the `data` axis is chapter 8's); by
# default every device goes to `model`:


# %%
#| export
MODEL_AXIS = "model"


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
# To know which weights are tables and how many rows they have, the layout map reads the
# layers' weight shapes. `weight_shapes` builds a copy of a layer inside a
# `keras.StatelessScope`, which creates no arrays, so even a 100-million-row table costs
# nothing here (chapter 10 uses it to count memory on paper):


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
mp_layers = padded(full_tables(split.num_users, split.num_movies), shards)
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
    mp_model = compile_rating_model(rating_models.rating_model(*mp_layers))
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
    mp_train = compile_rating_model(
        rating_models.rating_model(
            *padded(full_tables(split.num_users, split.num_movies), shards)
        )
    )
    mp_train.set_weights(sharding.padded_weights(start_weights, mp_train))
    mp_losses, mp_mae = train_and_score(mp_train, split, epochs, batch_size)
mp_loss_gap = float(np.max(np.abs(np.subtract(mp_losses, single_losses))))
mp_training_agreement = sharding.agreement(
    {"training losses": mp_loss_gap, "validation MAEs": abs(mp_mae - single_mae)}
)
print(textwrap.fill(f"model parallel: {mp_training_agreement}", width=80))
print(f"validation MAE {mp_mae:.6f} (one device {single_mae:.6f})")

# %% tags=["remove-cell"]
glue.record(records.DEVICES, len(mesh_devices))
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
# Chapter 6's recipe design, QR users and MD movies, sharded the same way: the QR
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
    qr_md_model = compile_rating_model(rating_models.rating_model(*qr_md_layers))
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
full_layers_unpadded = full_tables(split.num_users, split.num_movies)
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
# ## What we learned
#
# - Splitting the tables by rows over the devices predicts what one device predicts,
#   and each device holds the share of the bytes counted on paper.
# - From the same weights and batches, the split model trains as one device does.
