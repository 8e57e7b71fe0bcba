r"""Per-problem metrics of ``passk curve`` besides pass@k: pass^k (reliability) and Cover@τ (plug-in).

- **pass^k** -- all k of k samples correct (the reliability metric of agent benchmarks, Yao et al.,
  arXiv 2406.12045). Given the pass rate p it is ``p^k``; from ``n`` samples with ``c`` correct the
  unbiased estimate is ``C(c, k) / C(n, k)``, the share of size-k subsets that are all correct.
  pass@k rewards reaching a problem once, pass^k solving it every time: a model that trades
  reach for reliability moves them in opposite directions.
- **Cover@τ** -- the share of problems whose pass rate is at least τ (Dragoi et al., arXiv
  2510.08325). Since ``1 - (1 - p)^k = ∫_0^p k (1 - τ)^(k-1) dτ``, pass@k averaged over problems is
  the average of Cover@τ over τ ~ Beta(1, k): at large k the weight sits at τ near 0, so large-k
  pass@k counts problems solved *rarely* -- on short numeric answers, guessing is enough. No
  unbiased estimator of Cover@τ exists from binomial counts (the indicator of ``p >= τ`` is not a
  polynomial in p, and only polynomials of degree <= n have unbiased estimates from n draws), so
  the one used is the plug-in ``c/n >= τ``, labelled as such. Its discrete identity
  (:func:`cover_weights`) holds exactly: the unbiased pass@k is the plug-in Cover@(j/n) averaged
  with weights ``C(n - j, k - 1) / C(n, k)``.

Registered in :data:`METRICS`, which :mod:`course_lib.evaluation.curve` uses for any curve over k.
"""

from __future__ import annotations

from math import comb

import numpy as np
from numpy.typing import ArrayLike

from .. import passk
from .._checks import as_int_array, as_positive_int

__all__ = ["METRICS", "JSON_NAMES", "per_problem", "pass_hat_k", "cover_plugin", "cover_weights"]


def pass_hat_k(n: ArrayLike, c: ArrayLike, k: ArrayLike) -> float | np.ndarray:
    r"""Unbiased estimate of pass^k (all of k samples correct) from ``n`` samples of which ``c`` are correct.

    Parameters
    ----------
    n, c, k : int or array_like of int
        Samples, correct samples (``0 <= c <= n``) and k (``1 <= k <= n``); they broadcast.

    Returns
    -------
    float or ndarray
        In [0, 1]; 0 when ``c < k``.

    Notes
    -----
    .. math:: \widehat{\text{pass}^k} = \binom{c}{k} \Big/ \binom{n}{k}
              = 1 - \widehat{\text{pass@}k}(n, n - c)

    Plain text: ``C(c, k) / C(n, k)``, the share of size-k subsets of the samples with no wrong
    one, i.e. one minus pass@k of the *wrong* samples (computed that way, by
    :func:`course_lib.passk.pass_at_k`). Averaged over ``c ~ Binomial(n, p)`` it equals ``p^k``.

    References
    ----------
    S. Yao et al., "tau-bench", arXiv 2406.12045 (pass^k); M. Chen et al., arXiv 2107.03374.

    Examples
    --------
    >>> round(pass_hat_k(10, 7, 3), 12)  # C(7,3)/C(10,3) = 35/120
    0.291666666667
    """
    n_, c_ = np.broadcast_arrays(as_int_array("n", n), as_int_array("c", c))
    if (c_ > n_).any():
        raise ValueError("c must be <= n (cannot have more correct samples than samples)")
    out = 0.0 - (np.asarray(passk.pass_at_k(n_, n_ - c_, k), dtype=np.float64) - 1.0)  # 0.0 - : no -0.0
    return float(out) if out.ndim == 0 else out


def _pass_at_k_table(n: np.ndarray, c: np.ndarray, ks: np.ndarray) -> np.ndarray:
    return np.asarray(passk.pass_at_k(n[:, None], c[:, None], ks[None, :]), dtype=np.float64)


def _pass_hat_k_table(n: np.ndarray, c: np.ndarray, ks: np.ndarray) -> np.ndarray:
    return 0.0 - (_pass_at_k_table(n, n - c, ks) - 1.0)  # 0.0 - : no -0.0


METRICS = {"pass@k": _pass_at_k_table, "pass^k": _pass_hat_k_table}
"""Per-problem unbiased estimators over k: name -> ``f(n (m,), c (m,), ks (K,)) -> (m, K)``."""

JSON_NAMES = {"pass@k": "pass_at_k", "pass^k": "pass_hat_k"}
"""Each metric's key in ``passk curve --json``."""


def per_problem(metric: str, n: ArrayLike, c: ArrayLike, ks: ArrayLike) -> np.ndarray:
    """Unbiased per-problem estimate of ``metric`` (a key of :data:`METRICS`) at each k: shape (m, K).

    >>> per_problem("pass^k", [4, 4], [4, 2], [1, 2]).round(12).tolist()  # C(2,2)/C(4,2) = 1/6
    [[1.0, 1.0], [0.5, 0.166666666667]]
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    n, c = as_int_array("n", n), as_int_array("c", c)
    ks = as_int_array("k", np.atleast_1d(ks), minimum=1)
    return METRICS[metric](n, c, ks).reshape(n.size, ks.size)


def cover_plugin(n: ArrayLike, c: ArrayLike, taus: ArrayLike) -> np.ndarray:
    r"""Plug-in indicator of ``p >= τ`` per problem and τ: ``c/n >= τ``, shape (m, T), float 0/1.

    The dataset's plug-in Cover@τ is the column mean. It is biased: with finite n a problem of
    pass rate just under τ often shows ``c/n >= τ`` and one just over often does not (no unbiased
    estimator exists, see the module docstring).

    >>> cover_plugin([10, 10, 4], [3, 7, 2], [0.3, 0.5]).tolist()
    [[1.0, 0.0], [1.0, 1.0], [1.0, 1.0]]
    """
    n, c = as_int_array("n", n, minimum=1), as_int_array("c", c)
    taus = np.atleast_1d(np.asarray(taus, dtype=np.float64))
    if not np.all((taus > 0) & (taus <= 1)):
        raise ValueError(f"every τ must lie in (0, 1], got {taus.tolist()}")
    return (c[:, None] / n[:, None] >= taus[None, :]).astype(np.float64)


def cover_weights(n: int, k: int) -> np.ndarray:
    r"""Weights ``w_j = C(n - j, k - 1) / C(n, k)``, j = 1..n, with which plug-in Cover@(j/n) averages to pass@k.

    Parameters
    ----------
    n : int
        Samples per problem (the same for all problems).
    k : int
        ``1 <= k <= n``.

    Returns
    -------
    ndarray, shape (n,)
        ``w[j - 1]``; they sum to 1 and fall with j (most weight at small τ = j/n when k is large).

    Notes
    -----
    For one problem with c correct samples, the hockey-stick identity
    :math:`\sum_{j=1}^{c} \binom{n-j}{k-1} = \binom{n}{k} - \binom{n-c}{k}` gives

    .. math:: 1 - \binom{n-c}{k}\Big/\binom{n}{k} = \sum_{j=1}^{n} w_j\, \mathbb 1[c \ge j],

    and averaging over problems (``1[c >= j]`` averages to the plug-in Cover@(j/n)):
    ``mean unbiased pass@k = sum_j w_j Cover@(j/n)`` exactly. It is the discrete form of
    Dragoi et al.'s ``pass@k = ∫ Cover@τ k (1 - τ)^(k-1) dτ`` (a Beta(1, k) average).

    References
    ----------
    M. Dragoi et al., arXiv 2510.08325 (Cover@τ; pass@k as a Beta(1, k)-weighted average of it).

    Examples
    --------
    >>> cover_weights(4, 2).tolist()  # C(3,1), C(2,1), C(1,1), C(0,1) over C(4,2) = 6
    [0.5, 0.3333333333333333, 0.16666666666666666, 0.0]
    """
    n, k = as_positive_int("n", n), as_positive_int("k", k)
    if k > n:
        raise ValueError(f"k must be <= n, got k = {k}, n = {n}")
    total = comb(n, k)
    return np.array([comb(n - j, k - 1) / total for j in range(1, n + 1)])
