"""Input validation shared by every numeric function of the course (one home for the rules).

Each validator turns a learner's scalar, list or array into a NumPy array and raises a
``ValueError`` that names the argument and the rule it broke, so that bad input never
surfaces as a traceback from deep inside NumPy.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike


def _as_array(name: str, x: ArrayLike) -> np.ndarray:
    """Array view of ``x``; rejects strings, None and ragged or non-numeric input."""
    if x is None or isinstance(x, (str, bytes)):
        raise ValueError(f"{name} must be a number or an array of numbers, got {x!r}")
    if hasattr(x, "detach"):  # torch tensors
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged lists
        raise ValueError(f"{name} must be a number or a rectangular array of numbers ({exc})") from None
    if arr.dtype == bool:
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    return arr


def as_int_array(name: str, x: ArrayLike, minimum: int = 0) -> np.ndarray:
    """Integer array from ``x``; every entry must be a whole number ``>= minimum`` (no NaN)."""
    arr = _as_array(name, x)
    if arr.dtype.kind == "f":
        if np.isnan(arr).any():
            raise ValueError(f"{name} must not be NaN")
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} must be finite")
        if (arr != np.floor(arr)).any():
            bad = arr[arr != np.floor(arr)].flat[0]
            raise ValueError(f"{name} must be a whole number, got {bad.item()!r}")
        if np.abs(arr).max(initial=0) > 2**62:
            raise ValueError(f"{name} is too large (must be < 2**62)")
        arr = arr.astype(np.int64)
    arr = arr.astype(np.int64, copy=False)
    if (arr < minimum).any():
        bad = arr[arr < minimum].flat[0]
        rule = "non-negative" if minimum == 0 else f">= {minimum}"
        raise ValueError(f"{name} must be {rule}, got {int(bad)}")
    return arr


def as_positive_int(name: str, k: ArrayLike, minimum: int = 1) -> int:
    """A single whole number ``>= minimum`` as a Python int."""
    if isinstance(k, numbers.Integral) and not isinstance(k, bool):
        value = int(k)
    else:
        arr = as_int_array(name, k, minimum=-(2**62))
        if arr.ndim != 0:
            raise ValueError(f"{name} must be a single integer, got an array of shape {arr.shape}")
        value = int(arr)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def as_prob_array(name: str, p: ArrayLike) -> np.ndarray:
    """Float array from ``p``; every entry must be a probability in [0, 1] (no NaN)."""
    arr = _as_array(name, p).astype(np.float64, copy=False)
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not be NaN")
    if ((arr < 0) | (arr > 1)).any():
        bad = arr[(arr < 0) | (arr > 1)].flat[0]
        raise ValueError(f"{name} must be a probability in [0, 1], got {bad.item()!r}")
    return arr


def scalar_or_array(x: np.ndarray) -> float | np.ndarray:
    """Return a Python float for 0-d results and the array otherwise."""
    x = np.asarray(x)
    return float(x) if x.ndim == 0 else x
