"""Time one training run under the JAX and the TensorFlow backends, on the same data.

Keras picks its backend once per process, so each backend trains in a child
process (``python -m recbook.backend_timing``) that prints its result as JSON. Two
models: the one-layer retrieval towers (the child loads the parent's
:class:`recbook.features.RetrievalProblem` from a ``.npz`` file) and the
memory-efficient-embeddings chapter's baseline rating model (the child loads
MovieLens-1M and splits it with the chapter's seed itself). Both train for
their chapter's epochs (:data:`recbook.towers.EPOCHS`,
:data:`recbook.rating_models.EPOCHS`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from . import rating_models, towers
from .features import RetrievalProblem

BACKENDS = ("jax", "tensorflow")


def _run_child(backend: str, arguments: list[str]) -> dict:
    """Run ``python -m recbook.backend_timing ARGUMENTS`` with ``backend``; its JSON result.

    Raises:
        ValueError: unknown backend.
        RuntimeError: the child process failed (its stderr is in the message).
    """
    if backend not in BACKENDS:
        raise ValueError(
            f"Unknown backend {backend!r}; use one of {', '.join(BACKENDS)}."
        )
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-m", "recbook.backend_timing", *arguments],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"Training with the {backend} backend failed:\n{done.stderr[-3000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def time_backend(
    backend: str,
    problem: Path,
    layer_sizes: Sequence[int] = (32,),
    epochs: int = towers.EPOCHS,
    seed: int = 0,
    k: int = 100,
) -> dict:
    """Train the retrieval towers on a saved problem with ``backend``.

    Returns the fit's ``seconds`` and the final top-k ``accuracy``.
    """
    return _run_child(
        backend,
        [
            "retrieval",
            str(problem),
            "--epochs",
            str(epochs),
            "--seed",
            str(seed),
            "--k",
            str(k),
            "--layers",
            *map(str, layer_sizes),
        ],
    )


def _with_ratio(runs: dict[str, dict]) -> dict[str, dict]:
    """The runs by backend, and ``ratio`` = TensorFlow / JAX seconds."""
    return {**runs, "ratio": runs["tensorflow"]["seconds"] / runs["jax"]["seconds"]}


def compare_rating_backends(
    epochs: int = rating_models.EPOCHS, seed: int = 0
) -> dict[str, dict]:
    """The rating baseline (full tables, MovieLens-1M, the chapter's epochs) once per backend.

    ``ratio`` = TensorFlow / JAX seconds.
    """
    return _with_ratio(
        {
            backend: _run_child(
                backend, ["rating", "--epochs", str(epochs), "--seed", str(seed)]
            )
            for backend in BACKENDS
        }
    )


def compare_backends(
    problem: RetrievalProblem,
    layer_sizes: Sequence[int] = (32,),
    epochs: int = towers.EPOCHS,
    seed: int = 0,
    k: int = 100,
) -> dict[str, dict]:
    """The retrieval towers once per backend on the same problem, one after the other.

    ``ratio`` = TensorFlow / JAX seconds.
    """
    with tempfile.TemporaryDirectory() as folder:
        saved = Path(folder) / "problem.npz"
        problem.save(saved)
        return _with_ratio(
            {
                backend: time_backend(backend, saved, layer_sizes, epochs, seed, k)
                for backend in BACKENDS
            }
        )


def main(argv: list[str] | None = None) -> int:
    """Child process: train one model with the current backend and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    models = parser.add_subparsers(dest="model", required=True)
    retrieval = models.add_parser(
        "retrieval", help="the retrieval towers on a saved problem"
    )
    retrieval.add_argument("problem", type=Path)
    retrieval.add_argument("--layers", type=int, nargs="+", default=[32])
    retrieval.add_argument("--k", type=int, default=100)
    retrieval.add_argument("--epochs", type=int, default=towers.EPOCHS)
    rating = models.add_parser(
        "rating", help="the baseline rating model on MovieLens-1M"
    )
    rating.add_argument("--variant", default="1m")
    rating.add_argument("--epochs", type=int, default=rating_models.EPOCHS)
    for sub in (retrieval, rating):
        sub.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import keras

    if args.model == "retrieval":
        problem = RetrievalProblem.load(args.problem)
        run = towers.fit(
            lambda: towers.RetrievalModel(
                tuple(args.layers), problem.vocab, problem.candidates, k=args.k
            ),
            problem,
            seed=args.seed,
            epochs=args.epochs,
        )
        result = {"seconds": run.seconds, "accuracy": run.metrics["accuracy"]}
    else:
        from . import data

        split = rating_models.split_ratings(
            data.load_ratings(args.variant), seed=rating_models.SPLIT_SEED
        )
        run = rating_models.fit(
            lambda: rating_models.rating_model(*rating_models.full_layers(split)),
            split,
            args.seed,
            epochs=args.epochs,
        )
        result = {"seconds": run.seconds, "mae": run.metrics["mae"]}
    print(json.dumps({"backend": keras.backend.backend(), **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
