"""The retrieval chapter's data, prepared with the featurization chapter's code.

The vectorizer, FeatureSpace, candidate set, preprocessing and split are defined in
the featurization chapter and exported to :mod:`recbook.featurization`. Here:

* :func:`arrays` and :func:`vocabularies`: the split as numpy arrays, and the
  embedding table sizes (:class:`Vocabularies`).
* :func:`rating_split`: the same split of the ratings' ids, stars and timestamps
  only, without the FeatureSpace (the ids-only towers and the classical models).
* :func:`retrieval_problem`: all of the above in the retrieval chapter's order,
  as one :class:`RetrievalProblem` (train and test arrays, table sizes,
  candidate set), which can be saved to and loaded from one ``.npz`` file.

The records are those of TFDS's ``movielens/100k-ratings`` and ``-movies``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from . import data, featurization
from .featurization import Candidates

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
    vectorizer = featurization.title_vectorizer(movies)
    space = featurization.feature_space(ratings, vectorizer)
    candidates = featurization.candidate_set(movies, vectorizer)
    train, test = featurization.split(
        ratings, featurization.preprocessor(space, candidates.max_genres)
    )
    return RetrievalProblem(
        train=arrays(train),
        test=arrays(test),
        vocab=vocabularies(ratings, space, candidates),
        candidates=candidates,
    )


RATING_FIELDS = ("user_id", "movie_id", "timestamp")
"""The inputs of :func:`rating_split`: the ids, and the rating's Unix time in seconds."""


def rating_split(variant: str = "100k") -> tuple[Arrays, Arrays]:
    """The tutorial's split of the ratings' ids and timestamps, without the FeatureSpace.

    The same shuffle as :func:`retrieval_problem` (:func:`recbook.featurization.split`),
    so the same rows in the same order, with the same labels (the rescaled stars,
    ``(stars - 1) / 4``); the inputs are :data:`RATING_FIELDS` only, which takes
    seconds instead of the FeatureSpace's adaptation.

    Raises:
        recbook.data.MovieLensError: as :func:`retrieval_problem`.
    """
    ratings = data.load_tfds("ratings", variant)

    def preprocess(x: dict) -> tuple[dict, tf.Tensor]:
        return (
            {
                "user_id": tf.strings.to_number(x["user_id"], out_type=tf.int32),
                "movie_id": tf.strings.to_number(x["movie_id"], out_type=tf.int32),
                "timestamp": tf.cast(x["timestamp"], tf.int64),
            },
            x["user_rating"] * (1.0 / 4.0) - 1.0 / 4.0,
        )

    train, test = featurization.split(ratings, preprocess)
    return arrays(train), arrays(test)
