"""Pin the CPU settings XLA's results depend on, before JAX starts (standard library only).

The same chapter, seeds and package versions give different figures on two
machines when XLA compiles different CPU code for them. Measured on a 2-core
AMD EPYC with AVX2 and FMA (chapter 3's plain softmax, towers (128, 64, 32),
seed 0, top-100 accuracy after 30 epochs):

* the default: 0.153; one CPU visible (``taskset -c 0``): 0.173. XLA splits
  reductions over a thread pool sized by the CPUs the process may use;
* no FMA (``--xla_cpu_max_isa=AVX``): 0.101. The instruction set changes the
  rounding of fused multiply-adds and vectorized transcendental functions;
* capped at AVX2, a 128-bit vector width, Eigen single-threaded or XNNPACK off:
  0.153, identical. A machine with AVX-512 compiles wider vectors unless capped.

So :func:`pin_cpu_settings` (called when ``recbook`` is imported) restricts
the process to at most :data:`CPUS` CPUs and caps XLA's instruction set at
:data:`MAX_ISA` on x86-64. What that makes identical, and what it does not, is
said once, in :data:`STATEMENT` (the results page shows it). ``RECBOOK_PIN_CPU=0``
turns the pinning off (for speed on a large machine, at the cost of those figures).
"""

from __future__ import annotations

import os
import platform
import sys
import warnings

CPUS = 2
"""CPUs a process may use: the stored runs' machines and Colab's CPU runtime have 2."""

STATEMENT = (
    "Every chapter seeds everything, and `import recbook` pins the CPU settings XLA's "
    "rounding depends on. With the package versions of `constraints.txt`, on x86-64 "
    "machines of two CPUs, chapters 1, 2, 6 and 8 gave identical figures on each "
    "machine measured (an AMD EPYC with AVX2, an AMD EPYC and an Intel Xeon with "
    "AVX-512). Chapters 3 and 4 did not: their one-layer models and baselines are "
    "identical across them, but their deeper towers and in-batch softmax runs round "
    "differently from one processor to another and move like another draw of the "
    "seeds; every verdict held. Chapter 5 has been run on the Xeon only. Other "
    "package versions (Colab's), one CPU or a GPU also move a figure by about its "
    "spread over seeds."
)
"""The book's one statement of what reproduces where (measured: CONTRIBUTING.md,
"Reproducing the figures on another machine")."""

MAX_ISA = "AVX2"
"""XLA's instruction-set cap on x86-64 (``--xla_cpu_max_isa``): no AVX-512 code."""

ISA_FLAG = "--xla_cpu_max_isa"
OPT_OUT = "RECBOOK_PIN_CPU"


def with_max_isa(flags: str, isa: str = MAX_ISA) -> str:
    """``flags`` (an ``XLA_FLAGS`` value) with the instruction-set cap added.

    A cap already in ``flags`` is kept: it was set on purpose.
    """
    if ISA_FLAG in flags:
        return flags
    return " ".join([*flags.split(), f"{ISA_FLAG}={isa}"])


def pin_cpu_settings() -> list[str]:
    """Restrict this process to :data:`CPUS` CPUs and cap XLA's instruction set.

    Returns what was changed, for the record. Does nothing when
    ``RECBOOK_PIN_CPU=0``. Warns when JAX has already started its backends
    (then XLA has read its flags and sized its thread pool).
    """
    if os.environ.get(OPT_OUT, "1") == "0":
        return []
    changed = []
    if hasattr(os, "sched_getaffinity"):
        allowed = sorted(os.sched_getaffinity(0))
        if len(allowed) > CPUS:
            os.sched_setaffinity(0, allowed[:CPUS])
            changed.append(f"CPUs {allowed[:CPUS]} of {len(allowed)}")
    if platform.machine().lower() in ("x86_64", "amd64"):
        flags = os.environ.get("XLA_FLAGS", "")
        pinned = with_max_isa(flags)
        if pinned != flags:
            os.environ["XLA_FLAGS"] = pinned
            changed.append(f"XLA_FLAGS {ISA_FLAG}={MAX_ISA}")
    started = sys.modules.get("jax._src.xla_bridge")
    if changed and started is not None and getattr(started, "_backends", None):
        warnings.warn(
            "JAX started before recbook was imported, so XLA may not use the book's "
            "CPU settings and figures can differ from the stored run. Import recbook "
            "first (restart the runtime), or set RECBOOK_PIN_CPU=0 to silence this.",
            stacklevel=3,
        )
    return changed
