r"""Zero-signal groups in RL: the exact chances given a prompt's pass rate, and their unbiased estimates.

A group of G samples of one prompt gives GRPO no signal when all G are correct or all are wrong:
every advantage is zero. Chen et al.'s pass@k advantage is zero for the whole group also when every
size-k subset holds a correct sample (fewer than k wrong). Given the prompt's pass rate p the chances
are exact (:func:`grpo_zero_signal_prob`, :func:`passk_zero_advantage_prob`, i.i.d. samples). From
an evaluation's ``(n, c)`` they are estimated: without bias where ``n >= G`` (the share of the
problem's size-G subsets of samples that would be such a group, :func:`group_pmf_estimate`), by the
plug-in ``p = c/n`` (biased) where ``n < G``. The planner built on them is
:mod:`course_lib.evaluation.plan`; taught in ``notebooks/07_passk_as_a_diagnostic.ipynb``.

References
----------
- Z. Shao et al., "DeepSeekMath", arXiv 2402.03300 (GRPO: group-normalised advantages).
- Q. Yu et al., "DAPO", arXiv 2503.14476 (dynamic sampling drops all-correct and all-wrong groups).
- Z. Chen et al., "Pass@k Training for Adaptively Balancing Exploration and Exploitation",
  arXiv 2508.10751 (the pass@k group advantage).
- W. Hoeffding, "A class of statistics with asymptotically normal distribution", Ann. Math.
  Statist. 19 (1948) (U-statistics: the unbiased estimate of a function of G draws).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .. import passk
from .._checks import as_int_array, as_positive_int, as_prob_array

__all__ = [
    "grpo_zero_signal_prob",
    "passk_zero_advantage_prob",
    "group_pmf_estimate",
    "zero_signal_estimate",
    "zero_advantage_estimate",
]


def _log_factorials(top: int) -> np.ndarray:
    """log(j!) for j = 0..top, summed in extended precision."""
    out = np.zeros(top + 1, dtype=np.longdouble)
    np.cumsum(np.log(np.arange(1, top + 1, dtype=np.longdouble)), out=out[1:])
    return out


def _log_comb(lf: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log C(a, b) from a log-factorial table; -inf where b < 0 or b > a."""
    ok = (b >= 0) & (b <= a)
    a_, b_ = np.where(ok, a, 0), np.where(ok, b, 0)
    return np.where(ok, lf[a_] - lf[b_] - lf[a_ - b_], -np.inf)


def grpo_zero_signal_prob(p: ArrayLike, G: ArrayLike) -> float | np.ndarray:
    r"""Probability that a group of ``G`` samples is all correct or all wrong: ``p^G + (1 - p)^G``.

    Parameters
    ----------
    p : float or array_like
        Pass rate of the prompt, in [0, 1].
    G : int or array_like of int
        Group size, ``G >= 1``; broadcasts with ``p``.

    Returns
    -------
    float or ndarray
        In [2^(1-G), 1]; 1 at p = 0 and p = 1 (no group of that prompt ever has signal).

    Notes
    -----
    GRPO's advantage ``(r - mean r) / std r`` is zero for every sample of a group whose rewards
    are all equal. With i.i.d. samples:

    .. math:: P(\text{zero signal}) = p^G + (1 - p)^G

    Plain text: ``p^G + (1 - p)^G``, the all-correct plus the all-wrong chance (each from
    :func:`course_lib.passk.zero_signal_prob`).

    References
    ----------
    Z. Shao et al., arXiv 2402.03300 (GRPO); Q. Yu et al., arXiv 2503.14476 (DAPO, Sec. 3.2).

    Examples
    --------
    >>> round(grpo_zero_signal_prob(0.5, 4), 12)
    0.125
    """
    p = as_prob_array("p", p)
    G = as_int_array("G", G, minimum=1)
    out = np.asarray(passk.zero_signal_prob(p, G)) + np.asarray(passk.zero_signal_prob(1 - p, G))
    return float(out) if out.ndim == 0 else out


def passk_zero_advantage_prob(p: ArrayLike, G: ArrayLike, k: int) -> float | np.ndarray:
    r"""Probability that Chen et al.'s pass@k advantage is zero for a whole group of ``G`` samples.

    Parameters
    ----------
    p : float or array_like
        Pass rate of the prompt, in [0, 1].
    G : int or array_like of int
        Group size (N in the paper), ``G >= k``; broadcasts with ``p``.
    k : int
        k of the pass@k reward, ``k >= 1``.

    Returns
    -------
    float or ndarray
        In [0, 1]; equals :func:`grpo_zero_signal_prob` at k = 1, and 1 at k = G.

    Notes
    -----
    With c correct samples in the group, the advantage is zero for all of them exactly when
    ``c = 0`` (no subset passes) or ``c > G - k`` (fewer than k wrong samples: every size-k
    subset passes, :func:`course_lib.advantages.passk_group_analytic`). With ``c ~ Binomial(G, p)``
    and w = G - c wrong samples:

    .. math:: P = (1 - p)^G + \sum_{w=0}^{k-1} \binom{G}{w} p^{G-w} (1 - p)^{w}

    Plain text: ``(1 - p)^G + sum_{w < k} C(G, w) p^(G - w) (1 - p)^w``, summed in log space
    (``0^0 = 1``).

    References
    ----------
    Z. Chen et al., arXiv 2508.10751, Sec. 3 (the analytic pass@k advantage).

    Examples
    --------
    >>> round(passk_zero_advantage_prob(0.5, 4, 2), 12)  # 1/16 + (1/16 + 4/16)
    0.375
    """
    p = as_prob_array("p", p)
    G = as_int_array("G", G, minimum=1)
    k = as_positive_int("k", k)
    p, G = np.broadcast_arrays(p, G)
    if (G < k).any():
        raise ValueError(f"the group size G must be >= k = {k}, got G = {int(G.min())}")
    lf = _log_factorials(int(G.max(initial=1)))
    with np.errstate(divide="ignore"):
        log_p, log_q = np.log(p), np.log1p(-p)
    tail = np.zeros(p.shape)
    for w in range(k):  # w wrong samples in the group, w < k
        right = G - w
        log_term = (
            _log_comb(lf, G, np.full_like(G, w))
            + np.where(right == 0, 0.0, right * log_p)
            + (0.0 if w == 0 else w * log_q)
        )
        tail += np.exp(log_term.astype(np.float64))
    out = np.asarray(passk.zero_signal_prob(p, G)) + tail
    out = np.minimum(out, 1.0)
    return float(out) if out.ndim == 0 else out


def group_pmf_estimate(n: ArrayLike, c: ArrayLike, G: ArrayLike, j: ArrayLike) -> float | np.ndarray:
    r"""Unbiased estimate of ``P(Binomial(G, p) = j)`` from ``n >= G`` samples of which ``c`` are correct.

    Parameters
    ----------
    n, c : int or array_like of int
        Samples and correct samples of the prompt, ``0 <= c <= n``.
    G : int or array_like of int
        Group size, ``1 <= G <= n``.
    j : int or array_like of int
        Correct samples in the group, ``0 <= j <= G``. All four broadcast together.

    Returns
    -------
    float or ndarray
        The share of the ``C(n, G)`` size-G subsets of the samples that hold exactly j correct
        ones (a hypergeometric probability), in [0, 1].

    Raises
    ------
    ValueError
        On invalid counts, ``G > n`` (no unbiased estimate exists from fewer than G samples) or
        ``j`` outside [0, G].

    Notes
    -----
    .. math:: \hat P_j = \binom{c}{j} \binom{n - c}{G - j} \Big/ \binom{n}{G}

    Plain text: ``C(c, j) C(n - c, G - j) / C(n, G)``. It is the mean, over all size-G subsets
    of the n samples, of the indicator "exactly j correct", so its expectation over
    ``c ~ Binomial(n, p)`` is ``C(G, j) p^j (1 - p)^(G - j)`` exactly (a U-statistic). At
    ``j = 0`` it is ``1 - pass_at_k(n, c, G)``. Computed from log-factorials in extended
    precision.

    References
    ----------
    W. Hoeffding, Ann. Math. Statist. 19 (1948); M. Chen et al., arXiv 2107.03374 (the j = 0 case).

    Examples
    --------
    >>> round(group_pmf_estimate(4, 2, 2, 1), 12)  # 4 of the 6 pairs hold one correct sample
    0.666666666667
    """
    n, c = as_int_array("n", n), as_int_array("c", c)
    G, j = as_int_array("G", G, minimum=1), as_int_array("j", j)
    try:
        n, c, G, j = np.broadcast_arrays(n, c, G, j)
    except ValueError:
        raise ValueError("n, c, G and j must broadcast together") from None
    if (c > n).any():
        raise ValueError("c must be <= n (cannot have more correct samples than samples)")
    if (G > n).any():
        raise ValueError(f"G must be <= n: no unbiased estimate from fewer than G samples, got G = {int(G.max())}")
    if (j > G).any():
        raise ValueError("j must be <= G (a group of G samples has at most G correct ones)")
    lf = _log_factorials(int(n.max(initial=1)))
    log_p = _log_comb(lf, c, j) + _log_comb(lf, n - c, G - j) - _log_comb(lf, n, G)
    out = np.exp(log_p.astype(np.float64))
    return float(out) if out.ndim == 0 else out


def zero_signal_estimate(n: ArrayLike, c: ArrayLike, G: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Per-problem estimate of :func:`grpo_zero_signal_prob` at group size ``G``, and where it is plug-in.

    Returns ``(estimate, plug_in)``, shape (m,) each: for ``n >= G`` the unbiased
    ``[1 - pass_at_k(n, c, G)] + [1 - pass_at_k(n, n - c, G)]`` (the chance of an all-wrong plus
    an all-correct subset, :func:`group_pmf_estimate` at j = 0 and j = G); for ``n < G`` the
    plug-in ``grpo_zero_signal_prob(c / n, G)``, flagged in ``plug_in``.

    >>> zero_signal_estimate([4, 4, 2], [2, 0, 1], 3)[0].tolist(), zero_signal_estimate([2], [1], 3)[1].tolist()
    ([0.0, 1.0, 0.25], [True])
    """
    n, c = as_int_array("n", n), as_int_array("c", c)
    G = as_positive_int("G", G)
    full = n >= G
    out = np.asarray(grpo_zero_signal_prob(c / np.maximum(n, 1), G), dtype=np.float64).copy()
    if full.any():
        nf, cf = n[full], c[full]
        out[full] = (1 - np.asarray(passk.pass_at_k(nf, cf, G))) + (1 - np.asarray(passk.pass_at_k(nf, nf - cf, G)))
    return out, ~full


def zero_advantage_estimate(n: ArrayLike, c: ArrayLike, G: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Per-problem estimate of :func:`passk_zero_advantage_prob`, and where it is plug-in.

    For ``n >= G`` the unbiased ``[1 - pass_at_k(n, c, G)] + sum_{w < k} P_hat(G - w)`` with
    :func:`group_pmf_estimate`; for ``n < G`` the plug-in ``passk_zero_advantage_prob(c / n, G, k)``.

    >>> zero_advantage_estimate([4], [2], 2, 1)[0].round(12).tolist()  # k = 1: GRPO's zero-signal chance, 1/3
    [0.333333333333]
    """
    n, c = as_int_array("n", n), as_int_array("c", c)
    G, k = as_positive_int("G", G), as_positive_int("k", k)
    if k > G:
        raise ValueError(f"k must be <= the group size G, got k = {k}, G = {G}")
    full = n >= G
    out = np.asarray(passk_zero_advantage_prob(c / np.maximum(n, 1), G, k), dtype=np.float64).copy()
    if full.any():
        nf, cf = n[full], c[full]
        tail = sum(np.asarray(group_pmf_estimate(nf, cf, G, G - w)) for w in range(k))
        out[full] = np.minimum(1.0, (1 - np.asarray(passk.pass_at_k(nf, cf, G))) + tail)
    return out, ~full
