"""recbook.compile_cache: where the cache lives, and that a cached program computes alike."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from recbook import compile_cache


def test_the_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(compile_cache.ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert compile_cache.folder() == tmp_path / "recbook" / "jax"
    monkeypatch.setenv(compile_cache.ENV, str(tmp_path / "mine"))
    assert compile_cache.folder() == tmp_path / "mine"
    monkeypatch.setenv(compile_cache.ENV, "0")
    assert compile_cache.folder() is None


def test_a_folder_that_cannot_be_made_leaves_the_cache_off(monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR", raising=False)
    monkeypatch.setenv(compile_cache.ENV, str(blocker / "cache"))
    assert compile_cache.enable() is None


PROGRAM = """
import json, sys
import recbook  # enables the cache before JAX starts, as in a chapter
import jax, jax.numpy as jnp, numpy as np

jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)  # write every program
events = []
jax.monitoring.register_event_listener(lambda event, **_: events.append(event))


def step(w, x):
    for _ in range(20):  # a large product and a reduction: what rounding varies in
        w = w - 0.01 * jnp.tanh(x @ w).sum(axis=0, keepdims=True).T * w
    return w


rng = np.random.default_rng(0)
w = rng.standard_normal((256, 1)).astype(np.float32)
x = rng.standard_normal((2000, 256)).astype(np.float32)
out = np.asarray(jax.jit(step)(w, x))
hit = "/jax/compilation_cache/cache_hits" in events
print(json.dumps({"bits": out.tobytes().hex(), "hit": hit}))
"""


def run(cache: str) -> dict:
    """:data:`PROGRAM` in a fresh process with ``RECBOOK_COMPILE_CACHE=cache``."""
    env = {**os.environ, compile_cache.ENV: cache}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_program_loaded_from_the_cache_computes_bit_for_bit_alike(tmp_path):
    folder = tmp_path / "cache"
    first = run(str(folder))  # compiles and writes
    assert not first["hit"] and any(folder.iterdir())
    second = run(str(folder))  # another process loads it
    assert second["hit"]
    assert second["bits"] == first["bits"]
    assert run("0")["bits"] == first["bits"]  # and without the cache
