"""verl's PPO main with the course's estimators registered: ``python -m course_lib.integrations.verl_main``.

Usage (every argument is a verl Hydra override, passed through unchanged)::

    python -m course_lib.integrations.verl_main algorithm.adv_estimator=passk_chen \\
        +algorithm.passk.k=4 actor_rollout_ref.rollout.n=8 data.train_files=... [more overrides]
    python -m course_lib.integrations.verl_main --list     # the passk_* names and their keys

verl computes advantages in its trainer, a Ray actor, not in the driver process. So this entry
point registers the estimators in the driver (for verl's own checks and any in-driver trainer) and
adds one override that makes Ray run :func:`course_lib.integrations.verl.register_all` in every
worker process it starts (Ray's ``worker_process_setup_hook``); every node therefore needs
``passk-course`` installed next to verl. Then it runs ``verl.trainer.main_ppo.main``.
"""

from __future__ import annotations

import sys

HOOK_KEY = "ray_kwargs.ray_init.runtime_env.worker_process_setup_hook"
HOOK = "course_lib.integrations.verl.register_all"


def with_hook(overrides: list[str]) -> list[str]:
    """The overrides plus Ray's worker setup hook (kept as given if the user already set it).

    Examples
    --------
    >>> with_hook(["algorithm.adv_estimator=passk_chen"])[-1]
    '++ray_kwargs.ray_init.runtime_env.worker_process_setup_hook=course_lib.integrations.verl.register_all'
    """
    if any(o.lstrip("+~").startswith(HOOK_KEY + "=") for o in overrides):
        return list(overrides)
    return [*overrides, f"++{HOOK_KEY}={HOOK}"]


def main(argv: list[str] | None = None) -> None:
    """Register the estimators, add the Ray hook to the overrides, run verl's PPO main."""
    from .verl import offers, register_all

    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] in (["--list"], ["-l"]):
        for name, info in offers().items():
            keys = ", ".join(f"{k}={'<required>' if v is None else v}" for k, v in info["keys"].items()) or "-"
            print(f"{name:24s} course method {info['method']:15s} algorithm.passk: {keys}")
        return
    register_all()
    from verl.trainer import main_ppo

    sys.argv = [sys.argv[0], *with_hook(argv)]  # Hydra reads the overrides from sys.argv
    main_ppo.main()


if __name__ == "__main__":
    main()
