"""The book's performance against what this machine allows (``recbook-benchmark``).

One run measures, side by side:

* the machine's floors (:mod:`recbook_tools.floor`): a triad's bandwidth on 1 and 2
  threads over arrays far larger than the caches, and float32 matmul peak;
* each of the book's training loops (:data:`LOOPS`), built as its chapter builds
  it: the compiled step's FLOPs, bytes accessed and working set, the triad's
  bandwidth at that working-set size, the step's floor, the compiled step's
  measured time, Keras's ``fit`` per step (with the chapter's steps per call and
  with one), what a new model's first step costs (tracing and compiling) without
  and with the compilation cache (:mod:`recbook.compile_cache`), and one
  evaluation of the chapter's validation split;
* the data preparation every chapter process pays (chapter 3's FeatureSpace,
  chapter 6's split of MovieLens-1M);
* the JAX vs. TensorFlow training-time ratio of the one-layer retrieval towers
  and of the baseline rating model, :data:`BACKEND_RUNS` runs of each backend, as
  a median and a sample standard deviation;
* the whole book's wall time (each chapter's stored full run, or executed again
  with ``--execute``) and the site's rendering time;
* a rounding fingerprint (:func:`fingerprint`) with the book's CPU settings and with
  YNNPACK's fusions off: two machines whose fingerprints agree round the softmax's
  operations alike;

against :data:`TARGETS`. It writes everything to :data:`RESULTS` (atomically; that
it can is checked before measuring, :func:`check_output`) and prints :func:`report`,
which the README shows, generated from that file by ``recbook-readme`` (:func:`read`
refuses a damaged file, or a figure that is missing, not finite or 0). Not a test: a
slower or busier machine changes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TARGETS = {
    "book_seconds": 1200.0,
    "site_seconds": 60.0,
    "jax_speedup": 2.5,
    "floor_ratio": 2.0,
}
"""The book executed in at most 20 minutes, the site rendered in at most 60 s, JAX at
least 2.5x faster than TensorFlow, every training loop at most 2x its floor."""

RESULTS = Path("benchmark.json")
"""Where ``recbook-benchmark`` writes its figures (the README's table comes from here)."""

DRAM_BYTES = 1 << 30
"""The triad's arrays for main memory: 1 GiB together, far beyond any L3 here."""
BACKEND_RUNS = 3
THREADS = (1, 2)

LOOPS = {
    "mse_towers": "chapter 3: MSE towers 64-32, batch 1,000, Adagrad",
    "softmax_towers": "chapter 4: in-batch softmax with log Q, towers 64-32, batch 1,000",
    "rating_full": "chapter 6: full tables (dimension 64), batch 128, Adam",
    "rating_qr_md": "chapter 6: QR users + MD movies (the recipe), batch 128, Adam",
}
"""The book's training loops the benchmark measures, by key: what each one is."""


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
    from . import notebook_records, runner

    times: dict[str, float | None] = {}
    for source in runner.chapters(notebooks_dir):
        if stored:
            details = notebook_records.run_details(source.with_suffix(".ipynb"))
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


def verdict(name: str, value: float | None) -> str:
    """``"met (target <= 1200)"``, ``"NOT met (...)"`` or ``"not measured"``."""
    if value is None:
        return "not measured"
    target = TARGETS[name]
    met = value >= target if name == "jax_speedup" else value <= target
    sign = ">=" if name == "jax_speedup" else "<="
    return f"{'met' if met else 'NOT met'} (target {sign} {target:g})"


def machine_floors() -> dict[str, Any]:
    """Main-memory triad bandwidth per thread count, and the matmul peak."""
    from . import floor

    return {
        "dram_bytes": DRAM_BYTES,
        "dram_bandwidth": {
            str(t): floor.triad_bandwidth(DRAM_BYTES, t, repeats=5) for t in THREADS
        },
        "matmul_peak": floor.matmul_peak(),
    }


def _without_compile_cache(work: Callable[[], Any]) -> Any:
    """``work()`` with JAX's persistent compilation cache off."""
    import jax

    was = jax.config.jax_enable_compilation_cache
    jax.config.update("jax_enable_compilation_cache", False)
    jax.clear_caches()  # and none of the executables this process compiled before
    try:
        return work()
    finally:
        jax.config.update("jax_enable_compilation_cache", was)


def _fit_seconds_per_step(model: Any, fit: dict, steps: int) -> float:
    """Keras's ``fit`` per step, after one warming ``fit`` of the same data."""
    model.fit(**fit, verbose=0)
    tic = time.perf_counter()
    model.fit(**fit, verbose=0)
    return (time.perf_counter() - tic) / steps


def measure_loop(
    make: Callable[[int | None], Any],
    batch: tuple,
    fit: dict,
    steps: int,
    evaluate: Callable[[Any], Any],
    peak: float,
) -> dict[str, Any]:
    """One training loop against its floor (see the module docstring).

    ``make(steps_per_execution)`` builds the chapter's model, seeded and compiled
    (``None``: the chapter's steps per call); ``batch`` is one ``(x, y)`` step's
    worth; ``fit`` the keyword arguments of a ``fit`` of ``steps`` steps;
    ``evaluate(model)`` scores the chapter's validation split.
    """
    from . import floor

    floor.train_step(make(None), batch)  # puts the program in the compilation cache
    cold = _without_compile_cache(lambda: floor.train_step(make(None), batch))
    step = floor.train_step(make(None), batch)
    cost = floor.step_cost(step.compiled)
    size = max(cost.working_set_bytes, floor.TRIAD_BYTES_PER_ELEMENT * floor.BLOCK * 2)
    bandwidth = max(floor.triad_bandwidth(size, t) for t in THREADS)
    model = make(None)
    fit_step = _fit_seconds_per_step(model, fit, steps)
    evaluate(model)
    _, evaluation = floor.timed(lambda: evaluate(model))
    return {
        "flops": cost.flops,
        "bytes_accessed": cost.bytes_accessed,
        "working_set_bytes": cost.working_set_bytes,
        "bandwidth": bandwidth,
        "bound": floor.bound(cost, bandwidth, peak),
        "floor_seconds": floor.floor_seconds(cost, bandwidth, peak),
        "step_seconds": floor.seconds_per_step(step),
        "fit_step_seconds": fit_step,
        "fit_step_seconds_one_per_call": _fit_seconds_per_step(make(1), fit, steps),
        "first_fit_seconds_cold": cold.first_fit_seconds,
        "first_fit_seconds_cached": step.first_fit_seconds,
        "evaluation_seconds": evaluation,
    }


def retrieval_loops(peak: float) -> tuple[dict[str, dict], float, Any]:
    """Chapter 3's two loops; the data preparation's seconds; the prepared problem."""
    from recbook import features, featurization, retrieval, towers

    import keras

    from . import floor

    problem, preparation = floor.timed(features.retrieval_problem)
    x, y = problem.train
    size = featurization.BATCH_SIZE
    batch = ({k: v[:size] for k, v in x.items()}, y[:size])
    epochs = 5
    fit = {"x": x, "y": y, "batch_size": size, "epochs": epochs, "shuffle": False}
    steps = epochs * len(y) // size
    probabilities = retrieval.movie_probabilities(
        x["movie_id"], problem.candidates.movies_count
    )

    def maker(objective: str) -> Callable[[int | None], Any]:
        def make(steps_per_execution: int | None) -> Any:
            keras.utils.set_random_seed(0)
            model = towers.RetrievalModel(
                (64, 32),
                problem.vocab,
                problem.candidates,
                objective=objective,
                movie_probabilities=probabilities if objective == "softmax" else None,
            )
            return towers.compile_for_training(model, 0.1, steps_per_execution)

        return make

    def evaluate(model: Any) -> Any:
        return model.evaluate(*problem.test, batch_size=size, verbose=0)

    loops = {
        key: measure_loop(maker(objective), batch, fit, steps, evaluate, peak)
        for key, objective in (("mse_towers", "rating"), ("softmax_towers", "softmax"))
    }
    return loops, preparation, problem


def rating_loops(peak: float) -> tuple[dict[str, dict], float]:
    """Chapter 6's two loops, and the seconds to load and split MovieLens-1M."""
    from recbook import data, rating_models

    import keras

    from . import floor

    split, preparation = floor.timed(
        lambda: rating_models.split_ratings(
            data.load_ratings("1m"), seed=rating_models.SPLIT_SEED
        )
    )
    size, steps = 128, 2048
    rows = slice(0, size * steps)
    x = split.inputs("train", rows)
    y = split.train["rating"][rows]
    batch = ({k: v[:size] for k, v in x.items()}, y[:size])
    fit = {"x": x, "y": y, "batch_size": size, "epochs": 1, "shuffle": True}

    def maker(layers: Callable[[], tuple]) -> Callable[[int | None], Any]:
        def make(steps_per_execution: int | None) -> Any:
            keras.utils.set_random_seed(0)
            model = rating_models.rating_model(*layers())
            return rating_models.compile_for_training(
                model, steps_per_execution=steps_per_execution
            )

        return make

    def evaluate(model: Any) -> Any:
        model.evaluate(
            split.inputs("val"), split.val["rating"], batch_size=4096, verbose=0
        )
        return model.predict(split.inputs("val"), batch_size=4096, verbose=0)

    loops = {
        key: measure_loop(maker(layers), batch, fit, steps, evaluate, peak)
        for key, layers in (
            ("rating_full", lambda: rating_models.full_layers(split)),
            ("rating_qr_md", lambda: rating_models.recipe_layers(split)),
        )
    }
    return loops, preparation


def backend_ratios(problem: Any, runs: int = BACKEND_RUNS) -> dict[str, dict]:
    """TensorFlow / JAX training seconds, ``runs`` times per model (each in its own process)."""
    from recbook import backend_timing

    measured: dict[str, dict] = {}
    for key, compare in (
        ("retrieval", lambda: backend_timing.compare_backends(problem)),
        ("rating", backend_timing.compare_rating_backends),
    ):
        pairs = [compare() for _ in range(runs)]
        measured[key] = {
            "jax_seconds": [p["jax"]["seconds"] for p in pairs],
            "tensorflow_seconds": [p["tensorflow"]["seconds"] for p in pairs],
            "ratios": [p["ratio"] for p in pairs],
        }
        print(f"  {key}: {measured[key]['ratios']}", flush=True)
    return measured


YNN_OFF = "--xla_cpu_experimental_ynn_fusion_type="
"""The XLA flag that keeps dot products and reductions out of YNNPACK's fusions, whose
kernels are chosen from the CPU at run time whatever ``--xla_cpu_max_isa`` says."""

FINGERPRINT_OPERATIONS = (
    "sum of 1,000 x 1,000 rows",
    "1,000 x 32 by 32 x 1,000 product",
    "1,000 x 1,000 by 1,000 x 32 product",
    "log-sum-exp of 1,000 x 1,000 rows",
)
"""The operations :func:`fingerprint` rounds: those of the in-batch softmax's step."""


def fingerprint() -> dict[str, str]:
    """The first 8 hex digits of the SHA-256 of each of :data:`FINGERPRINT_OPERATIONS`'s
    results on fixed random ``float32`` inputs (seed 0), compiled by XLA in this process.

    Two machines whose fingerprints agree round these operations alike.
    """
    import hashlib

    import jax
    import jax.numpy as jnp
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((1000, 1000)).astype(np.float32)
    q = rng.standard_normal((1000, 32)).astype(np.float32)
    c = rng.standard_normal((1000, 32)).astype(np.float32)
    results = (
        jax.jit(lambda a: jnp.sum(a, axis=1))(a),
        jax.jit(lambda q, c: q @ c.T)(q, c),
        jax.jit(lambda a, c: a @ c)(a, c),
        jax.jit(lambda a: jax.nn.logsumexp(a, axis=1))(a),
    )
    return {
        name: hashlib.sha256(np.asarray(r).tobytes()).hexdigest()[:8]
        for name, r in zip(FINGERPRINT_OPERATIONS, results)
    }


def fingerprints() -> dict[str, dict[str, str]]:
    """:func:`fingerprint` in a fresh process with the book's settings, and again with
    YNNPACK's fusions off (:data:`YNN_OFF`)."""
    measured = {}
    for key, extra in (("book settings", ""), ("YNNPACK fusions off", YNN_OFF)):
        flags = " ".join(filter(None, [os.environ.get("XLA_FLAGS", ""), extra]))
        done = subprocess.run(
            [sys.executable, "-m", "recbook_tools.benchmark", "--fingerprint"],
            env={**os.environ, "XLA_FLAGS": flags, "TF_CPP_MIN_LOG_LEVEL": "3"},
            capture_output=True,
            text=True,
            check=True,
        )
        measured[key] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"


def diagnosis(loop: dict[str, Any], peak: float) -> str:
    """One sentence: the loop against its floor, and where the time beyond it goes."""
    target = TARGETS["floor_ratio"]
    floor_s, step, fit = (
        loop["floor_seconds"],
        loop["step_seconds"],
        loop["fit_step_seconds"],
    )
    limit = (
        f"{loop['bytes_accessed'] / 1e6:.1f} MB accessed per step at "
        f"{loop['bandwidth'] / 1e9:.0f} GB/s"
        if loop["bound"] == "memory"
        else f"{loop['flops'] / 1e9:.3f} GFLOP per step at {peak / 1e9:.0f} GFLOP/s"
    )
    said = (
        f"Keras's loop takes {_ms(fit)} a step, {fit / floor_s:.1f}x its floor of "
        f"{_ms(floor_s)} ({loop['bound']}-bound: {limit})"
    )
    if fit < floor_s:
        return (
            said + ": faster than this floor, so the floor is not a bound here. XLA "
            "counts every operand of each fused operation whole (an embedding table a "
            "gather reads a few rows of), and the triad streams less from cache than "
            "XLA's fused loops do; the step moves fewer bytes, or faster, than assumed."
        )
    if fit <= target * floor_s:
        return said + f": within {target:g}x."
    outside = fit - step
    return (
        f"{said}. The compiled step alone takes {_ms(step)} ({step / floor_s:.1f}x); "
        + (
            f"the other {_ms(outside)} of each step are spent outside the compiled "
            "program, in Keras's per-step work (slicing and copying the batch, "
            "dispatching the call)."
            if outside > 0.1 * fit
            else "Keras's loop adds little to it: the time is inside XLA's program."
        )
    )


def spread(values: list[float]) -> str:
    """``"3.31x (sample std 0.05, 3 runs)"``: the median ratio and its spread."""
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return (
        f"{statistics.median(values):.2f}x (sample std {std:.2f}, {len(values)} runs)"
    )


def report(results: dict[str, Any]) -> str:
    """The benchmark's figures as Markdown: the floors, the loops, the data, the book."""
    floors = results["floors"]
    peak = floors["matmul_peak"]
    dram = ", ".join(
        f"{bw / 1e9:.1f} GB/s on {t} thread{'s' if t != '1' else ''}"
        for t, bw in floors["dram_bandwidth"].items()
    )
    lines = [
        f"Measured by `recbook-benchmark` on {results['date'][:10]} ({results['machine']}).",
        "",
        f"The machine: a triad over {floors['dram_bytes'] >> 20:,} MiB streams {dram}; "
        f"a 2,048 x 2,048 float32 `jnp.dot` runs at {peak / 1e9:.0f} GFLOP/s.",
        "",
        "| training loop | GFLOP / step | MB accessed / step | working set | "
        "bandwidth there | floor | compiled step | Keras `fit` / step | "
        "`fit` at 1 step per call | a new model's first step: no cache, cached | "
        "one evaluation |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, loop in results["loops"].items():
        floor_s = loop["floor_seconds"]
        lines.append(
            f"| {LOOPS[key]} | {loop['flops'] / 1e9:.3f} | "
            f"{loop['bytes_accessed'] / 1e6:.1f} | "
            f"{loop['working_set_bytes'] / 1e6:.1f} MB | "
            f"{loop['bandwidth'] / 1e9:.0f} GB/s | {_ms(floor_s)} ({loop['bound']}) | "
            f"{_ms(loop['step_seconds'])} ({loop['step_seconds'] / floor_s:.1f}x) | "
            f"{_ms(loop['fit_step_seconds'])} "
            f"({loop['fit_step_seconds'] / floor_s:.1f}x) | "
            f"{_ms(loop['fit_step_seconds_one_per_call'])} | "
            f"{loop['first_fit_seconds_cold']:.1f} s, "
            f"{loop['first_fit_seconds_cached']:.1f} s | "
            f"{loop['evaluation_seconds']:.2f} s |"
        )
    lines.append("")
    for key, loop in results["loops"].items():
        lines.append(f"- {LOOPS[key]}: {diagnosis(loop, peak)}")
    prep = results["preparation"]
    lines += [
        "",
        f"Preparing the data, once per chapter process: chapter 3's FeatureSpace and "
        f"split {prep['retrieval_seconds']:.0f} s, chapter 6's MovieLens-1M split "
        f"{prep['rating_seconds']:.0f} s.",
    ]
    backends = results.get("backends")
    if backends:
        for key, label in (
            ("retrieval", "the one-layer retrieval towers"),
            ("rating", "the baseline rating model"),
        ):
            ratio = statistics.median(backends[key]["ratios"])
            lines.append("")
            lines.append(
                f"JAX against TensorFlow, {label}: "
                f"{spread(backends[key]['ratios'])} faster with JAX "
                f"({verdict('jax_speedup', ratio)})."
            )
    prints = results.get("fingerprints")
    if prints:
        lines += [
            "",
            "Rounding fingerprint of this machine (`recbook_tools.benchmark.fingerprint`):",
        ]
        for key, hashes in prints.items():
            lines.append(
                f"- {key}: "
                + "; ".join(f"{name} `{digest}`" for name, digest in hashes.items())
            )
    book = results["book"]
    total = book["total_seconds"]
    ratios = [
        loop["fit_step_seconds"] / loop["floor_seconds"]
        for loop in results["loops"].values()
    ]
    lines += [
        "",
        "The whole book: "
        + (
            "not known (a chapter has no full run)"
            if total is None
            else f"{total:.0f} s ({'stored runs' if book['stored'] else 'executed now'})"
        )
        + f", {verdict('book_seconds', total)}; the site renders in "
        f"{results['site_seconds']:.0f} s, {verdict('site_seconds', results['site_seconds'])}.",
    ]
    if total is not None and total > TARGETS["book_seconds"] and ratios:
        lines.append(
            f"Its training loops run at {min(ratios):.1f}x to {max(ratios):.1f}x their "
            "floors, so what the book's time holds beyond the target is the number of "
            "training runs its evidence needs (seeds, sweeps, the tuning grid), their "
            "evaluations and each chapter's data preparation, rather than steps far "
            "from their floors."
        )
    return "\n".join(lines)


def write(results: dict[str, Any], path: Path = RESULTS) -> None:
    """Write the figures as JSON: the old file or the whole new one, never a part."""
    from .runner import write_text_atomically

    write_text_atomically(
        path, lambda handle: handle.write(json.dumps(results, indent=1) + "\n")
    )


LOOP_FIGURES = (
    "flops",
    "bytes_accessed",
    "working_set_bytes",
    "bandwidth",
    "floor_seconds",
    "step_seconds",
    "fit_step_seconds",
    "fit_step_seconds_one_per_call",
    "first_fit_seconds_cold",
    "first_fit_seconds_cached",
    "evaluation_seconds",
)
"""Each training loop's figures in :data:`RESULTS`: every one finite and greater than 0."""
BOUNDS = ("memory", "compute")
"""What a loop's floor can be bound by (:func:`recbook_tools.floor.bound`)."""


class ResultsError(ValueError):
    """:data:`RESULTS` cannot be used: damaged, or not what :func:`write` writes."""


def _entry(results: Any, path: str) -> Any:
    """The value at ``path`` (``"floors.matmul_peak"``) in the figures.

    Raises:
        TypeError: a step of the way is not a JSON object.
        ValueError: the key is missing.
    """
    value, walked = results, []
    for key in path.split("."):
        if not isinstance(value, dict):
            where = ".".join(walked) or "the file"
            raise TypeError(
                f"{where} must be a JSON object holding {key!r}; "
                f"got {type(value).__name__}."
            )
        if key not in value:
            raise ValueError(f"{path} is missing.")
        value, walked = value[key], [*walked, key]
    return value


def _positive_figures(name: str, values: Any) -> None:
    """A non-empty JSON object or list of figures, each finite and greater than 0."""
    from recbook import checks

    if not isinstance(values, (dict, list)) or not values:
        raise TypeError(f"{name} must be a non-empty JSON object or list of figures.")
    items = values.items() if isinstance(values, dict) else enumerate(values)
    for key, value in items:
        checks.positive(f"{name}[{key!r}]", value)


def check_results(results: Any) -> dict[str, Any]:
    """``results`` if it holds every figure :func:`report` shows, each one usable.

    Every measured figure must be finite and greater than 0 (a NaN would be shown
    as "nan ms", a zero floor divides by zero); each loop must be one of
    :data:`LOOPS`, bound by one of :data:`BOUNDS`.

    Raises:
        TypeError: a part of the figures has the wrong type (``[]`` for the whole).
        ValueError: a key is missing, or a figure is not finite, zero or negative.
    """
    from recbook import checks

    for name in ("date", "machine"):
        if not isinstance(_entry(results, name), str):
            raise TypeError(f"{name} must be a string.")
    checks.whole("floors.dram_bytes", _entry(results, "floors.dram_bytes"))
    _positive_figures("floors.dram_bandwidth", _entry(results, "floors.dram_bandwidth"))
    checks.positive("floors.matmul_peak", _entry(results, "floors.matmul_peak"))
    loops = _entry(results, "loops")
    if not isinstance(loops, dict) or not loops:
        raise TypeError("loops must be a non-empty JSON object of training loops.")
    for key in loops:
        if key not in LOOPS:
            raise ValueError(
                f"loops holds {key!r}, not one of the benchmark's loops "
                f"({', '.join(LOOPS)})."
            )
        for figure in LOOP_FIGURES:
            name = f"loops.{key}.{figure}"
            checks.positive(name, _entry(results, name))
        if _entry(results, f"loops.{key}.bound") not in BOUNDS:
            raise ValueError(f"loops.{key}.bound must be one of {', '.join(BOUNDS)}.")
    for name in ("preparation.retrieval_seconds", "preparation.rating_seconds"):
        checks.positive(name, _entry(results, name))
    if results.get("backends") is not None:
        for key in ("retrieval", "rating"):
            name = f"backends.{key}.ratios"
            _positive_figures(name, _entry(results, name))
    if not isinstance(_entry(results, "book.stored"), bool):
        raise TypeError("book.stored must be true or false.")
    if _entry(results, "book.total_seconds") is not None:
        checks.positive("book.total_seconds", results["book"]["total_seconds"])
    checks.positive("site_seconds", _entry(results, "site_seconds"))
    prints = results.get("fingerprints") or {}
    if not isinstance(prints, dict) or not all(
        isinstance(hashes, dict) for hashes in prints.values()
    ):
        raise TypeError("fingerprints must be a JSON object of JSON objects.")
    return results


def check_output(path: Path) -> None:
    """Stop before measuring if :func:`write` could not put the figures at ``path``.

    The measuring takes about 15 minutes; an output that cannot be written would
    lose every figure at the end.

    Raises:
        ValueError: ``path`` is a folder, its folder does not exist, or that
            folder cannot be written (read-only, full); the message names
            ``--output`` and what to give instead.
    """
    from .runner import ChapterError, probe_writable

    if path.is_dir():
        raise ValueError(
            f"--output {path} is a folder: give the path of a file, like "
            f"{path / RESULTS.name}."
        )
    if not path.parent.is_dir():
        raise ValueError(
            f"--output {path}: its folder {path.parent} does not exist (or is not a "
            "folder); create it, or give a path in an existing folder."
        )
    try:
        probe_writable(path.parent, "the folder of --output")
    except ChapterError as error:
        raise ValueError(f"--output {path}: {error}") from None


def read(path: Path = RESULTS) -> dict[str, Any]:
    """The figures :func:`write` wrote, checked (:func:`check_results`).

    Raises:
        FileNotFoundError: there is none; run ``recbook-benchmark``.
        ResultsError: (a ``ValueError``) the file is not UTF-8 JSON (truncated,
            empty, binary, a merge-conflict marker), or its figures are not
            usable (:func:`check_results`); the one-line message names the file
            and how to mend it.
    """
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist: run recbook-benchmark (make benchmark) to measure."
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise _damaged(path, f"not UTF-8 text ({error.reason})") from None
    if not text.strip():
        raise _damaged(path, "the file is empty")
    if any(line.startswith("<<<<<<< ") for line in text.splitlines()):
        raise _damaged(path, "it holds a merge conflict (a line starting <<<<<<<)")
    try:
        results = json.loads(text)
    except json.JSONDecodeError as error:
        raise _damaged(
            path, f"not the JSON recbook-benchmark writes ({error})"
        ) from None
    try:
        return check_results(results)
    except (TypeError, ValueError) as error:
        raise _damaged(path, str(error).rstrip(".")) from None


def _damaged(path: Path, why: str) -> ResultsError:
    return ResultsError(
        f"Cannot use {path}: {why}. Run `make benchmark` again, or restore it with "
        f"`git checkout {path}`."
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``recbook-benchmark``)."""
    parser = argparse.ArgumentParser(
        prog="recbook-benchmark",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--execute",
        action="store_true",
        help="execute every chapter again for the book's time (about 40 minutes) "
        "instead of reading the times recbook-run stored",
    )
    parser.add_argument("--book-dir", type=Path, default=Path("."))
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--skip-backends", action="store_true", help="do not time the two backends"
    )
    parser.add_argument(
        "--fingerprint",
        action="store_true",
        help="print this process's rounding fingerprint as JSON and stop",
    )
    args = parser.parse_args(argv)
    if args.fingerprint:
        print(json.dumps(fingerprint()))
        return 0
    try:
        check_output(args.output)
    except ValueError as error:
        print(f"recbook-benchmark: {error}", file=sys.stderr)
        return 1

    print(f"machine: {machine()}", flush=True)
    print("measuring the machine's floors ...", flush=True)
    floors = machine_floors()
    print("measuring the training loops ...", flush=True)
    retrieval, retrieval_seconds, problem = retrieval_loops(floors["matmul_peak"])
    rating, rating_seconds = rating_loops(floors["matmul_peak"])
    backends = None
    if not args.skip_backends:
        print("timing the backends ...", flush=True)
        backends = backend_ratios(problem)
    times = chapter_times(args.book_dir / "notebooks", stored=not args.execute)
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "floors": floors,
        "loops": {**retrieval, **rating},
        "preparation": {
            "retrieval_seconds": retrieval_seconds,
            "rating_seconds": rating_seconds,
        },
        "backends": backends,
        "book": {
            "stored": not args.execute,
            "chapters": times,
            "total_seconds": None if None in times.values() else sum(times.values()),
        },
        "site_seconds": site_seconds(args.book_dir),
        "fingerprints": fingerprints(),
    }
    write(results, args.output)
    print(report(results))
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
