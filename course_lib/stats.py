r"""Paired comparisons of runs: differences, intervals, tests, Holm's correction and power.

Two training methods run with the *same* seeds (the same warm start, prompt draws and sampler seed)
give one difference per seed, :math:`d_i = a_i - b_i`. Everything here reads those differences:

- :func:`compare_paired` -- mean difference, Student-t and paired-bootstrap intervals, the paired
  t-test and the sign test, in one :class:`PairedComparison`;
- :func:`holm` -- Holm's step-down correction of a family of p-values (family-wise error <= alpha);
- :func:`power` -- the exact power of the two-sided paired t-test (non-central t, by quadrature);
  :func:`detectable_effect` and :func:`seeds_needed` invert it;
- :func:`t_cdf`, :func:`t_ppf` -- Student's t distribution (regularised incomplete beta, NumPy only);
- :func:`sign_test` -- the exact two-sided binomial test of wins against losses.

Taught in ``notebooks/06_beyond_passk.ipynb`` (the verdict table of the method comparison); the
lab's comparison (:mod:`course_lib.lab.compare`) and the real-model chapter use it. The bootstrap
itself is :mod:`course_lib.evaluation.bootstrap`'s (one home).

References
----------
- S. Holm, "A simple sequentially rejective multiple test procedure", Scand. J. Statist. 6 (1979).
- Student (W. S. Gosset), "The probable error of a mean", Biometrika 6 (1908).
- NIST/DLMF 8.17 (the incomplete beta function and its continued fraction, 8.17.22).
- B. Efron, R. Tibshirani, *An Introduction to the Bootstrap* (1993), ch. 13 (percentile interval).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_positive_int
from .evaluation.bootstrap import check_level, percentile_interval, resampled_means

__all__ = [
    "PairedComparison",
    "compare_paired",
    "t_cdf",
    "t_ppf",
    "sign_test",
    "holm",
    "power",
    "detectable_effect",
    "seeds_needed",
]


# ----------------------------------------------------------------------------- Student's t
def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b) by its continued fraction (DLMF 8.17.22, modified Lentz)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x > (a + 1.0) / (a + b + 2.0):  # the fraction converges fast only below the mean: use symmetry
        return 1.0 - _betainc(b, a, 1.0 - x)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)) / a
    tiny = 1e-300
    f, c, d = 1.0, 1.0, 0.0  # f = 1 / (1 + d_1 / (1 + d_2 / (1 + ...))), evaluated forwards
    for i in range(0, 400):
        m = i // 2
        if i == 0:
            num = 1.0
        elif i % 2 == 0:  # d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m))
            num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        else:  # d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1.0 + num * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + num / c
        c = c if abs(c) > tiny else tiny
        f *= c * d
        if abs(1.0 - c * d) < 1e-15:
            break
    return front * (f - 1.0)


def t_cdf(t: float, df: float) -> float:
    r"""P(T <= t) for Student's t with ``df`` degrees of freedom.

    Notes
    -----
    .. math:: P(T \le t) = 1 - \tfrac12 I_{\nu/(\nu+t^2)}(\nu/2, 1/2) \quad (t \ge 0)

    Plain text: ``1 - I_x(df/2, 1/2) / 2`` with ``x = df / (df + t^2)`` for t >= 0, and by symmetry
    for t < 0. ``I`` is the regularised incomplete beta function.

    Examples
    --------
    >>> round(t_cdf(1.0, 1), 12)  # Cauchy: 1/2 + atan(1)/pi
    0.75
    """
    df = float(df)
    if not (df > 0 and math.isfinite(df)):
        raise ValueError(f"df must be a finite number > 0, got {df!r}")
    t = float(t)
    if math.isnan(t):
        raise ValueError("t must not be NaN")
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))  # P(T > |t|)
    return 1.0 - tail if t >= 0 else tail


@functools.lru_cache(maxsize=4096)
def t_ppf(q: float, df: float) -> float:
    """The q-quantile of Student's t with ``df`` degrees of freedom (bisection on :func:`t_cdf`).

    Examples
    --------
    >>> round(t_ppf(0.975, 19), 4)  # the 95 % two-sided critical value with 20 seeds
    2.093
    """
    q = float(q)
    if not 0 < q < 1:
        raise ValueError(f"q must lie strictly between 0 and 1, got {q!r}")
    if q < 0.5:
        return -t_ppf(1.0 - q, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < q:
        lo, hi = hi, 2.0 * hi
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, df) < q:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


# ----------------------------------------------------------------------------- one paired comparison
@dataclass(frozen=True)
class PairedComparison:
    """What the seeds say about ``a - b`` (one difference per seed)."""

    n: int
    """Seeds (pairs)."""
    mean: float
    """Mean difference, mean_i (a_i - b_i)."""
    sd: float
    """Sample standard deviation of the differences (ddof = 1)."""
    t_interval: tuple[float, float]
    """Student-t interval of the mean difference, mean -+ t_{(1+level)/2, n-1} sd / sqrt(n)."""
    boot_interval: tuple[float, float]
    """Paired percentile-bootstrap interval of the mean difference (seeds resampled, pairs kept)."""
    p: float
    """Two-sided p-value of the paired t-test of mean difference 0."""
    above: int
    """Seeds with a_i > b_i."""
    below: int
    """Seeds with a_i < b_i (ties count in neither)."""
    sign_p: float
    """Two-sided p-value of the exact sign test (:func:`sign_test`)."""
    level: float
    """Confidence level of both intervals."""

    @property
    def se(self) -> float:
        """Standard error of the mean difference, sd / sqrt(n)."""
        return self.sd / math.sqrt(self.n)


def _pairs(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """The differences a - b of two equal-length finite 1-D arrays with at least 2 entries."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"a and b must be 1-D with one value per seed, got shapes {a.shape} and {b.shape}")
    if len(a) < 2:
        raise ValueError(f"a paired comparison needs at least 2 seeds, got {len(a)}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("a and b must be finite (drop the seeds where a metric is undefined first)")
    return a - b


def compare_paired(
    a: ArrayLike, b: ArrayLike, level: float = 0.95, resamples: int = 10_000, seed: int = 0
) -> PairedComparison:
    r"""Compare ``a`` with ``b`` seed by seed: intervals and tests of the mean difference.

    Parameters
    ----------
    a, b : array_like, shape (n,)
        One value per seed; ``a[i]`` and ``b[i]`` come from runs with the same seed.
    level : float
        Confidence level of the intervals, in (0, 1).
    resamples, seed : int
        Bootstrap resamples of the seeds and the generator's seed.

    Returns
    -------
    PairedComparison

    Raises
    ------
    ValueError
        Different lengths, fewer than 2 seeds, non-finite values or a bad level.

    Notes
    -----
    With :math:`d_i = a_i - b_i`, :math:`\bar d` and :math:`s` their mean and sample sd,

    .. math:: t = \frac{\bar d}{s/\sqrt n}, \qquad p = 2\,P(T_{n-1} > |t|), \qquad
              \bar d \pm t_{(1+\ell)/2,\,n-1}\, s/\sqrt n .

    Plain text: ``t = mean(d) / (sd(d) / sqrt(n))``, ``p = 2 P(T_{n-1} > |t|)``. When every
    difference is the same number, s = 0: p is 0 if that number is not 0, else 1.

    Examples
    --------
    >>> c = compare_paired([3, 4, 5, 6], [2, 2, 2, 2])  # d = 1, 2, 3, 4
    >>> c.mean, round(c.sd ** 2, 12), c.above, c.below
    (2.5, 1.666666666667, 4, 0)
    """
    d = _pairs(a, b)
    level = check_level(level)
    n, mean, sd = len(d), float(d.mean()), float(d.std(ddof=1))
    if sd > 0:
        t = mean / (sd / math.sqrt(n))
        p = 2.0 * (1.0 - t_cdf(abs(t), n - 1))
        half = t_ppf(0.5 + level / 2.0, n - 1) * sd / math.sqrt(n)
    else:
        p, half = (0.0 if mean != 0 else 1.0), 0.0
    boot = percentile_interval(resampled_means(d, resamples=resamples, seed=seed), level)
    above, below = int(np.sum(d > 0)), int(np.sum(d < 0))
    return PairedComparison(
        n=n,
        mean=mean,
        sd=sd,
        t_interval=(mean - half, mean + half),
        boot_interval=(float(boot[0]), float(boot[1])),
        p=float(min(1.0, p)),
        above=above,
        below=below,
        sign_p=sign_test(above, below),
        level=level,
    )


def sign_test(above: int, below: int) -> float:
    r"""Exact two-sided sign test: p-value of ``above`` wins against ``below`` losses (ties dropped).

    .. math:: p = \min\Big(1,\ 2 \sum_{j \le \min(a, b)} \binom{a+b}{j} 2^{-(a+b)}\Big)

    Examples
    --------
    >>> sign_test(4, 1)  # 4 of 5 seeds: 2 * (1 + 5) / 32
    0.375
    """
    above, below = as_positive_int("above", above, 0), as_positive_int("below", below, 0)
    n = above + below
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, j) for j in range(min(above, below) + 1)) / 2**n
    return float(min(1.0, 2.0 * tail))


# ----------------------------------------------------------------------------- a family of tests
def holm(p: ArrayLike, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    r"""Holm's step-down correction: adjusted p-values and which hypotheses are rejected.

    Parameters
    ----------
    p : array_like, shape (m,)
        The family's p-values (every test the verdicts draw on).
    alpha : float
        Family-wise error rate.

    Returns
    -------
    adjusted : ndarray, shape (m,)
        Holm-adjusted p-values, in the order of ``p``.
    reject : ndarray of bool, shape (m,)
        ``adjusted <= alpha``: the probability of any false rejection in the family is at most alpha.

    Notes
    -----
    Sort the p-values, :math:`p_{(1)} \le \dots \le p_{(m)}`; then

    .. math:: \tilde p_{(i)} = \max_{j \le i} \min\big(1, (m - j + 1)\, p_{(j)}\big).

    Plain text: the smallest p-value is multiplied by m, the next by m - 1, ..., each adjusted
    value at least the one before. The smallest is tested at alpha / m: the level at which
    :func:`power` is computed for a family.

    Examples
    --------
    >>> adj, rej = holm([0.01, 0.04, 0.03, 0.005])
    >>> [round(x, 12) for x in adj.tolist()], rej.tolist()
    ([0.03, 0.06, 0.06, 0.02], [True, False, False, True])
    """
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1 or not ((p >= 0) & (p <= 1)).all():
        raise ValueError("p must be a 1-D array of p-values in [0, 1]")
    alpha = check_level(alpha)
    m = len(p)
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted, adjusted <= alpha


# ----------------------------------------------------------------------------- power
def _phi(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF, elementwise (math.erfc: NumPy has no erf)."""
    return 0.5 * np.vectorize(math.erfc, otypes=[float])(-np.asarray(x, dtype=np.float64) / math.sqrt(2.0))


def power(delta: float, sd: float, n: int, alpha: float = 0.05) -> float:
    r"""Power of the two-sided paired t-test at level ``alpha`` against a true mean difference ``delta``.

    Parameters
    ----------
    delta : float
        True mean difference per seed.
    sd : float
        Standard deviation of the per-seed differences (> 0).
    n : int
        Seeds (pairs), >= 2.
    alpha : float
        The test's level; for a test inside a Holm family pass alpha / m, the level Holm applies
        to the smallest p-value (the power there is a lower bound on the power inside the family).

    Returns
    -------
    float
        P(|T'| > t_{1-alpha/2, n-1}), T' non-central t with n - 1 degrees of freedom and
        non-centrality ``delta sqrt(n) / sd``.

    Notes
    -----
    With :math:`\lambda = \delta\sqrt n/\sigma`, :math:`c = t_{1-\alpha/2,\,n-1}` and
    :math:`U = \sqrt{V/\nu}`, :math:`V \sim \chi^2_\nu`, :math:`\nu = n - 1`,

    .. math:: \text{power} = \mathbb E_U\big[\Phi(\lambda - cU) + \Phi(-\lambda - cU)\big],

    integrated over the density of U by Simpson's rule on 4001 points (error < 1e-7).
    Plain text: ``E_U[Phi(lam - c U) + Phi(-lam - c U)]``.

    Examples
    --------
    >>> round(power(0.0, 1.0, 20, 0.05), 6)  # no effect: the test rejects with probability alpha
    0.05
    """
    n = as_positive_int("n", n, minimum=2)
    alpha = check_level(alpha)
    sd = float(sd)
    if not (sd > 0 and math.isfinite(sd)) or not math.isfinite(float(delta)):
        raise ValueError(f"sd must be a finite number > 0 and delta finite, got sd={sd!r}, delta={delta!r}")
    nu = n - 1
    lam = abs(float(delta)) * math.sqrt(n) / sd
    c = t_ppf(1.0 - alpha / 2.0, nu)
    spread = 12.0 / math.sqrt(2.0 * nu)  # U has sd about 1 / sqrt(2 nu) around 1
    lo, hi = (0.0, 10.0) if nu < 3 else (max(0.0, 1.0 - spread), 1.0 + spread)
    u = np.linspace(lo, hi, 4_001)[1:] if lo == 0.0 else np.linspace(lo, hi, 4_001)
    v = nu * u * u
    log_f = (  # density of U = sqrt(V / nu): 2 nu u f_chi2(nu u^2)
        math.log(2.0 * nu)
        + np.log(u)
        + (nu / 2.0 - 1.0) * np.log(v)
        - v / 2.0
        - (nu / 2.0) * math.log(2.0)
        - math.lgamma(nu / 2.0)
    )
    dens = np.exp(log_f)
    g = _phi(lam - c * u) + _phi(-lam - c * u)
    if lo == 0.0:  # the point u = 0: density 2 phi(0) for nu = 1, 0 for nu >= 2
        u = np.concatenate([[0.0], u])
        dens = np.concatenate([[math.sqrt(2.0 / math.pi) if nu == 1 else 0.0], dens])
        g = np.concatenate([[1.0], g])  # Phi(lam) + Phi(-lam)
    h = u[1] - u[0]
    w = np.ones(len(u))  # Simpson's rule: h/3 (1, 4, 2, 4, ..., 4, 1) over 4000 intervals
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    return float(np.clip(h / 3.0 * np.sum(w * g * dens), 0.0, 1.0))


def detectable_effect(sd: float, n: int, alpha: float = 0.05, target: float = 0.8) -> float:
    """The smallest true mean difference the paired t-test detects with probability ``target``.

    Inverts :func:`power` in ``delta`` (bisection). With a family, pass its Holm level alpha / m.

    Examples
    --------
    >>> d = detectable_effect(1.0, 20, 0.05)
    >>> round(power(d, 1.0, 20, 0.05), 6)
    0.8
    """
    target = check_level(target)
    lo, hi = 0.0, float(sd)
    while power(hi, sd, n, alpha) < target:
        lo, hi = hi, 2.0 * hi
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if power(mid, sd, n, alpha) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def seeds_needed(delta: float, sd: float, alpha: float = 0.05, target: float = 0.8, n_max: int = 100_000) -> int:
    """Smallest number of paired seeds n >= 2 whose t-test detects ``delta`` with probability ``target``.

    Raises
    ------
    ValueError
        If ``delta`` is 0 or no n up to ``n_max`` reaches the target.
    """
    if float(delta) == 0.0:
        raise ValueError("delta must be non-zero: no number of seeds detects a zero difference")
    target = check_level(target)
    if power(delta, sd, n_max, alpha) < target:
        raise ValueError(f"more than {n_max} seeds would be needed")
    lo, hi = 1, 2
    while power(delta, sd, hi, alpha) < target:  # power grows with n
        lo, hi = hi, min(2 * hi, n_max)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if power(delta, sd, mid, alpha) < target:
            lo = mid
        else:
            hi = mid
    return hi
