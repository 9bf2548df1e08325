"""recbook.devices, recbook.data_parallelism and recbook.model_parallelism (chapters 7
and 8's exported cells) and recbook.sharding:
padding, layouts, memory arithmetic against hand computations, collective parsing on a
hand-written HLO, and (in a child process with 4 simulated CPU devices) the shards and
collectives of a real mesh."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from recbook import (
    data_parallelism,
    devices,
    model_parallelism,
    published,
    records,
    sharding,
)
from recbook.embeddings import HashEmbedding
from recbook.memory_efficient import MDEmbedding, QREmbedding

import keras
import numpy as np
import pytest

# --- devices --------------------------------------------------------------------------


def test_host_device_flag_is_set_once_and_other_flags_kept():
    flags = devices.with_host_device_count(
        "--xla_cpu_foo=1 --xla_force_host_platform_device_count=2", 8
    )
    assert flags.split() == [
        "--xla_cpu_foo=1",
        "--xla_force_host_platform_device_count=8",
    ]
    assert (
        devices.with_host_device_count("", 1)
        == "--xla_force_host_platform_device_count=1"
    )
    with pytest.raises(ValueError, match="count must be at least 1; got 0"):
        devices.with_host_device_count("", 0)
    for wrong in (2.0, True, "2"):
        with pytest.raises(TypeError, match="count must be a whole number"):
            devices.with_host_device_count("", wrong)


def test_the_flag_takes_effect_after_jax_is_imported_before_its_first_device():
    """In a chapter's kernel JAX is imported early (TensorFlow imports Keras, Keras
    imports its JAX backend) but its backends start only at the first device: the flag
    still counts, and simulate_cpu_devices says so."""
    script = (
        "import jax\n"
        "from recbook import devices\n"
        "in_time = devices.simulate_cpu_devices(3)\n"
        "print(in_time, len(jax.devices('cpu')))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "3"]


def test_simulate_cpu_devices_reports_that_jax_already_started(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_foo=1")
    from jax._src import xla_bridge

    # As after a first jax.devices(): the backends exist, the flag comes too late.
    monkeypatch.setattr(xla_bridge, "backends_are_initialized", lambda: True)
    assert devices.simulate_cpu_devices(3) is False
    monkeypatch.setattr(xla_bridge, "backends_are_initialized", lambda: False)
    assert devices.simulate_cpu_devices(3) is True
    assert (
        os.environ["XLA_FLAGS"]
        == "--xla_cpu_foo=1 --xla_force_host_platform_device_count=3"
    )


# --- padding --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rows, shards, padded",
    [
        (3706, 4, 3708),
        (6040, 4, 6040),
        (3706, 8, 3712),
        (1, 1, 1),
        (51, 4, 52),
        (5, 8, 8),
    ],
)
def test_padded_rows(rows, shards, padded):
    assert model_parallelism.padded_rows(rows, shards) == padded


def test_padded_rows_rejects_nonsense():
    with pytest.raises(ValueError):
        model_parallelism.padded_rows(0, 4)
    with pytest.raises(ValueError):
        model_parallelism.padded_rows(10, 0)


def test_padding_an_embedding_keeps_every_id_on_its_row():
    table = keras.layers.Embedding(3706, 8, name="movie_emb")
    wider = model_parallelism.pad_table(table, 4)
    assert (wider.input_dim, wider.output_dim, wider.name) == (3708, 8, "movie_emb")
    wider.build((None,))
    ids = np.array([0, 1, 3705])
    weights = wider.get_weights()[0]
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(wider(ids)), weights[ids])


def test_padding_a_qr_table_pads_its_quotient_only():
    table = QREmbedding(
        6040, 8, num_buckets=120, name="user_emb"
    )  # quotient 51 rows, remainder 120
    wider = model_parallelism.pad_table(table, 4)
    assert (
        wider.quotient_rows == 52
        and wider.num_buckets == 120
        and wider.input_dim == 52 * 120
    )
    # The same weights give every real id the same vector: the padded quotient row is
    # read by no id < 6040.
    table.build((None,))
    wider.build((None,))
    quotient, remainder = table.get_weights()
    wider.set_weights(
        [np.concatenate([quotient, np.full((1, 8), 99.0, "float32")]), remainder]
    )
    ids = np.arange(6040)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(wider(ids)), keras.ops.convert_to_numpy(table(ids))
    )


def test_md_and_hash_tables_are_not_padded_and_others_refused():
    md = MDEmbedding([4, 6], [8, 4], 8)
    assert model_parallelism.pad_table(md, 4).get_config() == md.get_config()
    hashed = HashEmbedding(100, 8, num_buckets=10)
    assert model_parallelism.pad_table(hashed, 4).num_buckets == 10
    with pytest.raises(TypeError, match="Dense"):
        model_parallelism.pad_table(keras.layers.Dense(3), 4)


def test_padded_weights_append_zero_rows():
    keras.utils.set_random_seed(0)
    small = keras.Sequential(
        [keras.Input((), dtype="int32"), keras.layers.Embedding(5, 3)]
    )
    large = keras.Sequential(
        [keras.Input((), dtype="int32"), keras.layers.Embedding(8, 3)]
    )
    weights = sharding.padded_weights(small.get_weights(), large)
    assert weights[0].shape == (8, 3)
    np.testing.assert_array_equal(weights[0][:5], small.get_weights()[0])
    assert not weights[0][5:].any()
    with pytest.raises(ValueError, match="does not pad"):
        sharding.padded_weights(large.get_weights(), small)


# --- shapes and layouts ---------------------------------------------------------------


def test_weight_shapes_allocate_nothing_and_leave_nothing_pending():
    from keras.src.backend.common import global_state

    table = keras.layers.Embedding(100_000_000, 64, name="user_emb")
    assert model_parallelism.weight_shapes(table) == {
        "user_emb/embeddings": (100_000_000, 64)
    }
    assert not table.built
    assert not global_state.get_global_attribute("uninitialized_variables")
    qr = QREmbedding(6040, 64, num_buckets=120, name="u")
    assert model_parallelism.weight_shapes(qr) == {
        "u/quotient/embeddings": (51, 64),
        "u/remainder/embeddings": (120, 64),
    }
    md = MDEmbedding([400, 1300, 2006], [64, 32, 16], 64, name="m")
    assert model_parallelism.weight_shapes(md) == {
        "m/rows": (400 * 64 + 1300 * 32 + 2006 * 16,),
        "m/projection_1": (32, 64),
        "m/projection_2": (16, 64),
    }


def test_table_weights_are_recognised_by_name():
    assert model_parallelism.is_table_weight("user_emb/embeddings")
    assert model_parallelism.is_table_weight("user_emb/quotient/embeddings")
    assert model_parallelism.is_table_weight("movie_emb/rows")
    assert not model_parallelism.is_table_weight("movie_emb/projection_1")
    assert not model_parallelism.is_table_weight("dense/kernel")


def one_device_mesh(model: int = 1):
    return keras.distribution.DeviceMesh(
        (1, model), ("data", "model"), keras.distribution.list_devices()[:1]
    )


def test_layout_map_shards_divisible_tables_and_lists_the_rest():
    mesh = one_device_mesh()
    layers = sharding.recipe_tables(sharding.Catalogue("ML-1M", 6040, 3706))
    layout_map, replicated = model_parallelism.row_layout_map(mesh, layers)
    assert {path: layout_map[path].axes for path in layout_map} == {
        "user_emb/quotient/embeddings": ("model", None),
        "user_emb/remainder/embeddings": ("model", None),
        "movie_emb/rows": ("model",),
    }
    assert replicated == []
    assert layout_map["movie_emb/projection_1"] is None  # replicated by ModelParallel
    # A mesh whose model axis is 4 (only the layout's arithmetic is used): 51 quotient
    # rows do not divide.
    four = keras.distribution.DeviceMesh((1, 4), ("data", "model"), ["cpu:0"] * 4)
    _, replicated = model_parallelism.row_layout_map(four, layers)
    assert replicated == ["user_emb/quotient/embeddings"]
    _, replicated = model_parallelism.row_layout_map(
        four, model_parallelism.padded(layers, 4)
    )
    assert replicated == []


def test_device_mesh_shapes():
    devices_ = keras.distribution.list_devices()[:1]
    assert model_parallelism.device_mesh(devices_).shape == (1, 1)
    assert model_parallelism.device_mesh(["cpu:0"] * 8, model=4).shape == (2, 4)
    with pytest.raises(ValueError, match="groups of 3"):
        model_parallelism.device_mesh(["cpu:0"] * 8, model=3)
    assert data_parallelism.choose_devices(64) == keras.distribution.list_devices()[:64]


# --- memory arithmetic ----------------------------------------------------------------

ML_1M = sharding.Catalogue("ML-1M", 6040, 3706)


def test_memory_of_full_tables_by_hand():
    table = sharding.memory_table(
        [ML_1M],
        {
            "full": lambda c, d: data_parallelism.full_tables(
                c.num_users, c.num_movies, d
            )
        },
    )
    row = table.iloc[0]
    assert row["parameters"] == (6040 + 3706) * 64 == 623_744  # chapter 6's baseline
    assert row["weights (bytes)"] == 623_744 * 4
    assert row["with Adam (bytes)"] == 623_744 * 4 * 3
    # 4 devices: ceil(6040 / 4) = 1510 and ceil(3706 / 4) = 927 rows each; 64: 95 and 58.
    assert row["per device on 4 (bytes)"] == (1510 + 927) * 64 * 4 * 3 == 1_871_616
    assert row["per device on 8 (bytes)"] == (755 + 464) * 64 * 4 * 3
    assert row["per device on 64 (bytes)"] == (95 + 58) * 64 * 4 * 3


def test_the_issue_figure_a_100_million_row_table_is_25_6_gb():
    shapes = model_parallelism.weight_shapes(
        keras.layers.Embedding(100_000_000, 64, name="t")
    )
    assert sharding.per_device_bytes(shapes, 1, slots=0) == 25_600_000_000
    assert (
        sharding.per_device_bytes(shapes, 64) == 1_562_500 * 64 * 4 * 3 == 1_200_000_000
    )  # 10^8 / 64 rows
    assert sharding.human_bytes(25_600_000_000) == "25.6 GB"
    assert (
        sharding.human_bytes(999) == "999 B" and sharding.human_bytes(1_500) == "1.5 kB"
    )


def test_memory_of_the_recipe_design_by_hand():
    table = sharding.memory_table(
        [ML_1M], {"recipe": sharding.recipe_tables}, device_counts=[4]
    )
    row = table.iloc[0]
    quotient, remainder = 51 * 64, 120 * 64
    rows, projections = 400 * 64 + 1300 * 32 + 2006 * 16, 32 * 64 + 16 * 64
    assert (
        row["parameters"] == quotient + remainder + rows + projections == 113_312
    )  # chapter 6's figure
    assert (
        row["per device on 4 (bytes)"]
        == (13 * 64 + 30 * 64 + rows // 4 + projections) * 4 * 3
    )


def test_memory_of_qr_tables_agrees_with_the_layer_formula():
    table = sharding.memory_table(
        [ML_1M], {"qr": lambda c, d: sharding.qr_tables(c, 10, d)}, device_counts=[1]
    )
    user, movie = sharding.qr_tables(ML_1M, 10)
    expected = sum(
        QREmbedding.count_params_for(t.input_dim, t.output_dim, t.num_buckets)
        for t in (user, movie)
    )
    assert table.iloc[0]["parameters"] == expected
    assert 0.09 < expected / 623_744 < 0.11  # about 10x smaller


def test_published_catalogue_counts():
    assert published.MOVIELENS_COUNTS["32m"] == {
        "users": 200_948,
        "movies": 87_585,
        "ratings": 32_000_204,
    }
    assert published.MOVIELENS_COUNTS["1m"]["users"] == 6_040


# --- collectives in HLO text ----------------------------------------------------------

HLO = "\n".join(
    [
        "HloModule jit_train_step",
        "ENTRY %main {",
        "  %all-reduce.4 = (f32[], f32[6040,64]{1,0}, f32[3708,64]{1,0}) "
        "all-reduce(%a, %b, %c), channel_id=1, replica_groups={{0,1,2,3}}, "
        "use_global_device_ids=true, to_apply=%add",
        "  %all-gather.1 = f32[128,64]{1,0} all-gather(f32[32,64]{1,0} %d), channel_id=2, "
        "replica_groups=[1,4]<=[4], dimensions={0}",
        "  %ag-start = (f32[32,64]{1,0}, f32[128,64]{1,0}) all-gather-start(%d), "
        "channel_id=3, replica_groups={{0,1,2,3}}, dimensions={0}",
        "  %ag-done = f32[128,64]{1,0} all-gather-done(%ag-start)",
        "  %reduce-scatter.2 = bf16[32,64]{1,0} reduce-scatter(%e), channel_id=4, "
        "replica_groups={{0,1,2,3}}, dimensions={0}, to_apply=%add",
        "  ROOT %collective-permute.1 = s32[10]{0} collective-permute(%f), channel_id=5, "
        "source_target_pairs={{0,1}}",
        "  %not-a-collective = f32[4]{0} add(%g, %h)",
        "}",
        "",
    ]
)
"""A hand-written HLO module, one instruction a line (long lines split only here)."""


def test_collectives_parsed_with_their_bytes():
    table = sharding.collectives(HLO)
    assert table["operation"].tolist() == [
        "all-reduce",
        "all-gather",
        "all-gather",
        "reduce-scatter",
        "collective-permute",
    ]
    assert table["bytes"].tolist() == [
        4 + (6040 + 3708) * 64 * 4,
        128 * 64 * 4,
        128 * 64 * 4,
        32 * 64 * 2,
        40,
    ]
    assert table["groups"].iloc[0] == "{{0,1,2,3}}"
    assert sharding.collective_bytes(HLO) == {
        "all-reduce": 4 + (6040 + 3708) * 256,
        "all-gather": 2 * 128 * 64 * 4,
        "reduce-scatter": 32 * 64 * 2,
        "all-to-all": 0,
        "collective-permute": 40,
    }
    assert sharding.collectives("HloModule empty").empty


# --- a real 4-device mesh, in a child process -------------------------------------------

CHILD = textwrap.dedent("""\
    import json
    from recbook import devices
    devices.simulate_cpu_devices(4)
    import keras, numpy as np
    from recbook import data_parallelism, model_parallelism, rating_models, sharding
    mesh_devices = data_parallelism.choose_devices(4)
    mesh = model_parallelism.device_mesh(mesh_devices)
    layers = model_parallelism.padded(data_parallelism.full_tables(6040, 3706, 8), 4)
    distribution, replicated = model_parallelism.model_parallel(mesh, layers)
    keras.utils.set_random_seed(0)
    reference = data_parallelism.compile_rating_model(
        rating_models.rating_model(*data_parallelism.full_tables(6040, 3706, 8))
    )
    inputs, targets = sharding.sample_batch(6040, 3706, 64)
    expected = reference.predict(inputs, verbose=0)
    with distribution.scope():
        model = data_parallelism.compile_rating_model(rating_models.rating_model(*layers))
        model.set_weights(sharding.padded_weights(reference.get_weights(), model))
        gap = float(np.abs(model.predict(inputs, verbose=0) - expected).max())
        model.fit(inputs, targets, batch_size=len(targets), verbose=0)
        hlo = sharding.train_step_hlo(model, inputs, targets)
    variables = sharding.model_and_slot_variables(model)
    print(json.dumps({
        "devices": mesh_devices, "replicated": replicated, "gap": gap,
        "shards": {v.path: sharding.shard_shapes(v) for v in variables},
        "held": sharding.bytes_per_device(variables),
        "moved": sharding.collective_bytes(hlo)}))
    """)


@pytest.fixture(scope="module")
def four_devices():
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    env.pop("XLA_FLAGS", None)
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_rows_are_split_over_four_simulated_devices(four_devices):
    assert four_devices[records.DEVICES] == ["cpu:0", "cpu:1", "cpu:2", "cpu:3"]
    assert four_devices["replicated"] == []
    shards = four_devices["shards"]
    assert shards["user_emb/embeddings"] == [[1510, 8]] * 4
    assert shards["movie_emb/embeddings"] == [[927, 8]] * 4  # 3,706 padded to 3,708
    assert (
        shards["adam/movie_emb_embeddings_velocity"] == [[927, 8]] * 4
    )  # slots follow their variable
    assert set(four_devices["held"].values()) == {(1510 + 927) * 8 * 4 * 3}


def test_sharded_predictions_equal_and_only_activations_move(four_devices):
    assert four_devices["gap"] <= published.SCALING_TOLERANCE["predictions"]
    # Model parallel: the looked-up rows of both tables are summed over the devices,
    # 64 x 8 floats each.
    assert four_devices["moved"] == {
        "all-reduce": 2 * 64 * 8 * 4,
        "all-gather": 0,
        "reduce-scatter": 0,
        "all-to-all": 0,
        "collective-permute": 0,
    }


# --- issue 20: the sharding arithmetic checks its arguments, and its bytes by hand ----


def test_per_device_bytes_by_hand():
    shapes = {
        "user_emb/embeddings": (10, 4),
        "movie_emb/rows": (7,),
        "p/kernel": (3, 4),
    }
    # 4 devices: ceil(10 / 4) = 3 rows of 4, ceil(7 / 4) = 2 values, 12 replicated:
    # 26 values, 4 bytes each, 3 times (Adam's two slots): 312.
    assert sharding.per_device_bytes(shapes, 4) == 312
    assert sharding.per_device_bytes(shapes, 1) == (40 + 7 + 12) * 4 * 3 == 708
    assert sharding.per_device_bytes(shapes, 4, slots=0, dtype_bytes=2) == 26 * 2
    assert sharding.per_device_bytes(shapes, 64) == (4 + 1 + 12) * 12


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: sharding.per_device_bytes({}, -4),
            ValueError,
            "devices must be at least 1",
        ),
        (
            lambda: sharding.per_device_bytes({}, 0),
            ValueError,
            "devices must be at least 1; got 0",
        ),
        (
            lambda: sharding.per_device_bytes({}, 2.0),
            TypeError,
            "devices must be a whole number",
        ),
        (
            lambda: sharding.per_device_bytes({}, 2, slots=-1),
            ValueError,
            "slots must be at least 0",
        ),
        (
            lambda: model_parallelism.padded_rows(10, 2.5),
            TypeError,
            "shards must be a whole number",
        ),
        (
            lambda: model_parallelism.padded_rows(10.0, 2),
            TypeError,
            "rows must be a whole number",
        ),
        (
            lambda: data_parallelism.choose_devices(1.5),
            TypeError,
            "count must be a whole number",
        ),
        (
            lambda: data_parallelism.choose_devices(0),
            ValueError,
            "count must be at least 1; got 0",
        ),
        (
            lambda: model_parallelism.device_mesh("cpu:0"),
            TypeError,
            "devices must be a list of device",
        ),
        (
            lambda: model_parallelism.device_mesh([]),
            ValueError,
            "devices must name at least one",
        ),
        (
            lambda: model_parallelism.device_mesh(["a", "b"], model=0),
            ValueError,
            "model must be at least 1",
        ),
        (
            lambda: data_parallelism.data_parallel([]),
            ValueError,
            "devices must name at least one",
        ),
        (
            lambda: sharding.Catalogue("x", 0, 5),
            ValueError,
            "num_users must be at least 1",
        ),
        (
            lambda: sharding.Catalogue("x", 5, 2.5),
            TypeError,
            "num_movies must be a whole",
        ),
        (
            lambda: sharding.qr_tables(ML_1M, float("inf")),
            ValueError,
            "ratio must be a finite",
        ),
        (
            lambda: sharding.qr_tables(ML_1M, float("nan")),
            ValueError,
            "ratio must be a finite",
        ),
        (
            lambda: data_parallelism.full_tables(10, 10, 0),
            ValueError,
            "dim must be at least 1; got 0",
        ),
        (
            lambda: sharding.human_bytes(float("nan")),
            ValueError,
            "value must be a finite",
        ),
        (
            lambda: sharding.memory_table([ML_1M], {}, device_counts=[4, -2]),
            ValueError,
            r"device_counts\[1\] must be at least 1",
        ),
        (
            lambda: sharding.step_collectives("data", ["a", "b", "c"], 10, 10, 128),
            ValueError,
            "Batches of 128 over 3 devices need a batch size divisible by 3",
        ),
        (
            lambda: sharding.collectives_by_device_count([1, 3], 10, 10, 128),
            ValueError,
            r"Batches of 128 do not split over 3 devices",
        ),
        (
            lambda: sharding.collectives_by_device_count("8", 10, 10),
            TypeError,
            "counts must be a list of whole numbers",
        ),
    ],
)
def test_sharding_arguments_are_checked_by_name(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_train_and_score_refuses_empty_training_data():
    from recbook import rating_models

    empty = rating_models.RatingData(
        train={"rating": np.zeros(0)}, val={}, user_counts=[1], movie_counts=[1]
    )
    with pytest.raises(ValueError, match="train_and_score needs training ratings"):
        data_parallelism.train_and_score(None, empty)
    with pytest.raises(ValueError, match="epochs must be at least 1; got 0"):
        data_parallelism.train_and_score(None, empty, epochs=0)
