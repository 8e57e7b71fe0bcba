r"""The course's group estimators as verl advantage estimators (the guide: ``docs/real_model.md``).

verl (https://github.com/volcengine/verl) looks an advantage estimator up by the name in
``algorithm.adv_estimator`` and calls it in its trainer process as

    fn(token_level_rewards, response_mask, index, config=None, **kw) -> (advantages, returns)

with token-level tensors of shape (bs, response_length), ``index`` the group id (verl's ``uid``,
one per prompt per step) of each response and ``config`` verl's ``algorithm`` config section.
:func:`register_all` registers, under a ``passk_`` name, every method of the course's registry
(:data:`course_lib.advantages.registry.ESTIMATORS`) that is a stateless transform of one group's
outcome rewards; each adapter reads the outcome reward of a response as the sum of its
token-level rewards (as verl's GRPO does), groups the responses by ``index``, calls
:func:`~course_lib.advantages.registry.loss_weights` on each group and broadcasts the result over
the response's tokens.

The scaling: mean form, as verl's GRPO
--------------------------------------
verl's own GRPO returns a per-response advantage A_i (``(r_i - mean) / (std + eps)``) broadcast
over the response mask; its loss aggregation (``actor.loss_agg_mode``) comes afterwards. The
adapters return the same form: for a group of n responses with the course's sum-form weights
w_i (``g = sum_i w_i grad log pi(y_i)``),

    A_i = n * w_i          (broadcast: advantages[i, t] = A_i * response_mask[i, t])

so ``passk_chen`` returns Chen et al.'s advantage exactly as the paper writes it, ``passk_pkpo``
returns n times PKPO's weights, and with ``loss_agg_mode=seq-mean-token-sum`` verl's loss is the
course's ``-mean_b sum_i w_bi log pi(y_bi)`` per mini-batch, at PPO ratio 1 (the default
``token-mean`` weighs responses by their length instead, as it does for GRPO). ``returns`` equals
``advantages``, as in verl's GRPO.
The course's ``grpo`` uses the population std; verl's built-in ``grpo`` uses the sample std
(``torch.std``): the two differ by the factor sqrt(n / (n - 1)).

Hyper-parameters: ``algorithm.passk``
-------------------------------------
Hydra overrides add them to verl's ``algorithm`` section (``++``: add the key, or replace it when a
launch script already set it; a single ``+`` fails on a key that exists):

- ``++algorithm.passk.k=<int>`` -- k of the pass@k methods (required by them, ``k <= n``; the
  other methods ignore it, so one launch script serves every name);
- ``++algorithm.passk.<param>=<value>`` -- the method's own parameters, with the course's
  defaults (``passk_chen``: ``eps``; ``passk_risk_seeking``: ``beta``; ``passk_w_reinforce``:
  ``lam``; ``passk_chen_bootstrap``: ``num_groups``, ``rng``; ...; :func:`offers` lists them).
  A key the method does not accept is an error, so a typo cannot go unnoticed.

Edge cases (a verl batch may hold groups of different sizes: each group is computed alone)
------------------------------------------------------------------------------------------
- NaN or inf rewards, rewards a method cannot take (non-binary rewards for ``passk_chen``,
  ``passk_pkpo_binary``, ``passk_psr``, ``passk_nsr``, ``passk_w_reinforce``; a group smaller than
  k): a ``ValueError`` that names the estimator, the group's uid, its size and rewards, and the
  course's own message. Real-valued rewards are the course's documented generalisation elsewhere:
  ``passk_chen_full``, ``passk_chen_bootstrap`` and the PKPO names give max@k, and
  ``passk_grpo_alpha`` reads the group's mean reward, clipped to [0, 1], as its pass@1.
- A group of one response: advantage 0 (the documented fallback; no baseline and no pass@k
  estimate exist for one sample; verl's GRPO would pass its raw reward through instead), and a
  batch made only of groups of one (``rollout.n=1``) is an error.

Not offered: methods that need answer ids or log-probs (verl passes neither to an advantage
estimator), that keep per-prompt state across steps (verl's uid is fresh every step) or whose
recipe anneals k with the step (verl does not pass the step): :data:`NOT_OFFERED` gives each reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..advantages.registry import ESTIMATORS, loss_weights

__all__ = ["PREFIX", "CONFIG_KEY", "Offer", "OFFERS", "NOT_OFFERED", "offers", "register_all", "adapter", "advantages"]

PREFIX = "passk_"
"""Every verl name of the plugin starts with it (verl's own names: grpo, rloo, grpo_passk, ...)."""
CONFIG_KEY = "passk"
"""The sub-section of verl's ``algorithm`` config that holds the hyper-parameters."""

_PKPO_BASELINES = {"loo": "loo", "loo1": "loo-1", "none": None}
"""Extra verl names for PKPO, one per baseline: ``passk_pkpo_<suffix>``."""

_ANNEALED_ONLY = {
    "chen_then_pass1": "its recipe anneals k to 1 during training and verl does not pass the step to an "
    "advantage estimator: train with passk_chen, then resume from the checkpoint with ++algorithm.passk.k=1",
}


@dataclass(frozen=True)
class Offer:
    """One verl name: the course method it runs and the parameters its name fixes."""

    name: str
    """verl name (``algorithm.adv_estimator=<name>``)."""
    method: str
    """Key of the course's registry."""
    fixed: dict = field(default_factory=dict)
    """Parameters fixed by the name (PKPO's baseline)."""

    @property
    def params(self) -> dict:
        """The ``algorithm.passk`` keys it accepts, with their defaults (``k``: required if used)."""
        est = ESTIMATORS[self.method]
        free = {p: v for p, v in est.params.items() if p not in self.fixed}
        return {"k": None, **free} if est.uses_k else free


def _classify() -> tuple[dict[str, Offer], dict[str, str]]:
    """Split the registry into what verl can run (by verl name) and what it cannot (with why)."""
    offered, refused = {}, {}
    for key, est in ESTIMATORS.items():
        if "state" in est.needs or "prompt_ids" in est.needs:
            refused[key] = "keeps per-prompt state across steps; verl's uid is a fresh id per prompt per step"
        elif est.needs:
            refused[key] = (
                f"needs the group's {', '.join(est.needs)}, which verl does not pass to an advantage estimator"
            )
        elif key in _ANNEALED_ONLY:
            refused[key] = _ANNEALED_ONLY[key]
        else:
            offered[PREFIX + key] = Offer(PREFIX + key, key)
            if key == "pkpo":
                for suffix, baseline in _PKPO_BASELINES.items():
                    name = f"{PREFIX}pkpo_{suffix}"
                    offered[name] = Offer(name, key, {"baseline": baseline})
    return offered, refused


OFFERS, NOT_OFFERED = _classify()
"""``OFFERS``: verl name -> :class:`Offer`; ``NOT_OFFERED``: course key -> why verl cannot run it."""


def offers() -> dict[str, dict]:
    """Each verl name with its course method and accepted ``algorithm.passk`` keys (for docs and ``--list``)."""
    return {name: {"method": o.method, "fixed": o.fixed, "keys": o.params} for name, o in OFFERS.items()}


# ----------------------------------------------------------------------------- config
def _section(config: Any) -> dict:
    """``config.passk`` as a plain dict (config: None, a dict, an OmegaConf DictConfig or verl's AlgoConfig)."""
    if config is None:
        return {}
    sub = config.get(CONFIG_KEY, None) if hasattr(config, "get") else getattr(config, CONFIG_KEY, None)
    if sub is None:
        return {}
    if not isinstance(sub, Mapping) and not hasattr(sub, "items"):
        raise ValueError(f"algorithm.{CONFIG_KEY} must be a mapping of hyper-parameters, got {sub!r}")
    return {str(key): value for key, value in sub.items()}


def _params(offer: Offer, config: Any) -> tuple[int | None, dict]:
    """(k, parameters) of ``offer`` from ``algorithm.passk``; unknown keys or a missing k are errors."""
    given = _section(config)
    accepted = {"k": None, **offer.params}  # k is ignored by the pass@1 methods, as in loss_weights
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        keys = ", ".join(sorted(accepted)) or "none"
        raise ValueError(f"{offer.name}: algorithm.{CONFIG_KEY} has unknown key(s) {unknown}; it accepts: {keys}")
    k = given.pop("k", None)
    if ESTIMATORS[offer.method].uses_k and k is None:
        raise ValueError(
            f"{offer.name} is a pass@k method: set ++algorithm.{CONFIG_KEY}.k=<k> (k <= actor_rollout_ref.rollout.n)"
        )
    return (None if k is None else int(k)), {**given, **offer.fixed}


# ----------------------------------------------------------------------------- the adapter
def _groups(index: Any, size: int) -> dict[Any, np.ndarray]:
    """Rows of each group id, in order of first appearance."""
    index = np.asarray(index, dtype=object)
    if index.shape != (size,):
        raise ValueError(f"index (verl's uid) must hold one group id per response: shape {index.shape}, batch {size}")
    rows: dict[Any, list[int]] = {}
    for i, uid in enumerate(index.tolist()):
        rows.setdefault(uid, []).append(i)
    return {uid: np.asarray(r) for uid, r in rows.items()}


def _show(values: np.ndarray, limit: int = 8) -> str:
    """A short printable list of rewards."""
    head = ", ".join(f"{v:g}" for v in values[:limit].tolist())
    return f"[{head}{', ...' if len(values) > limit else ''}]"


def advantages(offer: Offer | str, scores: np.ndarray, index: Any, config: Any = None) -> np.ndarray:
    r"""Mean-form advantages A = n w (float64, shape (bs,)) of one verl batch of outcome rewards.

    Parameters
    ----------
    offer : Offer or str
        The verl name (or its :class:`Offer`).
    scores : ndarray, shape (bs,)
        Outcome reward of each response (the sum of its token-level rewards).
    index : array_like, shape (bs,)
        Group id of each response (verl's ``uid``); groups may differ in size.
    config : mapping, optional
        verl's ``algorithm`` section; hyper-parameters under ``passk``.

    Returns
    -------
    ndarray, shape (bs,)
        ``A_i = n_g * w_i`` with ``w = loss_weights(method, rewards of group g, k=k, **params)``;
        0 for a group of one.

    Raises
    ------
    ValueError
        NaN/inf or invalid rewards, a bad config, only groups of one: the message names the group.

    Examples
    --------
    >>> advantages("passk_rloo", np.array([1.0, 0.0, 1.0, 1.0]), ["a", "a", "b", "b"]).tolist()
    [1.0, -1.0, 0.0, 0.0]
    """
    offer = OFFERS[offer] if isinstance(offer, str) else offer
    k, params = _params(offer, config)
    r = np.asarray(scores, dtype=np.float64)
    groups = _groups(index, len(r))
    out = np.zeros_like(r)
    if len(r) and all(len(rows) == 1 for rows in groups.values()):
        raise ValueError(f"{offer.name}: every group has one response; set actor_rollout_ref.rollout.n >= 2")
    for uid, rows in groups.items():
        g = r[rows]
        if not np.isfinite(g).all():
            bad = rows[~np.isfinite(g)].tolist()
            raise ValueError(f"{offer.name}: group uid={uid!r} has NaN or inf rewards at batch rows {bad}")
        if len(rows) == 1:
            continue  # the documented fallback: a lone response carries no group signal
        try:
            w = loss_weights(offer.method, g, k=k, **params)
        except ValueError as exc:
            raise ValueError(f"{offer.name}: group uid={uid!r} (n={len(rows)}, rewards {_show(g)}): {exc}") from None
        out[rows] = len(rows) * np.asarray(w, dtype=np.float64)
    return out


def adapter(name: str) -> Callable:
    """The verl advantage-estimator function of the verl name ``name`` (one object per name)."""
    return _ADAPTERS[name]


def _make_adapter(offer: Offer) -> Callable:
    def fn(token_level_rewards, response_mask, index=None, config=None, **_ignored):
        import torch

        if index is None:
            raise ValueError(f"{offer.name} needs verl's uid (the group of each response); none was passed")
        with torch.no_grad():
            scores = token_level_rewards.sum(dim=-1)  # (bs,) outcome reward, as verl's GRPO reads it
            adv = advantages(offer, scores.detach().cpu().double().numpy(), index, config)
            adv = torch.as_tensor(adv).to(token_level_rewards.dtype).to(token_level_rewards.device)
            out = adv.unsqueeze(-1) * response_mask  # (bs, response_length)
        return out, out

    fn.__name__ = fn.__qualname__ = f"{offer.name}_advantage"
    fn.__doc__ = (
        f"verl advantage estimator {offer.name!r}: course method {offer.method!r} (course_lib.integrations.verl)."
    )
    return fn


_ADAPTERS = {name: _make_adapter(o) for name, o in OFFERS.items()}


def register_all() -> list[str]:
    """Register every :data:`OFFERS` name with verl (idempotent); return the names.

    Runs in each process that imports verl: importing :mod:`course_lib.integrations.verl_register`
    calls it, and :mod:`course_lib.integrations.verl_main` makes verl import that module in the driver
    and in every Ray worker (``VERL_USE_EXTERNAL_MODULES``).

    Raises
    ------
    RuntimeError
        If verl is missing or its plugin API (``register_adv_est``) is not where verl 0.9 has it.
    """
    try:
        from verl.trainer.ppo import core_algos
    except ImportError as exc:
        from . import VERL_INSTALL

        raise RuntimeError(f"verl is not importable ({exc}); {VERL_INSTALL}") from exc
    register = getattr(core_algos, "register_adv_est", None)
    if register is None:
        raise RuntimeError("verl.trainer.ppo.core_algos.register_adv_est is missing: the plugin expects verl 0.9's API")
    for name, fn in _ADAPTERS.items():
        register(name)(fn)
    return list(_ADAPTERS)
