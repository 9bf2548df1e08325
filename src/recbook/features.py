"""MovieLens-100K features for retrieval, as keras.io's Deep Recommenders tutorial makes them.

* :func:`title_vectorizer`: movie titles to 16 token ids (``TextVectorization``).
* :func:`feature_space`: a ``keras.utils.FeatureSpace`` with user age in 10
  bins, the rating rescaled to [0, 1], gender and occupation as integer
  categories, a gender x raw-age cross hashed to 20 bins, and the title tokens;
  :func:`encode` shows what it makes of one rating.
* :func:`candidate_set`: every movie's id, title tokens and padded genres, as
  native tensors for ``keras_rs.layers.BruteForceRetrieval``.
* :func:`preprocessor` and :func:`split`: the per-rating preprocessing and the
  tutorial's 80,000 / 20,000 split.
* :func:`arrays` and :func:`vocabularies`: the split as numpy arrays, and the
  embedding table sizes (:class:`Vocabularies`).
* :func:`retrieval_problem`: all of the above in the retrieval chapter's order,
  as one :class:`RetrievalProblem` (train and test arrays, table sizes,
  candidate set), which can be saved to and loaded from one ``.npz`` file.

The records are those of TFDS's ``movielens/100k-ratings`` and ``-movies``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from . import checks, data

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


def encode(space: keras.utils.FeatureSpace, record: dict) -> dict[str, np.ndarray]:
    """One raw rating through the FeatureSpace as :func:`preprocessor` runs it: in a
    ``tf.data`` graph, every output (the cross included) as a numpy array, batch axis
    dropped.

    Called eagerly on a non-TensorFlow backend, a FeatureSpace converts its outputs
    to that backend's tensors, and JAX (without x64) truncates the int64 outputs of
    ``IntegerLookup``, ``HashedCrossing`` and the title feature to int32 with a
    ``UserWarning``. The training pipeline never converts them: it runs in the graph,
    as here, so the values and dtypes shown are those the models receive.

    Args:
        record: the raw features of one rating (at least :data:`FEATURE_SPACE_INPUTS`).
    """
    one = tf.data.Dataset.from_tensors({k: [record[k]] for k in FEATURE_SPACE_INPUTS})
    encoded = next(one.map(space).as_numpy_iterator())
    return {name: np.asarray(value)[0] for name, value in encoded.items()}


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
    """The tutorial's split: one shuffle (seed 42), 80,000 ratings to train, 20,000 to test.

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


Arrays = tuple[dict[str, np.ndarray], np.ndarray]
"""A split as numpy arrays: the model inputs by name, and the labels, row for row."""


def arrays(dataset: tf.data.Dataset) -> Arrays:
    """A batched ``(features, label)`` dataset as numpy arrays, rows in the dataset's order."""
    parts = list(dataset.as_numpy_iterator())
    features = {
        name: np.concatenate([p[0][name] for p in parts]) for name in parts[0][0]
    }
    return features, np.concatenate([p[1] for p in parts])


@dataclass(frozen=True)
class Vocabularies:
    """Embedding table sizes. User and movie ids index their tables directly (row 0 unused)."""

    users: int
    genders: int
    occupations: int
    movies: int
    title_tokens: int
    genres: int


def vocabularies(
    ratings: tf.data.Dataset, space: keras.utils.FeatureSpace, candidates: Candidates
) -> Vocabularies:
    """Table sizes from the raw ratings, the adapted FeatureSpace and the candidate set."""
    users = ratings.map(
        lambda x: tf.strings.to_number(x["user_id"], out_type=tf.int32)
    ).reduce(tf.constant(0, tf.int32), tf.maximum)
    return Vocabularies(
        users=int(users),
        genders=space.preprocessors["user_gender"].vocabulary_size(),
        occupations=space.preprocessors["user_occupation_label"].vocabulary_size(),
        movies=candidates.movies_count,
        title_tokens=space.preprocessors["movie_title"].vocabulary_size(),
        genres=candidates.genres_count,
    )


_PARTS = ("train", "test")


@dataclass(frozen=True, eq=False)
class RetrievalProblem:
    """What the retrieval models train and are evaluated on, prepared once.

    Attributes:
        train, test: the tutorial's split as arrays (:func:`arrays`), in its order.
        vocab: the embedding table sizes.
        candidates: every movie's features (the retrieval index is built from them).
    """

    train: Arrays
    test: Arrays
    vocab: Vocabularies
    candidates: Candidates

    def save(self, path: str | Path) -> None:
        """Write the problem to one ``.npz`` file (for a child process to :meth:`load`)."""
        stored = {
            f"{part}/{name}": values
            for part in _PARTS
            for name, values in getattr(self, part)[0].items()
        }
        stored |= {f"{part}_labels": getattr(self, part)[1] for part in _PARTS}
        stored |= {
            f"candidates/{name}": keras.ops.convert_to_numpy(tensor)
            for name, tensor in self.candidates.tensors.items()
        }
        meta = {
            "vocab": asdict(self.vocab),
            "genres_count": self.candidates.genres_count,
            "max_genres": self.candidates.max_genres,
            "titles": list(self.candidates.titles),
        }
        with open(path, "wb") as file:  # at ``path`` itself: no ``.npz`` appended
            np.savez(file, meta=json.dumps(meta), **stored)

    @classmethod
    def load(cls, path: str | Path) -> RetrievalProblem:
        """Read what :meth:`save` wrote; the candidates as tensors of the current backend."""
        with np.load(path) as stored:
            meta = json.loads(str(stored["meta"]))
            named = {
                prefix: {
                    key.split("/", 1)[1]: stored[key]
                    for key in stored.files
                    if key.startswith(prefix + "/")
                }
                for prefix in (*_PARTS, "candidates")
            }
            train, test = ((named[p], stored[f"{p}_labels"]) for p in _PARTS)
        candidates = Candidates(
            tensors={
                name: keras.ops.convert_to_tensor(values)
                for name, values in named["candidates"].items()
            },
            genres_count=meta["genres_count"],
            max_genres=meta["max_genres"],
            titles=tuple(meta["titles"]),
        )
        return cls(train, test, Vocabularies(**meta["vocab"]), candidates)


def retrieval_problem(variant: str = "100k") -> RetrievalProblem:
    """The retrieval chapter's data, prepared as the keras.io tutorial does.

    TFDS's MovieLens ratings and movies (:func:`recbook.data.load_tfds`), the
    title vectorizer, the FeatureSpace adapted to the ratings, the candidate
    set, the tutorial's split (:func:`split`) as arrays, and the table sizes.

    Raises:
        recbook.data.MovieLensError: the archive is missing, corrupt or cannot be
            downloaded, or the TFDS cache is damaged.
        TypeError, ValueError: ``variant`` is not one whose archive recbook verifies.
    """
    ratings = data.load_tfds("ratings", variant)
    movies = data.load_tfds("movies", variant)
    vectorizer = title_vectorizer(movies)
    space = feature_space(ratings, vectorizer)
    candidates = candidate_set(movies, vectorizer)
    train, test = split(ratings, preprocessor(space, candidates.max_genres))
    return RetrievalProblem(
        train=arrays(train),
        test=arrays(test),
        vocab=vocabularies(ratings, space, candidates),
        candidates=candidates,
    )
