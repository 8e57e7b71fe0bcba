"""The course's estimators in real RL trainers (the guide: ``docs/real_model.md``).

- :mod:`.verl` -- every stateless group estimator of the registry as a verl advantage estimator
  (``algorithm.adv_estimator=passk_chen``, ...), with the scaling and edge cases documented;
- :mod:`.verl_main` -- ``python -m course_lib.integrations.verl_main <verl overrides>``: verl's PPO
  main with the estimators registered in the driver and in verl's Ray workers;
- :mod:`.trl` -- TRL's ``GRPOTrainer`` has no advantage hook; its reward functions are the extension
  point: the methods whose advantages sum to zero in a group (Chen et al.'s, GRPO, RLOO, ...) pass
  unchanged through its group-mean baseline (``scale_rewards="none"``), so a reward equal to the
  advantage reproduces them; the others are refused, with the reason.

Nothing here imports verl, TRL or torch until it is used, so the core install and ``passk doctor``
stay light.
"""

from __future__ import annotations

import importlib.util

from ..env import version_of

__all__ = ["status"]


def status() -> dict[str, str]:
    """Rows for ``passk doctor``: whether verl and TRL are importable, and what the course offers each."""
    rows = {}
    if importlib.util.find_spec("verl") is None:
        rows["verl integration"] = "verl not installed (pip install 'passk-course[verl]' 'verl[verl-core]==0.9.1')"
    else:
        from .verl import OFFERS

        rows["verl integration"] = f"verl {version_of('verl')}: {len(OFFERS)} passk_* estimators (verl_main)"
    if importlib.util.find_spec("trl") is None:
        rows["TRL integration"] = "TRL not installed (pip install trl)"
    else:
        from .trl import ZERO_SUM

        rows["TRL integration"] = (
            f"TRL {version_of('trl')}: {len(ZERO_SUM)} zero-sum methods as a reward transform (trl.group_reward)"
        )
    return rows
