"""MovieLens-100K features for the retrieval chapters, as the keras.io Deep Recommenders tutorial makes them.

* :func:`title_vectorizer`: movie titles to 16 token ids (``TextVectorization``).
* :func:`feature_space`: a ``keras.utils.FeatureSpace`` with user age in 10
  bins, the rating rescaled to [0, 1], gender and occupation as integer
  categories, a gender x raw-age cross hashed to 20 bins, and the title tokens.
* :func:`candidate_set`: every movie's id, title tokens and padded genres, as
  native tensors for ``keras_rs.layers.BruteForceRetrieval``.
* :func:`preprocessor` and :func:`split`: the per-rating preprocessing and the
  tutorial's 80,000 / 20,000 split.

The records are those of TFDS's ``movielens/100k-ratings`` and ``-movies``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from . import checks

AGE_BINS = 10
GENDER_AGE_CROSS_BINS = 20
TITLE_MAX_TOKENS = 10_000
TITLE_LENGTH = 16
SHUFFLE_SEED = 42
SHUFFLE_BUFFER = 100_000
"""Ratings shuffled for the split: all of MovieLens-100K."""
TRAIN_SIZE, TEST_SIZE, BATCH_SIZE = 80_000, 20_000, 1_000

FEATURE_SPACE_INPUTS = (
    "raw_user_age",
    "user_gender",
    "user_occupation_label",
    "user_rating",
    "movie_title",
)
CROSS = "user_gender_X_raw_user_age"


def title_vectorizer(movies: tf.data.Dataset) -> keras.layers.TextVectorization:
    """A ``TextVectorization`` adapted to every movie title (10,000 tokens at most, length 16)."""
    vectorizer = keras.layers.TextVectorization(
        max_tokens=TITLE_MAX_TOKENS, output_sequence_length=TITLE_LENGTH, dtype="int32"
    )
    vectorizer.adapt(movies.map(lambda x: x["movie_title"]))
    return vectorizer


def feature_space(
    ratings: tf.data.Dataset, vectorizer: keras.layers.TextVectorization
) -> keras.utils.FeatureSpace:
    """The tutorial's FeatureSpace, adapted to ``ratings`` (about 20 s for MovieLens-100K).

    ``float_discretized`` adapts quantile bin edges (the tutorial's text says equal-width).
    """
    space = keras.utils.FeatureSpace(
        features={
            "raw_user_age": keras.utils.FeatureSpace.float_discretized(
                num_bins=AGE_BINS, output_mode="int"
            ),
            "user_gender": keras.utils.FeatureSpace.integer_categorical(
                num_oov_indices=0, output_mode="int"
            ),
            "user_occupation_label": keras.utils.FeatureSpace.integer_categorical(
                num_oov_indices=0, output_mode="int"
            ),
            "user_rating": keras.utils.FeatureSpace.float_rescaled(
                scale=1.0 / 4.0, offset=-1.0 / 4.0
            ),
            "movie_title": keras.utils.FeatureSpace.feature(
                preprocessor=vectorizer, dtype="string", output_mode="float"
            ),
        },
        crosses=[
            keras.utils.FeatureSpace.cross(
                feature_names=("user_gender", "raw_user_age"),
                crossing_dim=GENDER_AGE_CROSS_BINS,
                output_mode="int",
            )
        ],
        output_mode="dict",
    )
    space.adapt(ratings.map(lambda x: {k: x[k] for k in FEATURE_SPACE_INPUTS}))
    return space


@dataclass(frozen=True)
class Candidates:
    """Every movie's features as backend-native tensors, indexed by movie id (row 0: no movie)."""

    tensors: dict[str, object]
    genres_count: int
    max_genres: int
    titles: tuple[str, ...] = field(default=(), repr=False)
    """Every movie's title, by movie id ("" for ids without a movie)."""

    @property
    def movies_count(self) -> int:
        """Number of movies (the largest movie id)."""
        return int(self.tensors["movie_id"].shape[0]) - 1


def candidate_set(
    movies: tf.data.Dataset, vectorizer: keras.layers.TextVectorization
) -> Candidates:
    """Pre-build the candidate set: id, title tokens and genres padded with 0 (genre g is g + 1)."""
    records = list(movies.as_numpy_iterator())
    count = max(int(r["movie_id"]) for r in records)
    titles, genres = [""] * (count + 1), [[] for _ in range(count + 1)]
    for record in records:
        movie = int(record["movie_id"])
        titles[movie] = record["movie_title"].decode("utf-8")
        genres[movie] = [int(g) + 1 for g in record["movie_genres"]]
    max_genres = max(len(g) for g in genres)
    padded = np.array([g + [0] * (max_genres - len(g)) for g in genres], dtype="int32")
    return Candidates(
        tensors={
            "movie_id": keras.ops.arange(count + 1, dtype="int32"),
            "movie_title_vector": keras.ops.convert_to_tensor(
                vectorizer(titles), dtype="int32"
            ),
            "movie_genres": keras.ops.convert_to_tensor(padded, dtype="int32"),
        },
        genres_count=int(padded.max()),
        max_genres=max_genres,
        titles=tuple(titles),
    )


def preprocessor(
    space: keras.utils.FeatureSpace, max_genres: int
) -> Callable[[dict], tuple[dict, tf.Tensor]]:
    """The per-rating ``tf.data`` map: model inputs and the rescaled rating as label.

    With Keras 3.15, every FeatureSpace output, the cross included, is a scalar
    after squeezing the batch axis that FeatureSpace adds to one record.
    """

    def preprocess(x: dict) -> tuple[dict, tf.Tensor]:
        features = space({k: x[k] for k in FEATURE_SPACE_INPUTS})
        features = {k: tf.squeeze(v, axis=0) for k, v in features.items()}
        genres = tf.cast(x["movie_genres"], tf.int32) + 1
        return (
            {
                "user_id": tf.strings.to_number(x["user_id"], out_type=tf.int32),
                "raw_user_age": features["raw_user_age"],
                "user_gender": features["user_gender"],
                "user_occupation_label": features["user_occupation_label"],
                CROSS: features[CROSS],
                "movie_id": tf.strings.to_number(x["movie_id"], out_type=tf.int32),
                "movie_title_vector": features["movie_title"],
                "movie_genres": tf.pad(genres, [[0, max_genres - tf.shape(genres)[0]]]),
            },
            features["user_rating"],
        )

    return preprocess


def split(
    ratings: tf.data.Dataset,
    preprocess: Callable,
    train_size: int = TRAIN_SIZE,
    test_size: int = TEST_SIZE,
    batch_size: int = BATCH_SIZE,
) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """The tutorial's split: shuffle 100,000 with seed 42 once, first 80,000 train, next 20,000 test.

    Raises:
        TypeError, ValueError: ``train_size``, ``test_size`` or ``batch_size`` is
            not a whole number of at least 1, or the two sizes exceed the 100,000 shuffled ratings.
    """
    checks.whole(
        "train_size",
        train_size,
        maximum=SHUFFLE_BUFFER - 1,
        bound="the shuffled ratings minus one",
    )
    checks.whole(
        "test_size",
        test_size,
        maximum=SHUFFLE_BUFFER - train_size,
        bound="the shuffled ratings minus train_size",
    )
    checks.whole("batch_size", batch_size)
    shuffled = ratings.map(preprocess).shuffle(
        SHUFFLE_BUFFER, seed=SHUFFLE_SEED, reshuffle_each_iteration=False
    )
    train = shuffled.take(train_size).batch(batch_size).cache()
    test = shuffled.skip(train_size).take(test_size).batch(batch_size).cache()
    return train, test
