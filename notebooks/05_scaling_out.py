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
#       max_train: 8192
#       scaling_counts:
#       - 1
#       - 2
# ---

# %% [markdown]
# # Scaling out: embedding tables on many devices
#
# Chapter 4 made the tables smaller. This chapter asks what happens when they no longer
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
# scaling figure.

# %% [markdown]
# ## Setup
#
# In Colab, the next cell installs the book's helper package `recbook`; elsewhere it
# does nothing.

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

# %% [markdown]
# The chapter's parameters come first, because one of them must be known before JAX
# starts: `device_count`, the devices of the meshes. The rest: the training ratings of
# the equality checks (a seeded sample of MovieLens-1M's training split, one epoch: they
# compare runs, they do not train a good model), and the mesh sizes of the
# communication study.

# %% tags=["parameters"]
device_count = 4
variant = "1m"
max_train = 65_536
epochs = 1
batch_size = 128
split_seed = 42
qr_ratio = 10
memory_device_counts = [1, 4, 8, 64]
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
import textwrap

from recbook import data, glue, plots, published, rating_models, records, sharding

import jax
import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

mesh_devices = sharding.choose_devices(device_count)
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
# table is split by rows? The table below builds the real layers of chapter 4 for four
# catalogues and reads their weights' shapes. The layers are built inside a
# `keras.StatelessScope`, which creates no arrays, so a 100-million-row table costs nothing
# here. The catalogues:
#
# - MovieLens-100K, -1M and -32M, with the users and movies GroupLens publishes in each
#   release's README {cite}`harper2015movielens` (`recbook.published.MOVIELENS_COUNTS`;
#   for ML-1M the 3,706 movies that have ratings);
# - a production-sized catalogue that we state, not measure: 100 million users and 10
#   million items.
#
# The designs: full tables (chapter 4's baseline), the recipe's QR users + MD movies (its
# blocks scaled to each catalogue), and QR tables for both at chapter 4's 10x ratio.
# Bytes are float32 (4 per value); *with Adam* counts the weights and Adam's two slots.
# On `d` devices each table keeps `ceil(rows / d)` of its rows per device (padded), and
# the MD projections are replicated.

# %%
catalogues = [
    sharding.Catalogue(f"MovieLens-{name.upper()}", c["users"], c["movies"])
    for name, c in published.MOVIELENS_COUNTS.items()
]
catalogues.append(sharding.Catalogue("production (stated)", 100_000_000, 10_000_000))
designs = {
    "full tables": lambda c, dim: sharding.full_tables(c.num_users, c.num_movies, dim),
    "QR users + MD movies (recipe)": sharding.recipe_tables,
    f"QR tables at {qr_ratio}x": lambda c, dim: sharding.qr_tables(c, qr_ratio, dim),
}
memory = sharding.memory_table(catalogues, designs, memory_device_counts)

# %% tags=["nbval-check-output", "wide-table"]
shown = memory.copy()
for column in shown.columns[shown.columns.str.endswith("(bytes)")]:
    shown[column] = shown[column].map(sharding.human_bytes)
shown.columns = shown.columns.str.replace(" (bytes)", "")
with pd.option_context("display.width", 250, "display.max_columns", 20):
    print(
        shown.to_string(
            index=False,
            formatters={c: "{:,}".format for c in ("users", "movies", "parameters")},
        )
    )

# %% [markdown]
# The production catalogue's full tables need 28 GB of weights and three times that with
# Adam: more than one accelerator holds, but little more than a GB per device on 64.
# Compression and sharding multiply: the QR tables at 10x on 8 devices need less per
# device than the full tables on 64. (The ML-1M row of the recipe design is chapter 4's
# 113,312 parameters.)

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

# %% [markdown]
# ## The data and the single-device run
#
# Chapter 4's model and protocol: one 64-dimensional row per user and per movie,
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
# each batch along it: with 4 devices, each sees 32 of the 128 ratings, computes the
# gradients of its part, and the devices sum them before the update. The model is built
# inside the distribution's scope, so its variables are created with their layouts.

# %%
data_parallel = sharding.data_parallel(mesh_devices)
print(data_parallel.device_mesh, "| batch axis:", data_parallel.batch_dim_name)
with data_parallel.scope():
    dp_model = sharding.compile_rating_model(
        rating_models.rating_model(
            *sharding.full_tables(split.num_users, split.num_movies)
        )
    )
    dp_model.set_weights(start_weights)
    dp_losses, dp_mae = sharding.train_and_score(dp_model, split, epochs, batch_size)

# %% [markdown]
# The same seed shuffles the same batches, so the two loss curves should be one curve: only
# the order in which float32 sums are taken differs.

# %% tags=["hide-input"]
plots.curves_and_difference(
    {
        "one device": single_losses,
        f"data parallel, {len(mesh_devices)} devices": dp_losses,
    },
    reference="one device",
    ylabel="training loss (MSE, running mean)",
    title="Training loss, one device and data parallel",
)
plt.show()

# %%
dp_loss_gap = float(np.max(np.abs(np.subtract(dp_losses, single_losses))))
dp_mae_gap = abs(dp_mae - single_mae)
print(
    f"largest loss difference over {len(dp_losses)} steps: {dp_loss_gap:.2e} "
    f"(tolerance {published.SCALING_TOLERANCE['loss']:.0e})"
)
print(f"validation MAE: one device {single_mae:.6f}, data parallel {dp_mae:.6f}")
print(
    f"validation MAE difference: {dp_mae_gap:.2e} "
    f"(tolerance {published.SCALING_TOLERANCE['mae']:.0e})"
)

# %% tags=["remove-cell"]
glue.record(records.DEVICES, len(mesh_devices))
glue.record(records.DP_LOSS_MAX_ABS_DIFF, dp_loss_gap)
glue.record(records.DP_MAE_ABS_DIFF, dp_mae_gap)

# %% [markdown]
# ## Model parallel: the tables split by rows
#
# Data parallelism keeps a whole copy of every table on every device: it helps speed, not
# memory. `ModelParallel` shards variables. The mesh has two axes, `data` (how many
# copies) and `model` (how many pieces per copy); here all the devices go to `model`. A
# `LayoutMap` maps each table's weight path to the layout `("model", None)`: rows split
# over `model`, columns whole. Everything else is replicated.
#
# A table's rows must divide by the `model` axis. MovieLens-1M's 6,040 users do on 4
# devices; its 3,706 movies do not, and JAX refuses:

# %%
mesh = sharding.device_mesh(mesh_devices)
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
# The fix is padding: `recbook.sharding.pad_table` adds rows that no id reads, up to the
# next multiple of the `model` axis. `row_layout_map` then writes the `LayoutMap` from the
# padded layers' own weight paths (tables whose rows still do not divide would be
# replicated, and listed).

# %%
mp_layers = sharding.padded(
    sharding.full_tables(split.num_users, split.num_movies), shards
)
layout_map, replicated = sharding.row_layout_map(mesh, mp_layers)
model_parallel = keras.distribution.ModelParallel(
    layout_map=layout_map, batch_dim_name="data"
)

# %% tags=["nbval-check-output"]
for layer in mp_layers:
    print(f"{layer.name}: {layer.input_dim:,} rows")
print("layouts:", {path: layout_map[path].axes for path in layout_map})
print("replicated tables:", replicated or "none")

# %% [markdown]
# The sharded model is built in the distribution's scope and given the single-device
# run's trained weights, with zero rows appended for the padding. Its shards, read from
# the arrays themselves (`jax.Array.addressable_shards`): each device holds a quarter of
# each table's rows, and Adam's slots follow their variable's layout.

# %%
with model_parallel.scope():
    mp_model = sharding.compile_rating_model(rating_models.rating_model(*mp_layers))
    mp_model.set_weights(sharding.padded_weights(single.get_weights(), mp_model))
    mp_model.optimizer.build(mp_model.trainable_variables)

# %% tags=["nbval-check-output"]
mp_shards = sharding.shard_report(sharding.model_and_slot_variables(mp_model))
SHORT_HEADERS = {"global shape": "shape", "shard shape": "shard"}  # fits the page
print(mp_shards.rename(columns=SHORT_HEADERS).to_string(index=False))

# %% [markdown]
# Same weights, same inputs: the sharded model's predictions should be the unsharded
# model's. Each device looks up the ids whose rows it holds, and the devices add their
# partial results.

# %%
with model_parallel.scope():
    mp_predictions = mp_model.predict(split.inputs("val"), batch_size=4096, verbose=0)
single_predictions = single.predict(split.inputs("val"), batch_size=4096, verbose=0)
mp_prediction_gap = float(np.max(np.abs(mp_predictions - single_predictions)))
print(
    f"{len(mp_predictions):,} validation predictions; "
    f"largest difference {mp_prediction_gap:.2e} "
    f"(tolerance {published.SCALING_TOLERANCE['predictions']:.0e})"
)

# %% [markdown]
# And it trains: from the same starting weights and batches as the single-device run, the
# model-parallel loss curve is that run's too.

# %%
with model_parallel.scope():
    mp_train = sharding.compile_rating_model(
        rating_models.rating_model(
            *sharding.padded(
                sharding.full_tables(split.num_users, split.num_movies), shards
            )
        )
    )
    mp_train.set_weights(sharding.padded_weights(start_weights, mp_train))
    mp_losses, mp_mae = sharding.train_and_score(mp_train, split, epochs, batch_size)
mp_loss_gap = float(np.max(np.abs(np.subtract(mp_losses, single_losses))))
print(f"model parallel: largest loss difference {mp_loss_gap:.2e}")
print(f"validation MAE {mp_mae:.6f} (one device {single_mae:.6f})")

# %% tags=["remove-cell"]
glue.record(records.MP_PREDICTION_MAX_ABS_DIFF, mp_prediction_gap)
glue.record(records.MP_LOSS_MAX_ABS_DIFF, mp_loss_gap)
glue.record(records.MP_MAE_ABS_DIFF, abs(mp_mae - single_mae))
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
# Chapter 4's recipe design, QR users and MD movies, sharded the same way: the QR
# quotient table (51 rows) is padded to the mesh, its remainder table (120 rows) and the
# MD table's flat weight split by rows, the MD projections replicated.

# %%
ml1m = sharding.Catalogue("MovieLens-1M", split.num_users, split.num_movies)
qr_md_layers = sharding.padded(sharding.recipe_tables(ml1m), shards)
qr_md_parallel, qr_md_replicated = sharding.model_parallel(mesh, qr_md_layers)
with qr_md_parallel.scope():
    qr_md_model = sharding.compile_rating_model(
        rating_models.rating_model(*qr_md_layers)
    )
    qr_md_model.optimizer.build(qr_md_model.trainable_variables)

# %% tags=["nbval-check-output"]
qr_md_shards = sharding.shard_report(sharding.model_and_slot_variables(qr_md_model))
print(qr_md_shards.rename(columns=SHORT_HEADERS).to_string(index=False))
print("replicated tables:", qr_md_replicated or "none")

# %% [markdown]
# Bytes per device, measured from the shards of the weights and Adam's slots, beside the
# full tables on one device and on the mesh; and the same figures on paper
# (`per_device_bytes` on the layers' shapes), which they match.

# %%
full_layers_unpadded = sharding.full_tables(split.num_users, split.num_movies)
per_device = pd.DataFrame(
    [
        {
            "model": "full tables, one device",
            "measured": max(
                sharding.bytes_per_device(
                    sharding.model_and_slot_variables(single)
                ).values()
            ),
            "on paper": sharding.per_device_bytes(
                {
                    p: s
                    for layer in full_layers_unpadded
                    for p, s in sharding.weight_shapes(layer).items()
                },
                1,
            ),
        },
        {
            "model": f"full tables, {shards} shard{'s' * (shards > 1)}",
            "measured": max(
                sharding.bytes_per_device(
                    sharding.model_and_slot_variables(mp_model)
                ).values()
            ),
            "on paper": sharding.per_device_bytes(
                {
                    p: s
                    for layer in mp_layers
                    for p, s in sharding.weight_shapes(layer).items()
                },
                shards,
            ),
        },
        {
            "model": f"QR users + MD movies, {shards} shard{'s' * (shards > 1)}",
            "measured": max(
                sharding.bytes_per_device(
                    sharding.model_and_slot_variables(qr_md_model)
                ).values()
            ),
            "on paper": sharding.per_device_bytes(
                {
                    p: s
                    for layer in qr_md_layers
                    for p, s in sharding.weight_shapes(layer).items()
                },
                shards,
            ),
        },
    ]
)
per_device["share of the full tables on one device"] = (
    per_device["measured"] / per_device["measured"].iloc[0]
)
per_device.style.format(
    {
        "measured": "{:,}",
        "on paper": "{:,}",
        "share of the full tables on one device": "{:.3f}",
    }
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
# ## What moves between devices
#
# Splitting the work costs communication. The compiled training step says how much: we
# compile Keras's own `model.train_step` (the step `fit` runs) for one batch with
# `jax.jit(...).lower(...).compile()`, read its optimized HLO (`as_text()`), and list its
# collective operations with the bytes each produces on a device. On this chapter's mesh:

# %%
batch = sharding.sample_batch(split.num_users, split.num_movies, batch_size)
with data_parallel.scope():
    dp_hlo = sharding.train_step_hlo(dp_model, *batch)
with model_parallel.scope():
    mp_hlo = sharding.train_step_hlo(mp_train, *batch)
step_collectives = pd.concat(
    [
        sharding.collectives(dp_hlo).assign(strategy="data parallel"),
        sharding.collectives(mp_hlo).assign(strategy="model parallel"),
    ],
    ignore_index=True,
)
step_collectives[["strategy", "operation", "result", "bytes", "groups"]].style.format(
    {"bytes": "{:,}"}
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

# %% tags=["hide-input"]
plots.bytes_vs_devices(
    scaling,
    title=f"Collective bytes per training step (batch {batch_size}, "
    "MovieLens-1M tables)",
)
plt.show()

# %%
scaling[
    [
        "devices",
        "strategy",
        "all-reduce",
        "all-gather",
        "reduce-scatter",
        "all-to-all",
        "collective-permute",
        "total",
        "ring estimate sent per device",
    ]
]

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
    vocabulary_size=sharding.padded_rows(split.num_movies, shards),
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
print(shards_report.rename(columns=SHORT_HEADERS).to_string(index=False))

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
# - On paper, the production catalogue's full tables need
#   {glue:text}`production_full_with_adam_bytes:,` bytes with Adam's slots: no single
#   device holds that, 64 devices do. Compression (chapter 4) and sharding multiply.
# - Data parallel on {glue:text}`devices` devices reproduces the single-device run: the
#   loss curves differ by at most {glue:text}`dp_loss_max_abs_diff:.1e` and the
#   validation MAE by {glue:text}`dp_mae_abs_diff:.1e`. But every device holds every table.
# - Model parallel splits the tables by rows after padding them to the mesh; its
#   predictions equal the unsharded model's within
#   {glue:text}`mp_prediction_max_abs_diff:.1e`, and the per-device bytes measured from
#   the arrays match the paper figures.
# - Per step, data parallelism all-reduces {glue:text}`dp_collective_bytes_per_step:,`
#   bytes (the tables' gradients), model parallelism
#   {glue:text}`mp_collective_bytes_per_step:,` (the looked-up rows): large tables want
#   model parallelism, and the same code runs on GPUs and TPU slices with another mesh.
