r"""Group advantage estimators for RLVR: GRPO, RLOO, pass@k (Chen et al.), PKPO, risk-seeking.

Chapter 4 (``notebooks/04_exploration_collapse.ipynb``) compares them on an exact bandit;
the transformer lab reuses them for RL and the explorer widgets plot them.

Every estimator maps the rewards of one *group* -- the n rollouts sampled for one prompt --
to one number per rollout. The policy-gradient estimate for the prompt is then

    g = sum_i w_i grad log pi(y_i)      (PKPO weights, "sum form")
    g = (1/n) sum_i A_i grad log pi(y_i) (all other advantages, "mean form")

Shapes and types (all public functions)
----------------------------------------
- ``r`` of shape ``(n,)`` is one group; shape ``(B, n)`` is a batch of B groups, one per row,
  processed without a Python loop over rows. The result has the shape of ``r``.
- NumPy (or list) in -> float64 NumPy out. A torch tensor in -> a torch tensor out on the same
  device, with ``r``'s floating dtype (the default float dtype for integer or bool rewards).
  Rewards are data, not parameters: the result never carries gradient (compute it under any
  autograd mode; multiply it with log-probabilities that do).

The pass@k estimators (Chen et al., PKPO) are implemented in :mod:`course_lib.passk_advantages`
and re-exported here, so ``from course_lib import advantages as A; A.pkpo(...)`` reaches all.

Glossary: ``n`` group size, ``c`` correct rollouts in the group, ``k`` attempts of pass@k,
``adv`` advantage, ``rho`` the unbiased pass@k estimate :func:`course_lib.passk.pass_at_k`.

References
----------
- Z. Shao et al., "DeepSeekMath" (GRPO), arXiv 2402.03300.
- A. Ahmadian et al., "Back to Basics" (RLOO), arXiv 2402.14740.
- Z. Chen et al., "Pass@k Training for Adaptively Balancing Exploration and Exploitation",
  arXiv 2508.10751.
- C. Walder, D. Karkhanis, "Pass@K Policy Optimization" (PKPO), arXiv 2505.15201.
- RS-GRPO (risk-seeking policy optimization), arXiv 2509.24261.
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import _as_array
from ._groups import _like, _normalise, _rewards
from .passk_advantages import (  # noqa: F401  (re-exported: one import point for every estimator)
    passk_group_analytic,
    passk_group_bootstrap,
    passk_group_full,
    pkpo,
    pkpo_binary,
)

__all__ = [
    "grpo",
    "rloo",
    "passk_group_analytic",
    "passk_group_bootstrap",
    "passk_group_full",
    "pkpo_binary",
    "pkpo",
    "risk_seeking",
    "softmax_entropy",
    "entropy_bonus",
    "ESTIMATORS",
    "compute_advantages",
]


# ----------------------------------------------------------------------------- pass@1 estimators
def grpo(r, scale: bool = True, eps: float = 1e-6):
    r"""GRPO group advantage: reward minus the group mean, divided by the group std.

    Parameters
    ----------
    r : array_like or torch.Tensor, shape (n,) or (B, n)
        Rewards of one group, or of B groups (one per row). Any finite reals.
    scale : bool, default True
        Divide by the group standard deviation (``False``: mean-centring only, "Dr. GRPO").
    eps : float, default 1e-6
        Added to the standard deviation; ``>= 0``.

    Returns
    -------
    ndarray or torch.Tensor, same shape as ``r``
        The advantages; they sum to zero over each group. A constant group (all rewards
        equal, e.g. all wrong) gets exact zeros.

    Raises
    ------
    ValueError
        On NaN/inf rewards, a shape other than 1-D/2-D, an empty group, or ``eps < 0``.

    Notes
    -----
    .. math:: A_i = \frac{r_i - \bar r}{\sigma_r + \epsilon}, \quad
              \bar r = \frac1n\sum_j r_j, \quad \sigma_r = \sqrt{\frac1n\sum_j (r_j - \bar r)^2}

    Plain text: ``A_i = (r_i - mean(r)) / (std(r) + eps)`` with the population std (ddof 0),
    so that ``passk_group_analytic(r, 1)`` equals ``grpo(r)`` exactly. The gradient
    estimate is ``(1/n) sum_i A_i grad log pi(y_i)``; for binary rewards it points along
    the pass@1 gradient (up to the positive factor 1/sigma and a small baseline bias).

    References
    ----------
    Z. Shao et al., arXiv 2402.03300, Sec. 4.1 (GRPO).

    Examples
    --------
    >>> grpo([1, 0, 0, 0], eps=0).round(4).tolist()  # std = sqrt(3)/4
    [1.7321, -0.5774, -0.5774, -0.5774]
    """
    x, was_1d, r = _rewards("r", r)
    adv = _normalise(x, eps) if scale else x - x.mean(axis=-1, keepdims=True)
    return _like(adv, was_1d, r)


def rloo(r):
    r"""REINFORCE leave-one-out advantage: each reward minus the mean of the *other* rewards.

    Parameters
    ----------
    r : array_like or torch.Tensor, shape (n,) or (B, n)
        Rewards of one or B groups, ``n >= 2``.

    Returns
    -------
    ndarray or torch.Tensor, same shape as ``r``
        The advantages (they sum to zero over each group).

    Raises
    ------
    ValueError
        On NaN/inf rewards, a bad shape, or ``n < 2``.

    Notes
    -----
    .. math:: A_i = r_i - \frac{1}{n-1}\sum_{j\ne i} r_j = \frac{n}{n-1}\,(r_i - \bar r)

    Plain text: ``A_i = r_i - (sum(r) - r_i)/(n - 1)``. The baseline does not depend on
    sample i, so ``(1/n) sum_i A_i grad log pi(y_i)`` is an unbiased estimate of grad J_1.

    References
    ----------
    A. Ahmadian et al., arXiv 2402.14740; W. Kool et al., "Buy 4 REINFORCE samples" (2019).

    Examples
    --------
    >>> rloo([1, 0, 0]).tolist()
    [1.0, -0.5, -0.5]
    """
    x, was_1d, r = _rewards("r", r, min_n=2)
    n = x.shape[-1]
    adv = x - (x.sum(axis=-1, keepdims=True) - x) / (n - 1)
    return _like(adv, was_1d, r)


# ----------------------------------------------------------------------------- other shapings
def risk_seeking(r, beta):
    r"""Risk-seeking advantage (RS-GRPO): exponential tilting of the group rewards.

    Parameters
    ----------
    r : array_like or torch.Tensor, shape (n,) or (B, n)
        Rewards of one or B groups (any reals).
    beta : float
        Risk parameter: ``> 0`` seeks risk (upweights rare successes), ``< 0`` avoids it;
        ``beta = 0`` is the limit ``r_i - mean(r)``.

    Returns
    -------
    ndarray or torch.Tensor, same shape as ``r``
        The advantages; they sum to zero over each group.

    Raises
    ------
    ValueError
        On NaN/inf rewards or a non-finite ``beta``.

    Notes
    -----
    .. math:: A_i = \frac{1}{\beta}\left(\frac{e^{\beta r_i}}{\frac1n\sum_j e^{\beta r_j}} - 1\right)

    Plain text: ``A_i = (exp(beta r_i) / mean_j exp(beta r_j) - 1) / beta``; computed with
    the max subtracted inside the exponentials. For binary rewards with c of n correct,
    a correct rollout gets ``(e^beta/(1 + (e^beta - 1) c/n) - 1)/beta``, close to
    ``(n/c - 1)/beta`` when beta is large: rare successes dominate, as in pass@k objectives.

    References
    ----------
    RS-GRPO, arXiv 2509.24261.

    Examples
    --------
    >>> bool(abs(risk_seeking([1, 0, 0, 0], 1e-8)[0] - 0.75) < 1e-6)
    True
    """
    x, was_1d, r = _rewards("r", r)
    try:
        beta = float(beta)
    except (TypeError, ValueError):
        raise ValueError(f"beta must be a real number, got {beta!r}") from None
    if not math.isfinite(beta):
        raise ValueError(f"beta must be finite, got {beta!r}")
    if beta == 0.0:
        adv = x - x.mean(axis=-1, keepdims=True)
    else:
        z = beta * x
        w = np.exp(z - z.max(axis=-1, keepdims=True))
        adv = (w / w.mean(axis=-1, keepdims=True) - 1.0) / beta
    return _like(adv, was_1d, r)


def softmax_entropy(logits):
    r"""Entropy of softmax(logits) along the last axis (nats); differentiable for torch input.

    Parameters
    ----------
    logits : array_like or torch.Tensor, shape (..., M)
        Unnormalised log-probabilities over M answers (or tokens).

    Returns
    -------
    ndarray or torch.Tensor, shape (...)
        ``H = -sum_a pi_a log pi_a`` in [0, log M]. For torch input the graph is kept,
        so ``H.mean().backward()`` works.

    Raises
    ------
    ValueError
        On NaN logits or a 0-d input (NumPy path).

    Notes
    -----
    .. math:: H(\pi) = -\sum_a \pi_a \log \pi_a, \qquad \pi = \operatorname{softmax}(z)

    Computed from log-softmax, so logits of -inf (masked answers) give 0 log 0 = 0.

    References
    ----------
    R. J. Williams, J. Peng, "Function optimization using connectionist RL algorithms" (1991);
    entropy regularisation as a pass@k baseline in Chen et al., arXiv 2508.10751.

    Examples
    --------
    >>> bool(abs(softmax_entropy([0.0, 0.0, 0.0, 0.0]) - np.log(4)) < 1e-12)
    True
    """
    if hasattr(logits, "detach") and hasattr(logits, "device"):
        import torch

        logp = torch.log_softmax(logits, dim=-1)
        p = logp.exp()
        return -(p * torch.where(p > 0, logp, torch.zeros_like(logp))).sum(dim=-1)
    z = _as_array("logits", logits).astype(np.float64)
    if z.ndim == 0:
        raise ValueError("logits must have at least one axis (the answers)")
    if np.isnan(z).any():
        raise ValueError("logits must not contain NaN")
    zmax = z.max(axis=-1, keepdims=True)
    logp = z - zmax - np.log(np.exp(z - zmax).sum(axis=-1, keepdims=True))
    p = np.exp(logp)
    h = -(p * np.where(p > 0, logp, 0.0)).sum(axis=-1)
    return float(h) if h.ndim == 0 else h


def entropy_bonus(logits, coef: float):
    r"""Entropy bonus to *add* to an objective: ``coef * mean entropy of softmax(logits)``.

    Parameters
    ----------
    logits : array_like or torch.Tensor, shape (..., M)
        Logits of the sampled positions (e.g. (B, T, V) for a language model).
    coef : float
        Bonus coefficient tau, ``>= 0``.

    Returns
    -------
    float or torch.Tensor (0-d)
        ``tau * mean(H)``; for torch input differentiable, so a loss reads
        ``loss = pg_loss - entropy_bonus(logits, tau)``.

    Raises
    ------
    ValueError
        On a negative or non-finite ``coef`` (and as :func:`softmax_entropy`).

    Notes
    -----
    .. math:: J_\tau = J + \tau\,\mathbb{E}[H(\pi)]

    Keeps probability on several answers, which props up Delta(k) = J_k - J_1; Chen et
    al. (arXiv 2508.10751) report it does worse than pass@k training on their tasks.

    Examples
    --------
    >>> bool(abs(entropy_bonus([[0.0, 0.0]], 0.5) - 0.5 * np.log(2)) < 1e-12)
    True
    """
    coef = float(coef)
    if not (coef >= 0 and math.isfinite(coef)):
        raise ValueError(f"coef must be a finite number >= 0, got {coef!r}")
    h = softmax_entropy(logits)
    if hasattr(h, "detach"):
        return coef * h.mean()
    return coef * float(np.mean(h))


# ----------------------------------------------------------------------------- one entry point
ESTIMATORS = {
    "grpo": "GRPO: (r - mean)/(std + eps)",
    "rloo": "RLOO: r_i - mean of the others",
    "passk_analytic": "Chen et al. pass@k, closed form",
    "passk_bootstrap": "Chen et al. pass@k, bootstrap groups",
    "passk_full": "Chen et al. pass@k, disjoint groups",
    "pkpo_binary": "PKPO weights, binary rewards",
    "pkpo": "PKPO max@k weights (baseline None/'loo'/'loo-1')",
    "risk_seeking": "RS-GRPO exponential tilting",
}
"""Names accepted by :func:`compute_advantages`, with a one-line description each."""


def compute_advantages(method: str, r, *, k: int = 1, beta: float = 1.0, baseline: str | None = None,
                       num_groups: int = 64, rng=0, eps: float = 1e-6):
    """Dispatch to one estimator by name (for widgets, the lab and the CLI).

    Parameters
    ----------
    method : str
        A key of :data:`ESTIMATORS`.
    r : array_like or torch.Tensor, shape (n,) or (B, n)
        Rewards; see the chosen estimator.
    k, beta, baseline, num_groups, rng, eps
        Passed on to the estimators that take them; ignored by the others.

    Returns
    -------
    ndarray or torch.Tensor, same shape as ``r``

    Raises
    ------
    ValueError
        On an unknown ``method`` or invalid arguments for it.

    Examples
    --------
    >>> compute_advantages("rloo", [1, 0]).tolist()
    [1.0, -1.0]
    """
    calls = {
        "grpo": lambda: grpo(r, eps=eps),
        "rloo": lambda: rloo(r),
        "passk_analytic": lambda: passk_group_analytic(r, k, eps=eps),
        "passk_bootstrap": lambda: passk_group_bootstrap(r, k, num_groups, rng, eps=eps),
        "passk_full": lambda: passk_group_full(r, k, eps=eps),
        "pkpo_binary": lambda: pkpo_binary(r, k),
        "pkpo": lambda: pkpo(r, k, baseline=baseline),
        "risk_seeking": lambda: risk_seeking(r, beta),
    }
    if method not in calls:
        raise ValueError(f"method must be one of {sorted(calls)}, got {method!r}")
    return calls[method]()
