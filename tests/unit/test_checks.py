"""recbook.checks, and the entry points that use it: a wrong parameter stops before any work."""

from __future__ import annotations

from recbook import checks, features, rating_models, retrieval

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
            lambda: retrieval.fit(no_build, None, seed=0, epochs=-1),
            ValueError,
            r"epochs must be at least 5 \(validation_freq\); got -1",
        ),
        (
            lambda: retrieval.fit(no_build, None, seed=0, epochs="30"),
            TypeError,
            "epochs must be a whole number",
        ),
        (
            lambda: retrieval.fit(no_build, None, seed=0, validation_freq=0),
            ValueError,
            "validation_freq must be at least 1",
        ),
        (
            lambda: features.split(None, None, train_size=0),
            ValueError,
            "train_size must be at least 1",
        ),
        (
            lambda: features.split(None, None, test_size=30_000),
            ValueError,
            r"test_size must be at least 1 and at most 20000 "
            r"\(the shuffled ratings minus train_size\); got 30000",
        ),
        (
            lambda: features.split(None, None, batch_size=2.0),
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
