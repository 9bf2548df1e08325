"""recbook.backend_timing: the saved problem round-trips, and each backend trains it in its own process."""

from __future__ import annotations

from recbook import backend_timing

import keras
import numpy as np
import pytest
from tiny_retrieval import VOCAB, candidates, ratings


def test_problem_round_trips(tmp_path):
    train, test = ratings(40), ratings(20, seed=1)
    path = tmp_path / "problem.npz"
    backend_timing.save_problem(path, train, test, VOCAB, candidates())
    train_back, test_back, vocab, candidates_back = backend_timing.load_problem(path)
    assert vocab == VOCAB
    for original, back in ((train, train_back), (test, test_back)):
        np.testing.assert_array_equal(original[1], back[1])
        assert set(original[0]) == set(back[0])
        for name in original[0]:
            np.testing.assert_array_equal(original[0][name], back[0][name])
    assert (candidates_back.genres_count, candidates_back.max_genres) == (3, 2)
    for name, tensor in candidates().tensors.items():
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(tensor),
            keras.ops.convert_to_numpy(candidates_back.tensors[name]),
        )


def test_unknown_backend_is_refused(tmp_path):
    with pytest.raises(ValueError, match="Unknown backend 'torch'"):
        backend_timing.time_backend("torch", tmp_path / "problem.npz")


def test_a_failed_child_process_says_why(tmp_path):
    with pytest.raises(RuntimeError, match="jax backend failed"):
        backend_timing.time_backend("jax", tmp_path / "missing.npz", epochs=5)


def test_both_backends_train_the_same_problem():
    result = backend_timing.compare_backends(
        ratings(200),
        ratings(50, seed=1),
        VOCAB,
        candidates(),
        layer_sizes=(4,),
        epochs=5,
        k=2,
    )
    assert {result["jax"]["backend"], result["tensorflow"]["backend"]} == {
        "jax",
        "tensorflow",
    }
    for backend in backend_timing.BACKENDS:
        assert (
            result[backend]["seconds"] > 0 and 0.0 <= result[backend]["accuracy"] <= 1.0
        )
    assert result["ratio"] == pytest.approx(
        result["tensorflow"]["seconds"] / result["jax"]["seconds"]
    )
