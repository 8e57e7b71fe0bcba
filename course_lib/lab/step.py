"""One RL step of the lab, and one evaluation (chapter 5).

Taught in ``notebooks/05_policy_gradient_lab.ipynb``; the loop around the step (files, resume,
Ctrl-C) is :mod:`course_lib.lab.loop`, the CLI front ``passk lab`` is :mod:`course_lib.lab.cli`.
One RL step, in the order of the pseudocode:

1. draw B seen targets, sample n answers per prompt with the autograd graph kept
   (:func:`course_lib.lab.model.sample_answers`);
2. rewards r = V(x, y) in {0, 1}, shape (B, n);
3. advantages from :mod:`course_lib.advantages` (GRPO, RLOO, Chen et al.'s analytic pass@k, PKPO);
4. loss = -mean_b sum_i w_bi log pi(y_bi) (w = adv / n in the "mean form", the PKPO weights in
   the "sum form"), minus an optional entropy bonus; no KL term;
5. one Adam step.

Runs are seeded and use deterministic algorithms (:func:`course_lib.lab._runtime.reproducible`): the same seed gives the
same numbers on CPU with the same thread count, and a GPU run repeats itself; GPU results differ
from CPU ones in the last bits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from course_lib import advantages
from course_lib.lab._runtime import resolve_device
from course_lib.lab.base_model import warm_start
from course_lib.lab.config import OBJECTIVES, LabConfig
from course_lib.lab.metrics import exact_metrics, sampled_metrics
from course_lib.lab.model import GPT, sample_answers


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
    roll = sample_answers(
        model,
        task.prompts(targets).to(device),
        cfg.n,
        task.answer_len,
        temperature=cfg.temperature,
        generator=state.sample_gen,
        use_cache=cfg.kv_cache,
    )
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
