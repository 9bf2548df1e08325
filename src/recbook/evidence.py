"""When the book may call two figures different, and how far from a published figure ours may be.

Two rules, used by the chapters, the results page and the tests alike:

* :func:`compare`: a difference between two of our models is stated only when
  it exceeds :data:`SPREAD_MULTIPLE` times its seed-to-seed spread.
* :func:`tolerance`: ours reproduces a published figure when it lies within
  :data:`PUBLISHED_SPREAD_MULTIPLE` times the spread of the published runs plus
  :data:`SEED_STD_MULTIPLE` of our seed standard deviations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

SPREAD_MULTIPLE = 2.0
"""A difference of means is stated when it exceeds this many times its spread,
``sqrt(std_a**2 + std_b**2)`` (the standard deviation over seeds of a
difference of two independent runs): about a 5% chance for two equal models."""

PUBLISHED_SPREAD_MULTIPLE = 2.0
"""The published figure is one run; two published runs of the same code differ
by their spread, and another run could differ from either by about as much
again, hence twice it."""

SEED_STD_MULTIPLE = 3.0
"""Our figure is a mean over seeds; three of its standard deviations cover
almost every draw of it."""

CROSS_MACHINE_SIGMAS = 3.0
"""Another machine (one CPU, no FMA, another jaxlib) perturbs the rounding and
so trains like another draw of the seeds: a figure averaged over seeds may move
by about its standard deviation. The slow tier allows this many of them.
Measured here with XLA capped at AVX (no FMA), chapter 3: the 24 figures with a
spread moved by 0.2 standard deviations (median) and 2.4 at most."""

SINGLE_RUN_RELATIVE = 0.1
"""Figures of one seed's model (chapter 3's ranking metrics), which have no
measured spread, may move by this share of their value on another machine.
Measured with XLA capped at AVX: up to 6% (recall@10 of a log Q model)."""


@dataclass(frozen=True)
class Comparison:
    """The difference ``a - b`` of two means, its seed-to-seed spread, and the verdict."""

    difference: float
    spread: float

    @property
    def exceeds_spread(self) -> bool:
        """Whether the difference is larger than :data:`SPREAD_MULTIPLE` spreads.

        Never with a spread of 0: one seed each measures no spread, so no verdict.
        """
        return self.spread > 0 and abs(self.difference) > SPREAD_MULTIPLE * self.spread

    def describe(self, higher: str, lower: str, unit: str = "") -> str:
        """A sentence for the chapter: which is higher, by how much, or a tie."""
        spread = f"(seed-to-seed spread {self.spread:.4f}{unit})"
        if self.spread == 0:
            return (
                f"{higher} and {lower} differ by {self.difference:+.4f}{unit}; "
                "one seed each measures no spread, so no verdict"
            )
        if not self.exceeds_spread:
            return (
                f"{higher} and {lower} differ by {abs(self.difference):.4f}{unit}, "
                f"within the noise {spread}"
            )
        first, second = (higher, lower) if self.difference > 0 else (lower, higher)
        return (
            f"{first} is higher than {second} by {abs(self.difference):.4f}{unit} "
            f"{spread}"
        )


def compare(a: float, a_std: float, b: float, b_std: float) -> Comparison:
    """Compare two means over seeds, given their standard deviations over seeds."""
    return Comparison(difference=a - b, spread=math.hypot(a_std, b_std))


def tolerance(published_runs: Sequence[float], ours_std: float) -> float:
    """How far our mean may be from a published figure: the book's one rule.

    ``PUBLISHED_SPREAD_MULTIPLE * (max - min of the published runs) +
    SEED_STD_MULTIPLE * ours_std``.

    Raises:
        ValueError: fewer than two published runs (one run has no spread), or a
            negative standard deviation.
    """
    if len(published_runs) < 2:
        raise ValueError(
            "tolerance needs at least two published runs of the same experiment; "
            f"got {len(published_runs)}."
        )
    if ours_std < 0:
        raise ValueError(f"ours_std must be at least 0; got {ours_std}.")
    spread = max(published_runs) - min(published_runs)
    return PUBLISHED_SPREAD_MULTIPLE * spread + SEED_STD_MULTIPLE * ours_std
