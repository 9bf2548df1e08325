"""recbook_tools.results_page: verdicts against tolerances and goals, run times from notebook
metadata, and the page's formatted figures, table and overview figure."""

from __future__ import annotations

import json
import math
import re

from recbook import evidence, published, records
from recbook_tools import notebook_records, results_page

import pandas as pd
import pytest


@pytest.mark.parametrize(
    "ours, options, verdict, side",
    [
        (0.3204, {"reproduction": (0.0027, 3, (0.3216, 0.3100))}, "within", ""),
        (
            0.2800,
            {"reproduction": (0.0027, 3, (0.3216, 0.3100))},
            "outside",
            "ours lower",
        ),
        (
            0.3500,
            {"reproduction": (0.0027, 3, (0.3216, 0.3100))},
            "outside",
            "ours higher",
        ),
        (0.0100, {"goal": records.RETRIEVAL_GOAL}, "met", ""),
        (-0.020, {"goal": records.RETRIEVAL_GOAL}, "not met", ""),
        (0.4000, {"goal": records.EMBEDDING_GOALS[0]}, "not met", ""),
        (0.6000, {"goal": records.EMBEDDING_GOALS[1]}, "met", ""),
        (0.2314, {"reference": 0.27}, "context", ""),
    ],
)
def test_verdicts(ours, options, verdict, side):
    if "reproduction" in options:
        std, seeds, runs = options.pop("reproduction")
        options["reproduction"] = evidence.reproduction(ours, std, seeds, runs)
    row = results_page.comparison("chapter", "experiment", ours, **options)
    assert row["verdict"] == verdict and row["side"] == side
    if "reproduction" in options:
        assert row["difference"] == pytest.approx(ours - 0.3216)
        assert row["published"] == 0.3216
        # 2 sqrt((0.0116 / sqrt 2)^2 + 0.0027^2 / 3) = 0.01670
        assert row["tolerance"] == pytest.approx(0.01670, abs=1e-5)
    if "goal" in options:
        assert row["published"] == options["goal"].limit and row["difference"] is None


def test_the_difference_is_ours_minus_the_published_figure():
    # By hand: ours 0.30, published 0.25: +0.05, and ours is the higher one.
    context = results_page.comparison("c", "e", 0.30, reference=0.25)
    assert context["difference"] == pytest.approx(+0.05)
    assert context["published"] == 0.25 and context["verdict"] == "context"
    runs = (0.25, 0.2502)  # a tolerance of 2 sqrt(0.0002^2 / 2 + 0.001^2 / 3) = 0.0013
    judged = results_page.comparison(
        "c", "e", 0.30, 0.001, reproduction=evidence.reproduction(0.30, 0.001, 3, runs)
    )
    assert judged["difference"] == pytest.approx(+0.05)
    assert judged["verdict"] == "outside" and judged["side"] == "ours higher"
    lower = results_page.comparison(
        "c", "e", 0.20, 0.001, reproduction=evidence.reproduction(0.20, 0.001, 3, runs)
    )
    assert lower["difference"] == pytest.approx(-0.05) and lower["side"] == "ours lower"
    shown = results_page.compact_table(
        pd.DataFrame([context, judged, lower], columns=results_page.COLUMNS)
    )
    assert shown["difference"].tolist() == ["", "+0.0500", "+0.0500", "-0.0500"]


@pytest.mark.parametrize(
    "ours, options, error, match",
    [
        (math.nan, {}, ValueError, "ours for 'e' must be a finite number; got nan"),
        (math.inf, {}, ValueError, "ours for 'e' must be a finite number; got inf"),
        (None, {}, TypeError, "ours for 'e' must be a finite number; got None"),
        (
            math.nan,
            {"record": "towers['(32,)']['accuracy']"},
            ValueError,
            re.escape("ours for 'e' (record towers['(32,)']['accuracy']) must be"),
        ),
        (
            math.nan,
            {"goal": records.RETRIEVAL_GOAL},
            ValueError,
            re.escape(f"(record {records.LOG_Q_MARGIN}) must be a finite number"),
        ),
        (
            0.3,
            {"std": math.nan},
            ValueError,
            "the standard deviation of ours for 'e' must be a finite number at least 0",
        ),
        (0.3, {"std": -0.01}, ValueError, "standard deviation of ours for 'e'"),
        (
            0.3,
            {"reference": math.nan},
            ValueError,
            "the published figure for 'e' must be a finite number; got nan",
        ),
    ],
)
def test_a_comparison_refuses_figures_without_a_verdict(ours, options, error, match):
    with pytest.raises(error, match=match):
        results_page.comparison(records.RETRIEVAL_CHAPTER, "e", ours, **options)


def test_a_refused_recorded_figure_says_which_chapter_to_re_run():
    with pytest.raises(ValueError, match=r"Re-run chapter 03 \(recbook-run 03\)"):
        results_page.comparison(records.RETRIEVAL_CHAPTER, "e", math.nan)


def nested(figures, path, value):
    """``figures`` with the entry at ``path`` (keys, outermost first) set to ``value``."""
    *keys, last = path
    inner = figures
    for key in keys:
        inner = inner[key]
    inner[last] = value
    return figures


@pytest.mark.parametrize(
    "path, value, error",
    [
        ((records.TOWERS, "(32,)", "accuracy"), math.nan, ValueError),
        ((records.TOWERS, "(32,)", "accuracy_std"), math.inf, ValueError),
        ((records.TOWERS, "(64, 32)", "seeds"), 0, ValueError),
        ((records.TOWERS, "(64, 32)", "seeds"), 3.0, TypeError),
        ((records.POPULARITY, "accuracy"), math.nan, ValueError),
        ((records.CLASSICAL, "EASE", "accuracy_all"), None, TypeError),
        ((records.SOFTMAX, "(32,)", "accuracy_all"), math.nan, ValueError),
        ((records.SOFTMAX, "(32,)", "accuracy_all_std"), -1.0, ValueError),
        ((records.TUNED, "(32,)", "accuracy"), math.nan, ValueError),
        ((records.SOFTMAX, "(64, 32), log Q", "accuracy"), math.inf, ValueError),
        ((records.GOAL_FIGURES, records.LOG_Q_MARGIN), math.nan, ValueError),
    ],
)
def test_retrieval_rows_name_the_record_of_a_bad_figure(path, value, error):
    figures = nested(retrieval_figures(), path, value)
    name = path[0] + "".join(f"[{key!r}]" for key in path[1:])
    tutorial = {records.TOWERS, records.POPULARITY, records.CLASSICAL}
    chapter = "03" if path[0] in tutorial else "04"
    with pytest.raises(
        error, match=re.escape(name) + f".* must be .*Re-run chapter {chapter}"
    ):
        results_page.retrieval_rows(figures, figures)


@pytest.mark.parametrize(
    "path, value, error",
    [
        ((records.RATING_BASELINES, records.BIAS_MODEL, "mae"), math.nan, ValueError),
        ((records.REPRODUCTION, records.RECIPE, "mae"), math.inf, ValueError),
        ((records.REPRODUCTION, records.BASELINE, "mae_std"), math.nan, ValueError),
        ((records.REPRODUCTION, records.BASELINE, "seeds"), None, TypeError),
        ((records.GOAL_FIGURES, "qr_md_5x_share"), math.nan, ValueError),
    ],
)
def test_embeddings_rows_name_the_record_of_a_bad_figure(path, value, error):
    figures = nested(embeddings_figures(), path, value)
    name = path[0] + "".join(f"[{key!r}]" for key in path[1:])
    with pytest.raises(error, match=re.escape(name) + ".* must be .*Re-run chapter 06"):
        results_page.embeddings_rows(figures)


def retrieval_model(accuracy, std, accuracy_all=0.2, all_std=0.01, seeds=3):
    return {
        "accuracy": accuracy,
        "accuracy_std": std,
        "accuracy_all": accuracy_all,
        "accuracy_all_std": all_std,
        "params": 1,
        "seeds": seeds,
        "seconds": 1.0,
    }


def retrieval_figures():
    """Chapters 3 and 4's records as the results page reads them (one dict holds both)."""
    towers = {
        "(32,)": retrieval_model(0.3204, 0.0027),
        "(64, 32)": retrieval_model(0.2600, 0.001),
        "(128, 64, 32)": retrieval_model(0.3136, 0.0011),
    }
    softmax = {
        "(32,)": retrieval_model(0.23, 0.01, 0.21, 0.005),
        "(64, 32)": retrieval_model(0.23, 0.01, 0.22, 0.005),
        "(64, 32), log Q": retrieval_model(0.51, 0.003, 0.39, 0.002),
    }
    return {
        records.TOWERS: towers,
        records.SOFTMAX: softmax,
        records.POPULARITY: {"accuracy": 0.4231, "accuracy_all": 0.3027},
        records.CLASSICAL: {
            "item-item": {"accuracy": 0.515, "accuracy_all": 0.389, "setting": 200},
            "EASE": {"accuracy": 0.521, "accuracy_all": 0.385, "setting": 3200},
        },
        records.TUNED: {"(32,)": retrieval_model(0.33, 0.004, seeds=5)},
        records.BEST_MODEL: "(64, 32), log Q",
        records.GOAL_FIGURES: {records.LOG_Q_MARGIN: -0.02},
    }


def test_retrieval_rows_use_the_tolerance_rule_and_each_published_metric():
    rows = results_page.retrieval_rows(retrieval_figures(), retrieval_figures())
    by_name = {row["experiment"]: row for row in rows}
    one = by_name["MSE towers 1-layer (32), top-100 (5-star)"]
    assert one["tolerance"] == pytest.approx(0.01670, abs=1e-5)
    assert one["verdict"] == "within"
    # Published 0.2964 and 0.3093: 2 sqrt(0.00912^2 + 0.001^2 / 3) = 0.0183 < 0.0364.
    deep = by_name["MSE towers 2-layer (64→32), top-100 (5-star)"]
    assert deep["verdict"] == "outside" and deep["side"] == "ours lower"
    tfrs = by_name["softmax 1-layer (32) vs TFRS, top-100 (all)"]
    # TFRS counts all ratings: compared with accuracy_all, other protocol, context.
    assert tfrs["ours"] == 0.21 and tfrs["published"] == published.TFRS_TOP100[(32,)]
    assert tfrs["verdict"] == "context"
    assert by_name["baseline: EASE, top-100 (5-star)"]["ours"] == 0.521
    assert by_name["baseline: item-item, top-100 (all)"]["verdict"] == "context"
    goal = rows[-1]
    assert goal["ours"] == -0.02 and goal["verdict"] == "not met"
    assert goal["experiment"] == f"goal: {records.RETRIEVAL_GOAL.text}"
    assert (
        goal["chapter"] == records.SOFTMAX_CHAPTER
        and one["chapter"] == records.RETRIEVAL_CHAPTER
    )


def training_figures(margin: float = 0.004):
    """Chapter 5's records as the results page reads them."""

    def versus(protocol, metric, towers, classical, best=True):
        return {"protocol": protocol, "metric": metric, "towers": towers} | {
            "classical model": "EASE" if best else "iALS",
            "best": best,
            "classical": classical,
        }

    return {
        records.TRAINED_VERSUS: [
            versus("tutorial", "accuracy", 0.55, 0.52),
            versus("tutorial", "accuracy", 0.55, 0.50, best=False),
            versus("filtered", "accuracy_all", 0.62, 0.60),
        ],
        records.TEMPORAL_VERSUS: [versus("filtered", "accuracy", 0.50, 0.56)],
        records.GOAL_FIGURES: {records.TRAINED_MARGIN: margin},
    }


def test_training_rows_put_the_towers_beside_the_best_classical_model():
    rows = results_page.training_rows(training_figures())
    by_name = {row["experiment"]: row for row in rows}
    tutorial = by_name[
        "trained towers vs EASE, top-100 (5-star), random split, tutorial"
    ]
    assert tutorial["ours"] == 0.55 and tutorial["published"] == 0.52
    assert tutorial["difference"] == pytest.approx(0.03)  # ours minus the classical
    assert tutorial["verdict"] == "context"
    in_time = by_name[
        "trained towers vs EASE, top-100 (5-star), split in time, filtered"
    ]
    assert in_time["difference"] == pytest.approx(-0.06)
    assert len(rows) == 4  # the best classical model's rows, and the goal
    assert rows[-1]["verdict"] == "met"
    assert (
        results_page.training_rows(training_figures(-0.01))[-1]["verdict"] == "not met"
    )
    broken = training_figures()
    broken[records.TRAINED_VERSUS][2]["classical"] = math.nan
    with pytest.raises(ValueError, match=r"trained_versus\['2'\]\['classical'\]"):
        results_page.training_rows(broken)


def tuned_figures(share_5x: float = 0.95):
    """Chapter 7's records as the results page reads them."""

    def run(model, ratio, mae, std):
        return {
            "model": model,
            "ratio": ratio,
            "test_mae": mae,
            "test_mae_std": std,
            "seeds": 3,
        }

    return {
        records.TUNED_RUNS: [
            run("full tables (64)", 1, 0.670, 0.001),
            run("plain tables, 5x", 5, 0.672, 0.001),
            run("QR, 5x", 5, 0.711, 0.002),
            run("MD, 5x", 5, 0.690, 0.003),
            run("plain tables, 10x", 10, 0.75, 0.001),  # another size: never paired
        ],
        records.TUNED_VERSUS: [
            {"model": "QR, 5x", "difference": 0.039, "verdict": "plain tables better"},
            {"model": "MD, 5x", "difference": 0.018, "verdict": "plain tables better"},
        ],
        records.GOAL_FIGURES: {"best_5x_share": share_5x, "best_10x_share": 0.5},
    }


def test_tuned_rows_put_qr_and_md_beside_plain_tables_of_their_size():
    rows = results_page.tuned_rows(tuned_figures())
    by_name = {row["experiment"]: row for row in rows}
    qr = by_name["QR, 5x vs plain tables, 5x, trained for their size, test-half MAE"]
    assert qr["ours"] == 0.711 and qr["ours_std"] == 0.002
    assert qr["published"] == 0.672 and qr["verdict"] == "context"
    assert qr["difference"] == pytest.approx(0.039)  # ours minus the plain tables'
    assert len(rows) == 4  # QR, MD and the two goals
    assert [row["verdict"] for row in rows[-2:]] == ["met", "not met"]
    assert results_page.tuned_rows(tuned_figures(0.85))[-2]["verdict"] == "not met"
    broken = tuned_figures()
    broken[records.TUNED_RUNS][1]["test_mae"] = math.inf
    with pytest.raises(ValueError, match=r"tuned_runs\['plain tables, 5x'\]"):
        results_page.tuned_rows(broken)


def embeddings_figures():
    """Chapter 6's records as the results page reads them."""
    model = {"mae": 0.7356, "mae_std": 0.0005, "params": 1, "seeds": 3}
    reproduction = {
        records.BASELINE: {**model, "mae": 0.6748},
        records.RECIPE: {**model, "mae": 0.7235},
        records.RECIPE + records.PIPELINE: model,
    }
    return {
        records.RATING_BASELINES: {
            records.GLOBAL_MEAN: {"mae": 0.93, "params": 1},
            records.BIAS_MODEL: {"mae": 0.716, "params": 9_747},
        },
        records.REPRODUCTION: reproduction,
        records.GOAL_FIGURES: {g.record: 0.6 for g in records.EMBEDDING_GOALS},
    }


def test_embeddings_rows_compare_both_pipelines_with_the_recipe():
    figures = embeddings_figures()
    rows = {row["experiment"]: row for row in results_page.embeddings_rows(figures)}
    # Recipe runs 0.7419 and 0.7357: 2 sqrt((0.0062 / sqrt 2)^2 + 0.0005^2 / 3) = 0.00879.
    piped = rows[f"{records.RECIPE}, recipe's pipeline, validation MAE"]
    assert piped["tolerance"] == pytest.approx(0.00879, abs=1e-5)
    assert piped["verdict"] == "within"  # 0.0063 from 0.7419
    iid = rows[f"{records.RECIPE}, i.i.d., validation MAE"]
    assert iid["verdict"] == "outside" and iid["side"] == "ours lower"
    assert rows[f"{records.BASELINE}, i.i.d., validation MAE"]["verdict"] == "within"
    bias = rows[f"baseline: {records.BIAS_MODEL}, validation MAE"]
    assert bias["verdict"] == "context" and bias["ours"] == 0.716
    goals = [row for name, row in rows.items() if name.startswith("goal: ")]
    assert [row["verdict"] for row in goals] == ["met"] * 3


def notebook(path, details):
    metadata = {notebook_records.RUN_METADATA: details} if details else {}
    path.write_text(
        json.dumps(
            {"cells": [], "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
        )
    )


def test_run_times_add_up_and_leave_out_the_results_page(tmp_path):
    notebook(tmp_path / "01_a.ipynb", {"seconds": 10.5, "quick": False, "cpus": 2})
    notebook(tmp_path / "02_b.ipynb", {"seconds": 20.0, "quick": False, "cpus": 2})
    notebook(
        tmp_path / f"{results_page.RESULTS}.ipynb",
        {"seconds": 1.0, "quick": False, "cpus": 2},
    )
    table = results_page.run_times(tmp_path)
    assert table["chapter"].tolist() == ["01_a", "02_b", "the whole book"]
    assert table["seconds"].tolist() == [10.5, 20.0, 30.5]


def test_a_chapter_without_a_recorded_time_leaves_the_total_unknown(tmp_path):
    notebook(tmp_path / "01_a.ipynb", {"seconds": 10.5, "quick": False, "cpus": 2})
    notebook(tmp_path / "02_b.ipynb", None)
    assert math.isnan(results_page.run_times(tmp_path)["seconds"].iloc[-1])


SCALING_FIGURES = {
    "devices": 4,
    "sgd_dp_loss_max_abs_diff": 4.8e-7,
    "sgd_dp_mae_abs_diff": 0.0,
    "sgd_single_mae": 0.733,
    "sgd_global_mean_mae": 0.933,
    "dp_loss_max_abs_diff": 2.4e-7,
    "dp_mae_abs_diff": 0.0,
    "mp_prediction_max_abs_diff": 0.0,
    "mp_loss_max_abs_diff": 3e-4,
    "per_device_bytes": {
        "full tables, one device": 7_484_928,
        "full tables, 4 shards": 1_871_616,
    },
    "dp_collective_bytes_per_step": 2_494_984,
    "mp_collective_bytes_per_step": 65_536,
    "production_full_with_adam_bytes": 84_480_000_000,
}


def scaling_rows(figures: dict) -> list[dict]:
    """The rows of chapters 8 to 10, each chapter's records taken from ``figures``."""
    return results_page.scaling_rows(figures, figures, figures)


def test_scaling_rows_are_goals_and_context():
    rows = scaling_rows(SCALING_FIGURES)
    verdicts = [row["verdict"] for row in rows]
    # Six equality checks against SCALING_TOLERANCE (SGD first); the model-parallel
    # loss gap above 1e-4 is not met. Then the SGD run against the global mean.
    assert verdicts[:6] == ["met", "met", "met", "met", "met", "not met"]
    assert "SGD" in rows[0]["experiment"] and "Adam" in rows[2]["experiment"]
    assert rows[0]["published"] == 1e-4 and rows[0]["difference"] is None
    assert verdicts[6] == "met" and rows[6]["published"] == 0.933
    assert "0.933" in rows[6]["experiment"]
    assert set(verdicts[7:]) == {"context"} and len(rows) == 6 + 1 + 2 + 3
    assert rows[7]["ours"] == pytest.approx(7.484928) and rows[-1][
        "ours"
    ] == pytest.approx(84.48)
    assert all("4" in row["experiment"] for row in rows[:6])
    chapters = [row["chapter"] for row in rows]
    assert chapters[:4] == [records.DATA_PARALLEL_CHAPTER] * 4
    assert chapters[4:6] == [records.MODEL_PARALLEL_CHAPTER] * 2
    assert chapters[6] == records.DATA_PARALLEL_CHAPTER
    assert chapters[7:9] == [records.MODEL_PARALLEL_CHAPTER] * 2
    assert chapters[9:] == [records.COMMUNICATION_CHAPTER] * 3
    worse = scaling_rows({**SCALING_FIGURES, "sgd_single_mae": 0.95})
    assert worse[6]["verdict"] == "not met"


@pytest.mark.parametrize(
    "record, value, error, name, chapter",
    [
        (records.DP_LOSS_MAX_ABS_DIFF, math.nan, ValueError, None, "08"),
        (records.MP_LOSS_MAX_ABS_DIFF, None, TypeError, None, "09"),
        (records.SGD_SINGLE_MAE, math.inf, ValueError, None, "08"),
        (records.SGD_GLOBAL_MEAN_MAE, math.nan, ValueError, None, "08"),
        (records.DP_COLLECTIVE_BYTES_PER_STEP, math.nan, ValueError, None, "10"),
        (records.PRODUCTION_FULL_WITH_ADAM_BYTES, None, TypeError, None, "10"),
        (
            records.PER_DEVICE_BYTES,
            {"full tables, 4 shards": math.nan},
            ValueError,
            "per_device_bytes['full tables, 4 shards']",
            "09",
        ),
    ],
)
def test_scaling_rows_name_the_record_of_a_bad_figure(
    record, value, error, name, chapter
):
    figures = {**SCALING_FIGURES, record: value}
    with pytest.raises(
        error,
        match=re.escape(name or record) + f".* must be .*Re-run chapter {chapter}",
    ):
        scaling_rows(figures)


def test_scaling_goals_state_their_limit_and_keep_their_row_names():
    rows = scaling_rows(SCALING_FIGURES)
    assert rows[0]["experiment"] == (
        "data parallel, SGD, 4 devices: training loss, largest difference"
    )
    assert rows[6]["experiment"] == (
        "SGD run of the data-parallel check: validation MAE below 0.933"
    )


@pytest.mark.parametrize(
    "value, shown",
    [
        (0.3216, "0.3216"),
        (2.384e-7, "2.4e-07"),
        (0.0, "0.0000"),
        (-0.0062, "-0.0062"),
        (84.48, "84.4800"),
        (1e-5, "1.0e-05"),
    ],
)
def test_figures_are_shown_with_their_small_values_readable(value, shown):
    assert results_page.figure(value) == shown


# The page as a reader sees it: formatted figures, the compact table, the overview figure.


@pytest.mark.parametrize(
    "value, options, shown",
    [
        (0.32035, {}, "0.3204"),
        (0.0027, {}, "0.0027"),
        (7.484928, {}, "7.485"),
        (84.48, {}, "84.48"),
        (623_744.0, {}, "623,744"),
        (113_312, {}, "113,312"),
        (2.384e-7, {}, "2.4e-7"),
        (0.0, {}, "0"),
        (-0.001249, {"sign": True}, "-0.0012"),
        (0.007075, {"sign": True}, "+0.0071"),
        (0.35, {"trim": True}, "0.35"),
        (0.03, {"trim": True}, "0.03"),
        (1e-4, {"trim": True}, "1e-4"),
        (0.000471, {"decimals": 4}, "0.0005"),
        (None, {}, ""),
        (math.nan, {}, ""),
    ],
)
def test_numbers_are_written_for_their_kind(value, options, shown):
    assert results_page.number(value, **options) == shown


def test_no_number_is_written_with_six_zero_decimals():
    for value in (623_744.0, 117_968.0, 1e6, 0.5, 12.0, 3.0e-9):
        assert not re.search(r"\d+\.0{6}", results_page.number(value))


def row(chapter, experiment, verdict, ours=None, std=None, published=None, **more):
    """A comparison row as :func:`recbook_tools.results_page.comparisons` gives it (its columns
    are the contract; how the rows are built is the chapters' business)."""
    return {
        "chapter": chapter,
        "experiment": experiment,
        "published": published,
        "ours": ours,
        "ours_std": std,
        "difference": more.get("difference"),
        "tolerance": more.get("tolerance"),
        "verdict": verdict,
        "side": more.get("side", ""),
    }


ROWS = [
    row(
        "03_a",
        "accuracy, shallow",
        "within",
        0.32035,
        0.0027,
        0.3216,
        difference=0.32035 - 0.3216,
        tolerance=0.03,
    ),
    row(
        "03_a",
        "accuracy, deep",
        "outside",
        0.2,
        0.01,
        0.3,
        difference=0.2 - 0.3,
        tolerance=0.03,
        side="ours lower",
    ),
    row("03_a", "popularity", "context", 0.4231),
    row("03_a", "best", "met", 0.5084, 0.0026, 0.35),
    row("06_b", "loss gap", "met", 2.384e-7, None, 1e-4),
    row("06_b", "gap", "not met", 0.0303, None, 0.03),
    row("06_b", "a yes-or-no check", "met"),
]


def table():
    return pd.DataFrame(ROWS, columns=results_page.COLUMNS)


def test_goal_relation_is_read_from_the_verdict():
    relations = [results_page.goal_relation(row) for row in ROWS]
    assert relations == ["", "", "", ">=", "<=", "<=", ""]


def test_compact_table_groups_by_chapter_and_writes_every_verdict():
    shown = results_page.compact_table(
        table(), {"03_a": "Retrieval", "06_b": "Scaling"}
    )
    assert shown.columns.tolist() == [
        "figure",
        "ours",
        "published / goal",
        "difference",
        "verdict",
    ]
    assert shown["figure"].tolist() == [
        "Retrieval",
        "accuracy, shallow",
        "accuracy, deep",
        "popularity",
        "best",
        "Scaling",
        "loss gap",
        "gap",
        "a yes-or-no check",
    ]
    rows = shown.set_index("figure")
    assert rows.loc["accuracy, shallow"].tolist() == [
        "0.3204 ± 0.0027",
        "0.3216",
        "-0.0012",
        "within ±0.03",
    ]
    assert rows.loc["accuracy, deep", "verdict"] == "outside ±0.03 (ours lower)"
    assert rows.loc["popularity"].tolist() == ["0.4231", "", "", "context"]
    assert rows.loc["best", "published / goal"] == "goal ≥ 0.35"
    assert rows.loc["loss gap"].tolist() == ["2.4e-7", "goal ≤ 1e-4", "", "met"]
    assert rows.loc["gap", "verdict"] == "not met"
    assert rows.loc["a yes-or-no check"].tolist() == ["", "", "", "met"]
    assert rows.loc["Retrieval"].tolist() == ["", "", "", ""], "a heading row"


def test_styled_table_has_no_index_and_bold_chapter_headings():
    page = results_page.styled(
        results_page.compact_table(table()), caption="7 rows"
    ).to_html()
    assert "<caption>7 rows</caption>" in page
    assert "row_heading" not in page and "blank level0" not in page, "no index"
    bold = {
        int(cell)
        for selectors, props in re.findall(r"([^{}]+)\{([^}]*)\}", page)
        if "font-weight: bold" in props
        for cell in re.findall(r"_row(\d+)_col\d+", selectors)
    }
    assert bold == {0, 5}, "the two chapter headings, and nothing else, in bold"
    assert "white-space: nowrap" in page
    assert results_page.VERDICT_COLOURS["not met"] in page


def test_sizes_are_whole_numbers_with_thousands_separators():
    sizes = pd.DataFrame(
        {
            "chapter": ["04_x", "04_x"],
            "model": ["full", "qr"],
            "ours": [623_744, 113_312],
            "published": [623_744.0, math.nan],
        }
    )
    shown = results_page.sizes_table(sizes, {"04_x": "Embeddings"})
    assert shown.to_dict("list") == {
        "chapter": ["Embeddings", "Embeddings"],
        "model": ["full", "qr"],
        "ours": ["623,744", "113,312"],
        "published": ["623,744", ""],
    }


def test_run_times_are_written_in_seconds_and_minutes(tmp_path):
    notebook(tmp_path / "01_a.ipynb", {"seconds": 636.4, "quick": False, "cpus": 2})
    notebook(tmp_path / "02_b.ipynb", None)
    shown = results_page.run_times_table(results_page.run_times(tmp_path))
    assert shown.to_dict("list") == {
        "chapter": ["01_a", "02_b", "the whole book"],
        "wall time": ["636 s (10.6 min)", "not recorded", "not recorded"],
        "CPU cores": ["2", "", ""],
    }


def test_verdict_counts_in_words():
    assert (
        results_page.verdict_counts(table())
        == "1 within, 1 outside, 3 met, 1 not met, 1 context"
    )


def test_chapter_titles_are_the_notebooks_first_headings(tmp_path):
    for stem, source in (
        ("01_a", "# The data\n\ntext"),
        ("06_b", "Intro\n\n# Scaling out: tables on many devices\n## More"),
    ):
        (tmp_path / f"{stem}.ipynb").write_text(
            json.dumps({"cells": [{"cell_type": "markdown", "source": source}]})
        )
    assert results_page.chapter_titles(tmp_path) == {
        "01_a": "The data",
        "06_b": "Scaling out",
    }


def test_overview_has_one_marker_per_figure_and_one_verdict_per_row():
    import matplotlib

    matplotlib.use("agg")
    from recbook_tools import results_figure

    figure = results_figure.comparison_overview(table(), {"03_a": "Retrieval"})
    artists = [a for ax in figure.axes for a in ax.get_children()]

    def gid(name):
        return [a for a in artists if a.get_gid() == name]

    ours = gid("ours")
    assert len(ours) == 6, "one dot per row with a figure (not the yes-or-no row)"
    assert [float(line.get_xdata()[0]) for line in ours] == pytest.approx(
        [0.32035, 0.2, 0.4231, 0.5084, 2.384e-7, 0.0303]
    )
    verdicts = [text.get_text() for text in gid("verdict")]
    assert verdicts == [
        "✓ within",
        "✗ outside",
        "○ context",
        "✓ met",
        "✓ met",
        "✗ not met",
        "✓ met",
    ]
    assert len(gid("published")) == 2 and len(gid("tolerance")) == 2
    assert len(gid("goal")) == 3
    texts = [t.get_text() for ax in figure.axes for t in ax.texts]
    assert "Retrieval" in texts and "06_b" in texts, "a title per chapter"
    band = gid("tolerance")[0].get_x(), gid("tolerance")[0].get_width()
    assert band == pytest.approx((0.3216 - 0.03, 0.06))
    matplotlib.pyplot.close(figure)
