"""Keep XLA's compiled programs on disk, so that a new model of a known shape starts at once.

Every run of the book builds a new Keras model (one per seed, learning rate and
table layout), and JAX compiles its training and evaluation steps again for each,
which costs about as much as a short training run (``recbook-benchmark`` measures a
new model's first step with and without the cache). The programs are the same
from seed to seed, so JAX's persistent compilation cache finds them by a hash of
the program, the compiler's options (the CPU settings of
:mod:`recbook.reproducibility` among them) and the jaxlib version, and loads the
executable instead of compiling it. A loaded executable is the one the compiler
would have made: figures are unchanged, only the time to the first step shrinks.

:func:`enable` (called when ``recbook`` is imported, standard library only) sets
JAX's own settings through the environment before JAX starts, or through
``jax.config`` when it already has. The folder is ``$RECBOOK_COMPILE_CACHE``,
else ``$XDG_CACHE_HOME/recbook/jax`` (``~/.cache/recbook/jax``); a folder that
cannot be created leaves the cache off. ``RECBOOK_COMPILE_CACHE=0`` turns it off;
a cache folder JAX was already given is kept.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV = "RECBOOK_COMPILE_CACHE"
MIN_COMPILE_SECONDS = 0.1
"""Programs that compile faster than this are not written (JAX's default is 1 s, which
would skip the book's training steps)."""

SETTINGS = {
    "jax_persistent_cache_min_compile_time_secs": MIN_COMPILE_SECONDS,
    "jax_persistent_cache_min_entry_size_bytes": 0,
}
"""JAX's settings besides the folder (``jax_compilation_cache_dir``)."""


def folder() -> Path | None:
    """The cache folder this process uses, or ``None`` when the cache is off."""
    chosen = os.environ.get(ENV, "")
    if chosen == "0":
        return None
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "recbook" / "jax"


def enable() -> Path | None:
    """Point JAX's persistent compilation cache at :func:`folder`; the folder, or ``None``."""
    given = os.environ.get("JAX_COMPILATION_CACHE_DIR")
    path = Path(given) if given else folder()
    if path is None:
        return None
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    values = {"jax_compilation_cache_dir": str(path), **SETTINGS}
    jax = sys.modules.get("jax")
    for name, value in values.items():
        if jax is not None:
            jax.config.update(name, value)
        else:
            os.environ.setdefault(name.upper(), str(value))
    return path
