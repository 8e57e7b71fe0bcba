r"""Exploration estimators of chapter 6: what to do instead of training on pass@k.

Each method is a pure function of one group ``(n,)`` or a batch ``(B, n)`` (the conventions of
:mod:`course_lib.advantages.pass1`: NumPy in -> float64 out, torch in -> torch out, no gradient),
registered under one key in :mod:`course_lib.advantages.registry`, so the bandit, the lab and the
CLI train it by name. The context a method reads (answer ids, log-probs, per-run state) comes in
the registry's :class:`~course_lib.advantages.registry.Group`.

- Negative / positive sample reinforcement and Weighted-REINFORCE (Zhu et al., arXiv 2506.01347):
  :func:`nsr`, :func:`psr`, :func:`w_reinforce` (keys ``nsr``, ``psr``, ``w_reinforce``);
- outcome-based exploration (Song, Kempe, Munos, arXiv 2509.06941): a penalty for answers repeated
  within a group, :func:`batch_explore`, and a count bonus for rarely seen answers kept across
  steps per prompt, :func:`ucb_explore` (keys ``batch_explore``, ``ucb_explore``);
- the unlikeliness reward (He, Fried, Welleck, arXiv 2506.02355): :func:`unlikely`.

Methods that control the policy's drift rather than reward exploration (Clip-Cov, the KL term)
are in :mod:`course_lib.advantages.regularise`.

Where a paper's text left a detail open, the docstring says which reading was taken and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ._group import _coef, _context, _like, _normalise, _rewards
from .registry import Group, method_state, register

if TYPE_CHECKING:
    import torch

__all__ = ["nsr", "psr", "w_reinforce", "batch_explore", "ucb_explore", "unlikely"]


# ----------------------------------------------------------------------------- 1. NSR, PSR, W-REINFORCE
def w_reinforce(r: ArrayLike | torch.Tensor, lam: float = 0.1) -> np.ndarray | torch.Tensor:
    r"""Weighted-REINFORCE advantage: +lam for a correct sample, -1 for a wrong one (mean form).

    Parameters
    ----------
    r : array_like or torch.Tensor, shape (n,) or (B, n)
        Binary rewards (1 correct, 0 wrong).
    lam : float, default 0.1
        lambda >= 0, the weight of the positive term (the paper's recommended 0.1).

    Returns
    -------
    ndarray or torch.Tensor, same shape as ``r``
        ``A_i = lam`` if sample i is correct, ``-1`` if wrong; no baseline, no normalisation.

    Raises
    ------
    ValueError
        On non-binary rewards or a negative or non-finite ``lam``.

    Notes
    -----
    Zhu et al. write RLVR with rewards in {-1, +1} as REINFORCE on
    :math:`\mathcal L = -\mathbb E_{y\sim\pi}[r(x,y)]` and split it into
    :math:`\mathcal L_{PSR} = -\sum_{y: r=+1}\pi(y|x)` and
    :math:`\mathcal L_{NSR} = +\sum_{y: r=-1}\pi(y|x)`; W-REINFORCE is
    :math:`\lambda\,\mathcal L_{PSR} + \mathcal L_{NSR}`. Its sampled gradient is

    .. math:: \hat g = \frac1n \sum_i \big(\lambda\,[r_i = 1] - [r_i = 0]\big)\,\nabla\log\pi(y_i)

    Plain text: ``A_i = lam * r_i - (1 - r_i)``, registered in mean form (``w_i = A_i / n``): the
    paper's objective is an expectation over samples, and its public code (RLVR-Decomposed,
    ``compute_psr_nsr_outcome_advantage``) uses exactly these advantages, averaged over the batch.
    Both terms are unbiased for grad J_1 up to scale: ``E[[r=1] grad log pi] = grad J_1`` and
    ``E[-[r=0] grad log pi] = grad J_1``, so in expectation W-REINFORCE is ``(1 + lam) grad J_1``;
    the methods differ in *which samples move*: NSR only pushes mass off the sampled wrong
    answers and lets the softmax share it out in proportion to the current probabilities.
    ``lam = 0`` is NSR, ``lam = 1`` is REINFORCE with +-1 rewards.

    References
    ----------
    X. Zhu, M. Xia, Z. Wei, W.-L. Chen, D. Chen, Y. Meng, arXiv 2506.01347 (Sec. 3, W-REINFORCE).

    Examples
    --------
    >>> w_reinforce([1, 0, 1], lam=0.1).tolist()
    [0.1, -1.0, 0.1]
    """
    lam = _coef("lam", lam)
    x, was_1d, r = _rewards("r", r, binary=True)
    return _like(lam * x - (1.0 - x), was_1d, r)


def nsr(r: ArrayLike | torch.Tensor) -> np.ndarray | torch.Tensor:
    r"""Negative sample reinforcement: ``A_i = -1`` for a wrong sample, 0 for a correct one (mean form).

    :func:`w_reinforce` with ``lam = 0``: :math:`\mathcal L_{NSR} = \sum_{y: r=-1}\pi(y|x)`, only the
    wrong samples are penalised (Zhu et al., arXiv 2506.01347). Plain text: ``A_i = r_i - 1``.

    Examples
    --------
    >>> nsr([1, 0, 0]).tolist()
    [0.0, -1.0, -1.0]
    """
    return w_reinforce(r, lam=0.0)


def psr(r: ArrayLike | torch.Tensor) -> np.ndarray | torch.Tensor:
    r"""Positive sample reinforcement: ``A_i = 1`` for a correct sample, 0 for a wrong one (mean form).

    :math:`\mathcal L_{PSR} = -\sum_{y: r=+1}\pi(y|x)`: only the correct samples are reinforced
    (Zhu et al., arXiv 2506.01347). Plain text: ``A_i = r_i`` (binary rewards).

    Examples
    --------
    >>> psr([1, 0, 0]).tolist()
    [1.0, 0.0, 0.0]
    """
    x, was_1d, r = _rewards("r", r, binary=True)
    return _like(x.copy(), was_1d, r)


# ----------------------------------------------------------------------------- 2. outcome-based exploration
def batch_explore(
    r: ArrayLike | torch.Tensor, answer_ids, c: float = 0.5, correct_only: bool = False, eps: float = 1e-6
) -> np.ndarray | torch.Tensor:
    r"""Batch exploration: penalise answers repeated within the group, then GRPO (mean form).

    Parameters
    ----------
    r : array_like or torch.Tensor, shape (n,) or (B, n)
        Rewards (binary for RLVR).
    answer_ids : array_like or torch.Tensor, same shape
        Final answer of each sample (equal ids = the same answer).
    c : float, default 0.5
        Penalty weight, ``>= 0`` (0 gives GRPO).
    correct_only : bool, default False
        Penalise repeats of correct answers only.
    eps : float, default 1e-6
        GRPO's std offset.

    Returns
    -------
    ndarray or torch.Tensor, same shape as ``r``
        ``grpo(r_tilde)`` with the modified rewards below.

    Notes
    -----
    .. math:: \tilde r_i = r_i - c\,\frac1n \sum_{j \ne i} \mathbb 1[a_j = a_i], \qquad
              A = \mathrm{GRPO}(\tilde r)

    Plain text: ``r_tilde_i = r_i - c * (number of *other* samples with sample i's answer) / n``,
    then ``(r_tilde - mean) / (std + eps)``. The penalty is at most ``c (n-1)/n < c``, so with
    ``c <= 1`` a correct answer always outranks a wrong one. Reading taken: Song et al. describe
    batch exploration as a penalty on within-batch repetition of final answers, on top of GRPO;
    the penalty here counts the repeats among the n samples of the same prompt (the paper's
    "batch" of one question) and applies to every sample by default (``correct_only`` restricts
    it).

    References
    ----------
    Y. Song, J. Kempe, R. Munos, arXiv 2509.06941 (batch exploration).

    Examples
    --------
    >>> batch_explore([1, 1, 1, 0], [5, 5, 7, 9], c=0.5, eps=0).round(4).tolist()  # r~ = 7/8, 7/8, 1, 0
    [0.4685, 0.4685, 0.7809, -1.7179]
    """
    c = _coef("c", c)
    x, was_1d, r = _rewards("r", r)
    ids = _context("answer_ids", answer_ids, x.shape)
    repeats = (ids[:, :, None] == ids[:, None, :]).sum(-1) - 1  # (B, n) other samples with the same answer
    penalty = c * repeats / x.shape[-1]
    if correct_only:
        penalty = np.where(x > 0, penalty, 0.0)
    return _like(_normalise(x - penalty, eps), was_1d, r)


def ucb_explore(
    r: ArrayLike | torch.Tensor,
    answer_ids,
    prompt_ids,
    counts: dict,
    c: float = 0.1,
    correct_only: bool = False,
    eps: float = 1e-6,
) -> np.ndarray | torch.Tensor:
    r"""Historical exploration: a count bonus for rarely seen answers of each prompt, then GRPO (mean form).

    Parameters
    ----------
    r : array_like or torch.Tensor, shape (n,) or (B, n)
        Rewards.
    answer_ids : array_like or torch.Tensor, same shape
        Final answer of each sample.
    prompt_ids : array_like or torch.Tensor, shape (B,) (or a scalar for one group)
        Which prompt each row belongs to.
    counts : dict
        ``{prompt id: {answer id: N}}``, kept by the caller across steps and updated here in place.
    c : float, default 0.1
        The UCB constant, ``> 0``.
    correct_only : bool, default False
        Give the bonus to correct samples only.
    eps : float, default 1e-6
        GRPO's std offset.

    Returns
    -------
    ndarray or torch.Tensor, same shape as ``r``

    Raises
    ------
    ValueError
        On ``c <= 0``, a context of the wrong shape or invalid rewards.

    Notes
    -----
    .. math:: N(x, a) \mathrel{+}= \#\{i : a_i = a\}, \qquad
              \tilde r_i = r_i + \frac{c}{\sqrt{N(x, a_i)}}, \qquad A = \mathrm{GRPO}(\tilde r)

    Plain text: first add this batch's answers to the per-prompt counts, then
    ``r_tilde_i = r_i + c / sqrt(N(x, a_i))`` and ``A = (r_tilde - mean) / (std + eps)``.
    Reading taken: Song et al. give a UCB-style bonus that decays with how often an answer has
    been seen for that question over training and add it to the reward of a GRPO-style update.
    The count includes the current batch (so N >= 1 and the bonus lies in (0, c]); with
    ``c = 0.1`` novelty never outweighs correctness. The bonus goes to every sample by default:
    in the paper's outcome-based bandit, exploring a rarely seen wrong answer is what rules it
    out; ``correct_only`` restricts it. The group mean of GRPO is the baseline; the paper's
    variants with other baselines for the bonus are not reproduced here.

    References
    ----------
    Y. Song, J. Kempe, R. Munos, arXiv 2509.06941 (historical exploration).

    Examples
    --------
    >>> counts = {3: {1: 2}}
    >>> ucb_explore([[1, 0, 0, 0]], [[1, 1, 2, 4]], [3], counts, c=0.5, eps=0).round(12).tolist()
    [[1.666666666667, -1.0, -0.333333333333, -0.333333333333]]
    >>> counts
    {3: {1: 4, 2: 1, 4: 1}}
    """
    c = _coef("c (the UCB constant)", c, positive=True)
    if not isinstance(counts, dict):
        raise ValueError(f"counts must be a dict kept across steps, got {type(counts).__name__}")
    x, was_1d, r = _rewards("r", r)
    ids = _context("answer_ids", answer_ids, x.shape).astype(np.int64)
    pids = _context("prompt_ids", prompt_ids, (x.shape[0],)).astype(np.int64)
    for pid, row in zip(pids.tolist(), ids.tolist(), strict=True):  # count the whole batch first
        table = counts.setdefault(pid, {})
        for a in row:
            table[a] = table.get(a, 0) + 1
    seen = np.array([[counts[pid][a] for a in row] for pid, row in zip(pids.tolist(), ids.tolist(), strict=True)])
    bonus = c / np.sqrt(seen)
    if correct_only:
        bonus = np.where(x > 0, bonus, 0.0)
    return _like(_normalise(x + bonus, eps), was_1d, r)


# ----------------------------------------------------------------------------- 3. unlikeliness reward
def _average_ranks(v: np.ndarray) -> np.ndarray:
    """Ranks 0..n-1 within each row, ascending; tied values share the average of their ranks."""
    below = (v[:, None, :] < v[:, :, None]).sum(-1)
    ties = (v[:, None, :] == v[:, :, None]).sum(-1) - 1
    return below + ties / 2.0


def unlikely(r: ArrayLike | torch.Tensor, logp, beta_rank: float = 0.25, eps: float = 1e-6):
    r"""Unlikeliness reward: scale down the reward of the group's likelier samples, then GRPO (mean form).

    Parameters
    ----------
    r : array_like or torch.Tensor, shape (n,) or (B, n)
        Rewards (binary in the paper; a wrong sample's 0 stays 0).
    logp : array_like or torch.Tensor, same shape
        log pi(y_i) under the sampling policy.
    beta_rank : float, default 0.25
        Strength, in [0, 1] (the paper's runs use 0.25; <= 1 keeps every factor > 0).
    eps : float, default 1e-6
        GRPO's std offset.

    Returns
    -------
    ndarray or torch.Tensor, same shape as ``r``

    Notes
    -----
    .. math:: \tilde r_i = r_i \Big(1 - \beta_{rank}\,\frac{\mathrm{rank}(y_i)}{n}\Big), \qquad
              A = \mathrm{GRPO}(\tilde r)

    with rank 0 for the group's *least* likely sample and n-1 for the likeliest. Plain text: a
    correct sample keeps its full reward if it is the rarest, and loses up to ``beta_rank (n-1)/n``
    of it if it is the most likely, so among correct samples the rare ones get the larger
    advantage (GRPO's "rank bias" reversed). Reading taken: the release code of He et al.
    (``_compute_advantages`` in rewarding-unlikely-release) ranks by the sample's log-prob with
    ``argsort(argsort(logp)) / n`` and scales the reward by ``1 - rank_penalty * rank``; here tied
    log-probs (the same answer drawn twice, frequent in a bandit) share the average of their
    ranks, so identical samples get identical weights and the same total as any tie order. The
    course's GRPO uses the population std (the paper's code: the sample std), a common factor.

    References
    ----------
    A. He, D. Fried, S. Welleck, arXiv 2506.02355 (unlikeliness reward).

    Examples
    --------
    >>> a = unlikely([1, 1, 0, 1], [-1.0, -3.0, -2.0, -1.0], beta_rank=0.5, eps=0)
    >>> (a * 137 ** 0.5).round(12).tolist()  # r~ = 11/16, 1, 0, 11/16
    [3.0, 13.0, -19.0, 3.0]
    """
    beta_rank = _coef("beta_rank", beta_rank, upper=1.0)
    x, was_1d, r = _rewards("r", r)
    lp = _context("logp", logp, x.shape).astype(np.float64)
    factor = 1.0 - beta_rank * _average_ranks(lp) / x.shape[-1]
    return _like(_normalise(x * factor, eps), was_1d, r)


# ----------------------------------------------------------------------------- the registry's keys
@register("psr", summary="PSR: reinforce correct samples only (A = r)", reference="Zhu et al., arXiv 2506.01347")
def _psr(group: Group):
    return psr(group.rewards)


@register("nsr", summary="NSR: penalise wrong samples only (A = r - 1)", reference="Zhu et al., arXiv 2506.01347")
def _nsr(group: Group):
    return nsr(group.rewards)


@register(
    "w_reinforce",
    summary="Weighted-REINFORCE: +lam for correct, -1 for wrong (lam = 0.1)",
    reference="Zhu et al., arXiv 2506.01347",
)
def _w_reinforce(group: Group, lam: float = 0.1):
    return w_reinforce(group.rewards, lam)


@register(
    "batch_explore",
    summary="batch exploration: penalty c * (repeats of the answer in the group) / n, then GRPO",
    reference="Song, Kempe, Munos, arXiv 2509.06941",
    needs=("answer_ids",),
)
def _batch_explore(group: Group, c: float = 0.5, correct_only: bool = False, eps: float = 1e-6):
    return batch_explore(group.rewards, group.answer_ids, c, correct_only, eps)


@register(
    "ucb_explore",
    summary="historical exploration: bonus c / sqrt(N(prompt, answer)) over training, then GRPO",
    reference="Song, Kempe, Munos, arXiv 2509.06941",
    needs=("answer_ids", "prompt_ids", "state"),
)
def _ucb_explore(group: Group, c: float = 0.1, correct_only: bool = False, eps: float = 1e-6):
    counts = method_state(group, "ucb_explore")
    return ucb_explore(group.rewards, group.answer_ids, group.prompt_ids, counts, c, correct_only, eps)


@register(
    "unlikely",
    summary="unlikeliness reward: r (1 - beta_rank rank/n), rank 0 = least likely, then GRPO",
    reference="He, Fried, Welleck, arXiv 2506.02355",
    needs=("logp",),
)
def _unlikely(group: Group, beta_rank: float = 0.25, eps: float = 1e-6):
    return unlikely(group.rewards, group.logp, beta_rank, eps)
