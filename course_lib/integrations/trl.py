r"""The course's zero-sum group advantages in TRL's ``GRPOTrainer``, as an exact reward transform.

TRL (https://github.com/huggingface/trl) has no hook for another advantage: ``GRPOTrainer``
computes, inline, ``A_i = r_i - mean_group(r)`` (divided by the group's std unless
``scale_rewards="none"``) from the rewards its reward functions return. Its reward functions are
the supported extension point, so :func:`group_reward` wraps a per-completion reward (0/1 from
your verifier) into one whose value *is* the course's mean-form advantage ``A_i = n w_i`` (as in
:mod:`course_lib.integrations.verl`). TRL then subtracts the group mean of those values; that
changes nothing exactly when the advantages sum to zero within every group, which holds for
Chen et al.'s pass@k advantage (closed form and disjoint groups), GRPO, RLOO, RS-GRPO and GRPO x
alpha_k (:data:`ZERO_SUM`; ``tests/test_integrations.py`` checks the sum).

The entry point is :func:`grpo_trainer`: it builds TRL's ``GRPOTrainer`` with the transformed
reward (weight 1) and your verifier again under the name :data:`VERIFIER` with weight 0, so that TRL
logs the accuracy (``rewards/passk_verifier/mean``; TRL's own ``reward`` is now the mean advantage,
about 0) and writes it in its completions table; then :func:`check_trainer` inspects the real
trainer. TRL's advantages are then the course method's, up to TRL's float32 (tested on a tiny
randomly initialised model: ``tests/test_trl.py``, run by ``make test-verl``). Three set-ups would
pass TRL's own checks and train on a wrong advantage without a word; each is refused:

- a transform built for another group size than the trainer's ``num_generations`` (with m a
  divisor of n, TRL sees whole "groups" of m and all-zero advantages where the course gives
  [1, -1/3, -1/3, -1/3]);
- a weight other than 1 on the transformed reward (TRL multiplies the advantage by it);
- another reward function with a non-zero weight (TRL adds it before its baseline).

The transform also runs :func:`check_trainer` at its first call inside a trainer (TRL 1.16 passes the
trainer's ``log_extra`` method to reward functions), so a trainer built by hand is refused before its
first update. Other conditions, checked by :func:`check_config` and at every reward call (a clear ``ValueError``
instead of a wrong advantage):

- the call sees whole groups, in TRL's order (each prompt repeated ``num_generations`` times in a
  row): true on one process, and on several when ``per_device_train_batch_size *
  steps_per_generation`` is a multiple of ``num_generations`` (TRL splits the generation batch
  across processes in equal contiguous slices before the reward call);
- the method's advantages sum to zero in the group (PKPO's weights, PSR, NSR, W-REINFORCE and
  the bootstrap variant do not: TRL's mean baseline would change them -- use verl for those);
- the rewards are finite (and binary for the pass@k methods, the estimator's own check);
- ``scale_rewards="none"`` and the default ``multi_objective_aggregation``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..advantages.registry import estimator, loss_weights

__all__ = ["ZERO_SUM", "VERIFIER", "group_reward", "verifier_reward", "check_config", "check_trainer", "grpo_trainer"]

ZERO_SUM = ("chen", "chen_full", "grpo", "rloo", "risk_seeking", "grpo_alpha")
"""Course methods whose advantages sum to zero within every group: exact through TRL's mean baseline."""

_TOL = 1e-9
"""Largest |sum of a group's advantages| accepted, relative to max(1, max |A|) (float64 rounding)."""

VERIFIER = "passk_verifier"
"""TRL's name of the zero-weight copy of the verifier: ``rewards/passk_verifier/mean`` is the accuracy
(pass@1 of the training samples), and the completions table's ``passk_verifier`` column is what
``passk monitor`` reads."""


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
        trainer = getattr(kwargs.get("log_extra"), "__self__", None)  # TRL 1.16 passes a bound method of the trainer
        if trainer is not None and trainer is not getattr(reward, "checked", None):
            check_trainer(trainer)  # a trainer built by hand: refused at its first reward call, before any update
            reward.checked = trainer
        r = np.asarray(reward_fn(prompts=prompts, completions=completions, **kwargs), dtype=np.float64)
        reward.last = (completions, r.tolist())  # verifier_reward reuses these for the same call's completions
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
    reward.passk_method, reward.num_generations, reward.verifier = method, n, reward_fn  # for check_trainer
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


def verifier_reward(transform: Callable) -> Callable[..., list[float]]:
    """The verifier of ``transform`` (a :func:`group_reward`) as a TRL reward function named :data:`VERIFIER`.

    Given weight 0, it changes no advantage and makes TRL log the verifier's mean (the accuracy)
    and write its values in the completions table. On the completions ``transform`` just scored
    (TRL calls its reward functions in order, on the same list) it returns those rewards without
    calling the verifier again.
    """

    def reward(prompts, completions, **kwargs) -> list[float]:
        last = getattr(transform, "last", None)
        if last is not None and last[0] is completions:
            return list(last[1])
        return [float(x) for x in transform.verifier(prompts=prompts, completions=completions, **kwargs)]

    reward.__name__ = VERIFIER
    return reward


def _weights(trainer: Any) -> list[float]:
    """The trainer's reward weights as floats (TRL keeps a tensor)."""
    w = trainer.reward_weights
    return [float(x) for x in (w.tolist() if hasattr(w, "tolist") else w)]


def check_trainer(trainer: Any) -> None:
    """Raise ``ValueError`` unless a built TRL ``GRPOTrainer`` computes the course's advantage.

    Inspects the real trainer: exactly one :func:`group_reward` among its reward functions, built
    for the trainer's ``num_generations`` and weighted 1; every other reward function weighted 0;
    and its config (:func:`check_config`).
    """
    check_config(trainer.args)
    funcs, weights = list(trainer.reward_funcs), _weights(trainer)
    names = [getattr(f, "__name__", type(f).__name__) for f in funcs]
    ours = [i for i, f in enumerate(funcs) if hasattr(f, "passk_method")]
    if len(ours) != 1:
        raise ValueError(
            f"the trainer's reward functions {names} hold {len(ours)} course transforms (group_reward); exactly one "
            "is needed: build the trainer with course_lib.integrations.trl.grpo_trainer"
        )
    i = ours[0]
    fn, n = funcs[i], trainer.num_generations
    if fn.num_generations != n:
        raise ValueError(
            f"{names[i]} was built for groups of {fn.num_generations} completions but the trainer's num_generations is "
            f"{n}: TRL would see each group of {n} as {n / fn.num_generations:g} groups and compute another advantage"
        )
    if weights[i] != 1.0:
        raise ValueError(
            f"{names[i]} has reward weight {weights[i]:g}; TRL multiplies the advantage by it: give it weight 1"
        )
    others = [f"{names[j]} (weight {w:g})" for j, w in enumerate(weights) if j != i and w != 0.0]
    if others:
        raise ValueError(
            f"other reward functions with non-zero weight: {', '.join(others)}; TRL adds them to the advantage "
            "before its group baseline: give them weight 0 (they are still logged)"
        )


def grpo_trainer(
    method: str,
    verifier: Callable[..., list],
    *,
    args: Any,
    k: int | None = None,
    params: dict | None = None,
    log_rewards: Sequence[Callable] = (),
    **trainer_kwargs: Any,
) -> Any:
    """TRL's ``GRPOTrainer`` training on the course method's advantage, with the accuracy logged.

    Parameters
    ----------
    method : str
        A key of :data:`ZERO_SUM` (``"chen"``, ``"grpo"``, ``"rloo"``, ...).
    verifier : callable
        Your TRL reward function: ``verifier(prompts=..., completions=..., **kw) -> list`` of 0/1.
    args : trl.GRPOConfig
        Needs ``scale_rewards="none"``; ``reward_weights`` left unset (it is set here to 1 for the
        transform and 0 for the others) or already equal to that.
    k : int, optional
        k of the pass@k methods (``k <= args.num_generations``).
    params : dict, optional
        The method's hyper-parameters.
    log_rewards : sequence of callables
        More reward functions to log only (weight 0), e.g. a format check.
    **trainer_kwargs
        Passed to ``GRPOTrainer`` (``model``, ``train_dataset``, ``processing_class``, ...), except
        ``reward_funcs``, which this function builds.

    Returns
    -------
    trl.GRPOTrainer
        Reward functions ``[passk_<method>, passk_verifier, *log_rewards]`` with weights
        ``[1, 0, 0, ...]``, checked by :func:`check_trainer`.

    Raises
    ------
    ValueError
        A config or reward set-up under which TRL's advantage would not be the course's.
    """
    if "reward_funcs" in trainer_kwargs:
        raise ValueError("grpo_trainer builds reward_funcs itself; pass other rewards to log as log_rewards=[...]")
    check_config(args)
    transform = group_reward(method, verifier, num_generations=args.num_generations, k=k, **(params or {}))
    funcs = [transform, verifier_reward(transform), *log_rewards]
    weights = [1.0] + [0.0] * (len(funcs) - 1)
    given = getattr(args, "reward_weights", None)
    if given is not None and [float(w) for w in given] != weights:
        raise ValueError(
            f"args.reward_weights = {list(given)}; the course's advantage needs {weights} "
            f"(passk_{method}, {VERIFIER}, then the logged rewards): leave it unset"
        )
    args.reward_weights = weights
    try:
        from trl import GRPOTrainer
    except ImportError as exc:
        from . import TRL_INSTALL

        raise ImportError(f"TRL is not importable ({exc}); {TRL_INSTALL}") from None

    trainer = GRPOTrainer(reward_funcs=funcs, args=args, **trainer_kwargs)
    check_trainer(trainer)
    return trainer
