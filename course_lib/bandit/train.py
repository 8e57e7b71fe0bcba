r"""Training on the bandit: exact pass@1 / pass@k ascent and the sampled group estimators (chapter 4).

Update rule: each prompt ascends its own objective, ``theta_x += lr * g_x`` (gradient ascent on
the *sum* over prompts, so ``lr`` does not depend on the number of prompts); with
``prompt_step="alpha_k"`` the exact pass@1 run takes the per-prompt step ``lr * alpha_k(J_1(x))``
instead (Yu's reading of pass@k as a learning-rate schedule). Reported metrics are dataset means
over prompts, computed exactly from the current policy, also in sampled runs. Besides J_1, J_k and
Delta(k) they include the diagnostics that Delta(k) cannot replace: coverage@k at a large k, the
number of correct answers holding a mode, the correct mass off the dominant answer and the
expected number of distinct correct answers in k samples. The environment and the exact
gradients are in :mod:`course_lib.bandit.core`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

from .. import advantages as adv
from .._checks import as_positive_int
from ..passk import alpha_k, coverage, delta_k, expected_distinct_correct, pass_at_k_from_p
from ..softmax import entropy_grad, pass1, softmax, softmax_entropy

__all__ = [
    "TrainConfig",
    "History",
    "OBJECTIVES",
    "train",
    "train_many",
    "policy_at_pass1",
    "step_at_pass1",
    "at_matched_pass1",
    "PROMPT_STEPS",
]

from .core import EXACT_OBJECTIVES, MODE_THRESHOLD, Bandit, _nonneg, exact_gradient
from .sampled import SAMPLED_OBJECTIVES, _Objectives, sampled_gradient

# ----------------------------------------------------------------------------- training
OBJECTIVES = _Objectives(EXACT_OBJECTIVES)
"""Every objective :func:`train` accepts, with a one-line description: the exact ones, then the sampled ones."""

PROMPT_STEPS = {
    "constant": "every prompt steps by lr",
    "alpha_k": "exact pass@1 only: prompt x steps by lr * alpha_k(J_1(x)), k = the run's k (Yu, arXiv 2511.16231)",
}
"""The per-prompt step sizes :func:`train` accepts (``TrainConfig.prompt_step``)."""


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one training run on the bandit."""

    objective: str = "pass@1"
    """One of :data:`OBJECTIVES`."""
    k: int = 4
    """k of the pass@k objective and of the sampled pass@k estimators (Chen et al., PKPO, ...)."""
    k_eval: int = 8
    """k of the reported J_k, Delta(k) and alpha_k (the diagnostic)."""
    k_cover: int = 64
    """Large k of the reported coverage@k (dataset pass@k) and expected distinct correct answers."""
    lr: float = 1.0
    """Step size of the gradient ascent on each prompt's logits."""
    prompt_step: str = "constant"
    """One of :data:`PROMPT_STEPS`: ``"alpha_k"`` turns exact pass@1 into pass@1 with the per-prompt
    step ``lr * alpha_k(J_1(x))``, which reproduces exact pass@k bit for bit (without an entropy bonus)."""
    steps: int = 400
    """Number of updates."""
    entropy_coef: float = 0.0
    """tau: exact entropy bonus tau * H added to any objective."""
    n: int = 8
    """Samples per prompt per step (sampled objectives)."""
    k_start: int | None = None
    """Methods whose recipe anneals k (PKPO): k at step 0 (None: k). The other methods use k."""
    anneal_frac: float = 0.5
    """Methods whose recipe anneals k: fraction of the steps trained with k_start, then k = 1
    (:func:`course_lib.advantages.k_at_step`; 1: never anneal, 0: k = 1 throughout)."""
    beta: float = 2.0
    """Risk-seeking parameter of RS-GRPO (passed to every method that takes a ``beta``)."""
    params: dict | None = None
    """More hyper-parameters of the sampled method, by name (e.g. ``{"lam": 0.1}`` for
    W-REINFORCE, ``{"c": 0.2}`` for UCB exploration); see ``ESTIMATORS[objective].params``."""
    seed: int = 0
    """Seed of the sampled rollouts."""
    step_scale: tuple = ()
    """Per-phase step multipliers ``((k, c), ...)``: the policy-gradient update of a step whose
    estimator uses k is multiplied by c (step normalisation, :func:`course_lib.bandit.fair.normalised`;
    empty: no rescaling)."""


@dataclass
class History:
    """Per-step record of a run; arrays have one row per step 0..steps (step 0 = initial policy)."""

    config: TrainConfig
    """The run's configuration."""
    J1: np.ndarray = field(repr=False)
    """(T,) dataset pass@1, mean over prompts."""
    Jk: np.ndarray = field(repr=False)
    """(T,) dataset pass@k."""
    delta: np.ndarray = field(repr=False)
    """(T,) Delta(k) = J_k - J_1 (dataset)."""
    alpha: np.ndarray = field(repr=False)
    """(T,) mean over prompts of alpha_k."""
    entropy: np.ndarray = field(repr=False)
    """(T,) mean policy entropy (nats)."""
    coverage: np.ndarray = field(repr=False)
    """(T,) coverage@k_cover = dataset pass@k at the large k_cover (:func:`course_lib.passk.coverage`)."""
    modes: np.ndarray = field(repr=False)
    """(T,) mean number of correct answers holding > 1 % mass."""
    minority_mass: np.ndarray = field(repr=False)
    """(T,) mean over prompts of the correct mass off the prompt's initially dominant answer."""
    distinct: np.ndarray = field(repr=False)
    """(T,) mean over prompts of the expected number of distinct correct answers among k_cover samples
    (:func:`course_lib.passk.expected_distinct_correct`)."""
    dominant_share: np.ndarray = field(repr=False)
    """(T,) mean over solvable prompts (J_1 > 1e-3) of pi(dominant answer) / J_1."""
    grad_norm: np.ndarray = field(repr=False)
    """(T,) norm of the applied update divided by lr (all prompts; NaN at the last row)."""
    cos_k1: np.ndarray = field(repr=False)
    """(T,) cosine between the exact dataset gradients of J_k and J_1, with the run's training k
    (``config.k``). In this tabular bandit it is < 1 only because alpha_k rescales each prompt's
    block by a different factor: prompts share no parameter, so there is no interference."""
    zero_signal: np.ndarray = field(repr=False)
    """(T,) fraction of prompts whose policy-gradient part was exactly zero (NaN at the last row)."""
    all_fail: np.ndarray = field(repr=False)
    """(T,) sampled runs: fraction of prompts whose n samples all failed (NaN for exact runs)."""
    k_used: np.ndarray = field(repr=False)
    """(T,) k of the estimator at each step (annealed for the methods whose recipe anneals k; k otherwise)."""
    p: np.ndarray = field(repr=False)
    """(T, P) per-prompt pass@1."""
    prompt_grad: np.ndarray = field(repr=False)
    """(T, P) norm of each prompt's exact pass@1 gradient."""
    prompt_zero: np.ndarray = field(repr=False)
    """(T, P) bool, the policy-gradient estimate of that prompt was exactly zero."""
    prompt_update: np.ndarray = field(repr=False)
    """(T, P) norm of each prompt's policy-gradient estimate (before the entropy bonus and the
    per-prompt step; NaN at the last row)."""
    pi: np.ndarray = field(repr=False)
    """(T, P, M) the policy at every step."""
    theta: np.ndarray = field(repr=False)
    """(T, P, M) the logits at every step (``theta[-1]`` equals ``logits``)."""
    correct: np.ndarray = field(repr=False)
    """(P, M) bool, the bandit's verifier (to read the correct mass per answer, :meth:`mode_mass`)."""
    logits: np.ndarray = field(repr=False)
    """(P, M) final logits."""

    METRICS = (
        "J1",
        "Jk",
        "delta",
        "alpha",
        "coverage",
        "entropy",
        "modes",
        "minority_mass",
        "distinct",
        "dominant_share",
        "grad_norm",
        "cos_k1",
        "zero_signal",
        "all_fail",
        "k_used",
    )

    def table(self) -> dict:
        """Scalar metrics as a table (column -> (T,) array), with a ``step`` column."""
        out = {"step": np.arange(len(self.J1))}
        out.update({name: getattr(self, name) for name in self.METRICS})
        return out

    HEADLINE = ("J1", "Jk", "delta", "coverage", "entropy", "modes", "minority_mass", "distinct")
    """The metrics of :meth:`summary` and :meth:`at`."""

    def at(self, step: int) -> dict:
        """The headline metrics at one step (floats), e.g. at the step of :func:`step_at_pass1`."""
        return {name: float(getattr(self, name)[step]) for name in self.HEADLINE}

    def summary(self) -> dict:
        """Start and end values of the headline metrics (floats), keys like ``"J1_start"``, ``"J1_end"``."""
        start, end = self.at(0), self.at(-1)
        return {
            f"{name}_{when}": values[name]
            for name in self.HEADLINE
            for when, values in (("start", start), ("end", end))
        }

    def mode_mass(self, step: int = -1) -> np.ndarray:
        """(P, M) the probability of each correct answer at ``step`` (0 on wrong answers): the mass of every mode."""
        return np.where(self.correct, self.pi[step], 0.0)


def _check_train(cfg: TrainConfig) -> None:
    """Validate a TrainConfig with clear messages."""
    if cfg.objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {sorted(OBJECTIVES)}, got {cfg.objective!r}")
    as_positive_int("k", cfg.k)
    as_positive_int("k_eval", cfg.k_eval)
    as_positive_int("steps", cfg.steps, minimum=0)
    lr = float(cfg.lr)
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {cfg.lr!r}")
    _nonneg("entropy_coef", cfg.entropy_coef)
    if cfg.params and cfg.objective not in SAMPLED_OBJECTIVES:
        raise ValueError(f"params apply to the sampled methods only, not to the exact {cfg.objective!r}")
    if cfg.params:
        unknown = set(cfg.params) - set(adv.estimator(cfg.objective).params)
        if unknown:
            accepted = ", ".join(sorted(adv.estimator(cfg.objective).params)) or "none"
            raise ValueError(
                f"method {cfg.objective!r} got unknown parameter(s) {sorted(unknown)}; it accepts: {accepted}"
            )
    if cfg.objective in SAMPLED_OBJECTIVES:
        n = as_positive_int("n", cfg.n, minimum=2)
        k_max = max(cfg.k, cfg.k_start or cfg.k) if adv.estimator(cfg.objective).uses_k else 1
        if k_max > n:
            raise ValueError(f"k must be <= n (samples per prompt) for sampled pass@k estimators, got k={k_max}, n={n}")
    if not 0 <= float(cfg.anneal_frac) <= 1:
        raise ValueError(f"anneal_frac must be in [0, 1], got {cfg.anneal_frac!r}")
    as_positive_int("k_cover", cfg.k_cover)
    if cfg.prompt_step not in PROMPT_STEPS:
        raise ValueError(f"prompt_step must be one of {sorted(PROMPT_STEPS)}, got {cfg.prompt_step!r}")
    if cfg.prompt_step == "alpha_k" and cfg.objective != "pass@1":
        raise ValueError(f"prompt_step='alpha_k' applies to the exact 'pass@1' objective only, got {cfg.objective!r}")
    for pair in cfg.step_scale:
        if len(pair) != 2 or not (np.isfinite(float(pair[1])) and float(pair[1]) > 0):
            raise ValueError(f"step_scale must hold (k, c) pairs with a finite c > 0, got {cfg.step_scale!r}")


def train(bandit: Bandit, config: TrainConfig | None = None, **overrides) -> History:
    """Train the bandit's policy and record every metric at every step.

    Parameters
    ----------
    bandit : Bandit
        From :func:`make_bandit`.
    config : TrainConfig, optional
        Hyper-parameters; keyword ``overrides`` replace its fields (``train(b, lr=0.5)``).

    Returns
    -------
    History
        Metrics for steps 0..steps (step 0 is the initial policy) and the final logits.

    Raises
    ------
    ValueError
        On an unknown objective or invalid hyper-parameters (e.g. k > n for a sampled
        pass@k estimator).

    Notes
    -----
    Exact objectives use :func:`exact_gradient` (also those added with :func:`register_exact`,
    e.g. ``"pass@k-wor"``). Sampled ones draw ``n`` answers per prompt
    with a seeded ``numpy.random.Generator``, turn the binary rewards into sum-form weights
    with the registry (:func:`group_weights`, i.e. :func:`course_lib.advantages.loss_weights`),
    and form ``sum_i w_i grad log pi(y_i)`` with ``grad log pi(y) = e_y - pi``. The k of a
    method whose recipe anneals k follows :func:`course_lib.advantages.k_at_step` (k_start for
    the first ``anneal_frac`` of the steps, then 1). The entropy bonus is always added exactly.
    With ``prompt_step="alpha_k"`` (exact pass@1 only) prompt x's whole update, entropy bonus
    included, is scaled by alpha_k(J_1(x)) with the run's k, in the same floating-point order as
    exact pass@k, so without an entropy bonus the two runs are equal bit for bit (Yu, arXiv
    2511.16231: per prompt, grad J_k = alpha_k grad J_1). Same bandit, config and seed give
    identical histories. A method that keeps state across steps (``Group.state``, e.g. UCB
    exploration's answer counts) gets one dict for the whole run.
    """
    cfg = replace(config or TrainConfig(), **overrides)
    _check_train(cfg)
    correct, k, k_eval, steps = bandit.correct, int(cfg.k), int(cfg.k_eval), int(cfg.steps)
    sampled = cfg.objective in SAMPLED_OBJECTIVES
    anneals = sampled and adv.estimator(cfg.objective).anneals_k
    k_run = int(cfg.k_start if (anneals and cfg.k_start is not None) else cfg.k)  # k at step 0
    rng = np.random.default_rng(cfg.seed)
    theta = np.array(bandit.logits, dtype=np.float64)
    T, P = steps + 1, theta.shape[0]
    rec = {name: np.full(T, np.nan) for name in History.METRICS}
    per = {
        "p": np.zeros((T, P)),
        "prompt_grad": np.zeros((T, P)),
        "prompt_zero": np.zeros((T, P), dtype=bool),
        "prompt_update": np.full((T, P), np.nan),
        "pi": np.zeros((T,) + theta.shape),
        "theta": np.zeros((T,) + theta.shape),
    }
    k_cover = int(cfg.k_cover)
    scale = {int(k_s): float(c) for k_s, c in cfg.step_scale}  # phase k -> step multiplier
    estimator_state: dict = {}  # the sampled method's own state across steps (Group.state), one per run
    dominant = np.argmax(np.where(correct, bandit.logits, -np.inf), axis=-1)  # (P,) initial dominant mode
    for t in range(T):
        pi = softmax(theta)
        p, q = pass1(pi, correct)
        g1 = pi * np.where(correct, q[:, None], -p[:, None])  # exact grad J_1, (P, M)
        alpha = np.asarray(alpha_k(p, k_eval))
        gk = np.asarray(alpha_k(p, k))[:, None] * g1  # exact grad J_k with the training k (for the cosine)
        norm1, normk = np.linalg.norm(g1), np.linalg.norm(gk)
        mass = np.where(correct, pi, 0.0)  # (P, M) correct mass per answer
        minority = np.where(np.arange(theta.shape[1]) == dominant[:, None], 0.0, mass)  # off the dominant answer
        rec["J1"][t] = p.mean()
        rec["Jk"][t] = np.mean(pass_at_k_from_p(p, k_eval))
        rec["delta"][t] = np.mean(delta_k(p, k_eval))
        rec["alpha"][t] = alpha.mean()
        rec["entropy"][t] = np.mean(softmax_entropy(theta))
        rec["coverage"][t] = coverage(p, k_cover)
        rec["modes"][t] = np.mean(((pi > MODE_THRESHOLD) & correct).sum(axis=-1))
        rec["minority_mass"][t] = np.mean(minority.sum(axis=-1))
        rec["distinct"][t] = np.mean(expected_distinct_correct(mass, k_cover))
        solvable = p > 1e-3
        share = pi[np.arange(P), dominant] / np.where(solvable, p, 1.0)
        rec["dominant_share"][t] = share[solvable].mean() if solvable.any() else np.nan
        rec["cos_k1"][t] = float(np.sum(gk * g1) / (norm1 * normk)) if norm1 * normk > 0 else np.nan
        per["p"][t], per["prompt_grad"][t], per["pi"][t] = p, np.linalg.norm(g1, axis=-1), pi
        per["theta"][t] = theta
        k_t = adv.k_at_step(cfg.objective, t, steps, k_run, float(cfg.anneal_frac)) if sampled else k
        rec["k_used"][t] = k_t
        if t == steps:
            break
        if sampled:
            g, zero, fail = sampled_gradient(
                theta, correct, cfg.objective, cfg.n, rng, k_t, cfg.beta, params=cfg.params, state=estimator_state
            )
            rec["all_fail"][t] = fail.mean()
        else:
            if cfg.objective in ("pass@1", "pass@k"):
                g = np.asarray(alpha_k(p, k))[:, None] * g1 if cfg.objective == "pass@k" else g1
            else:  # an exact objective added with register_exact (e.g. pass@k-wor)
                g = exact_gradient(theta, correct, cfg.objective, k)
            zero = np.all(g == 0.0, axis=-1)
        step = np.asarray(alpha_k(p, k))[:, None] if cfg.prompt_step == "alpha_k" else None  # per-prompt step / lr
        per["prompt_zero"][t], per["prompt_update"][t] = zero, np.linalg.norm(g, axis=-1)
        rec["zero_signal"][t] = zero.mean()
        if scale:  # step normalisation: this phase's constant (1 if the phase has none)
            g = scale.get(int(k_t), 1.0) * g
        if cfg.entropy_coef:
            g = g + float(cfg.entropy_coef) * entropy_grad(pi)
        if step is not None:
            g = step * g  # the order of exact pass@k: alpha_k * grad J_1, then times lr
        rec["grad_norm"][t] = np.linalg.norm(g)
        theta += float(cfg.lr) * g
    return History(config=cfg, logits=theta, correct=np.asarray(correct, dtype=bool), **rec, **per)


def policy_at_pass1(history: History, prompt: int, p: float) -> np.ndarray:
    """The (M,) policy of ``prompt`` at the moment its J_1 first reached ``p`` (linear interpolation between steps).

    Raises
    ------
    ValueError
        If the run's J_1 on that prompt never reached ``p`` (or started above it).
    """
    path = history.p[:, prompt]
    t = int(np.argmax(path >= p)) if (path >= p).any() else -1
    if t < 1:
        raise ValueError(
            f"J_1 of prompt {prompt} must cross p={p} during the run (range {path.min():.4f}..{path.max():.4f})"
        )
    frac = (p - path[t - 1]) / (path[t] - path[t - 1])
    return (1 - frac) * history.pi[t - 1, prompt] + frac * history.pi[t, prompt]


def step_at_pass1(history: History, J1: float) -> int:
    """The first step at which the run's *dataset* pass@1 reached ``J1``.

    Comparing runs at this step compares them at matched pass@1 (Delta(k), coverage, modes at
    equal J_1), which separates what an objective does to exploration from how fast it learns.

    Raises
    ------
    ValueError
        If the run's dataset J_1 never reached ``J1``.
    """
    reached = history.J1 >= J1
    if not reached.any():
        raise ValueError(f"the run's dataset J_1 never reached {J1} (max {history.J1.max():.4f})")
    return int(np.argmax(reached))


def at_matched_pass1(histories: dict, J1: float) -> dict:
    """For each run (label -> History): ``{"step": ..., **History.at(step)}`` at :func:`step_at_pass1`."""
    out = {}
    for label, h in histories.items():
        t = step_at_pass1(h, J1)
        out[label] = {"step": t, **h.at(t)}
    return out


def train_many(bandit: Bandit, runs: dict, base: TrainConfig | None = None) -> dict:
    """Run several configurations: ``runs`` maps a label to a dict of TrainConfig overrides."""
    base = base or TrainConfig()
    names = {f.name for f in fields(TrainConfig)}
    out = {}
    for label, over in runs.items():
        unknown = set(over) - names
        if unknown:
            raise ValueError(f"unknown TrainConfig field(s) {sorted(unknown)} in run {label!r}")
        out[label] = train(bandit, base, **over)
    return out
