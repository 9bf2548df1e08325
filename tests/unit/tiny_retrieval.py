"""A tiny retrieval problem for the unit tests: 5 users, 4 movies, a learnable taste.

Also the retrieval chapter's data preparation written out call by call, and a
comparison of two prepared problems, for the tests of
:func:`recbook.features.retrieval_problem`.
"""

from __future__ import annotations

from recbook import features, featurization
from recbook.featurization import Candidates

import keras
import numpy as np
import tensorflow as tf

VOCAB = features.Vocabularies(
    users=5, genders=2, occupations=3, movies=4, title_tokens=6, genres=3
)
TITLES = ("", "Alpha (1990)", "Beta (1991)", "Gamma (1992)", "Delta (1993)")
TITLE_TOKENS = np.array([[0, 0], [1, 2], [3, 2], [4, 2], [5, 6]], "int32")
GENRES = np.array([[0, 0], [1, 0], [2, 3], [3, 0], [1, 2]], "int32")


def candidates() -> Candidates:
    return Candidates(
        tensors={
            "movie_id": keras.ops.arange(5, dtype="int32"),
            "movie_title_vector": keras.ops.convert_to_tensor(TITLE_TOKENS),
            "movie_genres": keras.ops.convert_to_tensor(GENRES),
        },
        genres_count=3,
        max_genres=2,
        titles=TITLES,
    )


def ratings(n: int = 200, seed: int = 0) -> tuple[dict, np.ndarray]:
    """Users 1-5 rate movies 1-4: even users love even movies, odd users odd ones."""
    rng = np.random.default_rng(seed)
    users, movies = (
        rng.integers(1, 6, n).astype("int32"),
        rng.integers(1, 5, n).astype("int32"),
    )
    inputs = {
        "user_id": users,
        "raw_user_age": users % 10,
        "user_gender": users % 2,
        "user_occupation_label": users % 3,
        featurization.CROSS: users % 20,
        "movie_id": movies,
        "movie_title_vector": TITLE_TOKENS[movies],
        "movie_genres": GENRES[movies],
    }
    labels = np.where(users % 2 == movies % 2, 1.0, 0.25).astype("float32")
    return {k: np.asarray(v, "int32") for k, v in inputs.items()}, labels


def chapter_preparation(
    ratings: tf.data.Dataset, movies: tf.data.Dataset
) -> tuple[
    features.Arrays, features.Arrays, features.Vocabularies, featurization.Candidates
]:
    """The retrieval chapter's preparation call by call, as its cell wrote it."""
    vectorizer = featurization.title_vectorizer(movies)
    space = featurization.feature_space(ratings, vectorizer)
    candidates = featurization.candidate_set(movies, vectorizer)
    train_ds, test_ds = featurization.split(
        ratings, featurization.preprocessor(space, candidates.max_genres)
    )
    train, test = features.arrays(train_ds), features.arrays(test_ds)
    vocab = features.vocabularies(ratings, space, candidates)
    return train, test, vocab, candidates


def assert_same_problem(problem: features.RetrievalProblem, expected: tuple) -> None:
    """Equal arrays, bit for bit and of the same dtypes, equal sizes and candidate sets."""
    train, test, vocab, candidates = expected
    for name, (inputs, labels) in (("train", train), ("test", test)):
        got_inputs, got_labels = getattr(problem, name)
        assert set(got_inputs) == set(inputs), name
        for feature, values in inputs.items():
            assert got_inputs[feature].dtype == values.dtype, (name, feature)
            np.testing.assert_array_equal(got_inputs[feature], values, err_msg=feature)
        assert got_labels.dtype == labels.dtype
        np.testing.assert_array_equal(got_labels, labels)
    assert problem.vocab == vocab
    got = problem.candidates
    assert (got.genres_count, got.max_genres) == (
        candidates.genres_count,
        candidates.max_genres,
    )
    assert got.titles == candidates.titles
    assert set(got.tensors) == set(candidates.tensors)
    for name, tensor in candidates.tensors.items():
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(got.tensors[name]),
            keras.ops.convert_to_numpy(tensor),
        )
