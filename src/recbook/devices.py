"""Ask XLA for simulated CPU devices before JAX starts (standard library only).

JAX reads ``XLA_FLAGS`` once, when it first initializes its backends. A chapter
that wants several devices on a CPU-only machine must therefore set
``--xla_force_host_platform_device_count`` before anything imports JAX (Keras,
keras-rs and :mod:`recbook.sharding` all do). This module imports nothing but
the standard library, so it can run first. The flag only shapes the *CPU*
platform: on a machine with GPUs or TPUs it is harmless, and JAX's default
devices stay the accelerators (:func:`recbook.data_parallelism.choose_devices` picks them).
"""

from __future__ import annotations

import os
import re
import sys

HOST_DEVICE_FLAG = "--xla_force_host_platform_device_count"


def with_host_device_count(flags: str, count: int) -> str:
    """``flags`` (an ``XLA_FLAGS`` value) with the host device count set to ``count``.

    The other flags are kept.

    Raises:
        TypeError, ValueError: ``count`` is not a whole number of at least 1
            (``2.0``, ``True`` and ``"2"`` are refused).
    """
    # recbook.checks.whole's rule and wording, written out: this module imports nothing
    # of the package (it runs before everything else).
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError(
            f"count must be a whole number of at least 1; got {count!r} "
            f"({type(count).__name__})."
        )
    if count < 1:
        raise ValueError(f"count must be at least 1; got {count}.")
    kept = re.sub(rf"{HOST_DEVICE_FLAG}=\S*", "", flags).split()
    return " ".join([*kept, f"{HOST_DEVICE_FLAG}={count}"])


def simulate_cpu_devices(count: int) -> bool:
    """Set ``XLA_FLAGS`` so that JAX's CPU platform has ``count`` devices.

    Returns whether the flag can still take effect: JAX reads it when it first
    initializes its backends, not when it is imported (``import recbook`` imports it
    for the compilation cache). ``False`` when the backends already exist in this
    process: then the chapter runs on whatever devices exist, and says so.
    """
    os.environ["XLA_FLAGS"] = with_host_device_count(
        os.environ.get("XLA_FLAGS", ""), count
    )
    bridge = sys.modules.get("jax._src.xla_bridge")
    initialized = getattr(bridge, "backends_are_initialized", None)
    if initialized is None:  # JAX not imported (or too old to tell): judge by import
        return "jax" not in sys.modules or bridge is None
    return not initialized()


def summary(used: list[str], in_time: bool) -> str:
    """What a chapter runs on, in three lines: Keras, JAX and the backend; whether
    :func:`simulate_cpu_devices` came before JAX started (``in_time``); the devices
    ``used`` of those JAX's default platform has.

    Imports Keras and JAX, so call it after :func:`simulate_cpu_devices`.
    """
    import jax
    import keras

    return (
        f"Keras {keras.__version__}, JAX {jax.__version__}, "
        f"backend {keras.backend.backend()}\n"
        f"XLA flag set before JAX started: {in_time}\n"
        f"devices used: {len(used)} ({', '.join(used)}) "
        f"of {len(jax.devices())} {jax.devices()[0].platform} device(s)"
    )
