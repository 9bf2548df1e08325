"""One run type, one seed loop and one summary for both model families.

:func:`recbook.towers.fit` and :func:`recbook.rating_models.fit` each train
one model with one seed and return a :class:`Run`; their ``fit_seeds`` repeat
that over seeds with :func:`over_seeds`; :func:`summarize` turns the runs into
one row: mean and standard deviation over seeds of every final metric (and of
every curve, for runs that validate during training).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import checks


@dataclass(frozen=True)
class Run:
    """One training run with one seed.

    Attributes:
        params: trainable parameters of the model.
        seconds: wall time of training (the retrieval runs include their validations).
        metrics: final value of each metric, by name.
        curves: for runs that validate during training, each metric at ``epochs``.
        epochs: the epochs at which ``curves`` were measured.
        model: the trained model.
    """

    params: int
    seconds: float
    metrics: dict[str, float]
    curves: dict[str, list[float]] = field(default_factory=dict)
    epochs: list[int] = field(default_factory=list)
    model: Any = field(default=None, repr=False, compare=False)


def over_seeds(
    fit: Callable[..., Run],
    build: Callable[[], Any],
    data: Any,
    seeds: Sequence[int],
    **options: Any,
) -> list[Run]:
    """``fit(build, data, seed, **options)`` once per seed.

    Raises:
        TypeError, ValueError: ``seeds`` is empty or not a list of whole numbers.
    """
    return [fit(build, data, seed, **options) for seed in checks.seeds("seeds", seeds)]


def sample_std(values: Sequence[float]) -> float:
    """The sample standard deviation (``ddof=1``) of seed figures; 0 for one seed."""
    values = np.asarray(values, dtype=float)
    return float(values.std(ddof=1)) if len(values) > 1 else 0.0


def summarize(runs: Sequence[Run], **labels: Any) -> dict:
    """One row for a list of runs of the same model, with ``labels`` first.

    Keys: ``params``, ``seeds``, ``seconds`` (mean), then for every metric
    ``name`` its mean over seeds and ``name_std`` (the sample standard
    deviation, ``ddof=1``; 0 for one seed, which measures no spread); for every
    curve ``name_curve`` and ``name_curve_std``, and ``epochs``.

    Raises:
        ValueError: ``runs`` is empty or its runs measured different metrics.
    """
    if not runs:
        raise ValueError("summarize needs at least one run.")
    names = list(runs[0].metrics)
    if any(list(run.metrics) != names for run in runs):
        raise ValueError("summarize needs runs that measured the same metrics.")
    row = {**labels, "params": runs[0].params, "seeds": len(runs)}
    row["seconds"] = float(np.mean([run.seconds for run in runs]))
    for name in names:
        values = np.array([run.metrics[name] for run in runs])
        row[name], row[f"{name}_std"] = float(values.mean()), sample_std(values)
    if runs[0].curves:
        row["epochs"] = list(runs[0].epochs)
        for name in runs[0].curves:
            curves = np.array([run.curves[name] for run in runs])
            row[f"{name}_curve"] = curves.mean(axis=0).tolist()
            row[f"{name}_curve_std"] = [sample_std(c) for c in curves.T]
    return row


def jax_state(model: Any) -> tuple[list, list, list, list]:
    """The state Keras's JAX trainer passes to ``model.train_step``: the values of the
    trainable, non-trainable, optimizer and metric variables, in that order.

    ``model`` must be compiled and fitted on at least one batch, so that its optimizer
    and metric variables exist.
    """
    return tuple(
        [v.value for v in variables]
        for variables in (
            model.trainable_variables,
            model.non_trainable_variables,
            model.optimizer.variables,
            model.metrics_variables,
        )
    )
