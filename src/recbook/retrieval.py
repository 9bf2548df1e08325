"""Two-tower retrieval on MovieLens-100K: the keras.io Deep Recommenders tutorial, and beyond.

* :class:`QueryTower` and :class:`CandidateTower`: feature embeddings,
  concatenated, then dense layers (ReLU on all but the last).
* :class:`RetrievalModel`: both towers and ``keras_rs.layers.BruteForceRetrieval``
  over every movie, trained with one of two objectives:

  - ``"rating"`` (the tutorial): MSE between the query-candidate dot product
    and the rating rescaled to [0, 1];
  - ``"softmax"`` (TensorFlow Recommenders): in-batch softmax, every other
    movie of the batch a negative, accidental hits removed, optionally with
    the sampling-probability (log Q) correction.

  Both report two top-k accuracies: over 5-star test ratings only (the
  keras.io tutorial's metric, ``accuracy``) and over every test rating
  (TensorFlow Recommenders' ``FactorizedTopK``, ``accuracy_all``).
* :func:`fit` and :func:`fit_seeds`: seed, build, fit with validation every
  few epochs, and time it (runs as :class:`recbook.training.Run`).
* :func:`popularity_accuracy` and :func:`ranking_metrics`: the popularity
  baseline and per-user recall / NDCG with ``keras_rs.metrics``, on either
  definition of a relevant test rating.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras_rs
import numpy as np
import pandas as pd

from . import checks, guards, training
from .towers import (
    EPOCHS,
    FIVE_STARS,
    QUERY_INPUTS,
    RetrievalModel,
    fit,
)


def fit_seeds(
    build: Callable[[], RetrievalModel], problem: Any, seeds: Sequence[int], **options
) -> list[training.Run]:
    """:func:`fit` once per seed (``options`` go to :func:`fit`)."""
    return training.over_seeds(fit, build, problem, seeds, **options)


def holdout(problem: Any, size: int) -> Any:
    """The same problem with its first ``size`` training rows to train on, the rest to test on.

    For choosing settings without the test split: the held-out rows follow the
    training rows in the split's order, as the test split follows the training split.

    Raises:
        TypeError, ValueError: ``size`` is not a whole number between 1 and the
            training rows minus one.
    """
    rows = len(problem.train[1])
    checks.whole("size", size, maximum=rows - 1, bound="the training rows minus one")
    return dataclasses.replace(
        problem,
        train=take_rows(problem.train, slice(0, size)),
        test=take_rows(problem.train, slice(size, None)),
    )


def movie_counts(train_movie_ids: np.ndarray, movies_count: int) -> np.ndarray:
    """Training ratings of each movie id (index 0: no movie, 0)."""
    return np.bincount(train_movie_ids, minlength=movies_count + 1)


def movie_probabilities(train_movie_ids: np.ndarray, movies_count: int) -> np.ndarray:
    """Each movie id's share of the training ratings: how often it is an in-batch candidate."""
    counts = movie_counts(train_movie_ids, movies_count)
    return counts / counts.sum()


def popularity_ranking(train_movie_ids: np.ndarray, movies_count: int) -> np.ndarray:
    """Movie ids by training ratings, most rated first (ties: smaller id first; id 0 last)."""
    counts = movie_counts(train_movie_ids, movies_count)
    counts[0] = -1
    return np.lexsort((np.arange(len(counts)), -counts))


def popularity_accuracy(
    train_movie_ids: np.ndarray,
    test_movie_ids: np.ndarray,
    test_labels: np.ndarray,
    movies_count: int,
    k: int = 100,
    five_stars_only: bool = True,
) -> float:
    """Top-k accuracy of recommending the k most-rated movies to everyone.

    Over 5-star test ratings (the tutorial's metric), or over every test rating
    with ``five_stars_only=False`` (TensorFlow Recommenders' metric).
    """
    checks.whole("k", k, maximum=movies_count + 1, bound="the movie ids")
    top = popularity_ranking(train_movie_ids, movies_count)[:k]
    counted = relevant_ratings(test_labels, five_stars_only)
    return float(np.isin(test_movie_ids[counted], top).mean())


def relevant_ratings(labels: np.ndarray, five_stars_only: bool = True) -> np.ndarray:
    """Which ratings a metric counts: the 5-star ones, or (``False``) all of them."""
    return labels > FIVE_STARS if five_stars_only else np.ones(len(labels), dtype=bool)


def users_queries(inputs: dict) -> tuple[np.ndarray, dict]:
    """One row of query features per user (user features do not change between ratings)."""
    users, first = np.unique(inputs["user_id"], return_index=True)
    return users, {name: inputs[name][first] for name in QUERY_INPUTS}


def relevance(
    inputs: dict,
    labels: np.ndarray,
    users: np.ndarray,
    movies_count: int,
    five_stars_only: bool = True,
) -> np.ndarray:
    """Per user (rows, in ``users`` order) and movie id: 1 if relevant, else 0; -1 for id 0.

    Relevant: rated 5 stars, or (``five_stars_only=False``) rated at all.

    Raises:
        ValueError: ``users`` is not sorted and unique, or a rating's user is not in
            ``users`` (it would take another user's row); names the first such user.
    """
    users = np.asarray(users)
    if users.ndim != 1 or (np.diff(users) <= 0).any():
        raise ValueError(
            "relevance: users must be sorted and unique (as np.unique returns them)"
        )
    rows = np.searchsorted(users, inputs["user_id"])
    found = rows < len(users)
    found[found] = users[rows[found]] == np.asarray(inputs["user_id"])[found]
    if not found.all():
        missing = np.asarray(inputs["user_id"])[~found][0]
        raise ValueError(
            f"relevance: test user {missing} has no row in users; score every test "
            "user (users_queries of the test inputs) before measuring"
        )
    table = np.zeros((len(users), movies_count + 1), dtype="float32")
    counted = relevant_ratings(labels, five_stars_only)
    table[rows[counted], inputs["movie_id"][counted]] = 1.0
    table[:, 0] = -1.0
    return table


def ranking_metrics(
    scores: np.ndarray, relevant: np.ndarray, ks: Sequence[int] = (10, 100)
) -> dict[str, float]:
    """Recall@k and NDCG@k per user (``keras_rs.metrics``), averaged over users.

    Users without a relevant test rating (see :func:`relevance`) are left out.
    """
    ks = checks.whole_list("ks", ks, example="(10, 100)")
    rated = (relevant > 0).any(axis=1)
    scores, relevant = scores[rated], relevant[rated]
    result = {}
    for k in ks:
        for name, metric in (
            ("recall", keras_rs.metrics.RecallAtK),
            ("ndcg", keras_rs.metrics.NDCG),
        ):
            m = metric(k=k, shuffle_ties=False)
            m.update_state(relevant, scores)
            result[f"{name}@{k}"] = float(m.result())
    return result


def take_rows(
    data: tuple[dict, np.ndarray], selection: slice
) -> tuple[dict, np.ndarray]:
    """The given rows of a ``(features, labels)`` pair of arrays."""
    features, labels = data
    return {name: values[selection] for name, values in features.items()}, labels[
        selection
    ]


def recommendations(
    models: Mapping[str, RetrievalModel],
    user: int,
    train_data: tuple[dict, np.ndarray],
    test_data: tuple[dict, np.ndarray],
    k: int = 10,
) -> pd.DataFrame:
    """A user's top-k movies from each model, beside the movies they rated 5 stars in training.

    A recommended title is marked ``*`` if the user rated it 5 stars in the test
    split (a hit) and ``(seen)`` if they rated it in training.

    Raises:
        ValueError: the user has no training ratings.
    """
    checks.whole("k", k)
    train_inputs, train_labels = train_data
    own = train_inputs["user_id"] == user
    if not own.any():
        raise ValueError(f"User {user} has no training ratings.")
    seen = set(train_inputs["movie_id"][own].tolist())
    loved = train_inputs["movie_id"][own & (train_labels > FIVE_STARS)][:k].tolist()
    test_inputs, test_labels = test_data
    hits = set(
        test_inputs["movie_id"][
            (test_inputs["user_id"] == user) & (test_labels > FIVE_STARS)
        ].tolist()
    )
    query = {name: train_inputs[name][own][:1] for name in QUERY_INPUTS}
    titles = next(iter(models.values())).candidates.titles
    columns = {
        "rated 5 stars in training": [titles[m] for m in loved]
        + [""] * (k - len(loved))
    }
    for name, model in models.items():
        top = model.recommend(query)[0][:k].tolist()
        columns[name] = [
            titles[m] + (" *" if m in hits else "") + (" (seen)" if m in seen else "")
            for m in top
        ]
    return pd.DataFrame(columns, index=pd.RangeIndex(1, k + 1, name="rank"))


def tune(
    builds: Mapping[str, Callable[[], RetrievalModel]],
    tuning_problem: Any,
    learning_rates: Sequence[float],
    seeds: Sequence[int],
    epochs: int = EPOCHS,
) -> pd.DataFrame:
    """Every model of ``builds`` (by label) at every learning rate, on the holdout.

    Each (model, learning rate) trains once per seed on ``tuning_problem``
    (:func:`holdout`), validating every 5 epochs; its best epoch is the one with
    the highest mean validation top-100 accuracy (5-star) over the seeds. A run
    whose loss or weights stop being finite (:class:`recbook.guards.NonFiniteTrainingError`)
    makes its setting "diverged": it cannot be chosen.

    Returns:
        One row per model and learning rate: ``towers``, ``learning rate``,
        ``best epoch``, ``validation top-100`` (NaN when diverged) and ``diverged``.
    """
    rows = []
    for label, build in builds.items():
        for learning_rate in learning_rates:
            try:
                runs = fit_seeds(
                    build,
                    tuning_problem,
                    seeds,
                    epochs=epochs,
                    learning_rate=learning_rate,
                )
            except guards.NonFiniteTrainingError:
                rows.append(
                    {
                        "towers": label,
                        "learning rate": learning_rate,
                        "best epoch": None,
                        "validation top-100": float("nan"),
                        "diverged": True,
                    }
                )
                continue
            curve = training.summarize(runs)["accuracy_curve"]
            best = int(np.argmax(curve))
            rows.append(
                {
                    "towers": label,
                    "learning rate": learning_rate,
                    "best epoch": runs[0].epochs[best],
                    "validation top-100": curve[best],
                    "diverged": False,
                }
            )
    return pd.DataFrame(rows)


def tuning_choices(tuning: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Each model's best row of :func:`tune`, and the models whose chosen learning
    rate lies on an edge of the grid (where a wider grid might choose otherwise).

    Raises:
        ValueError: every learning rate of some model diverged.
    """
    finite = tuning[~tuning["diverged"]]
    missing = set(tuning["towers"]) - set(finite["towers"])
    if missing:
        raise ValueError(
            f"every learning rate diverged for {', '.join(sorted(missing))}; "
            "try smaller ones."
        )
    choices = finite.loc[
        finite.groupby("towers", sort=False)["validation top-100"].idxmax()
    ]
    rates = sorted(set(tuning["learning rate"]))
    edges = (rates[0], rates[-1]) if len(rates) > 1 else ()
    on_edge = [
        row["towers"]
        for row in choices.to_dict("records")
        if row["learning rate"] in edges
    ]
    if len(rates) == 1:
        on_edge = list(choices["towers"])
    return choices, on_edge
