"""Group advantage estimators for RLVR (chapters 4 and 6), and the registry that serves them all.

- :mod:`.pass1` -- pass@1 advantages: GRPO, RLOO, risk-seeking (RS-GRPO);
- :mod:`.passk` -- pass@k estimators: Chen et al.'s advantage (analytic, bootstrap, full), PKPO;
- :mod:`.bestof` -- verl's built-in ``grpo_passk``: only the group's best sample gets r_max - r_second;
- :mod:`.explore` -- chapter 6's exploration rewards: NSR, PSR, Weighted-REINFORCE, batch and
  historical (UCB) outcome-based exploration, the unlikeliness reward;
- :mod:`.regularise` -- chapter 6's entropy and KL control: Clip-Cov, the loss term ``kl``;
- :mod:`.registry` -- one key per estimator, one call (:func:`loss_weights`) for the bandit, the
  lab, the charts, the CLI and the exercises.
"""

from .bestof import grpo_passk
from .explore import batch_explore, nsr, psr, ucb_explore, unlikely, w_reinforce
from .pass1 import grpo, risk_seeking, rloo
from .passk import passk_group_analytic, passk_group_bootstrap, passk_group_full, pkpo, pkpo_binary
from .registry import (
    ESTIMATORS,
    LOSS_TERMS,
    Estimator,
    Group,
    annealed_k,
    estimator,
    k_at_step,
    loss_term,
    loss_weights,
    method_state,
    register,
    register_term,
)
from .regularise import clip_cov, kl_penalty

__all__ = [
    "grpo",
    "rloo",
    "risk_seeking",
    "passk_group_analytic",
    "passk_group_bootstrap",
    "passk_group_full",
    "pkpo_binary",
    "pkpo",
    "grpo_passk",
    "nsr",
    "psr",
    "w_reinforce",
    "batch_explore",
    "ucb_explore",
    "unlikely",
    "clip_cov",
    "kl_penalty",
    "Group",
    "Estimator",
    "ESTIMATORS",
    "register",
    "estimator",
    "loss_weights",
    "method_state",
    "annealed_k",
    "k_at_step",
    "LOSS_TERMS",
    "register_term",
    "loss_term",
]
