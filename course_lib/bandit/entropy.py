r"""Entropy dynamics on the bandit: the covariance identity of Cui et al., checked exactly (chapter 6).

For a softmax policy pi = softmax(theta) and any change of the logits Delta theta, the entropy
changes to first order by

    H(theta + Delta theta) - H(theta) = -Cov_{a ~ pi}(log pi(a), Delta theta_a) + O(|Delta theta|^2),

because dH/dtheta_a = -pi_a (log pi_a + H) = -pi_a (log pi_a - E_pi[log pi]). Cui et al. state it
for a natural policy-gradient step (Delta theta_a = lr A(a)) and, for plain policy gradient on a
tabular softmax, Delta theta_a = lr pi(a) A(a). The bandit's exact pass@1 ascent *is* that plain
step: grad J_1 = pi * (1_C - J_1), so A(a) = 1[a correct] - J_1 and

    Delta H ~= -lr Cov_{a ~ pi}(log pi(a), pi(a) A(a)).

A rewarded answer that is already likely (high log pi, high A) makes the covariance positive and
the entropy fall: the mechanism of entropy collapse, and what Clip-Cov / KL-Cov act on
(:func:`course_lib.advantages.clip_cov`). :func:`entropy_change` returns the prediction and the
actual change of one step, so a test (and the notebook) can watch the error shrink as lr^2.

References
----------
G. Cui et al., "The Entropy Mechanism of Reinforcement Learning for Reasoning Language Models",
arXiv 2505.22617 (Lemma and Propositions on the entropy change; Clip-Cov, KL-Cov).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..softmax import softmax, softmax_entropy
from .core import exact_gradient

__all__ = ["EntropyChange", "predicted_entropy_change", "entropy_change", "covariance_terms"]


class EntropyChange(NamedTuple):
    """Per-prompt entropy change of one update: the first-order prediction and the exact value."""

    predicted: np.ndarray
    """(P,) -Cov_{a ~ pi}(log pi(a), Delta theta_a)."""
    actual: np.ndarray
    """(P,) H(theta + Delta theta) - H(theta)."""


def covariance_terms(logits, update) -> np.ndarray:
    """(P, M) pi_a (log pi_a - E_pi[log pi]) (Delta theta_a - E_pi[Delta theta]); they sum to Cov over a."""
    pi = softmax(logits)
    logp = np.log(np.where(pi > 0, pi, 1.0))
    d = np.asarray(update, dtype=np.float64)
    return pi * (logp - (pi * logp).sum(-1, keepdims=True)) * (d - (pi * d).sum(-1, keepdims=True))


def predicted_entropy_change(logits, update) -> np.ndarray:
    r"""First-order entropy change of softmax(logits) under the logit change ``update``; shape (P,).

    Parameters
    ----------
    logits : ndarray, shape (P, M)
    update : ndarray, shape (P, M)
        Delta theta (e.g. ``lr * exact_gradient(...)``).

    Returns
    -------
    ndarray, shape (P,)

    Notes
    -----
    .. math:: \Delta H \approx -\mathrm{Cov}_{a\sim\pi}\big(\log\pi(a), \Delta\theta_a\big)
              = -\sum_a \pi_a (\log\pi_a - \mathbb E_\pi\log\pi)(\Delta\theta_a - \mathbb E_\pi\Delta\theta)

    Plain text: ``dH ~= -Cov_pi(log pi, update)``, which equals ``grad H . update`` exactly
    (the first-order term of the Taylor expansion). With ``update = lr pi A`` (plain policy
    gradient) it is Cui et al.'s ``-lr Cov(log pi, pi A)``; with ``update = lr A`` (natural
    policy gradient), ``-lr Cov(log pi, A)``.

    References
    ----------
    G. Cui et al., arXiv 2505.22617.

    Examples
    --------
    >>> bool(abs(predicted_entropy_change([[0.0, 0.0]], [[1.0, -1.0]])[0]) < 1e-15)  # uniform: log pi constant
    True
    >>> bool(predicted_entropy_change([[1.0, 0.0]], [[1.0, -1.0]])[0] < 0)  # push the likely answer up: H falls
    True
    """
    return -covariance_terms(logits, update).sum(-1)


def entropy_change(logits, correct, lr: float, objective: str = "pass@1", k: int = 1, update=None) -> EntropyChange:
    """Predicted (first-order, covariance) and actual entropy change of one exact bandit step.

    The step is ``theta + lr * exact_gradient(logits, correct, objective, k)`` (any exact objective,
    e.g. ``"pass@k"`` or ``"pass@k-wor"``), or ``theta + update`` when ``update`` is given. The two
    agree to O(lr^2): halving lr divides ``actual - predicted`` by about 4.

    Examples
    --------
    >>> e = entropy_change(np.array([[1.0, 0.0, -1.0]]), np.array([[True, False, False]]), lr=1e-3)
    >>> bool(e.predicted[0] < 0 and abs(e.actual[0] - e.predicted[0]) < 1e-6)  # likely + correct: H falls
    True
    """
    theta = np.asarray(logits, dtype=np.float64)
    d = lr * exact_gradient(theta, correct, objective, k) if update is None else np.asarray(update, dtype=np.float64)
    actual = np.asarray(softmax_entropy(theta + d)) - np.asarray(softmax_entropy(theta))
    return EntropyChange(predicted_entropy_change(theta, d), actual)
