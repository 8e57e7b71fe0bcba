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
from functools import lru_cache

import numpy as np

from ._checks import _as_array, as_positive_int
from .passk import pass_at_k

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


# ----------------------------------------------------------------------------- plumbing
def _rewards(name: str, r, *, binary: bool = False, min_n: int = 1):
    """Validate rewards; return (float64 array of shape (B, n), was_1d, original input)."""
    if isinstance(r, (list, tuple)) and len(r) == 0:
        raise ValueError(f"{name} must hold at least {min_n} reward(s) per group, got an empty list")
    arr = _as_array(name, r).astype(np.float64, copy=False)
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D (one group of n rewards) or 2-D (B groups, one per row), got shape {arr.shape}"
        )
    if arr.shape[-1] < min_n:
        raise ValueError(f"{name} must hold at least {min_n} reward(s) per group, got n={arr.shape[-1]}")
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not contain NaN")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite (no inf)")
    if binary and not np.isin(arr, (0.0, 1.0)).all():
        bad = arr[~np.isin(arr, (0.0, 1.0))].flat[0]
        raise ValueError(f"{name} must be binary (0 = wrong, 1 = correct) for this estimator, got {bad!r}")
    was_1d = arr.ndim == 1
    return np.atleast_2d(arr), was_1d, r


def _like(out: np.ndarray, was_1d: bool, r):
    """Return ``out`` with r's layout and kind (NumPy float64, or torch on r's device/dtype)."""
    if was_1d:
        out = out[0]
    if hasattr(r, "detach") and hasattr(r, "device"):  # torch tensor
        import torch

        dtype = r.dtype if r.is_floating_point() else torch.get_default_dtype()
        return torch.as_tensor(out, dtype=dtype, device=r.device)
    return out


def _k(k, n: int, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Validate k as an integer with minimum <= k <= maximum (default n)."""
    k = as_positive_int("k", k, minimum=minimum)
    maximum = n if maximum is None else maximum
    if k > maximum:
        raise ValueError(f"k must be <= {maximum} for groups of n={n} rollouts, got k={k}")
    return k


def _normalise(x: np.ndarray, eps: float) -> np.ndarray:
    """(x - mean)/(std + eps) over the last axis (population std); constant rows give 0."""
    eps = float(eps)
    if not (eps >= 0 and math.isfinite(eps)):
        raise ValueError(f"eps must be a finite number >= 0, got {eps!r}")
    mean = x.mean(axis=-1, keepdims=True)
    std = x.std(axis=-1, keepdims=True)
    flat = np.ptp(x, axis=-1, keepdims=True) == 0
    denom = np.where(flat, 1.0, std + eps)
    return np.where(flat, 0.0, (x - mean) / denom)


@lru_cache(maxsize=256)
def _rho_table(n: int, k: int) -> np.ndarray:
    """rho(n, c, k) = pass_at_k(n, c, k) for c = 0..n (zeros for k = 0), cached per (n, k)."""
    table = np.zeros(n + 1) if k == 0 else np.asarray(pass_at_k(n, np.arange(n + 1), k), dtype=np.float64)
    table.setflags(write=False)
    return table


def _rng(rng) -> np.random.Generator:
    """A NumPy Generator from a Generator or an integer seed."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise ValueError(f"rng must be a numpy.random.Generator or an integer seed, got {type(rng).__name__}")


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
    Z. Shao et al., arXiv 2402.03300, Sec. 4.1.2.

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


# ----------------------------------------------------------------------------- pass@k: Chen et al.
def passk_group_analytic(r, k, eps: float = 1e-6):
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
        On non-binary or NaN rewards, ``k < 1`` or ``k > n``.

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
    Z. Chen et al., arXiv 2508.10751, Sec. 3 (analytical derivation).

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


def passk_group_bootstrap(r, k, num_groups, rng, eps: float = 1e-6):
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
        On NaN rewards, ``k`` outside [1, n], ``num_groups < 1`` or a bad ``rng``.

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
    Z. Chen et al., arXiv 2508.10751, Sec. 3 (bootstrap sampling).

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


def passk_group_full(r, k, eps: float = 1e-6):
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
        On NaN rewards, ``k`` outside [1, n] or ``n % k != 0``.

    Notes
    -----
    .. math:: R_g = \max_{i \in g} r_i, \qquad A_i = \frac{R_{g(i)} - \operatorname{mean}_g R_g}{\operatorname{std}_g R_g + \epsilon}

    Plain text: block g = rollouts ``g*k .. g*k + k - 1``; score = max; standardise the n/k
    scores; broadcast each back to its k rollouts. With n = k there is one block and the
    advantage is zero.

    References
    ----------
    Z. Chen et al., arXiv 2508.10751, Sec. 3 (full sampling).

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
def pkpo_binary(r, k):
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
        On non-binary or NaN rewards, ``k < 1`` or ``k > n``.

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
    C. Walder, D. Karkhanis, arXiv 2505.15201, Sec. 3.

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
    """For the others of a left-out sorted position m: weights C(i-1,kk-1)/C(n-1,kk) below m, C(i-2,kk-1)/C(n-1,kk) above."""
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


def pkpo(g, k, baseline: str | None = None):
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
        On NaN/inf rewards, ``k`` outside its range, or an unknown ``baseline``.

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
    C. Walder, D. Karkhanis, arXiv 2505.15201, Sec. 4.

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
    ``n/c``/beta when beta is large: rare successes dominate, as in pass@k objectives.

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
