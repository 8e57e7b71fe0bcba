r"""Chapter 6's methods in the lab, and how one run of a method is read.

Taught in ``notebooks/06_beyond_passk.ipynb``; the comparison over methods and seeds is
:mod:`course_lib.lab.compare` (``passk lab compare-methods``), the learning-rate sweep
:mod:`course_lib.lab.tuning`, the directional tests :mod:`course_lib.lab.experiments`.
A *method* is a registry key (:data:`course_lib.advantages.ESTIMATORS`) plus loss-term settings
(an entropy bonus, a KL penalty to the base model): :data:`METHODS`.

One run (:func:`run_method`) trains for the whole budget and is read twice, exactly (every answer
enumerated; :func:`read_policy`):

- **at matched pass@1**: at its first evaluation whose seen pass@1 reaches a common target;
- **at equal budget**: at the last step.

Each reading holds, on seen and held-out prompts: pass@1, pass@8, coverage@64 and @256 (pass@k at
a large k, :func:`course_lib.passk.coverage`), Cover@0.1 and Cover@0.5 (the share of prompts with
pass rate >= tau, the guess-robust reading), the expected distinct correct answers among m samples,
and the crossover k* against the base model (Yue et al., arXiv 2504.13837: the smallest k in
1..1024 where the base model's exact dataset pass@k exceeds the trained model's). The same
readings of the base model and of a uniform guesser (:func:`baseline_readings`) go beside them.
Along the run the seen pass@1 and held-out coverage@64 of every evaluation are kept (the
trade-off chart), and at the end the exact pass@k curves at other sampling temperatures.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from course_lib import passk
from course_lib.lab._runtime import reproducible
from course_lib.lab.config import LabConfig
from course_lib.lab.metrics import answer_distribution, cover_at_tau, uniform_distribution
from course_lib.lab.step import evaluate, make_state, rl_step
from course_lib.provenance import source_hash

__all__ = [
    "METHODS",
    "K_MAX",
    "COVERAGE_KS",
    "TAUS",
    "CURVE_KS",
    "TRAJECTORY",
    "pass_curve",
    "crossover",
    "prompt_pass1",
    "read_policy",
    "read_distribution",
    "baseline_readings",
    "base_curves",
    "method_config",
    "run_method",
    "code_hash",
]

METHODS: dict[str, dict] = {
    "grpo": {"objective": "grpo"},
    "rloo": {"objective": "rloo"},
    "chen": {"objective": "chen"},
    "chen_then_pass1": {"objective": "chen_then_pass1"},
    "pkpo": {"objective": "pkpo"},
    "grpo_alpha": {"objective": "grpo_alpha"},
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
COVERAGE_KS = (64, 256)
"""The large k of coverage@k read at each reading."""
TAUS = (0.1, 0.5)
"""The tau of Cover@tau (0.1 is above the uniform guesser's pass rate on every target, 0.075 at most)."""
CURVE_KS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
"""The k of the pass@k curves kept per temperature (k* itself is found on every k up to K_MAX)."""
TRAJECTORY = ("seen/pass@1", "held/coverage@64")
"""What every evaluation along a run keeps (the trade-off chart: seen pass@1 against held-out coverage@64)."""


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


def prompt_pass1(model, cfg: LabConfig, targets, temperature: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-prompt pass@1 and the (T, 10**L) correct probabilities, exact (at ``cfg.temperature`` unless given)."""
    t = cfg.temperature if temperature is None else temperature
    probs, correct = answer_distribution(model, cfg.task, targets, t)
    return _correct_mass(probs, correct)


def _correct_mass(probs, correct) -> tuple[np.ndarray, np.ndarray]:
    cp = (probs * correct).numpy()
    cp /= np.maximum(cp.sum(1, keepdims=True), 1.0)  # float32 rounding: a solved prompt's mass <= 1
    return cp.sum(1).clip(0, 1), cp


def read_distribution(p, cp, m: int, base_curve=None) -> dict:
    """One reading of per-prompt pass rates ``p`` and correct masses ``cp`` (keys without the seen/held prefix)."""
    curve = pass_curve(p)
    out = {f"pass@{k}": float(curve[k - 1]) for k in (1, 8)}
    for k in COVERAGE_KS:
        out[f"coverage@{k}"] = float(passk.coverage(p, k))
    for tau in TAUS:
        out[f"cover@{tau}"] = cover_at_tau(p, tau)
    out["distinct_correct"] = float(np.mean(passk.expected_distinct_correct(cp, m)))
    if base_curve is not None:
        out["k_star"] = crossover(base_curve, curve)
    return out


def _prefixes(cfg: LabConfig):
    return (("seen", cfg.task.seen_targets), ("held", cfg.task.held_out_targets))


def read_policy(model, cfg: LabConfig, curves: dict | None = None) -> dict:
    """The reading of ``model`` on seen and held-out prompts (``seen/...``, ``held/...``); ``curves`` gives k*."""
    out = {}
    for prefix, targets in _prefixes(cfg):
        p, cp = prompt_pass1(model, cfg, targets)
        base = None if curves is None else curves[prefix]
        out.update({f"{prefix}/{key}": v for key, v in read_distribution(p, cp, cfg.eval_samples, base).items()})
    return out


def baseline_readings(cfg: LabConfig) -> dict:
    """The same readings for the base (warm-started) model and for a uniform guesser over the 10**L answers."""
    model = make_state(cfg).model
    guesser = {}
    for prefix, targets in _prefixes(cfg):
        p, cp = _correct_mass(*uniform_distribution(cfg.task, targets))
        guesser.update({f"{prefix}/{key}": v for key, v in read_distribution(p, cp, cfg.eval_samples).items()})
    with reproducible(cfg.threads):
        return {"base": read_policy(model, cfg), "guesser": guesser}


def base_curves(cfg: LabConfig, temperature: float | None = None) -> dict:
    """Exact pass@k curves (k = 1..K_MAX) of the warm-started base model on seen and held-out targets."""
    model = make_state(cfg).model
    with reproducible(cfg.threads):
        return {
            prefix: pass_curve(prompt_pass1(model, cfg, targets, temperature)[0]) for prefix, targets in _prefixes(cfg)
        }


def method_config(method: str, seed: int, base: LabConfig = LabConfig(), lr: float | None = None) -> LabConfig:
    """The :class:`LabConfig` of ``method`` (a key of :data:`METHODS`) with this seed (and rate)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    cfg = dataclasses.replace(base, seed=seed, **METHODS[method])
    return cfg if lr is None else dataclasses.replace(cfg, lr=lr)


def _round(x, digits: int = 6):
    return None if x is None else round(float(x), digits)


def _temperature_reading(model, cfg: LabConfig, temperature: float, curves: dict) -> dict:
    """k* against the base model at the same temperature, and the exact pass@k curves at :data:`CURVE_KS`."""
    out = {}
    for prefix, targets in _prefixes(cfg):
        curve = pass_curve(prompt_pass1(model, cfg, targets, temperature)[0])
        out[f"{prefix}/k_star"] = crossover(curves[prefix], curve)
        out[f"{prefix}/curve"] = [_round(curve[k - 1]) for k in CURVE_KS]
    return out


def run_method(
    method: str,
    seed: int,
    base: LabConfig,
    target: float,
    curves: dict | None = None,
    *,
    lr: float | None = None,
    stop_at_target: bool = False,
    read_at=(),
    temperatures: dict | None = None,
    trajectory=TRAJECTORY,
    overrides: dict | None = None,
) -> dict:
    """Train one run of ``method`` for the whole budget and read it at matched pass@1 and at the end.

    Parameters
    ----------
    method, seed, lr : the run (``lr`` None: ``base.lr``); ``overrides`` more :class:`LabConfig` fields.
    base : LabConfig
        Budget (``steps``), batch, model size, evaluation interval.
    target : float
        The matched seen pass@1: the first evaluation reaching it is read as ``matched``.
    curves : dict
        Base curves ``{"seen", "held"}`` at the training temperature (for k*; computed if None).
    stop_at_target : bool
        Stop at the target and read nothing (the tuning runs: only ``reached`` and ``steps``).
    read_at : steps at which to read the policy as well (``at`` in the row; the prolonged runs).
    temperatures : dict
        ``{T: base curves at T}``: at the end, k* and the pass@k curves at each sampling temperature T.
    trajectory : the keys of :func:`course_lib.lab.evaluate` kept at every evaluation.

    Returns
    -------
    dict, one row: ``method, seed, lr, reached, steps`` (the step of the matched reading),
    ``seen/pass@1 eval`` (seen pass@1 there), then ``matched`` and ``end`` readings, ``at``,
    ``trajectory`` and ``temperatures``. A run that never reaches the target is read at its
    last step for ``matched`` too (``reached`` False).
    """
    cfg = method_config(method, seed, base, lr)
    if overrides:
        cfg = dataclasses.replace(cfg, **overrides)
    if curves is None and not stop_at_target:
        curves = base_curves(cfg)
    state = make_state(cfg)
    row = {"method": method, "seed": seed, "lr": cfg.lr, "reached": False, "steps": cfg.steps}
    traj: dict = {"step": []} | {key: [] for key in trajectory}
    at, matched, seen = {}, None, None
    with reproducible(cfg.threads):
        while state.step < cfg.steps:
            rl_step(state)
            if state.step in read_at:
                at[str(state.step)] = read_policy(state.model, cfg, curves)
            if state.step % cfg.eval_every == 0 or state.step == cfg.steps:
                ev = evaluate(state)
                traj["step"].append(state.step)
                for key in trajectory:
                    traj[key].append(_round(ev[key]) if not isinstance(ev[key], list) else ev[key])
                if matched is None and ev["seen/pass@1"] >= target:
                    row.update(reached=True, steps=state.step)
                    seen = ev["seen/pass@1"]
                    if stop_at_target:
                        break
                    matched = read_policy(state.model, cfg, curves)
        if stop_at_target:
            row["seen/pass@1 eval"] = seen if seen is not None else ev["seen/pass@1"]
            return row
        end = read_policy(state.model, cfg, curves)
        row["seen/pass@1 eval"] = seen if seen is not None else ev["seen/pass@1"]
        row["matched"] = matched if matched is not None else end
        row["end"] = end
        if at:
            row["at"] = at
        row["trajectory"] = traj
        if temperatures:
            row["temperatures"] = {
                str(t): _temperature_reading(state.model, cfg, t, c) for t, c in temperatures.items()
            }
    return row


def code_hash() -> str:
    """SHA-256 (first 16 hex digits) of the library code a lab result depends on.

    The lab (but its charts, CLI and :mod:`course_lib.lab.report`, which only read results), the
    estimators, pass@k, the softmax helpers, the checks and the provenance stamp.
    """
    return source_hash(
        ["lab/*.py", "advantages/*.py", "passk.py", "softmax.py", "_checks.py", "provenance.py"],
        skip=("charts.py", "cli.py", "report.py"),
    )
