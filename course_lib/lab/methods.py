r"""Chapter 6's comparison: every exploration method trained in the lab, read at matched pass@1.

Taught in ``notebooks/06_beyond_passk.ipynb``; the CLI front is ``passk lab compare-methods``.
A *method* is a registry key (:data:`course_lib.advantages.ESTIMATORS`) plus loss-term settings
(an entropy bonus, a KL penalty to the base model): :data:`METHODS`. Each run trains until its
first evaluation whose seen pass@1 reaches a common target (0.85 by default); there the model's
exact answer distribution is enumerated and read (:func:`matched_metrics`):

- held-out pass@1, pass@8, pass@256 and coverage@256 (:func:`course_lib.passk.coverage`);
- distinct correct answers per seen prompt among m samples (their expectation);
- the crossover k* against the base model (Yue et al., arXiv 2504.13837): the smallest k in
  1..1024 where the base model's exact dataset pass@k exceeds the trained model's.

A run that never reaches the target is listed as such, read at its last step. The results file
carries its provenance: command, config, seeds, library versions and :func:`code_hash`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import platform
import time
from pathlib import Path

import numpy as np
import torch

from course_lib import passk
from course_lib.lab._runtime import cpu_kernels, reproducible
from course_lib.lab.config import LabConfig
from course_lib.lab.metrics import answer_distribution
from course_lib.lab.step import evaluate, make_state, rl_step

__all__ = [
    "METHODS",
    "K_MAX",
    "pass_curve",
    "crossover",
    "prompt_pass1",
    "matched_metrics",
    "base_curves",
    "run_method",
    "compare_methods",
    "summary",
    "code_hash",
]

METHODS: dict[str, dict] = {
    "grpo": {"objective": "grpo"},
    "rloo": {"objective": "rloo"},
    "chen": {"objective": "chen"},
    "chen_then_pass1": {"objective": "chen_then_pass1"},
    "pkpo": {"objective": "pkpo"},
    "psr": {"objective": "psr"},
    "nsr": {"objective": "nsr"},
    "w_reinforce": {"objective": "w_reinforce", "params": {"lam": 0.1}},
    "batch_explore": {"objective": "batch_explore", "params": {"c": 0.5}},
    "ucb_explore": {"objective": "ucb_explore", "params": {"c": 0.1}},
    "unlikely": {"objective": "unlikely"},
    "clip_cov": {"objective": "clip_cov"},
    "entropy_bonus": {"objective": "grpo", "entropy_coef": 0.02},
    "kl": {"objective": "grpo", "kl_coef": 0.1},
    "kl_reset": {"objective": "grpo", "kl_coef": 0.1, "ref_reset_every": 20},
}
"""Method name -> the :class:`LabConfig` fields that make it (objective, params, loss terms)."""

K_MAX = 1024
"""Largest k of the exact pass@k curves (Yue et al. sample up to k = 1024 and more)."""

COLUMNS = (
    ("steps", "steps to target", ".0f"),
    ("held/pass@1", "held pass@1", ".3f"),
    ("held/pass@8", "held pass@8", ".3f"),
    ("held/coverage@256", "held coverage@256 (= pass@256)", ".3f"),
    ("seen/distinct_correct", "distinct correct (seen, m=32)", ".2f"),
    ("held/k_star", "k* vs base (held)", ".0f"),
)
"""(key in a row, column title, format) of the comparison table."""


def pass_curve(p, k_max: int = K_MAX) -> np.ndarray:
    """Exact dataset pass@k for k = 1..k_max from per-prompt pass@1 ``p``: mean_x 1 - (1 - p_x)^k."""
    p = np.asarray(p, dtype=np.float64)
    ks = np.arange(1, k_max + 1)
    return (1.0 - (1.0 - p[None, :]) ** ks[:, None]).mean(1)


def crossover(base_curve, trained_curve) -> int | None:
    """Smallest k (1-based) where the base model's pass@k exceeds the trained model's; None if none does.

    Examples
    --------
    >>> crossover([0.2, 0.5, 0.9], [0.4, 0.6, 0.8])
    3
    >>> crossover([0.1, 0.2], [0.3, 0.4]) is None
    True
    """
    above = np.flatnonzero(np.asarray(base_curve) > np.asarray(trained_curve) + 1e-12)
    return int(above[0]) + 1 if above.size else None


def prompt_pass1(model, cfg: LabConfig, targets) -> tuple[np.ndarray, np.ndarray]:
    """Per-prompt pass@1 and the (T, 10**L) correct probabilities, exact."""
    probs, correct = answer_distribution(model, cfg.task, targets, cfg.temperature)
    cp = (probs * correct).numpy()
    cp /= np.maximum(cp.sum(1, keepdims=True), 1.0)  # float32 rounding: a solved prompt's mass <= 1
    return cp.sum(1).clip(0, 1), cp


def matched_metrics(model, cfg: LabConfig, base_curves: dict | None = None) -> dict:
    """The comparison's metrics of ``model``, exact; ``base_curves`` ({"seen": curve, "held": curve}) gives k*."""
    out = {}
    for prefix, targets in (("seen", cfg.task.seen_targets), ("held", cfg.task.held_out_targets)):
        p, cp = prompt_pass1(model, cfg, targets)
        curve = pass_curve(p)
        for k in (1, 8, 256):
            out[f"{prefix}/pass@{k}"] = float(curve[k - 1])
        out[f"{prefix}/coverage@256"] = float(passk.coverage(p, 256))
        out[f"{prefix}/distinct_correct"] = float(np.mean(passk.expected_distinct_correct(cp, cfg.eval_samples)))
        if base_curves is not None:
            out[f"{prefix}/k_star"] = crossover(base_curves[prefix], curve)
    return out


def base_curves(cfg: LabConfig) -> dict:
    """Exact pass@k curves (k = 1..K_MAX) of the warm-started base model on seen and held-out targets."""
    model = make_state(cfg).model
    with reproducible(cfg.threads):
        return {
            prefix: pass_curve(prompt_pass1(model, cfg, targets)[0])
            for prefix, targets in (("seen", cfg.task.seen_targets), ("held", cfg.task.held_out_targets))
        }


def method_config(method: str, seed: int, base: LabConfig = LabConfig()) -> LabConfig:
    """The :class:`LabConfig` of ``method`` (a key of :data:`METHODS`) with this seed."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    return dataclasses.replace(base, seed=seed, **METHODS[method])


def run_method(method: str, seed: int, base: LabConfig, target: float, curves: dict | None = None) -> dict:
    """Train one run until seen pass@1 >= ``target`` at an evaluation (or to the end); one table row."""
    cfg = method_config(method, seed, base)
    curves = base_curves(cfg) if curves is None else curves
    state = make_state(cfg)
    seen = None
    with reproducible(cfg.threads):
        while state.step < cfg.steps:
            rl_step(state)
            if state.step % cfg.eval_every == 0 or state.step == cfg.steps:
                seen = evaluate(state)["seen/pass@1"]
                if seen >= target:
                    break
        row = {"method": method, "seed": seed, "reached": seen >= target, "steps": state.step}
        row["seen/pass@1 eval"] = seen
        row.update(matched_metrics(state.model, cfg, curves))
    return row


def code_hash(root: Path | None = None) -> str:
    """SHA-256 (first 16 hex digits) of the library code a comparison depends on.

    The lab (but its charts and CLI), the estimators, pass@k, the softmax helpers and the checks.
    """
    root = Path(__file__).resolve().parents[1] if root is None else Path(root)
    files = sorted(
        [*root.glob("lab/*.py"), *root.glob("advantages/*.py"), root / "passk.py", root / "softmax.py"]
        + [root / "_checks.py"]
    )
    h = hashlib.sha256()
    for f in files:
        if f.name in ("charts.py", "cli.py"):
            continue
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def compare_methods(
    methods=tuple(METHODS),
    seeds=(0, 1, 2),
    base: LabConfig = LabConfig(),
    target: float = 0.85,
    *,
    command: str = "",
    progress: bool = True,
) -> dict:
    """Run every (method, seed) and return the results with their provenance (JSON-ready)."""
    t0 = time.perf_counter()
    curves = base_curves(base)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(methods) * len(seeds), desc="methods x seeds")
    rows = []
    for method in methods:
        for seed in seeds:
            rows.append(run_method(method, seed, base, target, curves))
            if bar is not None:
                bar.set_postfix({"method": method, "seed": seed})
                bar.update(1)
    if bar is not None:
        bar.close()
    return {
        "provenance": {
            "command": command,
            "config": base.to_dict(),
            "methods": {m: METHODS[m] for m in methods},
            "seeds": list(seeds),
            "target": target,
            "code_hash": code_hash(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "device": str(next(make_state(base).model.parameters()).device),
            "cpu_kernels": cpu_kernels(),  # a seed's numbers repeat bit for bit only with the same kernels
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "wall_s": round(time.perf_counter() - t0, 1),
        },
        "base": {f"{p}/pass@{k}": float(c[k - 1]) for p, c in curves.items() for k in (1, 8, 256)},
        "rows": rows,
    }


def summary(results: dict) -> list[dict]:
    """One row per method: runs that reached the target, and mean ± sd over seeds of each column."""
    out = []
    for method in results["provenance"]["methods"]:
        rows = [r for r in results["rows"] if r["method"] == method]
        reached = [r for r in rows if r["reached"]]
        line = {"method": method, "reached": f"{len(reached)}/{len(rows)}"}
        if len(reached) < len(rows):
            line["final pass@1 (not reached)"] = ", ".join(
                f"{r['seen/pass@1 eval']:.3f}" for r in rows if not r["reached"]
            )
        for key, title, fmt in COLUMNS:
            vals = [r[key] for r in (reached if key == "steps" else rows)]
            none = sum(v is None for v in vals)
            vals = np.array([v for v in vals if v is not None], dtype=float)
            text = "" if not len(vals) else f"{vals.mean():{fmt}} ± {vals.std(ddof=1) if len(vals) > 1 else 0:{fmt}}"
            line[title] = text + (f" ({none} none ≤ {K_MAX})" if none else "")
        out.append(line)
    return out


def mean_sd(results: dict, method: str, key: str) -> tuple[float, float]:
    """Mean and sample sd over the seeds of ``method`` of one row key (None values skipped; NaN if none)."""
    vals = [r[key] for r in results["rows"] if r["method"] == method and r[key] is not None]
    if not vals:
        return math.nan, math.nan
    return float(np.mean(vals)), float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0
