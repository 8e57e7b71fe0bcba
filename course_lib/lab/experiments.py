r"""Two directional claims, tested in the lab: ProRL's prolonged run and Barakat et al.'s pass@1 drop.

Taught in ``notebooks/06_beyond_passk.ipynb``; CLI fronts ``passk lab prorl`` and ``passk lab barakat``.

**ProRL** (Liu et al., arXiv 2505.24864): prolonged RL with a KL penalty to a reference policy and
periodic reference resets makes the trained model outperform the base model across pass@k, "including
scenarios where base models fail entirely regardless of the number of attempts". :func:`prorl`
trains GRPO for :data:`PRORL`'s ``factor`` times the usual budget, with and without the KL term
and resets, on paired seeds, and reads the exact pass@k curves at every quarter of the run. The
claim the lab can test is "at or above the base model at every k <= 1024 on held-out prompts"
(:func:`course_lib.lab.methods.crossover` returns None); it cannot test "where the base fails":
the base model's exact pass@1024 is 1.0 on every seen and held-out prompt here.

**Barakat et al.** (arXiv 2602.21189): pass@k policy gradients implicitly reweight prompts toward
low-success prompts; when those prompts interfere negatively with the others, the update rotates
away from the pass@1 direction and pass@1 can fall. :func:`barakat` trains pass@k-style methods
with a large k (Chen et al.'s advantage and PKPO, k = 16 of n = 32, PKPO without annealing)
against GRPO with the same n, steps and samples, and keeps each seen prompt's exact pass@1 at
every evaluation; :func:`course_lib.lab.report.prompt_changes` reads which prompts lost pass@1 and
whether they are the ones the base model already solved best.
"""

from __future__ import annotations

import dataclasses
import time

import torch

from course_lib.lab._runtime import cpu_kernels, reproducible
from course_lib.lab.config import LabConfig
from course_lib.lab.loop import map_runs
from course_lib.lab.methods import TRAJECTORY, base_curves, baseline_readings, code_hash, prompt_pass1, run_method
from course_lib.lab.step import make_state
from course_lib.provenance import stamp

__all__ = ["PRORL", "BARAKAT", "prorl", "barakat"]

PRORL = {
    "factor": 4,
    "arms": {
        "grpo, prolonged": {},
        "grpo + KL + resets, prolonged": {"kl_coef": 0.1, "ref_reset_every": 100},
    },
}
"""The prolonged runs: ``factor`` x the budget, GRPO without and with ProRL's KL term (beta = 0.1 to
the reference) and reference resets (every 100 steps, each with a fresh Adam), at the same rate."""

BARAKAT = {
    "n": 32,
    "k": 16,
    "arms": {"grpo": {}, "chen": {}, "pkpo": {"anneal_frac": 1.0}},
}
"""Barakat et al.'s test: k = 16 of n = 32 samples per prompt for every arm (same steps, same samples);
PKPO with ``anneal_frac = 1`` keeps k = 16 throughout (no annealing to pass@1)."""


def _prorl_task(arm, over, seed, base, target, curves, lr, read_at, temps):
    row = run_method("grpo", seed, base, target, curves, lr=lr, read_at=read_at, temperatures=temps, overrides=over)
    return {"arm": arm, **row}


def _provenance(command, t0, base, seeds, **extra):
    return stamp(
        command,
        code_hash(),
        t0,
        config=base.to_dict(),
        seeds=list(seeds),
        torch=torch.__version__,
        cpu_kernels=cpu_kernels(),
        **extra,
    )


def prorl(
    seeds=tuple(range(10)),
    base: LabConfig = LabConfig(device="cpu"),
    lr: float | None = None,
    target: float = 0.85,
    *,
    jobs: int = 1,
    command: str = "",
    progress: bool = True,
) -> dict:
    """The prolonged runs of :data:`PRORL` on paired ``seeds``, read at every quarter of the run (``at``, ``end``).

    Each reading has ``held/k_star`` (None: at or above the base model at every k <= 1024) and
    ``seen/k_star``; ``temperatures["1.0"]`` holds the exact pass@k curves at the end.
    """
    t0 = time.perf_counter()
    lr = base.lr if lr is None else lr
    steps = PRORL["factor"] * base.steps
    cfg = dataclasses.replace(base, steps=steps)
    read_at = tuple(range(base.steps, steps, base.steps))
    curves = base_curves(cfg)
    temps = {cfg.temperature: curves}
    tasks = [
        (arm, over, s, cfg, target, curves, lr, read_at, temps) for arm, over in PRORL["arms"].items() for s in seeds
    ]
    rows = map_runs(_prorl_task, tasks, jobs, desc="prolonged runs", progress=progress)
    return {
        "provenance": _provenance(command, t0, cfg, seeds, lr=lr, design=PRORL, read_at=list(read_at), target=target),
        "baselines": baseline_readings(cfg),
        "base_curves": {p: [float(x) for x in c] for p, c in curves.items()},
        "rows": rows,
    }


def _barakat_task(arm, over, seed, base, target, curves, lr):
    row = run_method(arm, seed, base, target, curves, lr=lr, overrides=over, trajectory=(*TRAJECTORY, "seen/p"))
    return {"arm": arm, **row}


def barakat(
    seeds=tuple(range(10)),
    base: LabConfig = LabConfig(device="cpu"),
    rates: dict | None = None,
    target: float = 0.85,
    *,
    jobs: int = 1,
    command: str = "",
    progress: bool = True,
) -> dict:
    """:data:`BARAKAT`'s arms on paired ``seeds`` (each at its rate in ``rates``, default ``base.lr``).

    Every row keeps ``trajectory["seen/p"]``, the exact pass@1 of each seen prompt at every
    evaluation; ``base_seen_p`` is the base model's.
    """
    t0 = time.perf_counter()
    cfg = dataclasses.replace(base, n=BARAKAT["n"], k=BARAKAT["k"])
    rates = {arm: (rates or {}).get(arm, base.lr) for arm in BARAKAT["arms"]}
    curves = base_curves(cfg)
    tasks = [(arm, over, s, cfg, target, curves, rates[arm]) for arm, over in BARAKAT["arms"].items() for s in seeds]
    rows = map_runs(_barakat_task, tasks, jobs, desc="Barakat et al.'s test", progress=progress)
    with reproducible(cfg.threads):
        p0 = prompt_pass1(make_state(cfg).model, cfg, cfg.task.seen_targets)[0]
    return {
        "provenance": _provenance(command, t0, cfg, seeds, rates=rates, design=BARAKAT, target=target),
        "baselines": baseline_readings(cfg),
        "base_seen_p": [float(x) for x in p0],
        "rows": rows,
    }
