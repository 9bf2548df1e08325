"""Chapter 7's code (recbook.tuned_embeddings, exported from the chapter), by hand."""

from __future__ import annotations

import math

from recbook import evidence, rating_models, training
from recbook import tuned_embeddings as te
from recbook.memory_efficient import rating_model

import keras
import numpy as np
import pytest
from test_rating_models import sizes_only, synthetic_ratings


@pytest.fixture(scope="module")
def split():
    return rating_models.split_ratings(synthetic_ratings(n=4000), seed=0)


def build_for(split, dim=8):
    return lambda: rating_model(*rating_models.full_layers(split, dim=dim))


def selection_curve(split, seed, settings, epochs, batch_size):
    """The selection half's MAE after each epoch, trained by hand as ``fit`` should."""
    keras.utils.set_random_seed(seed)
    model = build_for(split)()
    model.compile(
        optimizer=keras.optimizers.AdamW(
            settings.learning_rate, weight_decay=settings.weight_decay
        ),
        loss="mse",
        steps_per_execution=te.STEPS_PER_EXECUTION,
    )
    curve = []
    for _ in range(epochs):
        model.fit(
            split.inputs("train"),
            split.train["rating"],
            batch_size=batch_size,
            verbose=0,
        )
        predicted = model.predict(split.inputs("val"), verbose=0)
        error = predicted - split.val["rating"]
        curve.append(float(np.abs(error[~split.in_test]).mean()))
    return curve


def test_fit_stops_after_patience_and_keeps_the_best_epoch(split):
    settings = te.Settings(0.05, 0.0)  # large: it overfits within a few epochs
    run = te.fit(build_for(split), split, 3, settings, 12, patience=2, batch_size=64)
    curve = selection_curve(split, 3, settings, 12, batch_size=64)
    # The stop: the first epoch that is `patience` epochs past the best so far.
    best = 0
    for epoch, mae in enumerate(curve, start=1):
        if mae < curve[best - 1] or best == 0:
            best = epoch
        elif epoch - best >= 2:
            break
    assert best < 12, "the planted run must stop early for this test to mean anything"
    assert run.metrics["epochs"] == best
    assert run.metrics["selection_mae"] == pytest.approx(curve[best - 1], rel=1e-5)
    # The model returned is the best epoch's: its errors give the reported figures.
    error = te.errors(run.model, split).astype("float64")
    test, selection = error[split.in_test], error[~split.in_test]
    assert np.abs(selection).mean() == pytest.approx(
        run.metrics["selection_mae"], rel=1e-5
    )
    assert run.metrics["test_mae"] == pytest.approx(np.abs(test).mean(), rel=1e-5)
    assert run.metrics["test_rmse"] == pytest.approx(
        np.sqrt(np.mean(test**2)), rel=1e-5
    )
    assert run.params == 8 * (split.num_users + split.num_movies)


def test_weight_decay_changes_what_is_learned(split):
    runs = [
        te.fit(build_for(split), split, 0, te.Settings(0.01, wd), 2, batch_size=64)
        for wd in (0.0, 0.5)
    ]
    weights = [np.abs(run.model.get_weights()[0]).mean() for run in runs]
    assert weights[1] < 0.99 * weights[0]  # decayed rows are smaller


@pytest.mark.parametrize(
    "learning_rate, weight_decay",
    [(0.0, 0.1), (math.nan, 0.1), (0.01, -0.1), (0.01, math.inf)],
)
def test_settings_refuse_values_out_of_range(learning_rate, weight_decay):
    with pytest.raises(ValueError):
        te.Settings(learning_rate, weight_decay)


@pytest.mark.parametrize(
    "options",
    [{"max_epochs": 0}, {"patience": 0}, {"batch_size": 0}, {"seed": -1}],
)
def test_fit_refuses_bad_options(split, options):
    arguments = {"seed": 0, "max_epochs": 1, "patience": 1, "batch_size": 64}
    with pytest.raises(ValueError):
        te.fit(
            build_for(split),
            split,
            settings=te.Settings(0.01, 0.1),
            **{**arguments, **options},
        )


def test_settings_in_words():
    assert te.Settings(0.003, 0.1).text == "learning rate 0.003, weight decay 0.1"


def test_models_are_named_in_words_and_built_at_their_size():
    assert te.model_name("qr", 5) == "QR, 5x"
    assert te.model_name("qr+md", 10) == "QR + MD, 10x"
    assert te.model_name("full", 5) == "plain tables, 5x"
    assert te.model_name("full", 1) == te.FULL_TABLES == "full tables (64)"
    with pytest.raises(ValueError, match="Unknown method 'lsh'"):
        te.model_name("lsh", 5)
    sizes = sizes_only(6040, 3706)
    user, movie = te.layers("full", 1, sizes)()
    user.build((None,)), movie.build((None,))
    assert user.count_params() + movie.count_params() == 64 * (6040 + 3706)
    user, movie = te.layers("full", 5, sizes)()
    user.build((None,)), movie.build((None,))
    assert user.count_params() == 12 * 6040  # the largest within a fifth: 64 // 5
    first, second = te.layers("qr", 10, sizes)(), te.layers("qr", 10, sizes)()
    assert first[0] is not second[0]  # a fresh table at every call


def fake_run(selection_mae=0.5, test_mae=0.5, params=100, model=None):
    metrics = {
        "selection_mae": selection_mae,
        "test_mae": test_mae,
        "test_rmse": test_mae + 0.2,
        "epochs": 4,
    }
    return training.Run(params, 1.0, metrics, model=model)


def fake_fit(scores, seen=None):
    """A ``fit`` whose selection MAE is ``scores(learning_rate, weight_decay)``."""

    def fit(build, data, seed, settings, **options):
        if seen is not None:
            seen.append((seed, settings, options))
        return fake_run(scores(settings.learning_rate, settings.weight_decay))

    return fit


def test_tune_chooses_the_lowest_selection_mae(monkeypatch):
    grid = [
        te.Settings(lr, wd) for lr in (0.001, 0.003, 0.01) for wd in (0.1, 0.3, 1.0)
    ]
    seen = []
    # Best in the middle of both ranges: no widening.
    scores = {(0.003, 0.3): 0.70}
    monkeypatch.setattr(
        te, "fit", fake_fit(lambda lr, wd: scores.get((lr, wd), 0.8), seen)
    )
    rows, chosen, run, final = te.tune(None, None, grid, max_epochs=7)
    assert chosen == te.Settings(0.003, 0.3) and run.metrics["selection_mae"] == 0.70
    assert final == grid and len(rows) == 9
    assert {seed for seed, _, _ in seen} == {0}
    assert all(options == {"max_epochs": 7} for _, _, options in seen)
    with pytest.raises(ValueError, match="at least one setting"):
        te.tune(None, None, [])


def test_tune_widens_the_grid_past_an_edge_until_the_best_is_inside(monkeypatch):
    grid = [te.Settings(lr, wd) for lr in (0.001, 0.003) for wd in (0.1, 0.3)]

    def scores(lr, wd):  # lowest at learning rate 0.03 and weight decay 0.1
        return abs(math.log10(lr / 0.03)) + abs(math.log10(wd / 0.1))

    monkeypatch.setattr(te, "fit", fake_fit(scores))
    rows, chosen, _, final = te.tune(None, None, grid, widenings=5)
    # 0.003 -> 0.01 -> 0.03 -> 0.1 (the best is then inside); 0.1 -> 0.03 -> ...
    assert chosen == te.Settings(0.03, 0.1)
    assert sorted({s.learning_rate for s in final}) == [0.001, 0.003, 0.01, 0.03, 0.1]
    assert sorted({s.weight_decay for s in final}) == [0.03, 0.1, 0.3]
    assert len(rows) == len(final) == 15 and te.edges(chosen, final) == []
    # At most `widenings` times: once here, and the best stays on the edge.
    _, chosen, _, final = te.tune(None, None, grid, widenings=1)
    assert chosen == te.Settings(0.01, 0.1)
    assert te.edges(chosen, final) == ["learning_rate"]
    rows = te.chosen_rows({"m": chosen}, {"m": final})
    assert rows == [
        {
            "model": "m",
            "learning_rate": 0.01,
            "weight_decay": 0.1,
            "tried": 9,
            "edge": "learning rate",
        }
    ]


def test_step_past_walks_the_one_three_ladder():
    assert te.step_past(0.01, upward=True) == 0.03
    assert te.step_past(0.03, upward=True) == 0.1
    assert te.step_past(0.3, upward=True) == 1.0
    assert te.step_past(0.001, upward=False) == 0.0003
    assert te.step_past(0.03, upward=False) == 0.01
    with pytest.raises(ValueError):
        te.step_past(0.0, upward=False)


def test_edges_name_the_values_at_the_end_of_their_range():
    grid = [te.Settings(lr, wd) for lr in (0.001, 0.003, 0.01) for wd in (0.1, 0.3)]
    assert te.edges(te.Settings(0.003, 0.1), grid) == ["weight_decay"]
    assert te.edges(te.Settings(0.01, 0.3), grid) == ["learning_rate", "weight_decay"]
    middle = [te.Settings(lr, 0.1) for lr in (0.001, 0.003, 0.01)]
    assert te.edges(te.Settings(0.003, 0.1), middle) == []  # one decay: no edge
    zero = [te.Settings(0.003, wd) for wd in (0.0, 0.1, 0.3)]
    assert te.edges(te.Settings(0.003, 0.0), zero) == []  # no decay below 0
    widened = te.widened(grid, te.Settings(0.01, 0.1))
    assert sorted({s.learning_rate for s in widened}) == [0.001, 0.003, 0.01, 0.03]
    assert sorted({s.weight_decay for s in widened}) == [0.03, 0.1, 0.3]


def test_summary_shares_and_compression_by_hand():
    runs = {
        te.FULL_TABLES: [
            fake_run(test_mae=0.66, params=1000),
            fake_run(test_mae=0.68, params=1000),
        ],
        "QR, 5x": [
            fake_run(test_mae=0.69, params=200),
            fake_run(test_mae=0.71, params=200),
        ],
    }
    models = {te.FULL_TABLES: ("full", 1), "QR, 5x": ("qr", 5)}
    rows = te.summary(runs, models, bias_mae=0.72)
    full, qr = rows
    assert full["share"] == pytest.approx(1.0)
    assert qr["compression"] == 5.0
    assert qr["share"] == pytest.approx((0.72 - 0.70) / (0.72 - 0.67))
    assert qr["test_mae_std"] == pytest.approx(np.std([0.69, 0.71], ddof=1))
    assert (qr["method"], qr["ratio"], qr["seeds"]) == ("qr", 5, 2)
    with pytest.raises(ValueError, match="are level"):
        te.summary(runs, models, bias_mae=0.67)  # no gain to share


class Fixed:
    """A model whose predictions are given."""

    def __init__(self, predictions):
        self.predictions = np.asarray(predictions, dtype="float32")

    def predict(self, inputs, batch_size=None, verbose=0):
        return self.predictions


def hand_data():
    """Six validation ratings of three users, all in the test half."""
    return rating_models.RatingData(
        train={},
        val={
            "user": np.array([0, 0, 1, 1, 2, 2]),
            "movie": np.array([0, 1, 0, 1, 0, 1]),
            "rating": np.array([4.0, 3.0, 5.0, 2.0, 3.0, 4.0], "float32"),
        },
        user_counts=np.ones(3, int),
        movie_counts=np.ones(2, int),
        in_test=np.ones(6, bool),
    )


def test_versus_counts_the_seeds_and_the_test_users():
    data = hand_data()
    truth = data.val["rating"]
    a = [fake_run(model=Fixed(truth + off)) for off in ([0.1] * 6, [0.3] * 6)]
    b = [fake_run(model=Fixed(truth + off)) for off in ([0.5] * 6, [0.6, 0.4] * 3)]
    comparison = te.versus(a, b, data)
    a_maes = np.array([0.1, 0.3])
    expected = evidence.compare(
        0.2,
        float(np.std(a_maes, ddof=1)),
        2,
        0.5,
        0.0,
        2,
        test_error=evidence.paired_bootstrap(
            np.full(6, 0.2), np.array([0.55, 0.45] * 3), data.val["user"]
        ),
    )
    assert comparison.difference == pytest.approx(-0.3, abs=1e-6)
    assert comparison.standard_error == pytest.approx(expected.standard_error, rel=1e-5)
    assert comparison.test_error == pytest.approx(expected.test_error, rel=1e-5)


def test_against_plain_says_lower_error_is_better():
    data = hand_data()
    truth = data.val["rating"]

    def runs(*offsets):
        return [fake_run(model=Fixed(truth + off)) for off in offsets]

    all_runs = {
        "plain tables, 5x": runs(0.5, 0.52, 0.48),
        "QR, 5x": runs(0.1, 0.11, 0.09),  # lower error: better, far beyond the noise
        "MD, 5x": runs(0.9, 0.91, 0.89),
    }
    rows = te.against_plain(all_runs, data, ["qr", "md"], [5])
    assert [row["model"] for row in rows] == ["QR, 5x", "MD, 5x"]
    assert rows[0]["verdict"] == "QR better"
    assert rows[1]["verdict"] == "plain tables better"
    assert rows[0]["difference"] == pytest.approx(-0.4, abs=1e-5)
    assert all(0 < row["threshold"] < 0.1 for row in rows)
