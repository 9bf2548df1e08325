"""Helpers for the notebook book "Deep recommender models with Keras".

Importing ``recbook`` before Keras selects the JAX backend (several times
faster than the TensorFlow backend for the book's models on CPU; chapter 3
measures it) unless ``KERAS_BACKEND`` already names another, and pins the CPU
settings XLA's figures depend on (:mod:`recbook.reproducibility`), and keeps XLA's
compiled programs on disk (:mod:`recbook.compile_cache`). TensorFlow
stays for ``tf.data``, TensorFlow Datasets and ``keras.utils.FeatureSpace``.

The modules are listed, by layer, in the README's "Layout" section.
"""

import importlib.util
import os
import sys

from . import compile_cache
from .reproducibility import pin_cpu_settings

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
pin_cpu_settings()
compile_cache.enable()


def _import_tensorflow_quietly() -> None:
    """In a notebook kernel, import TensorFlow with its C++ start-up notices muted.

    TensorFlow 2.21 writes its oneDNN and CPU-feature notices to file descriptor 2
    before its logging is set up, where neither ``TF_CPP_MIN_LOG_LEVEL`` nor absl's
    settings reach them; a kernel captures that descriptor, so they would land on the
    page as stderr. Import errors still raise as usual.
    """
    if "tensorflow" in sys.modules or importlib.util.find_spec("tensorflow") is None:
        return
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


if "ipykernel" in sys.modules:
    _import_tensorflow_quietly()

__version__ = "0.1.0"
