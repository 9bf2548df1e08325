"""The README's performance figures, generated from the stored runs (``recbook-readme``).

The README's *Performance* section holds a block between two marker comments
(:data:`BEGIN` and :data:`END`) that this module writes: each chapter's wall time and
kernel CPU time as ``recbook-run`` recorded them in the stored notebook's
``recbook_run`` metadata (:func:`recbook_tools.notebook_records.run_details`), the whole book's time
against its target (:data:`recbook_tools.benchmark.TARGETS`), the machine and versions of
those runs, and the JAX vs. TensorFlow ratio that chapter 3 records
(:data:`recbook.records.JAX_SPEEDUP`, :data:`recbook.records.BACKEND_SECONDS`), and
the figures ``recbook-benchmark`` wrote to :data:`recbook_tools.benchmark.RESULTS` (the
machine's floors and each training loop against them). No figure in the block is
typed: ``recbook-readme`` rewrites it after a chapter is re-executed or the benchmark
has run, and ``tests/test_readme.py`` fails while the README differs from what the
stored runs and that file say (``recbook-readme --check`` says the same). A
chapter's stored quick run is no full run: its row says "not recorded" and the
whole book's time is not known. A damaged ``benchmark.json`` (truncated, empty,
binary, merge-conflicted, a key missing) or a figure that is not finite or is 0 is
refused on one line naming the file and what to do, never written.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

from recbook import checks, records

from . import benchmark, notebook_records, runner

BACKENDS = {"jax": "JAX", "tensorflow": "TensorFlow", "torch": "PyTorch"}
WIDTH = 88
"""The README's prose lines wrap at this column."""

BEGIN = (
    "<!-- recbook-readme: performance. Generated from the stored runs by "
    "`recbook-readme`; do not edit by hand. -->"
)
END = "<!-- /recbook-readme: performance -->"
README = Path("README.md")


def duration(seconds: float) -> str:
    """``"18 s"``, ``"15 min 25 s"``, ``"1 h 2 min"`` (as each chapter's run line)."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def chapter_title(notebook: Path) -> str:
    """The chapter's title: the text of its first level-one heading (markdown)."""
    for cell in notebook_records.stored_notebook(notebook)["cells"]:
        if cell.get("cell_type") != "markdown":
            continue
        for line in "".join(cell.get("source", "")).splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return notebook.stem


def _listed(values: list[str]) -> str:
    distinct = list(dict.fromkeys(values))
    if len(distinct) == 1:
        return distinct[0]
    return ", ".join(distinct[:-1]) + " and " + distinct[-1]


def _day(iso: str) -> str:
    day = datetime.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"


def machine(runs: list[tuple[dict[str, Any], str | None]]) -> str:
    """The machine and versions of the stored runs, from their metadata."""
    cpus = _listed([f"{d['cpus']} CPU cores" for d, _ in runs if d.get("cpus")])
    gpus = [d.get("gpus") for d, _ in runs]
    gpu = _listed(
        [
            "no GPU"
            if not g
            else (", ".join(g) if isinstance(g, list) else f"{g} GPUs")
            for g in gpus
            if g is not None
        ]
    )
    backend = _listed(
        [BACKENDS.get(d["backend"], d["backend"]) for d, _ in runs if d.get("backend")]
    )
    keras = _listed(
        [d["versions"]["keras"] for d, _ in runs if "keras" in d.get("versions", {})]
    )
    python = _listed([p for _, p in runs if p])
    said = [part for part in (cpus, gpu) if part]
    if python:
        said.append(f"Python {python}")
    if keras:
        said.append(f"Keras {keras}")
    if backend:
        said.append(f"{backend} backend")
    return ", ".join(said)


def wrapped(markdown: str) -> list[str]:
    """Markdown lines wrapped at :data:`WIDTH`: paragraphs and list items; tables kept."""
    lines: list[str] = []
    for line in markdown.splitlines():
        if not line or line.startswith("|"):
            lines.append(line)
        elif line.startswith("- "):
            lines += textwrap.wrap(line, WIDTH, subsequent_indent="  ")
        else:
            lines += textwrap.wrap(line, WIDTH)
    return lines


def stored_figure(notebook: Path, name: str, value: Any, **bounds: float) -> float:
    """A figure a stored notebook holds, if finite and within ``bounds``
    (:func:`recbook.checks.real`'s ``minimum``, ``above``): never "nan s" in the README.

    Raises:
        ValueError: the figure is not a finite number in range; the message names
            the notebook, the figure and the chapter to re-run.
    """
    try:
        return checks.real(name, value, **bounds)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"Cannot use {notebook}: {str(error).rstrip('.')}; "
            f"{notebook_records.rerun_hint(notebook)}."
        ) from None


def floor_report(results: Path) -> list[str]:
    """The benchmark's report (:func:`recbook_tools.benchmark.report`) from its file, wrapped.

    Raises:
        recbook_tools.benchmark.ResultsError: (a ``ValueError``) the file is damaged, or a
            figure is missing, not finite or 0 (:func:`recbook_tools.benchmark.read`).
    """
    heading = [
        "",
        "**Against the machine's floor** (`make benchmark`, `benchmark.json`):",
        "",
    ]
    if not results.is_file():
        return [*heading, "Not measured yet: run `make benchmark`."]
    return [*heading, *wrapped(benchmark.report(benchmark.read(results)))]


def block(
    notebooks_dir: Path = runner.NOTEBOOKS_DIR, results: Path | None = None
) -> str:
    """The README's generated performance block, markers included.

    ``results`` is the benchmark's file (default: :data:`recbook_tools.benchmark.RESULTS`
    beside the notebooks' folder).
    """
    if results is None:
        results = notebooks_dir.parent / benchmark.RESULTS
    rows, runs, total, cpu_total, dates = [], [], 0.0, 0.0, []
    complete = True
    for number, source in enumerate(runner.chapters(notebooks_dir), start=1):
        notebook = source.with_suffix(".ipynb")
        details = notebook_records.run_details(notebook)
        name = f"{number}. {chapter_title(notebook)} (`{source.stem}`)"
        if not details or details.get("quick") or details.get("seconds") is None:
            rows.append(f"| {name} | not recorded (no full run stored) | |")
            complete = False
            continue
        metadata = notebook_records.stored_notebook(notebook)["metadata"]
        runs.append((details, metadata.get("language_info", {}).get("version")))
        if details.get("date"):
            dates.append(details["date"])
        where = f"{notebook_records.RUN_METADATA}."
        seconds = stored_figure(
            notebook, where + "seconds", details["seconds"], minimum=0
        )
        cpu = details.get("kernel_cpu_seconds")
        if cpu is not None:
            cpu = stored_figure(notebook, where + "kernel_cpu_seconds", cpu, minimum=0)
        rows.append(
            f"| {name} | {duration(seconds)} | {'' if cpu is None else duration(cpu)} |"
        )
        total += seconds
        cpu_total += cpu or 0.0
    target = benchmark.TARGETS["book_seconds"]
    if complete:
        verdict = "met" if total <= target else "not met"
        rows.append(
            f"| **the whole book** | **{duration(total)}** | {duration(cpu_total)} |"
        )
        book = (
            f"The whole book takes {duration(total)} of wall time: the target of at "
            f"most {duration(target)} (`recbook_tools.benchmark.TARGETS`) is {verdict}."
        )
    else:
        rows.append("| **the whole book** | not known (a chapter has no full run) | |")
        book = "The whole book's time is not known: a chapter has no stored full run."
    span = sorted(dates)
    when = (
        _day(span[0])
        if span and _day(span[0]) == _day(span[-1])
        else f"{_day(span[0])} to {_day(span[-1])}"
        if span
        else "dates not recorded"
    )
    lines = [
        BEGIN,
        *textwrap.wrap(
            f"The stored full runs ({when}; {machine(runs)}), as `recbook-run` "
            "recorded them in each notebook's `recbook_run` metadata:",
            WIDTH,
        ),
        "",
        "| chapter | wall time | kernel CPU time |",
        "|---|---|---|",
        *rows,
        "",
        *textwrap.wrap(book, WIDTH),
    ]
    retrieval = notebooks_dir / f"{records.SOFTMAX_CHAPTER}.ipynb"
    recorded = notebook_records.read(retrieval) if retrieval.is_file() else {}
    if records.JAX_SPEEDUP in recorded and records.BACKEND_SECONDS in recorded:
        ratio = stored_figure(
            retrieval, records.JAX_SPEEDUP, recorded[records.JAX_SPEEDUP], above=0
        )
        held = recorded[records.BACKEND_SECONDS]
        seconds = {
            backend: stored_figure(
                retrieval,
                f"{records.BACKEND_SECONDS}[{backend!r}]",
                held.get(backend) if isinstance(held, dict) else None,
                above=0,
            )
            for backend in ("jax", "tensorflow")
        }
        wanted = benchmark.TARGETS["jax_speedup"]
        lines += [
            "",
            *textwrap.wrap(
                "JAX against the TensorFlow backend, in chapter 4's stored run (the "
                "one-layer retrieval towers, trained once with each): JAX "
                f"{seconds['jax']:.1f} s, TensorFlow {seconds['tensorflow']:.1f} s, "
                f"**{ratio:.2f}x faster with JAX** (target at least {wanted:g}x: "
                f"{'met' if ratio >= wanted else 'not met'}).",
                WIDTH,
            ),
        ]
    lines += floor_report(results)
    lines.append(END)
    return "\n".join(lines)


def current(text: str) -> str | None:
    """The generated block as the README holds it, markers included, if it has one."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return None
    return text[start : end + len(END)]


def update(readme: Path = README, notebooks_dir: Path = runner.NOTEBOOKS_DIR) -> bool:
    """Rewrite the README's block from the stored runs; True if it changed.

    Raises:
        ValueError: the README has no block between :data:`BEGIN` and :data:`END`.
    """
    text = readme.read_text(encoding="utf-8")
    held = current(text)
    if held is None:
        raise ValueError(
            f"{readme} has no generated performance block: put the lines\n{BEGIN}\n{END}\n"
            "in its Performance section, then run recbook-readme."
        )
    fresh = block(notebooks_dir)
    if fresh == held:
        return False
    readme.write_text(text.replace(held, fresh), encoding="utf-8")
    return True


UNUSABLE = 2
"""Exit code of ``recbook-readme`` when an input cannot be used (a damaged
``benchmark.json``, a stored notebook that is not one, a figure that is not finite);
``--check`` exits 1 for a stale block."""


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``recbook-readme``).

    An input that cannot be used is reported on one line that names the file and
    what to do, and ends with :data:`UNUSABLE`; the README is left as it was.
    """
    parser = argparse.ArgumentParser(
        prog="recbook-readme",
        description="Rewrite the README's performance block from the stored runs.",
    )
    parser.add_argument("--readme", type=Path, default=README)
    parser.add_argument("--notebooks-dir", type=Path, default=runner.NOTEBOOKS_DIR)
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 if the README's block differs from the stored runs",
    )
    args = parser.parse_args(argv)
    try:
        return _check(args) if args.check else _update(args)
    except (OSError, ValueError) as error:
        print(f"recbook-readme: {error}", file=sys.stderr)
        return UNUSABLE


def _check(args: argparse.Namespace) -> int:
    held = current(args.readme.read_text(encoding="utf-8"))
    if held != block(args.notebooks_dir):
        print(f"{args.readme}: the performance block is stale; run recbook-readme.")
        return 1
    print(f"{args.readme}: the performance block matches the stored runs.")
    return 0


def _update(args: argparse.Namespace) -> int:
    changed = update(args.readme, args.notebooks_dir)
    print(
        f"{args.readme}: performance block {'rewritten' if changed else 'up to date'}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
