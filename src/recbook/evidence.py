"""When the book may call two figures different, and how far from a published figure ours may be.

Two rules, used by the chapters, the results page and the tests alike, both on
sample standard deviations (``ddof=1``) over seeds, and both through standard
errors of means:

* :func:`compare`: a difference between two of our means is stated only when it
  exceeds its 95% threshold, the two-sided critical value of Student's t (Welch's
  degrees of freedom) times the standard error of the difference: a 5% chance
  for two equal models (:data:`SIGNIFICANCE`). When both models are scored on
  the same test ratings, the test sample's own noise joins the seeds': the
  standard error of a paired bootstrap over test users (:func:`paired_bootstrap`),
  counted as known (it adds no degrees of freedom to Welch's).
* :func:`tolerance`: ours reproduces a published figure when the two lie within
  :data:`REPRODUCTION_MULTIPLE` standard errors of their difference,
  ``sqrt(s_pub**2 + s_ours**2 / n)``, where ``s_pub`` is the spread of one run of
  the published code and ``s_ours / sqrt(n)`` the standard error of our mean over
  ``n`` seeds. The tolerance is also the smallest difference the row can detect.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from . import checks

SIGNIFICANCE = 0.05
"""The chance that :func:`compare` calls two equal models different: two-sided,
Student's t with Welch's degrees of freedom (exact for normal seed-to-seed noise)."""

REPRODUCTION_MULTIPLE = 2.0
"""``k`` of :func:`tolerance`: a difference beyond ``k`` standard errors is
"outside". For normal run-to-run noise with known spreads that calls an exact
reproduction outside 4.6% of the time (:func:`reproduction_false_alarm_rate`);
the spreads here are estimated from two published runs or a few seeds, which
makes the real rate higher."""

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


def reproduction_false_alarm_rate(multiple: float = REPRODUCTION_MULTIPLE) -> float:
    """The chance that an exact reproduction lies beyond ``multiple`` standard errors
    (normal noise, known spreads): ``2 * (1 - Phi(multiple))``.

    Raises:
        TypeError, ValueError: ``multiple`` is not a finite number above 0.
    """
    checks.positive("multiple", multiple)
    return float(2 * stats.norm.sf(multiple))


def critical_value(degrees_of_freedom: float) -> float:
    """Student's t two-sided critical value at :data:`SIGNIFICANCE`; inf without freedom.

    Infinite freedom is the normal distribution's limit (1.96).

    Raises:
        TypeError, ValueError: ``degrees_of_freedom`` is NaN, negative or not a number.
    """
    if degrees_of_freedom != math.inf:
        checks.real("degrees_of_freedom", degrees_of_freedom, minimum=0, bound="or inf")
    if not degrees_of_freedom > 0:
        return math.inf
    return float(stats.t.ppf(1 - SIGNIFICANCE / 2, degrees_of_freedom))


@dataclass(frozen=True)
class Comparison:
    """The difference ``a - b`` of two means, its standard error and the verdict.

    Attributes:
        difference: ``a - b``.
        standard_error: ``sqrt(s_a**2 / n_a + s_b**2 / n_b + test_error**2)``.
        degrees_of_freedom: Welch-Satterthwaite's over the seeds' terms (0 when no
            side has a spread and there is no test error; inf when only the test
            error, a known variance, is there).
        seeds: ``(n_a, n_b)``.
        test_error: the paired bootstrap's standard error over test users (0: the
            test sample not counted).
    """

    difference: float
    standard_error: float
    degrees_of_freedom: float
    seeds: tuple[int, int]
    test_error: float = 0.0

    @property
    def threshold(self) -> float:
        """The smallest difference stated: the critical value times the standard error
        (inf when no side measured a spread)."""
        if self.standard_error == 0:
            return math.inf
        return critical_value(self.degrees_of_freedom) * self.standard_error

    @property
    def exceeds_noise(self) -> bool:
        """Whether the difference is beyond :attr:`threshold` (never without a spread)."""
        return abs(self.difference) > self.threshold

    @property
    def margin(self) -> float:
        """How far the difference is beyond its threshold: ``difference - threshold``,
        positive only when ``a`` is higher beyond the noise. Without a spread (no
        verdict) it is ``-abs(difference)``, never above 0, and always finite, so
        that a chapter can record it."""
        if self.standard_error == 0:
            return -abs(self.difference)
        return self.difference - self.threshold

    def verdict(self, a: str, b: str, higher_is_better: bool = True) -> str:
        """The verdict in words for a table: ``"<a> better"``, ``"<b> better"``,
        ``"within the noise"``, or ``"no verdict"`` without a spread."""
        if self.standard_error == 0:
            return "no verdict"
        if not self.exceeds_noise:
            return "within the noise"
        a_wins = (self.difference > 0) == higher_is_better
        return f"{a if a_wins else b} better"

    def row(self, a: str, b: str, higher_is_better: bool = True) -> dict:
        """The comparison as a row of a chapter's table: ``a`` and ``b``, the
        difference ``a - b``, its threshold (``None`` without a spread: no verdict)
        and :meth:`verdict` in words. The standard error stays out: the rule is
        explained once, where it is introduced."""
        return {
            "model": a,
            "against": b,
            "difference": self.difference,
            "threshold": self.threshold if self.standard_error else None,
            "verdict": self.verdict(a, b, higher_is_better),
        }

    def describe(self, higher: str, lower: str, unit: str = "") -> str:
        """A sentence for the chapter: which is higher, by how much, or a tie."""
        n_a, n_b = self.seeds
        if min(n_a, n_b) == 1:
            seeds = f"{max(n_a, n_b)} seeds against a figure without spread"
        else:
            seeds = f"{n_a} and {n_b} seeds"
        if self.test_error > 0:
            seeds += " and the test users"
        noise = (
            f"standard error {self.standard_error:.4f}{unit}, {seeds}; "
            f"a difference counts beyond {self.threshold:.4f}{unit}"
        )
        if self.standard_error == 0:
            if max(n_a, n_b) == 1:
                spread = "with one seed each there is no measured spread"
            else:
                spread = (
                    f"{seeds}: no spread measured (every seed gave the same figure)"
                )
            return (
                f"{higher} and {lower} differ by {self.difference:+.4f}{unit}; "
                f"{spread}, so no verdict"
            )
        if not self.exceeds_noise:
            return (
                f"{higher} and {lower} differ by {abs(self.difference):.4f}{unit}, "
                f"within the noise ({noise})"
            )
        first, second = (higher, lower) if self.difference > 0 else (lower, higher)
        return (
            f"{first} is higher than {second} by {abs(self.difference):.4f}{unit} "
            f"({noise})"
        )


def compare(
    a: float,
    a_std: float,
    a_seeds: int,
    b: float,
    b_std: float,
    b_seeds: int,
    test_error: float = 0.0,
) -> Comparison:
    """Compare two means over seeds, given their sample standard deviations and seeds.

    A figure without spread (a deterministic baseline) is passed with
    ``std=0`` and ``seeds=1``. ``test_error``, when the two were scored on the same
    test ratings, is :func:`paired_bootstrap`'s standard error of their difference:
    its variance adds to the seeds', as a known variance.

    Raises:
        TypeError, ValueError: a mean is not finite, a standard deviation or the
            test error is negative or not finite, or a seed count is not a whole
            number of at least 1.
    """
    checks.real("test_error", test_error, minimum=0)
    terms = []
    for name, mean, std, seeds in (("a", a, a_std, a_seeds), ("b", b, b_std, b_seeds)):
        checks.real(name, mean)
        checks.whole(f"{name}_seeds", seeds)
        checks.real(f"{name}_std", std, minimum=0)
        if seeds == 1 and std > 0:
            raise ValueError(f"{name}_std must be 0 for one seed; got {std}.")
        terms.append((std**2 / seeds, seeds))
    variance = sum(v for v, _ in terms) + test_error**2
    freedom = sum(v**2 / (n - 1) for v, n in terms if v > 0)
    if freedom:
        degrees = variance**2 / freedom
    else:
        degrees = math.inf if test_error > 0 else 0.0
    return Comparison(
        difference=a - b,
        standard_error=math.sqrt(variance),
        degrees_of_freedom=degrees,
        seeds=(a_seeds, b_seeds),
        test_error=float(test_error),
    )


BOOTSTRAP_SAMPLES = 2000
"""Resamples of :func:`paired_bootstrap`: its standard error moves by about
``1 / sqrt(2 * 2000)``, 1.6%, of itself between seeds of the resampling."""


def paired_bootstrap(
    hits_a: Any,
    hits_b: Any,
    users: Any,
    samples: int = BOOTSTRAP_SAMPLES,
    seed: int = 0,
) -> float:
    """The standard error of ``mean(hits_a) - mean(hits_b)`` over the test sample:
    the test users are drawn with replacement ``samples`` times, each draw keeping
    all of a drawn user's ratings (once per draw), and the difference recomputed on
    the same draw for both models (paired). Returns the draws' sample standard
    deviation.

    ``hits_a`` and ``hits_b`` hold one figure per counted test rating, in the same
    order (a hit, 0 or 1, or its mean over seeds); ``users`` the rating's user.

    Raises:
        TypeError, ValueError: the arrays differ in length or are empty, a hit is
            not finite, ``samples`` is not a whole number of at least 2, or
            ``seed`` is negative.
    """
    checks.whole("samples", samples, minimum=2)
    checks.whole("seed", seed, minimum=0)
    a = checks.finite_array("hits_a", hits_a)
    b = checks.finite_array("hits_b", hits_b)
    checks.same_length(
        {"hits_a": a, "hits_b": b, "users": np.asarray(users)}, "one per test rating"
    )
    if len(a) == 0:
        raise ValueError("paired_bootstrap: no test rating to resample.")
    _, rows = np.unique(np.asarray(users), return_inverse=True)
    count = int(rows.max()) + 1
    difference = np.bincount(rows, weights=a - b, minlength=count)
    ratings = np.bincount(rows, minlength=count).astype("float64")
    draws = np.random.default_rng(seed).multinomial(
        count, np.full(count, 1.0 / count), size=samples
    )
    return float(np.std(draws @ difference / (draws @ ratings), ddof=1))


def checked_runs(published_runs: Any) -> Sequence[float]:
    """``published_runs`` if it is a non-empty list of finite published figures.

    A string, a mapping or a single number is refused rather than read as runs.

    Raises:
        TypeError: ``published_runs`` is not a list, tuple or 1-D array of numbers.
        ValueError: it is empty, or a run is NaN or infinite.
    """
    example = "like (0.3216, 0.3100)"
    if isinstance(published_runs, (str, bytes, Mapping)) or not (
        isinstance(published_runs, Sequence)
        or (isinstance(published_runs, np.ndarray) and published_runs.ndim == 1)
    ):
        raise TypeError(
            f"published_runs must be a list of published figures, {example}; got "
            f"{published_runs!r} ({type(published_runs).__name__})."
        )
    if len(published_runs) < 1:
        raise ValueError(
            f"published_runs must hold at least one published run, {example}; got none."
        )
    for i, run in enumerate(published_runs):
        checks.real(f"published_runs[{i}]", run)
    return published_runs


def published_spread(published_runs: Sequence[float], ours_std: float) -> float:
    """The spread of one run of the published code: the sample standard deviation of
    the published runs when there are two or more, else ours over seeds (the same
    code, one run each).

    Raises:
        TypeError, ValueError: ``published_runs`` is refused by :func:`checked_runs`,
            or ``ours_std`` is negative or not finite.
    """
    checked_runs(published_runs)
    checks.real("ours_std", ours_std, minimum=0)
    if len(published_runs) >= 2:
        return statistics.stdev(published_runs)
    return ours_std


def tolerance(published_runs: Sequence[float], ours_std: float, seeds: int) -> float:
    """How far our mean may be from a published figure: the book's one rule.

    ``REPRODUCTION_MULTIPLE * sqrt(s_pub**2 + ours_std**2 / seeds)``, with ``s_pub``
    from :func:`published_spread`. It is also the smallest difference the row can
    call "outside".

    Raises:
        TypeError, ValueError: no published run or one that is not a finite
            number (:func:`checked_runs`), a negative or non-finite standard
            deviation, a seed count below 1, or no spread at all (one published
            run and one seed).
    """
    spread = published_spread(published_runs, ours_std)
    checks.whole("seeds", seeds)
    value = REPRODUCTION_MULTIPLE * math.sqrt(spread**2 + ours_std**2 / seeds)
    if value == 0:
        raise ValueError(
            "tolerance needs a spread: two published runs, or two seeds or more of ours."
        )
    return value


@dataclass(frozen=True)
class Reproduction:
    """Our mean beside a published figure, judged by :func:`tolerance`.

    Attributes:
        ours: our mean over seeds.
        published: the published figure (its first run).
        tolerance: :func:`tolerance`, also the smallest difference the row detects.
    """

    ours: float
    published: float
    tolerance: float

    def __post_init__(self) -> None:
        """Refuse figures that no verdict can be drawn from (NaN, infinite, no tolerance)."""
        checks.real("ours", self.ours)
        checks.real("published", self.published)
        checks.positive("tolerance", self.tolerance)

    @property
    def difference(self) -> float:
        """``ours - published``."""
        return self.ours - self.published

    @property
    def within(self) -> bool:
        """Whether the difference is inside the tolerance."""
        return abs(self.difference) <= self.tolerance

    @property
    def verdict(self) -> str:
        """``"within"``, or ``"outside"`` with the side: ``"outside (ours higher)"``."""
        if self.within:
            return "within"
        return f"outside (ours {'higher' if self.difference > 0 else 'lower'})"

    def describe(self, name: str) -> str:
        """A sentence for the chapter: the figures, the difference and the verdict."""
        where = "within" if self.within else "outside"
        side = self.verdict.removeprefix("outside (").removesuffix(")")
        return (
            f"{name}: {self.ours:.4f} against the published {self.published:.4f}, "
            f"a difference of {self.difference:+.4f}, {where} the tolerance of "
            f"±{self.tolerance:.4f}" + ("" if self.within else f", {side}")
        )


def reproduction(
    ours: float, ours_std: float, seeds: int, published_runs: Sequence[float]
) -> Reproduction:
    """Judge our mean against the first of ``published_runs`` (:func:`tolerance`).

    Raises:
        TypeError, ValueError: ``ours`` is not a finite number, or :func:`tolerance`
            refuses the rest.
    """
    allowed = tolerance(published_runs, ours_std, seeds)
    return Reproduction(ours=ours, published=published_runs[0], tolerance=allowed)
