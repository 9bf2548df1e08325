"""Every chapter's headline figures beside the published ones, read from the stored chapters.

The results page builds its tables with :func:`comparisons`, :func:`sizes` and
:func:`run_times`; nothing in them is typed by hand: ours come from the
figures each executed chapter recorded (:mod:`recbook.glue`), the
published ones and tolerances from :mod:`recbook.published`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import evidence, glue, published, records, runner

RETRIEVAL = records.RETRIEVAL_CHAPTER
EMBEDDINGS = records.EMBEDDINGS_CHAPTER
RESULTS = records.RESULTS_CHAPTER
SCALING = records.SCALING_CHAPTER
COLUMNS = [
    "chapter",
    "experiment",
    "published",
    "ours",
    "ours_std",
    "difference",
    "tolerance",
    "verdict",
]


def figure(value: float) -> str:
    """A figure as the results page shows it: 4 decimals, or 2 significant digits below 0.001."""
    return f"{value:.1e}" if 0 < abs(value) < 1e-3 else f"{value:.4f}"


def comparison(
    chapter: str,
    experiment: str,
    ours: float,
    std: float | None = None,
    reference: float | None = None,
    tolerance: float | None = None,
    goal: records.Goal | None = None,
) -> dict:
    """One comparison. With a tolerance: within it or not; with a goal: met or not.

    Without either the row is context only. The goal's verdict is
    :meth:`recbook.records.Goal.verdict`, as in the chapters.
    """
    difference = None if reference is None else ours - reference
    if tolerance is not None:
        verdict = "within" if abs(difference) <= tolerance else "outside"
    elif goal is not None:
        verdict = goal.verdict(ours)
    else:
        verdict = "context"
    return {
        "chapter": chapter,
        "experiment": experiment,
        "published": reference if goal is None else goal.limit,
        "ours": ours,
        "ours_std": std,
        "difference": difference,
        "tolerance": tolerance,
        "verdict": verdict,
    }


def retrieval_rows(figures: dict) -> list[dict]:
    """Chapter 3: the tutorial's towers, the baselines and objectives beyond it, the goal.

    Each published figure is compared on its own metric: the keras.io tutorial's
    on 5-star test ratings, TensorFlow Recommenders' on all test ratings.
    """
    towers, softmax = figures[records.TOWERS], figures[records.SOFTMAX]
    rows = []
    for widths, curve in published.RETRIEVAL_TOP100.items():
        ours = towers[str(widths)]
        runs = (curve[-1], published.RETRIEVAL_TOP100_LATER_RUN[widths][-1])
        rows.append(
            comparison(
                RETRIEVAL,
                f"MSE towers {widths}, top-100 (5-star)",
                ours["accuracy"],
                ours["accuracy_std"],
                curve[-1],
                tolerance=evidence.tolerance(runs, ours["accuracy_std"]),
            )
        )
    for metric, counted in (("accuracy", "5-star"), ("accuracy_all", "all")):
        rows.append(
            comparison(
                RETRIEVAL,
                f"popularity, top-100 ({counted})",
                figures[records.POPULARITY][metric],
            )
        )
    for widths, value in published.TFRS_TOP100.items():
        ours = softmax[str(widths)]  # TFRS: one run, other features, 300 epochs
        rows.append(
            comparison(
                RETRIEVAL,
                f"softmax {widths} vs TFRS, top-100 (all)",
                ours["accuracy_all"],
                ours["accuracy_all_std"],
                value,
            )
        )
    for label, ours in figures[records.TUNED].items():
        rows.append(
            comparison(
                RETRIEVAL,
                f"tuned MSE towers {label}, top-100 (5-star)",
                ours["accuracy"],
                ours["accuracy_std"],
            )
        )
    best = softmax[figures[records.BEST_MODEL]]
    rows.append(
        comparison(
            RETRIEVAL,
            f"goal: best, softmax {figures[records.BEST_MODEL]}, top-100 (5-star)",
            best["accuracy"],
            best["accuracy_std"],
            goal=records.RETRIEVAL_GOAL,
        )
    )
    return rows


def embeddings_rows(figures: dict) -> list[dict]:
    """Chapter 4: the recipe's two models on its protocol, and the chapter's goals."""
    reproduction = figures[records.REPRODUCTION]
    published_runs = {
        records.BASELINE: (
            published.EMBEDDINGS_BASELINE["mae"],
            published.EMBEDDINGS_EARLIER_RUN_MAE["baseline"],
        ),
        records.RECIPE: (
            published.EMBEDDINGS_RECIPE["mae"],
            published.EMBEDDINGS_EARLIER_RUN_MAE["recipe"],
        ),
    }
    rows = []
    for name, ours in reproduction.items():
        runs = published_runs[name.removesuffix(records.PIPELINE)]
        batches = "recipe's pipeline" if name.endswith(records.PIPELINE) else "i.i.d."
        rows.append(
            comparison(
                EMBEDDINGS,
                f"{name.removesuffix(records.PIPELINE)}, {batches}, validation MAE",
                ours["mae"],
                ours["mae_std"],
                runs[0],
                tolerance=evidence.tolerance(runs, ours["mae_std"]),
            )
        )
    for goal in records.EMBEDDING_GOALS:
        rows.append(
            comparison(
                EMBEDDINGS,
                f"goal: {goal.question}",
                figures[records.GOAL_FIGURES][goal.record],
                goal=goal,
            )
        )
    return rows


def scaling_rows(figures: dict) -> list[dict]:
    """Chapter 6: measured facts, no published figures.

    The equality checks are goals (the largest difference from the single-device
    run within :data:`recbook.published.SCALING_TOLERANCE`); memory and
    communication are context.
    """
    devices, tolerance = figures["devices"], published.SCALING_TOLERANCE
    checks = (
        ("data parallel", "training loss", "dp_loss_max_abs_diff", "loss"),
        ("data parallel", "validation MAE", "dp_mae_abs_diff", "mae"),
        ("model parallel", "predictions", "mp_prediction_max_abs_diff", "predictions"),
        ("model parallel", "training loss", "mp_loss_max_abs_diff", "loss"),
    )
    rows = []
    for layout, quantity, name, kind in checks:
        question = f"{layout}, {devices} devices: {quantity}, largest difference"
        goal = records.Goal(question, name, tolerance[kind], lower_is_better=True)
        rows.append(comparison(SCALING, question, figures[name], goal=goal))
    for model, held in figures["per_device_bytes"].items():
        rows.append(
            comparison(
                SCALING,
                f"MB per device with Adam's slots, measured: {model}",
                held / 1e6,
            )
        )
    rows.append(
        comparison(
            SCALING,
            "MB moved per training step (all-reduce), data parallel",
            figures["dp_collective_bytes_per_step"] / 1e6,
        )
    )
    rows.append(
        comparison(
            SCALING,
            "MB moved per training step (all-reduce), model parallel",
            figures["mp_collective_bytes_per_step"] / 1e6,
        )
    )
    rows.append(
        comparison(
            SCALING,
            "GB of full tables with Adam's slots, production catalogue on paper",
            figures["production_full_with_adam_bytes"] / 1e9,
        )
    )
    return rows


def comparisons(notebooks_dir: Path) -> pd.DataFrame:
    """Every headline comparison of the stored chapters, one row each."""
    rows = retrieval_rows(glue.read(notebooks_dir / f"{RETRIEVAL}.ipynb"))
    rows += embeddings_rows(glue.read(notebooks_dir / f"{EMBEDDINGS}.ipynb"))
    rows += scaling_rows(glue.read(notebooks_dir / f"{SCALING}.ipynb"))
    return pd.DataFrame(rows, columns=COLUMNS)


def sizes(notebooks_dir: Path) -> pd.DataFrame:
    """Trainable parameters of the headline models, ours beside any published count."""
    towers = glue.read(notebooks_dir / f"{RETRIEVAL}.ipynb")[records.TOWERS]
    reproduction = glue.read(notebooks_dir / f"{EMBEDDINGS}.ipynb")[
        records.REPRODUCTION
    ]
    rows = [
        {
            "chapter": RETRIEVAL,
            "model": f"towers {label}",
            "ours": ours["params"],
            "published": None,
        }
        for label, ours in towers.items()
    ]
    rows += [
        {
            "chapter": EMBEDDINGS,
            "model": name,
            "ours": reproduction[name]["params"],
            "published": model["params"],
        }
        for name, model in (
            (records.BASELINE, published.EMBEDDINGS_BASELINE),
            (records.RECIPE, published.EMBEDDINGS_RECIPE),
        )
    ]
    return pd.DataFrame(rows, columns=["chapter", "model", "ours", "published"])


def run_times(notebooks_dir: Path) -> pd.DataFrame:
    """Wall time of each stored chapter's last full run, and the total.

    The times are those ``recbook-run`` recorded.

    The results page itself is left out: it only reads the others.
    """
    rows = []
    for notebook in sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb")):
        if notebook.stem != RESULTS:
            details = runner.run_details(notebook) or {}
            rows.append(
                {
                    "chapter": notebook.stem,
                    "seconds": details.get("seconds"),
                    "cores": details.get("cpus"),
                }
            )
    table = pd.DataFrame(rows, columns=["chapter", "seconds", "cores"])
    return pd.concat(
        [
            table,
            pd.DataFrame(
                [
                    {
                        "chapter": "the whole book",
                        "seconds": table["seconds"].sum(min_count=len(table)),
                        "cores": None,
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
