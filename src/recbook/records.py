"""The contract between the chapters, the results page and the tests, defined once.

A chapter records its figures with :func:`recbook.glue.record` under the names
below; the results page (``recbook_tools.results_page``) and the tests read them
by the same names. The questions a chapter sets itself are :class:`Goal`\\ s,
whose verdict is computed by :meth:`Goal.verdict` wherever it is shown.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import checks

# --- chapter stems -----------------------------------------------------------

MOVIELENS_CHAPTER = "01_movielens_data"
FEATURIZATION_CHAPTER = "02_featurization"
RETRIEVAL_CHAPTER = "03_retrieval_towers"
SOFTMAX_CHAPTER = "04_softmax_and_tuning"
TRAINING_CHAPTER = "05_training_towers"
EMBEDDINGS_CHAPTER = "06_memory_efficient_embeddings"
TUNED_CHAPTER = "07_tuned_embeddings"
DATA_PARALLEL_CHAPTER = "08_data_parallel"
MODEL_PARALLEL_CHAPTER = "09_model_parallel"
COMMUNICATION_CHAPTER = "10_memory_and_communication"
RESULTS_CHAPTER = "11_results"

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

# --- chapters 8 to 10: data parallel, model parallel, memory and communication ---

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
SGD_GLOBAL_MEAN_MAE = "sgd_global_mean_mae"
"""Validation MAE of the global mean of the SGD check's training ratings (the zero)."""
SGD_SINGLE_MAE = "sgd_single_mae"
"""Validation MAE of the SGD check's single-device run (below the global mean's)."""
SGD_DP_LOSS_MAX_ABS_DIFF = "sgd_dp_loss_max_abs_diff"
SGD_DP_MAE_ABS_DIFF = "sgd_dp_mae_abs_diff"
"""Data parallel against one device under plain SGD, same weights and batches."""
SGD_SUMMED_LOSS_MAX_ABS_DIFF = "sgd_summed_loss_max_abs_diff"
SGD_SUMMED_MAE_ABS_DIFF = "sgd_summed_mae_abs_diff"
"""The planted error (gradients summed over the devices, not averaged: one device at
``devices`` x the learning rate) against the single-device run: what the check detects."""
DEVICES_TO_HOLD_PRODUCTION = "devices_to_hold_production"
"""Fewest devices of each memory class (``"80 GB"``, ...) whose row shards hold the
production catalogue's full tables with Adam's slots."""
PRODUCTION_FULL_WITH_ADAM_TEXT = "production_full_with_adam_text"
""":data:`PRODUCTION_FULL_WITH_ADAM_BYTES` for prose, in decimal units (``"84.5 GB"``)."""
DP_AGREEMENT = "dp_agreement"
SGD_DP_AGREEMENT = "sgd_dp_agreement"
MP_AGREEMENT = "mp_agreement"
"""Sentences for prose (:func:`recbook.sharding.agreement`): how far data parallel
(Adam, SGD) and model parallel are from the single-device run, in words."""

# --- chapters 3 and 4: retrieval towers; the in-batch softmax and tuning ----------

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
MSE_REFERENCE = "mse_reference"
"""Chapter 4's retraining of :data:`TOWERS` (the same code and seeds), which its
softmax towers are compared with: :data:`RETRIEVAL_FIELDS`."""
POPULARITY = "popularity"
"""The popularity baseline: ``accuracy`` and ``accuracy_all`` (no training, no spread)."""
CLASSICAL = "classical"
"""The collaborative-filtering baselines by name (``"item-item"``, ``"EASE"``):
``accuracy``, ``accuracy_all`` and the ``setting`` chosen on the holdout (no spread)."""
SOFTMAX_HOLDOUT = "softmax_holdout"
"""The log Q towers' validation top-100 accuracy (5-star) on the holdout, by label:
how the chapter chooses its :data:`BEST_MODEL` without the test split."""
TUNING_ON_EDGE = "tuning_on_edge"
"""The depths whose chosen learning rate lies on an edge of the grid (none, or the
grid is too narrow)."""
SOFTMAX = "softmax"
"""In-batch softmax towers, by ``"(32,)"`` or ``"(32,), log Q"``: :data:`RETRIEVAL_FIELDS`."""
TUNED = "tuned"
"""MSE towers of every depth after the same tuning budget: :data:`RETRIEVAL_FIELDS`
plus the chosen ``learning_rate`` and ``stop_epoch`` and the ``holdout`` validation
top-100 (5-star) that chose them."""
RANKING = "ranking"
"""Recall@k and NDCG@k by relevance (``"5-star"``, ``"all ratings"``) and model:
the baselines, and of each tower model the one trained with the first seed."""
CHOICE_FIELDS = ("learning_rate", "stop_epoch", "holdout")
"""Settings a chapter chose (in :data:`TUNED`) and the holdout figure that chose them:
another machine may choose others, and the figures they lead to carry the comparison."""
BACKEND_SECONDS = "backend_seconds"
JAX_SPEEDUP = "jax_speedup"

# Scalars for the prose, and the comparison rows the page shows
# (:meth:`recbook.evidence.Comparison.row`, with the depth and the ratings counted).
SHALLOW_TOP100 = "shallow_top100"
POPULARITY_TOP100 = "popularity_top100"
POPULARITY_TOP100_ALL = "popularity_top100_all"
BEST_MODEL = "best_model"
BEST_TOP100 = "best_top100"
BEST_TOP100_ALL = "best_top100_all"
LOG_Q_WORST_TOP100 = "log_q_worst_top100"
DEPTH_AFTER_TUNING = "depth_after_tuning"
SOFTMAX_VS_MSE = "softmax_vs_mse"
BASELINES_VERSUS = "baselines_versus"

# --- chapter 5: training towers that win -------------------------------------

METRIC_WORDS = {"accuracy": "5-star", "accuracy_all": "all"}
"""The top-100 accuracies by the ratings they count, as tables and rows name them."""
TRAINED_CHOSEN = "trained_chosen"
"""Per protocol, the towers' setting chosen on the holdout: objective, learning
rate, weight decay, epochs and the holdout's accuracy."""
TRAINED_SETTINGS = "trained_settings"
"""The classical models' settings chosen on the holdout, per protocol
(:func:`recbook.training_towers.settings_rows`: ``edge`` names any on an edge)."""
TEMPORAL_SETTINGS = "temporal_settings"
"""As :data:`TRAINED_SETTINGS` on the split in time, and the towers' own."""
TRAINED_WEIGHTING = "trained_weighting"
"""Per protocol, the holdout top-100 (5-star) of its chosen setting with positives
``"equal"`` and weighted ``"by stars"`` (one seed)."""
TRAINED_ACCURACY = "trained_accuracy"
"""One row per model (the towers and the classical models): top-100 accuracy on
the test split per ``"<protocol>, <metric>"``, and ``seeds``."""
TRAINED_VERSUS = "trained_versus"
"""Per protocol and metric: the towers against the best classical model
(``difference``, ``threshold``, ``margin``, ``verdict``)."""
TRAINED_MARGIN = "trained_margin"
"""The smallest margin (:attr:`recbook.evidence.Comparison.margin`) of the towers
over the best classical model, over both protocols and both metrics."""
TEMPORAL_ACCURACY = "temporal_accuracy"
"""As :data:`TRAINED_ACCURACY`, on each user's latest 20% of ratings (filtered)."""
TEMPORAL_VERSUS = "temporal_versus"
"""As :data:`TRAINED_VERSUS`, on the split in time (filtered)."""

# --- chapter 6: memory-efficient embeddings -----------------------------------

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

PIPELINE_COSTS = "pipeline_costs"
"""What the recipe's input pipeline costs each model: comparison rows
(:meth:`recbook.evidence.Comparison.row`, with the ``tables``)."""
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
"""The figure each of a chapter's goals is judged on, by its ``record``
(:data:`RETRIEVAL_GOAL` in chapter 4, :data:`TRAINED_TOWERS_GOAL` in chapter 5,
:data:`EMBEDDING_GOALS` in chapter 6, :data:`TUNED_GOALS` in chapter 7)."""
RATING_BASELINES = "rating_baselines"
"""The global mean and the user + movie bias model, by the names below:
``params`` and :data:`recbook.baselines.RATING_METRICS` (the bias model also its ``l2``)."""
GLOBAL_MEAN = "global mean"
BIAS_MODEL = "user + movie biases"
GAIN_SHARES = "gain_shares"
"""Each sweep point's share of the full tables' test-half gain over the bias model,
by the :data:`SWEEP` key (:func:`recbook.baselines.gain_share`)."""
BASELINE_MAE = "baseline_mae"
RECIPE_MAE = "recipe_mae"
RECIPE_PIPELINE_MAE = "recipe_pipeline_mae"
RECIPE_PARAMS = "recipe_params"
BIAS_VERSUS = "bias_versus"
MASK_OVER_GATHER = "mask_over_gather_step_time"

# --- chapter 7: compressed embeddings, trained for their size -----------------

TUNED_BIAS_MAE = "tuned_bias_mae"
"""The bias model's test-half MAE, the zero of the chapter's shares."""
TUNED_RUNS = "tuned_runs"
"""A row per model (the full tables, and each method at each ratio), each trained
with its chosen setting: ``model``, ``method``, ``ratio``, ``params``,
``compression``, ``seeds``, the seeds' ``selection_mae``, ``test_mae``,
``test_rmse`` and ``epochs`` (each with ``_std``) and ``share`` of the full tables'
gain over the bias model (:func:`recbook.tuned_embeddings.summary`)."""
TUNED_CHOSEN = "tuned_chosen"
"""A row per model: the ``learning_rate`` and ``weight_decay`` chosen on the
selection half, how many settings were ``tried``, and ``edge``, the chosen values
still at the end of their (widened) grid (:func:`recbook.tuned_embeddings.chosen_rows`)."""
TUNED_VERSUS = "tuned_versus"
"""QR and MD against plain tables of the same size, a row per method and ratio:
``model``, ``difference`` of test MAE (theirs minus the plain tables'),
``threshold`` and ``verdict`` (:func:`recbook.tuned_embeddings.against_plain`)."""


PROSE = (
    SHALLOW_TOP100,
    POPULARITY_TOP100,
    POPULARITY_TOP100_ALL,
    BEST_MODEL,
    BEST_TOP100,
    BEST_TOP100_ALL,
    LOG_Q_WORST_TOP100,
    DEPTH_AFTER_TUNING,
    SOFTMAX_VS_MSE,
    BASELINES_VERSUS,
    PIPELINE_COSTS,
    BASELINE_MAE,
    RECIPE_MAE,
    RECIPE_PIPELINE_MAE,
    RECIPE_PARAMS,
    CHOSEN_ALPHA,
    ALPHA_FINDING,
    RATIO_FINDINGS,
    BIAS_VERSUS,
)
"""Records for the prose only: copies of a structured record's entry, or sentences and
choices drawn from them. The slow tier compares the structured records instead."""


def fields(summary: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The named entries of a :func:`recbook.training.summarize` row (and ``labels``)."""
    return {name: summary[name] for name in names}


@dataclass(frozen=True)
class Goal:
    """A question a chapter answers with one figure and a threshold.

    The question's wording holds ``{limit}``, filled from :attr:`limit` by
    :attr:`text`, so that the threshold and the sentence that states it are one
    value. Each threshold sits above what the chapter's baselines reach:
    :attr:`reason` says why it is where it is.

    Raises:
        TypeError, ValueError: on creation, ``record`` is not a name, ``limit``
            is not a finite number, ``lower_is_better`` is not a bool, or the
            question does not state ``{limit}`` (a typed threshold, a misspelt
            or another placeholder).
    """

    question: str
    record: str
    limit: float
    reason: str
    lower_is_better: bool = False

    def __post_init__(self) -> None:
        """Refuse a goal whose threshold is not a finite number or not in its question."""
        if not isinstance(self.record, str) or not self.record:
            error = ValueError if isinstance(self.record, str) else TypeError
            raise error(
                f"a goal's record must be the name of the figure it judges, like "
                f"{LOG_Q_MARGIN!r}; got {self.record!r}."
            )
        checks.real(f"the limit of goal {self.record!r}", self.limit)
        if not isinstance(self.lower_is_better, bool):
            raise TypeError(
                f"lower_is_better of goal {self.record!r} must be True or False; "
                f"got {self.lower_is_better!r}."
            )
        self._check_question()

    def _check_question(self) -> None:
        """The question holds ``{limit}`` and no other placeholder, and can be filled."""
        where = f"the question of goal {self.record!r}"
        if not isinstance(self.question, str):
            raise TypeError(f"{where} must be a string; got {self.question!r}.")
        fix = f"write the threshold as {{limit}} or {{limit:g}}: {self.question!r}"
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(self.question)]
        except ValueError as error:
            raise ValueError(
                f"{where} is not a format string ({error}); {fix}."
            ) from None
        names = {f.split(".")[0].split("[")[0] for f in fields if f is not None}
        if names - {"limit"}:
            raise ValueError(
                f"{where} holds the placeholder {{{min(names - {'limit'})}}}, which "
                f"is not {{limit}} (misspelt?); {fix}."
            )
        if "limit" not in names:
            raise ValueError(
                f"{where} must state its threshold as {{limit}}, not typed, so that "
                f"the sentence and the verdict use one limit; {fix}."
            )
        try:
            self.question.format(limit=self.limit)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
            raise ValueError(f"{where} cannot be filled in ({error}); {fix}.") from None

    @property
    def text(self) -> str:
        """The question with its threshold written in."""
        return self.question.format(limit=self.limit)

    def met(self, value: float) -> bool:
        """Whether ``value`` answers the question with yes (strictly past the limit).

        Raises:
            TypeError, ValueError: ``value`` is not a finite number (named by the
                goal's record).
        """
        checks.real(f"the figure {self.record!r} of its goal", value)
        return value < self.limit if self.lower_is_better else value > self.limit

    def verdict(self, value: float) -> str:
        """``"met"`` or ``"not met"`` (:meth:`met`)."""
        return "met" if self.met(value) else "not met"


LOG_Q_MARGIN = "log_q_margin"
"""Chapter 3's goal figure: the chosen log Q towers' top-100 accuracy (5-star) minus
the best baseline's, less the comparison's 95% threshold
(:attr:`recbook.evidence.Comparison.margin`)."""

RETRIEVAL_GOAL = Goal(
    "Do the log Q towers chosen on the holdout beat the best baseline (popularity, "
    "item-item or EASE) on top-100 accuracy (5-star) beyond the noise: by more than "
    "the 95% threshold of the difference, a margin above {limit:g}?",
    LOG_Q_MARGIN,
    0.0,
    "A baseline compared with itself, or with a weaker baseline, has a margin of at "
    "most 0 (no spread: an infinite threshold), so no baseline meets it; a tower "
    "meets it only by beating every baseline by more than its own noise.",
)

GAIN_SHARE_GOAL_REASON = (
    "The bias model keeps none of the full tables' gain (share 0) and the global "
    "mean less than none; at half the gain, a compressed table keeps most of what "
    "user-movie interactions add."
)

TRAINED_TOWERS_GOAL = Goal(
    "Do the towers trained as the field does, every choice made on the holdout, beat "
    "the best classical model (popularity, item-item, EASE or iALS) beyond the noise "
    "on 5-star and on all ratings, under the tutorial's protocol and the filtered "
    "one: is the smallest margin above {limit:g}?",
    TRAINED_MARGIN,
    0.0,
    "A classical model against the best classical model has a margin of at most 0 "
    "(it is that model, or below it), so none meets it; the towers meet it only by "
    "beating every classical model by more than the noise of seeds and test users, "
    "four times over.",
)

TUNED_GOAL_REASON = (
    "The bias model keeps none of the full tables' gain (share 0); the thresholds "
    "ask a model 5x smaller to lose at most a tenth of what the embeddings add, and "
    "one 10x smaller at most a fifth. Plain tables of a smaller dimension, the "
    "equal-budget baseline, compete too: when they are the best, the goal is met "
    "without any compression method, and the chapter says so."
)

TUNED_GOALS = (
    Goal(
        "Does the best model with at least 5x fewer parameters, each trained for its "
        "size, keep more than {limit:.0%} of the tuned full tables' gain over the "
        "bias model (test-half MAE)?",
        "best_5x_share",
        0.9,
        TUNED_GOAL_REASON,
    ),
    Goal(
        "Does the best model with at least 10x fewer parameters, each trained for "
        "its size, keep more than {limit:.0%} of the tuned full tables' gain over "
        "the bias model (test-half MAE)?",
        "best_10x_share",
        0.8,
        TUNED_GOAL_REASON,
    ),
)

EMBEDDING_GOALS = (
    Goal(
        "Does QR + MD at 5x fewer parameters or more keep more than {limit:.0%} of "
        "the full tables' gain over the bias model (test-half MAE)?",
        "qr_md_5x_share",
        0.5,
        GAIN_SHARE_GOAL_REASON,
    ),
    Goal(
        "Does the method chosen on the selection half at 10x fewer parameters or "
        "more keep more than {limit:.0%} of the full tables' gain over the bias "
        "model (test-half MAE)?",
        "chosen_10x_share",
        0.5,
        GAIN_SHARE_GOAL_REASON,
    ),
    Goal(
        "Does QR keep more of the full tables' gain than hashing at every equal "
        "budget, by more than {limit:.0%} of the gain (the smallest lead over the "
        "ratios)?",
        "qr_over_hashing_share",
        0.1,
        "Hashing compared with itself leads by 0; a tenth of the gain is the "
        "smallest lead worth a recommendation.",
    ),
)
