r"""Softmax policy math: probabilities, J_1 of a tabular policy, entropy and its gradient.

One home for what the bandit (chapter 4), the lab's metrics (chapter 5) and the entropy bonus
share. For a softmax policy pi = softmax(theta), d pi_a / d theta_b = pi_a (1[a=b] - pi_b), which
gives every gradient below in closed form. Pure NumPy (torch tensors accepted where stated).

References
----------
- Y. Yu, arXiv 2511.16231 (J_1, J_k of a policy; entropy bonuses as an open question).
- R. J. Williams, J. Peng (1991), entropy regularisation of policy gradients.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ._checks import _as_array

if TYPE_CHECKING:
    import torch

__all__ = ["softmax", "pass1", "entropy_grad", "softmax_entropy", "entropy_bonus"]


def softmax(logits: ArrayLike) -> np.ndarray:
    """Row-wise softmax of (P, M) logits (max subtracted)."""
    z = np.asarray(logits, dtype=np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def pass1(pi: ArrayLike, correct: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Per-prompt (J_1, 1 - J_1), each summed over its own answers so both keep full precision."""
    p = np.where(correct, pi, 0.0).sum(axis=-1)
    q = np.where(correct, 0.0, pi).sum(axis=-1)
    return np.clip(p, 0.0, 1.0), np.clip(q, 0.0, 1.0)


def entropy_grad(pi: ArrayLike) -> np.ndarray:
    """d H / d theta = -pi * (log pi + H) for a softmax policy."""
    logp = np.log(np.where(pi > 0, pi, 1.0))
    h = -(pi * logp).sum(axis=-1, keepdims=True)
    return -pi * (logp + h)


def softmax_entropy(logits: ArrayLike | torch.Tensor) -> float | np.ndarray | torch.Tensor:
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


def entropy_bonus(logits: ArrayLike | torch.Tensor, coef: float) -> float | torch.Tensor:
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
        On a negative or non-finite ``coef``, or on logits that :func:`softmax_entropy` refuses.

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
