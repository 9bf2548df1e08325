"""recbook.training, recbook.evidence and recbook.records: summaries, rules and goals by hand."""

from __future__ import annotations

import os
import subprocess
import sys

from recbook import evidence, records, reproducibility, training

import pytest


def run(mae, seconds, curve=None):
    curves = {} if curve is None else {"mae": curve}
    epochs = [] if curve is None else [5, 10]
    return training.Run(10, seconds, {"mae": mae, "x": 2 * mae}, curves, epochs)


def test_summarize_means_and_population_stds_by_hand():
    row = training.summarize(
        [run(0.1, 1.0, [0.1, 0.3]), run(0.3, 3.0, [0.2, 0.5])], m="a"
    )
    assert list(row)[:3] == ["m", "params", "seeds"]
    assert row["seeds"] == 2 and row["params"] == 10 and row["seconds"] == 2.0
    assert row["mae"] == pytest.approx(0.2) and row["mae_std"] == pytest.approx(0.1)
    assert row["x"] == pytest.approx(0.4) and row["x_std"] == pytest.approx(0.2)
    assert row["mae_curve"] == pytest.approx([0.15, 0.4])
    assert row["mae_curve_std"] == pytest.approx([0.05, 0.1])
    assert row["epochs"] == [5, 10]
    assert "epochs" not in training.summarize([run(0.1, 1.0)])


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
    with pytest.raises(ValueError, match="seeds must hold at least one seed"):
        training.over_seeds(fit, lambda: "m", "d", [])


def test_tolerance_is_twice_the_published_spread_plus_three_seed_stds():
    # The recipe's runs 0.7419 and 0.7357: spread 0.0062; our std 0.001.
    assert evidence.tolerance((0.7419, 0.7357), 0.001) == pytest.approx(
        2 * 0.0062 + 3 * 0.001
    )
    with pytest.raises(ValueError, match="at least two published runs"):
        evidence.tolerance((0.3,), 0.01)
    with pytest.raises(ValueError, match="ours_std must be at least 0"):
        evidence.tolerance((0.3, 0.31), -0.01)


def test_compare_states_a_difference_only_beyond_twice_its_spread():
    # Spread sqrt(0.003^2 + 0.004^2) = 0.005: a difference of 0.011 counts, 0.009 not.
    beyond = evidence.compare(0.511, 0.003, 0.500, 0.004)
    assert beyond.spread == pytest.approx(0.005) and beyond.exceeds_spread
    assert beyond.describe("deep", "shallow").startswith("deep is higher than shallow")
    within = evidence.compare(0.491, 0.003, 0.500, 0.004)
    assert not within.exceeds_spread
    assert "within the noise" in within.describe("deep", "shallow")
    spread = evidence.compare(0.4, 0.001, 0.5, 0.0).describe("a", "b")
    assert spread.startswith("b is higher than a by 0.1000")
    one_seed = evidence.compare(0.4, 0.0, 0.5, 0.0)
    assert not one_seed.exceeds_spread and "no verdict" in one_seed.describe("a", "b")


def test_goals_verdicts():
    goal = records.Goal("Below 0.03?", "gap", 0.03, lower_is_better=True)
    assert goal.verdict(0.03) == "met" and goal.verdict(0.031) == "not met"
    assert records.RETRIEVAL_GOAL.verdict(0.35) == "met"
    assert records.RETRIEVAL_GOAL.verdict(0.3499) == "not met"
    names = [g.record for g in records.EMBEDDING_GOALS]
    assert len(set(names)) == len(names) == 3


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
