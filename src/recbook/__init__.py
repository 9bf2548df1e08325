"""Helpers for the notebook book "Deep recommender models with Keras".

Importing ``recbook`` before Keras selects the JAX backend (several times
faster than the TensorFlow backend for the book's models on CPU; chapter 3
measures it) unless ``KERAS_BACKEND`` already names another, and pins the CPU
settings XLA's figures depend on (:mod:`recbook.reproducibility`). TensorFlow
stays for ``tf.data``, TensorFlow Datasets and ``keras.utils.FeatureSpace``.

The modules are listed, by layer, in the README's "Layout" section.
"""

import os

from .reproducibility import pin_cpu_settings

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
pin_cpu_settings()

__version__ = "0.1.0"
