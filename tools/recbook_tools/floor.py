"""What the machine allows: memory bandwidth, matmul peak, and a compiled step's floor.

A training step cannot run faster than it takes to move its bytes through the
memory that holds them, nor faster than its arithmetic at the machine's peak:

    floor = max(bytes accessed / bandwidth at the step's working-set size,
                FLOPs / peak FLOP/s)

* :func:`triad_bandwidth`: a STREAM-style triad (``a = b + 3 c`` over float32
  arrays) on 1 or more threads, over arrays of a chosen total size: much larger
  than the caches for main memory, or the size of a step's working set, since a
  step whose tables fit the L3 streams from cache. Counted as STREAM counts: 12
  bytes per element (two reads and a write).
* :func:`matmul_peak`: float32 FLOP/s of a large ``jnp.dot`` under XLA.
* :func:`train_step` and :func:`step_cost`: a Keras model's training step
  compiled by XLA, its FLOPs and bytes accessed (XLA's cost analysis of the
  compiled program) and its working set (arguments, outputs and temporaries of
  the compiled program, from its memory analysis).
* :func:`seconds_per_step`: the compiled step's measured time on one batch.
* :func:`floor_seconds` and :func:`bound`: the floor above and what sets it.

``recbook-benchmark`` (:mod:`recbook_tools.benchmark`) puts these side by side with the
book's training loops.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from recbook import checks, training

import numpy as np

TRIAD_BYTES_PER_ELEMENT = 12
"""STREAM's count for a triad over float32: read ``b`` and ``c``, write ``a``."""
BLOCK = 32_768
"""Elements per block of the triad: the block's temporary (128 KiB) stays in L2."""


PASS_BYTES = 64 << 20
"""Bytes each timed triad moves at least: small arrays are swept several times per
timing, so that starting the threads does not count."""


def _triad_part(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, rows: range, sweeps: int
) -> None:
    scratch = np.empty(BLOCK, dtype=np.float32)
    for _ in range(sweeps):
        for start in rows:
            stop = min(start + BLOCK, rows.stop)
            part = scratch[: stop - start]
            np.multiply(c[start:stop], 3.0, out=part)
            np.add(part, b[start:stop], out=a[start:stop])


def triad_bandwidth(size_bytes: int, threads: int = 1, repeats: int = 10) -> float:
    """Bytes per second of ``a = b + 3 c``, the three float32 arrays ``size_bytes`` together.

    The best of ``repeats`` timings (STREAM's rule: the fastest is the one the machine
    allows), each of enough sweeps over the arrays to move :data:`PASS_BYTES`, each
    sweep split into ``threads`` contiguous parts run at once (NumPy releases the
    GIL), each part in blocks of :data:`BLOCK` elements so that the temporary ``3 c``
    stays in cache and only ``a``, ``b`` and ``c`` stream.

    Raises:
        TypeError, ValueError: ``size_bytes`` is below one block per thread
            (``12 * BLOCK * threads``), or ``threads`` or ``repeats`` is not a whole
            number of at least 1.
    """
    checks.whole("threads", threads)
    checks.whole("repeats", repeats)
    smallest = TRIAD_BYTES_PER_ELEMENT * BLOCK * threads
    checks.whole(
        "size_bytes",
        size_bytes,
        minimum=smallest,
        bound=f"one block of {BLOCK} elements per thread",
    )
    n = size_bytes // TRIAD_BYTES_PER_ELEMENT
    b = np.ones(n, dtype=np.float32)
    c = np.full(n, 2.0, dtype=np.float32)
    a = np.zeros(n, dtype=np.float32)
    edges = np.linspace(0, n, threads + 1).astype(int)
    parts = [range(lo, hi, BLOCK) for lo, hi in zip(edges[:-1], edges[1:])]
    sweeps = max(1, PASS_BYTES // size_bytes)
    best = math.inf
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(repeats + 1):  # the first pass touches the pages
            tic = time.perf_counter()
            list(pool.map(lambda rows: _triad_part(a, b, c, rows, sweeps), parts))
            best = min(best, (time.perf_counter() - tic) / sweeps)
    if not np.all(a[:: max(1, n // 1000)] == 7.0):
        raise RuntimeError("The triad computed a wrong result; its timing is void.")
    return TRIAD_BYTES_PER_ELEMENT * n / best


def matmul_peak(n: int = 2048, repeats: int = 5) -> float:
    """Float32 FLOP/s of an ``n x n`` by ``n x n`` ``jnp.dot`` under XLA (best of ``repeats``).

    Counts ``2 n^3`` FLOPs per product.

    Raises:
        TypeError, ValueError: ``n`` or ``repeats`` is not a whole number of at least 1.
    """
    import jax
    import jax.numpy as jnp

    checks.whole("n", n)
    checks.whole("repeats", repeats)
    x = jnp.asarray(np.random.default_rng(0).standard_normal((n, n)), jnp.float32)
    dot = jax.jit(jnp.dot)
    dot(x, x).block_until_ready()
    best = math.inf
    for _ in range(repeats):
        tic = time.perf_counter()
        dot(x, x).block_until_ready()
        best = min(best, time.perf_counter() - tic)
    return 2.0 * n**3 / best


@dataclass(frozen=True)
class StepCost:
    """What one compiled step does, by XLA's analyses of the compiled program.

    Attributes:
        flops: floating-point operations per step.
        bytes_accessed: bytes read and written by the step's operations (each
            fused operation's operands and results).
        working_set_bytes: arguments, outputs and temporaries the program holds
            at once (outputs that overwrite donated arguments counted once).
    """

    flops: float
    bytes_accessed: float
    working_set_bytes: int


def step_cost(compiled: Any) -> StepCost:
    """FLOPs, bytes accessed and working set of a compiled JAX program.

    ``compiled`` is what ``jax.jit(f).lower(...).compile()`` returns.
    """
    analysis = compiled.cost_analysis()
    if isinstance(analysis, list):  # older jaxlib: one dict per device program
        analysis = analysis[0]
    memory = compiled.memory_analysis()
    working_set = (
        memory.argument_size_in_bytes
        + memory.output_size_in_bytes
        - memory.alias_size_in_bytes
        + memory.temp_size_in_bytes
    )
    return StepCost(
        flops=float(analysis.get("flops", 0.0)),
        bytes_accessed=float(analysis.get("bytes accessed", 0.0)),
        working_set_bytes=int(working_set),
    )


def floor_seconds(cost: StepCost, bandwidth: float, peak_flops: float) -> float:
    """``max(bytes_accessed / bandwidth, flops / peak_flops)``: the step's floor in seconds.

    ``bandwidth`` (bytes/s) should be measured at the step's working-set size.

    Raises:
        TypeError, ValueError: ``bandwidth`` or ``peak_flops`` is not finite and
            greater than 0.
    """
    checks.positive("bandwidth", bandwidth)
    checks.positive("peak_flops", peak_flops)
    return max(cost.bytes_accessed / bandwidth, cost.flops / peak_flops)


def bound(cost: StepCost, bandwidth: float, peak_flops: float) -> str:
    """``"memory"`` or ``"compute"``: which term of :func:`floor_seconds` sets the floor."""
    memory = cost.bytes_accessed / bandwidth
    return "memory" if memory >= cost.flops / peak_flops else "compute"


@dataclass
class TrainStep:
    """A Keras model's training step compiled by XLA, with a state and a batch to run it on."""

    compiled: Any
    state: Any
    batch: Any
    first_fit_seconds: float = 0.0

    def run(self, steps: int) -> None:
        """Run ``steps`` steps on the batch, carrying the state from one to the next."""
        import jax

        state = self.state
        for _ in range(steps):
            _, state = self.compiled(state, self.batch)
        jax.block_until_ready(state)
        self.state = state


def train_step(model: Any, batch: tuple) -> TrainStep:
    """Compile ``model.train_step`` (a compiled Keras model, JAX backend) for ``batch``.

    ``batch`` is ``(x, y)`` as ``fit`` passes it to a step. The model first trains
    on it for one step (``fit`` builds the optimizer's and the metrics' variables,
    and traces and compiles the step): ``first_fit_seconds`` is what a new model
    pays before its first update. The step is then jitted with the state donated, as
    Keras's own ``fit`` does (JAX finds the program ``fit`` compiled).

    Raises:
        RuntimeError: Keras does not run on JAX in this process.
    """
    import jax
    import keras

    if keras.backend.backend() != "jax":
        raise RuntimeError(
            "The floor is measured on XLA's compiled program: set KERAS_BACKEND=jax "
            "before importing keras (importing recbook first does so)."
        )
    x, y = batch
    tic = time.perf_counter()
    model.fit(x, y, batch_size=len(y), epochs=1, shuffle=False, verbose=0)
    first_fit = time.perf_counter() - tic
    state = training.jax_state(model)
    batch = jax.tree_util.tree_map(jax.numpy.asarray, batch)
    compiled = jax.jit(model.train_step, donate_argnums=0).lower(state, batch).compile()
    return TrainStep(compiled, state, batch, first_fit)


def seconds_per_step(step: TrainStep, steps: int = 200, repeats: int = 3) -> float:
    """The compiled step's time: the best of ``repeats`` runs of ``steps`` steps, per step.

    Raises:
        TypeError, ValueError: ``steps`` or ``repeats`` is not a whole number of at least 1.
    """
    checks.whole("steps", steps)
    checks.whole("repeats", repeats)
    step.run(10)  # warm the caches and the thread pool
    best = math.inf
    for _ in range(repeats):
        tic = time.perf_counter()
        step.run(steps)
        best = min(best, time.perf_counter() - tic)
    return best / steps


def timed(work: Callable[[], Any]) -> tuple[Any, float]:
    """What ``work()`` returns, and the seconds it took."""
    tic = time.perf_counter()
    result = work()
    return result, time.perf_counter() - tic
