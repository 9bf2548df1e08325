"""recbook.retrieval on hand-made arrays: tower sizes, both objectives, the metrics, baselines."""

from __future__ import annotations

import dataclasses

from recbook import featurization, retrieval, towers

import keras
import keras_rs
import numpy as np
import pandas as pd
import pytest
from tiny_retrieval import VOCAB, candidates, ratings


def model(layer_sizes=(8,), dim=4, **options) -> towers.RetrievalModel:
    keras.utils.set_random_seed(0)
    return towers.RetrievalModel(
        layer_sizes, VOCAB, candidates(), k=2, embedding_dimension=dim, **options
    )


def test_parameter_counts_by_hand():
    m = model()
    # Query: users 6x4, genders 2x4, age bins 10x4, crosses 20x4, occupations 3x4 = 164;
    # dense 20 -> 8: 168. Candidate: movies 5x4, title tokens 7x4, genres 4x4 = 64;
    # dense 12 -> 8: 104.
    assert m.trainable_params == 164 + 168 + 64 + 104
    # The retrieval index (5 movies x 8) is a variable too, but not a trainable parameter.
    assert m.count_params() == m.trainable_params + 5 * 8


def test_deep_towers_are_relu_but_for_the_last_layer():
    stack = towers.dense_stack((16, 8, 4))
    assert [layer.units for layer in stack.layers] == [16, 8, 4]
    assert [layer.activation.__name__ for layer in stack.layers] == [
        "relu",
        "relu",
        "linear",
    ]


@pytest.mark.parametrize(
    "options, message",
    [
        ({"objective": "ranking"}, "Unknown objective 'ranking'"),
        ({"movie_probabilities": np.full(5, 0.2)}, "use objective='softmax'"),
        ({"layer_sizes": ()}, "layer_sizes must be positive widths"),
        ({"layer_sizes": (8, 0)}, "layer_sizes must be positive widths"),
    ],
)
def test_bad_arguments_are_explained(options, message):
    with pytest.raises(ValueError, match=message):
        model(**options)


def test_default_k_is_100_and_retrieval_returns_that_many_distinct_movies():
    movies = 150
    rows = np.arange(movies + 1)
    wide = featurization.Candidates(
        tensors={
            "movie_id": keras.ops.arange(movies + 1, dtype="int32"),
            "movie_title_vector": keras.ops.convert_to_tensor(
                np.stack([rows % 7, rows % 5], axis=1).astype("int32")
            ),
            "movie_genres": keras.ops.convert_to_tensor(
                np.stack([rows % 4, rows % 3], axis=1).astype("int32")
            ),
        },
        genres_count=3,
        max_genres=2,
    )
    keras.utils.set_random_seed(0)
    m = towers.RetrievalModel((8,), dataclasses.replace(VOCAB, movies=movies), wide)
    assert m.retrieval.k == 100 and m.top_k.k == 100
    queries, _ = ratings(6)
    top = m.recommend(queries)
    assert top.shape == (6, 100)
    assert all(
        len(set(row.tolist())) == 100 and 0 <= row.min() and row.max() <= movies
        for row in top
    )
    assert m.scores(queries).shape == (
        6,
        movies + 1,
    )  # every movie id is scored, id 0 included


def test_k_cannot_exceed_the_candidates():
    with pytest.raises(ValueError, match="k must be between 1 and 5"):
        towers.RetrievalModel((4,), VOCAB, candidates(), k=6)


def test_accidental_hits_are_masked_and_keras_rs_does_not():
    logits = np.zeros((3, 3), "float32")
    ids = np.array([7, 7, 8], "int32")
    masked = keras.ops.convert_to_numpy(towers.remove_accidental_hits(logits, ids))
    expected = np.zeros((3, 3))
    expected[0, 1] = expected[1, 0] = (
        towers.MASKED_LOGIT
    )  # the same movie, not the row's own column
    np.testing.assert_array_equal(masked, expected)
    # keras-rs 0.4's layer adds ~1e-40: a no-op (keras-team/keras-rs#206). When this fails,
    # keras-rs is fixed and recbook can use its layer again.
    unchanged = keras_rs.layers.RemoveAccidentalHits()(
        logits, np.eye(3, dtype="float32"), ids
    )
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(unchanged), logits)


def loss_by_hand(objective, query, candidate, labels, ids, probabilities=None):
    if objective == "rating":
        return np.mean(((query * candidate).sum(axis=1) - labels) ** 2)
    logits = query @ candidate.T
    if probabilities is not None:
        logits = logits - np.log(np.clip(probabilities[ids], 1e-6, 1.0))[None, :]
    same = (ids[:, None] == ids[None, :]) & ~np.eye(len(ids), dtype=bool)
    logits = np.where(same, towers.MASKED_LOGIT, logits)
    top = logits.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(logits - top).sum(axis=1)) + top[:, 0]
    return np.sum(log_sum - np.diag(logits))


@pytest.mark.parametrize(
    "objective, corrected", [("rating", False), ("softmax", False), ("softmax", True)]
)
def test_losses_match_a_hand_computation(objective, corrected):
    inputs, labels = ratings(n=12)
    probabilities = (
        retrieval.movie_probabilities(inputs["movie_id"], VOCAB.movies)
        if corrected
        else None
    )
    m = model(objective=objective, movie_probabilities=probabilities)
    outputs = m(inputs, training=True)
    loss = float(m.compute_loss(inputs, labels, outputs))
    query, candidate = (
        keras.ops.convert_to_numpy(outputs[k]).astype("float64")
        for k in ("query", "candidate")
    )
    assert len(set(inputs["movie_id"].tolist())) < 12  # the batch has accidental hits
    expected = loss_by_hand(
        objective, query, candidate, labels, inputs["movie_id"], probabilities
    )
    assert loss == pytest.approx(expected, rel=1e-4)


@dataclasses.dataclass(frozen=True)
class Problem:
    """What :func:`recbook.towers.fit` needs of a retrieval problem."""

    train: tuple
    test: tuple


def test_training_learns_and_the_metrics_count_five_star_or_all_ratings():
    train_data, test_data = ratings(400, seed=0), ratings(100, seed=1)
    # 4-star test ratings (rescaled 0.75) of movies the user does not love: never hits,
    # so counted in accuracy_all only.
    test_labels = np.where(
        np.arange(100) % 3 == 0, np.where(test_data[1] < 1.0, 0.75, 1.0), test_data[1]
    )
    test_data = (test_data[0], test_labels.astype("float32"))
    assert (test_data[1] == 0.75).sum() > 5
    run = towers.fit(
        lambda: model(),
        Problem(train_data, test_data),
        seed=0,
        epochs=10,
        learning_rate=0.1,
        batch_size=50,
    )
    assert run.epochs == [5, 10] and len(run.curves["accuracy"]) == 2
    assert run.params == 500 and run.seconds > 0
    # By hand: retrieve each test rating's user's top 2 and count its movie if rated 5 stars.
    top = run.model.recommend(test_data[0])
    hit = np.array([m in row for m, row in zip(test_data[0]["movie_id"], top)])
    five = test_data[1] == 1.0
    assert run.metrics["accuracy"] == pytest.approx(hit[five].mean(), abs=1e-6)
    assert run.metrics["accuracy"] == run.curves["accuracy"][-1]
    # The pattern is learnable: every user's two loved movies come first.
    assert run.metrics["accuracy"] == 1.0
    # Over every rating, the 4-star misses count too (TensorFlow Recommenders' metric).
    assert run.metrics["accuracy_all"] == pytest.approx(hit.mean(), abs=1e-6)
    assert run.metrics["accuracy_all"] < 1.0


def test_training_is_deterministic():
    train_data, test_data = ratings(200, seed=0), ratings(50, seed=1)
    runs = [  # the same seed twice (fit_seeds refuses a repeated seed)
        towers.fit(
            lambda: model(objective="softmax"),
            Problem(train_data, test_data),
            3,
            epochs=5,
            batch_size=50,
        )
        for _ in range(2)
    ]
    assert runs[0].curves == runs[1].curves
    np.testing.assert_array_equal(
        runs[0].model.scores(test_data[0]), runs[1].model.scores(test_data[0])
    )


def test_train_rejects_fewer_epochs_than_the_validation_period():
    with pytest.raises(
        ValueError, match=r"epochs must be at least 5 \(validation_freq\); got 3"
    ):
        towers.fit(lambda: model(), Problem(ratings(), ratings()), seed=0, epochs=3)


def test_holdout_trains_on_the_first_rows_and_tests_on_the_rest():
    train_data = ratings(30)
    part = retrieval.holdout(Problem(train_data, ratings(5)), 20)
    np.testing.assert_array_equal(part.train[1], train_data[1][:20])
    np.testing.assert_array_equal(part.test[1], train_data[1][20:])
    np.testing.assert_array_equal(
        part.test[0]["user_id"], train_data[0]["user_id"][20:]
    )
    with pytest.raises(ValueError, match=r"size must be at least 1 and at most 29"):
        retrieval.holdout(Problem(train_data, ratings(5)), 30)


def test_popularity_baseline_by_hand():
    train_ids = np.array([1, 1, 2, 3, 3, 3])
    np.testing.assert_array_equal(retrieval.movie_counts(train_ids, 4), [0, 2, 1, 3, 0])
    assert retrieval.popularity_ranking(train_ids, 4).tolist() == [3, 1, 2, 4, 0]
    probabilities = retrieval.movie_probabilities(train_ids, 4)
    assert probabilities.sum() == pytest.approx(1.0) and probabilities[
        3
    ] == pytest.approx(0.5)
    # Five-star test ratings: movies 3 and 1 (movie 3's 3-star and 4-star ratings do not count).
    test_ids, test_labels = np.array([3, 1, 3, 3]), np.array([1.0, 1.0, 0.5, 0.75])
    assert (
        retrieval.popularity_accuracy(train_ids, test_ids, test_labels, 4, k=1) == 0.5
    )
    assert (
        retrieval.popularity_accuracy(train_ids, test_ids, test_labels, 4, k=2) == 1.0
    )
    # Over all ratings (TensorFlow Recommenders' metric): movie 3 in the top 1 hits 3 of 4.
    everything = {"five_stars_only": False}
    assert retrieval.popularity_accuracy(
        train_ids, test_ids, test_labels, 4, k=1, **everything
    ) == pytest.approx(3 / 4)
    # Popularity comes from training only: in the test split movie 2 is the most rated, not 3.
    test_ids, test_labels = np.array([2, 2, 2, 1, 3]), np.ones(5)
    assert retrieval.popularity_accuracy(
        train_ids, test_ids, test_labels, 4, k=1
    ) == pytest.approx(1 / 5)
    assert retrieval.popularity_accuracy(
        train_ids, test_ids, test_labels, 4, k=2
    ) == pytest.approx(2 / 5)


def test_ranking_metrics_by_hand():
    inputs = {"user_id": np.array([1, 1, 2, 3]), "movie_id": np.array([1, 2, 3, 4])}
    labels = np.array([1.0, 1.0, 0.75, 1.0])  # user 2's 4-star rating is not relevant
    users = np.array([1, 2, 3])
    relevant = retrieval.relevance(inputs, labels, users, movies_count=4)
    np.testing.assert_array_equal(
        relevant, [[-1, 1, 1, 0, 0], [-1, 0, 0, 0, 0], [-1, 0, 0, 0, 1]]
    )
    # User 1 ranks movie 1 first and movie 2 last; user 3 ranks movie 4 first; user 2 has
    # no 5-star test rating and is left out.
    scores = np.array([[9, 4, 0, 3, 2], [9, 1, 2, 3, 4], [9, 0, 1, 2, 3]], "float32")
    metrics = retrieval.ranking_metrics(scores, relevant, ks=(1, 4))
    assert metrics["recall@1"] == pytest.approx((1 / 2 + 1) / 2)
    assert metrics["recall@4"] == pytest.approx(1.0)
    # NDCG@4 of user 1: hits at ranks 1 and 4, ideal at 1 and 2 (gains 2^1 - 1 = 1).
    user_1 = (1 + 1 / np.log2(5)) / (1 + 1 / np.log2(3))
    assert metrics["ndcg@4"] == pytest.approx((user_1 + 1) / 2, rel=1e-5)
    # Every rating relevant: user 2's 4-star movie 3 counts, and user 2 with it.
    every = retrieval.relevance(inputs, labels, users, 4, five_stars_only=False)
    np.testing.assert_array_equal(every[1], [-1, 0, 0, 1, 0])
    metrics = retrieval.ranking_metrics(scores, every, ks=(1,))
    # User 2 ranks movie 3 second (scores 4 > 3): no hit at 1.
    assert metrics["recall@1"] == pytest.approx((1 / 2 + 0 + 1) / 3)


def test_users_queries_take_one_row_per_user():
    inputs, _ = ratings(30)
    users, queries = retrieval.users_queries(inputs)
    assert users.tolist() == sorted(set(inputs["user_id"].tolist()))
    assert set(queries) == set(towers.QUERY_INPUTS)
    np.testing.assert_array_equal(queries["user_id"], users)


def test_recommendations_mark_hits_and_seen_movies():
    train_data, test_data = ratings(400, seed=0), ratings(100, seed=1)
    trained = towers.fit(
        lambda: model(),
        Problem(train_data, test_data),
        seed=0,
        epochs=5,
        learning_rate=0.1,
        batch_size=50,
    ).model
    table = retrieval.recommendations({"model": trained}, 2, train_data, test_data, k=2)
    assert isinstance(table, pd.DataFrame) and table.index.tolist() == [1, 2]
    # User 2 loves the even movies, rated them in training and 5 stars in the test split too.
    assert sorted(table["model"]) == ["Beta (1991) * (seen)", "Delta (1993) * (seen)"]
    assert set(table["rated 5 stars in training"]) <= {"Beta (1991)", "Delta (1993)"}
    with pytest.raises(ValueError, match="User 9 has no training ratings"):
        retrieval.recommendations({"model": trained}, 9, train_data, test_data)


def test_rows_keep_the_order():
    inputs, labels = ratings(25)
    part = retrieval.take_rows((inputs, labels), slice(20, None))
    assert (
        len(part[1]) == 5
        and part[0]["user_id"].tolist() == inputs["user_id"][20:].tolist()
    )


def test_relevance_refuses_a_test_user_without_a_row():
    """A test user missing from the scored users would take the next user's row."""
    inputs = {"user_id": np.array([1, 2, 3]), "movie_id": np.array([1, 2, 3])}
    labels = np.ones(3, dtype="float32")
    table = retrieval.relevance(inputs, labels, np.array([1, 2, 3]), movies_count=3)
    assert table[:, 1:].tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    with pytest.raises(ValueError, match="test user 2 has no row"):
        retrieval.relevance(inputs, labels, np.array([1, 3]), movies_count=3)
    with pytest.raises(ValueError, match="test user 3 has no row"):
        retrieval.relevance(inputs, labels, np.array([1, 2]), movies_count=3)
    with pytest.raises(ValueError, match="sorted and unique"):
        retrieval.relevance(inputs, labels, np.array([3, 2, 1]), movies_count=3)
