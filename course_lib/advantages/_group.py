"""Shared plumbing of the group estimators (:mod:`course_lib.advantages`).

Rewards in (NumPy, list or torch; one group (n,) or a batch (B, n)), validated float64
(B, n) arrays for the math, and results back out in the caller's kind, shape, dtype and device;
the group context (answer ids, log-probs) and hyper-parameters validated with one clear error each.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .._checks import _as_array, as_positive_int
from ..passk import pass_at_k


def _rewards(name: str, r, *, binary: bool = False, min_n: int = 1):
    """Validate rewards; return (float64 array of shape (B, n), was_1d, original input).

    The rules every estimator shares (each breaks with a ``ValueError`` that names it): one group
    (n,) or a batch (B, n); at least ``min_n`` rewards per group; no NaN or inf; 0/1 only when
    ``binary``.
    """
    if isinstance(r, (list, tuple)) and len(r) == 0:
        raise ValueError(f"{name} must hold at least {min_n} reward(s) per group, got an empty list")
    arr = _as_array(name, r).astype(np.float64, copy=False)
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D (one group of n rewards) or 2-D (B groups, one per row), got shape {arr.shape}"
        )
    if arr.shape[-1] < min_n:
        raise ValueError(f"{name} must hold at least {min_n} reward(s) per group, got n={arr.shape[-1]}")
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not contain NaN")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite (no inf)")
    if binary and not np.isin(arr, (0.0, 1.0)).all():
        bad = arr[~np.isin(arr, (0.0, 1.0))].flat[0]
        raise ValueError(f"{name} must be binary (0 = wrong, 1 = correct) for this estimator, got {bad!r}")
    was_1d = arr.ndim == 1
    return np.atleast_2d(arr), was_1d, r


def _like(out: np.ndarray, was_1d: bool, r):
    """Return ``out`` with r's layout and kind (NumPy float64, or torch on r's device/dtype)."""
    if was_1d:
        out = out[0]
    if hasattr(r, "detach") and hasattr(r, "device"):  # torch tensor
        import torch

        dtype = r.dtype if r.is_floating_point() else torch.get_default_dtype()
        # cast on the CPU, then move: Apple's MPS cannot hold the float64 intermediate
        return torch.as_tensor(out).to(dtype).to(r.device)
    return out


def _k(k, n: int, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Validate k as a whole number with minimum <= k <= maximum (default n); ``ValueError`` otherwise."""
    k = as_positive_int("k", k, minimum=minimum)
    maximum = n if maximum is None else maximum
    if k > maximum:
        raise ValueError(f"k must be <= {maximum} for groups of n={n} rollouts, got k={k}")
    return k


def _normalise(x: np.ndarray, eps: float) -> np.ndarray:
    """(x - mean)/(std + eps) over the last axis (population std); constant rows give 0."""
    eps = float(eps)
    if not (eps >= 0 and math.isfinite(eps)):
        raise ValueError(f"eps must be a finite number >= 0, got {eps!r}")
    mean = x.mean(axis=-1, keepdims=True)
    std = x.std(axis=-1, keepdims=True)
    flat = np.ptp(x, axis=-1, keepdims=True) == 0
    denom = np.where(flat, 1.0, std + eps)
    return np.where(flat, 0.0, (x - mean) / denom)


@lru_cache(maxsize=256)
def _rho_table(n: int, k: int) -> np.ndarray:
    """rho(n, c, k) = pass_at_k(n, c, k) for c = 0..n (zeros for k = 0), cached per (n, k)."""
    table = np.zeros(n + 1) if k == 0 else np.asarray(pass_at_k(n, np.arange(n + 1), k), dtype=np.float64)
    table.setflags(write=False)
    return table


def _rng(rng) -> np.random.Generator:
    """A NumPy Generator from a Generator or an integer seed."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise ValueError(f"rng must be a numpy.random.Generator or an integer seed, got {type(rng).__name__}")


def _coef(name: str, x, *, positive: bool = False, upper: float | None = None) -> float:
    """A finite float >= 0 (> 0 if ``positive``, <= ``upper`` if given); one clear ValueError otherwise."""
    x = float(x)
    low_ok = x > 0 if positive else x >= 0
    if not (math.isfinite(x) and low_ok and (upper is None or x <= upper)):
        bound = "> 0" if positive else ">= 0"
        bound += f" and <= {upper:g}" if upper is not None else ""
        raise ValueError(f"{name} must be a finite number {bound}, got {x!r}")
    return x


def _context(name: str, x, shape: tuple) -> np.ndarray:
    """A context array (log-probs, answer ids) as NumPy of the rewards' (B, n) shape."""
    if x is None:
        raise ValueError(f"this method needs the group's {name}")
    arr = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x)
    if shape[0] == 1 and arr.shape in (shape[1:], ()):  # one group given 1-D (or one prompt id)
        arr = arr.reshape(shape)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (from the rewards), got {np.shape(x)}")
    return arr
