"""recbook.checks, and the entry points that use it: a wrong parameter stops before any work."""

from __future__ import annotations

from recbook import checks, featurization, rating_models, retrieval, towers

import numpy as np
import pandas as pd
import pytest

NO_DATA = rating_models.RatingData(
    train={}, val={}, user_counts=np.ones(3), movie_counts=np.ones(3)
)
FRAME = pd.DataFrame({"user_id": [1, 2], "movie_id": [1, 1], "rating": [3, 4]})


def no_build():
    raise AssertionError("built a model despite a wrong parameter")


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: rating_models.fit_seeds(no_build, NO_DATA, [1], epochs=0),
            ValueError,
            "epochs must be at least 1; got 0",
        ),
        (
            lambda: rating_models.fit_seeds(no_build, NO_DATA, [1], epochs=-1),
            ValueError,
            "epochs must be at least 1; got -1",
        ),
        (
            lambda: rating_models.fit_seeds(no_build, NO_DATA, [1], epochs="abc"),
            TypeError,
            r"epochs must be a whole number of at least 1; got 'abc' \(str\)",
        ),
        (
            lambda: rating_models.fit_seeds(no_build, NO_DATA, [1], epochs=1.5),
            TypeError,
            r"epochs must be a whole number .* got 1.5",
        ),
        (
            lambda: rating_models.fit_seeds(no_build, NO_DATA, []),
            ValueError,
            "seeds must hold at least one seed",
        ),
        (
            lambda: rating_models.fit_seeds(no_build, NO_DATA, 3),
            TypeError,
            "seeds must be a list of whole numbers",
        ),
        (
            lambda: rating_models.fit_seeds(no_build, NO_DATA, [1, -2]),
            ValueError,
            r"seeds\[1\] must be at least 0; got -2",
        ),
        (
            lambda: rating_models.fit(no_build, NO_DATA, 1, batch_size=0),
            ValueError,
            "batch_size must be at least 1",
        ),
        (
            lambda: rating_models.split_ratings(FRAME, max_train=-5),
            ValueError,
            "max_train must be at least 1; got -5",
        ),
        (
            lambda: rating_models.split_ratings(FRAME, val_fraction=1.5),
            ValueError,
            r"val_fraction must lie in \(0, 1\), got 1.5",
        ),
        (
            lambda: rating_models.split_ratings(FRAME, val_fraction="0.1"),
            TypeError,
            r"val_fraction must be a number in \(0, 1\)",
        ),
        (
            lambda: towers.fit(no_build, None, seed=0, epochs=-1),
            ValueError,
            r"epochs must be at least 5 \(validation_freq\); got -1",
        ),
        (
            lambda: towers.fit(no_build, None, seed=0, epochs="30"),
            TypeError,
            "epochs must be a whole number",
        ),
        (
            lambda: towers.fit(no_build, None, seed=0, validation_freq=0),
            ValueError,
            "validation_freq must be at least 1",
        ),
        (
            lambda: featurization.split(None, None, train_size=0),
            ValueError,
            "train_size must be at least 1",
        ),
        (
            lambda: featurization.split(None, None, test_size=30_000),
            ValueError,
            r"test_size must be at least 1 and at most 20000 "
            r"\(the shuffled ratings minus train_size\); got 30000",
        ),
        (
            lambda: featurization.split(None, None, batch_size=2.0),
            TypeError,
            "batch_size must be a whole number",
        ),
    ],
    ids=[
        "fit-epochs-0",
        "fit-epochs-negative",
        "fit-epochs-text",
        "fit-epochs-fraction",
        "fit-no-seeds",
        "fit-seeds-not-a-list",
        "fit-negative-seed",
        "fit-batch-0",
        "split-max-train",
        "split-val-fraction",
        "split-val-fraction-text",
        "train-epochs",
        "train-epochs-text",
        "train-validation-freq",
        "tutorial-train-size",
        "tutorial-test-size",
        "tutorial-batch-fraction",
    ],
)
def test_entry_points_name_the_wrong_parameter_and_the_range(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_whole_accepts_numpy_integers_and_refuses_bools():
    assert (
        checks.whole("n", np.int64(3)) == 3
        and type(checks.whole("n", np.int64(3))) is int
    )
    with pytest.raises(TypeError, match="n must be a whole number"):
        checks.whole("n", True)
    assert checks.seeds("seeds", (0, np.int32(4))) == [0, 4]


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, False),
        ("", False),
        ("0", False),
        ("false", False),
        ("False", False),
        (" no ", False),
        ("off", False),
        ("1", True),
        ("true", True),
        ("yes", True),
    ],
)
def test_ci_flag_words(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    assert checks.in_ci() is expected


# --- issue 20: every public argument checked with one discipline ----------------------

NAN, INF = float("nan"), float("inf")
ONE_RATING = rating_models.RatingData(
    train={"rating": np.ones(1)},
    val={},
    user_counts=np.ones(1),
    movie_counts=np.ones(1),
)


@pytest.mark.parametrize(
    "rate, error, message",
    [
        (
            NAN,
            ValueError,
            r"learning_rate must be a finite number greater than 0; got nan",
        ),
        (INF, ValueError, r"learning_rate must be .* greater than 0; got inf"),
        (-0.1, ValueError, r"learning_rate must be .* greater than 0; got -0.1"),
        (0, ValueError, r"learning_rate must be .* greater than 0; got 0"),
        ("0.1", TypeError, r"learning_rate must be .*; got '0.1' \(str\)"),
    ],
    ids=["nan", "inf", "negative", "zero", "text"],
)
def test_learning_rate_is_finite_and_positive_before_any_training(rate, error, message):
    with pytest.raises(error, match=message):
        towers.fit(no_build, None, seed=0, learning_rate=rate)
    with pytest.raises(error, match=message):
        rating_models.fit(no_build, ONE_RATING, 0, learning_rate=rate)


def test_duplicate_seeds_are_refused():
    with pytest.raises(ValueError, match=r"seeds must hold distinct seeds.*repeats 0"):
        checks.seeds("seeds", [0, 0, 0])
    with pytest.raises(ValueError, match=r"repeats 1, 2"):
        rating_models.fit_seeds(no_build, NO_DATA, [2, 1, 2, 1])
    with pytest.raises(ValueError, match="distinct seeds"):
        retrieval.fit_seeds(no_build, None, [3, 3])
    assert checks.seeds("seeds", [2, 0, 1]) == [2, 0, 1]  # order kept


def test_empty_data_is_refused():
    empty = pd.DataFrame({"user_id": [], "movie_id": [], "rating": []})
    with pytest.raises(ValueError, match="got an empty ratings table"):
        rating_models.split_ratings(empty)
    no_training = rating_models.RatingData(
        train={"rating": np.zeros(0)}, val={}, user_counts=[], movie_counts=[]
    )
    with pytest.raises(ValueError, match="fit needs training ratings"):
        rating_models.fit(no_build, no_training, 0)


@pytest.mark.parametrize(
    "value, error, message",
    [
        (
            "37",
            TypeError,
            r"blocks must be a list of whole numbers, like \[400, 1300\]",
        ),
        ([3.7, 6.6], TypeError, r"blocks\[0\] must be a whole number .* got 3.7"),
        ([3, NAN], TypeError, r"blocks\[1\] must be a whole number .* got nan"),
        ([], ValueError, "blocks must hold at least one value"),
        ([3, 0], ValueError, r"blocks\[1\] must be at least 1; got 0"),
        ({"a": 1}, TypeError, "blocks must be a list"),
    ],
)
def test_whole_list_refuses_strings_floats_and_empty_lists(value, error, message):
    with pytest.raises(error, match=message):
        checks.whole_list("blocks", value)


def test_whole_list_accepts_tuples_and_arrays():
    assert checks.whole_list("b", (1, 2)) == [1, 2]
    assert checks.whole_list("b", np.array([3, 4])) == [3, 4]


@pytest.mark.parametrize(
    "kwargs, value, message",
    [
        ({"above": 0}, NAN, r"ratio must be a finite number greater than 0; got nan"),
        ({"minimum": 1}, INF, r"ratio must be a finite number at least 1; got inf"),
        ({"minimum": 1}, 0.5, r"ratio must be a finite number at least 1; got 0.5"),
        ({"minimum": 0, "maximum": 1}, 1.5, r"at least 0 and at most 1; got 1.5"),
    ],
)
def test_real_names_the_parameter_the_value_and_the_range(kwargs, value, message):
    with pytest.raises(ValueError, match=message):
        checks.real("ratio", value, **kwargs)


def test_real_accepts_numpy_floats_and_refuses_bools():
    assert checks.positive("r", np.float32(0.5)) == 0.5
    with pytest.raises(TypeError, match=r"r must be a finite number greater than 0"):
        checks.positive("r", True)


@pytest.mark.parametrize(
    "values, message",
    [
        ([0.5, NAN, 0.5], r"p must be finite and at least 0; p\[1\] is nan"),
        ([0.5, 0.5], r"p must hold 3 values \(one per id\); got shape \(2,\)"),
        ([1.5, -0.5, 0.0], r"p\[1\] is -0.5"),
        ([0.5, 0.4, 0.0], r"p must sum to 1 \(within 1e-06\); they sum to 0.9"),
    ],
)
def test_probabilities_are_finite_shares_one_per_id(values, message):
    with pytest.raises(ValueError, match=message):
        checks.probabilities("p", values, 3, "one per id")


def test_probabilities_allow_rounding():
    shares = np.array([1, 2, 4], "float32") / np.float32(7)
    assert checks.probabilities("p", shares, 3).sum() == pytest.approx(1)


def test_ids_out_of_the_vocabulary_are_an_error():
    checks.ids("ids", np.array([0, 9]), 10)
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 9\]; got id 10"):
        checks.ids("ids", np.array([1, 10]), 10)
    with pytest.raises(ValueError, match=r"got id -1, outside the vocabulary of 10"):
        checks.ids("ids", [-1], 10)
    with pytest.raises(TypeError, match="ids must be integer ids"):
        checks.ids("ids", np.array([0.5]), 10)


def test_ids_that_cannot_be_read_are_left_to_the_caller():
    import jax

    @jax.jit
    def traced(x):
        checks.ids("ids", x, 1)  # a tracer: nothing to read, no error
        return x

    assert int(traced(np.int32(5))) == 5
