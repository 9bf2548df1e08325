"""Argument and environment checks shared by the package's entry points.

Each check names the parameter and the accepted range, so that a wrong value
stops before any work with a message that says what to pass instead.
"""

from __future__ import annotations

import math
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
    """``values`` as a non-empty list of distinct whole-number seeds (0 or more).

    A seed given twice would be counted as two runs while measuring one, and
    the spread over seeds (0 between identical runs) is what
    :func:`recbook.evidence.compare` relies on.

    Raises:
        TypeError: ``values`` is not a sequence of integers.
        ValueError: ``values`` is empty, holds a negative seed, or a seed twice.
    """
    if isinstance(values, Sequence) and not isinstance(values, (str, bytes)):
        if not values:
            raise ValueError(
                f"{name} must hold at least one seed, like [1, 2, 3]; got an empty list."
            )
    checked = whole_list(name, values, minimum=0, example="[1, 2, 3]")
    repeated = sorted({seed for seed in checked if checked.count(seed) > 1})
    if repeated:
        raise ValueError(
            f"{name} must hold distinct seeds, like [1, 2, 3]; got {list(values)!r}, "
            f"which repeats {', '.join(map(str, repeated))} (a repeated seed repeats "
            f"the same run and measures no spread)."
        )
    return checked


def whole_list(
    name: str,
    values: Any,
    minimum: int = 1,
    maximum: int | None = None,
    example: str = "[400, 1300]",
    allow_empty: bool = False,
) -> list[int]:
    """``values`` as a list of ``int`` if it is a sequence of whole numbers in range.

    A string (``"37"``) or a mapping is refused rather than read element by
    element; every element is checked with :func:`whole` (so ``3.7`` is refused,
    not truncated), its name ``name[i]``.

    Raises:
        TypeError: ``values`` is not a list or tuple of integers.
        ValueError: ``values`` is empty, or an element is out of range.
    """
    if isinstance(values, (str, bytes, dict)) or not isinstance(
        values, (Sequence, _ndarray_type())
    ):
        raise TypeError(
            f"{name} must be a list of whole numbers, like {example}; got {values!r} "
            f"({type(values).__name__})."
        )
    values = list(values)
    if not values and not allow_empty:
        raise ValueError(
            f"{name} must hold at least one value, like {example}; got an empty list."
        )
    return [
        whole(f"{name}[{i}]", value, minimum=minimum, maximum=maximum)
        for i, value in enumerate(values)
    ]


def _ndarray_type() -> type:
    """numpy's array type if numpy is imported (a 1-D array is a list of numbers too)."""
    import sys

    numpy = sys.modules.get("numpy")
    return numpy.ndarray if numpy is not None else list


def real(
    name: str,
    value: Any,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
    bound: str = "",
) -> float:
    """``value`` as a ``float`` if it is a finite real number in the range.

    ``minimum`` and ``maximum`` are inclusive bounds, ``above`` an exclusive
    lower bound (``above=0``: strictly positive). NaN and infinities are refused.

    Raises:
        TypeError: ``value`` is not a real number (a bool or string is refused).
        ValueError: ``value`` is NaN, infinite or outside the range.
    """
    parts = []
    if above is not None:
        parts.append(f"greater than {above:g}")
    if minimum is not None:
        parts.append(f"at least {minimum:g}")
    if maximum is not None:
        parts.append(f"at most {maximum:g}")
    allowed = "a finite number" + (" " + " and ".join(parts) if parts else "")
    allowed += f" ({bound})" if bound else ""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be {allowed}; got {value!r} ({type(value).__name__})."
        )
    number = float(value)
    if (
        not math.isfinite(number)
        or (above is not None and not number > above)
        or (minimum is not None and number < minimum)
        or (maximum is not None and number > maximum)
    ):
        raise ValueError(f"{name} must be {allowed}; got {value!r}.")
    return number


def positive(name: str, value: Any, bound: str = "") -> float:
    """``value`` as a ``float`` if it is a finite real number greater than 0.

    For rates, ratios and other scales: NaN, infinities, 0 and negative values
    are refused.
    """
    return real(name, value, above=0, bound=bound)


def learning_rate(value: Any) -> float:
    """A learning rate: finite and greater than 0 (see :func:`positive`)."""
    return positive("learning_rate", value)


def probabilities(name: str, values: Any, size: int, what: str = "") -> Any:
    """``values`` as a float64 array of ``size`` finite, non-negative shares summing to 1.

    The sum may differ from 1 by rounding (:data:`SUM_TOLERANCE`). ``what``
    says what the ``size`` entries are, e.g. ``"one per movie id, 0 to 1682"``.

    Raises:
        TypeError: ``values`` is a string or not numbers.
        ValueError: the length, a value or the sum is wrong.
    """
    import numpy as np

    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers; got {values!r}.")
    try:
        array = np.asarray(values, dtype="float64")
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be an array of numbers ({error}).") from None
    detail = f" ({what})" if what else ""
    if array.shape != (size,):
        raise ValueError(
            f"{name} must hold {size} values{detail}; got shape {array.shape}."
        )
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name} must be finite and at least 0; {name}[{first}] is {array[first]}."
        )
    total = float(array.sum())
    if abs(total - 1) > SUM_TOLERANCE:
        raise ValueError(
            f"{name} must sum to 1 (within {SUM_TOLERANCE:g}); they sum to {total!r}."
        )
    return array


SUM_TOLERANCE = 1e-6
"""How far from 1 a list of probabilities may sum (rounding of float32 shares)."""


def ids(name: str, values: Any, size: int, vocabulary: str = "") -> None:
    """Check concrete ids: whole numbers in ``[0, size)``.

    An id outside the vocabulary would read a NaN row or wrap round to another
    id's row; it is an error instead. Values that are not concrete (symbolic
    Keras tensors, JAX tracers inside a compiled step, TensorFlow graph tensors)
    cannot be read and are left unchecked: their range is the caller's contract.

    Raises:
        TypeError: the ids are not integers.
        ValueError: an id is outside ``[0, size)``.
    """
    import numpy as np

    try:
        array = np.asarray(values)
    except Exception:  # a tracer or a symbolic tensor: nothing to read
        return
    if array.dtype == object or array.size == 0:
        return
    where = f" ({vocabulary})" if vocabulary else ""
    if not np.issubdtype(array.dtype, np.integer):
        if np.issubdtype(array.dtype, np.floating) and np.all(
            np.isfinite(array) & (array == np.round(array))
        ):
            array = array.astype("int64")
        else:
            raise TypeError(f"{name} must be integer ids; got dtype {array.dtype}.")
    low, high = int(array.min()), int(array.max())
    if low < 0 or high >= size:
        wrong = low if low < 0 else high
        raise ValueError(
            f"{name} must lie in [0, {size - 1}]{where}; got id {wrong}, outside the "
            f"vocabulary of {size}."
        )


def integer_array(name: str, values: Any) -> Any:
    """``values`` as an array if its dtype is an integer one (ids index rows)."""
    import numpy as np

    array = np.asarray(values)
    if not np.issubdtype(array.dtype, np.integer):
        raise TypeError(
            f"{name} must be integer ids; got dtype {array.dtype}. Encode the ids as "
            f"integers (e.g. {name}.astype('int64') if they are whole numbers)."
        )
    return array


def id_array(name: str, values: Any, size: int, vocabulary: str) -> Any:
    """``values`` as an array of integer ids in ``[0, size)`` (:func:`ids`)."""

    array = integer_array(name, values)
    ids(name, array, size, vocabulary)
    return array


def finite_array(name: str, values: Any) -> Any:
    """``values`` as a float64 array with no NaN or infinity, the first one named."""
    import numpy as np

    try:
        array = np.asarray(values, dtype="float64")
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be an array of numbers ({error}).") from None
    bad = ~np.isfinite(array)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name} must be finite; {name}[{first}] is {array.flat[first]}. "
            "Drop or fill the rows without a value before passing them."
        )
    return array


def same_length(arrays: Any, what: str) -> int:
    """The common length of 1-D ``arrays`` (name to values), ``what`` their entries."""
    import numpy as np

    shapes = {name: np.shape(values) for name, values in arrays.items()}
    lengths = {shape[0] if len(shape) == 1 else None for shape in shapes.values()}
    if len(lengths) != 1 or None in lengths:
        listed = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise ValueError(
            f"{', '.join(arrays)} must be 1-D arrays of equal length, {what}; "
            f"got shapes {listed}."
        )
    return lengths.pop()


def flag(variable: str) -> bool:
    """Whether the environment variable is set to something other than a false word.

    ``CI=false``, ``CI=0``, ``CI=no``, ``CI=off`` and an empty or unset ``CI``
    all mean "not in CI".
    """
    return os.environ.get(variable, "").strip().lower() not in FALSE_WORDS


def in_ci() -> bool:
    """Whether this process runs in CI (the ``CI`` environment variable is set to a true value)."""
    return flag("CI")
