"""recbook.baselines: the models that set the zero, against hand computations."""

from __future__ import annotations

from types import SimpleNamespace

from recbook import baselines

import numpy as np
import pytest


def test_rating_metrics_by_hand():
    predictions = np.array([3.0, 4.0, 2.0, 5.0])
    ratings = np.array([4.0, 4.0, 4.0, 4.0])
    in_test = np.array([True, False, True, False])
    metrics = baselines.rating_metrics(predictions, ratings, in_test)
    # errors -1, 0, -2, 1
    assert metrics["mae"] == pytest.approx(1.0)
    assert metrics["rmse"] == pytest.approx((6 / 4) ** 0.5)
    assert metrics["test_mae"] == pytest.approx(1.5)
    assert metrics["test_rmse"] == pytest.approx((5 / 2) ** 0.5)
    assert metrics["selection_mae"] == pytest.approx(0.5)
    assert metrics["selection_rmse"] == pytest.approx((1 / 2) ** 0.5)
    assert tuple(metrics) == baselines.RATING_METRICS


def test_biases_solve_the_regularized_least_squares_problem():
    rng = np.random.default_rng(0)
    users = rng.integers(0, 5, 60)
    movies = rng.integers(0, 4, 60)
    ratings = rng.integers(1, 6, 60).astype(float)
    model = baselines.fit_biases(users, movies, ratings, 5, 4, l2=2.0, iterations=300)
    # The same problem solved directly: [U M] b = r - mean, ridge with l2 = 2.
    design = np.zeros((60, 9))
    design[np.arange(60), users] = 1
    design[np.arange(60), 5 + movies] = 1
    target = ratings - ratings.mean()
    direct = np.linalg.solve(design.T @ design + 2.0 * np.eye(9), design.T @ target)
    assert model.mean == pytest.approx(ratings.mean())
    np.testing.assert_allclose(model.user_bias, direct[:5], atol=1e-8)
    np.testing.assert_allclose(model.movie_bias, direct[5:], atol=1e-8)
    assert model.params == 1 + 5 + 4


def test_bias_predictions_are_clipped_to_the_stars():
    model = baselines.BiasModel(4.5, np.array([1.0, -5.0]), np.array([0.0]), 1.0)
    np.testing.assert_allclose(
        model.predict(np.array([0, 1]), np.array([0, 0])), [5, 1]
    )


def test_bias_model_chooses_on_the_selection_half():
    # Users 0 and 1 rate 5 and 1; movie bias none. Validation rows: half each.
    train = {
        "user": np.array([0, 0, 1, 1]),
        "movie": np.array([0, 1, 0, 1]),
        "rating": np.array([5.0, 5.0, 1.0, 1.0]),
    }
    val = {
        "user": np.array([0, 1]),
        "movie": np.array([0, 0]),
        "rating": np.array([5.0, 1.0]),
    }
    data = SimpleNamespace(
        train=train, val=val, num_users=2, num_movies=2, in_test=np.array([True, False])
    )
    chosen, tried = baselines.bias_model(data, grid=(0.01, 100.0))
    # Weak regularization recovers b_u = +-2 exactly enough; strong shrinks to the mean.
    assert chosen["l2"] == 0.01 and [row["l2"] for row in tried] == [0.01, 100.0]
    assert chosen["mae"] < 0.02 and tried[1]["selection_mae"] > 1.9
    mean = baselines.global_mean(data)
    assert mean["params"] == 1 and mean["mae"] == pytest.approx(2.0)


def test_bias_fit_refuses_bad_input():
    ids = np.array([0, 1])
    with pytest.raises(ValueError, match="l2 must be a finite number greater than 0"):
        baselines.fit_biases(ids, ids, np.array([1.0, 2.0]), 2, 2, l2=0.0)
    with pytest.raises(ValueError, match="at least one training rating"):
        baselines.fit_biases(ids[:0], ids[:0], np.array([]), 2, 2, l2=1.0)
    with pytest.raises(ValueError, match=r"movies ids must lie in \[0, 1\)"):
        baselines.fit_biases(ids, ids, np.array([1.0, 2.0]), 2, 1, l2=1.0)


def test_gain_share_by_hand():
    assert baselines.gain_share(0.70, 0.72, 0.68) == pytest.approx(0.5)
    assert baselines.gain_share(0.68, 0.72, 0.68) == pytest.approx(1.0)
    assert baselines.gain_share(0.73, 0.72, 0.68) == pytest.approx(-0.25)
    with pytest.raises(ValueError, match="no gain to share"):
        baselines.gain_share(0.7, 0.68, 0.68)


X = np.array(
    [
        [0, 1, 1, 0, 0],
        [0, 1, 0, 1, 0],
        [0, 0, 1, 1, 1],
        [0, 1, 1, 1, 0],
    ],
    dtype=float,
)
"""Four users, movie ids 1 to 4 (column 0 is no movie)."""


def test_ease_is_a_ridge_regression_of_each_movie_on_the_others():
    l2 = 0.5
    scores = baselines.ease_scores(X.copy(), l2)
    # Column j of B: ridge regression of X[:, j] on the other columns.
    weights = np.zeros((5, 5))
    for j in range(5):
        others = [k for k in range(5) if k != j]
        xo = X[:, others]
        weights[others, j] = np.linalg.solve(xo.T @ xo + l2 * np.eye(4), xo.T @ X[:, j])
    expected = X @ weights
    np.testing.assert_allclose(scores[:, 1:], expected[:, 1:], atol=1e-10)
    assert np.all(scores[:, 0] == -np.inf)


def test_item_knn_keeps_the_most_similar_movies():
    scores = baselines.item_knn_scores(X.copy(), neighbours=4)
    counts = X.sum(axis=0)
    norms = np.sqrt(np.where(counts == 0, 1, counts))
    similarity = (X.T @ X) / np.outer(norms, norms)
    np.fill_diagonal(similarity, 0)
    np.testing.assert_allclose(scores[:, 1:], (X @ similarity)[:, 1:])
    # One neighbour: movie 2 is most similar to movies 1 and 3 (2 / 3 each, a tie, both
    # kept) and less to movie 4 (1 / sqrt(3)), which is dropped. User 2 (movies 2, 3
    # and 4) then scores movie 2 by movie 3 alone, instead of 2 / 3 + 1 / sqrt(3).
    one = baselines.item_knn_scores(X.copy(), neighbours=1)
    assert scores[2, 2] == pytest.approx(2 / 3 + 1 / 3**0.5)
    assert one[2, 2] == pytest.approx(2 / 3)
    assert one[2, 4] == pytest.approx(2 / 3**0.5)  # ties at the cut are all kept


def test_top_k_accuracy_counts_test_ratings_in_the_top_k():
    scores = np.array(
        [
            [
                -np.inf,
                0.9,
                0.5,
                0.5,
                0.1,
            ],  # user 10: top 2 = 1, then 2 (tie: smaller id)
            [-np.inf, 0.0, 0.2, 0.3, 0.9],  # user 20: top 2 = 4, 3
        ]
    )
    users = np.array([10, 20])
    inputs = {"user_id": np.array([10, 10, 20, 20]), "movie_id": np.array([2, 3, 3, 1])}
    labels = np.array([1.0, 1.0, 0.5, 1.0])  # 5-star: all but the third
    np.testing.assert_array_equal(baselines.top_k(scores, 2), [[1, 2], [4, 3]])
    assert baselines.top_k_accuracy(
        scores, users, inputs, labels, k=2
    ) == pytest.approx(1 / 3)
    assert baselines.top_k_accuracy(
        scores, users, inputs, labels, k=2, five_stars_only=False
    ) == pytest.approx(2 / 4)
    with pytest.raises(ValueError, match="k must be at least 1 and at most 4"):
        baselines.top_k(scores, 5)


def test_interactions_and_choosing_a_setting():
    users = np.array([1, 2])
    matrix = baselines.interactions(
        np.array([1, 2, 2, 9]), np.array([1, 1, 3, 2]), users, 3
    )
    np.testing.assert_array_equal(matrix, [[0, 1, 0, 0], [0, 1, 0, 1]])
    with pytest.raises(ValueError, match="Unknown baseline 'svd'"):
        baselines.retrieval_scores("svd", 1, ({}, None), users, 3)
