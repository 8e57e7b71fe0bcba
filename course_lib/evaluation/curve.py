r"""Pass@k curves from evaluation results, with bootstrap intervals, paired differences and crossovers.

The math behind ``passk curve`` (:mod:`course_lib.evaluation.cli`): per problem the unbiased
estimate :func:`course_lib.passk.pass_at_k` from its own ``(n, c)``, averaged over problems;
coverage by the course's one definition (:func:`course_lib.passk.coverage_from_counts`);
intervals by the bootstrap over problems (:mod:`course_lib.evaluation.bootstrap`). Two models
evaluated on the same problems are compared *paired*, on the problems both files hold.

Why a crossover matters: RL with verifiable rewards often raises pass@1 while pass@k at large k
falls below the base model's, the base model "catching up" once it may sample many times (Yue et
al., arXiv 2504.13837). The k at which the two curves change order, and how sure one can be of it,
says how far the trained model's advantage reaches. Taught in
``notebooks/07_passk_as_a_diagnostic.ipynb``.

References
----------
- M. Chen et al., arXiv 2107.03374 (the unbiased pass@k estimator).
- Y. Yue et al., "Does Reinforcement Learning Really Incentivize Reasoning Capacity in LLMs
  Beyond the Base Model?", arXiv 2504.13837 (base and RL models compared across k).
- Y. Yu, arXiv 2511.16231 (pass@k as a diagnostic of exploration).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from .. import passk
from .._checks import as_int_array
from .bootstrap import check_level, percentile_interval, resampled_means
from .metrics import cover_plugin, per_problem

__all__ = [
    "TIE",
    "default_ks",
    "check_ks",
    "per_problem_pass_at_k",
    "crossover_k",
    "crossings",
    "resolved",
    "align",
    "Curve",
    "pass_at_k_curve",
    "Comparison",
    "compare",
]

TIE = 1e-12
"""Differences of pass@k at most this large count as equal curves (float rounding, both at 1.0)."""


def default_ks(n_min: int) -> list[int]:
    """The default k grid: powers of two and the k papers publish (1, 5, 10, 50, 100, ...), up to ``n_min``.

    >>> default_ks(10), default_ks(200)
    ([1, 2, 4, 5, 8, 10], [1, 2, 4, 5, 8, 10, 16, 32, 50, 64, 100, 128])
    """
    n_min = int(n_min)
    if n_min < 1:
        raise ValueError(f"every problem needs at least one sample, got n = {n_min}")
    published = {m * 10**e for e in range(len(str(n_min))) for m in (1, 5)}  # 1, 5, 10, 50, 100, ...
    return sorted({2**i for i in range(n_min.bit_length())} | {k for k in published if k <= n_min})


def check_ks(ks: ArrayLike, n: ArrayLike, ids=None, where: str = "the data") -> np.ndarray:
    """``ks`` as a sorted int array, checked against every problem's n: no k may exceed a problem's n.

    With different n per problem, a k beyond some problem's n has no unbiased estimate there
    (Walder & Karkhanis, arXiv 2505.15201, Cor. 2). It is reported, not guessed: the
    ``ValueError`` names how many problems, the smallest n and one such problem.
    """
    ks = np.unique(as_int_array("k", np.atleast_1d(ks), minimum=1))
    if ks.size == 0:
        raise ValueError("give at least one k")
    n = np.asarray(n)
    worst = int(np.argmin(n))
    if ks[-1] > n[worst]:
        k = int(ks[-1])
        short = int((n < k).sum())
        name = f" ({ids[worst]!r} has n = {n[worst]})" if ids is not None else f" (smallest n = {n[worst]})"
        raise ValueError(
            f"k = {k} exceeds n for {short} of {n.size} problems in {where}{name}: no unbiased pass@{k} exists "
            f"for them; use k <= {n[worst]}, or leave those problems out"
        )
    return ks


def per_problem_pass_at_k(n: ArrayLike, c: ArrayLike, ks: ArrayLike) -> np.ndarray:
    r"""Unbiased pass@k of every problem at every k: shape (m, K).

    Entry (i, j) is :func:`course_lib.passk.pass_at_k` ``(n_i, c_i, k_j)``,
    ``1 - C(n_i - c_i, k_j) / C(n_i, k_j)``; each problem uses its own n (``k_j <= n_i`` is
    required). The dataset pass@k is the column mean.

    >>> per_problem_pass_at_k([10, 4], [3, 0], [1, 4]).round(12).tolist()  # 3/10, 1 - C(7,4)/C(10,4) = 5/6
    [[0.3, 0.833333333333], [0.0, 0.0]]
    """
    n, c = as_int_array("n", n), as_int_array("c", c)
    ks = as_int_array("k", np.atleast_1d(ks), minimum=1)
    return np.asarray(passk.pass_at_k(n[:, None], c[:, None], ks[None, :]), dtype=np.float64).reshape(n.size, ks.size)


def _nc_key(n: np.ndarray, c: np.ndarray) -> np.ndarray:
    """One int per problem, equal exactly when (n, c) are equal (the bootstrap's categories)."""
    return n.astype(np.int64) * (int(c.max()) + 1) + c


def crossover_k(diff: ArrayLike, ks: ArrayLike) -> np.ndarray:
    r"""Crossover k* of two pass@k curves from their differences on a k grid (vectorised).

    Parameters
    ----------
    diff : array_like, shape (..., K)
        ``pass@k(B) - pass@k(A)`` at each k of the grid (one row per bootstrap resample, or one row).
    ks : array_like of int, shape (K,)
        The grid, increasing.

    Returns
    -------
    ndarray of int, shape (...)
        The smallest k of the grid at which the curves are in the opposite order to the one they
        first show; 0 where there is none in the grid. It is the first of :func:`crossings`.

    Notes
    -----
    The order at k is the sign of the difference, with ``|diff| <= TIE`` counted as equal. A
    crossover is a strict change of order: from "B ahead" to "A ahead" or back; curves that only
    touch (both reach 1.0) do not cross. If the curves are equal at the first k, their first
    order is the one they take at the first k where they differ.

    .. math:: k^* = \min\{k \in \text{grid} : \operatorname{sign} d(k) = -s_1\}, \qquad
              s_1 = \text{the first non-zero } \operatorname{sign} d(k)

    Examples
    --------
    >>> crossover_k([0.2, 0.05, -0.01, -0.03], [1, 2, 4, 8]).item()  # B ahead at k = 1, behind from k = 4
    4
    >>> crossover_k([[0.2, 0.0, 0.1], [0.1, 0.1, 0.1]], [1, 2, 4]).tolist()  # touching is not crossing
    [0, 0]
    """
    d = np.asarray(diff, dtype=np.float64)
    ks = np.asarray(ks)
    sign = np.where(np.abs(d) <= TIE, 0, np.sign(d)).astype(np.int8)
    ref = np.take_along_axis(sign, np.argmax(sign != 0, axis=-1)[..., None], axis=-1)  # first non-zero sign
    changed = (sign == -ref) & (ref != 0)
    first = np.argmax(changed, axis=-1)
    return np.where(changed.any(axis=-1), ks[first], 0)


def crossings(diff: ArrayLike, ks: ArrayLike) -> list[int]:
    r"""Every k of the grid at which the order of two curves changes: where the new sign of the difference starts.

    The sign of ``diff`` (``|diff| <= TIE`` is a zero) is carried forward over zeros, so curves
    that touch (both at 1.0) and part again the same way do not cross; a zero at the start takes
    the first non-zero sign.

    >>> crossings([-0.01, 0.02, 0.03, 0.0, 0.01, -0.02, -0.01], [1, 2, 3, 4, 5, 6, 7])
    [2, 6]
    """
    d = np.asarray(diff, dtype=np.float64)
    sign = np.where(np.abs(d) <= TIE, 0, np.sign(d)).astype(np.int8)
    out, previous = [], 0
    for k, s_ in zip(np.asarray(ks).tolist(), sign.tolist(), strict=True):
        if s_ != 0:
            if previous != 0 and s_ != previous:
                out.append(int(k))
            previous = s_
    return out


def resolved(crossing: int, ks: ArrayLike, diff: ArrayLike, diff_ci: ArrayLike) -> bool:
    """Whether the data resolve a crossing at ``crossing``: some k before it has a paired interval
    entirely on the old side of 0, and some k from it on one entirely on the new side.

    >>> resolved(4, [1, 2, 4, 8], [0.1, 0.05, -0.02, -0.1], [[0.05, 0.15], [-0.01, 0.1], [-0.05, 0.01], [-0.2, -0.01]])
    True
    """
    ks, d, ci = np.asarray(ks), np.asarray(diff, dtype=np.float64), np.asarray(diff_ci, dtype=np.float64)
    at = int(np.searchsorted(ks, crossing))
    new = np.sign(d[at])
    before, after = ci[:at], ci[at:]
    old_side = (before[:, 1] < 0) if new > 0 else (before[:, 0] > 0)
    new_side = (after[:, 0] > 0) if new > 0 else (after[:, 1] < 0)
    return bool(old_side.any() and new_side.any())


def align(ids_a, ids_b) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the problems both lists hold, in the order of ``ids_a``: ``(index into a, index into b)``.

    >>> align(["x", "y", "z"], ["z", "x"])
    (array([0, 2]), array([1, 0]))
    """
    where_b = {pid: j for j, pid in enumerate(ids_b)}
    pairs = [(i, where_b[pid]) for i, pid in enumerate(ids_a) if pid in where_b]
    ia, ib = (np.array(x, dtype=np.int64) for x in zip(*pairs, strict=True)) if pairs else (np.zeros(0, int),) * 2
    return ia, ib


@dataclass(frozen=True)
class Curve:
    """pass@k (or pass^k) of one results file across a k grid, with percentile-bootstrap intervals."""

    ks: np.ndarray
    """The k grid, shape (K,)."""
    value: np.ndarray
    """The metric at each k, the mean over problems of its unbiased per-problem estimate, shape (K,)."""
    ci: np.ndarray
    """[lo, hi] of each value, shape (K, 2)."""
    coverage: float
    """Share of problems with at least one correct sample (:func:`course_lib.passk.coverage_from_counts`)."""
    coverage_ci: np.ndarray
    """[lo, hi] of the coverage, shape (2,)."""
    n_problems: int
    """m."""
    n_samples: int
    """Sum of n."""
    metric: str = "pass@k"
    """``pass@k`` or ``pass^k`` (:data:`course_lib.evaluation.metrics.METRICS`)."""
    taus: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """The τ of Cover@τ asked for, shape (T,)."""
    cover: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Plug-in Cover@τ (share of problems with ``c/n >= τ``, biased: no unbiased estimator exists), shape (T,)."""
    cover_ci: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    """[lo, hi] of each Cover@τ (an interval for the plug-in's mean, not for the population share), shape (T, 2)."""

    @property
    def pass_at_k(self) -> np.ndarray:
        """:attr:`value` of a pass@k curve (an error for another metric: say which you mean)."""
        if self.metric != "pass@k":
            raise AttributeError(f"this curve holds {self.metric}, not pass@k: use .value")
        return self.value


def pass_at_k_curve(
    n: ArrayLike,
    c: ArrayLike,
    ks: ArrayLike | None = None,
    level: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
    *,
    metric: str = "pass@k",
    taus: ArrayLike | None = None,
) -> Curve:
    r"""pass@k (or pass^k) of a set of problems at each k, and its bootstrap interval over problems.

    Parameters
    ----------
    n, c : array_like of int, shape (m,)
        Samples and correct samples per problem (n may differ between problems).
    ks : array_like of int, optional
        The k grid (default :func:`default_ks` of the smallest n); every k must be <= every n.
    level : float
        Confidence level of the intervals, in (0, 1).
    resamples, seed : int
        Bootstrap resamples B and the seed of their generator.
    metric : str
        ``pass@k`` (default) or ``pass^k`` (all k samples correct, :func:`course_lib.evaluation.metrics.pass_hat_k`).
    taus : array_like of float, optional
        Also the plug-in Cover@τ at these τ in (0, 1] (:func:`course_lib.evaluation.metrics.cover_plugin`).

    Returns
    -------
    Curve

    Raises
    ------
    ValueError
        On invalid counts, a k above some problem's n (:func:`check_ks`), a bad ``level``, metric or τ.

    Notes
    -----
    .. math:: \widehat{\text{pass@}k} = \frac1m \sum_{i=1}^m
              \left(1 - \binom{n_i - c_i}{k} \Big/ \binom{n_i}{k}\right), \qquad
              \widehat{\text{pass}^k} = \frac1m \sum_{i=1}^m \binom{c_i}{k} \Big/ \binom{n_i}{k}

    Plain text: the mean over problems of ``1 - C(n_i - c_i, k) / C(n_i, k)`` (pass^k:
    ``C(c_i, k) / C(n_i, k)``); each is unbiased for the population value ``E_p[1 - (1 - p)^k]``
    (``E_p[p^k]``) when problems are drawn at random. The interval is the percentile interval of
    B resampled means, each over m problems drawn with replacement (every k, coverage and
    Cover@τ from the same resamples).

    References
    ----------
    M. Chen et al., arXiv 2107.03374, Sec. 2.1; S. Yao et al., arXiv 2406.12045 (pass^k);
    M. Dragoi et al., arXiv 2510.08325 (Cover@τ); Efron & Tibshirani (1993), ch. 13.

    Examples
    --------
    >>> cur = pass_at_k_curve([4, 4, 4], [0, 2, 4], ks=[1, 4], resamples=200)
    >>> cur.value.round(12).tolist(), round(cur.coverage, 12)
    ([0.5, 0.666666666667], 0.666666666667)
    >>> hat = pass_at_k_curve([4, 4, 4], [0, 2, 4], ks=[2], metric="pass^k", taus=[0.5], resamples=200)
    >>> hat.value.round(12).tolist(), hat.cover.round(12).tolist()  # (0 + 1/6 + 1) / 3; c/n >= 0.5: 2 of 3
    ([0.388888888889], [0.666666666667])
    """
    n, c = as_int_array("n", n), as_int_array("c", c)
    if n.ndim != 1 or n.size == 0 or c.shape != n.shape:
        raise ValueError(f"n and c must be non-empty 1-D arrays of the same length, got shapes {n.shape}, {c.shape}")
    level = check_level(level)
    ks = check_ks(default_ks(n.min()) if ks is None else ks, n)
    est = per_problem(metric, n, c, ks)
    taus = np.zeros(0) if taus is None else np.atleast_1d(np.asarray(taus, dtype=np.float64))
    cover = cover_plugin(n, c, taus)
    solved = (c >= 1).astype(np.float64)
    table = np.column_stack([est, solved, cover])
    draws = resampled_means(table, key=_nc_key(n, c), resamples=resamples, seed=seed)
    ci = percentile_interval(draws, level)
    K = ks.size
    return Curve(
        ks=ks,
        value=est.mean(axis=0),
        ci=ci[:K],
        coverage=passk.coverage_from_counts(c, n),
        coverage_ci=ci[K],
        n_problems=int(n.size),
        n_samples=int(n.sum()),
        metric=metric,
        taus=taus,
        cover=cover.mean(axis=0),
        cover_ci=ci[K + 1 :],
    )


@dataclass(frozen=True)
class Comparison:
    """Model B against model A on the problems both were evaluated on (paired)."""

    ks: np.ndarray
    """The k grid, shape (K,)."""
    shared: int
    """Problems in both files (the comparison uses only these)."""
    diff: np.ndarray
    """metric(B) - metric(A) on the shared problems, shape (K,)."""
    diff_ci: np.ndarray
    """Paired-bootstrap [lo, hi] of each difference, shape (K, 2)."""
    crossover: int | None
    """k* on the shared problems (:func:`crossover_k`); None if the order never changes on the grid."""
    crossover_ci: tuple[int, int | None] | None
    """Percentile interval of k* over the resamples, a resample without a crossover counting as
    beyond the grid; ``hi`` is None when the interval reaches past the grid, and the whole interval
    is None when ``lo`` does (most resamples do not cross)."""
    crossover_share: float
    """Share of resamples whose curves cross on the grid."""
    crossings: tuple[int, ...] = ()
    """Every k at which the sign of :attr:`diff` changes (the new sign starts there; :func:`crossings`)."""
    crossings_resolved: tuple[bool, ...] = ()
    """Per crossing: does some k before it and some k from it have a paired interval excluding 0 on
    either side (:func:`resolved`)? Otherwise the curves are within noise there."""
    metric: str = "pass@k"
    """The metric compared."""


def compare(
    n_a: ArrayLike,
    c_a: ArrayLike,
    n_b: ArrayLike,
    c_b: ArrayLike,
    ks: ArrayLike,
    level: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
    *,
    metric: str = "pass@k",
) -> Comparison:
    r"""Paired comparison of two models on the same problems: differences of pass@k (or pass^k) and crossings.

    Parameters
    ----------
    n_a, c_a, n_b, c_b : array_like of int, shape (m,)
        Counts of model A and model B, row i being the same problem in both (:func:`align`).
    ks : array_like of int
        The k grid; every k must be <= every n of both.
    level, resamples, seed, metric
        As :func:`pass_at_k_curve`.

    Returns
    -------
    Comparison

    Raises
    ------
    ValueError
        On no shared problems, mismatched lengths, or a k above some n (:func:`check_ks`).

    Notes
    -----
    .. math:: \hat d(k) = \frac1m \sum_i \left(\hat\pi_{B,i}(k) - \hat\pi_{A,i}(k)\right)

    Plain text: the mean over shared problems of the per-problem difference of unbiased pass@k
    estimates. The paired bootstrap draws problems (each with both models' samples), so the
    interval reflects that easy and hard problems are the same for both models; it is much
    narrower than two separate intervals. k* (the first crossing) and its interval come from the
    same resamples; every crossing of the point estimates is listed, each marked resolved or not.

    References
    ----------
    Y. Yue et al., arXiv 2504.13837 (base against RL-trained models across k).

    Examples
    --------
    >>> cmp = compare([8, 8], [8, 0], [8, 8], [4, 1], ks=[1, 8], resamples=200)  # B: lower pass@1, wider reach
    >>> cmp.diff.round(12).tolist(), cmp.crossover, cmp.crossings
    ([-0.1875, 0.5], 8, (8,))
    """
    n_a, c_a, n_b, c_b = (as_int_array(name, x) for name, x in (("n", n_a), ("c", c_a), ("n", n_b), ("c", c_b)))
    if not (n_a.shape == c_a.shape == n_b.shape == c_b.shape) or n_a.ndim != 1:
        raise ValueError("the two models' counts must be 1-D arrays over the same problems")
    if n_a.size == 0:
        raise ValueError("the two files share no problem: nothing to compare (check the problem ids)")
    ks = check_ks(check_ks(ks, n_a, where="the first file"), n_b, where="the second file")
    est_a, est_b = per_problem(metric, n_a, c_a, ks), per_problem(metric, n_b, c_b, ks)
    rank_a = np.unique(_nc_key(n_a, c_a), return_inverse=True)[1].reshape(-1)
    rank_b = np.unique(_nc_key(n_b, c_b), return_inverse=True)[1].reshape(-1)
    key = rank_a * (int(rank_b.max()) + 1) + rank_b
    draws = resampled_means(np.hstack([est_a, est_b]), key=key, resamples=resamples, seed=seed)
    K = ks.size
    diff_draws = draws[:, K:] - draws[:, :K]
    diff = est_b.mean(axis=0) - est_a.mean(axis=0)
    point = int(crossover_k(diff, ks))
    k_star = crossover_k(diff_draws, ks).astype(np.float64)
    k_star[k_star == 0] = np.inf
    lo, hi = percentile_interval(k_star, level)
    interval = None if np.isinf(lo) else (int(lo), None if np.isinf(hi) else int(hi))
    diff_ci = percentile_interval(diff_draws, level)
    where = crossings(diff, ks)
    return Comparison(
        ks=ks,
        shared=int(n_a.size),
        diff=diff,
        diff_ci=diff_ci,
        crossover=point or None,
        crossover_ci=interval,
        crossover_share=float(np.isfinite(k_star).mean()),
        crossings=tuple(where),
        crossings_resolved=tuple(resolved(k, ks, diff, diff_ci) for k in where),
        metric=metric,
    )
