r"""Exact expectations over every outcome of a group of n samples (chapter 2, sections 4-5).

A group of ``n`` i.i.d. samples with 0/1 rewards has finitely many outcomes, so the mean of a
group estimator ``E[sum_i w_i(r) * score_i]`` is a finite sum, computed here exactly with SymPy:
the pass@k weights of PKPO, Chen et al.'s analytic advantage and its variants, and the HumanEval
estimator's expectation, uniqueness among functions of c, and its Rao--Blackwell relation to the
first-k indicator. The symbols and shared expressions (``P``, ``rho_expr``, the softmax
policy) live in :mod:`course_lib.symbolic.core`; the tests in ``tests/test_symbolic.py`` pin both.

References
----------
- C. Walder, D. Karkhanis, arXiv 2505.15201 (PKPO, unbiased pass@k gradient weights).
- Z. Chen et al., arXiv 2508.10751 (Pass@k Training, analytic group advantage).
- M. Chen et al., arXiv 2107.03374 (unbiased pass@k estimator, HumanEval).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import sympy as sp

from .._checks import as_positive_int
from .core import P, SoftmaxPolicy, Weights, _comb, gradient, pass_at_k_expr, rho_expr

__all__ = [
    "bernoulli_answers",
    "softmax_answers",
    "expected_group_gradient",
    "zero_signal_probability",
    "reinforce_weights",
    "grpo_weights",
    "pkpo_weights",
    "chen_advantages",
    "chen_advantages_bootstrap",
    "loo_advantages",
    "estimator_expectation",
    "unbiased_estimator_solutions",
    "first_k_indicator",
    "outcome_expectation",
    "given_count",
]


# ---------------------------------------------------------------- 4b/4c. group estimators, all outcomes
def bernoulli_answers(p: sp.Expr = P) -> list[tuple]:
    """The two answers of the one-parameter model: ``(probability, reward, d/dp log probability)``."""
    return [(p, 1, 1 / p), (1 - p, 0, -1 / (1 - p))]


def softmax_answers(policy: SoftmaxPolicy, probs: Sequence) -> list[tuple]:
    """Each answer of ``policy`` at ``probs`` as ``(pi_j, reward_j, grad_z log pi_j)`` (exact)."""
    at = policy.at_probs(probs)
    return [
        (
            policy.probs[j].subs(at),
            int(j in policy.correct),
            sp.simplify(gradient(sp.log(policy.probs[j]), policy.logits).subs(at)),
        )
        for j in range(len(policy.logits))
    ]


def expected_group_gradient(weights: Weights, n: int, answers: Sequence | None = None) -> sp.Expr | sp.Matrix:
    r"""Exact mean of ``sum_i w_i(r) score(y_i)`` over all outcomes of ``n`` i.i.d. samples.

    Parameters
    ----------
    weights : callable
        Rewards tuple -> per-sample weights (e.g. ``lambda r: pkpo_weights(r, k)``).
    n : int
        Group size.
    answers : list of (probability, reward, score), optional
        The answer distribution; :func:`bernoulli_answers` (symbolic ``p``) by default, or
        :func:`softmax_answers` for a concrete softmax policy.

    Returns
    -------
    sympy.Expr or sympy.Matrix
        The expectation: a rational function of ``p`` (factored) for the Bernoulli model.

    Notes
    -----
    .. math:: \mathbb E\Big[\sum_i w_i \nabla\log\pi(y_i)\Big]
              = \sum_{(y_1..y_n)} \prod_i \pi(y_i) \sum_i w_i(r) \nabla\log\pi(y_i)

    Plain text: the sum runs over all ``len(answers)**n`` outcomes. Compare with
    ``d J_k / dp = alpha_k(p)`` to test unbiasedness (``d J_1 / dp = 1`` in this model).

    References
    ----------
    C. Walder, D. Karkhanis, arXiv 2505.15201; Z. Chen et al., arXiv 2508.10751.

    Examples
    --------
    >>> expected_group_gradient(lambda r: pkpo_weights(r, 2), 3)  # = alpha_2(p) = 2 (1 - p)
    -2*(p - 1)
    """
    n = as_positive_int("n", n)
    answers = bernoulli_answers() if answers is None else answers
    total = None
    for outcome in itertools.product(answers, repeat=n):
        prob = sp.Mul(*[a[0] for a in outcome])
        w = weights(tuple(a[1] for a in outcome))
        for wi, a in zip(w, outcome, strict=True):
            term = prob * wi * a[2]
            total = term if total is None else total + term  # 0 + Matrix is a TypeError
    if isinstance(total, sp.MatrixBase):
        return sp.simplify(total)
    return sp.factor(sp.cancel(sp.expand(total)))


def zero_signal_probability(weights: Weights, n: int, p: sp.Expr = P) -> sp.Expr:
    """Probability (polynomial in ``p``) that every weight of an ``n``-sample group is exactly 0."""
    n = as_positive_int("n", n)
    total = 0
    for r in itertools.product((0, 1), repeat=n):
        if all(sp.S(w).is_zero for w in weights(r)):
            total += p ** sum(r) * (1 - p) ** (n - sum(r))
    return sp.factor(total)


def _group(rewards: Sequence[int], k: int, minimum_n: int) -> tuple[int, int, int]:
    """Validate a 0/1 reward tuple and ``k``; return ``(n, c, k)``."""
    r = tuple(int(x) for x in rewards)
    if any(x not in (0, 1) for x in r):
        raise ValueError(f"rewards must be 0 or 1, got {rewards}")
    k = as_positive_int("k", k)
    if len(r) < k + minimum_n:
        extra = " (k plus the one left out)" if minimum_n else " (k)"
        raise ValueError(f"rewards must hold at least {k + minimum_n} samples{extra} for k={k}, got n={len(r)}")
    return len(r), sum(r), k


def reinforce_weights(rewards: Sequence[int], k: int = 1) -> tuple:
    """REINFORCE for ``J_1`` averaged over the group: ``w_i = r_i / n`` (``k`` is ignored)."""
    n, _, _ = _group(rewards, 1, 0)
    return tuple(sp.Rational(ri, n) for ri in rewards)


def grpo_weights(rewards: Sequence[int], k: int = 1) -> tuple:
    """GRPO-style centred reward without the std: ``w_i = r_i - mean(r)`` (``k`` is ignored)."""
    n, c, _ = _group(rewards, 1, 0)
    return tuple(ri - sp.Rational(c, n) for ri in rewards)


def pkpo_weights(rewards: Sequence[int], k: int) -> tuple:
    r"""PKPO's unbiased per-sample weights for ``grad J_k`` with binary rewards.

    Notes
    -----
    .. math:: w_i = \tfrac{k}{n} \text{ if } r_i = 1, \qquad
              w_i = \tfrac{k}{n}\, \rho(n-1, c, k-1) \text{ if } r_i = 0

    Plain text: ``w_i = (1/C(n,k)) * sum over size-k subsets I containing i of max_I r``.

    References
    ----------
    C. Walder, D. Karkhanis, arXiv 2505.15201.
    """
    n, c, k = _group(rewards, k, 0)
    wrong = sp.Rational(k, n) * rho_expr(n - 1, c, k - 1) if c < n else None  # no wrong sample if c = n
    return tuple(sp.Rational(k, n) if ri else wrong for ri in rewards)


def chen_advantages(rewards: Sequence[int], k: int, normalise: bool = True) -> tuple:
    r"""Chen et al.'s analytic pass@k group advantage (optionally without the division by sigma).

    Notes
    -----
    .. math:: \bar R = \rho(n, c, k),\ \sigma = \sqrt{\bar R(1-\bar R)},\
              A_+ = \frac{1-\bar R}{\sigma},\
              A_- = \frac{1-\bar R-\binom{n-c-1}{k-1}/\binom{n-1}{k-1}}{\sigma}

    Plain text: ``A_pos = (1 - R)/sigma``, ``A_neg = (1 - R - C(n-c-1, k-1)/C(n-1, k-1))/sigma``,
    ``sigma = sqrt(R (1 - R))``, and all advantages are 0 when ``sigma = 0``. With
    ``normalise=False`` the division by sigma is left out.

    References
    ----------
    Z. Chen et al., arXiv 2508.10751 (analytic derivation of the bootstrap advantage).
    """
    n, c, k = _group(rewards, k, 0)
    R = rho_expr(n, c, k)
    pos = 1 - R
    neg = 1 - R - sp.Rational(_comb(n - c - 1, k - 1), _comb(n - 1, k - 1))
    if normalise:
        sigma = sp.sqrt(R * (1 - R))
        if sigma == 0:
            return (sp.S.Zero,) * n
        pos, neg = pos / sigma, neg / sigma
    return tuple(pos if ri else neg for ri in rewards)


def chen_advantages_bootstrap(rewards: Sequence[int], k: int, normalise: bool = True) -> tuple:
    """The same advantage by brute force: each sample's mean over all size-k subsets holding it."""
    n, _, k = _group(rewards, k, 0)
    groups = list(itertools.combinations(range(n), k))
    group_reward = {g: max(rewards[i] for i in g) for g in groups}
    R = sp.Rational(sum(group_reward.values()), len(groups))
    sigma = sp.sqrt(R * (1 - R)) if normalise else sp.S.One
    if sigma == 0:
        return (sp.S.Zero,) * n
    return tuple(
        sp.Rational(sum(group_reward[g] for g in groups if i in g), _comb(n - 1, k - 1)) / sigma - R / sigma
        for i in range(n)
    )


def loo_advantages(rewards: Sequence[int], k: int) -> tuple:
    r"""Chen's unnormalised advantage with a leave-one-out baseline: unbiased for ``(n/k) grad J_k``.

    Notes
    -----
    .. math:: A_i = \tfrac{n}{k}\, w^{\text{PKPO}}_i - \rho(n-1,\, c - r_i,\, k)

    Plain text: Chen's unnormalised advantage is ``(n/k) * PKPO weight - R`` with
    ``R = rho(n, c, k)``, a baseline that uses sample i itself; replacing it by the estimate
    from the other ``n - 1`` samples removes the ``-grad J_k`` bias. Needs ``n >= k + 1``.

    References
    ----------
    Z. Chen et al., arXiv 2508.10751; C. Walder, D. Karkhanis, arXiv 2505.15201.
    """
    n, c, k = _group(rewards, k, 1)
    w = pkpo_weights(rewards, k)
    return tuple(sp.Rational(n, k) * wi - rho_expr(n - 1, c - ri, k) for wi, ri in zip(w, rewards, strict=True))


# ---------------------------------------------------------------- 5. the HumanEval estimator
def estimator_expectation(f: Callable[[int], sp.Expr], n: int, p: sp.Expr = P) -> sp.Expr:
    """``E[f(c)]`` for ``c ~ Binomial(n, p)``, expanded as a polynomial in ``p``."""
    n = as_positive_int("n", n)
    return sp.expand(sum(_comb(n, c) * p**c * (1 - p) ** (n - c) * f(c) for c in range(n + 1)))


def unbiased_estimator_solutions(n: int, k: int) -> list[dict]:
    r"""Solve for every estimator ``f(0..n)`` with ``E[f(c)] = 1 - (1-p)^k`` for all ``p``.

    Returns
    -------
    list of dict
        ``sympy.solve``'s answer for the unknowns ``f_0..f_n``: one solution (the HumanEval
        estimator) when ``k <= n``, and none (an empty list) when ``k > n``.

    Notes
    -----
    ``E[f(c)] = sum_c f_c C(n,c) p^c (1-p)^(n-c)`` has degree at most ``n`` in ``p``, while
    ``1 - (1-p)^k`` has degree ``k``; matching coefficients is a linear system with a unique
    solution for ``k <= n`` and none for ``k > n``.

    Uniqueness holds among estimators that are *functions of c*. Estimators that see the order
    of the samples are not covered: :func:`first_k_indicator` is unbiased too. Uniqueness is the
    completeness of ``c`` (``E[g(c)] = 0`` for all p forces ``g = 0``); with sufficiency, the
    Lehmann--Scheffe theorem makes the HumanEval estimator the minimum-variance unbiased one
    (:func:`given_count` shows the Rao--Blackwell step).

    References
    ----------
    M. Chen et al., arXiv 2107.03374; C. Walder, D. Karkhanis, arXiv 2505.15201.

    Examples
    --------
    >>> unbiased_estimator_solutions(2, 3)
    []
    """
    n, k = as_positive_int("n", n), as_positive_int("k", k)
    f = sp.symbols(f"f_0:{n + 1}")
    residual = sp.Poly(estimator_expectation(lambda c: f[c], n) - pass_at_k_expr(P, k), P)
    return sp.solve(residual.coeffs(), f, dict=True)


def first_k_indicator(rewards: Sequence[int], k: int) -> int:
    r"""``1`` if a correct sample is among the first ``k`` of the group, else ``0``.

    Parameters
    ----------
    rewards : sequence of {0, 1}
        The group's rewards in the order drawn, ``len(rewards) >= k``.
    k : int
        Attempts, ``k >= 1``.

    Returns
    -------
    int
        The indicator ``1[max(r_1, ..., r_k) = 1]``.

    Notes
    -----
    The first ``k`` samples are ``k`` i.i.d. draws, so the indicator is an unbiased estimate of
    ``J_k = 1 - (1 - p)^k`` (:func:`outcome_expectation` proves it), with variance
    ``J_k (1 - J_k)``. It is not a function of ``c`` (it depends on the order), so it does not
    contradict the uniqueness of :func:`unbiased_estimator_solutions`. Averaging it over the
    orders that give the same ``c`` (Rao--Blackwell, :func:`given_count`) yields
    ``rho(n, c, k)``, the HumanEval estimator, whose variance is smaller.

    References
    ----------
    M. Chen et al., arXiv 2107.03374, Sec. 2.1; taught in ``notebooks/02_pass_at_k_gradient.ipynb``,
    section 5.

    Examples
    --------
    >>> first_k_indicator((0, 0, 1, 1), 2), first_k_indicator((0, 1, 0, 0), 2)
    (0, 1)
    """
    _, _, k = _group(rewards, k, 0)
    return int(any(rewards[:k]))


def outcome_expectation(f: Callable[[tuple], sp.Expr], n: int, p: sp.Expr = P) -> sp.Expr:
    r"""``E[f(r)]`` over all ``2^n`` reward outcomes of ``n`` i.i.d. Bernoulli(``p``) samples.

    Plain text: ``sum over r in {0,1}^n of p^c (1-p)^(n-c) f(r)``, ``c = sum(r)``, expanded as a
    polynomial in ``p``. Unlike :func:`estimator_expectation`, ``f`` sees the whole outcome, so it
    may depend on the order of the samples.

    Examples
    --------
    >>> outcome_expectation(lambda r: first_k_indicator(r, 2), 3)  # = 1 - (1 - p)^2
    -p**2 + 2*p
    """
    n = as_positive_int("n", n)
    return sp.expand(sum(p ** sum(r) * (1 - p) ** (n - sum(r)) * f(r) for r in itertools.product((0, 1), repeat=n)))


def given_count(f: Callable[[tuple], sp.Expr], n: int, c: int) -> sp.Expr:
    r"""``E[f(r) | c]``: the mean of ``f`` over the ``C(n, c)`` orders of ``c`` correct samples among ``n``.

    Parameters
    ----------
    f : callable
        Rewards tuple -> value (e.g. ``lambda r: first_k_indicator(r, k)``).
    n : int
        Group size.
    c : int
        Correct samples, ``0 <= c <= n``.

    Returns
    -------
    sympy.Expr
        The exact conditional mean (a Rational for a 0/1 estimator).

    Notes
    -----
    Given ``c``, every placement of the ``c`` correct samples is equally likely, whatever ``p``
    (``c`` is sufficient), so the conditional mean is a plain average over placements:

    .. math:: \mathbb E[f(r) \mid c] = \binom{n}{c}^{-1} \sum_{|S| = c} f(1_S)

    For the first-k indicator it is the share of placements that put a correct sample among the
    first k, ``1 - C(n-c, k)/C(n, k) = rho(n, c, k)``: the HumanEval estimator is the
    Rao--Blackwellisation of the first-k indicator. By the law of total variance,
    ``Var[1st-k] = Var[rho] + E[rho (1 - rho)]``.

    References
    ----------
    M. Chen et al., arXiv 2107.03374, Sec. 2.1 (the estimator); C. R. Rao (1945) and
    D. Blackwell (1947) for conditioning on a sufficient statistic.

    Examples
    --------
    >>> given_count(lambda r: first_k_indicator(r, 5), 10, 3) == rho_expr(10, 3, 5)
    True
    """
    n, c = as_positive_int("n", n), as_positive_int("c", c, minimum=0)
    if c > n:
        raise ValueError(f"c must be <= n, got c={c}, n={n}")
    placements = list(itertools.combinations(range(n), c))  # which samples are the correct ones
    total = sum(sp.S(f(tuple(int(i in s) for i in range(n)))) for s in placements)
    return total / sp.Integer(len(placements))
