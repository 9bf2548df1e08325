"""The book's performance figures, measured on the machine it runs on (``recbook-benchmark``).

Prints, with the machine's description:

* the wall time of executing each chapter with full parameters, and of the
  whole book (by default the chapters are executed again, into a temporary
  folder; ``--stored`` reports the times ``recbook-run`` recorded in the stored
  notebooks instead);
* the time to render the site from the stored outputs (``jupyter-book build``);
* the JAX vs. TensorFlow backend training-time ratio of the one-layer
  retrieval model and of the baseline rating model (MovieLens-1M), each as its
  chapter trains it (the chapter's data and epochs), each backend in its own
  process, one after the other;

and whether each meets the book's target. Not a test: figures, not verdicts,
are what a slower or busier machine changes.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"book_seconds": 600.0, "site_seconds": 60.0, "jax_speedup": 2.5}
"""The book executed in at most 10 minutes, the site rendered in at most 60 s, JAX at
least 2.5x faster than TensorFlow."""


def machine() -> str:
    """One line: CPU model, cores, OS and the versions that set the speed."""
    import keras

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, Keras {keras.__version__}"
    )


def chapter_times(notebooks_dir: Path, stored: bool) -> dict[str, float | None]:
    """Seconds per chapter: executed now (into a temporary folder), or as stored.

    With ``stored``, the times ``recbook-run`` recorded in the stored full runs
    (``None`` for a chapter whose stored run was quick or has no record).
    """
    from . import runner

    times: dict[str, float | None] = {}
    for source in runner.chapters(notebooks_dir):
        if stored:
            details = runner.run_details(source.with_suffix(".ipynb"))
            times[source.stem] = (
                details["seconds"] if details and not details["quick"] else None
            )
            continue
        with tempfile.TemporaryDirectory() as folder:
            tic = time.perf_counter()
            runner.execute(source, output_dir=Path(folder))
            times[source.stem] = time.perf_counter() - tic
        print(f"  {source.stem}: {times[source.stem]:.0f} s", flush=True)
    return times


def site_seconds(book_dir: Path) -> float:
    """Wall time of ``jupyter-book build`` from the stored outputs into a temporary folder."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    with tempfile.TemporaryDirectory() as folder:
        tic = time.perf_counter()
        subprocess.run(
            [
                str(jupyter_book),
                "build",
                str(book_dir),
                "--path-output",
                folder,
                "--warningiserror",
                "--keep-going",
            ],
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - tic


def retrieval_backends() -> dict:
    """The one-layer retrieval towers, once per backend on the chapter's problem."""
    from . import backend_timing, features

    return backend_timing.compare_backends(features.retrieval_problem())


def verdict(name: str, value: float | None) -> str:
    if value is None:
        return "not measured"
    target = TARGETS[name]
    met = value >= target if name == "jax_speedup" else value <= target
    sign = ">=" if name == "jax_speedup" else "<="
    return f"{'met' if met else 'NOT met'} (target {sign} {target:g})"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``recbook-benchmark``)."""
    from . import backend_timing, rating_models, retrieval

    parser = argparse.ArgumentParser(
        prog="recbook-benchmark",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--stored",
        action="store_true",
        help="report the chapter times recorded by the last recbook-run "
        "instead of re-executing",
    )
    parser.add_argument("--book-dir", type=Path, default=Path("."))
    parser.add_argument(
        "--skip-backends", action="store_true", help="do not time the two backends"
    )
    args = parser.parse_args(argv)

    print(f"machine: {machine()}", flush=True)
    print(
        "executing the chapters ..."
        if not args.stored
        else "chapter times recorded by recbook-run:",
        flush=True,
    )
    times = chapter_times(args.book_dir / "notebooks", stored=args.stored)
    book = None if None in times.values() else sum(times.values())
    site = site_seconds(args.book_dir)
    lines = ["| measure | figure | target |", "|---|---|---|"]
    for chapter, seconds in times.items():
        figure = "not recorded" if seconds is None else f"{seconds:.0f} s"
        lines.append(f"| execute {chapter} | {figure} | |")
    lines.append(
        f"| execute the whole book | {'n/a' if book is None else f'{book:.0f} s'} | "
        f"{verdict('book_seconds', book)} |"
    )
    lines.append(
        f"| render the site from stored outputs | {site:.1f} s | "
        f"{verdict('site_seconds', site)} |"
    )
    if not args.skip_backends:
        print("timing the backends ...", flush=True)
        for label, result in (
            (
                f"retrieval towers (32,), {retrieval.EPOCHS} epochs",
                retrieval_backends(),
            ),
            (
                f"rating baseline, {rating_models.EPOCHS} epochs of MovieLens-1M",
                backend_timing.compare_rating_backends(),
            ),
        ):
            lines.append(
                f"| {label}: JAX {result['jax']['seconds']:.1f} s, TensorFlow "
                f"{result['tensorflow']['seconds']:.1f} s | "
                f"{result['ratio']:.2f}x faster with JAX | "
                f"{verdict('jax_speedup', result['ratio'])} |"
            )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
