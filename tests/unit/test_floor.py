"""recbook_tools.floor: the floor arithmetic by hand, XLA's counts of a known program, the triad."""

from __future__ import annotations

import math

from recbook_tools import floor

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest


def test_the_floor_is_the_slower_of_moving_the_bytes_and_doing_the_arithmetic():
    # 100 MB at 50 GB/s = 2 ms; 2 GFLOP at 100 GFLOP/s = 20 ms: compute sets 20 ms.
    compute = floor.StepCost(flops=2e9, bytes_accessed=1e8, working_set_bytes=10**7)
    assert floor.floor_seconds(compute, 50e9, 100e9) == pytest.approx(0.020)
    assert floor.bound(compute, 50e9, 100e9) == "compute"
    # 1 GB at 50 GB/s = 20 ms against 2 ms of arithmetic: memory sets it.
    memory = floor.StepCost(flops=2e8, bytes_accessed=1e9, working_set_bytes=10**7)
    assert floor.floor_seconds(memory, 50e9, 100e9) == pytest.approx(0.020)
    assert floor.bound(memory, 50e9, 100e9) == "memory"


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_the_floor_refuses_a_rate_that_is_not_positive_and_finite(bad):
    cost = floor.StepCost(flops=1.0, bytes_accessed=1.0, working_set_bytes=1)
    with pytest.raises(ValueError, match="bandwidth"):
        floor.floor_seconds(cost, bad, 1e9)
    with pytest.raises(ValueError, match="peak_flops"):
        floor.floor_seconds(cost, 1e9, bad)


def test_step_cost_counts_a_matrix_product_as_by_hand():
    # (64 x 32) @ (32 x 16): 2 * 64 * 32 * 16 FLOPs; reads both, writes the product.
    a = np.ones((64, 32), np.float32)
    b = np.ones((32, 16), np.float32)
    cost = floor.step_cost(jax.jit(jnp.dot).lower(a, b).compile())
    assert cost.flops == 2 * 64 * 32 * 16
    assert cost.bytes_accessed == (64 * 32 + 32 * 16 + 64 * 16) * 4
    assert cost.working_set_bytes >= (64 * 32 + 32 * 16 + 64 * 16) * 4


def test_triad_measures_a_positive_bandwidth_and_checks_its_size():
    smallest = floor.TRIAD_BYTES_PER_ELEMENT * floor.BLOCK
    for threads in (1, 2):
        rate = floor.triad_bandwidth(smallest * threads, threads, repeats=1)
        assert math.isfinite(rate) and rate > 1e8  # more than 0.1 GB/s anywhere
    with pytest.raises(ValueError, match="size_bytes.*one block"):
        floor.triad_bandwidth(smallest * 2 - 1, threads=2)
    with pytest.raises(ValueError, match="threads"):
        floor.triad_bandwidth(smallest, threads=0)


def test_matmul_peak_is_positive_and_checks_its_size():
    assert floor.matmul_peak(n=128, repeats=1) > 1e6
    with pytest.raises(ValueError, match="n"):
        floor.matmul_peak(n=0)


def test_a_keras_train_step_is_compiled_and_trains():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = np.ones((32, 8), np.float32)
    y = np.zeros((32, 4), np.float32)
    step = floor.train_step(model, (x, y))
    before = np.asarray(step.state[0][0]).copy()
    assert floor.seconds_per_step(step, steps=5, repeats=1) > 0
    assert not np.array_equal(np.asarray(step.state[0][0]), before)
    cost = floor.step_cost(step.compiled)
    # At least the forward product (2 * 32 * 8 * 4) and the weight gradient's (as many).
    assert cost.flops >= 2 * (2 * 32 * 8 * 4)
    assert step.first_fit_seconds > 0


def test_timed_returns_the_result_and_the_seconds():
    result, seconds = floor.timed(lambda: sum(range(1000)))
    assert result == 499_500 and 0 <= seconds < 1
