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

The quotient-remainder and mixed-dimension layers and the alpha-power rule are
defined in the memory-efficient-embeddings chapter and exported to
:mod:`recbook.memory_efficient`; they are imported here, beside the rest:

* :class:`HashEmbedding`: the hashing trick, ``m`` rows shared as ``id mod m``.
* :class:`~recbook.memory_efficient.QREmbedding`: quotient-remainder embeddings
  (Shi et al., 2020): rows ``id // m`` of a quotient table and ``id mod m`` of a
  remainder table, combined. Every id in range gets its own pair of rows, hence its
  own vector.
* :class:`~recbook.memory_efficient.MDEmbedding`: mixed-dimension embeddings (Ginart
  et al., 2021): ids ordered by popularity are cut into blocks; block ``i`` stores
  ``d_i``-dim rows and projects them to ``output_dim``.
* :func:`~recbook.memory_efficient.alpha_power_dims`, :func:`block_probabilities` and
  :func:`top_dim_for_budget`: block dimensions by Ginart et al.'s alpha-power rule,
  for a chosen alpha within a parameter budget.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from . import checks
from .memory_efficient import (
    CheckedIds,
    MDEmbedding,
    QREmbedding,  # noqa: F401 (recbook.sharding and chapter 9 import it from here)
    alpha_power_dims,
    check_buckets,
    check_shares,
)


@keras.saving.register_keras_serializable(package="recbook")
class HashEmbedding(CheckedIds, keras.layers.Layer):
    """The hashing trick: ``num_buckets`` rows, id ``i`` reads row ``i mod num_buckets``.

    Ids that share a bucket share a vector: the compressed baseline that a
    quotient-remainder table of the same size must beat.
    """

    def __init__(self, input_dim: int, output_dim: int, num_buckets: int, **kwargs):
        super().__init__(**kwargs)
        check_buckets(input_dim, output_dim, num_buckets)
        self.input_dim, self.output_dim, self.num_buckets = (
            input_dim,
            output_dim,
            num_buckets,
        )
        self.table = keras.layers.Embedding(num_buckets, output_dim, name="buckets")

    @staticmethod
    def count_params_for(input_dim: int, output_dim: int, num_buckets: int) -> int:
        """Trainable parameters: ``num_buckets * output_dim``."""
        check_buckets(input_dim, output_dim, num_buckets)
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


def block_probabilities(
    counts: Sequence[int], block_sizes: Sequence[int]
) -> np.ndarray:
    """Per-row query probability of each block: its share of queries over its rows.

    Args:
        counts: queries per id, ids ordered by popularity (most popular first).
        block_sizes: how many consecutive ids each block holds (summing to ``len(counts)``).
    """
    block_sizes = checks.whole_list("block_sizes", block_sizes, example="[400, 1300]")
    counts = check_shares("counts", counts)
    if sum(block_sizes) != len(counts):
        raise ValueError(
            f"block_sizes sum to {sum(block_sizes)}, but there are {len(counts)} ids."
        )
    bounds = np.cumsum([0, *block_sizes])
    return np.array(
        [counts[a:b].sum() / counts.sum() / (b - a) for a, b in zip(bounds, bounds[1:])]
    )


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
