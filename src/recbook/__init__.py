"""Helpers for the notebook book "Deep recommender models with Keras".

Importing ``recbook`` before Keras selects the JAX backend (about 2.8x faster
than the TensorFlow backend for the book's models on CPU) unless
``KERAS_BACKEND`` already names another. TensorFlow stays for ``tf.data``,
TensorFlow Datasets and ``keras.utils.FeatureSpace``.

Modules: ``data`` (MovieLens loading), ``download`` (verified downloads),
``checks`` (argument checks), ``plots`` (labelled figures), ``results``
(recording headline figures), ``runner`` (executing chapters).
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
