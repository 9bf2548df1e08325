"""recbook.training, recbook.evidence and recbook.records: summaries, rules and goals by hand."""

from __future__ import annotations

import math
import os
import subprocess
import sys

from recbook import evidence, records, reproducibility, training

import numpy as np
import pytest
from scipy import stats


def run(mae, seconds, curve=None):
    curves = {} if curve is None else {"mae": curve}
    epochs = [] if curve is None else [5, 10]
    return training.Run(10, seconds, {"mae": mae, "x": 2 * mae}, curves, epochs)


def test_summarize_means_and_sample_stds_by_hand():
    row = training.summarize(
        [run(0.1, 1.0, [0.1, 0.3]), run(0.3, 3.0, [0.2, 0.5])], m="a"
    )
    assert list(row)[:3] == ["m", "params", "seeds"]
    assert row["seeds"] == 2 and row["params"] == 10 and row["seconds"] == 2.0
    # Two values d apart: sample std = d / sqrt(2) (ddof 1), not d / 2.
    assert row["mae"] == pytest.approx(0.2)
    assert row["mae_std"] == pytest.approx(0.2 / 2**0.5)
    assert row["x"] == pytest.approx(0.4) and row["x_std"] == pytest.approx(
        0.4 / 2**0.5
    )
    assert row["mae_curve"] == pytest.approx([0.15, 0.4])
    assert row["mae_curve_std"] == pytest.approx([0.1 / 2**0.5, 0.2 / 2**0.5])
    assert row["epochs"] == [5, 10]
    assert "epochs" not in training.summarize([run(0.1, 1.0)])
    # One seed measures no spread.
    assert training.summarize([run(0.1, 1.0)])["mae_std"] == 0.0
    # Three seeds 0.1, 0.2, 0.6: mean 0.3, squares 0.04 + 0.01 + 0.09 = 0.14 over 2.
    three = training.summarize([run(0.1, 1), run(0.2, 1), run(0.6, 1)])
    assert three["mae_std"] == pytest.approx(0.07**0.5)


def test_summarize_refuses_nothing_and_mixed_metrics():
    with pytest.raises(ValueError, match="at least one run"):
        training.summarize([])
    other = training.Run(10, 1.0, {"rmse": 1.0})
    with pytest.raises(ValueError, match="same metrics"):
        training.summarize([run(0.1, 1.0), other])


def test_over_seeds_calls_fit_once_per_seed_and_checks_seeds():
    calls = []

    def fit(build, data, seed, **options):
        calls.append((build(), data, seed, options))
        return run(0.1, 1.0)

    assert len(training.over_seeds(fit, lambda: "m", "d", [3, 4], lr=1)) == 2
    assert calls == [("m", "d", 3, {"lr": 1}), ("m", "d", 4, {"lr": 1})]
    with pytest.raises(ValueError, match="seeds must hold at least one"):
        training.over_seeds(fit, lambda: "m", "d", [])


def test_tolerance_is_two_standard_errors_of_the_difference():
    # The recipe's runs 0.7419 and 0.7357: s_pub = 0.0062 / sqrt(2); ours 0.001, 3 seeds.
    s_pub = 0.0062 / 2**0.5
    assert evidence.tolerance((0.7419, 0.7357), 0.001, 3) == pytest.approx(
        2 * (s_pub**2 + 0.001**2 / 3) ** 0.5
    )
    # One published run: its spread is ours (the same code, one run each).
    assert evidence.tolerance((0.27,), 0.004, 4) == pytest.approx(
        2 * (0.004**2 + 0.004**2 / 4) ** 0.5
    )
    assert evidence.REPRODUCTION_MULTIPLE == 2.0
    assert evidence.reproduction_false_alarm_rate() == pytest.approx(0.0455, abs=1e-4)
    with pytest.raises(ValueError, match="at least one published run"):
        evidence.tolerance((), 0.01, 3)
    with pytest.raises(ValueError, match="ours_std must be a finite number at least 0"):
        evidence.tolerance((0.3, 0.31), -0.01, 3)
    with pytest.raises(ValueError, match="needs a spread"):
        evidence.tolerance((0.3,), 0.0, 1)


def test_the_rule_rejects_clearly_different_models():
    # Planted: the plain softmax (64, 32) at 0.2003 (std 0.0439 over 3 seeds) against
    # the 1-layer tutorial's 0.3216 (later run 0.3100): the old rule, 2 x range +
    # 3 x std = 0.155, called it within; two standard errors, 0.053, do not.
    softmax = evidence.reproduction(0.2003, 0.0439, 3, (0.3216, 0.3100))
    assert 2 * (0.3216 - 0.3100) + 3 * 0.0439 > abs(0.2003 - 0.3216)
    assert softmax.tolerance == pytest.approx(
        2 * ((0.0116 / 2**0.5) ** 2 + 0.0439**2 / 3) ** 0.5
    )
    assert not softmax.within and softmax.verdict == "outside (ours lower)"
    # Full tables of dimension 13 (5x fewer parameters): test MAE 0.6933, std 0.0015,
    # against the recipe's baseline 0.6808 / 0.6869: within the old rule, outside now.
    dim13 = evidence.reproduction(0.6933, 0.0015, 3, (0.6808, 0.6869))
    assert 2 * (0.6869 - 0.6808) + 3 * 0.0015 > 0.6933 - 0.6808
    assert not dim13.within and dim13.verdict == "outside (ours higher)"
    # And a faithful reproduction stays within: our 1-layer towers, 0.3204 +- 0.0033.
    assert evidence.reproduction(0.3204, 0.0033, 3, (0.3216, 0.3100)).within
    assert "within the tolerance of ±0.0168" in evidence.reproduction(
        0.3204, 0.0033, 3, (0.3216, 0.3100)
    ).describe("1 layer")


def test_compare_uses_standard_errors_and_welch_t():
    # s = 0.003 and 0.004 over 3 seeds each: standard error sqrt((9 + 16) / 3) x 1e-3
    # = 0.002887; Welch dof (v_a + v_b)^2 / (v_a^2 / 2 + v_b^2 / 2) = 3.71; its
    # t critical value 2.864, so a difference counts beyond 0.00827.
    pair = evidence.compare(0.509, 0.003, 3, 0.500, 0.004, 3)
    assert pair.standard_error == pytest.approx((25e-6 / 3) ** 0.5)
    va, vb = 9e-6 / 3, 16e-6 / 3
    assert pair.degrees_of_freedom == pytest.approx(
        (va + vb) ** 2 / (va**2 / 2 + vb**2 / 2)
    )
    assert pair.threshold == pytest.approx(0.00827, abs=2e-5)
    assert pair.exceeds_noise and pair.margin == pytest.approx(0.009 - pair.threshold)
    assert pair.describe("deep", "shallow").startswith("deep is higher than shallow")
    assert "3 and 3 seeds" in pair.describe("deep", "shallow")
    close = evidence.compare(0.507, 0.003, 3, 0.500, 0.004, 3)
    assert not close.exceeds_noise and close.margin < 0
    assert "within the noise" in close.describe("deep", "shallow")
    # Against a baseline without spread: dof n - 1 = 4, t = 2.776, SE = 0.01 / sqrt(5).
    baseline = evidence.compare(0.40, 0.01, 5, 0.38, 0.0, 1)
    assert baseline.degrees_of_freedom == pytest.approx(4)
    assert "5 seeds against a figure without spread" in baseline.describe("a", "b")
    assert baseline.threshold == pytest.approx(2.7764 * 0.01 / 5**0.5, rel=1e-4)
    assert baseline.exceeds_noise
    lower = evidence.compare(0.4, 0.001, 3, 0.5, 0.0, 1).describe("a", "b")
    assert lower.startswith("b is higher than a by 0.1000")
    one_seed = evidence.compare(0.4, 0.0, 1, 0.5, 0.0, 1)
    assert not one_seed.exceeds_noise and "no verdict" in one_seed.describe("a", "b")
    assert one_seed.margin == pytest.approx(-0.1)
    with pytest.raises(ValueError, match="must be 0 for one seed"):
        evidence.compare(0.4, 0.01, 1, 0.5, 0.0, 1)
    with pytest.raises(ValueError, match="a_std must be a finite number at least 0"):
        evidence.compare(0.4, float("nan"), 3, 0.5, 0.0, 1)


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    "args, error, match",
    [
        (
            (NAN, 0.01, 3, 0.5, 0.01, 3),
            ValueError,
            "a must be a finite number; got nan",
        ),
        ((0.4, 0.01, 3, INF, 0.0, 1), ValueError, "b must be a finite number; got inf"),
        ((0.4, 0.01, 3, -INF, 0.0, 1), ValueError, "b must be a finite number"),
        (("0.4", 0.01, 3, 0.5, 0.0, 1), TypeError, "a must be a finite number"),
        ((0.4, None, 3, 0.5, 0.0, 1), TypeError, "a_std must be a finite number"),
        ((0.4, -0.01, 3, 0.5, 0.0, 1), ValueError, "a_std must be .* at least 0"),
        ((0.4, 0.01, 3, 0.5, INF, 3), ValueError, "b_std must be a finite number"),
        ((0.4, 0.01, 0, 0.5, 0.0, 1), ValueError, "a_seeds must be at least 1"),
        ((0.4, 0.01, -3, 0.5, 0.0, 1), ValueError, "a_seeds must be at least 1"),
        ((0.4, 0.01, 3, 0.5, 0.0, 2.5), TypeError, "b_seeds must be a whole number"),
        ((0.4, 0.01, True, 0.5, 0.0, 1), TypeError, "a_seeds must be a whole number"),
    ],
)
def test_compare_refuses_figures_that_give_no_verdict(args, error, match):
    with pytest.raises(error, match=match):
        evidence.compare(*args)


def test_no_spread_over_several_seeds_is_not_called_one_seed_each():
    # 0.30 and 0.25, every seed of each side giving the same figure: no verdict,
    # but the sentence must not claim one seed each.
    several = evidence.compare(0.30, 0.0, 3, 0.25, 0.0, 3)
    assert several.describe("A", "B") == (
        "A and B differ by +0.0500; 3 and 3 seeds: no spread measured (every seed "
        "gave the same figure), so no verdict"
    )
    against = evidence.compare(0.30, 0.0, 3, 0.25, 0.0, 1).describe("A", "B")
    assert "3 seeds against a figure without spread: no spread measured" in against
    assert "one seed each" not in against
    single = evidence.compare(0.30, 0.0, 1, 0.25, 0.0, 1).describe("A", "B")
    assert single == (
        "A and B differ by +0.0500; with one seed each there is no measured spread, "
        "so no verdict"
    )


@pytest.mark.parametrize(
    "runs, error, match",
    [
        (
            (NAN, 0.31),
            ValueError,
            r"published_runs\[0\] must be a finite number; got nan",
        ),
        (
            [0.3, INF],
            ValueError,
            r"published_runs\[1\] must be a finite number; got inf",
        ),
        (("0.3", 0.31), TypeError, r"published_runs\[0\] must be a finite number"),
        ((0.3, None), TypeError, r"published_runs\[1\] must be a finite number"),
        ("0.3", TypeError, "published_runs must be a list of published figures"),
        (0.3, TypeError, r"published_runs must be a list .*got 0.3 \(float\)"),
        ({"run": 0.3}, TypeError, "published_runs must be a list"),
        ([], ValueError, "at least one published run"),
        (np.array([[0.3, 0.31]]), TypeError, "published_runs must be a list"),
    ],
)
def test_tolerance_refuses_published_runs_that_are_not_finite_figures(
    runs, error, match
):
    with pytest.raises(error, match=match):
        evidence.tolerance(runs, 0.01, 3)
    with pytest.raises(error, match=match):
        evidence.published_spread(runs, 0.01)
    with pytest.raises(error, match=match):
        evidence.reproduction(0.3, 0.01, 3, runs)


def test_tolerance_takes_a_list_tuple_or_array_of_runs_alike():
    # s_pub = 0.0062 / sqrt(2), ours 0.001 over 3 seeds (as above).
    expected = 2 * ((0.0062 / 2**0.5) ** 2 + 0.001**2 / 3) ** 0.5
    for runs in ((0.7419, 0.7357), [0.7419, 0.7357], np.array([0.7419, 0.7357])):
        assert evidence.tolerance(runs, 0.001, 3) == pytest.approx(expected)
    with pytest.raises(ValueError, match="ours_std must be a finite number"):
        evidence.published_spread((0.3,), NAN)
    with pytest.raises(ValueError, match="seeds must be at least 1"):
        evidence.tolerance((0.3, 0.31), 0.01, 0)


@pytest.mark.parametrize("ours", [NAN, INF, -INF])
def test_reproduction_refuses_a_figure_that_is_not_finite(ours):
    with pytest.raises(ValueError, match="ours must be a finite number"):
        evidence.reproduction(ours, 0.0027, 3, (0.3216, 0.3100))


def test_reproduction_without_published_runs_says_so():
    # Not an IndexError from reading the first run of nothing.
    with pytest.raises(ValueError, match="at least one published run"):
        evidence.reproduction(0.3, 0.01, 3, [])
    with pytest.raises(TypeError, match="ours must be a finite number"):
        evidence.reproduction(None, 0.01, 3, (0.3216, 0.3100))


def test_a_reproduction_built_by_hand_is_checked_too():
    with pytest.raises(ValueError, match="published must be a finite number"):
        evidence.Reproduction(ours=0.3, published=NAN, tolerance=0.01)
    with pytest.raises(ValueError, match="ours must be a finite number"):
        evidence.Reproduction(ours=NAN, published=0.3, tolerance=0.01)
    with pytest.raises(ValueError, match="tolerance must be a finite number greater"):
        evidence.Reproduction(ours=0.3, published=0.3, tolerance=0.0)
    # 0.30 against 0.25 with a tolerance of 0.01: +0.05, outside, ours higher.
    kept = evidence.Reproduction(ours=0.30, published=0.25, tolerance=0.01)
    assert kept.difference == pytest.approx(0.05)
    assert kept.verdict == "outside (ours higher)"


def test_false_alarm_rate_needs_a_positive_multiple():
    # 2 (1 - Phi(1)) = 2 x 0.158655 = 0.317311.
    assert evidence.reproduction_false_alarm_rate(1.0) == pytest.approx(
        0.317311, abs=1e-6
    )
    for multiple in (-2, 0, NAN, INF):
        with pytest.raises(
            ValueError, match="multiple must be a finite number greater"
        ):
            evidence.reproduction_false_alarm_rate(multiple)
    with pytest.raises(TypeError, match="multiple must be"):
        evidence.reproduction_false_alarm_rate("2")


def test_significance_is_five_percent():
    assert evidence.SIGNIFICANCE == 0.05
    assert evidence.critical_value(1e9) == pytest.approx(1.95996, abs=1e-4)
    assert evidence.critical_value(INF) == pytest.approx(1.95996, abs=1e-4)
    assert evidence.critical_value(0) == float("inf")
    for freedom in (NAN, -1.0, -INF):
        with pytest.raises(ValueError, match="degrees_of_freedom must be"):
            evidence.critical_value(freedom)


def test_cross_machine_allowances():
    # The slow tier's stated allowances: 3 seed stds, 10% of a single run's figure.
    assert evidence.CROSS_MACHINE_SIGMAS == 3.0
    assert evidence.SINGLE_RUN_RELATIVE == 0.1


def test_goals_state_their_limit_and_are_strict():
    goal = records.Goal("Below {limit}?", "gap", 0.03, "why", lower_is_better=True)
    assert goal.text == "Below 0.03?"
    assert goal.verdict(0.0299) == "met" and goal.verdict(0.03) == "not met"
    retrieval_goal = records.RETRIEVAL_GOAL
    assert retrieval_goal.limit == 0.0 and not retrieval_goal.lower_is_better
    assert retrieval_goal.verdict(0.0001) == "met"
    assert retrieval_goal.verdict(0.0) == "not met"
    assert "above 0?" in retrieval_goal.text
    names = [g.record for g in records.EMBEDDING_GOALS]
    assert len(set(names)) == len(names) == 3
    shares = {g.record: g.limit for g in records.EMBEDDING_GOALS}
    assert shares == {
        "qr_md_5x_share": 0.5,
        "chosen_10x_share": 0.5,
        "qr_over_hashing_share": 0.1,
    }
    assert "more than 50%" in records.EMBEDDING_GOALS[0].text
    assert "more than 10%" in records.EMBEDDING_GOALS[2].text
    for g in (retrieval_goal, *records.EMBEDDING_GOALS):
        assert g.reason and "{" not in g.text


def test_no_baseline_meets_a_goal():
    # Chapter 3: a baseline put in the towers' place is compared with the best
    # baseline; without a spread its margin is -|difference| <= 0: never met.
    for value, best in ((0.42, 0.52), (0.52, 0.52)):
        margin = evidence.compare(value, 0.0, 1, best, 0.0, 1).margin
        assert not records.RETRIEVAL_GOAL.met(margin)
    # Chapter 6: the bias model keeps 0 of the gain, the global mean less than 0,
    # hashing leads itself by 0.
    from recbook import baselines

    bias_share = baselines.gain_share(0.715, 0.715, 0.674)
    mean_share = baselines.gain_share(0.934, 0.715, 0.674)
    assert bias_share == 0 and mean_share < 0
    for goal in records.EMBEDDING_GOALS:
        assert not goal.met(bias_share) and not goal.met(mean_share)


def test_max_isa_is_added_once_and_an_explicit_cap_is_kept():
    assert reproducibility.with_max_isa("") == "--xla_cpu_max_isa=AVX2"
    assert (
        reproducibility.with_max_isa("--xla_force_host_platform_device_count=4")
        == "--xla_force_host_platform_device_count=4 --xla_cpu_max_isa=AVX2"
    )
    assert reproducibility.with_max_isa("--xla_cpu_max_isa=AVX") == (
        "--xla_cpu_max_isa=AVX"
    )


def test_importing_recbook_pins_the_cpus_and_the_instruction_set():
    probe = (
        "import os, recbook; "
        "print(len(os.sched_getaffinity(0)), os.environ.get('XLA_FLAGS', ''))"
    )
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split(maxsplit=1)
    assert 1 <= int(out[0]) <= reproducibility.CPUS
    assert out[1].strip() == "--xla_cpu_max_isa=AVX2"
    env[reproducibility.OPT_OUT] = "0"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split(maxsplit=1)
    assert len(out) == 1  # no flags set


def test_paired_bootstrap_matches_the_exact_bootstrap_of_two_users():
    # User 1: two ratings, A hits both, B neither (difference +2 over 2 ratings);
    # user 2: one rating, B hits it (difference -1). Of the four equally likely
    # draws of two users, (1, 1) gives +1, (1, 2) and (2, 1) give +1/3, (2, 2) -1:
    # mean 1/6, variance 5/9 - 1/36 = 19/36.
    se = evidence.paired_bootstrap([1, 1, 0], [0, 0, 1], [1, 1, 2], samples=40_000)
    assert se == pytest.approx(math.sqrt(19 / 36), rel=0.01)


def test_paired_bootstrap_is_zero_for_equal_models_and_pairs_the_draws():
    hits = np.array([1, 0, 1, 1, 0, 0, 1, 0], float)
    users = np.array([1, 1, 2, 2, 3, 3, 4, 4])
    assert evidence.paired_bootstrap(hits, hits, users) == 0.0
    # A model that hits one more rating of each user than the other differs by
    # exactly 1/2 on every draw (two ratings per user): no spread when paired.
    assert evidence.paired_bootstrap(
        np.ones(8), np.tile([1.0, 0.0], 4), users
    ) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (([1, 0], [1], [1, 2]), "equal length"),
        (([], [], []), "no test rating"),
        (([1, np.nan], [1, 0], [1, 2]), "hits_a must be finite"),
        (([1, 0], [1, 0], [1, 2], 1), "samples"),
    ],
)
def test_paired_bootstrap_refuses_bad_input(arguments, message):
    with pytest.raises((TypeError, ValueError), match=message):
        evidence.paired_bootstrap(*arguments)


def test_the_test_error_joins_the_seeds_noise():
    seeds_only = evidence.compare(0.52, 0.004, 3, 0.50, 0.0, 1)
    both = evidence.compare(0.52, 0.004, 3, 0.50, 0.0, 1, test_error=0.003)
    assert both.standard_error == pytest.approx(math.sqrt(0.004**2 / 3 + 0.003**2))
    # The known test variance adds no freedom: Welch's over the seeds' term alone.
    assert both.degrees_of_freedom == pytest.approx(
        both.standard_error**4 / ((0.004**2 / 3) ** 2 / 2)
    )
    assert both.standard_error > seeds_only.standard_error
    assert both.threshold == pytest.approx(
        stats.t.ppf(0.975, both.degrees_of_freedom) * both.standard_error
    )
    assert "test users" in both.describe("A", "B")
    # Two figures without spread: the test sample alone, a normal threshold.
    alone = evidence.compare(0.52, 0.0, 1, 0.50, 0.0, 1, test_error=0.005)
    assert alone.threshold == pytest.approx(1.959964 * 0.005, rel=1e-5)
    assert alone.exceeds_noise
    with pytest.raises(ValueError, match="test_error"):
        evidence.compare(0.52, 0.0, 1, 0.50, 0.0, 1, test_error=-0.1)


def test_the_verdict_in_words():
    assert (
        evidence.compare(0.52, 0.004, 3, 0.50, 0.0, 1, 0.002).verdict("towers", "EASE")
        == "towers better"
    )
    assert (
        evidence.compare(0.48, 0.004, 3, 0.50, 0.0, 1, 0.002).verdict("towers", "EASE")
        == "EASE better"
    )
    assert (
        evidence.compare(0.70, 0.004, 3, 0.60, 0.0, 1).verdict(
            "A", "B", higher_is_better=False
        )
        == "B better"
    )
    assert (
        evidence.compare(0.501, 0.004, 3, 0.50, 0.0, 1, 0.002).verdict("towers", "EASE")
        == "within the noise"
    )
    assert evidence.compare(0.5, 0.0, 1, 0.4, 0.0, 1).verdict("A", "B") == "no verdict"


def test_a_comparison_as_a_table_row():
    """The row carries the difference a - b, the threshold (t at Welch's freedom times
    the standard error, by hand) and the verdict; no standard error."""
    row = evidence.compare(0.30, 0.01, 3, 0.25, 0.0, 1).row("deep", "EASE")
    standard_error = 0.01 / math.sqrt(3)
    assert row == {
        "model": "deep",
        "against": "EASE",
        "difference": pytest.approx(0.05),
        "threshold": pytest.approx(stats.t.ppf(0.975, 2) * standard_error),
        "verdict": "deep better",
    }
    lower = evidence.compare(0.70, 0.004, 3, 0.60, 0.0, 1).row("A", "B", False)
    assert lower["difference"] == pytest.approx(0.10) and lower["verdict"] == "B better"
    tie = evidence.compare(0.251, 0.01, 3, 0.25, 0.0, 1).row("deep", "EASE")
    assert tie["verdict"] == "within the noise"
    # One seed each: no spread, no threshold (a record holds no infinity).
    single = evidence.compare(0.30, 0.0, 1, 0.25, 0.0, 1).row("deep", "EASE")
    assert single["threshold"] is None and single["verdict"] == "no verdict"
