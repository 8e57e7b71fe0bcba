r"""The bootstrap over problems, vectorised: resampled means and percentile intervals.

Every interval of ``passk curve`` and ``passk plan`` comes from here. A benchmark's problems are
the random units (a new benchmark of the same kind would draw new problems), so an interval for a
mean over problems resamples *problems* with replacement, each keeping all of its samples.

The resampled mean of a quantity that depends only on a problem's ``(n, c)`` depends only on how
many times each distinct ``(n, c)`` was drawn. Those counts are multinomial, so with few distinct
values (one n, n + 1 possible c) a thousand resamples of 10^5 problems cost a (1000 x 201) draw,
not 10^8 indices. With many distinct values the resamples are drawn as indices, in blocks. Neither
path loops over problems in Python.

References
----------
B. Efron, R. Tibshirani, *An Introduction to the Bootstrap*, Chapman & Hall (1993), ch. 6 and 13
(the nonparametric bootstrap and the percentile interval).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._checks import as_positive_int

__all__ = ["resampled_means", "resampled_counts", "percentile_interval", "check_level"]

_BLOCK = 4_000_000
"""Most entries of one block of resampling counts (resamples x categories) held at once."""


def check_level(level: float) -> float:
    """``level`` as a float strictly between 0 and 1 (a confidence level such as 0.95)."""
    try:
        value = float(level)
    except (TypeError, ValueError):
        raise ValueError(f"the confidence level must be a number in (0, 1), got {level!r}") from None
    if not 0 < value < 1:
        raise ValueError(f"the confidence level must lie strictly between 0 and 1 (e.g. 0.95), got {level!r}")
    return value


def resampled_means(
    values: ArrayLike, key: ArrayLike | None = None, resamples: int = 1000, seed: int = 0
) -> np.ndarray:
    r"""Column means of ``values`` over bootstrap resamples of its rows (problems).

    Parameters
    ----------
    values : array_like, shape (m,) or (m, q)
        One row per problem: the per-problem quantities to average (pass@k estimates, indicators).
    key : array_like of int, shape (m,), optional
        Problems with equal keys have equal rows (e.g. the key encodes ``(n, c)``). With few
        distinct keys the resamples are drawn as multinomial counts of the keys (fast); without
        a key every problem is its own category.
    resamples : int
        B, the number of bootstrap resamples, ``>= 1``.
    seed : int
        Seed of the random generator (``numpy.random.default_rng``).

    Returns
    -------
    ndarray, shape (B, q) (or (B,) for 1-D ``values``)
        Row b holds the column means over resample b: m problems drawn with replacement.

    Raises
    ------
    ValueError
        If ``values`` has no rows or is not 1-D or 2-D, or ``key`` has the wrong length.

    Notes
    -----
    A resample draws m problems uniformly with replacement; its mean is
    :math:`\bar v^{*} = \frac1m \sum_j N_j\, v_j` where :math:`N_j` counts the draws of distinct
    row j. :math:`(N_1, \dots, N_d) \sim \text{Multinomial}(m;\ f_1/m, \dots, f_d/m)` with
    :math:`f_j` the number of problems whose row is row j, so drawing N directly gives exactly
    the distribution of drawing indices (plain text: ``mean* = N @ rows / m``,
    ``N ~ Multinomial(m, f / m)``).

    Examples
    --------
    >>> draws = resampled_means([[0.0], [1.0]], key=[0, 1], resamples=2000, seed=0)
    >>> draws.shape, bool(abs(draws.mean() - 0.5) < 0.02)
    ((2000, 1), True)
    """
    values = np.asarray(values, dtype=np.float64)
    flat = values.ndim == 1
    if flat:
        values = values[:, None]
    if values.ndim != 2 or values.shape[0] == 0:
        raise ValueError(f"values must hold one row per problem (shape (m,) or (m, q)), got shape {values.shape}")
    m = values.shape[0]
    if key is not None and np.shape(key) != (m,):
        raise ValueError(f"key must have one entry per problem, shape ({m},), got {np.shape(key)}")
    first, blocks = resampled_counts(np.arange(m) if key is None else key, resamples, seed)
    rows = values[first]
    out = np.empty((as_positive_int("resamples", resamples), values.shape[1]))
    for start, stop, counts in blocks:
        out[start:stop] = counts @ rows / m
    return out[:, 0] if flat else out


def resampled_counts(key: ArrayLike, resamples: int = 1000, seed: int = 0):
    r"""Bootstrap resamples of problems as counts of their categories: ``(first, blocks)``.

    Parameters
    ----------
    key : array_like, shape (m,)
        Category of each problem (problems with equal keys are interchangeable, e.g. equal ``(n, c)``).
    resamples, seed : int
        B and the seed, as :func:`resampled_means` (which draws through this function).

    Returns
    -------
    first : ndarray of int, shape (d,)
        Index of one problem of each distinct key (sorted keys).
    blocks : iterator of (start, stop, counts)
        ``counts[r, j]`` is how often resample ``start + r`` drew a problem of category j,
        float64 of shape (stop - start, d); each row sums to m. Blocks hold at most a few million
        entries, so B x m indices are never held at once.

    Notes
    -----
    With few categories (d <= m/4) a block is drawn as multinomial counts
    :math:`N \sim \text{Multinomial}(m;\ f/m)`; otherwise as m indices per resample, counted per
    category. Both give exactly the distribution of drawing m problems with replacement.
    """
    key = np.asarray(key)
    resamples = as_positive_int("resamples", resamples)
    m = key.shape[0]
    _, first, inverse, freq = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    rng = np.random.default_rng(seed)
    d = len(freq)

    def blocks():
        if d <= m // 4:  # few categories: multinomial counts of them
            block = max(1, _BLOCK // d)
            for start in range(0, resamples, block):
                stop = min(resamples, start + block)
                yield start, stop, rng.multinomial(m, freq / m, size=stop - start).astype(np.float64)  # (b, d)
            return
        block = max(1, _BLOCK // m)  # many categories: indices, counted per resample and category
        for start in range(0, resamples, block):
            b = min(resamples, start + block) - start
            idx = rng.integers(0, m, size=(b, m))
            cat = inverse[idx] + (np.arange(b) * d)[:, None]  # resample r's categories -> offset r*d
            yield start, start + b, np.bincount(cat.ravel(), minlength=b * d).reshape(b, d).astype(np.float64)

    return first, blocks()


def percentile_interval(draws: ArrayLike, level: float = 0.95) -> np.ndarray:
    r"""Percentile bootstrap interval of each column of ``draws``.

    Parameters
    ----------
    draws : array_like, shape (B,) or (B, q)
        Bootstrap replicates of a statistic (:func:`resampled_means`); ``inf`` is allowed and
        sorts last (a crossover "beyond the grid").
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    ndarray, shape (2,) or (q, 2)
        ``[lo, hi]``: the empirical ``(1 - level)/2`` and ``(1 + level)/2`` quantiles (the
        inverted empirical CDF, so each bound is one of the replicates).

    Notes
    -----
    .. math:: [\hat G^{-1}(\alpha/2),\ \hat G^{-1}(1 - \alpha/2)], \qquad \alpha = 1 - \text{level}

    Plain text: the alpha/2 and 1 - alpha/2 quantiles of the replicates, ``alpha = 1 - level``.

    References
    ----------
    Efron & Tibshirani (1993), ch. 13.

    Examples
    --------
    >>> percentile_interval(range(1, 101), 0.9).tolist()
    [5.0, 95.0]
    """
    level = check_level(level)
    draws = np.asarray(draws, dtype=np.float64)
    alpha = 1 - level
    lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0, method="inverted_cdf")
    return np.stack([lo, hi], axis=-1)
