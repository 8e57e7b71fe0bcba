"""The policy-gradient lab: configuration, warm start, one RL step, evaluation (chapter 5).

Taught in ``notebooks/05_policy_gradient_lab.ipynb``; the loop around the step (files, resume,
Ctrl-C) is :mod:`course_lib.lab_loop`, the CLI front ``passk lab`` is :mod:`course_lib.lab_cli`.
One RL step, in the order of the pseudocode:

1. draw B seen targets, sample n answers per prompt with the autograd graph kept
   (:func:`course_lib.model.sample_answers`);
2. rewards r = V(x, y) in {0, 1}, shape (B, n);
3. advantages from :mod:`course_lib.advantages` (GRPO, RLOO, Chen et al.'s analytic pass@k, PKPO);
4. loss = -mean_b sum_i w_bi log pi(y_bi) (w = adv / n in the "mean form", the PKPO weights in
   the "sum form"), minus an optional entropy bonus; no KL term;
5. one Adam step.

Runs are seeded and use deterministic algorithms (:func:`reproducible`): the same seed gives the
same numbers on CPU with the same thread count, and a GPU run repeats itself; GPU results differ
from CPU ones in the last bits.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from course_lib import advantages
from course_lib._checks import as_positive_int
from course_lib.lab_metrics import exact_metrics, sampled_metrics
from course_lib.model import GPT, GPTConfig, answer_logprobs, sample_answers
from course_lib.tasks import DigitSumTask

# Deterministic cuBLAS needs this set before the first CUDA matmul of the process, so it is set when
# the lab is imported (if the user has not chosen a value); no effect on a CPU.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

OBJECTIVES = {
    "grpo": "GRPO, pass@1 reward (Shao et al., arXiv 2402.03300)",
    "rloo": "REINFORCE leave-one-out, pass@1 reward (Ahmadian et al., arXiv 2402.14740)",
    "passk": "Chen et al. analytic pass@k group advantage (arXiv 2508.10751)",
    "pkpo": "PKPO pass@k weights, loo-1 baseline, k annealed to 1 (Walder & Karkhanis, arXiv 2505.15201)",
}
"""Training objectives of the lab."""


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
    """Training objective: grpo | rloo | passk | pkpo."""
    k: int = 4
    """k of the pass@k objective (passk, pkpo) and of the headline metrics."""
    steps: int = 150
    """RL steps."""
    prompts_per_step: int = 32
    """B, prompts per step (seen targets, drawn with replacement)."""
    n: int = 8
    """Samples per prompt (group size); must exceed k for the pass@k objectives."""
    lr: float = 3e-3
    """Adam learning rate."""
    entropy_coef: float = 0.0
    """Weight of the token-entropy bonus (0: none)."""
    temperature: float = 1.0
    """Sampling temperature (the policy is softmax(logits / temperature))."""
    pkpo_anneal: float = 0.5
    """PKPO: fraction of the steps trained with k, after which k = 1."""
    seed: int = 0
    """Seed of prompts and samples (the warm start has its own seed)."""
    eval_every: int = 10
    """Evaluate the exact metrics every this many steps (and at the last step)."""
    eval_samples: int = 32
    """m, samples per prompt behind ``distinct_correct`` (and sampled metrics)."""
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
    """CPU threads, pinned (the count changes the last bits). 1: at this size a second thread
    gains little, and it stalls badly when another process shares the cores."""
    kv_cache: bool = True
    """Sample with the key/value cache (False: re-run the prefix; same samples, slower)."""
    device: str = "auto"
    """auto (CUDA, then MPS, then CPU) | cpu | cuda | mps."""
    warm: WarmStartConfig = field(default_factory=WarmStartConfig)
    """Warm-start settings."""

    def __post_init__(self):
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {sorted(OBJECTIVES)}, got {self.objective!r}")
        for name in ("k", "steps", "prompts_per_step", "n", "eval_every", "eval_samples", "threads"):
            as_positive_int(name, getattr(self, name))
        if self.objective in ("passk", "pkpo") and not 2 <= self.k < self.n:
            raise ValueError(f"k must satisfy 2 <= k < n for objective {self.objective!r}, got k={self.k}, n={self.n}")
        if self.lr <= 0 or self.temperature <= 0 or self.entropy_coef < 0:
            raise ValueError("lr and temperature must be > 0 and entropy_coef >= 0")
        if not 0 <= self.pkpo_anneal <= 1:
            raise ValueError(f"pkpo_anneal must lie in [0, 1], got {self.pkpo_anneal}")

    @property
    def task(self) -> DigitSumTask:
        """The task this run trains on."""
        return DigitSumTask(answer_len=self.answer_len, held_out=tuple(self.held_out))

    @property
    def model_config(self) -> GPTConfig:
        """The model size of this run."""
        return GPTConfig(n_layer=self.n_layer, n_head=self.n_head, d_model=self.d_model,
                         block_size=4 + self.answer_len)

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
        d["warm"] = WarmStartConfig(**{**d.get("warm", {}), "mix": tuple(d.get("warm", {}).get("mix", WarmStartConfig.mix))})
        d["held_out"] = tuple(d.get("held_out", DigitSumTask.held_out))
        return cls(**d)


# ---------------------------------------------------------------------------------------- warm start
def cache_dir() -> Path:
    """Where warm-start checkpoints are cached: ``$PASSK_CACHE`` or ``~/.cache/passk-course``."""
    return Path(os.environ.get("PASSK_CACHE") or Path.home() / ".cache" / "passk-course")


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed blocks for reuse instead of returning them to the OS; True if done.

    By default blocks over 128 KB come from ``mmap`` and go back on ``free``, so every
    activation of an RL step lands on fresh pages and page-faults on first touch (about 500
    faults per step at d = 128, 1-2 ms of kernel time). A fixed 32 MB threshold keeps them in
    the heap: the "memory allocator" advice of PyTorch's CPU performance tuning guide, without
    swapping the allocator. Process-wide and harmless (freed memory is reused, not leaked);
    a no-op where the C library is not glibc.
    """
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # from glibc's <malloc.h>
    return bool(mallopt(M_MMAP_THRESHOLD, 32 << 20)) and bool(mallopt(M_TRIM_THRESHOLD, 256 << 20))


@contextlib.contextmanager
def reproducible(threads: int):
    """Run a block reproducibly and fast: pinned threads, deterministic algorithms; then restore.

    * ``threads`` CPU threads: the thread count changes how sums are split, so the last bits.
    * ``torch.use_deterministic_algorithms`` (warn-only): on a GPU, ops such as the embedding
      backward otherwise use atomics and differ from run to run (cuBLAS also needs
      ``CUBLAS_WORKSPACE_CONFIG``, set when this module is imported). The debugging aid that
      fills fresh memory with NaN is left off: it costs time and changes no result.
    * Denormals flushed to zero: keeps Adam's tiny second moments from hitting the CPU's slow
      path (a 10-30x slowdown seen at d = 128); it only changes numbers below 1e-38.
    * Freed memory is kept for reuse (:func:`keep_freed_memory`).
    """
    import torch.utils.deterministic as det  # torch >= 2.1

    keep_freed_memory()
    before = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(),
              torch.is_deterministic_algorithms_warn_only_enabled(),
              det.fill_uninitialized_memory)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    det.fill_uninitialized_memory = False
    flushed = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_num_threads(before[0])
        torch.use_deterministic_algorithms(before[1], warn_only=before[2])
        det.fill_uninitialized_memory = before[3]
        if flushed:
            torch.set_flush_denormal(False)


def _code_version() -> str:
    """Hash of the source of the model, the task and the warm start (the checkpoint's recipe)."""
    import inspect

    from course_lib import model, tasks

    try:
        source = "".join(inspect.getsource(obj) for obj in (model, tasks, warm_start))
    except (OSError, TypeError):  # no source files (a frozen install): fall back to the version
        from course_lib import __version__ as source
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def warm_start(model_cfg: GPTConfig, task: DigitSumTask, warm: WarmStartConfig = WarmStartConfig(),
               use_cache: bool = True, threads: int = 1) -> GPT:
    """The warm-started model (on CPU): supervised training on the style mixture, cached on disk.

    Trained on CPU with ``threads`` threads so that a checkpoint is the same on every device; the
    cache key is a hash of the three configs, the thread count, the torch version and the source of
    the code that trains it (model, task, this function), so a changed model never loads a stale
    checkpoint.
    """
    key = json.dumps([asdict(model_cfg), asdict(task), asdict(warm), threads, torch.__version__, _code_version()],
                     sort_keys=True)
    path = cache_dir() / f"warm-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pt"
    model = GPT(model_cfg)
    if use_cache and path.exists():
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return model
    gen = torch.Generator().manual_seed(warm.seed)
    with reproducible(threads):
        torch.manual_seed(warm.seed)
        model = GPT(model_cfg)
        opt = torch.optim.Adam(model.parameters(), lr=warm.lr)
        # one-cycle: the decayed end gives a similar base model for every seed and thread count
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=warm.lr, total_steps=warm.steps)
        for _ in range(warm.steps):
            targets, answers = task.warm_start_batch(warm.batch_size, warm.mix, gen, warm.per_style)
            loss = -answer_logprobs(model, task.prompts(targets), answers).mean() / task.answer_len
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        model.zero_grad(set_to_none=True)  # hand over a model with no stale gradients
    if use_cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        torch.save(model.state_dict(), tmp)
        tmp.replace(path)  # atomic: concurrent notebooks never read half a file
    return model


# ---------------------------------------------------------------------------------------- RL state
def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA, MPS or CPU (:func:`course_lib.env.compute_device`); else the named device."""
    if name == "auto":
        from course_lib.env import compute_device

        return compute_device()
    return torch.device(name)


@dataclass
class LabState:
    """Everything a run needs to continue: model, optimiser, random generators, history."""

    cfg: LabConfig
    model: GPT
    opt: torch.optim.Optimizer
    sample_gen: torch.Generator
    """Draws the answers (on the model's device)."""
    prompt_gen: torch.Generator
    """Draws the prompts (CPU)."""
    step: int = 0
    history: list = field(default_factory=list)
    interrupted: bool = False


def make_state(cfg: LabConfig, use_cache: bool = True) -> LabState:
    """A fresh run: the warm-started model on the run's device, Adam, seeded generators."""
    device = resolve_device(cfg.device)
    model = warm_start(cfg.model_config, cfg.task, cfg.warm, use_cache=use_cache, threads=cfg.threads).to(device)
    try:  # one fused kernel for all parameters (CPU since torch 2.4); the loop version otherwise
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, fused=device.type in ("cpu", "cuda"))
    except (RuntimeError, TypeError):
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sample_gen = torch.Generator(device=device).manual_seed(cfg.seed)
    prompt_gen = torch.Generator().manual_seed(cfg.seed + 1_000_003)
    return LabState(cfg, model, opt, sample_gen, prompt_gen)


def current_k(cfg: LabConfig, step: int) -> int:
    """k used by the objective at ``step``: PKPO anneals k -> 1 after ``pkpo_anneal`` of the steps."""
    if cfg.objective == "pkpo" and step >= cfg.pkpo_anneal * cfg.steps:
        return 1
    return cfg.k if cfg.objective in ("passk", "pkpo") else 1


def objective_weights(objective: str, r: torch.Tensor, k: int) -> torch.Tensor:
    """Per-sample weights w (B, n) such that the loss is -mean_b sum_i w_bi log pi(y_bi).

    GRPO, RLOO and Chen et al.'s advantages are in "mean form" (w = adv / n); PKPO weights are
    already in "sum form". The advantages themselves come from :mod:`course_lib.advantages`.
    """
    n = r.shape[1]
    if objective == "grpo":
        return advantages.grpo(r) / n
    if objective == "rloo":
        return advantages.rloo(r) / n
    if objective == "passk":
        return advantages.passk_group_analytic(r, k) / n
    if objective == "pkpo":  # k = 1 after annealing: the loo-1 baseline needs k >= 2, use RLOO
        return advantages.pkpo(r, k, baseline="loo-1") if k >= 2 else advantages.rloo(r) / n
    raise ValueError(f"objective must be one of {sorted(OBJECTIVES)}, got {objective!r}")


def _total_norm(grads) -> torch.Tensor:
    """Euclidean norm of all gradients together."""
    if not grads:
        return torch.zeros(())
    if hasattr(torch.nn.utils, "get_total_norm"):  # torch >= 2.6: one foreach kernel
        return torch.nn.utils.get_total_norm(grads)
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))


def rl_step(state: LabState) -> dict:
    """One RL step (sample, reward, advantage, loss, Adam); returns the training metrics."""
    cfg, model, task = state.cfg, state.model, state.cfg.task
    device = next(model.parameters()).device
    seen = task.seen_targets
    targets = seen[torch.randint(len(seen), (cfg.prompts_per_step,), generator=state.prompt_gen)]
    roll = sample_answers(model, task.prompts(targets).to(device), cfg.n, task.answer_len,
                          temperature=cfg.temperature, generator=state.sample_gen, use_cache=cfg.kv_cache)
    r = task.verify(targets.to(device), roll.answers).float()  # (B, n) rewards
    k = current_k(cfg, state.step)
    w = objective_weights(cfg.objective, r, k)  # (B, n), no gradient
    loss = -(w * roll.logp).sum(1).mean()
    if cfg.entropy_coef:  # (skipped at 0: no backward pass through the entropies)
        loss = loss - cfg.entropy_coef * roll.entropy.mean()
    state.opt.zero_grad(set_to_none=True)
    loss.backward()
    grad_norm = _total_norm([p.grad for p in model.parameters() if p.grad is not None])
    state.opt.step()
    state.step += 1
    return {
        "step": state.step,
        "train/reward": float(r.mean()),
        "train/all_fail_frac": float((r.sum(1) == 0).float().mean()),
        "train/entropy": float(roll.entropy.detach().mean()),
        "train/loss": float(loss.detach()),
        "train/grad_norm": float(grad_norm),
        "train/k": k,
    }


def evaluate(state: LabState) -> dict:
    """Exact (or sampled) metrics on seen and held-out targets, keys ``seen/...`` and ``held/...``.

    ``seen/p`` and ``held/p`` list the per-prompt pass@1 (targets in increasing order).
    """
    cfg, task = state.cfg, state.cfg.task
    out = {}
    for prefix, targets in (("seen", task.seen_targets), ("held", task.held_out_targets)):
        if len(targets) == 0:
            continue
        if cfg.exact_eval:
            m = exact_metrics(state.model, task, targets, cfg.metric_ks, cfg.eval_samples, cfg.temperature)
        else:  # its own generator, seeded by (seed, step): resuming cannot shift it
            device = next(state.model.parameters()).device
            gen = torch.Generator(device=device).manual_seed(cfg.seed * 100_003 + state.step)
            m = sampled_metrics(state.model, task, targets, cfg.metric_ks, cfg.eval_samples, cfg.temperature, gen)
        m["p"] = [round(float(x), 6) for x in m["p"]]  # per-prompt pass@1 (alpha_k per prompt follows)
        out.update({f"{prefix}/{key}": None if value != value else value for key, value in m.items()})  # NaN -> null
    return out
