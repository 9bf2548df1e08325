"""recbook.rating_models on small synthetic ratings: split, encoding, sizes, training.

The model and its training run come from chapter 6's cells (:mod:`recbook.memory_efficient`).
"""

from __future__ import annotations

from recbook import data, rating_models, training
from recbook.memory_efficient import METRICS, fit, rating_model, training_batches

import numpy as np
import pandas as pd
import pytest


def synthetic_ratings(users=60, movies=40, n=3000, seed=0) -> pd.DataFrame:
    """Ratings with a popularity skew: low movie ids are rated more often."""
    rng = np.random.default_rng(seed)
    movie = np.minimum(rng.zipf(1.3, n), movies) + 100
    frame = pd.DataFrame(
        {
            "user_id": rng.integers(1, users + 1, n),
            "movie_id": movie,
            "rating": rng.integers(1, 6, n),
        }
    )
    return frame.drop_duplicates(["user_id", "movie_id"]).sort_values(
        ["user_id", "movie_id"], ignore_index=True
    )


def log_linear(n: int, top: int, decay: float) -> np.ndarray:
    """Counts falling log-linearly with popularity rank, as MovieLens's do (chapter 1)."""
    return np.rint(top * np.exp(-decay * np.arange(n) / n)).astype(int) + 1


def sizes_only(num_users: int, num_movies: int) -> rating_models.RatingData:
    """A RatingData carrying only MovieLens-like popularity counts (enough to build tables)."""
    return rating_models.RatingData(
        train={},
        val={},
        user_counts=log_linear(num_users, 2000, 4.6),
        movie_counts=log_linear(num_movies, 3000, 8.0),
    )


def test_encoding_ranks_by_training_popularity():
    frame = pd.DataFrame(
        {
            "user_id": [5, 5, 5, 9, 9, 7],
            "movie_id": [1, 2, 3, 2, 3, 3],
            "rating": [1, 2, 3, 4, 5, 5],
        }
    )
    split = rating_models.split_ratings(
        frame, val_fraction=0.01, seed=0
    )  # everything lands in training
    assert len(split.train["rating"]) == 6
    # users by activity: 5 (3 ratings), 9 (2), 7 (1); movies: 3 (3), 2 (2), 1 (1)
    assert split.train["user"].tolist() == [0, 0, 0, 1, 1, 2]
    assert split.train["movie"].tolist() == [2, 1, 0, 1, 0, 0]
    assert split.user_counts.tolist() == [3, 2, 1] and split.movie_counts.tolist() == [
        3,
        2,
        1,
    ]


def test_split_is_seeded_and_sized():
    frame = synthetic_ratings()
    a, b = (
        rating_models.split_ratings(frame, seed=3),
        rating_models.split_ratings(frame, seed=3),
    )
    np.testing.assert_array_equal(a.val["movie"], b.val["movie"])
    assert len(a.val["rating"]) + len(a.train["rating"]) == len(frame)
    assert 0.12 < len(a.val["rating"]) / len(frame) < 0.18
    assert not np.array_equal(
        a.val["rating"], rating_models.split_ratings(frame, seed=4).val["rating"]
    )
    small = rating_models.split_ratings(frame, seed=3, max_train=100)
    assert len(small.train["rating"]) == 100
    np.testing.assert_array_equal(small.val["rating"], a.val["rating"])
    with pytest.raises(ValueError, match="val_fraction"):
        rating_models.split_ratings(frame, val_fraction=1.5)


def test_split_does_not_depend_on_the_file_order(
    monkeypatch, synthetic, accept_as_genuine
):
    frame = synthetic_ratings()
    rows = list(frame.assign(ts=0).itertuples(index=False, name=None))
    accept_as_genuine("1m", rows=rows)
    shuffled = [rows[i] for i in np.random.default_rng(1).permutation(len(rows))]
    synthetic.ratings_file("1m", rows)
    monkeypatch.setenv(data.DATA_DIR_ENV, str(synthetic.root))
    first = rating_models.split_ratings(data.load_ratings("1m"), seed=42)
    synthetic.ratings_file("1m", shuffled)
    second = rating_models.split_ratings(data.load_ratings("1m"), seed=42)
    for part in ("user", "movie", "rating"):
        np.testing.assert_array_equal(first.val[part], second.val[part])


def test_recipe_and_baseline_parameter_counts():
    sizes = sizes_only(6040, 3706)
    assert rating_model(*rating_models.full_layers(sizes)).count_params() == 623_744
    # QR users (51 + 120) x 64 = 10,944 and MD movies 102,368.
    assert rating_model(*rating_models.recipe_layers(sizes)).count_params() == 113_312


@pytest.mark.parametrize("method", rating_models.METHODS)
@pytest.mark.parametrize("ratio", [4, 10, 20])
def test_methods_compress_by_about_the_ratio(method, ratio):
    sizes = sizes_only(6040, 3706)
    params = rating_model(
        *rating_models.method_layers(method, sizes, ratio)
    ).count_params()
    # Dimensions and row counts are whole numbers, so at 20x (3 or 4 dims) the sizes are coarse.
    assert 0.95 * ratio <= 623_744 / params <= 1.15 * ratio


def test_md_cannot_use_a_budget_beyond_its_top_dimension():
    # Extreme skew: even d_0 = 64 leaves most of a 4x budget unused, so MD compresses more.
    counts = np.sort(np.random.default_rng(0).zipf(1.5, 3706))[::-1]
    table = rating_models.compressed_table("md", counts, ratio=4)
    assert table.block_dims[0] == 64
    params = table.count_params_for(table.block_sizes, table.block_dims, 64)
    assert params < 3706 * 64 / 4 / 2


def test_qr_combiners_have_equal_size():
    sizes = sizes_only(6040, 3706)
    counts = {
        c: rating_model(
            *rating_models.method_layers("qr", sizes, 10, combiner=c)
        ).count_params()
        for c in ("multiply", "add", "concat")
    }
    assert counts["multiply"] == counts["add"]
    assert counts["concat"] == pytest.approx(counts["multiply"], rel=0.03)


def test_helpers_by_hand():
    assert rating_models.qr_buckets_for(100, 20) == 10  # 10 + 100/10 = 20 rows
    assert rating_models.popularity_blocks(100) == [1, 2, 7, 20, 70]
    with pytest.raises(ValueError, match="Unknown method 'pca'"):
        rating_models.method_layers("pca", sizes_only(10, 10), 2)
    with pytest.raises(ValueError, match="ratio must be at least 1"):
        rating_models.compressed_table("qr", np.ones(10), 0.5)


def test_qr_buckets_for_picks_the_largest_of_tied_sizes_across_chunks():
    # 10 ids, 7 rows: ceil(10 / m) + m is 7 for m = 2, 3, 4 and 5; the largest wins,
    # also when the candidates are tried 3 at a time (the tie spans two chunks).
    assert rating_models.qr_buckets_for(10, 7) == 5
    assert rating_models.qr_buckets_for(10, 7, chunk=3) == 5
    assert rating_models.qr_buckets_for(100, 20, chunk=7) == 10
    assert rating_models.qr_buckets_for(np.int64(10), np.float64(7.0)) == 5


@pytest.mark.parametrize("rows", [float("nan"), float("inf"), 0, -3.0])
def test_qr_buckets_for_refuses_rows_that_are_not_finite_and_positive(rows):
    with pytest.raises(ValueError, match="rows must be a finite number greater than 0"):
        rating_models.qr_buckets_for(100, rows)


def test_qr_buckets_for_refuses_bad_counts():
    with pytest.raises(ValueError, match="num_ids must be at least 1; got 0"):
        rating_models.qr_buckets_for(0, 10)
    with pytest.raises(TypeError, match="num_ids must be a whole number"):
        rating_models.qr_buckets_for(100.0, 10)
    with pytest.raises(ValueError, match="chunk must be at least 1; got 0"):
        rating_models.qr_buckets_for(100, 10, chunk=0)
    with pytest.raises(TypeError, match="rows must be a finite number"):
        rating_models.qr_buckets_for(100, "10")


def test_training_is_deterministic_and_learns():
    split = rating_models.split_ratings(synthetic_ratings(n=4000), seed=0)
    runs = [  # the same seed twice (fit_seeds refuses a repeated seed)
        fit(
            lambda: rating_model(*rating_models.full_layers(split, dim=8)),
            split,
            7,
            epochs=2,
            batch_size=64,
        )
        for _ in range(2)
    ]
    assert runs[0].metrics == runs[1].metrics
    assert list(runs[0].metrics) == list(METRICS)
    assert runs[0].params == 8 * (split.num_users + split.num_movies)
    # Synthetic ratings are uniform on 1..5: a mean predictor's MAE is 1.2; the model is near it.
    assert 0.9 < runs[0].metrics["mae"] < 1.6
    summary = training.summarize(runs, model="x")
    assert summary["mae_std"] == 0 and summary["seeds"] == 2 and summary["model"] == "x"
    table = rating_models.errors_by_popularity(runs[0].model, split, edges=(5, 50))
    assert table["ratings"].sum() == len(split.val["rating"])
    assert list(table["training ratings of the movie"]) == ["< 5", "5-49", ">= 50"]


@pytest.fixture(scope="module")
def trained():
    """One quick training run on synthetic ratings, and its split."""
    split = rating_models.split_ratings(synthetic_ratings(n=4000), seed=0)
    run = fit(
        lambda: rating_model(*rating_models.full_layers(split, dim=8)),
        split,
        seed=7,
        epochs=1,
        batch_size=64,
    )
    return run, split


def test_mae_and_rmse_match_a_hand_computation(trained):
    run, split = trained
    error = (
        run.model.predict(split.inputs("val"), batch_size=4096, verbose=0).astype(
            "float64"
        )
        - split.val["rating"]
    )
    metrics = run.metrics
    assert metrics["mae"] == pytest.approx(np.abs(error).mean(), rel=1e-5)
    assert metrics["rmse"] == pytest.approx(np.sqrt(np.mean(error**2)), rel=1e-5)
    assert metrics["rmse"] > metrics["mae"] > 0.5  # 1-5 scale; RMSE >= MAE
    # The two halves of the validation split: selection to choose, test to report.
    test, selection = error[split.in_test], error[~split.in_test]
    assert 0.4 < split.in_test.mean() < 0.6
    assert metrics["test_mae"] == pytest.approx(np.abs(test).mean(), rel=1e-5)
    assert metrics["test_rmse"] == pytest.approx(np.sqrt(np.mean(test**2)), rel=1e-5)
    assert metrics["selection_mae"] == pytest.approx(np.abs(selection).mean(), rel=1e-5)


def test_the_halves_leave_the_recipe_split_unchanged():
    frame = synthetic_ratings(n=4000)
    split = rating_models.split_ratings(frame, seed=3)
    # The train / validation split is drawn first, from the seed alone, as before.
    is_val = np.random.default_rng(3).random(len(frame)) < 0.15
    assert len(split.val["rating"]) == is_val.sum()
    np.testing.assert_array_equal(
        split.val["rating"], frame["rating"].to_numpy()[is_val].astype("float32")
    )
    again = rating_models.split_ratings(frame, seed=3)
    np.testing.assert_array_equal(split.in_test, again.in_test)


def test_the_recipe_pipeline_keeps_neighbouring_users_together():
    split = rating_models.split_ratings(synthetic_ratings(n=4000), seed=0)
    order = np.argsort(split.train["user"], kind="stable")
    by_user = rating_models.RatingData(
        train={k: v[order] for k, v in split.train.items()},
        val=split.val,
        user_counts=split.user_counts,
        movie_counts=split.movie_counts,
        in_test=split.in_test,
    )
    batches = training_batches(by_user, 64, shuffle_buffer=200, seed=0)
    first = next(iter(batches))[0]["user"].numpy()
    rows = len(by_user.train["user"])
    # A 200-row buffer over user-ordered rows: the first batch comes from the first
    # 200 + 64 rows, so from the first users only; every row appears once per epoch.
    assert first.max() <= by_user.train["user"][200 + 64]
    assert sum(len(x["user"]) for x, _ in batches) == rows


def test_fit_with_a_shuffle_buffer_is_deterministic():
    split = rating_models.split_ratings(synthetic_ratings(n=3000), seed=0)
    runs = [  # the same seed twice (fit_seeds refuses a repeated seed)
        fit(
            lambda: rating_model(*rating_models.full_layers(split, dim=4)),
            split,
            1,
            epochs=1,
            shuffle_buffer=500,
        )
        for _ in range(2)
    ]
    assert runs[0].metrics == runs[1].metrics


def test_head_tail_table_weights_back_to_the_run_mae(trained):
    run, split = trained
    table = rating_models.errors_by_popularity(run.model, split, edges=(5, 50))
    assert table["ratings"].sum() == len(split.val["rating"])
    weighted = (table["ratings"] * table["mae"]).sum() / table["ratings"].sum()
    assert weighted == pytest.approx(
        run.metrics["mae"], rel=1e-5
    )  # and so on the 1-5 scale, not 0-1
