"""Configuration of the lab (chapter 5): the warm start and one RL run, as frozen dataclasses.

Every field of :class:`LabConfig` is a flag of ``passk lab run`` (:mod:`course_lib.lab.cli`). The
training objectives are the keys of the estimator registry (:data:`course_lib.advantages.ESTIMATORS`):
a method registered there can be trained in the lab with no other change.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from course_lib._checks import as_positive_int
from course_lib.advantages import ESTIMATORS
from course_lib.lab.model import GPTConfig
from course_lib.lab.task import DigitSumTask


@dataclass(frozen=True)
class WarmStartConfig:
    """Supervised warm start on a mixture of solution styles (gives the RL a base model)."""

    mix: tuple[float, float, float] = (0.2, 0.06, 0.74)
    """Weights of (dominant-style answers, minority-style answers, random digits)."""
    per_style: int = 2
    """Canonical answers per style and target (the correct modes the base model starts with)."""
    steps: int = 600
    """Adam steps."""
    batch_size: int = 256
    """Examples per step."""
    lr: float = 6e-3
    """Peak Adam learning rate of the one-cycle schedule (warm-up, then cosine decay)."""
    seed: int = 0
    """Seed of the data and the initial weights."""


@dataclass(frozen=True)
class LabConfig:
    """One RL run of the lab. Every field is a CLI flag of ``passk lab run``."""

    objective: str = "grpo"
    """Training objective: a key of the estimator registry (grpo, rloo, chen, pkpo, ...)."""
    k: int = 4
    """k of the pass@k objectives (chen, pkpo, ...) and of the headline metrics."""
    steps: int = 150
    """RL steps."""
    prompts_per_step: int = 32
    """B, prompts per step (seen targets, drawn with replacement)."""
    n: int = 8
    """Samples per prompt (group size); must exceed k for the pass@k objectives."""
    lr: float = 3e-3
    """Adam learning rate."""
    params: tuple = ()
    """The objective's hyper-parameters, ``{name: value}`` or (name, value) pairs (CLI: ``--param lam=0.1``)."""
    entropy_coef: float = 0.0
    """Weight of the token-entropy bonus (0: none)."""
    kl_coef: float = 0.0
    """beta of the KL penalty to the frozen warm-started base model (0: none; ProRL, arXiv 2505.24864)."""
    ref_reset_every: int = 0
    """Reset the KL reference to the current policy (and Adam's state) every this many steps (0: never; ProRL)."""
    temperature: float = 1.0
    """Sampling temperature (the policy is softmax(logits / temperature))."""
    anneal_frac: float = 0.5
    """Fraction of the steps trained with k, then k = 1, for methods whose recipe anneals k (pkpo, chen_then_pass1)."""
    seed: int = 0
    """Seed of prompts and samples (the warm start has its own seed)."""
    eval_every: int = 10
    """Evaluate the exact metrics every this many steps (and at the last step)."""
    eval_samples: int = 32
    """m, samples per prompt behind ``distinct_correct`` (and sampled metrics)."""
    k_cover: int = 64
    """Large k of ``coverage@k`` (passk.coverage), logged on seen and held-out targets at every evaluation."""
    exact_eval: bool = True
    """Exact metrics by enumerating all answers (else estimated from m samples)."""
    d_model: int = 64
    """Model width."""
    n_layer: int = 2
    """Transformer blocks."""
    n_head: int = 4
    """Attention heads."""
    answer_len: int = 3
    """L, digits per answer."""
    held_out: tuple[int, ...] = DigitSumTask.held_out
    """Targets never trained on."""
    threads: int = 1
    """CPU threads, pinned (the count changes the last bits; why 1: :mod:`course_lib.lab._runtime`)."""
    kv_cache: bool = True
    """Sample with the key/value cache (False: re-run the prefix; same samples, slower)."""
    device: str = "auto"
    """auto (CUDA, then MPS, then CPU) | cpu | cuda | mps."""
    warm: WarmStartConfig = field(default_factory=WarmStartConfig)
    """Warm-start settings."""

    def __post_init__(self):
        if self.objective not in ESTIMATORS:
            raise ValueError(f"objective must be one of {sorted(ESTIMATORS)}, got {self.objective!r}")
        object.__setattr__(self, "params", _param_pairs(self.params))
        for name in ("k", "steps", "prompts_per_step", "n", "eval_every", "eval_samples", "k_cover", "threads"):
            as_positive_int(name, getattr(self, name))
        if ESTIMATORS[self.objective].uses_k and not 2 <= self.k < self.n:
            raise ValueError(f"k must satisfy 2 <= k < n for objective {self.objective!r}, got k={self.k}, n={self.n}")
        if self.lr <= 0 or self.temperature <= 0 or self.entropy_coef < 0:
            raise ValueError("lr and temperature must be > 0 and entropy_coef >= 0")
        if not (self.kl_coef >= 0 and self.ref_reset_every >= 0):
            raise ValueError(f"kl_coef and ref_reset_every must be >= 0, got {self.kl_coef}, {self.ref_reset_every}")
        check_params(self.objective, dict(self.params), self.k, self.n)
        if not 0 <= self.anneal_frac <= 1:
            raise ValueError(f"anneal_frac must lie in [0, 1], got {self.anneal_frac}")

    @property
    def method_params(self) -> dict:
        """The objective's hyper-parameters as a dict (what ``advantages.loss_weights`` takes)."""
        return dict(self.params)

    @property
    def task(self) -> DigitSumTask:
        """The task this run trains on."""
        return DigitSumTask(answer_len=self.answer_len, held_out=tuple(self.held_out))

    @property
    def model_config(self) -> GPTConfig:
        """The model size of this run."""
        return GPTConfig(n_layer=self.n_layer, n_head=self.n_head, d_model=self.d_model, block_size=4 + self.answer_len)

    @property
    def metric_ks(self) -> tuple[int, ...]:
        """k values reported at every evaluation: 1, 2, 4, 8 and the run's k."""
        return tuple(sorted({1, 2, 4, 8, self.k}))

    def to_dict(self) -> dict:
        """JSON-ready dictionary (``from_dict`` inverts it)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> LabConfig:
        """Config from :meth:`to_dict` output; unknown keys are an error."""
        d = dict(d)
        d["warm"] = WarmStartConfig(
            **{**d.get("warm", {}), "mix": tuple(d.get("warm", {}).get("mix", WarmStartConfig.mix))}
        )
        d["held_out"] = tuple(d.get("held_out", DigitSumTask.held_out))
        d["params"] = _param_pairs(d.get("params", ()))
        return cls(**d)


def _param_pairs(params) -> tuple:
    """Hyper-parameters as sorted (name, value) pairs: hashable, and equal for equal settings."""
    items = params.items() if isinstance(params, dict) else [tuple(p) for p in params]
    out = tuple(sorted((str(name), value) for name, value in items))
    if len({name for name, _ in out}) != len(out):
        raise ValueError(f"a hyper-parameter is given twice: {[name for name, _ in out]}")
    return out


def check_params(objective: str, params: dict, k: int = 4, n: int = 8) -> None:
    """Raise one clear ``ValueError`` if ``params`` are not valid hyper-parameters of ``objective``.

    Names are checked against ``ESTIMATORS[objective].params``; values by calling the method once
    on a small synthetic batch in the lab's layout (torch, one correct sample among n), so its own
    checks speak (a negative lambda, a UCB constant <= 0, ...). Without params nothing is called.

    Examples
    --------
    >>> check_params("w_reinforce", {"lam": 0.1})
    >>> check_params("w_reinforce", {"lam": -1.0})
    Traceback (most recent call last):
    ...
    ValueError: objective 'w_reinforce': lam must be a finite number >= 0, got -1.0
    """
    import torch

    from course_lib import advantages

    est = advantages.estimator(objective)
    unknown = sorted(set(params) - set(est.params))
    if unknown:
        accepted = ", ".join(sorted(est.params)) or "none"
        raise ValueError(f"objective {objective!r} has no hyper-parameter {unknown[0]!r}; it accepts: {accepted}")
    if not params:  # the method's own defaults
        return
    rewards = torch.zeros(1, n)  # the lab's layout: torch tensors, one group of n samples, one correct
    rewards[0, 0] = 1.0
    group = advantages.Group(
        rewards=rewards,
        logp=-torch.arange(1.0, n + 1)[None],
        answer_ids=torch.arange(n)[None] % 3,
        prompt_ids=torch.zeros(1, dtype=torch.long),
        state={},
    )
    try:
        advantages.loss_weights(objective, group, k=k, **params)
    except (ValueError, TypeError) as err:
        raise ValueError(f"objective {objective!r}: {err}") from None
