r"""Pass@k group estimators: Chen et al.'s pass@k advantage (three forms) and PKPO's weights.

Part of the advantage toolkit; import them from :mod:`course_lib.advantages`, which
re-exports them and documents the shared conventions (shapes ``(n,)`` or ``(B, n)``,
NumPy or torch in and out, no gradient through rewards). Taught in
``notebooks/04_exploration_collapse.ipynb``.

References
----------
- Z. Chen et al., "Pass@k Training for Adaptively Balancing Exploration and Exploitation",
  arXiv 2508.10751.
- C. Walder, D. Karkhanis, "Pass@K Policy Optimization" (PKPO), arXiv 2505.15201.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .._checks import as_positive_int
from ._group import _k, _like, _normalise, _rewards, _rho_table, _rng

if TYPE_CHECKING:
    import torch

__all__ = ["passk_group_analytic", "passk_group_bootstrap", "passk_group_full", "pkpo_binary", "pkpo"]


# ----------------------------------------------------------------------------- pass@k: Chen et al.
def passk_group_analytic(r: ArrayLike | torch.Tensor, k: int, eps: float = 1e-6) -> np.ndarray | torch.Tensor:
    r"""Pass@k group advantage in closed form (Chen et al.'s "analytical derivation").

    Parameters
    ----------
    r : array_like or torch.Tensor, shape (n,) or (B, n)
        Binary rewards (0/1) of one or B groups of N = n rollouts.
    k : int
        Group size of the pass@k reward, ``1 <= k <= n``.
    eps : float, default 1e-6
        Added to sigma (as in the authors' code); ``>= 0``.

    Returns
    -------
    ndarray or torch.Tensor, same shape as ``r``
        ``A_pos`` on correct rollouts, ``A_neg`` on wrong ones. A degenerate group (sigma = 0)
        gets zeros: no correct rollout (c = 0), or fewer than k wrong ones (N_neg < k, so
        every size-k subset passes).

    Raises
    ------
    ValueError
        On invalid or non-binary rewards or ``k`` outside [1, n]
        (the rules of ``_rewards`` and ``_k`` in :mod:`course_lib.advantages._group`).

    Notes
    -----
    Split the N rollouts into every size-k subset; a subset scores 1 if it holds a correct
    rollout. Standardising subset scores and averaging, for each rollout, over the subsets
    that contain it gives (N_neg wrong rollouts):

    .. math:: \bar R = 1 - \frac{\binom{N_{neg}}{k}}{\binom{N}{k}}, \quad
              \sigma = \sqrt{\bar R (1 - \bar R)}, \quad
              A_{pos} = \frac{1 - \bar R}{\sigma}, \quad
              A_{neg} = \frac{1 - \bar R - \binom{N_{neg}-1}{k-1} / \binom{N-1}{k-1}}{\sigma}

    Plain text: ``Rbar = 1 - C(N_neg,k)/C(N,k)`` (= ``pass_at_k(N, c, k)``),
    ``sigma = sqrt(Rbar (1 - Rbar))``, ``A_pos = (1 - Rbar)/sigma``,
    ``A_neg = (1 - Rbar - C(N_neg-1,k-1)/C(N-1,k-1))/sigma``; the last ratio is
    ``1 - pass_at_k(N-1, c, k-1)`` (1 when k = 1, so k = 1 gives :func:`grpo`).
    Unnormalised (times sigma) and times k/N it equals ``pkpo_binary(r, k) - (k/N) Rbar``.

    References
    ----------
    Z. Chen et al., arXiv 2508.10751 (the "analytical derivation" of the group advantage).

    Examples
    --------
    >>> a = passk_group_analytic([1, 1, 1, 0, 0, 0, 0, 0], 4, eps=0)
    >>> round(float(a[0]), 7), round(float(a[-1]), 7)
    (0.2773501, -0.1664101)
    """
    x, was_1d, r = _rewards("r", r, binary=True)
    n = x.shape[-1]
    k = _k(k, n)
    c = x.sum(axis=-1).astype(np.int64)  # (B,)
    r_bar = _rho_table(n, k)[c]
    # given one wrong rollout in the subset, chance that the other k-1 are wrong too (1 when k = 1)
    all_wrong_given_neg = 1.0 - _rho_table(n - 1, k - 1)[np.minimum(c, n - 1)]
    sigma = np.sqrt(r_bar * (1.0 - r_bar))
    if not (float(eps) >= 0 and math.isfinite(float(eps))):
        raise ValueError(f"eps must be a finite number >= 0, got {eps!r}")
    degenerate = sigma == 0
    denom = np.where(degenerate, 1.0, sigma + float(eps))
    a_pos = np.where(degenerate, 0.0, (1.0 - r_bar) / denom)
    a_neg = np.where(degenerate, 0.0, (1.0 - r_bar - all_wrong_given_neg) / denom)
    adv = np.where(x == 1.0, a_pos[:, None], a_neg[:, None])
    return _like(adv, was_1d, r)


def passk_group_bootstrap(
    r: ArrayLike | torch.Tensor, k: int, num_groups: int, rng: np.random.Generator | int, eps: float = 1e-6
) -> np.ndarray | torch.Tensor:
    r"""Pass@k group advantage by bootstrap sampling of size-k groups (Chen et al.).

    Parameters
    ----------
    r : array_like or torch.Tensor, shape (n,) or (B, n)
        Rewards of one or B groups (binary for pass@k; any reals give max@k).
    k : int
        Size of each bootstrap group, ``1 <= k <= n``.
    num_groups : int
        Bootstrap groups drawn per row, ``>= 1``.
    rng : numpy.random.Generator or int
        Source of randomness (an int is used as a seed).
    eps : float, default 1e-6
        Added to the std of the group scores.

    Returns
    -------
    ndarray or torch.Tensor, same shape as ``r``
        For each rollout, the mean standardised score of the sampled groups containing it
        (0 if no sampled group contains it).

    Raises
    ------
    ValueError
        On ``num_groups < 1``, a bad ``rng``, invalid rewards or ``k`` outside [1, n]
        (the rules of ``_rewards`` and ``_k`` in :mod:`course_lib.advantages._group`).

    Notes
    -----
    Draw G groups, each k distinct rollouts chosen uniformly; score group g by
    ``R_g = max_{i in g} r_i``; standardise across the G groups,
    ``A_g = (R_g - mean R)/(std R + eps)``; then

    .. math:: A_i = \frac{\sum_{g \ni i} A_g}{|\{g : g \ni i\}|}

    As G grows it converges to :func:`passk_group_analytic` (which averages over all
    C(n, k) groups instead of a sample of them).

    References
    ----------
    Z. Chen et al., arXiv 2508.10751 ("bootstrap sampling").

    Examples
    --------
    >>> a = passk_group_bootstrap([1, 0, 0, 0, 0, 0], 2, num_groups=4000, rng=0)
    >>> bool(a[0] > 0 > a[1])
    True
    """
    x, was_1d, r = _rewards("r", r)
    b, n = x.shape
    k = _k(k, n)
    num_groups = as_positive_int("num_groups", num_groups)
    gen = _rng(rng)
    members = np.argsort(gen.random((b, num_groups, n)), axis=-1)[..., :k]  # (B, G, k) distinct indices
    scores = np.take_along_axis(x[:, None, :], members, axis=-1).max(axis=-1)  # (B, G)
    a_group = _normalise(scores, eps)  # (B, G)
    in_group = np.zeros((b, num_groups, n))
    np.put_along_axis(in_group, members, 1.0, axis=-1)  # (B, G, n) membership
    total = np.einsum("bg,bgn->bn", a_group, in_group)
    count = in_group.sum(axis=1)
    adv = np.where(count > 0, total / np.maximum(count, 1.0), 0.0)
    return _like(adv, was_1d, r)


def passk_group_full(r: ArrayLike | torch.Tensor, k: int, eps: float = 1e-6) -> np.ndarray | torch.Tensor:
    r"""Pass@k group advantage with "full sampling": split the group into n/k disjoint groups.

    Parameters
    ----------
    r : array_like or torch.Tensor, shape (n,) or (B, n)
        Rewards (binary for pass@k; reals give max@k). Rollouts are i.i.d., so consecutive
        blocks of k are random groups.
    k : int
        Size of each group; must divide n.
    eps : float, default 1e-6
        Added to the std of the group scores.

    Returns
    -------
    ndarray or torch.Tensor, same shape as ``r``
        Every rollout gets the standardised score of its block.

    Raises
    ------
    ValueError
        On ``n % k != 0``, invalid rewards or ``k`` outside [1, n]
        (the rules of ``_rewards`` and ``_k`` in :mod:`course_lib.advantages._group`).

    Notes
    -----
    .. math:: R_g = \max_{i \in g} r_i, \qquad
              A_i = \frac{R_{g(i)} - \operatorname{mean}_g R_g}{\operatorname{std}_g R_g + \epsilon}

    Plain text: block g = rollouts ``g*k .. g*k + k - 1``; score = max; standardise the n/k
    scores; broadcast each back to its k rollouts. With n = k there is one block and the
    advantage is zero.

    References
    ----------
    Z. Chen et al., arXiv 2508.10751 ("full sampling").

    Examples
    --------
    >>> passk_group_full([1, 0, 0, 0], 2, eps=0).tolist()  # block scores [1, 0]
    [1.0, 1.0, -1.0, -1.0]
    """
    x, was_1d, r = _rewards("r", r)
    b, n = x.shape
    k = _k(k, n)
    if n % k:
        raise ValueError(f"k must divide the group size n for full sampling, got n={n}, k={k}")
    scores = x.reshape(b, n // k, k).max(axis=-1)  # (B, n/k)
    adv = np.repeat(_normalise(scores, eps), k, axis=-1)  # (B, n)
    return _like(adv, was_1d, r)


# ----------------------------------------------------------------------------- pass@k: PKPO
def pkpo_binary(r: ArrayLike | torch.Tensor, k: int) -> np.ndarray | torch.Tensor:
    r"""PKPO weights for binary rewards: an unbiased estimate of grad pass@k in sum form.

    Parameters
    ----------
    r : array_like or torch.Tensor, shape (n,) or (B, n)
        Binary rewards (0/1) of one or B groups.
    k : int
        Attempts, ``1 <= k <= n``.

    Returns
    -------
    ndarray or torch.Tensor, same shape as ``r``
        Weights ``w_i``: ``k/n`` on correct rollouts, ``(k/n) rho(n-1, c, k-1)`` on wrong ones.

    Raises
    ------
    ValueError
        On invalid or non-binary rewards or ``k`` outside [1, n]
        (the rules of ``_rewards`` and ``_k`` in :mod:`course_lib.advantages._group`).

    Notes
    -----
    With c correct rollouts out of n,

    .. math:: w_i = \begin{cases} k/n & r_i = 1 \\ (k/n)\,\rho(n-1, c, k-1) & r_i = 0 \end{cases},
              \qquad \mathbb{E}\Big[\sum_i w_i \nabla\log\pi(y_i)\Big] = \nabla\,\text{pass@}k

    Plain text: ``w = k/n`` if correct else ``(k/n) * rho(n-1, c, k-1)`` where
    ``rho = pass_at_k`` (and ``rho(., ., 0) = 0``). A wrong rollout still gets a positive
    weight when other rollouts succeed. No baseline: for a variance-reduced version call
    ``pkpo(r, k, baseline="loo-1")``. Equals ``pkpo(r, k)`` on binary rewards.

    References
    ----------
    C. Walder, D. Karkhanis, arXiv 2505.15201 (binary rewards).

    Examples
    --------
    >>> pkpo_binary([1, 0, 0, 0], 2).round(12).tolist()  # k/n = 1/2; rho(3, 1, 1) = 1/3
    [0.5, 0.166666666667, 0.166666666667, 0.166666666667]
    """
    x, was_1d, r = _rewards("r", r, binary=True)
    n = x.shape[-1]
    k = _k(k, n)
    c = x.sum(axis=-1).astype(np.int64)
    rho = _rho_table(n - 1, k - 1)[np.minimum(c, n - 1)]  # rho(., ., 0) = 0
    w = (k / n) * np.where(x == 1.0, 1.0, rho[:, None])
    return _like(w, was_1d, r)


@lru_cache(maxsize=256)
def _subset_counts(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For sorted positions i = 1..n: C(i-1, k-1)/C(n, k) and C(i-2, k-2)/C(n, k) (exact ints, one rounding)."""
    total = math.comb(n, k)
    own = np.array([math.comb(i - 1, k - 1) / total for i in range(1, n + 1)])
    pair = np.array([(math.comb(i - 2, k - 2) / total if (i >= 2 and k >= 2) else 0.0) for i in range(1, n + 1)])
    for arr in (own, pair):
        arr.setflags(write=False)
    return own, pair


@lru_cache(maxsize=256)
def _loo_counts(n: int, kk: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights of the others of a left-out sorted position m.

    C(i-1,kk-1)/C(n-1,kk) below m, C(i-2,kk-1)/C(n-1,kk) above.
    """
    total = math.comb(n - 1, kk)
    below = np.array([math.comb(i - 1, kk - 1) / total for i in range(1, n + 1)])
    above = np.array([(math.comb(i - 2, kk - 1) / total if i >= 2 else 0.0) for i in range(1, n + 1)])
    for arr in (below, above):
        arr.setflags(write=False)
    return below, above


def _loo_max_estimate(gs: np.ndarray, kk: int) -> np.ndarray:
    """Unbiased max@kk estimate from all sorted samples but position m, for every m; shape of gs."""
    n = gs.shape[-1]
    if kk == 0:
        return np.zeros_like(gs)
    below, above = _loo_counts(n, kk)
    lo = np.cumsum(gs * below, axis=-1) - gs * below  # sum over i < m
    hi_terms = gs * above
    hi = np.cumsum(hi_terms[..., ::-1], axis=-1)[..., ::-1] - hi_terms  # sum over i > m
    return lo + hi


def pkpo(g: ArrayLike | torch.Tensor, k: int, baseline: str | None = None) -> np.ndarray | torch.Tensor:
    r"""PKPO transformation for continuous rewards (max@k), with an optional baseline.

    Parameters
    ----------
    g : array_like or torch.Tensor, shape (n,) or (B, n)
        Real rewards of one or B groups (binary rewards give pass@k).
    k : int
        Attempts, ``1 <= k <= n``.
    baseline : {None, "loo", "loo-1"}, default None
        ``None``: the plain unbiased weights ``s_i``. ``"loo"``: subtract, inside every
        subset, the max@k estimate from the other n-1 rollouts (needs ``k <= n-1``).
        ``"loo-1"``: subtract, inside every subset I containing i, ``max over I minus i``
        (needs ``k >= 2``; the recommended low-variance form).

    Returns
    -------
    ndarray or torch.Tensor, same shape as ``g``
        Weights for the sum-form gradient ``sum_i w_i grad log pi(y_i)``; every variant is
        unbiased for grad max@k.

    Raises
    ------
    ValueError
        On an unknown ``baseline``, invalid rewards or ``k`` outside the baseline's range
        (the rules of ``_rewards`` and ``_k`` in :mod:`course_lib.advantages._group`).

    Notes
    -----
    Average over all C(n, k) subsets I of the empirical max, differentiated by the score
    function. With g sorted ascending (1-based positions i):

    .. math:: s_i = \frac{1}{\binom{n}{k}}\sum_{I \ni i} \max_{j\in I} g_j
              = \frac{1}{\binom{n}{k}}\Big[\binom{i-1}{k-1} g_i + \sum_{j>i}\binom{j-2}{k-2} g_j\Big]

    Plain text: ``s_i = (C(i-1,k-1) g_i + sum_{j>i} C(j-2,k-2) g_j) / C(n,k)`` -- a suffix
    sum after one sort, O(n log n). Baselines ``b_i`` that do not depend on sample i keep
    it unbiased: ``loo``: ``s_i - (k/n) m_k(g without i)``; ``loo-1``:
    ``s_i - (k/n) m_{k-1}(g without i)`` with ``m_k`` the same unbiased max@k estimate
    (because ``C(n-1,k-1)/C(n,k) = k/n``). Ties are harmless: the max value does not
    depend on which tied sample is called the maximum.

    References
    ----------
    C. Walder, D. Karkhanis, arXiv 2505.15201 (continuous rewards, baselines).

    Examples
    --------
    >>> pkpo([0.1, 0.5, 0.2, 0.9], 2).round(6).tolist()
    [0.266667, 0.316667, 0.266667, 0.45]
    """
    x, was_1d, g = _rewards("g", g)
    n = x.shape[-1]
    if baseline not in (None, "loo", "loo-1"):
        raise ValueError(f"baseline must be None, 'loo' or 'loo-1', got {baseline!r}")
    if baseline == "loo":
        k = _k(k, n, maximum=n - 1)
    elif baseline == "loo-1":
        k = _k(k, n, minimum=2)
    else:
        k = _k(k, n)
    order = np.argsort(x, axis=-1, kind="stable")
    gs = np.take_along_axis(x, order, axis=-1)  # (B, n) ascending
    own, pair = _subset_counts(n, k)
    pair_terms = gs * pair
    above = np.cumsum(pair_terms[..., ::-1], axis=-1)[..., ::-1] - pair_terms  # sum over j > i
    s = own * gs + above
    if baseline is not None:
        s = s - (k / n) * _loo_max_estimate(gs, k if baseline == "loo" else k - 1)
    out = np.empty_like(s)
    np.put_along_axis(out, order, s, axis=-1)  # back to the caller's order
    return _like(out, was_1d, g)
