r"""Forecasting pass@K beyond the samples drawn: a beta-binomial fit of the per-problem counts.

No unbiased estimate of pass@K exists from n < K samples (Walder & Karkhanis, arXiv 2505.15201,
Cor. 2): the estimator of :mod:`course_lib.evaluation.curve` stops at k = n. A *model* can go on.
Suppose each problem's pass rate is drawn from a Beta(a, b) distribution and its c correct
samples of n from Binomial(n, p): c is then beta-binomial, and the population pass@K has a
closed form,

.. math:: \text{pass@}K = 1 - \mathbb E[(1 - p)^K] = 1 - \frac{B(a, b + K)}{B(a, b)}, \qquad
          \text{pass}^K = \mathbb E[p^K] = \frac{B(a + K, b)}{B(a, b)} .

Kazdan et al. (arXiv 2510.05197) find that the usual fits of pass@k scaling are statistically
fragile when samples are few, and recommend estimating a beta-binomial model of the per-problem
counts instead; here it is fitted by maximum likelihood (every problem counts, those never solved
included), and its interval is a bootstrap over problems with the model refitted on every
resample. The forecast is **model-based**: it is as good as the Beta shape is at the small p
that large K reaches (a share of problems that no sample will ever solve, p = 0 exactly, is not
a Beta shape). Check it by subsampling: fit on m < n samples per problem (:func:`subsample`)
and compare with the measured pass@n (chapter 7 does).

References
----------
- J. Kazdan et al., "Efficient Prediction of Pass@k Scaling in Large Language Models",
  arXiv 2510.05197 (beta-binomial estimation of pass@k scaling).
- R. Schaeffer et al., arXiv 2502.17578 (aggregate pass@k scaling from the distribution of
  per-problem pass rates).
- D. A. Griffiths, "Maximum likelihood estimation for the beta-binomial distribution",
  Biometrics 29 (1973) (the likelihood as sums of logarithms).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._checks import as_int_array
from .bootstrap import check_level, percentile_interval, resampled_counts
from .metrics import METRICS

__all__ = ["BetaFit", "Forecast", "fit_beta_binomial", "beta_metric", "forecast", "subsample"]

_LOG_BOUNDS = (math.log(1e-6), math.log(1e6))
"""Range of log a and log b: a -> 0 (all failures) and a + b -> infinity (no spread) end at the bounds."""

_lgamma = np.frompyfunc(math.lgamma, 1, 1)


@dataclass(frozen=True)
class BetaFit:
    """A Beta(a, b) distribution of pass rates fitted to per-problem counts by maximum likelihood."""

    a: float
    """First shape parameter (mean pass rate a / (a + b))."""
    b: float
    """Second shape parameter."""
    loglik: float
    """Log-likelihood at the fit, without the constant ``sum log C(n, c)``."""
    converged: bool
    """False when the Newton iterations stopped before the gradient vanished."""

    @property
    def mean(self) -> float:
        """Mean pass rate ``a / (a + b)`` (the fitted pass@1)."""
        return self.a / (self.a + self.b)


def _stats(n_u: np.ndarray, c_u: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sufficient statistics U, V, W (each (B, top)): weighted counts of problems with c, n - c, n above i."""
    top = int(n_u.max())
    i = np.arange(top)
    out = []
    for x in (c_u, n_u - c_u, n_u):
        order = np.argsort(x, kind="stable")
        prefix = np.zeros((weights.shape[0], x.size + 1))
        np.cumsum(weights[:, order], axis=1, out=prefix[:, 1:])
        below = np.searchsorted(x[order], i, side="right")  # problems with x <= i
        out.append(prefix[:, -1:] - prefix[:, below])  # problems with x > i
    return tuple(out)


def _loglik(a: np.ndarray, b: np.ndarray, U, V, W) -> np.ndarray:
    """sum_i U_i log(a + i) + V_i log(b + i) - W_i log(a + b + i), one value per row."""
    i = np.arange(U.shape[1])
    return (
        (U * np.log(a[:, None] + i)).sum(1)
        + (V * np.log(b[:, None] + i)).sum(1)
        - (W * np.log((a + b)[:, None] + i)).sum(1)
    )


def _newton(theta: np.ndarray, U, V, W, iterations: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Maximise the beta-binomial log-likelihood over theta = (log a, log b), one row per data set."""
    i = np.arange(U.shape[1])
    scale = np.maximum(W[:, 0], 1.0)  # problems per data set: the gradient's natural size
    done = np.zeros(theta.shape[0], dtype=bool)
    for _ in range(iterations):
        a, b = np.exp(theta[:, 0]), np.exp(theta[:, 1])
        ra, rb, rab = 1 / (a[:, None] + i), 1 / (b[:, None] + i), 1 / ((a + b)[:, None] + i)
        la = (U * ra).sum(1) - (W * rab).sum(1)
        lb = (V * rb).sum(1) - (W * rab).sum(1)
        lab = (W * rab**2).sum(1)
        laa, lbb = lab - (U * ra**2).sum(1), lab - (V * rb**2).sum(1)
        g = np.stack([a * la, b * lb], 1)
        h11, h22, h12 = a * a * laa + a * la, b * b * lbb + b * lb, a * b * lab
        # a gradient component pushing against a bound is not a reason to go on
        at_bound = ((theta <= _LOG_BOUNDS[0]) & (g < 0)) | ((theta >= _LOG_BOUNDS[1]) & (g > 0))
        done |= (np.where(at_bound, 0.0, np.abs(g)).max(1) < 1e-9 * scale) | ~np.isfinite(g).all(1)
        if done.all():
            break
        det = h11 * h22 - h12 * h12
        newton = (h11 < 0) & (det > 0)
        solve = -np.stack([h22 * g[:, 0] - h12 * g[:, 1], h11 * g[:, 1] - h12 * g[:, 0]], 1)
        uphill = g / (np.abs(g).max(1, keepdims=True) + 1e-300)  # not concave here: a unit step uphill
        step = np.where(newton[:, None], solve / np.where(newton, det, 1)[:, None], uphill)
        step *= np.minimum(1.0, 2.0 / (np.abs(step).max(1, keepdims=True) + 1e-300))  # at most e^2 per step
        step[done] = 0.0
        base = _loglik(a, b, U, V, W)
        t = np.ones(theta.shape[0])
        todo = ~done
        for _ in range(30):  # backtracking: halve the step until the likelihood does not fall
            trial = np.clip(theta + t[:, None] * step, *_LOG_BOUNDS)
            rows = np.flatnonzero(todo)
            if rows.size == 0:
                break
            new = _loglik(np.exp(trial[rows, 0]), np.exp(trial[rows, 1]), U[rows], V[rows], W[rows])
            ok = new >= base[rows] - 1e-12 * np.abs(base[rows])
            theta[rows[ok]] = trial[rows[ok]]
            todo[rows[ok]] = False
            t[todo] /= 2
        done |= todo  # no step raised the likelihood: at the maximum to rounding
    return theta, done


def _start(U, V, W) -> np.ndarray:
    """Method-of-moments start: mean pass rate and a spread from the share of samples correct."""
    mu = np.clip(U.sum(1) / np.maximum(W.sum(1), 1), 1e-4, 1 - 1e-4)
    return np.log(np.stack([mu * 2, (1 - mu) * 2], 1))  # a + b = 2: a broad Beta around the mean


def fit_beta_binomial(n: ArrayLike, c: ArrayLike) -> BetaFit:
    r"""Maximum-likelihood Beta(a, b) of the pass rates behind per-problem counts (a beta-binomial fit).

    Parameters
    ----------
    n, c : array_like of int, shape (m,)
        Samples and correct samples per problem; n may differ between problems, and at least
        one problem needs ``n >= 2`` (one sample per problem says nothing about the spread).

    Returns
    -------
    BetaFit

    Raises
    ------
    ValueError
        On invalid counts or when every problem has a single sample.

    Notes
    -----
    With :math:`c_i \mid p_i \sim \text{Bin}(n_i, p_i)` and :math:`p_i \sim \text{Beta}(a, b)`,

    .. math:: \log L = \sum_i \Big[\sum_{j < c_i} \log(a + j) + \sum_{j < n_i - c_i} \log(b + j)
              - \sum_{j < n_i} \log(a + b + j)\Big] + \text{const}

    (the ratio of Beta functions written as rising factorials; plain text: per problem,
    ``sum log(a + j)`` over its correct samples, ``sum log(b + j)`` over its wrong ones, minus
    ``sum log(a + b + j)`` over all). It is maximised by Newton's method in (log a, log b) with
    backtracking; a -> 0 (no problem ever solved) and a + b -> infinity (every problem with the
    same p) stop at the bounds 1e-6 and 1e6.

    References
    ----------
    Griffiths, Biometrics 29 (1973); Kazdan et al., arXiv 2510.05197.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = rng.beta(0.5, 2.0, 4000)
    >>> fit = fit_beta_binomial(np.full(4000, 20), rng.binomial(20, p))
    >>> bool(abs(fit.a - 0.5) < 0.05 and abs(fit.b - 2.0) < 0.25), fit.converged
    (True, True)
    """
    n, c = as_int_array("n", n, minimum=1), as_int_array("c", c)
    _check_counts(n, c)
    first, inverse, weight = _categories(n, c)
    return _fit(n[first], c[first], weight[None, :])[0]


def _check_counts(n: np.ndarray, c: np.ndarray) -> None:
    if n.ndim != 1 or n.size == 0 or c.shape != n.shape:
        raise ValueError(f"n and c must be non-empty 1-D arrays of the same length, got shapes {n.shape}, {c.shape}")
    if (c > n).any():
        raise ValueError("c must be <= n (cannot have more correct samples than samples)")
    if n.max() < 2:
        raise ValueError(
            "a forecast needs at least 2 samples per problem: one sample per problem shows the mean pass rate, "
            "not how it spreads over problems"
        )


def _categories(n: np.ndarray, c: np.ndarray):
    """Distinct (n, c): index of one problem each, each problem's category, and each category's count."""
    key = n.astype(np.int64) * (int(n.max()) + 1) + c
    _, first, inverse, freq = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    return first, inverse.reshape(-1), freq.astype(np.float64)


def _fit(n_u, c_u, weights: np.ndarray, start: np.ndarray | None = None) -> list[BetaFit]:
    """One fit per row of ``weights`` (counts of each distinct (n_u, c_u))."""
    U, V, W = _stats(n_u, c_u, weights)
    theta = _start(U, V, W) if start is None else np.repeat(start[None, :], weights.shape[0], 0)
    theta, converged = _newton(theta, U, V, W)
    a, b = np.exp(theta[:, 0]), np.exp(theta[:, 1])
    ll = _loglik(a, b, U, V, W)
    return [BetaFit(float(x), float(y), float(z), bool(ok)) for x, y, z, ok in zip(a, b, ll, converged, strict=True)]


def beta_metric(metric: str, a: ArrayLike, b: ArrayLike, K: ArrayLike) -> np.ndarray:
    r"""Population pass@K (or pass^K) when pass rates follow Beta(a, b): broadcasting a, b against K.

    Notes
    -----
    .. math:: \text{pass@}K = 1 - \frac{\Gamma(b + K)\,\Gamma(a + b)}{\Gamma(b)\,\Gamma(a + b + K)},
              \qquad \text{pass}^K = \frac{\Gamma(a + K)\,\Gamma(a + b)}{\Gamma(a)\,\Gamma(a + b + K)}

    Plain text: ``1 - B(a, b + K) / B(a, b)`` and ``B(a + K, b) / B(a, b)``, from log-gamma
    differences (absolute error ~1e-12 up to K ~ 10^6).

    >>> round(float(beta_metric("pass@k", 1.0, 1.0, 3)), 12)  # uniform p: 1 - 1/(K + 1)
    0.75
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    a, b, K = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), np.asarray(K))

    def lg(x):
        return np.asarray(_lgamma(x), dtype=np.float64)

    if metric == "pass@k":
        log_fail = lg(b + K) - lg(b) + lg(a + b) - lg(a + b + K)
        out = 0.0 - np.expm1(log_fail)
    else:
        out = np.exp(lg(a + K) - lg(a) + lg(a + b) - lg(a + b + K))
    return out


@dataclass(frozen=True)
class Forecast:
    """A model-based forecast of pass@K (or pass^K) from a beta-binomial fit, with a bootstrap interval."""

    metric: str
    """``pass@k`` or ``pass^k``."""
    ks: np.ndarray
    """The K values, shape (K,)."""
    value: np.ndarray
    """Forecast at each K from the fit to all problems, shape (K,)."""
    ci: np.ndarray
    """Percentile-bootstrap [lo, hi] over problems, the model refitted on each resample, shape (K, 2)."""
    fit: BetaFit
    """The fit to all problems."""
    unconverged: int
    """Resamples whose fit stopped early (counted, kept)."""


def forecast(
    n: ArrayLike,
    c: ArrayLike,
    ks: ArrayLike,
    metric: str = "pass@k",
    level: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
) -> Forecast:
    r"""Forecast pass@K (or pass^K) at each K, also beyond n, from a beta-binomial fit; model-based.

    Parameters
    ----------
    n, c : array_like of int, shape (m,)
        Samples and correct samples per problem (:func:`fit_beta_binomial`).
    ks : array_like of int
        The K values to forecast, ``>= 1`` (any size; K <= n lets one compare with the measured value).
    metric : str
        ``pass@k`` or ``pass^k``.
    level, resamples, seed
        The bootstrap interval over problems (as :func:`course_lib.evaluation.curve.pass_at_k_curve`).

    Returns
    -------
    Forecast

    Notes
    -----
    The value is :func:`beta_metric` at the maximum-likelihood (a, b); the interval is the
    percentile interval of the same forecast over B resamples of problems, each refitted
    (Newton started from the full fit). It reflects which problems were drawn and how many
    samples each has, not whether the Beta shape is right.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> c = rng.binomial(10, rng.beta(0.3, 1.5, 3000))
    >>> fc = forecast(np.full(3000, 10), c, [100], resamples=200)
    >>> exact = float(beta_metric("pass@k", 0.3, 1.5, 100))  # the population it was drawn from
    >>> bool(fc.ci[0, 0] <= exact <= fc.ci[0, 1])
    True
    """
    n, c = as_int_array("n", n, minimum=1), as_int_array("c", c)
    _check_counts(n, c)
    ks = np.unique(as_int_array("K", np.atleast_1d(ks), minimum=1))
    level = check_level(level)
    first, inverse, weight = _categories(n, c)
    n_u, c_u = n[first], c[first]
    full = _fit(n_u, c_u, weight[None, :])[0]
    start = np.log([full.a, full.b])
    _, blocks = resampled_counts(inverse, resamples, seed)  # categories of problems, resampled
    draws, unconverged = [], 0
    for _, _, counts in blocks:
        fits = _fit(n_u, c_u, counts, start)
        unconverged += sum(not f.converged for f in fits)
        a, b = np.array([f.a for f in fits]), np.array([f.b for f in fits])
        draws.append(beta_metric(metric, a[:, None], b[:, None], ks[None, :]))
    draws = np.vstack(draws)
    return Forecast(
        metric=metric,
        ks=ks,
        value=beta_metric(metric, full.a, full.b, ks),
        ci=percentile_interval(draws, level),
        fit=full,
        unconverged=unconverged,
    )


def subsample(n: ArrayLike, c: ArrayLike, m: int, seed: int = 0) -> np.ndarray:
    r"""Correct samples among m of each problem's n samples drawn without replacement: hypergeometric.

    What an evaluation with m samples per problem would have recorded, from one with n >= m:
    ``c_m ~ Hypergeometric(c correct, n - c wrong, m draws)``, seeded. Used to check a forecast
    (fit on m, compare with the measured pass@n).

    >>> subsample([10, 10], [10, 0], 4).tolist()
    [4, 0]
    """
    n, c = as_int_array("n", n), as_int_array("c", c)
    if (n < m).any():
        raise ValueError(f"every problem needs n >= m = {m} samples to subsample, smallest n = {int(n.min())}")
    return np.random.default_rng(seed).hypergeometric(c, n - c, m).astype(np.int64)
