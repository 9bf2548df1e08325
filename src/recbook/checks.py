"""Argument and environment checks shared by the package's entry points.

Each check names the parameter and the accepted range, so that a wrong value
stops before any work with a message that says what to pass instead.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from typing import Any

FALSE_WORDS = ("", "0", "false", "no", "off")
"""Values of a flag variable (such as ``CI``) that mean "not set"."""


def whole(
    name: str, value: Any, minimum: int = 1, maximum: int | None = None, bound: str = ""
) -> int:
    """``value`` as an ``int`` if it is a whole number in ``[minimum, maximum]``.

    ``bound`` says where a bound comes from, e.g. ``"validation_freq"``; it is
    shown in parentheses after the range.

    Raises:
        TypeError: ``value`` is not an integer (a bool, float or string is refused).
        ValueError: ``value`` is outside the range.
    """
    upper = ("" if maximum is None else f" and at most {maximum}") + (
        f" ({bound})" if bound else ""
    )
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be a whole number of at least {minimum}{upper}; "
            f"got {value!r} ({type(value).__name__})."
        )
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be at least {minimum}{upper}; got {value}.")
    return int(value)


def fraction(name: str, value: Any) -> float:
    """``value`` as a ``float`` if it is a real number strictly between 0 and 1.

    Raises:
        TypeError: ``value`` is not a real number.
        ValueError: ``value`` is not in (0, 1).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a number in (0, 1); got {value!r} ({type(value).__name__})."
        )
    if not 0 < value < 1:
        raise ValueError(f"{name} must lie in (0, 1), got {value}.")
    return float(value)


def seeds(name: str, values: Any) -> list[int]:
    """``values`` as a non-empty list of whole-number seeds (0 or more).

    Raises:
        TypeError: ``values`` is not a sequence of integers.
        ValueError: ``values`` is empty or holds a negative seed.
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(
            f"{name} must be a list of whole numbers, like [1, 2, 3]; got {values!r}."
        )
    if not values:
        raise ValueError(
            f"{name} must hold at least one seed, like [1, 2, 3]; got an empty list."
        )
    return [whole(f"{name}[{i}]", seed, minimum=0) for i, seed in enumerate(values)]


def flag(variable: str) -> bool:
    """Whether the environment variable is set to something other than a false word.

    ``CI=false``, ``CI=0``, ``CI=no``, ``CI=off`` and an empty or unset ``CI``
    all mean "not in CI".
    """
    return os.environ.get(variable, "").strip().lower() not in FALSE_WORDS


def in_ci() -> bool:
    """Whether this process runs in CI (the ``CI`` environment variable is set to a true value)."""
    return flag("CI")
