"""The memory-efficient-embeddings recipe's data, its tables and its sweeps.

The model is the keras.io recipe's: a user and a movie embedding, their dot
product, ``sigmoid(dot) * 5``, trained with Adam(0.001) on MSE at batch 128.
Any embedding layer of :mod:`recbook.embeddings` (or Keras's own) fits in. The
model, its compilation and its training run (:func:`~recbook.memory_efficient.fit`)
are defined in the memory-efficient-embeddings chapter and exported to
:mod:`recbook.memory_efficient`; here the split, the tables of each method, and
:func:`fit_seeds`, which runs ``fit`` once per seed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import keras
import numpy as np
import pandas as pd

from . import checks, training
from .embeddings import HashEmbedding, block_probabilities, top_dim_for_budget
from .memory_efficient import (
    EPOCHS,  # noqa: F401 (recbook.backend_timing reads it here)
    MDEmbedding,
    QREmbedding,
    alpha_power_dims,
    compile_for_training,  # noqa: F401 (the benchmark reads it here)
    fit,
    rating_model,
)

METHODS = ("full", "hashing", "qr", "md", "qr+md")
"""Compression methods of the parameters-vs-error sweep (see :func:`method_layers`)."""

BLOCK_FRACTIONS = (0.01, 0.03, 0.1, 0.3)
"""Where the alpha-rule MD blocks end, as fractions of the ids ordered by popularity."""

SPLIT_SEED = 42
"""Seed of the train / validation split (:func:`split_ratings`), the chapter's."""

ALPHA = 0.4
"""Default alpha of the alpha-power rule in the sweeps."""

RECIPE_SHUFFLE_BUFFER = 10_000
"""Rows in the shuffle buffer of the recipe's input pipeline (``make_csv_dataset``'s default)."""

MAX_TOP_DIM = 256
"""Largest top-block dimension the alpha study allows, so that steep rules spend the budget."""


@dataclass(frozen=True)
class RatingData:
    """A train/validation split with ids encoded for embedding tables.

    Users and movies are numbered by popularity rank in the training split
    (0 = most ratings, ties by original id), as mixed-dimension blocks need;
    ``user_counts`` and ``movie_counts`` are their training ratings in that order.

    ``val`` is the recipe's validation split, which it both tunes and reports
    on. ``in_test`` cuts it in two halves at random: anything the book
    *chooses* is chosen on the other half (the selection half) and reported
    on this one (the test half).
    """

    train: dict[str, np.ndarray]
    val: dict[str, np.ndarray]
    user_counts: np.ndarray = field(repr=False)
    movie_counts: np.ndarray = field(repr=False)
    in_test: np.ndarray = field(repr=False, default=None)

    @property
    def num_users(self) -> int:
        return len(self.user_counts)

    @property
    def num_movies(self) -> int:
        return len(self.movie_counts)

    def inputs(self, part: str, rows: slice = slice(None)) -> dict[str, np.ndarray]:
        """The model inputs (user and movie ids) of ``"train"`` or ``"val"``."""
        split = getattr(self, part)
        return {k: split[k][rows] for k in ("user", "movie")}


def _popularity_ranks(every: pd.Series, train: np.ndarray) -> pd.Series:
    """Training-rating count of each id, most first (ties by id), indexed by id."""
    counts = (
        pd.Series(train).value_counts().reindex(np.sort(every.unique()), fill_value=0)
    )
    order = np.lexsort((counts.index.to_numpy(), -counts.to_numpy()))
    return counts.iloc[order]


def split_ratings(
    frame: pd.DataFrame,
    val_fraction: float = 0.15,
    seed: int = SPLIT_SEED,
    max_train: int | None = None,
) -> RatingData:
    """Seeded random split of ``user_id, movie_id, rating`` rows, ids encoded.

    The split depends on the rows' order, so :func:`recbook.data.load_ratings`
    sorts them: the same seed then gives the same split for every copy of the
    archive. ``max_train`` keeps a seeded sample of the training rows (quick runs).

    Raises:
        TypeError, ValueError: ``val_fraction`` is not in (0, 1), ``seed`` is not
            a whole number of at least 0, or ``max_train`` is not ``None`` or at least 1.
    """
    checks.fraction("val_fraction", val_fraction)
    checks.whole("seed", seed, minimum=0)
    if len(frame) == 0:
        raise ValueError(
            "split_ratings needs at least one rating; got an empty ratings table."
        )
    if max_train is not None:
        checks.whole("max_train", max_train)
    rng = np.random.default_rng(seed)
    is_val = rng.random(len(frame)) < val_fraction
    train_rows = np.flatnonzero(~is_val)
    if max_train is not None and max_train < len(train_rows):
        train_rows = np.sort(rng.choice(train_rows, size=max_train, replace=False))
    ranked = {
        column: _popularity_ranks(
            frame[f"{column}_id"], frame[f"{column}_id"].to_numpy()[train_rows]
        )
        for column in ("user", "movie")
    }
    rank_of = {
        c: pd.Series(np.arange(len(r)), index=r.index) for c, r in ranked.items()
    }

    def encode(rows: np.ndarray) -> dict[str, np.ndarray]:
        part = frame.iloc[rows]
        encoded = {
            c: rank_of[c].loc[part[f"{c}_id"].to_numpy()].to_numpy().astype("int32")
            for c in ranked
        }
        return {**encoded, "rating": part["rating"].to_numpy().astype("float32")}

    val_rows = np.flatnonzero(is_val)
    # A generator of its own, so that the train / validation split stays the recipe's.
    in_test = np.random.default_rng([seed, 1]).random(len(val_rows)) < 0.5
    return RatingData(
        train=encode(train_rows),
        val=encode(val_rows),
        user_counts=ranked["user"].to_numpy(),
        movie_counts=ranked["movie"].to_numpy(),
        in_test=in_test,
    )


def popularity_blocks(
    num_ids: int, fractions: Sequence[float] = BLOCK_FRACTIONS
) -> list[int]:
    """Block sizes cutting ``num_ids`` popularity-ordered ids at the given fractions."""
    bounds = [0, *(max(1, round(f * num_ids)) for f in fractions), num_ids]
    sizes = [b - a for a, b in zip(bounds, bounds[1:])]
    if min(sizes) < 1:
        raise ValueError(f"{num_ids} ids are too few for blocks at {fractions}.")
    return sizes


def qr_buckets_for(num_ids: int, rows: float, chunk: int = 1 << 22) -> int:
    """The remainder-table size ``m`` whose QR table has closest to ``rows`` rows.

    The largest ``m`` wins a tie.

    Every ``m`` from 1 to ``num_ids`` is tried, ``chunk`` at a time, so that a
    catalogue of 100 million ids needs no more memory than a small one.

    Raises:
        TypeError, ValueError: ``num_ids`` or ``chunk`` is not a whole number of at
            least 1, or ``rows`` is not a finite number greater than 0 (a NaN gap
            would never win, and 1 bucket would come back for any input).
    """
    checks.whole("num_ids", num_ids)
    checks.positive("rows", rows, bound="the QR table's rows")
    checks.whole("chunk", chunk)
    best_gap, best = np.inf, 1
    for start in range(1, num_ids + 1, chunk):
        candidates = np.arange(start, min(start + chunk, num_ids + 1))
        gap = np.abs(np.ceil(num_ids / candidates) + candidates - rows)
        if gap.min() <= best_gap:
            best_gap, best = (
                gap.min(),
                int(candidates[np.flatnonzero(gap == gap.min())[-1]]),
            )
    return best


def compressed_table(
    method: str,
    counts: np.ndarray,
    ratio: float,
    dim: int = 64,
    alpha: float = ALPHA,
    combiner: str = "multiply",
    min_dim: int = 1,
) -> keras.layers.Layer:
    """One embedding table for ``len(counts)`` popularity-ordered ids at about ``1/ratio`` the size.

    Args:
        method: ``full`` (a smaller dimension), ``hashing``, ``qr`` or ``md``
            (alpha-power rule over :func:`popularity_blocks`, top dimension set
            by the budget).
        counts: training ratings per id, ids ordered by popularity (for ``md``).
        ratio: compression against a full ``len(counts) x dim`` table.
        alpha: the alpha-power rule's exponent (``md``).
        combiner: how QR combines its two rows; ``concat`` tables are half as
            wide, so they get twice the rows for the same size.
    """
    checks.real("ratio", ratio)  # NaN and infinities first: no 1-dimensional table
    if ratio < 1:
        raise ValueError(f"ratio must be at least 1, got {ratio}.")
    checks.whole("dim", dim)
    checks.whole("min_dim", min_dim)
    n = len(counts)
    if method == "full":
        return keras.layers.Embedding(n, max(1, round(dim / ratio)))
    if method == "hashing":
        return HashEmbedding(n, dim, num_buckets=max(1, round(n / ratio)))
    if method == "qr":
        rows = n / ratio * (2 if combiner == "concat" else 1)
        return QREmbedding(
            n, dim, num_buckets=qr_buckets_for(n, rows), combiner=combiner
        )
    if method == "md":
        return md_table(
            counts, dim, alpha, budget=math.floor(n * dim / ratio), min_dim=min_dim
        )
    raise ValueError(f"Unknown method {method!r}; choose one of {METHODS[:-1]}.")


def md_table(
    counts: np.ndarray,
    dim: int,
    alpha: float,
    budget: int,
    min_dim: int = 1,
    max_dim: int | None = None,
) -> MDEmbedding:
    """An alpha-rule MD table over :func:`popularity_blocks` within ``budget`` parameters.

    The top block's dimension is at most ``max_dim`` (default ``dim``; see
    :func:`recbook.embeddings.top_dim_for_budget`).
    """
    sizes = popularity_blocks(len(counts))
    p = block_probabilities(counts, sizes)
    top = top_dim_for_budget(p, sizes, dim, alpha, budget, min_dim, max_dim)
    return MDEmbedding(sizes, alpha_power_dims(p, top, alpha, min_dim), dim)


def method_layers(
    method: str,
    data: RatingData,
    ratio: float,
    dim: int = 64,
    alpha: float = ALPHA,
    combiner: str = "multiply",
) -> tuple[keras.layers.Layer, keras.layers.Layer]:
    """User and movie tables for one point of the sweep; ``qr+md`` is QR users, MD movies."""
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}; choose one of {METHODS}.")
    user_method, movie_method = ("qr", "md") if method == "qr+md" else (method, method)
    return (
        compressed_table(user_method, data.user_counts, ratio, dim, alpha, combiner),
        compressed_table(movie_method, data.movie_counts, ratio, dim, alpha, combiner),
    )


RECIPE_BLOCKS = (400, 1300)
"""The recipe's hand-picked MD blocks on MovieLens-1M's 3,706 movies (the rest form a third)."""
RECIPE_DIMS = (64, 32, 16)


def recipe_layers(
    data: RatingData, dim: int = 64, lookup: str = "gather"
) -> tuple[keras.layers.Layer, keras.layers.Layer]:
    """The recipe's memory-efficient tables: QR users (``m = users // 50``), MD movies.

    The movie blocks are the recipe's 400 / 1,300 / rest at 64 / 32 / 16 dims,
    scaled to the number of movies when it is not MovieLens-1M's 3,706.
    ``lookup`` is the MD table's (see :class:`recbook.memory_efficient.MDEmbedding`).
    """
    head, torso = (
        max(1, round(size * data.num_movies / 3706)) for size in RECIPE_BLOCKS
    )
    blocks = [head, torso, data.num_movies - head - torso]
    return (
        QREmbedding(data.num_users, dim, num_buckets=data.num_users // 50),
        MDEmbedding(blocks, RECIPE_DIMS, dim, lookup=lookup),
    )


def full_layers(
    data: RatingData, dim: int = 64
) -> tuple[keras.layers.Layer, keras.layers.Layer]:
    """The baseline's full user and movie tables."""
    return keras.layers.Embedding(data.num_users, dim), keras.layers.Embedding(
        data.num_movies, dim
    )


def fit_seeds(
    layers: Callable[[], tuple[keras.layers.Layer, keras.layers.Layer]],
    data: RatingData,
    seeds: Sequence[int],
    **options,
) -> list[training.Run]:
    """:func:`fit` a fresh :func:`rating_model` of ``layers()`` once per seed.

    ``options`` go to :func:`fit`.

    Raises:
        TypeError, ValueError: ``seeds`` is empty or not a list of whole numbers,
            or a training option is out of range (checked before the first training).
    """
    return training.over_seeds(
        fit, lambda: rating_model(*layers()), data, seeds, **options
    )


def errors_by_popularity(
    model: keras.Model, data: RatingData, edges: Sequence[int] = (20, 100, 500)
) -> pd.DataFrame:
    """Validation MAE grouped by how many training ratings the movie has."""
    error = np.abs(
        model.predict(data.inputs("val"), batch_size=4096, verbose=0)
        - data.val["rating"]
    )
    ratings = data.movie_counts[data.val["movie"]]
    bins = [-1, *edges, np.inf]
    names = [
        f"< {edges[0]}",
        *(f"{a}-{b - 1}" for a, b in zip(edges, edges[1:])),
        f">= {edges[-1]}",
    ]
    group = pd.cut(ratings, bins=bins, labels=names, right=False)
    table = pd.DataFrame({"training ratings of the movie": group, "error": error})
    return (
        table.groupby("training ratings of the movie", observed=False)["error"]
        .agg(ratings="size", mae="mean")
        .reset_index()
    )


def seconds_per_step(
    model: keras.Model, data: RatingData, steps: int = 300, batch_size: int = 128
) -> float:
    """Training time per step of a compiled model, after a warm-up that compiles it."""
    rows = slice(0, steps * batch_size)
    inputs = data.inputs("train", rows)
    model.fit(
        inputs, data.train["rating"][rows], batch_size=batch_size, epochs=1, verbose=0
    )
    tic = time.perf_counter()
    model.fit(
        inputs, data.train["rating"][rows], batch_size=batch_size, epochs=1, verbose=0
    )
    return (time.perf_counter() - tic) / steps
