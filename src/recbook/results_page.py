"""Every chapter's headline figures beside the published ones, read from the stored chapters.

The results page builds its tables with :func:`comparisons`, :func:`sizes` and
:func:`run_times`; nothing in them is typed by hand: ours come from the
figures each executed chapter recorded (:mod:`recbook.glue`), the
published ones and tolerances from :mod:`recbook.published`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import glue, published, runner

RETRIEVAL = "03_retrieval_towers"
EMBEDDINGS = "04_memory_efficient_embeddings"
RESULTS = "05_results"
SCALING = "06_scaling_out"
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
    """A figure as the results page shows it: 4 decimals, or 2 significant digits when smaller than 0.001."""
    return f"{value:.1e}" if 0 < abs(value) < 1e-3 else f"{value:.4f}"


def comparison(
    chapter: str,
    experiment: str,
    ours: float,
    std: float | None = None,
    reference: float | None = None,
    tolerance: float | None = None,
    goal: float | None = None,
    lower_is_better: bool = False,
) -> dict:
    """One comparison. With a tolerance: within it or not; with a goal: met or not; else context only."""
    difference = None if reference is None else ours - reference
    if tolerance is not None:
        verdict = "within" if abs(difference) <= tolerance else "outside"
    elif goal is not None:
        verdict = (
            "met" if (ours <= goal if lower_is_better else ours >= goal) else "not met"
        )
    else:
        verdict = "context"
    return {
        "chapter": chapter,
        "experiment": experiment,
        "published": reference if goal is None else goal,
        "ours": ours,
        "ours_std": std,
        "difference": difference,
        "tolerance": tolerance,
        "verdict": verdict,
    }


def retrieval_rows(figures: dict) -> list[dict]:
    """Chapter 3: the tutorial's towers, the baselines and objectives beyond it, the goal."""
    rows = []
    for towers, curve in published.RETRIEVAL_TOP100.items():
        label = str(towers)
        rows.append(
            comparison(
                RETRIEVAL,
                f"top-100 accuracy, towers {label}, MSE (the tutorial)",
                figures["towers_top100"][label],
                figures["towers_top100_std"][label],
                curve[-1],
                tolerance=published.RETRIEVAL_TOLERANCE[towers],
            )
        )
    rows.append(
        comparison(
            RETRIEVAL,
            "top-100 accuracy, popularity baseline",
            figures["popularity_top100"],
        )
    )
    for towers, value in published.TFRS_TOP100.items():
        label = str(
            towers
        )  # the chapter trains the plain softmax, context only, with one seed: no std
        rows.append(
            comparison(
                RETRIEVAL,
                f"top-100 accuracy, towers {label}, in-batch softmax, one seed (TFRS "
                "objective; TFRS's own features and 300 epochs)",
                figures["softmax_top100"][label],
                None,
                value,
            )
        )
    rows.append(
        comparison(
            RETRIEVAL,
            f"top-100 accuracy, tuned deep towers: {figures['tuned_model']}",
            figures["tuned_top100"],
            figures["tuned_top100_std"],
        )
    )
    rows.append(
        comparison(
            RETRIEVAL,
            f"goal: top-100 accuracy >= {published.RETRIEVAL_TARGET} "
            f"(best: {figures['best_model']}, softmax)",
            figures["best_top100"],
            figures["best_top100_std"],
            goal=published.RETRIEVAL_TARGET,
        )
    )
    return rows


def embeddings_rows(figures: dict) -> list[dict]:
    """Chapter 4: the recipe's baseline and QR + MD design, and the chapter's goals."""
    rows = [
        comparison(
            EMBEDDINGS,
            "validation MAE, full tables (baseline)",
            figures["baseline_mae"],
            figures["baseline_mae_std"],
            published.EMBEDDINGS_BASELINE["mae"],
            tolerance=published.EMBEDDINGS_TOLERANCE["baseline"],
        ),
        comparison(
            EMBEDDINGS,
            "validation MAE, QR users + MD movies (the recipe's design)",
            figures["recipe_mae"],
            figures["recipe_mae_std"],
            published.EMBEDDINGS_RECIPE["mae"],
            tolerance=published.EMBEDDINGS_TOLERANCE["recipe"],
        ),
    ]
    gaps = {
        "QR+MD >= 5x within 0.03": ("best_qr_md_5x_gap", 0.03),
        "some method >= 10x within 0.05": ("best_10x_gap", 0.05),
    }
    for goal, met in figures["targets"].items():
        if goal in gaps:
            name, limit = gaps[goal]
            rows.append(
                comparison(
                    EMBEDDINGS,
                    f"goal: {goal} (MAE gap to the baseline)",
                    figures[name],
                    goal=limit,
                    lower_is_better=True,
                )
            )
        else:
            rows.append(
                {
                    "chapter": EMBEDDINGS,
                    "experiment": f"goal: {goal}",
                    "verdict": "met" if met else "not met",
                }
            )
    return rows


def scaling_rows(figures: dict) -> list[dict]:
    """Chapter 6: measured facts, no published figures. The equality checks are goals (the largest difference
    from the single-device run within :data:`recbook.published.SCALING_TOLERANCE`); memory and communication
    are context."""
    devices, tolerance = figures["devices"], published.SCALING_TOLERANCE
    mp_shards = f"model parallel, {devices} shard{'s' * (devices > 1)}"
    rows = [
        comparison(
            SCALING,
            f"data parallel on {devices} devices: largest training-loss difference from one device",
            figures["dp_loss_max_abs_diff"],
            goal=tolerance["loss"],
            lower_is_better=True,
        ),
        comparison(
            SCALING,
            f"data parallel on {devices} devices: validation MAE difference from one device",
            figures["dp_mae_abs_diff"],
            goal=tolerance["mae"],
            lower_is_better=True,
        ),
        comparison(
            SCALING,
            f"{mp_shards}: largest prediction difference from the unsharded model (same weights)",
            figures["mp_prediction_max_abs_diff"],
            goal=tolerance["predictions"],
            lower_is_better=True,
        ),
        comparison(
            SCALING,
            f"{mp_shards}: largest training-loss difference from one device",
            figures["mp_loss_max_abs_diff"],
            goal=tolerance["loss"],
            lower_is_better=True,
        ),
    ]
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
    """Trainable parameters of the headline models, ours beside the published count where there is one."""
    retrieval = glue.read(notebooks_dir / f"{RETRIEVAL}.ipynb")
    embeddings = glue.read(notebooks_dir / f"{EMBEDDINGS}.ipynb")
    rows = [
        {
            "chapter": RETRIEVAL,
            "model": f"towers {label}",
            "ours": params,
            "published": None,
        }
        for label, params in retrieval["towers_params"].items()
    ]
    rows += [
        {
            "chapter": EMBEDDINGS,
            "model": "full tables (baseline)",
            "ours": embeddings["baseline_params"],
            "published": published.EMBEDDINGS_BASELINE["params"],
        },
        {
            "chapter": EMBEDDINGS,
            "model": "QR users + MD movies (the recipe's design)",
            "ours": embeddings["recipe_params"],
            "published": published.EMBEDDINGS_RECIPE["params"],
        },
    ]
    return pd.DataFrame(rows, columns=["chapter", "model", "ours", "published"])


def run_times(notebooks_dir: Path) -> pd.DataFrame:
    """Wall time of each stored chapter's last full run (as ``recbook-run`` recorded it), and the total.

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
