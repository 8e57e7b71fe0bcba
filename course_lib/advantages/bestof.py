r"""Best-of-group advantage: verl's built-in ``grpo_passk`` (the group as one set of k = n samples).

verl (https://github.com/volcengine/verl) ships a pass@k advantage of its own, registered there as
``algorithm.adv_estimator=grpo_passk`` (``compute_grpo_passk_outcome_advantage`` in
``verl/trainer/ppo/core_algos.py``, verl 0.9.1). Its docstring cites Tang et al., arXiv 2503.19595
(k-sample objectives trained with a leave-one-out baseline). It is a different method from Chen
et al.'s pass@k advantage (:func:`course_lib.advantages.passk.passk_group_analytic`): the whole
group of n rollouts is treated as *one* set, so the k of its pass@k is the group size n, and only
the best rollout of a group ever gets a non-zero advantage.

This module computes the same numbers, vectorised over groups and with the course's conventions
(one group ``(n,)`` or a batch ``(B, n)``; NumPy or torch in, the same kind out; bad rewards raise a
one-line ``ValueError``), and registers it under the key ``grpo_passk`` (mean form, so that the
course's verl plugin name ``passk_grpo_passk`` returns verl's own values).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ._group import _coef, _like, _rewards
from .registry import Group, register

if TYPE_CHECKING:
    import torch

__all__ = ["grpo_passk"]


def grpo_passk(r: ArrayLike | torch.Tensor, scale: bool = True, eps: float = 1e-6) -> np.ndarray | torch.Tensor:
    r"""verl's ``grpo_passk`` advantage: the group's best sample gets r_max - r_second, every other sample 0.

    Parameters
    ----------
    r : array_like or torch.Tensor, shape (n,) or (B, n)
        Rewards of one group, or of B groups (one per row); any finite reals, ``n >= 2``.
    scale : bool, default True
        Divide by the group's sample standard deviation plus ``eps``, as verl does by default
        (its config flag ``algorithm.norm_adv_by_std_in_grpo``, default ``True``).
    eps : float, default 1e-6
        Added to the standard deviation (verl's ``epsilon``); ``>= 0``.

    Returns
    -------
    ndarray or torch.Tensor, same shape as ``r``
        Mean-form advantages (the estimate is ``(1/n) sum_i A_i grad log pi(y_i)``, as for GRPO).
        At most one non-zero entry per group: at the first position of the unique maximum.

    Raises
    ------
    ValueError
        On invalid rewards (the rules of ``_rewards`` in :mod:`course_lib.advantages._group`; here
        ``n >= 2``, as verl requires) or ``eps < 0``.

    Notes
    -----
    With :math:`i^* = \arg\max_i r_i` and :math:`r_{(1)} \ge r_{(2)}` the two largest rewards,

    .. math:: A_{i^*} = \frac{r_{(1)} - r_{(2)}}{s_r + \epsilon}, \qquad A_i = 0 \ (i \ne i^*),
              \qquad s_r = \sqrt{\tfrac{1}{n-1}\textstyle\sum_j (r_j - \bar r)^2}

    Plain text: ``A[argmax r] = (max r - second max r) / (std(r, ddof=1) + eps)``, all other A = 0;
    without ``scale`` the denominator is 1. The standard deviation is the *sample* one
    (``torch.std``, Bessel's correction), as verl computes it; the course's ``grpo`` uses the
    population one. A tie at the top gives ``r_(1) - r_(2) = 0``: the whole group gets 0.

    Why the best sample only: ``r_(1) - r_(2) = max_j r_j - max_{j != i} r_j`` is the leave-one-out
    advantage of the max over the group, which is 0 for every sample but the best. Summed
    (not averaged) over the group it is an unbiased estimate of the gradient of max@n (pass@n
    for 0/1 rewards): the baseline ``max_{j != i} r_j`` does not depend on sample i. So without
    ``scale`` this equals PKPO at k = n with its loo-1 baseline (:func:`~course_lib.advantages.passk.pkpo`,
    Walder & Karkhanis, arXiv 2505.15201), and the registry's mean-form weights are that sum-form
    estimate divided by n.

    With 0/1 rewards a group gives signal only when *exactly one* sample is correct: two or more
    correct samples tie at the top, and an all-wrong group has nothing to reward. Then
    ``A = sqrt(n) / (1 + eps sqrt(n))`` (``s_r = 1/sqrt(n)`` for one 1 among n) on the correct
    sample. In expectation over the group (:func:`course_lib.bandit.expected_weight`) the step is
    pass@1's gradient times ``lambda(p) = (1-p)^(n-1)`` without ``scale`` -- exactly
    ``alpha_n(p) / n``, the pass@n reweighting of Yu (arXiv 2511.16231) -- and ``sqrt(n)`` times
    that with it.

    References
    ----------
    verl ``compute_grpo_passk_outcome_advantage`` (verl/trainer/ppo/core_algos.py, verl 0.9.1);
    Y. Tang, K. Zheng, G. Synnaeve, R. Munos, arXiv 2503.19595 (the k-sample objective verl cites);
    C. Walder, D. Karkhanis, arXiv 2505.15201 (PKPO, the same estimate for k = n).

    Examples
    --------
    >>> grpo_passk([0, 1, 0, 0], scale=False).tolist()  # one correct sample: it alone gets 1
    [0.0, 1.0, 0.0, 0.0]
    >>> grpo_passk([1, 1, 0, 0]).tolist()  # two correct samples tie at the top: no signal
    [0.0, 0.0, 0.0, 0.0]
    >>> grpo_passk([0.1, 0.5, 0.2, 0.9], scale=False).round(12).tolist()  # 0.9 - 0.5
    [0.0, 0.0, 0.0, 0.4]
    """
    eps = _coef("eps", eps)
    x, was_1d, r = _rewards("r", r, min_n=2)
    top2 = np.sort(x, axis=-1)[:, -2:]  # (B, 2): second largest, largest
    gap = top2[:, 1] - top2[:, 0]  # r_(1) - r_(2) >= 0; 0 on a tie at the top
    if scale:
        std = x.std(axis=-1, ddof=1)  # > 0 wherever gap > 0 (the rewards differ)
        gap = np.divide(gap, std + eps, out=np.zeros_like(gap), where=gap > 0)
    adv = np.zeros_like(x)
    adv[np.arange(len(x)), np.argmax(x, axis=-1)] = gap  # the first maximum (any one: gap = 0 on a tie)
    return _like(adv, was_1d, r)


# ----------------------------------------------------------------------------- the registry's key
@register(
    "grpo_passk",
    summary="verl's grpo_passk: only the group's best sample gets r_max - r_second (/ sample std); 0/1 rewards: "
    "signal only when exactly one sample is correct",
    reference="verl core_algos.compute_grpo_passk_outcome_advantage (cites Tang et al., arXiv 2503.19595)",
)
def _grpo_passk(group: Group, scale: bool = True, eps: float = 1e-6):
    return grpo_passk(group.rewards, scale=scale, eps=eps)
