"""recbook.features on synthetic records in TFDS's MovieLens schema."""

from __future__ import annotations

import functools

from recbook import data, features, featurization

import numpy as np
import pytest
import tensorflow as tf
from tiny_retrieval import assert_same_problem, chapter_preparation, ratings


def test_title_vectorizer(vectorizer):
    vocabulary = vectorizer.get_vocabulary()
    assert vocabulary[:2] == ["", "[UNK]"]
    assert {"toy", "story", "1995", "goldeneye", "2", "1999"} == set(vocabulary[2:])
    tokens = np.asarray(vectorizer(["Toy Story 2 (1999)"]))
    assert tokens.shape == (1, featurization.TITLE_LENGTH)
    assert [vocabulary[t] for t in tokens[0, :4]] == ["toy", "story", "2", "1999"]
    assert (tokens[0, 4:] == 0).all()


def test_candidate_set_pads_genres_and_keeps_id_zero_empty(tfds_movies, vectorizer):
    candidates = featurization.candidate_set(tfds_movies, vectorizer)
    assert candidates.movies_count == 4 and candidates.max_genres == 3
    assert candidates.genres_count == 6  # genres 0..5 shifted by one
    genres = np.asarray(candidates.tensors["movie_genres"])
    assert genres.tolist() == [[0, 0, 0], [4, 5, 0], [1, 0, 0], [0, 0, 0], [4, 5, 6]]
    assert candidates.tensors["movie_title_vector"].shape == (
        5,
        featurization.TITLE_LENGTH,
    )
    assert (
        np.asarray(candidates.tensors["movie_title_vector"])[3].sum() == 0
    )  # no movie 3
    assert np.asarray(candidates.tensors["movie_id"]).tolist() == [0, 1, 2, 3, 4]
    assert candidates.titles == (
        "",
        "Toy Story (1995)",
        "GoldenEye (1995)",
        "",
        "Toy Story 2 (1999)",
    )


def test_preprocessing_gives_scalar_features_in_range(tfds_ratings, space):
    preprocess = featurization.preprocessor(space, max_genres=3)
    inputs, label = next(iter(tfds_ratings.map(preprocess)))
    assert label.numpy() == 0.0  # rating 1 rescaled by (r - 1) / 4
    for name in (
        "user_id",
        "raw_user_age",
        "user_gender",
        "user_occupation_label",
        featurization.CROSS,
        "movie_id",
    ):
        assert inputs[name].shape == (), name
    assert inputs["user_id"].numpy() == 1 and inputs["movie_id"].numpy() == 1
    assert inputs["movie_genres"].numpy().tolist() == [4, 5, 0]
    assert inputs["movie_title_vector"].shape == (featurization.TITLE_LENGTH,)
    labels, ages, crosses, genders = [], [], [], []
    for x, y in tfds_ratings.map(preprocess):
        labels.append(float(y)), ages.append(int(x["raw_user_age"]))
        (
            crosses.append(int(x[featurization.CROSS])),
            genders.append(int(x["user_gender"])),
        )
    assert sorted(set(labels)) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert 0 <= min(ages) and max(ages) < featurization.AGE_BINS
    assert 0 <= min(crosses) and max(crosses) < featurization.GENDER_AGE_CROSS_BINS
    assert sorted(set(genders)) == [0, 1]


def test_encode_is_the_pipelines_preprocessing_and_warns_of_nothing(
    tfds_ratings, space
):
    # Eagerly on JAX, a FeatureSpace converts its int64 outputs and JAX warns that it
    # truncates them; encode runs it as the tf.data pipeline does, in the graph.
    import warnings

    record = next(tfds_ratings.as_numpy_iterator())
    raw = {k: record[k] for k in featurization.FEATURE_SPACE_INPUTS}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encoded = featurization.encode(space, raw)
    inputs, label = next(iter(tfds_ratings.map(featurization.preprocessor(space, 3))))
    assert encoded["user_rating"].tolist() == [float(label)]
    for name in (
        "raw_user_age",
        "user_gender",
        "user_occupation_label",
        featurization.CROSS,
    ):
        assert encoded[name].tolist() == [int(inputs[name])], name
        assert encoded[name].dtype == inputs[name].dtype.as_numpy_dtype, name
    assert (
        encoded["movie_title"].tolist() == inputs["movie_title_vector"].numpy().tolist()
    )


def test_split_sizes_and_order_are_fixed(tfds_ratings, space):
    preprocess = featurization.preprocessor(space, max_genres=3)
    train, test = featurization.split(
        tfds_ratings, preprocess, train_size=40, test_size=20, batch_size=10
    )
    train_ids = np.concatenate([x["user_id"].numpy() for x, _ in train])
    test_ids = np.concatenate([x["user_id"].numpy() for x, _ in test])
    assert len(train_ids) == 40 and len(test_ids) == 20
    again = np.concatenate(
        [
            x["user_id"].numpy()
            for x, _ in featurization.split(
                tfds_ratings, preprocess, train_size=40, test_size=20, batch_size=10
            )[0]
        ]
    )
    np.testing.assert_array_equal(train_ids, again)


def test_default_split_is_the_tutorials_80000_and_20000():
    ids = tf.data.Dataset.range(100_000)
    train, test = featurization.split(ids, lambda x: x)
    train_ids = np.concatenate(list(train.as_numpy_iterator()))
    test_ids = np.concatenate(list(test.as_numpy_iterator()))
    assert (len(train_ids), len(test_ids)) == (80_000, 20_000)
    assert len(next(iter(train))) == 1_000  # batches of the tutorial's 1,000
    assert (
        len(np.union1d(train_ids, test_ids)) == 100_000
    )  # disjoint, every rating used once


def test_arrays_keep_the_order():
    inputs, labels = ratings(25)
    dataset = tf.data.Dataset.from_tensor_slices((inputs, labels)).batch(10)
    as_arrays = features.arrays(dataset)
    np.testing.assert_array_equal(as_arrays[1], labels)
    assert set(as_arrays[0]) == set(inputs)
    for name, values in inputs.items():
        np.testing.assert_array_equal(as_arrays[0][name], values)


def test_vocabularies_from_the_feature_space(
    tfds_ratings, tfds_movies, space, vectorizer
):
    vocab = features.vocabularies(
        tfds_ratings, space, featurization.candidate_set(tfds_movies, vectorizer)
    )
    # Users "1".."7", two genders, occupations 0..3, movie ids up to 4, genres 0..5.
    assert vocab == features.Vocabularies(
        users=7,
        genders=2,
        occupations=4,
        movies=4,
        title_tokens=vectorizer.vocabulary_size(),
        genres=6,
    )


@pytest.fixture
def tiny_tfds(monkeypatch, tfds_ratings, tfds_movies):
    """``data.load_tfds`` gives the synthetic records; the split is 40 / 20 in batches of 10."""
    tables = {"ratings": tfds_ratings, "movies": tfds_movies}
    monkeypatch.setattr(data, "load_tfds", lambda table, variant="100k": tables[table])
    monkeypatch.setattr(
        featurization,
        "split",
        functools.partial(
            featurization.split, train_size=40, test_size=20, batch_size=10
        ),
    )


def test_retrieval_problem_is_the_chapters_preparation_and_round_trips(
    tiny_tfds, tfds_ratings, tfds_movies, tmp_path
):
    problem = features.retrieval_problem()
    expected = chapter_preparation(tfds_ratings, tfds_movies)
    assert_same_problem(problem, expected)
    assert len(problem.train[1]) == 40 and len(problem.test[1]) == 20
    path = tmp_path / "problem.npz"
    problem.save(path)
    assert_same_problem(features.RetrievalProblem.load(path), expected)


def test_rating_split_is_the_problems_split_without_the_feature_space(tiny_tfds):
    problem = features.retrieval_problem()
    split = features.rating_split()
    for (inputs, labels), (ids, id_labels) in zip(
        (problem.train, problem.test), split, strict=True
    ):
        assert set(ids) == set(features.RATING_FIELDS)
        for name in ("user_id", "movie_id"):
            np.testing.assert_array_equal(ids[name], inputs[name])
        np.testing.assert_array_equal(id_labels, labels)
        assert ids["timestamp"].dtype == np.int64
    assert len(split[0][1]) == 40 and len(split[1][1]) == 20
