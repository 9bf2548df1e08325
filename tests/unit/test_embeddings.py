"""The embedding layers on tiny inputs: indices, shapes, parameter formulas, the alpha rule.

QR, MD and the alpha rule come from chapter 6's cells (:mod:`recbook.memory_efficient`),
hashing and the budget search from :mod:`recbook.embeddings`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from recbook.embeddings import HashEmbedding, block_probabilities, top_dim_for_budget
from recbook.memory_efficient import (
    COMBINERS,
    MDEmbedding,
    QREmbedding,
    alpha_power_dims,
)

import keras
import numpy as np
import pytest


def numpy(x):
    return keras.ops.convert_to_numpy(x)


def test_qr_gives_every_id_its_own_pair_of_rows():
    n, m = 23, 5
    layer = QREmbedding(n, 2, num_buckets=m, combiner="concat")
    layer.build((None,))
    # Quotient row q holds the value q, remainder row r holds r: the output is the pair.
    layer.quotient.set_weights(
        [np.arange(layer.quotient_rows, dtype="float32")[:, None]]
    )
    layer.remainder.set_weights([np.arange(m, dtype="float32")[:, None]])
    pairs = numpy(layer(np.arange(n))).astype(int)
    assert pairs.tolist() == [[i // m, i % m] for i in range(n)]
    assert len({tuple(p) for p in pairs}) == n
    assert layer.quotient_rows == 5  # ceil(23 / 5), not m rows as in the recipe


@pytest.mark.parametrize("combiner", COMBINERS)
@pytest.mark.parametrize("n, m", [(6040, 120), (3706, 61), (10, 10), (7, 1)])
def test_qr_parameter_formula(n, m, combiner):
    layer = QREmbedding(n, 64, num_buckets=m, combiner=combiner)
    out = layer(np.array([0, n - 1]))
    assert out.shape == (2, 64)
    assert layer.count_params() == QREmbedding.count_params_for(n, 64, m, combiner)
    width = 32 if combiner == "concat" else 64
    assert layer.count_params() == (-(-n // m) + m) * width


def test_qr_of_the_recipe_design_by_hand():
    # 6,040 users, m = 6,040 // 50 = 120: (51 + 120) rows of 64; the recipe allocates 2 x 120.
    assert QREmbedding.count_params_for(6040, 64, 120) == 10_944
    outputs = numpy(QREmbedding(6040, 8, 120)(np.arange(6040)))
    assert len(np.unique(outputs.round(7), axis=0)) == 6040


def test_qr_refuses_bad_arguments():
    with pytest.raises(ValueError, match="Unknown combiner 'max'"):
        QREmbedding(10, 4, 3, combiner="max")
    with pytest.raises(ValueError, match="even output_dim"):
        QREmbedding(10, 5, 3, combiner="concat")
    with pytest.raises(
        ValueError,
        match=r"num_buckets must be at least 1 and at most 10 \(input_dim, the vocabulary\); got 0",
    ):
        QREmbedding(10, 4, 0)


def test_hashing_shares_rows_between_colliding_ids():
    layer = HashEmbedding(100, 4, num_buckets=7)
    out = numpy(layer(np.array([3, 10, 4])))
    np.testing.assert_array_equal(out[0], out[1])  # 3 and 10 share bucket 3
    assert not np.array_equal(out[0], out[2])
    assert layer.count_params() == 7 * 4 == HashEmbedding.count_params_for(100, 4, 7)


def md_layer(lookup="gather"):
    return MDEmbedding([3, 4, 5], [8, 4, 2], output_dim=8, lookup=lookup)


def test_md_reads_each_id_from_its_own_block():
    layer = md_layer()
    ids = np.array([0, 2, 3, 6, 7, 11])
    out = numpy(layer(ids))
    table = {b: numpy(layer.block_table(b)) for b in range(3)}
    projection = {b: numpy(layer.projections[b]) for b in (1, 2)}
    expected = [
        table[0][0],
        table[0][2],
        table[1][0] @ projection[1],
        table[1][3] @ projection[1],
        table[2][0] @ projection[2],
        table[2][4] @ projection[2],
    ]
    np.testing.assert_allclose(out, np.stack(expected), rtol=1e-6, atol=1e-7)
    assert layer.projections[0] is None  # the full-dimension block is not projected


def test_md_gather_and_mask_lookups_agree():
    gather, mask = md_layer("gather"), md_layer("mask")
    ids = np.arange(12).reshape(3, 4)
    gather(ids), mask(ids)
    mask.set_weights(gather.get_weights())
    np.testing.assert_allclose(
        numpy(gather(ids)), numpy(mask(ids)), rtol=1e-6, atol=1e-7
    )
    assert gather(ids).shape == (3, 4, 8)


def test_md_parameter_formula_and_the_recipe_blocks():
    layer = md_layer()
    layer(np.array([0]))
    assert layer.count_params() == 3 * 8 + 4 * 4 + 5 * 2 + 4 * 8 + 2 * 8 == 98
    recipe = MDEmbedding([400, 1300, 2006], [64, 32, 16], 64)
    recipe(np.array([0]))
    # 400x64 + 1300x32 + 2006x16 rows, 32x64 + 16x64 projections; the recipe's own layer
    # adds an out-of-vocabulary row per block and projection biases: 102,608.
    assert recipe.count_params() == 25_600 + 41_600 + 32_096 + 2_048 + 1_024 == 102_368


def test_md_refuses_bad_arguments():
    with pytest.raises(ValueError, match="same, non-zero, length"):
        MDEmbedding([3, 4], [8], 8)
    with pytest.raises(ValueError, match=r"block_dims\[1\] must be at least 1; got 0"):
        MDEmbedding([3, 4], [8, 0], 8)
    with pytest.raises(ValueError, match="Unknown lookup 'scan'"):
        MDEmbedding([3], [8], 8, lookup="scan")


def test_block_probabilities_by_hand():
    # 20 queries; blocks of 1, 2, 2 ids take 10, 8 and 2 of them.
    p = block_probabilities([10, 6, 2, 1, 1], [1, 2, 2])
    np.testing.assert_allclose(p, [10 / 20, 8 / 20 / 2, 2 / 20 / 2])
    with pytest.raises(ValueError, match="sum to 4, but there are 5 ids"):
        block_probabilities([10, 6, 2, 1, 1], [1, 2, 1])


def test_alpha_power_rule_by_hand():
    p = [0.1, 0.01, 0.001]
    # 64 * (1, 0.1, 0.01) ** 0.5 = 64, 20.24, 6.4
    assert alpha_power_dims(p, 64, 0.5) == [64, 20, 6]
    assert alpha_power_dims(p, 64, 0.5, min_dim=8) == [64, 20, 8]
    assert alpha_power_dims(p, 64, 0.0) == [64, 64, 64]
    assert alpha_power_dims(p, 64, 1.0) == [64, 6, 1]
    with pytest.raises(
        ValueError, match=r"alpha must be a finite number at least 0 and at most 1; got"
    ):
        alpha_power_dims(p, 64, 1.5)


def test_top_dim_for_budget_is_the_largest_that_fits():
    p, sizes = [0.5, 0.2, 0.05], [1, 2, 2]
    top = top_dim_for_budget(p, sizes, 16, alpha=1.0, budget=100)

    def size(d):
        return MDEmbedding.count_params_for(sizes, alpha_power_dims(p, d, 1.0), 16)

    assert size(top) <= 100 < size(top + 1)
    with pytest.raises(ValueError, match="No MD table at alpha 1.0 fits 10 parameters"):
        top_dim_for_budget(p, sizes, 16, alpha=1.0, budget=10)
    # A large budget: capped at the output width unless max_dim lets the top block grow.
    assert top_dim_for_budget(p, sizes, 16, alpha=1.0, budget=10_000) == 16
    wide = top_dim_for_budget(p, sizes, 16, alpha=1.0, budget=1_000, max_dim=64)
    assert wide > 16 and size(wide) <= 1_000 < size(wide + 1)


def model_with_every_layer():
    ids = keras.Input(shape=(), dtype="int32")
    parts = [
        QREmbedding(50, 6, 7, combiner="add")(ids),
        HashEmbedding(50, 6, 9)(ids),
        MDEmbedding([10, 15, 25], [6, 3, 2], 6)(ids),
    ]
    return keras.Model(ids, keras.layers.Concatenate()(parts))


def test_save_and_load_round_trip(tmp_path):
    keras.utils.set_random_seed(1)
    model = model_with_every_layer()
    ids = np.arange(50, dtype="int32")
    path = tmp_path / "layers.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(numpy(model(ids)), numpy(loaded(ids)))
    assert loaded.layers[3].get_config()["block_dims"] == [6, 3, 2]


BACKEND_SCRIPT = """
import os, sys, json
import numpy as np, keras
import recbook.embeddings  # registers the layers
model = keras.saving.load_model(sys.argv[1])
out = keras.ops.convert_to_numpy(model(np.arange(50, dtype="int32")))
print(json.dumps({"backend": keras.backend.backend(), "out": out.tolist()}))
"""


def test_same_output_on_jax_and_tensorflow(tmp_path):
    keras.utils.set_random_seed(2)
    path = tmp_path / "layers.keras"
    model_with_every_layer().save(path)
    outputs = {}
    for backend in ("jax", "tensorflow"):
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
        done = subprocess.run(
            [sys.executable, "-c", BACKEND_SCRIPT, str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        answer = json.loads(done.stdout.strip().splitlines()[-1])
        assert answer["backend"] == backend
        outputs[backend] = np.array(answer["out"])
    np.testing.assert_allclose(
        outputs["jax"], outputs["tensorflow"], rtol=1e-5, atol=1e-6
    )


# --- issue 20: one checking discipline for the layers and the rule -------------------


@pytest.mark.parametrize(
    "build, error, message",
    [
        (
            lambda: MDEmbedding([3.7, 6.6], [4, 2], 4),
            TypeError,
            r"block_sizes\[0\] must be a whole number of at least 1; got 3.7",
        ),
        (
            lambda: MDEmbedding("37", [4, 2], 4),
            TypeError,
            r"block_sizes must be a list of whole numbers, like \[400, 1300\]; got '37'",
        ),
        (
            lambda: MDEmbedding([3, float("nan")], [4, 2], 4),
            TypeError,
            r"block_sizes\[1\] must be a whole number .* got nan",
        ),
        (
            lambda: MDEmbedding([3, 7], [4, 2], 0),
            ValueError,
            "output_dim must be at least 1; got 0",
        ),
        (
            lambda: QREmbedding(10, 4, 20),
            ValueError,
            r"num_buckets must be at least 1 and at most 10 \(input_dim, the vocabulary\)"
            r"; got 20",
        ),
        (
            lambda: HashEmbedding(10, 4, 11),
            ValueError,
            r"num_buckets must be at least 1 and at most 10",
        ),
        (
            lambda: HashEmbedding(10, 4.0, 5),
            TypeError,
            r"output_dim must be a whole number of at least 1; got 4.0",
        ),
        (
            lambda: QREmbedding.count_params_for(10, 4, 20),
            ValueError,
            "num_buckets must be at least 1 and at most 10",
        ),
        (
            lambda: MDEmbedding.count_params_for([2.5], [4], 4),
            TypeError,
            r"block_sizes\[0\] must be a whole number",
        ),
    ],
    ids=[
        "md-float-blocks",
        "md-string-blocks",
        "md-nan-block",
        "md-dim-0",
        "qr-more-buckets-than-ids",
        "hash-more-buckets-than-ids",
        "hash-float-dim",
        "qr-formula",
        "md-formula",
    ],
)
def test_layers_refuse_wrong_arguments_by_name(build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.parametrize(
    "layer",
    [
        HashEmbedding(10, 4, 3),
        QREmbedding(10, 4, 3),
        MDEmbedding([3, 7], [4, 2], 4),
        MDEmbedding([3, 7], [4, 2], 4, lookup="mask"),
    ],
    ids=["hash", "qr", "md", "md-mask"],
)
def test_an_id_outside_the_vocabulary_is_an_error_not_a_nan_or_a_wrapped_row(layer):
    assert numpy(layer(np.array([0, 9]))).shape == (2, 4)
    for wrong in (10, 1000, -1):
        with pytest.raises(
            ValueError, match=rf"ids must lie in \[0, 9\].*got id {wrong}"
        ):
            layer(np.array([1, wrong]))


def test_ids_in_a_compiled_step_are_not_read():
    user = keras.Input(shape=(), dtype="int32")
    model = keras.Model(user, QREmbedding(10, 4, 3)(user))
    assert model.predict(np.arange(10), verbose=0).shape == (10, 4)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: alpha_power_dims([0.0, 1.0], 16, 0.5),
            r"probabilities\[0\].*greater than 0",
        ),
        (
            lambda: alpha_power_dims([1.0, 0.5], 16, 0.5, min_dim=0),
            "min_dim must be at least 1",
        ),
        (
            lambda: alpha_power_dims([1.0, 0.5], 0, 0.5),
            "base_dim must be at least 1; got 0",
        ),
        (
            lambda: alpha_power_dims([1.0, 0.5], -16, 0.5),
            "base_dim must be at least 1; got -16",
        ),
        (
            lambda: alpha_power_dims([1.0, float("nan")], 16, 0.5),
            r"probabilities\[1\] is nan",
        ),
        (lambda: alpha_power_dims([1.0, -0.5], 16, 0.5), r"probabilities\[1\] is -0.5"),
        (
            lambda: alpha_power_dims([1.0], 16, float("nan")),
            "alpha must be a finite number",
        ),
        (
            lambda: alpha_power_dims([1.0], 16, 0.5, min_dim=17),
            r"at most 16 \(base_dim\)",
        ),
        (
            lambda: block_probabilities([1, 2, 3], [1.5, 1.5]),
            r"block_sizes\[0\] must be",
        ),
        (lambda: block_probabilities([1, -2, 3], [1, 2]), r"counts\[1\] is -2"),
        (
            lambda: top_dim_for_budget([1.0, 0.5], [1, 2], 8, 0.5, 100, max_dim=0),
            r"max_dim must be at least 1 \(min_dim\); got 0",
        ),
        (
            lambda: top_dim_for_budget([1.0, 0.5], [1, 2], 8, 0.5, 10.5),
            "budget must be a whole number",
        ),
    ],
)
def test_the_alpha_rule_refuses_what_would_give_zero_or_negative_dims(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()


# --- the move to chapter 6's cells (issue 26) ----------------------------------------

FIRST_IMPORT = """
import recbook.memory_efficient as chapter
from recbook import baselines, embeddings, rating_models
assert embeddings.QREmbedding is chapter.QREmbedding
assert embeddings.MDEmbedding is chapter.MDEmbedding
assert rating_models.fit is chapter.fit
assert rating_models.compile_for_training is chapter.compile_for_training
assert rating_models.EPOCHS == chapter.EPOCHS
print(baselines.bias_model.__name__)
"""


def test_the_chapters_module_imports_first_and_the_old_names_are_its_own():
    """Importing the chapter's module first, in a fresh process, raises no circular
    import (baselines, embeddings and rating_models import from it); the names the
    other modules read from embeddings and rating_models are the chapter's objects."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", FIRST_IMPORT],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "bias_model"
