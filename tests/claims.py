"""The chapters' answers, each tied to the recorded verdict it states.

A chapter's answers are written by its author, in plain words and without figures (the
figures sit in the table above each answer): a paragraph that starts with
``**Answer.**`` and every bullet of its "What we learned" section. Each is registered
here, word for word, with the check of the stored records that makes it true and a
planted flip of those records that makes it false. ``tests/notebooks/test_claims.py``
fails when an answer is not registered, when its check fails on the stored run (the
verdict changed, the sentence did not), and when the planted flip does not make it
fail (a check that cannot fail).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from recbook import evidence, published, records

Records = dict[str, Any]

TOWERS = ("(32,)", "(64, 32)", "(128, 64, 32)")


@dataclass(frozen=True)
class Claim:
    """One answer sentence, the check that makes it true, and a flip that makes it false."""

    chapter: str
    sentence: str
    holds: Callable[[Records], bool]
    flip: Callable[[Records], Records]


def _sizes(label: str) -> tuple[int, ...]:
    return tuple(int(x) for x in label.strip("()").split(",") if x.strip())


def _reproduced(r: Records) -> bool:
    return all(
        evidence.reproduction(
            row["accuracy"],
            row["accuracy_std"],
            row["seeds"],
            (
                published.RETRIEVAL_TOP100[_sizes(label)][-1],
                published.RETRIEVAL_TOP100_LATER_RUN[_sizes(label)][-1],
            ),
        ).within
        for label, row in r[records.TOWERS].items()
    )


def _below(row: Records, figure: float, metric: str = "accuracy") -> bool:
    """The seeds' mean is below a figure without spread, beyond the noise."""
    c = evidence.compare(
        row[metric], row[f"{metric}_std"], row["seeds"], figure, 0.0, 1
    )
    return c.exceeds_noise and row[metric] < figure


def _above_row(a: Records, b: Records, metric: str = "accuracy") -> bool:
    c = evidence.compare(
        a[metric],
        a[f"{metric}_std"],
        a["seeds"],
        b[metric],
        b[f"{metric}_std"],
        b["seeds"],
    )
    return c.exceeds_noise and a[metric] > b[metric]


def _mse_below_popularity(r: Records) -> bool:
    popularity = r[records.POPULARITY]["accuracy"]
    return all(_below(row, popularity) for row in r[records.TOWERS].values())


def _softmax_alone_below_mse(r: Records) -> bool:
    softmax, mse = r[records.SOFTMAX], r[records.TOWERS]
    return all(_above_row(mse[label], softmax[label]) for label in TOWERS)


def _log_q_above_mse(r: Records) -> bool:
    softmax, mse = r[records.SOFTMAX], r[records.TOWERS]
    return all(_above_row(softmax[f"{label}, log Q"], mse[label]) for label in TOWERS)


def _best_does_not_beat_best_baseline(r: Records) -> bool:
    return not records.RETRIEVAL_GOAL.met(
        r[records.GOAL_FIGURES][records.RETRIEVAL_GOAL.record]
    )


def _depth_does_not_help_once_tuned(r: Records) -> bool:
    tuned = r[records.TUNED]
    shallow = tuned[TOWERS[0]]
    return not any(_above_row(tuned[label], shallow) for label in TOWERS[1:])


def _jax_faster(r: Records) -> bool:
    return r[records.JAX_SPEEDUP] > 1.0


def _changed(key: str, change: Callable[[Any], None]) -> Callable[[Records], Records]:
    def flip(r: Records) -> Records:
        flipped = copy.deepcopy(r)
        change(flipped[key])
        return flipped

    return flip


def _scale_all(field: str, factor: float) -> Callable[[dict], None]:
    def change(rows: dict) -> None:
        for row in rows.values():
            row[field] *= factor

    return change


def _set(name: str, value: Any) -> Callable[[dict], None]:
    def change(mapping: dict) -> None:
        mapping[name] = value

    return change


def _deep_tuned_higher(rows: dict) -> None:
    rows["(64, 32)"]["accuracy"] = rows[TOWERS[0]]["accuracy"] + 0.05


def _mse_far_higher(rows: dict) -> None:
    for label in TOWERS:
        rows[label]["accuracy"] = 0.9


RETRIEVAL = records.RETRIEVAL_CHAPTER

CLAIMS: tuple[Claim, ...] = (
    Claim(
        RETRIEVAL,
        "Our towers reproduce the tutorial's figure at every depth.",
        _reproduced,
        _changed(records.TOWERS, _scale_all("accuracy", 0.8)),
    ),
    Claim(
        RETRIEVAL,
        "The tutorial's towers recommend worse than simply showing everyone the 100 "
        "most-rated movies.",
        _mse_below_popularity,
        _changed(records.POPULARITY, _set("accuracy", 0.2)),
    ),
    Claim(
        RETRIEVAL,
        "The in-batch softmax alone recommends worse than the squared error; with the "
        "log Q correction it recommends better, at every depth.",
        lambda r: _softmax_alone_below_mse(r) and _log_q_above_mse(r),
        _changed(records.TOWERS, _mse_far_higher),
    ),
    Claim(
        RETRIEVAL,
        "The best log Q towers, chosen on the holdout, still do not beat the best "
        "classical model.",
        _best_does_not_beat_best_baseline,
        _changed(records.GOAL_FIGURES, _set(records.RETRIEVAL_GOAL.record, 0.05)),
    ),
    Claim(
        RETRIEVAL,
        "Once every depth is tuned alike, a deeper tower is no better than one layer.",
        _depth_does_not_help_once_tuned,
        _changed(records.TUNED, _deep_tuned_higher),
    ),
    Claim(
        RETRIEVAL,
        "JAX trains the towers faster than TensorFlow on this CPU.",
        _jax_faster,
        lambda r: {**r, records.JAX_SPEEDUP: 0.5},
    ),
)
