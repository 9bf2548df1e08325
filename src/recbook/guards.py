"""No figure from a broken model: stop a training run whose loss or weights stop being finite.

:class:`FiniteGuard` is a Keras callback that the public ``fit`` functions
(:func:`recbook.towers.fit`, :func:`recbook.rating_models.fit`) pass to
``model.fit``. At the end of every epoch it checks the epoch's loss and every
trainable weight; the first time one is NaN or infinite it stops training and raises
:class:`NonFiniteTrainingError`, which names the model, the seed, the epoch and
the likely cause. Keras' own ``TerminateOnNaN`` only stops, and the caller
would then report the metrics of a NaN model.

The checks run once per epoch, outside the compiled training step (only
epoch-end hooks, so Keras keeps dispatching batch callbacks asynchronously):
they cost nothing measurable and change no number of a finite run.
"""

from __future__ import annotations

import math

import keras
import numpy as np

LARGE_LEARNING_RATE = 1.0
"""Learning rates above this are named as the likely cause of a diverged run."""


class NonFiniteTrainingError(FloatingPointError):
    """A training run's loss or weights became NaN or infinite; no metric is reported."""


class FiniteGuard(keras.callbacks.Callback):
    """Stop training, with a message that says why, once the loss or a weight is not finite.

    Args:
        model_name: how the error names the model (e.g. ``"RetrievalModel (32,)"``).
        seed: the run's seed.
        learning_rate: the run's learning rate, to name it as the likely cause
            when it is large (above :data:`LARGE_LEARNING_RATE`).
    """

    def __init__(self, model_name: str, seed: int, learning_rate: float) -> None:
        super().__init__()
        self.model_name, self.seed, self.learning_rate = (
            model_name,
            seed,
            learning_rate,
        )
        self.failure: str | None = None

    def likely_cause(self) -> str:
        """What most probably made the run diverge."""
        if self.learning_rate > LARGE_LEARNING_RATE:
            return (
                f"learning rate too large ({self.learning_rate:g}); "
                f"try one at most {LARGE_LEARNING_RATE:g}"
            )
        return (
            f"the run diverged at learning rate {self.learning_rate:g}: try a smaller "
            f"learning rate, and check the inputs for NaN or out-of-range ids"
        )

    def problem(self, epoch: int, logs: dict | None) -> str | None:
        """What is not finite after ``epoch`` (0-based), or ``None``."""
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            return f"the training loss is {float(loss)}"
        # Trainable weights only: buffers such as a retrieval index are filled later.
        for weight in self.model.trainable_weights:
            if not np.all(np.isfinite(keras.ops.convert_to_numpy(weight.value))):
                return f"the weight {weight.path} holds NaN or infinite values"
        return None

    def on_epoch_end(self, epoch, logs=None):
        found = self.problem(epoch, logs)
        if found is None:
            return
        self.model.stop_training = True
        self.failure = (
            f"Training {self.model_name} with seed {self.seed} failed at epoch "
            f"{epoch + 1}: {found}. Likely cause: {self.likely_cause()}. "
            f"No metric of this run is reported."
        )
        raise NonFiniteTrainingError(self.failure)

    def check(self) -> None:
        """Raise :class:`NonFiniteTrainingError` if the run failed (for a caller that caught it)."""
        if self.failure is not None:
            raise NonFiniteTrainingError(self.failure)
