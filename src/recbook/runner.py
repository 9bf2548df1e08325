"""Execute the book's chapters with papermill, and prepare their nbval copies.

Each chapter is a Jupytext pair in ``notebooks/``: ``NN_name.py`` (py:percent,
the source) and ``NN_name.ipynb`` (the executed outputs the site shows). The
runner executes the source and, only when the whole run succeeded, replaces
the stored ``.ipynb`` in one atomic step. A failed run leaves the stored
notebook untouched and keeps its partial output in ``build/failed/`` to read.

Quick runs inject the chapter's quick parameters (the notebook metadata
``recbook.quick_parameters``, set in the ``.py`` header) into the cell tagged
``parameters`` and write to ``build/quick/``, never over the stored outputs.

Command line: ``recbook-run [--quick] [--list] [NAME ...]``; run
``recbook-run --help`` for the rest.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

NOTEBOOKS_DIR = Path("notebooks")
QUICK_DIR = Path("build/quick")
FAILED_DIR = Path("build/failed")
NBVAL_DIR = Path("build/nbval")
VOLATILE_METADATA = ("papermill", "execution")
RUN_METADATA = "recbook_run"
"""Notebook metadata key where :func:`execute` stores how long the run took, and on how many cores."""


class ChapterError(RuntimeError):
    """A chapter could not be found or executed."""


RESULTS_PAGE = "05_results"
"""The page that reads every other chapter's stored figures: executed after them."""


def chapters(notebooks_dir: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The chapter sources (``NN_name.py``) by number, the results page last (it reads the others)."""
    found = sorted(notebooks_dir.glob("[0-9][0-9]_*.py"), key=lambda p: (p.stem == RESULTS_PAGE, p.stem))
    if not found:
        raise ChapterError(f"No chapters (NN_name.py) in {notebooks_dir.resolve()}.")
    return found


def find_chapters(names: list[str], notebooks_dir: Path = NOTEBOOKS_DIR) -> list[Path]:
    """Resolve chapter names ("01", "movielens_data", "01_movielens_data") to sources.

    No names means every chapter.
    """
    every = chapters(notebooks_dir)
    if not names:
        return every
    selected = []
    for name in names:
        stem = Path(name).stem
        matches = [p for p in every if stem in (p.stem, p.stem[:2], p.stem[3:])]
        if len(matches) != 1:
            known = ", ".join(p.stem for p in every)
            raise ChapterError(f"No single chapter is called {name!r}; the chapters are: {known}.")
        selected.append(matches[0])
    return selected


def quick_parameters(notebook: Any) -> dict[str, Any]:
    """The chapter's quick parameters, from its notebook metadata."""
    return dict(notebook.metadata.get("recbook", {}).get("quick_parameters", {}))


def strip_volatile(notebook: Any) -> Any:
    """Drop papermill's timings and run details, which change on every run."""
    for key in VOLATILE_METADATA:
        notebook.metadata.pop(key, None)
    for cell in notebook.cells:
        for key in VOLATILE_METADATA:
            cell.metadata.pop(key, None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
    return notebook


def write_atomically(notebook: Any, target: Path) -> None:
    """Write a notebook so that ``target`` is either the old file or the whole new one."""
    import nbformat

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".ipynb", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            nbformat.write(notebook, handle)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def execute(source: Path, quick: bool = False, output_dir: Path | None = None,
            parameters: dict[str, Any] | None = None) -> Path:
    """Execute one chapter and store its executed notebook; return where it went.

    Args:
        source: the chapter's ``.py`` source.
        quick: inject the quick parameters (for tests) instead of running as written.
        output_dir: where the executed notebook goes; by default beside the
            source for a full run, ``build/quick`` for a quick one.
        parameters: more parameters to inject (over the quick ones), for tests
            of other settings (for example one device); give an ``output_dir``
            with them, so that the stored notebook is not replaced.

    Raises:
        ChapterError: the execution failed (the partial notebook is kept in
            ``build/failed/`` and the stored one is left as it was).
    """
    import jupytext
    import papermill

    notebook = jupytext.read(source)
    injected = {**(quick_parameters(notebook) if quick else {}), **(parameters or {})}
    parameters = injected or None
    if output_dir is None:
        output_dir = QUICK_DIR if quick else source.parent
    target = output_dir / f"{source.stem}.ipynb"
    failed = FAILED_DIR / target.name
    failed.parent.mkdir(parents=True, exist_ok=True)
    tic = time.perf_counter()
    try:
        executed = papermill.execute_notebook(
            notebook,
            str(failed),
            parameters=parameters,
            cwd=str(source.parent),
            progress_bar=sys.stderr.isatty(),
            report_mode=False,
        )
    except papermill.PapermillExecutionError as error:
        raise ChapterError(
            f"{source.name} failed in cell {error.exec_count} ({error.ename}: {error.evalue}). "
            f"Its partial output is in {failed}; {target} was left as it was."
        ) from error
    executed = strip_volatile(executed)
    executed.metadata[RUN_METADATA] = {"seconds": round(time.perf_counter() - tic, 1), "quick": quick,
                                       "cpus": os.cpu_count()}
    write_atomically(executed, target)
    failed.unlink(missing_ok=True)
    return target


def run_details(notebook: Path) -> dict[str, Any] | None:
    """How long the stored run of an executed notebook took (seconds, quick, cpus), if recorded."""
    import json

    return json.loads(notebook.read_text(encoding="utf-8"))["metadata"].get(RUN_METADATA)


def prepare_nbval(notebooks_dir: Path = NOTEBOOKS_DIR, output_dir: Path = NBVAL_DIR) -> list[Path]:
    """Copy every stored notebook, outputs kept, with its quick parameters injected.

    ``pytest --nbval-lax`` on the copies re-executes each chapter cheaply and
    compares the cells tagged ``nbval-check-output`` (counts, vocabulary sizes,
    parameter totals: outputs that do not depend on the training budget) with
    the outputs stored by the full run.
    """
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    written = []
    for source in chapters(notebooks_dir):
        stored = source.with_suffix(".ipynb")
        if not stored.exists():
            raise ChapterError(f"{source.name} has no executed {stored.name}: run recbook-run {source.stem}.")
        notebook = load_notebook_node(str(stored))  # with the metadata papermill expects
        parameters = quick_parameters(notebook)
        if parameters:
            notebook = parameterize_notebook(notebook, parameters, report_mode=False)
        target = output_dir / stored.name
        write_atomically(strip_volatile(notebook), target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``recbook-run``)."""
    from . import results

    parser = argparse.ArgumentParser(
        prog="recbook-run",
        description="Execute the book's chapters and store their outputs "
        "(a failed run leaves the stored notebook untouched).",
    )
    parser.add_argument("names", nargs="*", help="chapters to run (default: all), e.g. 01 or movielens_data")
    parser.add_argument("--quick", action="store_true", help=f"quick parameters, written to {QUICK_DIR}/")
    parser.add_argument("--output-dir", type=Path, help="where to write the executed notebooks")
    parser.add_argument("--notebooks-dir", type=Path, default=NOTEBOOKS_DIR)
    parser.add_argument("--list", action="store_true", help="list the chapters and their quick parameters")
    parser.add_argument("--prepare-nbval", action="store_true", help=f"write nbval copies to {NBVAL_DIR}/")
    args = parser.parse_args(argv)

    try:
        if args.prepare_nbval:
            for path in prepare_nbval(args.notebooks_dir, args.output_dir or NBVAL_DIR):
                print(f"nbval copy: {path}")
            return 0
        selected = find_chapters(args.names, args.notebooks_dir)
        if args.list:
            import jupytext

            for source in selected:
                print(f"{source.stem}: quick {quick_parameters(jupytext.read(source))}")
            return 0
        started = time.perf_counter()
        for index, source in enumerate(selected, 1):
            mode = "quick" if args.quick else "full"
            print(f"[{index}/{len(selected)}] {source.stem} ({mode}) ...", flush=True)
            tic = time.perf_counter()
            target = execute(source, quick=args.quick, output_dir=args.output_dir)
            print(f"    wrote {target} in {time.perf_counter() - tic:.1f} s", flush=True)
            for name, value in results.read(target).items():
                print(f"    {name} = {value}")
        print(f"done: {len(selected)} chapter(s) in {time.perf_counter() - started:.1f} s")
    except ChapterError as error:
        print(f"recbook-run: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
