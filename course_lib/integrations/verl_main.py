"""verl's PPO main with the course's estimators registered: ``python -m course_lib.integrations.verl_main``.

Usage (every argument is a verl Hydra override, passed through unchanged)::

    python -m course_lib.integrations.verl_main algorithm.adv_estimator=passk_chen \\
        ++algorithm.passk.k=4 actor_rollout_ref.rollout.n=8 data.train_files=... [more overrides]
    python -m course_lib.integrations.verl_main --list     # the passk_* names and their keys

verl computes advantages in its trainer, a Ray actor, not in the driver process, and a multi-GPU
run starts one Ray actor per GPU. The estimators are registered through verl's own plugin
mechanism: verl imports the modules named in ``VERL_USE_EXTERNAL_MODULES`` whenever verl is
imported (:mod:`course_lib.integrations.verl_register` registers on import). This entry point sets
that variable in its own process and adds one override that puts it in the env vars of Ray's
``runtime_env``, so every Ray worker on every node has it (every node therefore needs
``passk-course`` installed next to verl); a value already there (another plugin) is kept. Then it
runs ``verl.trainer.main_ppo.main``.
"""

from __future__ import annotations

import os
import sys

ENV = "VERL_USE_EXTERNAL_MODULES"
"""verl's variable: modules it imports on ``import verl`` (comma-separated)."""
MODULE = "course_lib.integrations.verl_register"
"""The module that registers the estimators when imported."""
ENV_KEY = f"ray_kwargs.ray_init.runtime_env.env_vars.{ENV}"
"""The Hydra key of verl's config that reaches every Ray worker's environment."""

USAGE = f"""usage: python -m course_lib.integrations.verl_main [--list] [VERL_OVERRIDE ...]

verl's PPO main (verl.trainer.main_ppo) with the course's passk_* advantage estimators registered in
the driver and in every Ray worker ({ENV}={MODULE}).
Every argument is a verl Hydra override, passed through unchanged, e.g.
  algorithm.adv_estimator=passk_chen ++algorithm.passk.k=4 actor_rollout_ref.rollout.n=8
  --list       the passk_* names, their course methods and their algorithm.passk keys
  --cfg job    (Hydra) print the composed verl config and exit
Guide: docs/real_model.md; example scripts: examples/verl/."""


def _modules(value: str | None) -> list[str]:
    """The module names of a ``VERL_USE_EXTERNAL_MODULES`` value (quotes and blanks dropped)."""
    return [m.strip() for m in (value or "").strip().strip("'\"").split(",") if m.strip()]


def with_module(value: str | None) -> str:
    """``value`` (a comma-separated module list, or nothing) with :data:`MODULE` added once.

    Examples
    --------
    >>> with_module(None), with_module("my.plugin")
    ('course_lib.integrations.verl_register', 'my.plugin,course_lib.integrations.verl_register')
    """
    modules = _modules(value)
    return ",".join(modules if MODULE in modules else [*modules, MODULE])


def with_registration(overrides: list[str], environ: dict | None = None) -> list[str]:
    """The overrides with :data:`MODULE` in every Ray worker's ``VERL_USE_EXTERNAL_MODULES``.

    An override of that key already given is extended, not replaced; otherwise the value of the
    variable in ``environ`` (default: this process's environment), if any, is carried over.

    Examples
    --------
    >>> with_registration(["algorithm.adv_estimator=passk_chen"], environ={})[-1]
    '++ray_kwargs.ray_init.runtime_env.env_vars.VERL_USE_EXTERNAL_MODULES=course_lib.integrations.verl_register'
    """
    environ = os.environ if environ is None else environ
    out, given = [], None
    for override in overrides:
        key, sep, value = override.partition("=")
        if sep and key.lstrip("+~") == ENV_KEY:
            given = value
        else:
            out.append(override)
    value = with_module(environ.get(ENV) if given is None else given)
    return [*out, f"++{ENV_KEY}={value!r}" if "," in value else f"++{ENV_KEY}={value}"]


def _verl_missing() -> str | None:
    """One line saying how to install verl, or None when it is importable."""
    import importlib.util

    if importlib.util.find_spec("verl") is not None:
        return None
    from . import VERL_INSTALL

    return f"verl is not installed in this Python ({sys.executable}): {VERL_INSTALL}"


def main(argv: list[str] | None = None) -> int:
    """Set :data:`ENV`, add it to the overrides for Ray's workers, run verl's PPO main.

    Returns 0, or 2 with one line on stderr when verl is missing (``--help`` and ``--list`` work without it).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] in (["--list"], ["-l"]):
        from .verl import offers

        for name, info in offers().items():
            keys = ", ".join(f"{k}={'<required>' if v is None else v}" for k, v in info["keys"].items()) or "-"
            print(f"{name:24s} course method {info['method']:15s} algorithm.passk: {keys}")
        return 0
    missing = _verl_missing()
    if argv[:1] in (["--help"], ["-h"]):
        print(USAGE)
        if missing:
            print(missing)
        return 0
    if missing:
        print(f"verl_main: error: {missing}", file=sys.stderr)
        return 2
    overrides = with_registration(argv)  # reads this process's variable before it is set below
    os.environ[ENV] = with_module(os.environ.get(ENV))  # the driver: verl imports the module on `import verl`
    from verl.trainer import main_ppo

    from .verl import register_all

    register_all()  # verl was perhaps imported before the variable was set (an embedding process)
    sys.argv = [sys.argv[0], *overrides]  # Hydra reads the overrides from sys.argv
    main_ppo.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
