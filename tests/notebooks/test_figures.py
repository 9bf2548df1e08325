"""Headline figures of the stored full runs against the published ones.

The published figures and their tolerances come from :mod:`recbook.published`;
the few other bounds are stated beside their figure. The stored notebooks are
the full-parameter runs; the pair tests prove they were executed from the
current sources, and nbval re-executes them.
"""

from __future__ import annotations

from pathlib import Path

from recbook import glue, published

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
EMBEDDINGS = glue.read(NOTEBOOKS / "04_memory_efficient_embeddings.ipynb")
RETRIEVAL = glue.read(NOTEBOOKS / "03_retrieval_towers.ipynb")
SCALING = glue.read(NOTEBOOKS / "06_scaling_out.ipynb")

pytestmark = pytest.mark.figures


def test_baseline_reproduces_the_recipe():
    assert EMBEDDINGS["baseline_params"] == 623_744
    # Published 0.6808 (and 0.6869 in an earlier run; the split is unseeded): within 0.015.
    assert EMBEDDINGS["baseline_mae"] == pytest.approx(
        published.EMBEDDINGS_BASELINE["mae"],
        abs=published.EMBEDDINGS_TOLERANCE["baseline"],
    )
    assert EMBEDDINGS["baseline_mae_std"] < 0.005


def test_recipe_design_reproduces_with_fewer_parameters():
    # The recipe's 117,968 parameters include rows and biases the design does not need.
    assert EMBEDDINGS["recipe_params"] == 113_312
    # Published 0.7419 (0.7357 earlier): within 0.03, and not worse than it by more than 0.005.
    assert EMBEDDINGS["recipe_mae"] == pytest.approx(
        published.EMBEDDINGS_RECIPE["mae"], abs=published.EMBEDDINGS_TOLERANCE["recipe"]
    )
    assert EMBEDDINGS["recipe_mae"] <= 0.7419 + 0.005


def test_targets_are_derived_from_the_sweep():
    sweep = EMBEDDINGS["sweep_mae"]
    ratios = sorted({int(key.split()[-1][:-1]) for key in sweep} - {1})
    qr_beats_hashing = all(sweep[f"qr {r}x"] < sweep[f"hashing {r}x"] for r in ratios)
    assert EMBEDDINGS["targets"]["QR beats hashing at every budget"] is qr_beats_hashing
    assert EMBEDDINGS["targets"]["QR+MD >= 5x within 0.03"] is (
        EMBEDDINGS["best_qr_md_5x_gap"] <= 0.03
    )
    assert EMBEDDINGS["targets"]["some method >= 10x within 0.05"] is (
        EMBEDDINGS["best_10x_gap"] <= 0.05
    )
    assert sweep["full 1x"] == pytest.approx(EMBEDDINGS["baseline_mae"])


@pytest.mark.parametrize("towers", published.RETRIEVAL_TOP100, ids=str)
def test_retrieval_towers_reproduce_the_tutorial(towers):
    # Final top-100 accuracy, mean over 3 seeds: within 0.03 of the published 0.3216 for
    # one layer, within 0.04 of the published value for two and three.
    label = str(towers)
    assert RETRIEVAL["towers_top100"][label] == pytest.approx(
        published.RETRIEVAL_TOP100[towers][-1],
        abs=published.RETRIEVAL_TOLERANCE[towers],
    )
    assert 0 < RETRIEVAL["towers_top100_std"][label] < 0.03


def test_popularity_baseline_beats_the_tutorial_towers_as_the_chapter_says():
    # The issue expected popularity below the one-layer model; on this protocol it is not
    # (most 5-star ratings go to popular movies). The chapter says so; this keeps it true.
    assert all(
        RETRIEVAL["popularity_top100"] > a for a in RETRIEVAL["towers_top100"].values()
    )
    assert RETRIEVAL["popularity_top100"] == pytest.approx(0.42, abs=0.01)


def test_corrected_softmax_meets_the_target_at_every_depth():
    corrected = {k: v for k, v in RETRIEVAL["softmax_top100"].items() if "log Q" in k}
    assert len(corrected) == 3
    assert (
        min(corrected.values())
        == RETRIEVAL["log_q_worst_top100"]
        >= published.RETRIEVAL_TARGET
    )
    assert RETRIEVAL["best_top100"] > RETRIEVAL["popularity_top100"]
    assert max(RETRIEVAL["softmax_top100_std"][k] for k in corrected) < 0.03


def test_ranking_metrics_are_reported_for_the_finalists():
    metrics = RETRIEVAL["ranking_metrics"]
    assert len(metrics) == 4 and "popularity" in metrics
    for values in metrics.values():
        assert set(values) == {"recall@10", "ndcg@10", "recall@100", "ndcg@100"}
        assert 0 < values["recall@10"] <= values["recall@100"] <= 1


def test_distributed_runs_equal_the_single_device_run():
    # 512 steps on 4 devices, same weights and batches: only float32 summation order differs.
    assert SCALING["devices"] == 4
    tolerance = published.SCALING_TOLERANCE
    assert SCALING["dp_loss_max_abs_diff"] <= tolerance["loss"]
    assert SCALING["dp_mae_abs_diff"] <= tolerance["mae"]
    assert SCALING["mp_loss_max_abs_diff"] <= tolerance["loss"]
    assert SCALING["mp_prediction_max_abs_diff"] <= tolerance["predictions"]


def test_sharded_memory_is_a_quarter_of_the_rows():
    assert SCALING["shard_shapes"] == {
        "user_emb/embeddings": [1510, 64],
        "movie_emb/embeddings": [927, 64],
    }
    held = SCALING["per_device_bytes"]
    # Weights and Adam's two slots, float32: 623,744 values x 12 bytes on one device;
    # (1,510 + 927) rows x 64 on each of 4; QR + MD: quotient 13 + remainder 30 rows
    # of 64, a quarter of the 99,296 MD values, and the two replicated projections
    # (32 + 16) x 64.
    assert held == {
        "full tables, one device": 623_744 * 12,
        "full tables, 4 shards": (1510 + 927) * 64 * 12,
        "QR users + MD movies, 4 shards": ((13 + 30) * 64 + 99_296 // 4 + 48 * 64) * 12,
    }
    assert SCALING["per_device_bytes_match_paper"] is True


def test_data_parallel_moves_the_tables_model_parallel_the_rows():
    by_devices = SCALING["collective_bytes_by_devices"]
    assert sorted({int(key.split(", ")[1]) for key in by_devices}) == [1, 2, 4, 8]
    for devices in (
        2,
        4,
        8,
    ):  # result sizes do not grow with the devices, for a fixed global batch
        assert (
            by_devices[f"data parallel, {devices}"]
            == SCALING["dp_collective_bytes_per_step"]
        )
        assert (
            by_devices[f"model parallel, {devices}"]
            == SCALING["mp_collective_bytes_per_step"]
        )
    assert (
        SCALING["dp_collective_bytes_per_step"]
        > 30 * SCALING["mp_collective_bytes_per_step"]
    )
