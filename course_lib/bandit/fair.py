r"""Fair comparisons on the bandit: matched step sizes, a learning-rate sweep, and baselines (chapter 4).

The bandit trains every objective by plain gradient ascent with one learning rate, but in
expectation each estimator is pass@1 with its own per-prompt step :math:`\lambda(p)`
(:func:`course_lib.bandit.expected_weight`): with n = 8, k = 4 GRPO's is 2.0-2.6, Chen et al.'s
0.02-1.0, exact pass@1's and RLOO's 1. Comparing them at one rate compares step sizes as much as
objectives. Two ways to remove that confound, both here:

1. **Step normalisation** (:func:`normalised`): rescale an objective so that its *mean* expected
   step over the initial prompts equals exact pass@1's,

   .. math:: c = 1 \Big/ \frac1P \sum_x \lambda(p_x), \qquad \bar\lambda_{\text{normalised}} = 1,

   one constant per training phase for the objectives that switch k (PKPO's k annealing, Chen
   et al.'s pass@k-then-pass@1 recipe), each computed on the initial prompts. What remains is the
   *shape* of :math:`\lambda(p)` -- the part Chen et al. and Yu disagree about. Only objectives
   whose expected update is :math:`\lambda(p)\nabla J_1` can be normalised (:func:`why_not_normalisable`).
2. **A learning-rate sweep** (:func:`sweep`): the same grid of rates for every objective, the best
   rate chosen on *tuning* seeds by the criterion declared in :data:`CRITERION` before any run,
   then every objective compared at its own best rate on separate *evaluation* seeds.

:func:`baselines` gives the values of the same diagnostics for the initial (base) policy and for
a uniform guesser over the answers. :func:`compare` runs all of it and returns a results file
with its provenance (``passk bandit compare``; committed as ``results/ch04_bandit.json``).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from .. import advantages as adv
from ..passk import alpha_k
from ..provenance import source_hash, stamp
from ..softmax import pass1, softmax
from .core import EXACT_OBJECTIVES, Bandit, make_bandit
from .sampled import SAMPLED_OBJECTIVES, depends_only_on_c, expected_weight
from .train import TrainConfig, train

__all__ = [
    "RUNS",
    "RATES",
    "CRITERION",
    "TUNING_SEEDS",
    "EVAL_SEEDS",
    "METRICS",
    "expected_step",
    "why_not_normalisable",
    "step_constants",
    "normalised",
    "choose_rate",
    "sweep",
    "baselines",
    "read",
    "compare",
    "code_hash",
    "values",
    "summary",
]

RUNS: dict[str, dict] = {
    "pass@1": {"objective": "pass@1"},
    "pass@4": {"objective": "pass@k", "k": 4},
    "pass@4 + entropy": {"objective": "pass@k", "k": 4, "entropy_coef": 0.05},
    "grpo": {"objective": "grpo"},
    "rloo": {"objective": "rloo"},
    "chen": {"objective": "chen", "k": 4},
    "chen_then_pass1": {"objective": "chen_then_pass1", "k": 4},
    "pkpo": {"objective": "pkpo", "k": 4, "k_start": 8},
    "risk_seeking": {"objective": "risk_seeking", "beta": 2.0},
}
"""Chapter 4's side-by-side runs: label -> :class:`TrainConfig` overrides (PKPO anneals k from 8 to 1)."""

RATES = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
"""The starting grid of learning rates (x 2 apart, 256x end to end); :func:`sweep` widens it by
doubling at whichever end holds some objective's best rate, the same grid for every objective."""

CRITERION = {
    "metric": "dataset J_1 at the end of the run (mean over the tuning seeds)",
    "rule": "the smallest rate whose mean final J_1 is within `tol` of the largest mean final J_1 on the grid",
    "tol": 0.01,
    "why": "with plain gradient ascent a larger step is never slower on this bandit (no instability), so "
    "'fastest' has no interior optimum; the smallest rate that reaches the best pass@1 the budget allows "
    "is the gentlest step that loses nothing on the tuning criterion",
}
"""The tuning criterion, declared before any run (the results file records it)."""

TUNING_SEEDS = tuple(range(100, 105))
"""Seeds of the sampled runs that choose the rate (never used for evaluation)."""
EVAL_SEEDS = tuple(range(20))
"""Seeds of the evaluation runs, the same for every objective (paired)."""

BASE = TrainConfig()
"""The chapter's run settings (400 steps, n = 8, k = 4, k_eval = 8, k_cover = 64) every run starts from."""

METRICS = ("J1", "Jk", "delta", "coverage", "modes", "minority_mass", "distinct", "entropy", "hard_J1")
"""What :func:`end_metrics` reads at the end of a run (History metrics, plus the hard prompts' mean J_1)."""


# ----------------------------------------------------------------------------- step normalisation
def expected_step(objective: str, p, n: int = 8, k: int = 4, beta: float = 2.0):
    r"""lambda(p): the expected update of ``objective`` on a prompt with pass rate p is lambda(p) grad J_1.

    Exact pass@1: 1; exact pass@k: alpha_k(p) (Yu, arXiv 2511.16231); a sampled estimator:
    :func:`course_lib.bandit.expected_weight` (n samples per prompt). Raises ``ValueError`` for
    an objective that has no such lambda (:func:`why_not_normalisable`).

    Examples
    --------
    >>> float(expected_step("pass@k", 0.5, k=2))  # alpha_2(1/2) = 2 (1 - 1/2)
    1.0
    """
    reason = why_not_normalisable(objective, n, k, beta)
    if reason:
        raise ValueError(f"{objective!r} has no expected step lambda(p): {reason}")
    p = np.asarray(p, dtype=np.float64)
    if objective == "pass@1":
        return np.ones_like(p)
    if objective == "pass@k":
        return np.asarray(alpha_k(p, k))
    return np.asarray(expected_weight(objective, p, n, k, beta))


def why_not_normalisable(objective: str, n: int = 8, k: int = 4, beta: float = 2.0, entropy_coef: float = 0.0):
    """None if ``objective``'s expected update is lambda(p) grad J_1 per prompt; else the reason, one line."""
    if entropy_coef:
        return "an entropy bonus adds tau grad H, which is not a multiple of grad J_1"
    if objective in EXACT_OBJECTIVES:
        if objective in ("pass@1", "pass@k"):
            return None
        return "its exact gradient is not parallel to grad J_1 (e.g. pass@k without replacement)"
    if objective not in SAMPLED_OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}")
    needs = adv.estimator(objective).needs
    if needs:
        return f"its weights read the group's {', '.join(needs)}, so its expected update is not lambda(p) grad J_1"
    if not depends_only_on_c(objective, n, k, beta):
        return "its weights depend on the samples' order or on random draws, not only on c"
    return None


def _phases(objective: str, k: int, k_start) -> tuple[int, ...]:
    """The k of each training phase: (k_run,) or, for a method whose recipe anneals k, (k_run, 1)."""
    if objective in SAMPLED_OBJECTIVES and adv.estimator(objective).anneals_k:
        k_run = int(k_start if k_start is not None else k)
        return (k_run, 1) if k_run != 1 else (1,)
    return (int(k),)


def step_constants(bandit: Bandit, config: TrainConfig) -> tuple[tuple[int, float], ...]:
    r"""The per-phase constants ``((k, c), ...)`` that make ``config``'s mean expected step 1.

    :math:`c_k = 1 / \mathrm{mean}_x \lambda_k(p_x)` over the bandit's *initial* per-prompt pass
    rates, for each k the run uses. Raises ``ValueError`` if the objective cannot be normalised.

    Examples
    --------
    >>> b = make_bandit()
    >>> (k, c), = step_constants(b, TrainConfig(objective="rloo"))  # RLOO is unbiased: lambda = 1
    >>> k, round(c, 12)
    (4, 1.0)
    """
    reason = why_not_normalisable(config.objective, config.n, config.k, config.beta, config.entropy_coef)
    if reason:
        raise ValueError(f"{config.objective!r} cannot be step-normalised: {reason}")
    p0, _ = pass1(softmax(bandit.logits), bandit.correct)
    out = []
    for k in _phases(config.objective, config.k, config.k_start):
        lam = expected_step(config.objective, p0, config.n, k, config.beta)
        out.append((k, float(1.0 / np.mean(lam))))
    return tuple(out)


def normalised(bandit: Bandit, config: TrainConfig | None = None, **overrides) -> TrainConfig:
    """``config`` (with ``overrides``) made step-normalised: its ``step_scale`` from :func:`step_constants`."""
    cfg = dataclasses.replace(config or TrainConfig(), **overrides)
    return dataclasses.replace(cfg, step_scale=step_constants(bandit, cfg))


# ----------------------------------------------------------------------------- the sweep
def choose_rate(scores: dict, tol: float = CRITERION["tol"]) -> float:
    """The rate :data:`CRITERION` picks from ``{rate: mean final J_1}``: the smallest within ``tol`` of the best.

    Examples
    --------
    >>> choose_rate({0.5: 0.74, 1.0: 0.87, 2.0: 0.995, 4.0: 1.0})
    2.0
    """
    best = max(scores.values())
    return min(rate for rate, score in scores.items() if score >= best - tol)


def read(history, hard, t: int = -1) -> dict:
    """The :data:`METRICS` of a run at step ``t``: History's values and the mean J_1 of the ``hard`` prompts."""
    out = {name: float(getattr(history, name)[t]) for name in METRICS if name != "hard_J1"}
    out["hard_J1"] = float(history.p[t][np.asarray(hard, dtype=bool)].mean())
    return out


def _run(bandit: Bandit, base: TrainConfig, over: dict, lr: float, seed: int, scale=()) -> dict:
    """One run's end metrics (:func:`read`)."""
    return read(train(bandit, dataclasses.replace(base, **over, lr=lr, seed=seed, step_scale=scale)), bandit.hard)


def _seeds(over: dict, seeds) -> tuple:
    """Exact objectives are deterministic: one run stands for every seed."""
    return tuple(seeds) if over["objective"] in SAMPLED_OBJECTIVES else tuple(seeds)[:1]


def sweep(
    bandit: Bandit,
    runs: dict = RUNS,
    rates=RATES,
    seeds=TUNING_SEEDS,
    base: TrainConfig = BASE,
    tol: float = CRITERION["tol"],
    max_widen: int = 8,
) -> dict:
    """The learning-rate sweep: final J_1 per (run, rate, tuning seed) and the rate :data:`CRITERION` picks.

    The grid is widened by doubling (or halving) at an end while some run's chosen rate sits
    there, for every run alike, at most ``max_widen`` times. Returns ``{"rates": [...], "scores":
    {run: {rate: [J_1 per seed]}}, "best": {run: {"lr", "score", "interior"}}}``.
    """
    rates = sorted(float(r) for r in rates)
    scores: dict = {label: {} for label in runs}

    def fill():
        for label, over in runs.items():
            for lr in rates:
                if lr not in scores[label]:
                    scores[label][lr] = [_run(bandit, base, over, lr, s)["J1"] for s in _seeds(over, seeds)]

    fill()
    for _ in range(max_widen):
        chosen = {label: choose_rate({r: float(np.mean(v)) for r, v in scores[label].items()}, tol) for label in runs}
        low, high = any(c == rates[0] for c in chosen.values()), any(c == rates[-1] for c in chosen.values())
        if not (low or high):
            break
        rates = ([rates[0] / 2] if low else []) + rates + ([rates[-1] * 2] if high else [])
        fill()
    best = {}
    for label in runs:
        mean = {r: float(np.mean(v)) for r, v in scores[label].items()}
        lr = choose_rate(mean, tol)
        best[label] = {"lr": lr, "score": mean[lr], "interior": rates[0] < lr < rates[-1]}
    return {
        "rates": rates,
        "scores": {label: {str(r): v for r, v in s.items()} for label, s in scores.items()},
        "best": best,
    }


# ----------------------------------------------------------------------------- baselines
def baselines(bandit: Bandit, base: TrainConfig = BASE) -> dict:
    """The :data:`METRICS` of the initial (base) policy and of a uniform guesser over each prompt's answers.

    Both are read by the same code as every run (:func:`course_lib.bandit.train` at step 0): the
    guesser is the bandit with all logits 0, so its J_1 is (correct answers) / M on every prompt.

    Examples
    --------
    >>> b = baselines(make_bandit())
    >>> round(b["guesser"]["J1"], 12), b["guesser"]["modes"]  # 3 correct of 12 answers, each 1/12 > 1 %
    (0.25, 3.0)
    """
    uniform = dataclasses.replace(bandit, logits=np.zeros_like(bandit.logits))
    out = {}
    for name, b in (("base", bandit), ("guesser", uniform)):
        out[name] = read(train(b, dataclasses.replace(base, objective="pass@1", steps=0)), bandit.hard, 0)
    return out


# ----------------------------------------------------------------------------- the comparison
def code_hash() -> str:
    """Hash of the code the bandit's numbers depend on (bandit, estimators, pass@k, softmax)."""
    return source_hash(["bandit/*.py", "advantages/*.py", "passk.py", "softmax.py", "_checks.py"])


def compare(
    bandit: Bandit | None = None,
    runs: dict = RUNS,
    rates=RATES,
    tuning_seeds=TUNING_SEEDS,
    eval_seeds=EVAL_SEEDS,
    base: TrainConfig = BASE,
    raw_lr: float = 1.0,
    *,
    command: str = "",
) -> dict:
    """Chapter 4's side-by-side table, fairly: raw, best-rate and step-normalised rows on paired seeds.

    For each run of ``runs``: ``raw`` at ``raw_lr`` (the chapter's rate), ``best`` at the rate the
    sweep chose on ``tuning_seeds``, ``normalised`` at ``raw_lr`` with :func:`step_constants`
    (where the objective allows it; the reason otherwise). Every row is read at the end
    (:data:`METRICS`) on each of ``eval_seeds`` (one run for an exact objective).
    """
    t0 = time.perf_counter()
    bandit = make_bandit() if bandit is None else bandit
    tuned = sweep(bandit, runs, rates, tuning_seeds, base)
    rows, constants = [], {}
    for label, over in runs.items():
        cfg = dataclasses.replace(base, **over)
        reason = why_not_normalisable(cfg.objective, cfg.n, cfg.k, cfg.beta, cfg.entropy_coef)
        constants[label] = {"reason": reason} if reason else {"step_scale": step_constants(bandit, cfg)}
        variants = [("raw", raw_lr, ()), ("best", tuned["best"][label]["lr"], ())]
        if not reason:
            variants.append(("normalised", raw_lr, constants[label]["step_scale"]))
        for variant, lr, scale in variants:
            for seed in _seeds(over, eval_seeds):
                rows.append(
                    {
                        "run": label,
                        "variant": variant,
                        "lr": lr,
                        "seed": seed,
                        **_run(bandit, base, over, lr, seed, scale),
                    }
                )
    return {
        "provenance": stamp(
            command,
            code_hash(),
            t0,
            bandit=dataclasses.asdict(bandit.config),
            config=dataclasses.asdict(base),
            runs=runs,
            raw_lr=raw_lr,
            tuning_seeds=list(tuning_seeds),
            eval_seeds=list(eval_seeds),
            criterion=CRITERION,
        ),
        "baselines": baselines(bandit, base),
        "sweep": tuned,
        "constants": constants,
        "rows": rows,
    }


TABLE = (
    ("J1", "J_1"),
    ("coverage", "coverage@64"),
    ("modes", "modes"),
    ("minority_mass", "mass off dominant"),
    ("distinct", "distinct correct (64)"),
    ("hard_J1", "hard J_1"),
)
"""(metric, column title) of :func:`summary`."""


def values(results: dict, run: str, variant: str, metric: str) -> np.ndarray:
    """One value per evaluation seed (an exact run's single value repeated: it is the same for every seed)."""
    rows = [r for r in results["rows"] if r["run"] == run and r["variant"] == variant]
    if not rows:
        raise ValueError(f"no rows for run {run!r}, variant {variant!r}")
    vals = np.array([r[metric] for r in rows], dtype=float)
    n = len(results["provenance"]["eval_seeds"])
    return np.repeat(vals, n) if len(vals) == 1 else vals


def summary(results: dict) -> list[dict]:
    """One line per (run, variant): its rate and the mean ± sd over seeds of :data:`TABLE`; base and guesser first."""
    out = []
    for name, vals in results["baselines"].items():
        out.append({"run": name, "variant": "", "lr": ""} | {t: f"{vals[m]:.3f}" for m, t in TABLE})
    for run in results["provenance"]["runs"]:
        for variant in ("raw", "best", "normalised"):
            rows = [r for r in results["rows"] if r["run"] == run and r["variant"] == variant]
            if not rows:
                continue
            line = {"run": run, "variant": variant, "lr": f"{rows[0]['lr']:g}"}
            for m, title in TABLE:
                v = np.array([r[m] for r in rows])
                line[title] = f"{v.mean():.3f}" + (f" ± {v.std(ddof=1):.3f}" if len(v) > 1 else "")
            out.append(line)
    return out
