r"""Exact (SymPy) derivations behind the pass@k gradient: chapter 2's proofs as functions.

Chapter 2 (``notebooks/02_pass_at_k_gradient.ipynb``) narrates these results (its section 1
writes the generic derivation out in SymPy; :func:`generic_derivation` is the copy kept here); the
tests in ``tests/test_symbolic.py`` pin them. Every function returns SymPy objects (or plain numbers
for the numeric cross-checks), so a claim is *proven* by a difference that simplifies to 0.
The numeric formulas themselves live in :mod:`course_lib.passk`; here they exist only as
symbolic expressions to be differentiated, solved and summed over outcomes.

Group estimators are studied exactly in :mod:`course_lib.symbolic.groups`: a group of ``n``
i.i.d. samples has finitely many outcomes, so ``E[sum_i w_i(r) * score_i]`` is a finite sum.

References
----------
- Y. Yu, arXiv 2511.16231 (pass@k gradient is alpha_k times the pass@1 gradient).
- Z. Chen et al., arXiv 2508.10751 (Pass@k Training, analytic group advantage).
- C. Walder, D. Karkhanis, arXiv 2505.15201 (PKPO, unbiased pass@k gradient weights).
- M. Chen et al., arXiv 2107.03374 (unbiased pass@k estimator, HumanEval).
- M. Barakat et al., arXiv 2602.21189 (pass@k reweights prompts; negative interference).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sympy as sp

from .._checks import as_positive_int

if TYPE_CHECKING:  # annotations only: the SymPy part of the module needs no NumPy
    import numpy as np

__all__ = [
    "P",
    "K",
    "pass_at_k_expr",
    "alpha_k_expr",
    "delta_k_expr",
    "rho_expr",
    "is_identity",
    "GenericDerivation",
    "generic_derivation",
    "SoftmaxPolicy",
    "softmax_policy",
    "gradient",
    "collinearity_ratios",
    "autograd_gradients",
    "AlphaProperties",
    "alpha_properties",
    "GapProperties",
    "gap_properties",
    "dataset_gradients",
    "cosine",
]

P = sp.Symbol("p", positive=True)
"""Per-prompt pass@1 ``J_1 = p`` (declared positive so that ``1/p`` cancels cleanly)."""
K = sp.Symbol("k", positive=True, integer=True)
"""Symbolic number of attempts ``k``."""

Weights = Callable[[tuple], Sequence]
"""A group estimator: rewards ``(r_1, ..., r_n)`` in {0, 1} -> per-sample weights ``w_i``."""


def pass_at_k_expr(J1: sp.Expr, k: sp.Expr | int = K) -> sp.Expr:
    """SymPy ``J_k = 1 - (1 - J_1)^k`` (Yu, arXiv 2511.16231)."""
    return 1 - (1 - J1) ** k


def alpha_k_expr(J1: sp.Expr, k: sp.Expr | int = K) -> sp.Expr:
    """SymPy ``alpha_k = k (1 - J_1)^(k-1)``, the weight in ``grad J_k = alpha_k grad J_1``."""
    return k * (1 - J1) ** (k - 1)


def delta_k_expr(p: sp.Expr = P, k: sp.Expr | int = K) -> sp.Expr:
    """SymPy exploration gap ``Delta(k) = J_k - J_1 = 1 - (1 - p)^k - p``."""
    return pass_at_k_expr(p, k) - p


def _comb(a: int, b: int) -> int:
    """C(a, b) with the counting convention C(a, b) = 0 when b < 0 or b > a (also for a < 0)."""
    return math.comb(a, b) if 0 <= b <= a else 0


def rho_expr(n: int, c: int, k: int) -> sp.Rational:
    r"""Exact unbiased pass@k estimate ``1 - C(n-c, k)/C(n, k)`` as a SymPy Rational.

    Parameters
    ----------
    n, c, k : int
        Samples, correct samples (``0 <= c <= n``) and attempts (``0 <= k <= n``; ``k = 0``
        gives 0, the success probability of zero attempts, which PKPO's weights use).

    Returns
    -------
    sympy.Rational

    Notes
    -----
    .. math:: \rho(n, c, k) = 1 - \binom{n-c}{k} / \binom{n}{k}

    Plain text: ``rho(n, c, k) = 1 - C(n-c, k) / C(n, k)``; numerically this is
    :func:`course_lib.passk.pass_at_k`, against which the tests check it.

    References
    ----------
    M. Chen et al., arXiv 2107.03374, Sec. 2.1.

    Examples
    --------
    >>> rho_expr(10, 3, 5)
    11/12
    """
    if not (0 <= c <= n and 0 <= k <= n):
        raise ValueError(f"rho_expr needs 0 <= c <= n and 0 <= k <= n, got n={n}, c={c}, k={k}")
    return 1 - sp.Rational(_comb(n - c, k), _comb(n, k))


def is_identity(lhs: sp.Basic | sp.MatrixBase, rhs: sp.Basic | sp.MatrixBase | int = 0) -> bool:
    """True when SymPy proves ``lhs - rhs == 0`` (simplify, then merge powers of positive bases).

    ``powsimp(force=True)`` treats bases as positive, which holds for every base used here
    (``k >= 1``, ``1 - p`` with ``p`` in [0, 1], ``exp(z)``). ``False`` means "not proven".
    """
    diff = sp.simplify(sp.sympify(lhs) - sp.sympify(rhs))
    if isinstance(diff, sp.MatrixBase):
        return all(is_identity(d) for d in diff)
    return diff == 0 or sp.simplify(sp.powsimp(sp.expand(diff), force=True)) == 0


# ---------------------------------------------------------------- 1. generic derivation
@dataclass(frozen=True)
class GenericDerivation:
    """The chain rule applied to ``J_k = 1 - (1 - J_1(theta))^k``."""

    theta: sp.Symbol
    """The policy parameter (one coordinate stands for any)."""
    J1: sp.Expr
    """``J_1(theta)``, an undefined SymPy function."""
    Jk: sp.Expr
    """``1 - (1 - J_1(theta))^k``."""
    dJk: sp.Expr
    """``d J_k / d theta`` as SymPy differentiates it."""
    ratio: sp.Expr
    """``(d J_k / d theta) / (d J_1 / d theta)`` after simplification (should be alpha_k)."""


def generic_derivation(k: sp.Expr | int = K) -> GenericDerivation:
    r"""Differentiate ``J_k`` for an unknown ``J_1(theta)`` and simplify the ratio to ``alpha_k``.

    Taught in ``notebooks/02_pass_at_k_gradient.ipynb``, section 1 (The generic derivation), where
    the learner writes these lines in SymPy; this is the library's copy, kept for the tests.

    Parameters
    ----------
    k : sympy.Expr or int, optional
        Attempts; symbolic by default.

    Returns
    -------
    GenericDerivation
        ``ratio`` equals ``alpha_k_expr(J1, k)`` exactly.

    Notes
    -----
    .. math:: \nabla_\theta J_k = k (1-J_1)^{k-1} \nabla_\theta J_1 = \alpha_k \nabla_\theta J_1

    Plain text: ``grad J_k = alpha_k * grad J_1`` with ``alpha_k = k (1 - J_1)^(k-1)``.

    References
    ----------
    Y. Yu, arXiv 2511.16231 (per-prompt theorem).

    Examples
    --------
    >>> d = generic_derivation()
    >>> sp.simplify(d.ratio - alpha_k_expr(d.J1)) == 0
    True
    """
    theta = sp.Symbol("theta", real=True)
    J1 = sp.Function("J_1")(theta)
    Jk = pass_at_k_expr(J1, k)
    dJk = sp.diff(Jk, theta)
    # dJk / dJ1 cancels the Derivative; powsimp merges (1-J1)^k / (1-J1) into (1-J1)^(k-1)
    # (sp.simplify would instead prefer the equivalent but opaque (-1)^(k+1) (J1-1)^(k-1))
    ratio = sp.powsimp(dJk / sp.diff(J1, theta), force=True)
    return GenericDerivation(theta, J1, Jk, dJk, ratio)


# ---------------------------------------------------------------- 2. a softmax policy
@dataclass(frozen=True)
class SoftmaxPolicy:
    """Softmax over ``m`` answers with symbolic logits; some answers are correct."""

    logits: tuple
    """Logit symbols ``z_0, ..., z_{m-1}``."""
    probs: tuple
    """``pi_j = exp(z_j) / sum_l exp(z_l)``."""
    correct: tuple
    """Indices of the answers the verifier accepts."""

    @property
    def J1(self) -> sp.Expr:
        """Pass@1 of the prompt: the probability mass on correct answers."""
        return sp.Add(*[self.probs[j] for j in self.correct])

    def at_probs(self, probs: Sequence) -> dict[sp.Symbol, sp.Expr]:
        """Substitution ``{z_j: log(q_j)}`` that makes the policy's probabilities equal ``probs``."""
        q = [sp.nsimplify(x) for x in probs]
        if len(q) != len(self.logits) or any(x <= 0 for x in q) or sum(q) != 1:
            raise ValueError(f"probs must be {len(self.logits)} positive numbers summing to 1, got {probs}")
        return {z: sp.log(x) for z, x in zip(self.logits, q, strict=True)}


def softmax_policy(m: int = 3, correct: Sequence[int] = (0,)) -> SoftmaxPolicy:
    """Build a :class:`SoftmaxPolicy` over ``m >= 2`` answers with the given correct answers."""
    m = as_positive_int("m", m, minimum=2)
    correct = tuple(sorted(set(int(j) for j in correct)))
    if not correct or correct[0] < 0 or correct[-1] >= m or len(correct) == m:
        raise ValueError(f"correct must name some but not all of the answers 0..{m - 1}, got {correct}")
    z = sp.symbols(f"z_0:{m}", real=True)
    total = sp.Add(*[sp.exp(zj) for zj in z])
    return SoftmaxPolicy(tuple(z), tuple(sp.exp(zj) / total for zj in z), correct)


def gradient(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> sp.Matrix:
    """Column vector of partial derivatives of ``expr`` with respect to ``symbols``."""
    return sp.Matrix([sp.diff(expr, s) for s in symbols])


def collinearity_ratios(policy: SoftmaxPolicy, k: sp.Expr | int = K) -> list[sp.Expr]:
    r"""Component-wise ``(d J_k / d z_j) / (d J_1 / d z_j)``, simplified, for every logit.

    Returns
    -------
    list of sympy.Expr
        One ratio per logit; all of them equal ``alpha_k(J_1)`` (the gradients are parallel).

    Notes
    -----
    ``d J_1 / d z_j = pi_j (1[j correct] - J_1)`` is non-zero whenever ``0 < J_1 < 1``, so
    the ratios are defined. Plain text: every ratio reduces to ``k (1 - J_1)^(k-1)``.

    References
    ----------
    Y. Yu, arXiv 2511.16231.

    Examples
    --------
    >>> pol = softmax_policy(3, (0,))
    >>> len({sp.simplify(r - alpha_k_expr(pol.J1, 2)) for r in collinearity_ratios(pol, 2)})
    1
    """
    J1 = policy.J1
    Jk = pass_at_k_expr(J1, k)
    return [sp.powsimp(sp.simplify(sp.diff(Jk, z) / sp.diff(J1, z)), force=True) for z in policy.logits]


def autograd_gradients(policy: SoftmaxPolicy, k: int, logits: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Independent check: ``(grad J_1, grad J_k)`` at ``logits`` computed by ``torch.autograd``.

    Returns two float64 NumPy arrays of shape ``(m,)``. The objective is rebuilt in torch on
    purpose (softmax, sum over correct answers, ``1 - (1 - J_1)^k``) so that SymPy's
    derivatives are compared with a second, unrelated differentiation engine.
    """
    import torch  # imported here: the SymPy part of the module does not need torch

    k = as_positive_int("k", k)
    z = torch.tensor([float(v) for v in logits], dtype=torch.float64, requires_grad=True)
    if z.shape[0] != len(policy.logits):
        raise ValueError(f"logits must have {len(policy.logits)} entries, got {z.shape[0]}")
    J1 = torch.softmax(z, dim=0)[list(policy.correct)].sum()
    (g1,) = torch.autograd.grad(J1, z, retain_graph=True)
    (gk,) = torch.autograd.grad(1 - (1 - J1) ** k, z)
    return g1.numpy(), gk.numpy()


# ---------------------------------------------------------------- 3. properties of alpha_k and Delta(k)
@dataclass(frozen=True)
class AlphaProperties:
    """Derived facts about ``alpha_k(p) = k (1-p)^(k-1)``."""

    at_0: sp.Expr
    """``alpha_k(0)`` (equals k)."""
    at_1: sp.Expr
    """``alpha_k(1)`` for ``k = j + 2 >= 2`` (equals 0)."""
    derivative: sp.Expr
    """``d alpha_k / dp``, factored (``-k (k-1) (1-p)^(k-2) <= 0`` on [0, 1])."""


def alpha_properties(k: sp.Expr | int = K) -> AlphaProperties:
    """Evaluate ``alpha_k`` at the ends of [0, 1] and differentiate it (symbolic ``k``)."""
    alpha = alpha_k_expr(P, k)
    j = sp.Symbol("j", integer=True, nonnegative=True)
    at_1 = alpha.subs(k, j + 2).subs(P, 1) if k == K else alpha.subs(P, 1)
    derivative = sp.powsimp(sp.diff(alpha, P), force=True)
    return AlphaProperties(sp.simplify(alpha.subs(P, 0)), sp.simplify(at_1), derivative)


@dataclass(frozen=True)
class GapProperties:
    """Derived facts about ``Delta(k) = 1 - (1-p)^k - p``."""

    at_ends: tuple
    """``(Delta(0), Delta(1))``, both 0."""
    slope: sp.Expr
    """``d Delta / dp = alpha_k - 1``."""
    curvature: sp.Expr
    """``d^2 Delta / dp^2 = -k (k-1) (1-p)^(k-2)`` (concave, so the zero ends mean Delta >= 0)."""
    p_star: sp.Expr
    """The stationary point found by ``sympy.solve``: ``1 - k^(-1/(k-1))``."""
    delta_star: sp.Expr
    """The maximal gap ``Delta(p*) = (1 - 1/k) k^(-1/(k-1))``."""
    limit_p_star: sp.Expr
    """``p*`` as ``k -> oo`` (0)."""
    limit_delta_star: sp.Expr
    """``Delta(p*)`` as ``k -> oo`` (1)."""
    limit_delta_fixed_p: sp.Expr
    """``Delta(k)`` as ``k -> oo`` at a fixed ``p`` in (0, 1), written ``1 - p = 1/(1+s)``, ``s > 0``."""


def gap_properties(k: sp.Expr | int = K) -> GapProperties:
    r"""Derive where the exploration gap vanishes, where it peaks and its ``k -> oo`` limits.

    Notes
    -----
    .. math:: \Delta(k) = 1-(1-p)^k-p,\quad \Delta'(p^*) = 0 \iff p^* = 1 - k^{-1/(k-1)},
              \quad \Delta(p^*) = (1 - 1/k)\, k^{-1/(k-1)} \to 1

    Plain text: the gap is 0 at p = 0 and p = 1, concave in between, largest at
    ``p* = 1 - k^(-1/(k-1))`` (:func:`course_lib.passk.gap_argmax`), and its largest value
    tends to 1 as ``k`` grows while ``p*`` tends to 0.

    References
    ----------
    Y. Yu, arXiv 2511.16231.

    Examples
    --------
    >>> gap_properties().p_star
    1 - 1/k**(1/(k - 1))
    """
    delta = delta_k_expr(P, k)
    slope = sp.powsimp(sp.diff(delta, P), force=True)
    curvature = sp.powsimp(sp.diff(slope, P), force=True)
    (p_star,) = sp.solve(sp.Eq(slope, 0), P)
    delta_star = sp.simplify(delta.subs(P, p_star))
    s = sp.Symbol("s", positive=True)
    fixed_p = delta.subs(P, 1 - 1 / (1 + s))
    limits = (sp.limit(p_star, k, sp.oo), sp.limit(delta_star, k, sp.oo), sp.limit(fixed_p, k, sp.oo))
    ends = (sp.simplify(delta.subs(P, 0)), sp.simplify(delta.subs(P, 1)))
    return GapProperties(ends, slope, curvature, p_star, delta_star, *limits)


# ---------------------------------------------------------------- 4a. several prompts, shared parameters
def dataset_gradients(
    policy: SoftmaxPolicy, prompts: Sequence[Sequence[int]], k: sp.Expr | int, probs: Sequence
) -> tuple[sp.Matrix, sp.Matrix]:
    r"""Exact gradients of dataset pass@1 and pass@k for prompts sharing one softmax policy.

    Parameters
    ----------
    policy : SoftmaxPolicy
        Supplies the logits and probabilities (its own ``correct`` is ignored).
    prompts : sequence of sequences of int
        For each prompt, the answers its verifier accepts.
    k : int
        Attempts.
    probs : sequence
        The policy's probabilities at the point of evaluation (exact numbers are best).

    Returns
    -------
    (g1, gk) : tuple of sympy.Matrix, shape (m, 1)
        ``grad mean_i J_1(x_i)`` and ``grad mean_i J_k(x_i)`` at ``probs``.

    Notes
    -----
    .. math:: \nabla \bar J_k = \tfrac1N \sum_i \alpha_k(J_1(x_i))\, \nabla J_1(x_i)

    Plain text: each prompt's gradient is scaled by its own alpha_k, so the dataset
    gradients are parallel only if every prompt has the same J_1 (or gradients that are).

    References
    ----------
    Y. Yu, arXiv 2511.16231; M. Barakat et al., arXiv 2602.21189.
    """
    if not prompts:
        raise ValueError("prompts must name at least one prompt")
    J1s = [sp.Add(*[policy.probs[j] for j in correct]) for correct in prompts]
    at = policy.at_probs(probs)
    g1 = gradient(sp.Add(*J1s) / len(J1s), policy.logits).subs(at)
    gk = gradient(sp.Add(*[pass_at_k_expr(J, k) for J in J1s]) / len(J1s), policy.logits).subs(at)
    return sp.simplify(g1), sp.simplify(gk)


def cosine(u: sp.Matrix, v: sp.Matrix) -> sp.Expr:
    """Exact cosine of the angle between two SymPy vectors."""
    return sp.radsimp(sp.simplify(u.dot(v) / sp.sqrt(u.dot(u) * v.dot(v))))
