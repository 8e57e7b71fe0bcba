"""On a machine with CUDA GPUs, verl and Ray: does each Ray GPU actor register the estimators on its own GPU?

The check that ``tests/test_verl.py`` can only make with fake GPUs on a CPU: Ray actors with
``num_gpus=1`` (one per GPU, at most 8) import verl with ``VERL_USE_EXTERNAL_MODULES`` set through Ray's
runtime_env, as ``course_lib.integrations.verl_main`` sets it; each reports the UUID of the GPU that CUDA
gives it as device 0 and whether every ``passk_*`` name is registered. Pass: one distinct GPU per actor
and every name in each. Prints one TSV row per actor and a verdict; exit 1 on a failure, 0 when it
passes or cannot run here (it says why). Run by ``scripts/gpu_check.sh``.
"""

from __future__ import annotations

import importlib.util
import os
import sys


def main() -> int:
    missing = [m for m in ("torch", "ray", "verl") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"verl GPU check\tskipped: {', '.join(missing)} not installed")
        return 0
    import ray
    import torch

    gpus = torch.cuda.device_count()  # the driver may initialise CUDA: the actors are separate processes
    if gpus < 1:
        print("verl GPU check\tskipped: no CUDA GPU")
        return 0
    from course_lib.integrations.verl import OFFERS
    from course_lib.integrations.verl_main import ENV, MODULE

    actors = min(gpus, 8)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {ENV: MODULE, "PYTHONPATH": os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)}
    ray.init(num_gpus=actors, include_dashboard=False, runtime_env={"env_vars": env})

    @ray.remote(num_gpus=1)
    class Probe:
        def report(self):
            import torch
            import verl  # noqa: F401  (imports course_lib.integrations.verl_register)
            from verl.trainer.ppo import core_algos

            names = sorted(n for n in core_algos.ADV_ESTIMATOR_REGISTRY if n.startswith("passk_"))
            props = torch.cuda.get_device_properties(0)
            return {
                "visible": os.environ.get("CUDA_VISIBLE_DEVICES"),
                "uuid": str(getattr(props, "uuid", props.name)),
                "registered": names,
            }

    try:
        reports = ray.get([Probe.remote().report.remote() for _ in range(actors)], timeout=600)
    finally:
        ray.shutdown()
    ok = len({r["uuid"] for r in reports}) == actors and all(r["registered"] == sorted(OFFERS) for r in reports)
    for i, r in enumerate(reports):
        names = len(r["registered"])
        print(f"verl actor {i}\tCUDA_VISIBLE_DEVICES={r['visible']} GPU {r['uuid']}, {names} passk_* names")
    distinct = len({r["uuid"] for r in reports})
    print(f"verl GPU check\t{'PASS' if ok else 'FAIL'}: {actors} actors, {distinct} distinct GPUs")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
