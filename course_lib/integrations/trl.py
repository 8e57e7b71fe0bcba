r"""The course's zero-sum group advantages in TRL's ``GRPOTrainer``, as an exact reward transform.

TRL (https://github.com/huggingface/trl) has no hook for another advantage: ``GRPOTrainer``
computes, inline, ``A_i = r_i - mean_group(r)`` (divided by the group's std unless
``scale_rewards="none"``) from the rewards its reward functions return. Its reward functions are
the supported extension point, so :func:`group_reward` wraps a per-completion reward (0/1 from
your verifier) into one whose value *is* the course's mean-form advantage ``A_i = n w_i`` (as in
:mod:`course_lib.integrations.verl`). TRL then subtracts the group mean of those values; that
changes nothing exactly when the advantages sum to zero within every group, which holds for
Chen et al.'s pass@k advantage (closed form and disjoint groups), GRPO, RLOO, RS-GRPO and GRPO x
alpha_k (:data:`ZERO_SUM`; ``tests/test_integrations.py`` checks the sum). So with

    GRPOConfig(scale_rewards="none", num_generations=n, ...) and this one reward function

TRL's advantages are the course method's, up to TRL's float32 (tested on a tiny randomly
initialised model: ``tests/test_trl.py``, run by ``make test-verl``).

The conditions, each checked at every call (a clear ``ValueError`` instead of a wrong advantage):

- the call sees whole groups, in TRL's order (each prompt repeated ``num_generations`` times in a
  row): true on one process, and on several when ``per_device_train_batch_size *
  steps_per_generation`` is a multiple of ``num_generations`` (TRL splits the generation batch
  across processes in equal contiguous slices before the reward call);
- the method's advantages sum to zero in the group (PKPO's weights, PSR, NSR, W-REINFORCE and
  the bootstrap variant do not: TRL's mean baseline would change them -- use verl for those);
- the rewards are finite (and binary for the pass@k methods, the estimator's own check).

Set ``scale_rewards="none"`` yourself (:func:`check_config` checks a ``GRPOConfig``), and give
this function alone (or weight the others 0): TRL sums weighted rewards before the baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..advantages.registry import estimator, loss_weights

__all__ = ["ZERO_SUM", "group_reward", "check_config"]

ZERO_SUM = ("chen", "chen_full", "grpo", "rloo", "risk_seeking", "grpo_alpha")
"""Course methods whose advantages sum to zero within every group: exact through TRL's mean baseline."""

_TOL = 1e-9
"""Largest |sum of a group's advantages| accepted, relative to max(1, max |A|) (float64 rounding)."""


def group_reward(
    method: str, reward_fn: Callable[..., list], *, num_generations: int, k: int | None = None, **params: Any
) -> Callable[..., list[float]]:
    r"""A TRL reward function returning the course's advantage of ``method`` for each completion.

    Parameters
    ----------
    method : str
        A key of the course's registry whose advantages sum to zero in a group (:data:`ZERO_SUM`).
    reward_fn : callable
        Your TRL reward function, ``reward_fn(prompts=..., completions=..., **kw) -> list`` of
        outcome rewards, one per completion (binary for the pass@k methods).
    num_generations : int
        n, TRL's ``GRPOConfig.num_generations``.
    k : int, optional
        k of the pass@k methods (``k <= num_generations``).
    **params
        The method's hyper-parameters (``ESTIMATORS[method].params``).

    Returns
    -------
    callable
        ``fn(prompts, completions, **kw) -> list[float]``: ``A_i = n * w_i`` per group of
        ``num_generations`` consecutive completions, w the course's sum-form weights.

    Raises
    ------
    ValueError
        At construction: a method that is not zero-sum or needs more than rewards. At a call: a
        batch that is not made of whole groups, NaN rewards, a group whose advantages do not sum
        to zero; the message names the group.

    Examples
    --------
    >>> acc = lambda prompts, completions, **kw: [float(c == "4") for c in completions]
    >>> fn = group_reward("chen", acc, num_generations=4, k=2)
    >>> a = fn(prompts=["2+2="] * 4, completions=["4", "5", "3", "1"])  # n = 4, c = 1: R = 1/2
    >>> [round(x, 4) for x in a], abs(sum(a)) < 1e-12  # A_pos = 1, A_neg = -1/3: zero-sum (to rounding)
    ([1.0, -0.3333, -0.3333, -0.3333], True)
    """
    est = estimator(method)
    if method not in ZERO_SUM:
        raise ValueError(
            f"{method!r} is not exact through TRL: its advantages do not sum to zero in a group (or it needs more "
            f"than the rewards), so TRL's group-mean baseline would change them; exact here: {', '.join(ZERO_SUM)}"
        )
    n = int(num_generations)
    if n < 2:
        raise ValueError(f"num_generations must be >= 2, got {num_generations!r}")
    if est.uses_k and k is None:
        raise ValueError(f"{method!r} is a pass@k method: give k (<= num_generations)")

    def reward(prompts, completions, **kwargs) -> list[float]:
        r = np.asarray(reward_fn(prompts=prompts, completions=completions, **kwargs), dtype=np.float64)
        if r.shape != (len(prompts),):
            raise ValueError(f"reward_fn returned {r.shape[0] if r.ndim else r} rewards for {len(prompts)} completions")
        if len(r) % n:
            raise ValueError(
                f"a reward call got {len(r)} completions, not whole groups of num_generations={n}: make "
                "per_device_train_batch_size * steps_per_generation a multiple of num_generations"
            )
        out = np.empty_like(r)
        for start in range(0, len(r), n):
            rows = slice(start, start + n)
            group = f"group at completions {start}..{start + n - 1}"
            if any(p != prompts[start] for p in prompts[rows]):
                raise ValueError(f"{group}: not one prompt repeated {n} times (TRL's group order is broken)")
            if not np.isfinite(r[rows]).all():
                raise ValueError(f"{group}: NaN or inf rewards {r[rows].tolist()}")
            try:
                a = n * np.asarray(loss_weights(method, r[rows], k=k, **params), dtype=np.float64)
            except ValueError as exc:
                raise ValueError(f"{method}: {group} (rewards {r[rows].tolist()}): {exc}") from None
            if abs(a.sum()) > _TOL * max(1.0, float(np.abs(a).max())):
                raise ValueError(f"{method}: {group}: advantages sum to {a.sum():.3g}, not 0; TRL would shift them")
            out[rows] = a
        return out.tolist()

    reward.__name__ = f"passk_{method}"  # TRL logs rewards/<__name__>/mean
    return reward


def check_config(args: Any) -> None:
    """Raise ``ValueError`` unless a TRL ``GRPOConfig`` keeps :func:`group_reward` exact.

    It needs ``scale_rewards="none"``, the default ``multi_objective_aggregation``, a per-process
    generation batch of whole groups and no other group size for evaluation.
    """
    problems = []
    if getattr(args, "scale_rewards", None) != "none":
        problems.append(f"scale_rewards={args.scale_rewards!r} (must be 'none')")
    aggregation = getattr(args, "multi_objective_aggregation", "sum_then_normalize")
    if aggregation != "sum_then_normalize":
        problems.append(f"multi_objective_aggregation={aggregation!r} (must be 'sum_then_normalize')")
    n_eval = getattr(args, "num_generations_eval", None)
    if n_eval not in (None, args.num_generations):
        problems.append(f"num_generations_eval={n_eval} (evaluation rewards would be grouped by num_generations)")
    per_process = args.per_device_train_batch_size * args.steps_per_generation
    if per_process % args.num_generations:
        problems.append(
            f"per_device_train_batch_size * steps_per_generation = {per_process} is not a multiple of "
            f"num_generations = {args.num_generations}"
        )
    if problems:
        raise ValueError("TRL config would not reproduce the course's advantage: " + "; ".join(problems))
