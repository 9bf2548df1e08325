"""The contract between the chapters, the results page and the tests, defined once.

A chapter records its figures with :func:`recbook.glue.record` under the names
below; the results page (:mod:`recbook.results_page`) and the tests read them
by the same names. The questions a chapter sets itself are :class:`Goal`\\ s,
whose verdict is computed by :meth:`Goal.verdict` wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# --- chapter stems -----------------------------------------------------------

MOVIELENS_CHAPTER = "01_movielens_data"
FEATURIZATION_CHAPTER = "02_featurization"
RETRIEVAL_CHAPTER = "03_retrieval_towers"
EMBEDDINGS_CHAPTER = "04_memory_efficient_embeddings"
SCALING_CHAPTER = "05_scaling_out"
RESULTS_CHAPTER = "06_results"

# --- chapter 1: the MovieLens data -----------------------------------------

N_RATINGS = "n_ratings"
N_USERS = "n_users"
N_MOVIES = "n_movies"
DENSITY = "density"
MEAN_RATING = "mean_rating"
SHARE_FIVE_STARS = "share_five_stars"
TOP_DECILE_SHARE = "top_decile_share"

# --- chapter 2: featurization ----------------------------------------------

MOVIES_COUNT = "movies_count"
MAX_GENRES = "max_genres"
TITLE_VOCABULARY_SIZE = "title_vocabulary_size"
TRAIN_SIZE = "train_size"
TEST_SIZE = "test_size"
TEST_FIVE_STARS = "test_five_stars"

# --- chapter 6: scaling out ------------------------------------------------

DEVICES = "devices"
DP_LOSS_MAX_ABS_DIFF = "dp_loss_max_abs_diff"
DP_MAE_ABS_DIFF = "dp_mae_abs_diff"
MP_LOSS_MAX_ABS_DIFF = "mp_loss_max_abs_diff"
MP_MAE_ABS_DIFF = "mp_mae_abs_diff"
MP_PREDICTION_MAX_ABS_DIFF = "mp_prediction_max_abs_diff"
SHARD_SHAPES = "shard_shapes"
PER_DEVICE_BYTES = "per_device_bytes"
PER_DEVICE_BYTES_MATCH_PAPER = "per_device_bytes_match_paper"
PRODUCTION_FULL_WITH_ADAM_BYTES = "production_full_with_adam_bytes"
PRODUCTION_FULL_PER_DEVICE_BYTES = "production_full_per_device_bytes"
ML32M_FULL_WITH_ADAM_BYTES = "ml32m_full_with_adam_bytes"
DP_COLLECTIVE_BYTES_PER_STEP = "dp_collective_bytes_per_step"
MP_COLLECTIVE_BYTES_PER_STEP = "mp_collective_bytes_per_step"
COLLECTIVE_BYTES_BY_DEVICES = "collective_bytes_by_devices"

# --- chapter 3: retrieval towers ----------------------------------------------

RETRIEVAL_FIELDS = (
    "params",
    "seeds",
    "accuracy",
    "accuracy_std",
    "accuracy_all",
    "accuracy_all_std",
    "seconds",
)
"""What is recorded of each retrieval model: top-100 accuracy on 5-star test
ratings (``accuracy``, the keras.io tutorial's metric) and on every test rating
(``accuracy_all``, TensorFlow Recommenders'), means and standard deviations over seeds."""

TOWERS = "towers"
"""The tutorial's MSE towers, by tower widths (``"(32,)"``): :data:`RETRIEVAL_FIELDS`."""
POPULARITY = "popularity"
"""The popularity baseline: ``accuracy`` and ``accuracy_all`` (no training, no spread)."""
SOFTMAX = "softmax"
"""In-batch softmax towers, by ``"(32,)"`` or ``"(32,), log Q"``: :data:`RETRIEVAL_FIELDS`."""
TUNED = "tuned"
"""MSE towers of every depth after the same tuning budget: :data:`RETRIEVAL_FIELDS`
plus the chosen ``learning_rate`` and ``stop_epoch``."""
RANKING = "ranking"
"""Recall@k and NDCG@k by relevance (``"5-star"``, ``"all ratings"``) and model,
each of the model trained with the first seed."""
CHOICE_FIELDS = ("learning_rate", "stop_epoch")
"""Settings a chapter chose (in :data:`TUNED`): another machine may choose others,
and the figures they lead to carry the comparison."""
BACKEND_SECONDS = "backend_seconds"
JAX_SPEEDUP = "jax_speedup"

# Scalars and sentences the chapter's prose pastes ({glue:text}).
SHALLOW_TOP100 = "shallow_top100"
POPULARITY_TOP100 = "popularity_top100"
POPULARITY_TOP100_ALL = "popularity_top100_all"
BEST_MODEL = "best_model"
BEST_TOP100 = "best_top100"
BEST_TOP100_ALL = "best_top100_all"
LOG_Q_WORST_TOP100 = "log_q_worst_top100"
DEPTH_AFTER_TUNING = "depth_after_tuning"

# --- chapter 4: memory-efficient embeddings -----------------------------------

RATING_FIELDS = (
    "params",
    "seeds",
    "mae",
    "mae_std",
    "rmse",
    "selection_mae",
    "selection_mae_std",
    "test_mae",
    "test_mae_std",
    "seconds",
)
"""What is recorded of each rating model (see :data:`recbook.rating_models.METRICS`)."""

REPRODUCTION = "reproduction"
"""The recipe's two models, each with i.i.d. batches and with the recipe's input
pipeline, by the keys below: :data:`RATING_FIELDS`."""
BASELINE = "full tables"
RECIPE = "QR + MD, the recipe's design"
PIPELINE = ", recipe's pipeline"
"""Suffix of a :data:`REPRODUCTION` key trained with the recipe's input pipeline."""

ALPHAS = "alphas"
"""The alpha rule at the recipe's movie budget, by alpha: :data:`RATING_FIELDS` and ``top_dim``."""
CHOSEN_ALPHA = "chosen_alpha"
ALPHA_FINDING = "alpha_finding"
SWEEP = "sweep"
"""The parameters-vs-error sweep, by ``"method ratio"`` (``"qr 10"``): :data:`RATING_FIELDS`."""
RATIO_FINDINGS = "ratio_findings"
"""One sentence per compression ratio, joined by ``"; "``: the best method and
whether it is ahead of the runner-up beyond the noise."""
GOAL_FIGURES = "goal_figures"
"""The figure each of :data:`EMBEDDING_GOALS` is judged on, by its ``record``."""
BASELINE_MAE = "baseline_mae"
RECIPE_MAE = "recipe_mae"
RECIPE_PIPELINE_MAE = "recipe_pipeline_mae"
RECIPE_PARAMS = "recipe_params"
MASK_OVER_GATHER = "mask_over_gather_step_time"


PROSE = (
    SHALLOW_TOP100,
    POPULARITY_TOP100,
    POPULARITY_TOP100_ALL,
    BEST_MODEL,
    BEST_TOP100,
    BEST_TOP100_ALL,
    LOG_Q_WORST_TOP100,
    DEPTH_AFTER_TUNING,
    BASELINE_MAE,
    RECIPE_MAE,
    RECIPE_PIPELINE_MAE,
    RECIPE_PARAMS,
    CHOSEN_ALPHA,
    ALPHA_FINDING,
    RATIO_FINDINGS,
)
"""Records for the prose only: copies of a structured record's entry, or sentences and
choices drawn from them. The slow tier compares the structured records instead."""


def fields(summary: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The named entries of a :func:`recbook.training.summarize` row (and ``labels``)."""
    return {name: summary[name] for name in names}


@dataclass(frozen=True)
class Goal:
    """A question a chapter answers with one figure and a threshold."""

    question: str
    record: str
    limit: float
    lower_is_better: bool = False

    def met(self, value: float) -> bool:
        """Whether ``value`` answers the question with yes."""
        return value <= self.limit if self.lower_is_better else value >= self.limit

    def verdict(self, value: float) -> str:
        """``"met"`` or ``"not met"``."""
        return "met" if self.met(value) else "not met"


RETRIEVAL_GOAL = Goal(
    "Does some model reach a top-100 accuracy (5-star ratings) of 0.35, "
    "averaged over three seeds?",
    BEST_TOP100,
    0.35,
)

EMBEDDING_GOALS = (
    Goal(
        "Does QR + MD at 5x fewer parameters or more stay within 0.03 of the "
        "baseline's test MAE?",
        "best_qr_md_5x_gap",
        0.03,
        lower_is_better=True,
    ),
    Goal(
        "Does some method at 10x fewer parameters or more stay within 0.05 of the "
        "baseline's test MAE?",
        "best_10x_gap",
        0.05,
        lower_is_better=True,
    ),
    Goal(
        "Does QR beat hashing at every equal budget (largest QR minus hashing "
        "test MAE below 0)?",
        "qr_minus_hashing_worst",
        0.0,
        lower_is_better=True,
    ),
)
