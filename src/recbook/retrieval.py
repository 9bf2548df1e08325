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
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import keras_rs
import numpy as np
import pandas as pd

from . import checks, guards, training
from .features import Vocabularies
from .featurization import AGE_BINS, CROSS, GENDER_AGE_CROSS_BINS, Candidates

OBJECTIVES = ("rating", "softmax")
QUERY_INPUTS = (
    "user_id",
    "raw_user_age",
    "user_gender",
    "user_occupation_label",
    CROSS,
)
CANDIDATE_INPUTS = ("movie_id", "movie_title_vector", "movie_genres")
FIVE_STARS = 0.9
"""Rescaled ratings above this are 5-star ratings, the only ones the top-k metric counts."""
ACCURACY = "top_k_accuracy"
"""Name of the top-k accuracy over 5-star ratings (``val_`` + this in a fit history)."""
ACCURACY_ALL = "top_k_accuracy_all"
"""Name of the top-k accuracy over every rating (TensorFlow Recommenders' metric)."""
METRICS = {"accuracy": ACCURACY, "accuracy_all": ACCURACY_ALL}
"""A run's metric names (:class:`recbook.training.Run`) and the Keras metrics they read."""
EPOCHS = 30
"""Training epochs of every retrieval run, the tutorial's."""
STEPS_PER_EXECUTION = 16
"""Training steps per compiled call: identical results, less Python overhead per step."""
MASKED_LOGIT = -1e9
"""Logit given to an accidental hit: its softmax probability becomes exactly 0."""


def dense_stack(layer_sizes: Sequence[int]) -> keras.Sequential:
    """Dense layers of the given widths, ReLU on all but the last (which stays linear)."""
    if (
        isinstance(layer_sizes, (str, bytes))
        or not layer_sizes
        or any(
            isinstance(size, bool)
            or not isinstance(size, (int, np.integer))
            or size < 1
            for size in layer_sizes
        )
    ):
        raise ValueError(
            f"layer_sizes must be positive widths, like (64, 32); got {tuple(layer_sizes)!r}."
        )
    layers = [keras.layers.Dense(size, activation="relu") for size in layer_sizes[:-1]]
    return keras.Sequential([*layers, keras.layers.Dense(layer_sizes[-1])])


def mean_pooled_embedding(rows: int, dimension: int) -> keras.Sequential:
    """Embed each token of a 0-padded sequence and average over the non-padding ones."""
    return keras.Sequential(
        [
            keras.layers.Embedding(rows, dimension, mask_zero=True),
            keras.layers.GlobalAveragePooling1D(),
        ]
    )


class QueryTower(keras.Model):
    """User id, gender, age bin, gender x age cross and occupation embeddings, then dense layers."""

    def __init__(
        self,
        layer_sizes: Sequence[int],
        vocab: Vocabularies,
        embedding_dimension: int = 32,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.user_embedding = keras.layers.Embedding(
            vocab.users + 1, embedding_dimension
        )
        self.gender_embedding = keras.layers.Embedding(
            vocab.genders, embedding_dimension
        )
        self.age_embedding = keras.layers.Embedding(AGE_BINS, embedding_dimension)
        self.cross_embedding = keras.layers.Embedding(
            GENDER_AGE_CROSS_BINS, embedding_dimension
        )
        self.occupation_embedding = keras.layers.Embedding(
            vocab.occupations, embedding_dimension
        )
        self.dense_layers = dense_stack(layer_sizes)

    def call(self, inputs: dict) -> object:
        return self.dense_layers(
            keras.ops.concatenate(
                [
                    self.user_embedding(inputs["user_id"]),
                    self.gender_embedding(inputs["user_gender"]),
                    self.age_embedding(inputs["raw_user_age"]),
                    self.cross_embedding(inputs[CROSS]),
                    self.occupation_embedding(inputs["user_occupation_label"]),
                ],
                axis=1,
            )
        )


class CandidateTower(keras.Model):
    """Movie id embedding, mean-pooled title token and genre embeddings, then dense layers."""

    def __init__(
        self,
        layer_sizes: Sequence[int],
        vocab: Vocabularies,
        embedding_dimension: int = 32,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.movie_embedding = keras.layers.Embedding(
            vocab.movies + 1, embedding_dimension
        )
        self.title_embedding = mean_pooled_embedding(
            vocab.title_tokens + 1, embedding_dimension
        )
        self.genres_embedding = mean_pooled_embedding(
            vocab.genres + 1, embedding_dimension
        )
        self.dense_layers = dense_stack(layer_sizes)

    def call(self, inputs: dict) -> object:
        return self.dense_layers(
            keras.ops.concatenate(
                [
                    self.movie_embedding(inputs["movie_id"]),
                    self.title_embedding(inputs["movie_title_vector"]),
                    self.genres_embedding(inputs["movie_genres"]),
                ],
                axis=1,
            )
        )


def remove_accidental_hits(logits: object, candidate_ids: object) -> object:
    """Mask in-batch negatives that are the row's own positive movie.

    In-batch logits pair query ``i`` with candidate ``j``; the positive of row
    ``i`` is column ``i``. Another column with the same movie id is not a
    negative: its logit becomes :data:`MASKED_LOGIT`. (``keras_rs.layers.RemoveAccidentalHits``
    of keras-rs 0.4 adds about 1e-40 to those logits, which changes nothing:
    keras-team/keras-rs#206.)
    """
    positions = keras.ops.arange(keras.ops.shape(candidate_ids)[0])
    same_movie = keras.ops.equal(candidate_ids[:, None], candidate_ids[None, :])
    other_column = keras.ops.not_equal(positions[:, None], positions[None, :])
    return keras.ops.where(
        keras.ops.logical_and(same_movie, other_column), MASKED_LOGIT, logits
    )


class RetrievalModel(keras.Model):
    """Query and candidate towers of the same widths; brute-force top-k retrieval over every movie.

    Args:
        layer_sizes: widths of both towers' dense layers, the last being the
            embedding both towers output.
        vocab: embedding table sizes.
        candidates: every movie's features (the retrieval index is built from them).
        objective: ``"rating"`` or ``"softmax"`` (see the module docstring).
        movie_probabilities: for ``"softmax"`` only, each movie id's share of the
            training ratings; the in-batch logits are then corrected by
            ``-log(probability)`` (``keras_rs.layers.SamplingProbabilityCorrection``).
        k: how many movies retrieval returns (the k of top-k accuracy).
        embedding_dimension: width of every embedding table.
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        vocab: Vocabularies,
        candidates: Candidates,
        objective: str = "rating",
        movie_probabilities: np.ndarray | None = None,
        k: int = 100,
        embedding_dimension: int = 32,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if objective not in OBJECTIVES:
            raise ValueError(
                f"Unknown objective {objective!r}; use one of {', '.join(OBJECTIVES)}."
            )
        if movie_probabilities is not None and objective != "softmax":
            raise ValueError(
                "movie_probabilities corrects the in-batch softmax; use objective='softmax'."
            )
        checks.whole("k", k)
        if k > candidates.movies_count + 1:
            raise ValueError(
                f"k must be between 1 and {candidates.movies_count + 1}, the candidates; "
                f"got {k}."
            )
        if movie_probabilities is not None:
            movie_probabilities = checks.probabilities(
                "movie_probabilities",
                movie_probabilities,
                candidates.movies_count + 1,
                f"one per movie id, 0 to {candidates.movies_count}",
            )
        checks.whole("embedding_dimension", embedding_dimension)
        self.objective = objective
        self.candidates = candidates
        self.query_tower = QueryTower(layer_sizes, vocab, embedding_dimension)
        self.candidate_tower = CandidateTower(layer_sizes, vocab, embedding_dimension)
        self.retrieval = keras_rs.layers.BruteForceRetrieval(k=k, return_scores=False)
        self.top_k = keras.metrics.SparseTopKCategoricalAccuracy(
            k=k, from_sorted_ids=True, name=ACCURACY
        )
        self.top_k_all = keras.metrics.SparseTopKCategoricalAccuracy(
            k=k, from_sorted_ids=True, name=ACCURACY_ALL
        )
        self.log_q = None
        if movie_probabilities is not None:
            self.log_q = keras_rs.layers.SamplingProbabilityCorrection()
            self.movie_probabilities = keras.ops.convert_to_tensor(
                movie_probabilities, dtype="float32"
            )
        self.update_candidates()  # builds the candidate tower and the index
        self.query_tower(
            {name: keras.ops.zeros((1,), dtype="int32") for name in QUERY_INPUTS}
        )
        self.built = True

    @property
    def trainable_params(self) -> int:
        """Trainable parameters of both towers (not the retrieval index, a copy of outputs)."""
        return int(sum(np.prod(v.shape) for v in self.trainable_variables))

    def update_candidates(self) -> None:
        """Re-embed every movie with the candidate tower and index the embeddings for retrieval."""
        self.retrieval.update_candidates(
            self.candidate_tower.predict(
                self.candidates.tensors, batch_size=4096, verbose=0
            )
        )

    def call(self, inputs: dict, training: bool = False) -> dict:
        result = {
            "query": self.query_tower({name: inputs[name] for name in QUERY_INPUTS}),
            "candidate": self.candidate_tower(
                {name: inputs[name] for name in CANDIDATE_INPUTS}
            ),
        }
        if not training:
            result["top_ids"] = self.retrieval(result["query"])
        return result

    def evaluate(self, *args, **kwargs):
        """Refresh the retrieval index from the candidate tower, then evaluate."""
        self.update_candidates()
        return super().evaluate(*args, **kwargs)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        query, candidate = y_pred["query"], y_pred["candidate"]
        if self.objective == "rating":
            scores = keras.ops.sum(query * candidate, axis=1)
            return keras.ops.mean(keras.ops.square(scores - y))
        logits = keras.ops.matmul(query, keras.ops.transpose(candidate))
        if self.log_q is not None:
            probabilities = keras.ops.take(self.movie_probabilities, x["movie_id"])
            logits = self.log_q(
                logits,
                keras.ops.broadcast_to(probabilities[None, :], keras.ops.shape(logits)),
            )
        logits = remove_accidental_hits(logits, x["movie_id"])
        positives = keras.ops.arange(keras.ops.shape(logits)[0])
        return keras.ops.sum(
            keras.losses.sparse_categorical_crossentropy(
                positives, logits, from_logits=True
            )
        )

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        if "top_ids" in y_pred:
            five_stars = keras.ops.cast(keras.ops.greater(y, FIVE_STARS), "float32")
            self.top_k.update_state(
                x["movie_id"], y_pred["top_ids"], sample_weight=five_stars
            )
            self.top_k_all.update_state(x["movie_id"], y_pred["top_ids"])
        result = self.get_metrics_result()
        if "top_ids" not in y_pred:
            for name in METRICS.values():
                result.pop(name)
        return result

    def _query_embeddings(self, queries: dict) -> object:
        """Refresh the index, then embed rows of query features."""
        self.update_candidates()
        return self.query_tower.predict(
            {name: queries[name] for name in QUERY_INPUTS}, verbose=0
        )

    def recommend(self, queries: dict) -> np.ndarray:
        """The top-k movie ids for each query (rows of query features), best first."""
        return keras.ops.convert_to_numpy(
            self.retrieval(self._query_embeddings(queries))
        )

    def scores(self, queries: dict) -> np.ndarray:
        """Dot-product scores of each query against every movie id (column 0: no movie)."""
        return keras.ops.convert_to_numpy(
            self.retrieval.compute_score(
                self._query_embeddings(queries), self.retrieval.candidate_embeddings
            )
        )


def compile_for_training(
    model: RetrievalModel, learning_rate: float, steps_per_execution: int | None = None
) -> RetrievalModel:
    """Compile as :func:`fit` trains: Adagrad, :data:`STEPS_PER_EXECUTION` steps per call.

    ``steps_per_execution``, when given, overrides the steps per call (the benchmark
    measures what they save).
    """
    model.compile(
        optimizer=keras.optimizers.Adagrad(learning_rate),
        steps_per_execution=steps_per_execution or STEPS_PER_EXECUTION,
    )
    return model


def fit(
    build: Callable[[], RetrievalModel],
    problem: Any,
    seed: int,
    epochs: int = EPOCHS,
    learning_rate: float = 0.05,
    validation_freq: int = 5,
    batch_size: int = 1000,
) -> training.Run:
    """Seed everything, build, and fit with Adagrad, validating every ``validation_freq`` epochs.

    ``problem`` has ``train`` and ``test``, each a ``(features, labels)`` pair of
    arrays (a :class:`recbook.features.RetrievalProblem`, or :func:`holdout`'s).
    The batches are the tutorial's: the split's order, never reshuffled. The
    run's ``metrics`` are both top-k accuracies at the last validation
    (:data:`METRICS`), its ``curves`` both at every validation. ``seconds`` is the
    wall time of ``fit``, validations included. Several steps run per compiled
    call (:data:`STEPS_PER_EXECUTION`): the same updates, less Python overhead.

    Raises:
        TypeError, ValueError: ``validation_freq``, ``epochs`` (at least
            ``validation_freq``) or ``batch_size`` is not a whole number of at
            least 1, ``seed`` one of at least 0, or ``learning_rate`` is not
            finite and greater than 0.
        recbook.guards.NonFiniteTrainingError: the loss or a weight stopped
            being finite (no metric is returned).
    """
    checks.whole("validation_freq", validation_freq)
    checks.whole("epochs", epochs, minimum=validation_freq, bound="validation_freq")
    checks.whole("batch_size", batch_size)
    checks.whole("seed", seed, minimum=0)
    checks.learning_rate(learning_rate)
    keras.utils.set_random_seed(seed)
    model = build()
    guard = guards.FiniteGuard(
        f"{type(model).__name__} {model.name!r}", seed, learning_rate
    )
    compile_for_training(model, learning_rate)
    tic = time.perf_counter()
    history = model.fit(
        *problem.train,
        validation_data=problem.test,
        validation_freq=validation_freq,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=False,
        verbose=0,
        callbacks=[guard],
    )
    guard.check()
    seconds = time.perf_counter() - tic
    curves = {
        name: [float(a) for a in history.history[f"val_{metric}"]]
        for name, metric in METRICS.items()
    }
    return training.Run(
        params=model.trainable_params,
        seconds=seconds,
        metrics={name: curve[-1] for name, curve in curves.items()},
        curves=curves,
        epochs=list(range(validation_freq, epochs + 1, validation_freq)),
        model=model,
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
