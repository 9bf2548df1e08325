"""recbook.baselines: the models that set the zero, against hand computations."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

from recbook import baselines, retrieval, towers
from recbook.memory_efficient import BiasModel, fit_biases

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
    model = fit_biases(users, movies, ratings, 5, 4, l2=2.0, iterations=300)
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
    model = BiasModel(4.5, np.array([1.0, -5.0]), np.array([0.0]), 1.0)
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
        fit_biases(ids, ids, np.array([1.0, 2.0]), 2, 2, l2=0.0)
    with pytest.raises(ValueError, match="at least one training rating"):
        fit_biases(ids[:0], ids[:0], np.array([]), 2, 2, l2=1.0)
    with pytest.raises(ValueError, match=r"movies must lie in \[0, 0\] \(num_movies\)"):
        fit_biases(ids, ids, np.array([1.0, 2.0]), 2, 1, l2=1.0)


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


# --- refusals of the rating-prediction helpers ---------------------------------


def test_rating_metrics_refuses_a_mask_that_is_not_boolean():
    predictions, ratings = np.array([3.0, 4.0, 2.0, 5.0]), np.full(4, 4.0)
    # A 0/1 mask would index rows [1, 0, 1, 0] instead of marking rows 0 and 2.
    with pytest.raises(TypeError, match="in_test must be a boolean mask.*int64"):
        baselines.rating_metrics(predictions, ratings, np.array([1, 0, 1, 0]))
    with pytest.raises(TypeError, match="in_test must be a boolean mask.*object"):
        baselines.rating_metrics(predictions, ratings, None)
    with pytest.raises(ValueError, match="in_test must mark rows of both halves"):
        baselines.rating_metrics(predictions, ratings, np.ones(4, dtype=bool))
    with pytest.raises(ValueError, match="it marks 0 of 0 rows"):
        baselines.rating_metrics(np.array([]), np.array([]), np.array([], dtype=bool))


def test_rating_metrics_refuses_mismatched_or_missing_values():
    in_test = np.array([True, False, True, False])
    with pytest.raises(ValueError, match=r"predictions, ratings, in_test must be 1-D"):
        baselines.rating_metrics(np.ones(3), np.ones(4), in_test)
    with pytest.raises(
        ValueError, match=r"ratings must be finite; ratings\[2\] is nan"
    ):
        baselines.rating_metrics(np.ones(4), np.array([4, 4, np.nan, 4]), in_test)
    with pytest.raises(ValueError, match=r"predictions\[0\] is inf"):
        baselines.rating_metrics(np.array([np.inf, 1, 1, 1]), np.ones(4), in_test)


def test_bias_predictions_refuse_ids_the_model_was_not_fitted_on():
    model = BiasModel(4.0, np.array([1.0, -1.0]), np.array([0.0, 0.5]), 1.0)
    assert model.predict(1, 1) == pytest.approx(3.5)  # scalars as well as arrays
    # -1 would wrap round to the last user; 2 is no user at all.
    with pytest.raises(ValueError, match=r"users must lie in \[0, 1\].*got id -1"):
        model.predict(-1, 0)
    with pytest.raises(ValueError, match=r"movies must lie in \[0, 1\].*got id 2"):
        model.predict(np.array([0, 1]), np.array([0, 2]))
    with pytest.raises(TypeError, match="users must be integer ids; got dtype float64"):
        model.predict(np.array([0.0, 1.0]), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"same shape.*\(2,\) and \(3,\)"):
        model.predict(np.array([0, 1]), np.array([0, 1, 1]))


def test_bias_fit_refuses_missing_ratings_and_mismatched_rows():
    ids = np.array([0, 1, 1])
    with pytest.raises(
        ValueError, match=r"ratings must be finite; ratings\[1\] is nan"
    ):
        fit_biases(ids, ids, np.array([4.0, np.nan, 3.0]), 2, 2, l2=1.0)
    with pytest.raises(ValueError, match=r"users, movies, ratings must be 1-D arrays"):
        fit_biases(ids, ids[:2], np.array([4.0, 5.0, 3.0]), 2, 2, l2=1.0)
    with pytest.raises(TypeError, match="movies must be integer ids; got dtype float"):
        fit_biases(ids, ids * 1.0, np.array([4.0, 5.0, 3.0]), 2, 2, l2=1.0)
    with pytest.raises(ValueError, match=r"users must lie in \[0, 1\].*got id -1"):
        fit_biases(ids - 1, ids, np.array([4.0, 5.0, 3.0]), 2, 2, l2=1.0)
    with pytest.raises(TypeError, match="num_users must be a whole number"):
        fit_biases(ids, ids, np.array([4.0, 5.0, 3.0]), 2.0, 2, l2=1.0)


def rating_data(test_ratings, train_ratings=(5.0, 5.0, 1.0, 1.0)) -> SimpleNamespace:
    """Users 0 and 1 rate movies 0 and 1 ``train_ratings`` (user 0 first). Validation:
    user 1 rates movie 0 1 star (the selection half), user 0 rates movies 0 and 1
    ``test_ratings`` (the test half)."""
    train = {
        "user": np.array([0, 0, 1, 1]),
        "movie": np.array([0, 1, 0, 1]),
        "rating": np.array(train_ratings),
    }
    val = {
        "user": np.array([1, 0, 0]),
        "movie": np.array([0, 0, 1]),
        "rating": np.array([1.0, *test_ratings]),
    }
    in_test = np.array([False, True, True])
    return SimpleNamespace(
        train=train, val=val, num_users=2, num_movies=2, in_test=in_test
    )


def test_bias_regularization_is_chosen_on_the_selection_half_only():
    # The selection half agrees with the training ratings: weak regularization fits
    # it (error about 0), strong shrinks every prediction to about 3 (error about 2).
    clean, _ = baselines.bias_model(rating_data((5.0, 5.0)), grid=(0.01, 100.0))
    # Planted test-half figures: user 0 now rates 1 star, so on the test half (and on
    # the whole validation split, 2 of its 3 rows) the strong regularization wins:
    # errors about 2 instead of 4. Chosen there, it would be 100.
    chosen, tried = baselines.bias_model(rating_data((1.0, 1.0)), grid=(0.01, 100.0))
    assert clean["l2"] == chosen["l2"] == 0.01
    assert tried[1]["selection_mae"] > 1.9 > 0.02 > tried[0]["selection_mae"]
    assert clean["selection_mae"] == chosen["selection_mae"]
    # ... and it is reported honestly on the test half it was not chosen on.
    assert chosen["test_mae"] > 3.9 and clean["test_mae"] < 0.02
    assert chosen["mae"] == pytest.approx(
        (2 * chosen["test_mae"] + tried[0]["selection_mae"]) / 3
    )


def test_bias_model_and_global_mean_name_the_bad_part_of_the_data():
    data = rating_data((5.0, 5.0))
    data.val["movie"] = np.array([0, 0, 2])
    with pytest.raises(ValueError, match=r"data.val\['movie'\] must lie in \[0, 1\]"):
        baselines.bias_model(data)
    data = rating_data((5.0, 5.0), train_ratings=(5.0, np.nan, 1.0, 1.0))
    with pytest.raises(ValueError, match=r"data.train\['rating'\] must be finite"):
        baselines.global_mean(data)
    with pytest.raises(ValueError, match=r"ratings\[1\] is nan"):
        baselines.bias_model(data)
    data = rating_data((5.0, 5.0))
    data.in_test = data.in_test.astype(int)
    with pytest.raises(TypeError, match="in_test must be a boolean mask"):
        baselines.global_mean(data)


# --- item-item neighbours: k, not k + 1 ----------------------------------------


def test_item_knn_keeps_exactly_k_neighbours():
    # Movies 1 and 2 are rated by users 0 and 1, movie 3 by users 1 and 2: cosine
    # similarities s12 = 2 / 2 = 1, s13 = s23 = 1 / 2 (no tie for movies 1 and 2).
    x = np.array([[0, 1, 1, 0], [0, 1, 1, 1], [0, 0, 0, 1]], dtype=float)
    one = baselines.item_knn_scores(x.copy(), neighbours=1)
    # k = 1: movie 1 keeps movie 2 only, movie 2 keeps movie 1 only, movie 3 keeps
    # both (a tie at 1 / 2). User 2 (movie 3 only) then scores movies 1 and 2 by
    # nothing: 0. Keeping k + 1 = 2 neighbours would give them 1 / 2.
    np.testing.assert_allclose(one[:, 1:], [[1, 1, 1], [1, 1, 1], [0, 0, 0]])
    two = baselines.item_knn_scores(x.copy(), neighbours=2)
    np.testing.assert_allclose(two[:, 1:], [[1, 1, 1], [1.5, 1.5, 1], [0.5, 0.5, 0]])


# --- retrieval: a scorer meets a test set --------------------------------------


SCORES = np.array([[-np.inf, 0.9, 0.5, 0.5, 0.1], [-np.inf, 0.0, 0.2, 0.3, 0.9]])
"""Scores of users 10 and 20 (top 2: movies 1, 2 and movies 4, 3)."""


def test_top_k_accuracy_refuses_a_test_user_without_scores():
    # User 15 sorts between 10 and 20: read by position, it would get user 20's row.
    inputs = {"user_id": np.array([10, 15]), "movie_id": np.array([1, 4])}
    with pytest.raises(ValueError, match="holds user 15, who has no row of scores"):
        baselines.top_k_accuracy(SCORES, np.array([10, 20]), inputs, np.ones(2), k=2)
    # ... also when the user's only rating is not counted (not 5 stars).
    labels = np.array([1.0, 0.5])
    with pytest.raises(ValueError, match="holds user 15"):
        baselines.top_k_accuracy(SCORES, np.array([10, 20]), inputs, labels, k=2)
    inputs = {"user_id": np.array([10, 30]), "movie_id": np.array([1, 4])}
    with pytest.raises(ValueError, match="holds user 30"):
        baselines.top_k_accuracy(SCORES, np.array([10, 20]), inputs, np.ones(2), k=2)


def test_top_k_accuracy_refuses_a_test_set_with_nothing_to_count():
    users = np.array([10, 20])
    empty = {"user_id": np.array([], "int32"), "movie_id": np.array([], "int32")}
    with pytest.raises(ValueError, match="labels hold no 5-star rating.*among 0"):
        baselines.top_k_accuracy(SCORES, users, empty, np.array([]), k=2)
    with pytest.raises(ValueError, match="labels hold no rating among 0"):
        baselines.top_k_accuracy(
            SCORES, users, empty, np.array([]), k=2, five_stars_only=False
        )
    inputs = {"user_id": np.array([10, 20]), "movie_id": np.array([2, 4])}
    three_stars = np.array([0.5, 0.75])
    with pytest.raises(ValueError, match=r"no 5-star rating \(above 0.9\) among 2"):
        baselines.top_k_accuracy(SCORES, users, inputs, three_stars, k=2)
    # Counting every rating, the same test set has an accuracy: both hit.
    assert baselines.top_k_accuracy(
        SCORES, users, inputs, three_stars, k=2, five_stars_only=False
    ) == pytest.approx(1.0)


def test_top_k_accuracy_refuses_inconsistent_arrays():
    users = np.array([10, 20])
    inputs = {"user_id": np.array([10, 20]), "movie_id": np.array([2, 4])}
    with pytest.raises(ValueError, match=r"labels must be 1-D arrays of equal length"):
        baselines.top_k_accuracy(SCORES, users, inputs, np.ones(3), k=2)
    with pytest.raises(
        ValueError, match=r"scores must have one row per user.*\(1, 5\)"
    ):
        baselines.top_k_accuracy(SCORES[:1], users, inputs, np.ones(2), k=2)
    with pytest.raises(ValueError, match=r"users\[1\] = 10 follows users\[0\] = 20"):
        baselines.top_k_accuracy(SCORES, users[::-1], inputs, np.ones(2), k=2)
    with pytest.raises(ValueError, match=r"inputs\['movie_id'\] must lie in \[0, 4\]"):
        baselines.top_k_accuracy(
            SCORES, users, inputs | {"movie_id": np.array([2, 5])}, np.ones(2), k=2
        )
    with pytest.raises(TypeError, match=r"inputs\['user_id'\] must be integer ids"):
        baselines.top_k_accuracy(
            SCORES, users, inputs | {"user_id": np.array([10.0, 20.0])}, np.ones(2)
        )
    with pytest.raises(ValueError, match=r"labels\[1\] is nan"):
        baselines.top_k_accuracy(SCORES, users, inputs, np.array([1, np.nan]), k=2)
    with pytest.raises(ValueError, match="inputs must hold.*'movie_id' missing"):
        baselines.top_k_accuracy(SCORES, users, {"user_id": users}, np.ones(2), k=2)


def test_interactions_refuses_users_it_cannot_place():
    user_ids, movie_ids = np.array([2, 1, 2, 3]), np.array([1, 1, 3, 2])
    # Unsorted, the search would find only user 1's rating and drop the other three.
    with pytest.raises(ValueError, match=r"ascending order.*users\[1\] = 2 follows"):
        baselines.interactions(user_ids, movie_ids, np.array([3, 2, 1]), 3)
    with pytest.raises(ValueError, match=r"distinct.*users\[1\] = 2 follows"):
        baselines.interactions(user_ids, movie_ids, np.array([2, 2, 3]), 3)
    with pytest.raises(ValueError, match="users must be a 1-D array of at least one"):
        baselines.interactions(user_ids, movie_ids, np.array([], "int64"), 3)
    with pytest.raises(ValueError, match=r"movie_ids must lie in \[0, 2\]"):
        baselines.interactions(user_ids, movie_ids, np.array([1, 2, 3]), 2)
    with pytest.raises(ValueError, match="user_ids, movie_ids must be 1-D arrays"):
        baselines.interactions(user_ids, movie_ids[:3], np.array([1, 2, 3]), 3)
    with pytest.raises(TypeError, match="user_ids must be integer ids"):
        baselines.interactions(user_ids * 1.0, movie_ids, np.array([1, 2, 3]), 3)
    matrix = baselines.interactions(user_ids, movie_ids, np.array([1, 2, 3]), 3)
    np.testing.assert_array_equal(matrix, [[0, 1, 0, 0], [0, 1, 0, 1], [0, 0, 1, 0]])


def test_choose_setting_refuses_unknown_baselines_and_empty_holdouts():
    with pytest.raises(ValueError, match="Unknown baseline 'svd'"):
        baselines.choose_setting("svd", None, 3)
    inputs = {"user_id": np.array([1]), "movie_id": np.array([1])}
    holdout = SimpleNamespace(
        train=(inputs, np.ones(1)), test=(inputs, np.array([0.5]))
    )
    with pytest.raises(ValueError, match="labels hold no 5-star rating"):
        baselines.choose_setting("EASE", holdout, 3)


# --- retrieval: settings are chosen on the holdout, never on the test split -----


@dataclasses.dataclass(frozen=True)
class Problem:
    """The two parts of a retrieval problem that :func:`retrieval.holdout` splits."""

    train: tuple
    test: tuple


MOVIES = 120
"""Movie ids 1 to 120: enough for the top-100 metric to leave some out."""


def rows(users, movies) -> tuple[dict, np.ndarray]:
    """5-star ratings with the query features ``users_queries`` reads (all 0 but the id)."""
    users = np.asarray(users, "int32")
    inputs = {name: np.zeros_like(users) for name in towers.QUERY_INPUTS}
    inputs |= {"user_id": users, "movie_id": np.asarray(movies, "int32")}
    return inputs, np.ones(len(users), "float32")


def only_in_first(name, first, second, train, users) -> tuple[list, list]:
    """One (user, movie) pair per user whose movie is in the top 100 of setting
    ``first`` and not of ``second``."""
    tops = [
        baselines.top_k(
            baselines.retrieval_scores(name, setting, train, users, MOVIES), 100
        )
        for setting in (first, second)
    ]
    pairs = [
        (user, min(set(a) - set(b)))
        for user, a, b in zip(users, *tops)
        if set(a) - set(b)
    ]
    assert len(pairs) >= 5  # the two settings disagree for enough users
    return [user for user, _ in pairs], [movie for _, movie in pairs]


def _concat(*parts: tuple[dict, np.ndarray]) -> tuple[dict, np.ndarray]:
    """The rows of ``parts`` one after the other."""
    inputs = {name: np.concatenate([p[0][name] for p in parts]) for name in parts[0][0]}
    return inputs, np.concatenate([p[1] for p in parts])


@pytest.mark.parametrize(
    "name, grid", [("item-item", (1, 60)), ("EASE", (1.0, 3000.0))]
)
def test_choose_setting_reads_the_holdout_and_ignores_the_test_split(
    name, grid, monkeypatch
):
    scorer, setting_name, _ = baselines.RETRIEVAL_BASELINES[name]
    monkeypatch.setitem(
        baselines.RETRIEVAL_BASELINES, name, (scorer, setting_name, grid)
    )
    rng = np.random.default_rng(0)
    users = np.arange(1, 41)
    train = rows(np.repeat(users, 25), rng.integers(1, MOVIES + 1, 40 * 25))
    # Held-out rows that only the first setting ranks in the top 100, a test split
    # that only the second does.
    held_out = rows(*only_in_first(name, *grid, train, users))
    corrupted = rows(*only_in_first(name, *grid[::-1], train, users))
    size = len(train[1])
    problem = Problem(train=_concat(train, held_out), test=held_out)
    # Chosen on the corrupted rows, the second setting would win ...
    leaked, _ = baselines.choose_setting(name, Problem(train, corrupted), MOVIES)
    assert leaked == grid[1]
    # ... but the holdout never sees the test split: the choice does not move.
    clean, clean_tried = baselines.choose_setting(
        name, retrieval.holdout(problem, size), MOVIES
    )
    problem = dataclasses.replace(problem, test=corrupted)
    chosen, tried = baselines.choose_setting(
        name, retrieval.holdout(problem, size), MOVIES
    )
    assert clean == chosen == grid[0]
    assert tried == clean_tried
    assert [row["validation top-100"] for row in tried] == [1.0, 0.0]


def test_top_k_hits_are_per_counted_rating_with_the_users_row():
    scores = np.array([[-np.inf, 3.0, 2.0, 1.0], [-np.inf, 1.0, 2.0, 3.0]])
    inputs = {"user_id": np.array([7, 9, 9, 7]), "movie_id": np.array([1, 1, 3, 3])}
    labels = np.array([1.0, 1.0, 1.0, 0.5])
    hits, rows = baselines.top_k_hits(scores, np.array([7, 9]), inputs, labels, k=1)
    np.testing.assert_array_equal(hits, [True, False, True])
    np.testing.assert_array_equal(rows, [0, 1, 1])
    hits_all, _ = baselines.top_k_hits(
        scores, np.array([7, 9]), inputs, labels, k=1, five_stars_only=False
    )
    assert len(hits_all) == 4 and hits_all.mean() == baselines.top_k_accuracy(
        scores, np.array([7, 9]), inputs, labels, k=1, five_stars_only=False
    )


def test_retrieval_baselines_score_the_test_split_with_settings_from_the_holdout(
    monkeypatch,
):
    for name, grid in (("item-item", (1, 60)), ("EASE", (1.0, 3000.0))):
        scorer, setting_name, _ = baselines.RETRIEVAL_BASELINES[name]
        monkeypatch.setitem(
            baselines.RETRIEVAL_BASELINES, name, (scorer, setting_name, grid)
        )
    rng = np.random.default_rng(1)
    users = np.arange(1, 41)
    # Every training rating on movies 1 to 100: popularity's top 100 is exactly those.
    train = rows(np.repeat(users, 25), rng.integers(1, 101, 40 * 25))
    # Test: user 40 (the last 25 training rows, not the holdout's) rates movie 5 (a hit)
    # and 110 (a miss) 5 stars, movie 7 three.
    inputs, labels = rows([40, 40, 40], [5, 110, 7])
    labels[2] = 0.5
    problem = SimpleNamespace(
        train=train,
        test=(inputs, labels),
        candidates=SimpleNamespace(movies_count=MOVIES),
    )
    holdout = retrieval.holdout(
        Problem(train=_concat(train, rows(users, users + 10)), test=None), 900
    )
    found = baselines.retrieval_baselines(problem, holdout)
    assert found.popularity == {"accuracy": 0.5, "accuracy_all": 2 / 3}
    assert (
        set(found.classical)
        == set(found.tried)
        == set(found.scores)
        == {
            "item-item",
            "EASE",
        }
    )
    for name, figures in found.classical.items():
        setting, tried = baselines.choose_setting(name, holdout, MOVIES)
        assert found.tried[name] == tried and figures["setting"] == setting
        # Scored with the chosen setting, fitted on the whole training split.
        scores = baselines.retrieval_scores(
            name, setting, train, np.array([40]), MOVIES
        )
        np.testing.assert_array_equal(found.scores[name], scores)
        assert figures["accuracy"] == baselines.top_k_accuracy(
            scores, np.array([40]), inputs, labels
        )
        assert figures["accuracy_all"] == baselines.top_k_accuracy(
            scores, np.array([40]), inputs, labels, five_stars_only=False
        )
    best = max(
        {"popularity": found.popularity, **found.classical}.items(),
        key=lambda item: item[1]["accuracy"],
    )
    assert found.best() == (best[0], best[1]["accuracy"])
