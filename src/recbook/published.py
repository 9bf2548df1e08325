"""The published figures the book reproduces, in one place.

The chapters, the tests and the results page read them; how far ours may be
from them is :func:`recbook.evidence.tolerance`.

Sources: the keras.io *Deep Recommenders* tutorial (keras-rs), the older
TensorFlow Recommenders *Deep recommenders* tutorial, and the keras.io
*memory-efficient embeddings* recipe.
"""

from __future__ import annotations

from . import records

VALIDATION_EPOCHS = (5, 10, 15, 20, 25, 30)
"""Epochs at which the retrieval tutorial validates."""

RETRIEVAL_TOP100 = {
    (32,): (0.1794, 0.2392, 0.2836, 0.3118, 0.3219, 0.3216),
    (64, 32): (0.1145, 0.2066, 0.2694, 0.2793, 0.2896, 0.2964),
    (128, 64, 32): (0.1402, 0.2197, 0.2900, 0.3015, 0.3049, 0.3072),
}
"""keras.io Deep Recommenders: top-100 accuracy at :data:`VALIDATION_EPOCHS`, by tower widths.

Its metric counts 5-star test ratings only (``sample_weight`` of the rating being 5)."""

RETRIEVAL_TOP100_LATER_RUN = {
    (32,): (0.1196, 0.2117, 0.2742, 0.2994, 0.3150, 0.3100),
    (64, 32): (0.1530, 0.2355, 0.2882, 0.3072, 0.3134, 0.3093),
    (128, 64, 32): (0.1276, 0.2552, 0.2816, 0.2921, 0.2983, 0.3006),
}
"""A later published run of the same tutorial (keras.io, JAX backend): the run-to-run spread."""

TFRS_TOP100 = {(32,): 0.27, (64, 32): 0.29}
"""TensorFlow Recommenders tutorial (in-batch softmax, 300 epochs): approximate top-100 accuracy.

Its metric, ``FactorizedTopK``, counts every test rating, whatever its stars.
Its 3-layer model is only reported as "lower than 2 layers"; one run, so no spread."""

EMBEDDINGS_BASELINE = {"params": 623_744, "mae": 0.6808, "rmse": 0.7446**0.5}
"""Memory-efficient embeddings recipe: full tables on MovieLens-1M.

(RMSE from its validation MSE 0.7446.)"""

EMBEDDINGS_RECIPE = {"params": 117_968, "mae": 0.7419, "rmse": 0.8806**0.5}
"""Memory-efficient embeddings recipe: QR users + MD movies (RMSE from its val MSE 0.8806)."""

EMBEDDINGS_EARLIER_RUN_MAE = {"baseline": 0.6869, "recipe": 0.7357}
"""An earlier published run of the recipe: validation MAE (its split is unseeded)."""

EMBEDDINGS_MAE_RUNS = {
    records.BASELINE: (
        EMBEDDINGS_BASELINE["mae"],
        EMBEDDINGS_EARLIER_RUN_MAE["baseline"],
    ),
    records.RECIPE: (EMBEDDINGS_RECIPE["mae"], EMBEDDINGS_EARLIER_RUN_MAE["recipe"]),
}
"""Both published validation MAEs of the recipe's two models, by chapter 6's record key
(the latest first): what :func:`recbook.evidence.tolerance` judges ours against."""


MOVIELENS_COUNTS = {
    "100k": {"users": 943, "movies": 1_682, "ratings": 100_000},
    "1m": {"users": 6_040, "movies": 3_706, "ratings": 1_000_209},
    "32m": {"users": 200_948, "movies": 87_585, "ratings": 32_000_204},
}
"""Users, movies and ratings of MovieLens releases, as GroupLens publishes them.

Each release's README: ML-100K's ``README``, 100,000 ratings from 943 users on
1,682 movies; ML-1M's ``README``, 1,000,209 ratings of "approximately 3,900
movies" by 6,040 users, of which 3,706 movies are rated, as chapter 6 counts in
``ratings.dat``; ML-32M's ``README.txt``, 32,000,204 ratings of 87,585 movies by
200,948 users."""

SCALING_TOLERANCE = {"loss": 1e-4, "mae": 1e-4, "predictions": 1e-5}
"""Largest absolute difference chapters 8 and 9 allow between a distributed run
and the single-device run with the same weights and batches (float32; only the order
of the sums differs)."""
