"""recbook.features on the genuine MovieLens-100K (needs ``$MOVIELENS_DIR``)."""

from __future__ import annotations

from recbook import data, features

import pytest
from tiny_retrieval import assert_same_problem, chapter_preparation

pytestmark = pytest.mark.data


def test_retrieval_problem_on_movielens_100k_is_bit_identical(
    monkeypatch, movielens_dir
):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(movielens_dir))
    problem = features.retrieval_problem("100k")
    expected = chapter_preparation(
        data.load_tfds("ratings", "100k"), data.load_tfds("movies", "100k")
    )
    assert_same_problem(problem, expected)
    assert (len(problem.train[1]), len(problem.test[1])) == (80_000, 20_000)
    assert (problem.vocab.users, problem.vocab.movies) == (943, 1682)
