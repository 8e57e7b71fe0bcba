r"""The learning-rate sweep of the lab: one grid for every method, a criterion declared before the runs.

Adam removes most of an estimator's overall scale, but not all of what a rate does: too small and
a method crawls, too large and it breaks (seen pass@1 collapses). A method compared at someone
else's rate is compared at a handicap, so every method of :data:`course_lib.lab.methods.METHODS`
is swept over the same grid :data:`RATES` on *tuning* seeds (:data:`TUNING_SEEDS`), and its best
rate chosen by :data:`CRITERION`; the comparison (:mod:`course_lib.lab.compare`) then runs each
method at its best rate on the *evaluation* seeds, which the sweep never saw.

The grid widens by a factor 2 at an end while some method's best rate sits there, for every
method alike (:func:`tune`). CLI: ``passk lab tune --out results/ch06_tuning.json``.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from course_lib.lab._runtime import cpu_kernels
from course_lib.lab.config import LabConfig
from course_lib.lab.loop import map_runs
from course_lib.lab.methods import METHODS, code_hash, run_method
from course_lib.provenance import stamp

__all__ = ["RATES", "TUNING_SEEDS", "CRITERION", "score", "choose_rate", "tune", "best_rates"]

RATES = (2.5e-4, 5e-4, 1e-3, 2e-3, 4e-3, 8e-3)
"""The starting grid of Adam learning rates (x 2 apart, 32x end to end)."""

TUNING_SEEDS = tuple(range(100, 105))
"""Seeds of the sweep; the comparison's evaluation seeds (0, 1, ...) never overlap them."""

CRITERION = {
    "metric": "steps to the first evaluation (every eval_every = 10 steps) whose seen pass@1 reaches the target "
    "(0.85); a run that does not reach it within the budget (150 steps) counts as twice the budget (300)",
    "score": "mean over the tuning seeds",
    "rule": "the rate with the smallest score; a tie goes to the smaller rate",
    "why": "the comparison reads every method at matched pass@1, so the rate that gets there fastest is each "
    "method's own best; the penalty ranks a rate that sometimes never gets there below any that always does",
}
"""The tuning criterion, declared in code before the sweep was run (the results file records it)."""


def score(steps, reached, budget: int) -> float:
    """:data:`CRITERION`'s score of one (method, rate): mean steps to target, 2 x budget for a miss.

    Examples
    --------
    >>> score([30, 40, 150], [True, True, False], 150)  # (30 + 40 + 300) / 3
    123.33333333333333
    """
    steps, reached = np.asarray(steps, dtype=float), np.asarray(reached, dtype=bool)
    return float(np.where(reached, steps, 2.0 * budget).mean())


def choose_rate(scores: dict) -> float:
    """The rate with the smallest score, the smaller rate on a tie.

    Examples
    --------
    >>> choose_rate({0.001: 40.0, 0.002: 32.0, 0.004: 32.0})
    0.002
    """
    best = min(scores.values())
    return min(rate for rate, s in scores.items() if s == best)


def _task(method, seed, base, target, lr):
    return run_method(method, seed, base, target, lr=lr, stop_at_target=True)


def tune(
    methods=tuple(METHODS),
    rates=RATES,
    seeds=TUNING_SEEDS,
    base: LabConfig = LabConfig(device="cpu"),
    target: float = 0.85,
    *,
    jobs: int = 1,
    max_widen: int = 4,
    command: str = "",
    progress: bool = True,
) -> dict:
    """Sweep ``rates`` x ``seeds`` for every method (runs stop at the target); return the rows and the best rates.

    Returns ``{"provenance", "rates", "rows", "best"}`` with ``best[method] = {"lr", "score",
    "interior"}``; ``interior`` is False if the best rate is still at an end after ``max_widen`` widenings.
    """
    t0 = time.perf_counter()
    rates = sorted(float(r) for r in rates)
    rows: list = []

    def run(new_rates):
        tasks = [(m, s, base, target, lr) for m in methods for lr in new_rates for s in seeds]
        rows.extend(map_runs(_task, tasks, jobs, desc=f"sweep {len(new_rates)} rates", progress=progress))

    run(rates)
    for _ in range(max_widen):
        best = best_rates({"rows": rows, "rates": rates, "provenance": {"config": base.to_dict()}})
        low = any(b["lr"] == rates[0] for b in best.values())
        high = any(b["lr"] == rates[-1] for b in best.values())
        if not (low or high):
            break
        new = ([rates[0] / 2] if low else []) + ([rates[-1] * 2] if high else [])
        rates = sorted(rates + new)
        run(new)
    results = {"rates": rates, "rows": rows}
    results["provenance"] = stamp(
        command,
        code_hash(),
        t0,
        config=base.to_dict(),
        methods={m: METHODS[m] for m in methods},
        seeds=list(seeds),
        target=target,
        criterion=CRITERION,
        jobs=jobs,
        torch=torch.__version__,
        cpu_kernels=cpu_kernels(),
    )
    results["best"] = best_rates(results)
    return results


def best_rates(results: dict) -> dict:
    """``{method: {"lr", "score", "interior"}}`` from a sweep's rows, by :data:`CRITERION`."""
    budget = results["provenance"]["config"]["steps"]
    grid = sorted(results["rates"])
    out = {}
    for method in dict.fromkeys(r["method"] for r in results["rows"]):
        scores = {}
        for lr in grid:
            runs = [r for r in results["rows"] if r["method"] == method and r["lr"] == lr]
            if runs:
                scores[lr] = score([r["steps"] for r in runs], [r["reached"] for r in runs], budget)
        lr = choose_rate(scores)
        out[method] = {"lr": lr, "score": scores[lr], "interior": grid[0] < lr < grid[-1]}
    return out
