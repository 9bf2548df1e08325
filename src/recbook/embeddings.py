"""Memory-efficient embedding layers: hashing, quotient-remainder, mixed dimension.

All are backend-agnostic Keras 3 layers taking integer ids in ``[0, input_dim)``
and returning ``(..., output_dim)`` vectors, serializable with ``get_config``.
Their arguments are checked with :mod:`recbook.checks` (whole numbers for sizes,
dimensions, buckets and blocks; at most ``input_dim`` buckets). An id outside
``[0, input_dim)`` is an error when the layer is called on concrete values
(numpy arrays, eager tensors); inside a compiled step (a JAX trace, a
``tf.function``) ids cannot be read, and keeping them in range is the caller's
contract: there an out-of-range id would read a NaN row (QR, MD) or wrap round
(hashing).

* :class:`HashEmbedding`: the hashing trick, ``m`` rows shared as ``id mod m``.
* :class:`QREmbedding`: quotient-remainder embeddings (Shi et al., 2020): rows
  ``id // m`` of a quotient table and ``id mod m`` of a remainder table, combined.
  Every id in range gets its own pair of rows, hence its own vector.
* :class:`MDEmbedding`: mixed-dimension embeddings (Ginart et al., 2021): ids
  ordered by popularity are cut into blocks; block ``i`` stores ``d_i``-dim rows
  and projects them to ``output_dim``.
* :func:`alpha_power_dims` and :func:`top_dim_for_budget`: block dimensions by
  Ginart et al.'s alpha-power rule, for a chosen alpha within a parameter budget.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from . import checks

COMBINERS = ("multiply", "add", "concat")
LOOKUPS = ("gather", "mask")


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        checks.whole(name, value)


def _check_buckets(input_dim: int, output_dim: int, num_buckets: int) -> None:
    _check_positive(input_dim=input_dim, output_dim=output_dim)
    checks.whole(
        "num_buckets", num_buckets, maximum=input_dim, bound="input_dim, the vocabulary"
    )


class _CheckedIds:
    """Refuses concrete ids outside ``[0, input_dim)`` before the layer runs (see the module)."""

    def __call__(self, ids, *args, **kwargs):
        checks.ids(f"{self.name} ids", ids, self.input_dim, "input_dim")
        return super().__call__(ids, *args, **kwargs)


@keras.saving.register_keras_serializable(package="recbook")
class HashEmbedding(_CheckedIds, keras.layers.Layer):
    """The hashing trick: ``num_buckets`` rows, id ``i`` reads row ``i mod num_buckets``.

    Ids that share a bucket share a vector: the compressed baseline that a
    quotient-remainder table of the same size must beat.
    """

    def __init__(self, input_dim: int, output_dim: int, num_buckets: int, **kwargs):
        super().__init__(**kwargs)
        _check_buckets(input_dim, output_dim, num_buckets)
        self.input_dim, self.output_dim, self.num_buckets = (
            input_dim,
            output_dim,
            num_buckets,
        )
        self.table = keras.layers.Embedding(num_buckets, output_dim, name="buckets")

    @staticmethod
    def count_params_for(input_dim: int, output_dim: int, num_buckets: int) -> int:
        """Trainable parameters: ``num_buckets * output_dim``."""
        _check_buckets(input_dim, output_dim, num_buckets)
        return num_buckets * output_dim

    def build(self, input_shape):
        self.table.build(input_shape)
        super().build(input_shape)

    def call(self, ids):
        return self.table(ops.mod(ids, self.num_buckets))

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "num_buckets": self.num_buckets,
        }


@keras.saving.register_keras_serializable(package="recbook")
class QREmbedding(_CheckedIds, keras.layers.Layer):
    """Quotient-remainder embedding.

    Id ``i`` reads row ``i // num_buckets`` of a quotient table with
    ``ceil(input_dim / num_buckets)`` rows and row ``i mod num_buckets`` of a
    remainder table with ``num_buckets`` rows (the keras.io recipe gives both
    tables ``num_buckets`` rows, more than the quotient needs). The two rows are
    combined by element-wise ``multiply`` (the default, usually best in Shi et
    al.), ``add``, or ``concat`` (each table then holds ``output_dim / 2`` columns).
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        num_buckets: int,
        combiner: str = "multiply",
        **kwargs,
    ):
        super().__init__(**kwargs)
        _check_buckets(input_dim, output_dim, num_buckets)
        if combiner not in COMBINERS:
            raise ValueError(
                f"Unknown combiner {combiner!r}; choose one of {COMBINERS}."
            )
        if combiner == "concat" and output_dim % 2:
            raise ValueError(
                f"The concat combiner needs an even output_dim, got {output_dim}."
            )
        self.input_dim, self.output_dim, self.num_buckets = (
            input_dim,
            output_dim,
            num_buckets,
        )
        self.combiner = combiner
        width = output_dim // 2 if combiner == "concat" else output_dim
        self.quotient_rows = math.ceil(input_dim / num_buckets)
        self.quotient = keras.layers.Embedding(
            self.quotient_rows, width, name="quotient"
        )
        self.remainder = keras.layers.Embedding(num_buckets, width, name="remainder")

    @staticmethod
    def count_params_for(
        input_dim: int, output_dim: int, num_buckets: int, combiner: str = "multiply"
    ) -> int:
        """Trainable parameters: ``(ceil(n / m) + m) * width``."""
        _check_buckets(input_dim, output_dim, num_buckets)
        width = output_dim // 2 if combiner == "concat" else output_dim
        return (math.ceil(input_dim / num_buckets) + num_buckets) * width

    def build(self, input_shape):
        self.quotient.build(input_shape)
        self.remainder.build(input_shape)
        super().build(input_shape)

    def call(self, ids):
        q = self.quotient(ops.floor_divide(ids, self.num_buckets))
        r = self.remainder(ops.mod(ids, self.num_buckets))
        if self.combiner == "multiply":
            return q * r
        if self.combiner == "add":
            return q + r
        return ops.concatenate([q, r], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "num_buckets": self.num_buckets,
            "combiner": self.combiner,
        }


@keras.saving.register_keras_serializable(package="recbook")
class MDEmbedding(_CheckedIds, keras.layers.Layer):
    """Mixed-dimension embedding over ids ordered by popularity (0 = most popular).

    Block ``b`` holds the next ``block_sizes[b]`` ids with ``block_dims[b]``-dim
    rows, projected to ``output_dim`` by a ``block_dims[b] x output_dim`` matrix
    (none for a block already at ``output_dim``, as in the recipe).

    All rows are stored in one flat weight, block after block, so that
    ``lookup="gather"`` (the default) reads each id's row from its own block
    only: one gather of ``max(block_dims)`` values at the row's offset, then
    each block's projection applied where the id belongs to it.
    ``lookup="mask"`` computes the keras.io recipe's way on the same weights:
    every id is looked up in every block, projected, and multiplied by a 0/1
    mask of block membership, and the blocks are summed. Both give the same
    output; they differ in the work done per step.
    """

    def __init__(
        self,
        block_sizes: Sequence[int],
        block_dims: Sequence[int],
        output_dim: int,
        lookup: str = "gather",
        **kwargs,
    ):
        super().__init__(**kwargs)
        block_sizes, block_dims = _check_blocks(block_sizes, block_dims, output_dim)
        if lookup not in LOOKUPS:
            raise ValueError(f"Unknown lookup {lookup!r}; choose one of {LOOKUPS}.")
        self.block_sizes, self.block_dims = block_sizes, block_dims
        self.output_dim, self.lookup = output_dim, lookup
        self.input_dim = sum(block_sizes)
        self.starts = np.concatenate([[0], np.cumsum(block_sizes)[:-1]]).astype("int32")
        self.offsets = np.concatenate(
            [[0], np.cumsum(np.multiply(block_sizes, block_dims))[:-1]]
        ).astype("int32")
        self.width = max(block_dims)

    @staticmethod
    def count_params_for(
        block_sizes: Sequence[int], block_dims: Sequence[int], output_dim: int
    ) -> int:
        """Trainable parameters: ``sum(n_b d_b) + sum(d_b * output_dim for d_b != output_dim)``."""
        block_sizes, block_dims = _check_blocks(block_sizes, block_dims, output_dim)
        rows = sum(n * d for n, d in zip(block_sizes, block_dims))
        return rows + sum(d * output_dim for d in block_dims if d != output_dim)

    def build(self, input_shape):
        self.rows = self.add_weight(
            shape=(int(np.dot(self.block_sizes, self.block_dims)),),
            name="rows",
            initializer=keras.initializers.RandomUniform(-0.05, 0.05),
        )
        self.projections = [
            None
            if d == self.output_dim
            else self.add_weight(
                shape=(d, self.output_dim),
                name=f"projection_{b}",
                initializer="glorot_uniform",
            )
            for b, d in enumerate(self.block_dims)
        ]
        super().build(input_shape)

    def block_table(self, block: int):
        """Block ``block``'s ``(block_sizes[block], block_dims[block])`` table."""
        n, d = self.block_sizes[block], self.block_dims[block]
        start = int(self.offsets[block])
        return ops.reshape(self.rows[start : start + n * d], (n, d))

    def _project(self, block: int, vectors):
        projection = self.projections[block]
        return vectors if projection is None else ops.matmul(vectors, projection)

    def call(self, ids):
        ids = ops.cast(ids, "int32")
        block = ops.reshape(  # searchsorted takes 1-D values on every backend
            ops.searchsorted(
                ops.convert_to_tensor(self.starts[1:]),
                ops.reshape(ids, (-1,)),
                side="right",
            ),
            ops.shape(ids),
        )
        if self.lookup == "mask":
            return self._call_mask(ids, block)
        local = ids - ops.take(ops.convert_to_tensor(self.starts), block)
        dims = ops.take(
            ops.convert_to_tensor(np.array(self.block_dims, "int32")), block
        )
        first = ops.take(ops.convert_to_tensor(self.offsets), block) + local * dims
        column = ops.arange(self.width, dtype="int32")
        inside = ops.expand_dims(column, 0) < ops.expand_dims(dims, -1)
        index = ops.where(inside, ops.expand_dims(first, -1) + column, 0)
        padded = ops.where(inside, ops.take(self.rows, index), 0.0)
        output = ops.zeros((*ops.shape(ids), self.output_dim), dtype=padded.dtype)
        for b, d in enumerate(self.block_dims):
            here = ops.expand_dims(block == b, -1)
            output = ops.where(here, self._project(b, padded[..., :d]), output)
        return output

    def _call_mask(self, ids, block):
        output = 0.0
        for b, n in enumerate(self.block_sizes):
            local = ops.clip(ids - int(self.starts[b]), 0, n - 1)
            vectors = self._project(b, ops.take(self.block_table(b), local, axis=0))
            mask = ops.cast(ops.expand_dims(block == b, -1), vectors.dtype)
            output = output + vectors * mask
        return output

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "block_sizes": self.block_sizes,
            "block_dims": self.block_dims,
            "output_dim": self.output_dim,
            "lookup": self.lookup,
        }


def _check_blocks(
    block_sizes: Sequence[int], block_dims: Sequence[int], output_dim: int
) -> tuple[list[int], list[int]]:
    """Block sizes and dimensions as lists of whole numbers of the same, non-zero, length."""
    block_sizes = checks.whole_list("block_sizes", block_sizes, example="[400, 1300]")
    block_dims = checks.whole_list("block_dims", block_dims, example="[64, 32]")
    if len(block_sizes) != len(block_dims):
        raise ValueError(
            "block_sizes and block_dims need the same, non-zero, length; "
            f"got {len(block_sizes)} and {len(block_dims)}."
        )
    _check_positive(output_dim=output_dim)
    return block_sizes, block_dims


def _check_shares(name: str, values: Sequence[float]) -> np.ndarray:
    """Finite, non-negative numbers, the first (the most popular) greater than 0."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be a list of numbers; got {values!r}.")
    array = np.asarray(values, dtype="float64")
    if array.ndim != 1 or not len(array):
        raise ValueError(f"{name} must be a non-empty list of numbers; got {values!r}.")
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name} must be finite and at least 0; {name}[{i}] is {array[i]}."
        )
    if array[0] <= 0:
        raise ValueError(
            f"{name}[0], the most popular block's, must be greater than 0; got "
            f"{array[0]} (the rule divides by it)."
        )
    return array


def block_probabilities(
    counts: Sequence[int], block_sizes: Sequence[int]
) -> np.ndarray:
    """Per-row query probability of each block: its share of queries over its rows.

    Args:
        counts: queries per id, ids ordered by popularity (most popular first).
        block_sizes: how many consecutive ids each block holds (summing to ``len(counts)``).
    """
    block_sizes = checks.whole_list("block_sizes", block_sizes, example="[400, 1300]")
    counts = _check_shares("counts", counts)
    if sum(block_sizes) != len(counts):
        raise ValueError(
            f"block_sizes sum to {sum(block_sizes)}, but there are {len(counts)} ids."
        )
    bounds = np.cumsum([0, *block_sizes])
    return np.array(
        [counts[a:b].sum() / counts.sum() / (b - a) for a, b in zip(bounds, bounds[1:])]
    )


def alpha_power_dims(
    probabilities: Sequence[float], base_dim: int, alpha: float, min_dim: int = 1
) -> list[int]:
    """Block dimensions by the alpha-power rule: ``d_i = round(d_0 (p_i / p_1)^alpha)``.

    ``p_1`` is the most popular block's per-row probability, so the first block
    keeps ``base_dim``; ``alpha = 0`` gives every block ``base_dim``, larger alpha
    shrinks the rarer blocks faster. Dimensions are floored at ``min_dim``.
    """
    checks.real("alpha", alpha, minimum=0, maximum=1)
    base_dim = checks.whole("base_dim", base_dim)
    min_dim = checks.whole("min_dim", min_dim, maximum=base_dim, bound="base_dim")
    p = _check_shares("probabilities", probabilities)
    dims = np.rint(base_dim * (p / p[0]) ** alpha).astype(int)
    return [int(d) for d in np.clip(dims, min_dim, base_dim)]


def top_dim_for_budget(
    probabilities: Sequence[float],
    block_sizes: Sequence[int],
    output_dim: int,
    alpha: float,
    budget: int,
    min_dim: int = 1,
    max_dim: int | None = None,
) -> int:
    """The largest top-block dimension ``d_0 <= max_dim`` whose MD table fits ``budget``.

    The paper's rule is ``d_i = lambda * p_i^alpha`` with ``lambda`` set by the
    memory budget; fixing ``d_0`` fixes ``lambda``. Parameters count every
    block's rows and the projections to ``output_dim``. ``max_dim`` defaults to
    ``output_dim``; a larger one lets a steep rule (large alpha) spend the whole
    budget, its top block then projecting down.

    Raises:
        TypeError, ValueError: an argument is out of range (whole numbers of at
            least 1; ``max_dim`` at least ``min_dim``).
        ValueError: even ``d_0 = min_dim`` does not fit.
    """
    checks.whole("output_dim", output_dim)
    checks.whole("budget", budget)
    checks.whole("min_dim", min_dim)
    if max_dim is not None:
        checks.whole("max_dim", max_dim, minimum=min_dim, bound="min_dim")
    checks.real("alpha", alpha, minimum=0, maximum=1)

    def size(top: int) -> int:
        dims = alpha_power_dims(probabilities, top, alpha, min_dim)
        return MDEmbedding.count_params_for(block_sizes, dims, output_dim)

    largest = output_dim if max_dim is None else max_dim
    fitting = [top for top in range(min_dim, largest + 1) if size(top) <= budget]
    if not fitting:
        raise ValueError(
            f"No MD table at alpha {alpha} fits {budget:,} parameters; "
            f"the smallest needs {size(min_dim):,}."
        )
    return fitting[-1]
