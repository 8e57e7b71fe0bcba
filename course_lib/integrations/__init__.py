"""The course's estimators in real RL trainers (the guide: ``docs/real_model.md``).

- :mod:`.verl` -- every stateless group estimator of the registry as a verl advantage estimator
  (``algorithm.adv_estimator=passk_chen``, ...), with the scaling and edge cases documented;
- :mod:`.verl_register` -- importing it registers them; verl imports it in each process when
  ``VERL_USE_EXTERNAL_MODULES`` names it;
- :mod:`.verl_main` -- ``python -m course_lib.integrations.verl_main <verl overrides>``: verl's PPO
  main with that variable set in the driver and in every Ray worker;
- :mod:`.trl` -- TRL's ``GRPOTrainer`` has no advantage hook; its reward functions are the extension
  point: the methods whose advantages sum to zero in a group (Chen et al.'s, GRPO, RLOO, ...) pass
  unchanged through its group-mean baseline (``scale_rewards="none"``), so a reward equal to the
  advantage reproduces them; the others are refused, with the reason.

Nothing here imports verl, TRL or torch until it is used, so the core install and ``passk doctor``
stay light.
"""

from __future__ import annotations

import importlib.util

from ..config import pip_install
from ..env import version_of

__all__ = ["VERL_VERSION", "VERL_GPU", "VERL_CPU", "TRL_PIN", "VERL_INSTALL", "TRL_INSTALL", "status"]

VERL_VERSION = "0.9.1"
"""The verl release the plugin is tested against (``make test-verl``)."""
VERL_GPU = f"verl[vllm]=={VERL_VERSION}"
"""verl's own tested GPU stack for that release (its extra pins vllm 0.24.0, torch 2.11.0, transformers 5.9.0)."""
VERL_CPU = f"verl[verl-core]=={VERL_VERSION}"
"""verl without a rollout engine: what ``make test-verl`` installs next to the CPU torch wheel."""
TRL_PIN = "trl==1.16.0"
"""The TRL release ``tests/test_trl.py`` runs against."""

# The course is not on a package index: pip takes it from the repository (course_lib.config.REPO_URL),
# or from a clone: `pip install -e ".[verl]" "verl[vllm]==0.9.1"`.
VERL_INSTALL = f'{pip_install("verl")} "{VERL_GPU}"'
"""The one install line of the verl plugin (docs, example scripts, ``passk doctor``, error messages)."""
TRL_INSTALL = pip_install("trl")
"""The one install line of the TRL path (its extra pins :data:`TRL_PIN`)."""


def status() -> dict[str, str]:
    """Rows for ``passk doctor``: whether verl and TRL are importable, and what the course offers each."""
    rows = {}
    if importlib.util.find_spec("verl") is None:
        rows["verl integration"] = f"verl not installed ({VERL_INSTALL})"
    else:
        from .verl import OFFERS

        rows["verl integration"] = f"verl {version_of('verl')}: {len(OFFERS)} passk_* estimators (verl_main)"
    if importlib.util.find_spec("trl") is None:
        rows["TRL integration"] = f"TRL not installed ({TRL_INSTALL})"
    else:
        from .trl import ZERO_SUM

        rows["TRL integration"] = (
            f"TRL {version_of('trl')}: {len(ZERO_SUM)} zero-sum methods as a reward transform (trl.group_reward)"
        )
    return rows
