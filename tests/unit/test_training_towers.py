"""Chapter 5's code (recbook.training_towers, exported from the chapter), by hand."""

from __future__ import annotations

import math

from recbook import evidence, retrieval
from recbook import training_towers as tt

import keras
import numpy as np
import pytest


def set_tables(model: tt.DotProductModel, users: np.ndarray, movies: np.ndarray):
    model.user_embedding.embeddings.assign(users)
    model.movie_embedding.embeddings.assign(movies)


USERS = np.array([[0.0, 0.0], [1.0, 0.5], [-0.5, 2.0]], "float32")
MOVIES = np.array([[9.0, 9.0], [1.0, 0.0], [0.0, 1.0], [0.5, -1.0]], "float32")


def cross_entropy(logits: np.ndarray, positives: np.ndarray) -> float:
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_softmax[np.arange(len(positives)), positives].mean())


def loss_of(model: tt.DotProductModel, user_ids, movie_ids) -> float:
    x = {"user_id": np.array(user_ids), "movie_id": np.array(movie_ids)}
    return float(model.compute_loss(x, None, model(x)))


def test_full_softmax_loss_is_the_cross_entropy_over_every_movie():
    model = tt.DotProductModel(2, 3, "full softmax", dimension=2)
    set_tables(model, USERS, MOVIES)
    logits = USERS[[1, 2]] @ MOVIES.T
    logits[:, 0] = -1e9  # id 0 is no movie, never a candidate
    expected = cross_entropy(logits, np.array([1, 3]))
    assert loss_of(model, [1, 2], [1, 3]) == pytest.approx(expected, rel=1e-5)


def test_log_q_loss_corrects_each_candidate_and_masks_accidental_hits():
    shares = np.array([0.0, 0.5, 0.3, 0.2])
    model = tt.DotProductModel(2, 3, "log Q", shares, dimension=2)
    set_tables(model, USERS, MOVIES)
    users, movies = np.array([1, 2, 1]), np.array([1, 2, 1])
    logits = USERS[users] @ MOVIES[movies].T - np.log(shares[movies])[None, :]
    logits[0, 2] = logits[2, 0] = -1e9  # rows 0 and 2 share movie 1
    expected = cross_entropy(logits, np.arange(3))
    assert loss_of(model, users, movies) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(
    ("objective", "shares", "message"),
    [
        ("softmax", None, "Unknown objective"),
        ("log Q", None, "needed by the 'log Q'"),
        ("full softmax", np.full(4, 0.25), "needed by the 'log Q'"),
        ("log Q", np.full(3, 1 / 3), "movie_probabilities"),
    ],
)
def test_the_model_refuses_a_wrong_objective_or_shares(objective, shares, message):
    with pytest.raises(ValueError, match=message):
        tt.DotProductModel(2, 3, objective, shares, dimension=2)


def test_scores_are_the_dot_products_without_the_padding_column():
    model = tt.DotProductModel(2, 3, "full softmax", dimension=2)
    set_tables(model, USERS, MOVIES)
    scores = model.scores(np.array([2, 1]))
    expected = USERS[[2, 1]] @ MOVIES.T
    assert np.isneginf(scores[:, 0]).all()
    np.testing.assert_allclose(scores[:, 1:], expected[:, 1:], rtol=1e-6)
    with pytest.raises(ValueError, match="users"):
        model.scores(np.array([3]))


def taste_split(seed: int = 0) -> tt.Split:
    """Users 1-8 rate movies 1-6; even users the even movies, odd users the odd ones."""
    rng = np.random.default_rng(seed)
    users = rng.integers(1, 9, 600)
    movies = 2 * rng.integers(0, 3, 600) + 1 + (users % 2 == 0)
    inputs = {
        "user_id": users.astype("int32"),
        "movie_id": movies.astype("int32"),
        "timestamp": np.arange(600, dtype="int64"),
    }
    part = retrieval.take_rows((inputs, np.ones(600, "float32")), slice(0, 500))
    rest = retrieval.take_rows((inputs, np.ones(600, "float32")), slice(500, None))
    return tt.Split(part, rest)


@pytest.mark.parametrize("objective", tt.OBJECTIVES)
def test_fit_learns_the_taste(objective):
    data = taste_split()
    settings = tt.Settings(objective, 0.05, 0.01)
    model = tt.fit(data, settings, seed=0, epochs=15, batch_size=50).model
    scores = model.scores(np.array([1, 2]))
    odd, even = scores[:, [1, 3, 5]], scores[:, [2, 4, 6]]
    assert odd[0].min() > even[0].max() and even[1].min() > odd[1].max()


def test_fit_stops_once_the_holdout_stops_improving():
    data = taste_split()
    settings = tt.Settings("full softmax", 0.01, 0.1)
    flat = tt.fit(
        data, settings, 0, 30, validate=lambda m: {"a": 0.5, "b": 0.1}, patience=3
    )
    assert [len(c) for c in flat.curves.values()] == [4, 4]
    no_stop = tt.fit(data, settings, 0, 5, validate=lambda m: {"a": 0.5})
    assert len(no_stop.curves["a"]) == 5


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (tt.Settings("full softmax", 0.0, 0.1), "learning_rate"),
        (tt.Settings("full softmax", 0.01, -1.0), "weight_decay"),
        (tt.Settings("full softmax", 0.01, math.nan), "weight_decay"),
    ],
)
def test_fit_refuses_bad_settings(settings, message):
    with pytest.raises((TypeError, ValueError), match=message):
        tt.fit(taste_split(), settings, 0, 1)


def test_the_filtered_protocol_leaves_out_the_seen_movies():
    movies = 120
    scores = np.tile(np.arange(movies + 1, 0, -1, dtype=float), (1, 1))
    scores[0, 0] = -np.inf
    train = ({"user_id": np.full(100, 7), "movie_id": np.arange(1, 101)}, np.ones(100))
    test = ({"user_id": np.array([7]), "movie_id": np.array([101])}, np.array([1.0]))
    seen = tt.seen(train, np.array([7]), movies)
    assert seen.sum() == 100 and not seen[0, 101]
    users = np.array([7])
    assert tt.accuracy(scores, users, test, "tutorial", seen) == 0.0
    assert tt.accuracy(scores, users, test, "filtered", seen) == 1.0
    with pytest.raises(ValueError, match="protocol"):
        tt.accuracy(scores, users, test, "random", seen)
    with pytest.raises(ValueError, match="seen_movies"):
        tt.accuracy(scores, users, test, "filtered", seen[:, :10])


def test_the_split_in_time_holds_out_each_users_latest_fifth():
    inputs = {
        "user_id": np.array([1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]),
        "movie_id": np.array([5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        "timestamp": np.array([5, 1, 3, 2, 4, 10, 10, 9, 1, 2, 3, 4, 5, 6, 7]),
    }
    labels = np.arange(15, dtype=float)
    split = tt.temporal_split((inputs, labels))
    # User 1: the latest of 5 (time 5, movie 5); user 2: the latest 2 of 10 (time 10,
    # movies 1 and 2). Rows keep their first order.
    np.testing.assert_array_equal(split.test[0]["movie_id"], [5, 1, 2])
    np.testing.assert_array_equal(split.test[1], [0, 5, 6])
    assert len(split.train[1]) == 12
    tied = {**inputs, "timestamp": np.zeros(15, int)}
    # All at one time: the largest movie ids are the latest.
    np.testing.assert_array_equal(
        tt.temporal_split((tied, labels)).test[0]["movie_id"], [9, 9, 10]
    )


@pytest.mark.parametrize("share", [0.0, 1.0, math.nan])
def test_the_split_in_time_refuses_a_share_outside_0_1(share):
    inputs = {"user_id": np.array([1, 1]), "movie_id": np.array([1, 2])}
    inputs["timestamp"] = np.array([1, 2])
    with pytest.raises((TypeError, ValueError), match="share"):
        tt.temporal_split((inputs, np.ones(2)), share)


def test_the_split_in_time_names_a_user_with_one_rating():
    inputs = {
        "user_id": np.array([1, 1, 4]),
        "movie_id": np.array([1, 2, 3]),
        "timestamp": np.array([1, 2, 3]),
    }
    with pytest.raises(ValueError, match="user 4 has one rating"):
        tt.temporal_split((inputs, np.ones(3)))


def ials_loss_gradient(matrix, users, movies, unobserved, l2):
    """The gradient of iALS's loss with respect to the movie vectors, written out."""
    scores = users @ movies.T
    residual = matrix * (scores - 1.0) + unobserved * scores
    per_movie = matrix.sum(axis=0) + unobserved * len(users)
    return 2 * residual.T @ users + 2 * l2 * per_movie[:, None] * movies


def test_ials_ends_each_sweep_at_the_movies_exact_minimum():
    rng = np.random.default_rng(3)
    matrix = (rng.random((12, 9)) < 0.3).astype(float)
    users, movies = tt.ials_factors(matrix, 0.1, 0.05, dimension=4, sweeps=3)
    gradient = ials_loss_gradient(matrix, users, movies, 0.1, 0.05)
    assert np.abs(gradient).max() < 1e-10
    # A one-line mistake in the system (another weight) moves it off that minimum.
    wrong = ials_loss_gradient(matrix, users, movies, 0.1, 0.06)
    assert np.abs(wrong).max() > 1e-4


def test_ials_fits_the_rated_pairs_when_barely_regularised():
    matrix = np.eye(6)
    scores = tt.ials_scores(matrix, 1e-3, 1e-4, dimension=6, sweeps=20)
    assert np.isneginf(scores[:, 0]).all()
    assert np.diag(scores)[1:] == pytest.approx(1.0, abs=0.02)


def test_popularity_scores_rank_as_the_popularity_ranking():
    rng = np.random.default_rng(0)
    movie_ids = rng.integers(1, 30, 400)
    matrix = np.zeros((1, 30))
    np.add.at(matrix[0], movie_ids, 1.0)
    order = np.argsort(-tt.popularity_scores(matrix)[0], kind="stable")
    expected = retrieval.popularity_ranking(movie_ids, 29)
    np.testing.assert_array_equal(order[:29], expected[:29])


def test_edges_name_the_settings_on_the_ends_of_their_grid():
    grid = [{"a": a, "b": b, "c": 1} for a in (1, 2, 3) for b in (10, 20)]
    assert tt.edges({"a": 2, "b": 20, "c": 1}, grid) == ["b"]
    assert tt.edges({"a": 1, "b": 10, "c": 1}, grid) == ["a", "b"]
    assert tt.edges({"a": 2, "b": 15, "c": 1}, grid) == []


def test_versus_uses_the_seeds_and_the_paired_bootstrap():
    towers = np.array([[1, 1, 0, 1.0], [1, 0, 0, 1.0], [1, 1, 1, 1.0]])
    other = np.array([[0, 1, 0, 1.0]])
    rows = np.array([0, 0, 1, 2])
    comparison = tt.versus(towers, other, rows)
    accuracies = towers.mean(axis=1)
    assert comparison.difference == pytest.approx(accuracies.mean() - 0.5)
    test_error = evidence.paired_bootstrap(towers.mean(axis=0), other[0], rows)
    expected = math.sqrt(accuracies.std(ddof=1) ** 2 / 3 + test_error**2)
    assert comparison.standard_error == pytest.approx(expected)
    assert comparison.seeds == (3, 1)


def test_against_classical_marks_the_best_classical_model_per_protocol_and_metric():
    rows = np.arange(4)
    towers = np.array([[1, 1, 1, 0.0], [1, 1, 1, 1.0]])

    def found(hits):
        return {m: (np.atleast_2d(np.array(hits, float)), rows) for m in tt.METRICS}

    results = {
        "tutorial": {
            "towers": {m: (towers, rows) for m in tt.METRICS},
            "EASE": found([1, 0, 1, 0]),
            "iALS": found([1, 1, 0, 0]) | {"accuracy_all": (np.ones((1, 4)), rows)},
        }
    }
    table = tt.against_classical(results)
    assert [(r["metric"], r["classical model"], r["best"]) for r in table] == [
        ("accuracy", "EASE", True),
        ("accuracy", "iALS", False),
        ("accuracy_all", "EASE", False),
        ("accuracy_all", "iALS", True),
    ]
    assert table[0]["difference"] == pytest.approx(0.875 - 0.5)
    assert table[3]["verdict"] in ("iALS better", "within the noise")
    assert tt.verdicts(table) == [
        {
            "towers against": "EASE",
            "tutorial, 5-star": table[0]["verdict"],
            "tutorial, all": table[2]["verdict"],
        },
        {
            "towers against": "iALS",
            "tutorial, 5-star": table[1]["verdict"],
            "tutorial, all": table[3]["verdict"],
        },
    ]
    assert tt.accuracy_table(results)[0] == {
        "model": "towers",
        "seeds": 2,
        "tutorial, accuracy": 0.875,
        "tutorial, accuracy_all": 0.875,
    }


def test_a_diverging_fit_is_refused_by_name():
    settings = tt.Settings("full softmax", 1e30, 0.1)
    with pytest.raises(Exception, match="DotProductModel"):
        tt.fit(taste_split(), settings, 0, 2, batch_size=50)
    keras.backend.clear_session()


def test_positives_weighted_by_stars_scale_each_rating_loss():
    model = tt.DotProductModel(2, 3, "full softmax", dimension=2)
    set_tables(model, USERS, MOVIES)
    x = {"user_id": np.array([1, 2]), "movie_id": np.array([1, 3])}
    logits = USERS[[1, 2]] @ MOVIES.T
    logits[:, 0] = -1e9
    shifted = logits - logits.max(axis=1, keepdims=True)
    each = -(shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))[
        [0, 1], [1, 3]
    ]
    weights = np.array([1.0, 0.2], "float32")
    loss = float(model.compute_loss(x, None, model(x), sample_weight=weights))
    assert loss == pytest.approx(float((each * weights).mean()), rel=1e-5)


def test_fit_weights_the_positives_by_their_stars():
    # User 1 rates the odd movies 5 stars and the even ones 1 star, as often: with
    # equal positives the two halves are alike; by stars, the odd movies lead.
    rng = np.random.default_rng(0)
    movies = rng.integers(1, 7, 600)
    inputs = {
        "user_id": np.ones(600, "int32"),
        "movie_id": movies.astype("int32"),
        "timestamp": np.arange(600, dtype="int64"),
    }
    labels = np.where(movies % 2 == 1, 1.0, 0.0).astype("float32")  # 5 or 1 star
    data = tt.Split((inputs, labels), (inputs, labels))

    def lead(positives: str) -> float:
        settings = tt.Settings("full softmax", 0.05, 0.01, positives)
        scores = tt.fit(data, settings, seed=0, epochs=5, batch_size=50).model.scores(
            np.array([1])
        )[0]
        return scores[[1, 3, 5]].mean() - scores[[2, 4, 6]].mean()

    assert abs(lead("equal")) < 0.5 < lead("by stars")
    with pytest.raises(ValueError, match="positives"):
        tt.fit(data, tt.Settings("full softmax", 0.05, 0.01, "squared"), 0, 1)


def test_settings_of_a_tuning_row():
    row = {"objective": "log Q", "learning_rate": 0.01, "weight_decay": 1.0}
    row |= {"positives": "by stars", "protocol": "filtered", "accuracy": 0.7}
    settings = tt.Settings.of(row)
    assert settings == tt.Settings("log Q", 0.01, 1.0, "by stars")
    assert str(settings).endswith("positives weighted by stars")


def test_setting_text_names_each_setting_by_its_symbol():
    setting = {"unobserved": 0.1, "l2": 3200.0, "sweeps": 12}
    assert tt.setting_text(setting) == "α₀ = 0.1, λ = 3,200"
    assert tt.setting_text({"neighbours": 200}) == "k = 200"
    assert tt.setting_text(dict.fromkeys(["unobserved"])) == "α₀"
    assert tt.setting_text({}) == ""


def test_settings_rows_say_each_choice_in_words_with_its_edges():
    grids = {
        "iALS": [{"unobserved": a, "l2": b} for a in (0.1, 0.3) for b in (1, 2, 3)]
    }
    chosen = [
        {"protocol": "filtered", "model": "iALS", "accuracy": 0.7}
        | {"setting": {"unobserved": 0.3, "l2": 2}}
    ]
    assert tt.settings_rows(chosen, grids) == [
        {
            "protocol": "filtered",
            "model": "iALS",
            "setting": "α₀ = 0.3, λ = 2",
            "accuracy": 0.7,
            "edge": "α₀",
        }
    ]
