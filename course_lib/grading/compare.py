"""Compare a learner's value with the expected one and say, kindly, what is wrong.

:func:`mismatch` returns ``None`` when the values agree and otherwise one sentence a learner can act
on: the wrong type, the wrong shape, a NaN, the first element that differs. :func:`show` prints any
value short enough for a feedback table.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["mismatch", "show"]


def show(x, width: int = 90) -> str:
    """A short, readable text form of ``x`` for feedback messages."""
    if isinstance(x, (float, np.floating)):
        text = f"{float(x):.12g}"
    elif isinstance(x, np.ndarray):
        with np.printoptions(precision=10, threshold=12, edgeitems=3, linewidth=width):
            text = np.array2string(x, separator=", ") if x.ndim else f"{x.item():.12g}"
    else:
        try:
            text = repr(x)
        except Exception:  # a learner object whose __repr__ raises
            text = f"<{type(x).__name__} object>"
    return text if len(text) <= width else text[: width - 1] + "…"


def _is_number(x) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, (bool, np.bool_))


def _number_problem(got) -> str | None:
    """Why ``got`` is not usable as one real number (None when it is)."""
    if got is None:
        return "returned None — is a `return` statement missing?"
    if isinstance(got, (bool, np.bool_)):
        return f"returned a bool ({got}), but a number was expected"
    if isinstance(got, str):
        return f"returned a string {show(got)}, but a number was expected"
    if isinstance(got, np.ndarray):
        if got.ndim == 0 and got.dtype.kind in "iuf":
            return None
        return (
            f"returned an array of shape {got.shape}, but a single number was expected "
            "(use float(...) or index the one element)"
        )
    if isinstance(got, complex) or isinstance(got, np.complexfloating):
        return f"returned a complex number {show(got)}, but a real number was expected"
    if _is_number(got):
        try:
            float(got)
        except (TypeError, ValueError, OverflowError):
            return f"returned {show(got)}, which cannot be turned into a float"
        return None
    return f"returned a {type(got).__name__} ({show(got, 40)}), but a number was expected"


def _nonfinite_note(value: float) -> str:
    if value != value:
        return (
            "NaN (not a number) usually comes from 0/0, inf/inf or inf − inf — for example "
            "binomial coefficients that overflow in floating point"
        )
    return "inf usually means an intermediate value overflowed (e.g. a huge binomial coefficient)"


def _scalar_mismatch(got, expected, rtol: float, atol: float) -> str | None:
    problem = _number_problem(got)
    if problem:
        return problem
    g, e = float(got), float(expected)
    if isinstance(expected, (int, np.integer)):
        if g != e:
            return f"expected {int(expected)}, got {show(got)}"
        return None
    if not np.isfinite(g) and np.isfinite(e):
        return f"expected {show(e)}, got {show(g)}: {_nonfinite_note(g)}"
    if np.isnan(e):
        return None if np.isnan(g) else f"expected nan, got {show(g)}"
    if not np.isclose(g, e, rtol=rtol, atol=atol):
        return f"expected {show(e)}, got {show(g)}"
    return None


def _array_mismatch(got, expected: np.ndarray, rtol: float, atol: float) -> str | None:
    if got is None:
        return "returned None — is a `return` statement missing?"
    if isinstance(got, (str, bytes, dict, set)) or callable(got):
        return f"returned a {type(got).__name__}, but an array of shape {expected.shape} was expected"
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError) as exc:
        return f"returned something that is not an array of numbers ({show(got, 40)}): {exc}"
    if arr.shape != expected.shape:
        return f"returned shape {arr.shape}, but shape {expected.shape} was expected"
    bad_nan = np.isnan(arr) & ~np.isnan(expected)
    if bad_nan.any():
        i = tuple(int(j) for j in np.argwhere(bad_nan)[0])
        return f"element {i if len(i) > 1 else i[0]} is nan (expected {show(expected[i])}): {_nonfinite_note(np.nan)}"
    close = np.isclose(arr, expected, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        wrong = np.argwhere(~close)
        i = tuple(int(j) for j in wrong[0])
        where = i if len(i) > 1 else i[0]
        return (
            f"{len(wrong)} of {arr.size} elements differ; first at index {where}: "
            f"expected {show(expected[i])}, got {show(arr[i])}"
        )
    return None


def mismatch(got, expected, *, rtol: float = 1e-9, atol: float = 1e-12) -> str | None:
    """Say how ``got`` differs from ``expected``, or return None when they agree.

    Parameters
    ----------
    got : object
        The learner's value.
    expected : number, bool, str, tuple or array-like
        The reference value. Integers are compared exactly, floats and arrays with
        ``numpy.isclose(got, expected, rtol, atol)``, tuples element by element.
    rtol, atol : float
        Tolerances for floating-point comparisons.

    Returns
    -------
    str or None
        One sentence that starts with what the learner's code did ("returned ..."), or None.
    """
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(got, (bool, np.bool_)):
            return f"returned {show(got, 40)}, but True or False was expected"
        return None if bool(got) == bool(expected) else f"expected {expected}, got {got}"
    if isinstance(expected, str):
        if not isinstance(got, str):
            return f"returned a {type(got).__name__}, but a string was expected"
        return None if got == expected else f"expected {show(expected)}, got {show(got)}"
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"returned {show(got, 40)}, but a tuple of {len(expected)} values was expected"
        for j, (g, e) in enumerate(zip(got, expected, strict=True)):
            problem = mismatch(g, e, rtol=rtol, atol=atol)
            if problem:
                return f"item {j} of the returned tuple: {problem}"
        return None
    if _is_number(expected) or (isinstance(expected, np.ndarray) and expected.ndim == 0):
        return _scalar_mismatch(got, expected.item() if isinstance(expected, np.ndarray) else expected, rtol, atol)
    return _array_mismatch(got, np.asarray(expected, dtype=float), rtol, atol)
