"""The memory-efficient-embeddings recipe's rating model, its data, and its sweeps.

The model is the keras.io recipe's: a user and a movie embedding, their dot
product, ``sigmoid(dot) * 5``, trained with Adam(0.001) on MSE at batch 128.
Any embedding layer of :mod:`recbook.embeddings` (or Keras's own) fits in.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import keras
import numpy as np
import pandas as pd

from . import checks, guards, training
from .embeddings import (
    HashEmbedding,
    MDEmbedding,
    QREmbedding,
    alpha_power_dims,
    block_probabilities,
    top_dim_for_budget,
)

METHODS = ("full", "hashing", "qr", "md", "qr+md")
"""Compression methods of the parameters-vs-error sweep (see :func:`method_layers`)."""

BLOCK_FRACTIONS = (0.01, 0.03, 0.1, 0.3)
"""Where the alpha-rule MD blocks end, as fractions of the ids ordered by popularity."""

STEPS_PER_EXECUTION = 32
"""Training steps per compiled call: identical results, less Python overhead per step."""

EPOCHS = 3
"""Training epochs of every rating model, the recipe's."""

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


def rating_model(
    user_embedding: keras.layers.Layer,
    movie_embedding: keras.layers.Layer,
    name: str = "rating_model",
) -> keras.Model:
    """The recipe's model: ``sigmoid(user . movie) * 5`` from two embedding layers."""
    user = keras.Input(shape=(), dtype="int32", name="user")
    movie = keras.Input(shape=(), dtype="int32", name="movie")
    dot = keras.layers.Dot(axes=1, name="dot_similarity")(
        [user_embedding(user), movie_embedding(movie)]
    )
    prediction = keras.layers.Activation("sigmoid")(dot) * 5.0
    return keras.Model(
        {"user": user, "movie": movie}, keras.ops.squeeze(prediction, -1), name=name
    )


METRICS = ("mae", "rmse", "selection_mae", "test_mae", "test_rmse")
"""A run's metrics: MAE and RMSE on the whole validation split (the recipe's
protocol), MAE on its selection half (to choose settings) and MAE and RMSE on
its test half (to report what was chosen)."""


def training_batches(
    data: RatingData, batch_size: int, shuffle_buffer: int, seed: int
) -> object:
    """The recipe's input pipeline: training rows in file order, a shuffle buffer.

    The recipe writes the training ratings to a CSV file in ``ratings.dat``'s
    order (by user) and reads it with ``tf.data.experimental.make_csv_dataset``,
    which shuffles through a buffer of 10,000 rows, afresh each epoch. A buffer
    much smaller than the data keeps each batch to a few neighbouring users.
    Here the rows are in the split's order, also by user (then by movie).
    """
    import tensorflow as tf

    rows = tf.data.Dataset.from_tensor_slices(
        (data.inputs("train"), data.train["rating"])
    )
    shuffled = rows.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    return shuffled.batch(batch_size)


def compile_for_training(
    model: keras.Model,
    learning_rate: float = 1e-3,
    steps_per_execution: int | None = None,
) -> keras.Model:
    """Compile as :func:`fit` trains: Adam on the squared error, MAE and RMSE tracked,
    :data:`STEPS_PER_EXECUTION` steps per call (``steps_per_execution``, when given,
    overrides it)."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="mse",
        metrics=[
            keras.metrics.MeanAbsoluteError(name="mae"),
            keras.metrics.RootMeanSquaredError(name="rmse"),
        ],
        steps_per_execution=steps_per_execution or STEPS_PER_EXECUTION,
    )
    return model


def fit(
    build: Callable[[], keras.Model],
    data: RatingData,
    seed: int,
    epochs: int = EPOCHS,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    shuffle_buffer: int | None = None,
) -> training.Run:
    """Seed everything, build, train as the recipe does and score on the validation split.

    By default Keras shuffles all training rows each epoch (i.i.d. batches);
    ``shuffle_buffer`` reproduces the recipe's pipeline instead
    (:func:`training_batches`). The run's ``metrics`` are :data:`METRICS`.
    ``seconds`` is the training time alone (the validation split is scored once,
    after it). Several steps run per compiled call (:data:`STEPS_PER_EXECUTION`):
    the same updates, less Python overhead per step.

    Raises:
        TypeError, ValueError: ``epochs``, ``batch_size`` or ``shuffle_buffer``
            is not a whole number of at least 1, ``seed`` one of at least 0,
            ``learning_rate`` is not finite and greater than 0, or there are no
            training ratings.
        recbook.guards.NonFiniteTrainingError: the loss or a weight stopped
            being finite (no metric is returned).
    """
    checks.whole("epochs", epochs)
    checks.whole("batch_size", batch_size)
    checks.whole("seed", seed, minimum=0)
    if shuffle_buffer is not None:
        checks.whole("shuffle_buffer", shuffle_buffer)
    checks.learning_rate(learning_rate)
    if not len(data.train.get("rating", ())):
        raise ValueError("fit needs training ratings; data.train is empty.")
    keras.utils.set_random_seed(seed)
    model = build()
    guard = guards.FiniteGuard(
        f"{type(model).__name__} {model.name!r}", seed, learning_rate
    )
    compile_for_training(model, learning_rate)
    if shuffle_buffer is None:
        batches = {"x": data.inputs("train"), "y": data.train["rating"]}
        batches["batch_size"] = batch_size
    else:
        batches = {"x": training_batches(data, batch_size, shuffle_buffer, seed)}
        batches["shuffle"] = False  # the pipeline shuffles
    tic = time.perf_counter()
    model.fit(**batches, epochs=epochs, verbose=0, callbacks=[guard])
    guard.check()
    seconds = time.perf_counter() - tic
    scores = model.evaluate(
        data.inputs("val"),
        data.val["rating"],
        batch_size=4096,
        verbose=0,
        return_dict=True,
    )
    error = model.predict(data.inputs("val"), batch_size=4096, verbose=0)
    error = error - data.val["rating"]
    test, selection = error[data.in_test], error[~data.in_test]
    metrics = {
        "mae": float(scores["mae"]),
        "rmse": float(scores["rmse"]),
        "selection_mae": float(np.abs(selection).mean()),
        "test_mae": float(np.abs(test).mean()),
        "test_rmse": float(np.sqrt(np.mean(test**2))),
    }
    return training.Run(
        params=model.count_params(), seconds=seconds, metrics=metrics, model=model
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
    ``lookup`` is the MD table's (see :class:`recbook.embeddings.MDEmbedding`).
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
