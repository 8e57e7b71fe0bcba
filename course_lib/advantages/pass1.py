r"""Pass@1 group advantages: GRPO, RLOO, and the risk-seeking tilt (RS-GRPO).

Every estimator maps the rewards of one *group* -- the n rollouts sampled for one prompt --
to one number per rollout, in "mean form": the policy-gradient estimate for the prompt is
``(1/n) sum_i A_i grad log pi(y_i)``. Chapter 4 compares them on the exact bandit; the
registry (:mod:`course_lib.advantages.registry`) turns them into sum-form loss weights.

Shapes and types (all public functions)
----------------------------------------
- ``r`` of shape ``(n,)`` is one group; shape ``(B, n)`` is a batch of B groups, one per row,
  processed without a Python loop over rows. The result has the shape of ``r``.
- NumPy (or list) in -> float64 NumPy out. A torch tensor in -> a torch tensor out on the same
  device, with ``r``'s floating dtype (the default float dtype for integer or bool rewards).
  Rewards are data, not parameters: the result never carries gradient.
- Invalid rewards (NaN/inf, a shape other than 1-D/2-D, an empty group) raise ``ValueError``
  (the rules of :func:`course_lib.advantages._group._rewards`).

References
----------
- Z. Shao et al., "DeepSeekMath" (GRPO), arXiv 2402.03300.
- A. Ahmadian et al., "Back to Basics" (RLOO), arXiv 2402.14740.
- RS-GRPO (risk-seeking policy optimization), arXiv 2509.24261.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ._group import _like, _normalise, _rewards

if TYPE_CHECKING:
    import torch

__all__ = ["grpo", "rloo", "risk_seeking"]


# ----------------------------------------------------------------------------- pass@1 estimators
def grpo(r: ArrayLike | torch.Tensor, scale: bool = True, eps: float = 1e-6) -> np.ndarray | torch.Tensor:
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
        On invalid rewards (the rules of ``_rewards`` in :mod:`course_lib.advantages._group`) or ``eps < 0``.

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


def rloo(r: ArrayLike | torch.Tensor) -> np.ndarray | torch.Tensor:
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
        On invalid rewards (the rules of ``_rewards`` in :mod:`course_lib.advantages._group`); here ``n >= 2``.

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
def risk_seeking(r: ArrayLike | torch.Tensor, beta: float) -> np.ndarray | torch.Tensor:
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
        On invalid rewards (the rules of ``_rewards`` in :mod:`course_lib.advantages._group`) or a non-finite ``beta``.

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
