r"""Chapter 6's comparison: every method on paired seeds, read twice, with Holm-corrected verdicts.

Taught in ``notebooks/06_beyond_passk.ipynb``; the CLI front is ``passk lab compare-methods``.
Every method of :data:`course_lib.lab.methods.METHODS` trains at its own best learning rate (the
sweep of :mod:`course_lib.lab.tuning`, on tuning seeds) on the *same* evaluation seeds, and is read
at matched pass@1 and at the end of the step budget (:func:`course_lib.lab.methods.run_method`).

The verdicts draw on one family of tests declared here before the runs, :data:`FAMILY` -- methods
x readings x metrics, each method against GRPO seed by seed -- and recorded in the results file;
:mod:`course_lib.lab.report` reads them (paired intervals, Holm's correction, power).
"""

from __future__ import annotations

import json
import time

import torch

from course_lib.lab._runtime import cpu_kernels
from course_lib.lab.config import LabConfig
from course_lib.lab.loop import map_runs
from course_lib.lab.methods import CURVE_KS, METHODS, base_curves, baseline_readings, code_hash, run_method
from course_lib.lab.step import make_state
from course_lib.provenance import stamp

__all__ = [
    "TEMPERATURES",
    "FAMILY",
    "compare_methods",
    "rerun",
    "dump",
]

TEMPERATURES = (0.6, 1.0, 1.2)
"""Sampling temperatures at which every run's final policy is also read (training stays at T = 1)."""

FAMILY = {
    "reference": "grpo",
    "readings": ("matched", "end"),
    "metrics": ("held/coverage@256", "held/cover@0.1", "seen/distinct_correct"),
    "alpha": 0.05,
}
"""The family of tests the verdicts draw on, declared before the runs: every method but the
reference x the two readings x these metrics, one paired t-test each, Holm-corrected at ``alpha``.
Held-out coverage@256 is the large-k pass@k the papers' claims are about; Cover@0.1 its
guess-robust reading; distinct correct answers per seen prompt the diversity of what is solved."""


def _task(method, seed, base, target, curves, lr, temperatures):
    """One run of the comparison (a top-level function: the worker processes import it)."""
    return run_method(method, seed, base, target, curves, lr=lr, temperatures=temperatures)


def compare_methods(
    methods=tuple(METHODS),
    seeds=tuple(range(20)),
    base: LabConfig = LabConfig(device="cpu"),
    target: float = 0.85,
    *,
    rates: dict | None = None,
    rates_from: dict | None = None,
    temperatures=TEMPERATURES,
    jobs: int = 1,
    command: str = "",
    progress: bool = True,
) -> dict:
    """Run every (method, seed) and return the results with their provenance (JSON-ready).

    ``rates`` maps a method to its learning rate (default: ``base.lr`` for all); ``rates_from``
    says where they come from (the tuning file and its criterion). ``jobs`` worker processes
    run the seeds in parallel, one thread each: the rows are the same, bit for bit, at any ``jobs``.
    """
    t0 = time.perf_counter()
    rates = {m: (rates or {}).get(m, base.lr) for m in methods}
    curves = base_curves(base)
    temps = {float(t): base_curves(base, t) for t in temperatures}
    tasks = [(m, s, base, target, curves, rates[m], temps) for m in methods for s in seeds]
    rows = map_runs(_task, tasks, jobs, desc="methods x seeds", progress=progress)
    return {
        "provenance": stamp(
            command,
            code_hash(),
            t0,
            config=base.to_dict(),
            methods={m: METHODS[m] | {"lr": rates[m]} for m in methods},
            seeds=list(seeds),
            target=target,
            rates_from=rates_from,
            temperatures=list(temps),
            family=FAMILY,
            jobs=jobs,
            torch=torch.__version__,
            device=str(next(make_state(base).model.parameters()).device),
            cpu_kernels=cpu_kernels(),  # a seed's numbers repeat bit for bit only with the same kernels
        ),
        "baselines": baseline_readings(base),
        "base_curves": {
            str(t): {p: [float(c[k - 1]) for k in CURVE_KS] for p, c in tc.items()} for t, tc in temps.items()
        },
        "rows": rows,
    }


def rerun(results: dict, method: str, seed: int) -> dict:
    """One row of a comparison, run again exactly as :func:`compare_methods` ran it (same config, rate, readings)."""
    prov = results["provenance"]
    base = LabConfig.from_dict(prov["config"])
    temps = {float(t): base_curves(base, float(t)) for t in prov["temperatures"]}
    lr = prov["methods"][method]["lr"]
    return _task(method, seed, base, prov["target"], base_curves(base), lr, temps)


def dump(results: dict) -> str:
    """The results as JSON text: readable blocks, one line per row (diffs stay small)."""
    head = {key: value for key, value in results.items() if key != "rows"}
    text = json.dumps(head, indent=1)[:-2]  # drop the closing "\n}"
    lines = ",\n".join("  " + json.dumps(row) for row in results["rows"])
    return text + ',\n "rows": [\n' + lines + "\n ]\n}\n"
