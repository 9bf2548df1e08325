"""Classical models that set the zero: what a deep model must beat to have learned anything.

Rating prediction (chapter 4): the global mean, and the user + movie bias model
(the global mean plus one bias per user and per movie, regularized least squares),
which has no user-movie interaction: what embeddings add is their gain over it.

Retrieval (chapter 3): two collaborative-filtering models on the binary
user x movie matrix of training ratings, scored like the towers (seen movies
not filtered): an item-item neighbourhood model (cosine similarity, the k most
similar movies of each) and EASE (Steck, 2019), a closed-form linear item-item
model. All are closed-form or a few numpy passes: seconds, no seeds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from . import checks

RATING_METRICS = (
    "mae",
    "rmse",
    "selection_mae",
    "selection_rmse",
    "test_mae",
    "test_rmse",
)
"""MAE and RMSE on the validation split, its selection half and its test half."""

BIAS_L2_GRID = (1.0, 3.0, 10.0, 30.0, 100.0)
"""Regularizations the bias model tries (chosen on the selection half)."""

BIAS_ITERATIONS = 20
"""Alternating passes over user and movie biases (each pass solves one side exactly)."""

RATING_RANGE = (1.0, 5.0)
"""MovieLens stars: predictions are clipped to them."""

EASE_L2_GRID = tuple(100.0 * 2**i for i in range(12))
"""EASE's regularizations, 100 to 204,800 by doubling (chosen on
:func:`recbook.retrieval.holdout`; wide enough that the choice is not at an edge)."""

NEIGHBOURS_GRID = (10, 20, 50, 100, 200, 400, 800, 1600)
"""Item-item neighbourhood sizes (chosen on :func:`recbook.retrieval.holdout`)."""

EXCLUDED_SCORE = -np.inf
"""Score of column 0 (no movie), so that it is never recommended."""


# --- rating prediction -------------------------------------------------------


def rating_metrics(
    predictions: np.ndarray, ratings: np.ndarray, in_test: np.ndarray
) -> dict[str, float]:
    """:data:`RATING_METRICS` of predictions of the validation ratings.

    ``in_test`` marks the test half (:class:`recbook.rating_models.RatingData`).
    """
    error = np.asarray(predictions, dtype="float64") - np.asarray(ratings, "float64")
    parts = {"": error, "selection_": error[~in_test], "test_": error[in_test]}
    metrics = {}
    for prefix, part in parts.items():
        metrics[f"{prefix}mae"] = float(np.abs(part).mean())
        metrics[f"{prefix}rmse"] = float(np.sqrt(np.mean(part**2)))
    return metrics


@dataclass(frozen=True)
class BiasModel:
    """``mean + user_bias[user] + movie_bias[movie]``, clipped to the stars.

    Attributes:
        mean: the training ratings' mean.
        user_bias, movie_bias: one bias per encoded id.
        l2: the regularization it was fitted with.
    """

    mean: float
    user_bias: np.ndarray
    movie_bias: np.ndarray
    l2: float

    @property
    def params(self) -> int:
        """The global mean and one bias per user and per movie."""
        return 1 + len(self.user_bias) + len(self.movie_bias)

    def predict(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        """Predicted stars of each (user, movie) pair."""
        raw = self.mean + self.user_bias[users] + self.movie_bias[movies]
        return np.clip(raw, *RATING_RANGE)


def fit_biases(
    users: np.ndarray,
    movies: np.ndarray,
    ratings: np.ndarray,
    num_users: int,
    num_movies: int,
    l2: float,
    iterations: int = BIAS_ITERATIONS,
) -> BiasModel:
    """Regularized least squares for the biases, by alternating exact solves.

    Minimises ``sum (r - mean - b_u - b_i)**2 + l2 * (sum b_u**2 + sum b_i**2)``
    over the training rows: with the movie biases fixed, each user's bias is
    ``sum(r - mean - b_i) / (l2 + n_u)``, and the other way round.

    Raises:
        TypeError, ValueError: no rows, ids outside ``[0, num_*)``, or ``l2`` not
            finite and positive.
    """
    l2 = checks.positive("l2", l2)
    checks.whole("iterations", iterations)
    if len(ratings) == 0:
        raise ValueError("fit_biases needs at least one training rating; got none.")
    for name, ids, size in (
        ("users", users, num_users),
        ("movies", movies, num_movies),
    ):
        if ids.min() < 0 or ids.max() >= size:
            raise ValueError(f"{name} ids must lie in [0, {size}); got {ids.max()}.")
    ratings = np.asarray(ratings, dtype="float64")
    mean = float(ratings.mean())
    residual = ratings - mean
    user_n = np.bincount(users, minlength=num_users)
    movie_n = np.bincount(movies, minlength=num_movies)
    user_bias, movie_bias = np.zeros(num_users), np.zeros(num_movies)
    for _ in range(iterations):
        rest = residual - movie_bias[movies]
        user_bias = np.bincount(users, rest, num_users) / (l2 + user_n)
        rest = residual - user_bias[users]
        movie_bias = np.bincount(movies, rest, num_movies) / (l2 + movie_n)
    return BiasModel(mean, user_bias, movie_bias, l2)


def global_mean(data) -> dict:
    """The global-mean predictor of a :class:`recbook.rating_models.RatingData`:
    ``params`` (1) and :data:`RATING_METRICS`."""
    mean = float(np.mean(data.train["rating"], dtype="float64"))
    predictions = np.full(len(data.val["rating"]), mean)
    return {
        "params": 1,
        **rating_metrics(predictions, data.val["rating"], data.in_test),
    }


def bias_model(data, grid: Sequence[float] = BIAS_L2_GRID) -> tuple[dict, list[dict]]:
    """The user + movie bias model of a :class:`recbook.rating_models.RatingData`.

    Fitted on the training rows once per regularization in ``grid``; the one with
    the lowest selection-half MAE is chosen.

    Returns:
        The chosen model's row (``params``, ``l2``, :data:`RATING_METRICS`), and one
        row per regularization tried (``l2``, ``selection_mae``).
    """
    if isinstance(grid, (str, bytes)) or not len(grid):
        raise ValueError(f"grid must be a non-empty list of numbers; got {grid!r}.")
    train, val = data.train, data.val
    rows = []
    for l2 in grid:
        model = fit_biases(
            train["user"],
            train["movie"],
            train["rating"],
            data.num_users,
            data.num_movies,
            l2,
        )
        metrics = rating_metrics(
            model.predict(val["user"], val["movie"]), val["rating"], data.in_test
        )
        rows.append({"params": model.params, "l2": float(l2), **metrics})
    chosen = min(rows, key=lambda row: row["selection_mae"])
    tried = [{"l2": row["l2"], "selection_mae": row["selection_mae"]} for row in rows]
    return chosen, tried


def gain_share(mae: float, bias_mae: float, full_mae: float) -> float:
    """The share of the full tables' gain over the bias model that a model keeps:
    ``(bias_mae - mae) / (bias_mae - full_mae)`` (1: all of it, 0: none, below 0:
    worse than the bias model). Meaningful only when the full tables beat the bias
    model; when they do not (a quick run of one epoch on a sample), the shares are
    still written, and read backwards.

    Raises:
        ValueError: the full tables and the bias model are level (no gain to share).
    """
    gain = bias_mae - full_mae
    if gain == 0:
        raise ValueError(
            f"the full tables and the bias model have the same MAE ({full_mae}): "
            "there is no gain to share."
        )
    return (bias_mae - mae) / gain


# --- retrieval -----------------------------------------------------------------


def interactions(
    user_ids: np.ndarray, movie_ids: np.ndarray, users: np.ndarray, movies_count: int
) -> np.ndarray:
    """The binary matrix of training ratings: a row per user of ``users`` (sorted),
    a column per movie id (column 0, no movie, empty); 1 where the user rated it."""
    checks.whole("movies_count", movies_count)
    matrix = np.zeros((len(users), movies_count + 1), dtype="float64")
    rows = np.searchsorted(users, user_ids)
    known = (rows < len(users)) & (users[np.minimum(rows, len(users) - 1)] == user_ids)
    matrix[rows[known], movie_ids[known]] = 1.0
    return matrix


def _without_padding(scores: np.ndarray) -> np.ndarray:
    scores[:, 0] = EXCLUDED_SCORE
    return scores


def ease_scores(matrix: np.ndarray, l2: float) -> np.ndarray:
    """EASE's scores of every movie for every user (Steck, 2019).

    ``B = I - P / diag(P)`` with ``P = (X^T X + l2 I)^-1``, so ``diag(B) = 0``: each
    movie is predicted from the user's other movies. Scores are ``X B``.
    """
    l2 = checks.positive("l2", l2)
    gram = matrix.T @ matrix
    gram[np.diag_indices_from(gram)] += l2
    inverse = np.linalg.inv(gram)
    weights = -inverse / np.diag(inverse)
    weights[np.diag_indices_from(weights)] = 0.0
    return _without_padding(matrix @ weights)


def item_knn_scores(matrix: np.ndarray, neighbours: int) -> np.ndarray:
    """Item-item neighbourhood scores: for each movie, the sum of its cosine
    similarities to the user's movies, keeping each movie's ``neighbours`` most
    similar movies (itself excluded)."""
    checks.whole("neighbours", neighbours, maximum=matrix.shape[1] - 1)
    norms = np.sqrt(matrix.sum(axis=0))
    norms[norms == 0] = 1.0
    similarity = (matrix.T @ matrix) / np.outer(norms, norms)
    np.fill_diagonal(similarity, 0.0)
    # Keep, in each column (the scored movie), its most similar rows.
    cut = np.sort(similarity, axis=0)[-neighbours]
    similarity[similarity < cut] = 0.0
    return _without_padding(matrix @ similarity)


def top_k(scores: np.ndarray, k: int = 100) -> np.ndarray:
    """Each row's ``k`` best-scored movie ids, best first (ties: smaller id first)."""
    checks.whole("k", k, maximum=scores.shape[1] - 1, bound="the movies")
    order = np.argsort(-scores, axis=1, kind="stable")
    return order[:, :k]


def top_k_accuracy(
    scores: np.ndarray,
    users: np.ndarray,
    inputs: Mapping[str, np.ndarray],
    labels: np.ndarray,
    k: int = 100,
    five_stars_only: bool = True,
) -> float:
    """The towers' metric for a score matrix: the share of (5-star, or all) test
    ratings whose movie is among the user's ``k`` best-scored ones."""
    from .retrieval import relevant_ratings

    best = top_k(scores, k)
    counted = relevant_ratings(labels, five_stars_only)
    rows = np.searchsorted(users, inputs["user_id"][counted])
    movies = inputs["movie_id"][counted]
    hits = (best[rows] == movies[:, None]).any(axis=1)
    return float(hits.mean())


RETRIEVAL_BASELINES = {
    "item-item": (item_knn_scores, "neighbours", NEIGHBOURS_GRID),
    "EASE": (ease_scores, "l2", EASE_L2_GRID),
}
"""Each retrieval baseline's scoring function, its one setting and the grid tried."""


def retrieval_scores(
    name: str, setting: float, train: tuple, users: np.ndarray, movies_count: int
) -> np.ndarray:
    """Scores of every movie for ``users`` by baseline ``name`` of
    :data:`RETRIEVAL_BASELINES`, fitted on the ``(inputs, labels)`` rows ``train``
    (every rating counts as an interaction, whatever its stars)."""
    if name not in RETRIEVAL_BASELINES:
        raise ValueError(
            f"Unknown baseline {name!r}; the baselines are: "
            f"{', '.join(RETRIEVAL_BASELINES)}."
        )
    scorer = RETRIEVAL_BASELINES[name][0]
    inputs = train[0]
    matrix = interactions(inputs["user_id"], inputs["movie_id"], users, movies_count)
    return scorer(matrix, setting)


def choose_setting(name: str, tuning_problem, movies_count: int) -> tuple[float, list]:
    """Baseline ``name``'s setting with the best top-100 accuracy (5-star ratings)
    on the held-out rows of ``tuning_problem`` (:func:`recbook.retrieval.holdout`).

    Returns:
        The chosen setting, and one ``{setting: value, "validation top-100": ...}``
        row per setting of the grid.
    """
    from .retrieval import users_queries

    _, setting_name, grid = RETRIEVAL_BASELINES[name]
    inputs, labels = tuning_problem.test
    users, _ = users_queries(inputs)
    tried = []
    for setting in grid:
        scores = retrieval_scores(
            name, setting, tuning_problem.train, users, movies_count
        )
        accuracy = top_k_accuracy(scores, users, inputs, labels)
        tried.append({setting_name: setting, "validation top-100": accuracy})
    best = max(tried, key=lambda row: row["validation top-100"])
    return best[setting_name], tried
