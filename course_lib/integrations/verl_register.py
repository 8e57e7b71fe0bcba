"""Importing this module registers the course's ``passk_*`` estimators with verl.

verl 0.9 imports every module named in the environment variable ``VERL_USE_EXTERNAL_MODULES``
(comma-separated) at the end of ``import verl`` (``verl/__init__.py``), in every process that imports
verl. :mod:`course_lib.integrations.verl_main` names this module there, for its own process and, through
Ray's ``runtime_env`` env vars, for every Ray worker on every node; so the names exist in verl's trainer
actor, where verl looks an estimator up.

Why not Ray's ``worker_process_setup_hook``: Ray runs it when a worker process starts, before it sets
``CUDA_VISIBLE_DEVICES`` for the GPU actor that the process will hold. Registering imports verl, and
verl's ``verl/utils/device.py`` calls ``torch.cuda.is_available()`` at import, which initialises CUDA;
the driver reads ``CUDA_VISIBLE_DEVICES`` only then, so every actor of a node would bind GPU 0. Through
verl's own import, registration happens wherever verl is imported, and Ray imports verl into a GPU actor
only when it loads the actor's class, after it set the actor's devices (``tests/test_verl.py`` checks
this with Ray on CPU and fake GPUs).
"""

from __future__ import annotations

from .verl import register_all

__all__ = ["REGISTERED"]

REGISTERED = register_all()
"""The verl names registered on import (every :data:`course_lib.integrations.verl.OFFERS` name)."""
