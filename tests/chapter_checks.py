"""What a chapter's quick run must show, wherever it runs (the book's env, Colab-like).

Each check takes the figures a quick run recorded and those of the stored full
run; it asserts what holds for any training budget: GroupLens's published
counts, exact parameter totals, and figures that do not depend on training.
"""

from __future__ import annotations

import configparser
import itertools
import re
from collections.abc import Callable
from pathlib import Path

from recbook import records
from recbook_tools import notebook_records

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


SANITIZE = Path(__file__).with_name("nbval-sanitize.cfg")
"""What differs legitimately between two runs of a cell (a Styler's memory address,
say): the file nbval applies, applied here too, so that the notebook tier, the
Colab-like tier and nbval compare alike."""


def sanitize(text: str) -> str:
    """``text`` with every rule of :data:`SANITIZE` applied, as nbval applies them."""
    rules = configparser.ConfigParser(interpolation=None)
    rules.read(SANITIZE)
    for section in rules.sections():
        text = re.sub(rules[section]["regex"], rules[section]["replace"], text)
    return text


def checked_outputs(notebook: nbformat.NotebookNode) -> list[tuple[str, list[str]]]:
    """The text outputs of the cells tagged ``nbval-check-output``, with their sources,
    sanitized as nbval sanitizes them (:func:`sanitize`).

    A stream's pieces (the kernel may flush a print in several) are joined by
    nbval's own ``coalesce_streams``, as nbval joins them before comparing.
    """
    from nbval.plugin import coalesce_streams

    def text(output) -> str:
        return sanitize(
            output.get("text") or output.get("data", {}).get("text/plain", "")
        )

    return [
        (cell.source, [text(output) for output in coalesce_streams(cell.outputs)])
        for cell in notebook.cells
        if "nbval-check-output" in cell.metadata.get("tags", [])
    ]


def stored(stem: str) -> dict:
    """The figures recorded by the stored full run of a chapter."""
    return notebook_records.read(NOTEBOOKS / f"{stem}.ipynb")


def movielens_data(figures: dict, saved: dict) -> None:
    # MovieLens-100K's README: 100,000 ratings by 943 users on 1,682 movies.
    assert figures[records.N_RATINGS] == 100_000
    assert figures[records.N_USERS] == 943
    assert figures[records.N_MOVIES] == 1_682
    assert figures[records.DENSITY] == pytest.approx(100_000 / (943 * 1_682))
    # Hand-checked against u.data: sum of stars 352,986; 21,201 five-star ratings.
    assert figures[records.MEAN_RATING] == pytest.approx(3.52986, abs=1e-5)
    assert figures[records.SHARE_FIVE_STARS] == pytest.approx(0.21201, abs=1e-5)
    assert figures == saved


def featurization(figures: dict, saved: dict) -> None:
    # The tutorial's protocol: 1,682 movies, an 80,000 / 20,000 split of the 100,000 ratings.
    assert figures[records.MOVIES_COUNT] == 1_682
    assert (
        figures[records.TRAIN_SIZE] == 80_000 and figures[records.TEST_SIZE] == 20_000
    )
    # 21,201 five-star ratings in all (chapter 1); the seeded test fifth holds about a fifth.
    assert 0.18 * 21_201 < figures[records.TEST_FIVE_STARS] < 0.23 * 21_201
    assert figures == saved


def popularity_by_hand(five_stars_only: bool = True) -> float:
    """The popularity baseline from the raw ratings with pandas, on the tutorial's split."""
    from recbook import data

    import pandas as pd

    ratings = data.load_tfds("ratings", "100k").map(
        lambda x: (x["movie_id"], x["user_rating"])
    )
    shuffled = ratings.shuffle(100_000, seed=42, reshuffle_each_iteration=False)
    rows = pd.DataFrame(
        [(int(m), float(r)) for m, r in shuffled.as_numpy_iterator()],
        columns=["movie", "stars"],
    )
    train, test = rows.iloc[:80_000], rows.iloc[80_000:100_000]
    counts = train["movie"].value_counts().rename("n").reset_index()
    top = counts.sort_values(["n", "movie"], ascending=[False, True])["movie"].iloc[
        :100
    ]
    counted = test["stars"] == 5 if five_stars_only else test["stars"] > 0
    return float(test.loc[counted, "movie"].isin(top).mean())


def retrieval_towers(figures: dict, saved: dict) -> None:
    # Trainable parameters by hand. Embeddings, 32 wide: query 944 users + 2 genders + 10 age
    # bins + 20 crosses + 17 occupations = 993 rows; candidate 1,683 movies + 2,469 title
    # tokens + 21 genres = 4,173 rows. Dense layers on 160 (query) and 96 (candidate) inputs.
    embeddings = (993 + 4_173) * 32
    one = embeddings + (160 * 32 + 32) + (96 * 32 + 32)
    two = embeddings + (160 * 64 + 64) + (96 * 64 + 64) + 2 * (64 * 32 + 32)
    three = (
        embeddings
        + (160 * 128 + 128)
        + (96 * 128 + 128)
        + 2 * (128 * 64 + 64 + 64 * 32 + 32)
    )
    towers = figures[records.TOWERS]
    assert {label: row["params"] for label, row in towers.items()} == {
        "(32,)": one,
        "(64, 32)": two,
        "(128, 64, 32)": three,
    }
    for label, row in towers.items():
        assert row["params"] == saved[records.TOWERS][label]["params"]
    # The popularity baseline does not depend on training: the same as a pandas recount,
    # on 5-star test ratings and on all of them.
    popularity = figures[records.POPULARITY]
    assert popularity["accuracy"] == pytest.approx(popularity_by_hand(), abs=1e-6)
    assert popularity["accuracy_all"] == pytest.approx(
        popularity_by_hand(five_stars_only=False), abs=1e-6
    )
    assert popularity == saved[records.POPULARITY]
    # The classical baselines do not depend on training either: the same settings and
    # figures as the stored run (numpy in closed form). Another BLAS (Colab's numpy)
    # rounds the inverse differently, which may reorder near-ties at rank 100: a few of
    # the 4,365 five-star test ratings, hence 2e-3.
    classical, saved_classical = figures[records.CLASSICAL], saved[records.CLASSICAL]
    assert set(classical) == {"item-item", "EASE"}
    for name, row in classical.items():
        assert row["setting"] == saved_classical[name]["setting"]
        for metric in ("accuracy", "accuracy_all"):
            assert row[metric] == pytest.approx(saved_classical[name][metric], abs=2e-3)
    learned_something(towers)
    # Each depth against the best baseline, the one with the highest 5-star accuracy.
    best = max(
        {"popularity": popularity, **classical}.items(),
        key=lambda item: item[1]["accuracy"],
    )[0]
    versus = figures[records.BASELINES_VERSUS]
    assert len(versus) == len(towers) and {row["against"] for row in versus} == {best}


def learned_something(models: dict) -> None:
    """Five epochs, one seed: accuracies are those of a model that learned something,
    and counting every rating is a different metric from counting 5-star ones."""
    for row in models.values():
        assert 0.02 < row["accuracy"] < 0.7 and 0.02 < row["accuracy_all"] < 0.7
        assert row["accuracy"] != row["accuracy_all"] and row["seeds"] == 1


def softmax_and_tuning(figures: dict, saved: dict) -> None:
    softmax = figures[records.SOFTMAX]
    learned_something(softmax)
    # Each depth with and without log Q, named as the stored run names them.
    assert set(softmax) == set(saved[records.SOFTMAX]) and len(softmax) == 6
    for label, row in softmax.items():
        assert row["params"] == saved[records.SOFTMAX][label]["params"]
    depths = {label.removesuffix(", log Q") for label in softmax}
    assert set(figures[records.TUNED]) == depths  # every depth is tuned
    assert set(figures[records.RANKING]) == {"5-star", "all ratings"}
    assert set(figures[records.GOAL_FIGURES]) == {records.RETRIEVAL_GOAL.record}
    assert figures[records.BEST_MODEL] in figures[records.SOFTMAX_HOLDOUT]
    assert figures[records.JAX_SPEEDUP] > 0
    assert set(figures[records.BACKEND_SECONDS]) == {"jax", "tensorflow"}


DETERMINISTIC = ("popularity", "item-item", "EASE")
"""Chapter 5's classical models whose grids a quick run keeps whole: numpy in closed
form, so their figures do not depend on the training budget."""


def training_towers(figures: dict, saved: dict) -> None:
    for accuracy, versus in (
        (records.TRAINED_ACCURACY, records.TRAINED_VERSUS),
        (records.TEMPORAL_ACCURACY, records.TEMPORAL_VERSUS),
    ):
        rows = {row["model"]: row for row in figures[accuracy]}
        saved_rows = {row["model"]: row for row in saved[accuracy]}
        assert set(rows) == {"towers", *DETERMINISTIC, "iALS"}
        # As in chapter 3's check: another BLAS may reorder near-ties at rank 100.
        for name in DETERMINISTIC:
            for column, value in rows[name].items():
                assert value == pytest.approx(saved_rows[name][column], abs=2e-3), name
        # A model that learned something, scored on both metrics, over every seed.
        for column, value in rows["towers"].items():
            if column not in ("model", "seeds"):
                assert 0.02 < value < 0.95, column

        # Each protocol (and metric) against the best classical model.
        def compared(records_: list) -> set:
            return {
                (row["protocol"], row["metric"], row["classical model"])
                for row in records_
            }

        # Each protocol and metric, against every classical model, the best marked once.
        assert compared(figures[versus]) == compared(saved[versus])
        assert len(figures[versus]) == len(compared(figures[versus]))
        bests = [(r["protocol"], r["metric"]) for r in figures[versus] if r["best"]]
        assert len(bests) == len(set(bests)) == len(compared(figures[versus])) // 4
    # The classical models on the tutorial's protocol are chapter 3's, to the digit:
    # the same split (without the FeatureSpace), the same grids, the same holdout.
    retrieval = stored(records.RETRIEVAL_CHAPTER)  # the baselines are chapter 3's
    tutorial = {row["model"]: row for row in figures[records.TRAINED_ACCURACY]}
    for name, metric in itertools.product(DETERMINISTIC, ("accuracy", "accuracy_all")):
        chapter3 = (
            retrieval[records.POPULARITY]
            if name == "popularity"
            else retrieval[records.CLASSICAL][name]
        )
        assert tutorial[name][f"tutorial, {metric}"] == pytest.approx(
            chapter3[metric], abs=2e-3
        ), (name, metric)
    assert set(figures[records.GOAL_FIGURES]) == {records.TRAINED_TOWERS_GOAL.record}


def memory_efficient_embeddings(figures: dict, saved: dict) -> None:
    # Parameter totals do not depend on the training budget: exact, and as in the stored run.
    reproduction = figures[records.REPRODUCTION]
    assert reproduction[records.BASELINE]["params"] == 623_744
    assert reproduction[records.RECIPE]["params"] == 113_312
    for name, row in reproduction.items():
        assert row["params"] == saved[records.REPRODUCTION][name]["params"]
    # One epoch on 20,000 ratings: errors are finite, between a trained model's and a coin's.
    assert 0.6 < reproduction[records.BASELINE]["mae"] < 1.6
    # Every alpha spends about the recipe's movie budget (the top dimension may grow).
    alphas = figures[records.ALPHAS]
    assert max(row["params"] for row in alphas.values()) <= 113_312
    assert min(row["params"] for row in alphas.values()) > 10_944 + 0.95 * 102_368
    assert set(figures[records.GOAL_FIGURES]) == {
        goal.record for goal in records.EMBEDDING_GOALS
    }
    # The baselines: one parameter for the mean, one bias per user and per movie; the
    # bias model, fitted on the sample, still beats the mean on the test half.
    rating_baselines = figures[records.RATING_BASELINES]
    assert rating_baselines[records.GLOBAL_MEAN]["params"] == 1
    assert rating_baselines[records.BIAS_MODEL]["params"] == 1 + 6_040 + 3_706
    assert (
        rating_baselines[records.BIAS_MODEL]["test_mae"]
        < rating_baselines[records.GLOBAL_MEAN]["test_mae"]
    )


TUNED_PARAMS = {
    "full tables (64)": 64 * (6_040 + 3_706),
    "plain tables, 10x": 6 * (6_040 + 3_706),  # within the budget: 64 // 10
}
"""Chapter 7's parameter totals that do not depend on training: exact."""


def tuned_embeddings(figures: dict, saved: dict) -> None:
    rows = {row["model"]: row for row in figures[records.TUNED_RUNS]}
    saved_rows = {row["model"]: row for row in saved[records.TUNED_RUNS]}
    # The quick run's models are among the stored run's; those whose size does not
    # depend on the ratings' counts (MD's blocks do) are of the same size.
    assert set(rows) <= set(saved_rows) and len(rows) >= 6
    for name, row in rows.items():
        if row["method"] not in ("md", "qr+md"):
            assert row["params"] == saved_rows[name]["params"], name
    for name, params in TUNED_PARAMS.items():
        assert rows[name]["params"] == params, name
    # Each model at 10x is at least about 10x smaller than the full tables.
    assert all(r["compression"] > 9.5 for r in rows.values() if r["ratio"] == 10)
    # The bias model, fitted on the sample, is the stored run's zero within a tenth.
    assert figures[records.TUNED_BIAS_MAE] == pytest.approx(
        saved[records.TUNED_BIAS_MAE], abs=0.1
    )
    # A chosen setting and a comparison with the plain tables for each QR and MD.
    assert {row["model"] for row in figures[records.TUNED_CHOSEN]} == set(rows)
    assert {row["model"] for row in figures[records.TUNED_VERSUS]} == {
        "QR, 10x",
        "MD, 10x",
    }
    assert set(figures[records.GOAL_FIGURES]) == {
        goal.record for goal in records.TUNED_GOALS
    }


def data_parallel_run(figures: dict, devices: int) -> None:
    """What a run of chapter 8 must show on ``devices`` devices (any training budget)."""
    from recbook import published

    tolerance = published.SCALING_TOLERANCE
    assert figures[records.DEVICES] == devices
    # Same weights, same batches: data parallel reproduces the single-device run.
    assert figures[records.DP_LOSS_MAX_ABS_DIFF] <= tolerance["loss"]
    assert figures[records.DP_MAE_ABS_DIFF] <= tolerance["mae"]
    # The same under plain SGD, where summing the devices' gradients instead of averaging
    # them would show: and the planted error (one device at n x the learning rate) does,
    # on more than one device (on one, a sum is the mean: the planted run is the same).
    assert figures[records.SGD_DP_LOSS_MAX_ABS_DIFF] <= tolerance["loss"]
    assert figures[records.SGD_DP_MAE_ABS_DIFF] <= tolerance["mae"]
    planted = figures[records.SGD_SUMMED_LOSS_MAX_ABS_DIFF]
    assert planted > tolerance["loss"] if devices > 1 else planted <= tolerance["loss"]
    # The global mean of MovieLens-1M's training ratings scores about 0.93 stars.
    assert 0.9 < figures[records.SGD_GLOBAL_MEAN_MAE] < 0.96


def model_parallel_run(figures: dict, devices: int) -> None:
    """What a run of chapter 9 must show on ``devices`` devices (any training budget)."""
    from recbook import published

    tolerance = published.SCALING_TOLERANCE
    assert figures[records.DEVICES] == devices
    # Same weights, same batches: model parallel reproduces the single-device run.
    assert figures[records.MP_LOSS_MAX_ABS_DIFF] <= tolerance["loss"]
    assert figures[records.MP_PREDICTION_MAX_ABS_DIFF] <= tolerance["predictions"]
    # Rows split over the devices, MovieLens-1M's 3,706 movies padded to a multiple of them.
    padded_movies = -(-3_706 // devices) * devices
    assert figures[records.SHARD_SHAPES] == {
        "user_emb/embeddings": [-(-6_040 // devices), 64],
        "movie_emb/embeddings": [padded_movies // devices, 64],
    }
    assert figures[records.PER_DEVICE_BYTES_MATCH_PAPER] is True


def communication_run(figures: dict, devices: int) -> None:
    """What a run of chapter 10 must show on ``devices`` devices (any parameters)."""
    assert figures[records.DEVICES] == devices
    # On paper: 10^8 x 64 + 10^7 x 64 float32 values, three times with Adam.
    assert figures[records.PRODUCTION_FULL_WITH_ADAM_BYTES] == 110_000_000 * 64 * 4 * 3
    assert figures[records.PRODUCTION_FULL_WITH_ADAM_TEXT] == "84.5 GB"
    # 84.48 GB: two 80 GB devices (42.24 GB each), one of 141 or 192 GB.
    assert figures[records.DEVICES_TO_HOLD_PRODUCTION] == {
        "80 GB": 2,
        "141 GB": 1,
        "192 GB": 1,
    }
    by_devices = figures[records.COLLECTIVE_BYTES_BY_DEVICES]
    assert by_devices["data parallel, 1"] == by_devices["model parallel, 1"] == 0
    if devices > 1:
        # Data parallel all-reduces both tables' gradients (6,040 + 3,706 rows of 64
        # float32) and two scalars (loss and MAE sums); model parallel the looked-up
        # rows, 128 x 64 float32 per table.
        assert (
            figures[records.DP_COLLECTIVE_BYTES_PER_STEP]
            == (6_040 + 3_706) * 64 * 4 + 2 * 4
        )
        assert figures[records.MP_COLLECTIVE_BYTES_PER_STEP] == 2 * 128 * 64 * 4
    else:
        assert (
            figures[records.DP_COLLECTIVE_BYTES_PER_STEP]
            == figures[records.MP_COLLECTIVE_BYTES_PER_STEP]
            == 0
        )


def same_as_stored(figures: dict, saved: dict, names: tuple[str, ...]) -> None:
    """Facts that do not depend on the training budget are the stored run's."""
    for name in names:
        assert figures[name] == saved[name], name


def data_parallel(figures: dict, saved: dict) -> None:
    data_parallel_run(figures, devices=saved[records.DEVICES])


def model_parallel(figures: dict, saved: dict) -> None:
    model_parallel_run(figures, devices=saved[records.DEVICES])
    same_as_stored(figures, saved, (records.SHARD_SHAPES, records.PER_DEVICE_BYTES))


def communication(figures: dict, saved: dict) -> None:
    communication_run(figures, devices=saved[records.DEVICES])
    same_as_stored(
        figures,
        saved,
        (
            records.PRODUCTION_FULL_WITH_ADAM_BYTES,
            records.PRODUCTION_FULL_PER_DEVICE_BYTES,
            records.ML32M_FULL_WITH_ADAM_BYTES,
            records.DEVICES_TO_HOLD_PRODUCTION,
            records.PRODUCTION_FULL_WITH_ADAM_TEXT,
            records.DP_COLLECTIVE_BYTES_PER_STEP,
            records.MP_COLLECTIVE_BYTES_PER_STEP,
        ),
    )


CHECKS: dict[str, Callable[[dict, dict], None]] = {
    "01_movielens_data": movielens_data,
    "02_featurization": featurization,
    "03_retrieval_towers": retrieval_towers,
    "04_softmax_and_tuning": softmax_and_tuning,
    "05_training_towers": training_towers,
    "06_memory_efficient_embeddings": memory_efficient_embeddings,
    "07_tuned_embeddings": tuned_embeddings,
    "08_data_parallel": data_parallel,
    "09_model_parallel": model_parallel,
    "10_memory_and_communication": communication,
}
"""The checks of each chapter's quick run, by chapter stem (the results page has none)."""
