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
#       scaling_counts:
#       - 1
#       - 2
# ---

# %% [markdown]
# # Memory and communication: what each device holds and sends
#
# Chapters 8 and 9 showed that data and model parallelism train the model one device
# trains. This chapter asks what each costs. How much memory do the tables of a large
# catalogue need on each device? And how many bytes must the devices exchange at every
# training step?
#
# Both answers come from counting, not from timing: the weights' shapes on paper, and the
# collective operations of the compiled training step. So they hold on real accelerators
# even though this machine only simulates its devices. The last section shows the same
# code on several hosts and on TPUs.

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
# starts: `device_count`, the devices of the mesh. The rest: the batch of the training
# step, the compression ratio of the QR tables, the device counts of the memory table,
# the memory classes of today's accelerators in GB, and the mesh sizes of the
# communication study.

# %% tags=["parameters"]
device_count = 4
batch_size = 128
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

# %% [markdown]
# The distribution code is chapter 8's and chapter 9's, imported from the book's package:

# %%
from recbook import glue, plots, published, records, sharding, tables
from recbook.data_parallelism import choose_devices, data_parallel, full_tables
from recbook.model_parallelism import (
    device_mesh,
    model_parallel,
    padded,
    padded_rows,
    weight_shapes,
)

import keras
import matplotlib.pyplot as plt
import pandas as pd

plots.setup()
mesh_devices = choose_devices(device_count)
print(device_setup.summary(mesh_devices, in_time))

# %% [markdown]
# ## Memory on paper
#
# How much memory do the tables need, and how much of it lands on one device when each
# table is split by rows? The tables below build the real layers of chapter 6 for four
# catalogues and read their weights' shapes with chapter 9's `weight_shapes`, which
# creates no arrays, so a 100-million-row table costs nothing here.
#
# The catalogues:
#
# - MovieLens-100K, -1M and -32M, with the users and movies GroupLens publishes in each
#   release's README ([Harper and Konstan, 2015](https://doi.org/10.1145/2827872);
#   `recbook.published.MOVIELENS_COUNTS`; for ML-1M the 3,706 movies that have ratings);
# - a production-sized catalogue that we state, not measure: 100 million users and 10
#   million items.
#
# The designs: full tables (chapter 6's baseline), the recipe's QR users + MD movies (its
# blocks scaled to each catalogue), and QR tables for both at chapter 6's 10x ratio.
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
    "full tables": lambda c, dim: full_tables(c.num_users, c.num_movies, dim),
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
# The recipe design's MovieLens-1M row is chapter 6's 113,312 parameters.

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
# ## What moves between devices
#
# Splitting the work costs communication. The compiled training step says how much. We
# build chapter 8's data-parallel model and chapter 9's model-parallel one on
# MovieLens-1M's tables and fit each on one batch, which creates the optimizer's
# variables. `sharding.step_hlo` then compiles Keras's own `model.train_step` (the step
# `fit` runs) for that batch with `jax.jit(...).lower(...).compile()` and returns its
# optimized HLO (`as_text()`), whose collective operations we list with the bytes each
# produces on a device. On this chapter's mesh:

# %%
ml1m = next(c for c in catalogues if c.name == "MovieLens-1M")
mesh = device_mesh(mesh_devices)
shards = mesh.shape[1]
batch = sharding.sample_batch(ml1m.num_users, ml1m.num_movies, batch_size)
dp_hlo = sharding.step_hlo(
    data_parallel(mesh_devices),
    full_tables(ml1m.num_users, ml1m.num_movies),
    batch,
)
mp_layers = padded(full_tables(ml1m.num_users, ml1m.num_movies), shards)
mp_hlo = sharding.step_hlo(model_parallel(mesh, mp_layers)[0], mp_layers, batch)
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
glue.record(records.DEVICES, len(mesh_devices))
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
    scaling_counts, ml1m.num_users, ml1m.num_movies, batch_size
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
    vocabulary_size=padded_rows(ml1m.num_movies, shards),
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
# - Split by rows, two 80 GB accelerators hold them.
# - Per step, model parallelism moves far fewer bytes between devices than data
#   parallelism: large tables want it.
