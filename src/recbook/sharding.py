"""Embedding tables on a device mesh with ``keras.distribution`` (JAX backend).

The chapters *Data parallel* and *Model parallel* define the distribution code they
teach and export it to :mod:`recbook.data_parallelism` (``choose_devices``, the
rating model's named tables ``full_tables``, ``train_and_score``,
``data_parallel``) and :mod:`recbook.model_parallelism` (``device_mesh``,
``model_parallel``, padding a table to the mesh with ``pad_table``, the row
``LayoutMap`` of ``row_layout_map`` and a layer's weight shapes built without memory,
``weight_shapes``). Here, the pieces around it; each works on any number of
devices, one included, and only with ``keras.distribution`` APIs that Keras
3.13 has too (``DeviceMesh``, ``LayoutMap``, ``DataParallel``,
``ModelParallel(layout_map=..., batch_dim_name=...)``, ``list_devices``).

* The compressed tables, named as ``full_tables`` names its own so that layouts find
  them: :func:`recipe_tables`, :func:`qr_tables`; :func:`padded_weights` fits a
  model's weights to its padded tables.
* Memory on paper: :func:`memory_table` turns the layers' weight shapes into bytes,
  with Adam's two slots, per device.
* Memory measured: :func:`shard_shapes`, :func:`bytes_per_device`;
  :func:`per_device_comparison` sets them beside the figures on paper.
* Communication: :func:`train_step_hlo` compiles the training step that
  ``model.fit`` runs and returns its optimized HLO; :func:`collectives` lists
  its collective operations and the bytes each produces;
  :func:`collectives_by_device_count` measures them for several mesh sizes in
  a child process with simulated CPU devices.

Run as ``python -m recbook.sharding --counts 1,2,4,8`` (in a process whose
``XLA_FLAGS`` give it enough CPU devices), it prints that scaling table as JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd

from . import checks, rating_models, training
from .data_parallelism import (
    MOVIE_TABLE,
    USER_TABLE,
    check_devices,
    compile_rating_model,
    data_parallel,
    full_tables,
)
from .devices import with_host_device_count
from .embeddings import QREmbedding
from .model_parallelism import (
    MODEL_AXIS,
    device_mesh,
    is_table_weight,
    model_parallel,
    padded,
    weight_shapes,
)

DTYPE_BYTES = {
    "f64": 8,
    "s64": 8,
    "u64": 8,
    "f32": 4,
    "s32": 4,
    "u32": 4,
    "bf16": 2,
    "f16": 2,
    "s16": 2,
    "u16": 2,
    "s8": 1,
    "u8": 1,
    "pred": 1,
}
"""Bytes per element of the HLO element types a training step uses."""
FLOAT32_BYTES = 4
ADAM_SLOTS = 2
"""Adam keeps two values per parameter (first and second moment)."""
COLLECTIVES = (
    "all-reduce",
    "all-gather",
    "reduce-scatter",
    "all-to-all",
    "collective-permute",
)


# --- the rating model's tables, named so that layouts can find them -------------------


@dataclass(frozen=True)
class Catalogue:
    """A catalogue's size: enough for :func:`recbook.rating_models.recipe_layers`.

    No ratings are needed.
    """

    name: str
    num_users: int
    num_movies: int

    def __post_init__(self) -> None:
        checks.whole("num_users", self.num_users)
        checks.whole("num_movies", self.num_movies)


def renamed(layer: keras.layers.Layer, name: str) -> keras.layers.Layer:
    """A copy of an unbuilt layer under another name."""
    return type(layer).from_config({**layer.get_config(), "name": name})


def recipe_tables(
    catalogue: Catalogue, dim: int = 64
) -> tuple[keras.layers.Layer, keras.layers.Layer]:
    """Chapter 6's QR users + MD movies (:func:`recbook.rating_models.recipe_layers`), named."""
    user, movie = rating_models.recipe_layers(catalogue, dim)
    return renamed(user, USER_TABLE), renamed(movie, MOVIE_TABLE)


def qr_tables(
    catalogue: Catalogue, ratio: float, dim: int = 64
) -> tuple[keras.layers.Layer, keras.layers.Layer]:
    """QR user and movie tables at about ``1 / ratio`` the size, named.

    As chapter 6's ``qr`` sweep builds them.
    """
    checks.real("ratio", ratio, minimum=1)
    checks.whole("dim", dim)
    return tuple(
        QREmbedding(
            n, dim, num_buckets=rating_models.qr_buckets_for(n, n / ratio), name=name
        )
        for n, name in (
            (catalogue.num_users, USER_TABLE),
            (catalogue.num_movies, MOVIE_TABLE),
        )
    )


def padded_weights(
    weights: Sequence[np.ndarray], model: keras.Model
) -> list[np.ndarray]:
    """``weights`` of a model with unpadded tables, zero rows appended to fit ``model``'s
    padded tables.

    The padding rows are read by no id, so ``model`` then computes what the
    unpadded model computed.
    """
    out = []
    for weight, variable in zip(weights, model.weights, strict=True):
        target = tuple(variable.shape)
        if weight.shape[1:] != target[1:] or weight.shape[0] > target[0]:
            raise ValueError(
                f"A {weight.shape} weight does not pad to {variable.path}'s {target}."
            )
        padding = np.zeros(
            (target[0] - weight.shape[0], *weight.shape[1:]), weight.dtype
        )
        out.append(np.concatenate([weight, padding]))
    return out


# --- memory ---------------------------------------------------------------------------


def per_device_bytes(
    shapes: Mapping[str, tuple[int, ...]],
    devices: int,
    slots: int = ADAM_SLOTS,
    dtype_bytes: int = FLOAT32_BYTES,
) -> int:
    """Bytes one device holds when the table weights are split by rows over ``devices`` (padded).

    Each table weight keeps ``ceil(rows / devices)`` of its rows on every device
    (its padded share); other weights are replicated. Each value is counted
    ``1 + slots`` times: the weight and the optimizer's slots.

    Raises:
        TypeError, ValueError: ``devices`` or ``dtype_bytes`` is not a whole
            number of at least 1, or ``slots`` one of at least 0.
    """
    devices = checks.whole("devices", devices)
    slots = checks.whole("slots", slots, minimum=0)
    dtype_bytes = checks.whole("dtype_bytes", dtype_bytes)
    values = 0
    for path, shape in shapes.items():
        rows = -(-shape[0] // devices) if is_table_weight(path) else shape[0]
        values += rows * math.prod(shape[1:])
    return values * dtype_bytes * (1 + slots)


def memory_table(
    catalogues: Sequence[Catalogue],
    designs: Mapping[str, object],
    device_counts: Sequence[int] = (1, 4, 8, 64),
    dim: int = 64,
) -> pd.DataFrame:
    """Parameters and float32 bytes of each design's two tables for each catalogue, on paper.

    Args:
        designs: name -> ``function(catalogue, dim) -> (user layer, movie layer)``.
        device_counts: devices the tables are split over by rows; one column each
            (weights and Adam's two slots per device).

    Every number comes from the layers' own weights, built without memory by
    :func:`~recbook.model_parallelism.weight_shapes`.
    """
    device_counts = checks.whole_list("device_counts", device_counts, example="[1, 8]")
    checks.whole("dim", dim)
    rows = []
    for catalogue in catalogues:
        for design, build in designs.items():
            shapes = {}
            for layer in build(catalogue, dim):
                shapes |= weight_shapes(layer)
            params = sum(math.prod(s) for s in shapes.values())
            row = {
                "catalogue": catalogue.name,
                "users": catalogue.num_users,
                "movies": catalogue.num_movies,
                "design": design,
                "parameters": params,
                "weights (bytes)": params * FLOAT32_BYTES,
                "with Adam (bytes)": per_device_bytes(shapes, 1),
            }
            row |= {
                f"per device on {d} (bytes)": per_device_bytes(shapes, d)
                for d in device_counts
            }
            rows.append(row)
    return pd.DataFrame(rows)


def human_bytes(value: float) -> str:
    """Decimal units, as memory sizes of accelerators are quoted: ``25.6 GB``."""
    value = checks.real("value", value, minimum=0)
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value:.0f} B"


def megabytes(value: float) -> str:
    """Bytes as decimal megabytes with three decimals, for a table: ``2_496_000`` ->
    ``"2.496"`` (the column header says MB)."""
    value = checks.real("value", value, minimum=0)
    return f"{value / 1e6:,.3f}"


def fewest_devices(
    shapes: Mapping[str, tuple[int, ...]],
    capacity_bytes: float,
    slots: int = ADAM_SLOTS,
    most: int = 4096,
) -> int | None:
    """The fewest devices whose row shards of ``shapes`` (:func:`per_device_bytes`, with
    ``slots`` optimizer slots) fit ``capacity_bytes`` each; ``None`` if ``most`` do not.
    """
    capacity_bytes = checks.real("capacity_bytes", capacity_bytes, above=0)
    checks.whole("most", most)
    for devices in range(1, most + 1):
        if per_device_bytes(shapes, devices, slots) <= capacity_bytes:
            return devices
    return None


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def difference_words(gap: float) -> str:
    """A difference for prose: ``"none"`` for 0, ``"0.694"`` from 0.01, else
    ``"2.4 × 10⁻⁷"`` (never ``2.4e-07``)."""
    gap = checks.real("gap", gap, minimum=0)
    if gap == 0:
        return "none"
    if gap >= 0.01:
        return f"{gap:.3g}"
    mantissa, exponent = f"{gap:.1e}".split("e")
    if int(exponent) == 0:
        return mantissa
    return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def agreement(gaps: Mapping[str, float]) -> str:
    """Largest differences from the single-device run, in words.

    >>> agreement({"training losses": 2.4e-7, "validation MAEs": 0.0})
    'the training losses differ by at most 2.4 × 10⁻⁷, the validation MAEs not at all'
    """
    parts = []
    for number, (what, gap) in enumerate(gaps.items()):
        if checks.real("gap", gap, minimum=0) == 0:
            parts.append(
                f"the {what} {'do not differ at all' if not number else 'not at all'}"
            )
        else:
            verb = "differ by at most" if not number else "by at most"
            parts.append(f"the {what} {verb} {difference_words(gap)}")
    return ", ".join(parts)


def shape_text(shape) -> str:
    """A shape for a table cell: ``(6040, 64)`` -> ``"6,040 × 64"``; a list of shapes
    (shards of different sizes) joined by ``"; "``; a scalar's ``()`` -> ``"scalar"``."""
    if isinstance(shape, list):
        return "; ".join(shape_text(part) for part in shape)
    return " × ".join(f"{int(d):,}" for d in shape) or "scalar"


def readable_shards(report: pd.DataFrame) -> pd.DataFrame:
    """A :func:`shard_report` for the page: shapes as ``6,040 × 64``, the partition in
    words (``rows split`` or ``replicated``), the device count left out (the caption
    says it)."""

    def layout(partition: str) -> str:
        if partition.startswith(f"('{MODEL_AXIS}'"):
            return "rows split"
        return "single device" if partition == "single device" else "replicated"

    return pd.DataFrame(
        {
            "variable": report["variable"],
            "shape": report["global shape"].map(shape_text),
            "per device": report["shard shape"].map(shape_text),
            "layout": report["partition"].map(layout),
        }
    )


def arrays_text(result: str) -> str:
    """The arrays of an HLO result shape, for the page: ``"(f32[], f32[6040,64]{1,0})"``
    -> ``"6,040 × 64 + 1 scalar"`` (float32 unless another type is named)."""
    arrays = [
        (m["dtype"], tuple(int(d) for d in m["dims"].split(",") if d))
        for m in _ARRAY.finditer(result)
    ]
    parts = [
        shape_text(dims) + ("" if dtype == "f32" else f" ({dtype})")
        for dtype, dims in arrays
        if dims
    ]
    scalars = sum(1 for _, dims in arrays if not dims)
    if scalars:
        parts.append(f"{scalars} scalar{'s' * (scalars > 1)}")
    return " + ".join(parts)


def shard_shapes(value) -> list[tuple[int, ...]]:
    """Shapes of the pieces of a JAX array (or a Keras variable's value) on this process's
    devices."""
    value = getattr(value, "value", value)
    return [tuple(shard.data.shape) for shard in value.addressable_shards]


def shard_report(variables: Iterable) -> pd.DataFrame:
    """Each variable's global shape, partition spec and per-device shard shapes.

    Read from the variable's array, not computed from its layout.
    """
    rows = []
    for variable in variables:
        array = variable.value
        spec = getattr(array.sharding, "spec", None)
        shapes = shard_shapes(array)
        rows.append(
            {
                "variable": variable.path,
                "global shape": tuple(array.shape),
                "partition": str(tuple(spec)) if spec is not None else "single device",
                "devices": len(shapes),
                "shard shape": shapes[0] if len(set(shapes)) == 1 else shapes,
            }
        )
    return pd.DataFrame(rows)


def bytes_per_device(variables: Iterable) -> dict[str, int]:
    """Bytes each device holds of the given variables, measured from their arrays' shards."""
    held: dict[str, int] = {}
    for variable in variables:
        for shard in getattr(variable, "value", variable).addressable_shards:
            key = f"{shard.device.platform}:{shard.device.id}"
            held[key] = held.get(key, 0) + shard.data.nbytes
    return held


def model_and_slot_variables(model: keras.Model) -> list:
    """The model's weights and its optimizer's per-weight slots.

    Scalars such as the step count are left out.
    """
    return [*model.weights, *(v for v in model.optimizer.variables if len(v.shape) > 0)]


def per_device_comparison(
    models: Mapping[str, tuple[keras.Model, Iterable[keras.layers.Layer], int]],
) -> pd.DataFrame:
    """Bytes of each model's weights and optimizer slots on one device, measured and on
    paper.

    Args:
        models: name -> ``(model, layers, shards)``: a compiled model whose optimizer
            is built, the table layers it was built from, and how many devices its
            tables are split over by rows (1 for a model on one device).

    Returns:
        One row per model, in order: ``model`` (the name), ``measured`` (the most bytes
        a device holds, read from the arrays' shards by :func:`bytes_per_device`) and
        ``on paper`` (:func:`per_device_bytes` of the layers' weight shapes).

    Raises:
        ValueError: ``models`` is empty, or an entry is not a ``(model, layers,
            shards)`` triple.
        TypeError, ValueError: a ``shards`` is not a whole number of at least 1.
    """
    if not models:
        raise ValueError("models must name at least one model; got an empty mapping.")
    rows = []
    for name, entry in models.items():
        if not isinstance(entry, tuple) or len(entry) != 3:
            raise ValueError(
                f"models[{name!r}] must be a (model, layers, shards) triple; "
                f"got {entry!r}."
            )
        model, layers, shards = entry
        shards = checks.whole(f"models[{name!r}]'s shards", shards)
        measured = max(bytes_per_device(model_and_slot_variables(model)).values())
        shapes = {p: s for layer in layers for p, s in weight_shapes(layer).items()}
        rows.append(
            {
                "model": name,
                "measured": measured,
                "on paper": per_device_bytes(shapes, shards),
            }
        )
    return pd.DataFrame(rows)


# --- communication --------------------------------------------------------------------


def train_step_hlo(
    model: keras.Model, inputs: Mapping[str, np.ndarray], targets: np.ndarray
) -> str:
    """The optimized HLO of the training step ``model.fit`` runs, for one batch, as compiled here.

    ``model`` must be compiled and fitted on at least one batch (so that its
    optimizer and metric variables exist). The step is Keras's own
    ``model.train_step(state, data)``, jitted as the JAX trainer jits it (the
    updated state keeps the variables' shardings), its batch laid out by the
    current distribution.
    """
    import jax

    state = training.jax_state(model)
    distribution = keras.distribution.distribution()

    def place(array: np.ndarray):
        if distribution is None:
            return jax.numpy.asarray(array)
        return jax.device_put(
            array, distribution.get_data_layout(array.shape).backend_layout
        )

    data = ({k: place(v) for k, v in inputs.items()}, place(targets))
    state_shardings = jax.tree.map(lambda a: a.sharding, state)
    step = jax.jit(model.train_step, out_shardings=(None, state_shardings))
    return step.lower(state, data).compile().as_text()


_INSTRUCTION = re.compile(
    r"^\s*(?:ROOT\s+)?%?(?P<name>[\w.\-]+)\s*=\s*(?P<shape>.*?)\s+"
    r"(?P<op>" + "|".join(COLLECTIVES) + r")(?P<start>-start)?\("
)
_ARRAY = re.compile(r"\b(?P<dtype>[a-z]+\d*)\[(?P<dims>[\d,]*)\]")


def _array_bytes(shape: str) -> list[int]:
    return [
        math.prod(int(d) for d in m["dims"].split(",") if d)
        * DTYPE_BYTES.get(m["dtype"], 4)
        for m in _ARRAY.finditer(shape)
    ]


def collectives(hlo: str) -> pd.DataFrame:
    """The collective operations of an HLO module and the bytes each produces on one device.

    ``bytes`` is the size of the operation's result on each device: for an
    all-reduce the array reduced (a ring all-reduce sends about
    ``2 (n - 1) / n`` times that per device), for an all-gather the gathered
    array, for a reduce-scatter the shard. An asynchronous ``*-start`` counts
    its result alone (the last array of its tuple); ``*-done`` is not counted.
    Every instruction is counted once: the training step has no loops.
    """
    rows = []
    for line in hlo.splitlines():
        match = _INSTRUCTION.match(line)
        if not match:
            continue
        sizes = _array_bytes(match["shape"])
        size = sizes[-1] if match["start"] else sum(sizes)
        group = re.search(
            r"replica_groups=(.*?), "
            r"(?:use_global_device_ids|to_apply|channel_id|dimensions|metadata)",
            line,
        )
        rows.append(
            {
                "operation": match["op"],
                "instruction": match["name"],
                "result": match["shape"],
                "bytes": size,
                "groups": group[1] if group else "",
            }
        )
    return pd.DataFrame(
        rows, columns=["operation", "instruction", "result", "bytes", "groups"]
    )


def collective_bytes(hlo: str) -> dict[str, int]:
    """Bytes per step by collective kind (every kind of :data:`COLLECTIVES`, zero when absent)."""
    table = collectives(hlo)
    return {
        op: int(table.loc[table["operation"] == op, "bytes"].sum())
        for op in COLLECTIVES
    }


def sample_batch(
    num_users: int, num_movies: int, batch_size: int, seed: int = 0
) -> tuple[dict, np.ndarray]:
    """A batch of random ids and ratings.

    The step's communication does not depend on the values.
    """
    rng = np.random.default_rng(seed)
    inputs = {
        "user": rng.integers(0, num_users, batch_size).astype("int32"),
        "movie": rng.integers(0, num_movies, batch_size).astype("int32"),
    }
    return inputs, rng.integers(1, 6, batch_size).astype("float32")


def step_collectives(
    strategy: str,
    devices: Sequence[str],
    num_users: int,
    num_movies: int,
    batch_size: int = 128,
    dim: int = 64,
) -> dict[str, int]:
    """Collective bytes per training step of chapter 6's full-table model under one strategy.

    ``strategy`` is ``"data"`` (:func:`~recbook.data_parallelism.data_parallel`) or
    ``"model"`` (:func:`~recbook.model_parallelism.model_parallel` on a
    ``(1, len(devices))`` mesh, tables padded).

    Raises:
        ValueError: ``batch_size`` does not split evenly over the devices (JAX
            would raise ``IndivisibleError`` while compiling), or another size
            is out of range.
    """
    check_devices(devices)
    checks.whole("batch_size", batch_size)
    if strategy == "data" and batch_size % len(devices):
        raise ValueError(
            f"Batches of {batch_size} over {len(devices)} devices need a batch size "
            f"divisible by {len(devices)}."
        )
    layers = full_tables(num_users, num_movies, dim)
    if strategy == "data":
        distribution = data_parallel(devices)
    elif strategy == "model":
        layers = padded(layers, len(devices))
        distribution, _ = model_parallel(device_mesh(devices), layers)
    else:
        raise ValueError(f"Unknown strategy {strategy!r}; choose 'data' or 'model'.")
    batch = sample_batch(num_users, num_movies, batch_size)
    return collective_bytes(step_hlo(distribution, layers, batch))


def step_hlo(
    distribution: keras.distribution.Distribution,
    layers: Sequence[keras.layers.Layer],
    batch: tuple[Mapping[str, np.ndarray], np.ndarray],
) -> str:
    """The optimized HLO of the training step of the rating model on ``layers``.

    The model is built in ``distribution``'s scope and fitted on ``batch`` (which
    creates its optimizer's variables; Keras 3.13's ``train_on_batch`` fails
    distributed), then its step is compiled for that batch (:func:`train_step_hlo`).
    """
    inputs, targets = batch
    with distribution.scope():
        model = compile_rating_model(rating_models.rating_model(*layers))
        model.fit(inputs, targets, batch_size=len(targets), verbose=0)
        return train_step_hlo(model, inputs, targets)


def scaling_table(
    counts: Sequence[int],
    num_users: int,
    num_movies: int,
    batch_size: int = 128,
    dim: int = 64,
) -> pd.DataFrame:
    """:func:`step_collectives` for data and model parallelism on the first ``n`` devices,
    for each ``n``."""
    counts = checks.whole_list("counts", counts, example="[1, 2, 4, 8]")
    devices = keras.distribution.list_devices("cpu")
    rows = []
    for n in counts:
        if n > len(devices):
            raise ValueError(f"{n} devices asked for, {len(devices)} exist.")
        for strategy in ("data", "model"):
            moved = step_collectives(
                strategy, devices[:n], num_users, num_movies, batch_size, dim
            )
            rows.append(
                {
                    "devices": n,
                    "strategy": f"{strategy} parallel",
                    **moved,
                    "total": sum(moved.values()),
                }
            )
    return pd.DataFrame(rows)


def collectives_by_device_count(
    counts: Sequence[int],
    num_users: int,
    num_movies: int,
    batch_size: int = 128,
    dim: int = 64,
    timeout: float = 600,
) -> pd.DataFrame:
    """:func:`scaling_table` measured in a child process with ``max(counts)`` simulated CPU devices.

    One process has one device count, fixed when JAX starts; the child starts
    JAX with enough CPU devices and compiles each mesh on a sub-set of them
    (the compiled step of an ``n``-device mesh does not depend on how many
    other devices the process has). The child runs on the CPU platform even
    where accelerators exist, so its HLO is the CPU compiler's.

    Raises:
        TypeError, ValueError: a count, size or dimension is not a whole number
            of at least 1, or ``batch_size`` does not split over every count of
            devices (checked here, before the child process starts).
    """
    counts = checks.whole_list("counts", counts, example="[1, 2, 4, 8]")
    checks.whole("num_users", num_users)
    checks.whole("num_movies", num_movies)
    checks.whole("batch_size", batch_size)
    checks.whole("dim", dim)
    uneven = [n for n in counts if batch_size % n]
    if uneven:
        raise ValueError(
            f"Batches of {batch_size} do not split over {uneven[0]} devices: choose a "
            f"batch size divisible by every device count in {counts}."
        )
    env = {
        **os.environ,
        "XLA_FLAGS": with_host_device_count(
            os.environ.get("XLA_FLAGS", ""), max(counts)
        ),
        "JAX_PLATFORMS": "cpu",
        "KERAS_BACKEND": "jax",
    }
    command = [
        sys.executable,
        "-m",
        "recbook.sharding",
        "--counts",
        ",".join(map(str, counts)),
        "--users",
        str(num_users),
        "--movies",
        str(num_movies),
        "--batch-size",
        str(batch_size),
        "--dim",
        str(dim),
    ]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode:
        raise RuntimeError(f"The scaling child process failed:\n{done.stderr[-3000:]}")
    return pd.DataFrame(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    """Child-process entry: print :func:`scaling_table` as JSON records on the last line."""
    parser = argparse.ArgumentParser(prog="python -m recbook.sharding")
    parser.add_argument(
        "--counts", required=True, help="device counts, comma separated, e.g. 1,2,4,8"
    )
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--movies", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--dim", type=int, default=64)
    args = parser.parse_args(argv)
    table = scaling_table(
        [int(c) for c in args.counts.split(",")],
        args.users,
        args.movies,
        args.batch_size,
        args.dim,
    )
    print(json.dumps(table.to_dict(orient="records")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
