"""Parameter checks that fail early with a message a person can act on.

Every error names the field, the value received and what is allowed
(DESIGN.md, principle 7).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _fmt(value: Any) -> str:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return repr(arr.item())
    bad = arr.ravel()
    return f"array of shape {arr.shape} (e.g. {bad[0]!r})"


def check_range(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> np.ndarray:
    """Return ``value`` as a float array after checking ``low <=/< value <=/< high``.

    Raises ``ValueError`` naming ``name``, the offending value and the interval.
    """
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    lo_ok = arr > low if low_open else arr >= low
    hi_ok = arr < high if high_open else arr <= high
    ok = lo_ok & hi_ok & np.isfinite(arr)
    if not np.all(ok):
        offending = arr[~ok] if arr.ndim else arr
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(
            f"{name} must be in {interval}, got {_fmt(offending)}"
        )
    return arr


def check_choice(name: str, value: Any, allowed: tuple[str, ...] | list[str]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def check_count(name: str, value: Any, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
