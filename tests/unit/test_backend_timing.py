"""recbook.backend_timing: each backend trains the same saved problem in its own process."""

from __future__ import annotations

from recbook import backend_timing, features

import pytest
from tiny_retrieval import VOCAB, candidates, ratings


def test_unknown_backend_is_refused(tmp_path):
    with pytest.raises(ValueError, match="Unknown backend 'torch'"):
        backend_timing.time_backend("torch", tmp_path / "problem.npz")


def test_a_failed_child_process_says_why(tmp_path):
    with pytest.raises(RuntimeError, match="jax backend failed"):
        backend_timing.time_backend("jax", tmp_path / "missing.npz", epochs=5)


def test_both_backends_train_the_same_problem():
    problem = features.RetrievalProblem(
        ratings(200), ratings(50, seed=1), VOCAB, candidates()
    )
    result = backend_timing.compare_backends(
        problem,
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
