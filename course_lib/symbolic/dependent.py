r"""Dependent samples in SymPy: pass@k when the k answers are drawn without replacement (chapter 6).

Yu's theorem grad J_k = alpha_k grad J_1 (arXiv 2511.16231) rests on J_k = 1 - (1 - J_1)^k, the
success probability of k *i.i.d.* samples; the paper's open question 2 asks whether it survives
dependent samples. Here is the simplest dependent sampler a diverse decoder could use: draw an
answer from pi, remove it, renormalise over the rest, repeat k times (successive sampling without
replacement). For a small softmax policy (:func:`course_lib.symbolic.core.softmax_policy`) its pass@k
is a finite sum over ordered k-tuples of distinct wrong answers,

    J_k^wor = 1 - sum_{(a_1..a_k) distinct, wrong} prod_j pi_{a_j} / (1 - pi_{a_1} - ... - pi_{a_{j-1}}),

which depends on how the wrong mass is split, not only on J_1. :func:`dependent_collinearity`
differentiates it exactly and returns the cosine with grad J_1: 1 for i.i.d. sampling (a proven
identity), below 1 without replacement as soon as the wrong answers have unequal probabilities.
The numeric counterpart for the bandit (any size, vectorised, trainable) is
:mod:`course_lib.bandit.dependent`.

References
----------
- Y. Yu, arXiv 2511.16231 (open question 2: dependent samples).
- W. Kool, H. van Hoof, M. Welling, arXiv 1903.06059 (sampling without replacement, successive draws).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from .._checks import as_positive_int
from .core import SoftmaxPolicy, cosine, gradient, pass_at_k_expr

__all__ = ["fail_wor_expr", "pass_at_k_wor_expr", "DependentCollinearity", "dependent_collinearity"]


def fail_wor_expr(policy: SoftmaxPolicy, k: int) -> sp.Expr:
    r"""SymPy probability that k draws without replacement from ``policy`` are all wrong.

    Parameters
    ----------
    policy : SoftmaxPolicy
        Symbolic logits and probabilities over m answers, some correct.
    k : int
        Draws, ``>= 1``; 0 is returned when fewer than k answers are wrong.

    Returns
    -------
    sympy.Expr
        A rational function of ``exp(z_j)``.

    Notes
    -----
    .. math:: \mathrm{fail}_k = \sum_{(a_1,\dots,a_k)} \prod_{j=1}^{k}
              \frac{\pi_{a_j}}{1 - \sum_{l<j}\pi_{a_l}}

    over ordered tuples of *distinct* wrong answers. Plain text: each draw picks a wrong answer
    with its probability renormalised over the answers not drawn yet. For k = 1 this is
    ``1 - J_1``; for k = 2 and wrong answers {1, 2}:
    ``pi_1 pi_2 / (1 - pi_1) + pi_2 pi_1 / (1 - pi_2)``.

    Examples
    --------
    >>> from course_lib.symbolic import softmax_policy
    >>> pol = softmax_policy(3, (0,))
    >>> sp.simplify(fail_wor_expr(pol, 1) - (1 - pol.J1))
    0
    """
    k = as_positive_int("k", k)
    wrong = [j for j in range(len(policy.probs)) if j not in policy.correct]
    total = sp.Integer(0)
    for seq in itertools.permutations(wrong, k):
        term, left = sp.Integer(1), sp.Integer(1)
        for a in seq:
            term *= policy.probs[a] / left
            left -= policy.probs[a]
        total += term
    return total


def pass_at_k_wor_expr(policy: SoftmaxPolicy, k: int) -> sp.Expr:
    """SymPy pass@k of ``policy`` when its k answers are drawn without replacement: ``1 - fail_wor_expr``."""
    return 1 - fail_wor_expr(policy, k)


@dataclass(frozen=True)
class DependentCollinearity:
    """Exact gradients of pass@1 and of pass@k under i.i.d. and without-replacement sampling, at one policy."""

    probs: tuple
    """The policy's probabilities at the point of evaluation."""
    k: int
    """Draws."""
    g1: sp.Matrix
    """grad_z J_1."""
    gk_iid: sp.Matrix
    """grad_z (1 - (1 - J_1)^k), equal to alpha_k grad J_1."""
    gk_wor: sp.Matrix
    """grad_z J_k^wor."""
    cos_iid: sp.Expr
    """Cosine(grad J_k^iid, grad J_1): exactly 1."""
    cos_wor: sp.Expr
    """Cosine(grad J_k^wor, grad J_1): < 1 when the wrong answers' probabilities differ."""


def dependent_collinearity(policy: SoftmaxPolicy, k: int, probs: Sequence) -> DependentCollinearity:
    r"""Compare grad J_1 with grad J_k for i.i.d. and for without-replacement sampling, exactly.

    Parameters
    ----------
    policy : SoftmaxPolicy
        From :func:`course_lib.symbolic.softmax_policy`.
    k : int
        Draws, ``>= 1``.
    probs : sequence
        The probabilities at which to evaluate (exact numbers, e.g. ``(1/2, 1/3, 1/6)`` as Rationals
        or strings ``"1/2"``).

    Returns
    -------
    DependentCollinearity

    Notes
    -----
    I.i.d.: :math:`\nabla J_k = k(1-J_1)^{k-1}\nabla J_1`, cosine 1. Without replacement the
    gradient in the logits of the wrong answers is not proportional to
    :math:`\nabla J_1 = \pi\odot(\mathbb 1_C - J_1)` (which is proportional to pi on them): e.g.
    m = 3, correct {0}, k = 2, pi = (1/2, 1/3, 1/6) gives
    :math:`\nabla J_2^{wor} = (71/400, -11/150, -5/48)` against
    :math:`\nabla J_1 = (1/4, -1/6, -1/12)`, cosine :math:`470/\sqrt{240583} \approx 0.9582`.
    Plain text: a diverse decoder makes pass@k reward *concentrating the wrong mass* (a repeat
    is skipped), a direction pass@1 does not have; it says nothing about how the correct mass
    is split, so it does not by itself keep several correct modes.

    References
    ----------
    Y. Yu, arXiv 2511.16231 (open question 2).

    Examples
    --------
    >>> from course_lib.symbolic import softmax_policy
    >>> d = dependent_collinearity(softmax_policy(3, (0,)), 2, ("1/2", "1/3", "1/6"))
    >>> d.cos_iid, sp.nsimplify(d.cos_wor ** 2)
    (1, 220900/240583)
    """
    k = as_positive_int("k", k)
    at = policy.at_probs(probs)
    z = policy.logits
    g1 = sp.simplify(gradient(policy.J1, z).subs(at))
    gk_iid = sp.simplify(gradient(pass_at_k_expr(policy.J1, k), z).subs(at))
    gk_wor = sp.simplify(gradient(pass_at_k_wor_expr(policy, k), z).subs(at))
    q = tuple(sp.nsimplify(x) for x in probs)
    return DependentCollinearity(q, k, g1, gk_iid, gk_wor, cosine(gk_iid, g1), cosine(gk_wor, g1))
