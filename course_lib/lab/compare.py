r"""Chapter 6's comparison: every method on paired seeds, read twice, with Holm-corrected verdicts.

Taught in ``notebooks/06_beyond_passk.ipynb``; the CLI front is ``passk lab compare-methods``.
Every method of :data:`course_lib.lab.methods.METHODS` trains at its own best learning rate (the
sweep of :mod:`course_lib.lab.tuning`, on tuning seeds) on the *same* evaluation seeds, and is read
at matched pass@1 and at the end of the step budget (:func:`course_lib.lab.methods.run_method`).

Each method is compared with GRPO seed by seed (:func:`course_lib.stats.compare_paired`: the mean
difference, a Student-t and a paired-bootstrap interval, the paired t-test). The verdicts draw on
one declared family of tests, :data:`FAMILY` -- methods x readings x metrics -- corrected with
Holm's procedure (:func:`course_lib.stats.holm`); a difference is called *separated* only if it
survives the correction. :func:`power_table` gives, per metric, the power at the Holm level
alpha / m and the smallest difference detectable with probability 0.8.
"""

from __future__ import annotations

import json
import time

import numpy as np
import torch

from course_lib import stats
from course_lib.lab._runtime import cpu_kernels
from course_lib.lab.config import LabConfig
from course_lib.lab.loop import map_runs
from course_lib.lab.methods import CURVE_KS, METHODS, base_curves, baseline_readings, code_hash, run_method
from course_lib.lab.step import make_state
from course_lib.provenance import stamp

__all__ = [
    "TEMPERATURES",
    "FAMILY",
    "COLUMNS",
    "compare_methods",
    "rerun",
    "dump",
    "values",
    "summary",
    "paired",
    "verdicts",
    "power_table",
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

COLUMNS = (
    ("steps", "steps to target", ".0f"),
    ("seen/pass@1", "seen pass@1", ".3f"),
    ("held/pass@1", "held pass@1", ".3f"),
    ("held/coverage@64", "held coverage@64", ".3f"),
    ("held/coverage@256", "held coverage@256", ".3f"),
    ("held/cover@0.1", "held Cover@0.1", ".2f"),
    ("seen/distinct_correct", "distinct correct (seen, m=32)", ".2f"),
    ("held/k_star", "k* vs base (held)", ".0f"),
)
"""(key in a reading, column title, format) of the summary table."""


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


# ----------------------------------------------------------------------------- reading the results
def values(results: dict, method: str, reading: str, key: str) -> np.ndarray:
    """One value per seed (in the order of the provenance's seeds) of ``key`` in ``reading``; NaN where None.

    ``reading`` is ``"matched"`` or ``"end"`` (or ``"row"`` for a field of the row itself, e.g. ``steps``).
    """
    by_seed = {r["seed"]: r for r in results["rows"] if r["method"] == method}
    if not by_seed:
        raise ValueError(f"no rows for method {method!r}")
    out = []
    for seed in results["provenance"]["seeds"]:
        row = by_seed[seed]
        v = row[key] if reading == "row" else row[reading][key]
        out.append(np.nan if v is None else float(v))
    return np.array(out)


def summary(results: dict, reading: str = "matched") -> list[dict]:
    """One line per method (mean ± sd over seeds of :data:`COLUMNS` in ``reading``), base and guesser first."""
    out = []
    for name in ("base", "guesser"):
        vals = results["baselines"][name]
        line = {"method": name, "lr": "", "reached": ""}
        for key, title, fmt in COLUMNS:
            v = vals.get(key) if key != "steps" else None
            line[title] = "" if v is None else f"{v:{fmt}}"
        out.append(line)
    n = len(results["provenance"]["seeds"])
    for method, spec in results["provenance"]["methods"].items():
        reached = values(results, method, "row", "reached")
        line = {"method": method, "lr": f"{spec['lr']:g}", "reached": f"{int(reached.sum())}/{n}"}
        for key, title, fmt in COLUMNS:
            v = values(results, method, "row", key) if key == "steps" else values(results, method, reading, key)
            if key == "steps":
                v = v[reached.astype(bool)]
            none = int(np.isnan(v).sum())
            v = v[~np.isnan(v)]
            text = f"{v.mean():{fmt}} ± {v.std(ddof=1) if len(v) > 1 else 0:{fmt}}" if len(v) else ""
            line[title] = (text + (f" ({none} none ≤ 1024)" if none and key.endswith("k_star") else "")).strip()
        out.append(line)
    return out


def paired(results: dict, method: str, reading: str, key: str, reference: str = FAMILY["reference"], **kw):
    """:func:`course_lib.stats.compare_paired` of ``method`` against ``reference`` on one metric, seed by seed."""
    a, b = values(results, method, reading, key), values(results, reference, reading, key)
    keep = ~(np.isnan(a) | np.isnan(b))
    return stats.compare_paired(a[keep], b[keep], **kw)


def verdicts(results: dict, family: dict = FAMILY) -> list[dict]:
    """Every test of ``family``: the paired comparison, its Holm-adjusted p-value and whether it is separated.

    One dict per (method, reading, metric): ``mean`` (method minus reference), ``t_interval``,
    ``boot_interval``, ``p``, ``p_holm``, ``separated`` (``p_holm <= alpha``), ``above``/``below``
    (seeds), ``sd`` of the differences and the ``detectable`` difference (power 0.8 at alpha / m).
    """
    ref = family["reference"]
    tests = []
    for method in results["provenance"]["methods"]:
        if method == ref:
            continue
        for reading in family["readings"]:
            for key in family["metrics"]:
                c = paired(results, method, reading, key, ref)
                tests.append({"method": method, "reading": reading, "metric": key, "comparison": c})
    m = len(tests)
    adjusted, reject = stats.holm([t["comparison"].p for t in tests], family["alpha"])
    level = family["alpha"] / m
    out = []
    for t, p_holm, sep in zip(tests, adjusted, reject, strict=True):
        c = t["comparison"]
        out.append(
            {
                "method": t["method"],
                "reading": t["reading"],
                "metric": t["metric"],
                "mean": c.mean,
                "sd": c.sd,
                "t_interval": c.t_interval,
                "boot_interval": c.boot_interval,
                "p": c.p,
                "p_holm": float(p_holm),
                "separated": bool(sep),
                "above": c.above,
                "below": c.below,
                "sign_p": c.sign_p,
                "detectable": stats.detectable_effect(c.sd, c.n, level) if c.sd > 0 else 0.0,
                "tests": m,
            }
        )
    return out


def power_table(results: dict, family: dict = FAMILY, target: float = 0.8) -> list[dict]:
    """Per metric and reading: the median sd of the paired differences, the detectable difference at the
    Holm level alpha / m with probability ``target``, and the seeds needed to detect a difference of half that.
    """
    rows = verdicts(results, family)
    m, n = rows[0]["tests"], len(results["provenance"]["seeds"])
    level = family["alpha"] / m
    out = []
    for reading in family["readings"]:
        for key in family["metrics"]:
            sds = [r["sd"] for r in rows if r["reading"] == reading and r["metric"] == key and r["sd"] > 0]
            line = {"reading": reading, "metric": key, "level": level}
            if not sds:  # no method's difference from the reference varies over seeds
                out.append(line | {"median sd of differences": 0.0})
                continue
            sd = float(np.median(sds))
            d = stats.detectable_effect(sd, n, level, target)
            out.append(
                line
                | {
                    "median sd of differences": sd,
                    "detectable difference": d,
                    "power at that difference / 2": stats.power(d / 2, sd, n, level),
                    "seeds for difference / 2": stats.seeds_needed(d / 2, sd, level, target),
                }
            )
    return out
