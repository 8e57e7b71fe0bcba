"""Group advantage estimators for RLVR (chapter 4), and the registry that serves them all.

- :mod:`.pass1` -- pass@1 advantages: GRPO, RLOO, risk-seeking (RS-GRPO);
- :mod:`.passk` -- pass@k estimators: Chen et al.'s advantage (analytic, bootstrap, full), PKPO;
- :mod:`.registry` -- one key per estimator, one call (:func:`loss_weights`) for the bandit, the
  lab, the charts, the CLI and the exercises.
"""

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
    register,
    register_term,
)

__all__ = [
    "grpo",
    "rloo",
    "risk_seeking",
    "passk_group_analytic",
    "passk_group_bootstrap",
    "passk_group_full",
    "pkpo_binary",
    "pkpo",
    "Group",
    "Estimator",
    "ESTIMATORS",
    "register",
    "estimator",
    "loss_weights",
    "annealed_k",
    "k_at_step",
    "LOSS_TERMS",
    "register_term",
    "loss_term",
]
