"""Small records in TFDS's MovieLens schema, and the features built from them."""

from __future__ import annotations

from recbook import featurization

import numpy as np
import pytest
import tensorflow as tf

MOVIES = [  # (movie_id, title, genres)
    ("1", "Toy Story (1995)", [3, 4]),
    ("2", "GoldenEye (1995)", [0]),
    ("4", "Toy Story 2 (1999)", [3, 4, 5]),
]


def movie_records() -> tf.data.Dataset:
    def generate():
        for movie_id, title, genres in MOVIES:
            yield {
                "movie_id": movie_id,
                "movie_title": title,
                "movie_genres": np.array(genres, "int64"),
            }

    return tf.data.Dataset.from_generator(
        generate,
        output_signature={
            "movie_id": tf.TensorSpec((), tf.string),
            "movie_title": tf.TensorSpec((), tf.string),
            "movie_genres": tf.TensorSpec((None,), tf.int64),
        },
    )


def rating_records(n: int = 60) -> tf.data.Dataset:
    """``n`` ratings by users 1-7 of the three movies; the same records on every pass."""

    def generate():
        rng = np.random.default_rng(0)
        for i in range(n):
            movie_id, title, genres = MOVIES[i % len(MOVIES)]
            yield {
                "user_id": str(1 + i % 7),
                "movie_id": movie_id,
                "movie_title": title,
                "movie_genres": np.array(genres, "int64"),
                "raw_user_age": np.float32(rng.integers(7, 74)),
                "user_gender": bool(i % 2),
                "user_occupation_label": np.int64(i % 4),
                "user_rating": np.float32(1 + i % 5),
                "timestamp": np.int64(880_000_000 + 7_919 * i % 1_000),
            }

    spec = {
        "user_id": tf.TensorSpec((), tf.string),
        "movie_id": tf.TensorSpec((), tf.string),
        "movie_title": tf.TensorSpec((), tf.string),
        "movie_genres": tf.TensorSpec((None,), tf.int64),
        "raw_user_age": tf.TensorSpec((), tf.float32),
        "user_gender": tf.TensorSpec((), tf.bool),
        "user_occupation_label": tf.TensorSpec((), tf.int64),
        "user_rating": tf.TensorSpec((), tf.float32),
        "timestamp": tf.TensorSpec((), tf.int64),
    }
    return tf.data.Dataset.from_generator(generate, output_signature=spec)


@pytest.fixture(scope="session")
def tfds_movies() -> tf.data.Dataset:
    """Three movies (ids 1, 2 and 4) as TFDS's ``movielens/100k-movies`` records."""
    return movie_records()


@pytest.fixture(scope="session")
def tfds_ratings() -> tf.data.Dataset:
    """60 ratings as TFDS's ``movielens/100k-ratings`` records."""
    return rating_records()


@pytest.fixture(scope="session")
def vectorizer(tfds_movies):
    return featurization.title_vectorizer(tfds_movies)


@pytest.fixture(scope="session")
def space(tfds_ratings, vectorizer):
    return featurization.feature_space(tfds_ratings, vectorizer)
