r"""Entropy and KL control for chapter 6: Clip-Cov and a KL penalty to a reference policy.

The exploration *rewards* of chapter 6 are in :mod:`course_lib.advantages.explore`; this module
holds the two methods that act on the policy's drift instead:

- Clip-Cov (Cui et al., arXiv 2505.22617): :func:`clip_cov`, GRPO with the gradient of the samples
  of largest log-prob/advantage covariance removed -- the covariance that, by Cui et al.'s identity
  (checked exactly in :mod:`course_lib.bandit.entropy`), drives the entropy down (key ``clip_cov``);
- a KL penalty to a reference policy (ProRL, arXiv 2505.24864), registered as the loss term ``kl``
  (:func:`kl_penalty`): the k3 estimator on samples, or the exact KL where the answers can be
  enumerated. ProRL's reference *resets* (copy the current policy into the reference, and reset
  the optimiser, every few hundred steps) belong to a training loop, not to a loss term.

Conventions as in :mod:`course_lib.advantages.pass1` (NumPy in -> float64 out, torch in -> torch
out, no gradient through the weights; the KL term keeps the graph for torch input).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ._group import _coef, _context, _like, _normalise, _rewards, _rng
from .registry import Group, register, register_term

if TYPE_CHECKING:
    import torch

__all__ = ["clip_cov", "kl_penalty"]


# ----------------------------------------------------------------------------- 1. Clip-Cov
def clip_cov(
    r: ArrayLike | torch.Tensor,
    logp,
    clip_frac: float = 0.2,
    cov_low: float = 0.0,
    cov_high: float = math.inf,
    rng=0,
    eps: float = 1e-6,
):
    r"""Clip-Cov: GRPO with the gradient of high-covariance samples detached (mean form).

    Parameters
    ----------
    r : array_like or torch.Tensor, shape (n,) or (B, n)
        Rewards.
    logp : array_like or torch.Tensor, same shape
        log pi(y_i) under the sampling policy.
    clip_frac : float, default 0.2
        Fraction r of each group's samples to detach, in [0, 1] (``floor(clip_frac * n)`` per group).
    cov_low, cov_high : float, default 0 and inf
        Only samples whose covariance term lies in ``[cov_low, cov_high]`` can be detached.
    rng : numpy.random.Generator or int, default 0
        Draws which of the eligible samples are detached.
    eps : float, default 1e-6
        GRPO's std offset.

    Returns
    -------
    ndarray or torch.Tensor, same shape as ``r``
        GRPO advantages with the detached samples set to 0.

    Notes
    -----
    .. math:: \mathrm{Cov}_i = \big(\log\pi(y_i) - \overline{\log\pi}\big)\big(A_i - \bar A\big), \quad
              I \sim \mathrm{Uniform}\big(\{i : \omega_{low} \le \mathrm{Cov}_i \le \omega_{high}\},
              \lfloor r\,n \rfloor\big), \quad A_i \leftarrow 0 \ (i \in I)

    Plain text: samples that are both likely and rewarded (a large positive covariance term) are
    what drives the entropy down (:mod:`course_lib.bandit.entropy`: first-order entropy change =
    -Cov(log pi, update)); Clip-Cov removes the gradient of a random few of them. Reading taken:
    Cui et al. centre over all tokens of a batch with a tiny ratio (2e-4) and token-scale bounds;
    here a sample is the unit, centring is within each group (a group's weights do not depend on
    the other prompts of the batch) and the defaults suit groups of ~8 samples. With a fixed
    integer ``rng`` the draw repeats at every call; the bandit passes its run's generator.

    References
    ----------
    G. Cui et al., arXiv 2505.22617 (Clip-Cov, Sec. 4).

    Examples
    --------
    >>> clip_cov([1, 0, 1, 0], [-1.0, -2.0, -3.0, -2.0], clip_frac=1.0, cov_low=0.5, eps=0).tolist()
    [0.0, -1.0, 1.0, -1.0]
    """
    clip_frac = _coef("clip_frac", clip_frac, upper=1.0)
    if not (cov_low <= cov_high):
        raise ValueError(f"cov_low must be <= cov_high, got {cov_low!r} > {cov_high!r}")
    x, was_1d, r = _rewards("r", r)
    lp = _context("logp", logp, x.shape).astype(np.float64)
    adv = _normalise(x, eps)
    cov = (lp - lp.mean(-1, keepdims=True)) * (adv - adv.mean(-1, keepdims=True))  # (B, n)
    eligible = (cov >= cov_low) & (cov <= cov_high)
    m = int(math.floor(clip_frac * x.shape[-1] + 1e-12))
    gen = _rng(rng)
    keep = np.ones_like(adv, dtype=bool)
    for b in range(x.shape[0]):
        idx = np.flatnonzero(eligible[b])
        if m and idx.size:
            keep[b, idx if idx.size <= m else gen.choice(idx, size=m, replace=False)] = False
    return _like(np.where(keep, adv, 0.0), was_1d, r)


# ----------------------------------------------------------------------------- 2. KL to a reference
def kl_penalty(coef: float, logp=None, ref_logp=None, logits=None, ref_logits=None):
    r"""KL penalty to *add* to the objective: ``-coef * KL(pi || pi_ref)``, sampled (k3) or exact.

    Parameters
    ----------
    coef : float
        beta >= 0.
    logp, ref_logp : array_like or torch.Tensor, same shape
        log pi(y) and log pi_ref(y) of samples y ~ pi: the k3 estimator, averaged over all samples.
    logits, ref_logits : array_like or torch.Tensor, shape (..., M)
        Instead of samples, the full distributions (enumerable answers): the exact KL, averaged
        over the leading axes.

    Returns
    -------
    float or torch.Tensor (0-d)
        ``-coef * KL``; differentiable through ``logp`` / ``logits`` for torch input.

    Notes
    -----
    .. math:: k_3 = \rho - 1 - \log\rho, \ \rho = \frac{\pi_{ref}(y)}{\pi(y)}, \qquad
              \mathbb E_{y\sim\pi}[k_3] = \mathrm{KL}(\pi\,\|\,\pi_{ref}) = \sum_a \pi_a \log\frac{\pi_a}{\pi_{ref,a}}

    Plain text: ``k3 = exp(ref_logp - logp) - 1 - (ref_logp - logp)`` is >= 0 and unbiased for the
    KL (Schulman's estimator, the one GRPO and ProRL use). Note: differentiating the sampled k3
    through ``logp`` (without a score-function term) gives in expectation the gradient of
    KL(pi_ref || pi), not of KL(pi || pi_ref); both vanish at pi = pi_ref. ProRL also *resets*
    the reference to the current policy every few hundred steps (and the optimiser state): a
    training-loop concern, for the lab's loop, not a loss term.

    References
    ----------
    NVIDIA, "ProRL", arXiv 2505.24864 (KL control, reference resets); J. Schulman, "Approximating
    KL divergence" (2020), the k3 estimator; Z. Shao et al., arXiv 2402.03300 (GRPO's KL term).

    Examples
    --------
    >>> bool(abs(kl_penalty(1.0, logits=[[0.0, 0.0]], ref_logits=[[0.0, 0.0]])) < 1e-15)
    True
    """
    coef = _coef("coef", coef)
    if (logp is None) == (logits is None):
        raise ValueError("give either logp and ref_logp (samples) or logits and ref_logits (exact), not both")
    torch_in = hasattr(logp if logits is None else logits, "detach")
    if logits is not None:
        if ref_logits is None:
            raise ValueError("the exact KL needs ref_logits as well as logits")
        if torch_in:
            import torch

            lp, lq = torch.log_softmax(logits, -1), torch.log_softmax(torch.as_tensor(ref_logits).to(logits), -1)
            return -coef * (lp.exp() * (lp - lq)).sum(-1).mean()
        z, zq = np.asarray(logits, dtype=np.float64), np.asarray(ref_logits, dtype=np.float64)
        lp = z - z.max(-1, keepdims=True)
        lp = lp - np.log(np.exp(lp).sum(-1, keepdims=True))
        lq = zq - zq.max(-1, keepdims=True)
        lq = lq - np.log(np.exp(lq).sum(-1, keepdims=True))
        return -coef * float(np.mean((np.exp(lp) * (lp - lq)).sum(-1)))
    if ref_logp is None:
        raise ValueError("the sampled KL (k3) needs ref_logp as well as logp")
    if torch_in:
        import torch

        d = torch.as_tensor(ref_logp).to(logp) - logp
        return -coef * (d.exp() - 1 - d).mean()
    d = np.asarray(ref_logp, dtype=np.float64) - np.asarray(logp, dtype=np.float64)
    return -coef * float(np.mean(np.exp(d) - 1 - d))


# ----------------------------------------------------------------------------- the registry's keys
@register(
    "clip_cov",
    summary="Clip-Cov: GRPO with a fraction of high-covariance samples detached",
    reference="Cui et al., arXiv 2505.22617",
    needs=("logp",),
)
def _clip_cov(
    group: Group, clip_frac: float = 0.2, cov_low: float = 0.0, cov_high: float = math.inf, rng=0, eps: float = 1e-6
):
    return clip_cov(group.rewards, group.logp, clip_frac, cov_low, cov_high, rng, eps)


@register_term("kl", summary="-beta * KL(pi || pi_ref): k3 on samples, or exact", reference="ProRL, arXiv 2505.24864")
def _kl(coef: float, logp=None, ref_logp=None, logits=None, ref_logits=None):
    return kl_penalty(coef, logp, ref_logp, logits, ref_logits)
