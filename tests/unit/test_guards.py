"""recbook.guards and the public fits: no figure from a broken model, and exact rules.

Issue 20: a non-finite loss or weight stops training with an error naming the
model, the seed, the epoch and the likely cause; ``movie_probabilities`` and
``k`` are checked; the rules the conclusions rest on (holdout rows, popularity
ties, the recipe's shuffle buffer, the selection/test halves, the MD budgets)
are pinned by hand-computed values.
"""

from __future__ import annotations

import dataclasses

from recbook import guards, memory_efficient, rating_models, retrieval, towers
from recbook.memory_efficient import MDEmbedding

import keras
import numpy as np
import pandas as pd
import pytest
from tiny_retrieval import VOCAB, candidates, ratings


@dataclasses.dataclass(frozen=True)
class Problem:
    train: tuple
    test: tuple


def tiny_model(**options) -> towers.RetrievalModel:
    options = {"k": 2, "embedding_dimension": 4, **options}
    return towers.RetrievalModel((8,), VOCAB, candidates(), **options)


def test_a_diverging_retrieval_run_raises_instead_of_reporting_accuracy():
    problem = Problem(ratings(100, seed=0), ratings(50, seed=1))
    with pytest.raises(guards.NonFiniteTrainingError) as raised:
        towers.fit(
            tiny_model,
            problem,
            seed=4,
            epochs=1,
            validation_freq=1,
            learning_rate=1e30,
            batch_size=50,
        )
    message = str(raised.value)
    assert "Training RetrievalModel 'retrieval_model" in message
    assert "with seed 4 failed at epoch 1:" in message
    assert "Likely cause: learning rate too large (1e+30)" in message
    assert "No metric of this run is reported" in message


def frame(n=400, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(
        {
            "user_id": rng.integers(1, 30, n),
            "movie_id": rng.integers(1, 20, n),
            "rating": rng.integers(1, 6, n),
        }
    )
    return table.drop_duplicates(["user_id", "movie_id"]).sort_values(
        ["user_id", "movie_id"], ignore_index=True
    )


def test_a_nan_rating_model_raises_instead_of_reporting_an_mae():
    split = rating_models.split_ratings(frame(), seed=0)

    def poisoned():
        nan = keras.initializers.Constant(float("nan"))
        return rating_models.rating_model(
            keras.layers.Embedding(split.num_users, 4, embeddings_initializer=nan),
            keras.layers.Embedding(split.num_movies, 4),
        )

    with pytest.raises(guards.NonFiniteTrainingError) as raised:
        rating_models.fit(poisoned, split, seed=2, epochs=2, batch_size=64)
    message = str(raised.value)
    assert "Training Functional 'rating_model' with seed 2 failed at epoch 1" in message
    assert "the training loss is nan" in message
    assert "the run diverged at learning rate 0.001: try a smaller" in message


def test_the_guard_names_a_non_finite_weight_and_stops_training():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    guard = guards.FiniteGuard("tiny", seed=0, learning_rate=0.1)
    guard.set_model(model)
    assert guard.problem(0, {"loss": 1.0}) is None
    model.layers[0].kernel.assign([[float("inf")]])
    with pytest.raises(guards.NonFiniteTrainingError, match="at epoch 3: the weight"):
        guard.on_epoch_end(2, {"loss": 1.0})
    assert model.stop_training
    with pytest.raises(guards.NonFiniteTrainingError, match="seed 0"):
        guard.check()  # a caller that caught the first error still gets it


@pytest.mark.parametrize(
    "probabilities, message",
    [
        ([0.2] * 4 + [float("nan")], r"movie_probabilities\[4\] is nan"),
        ([0.5, 0.5], r"must hold 5 values \(one per movie id, 0 to 4\); got shape"),
        ([0.5, 0.5, 0.5, -0.5, 0.0], r"movie_probabilities\[3\] is -0.5"),
        ([0.1] * 5, r"must sum to 1 \(within 1e-06\); they sum to 0.5"),
    ],
    ids=["nan", "too-few", "negative", "sum"],
)
def test_movie_probabilities_are_checked(probabilities, message):
    with pytest.raises(ValueError, match=message):
        tiny_model(objective="softmax", movie_probabilities=np.array(probabilities))


def test_k_must_be_a_whole_number():
    with pytest.raises(
        TypeError, match=r"k must be a whole number of at least 1; got 1.5"
    ):
        tiny_model(k=1.5)
    with pytest.raises(
        ValueError, match=r"k must be at least 1 and at most 5 \(the movie ids\); got 0"
    ):
        retrieval.popularity_accuracy(np.array([1]), np.array([1]), np.ones(1), 4, k=0)


# --- exact rules ------------------------------------------------------------------------


def test_holdout_trains_on_the_first_rows_and_tests_on_the_rest():
    features = {"user_id": np.arange(10, 15), "movie_id": np.arange(20, 25)}
    problem = Problem((features, np.arange(5) / 10), ({"user_id": [99]}, [0.0]))
    held = retrieval.holdout(problem, 3)
    assert held.train[0]["user_id"].tolist() == [10, 11, 12]
    assert held.train[1].tolist() == [0.0, 0.1, 0.2]
    assert held.test[0]["movie_id"].tolist() == [23, 24]
    assert held.test[1].tolist() == [0.3, 0.4]  # the original test split is unused
    with pytest.raises(ValueError, match=r"size must be at least 1 and at most 4"):
        retrieval.holdout(problem, 5)


def test_popularity_ties_go_to_the_smaller_id_and_id_0_is_last():
    # Counts: id 1: 1, id 2: 2, id 3: 2, id 4: 0, id 5: 1.
    train = np.array([2, 3, 3, 1, 2, 5])
    assert retrieval.popularity_ranking(train, 5).tolist() == [2, 3, 1, 5, 4, 0]
    # The top 3 is {2, 3, 1}: the tie between 1 and 5 is at the cut.
    test_ids, five_stars = np.array([1, 1, 5]), np.ones(3, "float32")
    accuracy = retrieval.popularity_accuracy(train, test_ids, five_stars, 5, k=3)
    assert accuracy == pytest.approx(2 / 3)
    # Over every rating: the 4-star (0.75) rating of 5 counts; over 5 stars it does not.
    labels = np.array([1.0, 0.75, 0.75], "float32")
    assert retrieval.popularity_accuracy(train, test_ids, labels, 5, k=3) == 1.0
    assert retrieval.popularity_accuracy(
        train, test_ids, labels, 5, k=3, five_stars_only=False
    ) == pytest.approx(2 / 3)


def test_fit_uses_the_shuffle_buffer_pipeline(monkeypatch):
    split = rating_models.split_ratings(frame(), seed=0)
    calls = []
    original = memory_efficient.training_batches

    def spy(data, batch_size, shuffle_buffer, seed):
        calls.append((batch_size, shuffle_buffer, seed))
        return original(data, batch_size, shuffle_buffer, seed)

    monkeypatch.setattr(memory_efficient, "training_batches", spy)
    layers = lambda: rating_models.rating_model(  # noqa: E731
        *rating_models.full_layers(split, dim=2)
    )
    rating_models.fit(layers, split, seed=5, epochs=1, batch_size=32, shuffle_buffer=7)
    assert calls == [(32, 7, 5)]


def test_training_batches_keep_the_file_order_with_a_buffer_of_one():
    split = rating_models.split_ratings(frame(), seed=0)
    batches = memory_efficient.training_batches(split, 5, shuffle_buffer=1, seed=0)
    first = next(iter(batches))[0]["user"].numpy().tolist()
    assert first == split.train["user"][:5].tolist()


def test_selection_and_test_halves_are_the_two_sides_of_in_test():
    split = rating_models.split_ratings(frame(), seed=0)
    n = len(split.val["rating"])
    expected = np.random.default_rng([0, 1]).random(n) < 0.5
    np.testing.assert_array_equal(split.in_test, expected)
    run = rating_models.fit(
        lambda: rating_models.rating_model(*rating_models.full_layers(split, dim=2)),
        split,
        seed=0,
        epochs=1,
    )
    error = run.model.predict(split.inputs("val"), verbose=0) - split.val["rating"]
    test, selection = error[split.in_test], error[~split.in_test]
    assert run.metrics["test_mae"] == pytest.approx(np.abs(test).mean(), rel=1e-6)
    assert run.metrics["selection_mae"] == pytest.approx(
        np.abs(selection).mean(), rel=1e-6
    )
    assert run.metrics["test_rmse"] == pytest.approx(
        np.sqrt((test**2).mean()), rel=1e-6
    )
    assert run.metrics["test_mae"] != run.metrics["selection_mae"]


def test_split_ratings_in_test_by_hand():
    ratings_frame = pd.DataFrame(
        {"user_id": [1, 1, 2, 2, 3, 3], "movie_id": [1, 2, 1, 2, 1, 2], "rating": 3}
    )
    split = rating_models.split_ratings(ratings_frame, val_fraction=0.5, seed=0)
    # default_rng(0).random(6) = 0.637, 0.270, 0.041, 0.017, 0.813, 0.913:
    # rows 1, 2, 3 (below 0.5) are the validation split.
    assert len(split.val["rating"]) == 3 and len(split.train["rating"]) == 3
    # default_rng([0, 1]).random(3) < 0.5 cuts them into halves.
    assert (
        split.in_test.tolist()
        == (np.random.default_rng([0, 1]).random(3) < 0.5).tolist()
    )


# Per-row probabilities halve from block to block: popularity_blocks(100) is
# [1, 2, 7, 20, 70], so the counts per id are 1000, 500, 250, 125 and 62.5.
HALVING = np.repeat([1000, 500, 250, 125, 62.5], [1, 2, 7, 20, 70])


def test_md_table_respects_max_dim_and_the_budget():
    # alpha 1, output 8: top d gives dims round(d * [1, 1/2, 1/4, 1/8, 1/16]).
    # Without max_dim the top is at most 8: dims [8, 4, 2, 1, 1] (0.5 rounds to 0,
    # floored at 1): rows 8 + 8 + 14 + 20 + 70 = 120, projections 8 * (4 + 2 + 1 + 1)
    # = 64, 184 parameters.
    small = rating_models.md_table(HALVING, 8, 1.0, budget=400)
    assert small.block_dims == [8, 4, 2, 1, 1]
    assert MDEmbedding.count_params_for(small.block_sizes, small.block_dims, 8) == 184
    # With max_dim 32: d = 17 gives [17, 8, 4, 2, 1] (8.5 rounds to 8): rows
    # 17 + 16 + 28 + 40 + 70 = 171, projections 8 * (17 + 4 + 2 + 1) = 192: 363.
    # d = 18 gives [18, 9, 4, 2, 1]: 174 + 272 = 446 > 400.
    large = rating_models.md_table(HALVING, 8, 1.0, budget=400, max_dim=32)
    assert large.block_sizes == [1, 2, 7, 20, 70]
    assert large.block_dims == [17, 8, 4, 2, 1]
    assert MDEmbedding.count_params_for(large.block_sizes, large.block_dims, 8) == 363


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: towers.dense_stack((8.5,)),
            ValueError,
            "layer_sizes must be positive",
        ),
        (
            lambda: towers.dense_stack("32"),
            ValueError,
            "layer_sizes must be positive",
        ),
        (
            lambda: tiny_model(embedding_dimension=0),
            ValueError,
            "embedding_dimension must be at least 1; got 0",
        ),
        (
            lambda: rating_models.compressed_table("full", np.ones(10), float("inf")),
            ValueError,
            "ratio must be a finite number; got inf",
        ),
        (
            lambda: rating_models.compressed_table("qr", np.ones(10), float("nan")),
            ValueError,
            "ratio must be a finite number; got nan",
        ),
        (
            lambda: rating_models.compressed_table("full", np.ones(10), 2, dim=0),
            ValueError,
            "dim must be at least 1; got 0",
        ),
    ],
    ids=[
        "float-width",
        "string-widths",
        "dimension-0",
        "inf-ratio",
        "nan-ratio",
        "dim-0",
    ],
)
def test_model_builders_refuse_wrong_sizes_before_keras_sees_them(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_ranking_ks_and_recommendation_k_are_whole_numbers():
    scores, relevant = np.zeros((1, 3)), np.array([[-1.0, 1.0, 0.0]])
    with pytest.raises(TypeError, match=r"ks\[0\] must be a whole number .* got 1.5"):
        retrieval.ranking_metrics(scores, relevant, ks=(1.5,))
    with pytest.raises(TypeError, match="ks must be a list of whole numbers"):
        retrieval.ranking_metrics(scores, relevant, ks="10")
    with pytest.raises(TypeError, match="k must be a whole number"):
        retrieval.recommendations({}, 1, ratings(10), ratings(10), k=2.5)
