"""Classical models that set the zero: what a deep model must beat to have learned anything.

Rating prediction (chapter 6): the global mean, and the user + movie bias model
(the global mean plus one bias per user and per movie, regularized least squares),
which has no user-movie interaction: what embeddings add is their gain over it. The
bias model is defined in chapter 6 and exported to :mod:`recbook.memory_efficient`
(:class:`~recbook.memory_efficient.BiasModel`,
:func:`~recbook.memory_efficient.fit_biases`); :func:`bias_model` chooses its
regularization.

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
from .memory_efficient import fit_biases
from .towers import METRICS, ease_scores, item_knn_scores

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

EASE_L2_GRID = tuple(100.0 * 2**i for i in range(12))
"""EASE's regularizations, 100 to 204,800 by doubling (chosen on
:func:`recbook.retrieval.holdout`; wide enough that the choice is not at an edge)."""

NEIGHBOURS_GRID = (10, 20, 50, 100, 200, 400, 800, 1600)
"""Item-item neighbourhood sizes (chosen on :func:`recbook.retrieval.holdout`)."""


# --- input checks (each O(n): these run on up to a million ratings) -----------


def _sorted_users(name: str, users) -> np.ndarray:
    """``users`` as an array of distinct integer ids in ascending order, at least one."""
    users = checks.integer_array(name, users)
    if users.ndim != 1 or len(users) == 0:
        raise ValueError(
            f"{name} must be a 1-D array of at least one user id; got shape "
            f"{users.shape}."
        )
    wrong = np.flatnonzero(users[1:] <= users[:-1])
    if len(wrong):
        i = int(wrong[0]) + 1
        raise ValueError(
            f"{name} must hold distinct user ids in ascending order (the rows follow "
            f"it), as np.unique returns them; {name}[{i}] = {users[i]} follows "
            f"{name}[{i - 1}] = {users[i - 1]}. Pass np.unique({name})."
        )
    return users


def _rows_of(users: np.ndarray, user_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each of ``user_ids``'s row in the sorted ``users``, and whether it has one."""
    rows = np.searchsorted(users, user_ids)
    known = (rows < len(users)) & (users[np.minimum(rows, len(users) - 1)] == user_ids)
    return rows, known


# --- rating prediction -------------------------------------------------------


def rating_metrics(
    predictions: np.ndarray, ratings: np.ndarray, in_test: np.ndarray
) -> dict[str, float]:
    """:data:`RATING_METRICS` of predictions of the validation ratings.

    ``in_test`` marks the test half (:class:`recbook.rating_models.RatingData`).

    Raises:
        TypeError, ValueError: the arrays differ in length, a prediction or rating
            is not finite, ``in_test`` is not a boolean mask (a 0/1 array would be
            read as row numbers), or a half is empty.
    """
    in_test = _halves("in_test", in_test)
    checks.same_length(
        {"predictions": predictions, "ratings": ratings, "in_test": in_test},
        "one per validation rating",
    )
    error = checks.finite_array("predictions", predictions) - checks.finite_array(
        "ratings", ratings
    )
    parts = {"": error, "selection_": error[~in_test], "test_": error[in_test]}
    metrics = {}
    for prefix, part in parts.items():
        metrics[f"{prefix}mae"] = float(np.abs(part).mean())
        metrics[f"{prefix}rmse"] = float(np.sqrt(np.mean(part**2)))
    return metrics


def _halves(name: str, in_test) -> np.ndarray:
    """``in_test`` as a boolean mask that marks rows of both halves."""
    mask = np.asarray(in_test)
    if mask.dtype != bool:
        raise TypeError(
            f"{name} must be a boolean mask (True: the row is in the test half); got "
            f"dtype {mask.dtype}, which numpy would read as row numbers. Pass "
            f"{name}.astype(bool) for a 0/1 array."
        )
    tested = int(mask.sum())
    if not 0 < tested < mask.size:
        raise ValueError(
            f"{name} must mark rows of both halves (the selection half chooses, the "
            f"test half reports); it marks {tested} of {mask.size} rows as test rows."
        )
    return mask


def global_mean(data) -> dict:
    """The global-mean predictor of a :class:`recbook.rating_models.RatingData`:
    ``params`` (1) and :data:`RATING_METRICS`.

    Raises:
        TypeError, ValueError: no training rating, or one that is not finite, and
            as :func:`rating_metrics`.
    """
    train = data.train["rating"]
    if np.size(train) == 0:
        raise ValueError("data.train holds no rating: the global mean needs one.")
    checks.finite_array("data.train['rating']", train)
    mean = float(np.mean(train, dtype="float64"))
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

    Raises:
        TypeError, ValueError: ``grid`` is empty or holds a value that is not
            finite and positive, an id of ``data`` is outside its vocabulary, and
            as :func:`recbook.memory_efficient.fit_biases` and :func:`rating_metrics`.
    """

    if isinstance(grid, (str, bytes)) or not len(grid):
        raise ValueError(f"grid must be a non-empty list of numbers; got {grid!r}.")
    train, val = data.train, data.val
    for part in ("train", "val"):
        for column, size in (("user", data.num_users), ("movie", data.num_movies)):
            name = f"data.{part}['{column}']"
            checks.id_array(
                name, getattr(data, part)[column], size, f"data.num_{column}s"
            )
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
        TypeError, ValueError: an MAE is not a finite number, or the full tables and
            the bias model are level (no gain to share).
    """
    for name, value in (("mae", mae), ("bias_mae", bias_mae), ("full_mae", full_mae)):
        checks.real(name, value)
    gain = bias_mae - full_mae
    if gain == 0:
        raise ValueError(
            f"full_mae equals bias_mae ({full_mae}): the full tables and the bias "
            "model are level, so there is no gain to share; pass the MAE of full "
            "tables trained past the bias model (more epochs or data)."
        )
    return (bias_mae - mae) / gain


# --- retrieval -----------------------------------------------------------------


def interactions(
    user_ids: np.ndarray, movie_ids: np.ndarray, users: np.ndarray, movies_count: int
) -> np.ndarray:
    """The binary matrix of training ratings: a row per user of ``users`` (sorted),
    a column per movie id (column 0, no movie, empty); 1 where the user rated it.

    Ratings of users not in ``users`` are left out.

    Raises:
        TypeError, ValueError: ``users`` is not sorted and distinct (its order is
            the rows' order, so it is refused rather than sorted here), the ids are
            not integers, ``user_ids`` and ``movie_ids`` differ in length, or a
            movie id is above ``movies_count``.
    """
    checks.whole("movies_count", movies_count)
    users = _sorted_users("users", users)
    checks.same_length(
        {"user_ids": user_ids, "movie_ids": movie_ids}, "one per training rating"
    )
    user_ids = checks.integer_array("user_ids", user_ids)
    movie_ids = checks.id_array(
        "movie_ids", movie_ids, movies_count + 1, "movies_count"
    )
    matrix = np.zeros((len(users), movies_count + 1), dtype="float64")
    rows, known = _rows_of(users, user_ids)
    matrix[rows[known], movie_ids[known]] = 1.0
    return matrix


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
    ratings whose movie is among the user's ``k`` best-scored ones.

    The mean of :func:`top_k_hits`, which it checks and raises as.
    """
    hits, _ = top_k_hits(scores, users, inputs, labels, k, five_stars_only)
    return float(hits.mean())


def top_k_hits(
    scores: np.ndarray,
    users: np.ndarray,
    inputs: Mapping[str, np.ndarray],
    labels: np.ndarray,
    k: int = 100,
    five_stars_only: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Per counted (5-star, or every) test rating, in the test set's order: whether
    its movie is among the user's ``k`` best-scored ones, and the user's row of
    ``scores``, for a bootstrap over users (:func:`recbook.evidence.paired_bootstrap`).

    ``scores`` has a row per user of ``users`` (distinct, ascending) and a column
    per movie id.

    Raises:
        TypeError, ValueError: a test user has no row of ``scores`` (another
            user's row would be read), ``users`` is not sorted and distinct, the
            arrays' lengths disagree, an id is not an integer or a movie id has no
            column, or there is no test rating to count (an empty test set, or one
            without a 5-star rating).
    """
    users = _sorted_users("users", users)
    if np.ndim(scores) != 2 or len(scores) != len(users):
        raise ValueError(
            f"scores must have one row per user of users ({len(users)}); got shape "
            f"{np.shape(scores)}."
        )
    user_ids, movie_ids = _rating_ids("inputs", inputs)
    checks.same_length(
        {
            "inputs['user_id']": user_ids,
            "inputs['movie_id']": movie_ids,
            "labels": labels,
        },
        "one per test rating",
    )
    movie_ids = checks.id_array(
        "inputs['movie_id']", movie_ids, scores.shape[1], "scores' columns"
    )
    checks.finite_array("labels", labels)
    rows, known = _rows_of(users, checks.integer_array("inputs['user_id']", user_ids))
    if not known.all():
        missing = user_ids[np.flatnonzero(~known)[0]]
        raise ValueError(
            f"inputs['user_id'] holds user {missing}, who has no row of scores: "
            "users must hold every test user (np.unique(inputs['user_id']) does), "
            "with their scores."
        )
    counted = _counted(labels, five_stars_only)
    best = top_k(scores, k)
    rows = rows[counted]
    movies = movie_ids[counted]
    return (best[rows] == movies[:, None]).any(axis=1), rows


def _rating_ids(name: str, inputs: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """The ``user_id`` and ``movie_id`` arrays of the rating features ``inputs``."""
    missing = [key for key in ("user_id", "movie_id") if key not in inputs]
    if missing:
        raise ValueError(
            f"{name} must hold the ratings' 'user_id' and 'movie_id' arrays; "
            f"{' and '.join(map(repr, missing))} missing."
        )
    return np.asarray(inputs["user_id"]), np.asarray(inputs["movie_id"])


def _counted(labels, five_stars_only: bool) -> np.ndarray:
    """Which test ratings the metric counts (:func:`recbook.retrieval.relevant_ratings`),
    refusing a test set in which it counts none (its accuracy would be NaN)."""
    from .retrieval import FIVE_STARS, relevant_ratings

    counted = relevant_ratings(labels, five_stars_only)
    if not counted.any():
        which = f"5-star rating (above {FIVE_STARS})" if five_stars_only else "rating"
        raise ValueError(
            f"labels hold no {which} among {len(labels)} test ratings, and the "
            "accuracy of none is undefined: pass a test set with at least one."
        )
    return counted


def _baseline(name: str) -> tuple:
    """The :data:`RETRIEVAL_BASELINES` entry of ``name``."""
    if name not in RETRIEVAL_BASELINES:
        raise ValueError(
            f"Unknown baseline {name!r}; the baselines are: "
            f"{', '.join(RETRIEVAL_BASELINES)}."
        )
    return RETRIEVAL_BASELINES[name]


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
    (every rating counts as an interaction, whatever its stars).

    Raises:
        ValueError: ``name`` is not a baseline, and as :func:`interactions`.
    """
    scorer = _baseline(name)[0]
    user_ids, movie_ids = _rating_ids("train[0]", train[0])
    matrix = interactions(user_ids, movie_ids, users, movies_count)
    return scorer(matrix, setting)


def choose_setting(name: str, tuning_problem, movies_count: int) -> tuple[float, list]:
    """Baseline ``name``'s setting with the best top-100 accuracy (5-star ratings)
    on the held-out rows of ``tuning_problem`` (:func:`recbook.retrieval.holdout`).

    Returns:
        The chosen setting, and one ``{setting: value, "validation top-100": ...}``
        row per setting of the grid.

    Raises:
        ValueError: ``name`` is not a baseline, the held-out rows hold no 5-star
            rating, and as :func:`retrieval_scores` and :func:`top_k_accuracy`.
    """
    from .retrieval import users_queries

    _, setting_name, grid = _baseline(name)
    inputs, labels = tuning_problem.test
    _counted(labels, five_stars_only=True)
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


@dataclass(frozen=True)
class RetrievalBaselines:
    """The retrieval baselines on a test split (:func:`retrieval_baselines`).

    ``popularity``: its ``accuracy`` (5-star) and ``accuracy_all``. ``classical``: each
    model of :data:`RETRIEVAL_BASELINES` by name, its two accuracies and the
    ``setting`` chosen on the holdout. ``tried``: each model's grid, as
    :func:`choose_setting` returns it. ``scores``: each model's scores of every movie
    for the test users, in :func:`recbook.retrieval.users_queries`' order.
    """

    popularity: dict
    classical: dict
    tried: dict
    scores: dict

    def best(self) -> tuple[str, float]:
        """The baseline with the highest 5-star accuracy, and that accuracy."""
        figures = {"popularity": self.popularity, **self.classical}
        name = max(figures, key=lambda n: figures[n]["accuracy"])
        return name, figures[name]["accuracy"]


def retrieval_baselines(problem, tuning_problem) -> RetrievalBaselines:
    """Popularity, item-item and EASE scored on ``problem``'s test split like the
    towers (the two top-100 accuracies of :data:`recbook.towers.METRICS`, seen movies
    not filtered), the classical models' settings chosen on ``tuning_problem``
    (:func:`recbook.retrieval.holdout`).

    Raises:
        ValueError: as :func:`choose_setting` and :func:`top_k_accuracy`.
    """
    from .retrieval import popularity_accuracy, users_queries

    inputs, labels = problem.test
    movies_count = problem.candidates.movies_count
    users, _ = users_queries(inputs)
    popularity = {
        metric: popularity_accuracy(
            problem.train[0]["movie_id"],
            inputs["movie_id"],
            labels,
            movies_count,
            five_stars_only=metric == "accuracy",
        )
        for metric in METRICS
    }
    classical, tried, scores = {}, {}, {}
    for name in RETRIEVAL_BASELINES:
        setting, tried[name] = choose_setting(name, tuning_problem, movies_count)
        scores[name] = retrieval_scores(
            name, setting, problem.train, users, movies_count
        )
        classical[name] = {
            metric: top_k_accuracy(
                scores[name],
                users,
                inputs,
                labels,
                five_stars_only=metric == "accuracy",
            )
            for metric in METRICS
        } | {"setting": setting}
    return RetrievalBaselines(popularity, classical, tried, scores)
