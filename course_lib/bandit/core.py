r"""An exact multi-prompt softmax bandit for watching exploration collapse (Chapter 4).

Each prompt x has M candidate answers and a tabular softmax policy ``pi_x = softmax(theta_x)``.
A verifier marks some answers correct; one correct answer (the *dominant mode*) starts
likelier than the others, and on *hard* prompts every correct answer starts with tiny mass.
Because the policy is a table, every quantity -- J_1, J_k, Delta(k), entropy, and the exact
gradients of pass@1, pass@k and an entropy bonus -- is available in closed form, so the
chapter can show the dynamics with no sampling noise, then swap in the sampled group
estimators of the registry :mod:`course_lib.advantages` (GRPO, RLOO, Chen et al.'s pass@k
advantage, PKPO with k annealed to 1, risk-seeking, ...) and watch what sampling changes.

Taught in ``notebooks/04_exploration_collapse.ipynb``; training in :mod:`course_lib.bandit.train`, charts in
:mod:`course_lib.bandit.charts`.

Update rule: each prompt ascends its own objective, ``theta_x += lr * g_x`` (gradient
ascent on the *sum* over prompts, so ``lr`` does not depend on the number of prompts).
Reported J_1, J_k, Delta(k) are dataset means over prompts, always computed exactly from
the current policy, even in sampled runs.

References
----------
- Y. Yu, arXiv 2511.16231 (grad J_k = alpha_k grad J_1; exploration collapse; zero signal).
- Z. Chen et al., arXiv 2508.10751; C. Walder, D. Karkhanis, arXiv 2505.15201;
  RS-GRPO, arXiv 2509.24261; Barakat et al., arXiv 2602.21189 (pass@k vs pass@1 directions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_positive_int
from ..passk import alpha_k, pass_at_k_from_p
from ..softmax import entropy_grad, pass1, softmax, softmax_entropy

__all__ = [
    "MODE_THRESHOLD",
    "BanditConfig",
    "Bandit",
    "make_bandit",
    "EXACT_OBJECTIVES",
    "exact_gradient",
    "exact_objective",
    "register_exact",
]

MODE_THRESHOLD = 0.01
"""A correct answer "holds a mode" when its probability exceeds this (1 %)."""


# ----------------------------------------------------------------------------- the environment
@dataclass(frozen=True)
class BanditConfig:
    """The prompts, answers and initial policy of the bandit."""

    num_prompts: int = 8
    """P, number of prompts."""
    num_answers: int = 12
    """M, candidate answers per prompt."""
    num_correct: int = 3
    """Correct answers per prompt (answers 0 .. num_correct-1; answer 0 is the dominant mode)."""
    num_hard: int = 2
    """How many prompts (the last ones) start with tiny mass on every correct answer."""
    dominant_boost: float = 1.5
    """Extra initial logit of the dominant correct answer over the other correct answers."""
    hard_logit: float = -6.0
    """Initial logit of the correct answers on hard prompts (wrong answers sit near 0)."""
    noise: float = 0.2
    """Standard deviation of the random perturbation of all initial logits."""
    seed: int = 0
    """Seed of the initial logits."""


@dataclass(frozen=True)
class Bandit:
    """Initial logits and verifier of a bandit; build it with :func:`make_bandit`."""

    logits: np.ndarray
    """(P, M) initial logits theta."""
    correct: np.ndarray
    """(P, M) bool, True where the verifier accepts the answer."""
    hard: np.ndarray
    """(P,) bool, True for the hard prompts."""
    config: BanditConfig
    """The configuration it was built from."""


def make_bandit(config: BanditConfig | None = None) -> Bandit:
    """Build the bandit described by ``config`` (deterministic given ``config.seed``).

    Raises
    ------
    ValueError
        If the sizes are not positive integers, ``num_correct >= num_answers`` or
        ``num_hard > num_prompts``.
    """
    cfg = config or BanditConfig()
    P = as_positive_int("num_prompts", cfg.num_prompts)
    M = as_positive_int("num_answers", cfg.num_answers, minimum=2)
    C = as_positive_int("num_correct", cfg.num_correct)
    if C >= M:
        raise ValueError(f"num_correct must be < num_answers (some answer must be wrong), got {C} >= {M}")
    H = as_positive_int("num_hard", cfg.num_hard, minimum=0)
    if H > P:
        raise ValueError(f"num_hard must be <= num_prompts, got {H} > {P}")
    rng = np.random.default_rng(cfg.seed)
    logits = cfg.noise * rng.standard_normal((P, M))  # (P, M)
    correct = np.zeros((P, M), dtype=bool)
    correct[:, :C] = True
    hard = np.zeros(P, dtype=bool)
    hard[P - H :] = True
    logits[hard, :C] += cfg.hard_logit
    logits[:, 0] += cfg.dominant_boost
    for arr in (logits, correct, hard):
        arr.setflags(write=False)
    return Bandit(logits=logits, correct=correct, hard=hard, config=cfg)


# ----------------------------------------------------------------------------- exact math
EXACT_OBJECTIVES = {
    "pass@1": "exact gradient of J_1",
    "pass@k": "exact gradient of J_k = alpha_k grad J_1",
}

_EXACT_MORE: dict = {}
"""Exact objectives added with :func:`register_exact`: name -> (gradient, value) functions."""


def register_exact(name: str, summary: str, gradient, value) -> None:
    """Add an exact objective: ``gradient(logits, correct, k) -> (P, M)``, ``value(logits, correct, k) -> (P,)``.

    The one way to extend :data:`EXACT_OBJECTIVES` (e.g. pass@k with k answers drawn without
    replacement, :mod:`course_lib.bandit.dependent`): :func:`exact_gradient`,
    :func:`exact_objective` and :func:`course_lib.bandit.train` then accept ``name``.

    Raises
    ------
    ValueError
        If ``name`` is already an exact objective.
    """
    if name in EXACT_OBJECTIVES:
        raise ValueError(f"an exact objective named {name!r} is already registered")
    EXACT_OBJECTIVES[name] = summary
    _EXACT_MORE[name] = (gradient, value)


def exact_gradient(logits, correct, objective: str = "pass@1", k: int = 1, entropy_coef: float = 0.0) -> np.ndarray:
    r"""Exact gradient of each prompt's objective with respect to its logits.

    Taught in ``notebooks/04_exploration_collapse.ipynb``, section 3 ("One exact update, written
    out"), where one step is done by hand in NumPy and checked against this function.

    Parameters
    ----------
    logits : ndarray, shape (P, M)
        Current logits theta.
    correct : ndarray of bool, shape (P, M)
        Verifier.
    objective : {"pass@1", "pass@k"} or a name added with :func:`register_exact`
        J_1 or J_k = 1 - (1 - J_1)^k (or the added objective, e.g. ``"pass@k-wor"``).
    k : int
        k of pass@k (ignored for pass@1).
    entropy_coef : float
        tau >= 0; adds ``tau * grad H(pi_x)``.

    Returns
    -------
    ndarray, shape (P, M)
        Row x is ``grad_{theta_x} [J(x) + tau H(x)]``.

    Raises
    ------
    ValueError
        On an unknown objective, ``k < 1`` or ``entropy_coef < 0``.

    Notes
    -----
    For a softmax policy ``d pi_a / d theta_b = pi_a (1[a=b] - pi_b)``, hence

    .. math:: \nabla J_1 = \pi \odot (\mathbb 1_C - J_1), \quad
              \nabla J_k = \alpha_k \nabla J_1, \quad
              \nabla H = -\pi \odot (\log \pi + H)

    Plain text: ``grad J_1 = pi * (correct - J_1)``; ``grad J_k = k (1 - J_1)^(k-1) grad J_1``
    (Yu, Thm 3.1); ``grad H = -pi * (log pi + H)``. Correct answers gain in proportion to their
    current mass -- the rich-get-richer step behind mode collapse.

    Examples
    --------
    >>> g = exact_gradient(np.zeros((1, 2)), np.array([[True, False]]))
    >>> g.tolist()  # pi = (1/2, 1/2), J_1 = 1/2
    [[0.25, -0.25]]
    """
    if objective not in EXACT_OBJECTIVES:
        raise ValueError(f"objective must be one of {sorted(EXACT_OBJECTIVES)}, got {objective!r}")
    tau = _nonneg("entropy_coef", entropy_coef)
    pi = softmax(logits)
    correct = np.asarray(correct, dtype=bool)
    p, q = pass1(pi, correct)
    g = pi * np.where(correct, q[:, None], -p[:, None])  # (P, M), pi * (1_C - J_1)
    if objective == "pass@k":
        g = np.asarray(alpha_k(p, as_positive_int("k", k)))[..., None] * g
    elif objective in _EXACT_MORE:
        g = _EXACT_MORE[objective][0](logits, correct, as_positive_int("k", k))
    if tau:
        g = g + tau * entropy_grad(pi)
    return g


def exact_objective(logits, correct, objective: str = "pass@1", k: int = 1, entropy_coef: float = 0.0) -> np.ndarray:
    """Per-prompt value ``J(x) + tau H(x)`` whose gradient :func:`exact_gradient` returns; shape (P,)."""
    if objective not in EXACT_OBJECTIVES:
        raise ValueError(f"objective must be one of {sorted(EXACT_OBJECTIVES)}, got {objective!r}")
    tau = _nonneg("entropy_coef", entropy_coef)
    p, _ = pass1(softmax(logits), np.asarray(correct, dtype=bool))
    value = np.asarray(pass_at_k_from_p(p, as_positive_int("k", k))) if objective == "pass@k" else p
    if objective in _EXACT_MORE:
        value = np.asarray(_EXACT_MORE[objective][1](logits, correct, as_positive_int("k", k)))
    return value + tau * np.asarray(softmax_entropy(logits))


def _nonneg(name: str, x) -> float:
    """A finite float >= 0."""
    x = float(x)
    if not (np.isfinite(x) and x >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {x!r}")
    return x
