"""Every chapter's headline figures beside the published ones, read from the stored chapters.

The results page builds its tables with :func:`comparisons`, :func:`sizes` and
:func:`run_times`; nothing in them is typed by hand: ours come from the
figures each executed chapter recorded (:func:`recbook_tools.notebook_records.read`), the
published ones and tolerances from :mod:`recbook.published`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path

from recbook import checks, evidence, published, records, tuned_embeddings
from recbook.plots import tower_label

import pandas as pd
from pandas.io.formats.style import Styler

from . import notebook_records

RETRIEVAL = records.RETRIEVAL_CHAPTER
SOFTMAX = records.SOFTMAX_CHAPTER
TRAINING = records.TRAINING_CHAPTER
EMBEDDINGS = records.EMBEDDINGS_CHAPTER
TUNED = records.TUNED_CHAPTER
RESULTS = records.RESULTS_CHAPTER
DATA_PARALLEL = records.DATA_PARALLEL_CHAPTER
MODEL_PARALLEL = records.MODEL_PARALLEL_CHAPTER
COMMUNICATION = records.COMMUNICATION_CHAPTER
COLUMNS = [
    "chapter",
    "experiment",
    "published",
    "ours",
    "ours_std",
    "difference",
    "tolerance",
    "verdict",
    "side",
]


def figure(value: float) -> str:
    """A figure as the results page shows it: 4 decimals, or 2 significant digits below 0.001."""
    return f"{value:.1e}" if 0 < abs(value) < 1e-3 else f"{value:.4f}"


def entry(record: str, *keys: str) -> str:
    """How a figure inside a record is named in errors: ``towers['(32,)']['accuracy']``."""
    return record + "".join(f"[{key!r}]" for key in keys)


def recorded(chapter: str, name: str, value, check=checks.real, **limits):
    """``value``, a figure ``chapter`` recorded, if ``check`` (a :mod:`recbook.checks`
    function, called with ``limits``) accepts it.

    Raises:
        TypeError, ValueError: ``check``'s error, naming the figure ``name`` and
            the chapter to re-run.
    """
    try:
        check(name, value, **limits)
    except (TypeError, ValueError) as error:
        hint = notebook_records.rerun_hint(chapter)
        raise type(error)(
            f"{error} {hint[0].upper()}{hint[1:]} to record it afresh."
        ) from None
    return value


def comparison(
    chapter: str,
    experiment: str,
    ours: float,
    std: float | None = None,
    reference: float | None = None,
    reproduction: evidence.Reproduction | None = None,
    goal: records.Goal | None = None,
    record: str | None = None,
) -> dict:
    """One comparison. With a reproduction: within its tolerance or not (and on which
    side); with a goal: met or not; with neither the row is context only.

    The verdicts are :attr:`recbook.evidence.Reproduction.within` and
    :meth:`recbook.records.Goal.verdict`, as in the chapters. ``side`` says whether
    an "outside" figure is higher or lower than the published one.

    Args:
        record: where ``ours`` was recorded (:func:`entry`), for errors; a goal's
            record when not given.

    Raises:
        TypeError, ValueError: ``ours``, ``std`` or ``reference`` is missing or not
            a finite number (``std`` below 0), named by the experiment and record.
    """
    if record is None and goal is not None:
        record = goal.record
    name = f"ours for {experiment!r}" + (f" (record {record})" if record else "")
    recorded(chapter, name, ours)
    if std is not None:
        recorded(chapter, f"the standard deviation of {name}", std, minimum=0)
    if reference is not None:
        checks.real(f"the published figure for {experiment!r}", reference)
    difference = None if reference is None else ours - reference
    tolerance, side = None, ""
    if reproduction is not None:
        verdict = "within" if reproduction.within else "outside"
        tolerance, difference = reproduction.tolerance, reproduction.difference
        reference = reproduction.published
        if not reproduction.within:
            side = "ours higher" if difference > 0 else "ours lower"
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
        "side": side,
    }


def retrieval_rows(figures: Mapping, trained: Mapping) -> list[dict]:
    """Chapter 3 (``figures``): the tutorial's towers and the baselines that frame
    them; chapter 4 (``trained``): the objectives and tuning beyond the tutorial, and
    its goal.

    Each published figure is compared on its own metric: the keras.io tutorial's
    on 5-star test ratings, TensorFlow Recommenders' on all test ratings.
    """
    towers, softmax = figures[records.TOWERS], trained[records.SOFTMAX]
    rows = []
    for widths, curve in published.RETRIEVAL_TOP100.items():
        runs = (curve[-1], published.RETRIEVAL_TOP100_LATER_RUN[widths][-1])
        rows.append(
            summary_row(
                RETRIEVAL,
                f"MSE towers {tower_label(widths)}, top-100 (5-star)",
                entry(records.TOWERS, str(widths)),
                towers[str(widths)],
                "accuracy",
                published_runs=runs,
            )
        )
    baselines = {
        entry(records.POPULARITY): ("popularity", figures[records.POPULARITY]),
        **{
            entry(records.CLASSICAL, name): (name, result)
            for name, result in figures[records.CLASSICAL].items()
        },
    }
    for record, (name, result) in baselines.items():
        for metric, counted in (("accuracy", "5-star"), ("accuracy_all", "all")):
            rows.append(
                comparison(
                    RETRIEVAL,
                    f"baseline: {name}, top-100 ({counted})",
                    result[metric],
                    record=entry(record, metric),
                )
            )
    for widths, value in published.TFRS_TOP100.items():
        rows.append(  # TFRS: one run, other features, 300 epochs
            summary_row(
                SOFTMAX,
                f"softmax {tower_label(widths)} vs TFRS, top-100 (all)",
                entry(records.SOFTMAX, str(widths)),
                softmax[str(widths)],
                "accuracy_all",
                reference=value,
            )
        )
    for label, ours in trained[records.TUNED].items():
        rows.append(
            summary_row(
                SOFTMAX,
                f"tuned MSE towers {tower_label(label)}, top-100 (5-star)",
                entry(records.TUNED, label),
                ours,
                "accuracy",
            )
        )
    best = trained[records.BEST_MODEL]
    rows.append(
        summary_row(
            SOFTMAX,
            f"softmax {tower_label(best)} (chosen on the holdout), top-100 (5-star)",
            entry(records.SOFTMAX, best),
            softmax[best],
            "accuracy",
        )
    )
    rows.append(goal_row(SOFTMAX, records.RETRIEVAL_GOAL, trained))
    return rows


def summary_row(
    chapter: str,
    experiment: str,
    record: str,
    summary: Mapping,
    metric: str,
    reference: float | None = None,
    published_runs: tuple[float, ...] | None = None,
) -> dict:
    """One comparison of a model's figure over seeds: ``summary[metric]`` with its
    spread ``summary[metric + "_std"]``, a :func:`recbook.training.summarize` row
    recorded at ``record`` (:func:`entry`).

    With ``published_runs``, judged against them by
    :func:`recbook.evidence.reproduction` over ``summary["seeds"]``; with a
    ``reference`` only, context beside it.

    Raises:
        TypeError, ValueError: a figure of ``summary`` is missing or not finite,
            named by its record.
    """
    ours = recorded(chapter, entry(record, metric), summary[metric])
    spread = f"{metric}_std"
    std = recorded(chapter, entry(record, spread), summary[spread], minimum=0)
    judged = None
    if published_runs is not None:
        seeds = recorded(
            chapter, entry(record, "seeds"), summary["seeds"], check=checks.whole
        )
        judged = evidence.reproduction(ours, std, seeds, published_runs)
    return comparison(
        chapter,
        experiment,
        ours,
        std,
        reference,
        reproduction=judged,
        record=entry(record, metric),
    )


def goal_row(chapter: str, goal: records.Goal, figures: Mapping) -> dict:
    """A chapter's goal, its figure read from the chapter's :data:`records.GOAL_FIGURES`."""
    return comparison(
        chapter,
        f"goal: {goal.text}",
        figures[records.GOAL_FIGURES][goal.record],
        goal=goal,
        record=entry(records.GOAL_FIGURES, goal.record),
    )


def training_rows(figures: Mapping) -> list[dict]:
    """Chapter 5: the trained towers beside the best classical model (its ``best``
    rows), per protocol and metric, on the random split and in time; then the
    chapter's goal."""
    rows = []
    for record, split in (
        (records.TRAINED_VERSUS, "random split"),
        (records.TEMPORAL_VERSUS, "split in time"),
    ):
        for index, row in enumerate(figures[record]):
            if not row["best"]:
                continue
            rows.append(
                comparison(
                    TRAINING,
                    f"trained towers vs {row['classical model']}, top-100 "
                    f"({records.METRIC_WORDS[row['metric']]}), {split}, {row['protocol']}",
                    row["towers"],
                    reference=recorded(
                        TRAINING,
                        entry(record, str(index), "classical"),
                        row["classical"],
                    ),
                    record=entry(record, str(index), "towers"),
                )
            )
    rows.append(goal_row(TRAINING, records.TRAINED_TOWERS_GOAL, figures))
    return rows


def embeddings_rows(figures: Mapping) -> list[dict]:
    """Chapter 6: the baselines without embeddings, the recipe's two models on its
    protocol, and the chapter's goals."""
    rows = [
        comparison(
            EMBEDDINGS,
            f"baseline: {name}, validation MAE",
            model["mae"],
            record=entry(records.RATING_BASELINES, name, "mae"),
        )
        for name, model in figures[records.RATING_BASELINES].items()
    ]
    for name, ours in figures[records.REPRODUCTION].items():
        model = name.removesuffix(records.PIPELINE)
        batches = "recipe's pipeline" if name.endswith(records.PIPELINE) else "i.i.d."
        rows.append(
            summary_row(
                EMBEDDINGS,
                f"{model}, {batches}, validation MAE",
                entry(records.REPRODUCTION, name),
                ours,
                "mae",
                published_runs=published.EMBEDDINGS_MAE_RUNS[model],
            )
        )
    rows += [goal_row(EMBEDDINGS, goal, figures) for goal in records.EMBEDDING_GOALS]
    return rows


def tuned_rows(figures: Mapping) -> list[dict]:
    """Chapter 7: QR and MD, each trained for its size, beside plain tables of the
    same size (test-half MAE); then the chapter's goals."""
    runs = {row["model"]: row for row in figures[records.TUNED_RUNS]}
    rows = []
    for row in figures[records.TUNED_VERSUS]:
        model = row["model"]
        plain = tuned_embeddings.model_name("full", runs[model]["ratio"])  # same size
        rows.append(
            summary_row(
                TUNED,
                f"{model} vs {plain}, trained for their size, test-half MAE",
                entry(records.TUNED_RUNS, model),
                runs[model],
                "test_mae",
                reference=recorded(
                    TUNED,
                    entry(records.TUNED_RUNS, plain, "test_mae"),
                    runs[plain]["test_mae"],
                ),
            )
        )
    rows += [goal_row(TUNED, goal, figures) for goal in records.TUNED_GOALS]
    return rows


def scaling_rows(
    data_parallel: dict, model_parallel: dict, communication: dict
) -> list[dict]:
    """Chapters 8 to 10 (the figures each recorded): measured facts, no published figures.

    The equality checks are goals (the largest difference from the single-device
    run within :data:`recbook.published.SCALING_TOLERANCE`), data parallel under
    plain SGD first (where summed gradients would show) and under Adam, then model
    parallel; so is the SGD run's validation MAE below the global mean's. Memory and
    communication are context.
    """
    tolerance = published.SCALING_TOLERANCE
    checks = (
        (
            DATA_PARALLEL,
            "data parallel, SGD",
            "training loss",
            records.SGD_DP_LOSS_MAX_ABS_DIFF,
            "loss",
        ),
        (
            DATA_PARALLEL,
            "data parallel, SGD",
            "validation MAE",
            records.SGD_DP_MAE_ABS_DIFF,
            "mae",
        ),
        (
            DATA_PARALLEL,
            "data parallel, Adam",
            "training loss",
            records.DP_LOSS_MAX_ABS_DIFF,
            "loss",
        ),
        (
            DATA_PARALLEL,
            "data parallel, Adam",
            "validation MAE",
            records.DP_MAE_ABS_DIFF,
            "mae",
        ),
        (
            MODEL_PARALLEL,
            "model parallel",
            "predictions",
            records.MP_PREDICTION_MAX_ABS_DIFF,
            "predictions",
        ),
        (
            MODEL_PARALLEL,
            "model parallel",
            "training loss",
            records.MP_LOSS_MAX_ABS_DIFF,
            "loss",
        ),
    )
    figures = {DATA_PARALLEL: data_parallel, MODEL_PARALLEL: model_parallel}
    rows = []
    for chapter, layout, quantity, name, kind in checks:
        devices = figures[chapter][records.DEVICES]
        question = f"{layout}, {devices} devices: {quantity}, largest difference"
        goal = records.Goal(
            question + " below {limit:g}",
            name,
            tolerance[kind],
            "float32 sums in another order differ by rounding alone",
            lower_is_better=True,
        )
        rows.append(comparison(chapter, question, figures[chapter][name], goal=goal))
    # The SGD check's model is trained: it must beat the global mean, or equality
    # with one device would be shown on a model that learned nothing.
    question = "SGD run of the data-parallel check: validation MAE below {limit:.3f}"
    goal = records.Goal(
        question,
        records.SGD_SINGLE_MAE,
        recorded(
            DATA_PARALLEL,
            records.SGD_GLOBAL_MEAN_MAE,
            data_parallel[records.SGD_GLOBAL_MEAN_MAE],
        ),
        "the global mean's validation MAE on the same split",
        lower_is_better=True,
    )
    rows.append(
        comparison(
            DATA_PARALLEL, goal.text, data_parallel[records.SGD_SINGLE_MAE], goal=goal
        )
    )
    rows += [
        measured(
            MODEL_PARALLEL,
            f"MB per device with Adam's slots, measured: {model}",
            entry(records.PER_DEVICE_BYTES, model),
            held,
            1e6,
        )
        for model, held in model_parallel[records.PER_DEVICE_BYTES].items()
    ]
    for layout, record in (
        ("data parallel", records.DP_COLLECTIVE_BYTES_PER_STEP),
        ("model parallel", records.MP_COLLECTIVE_BYTES_PER_STEP),
    ):
        rows.append(
            measured(
                COMMUNICATION,
                f"MB moved per training step (all-reduce), {layout}",
                record,
                communication[record],
                1e6,
            )
        )
    rows.append(
        measured(
            COMMUNICATION,
            "GB of full tables with Adam's slots, production catalogue on paper",
            records.PRODUCTION_FULL_WITH_ADAM_BYTES,
            communication[records.PRODUCTION_FULL_WITH_ADAM_BYTES],
            1e9,
        )
    )
    return rows


def measured(chapter: str, experiment: str, record: str, count, unit: float) -> dict:
    """A context row: a count ``chapter`` recorded (bytes), in units of ``unit`` (1e6: MB)."""
    return comparison(
        chapter, experiment, recorded(chapter, record, count) / unit, record=record
    )


def comparisons(notebooks_dir: Path) -> pd.DataFrame:
    """Every headline comparison of the stored chapters, one row each."""
    rows = retrieval_rows(
        notebook_records.read(notebooks_dir / f"{RETRIEVAL}.ipynb"),
        notebook_records.read(notebooks_dir / f"{SOFTMAX}.ipynb"),
    )
    rows += training_rows(notebook_records.read(notebooks_dir / f"{TRAINING}.ipynb"))
    rows += embeddings_rows(
        notebook_records.read(notebooks_dir / f"{EMBEDDINGS}.ipynb")
    )
    rows += tuned_rows(notebook_records.read(notebooks_dir / f"{TUNED}.ipynb"))
    rows += scaling_rows(
        *(
            notebook_records.read(notebooks_dir / f"{chapter}.ipynb")
            for chapter in (DATA_PARALLEL, MODEL_PARALLEL, COMMUNICATION)
        )
    )
    return pd.DataFrame(rows, columns=COLUMNS)


def sizes(notebooks_dir: Path) -> pd.DataFrame:
    """Trainable parameters of the headline models, ours beside any published count."""
    towers = notebook_records.read(notebooks_dir / f"{RETRIEVAL}.ipynb")[records.TOWERS]
    embeddings = notebook_records.read(notebooks_dir / f"{EMBEDDINGS}.ipynb")
    reproduction = embeddings[records.REPRODUCTION]
    rows = [
        {
            "chapter": RETRIEVAL,
            "model": f"towers {tower_label(label)}",
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
    rows += [
        {
            "chapter": EMBEDDINGS,
            "model": f"baseline: {name}",
            "ours": model["params"],
            "published": None,
        }
        for name, model in embeddings[records.RATING_BASELINES].items()
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
            details = notebook_records.run_details(notebook) or {}
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


# The page as a reader sees it: numbers formatted for their kind, short columns, no index.

VERDICT_COLOURS = {
    "within": "#1b7837",
    "met": "#1b7837",
    "outside": "#b2182b",
    "not met": "#b2182b",
    "context": "#6e6e6e",
}
"""The colour of each verdict, in the figure and the table alike (green passes, red fails)."""

GOAL_VERDICTS = ("met", "not met")
"""Verdicts of rows that compare ours with a threshold (``published`` holds it)."""

TOLERANCE_VERDICTS = ("within", "outside")
"""Verdicts of rows that compare ours with a published figure and a tolerance."""


def missing(value: object) -> bool:
    """Whether a table cell holds no number (``None`` or NaN)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(
    value: object, decimals: int | None = None, sign: bool = False, trim: bool = False
) -> str:
    """A figure as the page shows it, by its kind; ``""`` when there is none.

    Whole numbers get thousands separators and no decimals (parameter counts,
    bytes); figures below 0.001 two significant digits (``2.4e-7``); others four
    significant digits, at most four decimals (``0.3204``, ``7.485``, ``84.48``),
    or ``decimals`` when given.

    Args:
        sign: write ``+`` before a positive figure (differences).
        trim: drop trailing zeros, for stated figures (a goal of ``0.35``, a
            tolerance of ``0.03``, ``1e-4``) rather than measured ones.
    """
    if missing(value):
        return ""
    value = float(value)
    plus = "+" if sign and value > 0 else ""
    if value == 0:
        return "0"
    if decimals is None:
        if value.is_integer():
            return f"{plus}{value:,.0f}"
        if abs(value) < 1e-3:
            mantissa, exponent = f"{value:.1e}".split("e")
            if trim:
                mantissa = mantissa.rstrip("0").rstrip(".")
            return f"{plus}{mantissa}e{int(exponent)}"
        decimals = min(4, max(0, 3 - math.floor(math.log10(abs(value)))))
    text = f"{plus}{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if trim and "." in text else text


def decimals_of(text: str) -> int | None:
    """The decimals :func:`number` wrote, to show a spread alike; None for ``2.4e-7``."""
    if "e" in text:
        return None
    return len(text.split(".")[1]) if "." in text else 0


RELATION_SIGNS = {">=": "≥", "<=": "≤"}
"""How the page writes a goal's relation."""


def goal_relation(row: Mapping) -> str:
    """``">="`` or ``"<="``: which side of its threshold a goal row asks ours to be on.

    Read from the verdict: a met goal with ours below the threshold asks for at
    most, and so on (``""`` for other rows, or when ours is missing or on the
    threshold).
    """
    ours, goal = row.get("ours"), row.get("published")
    if row.get("verdict") not in GOAL_VERDICTS:
        return ""
    if missing(ours) or missing(goal) or ours == goal:
        return ""
    return ">=" if (ours > goal) == (row["verdict"] == "met") else "<="


def chapter_titles(notebooks_dir: Path) -> dict[str, str]:
    """Each chapter's short title by notebook stem: its first heading, up to a colon."""
    titles = {}
    for notebook in sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            source = "".join(cell["source"]) if cell["cell_type"] == "markdown" else ""
            heading = re.search(r"^# (.+)$", source, flags=re.MULTILINE)
            if heading:
                titles[notebook.stem] = heading.group(1).split(": ")[0].strip()
                break
    return titles


def compact_table(
    table: pd.DataFrame, titles: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The comparisons as the page shows them: text columns, grouped by chapter.

    Each chapter opens with a heading row: its title in ``figure``, the other
    columns empty.

    Args:
        table: rows as :func:`comparisons` returns them.
        titles: chapter titles by notebook stem (:func:`chapter_titles`); the
            stem where there is none.

    Returns:
        ``figure`` (the experiment), ``ours`` (with its sample standard deviation
        over seeds), ``published / goal``, ``difference`` and ``verdict`` (in words,
        with the tolerance it used, which is also the smallest difference the row
        can call outside; an outside figure says on which side it lies).
    """
    titles = titles or {}
    rows, previous = [], None
    for _, row in table.iterrows():
        if row["chapter"] != previous:
            rows.append({"figure": titles.get(row["chapter"], row["chapter"])})
            previous = row["chapter"]
        ours = number(row["ours"])
        if ours and not missing(row["ours_std"]):
            ours += f" ± {number(row['ours_std'], decimals_of(ours))}"
        reference = number(row["published"], trim=True)
        if reference and row["verdict"] in GOAL_VERDICTS:
            relation = RELATION_SIGNS.get(goal_relation(row), "")
            reference = " ".join(part for part in ("goal", relation, reference) if part)
        verdict = str(row["verdict"])
        if verdict in TOLERANCE_VERDICTS and not missing(row["tolerance"]):
            verdict += f" ±{number(row['tolerance'], trim=True)}"
        if row.get("side"):
            verdict += f" ({row['side']})"
        rows.append(
            {
                "figure": str(row["experiment"]),
                "ours": ours,
                "published / goal": reference,
                "difference": number(row["difference"], sign=True),
                "verdict": verdict,
            }
        )
    columns = ["figure", "ours", "published / goal", "difference", "verdict"]
    return pd.DataFrame(rows, columns=columns).fillna("")


def sizes_table(
    table: pd.DataFrame, titles: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """:func:`sizes` as text: whole parameter counts with thousands separators."""
    titles = titles or {}
    return pd.DataFrame(
        {
            "chapter": [titles.get(c, c) for c in table["chapter"]],
            "model": table["model"].astype(str).tolist(),
            "ours": [number(v, decimals=0) for v in table["ours"]],
            "published": [number(v, decimals=0) for v in table["published"]],
        }
    )


def run_times_table(
    table: pd.DataFrame, titles: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """:func:`run_times` as text: whole seconds and minutes, the cores as a count."""
    titles = titles or {}

    def wall(seconds: object) -> str:
        if missing(seconds):
            return "not recorded"
        return f"{seconds:,.0f} s ({seconds / 60:.1f} min)"

    return pd.DataFrame(
        {
            "chapter": [titles.get(c, c) for c in table["chapter"]],
            "wall time": [wall(s) for s in table["seconds"]],
            "CPU cores": [number(c, decimals=0) for c in table["cores"]],
        }
    )


def styled(table: pd.DataFrame, caption: str | None = None) -> Styler:
    """A text table for the page: no index, figures right-aligned on one line, verdicts
    in their colour; a row with only its first cell filled (a chapter) is a bold heading."""
    rest = list(table.columns[1:])
    numeric = [c for c in rest if c not in ("figure", "model")]

    def heading(row: pd.Series) -> list[str]:
        bold = all(row[c] == "" for c in rest)
        return ["font-weight: bold; padding-top: 0.8em" if bold else ""] * len(row)

    style = (
        table.style.hide(axis="index")
        .set_properties(
            subset=numeric, **{"text-align": "right", "white-space": "nowrap"}
        )
        .set_table_styles(
            [
                {"selector": "", "props": "font-size: 0.9em;"},
                {"selector": "th", "props": "text-align: left;"},
                {"selector": "td, th", "props": "padding: 0.15em 0.4em;"},
            ]
        )
        .set_table_styles(
            {c: [{"selector": "th", "props": "text-align: right;"}] for c in numeric},
            overwrite=False,
        )
        .apply(heading, axis=1)
    )
    if "verdict" in table.columns:
        style = style.map(
            lambda v: f"color: {VERDICT_COLOURS.get(v.split(' (')[0], 'inherit')}",
            subset=["verdict"],
        )
    return style.set_caption(caption) if caption else style


def verdict_counts(table: pd.DataFrame) -> str:
    """How many rows have each verdict, in words: ``"5 within, 3 met, 1 not met"``."""
    counts = table["verdict"].value_counts()
    order = [*TOLERANCE_VERDICTS, *GOAL_VERDICTS, "context"]
    known = [v for v in order if v in counts] + [
        v for v in counts.index if v not in order
    ]
    return ", ".join(f"{counts[v]} {v}" for v in known)


def answers(table: pd.DataFrame, titles: Mapping[str, str] | None = None) -> str:
    """The book's questions answered in words, as Markdown for the page's first screen.

    One bullet per goal row (its question, *yes* or *no*, and the figure), then one
    per chapter counting its reproduction verdicts, naming the rows outside and
    their side.
    """
    titles = titles or {}
    lines = []
    for _, row in table[table["verdict"].isin(GOAL_VERDICTS)].iterrows():
        question = str(row["experiment"]).removeprefix("goal: ")
        answer = "yes" if row["verdict"] == "met" else "no"
        lines.append(
            f"- {question} **{answer.capitalize()}** "
            f"({titles.get(row['chapter'], row['chapter'])}: {number(row['ours'])} "
            f"against {number(row['published'], trim=True)})."
        )
    reproductions = table[table["verdict"].isin(TOLERANCE_VERDICTS)]
    for chapter, rows in reproductions.groupby("chapter", sort=False):
        outside = rows[rows["verdict"] == "outside"]
        text = (
            f"- {titles.get(chapter, chapter)}: {len(rows) - len(outside)} of "
            f"{len(rows)} published figures reproduced within the tolerance"
        )
        if len(outside):
            named = "; ".join(
                f"{row['experiment']} ({row['side']})" for _, row in outside.iterrows()
            )
            text += f"; outside: {named}"
        lines.append(text + ".")
    return "\n".join(lines)
