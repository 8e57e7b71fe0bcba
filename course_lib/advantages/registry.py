r"""One registry of group estimators: one key per method, one call for every front of the course.

The bandit (chapter 4), the lab (chapter 5), the advantage explorer (chapter 3), the CLI and the
exercises all reach an estimator through :func:`loss_weights`; adding a method means registering
one function with :func:`register`.

The one documented form: **sum form**
--------------------------------------
For one group -- the n samples y_1..y_n drawn for one prompt -- :func:`loss_weights` returns
weights w_1..w_n such that the policy-gradient estimate of the prompt is

    g = sum_i w_i grad log pi(y_i)

and a batch of B groups is trained with ``loss = -mean_b sum_i w_bi log pi(y_bi)``. Mean-form
advantages A_i (GRPO, RLOO, Chen et al., RS-GRPO), whose estimate is ``(1/n) sum_i A_i grad log
pi(y_i)``, convert as ``w_i = A_i / n``; PKPO's weights are already in sum form. A registered
function declares which form it returns (``form="mean"`` or ``"sum"``) and the conversion
happens here, once.

The group context
-----------------
A method sees a :class:`Group`: the rewards (required), and optionally the samples' log-probs
(e.g. an unlikeliness reward), answer ids within the group (batch exploration), prompt ids and
a state object that the method owns across steps (e.g. a count of answers seen per prompt).
A method names the optional fields it needs; a call without them is a clear error.

State across steps: ``state`` is a ``dict`` the caller creates once per run (empty) and passes
at every step -- the lab keeps it in ``LabState.estimator_state`` (and in its checkpoints), the
bandit keeps one per :func:`course_lib.bandit.train` run. A stateful method keeps its own entry
under its own key with :func:`method_state` (e.g. ``"ucb_explore"``: answer counts per prompt),
so two methods never collide and the entry holds plain Python values that a checkpoint can save.

Loss terms that are not per-sample weights (an entropy bonus, a KL penalty to a reference) are
registered separately with :func:`register_term` and reached with :func:`loss_term`.

References
----------
- Z. Shao et al., arXiv 2402.03300 (GRPO); A. Ahmadian et al., arXiv 2402.14740 (RLOO).
- Z. Chen et al., arXiv 2508.10751 (pass@k advantage); C. Walder, D. Karkhanis, arXiv 2505.15201 (PKPO).
- RS-GRPO, arXiv 2509.24261.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

import numpy as np
from numpy.typing import ArrayLike

from .._checks import as_positive_int
from ..passk import alpha_k
from ..softmax import entropy_bonus
from ._group import _like, _normalise, _rewards
from .pass1 import grpo, risk_seeking, rloo
from .passk import passk_group_analytic, passk_group_bootstrap, passk_group_full, pkpo, pkpo_binary

if TYPE_CHECKING:
    import torch

Weights = Union[np.ndarray, "torch.Tensor"]
"""Per-sample weights: float64 NumPy for NumPy/list rewards, a torch tensor for torch rewards."""

__all__ = [
    "Group",
    "Estimator",
    "ESTIMATORS",
    "register",
    "estimator",
    "loss_weights",
    "method_state",
    "annealed_k",
    "k_at_step",
    "LossTerm",
    "LOSS_TERMS",
    "register_term",
    "loss_term",
]


# ----------------------------------------------------------------------------- the context
@dataclass
class Group:
    """What a method may look at: one group ``(n,)`` or a batch of groups ``(B, n)`` of samples.

    Only ``rewards`` is required. Arrays are NumPy or torch, in the layout of ``rewards``.
    """

    rewards: Any
    """(n,) or (B, n) rewards r_i = V(x, y_i) (binary for the pass@k methods)."""
    logp: Any = None
    """Same shape: log pi(y_i) of each sample under the sampling policy (no gradient needed)."""
    answer_ids: Any = None
    """Same shape, integers: which final answer each sample gave (equal ids = the same answer)."""
    prompt_ids: Any = None
    """(B,) integers: which prompt each row belongs to (for state kept per prompt)."""
    state: Any = None
    """A dict the caller creates once per run and passes at every step; a stateful method keeps
    its entry under its own key (:func:`method_state`) and updates it in place."""


@dataclass(frozen=True)
class Estimator:
    """A registered method: its function and what the fronts need to know about it."""

    name: str
    """The one key of the method (CLI ``--objective``, bandit and lab configs, the explorer)."""
    fn: Callable = field(repr=False)
    """``fn(group, **params) -> array`` of the rewards' shape, in the form below."""
    summary: str
    """One line: what it computes."""
    reference: str
    """Paper (arXiv id) it comes from."""
    form: str = "mean"
    """``"mean"``: fn returns advantages A_i (w_i = A_i / n); ``"sum"``: fn returns the weights w_i."""
    uses_k: bool = False
    """True for the pass@k methods: they take the ``k`` of :func:`loss_weights`."""
    anneals_k: bool = False
    """True if the method's recipe anneals k to 1 during training (:func:`k_at_step`)."""
    needs: tuple[str, ...] = ()
    """Optional :class:`Group` fields it requires (e.g. ``("answer_ids",)``)."""
    params: dict = field(default_factory=dict)
    """Its hyper-parameters (besides k) with their defaults."""


ESTIMATORS: dict[str, Estimator] = {}
"""Every registered method, by key."""


def register(
    name: str,
    *,
    summary: str,
    reference: str,
    form: str = "mean",
    needs: tuple[str, ...] = (),
    anneals_k: bool = False,
) -> Callable:
    """Decorator that registers ``fn(group, [k,] **params)`` under ``name``.

    The function's keyword parameters (other than ``group`` and ``k``) and their defaults become
    the method's hyper-parameters; a parameter named ``k`` marks a pass@k method.

    Examples
    --------
    >>> @register("half_grpo", summary="GRPO, halved", reference="a demo")
    ... def _half(group, eps=0.0):
    ...     return grpo(group.rewards, eps=eps) / 2
    >>> loss_weights("half_grpo", [1, 0]).tolist()  # (1/2) * (+-1) / n, n = 2
    [0.25, -0.25]
    >>> del ESTIMATORS["half_grpo"]
    """
    if form not in ("mean", "sum"):
        raise ValueError(f"form must be 'mean' or 'sum', got {form!r}")
    unknown = set(needs) - {f.name for f in dataclasses.fields(Group)}
    if unknown:
        raise ValueError(f"needs names unknown Group fields: {sorted(unknown)}")

    def decorate(fn: Callable) -> Callable:
        if name in ESTIMATORS:
            raise ValueError(f"an estimator named {name!r} is already registered")
        sig = inspect.signature(fn).parameters
        params = {p: v.default for p, v in list(sig.items())[1:] if p != "k"}
        ESTIMATORS[name] = Estimator(name, fn, summary, reference, form, "k" in sig, anneals_k, tuple(needs), params)
        return fn

    return decorate


def estimator(method: str) -> Estimator:
    """The registered :class:`Estimator` of ``method``; a clear error names the valid keys."""
    try:
        return ESTIMATORS[method]
    except (KeyError, TypeError):
        raise ValueError(f"unknown method {method!r}; registered: {', '.join(sorted(ESTIMATORS))}") from None


def loss_weights(
    method: str, group: Group | ArrayLike | torch.Tensor, *, k: int | None = None, **params: Any
) -> Weights:
    r"""Per-sample weights w (sum form) of ``method`` for one group or a batch of groups.

    Parameters
    ----------
    method : str
        A key of :data:`ESTIMATORS`.
    group : Group, array_like or torch.Tensor
        The group context, or just its rewards of shape ``(n,)`` or ``(B, n)``.
    k : int, optional
        k of the pass@k methods (required by them; ignored by the pass@1 methods, so a caller
        may pass its k to any method).
    **params
        The method's hyper-parameters (see ``ESTIMATORS[method].params``); unknown ones are an error.

    Returns
    -------
    ndarray or torch.Tensor, same shape as the rewards
        ``w`` with ``g = sum_i w_i grad log pi(y_i)`` per group (mean-form advantages divided by n).
        NumPy in -> float64 out; torch in -> torch out on the rewards' device, without gradient.

    Raises
    ------
    ValueError
        Unknown method or parameter, a missing k or context field, or bad rewards (the estimator's
        own checks).

    Examples
    --------
    >>> loss_weights("rloo", [1, 0]).tolist()  # A = (1, -1), n = 2
    [0.5, -0.5]
    >>> w = loss_weights("pkpo", [1.0, 0.0, 0.0], k=1)  # PKPO at k = 1 is RLOO in sum form
    >>> bool(np.allclose(w, loss_weights("rloo", [1.0, 0.0, 0.0])))
    True
    """
    est = estimator(method)
    if not isinstance(group, Group):
        group = Group(rewards=group)
    missing = [name for name in est.needs if getattr(group, name) is None]
    if missing:
        raise ValueError(f"method {method!r} needs the group's {', '.join(missing)}")
    unknown = set(params) - set(est.params)
    if unknown:
        accepted = ", ".join(sorted(est.params)) or "none"
        raise ValueError(f"method {method!r} got unknown parameter(s) {sorted(unknown)}; it accepts: {accepted}")
    kwargs = {**est.params, **params}
    if est.uses_k:
        if k is None:
            raise ValueError(f"method {method!r} is a pass@k method: give k")
        kwargs["k"] = k
    out = est.fn(group, **kwargs)
    if est.form == "mean":
        out = out / np.shape(group.rewards)[-1]
    return out


def method_state(group: Group, key: str, factory: Callable[[], Any] = dict) -> Any:
    """The entry ``key`` of the caller's per-run state dict ``group.state``, made by ``factory()`` on first use.

    Raises
    ------
    ValueError
        If ``group.state`` is not a dict (the one convention for state kept across steps).

    Examples
    --------
    >>> g = Group(rewards=[1.0, 0.0], state={})
    >>> method_state(g, "demo")["calls"] = 1
    >>> g.state
    {'demo': {'calls': 1}}
    """
    if not isinstance(group.state, dict):
        raise ValueError(
            f"the group's state must be a dict kept by the caller across steps, got {type(group.state).__name__}"
        )
    if key not in group.state:
        group.state[key] = factory()
    return group.state[key]


# ----------------------------------------------------------------------------- k schedule
def annealed_k(step: int, steps: int, k: int, anneal_frac: float) -> int:
    """k at ``step`` of ``steps`` when training with k for the first ``anneal_frac`` of the steps, then 1.

    PKPO's k annealing (Walder & Karkhanis, arXiv 2505.15201: a large k early, then k = 1), and
    the shape of Chen et al.'s pass@k-then-pass@1 recipe (arXiv 2508.10751). ``anneal_frac = 1``
    never anneals; ``0`` trains with k = 1 throughout.

    Examples
    --------
    >>> [annealed_k(t, 4, 8, 0.5) for t in range(4)]
    [8, 8, 1, 1]
    """
    k = as_positive_int("k", k)
    if not 0 <= anneal_frac <= 1:
        raise ValueError(f"anneal_frac must lie in [0, 1], got {anneal_frac!r}")
    return 1 if step >= anneal_frac * steps else k


def k_at_step(method: str, step: int, steps: int, k: int, anneal_frac: float) -> int:
    """The k a run of ``method`` uses at ``step``: :func:`annealed_k` if its recipe anneals, else k."""
    est = estimator(method)
    return annealed_k(step, steps, k, anneal_frac) if est.anneals_k else k


# ----------------------------------------------------------------------------- the estimators
@register("grpo", summary="GRPO: (r - mean) / (std + eps)", reference="Shao et al., arXiv 2402.03300")
def _grpo(group: Group, eps: float = 1e-6):
    return grpo(group.rewards, eps=eps)


@register("rloo", summary="RLOO: r_i minus the mean of the others", reference="Ahmadian et al., arXiv 2402.14740")
def _rloo(group: Group):
    return rloo(group.rewards)


@register("risk_seeking", summary="RS-GRPO: exponential tilting of the rewards", reference="arXiv 2509.24261")
def _risk_seeking(group: Group, beta: float = 2.0):
    return risk_seeking(group.rewards, beta)


@register("chen", summary="Chen et al.'s pass@k advantage, closed form", reference="Chen et al., arXiv 2508.10751")
def _chen(group: Group, k: int, eps: float = 1e-6):
    return passk_group_analytic(group.rewards, k, eps=eps)


@register(
    "chen_then_pass1",
    summary="Chen et al.'s recipe: pass@k advantage for anneal_frac of the steps, then pass@1 (k = 1: GRPO)",
    reference="Chen et al., arXiv 2508.10751",
    anneals_k=True,
)
def _chen_then_pass1(group: Group, k: int, eps: float = 1e-6):
    return passk_group_analytic(group.rewards, k, eps=eps)  # at k = 1 this is GRPO exactly


@register(
    "grpo_alpha",
    summary="GRPO times alpha_k(c/n): pass@k's per-prompt reweighting of pass@1, applied to GRPO (the course's)",
    reference="the course's construction; alpha_k from grad J_k = alpha_k grad J_1 (Yu, arXiv 2511.16231)",
)
def _grpo_alpha(group: Group, k: int, eps: float = 1e-6):
    # The pass@k gradient is the pass@1 gradient times alpha_k(J_1) per prompt (Yu's theorem); here
    # J_1 is estimated by the group's own p_hat = c/n, so alpha_k is a per-prompt learning rate. Not a
    # method of Yu's paper: a pass@k-style reweighting (upweights hard prompts), as Chen et al.'s is.
    x, was_1d, r = _rewards("r", group.rewards)
    p_hat = np.clip(x.mean(axis=-1, keepdims=True), 0.0, 1.0)
    return _like(np.asarray(alpha_k(p_hat, as_positive_int("k", k))) * _normalise(x, eps), was_1d, r)


@register(
    "chen_bootstrap",
    summary="Chen et al.'s pass@k advantage, bootstrap groups",
    reference="Chen et al., arXiv 2508.10751",
)
def _chen_bootstrap(group: Group, k: int, num_groups: int = 64, rng=0, eps: float = 1e-6):
    return passk_group_bootstrap(group.rewards, k, num_groups, rng, eps=eps)


@register(
    "chen_full", summary="Chen et al.'s pass@k advantage, disjoint groups", reference="Chen et al., arXiv 2508.10751"
)
def _chen_full(group: Group, k: int, eps: float = 1e-6):
    return passk_group_full(group.rewards, k, eps=eps)


@register(
    "pkpo",
    summary="PKPO pass@k weights; loo-1 baseline (loo at k = 1); k annealed to 1",
    reference="Walder & Karkhanis, arXiv 2505.15201",
    form="sum",
    anneals_k=True,
)
def _pkpo(group: Group, k: int, baseline: str | None = "auto"):
    if baseline == "auto":  # the paper's recommended loo-1 baseline needs k >= 2
        if as_positive_int("k", k) == 1:
            # at k = 1 PKPO with the loo baseline *is* RLOO in sum form; computing it as RLOO keeps
            # an all-correct group's weights exactly 0 (the loo path leaves ~1e-17)
            return rloo(group.rewards) / np.shape(group.rewards)[-1]
        baseline = "loo-1"
    return pkpo(group.rewards, k, baseline=baseline)


@register(
    "pkpo_binary",
    summary="PKPO weights for binary rewards, no baseline",
    reference="Walder & Karkhanis, arXiv 2505.15201",
    form="sum",
)
def _pkpo_binary(group: Group, k: int):
    return pkpo_binary(group.rewards, k)


# ----------------------------------------------------------------------------- loss terms
@dataclass(frozen=True)
class LossTerm:
    """A term added to the objective that is not a per-sample weight (entropy bonus, KL, ...)."""

    name: str
    fn: Callable = field(repr=False)
    """``fn(**inputs, coef) -> value`` to *add* to the objective (differentiable for torch input)."""
    summary: str
    reference: str


LOSS_TERMS: dict[str, LossTerm] = {}
"""Every registered loss term, by key."""


def register_term(name: str, *, summary: str, reference: str) -> Callable:
    """Decorator that registers a loss term ``fn(**inputs, coef)`` under ``name``."""

    def decorate(fn: Callable) -> Callable:
        if name in LOSS_TERMS:
            raise ValueError(f"a loss term named {name!r} is already registered")
        LOSS_TERMS[name] = LossTerm(name, fn, summary, reference)
        return fn

    return decorate


def loss_term(name: str, coef: float, **inputs: Any) -> float | torch.Tensor:
    """Value of the registered term ``name`` with weight ``coef``, to add to the objective."""
    if name not in LOSS_TERMS:
        raise ValueError(f"unknown loss term {name!r}; registered: {', '.join(sorted(LOSS_TERMS))}")
    return LOSS_TERMS[name].fn(coef=coef, **inputs)


@register_term("entropy", summary="tau * mean entropy of softmax(logits)", reference="Williams & Peng (1991)")
def _entropy(logits, coef: float):
    return entropy_bonus(logits, coef)
