"""Each chapter runs on the real archives with quick parameters; figures vs. known values.

The stored notebooks hold the full run's recorded figures; a quick run must
reproduce those that do not depend on the training budget, and the known
facts of the data set (GroupLens's published counts).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from recbook import results, runner

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"


class QuickRuns(dict):
    """Each chapter's figures from one quick run, executed when a test first asks for it.

    So ``pytest -k scaling`` executes the scaling chapter alone.
    """

    def __init__(self, output: Path) -> None:
        super().__init__()
        self.output = output

    def __missing__(self, stem: str) -> dict:
        self[stem] = results.read(runner.execute(NOTEBOOKS / f"{stem}.py", quick=True, output_dir=self.output))
        return self[stem]


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory, movielens_dir):
    """Every chapter's figures from a run with its quick parameters, by chapter name (run on demand)."""
    return QuickRuns(tmp_path_factory.mktemp("quick"))


def stored(stem: str) -> dict:
    return results.read(NOTEBOOKS / f"{stem}.ipynb")


@pytest.mark.data
@pytest.mark.notebook
def test_movielens_data_chapter(quick_runs):
    figures = quick_runs["01_movielens_data"]
    # MovieLens-100K's README: 100,000 ratings by 943 users on 1,682 movies.
    assert figures["n_ratings"] == 100_000
    assert figures["n_users"] == 943
    assert figures["n_movies"] == 1_682
    assert figures["density"] == pytest.approx(100_000 / (943 * 1_682))
    # Hand-checked against u.data: sum of stars 352,986; 21,201 five-star ratings.
    assert figures["mean_rating"] == pytest.approx(3.52986, abs=1e-5)
    assert figures["share_five_stars"] == pytest.approx(0.21201, abs=1e-5)
    assert figures == stored("01_movielens_data")


@pytest.mark.data
@pytest.mark.notebook
def test_memory_efficient_embeddings_chapter(quick_runs):
    figures = quick_runs["04_memory_efficient_embeddings"]
    # Parameter totals do not depend on the training budget: exact, and as in the stored run.
    assert figures["baseline_params"] == 623_744 == stored("04_memory_efficient_embeddings")["baseline_params"]
    assert figures["recipe_params"] == 113_312 == stored("04_memory_efficient_embeddings")["recipe_params"]
    # One epoch on 20,000 ratings: errors are finite, between a trained model's and a coin's.
    assert 0.6 < figures["baseline_mae"] < 1.6
    assert set(figures["targets"]) == set(stored("04_memory_efficient_embeddings")["targets"])


@pytest.mark.data
@pytest.mark.notebook
def test_featurization_chapter(quick_runs):
    figures = quick_runs["02_featurization"]
    # The tutorial's protocol: 1,682 movies, an 80,000 / 20,000 split of the 100,000 ratings.
    assert figures["movies_count"] == 1_682
    assert figures["train_size"] == 80_000 and figures["test_size"] == 20_000
    # 21,201 five-star ratings in all (chapter 1); the seeded test fifth holds about a fifth.
    assert 0.18 * 21_201 < figures["test_five_stars"] < 0.23 * 21_201
    assert figures == stored("02_featurization")


def popularity_by_hand(movielens_dir) -> float:
    """The popularity baseline from the raw ratings with pandas, on the tutorial's split."""
    import numpy as np
    import pandas as pd
    import tensorflow as tf

    from recbook import data

    ratings = data.load_tfds("ratings", "100k").map(lambda x: (x["movie_id"], x["user_rating"]))
    shuffled = ratings.shuffle(100_000, seed=42, reshuffle_each_iteration=False)
    rows = pd.DataFrame([(int(m), float(r)) for m, r in shuffled.as_numpy_iterator()], columns=["movie", "stars"])
    train, test = rows.iloc[:80_000], rows.iloc[80_000:100_000]
    counts = train["movie"].value_counts().rename("n").reset_index()
    top = counts.sort_values(["n", "movie"], ascending=[False, True])["movie"].iloc[:100]
    return float(test.loc[test["stars"] == 5, "movie"].isin(top).mean())


@pytest.mark.data
@pytest.mark.notebook
def test_retrieval_towers_chapter(quick_runs, movielens_dir):
    figures = quick_runs["03_retrieval_towers"]
    saved = stored("03_retrieval_towers")
    # Trainable parameters by hand. Embeddings, 32 wide: query 944 users + 2 genders + 10 age
    # bins + 20 crosses + 17 occupations = 993 rows; candidate 1,683 movies + 2,469 title
    # tokens + 21 genres = 4,173 rows. Dense layers on 160 (query) and 96 (candidate) inputs.
    embeddings = (993 + 4_173) * 32
    one = embeddings + (160 * 32 + 32) + (96 * 32 + 32)
    two = embeddings + (160 * 64 + 64) + (96 * 64 + 64) + 2 * (64 * 32 + 32)
    three = embeddings + (160 * 128 + 128) + (96 * 128 + 128) + 2 * (128 * 64 + 64 + 64 * 32 + 32)
    assert figures["towers_params"] == {"(32,)": one, "(64, 32)": two, "(128, 64, 32)": three}
    assert figures["towers_params"] == saved["towers_params"]
    # The popularity baseline does not depend on training: the same as a pandas recount.
    assert figures["popularity_top100"] == pytest.approx(popularity_by_hand(movielens_dir), abs=1e-6)
    assert figures["popularity_top100"] == saved["popularity_top100"]
    # Five epochs, one seed: accuracies are those of a model that learned something.
    for accuracy in figures["towers_top100"].values():
        assert 0.05 < accuracy < 0.6
    assert figures["jax_speedup"] > 0 and set(figures["backend_seconds"]) == {"jax", "tensorflow"}


SCALING = "06_scaling_out"


def check_scaling_run(figures: dict, devices: int) -> None:
    """What a run of the scaling chapter must show on ``devices`` devices (any training budget)."""
    from recbook import published

    tolerance = published.SCALING_TOLERANCE
    assert figures["devices"] == devices
    # Same weights, same batches: data and model parallel reproduce the single-device run.
    assert figures["dp_loss_max_abs_diff"] <= tolerance["loss"]
    assert figures["dp_mae_abs_diff"] <= tolerance["mae"]
    assert figures["mp_loss_max_abs_diff"] <= tolerance["loss"]
    assert figures["mp_prediction_max_abs_diff"] <= tolerance["predictions"]
    # Rows split over the devices, MovieLens-1M's 3,706 movies padded to a multiple of them.
    padded_movies = -(-3_706 // devices) * devices
    assert figures["shard_shapes"] == {"user_emb/embeddings": [-(-6_040 // devices), 64],
                                       "movie_emb/embeddings": [padded_movies // devices, 64]}
    assert figures["per_device_bytes_match_paper"] is True
    # On paper: 10^8 x 64 + 10^7 x 64 float32 values, three times with Adam.
    assert figures["production_full_with_adam_bytes"] == 110_000_000 * 64 * 4 * 3


@pytest.mark.data
@pytest.mark.notebook
def test_scaling_out_chapter(quick_runs):
    figures = quick_runs[SCALING]
    saved = stored(SCALING)
    check_scaling_run(figures, devices=saved["devices"])
    # Facts that do not depend on the training budget are the stored run's.
    for name in ("shard_shapes", "per_device_bytes", "production_full_with_adam_bytes",
                 "production_full_per_device_bytes", "ml32m_full_with_adam_bytes",
                 "dp_collective_bytes_per_step", "mp_collective_bytes_per_step"):
        assert figures[name] == saved[name], name
    # Data parallel all-reduces both tables' gradients (6,040 + 3,706 rows of 64 float32) and two scalars
    # (loss and MAE sums); model parallel the looked-up rows, 128 x 64 float32 per table.
    assert figures["dp_collective_bytes_per_step"] == (6_040 + 3_706) * 64 * 4 + 2 * 4
    assert figures["mp_collective_bytes_per_step"] == 2 * 128 * 64 * 4
    by_devices = figures["collective_bytes_by_devices"]
    assert by_devices["data parallel, 1"] == by_devices["model parallel, 1"] == 0


@pytest.mark.data
@pytest.mark.notebook
def test_scaling_out_chapter_on_one_device(tmp_path, movielens_dir):
    # Colab without a TPU has one device: the chapter runs on a 1-device mesh.
    figures = results.read(runner.execute(NOTEBOOKS / f"{SCALING}.py", quick=True, output_dir=tmp_path,
                                          parameters={"device_count": 1, "scaling_counts": [1, 2]}))
    check_scaling_run(figures, devices=1)
    assert figures["dp_collective_bytes_per_step"] == figures["mp_collective_bytes_per_step"] == 0
