r"""Group sizes for GRPO-style RL, planned from per-problem pass rates (``passk plan``).

For each group size G: the share of groups without GRPO signal and, for a given k, without a
pass@k advantage (Chen et al.), averaged over problems (:mod:`course_lib.evaluation.groups`), the
expected informative prompts per batch, and the smallest G that keeps a target share of groups
informative. Given each prompt's exact pass rate p (the lab enumerates it) every value is exact for
i.i.d. samples; from an evaluation's ``(n, c)`` they are estimates, with a bootstrap interval over
problems. The expected number of informative prompts per batch is exact given the share (linearity
of expectation) and inherits its status. Taught in ``notebooks/07_passk_as_a_diagnostic.ipynb``.

References
----------
- Q. Yu et al., "DAPO", arXiv 2503.14476 (dynamic sampling drops all-correct and all-wrong groups).
- Z. Chen et al., arXiv 2508.10751 (the pass@k group advantage).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .. import passk
from .._checks import as_int_array, as_positive_int, as_prob_array
from .bootstrap import check_level, percentile_interval, resampled_means
from .groups import grpo_zero_signal_prob, passk_zero_advantage_prob, zero_advantage_estimate, zero_signal_estimate

__all__ = ["GroupRow", "GroupPlan", "plan_groups"]


@dataclass(frozen=True)
class GroupRow:
    """Predictions for one group size G."""

    G: int
    """Group size (samples per prompt)."""
    zero_signal: float
    """Share of GRPO groups with no signal (all correct or all wrong), mean over problems."""
    zero_signal_ci: np.ndarray | None
    """Bootstrap [lo, hi] over problems (None when computed from exact p)."""
    informative_per_batch: float
    """Expected prompts per batch whose group has GRPO signal: ``batch * (1 - zero_signal)``."""
    zero_advantage: float | None
    """Share of groups where Chen et al.'s pass@k advantage is zero (None without k, or k > G)."""
    zero_advantage_ci: np.ndarray | None
    """Its bootstrap [lo, hi]."""
    plug_in: int
    """Problems with n < G, where the plug-in (biased) estimate was used."""


@dataclass(frozen=True)
class GroupPlan:
    """The planner's output: one row per group size and the recommendation."""

    rows: list[GroupRow]
    """One row per requested G, in order."""
    k: int | None
    """k of Chen et al.'s pass@k advantage, if asked."""
    batch: int
    """Prompts per batch (one group each)."""
    target: float
    """Wanted share of informative groups."""
    recommended: int | None
    """Smallest G (>= 2) whose predicted share of GRPO groups with signal reaches ``target`` (None: not up to g_max)."""
    recommended_passk: int | None
    """The same for Chen et al.'s advantage at k (None without k)."""
    ceiling: float
    """Share of problems that are neither never nor always solved: no G makes more groups informative."""
    never_solved: float
    """Share of problems with p = 0 (c = 0): zero signal at every G."""
    always_solved: float
    """Share of problems with p = 1 (c = n): zero signal at every G."""
    exact: bool
    """True when computed from exact pass rates p, False when estimated from (n, c)."""
    n_problems: int
    """m."""


def _shares(n, c, p, Gs: np.ndarray, k: int | None) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Zero-signal (d, len(Gs)) and zero-advantage (or None; NaN where k > G) chances, and plug-in masks.

    Rows are problems or distinct problems: ``p`` (exact) or ``n, c`` (estimates).
    """
    cols, adv, plug = [], [], []
    for G in Gs:
        if p is not None:
            z, pi = np.asarray(grpo_zero_signal_prob(p, int(G)), dtype=np.float64), np.zeros(p.shape, bool)
        else:
            z, pi = zero_signal_estimate(n, c, int(G))
        cols.append(z)
        plug.append(pi)
        if k is not None:
            if k > G:
                adv.append(np.full(z.shape, np.nan))
            elif p is not None:
                adv.append(np.asarray(passk_zero_advantage_prob(p, int(G), k), dtype=np.float64))
            else:
                adv.append(zero_advantage_estimate(n, c, int(G), k)[0])
    adv_table = np.column_stack(adv) if k is not None else None
    return np.column_stack(cols), adv_table, np.column_stack(plug)


def _smallest(n, c, p, weight, target: float, ceiling: float, k: int | None, g_max: int) -> int | None:
    """Smallest G in [max(2, k + 1), g_max] whose mean informative share reaches ``target`` (scanned in order)."""
    if target > ceiling + 1e-12:  # never and always solved problems are zero-signal at every G
        return None
    for G in range(max(2, (k or 1) + 1), g_max + 1):
        zero, adv, _ = _shares(n, c, p, np.array([G]), k)
        if 1 - weight @ (zero if k is None else adv)[:, 0] >= target - 1e-12:
            return G
    return None


def plan_groups(
    group_sizes: ArrayLike,
    *,
    n: ArrayLike | None = None,
    c: ArrayLike | None = None,
    p: ArrayLike | None = None,
    k: int | None = None,
    batch: int = 32,
    target: float = 0.75,
    level: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
    g_max: int = 1024,
) -> GroupPlan:
    r"""Predict, for each group size G, the share of RL groups without signal, and recommend a G.

    Parameters
    ----------
    group_sizes : array_like of int
        The G values to report, each ``>= 2``.
    n, c : array_like of int, shape (m,), optional
        Samples and correct samples per problem (an evaluation); the values are estimates.
    p : array_like, shape (m,), optional
        Exact pass rate per problem instead of ``n, c``; the values are then exact.
    k : int, optional
        Also report Chen et al.'s pass@k advantage at this k.
    batch : int
        Prompts per batch (one group of G samples each).
    target : float
        Wanted share of informative groups, in (0, 1].
    level, resamples, seed
        Bootstrap interval over problems (estimates only).
    g_max : int
        Largest G the recommendation searches.

    Returns
    -------
    GroupPlan

    Raises
    ------
    ValueError
        Given both or neither of ``(n, c)`` and ``p``, or on invalid values.

    Notes
    -----
    .. math:: \text{zero}(G) = \frac1m \sum_i \left(p_i^G + (1 - p_i)^G\right), \qquad
              \text{informative per batch} = B\,(1 - \text{zero}(G))

    Plain text: the mean over problems of ``p^G + (1 - p)^G`` (with counts: its per-problem
    estimate, :func:`zero_signal_estimate`), and ``B (1 - zero)`` prompts with signal per batch of
    B. The informative share cannot exceed :attr:`GroupPlan.ceiling`, the share of problems with
    0 < p < 1, at any G.

    References
    ----------
    Q. Yu et al., arXiv 2503.14476 (DAPO's dynamic sampling); Z. Chen et al., arXiv 2508.10751.

    Examples
    --------
    >>> plan = plan_groups([2, 8], p=[0.5, 0.1])  # G = 2: (0.5 + 0.82) / 2
    >>> [round(r.zero_signal, 4) for r in plan.rows], plan.recommended  # 75 % informative from G = 7
    ([0.66, 0.2191], 7)
    """
    Gs = as_int_array("group size", np.atleast_1d(group_sizes), minimum=2)
    batch = as_positive_int("batch", batch)
    if not 0 < float(target) <= 1:
        raise ValueError(f"target must be a share in (0, 1], got {target!r}")
    if k is not None:
        k = as_positive_int("k", k)
    if (p is None) == (n is None or c is None):
        raise ValueError("give either per-problem counts n and c, or exact pass rates p")
    if p is not None:
        p = np.atleast_1d(as_prob_array("p", p)).astype(np.float64)
        m, never, always, ceiling = (
            p.size,
            float(np.mean(p == 0)),
            float(np.mean(p == 1)),
            float(np.mean((p > 0) & (p < 1))),
        )
    else:
        n, c = as_int_array("n", n), as_int_array("c", c)
        passk.coverage_from_counts(c, n)  # the rules for counts (c <= n, non-empty)
        m, never, always = n.size, float(np.mean(c == 0)), float(np.mean(c == n))
        ceiling = 1 - never - always
    # work on distinct problems: a problem's values depend only on its (n, c), or on its p
    key = (n.astype(np.int64) * (int(c.max()) + 1) + c) if p is None else p
    _, first, inverse, freq = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    weight = freq / m
    n_u, c_u, p_u = (None, None, p[first]) if p is not None else (n[first], c[first], None)
    zero, adv, plug = _shares(n_u, c_u, p_u, Gs, k)
    ci = None
    if p is None:
        values = zero if adv is None else np.hstack([zero, np.nan_to_num(adv)])
        draws = resampled_means(values[inverse.reshape(-1)], key=inverse, resamples=resamples, seed=seed)
        ci = percentile_interval(draws, check_level(level))
    rows = []
    for i, G in enumerate(Gs):
        z = float(weight @ zero[:, i])
        has_adv = adv is not None and k <= G
        rows.append(
            GroupRow(
                G=int(G),
                zero_signal=z,
                zero_signal_ci=None if ci is None else ci[i],
                informative_per_batch=batch * (1 - z),
                zero_advantage=float(weight @ adv[:, i]) if has_adv else None,
                zero_advantage_ci=ci[len(Gs) + i] if has_adv and ci is not None else None,
                plug_in=int(freq @ plug[:, i]),
            )
        )
    g_max = max(int(g_max), int(Gs.max()))
    return GroupPlan(
        rows=rows,
        k=k,
        batch=batch,
        target=float(target),
        recommended=_smallest(n_u, c_u, p_u, weight, float(target), ceiling, None, g_max),
        recommended_passk=None if k is None else _smallest(n_u, c_u, p_u, weight, float(target), ceiling, k, g_max),
        ceiling=ceiling,
        never_solved=never,
        always_solved=always,
        exact=p is not None,
        n_problems=int(m),
    )
