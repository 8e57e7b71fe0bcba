"""One RL step of the lab, and one evaluation (chapter 5).

Taught in ``notebooks/05_policy_gradient_lab.ipynb``; the loop around the step (files, resume,
Ctrl-C) is :mod:`course_lib.lab.loop`, the CLI front ``passk lab`` is :mod:`course_lib.lab.cli`.
One RL step, in the order of the pseudocode:

1. draw B seen targets, sample n answers per prompt with the autograd graph kept
   (:func:`course_lib.lab.model.sample_answers`);
2. rewards r = V(x, y) in {0, 1}, shape (B, n);
3. per-sample weights w (B, n) from the estimator registry, ``advantages.loss_weights(objective, ...)``
   (GRPO, RLOO, Chen et al.'s pass@k advantage, PKPO, ... in "sum form": w = adv / n for a
   mean-form advantage);
4. loss = -mean_b sum_i w_bi log pi(y_bi), minus an optional entropy bonus, plus an optional KL
   penalty beta * KL(pi || pi_ref) to the frozen warm-started model (the registry's loss term
   ``kl``, k3 on the samples; ProRL, arXiv 2505.24864), whose reference can be reset to the
   current policy every ``ref_reset_every`` steps (ProRL also resets the optimiser: so does the lab);
5. one Adam step (logged: the gradient's norm and the norm of the step Adam actually took).

Runs are seeded and use deterministic algorithms (:func:`course_lib.lab._runtime.reproducible`): the same seed gives the
same numbers on CPU with the same thread count, and a GPU run repeats itself; GPU results differ
from CPU ones in the last bits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from course_lib import advantages
from course_lib.lab._runtime import adam, resolve_device, total_norm
from course_lib.lab.base_model import warm_start
from course_lib.lab.config import LabConfig
from course_lib.lab.metrics import exact_metrics, sampled_metrics
from course_lib.lab.model import GPT, answer_logprobs, sample_answers


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
    estimator_state: dict = field(default_factory=dict)
    """The objective's own state across steps (``advantages.Group.state``; empty for most methods)."""
    ref_model: GPT | None = None
    """Frozen reference policy of the KL term (None when ``kl_coef`` is 0)."""
    last_rollout: tuple | None = None
    """(step, targets, answers, rewards) of the last RL step, for ``--dump-dir`` (:mod:`course_lib.lab.dumps`)."""


def make_state(cfg: LabConfig, use_cache: bool = True) -> LabState:
    """A fresh run: the warm-started model on the run's device, Adam, seeded generators."""
    device = resolve_device(cfg.device)
    model = warm_start(cfg.model_config, cfg.task, cfg.warm, use_cache=use_cache, threads=cfg.threads).to(device)
    opt = adam(model.parameters(), cfg.lr, device)
    sample_gen = torch.Generator(device=device).manual_seed(cfg.seed)
    prompt_gen = torch.Generator().manual_seed(cfg.seed + 1_000_003)
    return LabState(cfg, model, opt, sample_gen, prompt_gen, ref_model=frozen_copy(model) if cfg.kl_coef else None)


def frozen_copy(model: GPT) -> GPT:
    """A copy of ``model`` with no gradients, the KL term's reference policy."""
    import copy

    ref = copy.deepcopy(model)
    for p in ref.parameters():
        p.requires_grad_(False)
    return ref


def reset_reference(state: LabState) -> None:
    """ProRL's reference reset: the reference becomes the current policy and Adam starts afresh."""
    state.ref_model = frozen_copy(state.model)
    state.opt = adam(state.model.parameters(), state.cfg.lr, next(state.model.parameters()).device)


def current_k(cfg: LabConfig, step: int) -> int:
    """k the objective uses at ``step`` (logged as ``train/k``; 1 for the pass@1 methods).

    The registry's schedule (:func:`course_lib.advantages.k_at_step`): k throughout, or k for the
    first ``anneal_frac`` of the steps and then 1 for a method whose recipe anneals k (PKPO, Chen et al.'s recipe).
    """
    if not advantages.estimator(cfg.objective).uses_k:
        return 1
    return advantages.k_at_step(cfg.objective, step, cfg.steps, cfg.k, cfg.anneal_frac)


def objective_weights(objective: str, r: torch.Tensor, k: int, params: dict | None = None, **context) -> torch.Tensor:
    """Per-sample weights w (B, n) such that the loss is -mean_b sum_i w_bi log pi(y_bi).

    The registry's :func:`course_lib.advantages.loss_weights` (sum form: a mean-form advantage
    divided by n). ``context`` holds the optional fields of :class:`course_lib.advantages.Group`
    (``logp``, ``answer_ids``, ``prompt_ids``, ``state``) for the methods that need them;
    ``params`` the method's hyper-parameters (``LabConfig.params``).
    """
    return advantages.loss_weights(objective, advantages.Group(rewards=r, **context), k=k, **(params or {}))


def rl_step(state: LabState) -> dict:
    """One RL step (sample, reward, advantage, loss, Adam); returns the training metrics.

    ``train/reward`` (mean reward of the batch), ``train/all_fail_frac`` (share of groups with no
    correct sample: their weights, hence their gradient, are exactly 0), ``train/entropy`` (mean
    token entropy of the samples), ``train/loss``, ``train/grad_norm`` (norm of the gradient),
    ``train/update_norm`` (norm of the parameter change Adam made: set by the learning rate and by
    each gradient entry's size relative to its running average, not by the gradient's raw scale),
    ``train/k`` (the k of the objective at this step) and, with a KL term, ``train/kl`` (the k3
    estimate of KL(pi || pi_ref) on the batch).
    """
    cfg, model, task = state.cfg, state.model, state.cfg.task
    if cfg.kl_coef and cfg.ref_reset_every and state.step and state.step % cfg.ref_reset_every == 0:
        reset_reference(state)
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
    w = objective_weights(  # (B, n), no gradient; the context is there for methods that need it
        cfg.objective,
        r,
        k,
        cfg.method_params,
        logp=roll.logp.detach(),
        answer_ids=task.answer_ids(roll.answers),
        prompt_ids=targets.to(device),
        state=state.estimator_state,
    )
    loss = -(w * roll.logp).sum(1).mean()
    if cfg.entropy_coef:  # skipped at 0: no backward pass through the entropies
        # Not advantages.loss_term("entropy", coef, logits=...): given the (B n, L, 10) digit
        # log-probs, that term averages the entropy over all (sample, position) pairs in one
        # reduction, where the lab averages per sample first (train/entropy). Same value, but not
        # bit for bit (the reduction order differs: the last bit moves in about half of random
        # batches), and the lab's numbers must not move.
        loss = loss - cfg.entropy_coef * roll.entropy.mean()
    kl = None
    if cfg.kl_coef:  # the registry's term is -beta * KL, to add to the objective: subtract it from the loss
        with torch.no_grad():
            B, n, L = roll.answers.shape
            prompts = task.prompts(targets).to(device).repeat_interleave(n, 0)  # (B n, P)
            ref_logp = answer_logprobs(state.ref_model, prompts, roll.answers.reshape(B * n, L), cfg.temperature)
        term = advantages.loss_term("kl", cfg.kl_coef, logp=roll.logp, ref_logp=ref_logp.view(B, n))
        loss = loss - term
        kl = float(-term.detach()) / cfg.kl_coef
    state.opt.zero_grad(set_to_none=True)
    loss.backward()
    grad_norm = total_norm([p.grad for p in model.parameters() if p.grad is not None])
    before = [p.detach().clone() for p in model.parameters()]
    state.opt.step()
    # Adam divides by a running RMS of each gradient entry, so its step is not the gradient rescaled
    update_norm = total_norm([p.detach() - b for p, b in zip(model.parameters(), before, strict=True)])
    state.step += 1
    state.last_rollout = (state.step, targets, roll.answers.detach(), r)
    extra = {} if kl is None else {"train/kl": kl}
    return {
        "step": state.step,
        "train/reward": float(r.mean()),
        "train/all_fail_frac": float((r.sum(1) == 0).float().mean()),
        "train/entropy": float(roll.entropy.detach().mean()),
        "train/loss": float(loss.detach()),
        "train/grad_norm": float(grad_norm),
        "train/update_norm": float(update_norm),
        "train/k": k,
        **extra,
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
            m = exact_metrics(state.model, task, targets, cfg.metric_ks, cfg.eval_samples, cfg.temperature, cfg.k_cover)
        else:  # its own generator, seeded by (seed, step): resuming cannot shift it
            device = next(state.model.parameters()).device
            gen = torch.Generator(device=device).manual_seed(cfg.seed * 100_003 + state.step)
            m = sampled_metrics(
                state.model, task, targets, cfg.metric_ks, cfg.eval_samples, cfg.temperature, gen, cfg.k_cover
            )
        m["p"] = [round(float(x), 6) for x in m["p"]]  # per-prompt pass@1 (alpha_k per prompt follows)
        out.update({f"{prefix}/{key}": None if value != value else value for key, value in m.items()})  # NaN -> null
    return out
