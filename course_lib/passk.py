r"""The pass@k metric: estimators, the per-prompt objective and its gradient weight.

This module is the one home of the metric's formulas. Chapter 1
(``notebooks/01_pass_at_k_metric.ipynb``) derives them; every later chapter, the
explorers, the exercises and the lab import them from here.

Glossary (symbol -> name used in code)

=========  ==========  ====================================================
symbol     code        meaning
=========  ==========  ====================================================
n          ``n``       samples drawn for one problem (prompt)
c          ``c``       how many of them the verifier accepts
k          ``k``       attempts allowed by the metric
p, J_1     ``p``       per-prompt success probability of one sample (pass@1)
J_k        --          per-prompt pass@k, 1 - (1 - p)^k
alpha_k    ``alpha``   gradient weight k (1 - p)^(k-1)
Delta(k)   ``delta``   J_k - J_1, the exploration gap (a function of p alone)
cov@k      --          coverage@k = dataset pass@k, mean over prompts of J_k
=========  ==========  ====================================================

References
----------
- M. Chen et al., "Evaluating Large Language Models Trained on Code", arXiv 2107.03374 (2021).
- Y. Yu, "Pass@k Metric for RLVR: A Diagnostic Tool of Exploration, But Not an Objective",
  arXiv 2511.16231.
- C. Walder, D. Karkhanis, "Pass@K Policy Optimization", arXiv 2505.15201.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_int_array, as_positive_int, as_prob_array, scalar_or_array

__all__ = [
    "pass_at_k",
    "pass_at_k_plugin",
    "pass_at_k_from_p",
    "alpha_k",
    "delta_k",
    "gap_argmax",
    "zero_signal_prob",
    "expected_steps_to_signal",
    "pass_at_k_variance",
    "binomial_pmf",
    "estimator_distribution",
    "dataset_pass_at_k",
    "pass_at_k_of_mean",
    "coverage",
    "coverage_from_counts",
    "expected_distinct_correct",
    "DeltaChange",
    "delta_change_split",
    "delta_change_split_counts",
]


def _check_nck(n: ArrayLike, c: ArrayLike, k: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate (n, c, k) for the estimators and broadcast them to int64 arrays.

    The rules, each with its own ``ValueError``: finite whole numbers (no NaN), ``n >= 0``, ``c >= 0``,
    ``k >= 1``, shapes that broadcast, ``c <= n`` and ``k <= n`` (no unbiased estimate from fewer
    than k samples).
    """
    n = as_int_array("n", n)
    c = as_int_array("c", c)
    k = as_int_array("k", k, minimum=1)
    try:
        n, c, k = np.broadcast_arrays(n, c, k)
    except ValueError:
        raise ValueError(f"n, c and k must broadcast together, got shapes {n.shape}, {c.shape}, {k.shape}") from None
    if (c > n).any():
        i = np.argmax(c > n)
        raise ValueError(
            f"c must be <= n (cannot have more correct samples than samples), got c={c.flat[i]}, n={n.flat[i]}"
        )
    if (k > n).any():
        i = np.argmax(k > n)
        raise ValueError(
            f"k must be <= n: no unbiased estimator of pass@k exists from n < k samples "
            f"(Walder & Karkhanis, arXiv 2505.15201, Cor. 2); got k={k.flat[i]}, n={n.flat[i]}"
        )
    return n, c, k


def _check_pk(p: ArrayLike, k: ArrayLike, name: str = "k") -> tuple[np.ndarray, np.ndarray]:
    """Validate ``p`` (probabilities in [0, 1], no NaN) and ``k`` (whole numbers >= 1, called ``name``)."""
    return as_prob_array("p", p), as_int_array(name, k, minimum=1)


_TABLE_BUDGET = 2**20
"""Most entries of one (k rows x c columns) table of running log-products built at once."""


def _distinct(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values of a non-negative 1-D int array and each entry's index into them."""
    top = int(x.max())
    if top > 4 * x.size + 2**16:  # sparse values: sort
        values, index = np.unique(x, return_inverse=True)
        return values, index.reshape(-1)
    present = np.zeros(top + 1, dtype=bool)  # dense values: a presence table, no sort
    present[x] = True
    return np.flatnonzero(present), (np.cumsum(present) - 1)[x]


def _pass_at_k_same_n(n: int, c: np.ndarray, k: np.ndarray) -> np.ndarray:
    """1 - C(n-c, k)/C(n, k) for one n and 1-D arrays c, k (the value is 1 when n - c < k)."""
    c_max = int(c.max())
    k_values, k_row = _distinct(k)
    i = n - np.arange(c_max, dtype=np.float64)  # i = n, n-1, ..., n-c_max+1
    width = c_max + 1  # column c: c correct samples
    rows = max(1, _TABLE_BUDGET // width)
    out = np.empty(c.shape, dtype=np.float64)
    for start in range(0, len(k_values), rows):  # usually one block
        ks = k_values[start : start + rows, None]
        # log_fail[r, c] = sum of log(1 - k_r/i) over the first c values of i, summed in
        # extended precision so that a million terms still sum to ~1e-13 (a float64 cumsum
        # drifts ~1e-11). Once i <= k_r the term is log 0 = -inf, so the sum stays -inf and
        # the value is 1: exactly the columns with n - c < k.
        log_fail = np.zeros((len(ks), width), dtype=np.longdouble)
        with np.errstate(divide="ignore"):
            np.cumsum(np.log1p(-np.minimum(ks / i, 1.0)), axis=1, dtype=np.longdouble, out=log_fail[:, 1:])
        table = (0.0 - np.expm1(log_fail.astype(np.float64))).ravel()  # 0.0 - : no -0.0
        if rows >= len(k_values):
            return table[k_row * width + c]
        sel = np.flatnonzero((k_row >= start) & (k_row < start + rows))
        out[sel] = table[(k_row[sel] - start) * width + c[sel]]
    return out


def pass_at_k(n: ArrayLike, c: ArrayLike, k: ArrayLike) -> float | np.ndarray:
    r"""Unbiased estimate of pass@k from ``n`` samples of which ``c`` are correct.

    Parameters
    ----------
    n : int or array_like of int
        Samples drawn per problem, ``n >= k``.
    c : int or array_like of int
        Correct samples, ``0 <= c <= n``.
    k : int or array_like of int
        Attempts allowed, ``k >= 1``. ``n``, ``c`` and ``k`` broadcast together.

    Returns
    -------
    float or ndarray
        The estimate, always in [0, 1]; a float when every input is a scalar.

    Raises
    ------
    ValueError
        Invalid ``n``, ``c`` or ``k`` (the rules of :func:`_check_nck`).

    Notes
    -----
    The probability that a uniformly random size-k subset of the n samples holds at
    least one correct sample:

    .. math:: \widehat{\text{pass@}k} = 1 - \binom{n-c}{k} \Big/ \binom{n}{k}
              = 1 - \prod_{i=n-c+1}^{n} \left(1 - \frac{k}{i}\right)

    In plain text: ``1 - C(n-c, k) / C(n, k)``, which is 1 when ``n - c < k``. The
    product form avoids the huge binomials; it is summed in log space with
    ``log1p`` and ``expm1``, so it stays accurate to ~1e-13 for n up to 10^6.
    Averaged over ``c ~ Binomial(n, p)`` it equals ``1 - (1 - p)^k`` exactly. It is the only
    unbiased estimator that is a function of c, not the only unbiased one (the indicator of a
    correct sample among the first k is another); it is that indicator averaged given c, and
    the minimum-variance unbiased estimator (Rao--Blackwell, Lehmann--Scheffe;
    ``notebooks/02_pass_at_k_gradient.ipynb``, section 5).

    References
    ----------
    M. Chen et al., arXiv 2107.03374 (2021), Sec. 2.1 (the HumanEval estimator).

    Examples
    --------
    >>> round(pass_at_k(10, 3, 5), 12)  # = 11/12
    0.916666666667
    >>> abs(pass_at_k(200, 1, 1) - 1 / 200) < 1e-15
    True
    """
    n, c, k = _check_nck(n, c, k)
    shape, n, c, k = n.shape, n.ravel(), c.ravel(), k.ravel()
    out = np.empty(n.shape, dtype=np.float64)
    if n.size and n.min() == n.max():  # the common case: one sample count for all problems
        out = _pass_at_k_same_n(int(n[0]), c, k)
    elif n.size:
        n_values, n_group = _distinct(n)
        for g, n_g in enumerate(n_values):  # one table per distinct n
            sel = np.flatnonzero(n_group == g)
            out[sel] = _pass_at_k_same_n(int(n_g), c[sel], k[sel])
    return scalar_or_array(out.reshape(shape))


def pass_at_k_plugin(n: ArrayLike, c: ArrayLike, k: ArrayLike) -> float | np.ndarray:
    r"""Plug-in (biased) estimate of pass@k: ``1 - (1 - c/n)^k``.

    Parameters
    ----------
    n : int or array_like of int
        Samples drawn, ``n >= 1``.
    c : int or array_like of int
        Correct samples, ``0 <= c <= n``.
    k : int or array_like of int
        Attempts, ``k >= 1``. Unlike :func:`pass_at_k`, ``k > n`` is allowed.

    Returns
    -------
    float or ndarray
        The estimate in [0, 1].

    Raises
    ------
    ValueError
        Invalid ``n``, ``c`` or ``k`` (the rules of :func:`_check_nck`, except that ``k > n`` is allowed
        and ``n >= 1``).

    Notes
    -----
    .. math:: \widetilde{\text{pass@}k} = 1 - (1 - c/n)^k

    Plain text: ``1 - (1 - c/n)^k``. Since ``x -> 1 - (1 - x)^k`` is concave, Jensen's
    inequality makes its mean over ``c ~ Binomial(n, p)`` at most ``1 - (1 - p)^k``: it
    is biased low (e.g. n=10, p=0.3, k=5: 0.75974 against 0.83193). Shown for teaching.

    References
    ----------
    M. Chen et al., arXiv 2107.03374 (2021), Sec. 2.1 and Appendix A.

    Examples
    --------
    >>> abs(pass_at_k_plugin(10, 3, 1) - 0.3) < 1e-15
    True
    """
    n = as_int_array("n", n, minimum=1)
    c = as_int_array("c", c)
    k = as_int_array("k", k, minimum=1)
    try:
        over = np.broadcast_arrays(n, c, k)[1] > np.broadcast_arrays(n, c, k)[0]
    except ValueError:
        raise ValueError(f"n, c and k must broadcast together, got shapes {n.shape}, {c.shape}, {k.shape}") from None
    if over.any():
        raise ValueError("c must be <= n (cannot have more correct samples than samples)")
    return pass_at_k_from_p(c / n, k)


def pass_at_k_from_p(p: ArrayLike, k: ArrayLike) -> float | np.ndarray:
    r"""Pass@k of one prompt whose single-sample success probability is ``p``.

    Parameters
    ----------
    p : float or array_like
        Pass@1, J_1, in [0, 1].
    k : int or array_like of int
        Attempts, ``k >= 1``; broadcasts with ``p``.

    Returns
    -------
    float or ndarray
        J_k in [0, 1].

    Raises
    ------
    ValueError
        Invalid ``p`` or ``k`` (the rules of :func:`_check_pk`).

    Notes
    -----
    With k independent samples, the prompt is solved unless all k fail:

    .. math:: J_k = 1 - (1 - J_1)^k

    Plain text: ``J_k = 1 - (1 - p)^k``. Computed as ``-expm1(k log1p(-p))`` so that
    tiny ``p`` keeps full relative precision.

    References
    ----------
    Y. Yu, arXiv 2511.16231, Sec. 2.

    Examples
    --------
    >>> round(pass_at_k_from_p(0.5, 2), 12)
    0.75
    """
    p, k = _check_pk(p, k)
    with np.errstate(divide="ignore"):
        out = 0.0 - np.expm1(k * np.log1p(-p))  # 0.0 - x, not -x: p = 0 gives 0.0, not -0.0
    return scalar_or_array(out)


def alpha_k(p: ArrayLike, k: ArrayLike) -> float | np.ndarray:
    r"""Weight that turns the pass@1 gradient into the pass@k gradient: ``k (1 - p)^(k-1)``.

    Parameters
    ----------
    p : float or array_like
        Pass@1 of the prompt, in [0, 1].
    k : int or array_like of int
        Attempts, ``k >= 1``.

    Returns
    -------
    float or ndarray
        alpha_k in [0, k]: k at p = 0, 0 at p = 1 for k >= 2, decreasing in p.

    Raises
    ------
    ValueError
        Invalid ``p`` or ``k`` (the rules of :func:`_check_pk`).

    Notes
    -----
    Differentiating ``J_k = 1 - (1 - J_1)^k`` by the chain rule gives, per prompt,

    .. math:: \nabla_\theta J_k = \alpha_k \nabla_\theta J_1, \qquad \alpha_k = k (1 - J_1)^{k-1}

    Plain text: ``grad J_k = alpha_k * grad J_1`` with ``alpha_k = k (1 - J_1)^(k - 1)``: per
    prompt, for the exact gradient and k i.i.d. samples, a positive reweighting of the pass@1
    gradient, never a new direction. Not covered: the dataset gradient (each prompt has its own
    alpha_k), single sampled updates (only their mean is collinear), Adam's step (not parallel to
    the gradient) and dependent samples (then J_k is not 1 - (1 - J_1)^k).

    References
    ----------
    Y. Yu, arXiv 2511.16231, Theorem 3.1.

    Examples
    --------
    >>> alpha_k(0.0, 4), alpha_k(1.0, 4)
    (4.0, 0.0)
    """
    p, k = _check_pk(p, k)
    return scalar_or_array(k * (1.0 - p) ** (k - 1))


def delta_k(p: ArrayLike, k: ArrayLike) -> float | np.ndarray:
    r"""Exploration gap ``Delta(k) = J_k - J_1 = 1 - (1 - p)^k - p``.

    Parameters
    ----------
    p : float or array_like
        Pass@1 in [0, 1].
    k : int or array_like of int
        Attempts, ``k >= 1``.

    Returns
    -------
    float or ndarray
        Delta(k) >= 0; zero at p = 0 and p = 1 (and for k = 1).

    Raises
    ------
    ValueError
        Invalid ``p`` or ``k`` (the rules of :func:`_check_pk`).

    Notes
    -----
    .. math:: \Delta(k) = J_k - J_1 = 1 - (1 - p)^k - p = g(J_1)

    It measures how much k tries add over one. With k i.i.d. samples it is a function
    g of the prompt's pass@1 alone, so it cannot tell a policy that puts its correct mass
    on one answer from one that spreads the same mass over many, and it is zero both when
    a prompt is hopeless (p = 0) and when it is solved (p = 1). Its maximum over p is at
    :func:`gap_argmax`. A falling dataset Delta(k) is therefore not by itself a loss of
    exploration: prompts that get solved lower it too. :func:`delta_change_split` separates
    the two; the diagnostics that do show harm are coverage at large k against the initial
    policy (:func:`coverage`), on held-out prompts, the distinct correct answers
    (:func:`expected_distinct_correct`), and Delta(k) at matched pass@1.

    References
    ----------
    Y. Yu, arXiv 2511.16231, Sec. 3 (the gap); taught in ``notebooks/01_pass_at_k_metric.ipynb``, Sec. 6.

    Examples
    --------
    >>> round(delta_k(0.5, 2), 12)
    0.25
    >>> delta_k(1.0, 8)  # a solved prompt has no gap
    0.0
    """
    return scalar_or_array(np.asarray(pass_at_k_from_p(p, k)) - np.asarray(p, dtype=np.float64))


def gap_argmax(k: ArrayLike) -> float | np.ndarray:
    r"""Pass@1 at which the gap Delta(k) is largest: ``p* = 1 - k^(-1/(k-1))``.

    Parameters
    ----------
    k : int or array_like of int
        Attempts, ``k >= 2`` (for k = 1 the gap is identically zero).

    Returns
    -------
    float or ndarray
        p* in (0, 1/2]; 1/2 at k = 2, decreasing to 0 as k grows.

    Raises
    ------
    ValueError
        If ``k`` is not an integer >= 2.

    Notes
    -----
    Setting ``d Delta / dp = k (1 - p)^(k-1) - 1 = 0`` (that is, alpha_k = 1):

    .. math:: p^* = 1 - k^{-1/(k-1)}

    Plain text: ``p* = 1 - k^(-1/(k-1))``; e.g. k = 4: p* ~ 0.370039, Delta* ~ 0.472470.

    References
    ----------
    Y. Yu, arXiv 2511.16231, Sec. 3.

    Examples
    --------
    >>> round(gap_argmax(2), 12)
    0.5
    """
    k = as_int_array("k", k, minimum=2).astype(np.float64)
    return scalar_or_array(-np.expm1(-np.log(k) / (k - 1)))


def zero_signal_prob(p: ArrayLike, n: ArrayLike) -> float | np.ndarray:
    r"""Probability that all ``n`` samples of a prompt fail: ``(1 - p)^n``.

    Parameters
    ----------
    p : float or array_like
        Pass@1 of the prompt, in [0, 1].
    n : int or array_like of int
        Group size (samples per prompt), ``n >= 1``.

    Returns
    -------
    float or ndarray
        (1 - p)^n in [0, 1].

    Raises
    ------
    ValueError
        Invalid ``p`` or ``n`` (the rules of :func:`_check_pk`, with ``n`` in the place of ``k``).

    Notes
    -----
    .. math:: P(\text{all } n \text{ fail}) = (1 - p)^n

    When it happens every reward in the group is 0, and every sampled policy-gradient
    estimate of pass@1 *and* of pass@k (REINFORCE, GRPO, Chen et al.'s group advantage,
    PKPO) is exactly zero for that prompt: the low-J_1 regime of Yu's paper.

    References
    ----------
    Y. Yu, arXiv 2511.16231, Sec. 4.

    Examples
    --------
    >>> round(zero_signal_prob(0.5, 3), 12)
    0.125
    """
    p, n = _check_pk(p, n, name="n")
    return scalar_or_array((1.0 - p) ** n)


def expected_steps_to_signal(p: ArrayLike, n: ArrayLike) -> float | np.ndarray:
    r"""Expected RL steps until a prompt first yields a non-zero sampled gradient.

    Parameters
    ----------
    p : float or array_like
        Pass@1 of the prompt, in [0, 1], assumed constant while nothing is learned.
    n : int or array_like of int
        Samples per prompt per step, ``n >= 1``.

    Returns
    -------
    float or ndarray
        ``1 / (1 - (1 - p)^n)``, counting the step that succeeds; ``inf`` when p = 0.

    Raises
    ------
    ValueError
        As :func:`zero_signal_prob`.

    Notes
    -----
    Each step is an independent trial that gives signal with probability
    ``q = 1 - (1 - p)^n``, so the first success is geometric with mean

    .. math:: \mathbb{E}[T] = \frac{1}{1 - (1 - p)^n}

    Plain text: ``E[T] = 1 / (1 - (1 - p)^n)`` (about ``1 / (n p)`` for small p).

    References
    ----------
    Y. Yu, arXiv 2511.16231, Sec. 4 (the low-J_1 regime).

    Examples
    --------
    >>> round(expected_steps_to_signal(0.5, 1), 12)
    2.0
    """
    q = -np.asarray(zero_signal_prob(p, n), dtype=np.float64) + 1.0
    with np.errstate(divide="ignore"):
        return scalar_or_array(np.where(q > 0, 1.0 / np.where(q > 0, q, 1.0), np.inf))


def pass_at_k_variance(p: float, n: int, k: int) -> float:
    r"""Exact variance of the unbiased estimator :func:`pass_at_k` when ``c ~ Binomial(n, p)``.

    Parameters
    ----------
    p : float
        True pass@1 of the problem, in [0, 1].
    n : int
        Samples drawn, ``n >= k``.
    k : int
        Attempts, ``k >= 1``.

    Returns
    -------
    float
        Var[pass@k estimate] >= 0; it falls roughly like 1/n. No unbiased estimator from the same
        n samples has a smaller variance (the estimator is the minimum-variance unbiased one); the
        first-k indicator, for example, has ``J_k (1 - J_k)``.

    Raises
    ------
    ValueError
        If ``p`` is not one probability in [0, 1], or ``n``, ``k`` are not single integers that pass
        :func:`_check_nck` (``1 <= k <= n``).

    Notes
    -----
    ``C(n-c,k)/C(n,k)`` is the chance that a random size-k subset S of the samples is all
    wrong. For two independent random subsets S, S' overlapping in j samples, both are
    all wrong with probability ``q^(2k-j)``, q = 1 - p, and j is hypergeometric. So

    .. math:: \operatorname{Var} = \sum_{j=0}^{k}
              \frac{\binom{k}{j}\binom{n-k}{k-j}}{\binom{n}{k}} q^{2k-j} - q^{2k}

    Plain text: ``Var = sum_j H(j) q^(2k - j) - q^(2k)`` with H the hypergeometric pmf of
    the overlap; k + 1 terms instead of a sum over all n + 1 outcomes. Since H sums to 1
    it is evaluated as ``sum_{j>=1} H(j) q^(2k-j) (1 - q^j)``, a sum of non-negative terms
    (no cancellation, so small variances keep full relative precision), with H built
    from its term ratio ``H(j+1)/H(j) = (k-j)^2 / ((j+1)(n-2k+j+1))``.

    References
    ----------
    M. Chen et al., arXiv 2107.03374 (2021) for the estimator; the overlap argument is
    the U-statistic variance (Hoeffding, 1948).

    Examples
    --------
    >>> q = 0.7 ** 10  # n = k: the estimate is a 0/1 indicator, Var = q (1 - q)
    >>> abs(pass_at_k_variance(0.3, 10, 10) - q * (1 - q)) < 1e-15
    True
    """
    p = _scalar_prob("p", p)
    n, k = as_positive_int("n", n), as_positive_int("k", k)
    _check_nck(n, 0, k)  # the k <= n rule and its message
    j = np.arange(max(0, 2 * k - n), k + 1)  # possible overlaps of two size-k subsets
    log_ratio = 2 * np.log(k - j[:-1]) - np.log(j[:-1] + 1) - np.log(n - 2 * k + j[:-1] + 1.0)
    log_w = np.concatenate([[0.0], np.cumsum(log_ratio.astype(np.longdouble))]).astype(np.float64)
    h = np.exp(log_w - log_w.max())
    h /= h.sum()  # hypergeometric pmf of the overlap j
    h, j = h[j >= 1], j[j >= 1]  # the j = 0 term is zero
    with np.errstate(divide="ignore", invalid="ignore"):
        log_q = math.log1p(-p) if p < 1.0 else -math.inf
        terms = np.exp((2 * k - j) * log_q) * -np.expm1(j * log_q)
    return float(np.sum(h * terms))


def _scalar_prob(name: str, p: ArrayLike) -> float:
    """A single probability in [0, 1] as a Python float."""
    arr = as_prob_array(name, p)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a single probability, got an array of shape {arr.shape}")
    return float(arr)


def binomial_pmf(n: int, p: float) -> np.ndarray:
    r"""Probabilities of ``c = 0, ..., n`` successes in ``n`` Bernoulli(``p``) trials.

    Parameters
    ----------
    n : int
        Trials, ``n >= 0``.
    p : float
        Success probability in [0, 1].

    Returns
    -------
    ndarray, shape (n + 1,)
        ``C(n, c) p^c (1 - p)^(n - c)``; sums to 1.

    Raises
    ------
    ValueError
        On a negative or non-integer ``n`` or ``p`` outside [0, 1].

    Notes
    -----
    Computed in log space, with log C(n, c) accumulated in extended precision, so it
    stays accurate (~1e-15 relative) for n in the thousands; the end points p = 0 and
    p = 1 are exact point masses.

    Examples
    --------
    >>> binomial_pmf(2, 0.5).round(12).tolist()
    [0.25, 0.5, 0.25]
    """
    n = as_positive_int("n", n, minimum=0)
    p = _scalar_prob("p", p)
    c = np.arange(n + 1)
    if p in (0.0, 1.0):
        return (c == (0 if p == 0.0 else n)).astype(np.float64)
    # log C(n, c) as a running sum of log((n - i) / (i + 1)) in extended precision:
    # lgamma differences lose ~1e-12 relative at n = 1000 (large terms cancel).
    i = np.arange(n, dtype=np.longdouble)
    log_comb = np.concatenate([[0.0], np.cumsum(np.log(n - i) - np.log(i + 1))]).astype(np.longdouble)
    cl = c.astype(np.longdouble)
    log_pmf = log_comb + cl * np.log(np.longdouble(p)) + (n - cl) * np.log1p(-np.longdouble(p))
    return np.exp(log_pmf).astype(np.float64)


def estimator_distribution(
    n: int, p: float, k: int, estimator: str = "unbiased"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Exact sampling distribution of a pass@k estimate from ``n`` samples.

    Parameters
    ----------
    n : int
        Samples per problem.
    p : float
        True pass@1 in [0, 1].
    k : int
        Attempts; ``k <= n`` for the unbiased estimator.
    estimator : {"unbiased", "plugin"}
        :func:`pass_at_k` or :func:`pass_at_k_plugin`.

    Returns
    -------
    c : ndarray, shape (n + 1,)
        Possible numbers of correct samples.
    value : ndarray, shape (n + 1,)
        The estimate for each c.
    prob : ndarray, shape (n + 1,)
        Binomial probability of each c.

    Raises
    ------
    ValueError
        On an unknown ``estimator``, or invalid ``n``, ``p`` or ``k`` (as in :func:`binomial_pmf` and the estimator).

    Notes
    -----
    Mean, bias and standard deviation follow as ``sum(prob * value)`` etc. The mean of
    the unbiased estimator is exactly ``1 - (1 - p)^k``.

    Examples
    --------
    >>> c, v, w = estimator_distribution(10, 0.3, 5)
    >>> round(float(w @ v), 12) == round(1 - 0.7 ** 5, 12)
    True
    """
    funcs = {"unbiased": pass_at_k, "plugin": pass_at_k_plugin}
    if estimator not in funcs:
        raise ValueError(f"estimator must be one of {sorted(funcs)}, got {estimator!r}")
    k = as_positive_int("k", k)
    prob = binomial_pmf(n, p)
    c = np.arange(len(prob))
    value = np.asarray(funcs[estimator](len(prob) - 1, c, k), dtype=np.float64)
    return c, value, prob


def _weighted_mean(name: str, x: np.ndarray, weights: ArrayLike | None) -> float:
    """Mean of x over its last axis, with optional weights: non-negative, not all zero, one per entry."""
    if weights is None:
        return x.mean(axis=-1)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != x.shape[-1:] or np.isnan(w).any() or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"weights must be non-negative, not all zero and match {name} (shape {x.shape[-1:]})")
    return (x * w).sum(axis=-1) / w.sum()


def dataset_pass_at_k(p: ArrayLike, k: int, weights: ArrayLike | None = None) -> float:
    r"""Dataset pass@k: the (weighted) mean over prompts of ``1 - (1 - p_i)^k``.

    Parameters
    ----------
    p : array_like, shape (m,)
        Pass@1 of each of m prompts.
    k : int
        Attempts, ``k >= 1``.
    weights : array_like, shape (m,), optional
        Prompt weights (mixture proportions); uniform if omitted.

    Returns
    -------
    float
        The dataset objective J_k = E_x[1 - (1 - p(x))^k].

    Raises
    ------
    ValueError
        Invalid ``p`` (the rules of :func:`_nonempty_probs`), ``k`` (a whole number >= 1) or ``weights``
        (the rules of :func:`_weighted_mean`).

    Notes
    -----
    .. math:: J_k = \mathbb{E}_x\left[1 - (1 - p(x))^k\right]
              \le 1 - \left(1 - \mathbb{E}_x[p(x)]\right)^k

    The inequality is Jensen's, since the map is concave: the dataset pass@k is not
    pass@k of the mean pass@1 (see :func:`pass_at_k_of_mean`).

    References
    ----------
    Y. Yu, arXiv 2511.16231, Sec. 2.

    Examples
    --------
    >>> round(dataset_pass_at_k([0.0, 0.5], 4), 12)
    0.46875
    """
    p, k = _nonempty_probs(p), as_positive_int("k", k)
    return float(_weighted_mean("p", np.asarray(pass_at_k_from_p(p, k)), weights))


def pass_at_k_of_mean(p: ArrayLike, k: int, weights: ArrayLike | None = None) -> float:
    r"""The Jensen upper bound ``1 - (1 - mean p)^k`` -- *not* the dataset pass@k.

    Parameters
    ----------
    p : array_like, shape (m,)
        Pass@1 of each prompt.
    k : int
        Attempts, ``k >= 1``.
    weights : array_like, shape (m,), optional
        Prompt weights; uniform if omitted.

    Returns
    -------
    float
        ``1 - (1 - mean(p))^k`` >= :func:`dataset_pass_at_k` (equality iff all p agree or k = 1).

    Raises
    ------
    ValueError
        As :func:`dataset_pass_at_k`.

    Notes
    -----
    A common pitfall: computing pass@k from the pooled success rate. With half the
    prompts at p = 0 and half at p = 0.5, k = 4: 0.68359 here against 0.46875.

    References
    ----------
    Y. Yu, arXiv 2511.16231, Sec. 2.

    Examples
    --------
    >>> round(pass_at_k_of_mean([0.0, 0.5], 4), 5)
    0.68359
    """
    p, k = _nonempty_probs(p), as_positive_int("k", k)
    return float(pass_at_k_from_p(float(_weighted_mean("p", p, weights)), k))


def coverage(p: ArrayLike, k: int, weights: ArrayLike | None = None) -> float:
    r"""Coverage@k: the expected share of prompts solved within ``k`` samples.

    The course's one definition of coverage; it is exactly :func:`dataset_pass_at_k`.

    Parameters
    ----------
    p : array_like, shape (m,)
        Pass@1 of each of m prompts.
    k : int
        Samples allowed per prompt, ``k >= 1`` (coverage is usually read at large k).
    weights : array_like, shape (m,), optional
        Prompt weights; uniform if omitted.

    Returns
    -------
    float
        Coverage@k in [0, 1]; non-decreasing in k and in every prompt's p.

    Raises
    ------
    ValueError
        As :func:`dataset_pass_at_k`.

    Notes
    -----
    .. math:: \text{coverage@}k = \mathbb{E}_x\left[1 - (1 - J_1(x))^k\right]

    Plain text: ``coverage@k = mean over prompts of 1 - (1 - p)^k``. Each term is increasing
    in its prompt's p, so between two policies on the same prompts coverage@k can fall only
    if some prompt's pass@1 fell: measured against the initial policy at large k, it shows
    lost prompts, which Delta(k) (:func:`delta_k`) does not. From sample counts, use
    :func:`coverage_from_counts`.

    References
    ----------
    Y. Yu, arXiv 2511.16231, Sec. 2; Y. Yue et al., arXiv 2504.13837 (pass@k at large k as
    the reach of a model).

    Examples
    --------
    >>> coverage([0.0, 0.5], 4) == dataset_pass_at_k([0.0, 0.5], 4)
    True
    """
    return dataset_pass_at_k(p, k, weights)


def coverage_from_counts(c: ArrayLike, n: ArrayLike | None = None, k: int | None = None) -> float:
    r"""Coverage from sample files: the share of problems with at least one correct sample.

    Parameters
    ----------
    c : array_like of int, shape (m,)
        Correct samples of each of m problems.
    n : int or array_like of int, shape (m,), optional
        Samples drawn per problem; needed with ``k``, and checked against ``c`` when given.
    k : int, optional
        Estimate coverage@k for a ``k <= n`` instead of the share of problems solved.

    Returns
    -------
    float
        Without ``k``: the share of problems with ``c >= 1``, the unbiased estimate of
        :func:`coverage` at ``k = n``. With ``k``: the mean over problems of
        :func:`pass_at_k` ``(n, c, k)``, the unbiased estimate of coverage@k.

    Raises
    ------
    ValueError
        If ``c`` is not a non-empty 1-D array of non-negative integers, if ``k`` is given
        without ``n``, or on invalid ``(n, c, k)`` (the rules of :func:`_check_nck`).

    Notes
    -----
    .. math:: \widehat{\text{coverage@}k} = \frac1m \sum_x
              \left(1 - \binom{n_x - c_x}{k} \Big/ \binom{n_x}{k}\right),
              \qquad k = n:\ \frac1m\, \#\{x : c_x \ge 1\}

    Plain text: the mean over problems of the unbiased pass@k estimate; at k = n each term
    is 1 if the problem has a correct sample and 0 otherwise.

    References
    ----------
    M. Chen et al., arXiv 2107.03374 (the estimator); Y. Yu, arXiv 2511.16231.

    Examples
    --------
    >>> coverage_from_counts([0, 3, 1, 0])
    0.5
    >>> coverage_from_counts([0, 3, 1, 0], n=4, k=4)
    0.5
    """
    c = as_int_array("c", _listed(c))
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"c must be a non-empty 1-D array of correct-sample counts, got shape {c.shape}")
    if k is None:
        if n is not None:
            _check_nck(n, c, 1)  # c <= n
        return float(np.mean(c >= 1))
    if n is None:
        raise ValueError("n must be given with k: coverage@k is estimated from n samples per problem")
    return float(np.mean(pass_at_k(n, c, as_positive_int("k", k))))


def expected_distinct_correct(probs: ArrayLike, k: int) -> float | np.ndarray:
    r"""Expected number of distinct correct answers among ``k`` samples of one prompt.

    Parameters
    ----------
    probs : array_like, shape (..., a)
        Probabilities of the prompt's a distinct correct answers (the last axis); they sum to
        the prompt's pass@1, at most 1. Leading axes are prompts.
    k : int
        Samples, ``k >= 1``.

    Returns
    -------
    float or ndarray, shape (...)
        A number in [0, min(a, k)].

    Raises
    ------
    ValueError
        On a probability outside [0, 1] or NaN, a last axis that sums to more than 1, or an
        invalid ``k``.

    Notes
    -----
    Answer j appears among k i.i.d. samples unless all k miss it:

    .. math:: \mathbb{E}[\#\text{distinct correct}] = \sum_{j\ \text{correct}} 1 - (1 - \pi_j)^k

    Plain text: ``sum_j 1 - (1 - pi_j)^k``. Two policies with the same pass@1, hence the
    same Delta(k), can differ here: one correct answer of mass 0.3 gives 0.94 at k = 8,
    three of mass 0.1 each give 1.71.

    References
    ----------
    Y. Yu, arXiv 2511.16231 (pass@k does not see which answers are found); Y. Song, J. Kempe,
    R. Munos, arXiv 2509.06941 (counting distinct final answers).

    Examples
    --------
    >>> expected_distinct_correct([0.3], 2) == pass_at_k_from_p(0.3, 2)
    True
    """
    probs = np.atleast_1d(as_prob_array("probs", probs))
    if (probs.sum(axis=-1) > 1 + 1e-12).any():
        raise ValueError("probs must sum to at most 1 over the last axis (the answers of one prompt)")
    return scalar_or_array(np.asarray(pass_at_k_from_p(probs, as_positive_int("k", k))).sum(axis=-1))


@dataclass(frozen=True)
class DeltaChange:
    """The change of the dataset gap Delta(k) between two policies, split by each prompt's change of pass@1."""

    total: float
    """``mean_x [g(J_1,x(end)) - g(J_1,x(start))]``, the change of dataset Delta(k); equals ``rose + fell``."""
    rose: float
    """The part from prompts whose pass@1 rose (a prompt that gets solved adds a negative amount here)."""
    fell: float
    """The part from prompts whose pass@1 fell or stayed the same (unchanged ones add exactly 0)."""
    n_rose: int
    """How many prompts' pass@1 rose."""
    n_fell: int
    """How many prompts' pass@1 fell."""
    n_same: int
    """How many prompts' pass@1 did not change."""


def delta_change_split(p_start: ArrayLike, p_end: ArrayLike, k: int, weights: ArrayLike | None = None) -> DeltaChange:
    r"""Change of the dataset gap Delta(k), split into prompts whose pass@1 rose and fell.

    Parameters
    ----------
    p_start, p_end : array_like, shape (m,)
        Pass@1 of the same m prompts under two policies (e.g. before and after training).
    k : int
        Attempts, ``k >= 1``.
    weights : array_like, shape (m,), optional
        Prompt weights; uniform if omitted.

    Returns
    -------
    DeltaChange
        ``total``, ``rose``, ``fell`` and the three prompt counts. ``total == rose + fell``
        exactly (by construction), and ``total`` equals the dataset Delta(k) at the end minus
        at the start up to float rounding (~1e-16).

    Raises
    ------
    ValueError
        Invalid ``p_start`` or ``p_end`` (the rules of :func:`_nonempty_probs`), shapes that
        differ, an invalid ``k``, or invalid ``weights`` (the rules of :func:`_weighted_mean`).

    Notes
    -----
    With i.i.d. samples a prompt's gap is a function of its pass@1 alone,
    ``g(J_1) = 1 - (1 - J_1)^k - J_1`` (:func:`delta_k`), so the change of the dataset gap
    splits by the sign of each prompt's change of pass@1:

    .. math:: \bar\Delta_{end} - \bar\Delta_{start}
              = \underbrace{\frac1m \sum_{x:\ J_1 \text{ rose}} \delta(x)}_{\text{rose}}
              + \underbrace{\frac1m \sum_{x:\ J_1 \text{ fell or equal}} \delta(x)}_{\text{fell}},
              \qquad \delta(x) = g(J_1^{end}(x)) - g(J_1^{start}(x))

    Plain text: ``total = rose + fell``, each part the (weighted) mean over all prompts of the
    per-prompt change, restricted to one group. A prompt that gets solved (J_1 -> 1) drops its
    gap to 0 and adds a *negative* amount to ``rose``: a dataset Delta(k) whose fall sits in
    ``rose`` is prompts being learned, not exploration being lost. Lost ground, if any, is in
    ``fell``. Chapters 4 and 5 use this split. Each part is summed with ``math.fsum``.

    References
    ----------
    Y. Yu, arXiv 2511.16231, Sec. 3 (the gap Delta(k)); taught in
    ``notebooks/01_pass_at_k_metric.ipynb``, section 6.

    Examples
    --------
    >>> d = delta_change_split([0.5, 0.5], [1.0, 0.25], 2)  # one prompt solved, one lost ground
    >>> d.total == d.rose + d.fell, round(d.rose, 12), round(d.fell, 12)  # g(0.5) = 1/4, g(1) = 0, g(1/4) = 3/16
    (True, -0.125, -0.03125)
    """
    start, end, k = _nonempty_probs(p_start), _nonempty_probs(p_end), as_positive_int("k", k)
    if start.shape != end.shape:
        raise ValueError(f"p_start and p_end must hold the same prompts, got shapes {start.shape} and {end.shape}")
    w = np.ones_like(start) if weights is None else np.asarray(weights, dtype=np.float64)
    _weighted_mean("p", start, w)  # the rules for weights
    change = w * (np.asarray(delta_k(end, k)) - np.asarray(delta_k(start, k))) / w.sum()
    return _split(change, end > start, end < start)


def _split(change: np.ndarray, rose: np.ndarray, fell: np.ndarray) -> DeltaChange:
    """Per-prompt changes (already weighted) summed over the prompts whose pass@1 rose, and over the rest."""
    part_rose, part_fell = math.fsum(change[rose]), math.fsum(change[~rose])
    return DeltaChange(
        total=part_rose + part_fell,
        rose=part_rose,
        fell=part_fell,
        n_rose=int(rose.sum()),
        n_fell=int(fell.sum()),
        n_same=int((~rose & ~fell).sum()),
    )


def delta_change_split_counts(
    n_start: ArrayLike, c_start: ArrayLike, n_end: ArrayLike, c_end: ArrayLike, k: int
) -> DeltaChange:
    r"""The split of :func:`delta_change_split` estimated from samples: ``(n, c)`` per prompt, before and after.

    Parameters
    ----------
    n_start, c_start, n_end, c_end : array_like of int, shape (m,)
        Samples and correct samples of the same m prompts under two policies (e.g. two
        validations of a training run); ``k <= n`` everywhere.
    k : int
        Attempts, ``k >= 1``.

    Returns
    -------
    DeltaChange
        As :func:`delta_change_split`, with each prompt's gap estimated without bias and its
        pass@1 by ``c / n``: ``total`` equals the change of (dataset pass@k - dataset pass@1),
        both from :func:`pass_at_k`, up to float rounding.

    Raises
    ------
    ValueError
        Invalid counts (the rules of :func:`pass_at_k`), shapes that differ, or ``k > n``.

    Notes
    -----
    Per prompt, :math:`\hat g = \widehat{\text{pass@}k}(n, c) - c/n` is unbiased for the gap
    :math:`g(J_1) = 1 - (1 - J_1)^k - J_1` (the plug-in :math:`g(c/n)` is biased low, as the plug-in
    pass@k is). The change :math:`\delta(x) = \hat g_{end}(x) - \hat g_{start}(x)` is averaged over
    the prompts and split by the sign of :math:`c_{end}/n_{end} - c_{start}/n_{start}`.
    Plain text: ``total = rose + fell``, each the mean over all m prompts of the per-prompt change,
    restricted to the prompts whose sampled pass rate rose (or did not).

    References
    ----------
    Y. Yu, arXiv 2511.16231, Sec. 3 (the gap); M. Chen et al., arXiv 2107.03374 (the estimator).

    Examples
    --------
    >>> d = delta_change_split_counts([4, 4], [2, 2], [4, 4], [4, 1], 2)  # one prompt solved, one fell
    >>> d.total == d.rose + d.fell, round(d.rose, 12), round(d.fell, 12), (d.n_rose, d.n_fell)
    (True, -0.166666666667, -0.041666666667, (1, 1))
    """
    k = as_positive_int("k", k)
    n0, c0, n1, c1 = (as_int_array(name, x) for name, x in (("n", n_start), ("c", c_start), ("n", n_end), ("c", c_end)))
    if not (n0.shape == c0.shape == n1.shape == c1.shape) or n0.ndim != 1 or n0.size == 0:
        raise ValueError("n_start, c_start, n_end and c_end must be non-empty 1-D arrays over the same prompts")
    if min(int(n0.min()), int(n1.min())) < k:
        raise ValueError(f"k = {k} is above some prompt's n: no unbiased estimate of pass@{k} from fewer samples")
    p0, p1 = c0 / n0, c1 / n1
    gap0 = np.asarray(pass_at_k(n0, c0, k)) - p0
    gap1 = np.asarray(pass_at_k(n1, c1, k)) - p1
    return _split((gap1 - gap0) / n0.size, p1 > p0, p1 < p0)


def _listed(x: ArrayLike) -> ArrayLike:
    """``x`` as a list when it is an iterable that is not an array (a generator, a range), else ``x``."""
    return list(x) if isinstance(x, Iterable) and not hasattr(x, "shape") else x


def _nonempty_probs(p: ArrayLike) -> np.ndarray:
    """``p`` as a 1-D probability array (in [0, 1], no NaN) with at least one entry."""
    arr = np.atleast_1d(as_prob_array("p", _listed(p)))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"p must be a non-empty 1-D array of per-prompt pass@1, got shape {arr.shape}")
    return arr
