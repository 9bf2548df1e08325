"""recbook.sharding's pieces for chapter 6's equality checks: plain SGD, which sees a
sum of the devices' gradients where Adam would not; the fewest devices of a memory
class; and differences written for prose and tables (no ``2.4e-07`` on the page)."""

from __future__ import annotations

from recbook import data_parallelism, published, rating_models, sharding

import keras
import numpy as np
import pytest


def tiny_data(seed: int = 0) -> rating_models.RatingData:
    rng = np.random.default_rng(seed)
    users, movies, rows = 40, 30, 1024
    train = {
        "user": rng.integers(0, users, rows).astype("int32"),
        "movie": rng.integers(0, movies, rows).astype("int32"),
        "rating": rng.integers(1, 6, rows).astype("float32"),
    }
    val = {key: values[:256] for key, values in train.items()}
    return rating_models.RatingData(
        train=train,
        val=val,
        user_counts=np.ones(users, "int64"),
        movie_counts=np.ones(movies, "int64"),
    )


def sgd_run(data, learning_rate, start=None):
    model = data_parallelism.compile_sgd_rating_model(
        rating_models.rating_model(*data_parallelism.full_tables(40, 30, 8)),
        learning_rate,
    )
    if start is not None:
        model.set_weights(start)
    start = model.get_weights()
    losses, mae = data_parallelism.train_and_score(model, data, epochs=2, batch_size=64)
    return start, losses, mae


def test_sgd_sees_a_gradient_summed_over_devices_where_adam_does_not():
    data = tiny_data()
    keras.utils.set_random_seed(0)
    start, losses, mae = sgd_run(data, 5.0)
    _, same_losses, same_mae = sgd_run(data, 5.0, start)
    # The same run twice: equal within the chapter's tolerance.
    tolerance = published.SCALING_TOLERANCE
    assert np.max(np.abs(np.subtract(losses, same_losses))) <= tolerance["loss"]
    assert abs(mae - same_mae) <= tolerance["mae"]
    # Gradients summed over 4 devices instead of averaged: a step 4 times too long.
    _, summed_losses, summed_mae = sgd_run(data, 4 * 5.0, start)
    assert np.max(np.abs(np.subtract(losses, summed_losses))) > 100 * tolerance["loss"]
    assert abs(mae - summed_mae) > 10 * tolerance["mae"]


def test_the_sgd_optimizer_is_plain_and_named():
    model = data_parallelism.compile_sgd_rating_model(
        rating_models.rating_model(*data_parallelism.full_tables(4, 3, 2)), 0.5
    )
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert model.optimizer.name == "sgd" and model.optimizer.momentum == 0
    with pytest.raises(ValueError):
        data_parallelism.compile_sgd_rating_model(model, 0)


def test_fewest_devices_of_a_memory_class():
    # The production catalogue's full tables: 110 million rows of 64 float32, x 3.
    shapes = {
        "user_emb/embeddings": (100_000_000, 64),
        "movie_emb/embeddings": (10**7, 64),
    }
    assert sharding.per_device_bytes(shapes, 1) == 84_480_000_000
    assert sharding.fewest_devices(shapes, 80e9) == 2
    assert sharding.fewest_devices(shapes, 141e9) == 1
    assert sharding.fewest_devices(shapes, 1e9) == 85
    # Replicated weights larger than the device: no count holds them.
    assert sharding.fewest_devices({"dense/kernel": (10**6, 64)}, 1e6, most=8) is None


@pytest.mark.parametrize(
    "gap, words",
    [
        (0.0, "none"),
        (2.384185791015625e-07, "2.4 × 10⁻⁷"),
        (1e-4, "1.0 × 10⁻⁴"),
        (0.6938729882240295, "0.694"),
    ],
)
def test_differences_in_words(gap, words):
    assert sharding.difference_words(gap) == words


def test_agreement_sentences():
    assert sharding.agreement({"training losses": 2.4e-7, "validation MAEs": 0.0}) == (
        "the training losses differ by at most 2.4 × 10⁻⁷, the validation MAEs not at all"
    )
    assert (
        sharding.agreement({"predictions": 0.0})
        == "the predictions do not differ at all"
    )
    assert "e-0" not in sharding.agreement({"losses": 3e-5, "MAEs": 1e-6})


def test_shapes_as_text():
    assert sharding.shape_text((6040, 64)) == "6,040 × 64"
    assert sharding.shape_text([(927, 64), (926, 64)]) == "927 × 64; 926 × 64"
    assert sharding.shape_text(()) == "scalar"


# --- chapter 6's per-device table: measured bytes beside the figures on paper ---------


def adam_model(num_users: int, num_movies: int, dim: int) -> keras.Model:
    model = data_parallelism.compile_rating_model(
        rating_models.rating_model(
            *data_parallelism.full_tables(num_users, num_movies, dim)
        )
    )
    model.optimizer.build(model.trainable_variables)
    return model


def test_per_device_comparison_by_hand():
    model = adam_model(4, 3, 2)
    layers = data_parallelism.full_tables(4, 3, 2)
    table = sharding.per_device_comparison(
        {"one device": (model, layers, 1), "two shards": (model, layers, 2)}
    )
    # One device: 4 + 3 rows of 2 float32, each with Adam's two slots: 7 x 2 x 4 x 3.
    # On paper over 2 devices: ceil(4 / 2) + ceil(3 / 2) = 4 rows each.
    assert table.to_dict("records") == [
        {"model": "one device", "measured": 168, "on paper": 168},
        {"model": "two shards", "measured": 168, "on paper": 4 * 2 * 4 * 3},
    ]


@pytest.mark.parametrize(
    "models, error, message",
    [
        ({}, ValueError, "models must name at least one model"),
        (
            {"full": ("model", "layers")},
            ValueError,
            r"models\['full'\] must be a \(model, layers, shards\) triple",
        ),
        (
            {"full": (None, [], 0)},
            ValueError,
            r"models\['full'\]'s shards must be at least 1; got 0",
        ),
        (
            {"full": (None, [], 2.0)},
            TypeError,
            r"models\['full'\]'s shards must be a whole number",
        ),
    ],
)
def test_per_device_comparison_refuses_what_it_cannot_measure(models, error, message):
    with pytest.raises(error, match=message):
        sharding.per_device_comparison(models)


def test_megabytes_for_tables():
    assert sharding.megabytes(2_496_000) == "2.496"
    assert sharding.megabytes(np.int64(1_234_567_890)) == "1,234.568"
    assert sharding.megabytes(0) == "0.000"
    with pytest.raises(ValueError, match="value must be a finite number at least 0"):
        sharding.megabytes(-1)
    with pytest.raises(ValueError, match="value must be a finite"):
        sharding.megabytes(float("nan"))


def test_the_reference_run_is_seeded_and_keeps_its_starting_weights():
    data = tiny_data()
    model, start, losses, mae = data_parallelism.reference_run(data, 2, 64)
    # Chapter 6's tables at 64 dimensions, named for the layouts.
    assert [w.shape for w in start] == [(40, 64), (30, 64)]
    assert [w.path for w in model.weights] == [
        "user_emb/embeddings",
        "movie_emb/embeddings",
    ]
    # 1,024 ratings in batches of 64, two epochs: a loss after each of 32 steps.
    assert len(losses) == 32 and np.isfinite(losses).all()
    # The starting weights are those before training, not after.
    assert not np.allclose(start[0], model.get_weights()[0])
    # Seeded: a second run starts from the same weights and ends the same.
    _, again, again_losses, again_mae = data_parallelism.reference_run(data, 2, 64)
    assert all(np.array_equal(a, b) for a, b in zip(start, again, strict=True))
    assert again_losses == losses and again_mae == mae
    # Its validation MAE is the model's own, as evaluate computes it on the ratings.
    direct = np.abs(
        model.predict(data.inputs("val"), verbose=0).ravel() - data.val["rating"]
    )
    assert mae == pytest.approx(float(direct.mean()), abs=1e-5)


def test_the_device_summary_names_what_the_chapter_runs_on():
    from recbook import devices

    import jax

    text = devices.summary(["cpu:0"], False).splitlines()
    assert text[0] == (
        f"Keras {keras.__version__}, JAX {jax.__version__}, "
        f"backend {keras.backend.backend()}"
    )
    assert text[1] == "XLA flag set before JAX started: False"
    assert text[2] == (
        f"devices used: 1 (cpu:0) of {len(jax.devices())} "
        f"{jax.devices()[0].platform} device(s)"
    )


def test_sample_split_is_chapter_5s_split_with_a_seeded_training_sample():
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "user_id": rng.integers(1, 50, 2_000),
            "movie_id": rng.integers(1, 40, 2_000),
            "rating": rng.integers(1, 6, 2_000).astype("float32"),
        }
    )
    split = data_parallelism.sample_split(frame, 500, 3)
    whole = rating_models.split_ratings(frame, val_fraction=0.15, seed=3)
    assert len(split.train["rating"]) == 500
    # The validation ratings are the whole split's: 15% of 2,000, give or take.
    assert len(split.val["rating"]) == len(whole.val["rating"])
    assert 0.12 < len(whole.val["rating"]) / 2_000 < 0.18
    again = data_parallelism.sample_split(frame, 500, 3)
    assert np.array_equal(again.train["rating"], split.train["rating"])
