"""Time one training run under the JAX and the TensorFlow backends, on the same data.

Keras picks its backend once per process, so each backend trains in a child
process (``python -m recbook.backend_timing``) that prints its result as JSON. Two
models: the one-layer retrieval towers (the child reads the prepared split and
candidate set from a ``.npz`` file) and the memory-efficient-embeddings
chapter's baseline rating model (the child loads MovieLens-1M itself).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

BACKENDS = ("jax", "tensorflow")


def save_problem(
    path: Path,
    train: tuple[dict, np.ndarray],
    test: tuple[dict, np.ndarray],
    vocab: object,
    candidates: object,
) -> None:
    """Write a retrieval split, table sizes and candidate set to one ``.npz`` file."""
    import keras

    arrays = {f"train/{k}": v for k, v in train[0].items()} | {
        f"test/{k}": v for k, v in test[0].items()
    }
    arrays |= {
        f"candidates/{k}": keras.ops.convert_to_numpy(v)
        for k, v in candidates.tensors.items()
    }
    meta = {
        "vocab": asdict(vocab),
        "genres_count": candidates.genres_count,
        "max_genres": candidates.max_genres,
    }
    np.savez(
        path,
        train_labels=train[1],
        test_labels=test[1],
        meta=json.dumps(meta),
        **arrays,
    )


def load_problem(
    path: Path,
) -> tuple[tuple[dict, np.ndarray], tuple[dict, np.ndarray], object, object]:
    """Read what :func:`save_problem` wrote, as tensors of the current Keras backend."""
    import keras

    from .features import Candidates
    from .retrieval import Vocabularies

    with np.load(path) as stored:
        meta = json.loads(str(stored["meta"]))
        part = {
            prefix: {
                k.split("/", 1)[1]: stored[k]
                for k in stored.files
                if k.startswith(prefix + "/")
            }
            for prefix in ("train", "test", "candidates")
        }
        train, test = (
            (part["train"], stored["train_labels"]),
            (part["test"], stored["test_labels"]),
        )
    candidates = Candidates(
        tensors={
            k: keras.ops.convert_to_tensor(v) for k, v in part["candidates"].items()
        },
        genres_count=meta["genres_count"],
        max_genres=meta["max_genres"],
    )
    return train, test, Vocabularies(**meta["vocab"]), candidates


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
    epochs: int = 30,
    seed: int = 0,
    k: int = 100,
) -> dict:
    """Train the retrieval towers on a saved problem with ``backend``: fit ``seconds`` and final top-k accuracy."""
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


def compare_rating_backends(epochs: int = 3, seed: int = 0) -> dict[str, dict]:
    """The rating baseline (full tables, MovieLens-1M, the chapter's 3 epochs) once per backend.

    ``ratio`` = TensorFlow / JAX seconds.
    """
    runs = {
        backend: _run_child(
            backend, ["rating", "--epochs", str(epochs), "--seed", str(seed)]
        )
        for backend in BACKENDS
    }
    return {**runs, "ratio": runs["tensorflow"]["seconds"] / runs["jax"]["seconds"]}


def compare_backends(
    train: tuple[dict, np.ndarray],
    test: tuple[dict, np.ndarray],
    vocab: object,
    candidates: object,
    layer_sizes: Sequence[int] = (32,),
    epochs: int = 30,
    seed: int = 0,
    k: int = 100,
) -> dict[str, dict]:
    """One run per backend on the same data, one after the other; ``ratio`` = TensorFlow / JAX seconds."""
    with tempfile.TemporaryDirectory() as folder:
        problem = Path(folder) / "problem.npz"
        save_problem(problem, train, test, vocab, candidates)
        runs = {
            backend: time_backend(backend, problem, layer_sizes, epochs, seed, k)
            for backend in BACKENDS
        }
    return {**runs, "ratio": runs["tensorflow"]["seconds"] / runs["jax"]["seconds"]}


def main(argv: list[str] | None = None) -> int:
    """Child process: train one model with the current backend and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    models = parser.add_subparsers(dest="model", required=True)
    towers = models.add_parser(
        "retrieval", help="the retrieval towers on a saved problem"
    )
    towers.add_argument("problem", type=Path)
    towers.add_argument("--layers", type=int, nargs="+", default=[32])
    towers.add_argument("--k", type=int, default=100)
    rating = models.add_parser(
        "rating", help="the baseline rating model on MovieLens-1M"
    )
    rating.add_argument("--variant", default="1m")
    for sub in (towers, rating):
        sub.add_argument("--epochs", type=int, default=30 if sub is towers else 3)
        sub.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import keras

    if args.model == "retrieval":
        from . import retrieval

        train, test, vocab, candidates = load_problem(args.problem)
        run = retrieval.train(
            lambda: retrieval.RetrievalModel(
                tuple(args.layers), vocab, candidates, k=args.k
            ),
            train,
            test,
            seed=args.seed,
            epochs=args.epochs,
        )
        result = {"seconds": run.seconds, "accuracy": run.final}
    else:
        from . import data, rating_models

        split = rating_models.split_ratings(data.load_ratings(args.variant))
        run = rating_models.fit_rating_model(
            lambda: rating_models.rating_model(*rating_models.full_layers(split)),
            split,
            args.seed,
            epochs=args.epochs,
        )
        result = {"seconds": run.seconds, "mae": run.mae}
    print(json.dumps({"backend": keras.backend.backend(), **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
