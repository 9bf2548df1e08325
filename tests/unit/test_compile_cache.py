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


SIZES = (1, 2, 3, 5, 8, 13, 20, 30, 45, 70)
"""Unrolled steps of :data:`QUICK_PROGRAMS`' programs, compiled in turn until two have
taken :data:`QUICK` seconds or one longer: 5 steps compile in about 0.15 s, 20 in
0.4 s on the book's 2-core machine (as the book's small training steps), more on a
busy one."""
QUICK = (0.2, 0.9)
"""Compile times well under JAX's default minimum of 1 s, and twice the book's
(:data:`recbook.compile_cache.MIN_COMPILE_SECONDS`) or more."""


QUICK_PROGRAMS = """
import json, os, sys
from pathlib import Path
import recbook  # enables the cache before JAX starts, as in a chapter, settings untouched
import jax, jax.numpy as jnp, numpy as np

BACKEND_COMPILE = "/jax/core/compile/backend_compile_duration"
seconds = []
jax.monitoring.register_event_duration_secs_listener(
    lambda event, duration, **_: seconds.append(duration) if event == BACKEND_COMPILE else 0
)
folder = Path(os.environ["RECBOOK_COMPILE_CACHE"])
low, high = json.loads(sys.argv[2])
programs = []
for size in json.loads(sys.argv[1]):

    def step(w, x, size=size):
        for i in range(size):
            w = w - 0.01 * jnp.tanh(x @ w + i).sum(axis=0, keepdims=True).T * w
        return w

    step.__name__ = f"step_{size}"
    w, x = np.ones((64, 1), np.float32), np.ones((128, 64), np.float32)
    jax.jit(step)(w, x).block_until_ready()
    written = any(p.name.startswith(f"jit_step_{size}-") for p in folder.iterdir())
    programs.append({"size": size, "seconds": seconds[-1], "written": written})
    if seconds[-1] >= high or sum(low <= s < high for s in seconds) >= 2:
        break
minimum = jax.config.jax_persistent_cache_min_compile_time_secs
print(json.dumps({"minimum": minimum, "programs": programs}))
"""


def test_a_program_compiling_well_under_a_second_is_written_to_the_cache(tmp_path):
    """JAX writes only programs that took at least its minimum to compile; at its
    default of 1 s, none of the book's steps would ever be cached."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("JAX_COMPILATION_CACHE", "JAX_PERSISTENT_CACHE"))
    }
    env[compile_cache.ENV] = str(tmp_path / "cache")
    done = subprocess.run(
        [sys.executable, "-c", QUICK_PROGRAMS, json.dumps(SIZES), json.dumps(QUICK)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["minimum"] == compile_cache.MIN_COMPILE_SECONDS  # JAX got the setting
    quick = [p for p in found["programs"] if QUICK[0] <= p["seconds"] < QUICK[1]]
    assert quick, f"no program compiled in {QUICK[0]} to {QUICK[1]} s: {found}"
    assert all(p["written"] for p in quick), (
        f"programs that compiled in well under a second were not cached: {quick} "
        f"(minimum compile time {found['minimum']} s)"
    )
