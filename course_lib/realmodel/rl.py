r"""A short RLVR run on the real model: the course's estimators, top-layer training, verl-style dumps (chapter 8).

One step, in the order of the pseudocode (GRPO, Shao et al., arXiv 2402.03300):

1. draw ``prompts_per_step`` prompts of the seen set (the same prompts at each step for every method
   and seed pair: paired comparisons);
2. sample ``group_size`` answers per prompt from the current policy at temperature T
   (:func:`course_lib.realmodel.sampler.sample`, the few-shot prefix encoded once);
3. rewards r = V(x, y) in {0, 1}; per-sample weights w from the course's registry,
   ``loss_weights(method, rewards, k=k)`` (GRPO, Chen et al.'s pass@k advantage, ``grpo_alpha``: the
   same functions as chapters 4-6, not re-implemented here);
4. loss = -(1/B) sum_b sum_i w_bi log pi(y_bi | x_b), the log-prob over the answer's tokens up to its
   first newline (:func:`course_lib.realmodel.sampler.answer_logprobs`, exact gradient through the
   shared prefix's keys and values); one Adam step on the top ``train_layers`` transformer blocks and
   the final norm (the rest frozen: 14.2 M of 134.5 M parameters for 4 blocks).

On-policy, one update per batch, so there is no ratio or clipping (PPO's ratio is 1 at the first
update). A group whose weights are all zero (all right or all wrong for GRPO) adds nothing and is
skipped. Every step writes verl's rollout dump ``rollouts/{step}.jsonl.gz`` (``input``, ``output``,
``gts``, ``score``, ``step``, plus ``acc`` and ``pred``), read by ``passk monitor``; evaluations
write ``validation/{step}.jsonl.gz`` the same way.
"""

from __future__ import annotations

import gzip
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from course_lib.advantages import loss_weights
from course_lib.advantages.registry import estimator
from course_lib.realmodel.sampler import (
    answer_logprobs_prompts,
    answer_mask,
    encode_prefix,
    sample_prompts,
)
from course_lib.realmodel.task import AdditionTask, parse_answer

__all__ = ["RLConfig", "Policy", "trainable_parameters", "stop_token_ids", "rl_step", "write_dump"]


@dataclass(frozen=True)
class RLConfig:
    """One RL run on the real model."""

    method: str = "grpo"
    """Key of the estimator registry (``course_lib.advantages.ESTIMATORS``): grpo, chen, grpo_alpha, ..."""
    k: int = 4
    """k of the pass@k methods (ignored by pass@1 methods)."""
    seed: int = 0
    """Seed of the prompt draws and of sampling; the same seed gives every method the same prompts."""
    steps: int = 30
    """RL steps."""
    prompts_per_step: int = 16
    """B, prompts per step (drawn from the seen set without replacement)."""
    group_size: int = 8
    """G, samples per prompt."""
    lr: float = 2e-5
    """Adam's learning rate."""
    train_layers: int = 4
    """Transformer blocks trained, counted from the top (plus the final norm)."""
    temperature: float = 1.0
    """Sampling temperature of the policy (the loss uses the same softmax(z / T))."""
    eval_every: int = 10
    """Exact canonical-answer probabilities of every prompt every this many steps (and at the end)."""
    eval_samples: int = 32
    """Held-out samples per prompt at the end (pass@k for k <= this)."""
    threads: int = 2
    """CPU threads (pinned: the thread count changes the last bits)."""

    def __post_init__(self):
        estimator(self.method)  # a clear error for an unknown key
        for name in ("steps", "prompts_per_step", "group_size", "train_layers", "eval_every", "eval_samples"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not self.temperature > 0 or not self.lr > 0:
            raise ValueError("temperature and lr must be > 0")


def trainable_parameters(model, layers: int) -> list[torch.nn.Parameter]:
    """Freeze the model but its top ``layers`` blocks and final norm; return those parameters.

    The embedding (tied to the output layer) and the lower blocks stay frozen, so autograd records
    nothing below the first trained block: the backward pass and Adam's state cover 14.2 M
    parameters for 4 blocks, not 134.5 M.
    """
    blocks = model.model.layers
    if not 1 <= layers <= len(blocks):
        raise ValueError(f"layers must lie in 1..{len(blocks)}, got {layers}")
    for p in model.parameters():
        p.requires_grad_(False)
    params = [p for block in blocks[-layers:] for p in block.parameters()] + list(model.model.norm.parameters())
    for p in params:
        p.requires_grad_(True)
    return params


def stop_token_ids(tokenizer) -> list[int]:
    """Ids of the tokens that end an answer: every token whose text holds a newline, and end-of-text."""
    texts = tokenizer.batch_decode([[i] for i in range(len(tokenizer))])
    ids = [i for i, t in enumerate(texts) if "\n" in t]
    return sorted(set(ids) | {tokenizer.eos_token_id})


class Policy:
    """The model with the task's prompts tokenized once: what sampling, scoring and the loss need."""

    def __init__(self, model, tokenizer, task: AdditionTask | None = None):
        task = AdditionTask() if task is None else task
        self.model, self.tokenizer, self.task = model, tokenizer, task
        pairs = task.seen + task.held_out
        self.prefix_ids, ids = task.token_ids(tokenizer, pairs)
        self.ids = dict(zip(pairs, ids, strict=True))
        self.stop = stop_token_ids(tokenizer)

    @property
    def device(self) -> torch.device:
        """Where the model is (sampling and the loss run there)."""
        return next(self.model.parameters()).device

    def generator(self, seed) -> torch.Generator:
        """A torch generator on the model's device, seeded from ``seed`` (an int or a list of ints) through NumPy."""
        return torch.Generator(self.device).manual_seed(int(np.random.default_rng(seed).integers(2**62)))

    def prefix(self):
        """The few-shot prefix encoded once (with gradients when they are enabled)."""
        return encode_prefix(self.model, self.prefix_ids)

    def sample(self, pairs, n: int, temperature: float, generator: torch.Generator) -> list[dict]:
        """n samples per prompt of ``pairs``: a dict per prompt with tokens, texts, answers and rewards."""
        with torch.no_grad():
            tokens = sample_prompts(
                self.model,
                [self.ids[p] for p in pairs],
                n,
                temperature=temperature,
                generator=generator,
                max_new_tokens=self.task.max_new_tokens,
                prefix=self.prefix(),
            )
        groups = []
        for (a, b), toks in zip(pairs, tokens, strict=True):
            texts = self.tokenizer.batch_decode(toks, skip_special_tokens=False)
            answers = [parse_answer(t) for t in texts]
            rewards = np.array([self.task.is_correct(x, a, b) for x in answers], dtype=np.float64)
            groups.append({"pair": (a, b), "tokens": toks, "texts": texts, "answers": answers, "rewards": rewards})
        return groups

    def canonical_probs(self, pairs, temperature: float = 1.0) -> np.ndarray:
        """Exact probability, per prompt, of the canonical completion ``" {a + b}\\n"`` (teacher forcing).

        A lower bound on pass@1 (other spellings of the sum, e.g. ``" 24 \\n"``, also pass), exact
        for the canonical form; one short forward pass per prompt, no sampling noise.
        """
        answers = [self.tokenizer(self.task.canonical(a, b)).input_ids for a, b in pairs]
        width = max(map(len, answers))  # " 8\n" is 3 tokens, " 24\n" 4: pad, and mask the padding out
        padded = [torch.tensor([ids + [self.tokenizer.eos_token_id] * (width - len(ids))]) for ids in answers]
        masks = [torch.tensor([[True] * len(ids) + [False] * (width - len(ids))]) for ids in answers]
        out = np.empty(len(pairs))
        with torch.no_grad():
            calls = answer_logprobs_prompts(
                self.model,
                [self.ids[p] for p in pairs],
                padded,
                temperature=temperature,
                masks=masks,
                prefix=self.prefix(),
            )
            for idx, logp in calls:
                out[idx] = logp[:, 0].exp().cpu().numpy()
        return out


def rl_step(policy: Policy, opt: torch.optim.Optimizer, cfg: RLConfig, step: int) -> tuple[dict, list[dict]]:
    """One RL step (module docstring); returns the step's record and its dump lines."""
    task = policy.task
    rng = np.random.default_rng([cfg.seed, step])
    pairs = [task.seen[i] for i in rng.choice(len(task.seen), size=cfg.prompts_per_step, replace=False)]
    gen = policy.generator([cfg.seed, step, 1])
    t0 = time.perf_counter()
    groups = policy.sample(pairs, cfg.group_size, cfg.temperature, gen)  # 1-2. sample
    t1 = time.perf_counter()
    rewards = np.stack([g["rewards"] for g in groups])  # 3. rewards (B, G) and weights
    w = np.asarray(loss_weights(cfg.method, rewards, k=cfg.k), dtype=np.float64)
    active = [b for b in range(len(groups)) if np.any(w[b] != 0)]
    opt.zero_grad(set_to_none=True)
    loss_value = 0.0
    if active:  # 4. loss on the answers' tokens; a backward pass per call, through the shared prefix
        prefix = policy.prefix()
        calls = answer_logprobs_prompts(
            policy.model,
            [policy.ids[groups[b]["pair"]] for b in active],
            [groups[b]["tokens"] for b in active],
            temperature=cfg.temperature,
            masks=[answer_mask(groups[b]["tokens"], policy.stop) for b in active],
            prefix=prefix,
        )
        weights = torch.as_tensor(w[active], dtype=torch.float32, device=policy.device)
        for idx, logp in calls:
            loss = -(weights[idx] * logp).sum() / len(groups)
            loss.backward(retain_graph=True)  # the prefix's graph is shared by every call
            loss_value += float(loss.detach())
        opt.step()
    t2 = time.perf_counter()
    c = rewards.sum(axis=1)
    record = {
        "step": step,
        "pass_rate": float(rewards.mean()),
        "zero_signal": float(np.mean((c == 0) | (c == cfg.group_size))),  # GRPO's all-right/all-wrong groups
        "zero_weight": 1 - len(active) / len(groups),  # this method's groups with no gradient
        "distinct_answers": float(np.mean([len(set(g["answers"])) for g in groups])),
        "loss": loss_value,
        "sample_s": t1 - t0,
        "update_s": t2 - t1,
    }
    return record, dump_lines(task, groups, step)


def dump_lines(task: AdditionTask, groups: list[dict], step: int) -> list[dict]:
    """verl's generation-dump lines of sampled groups (``input``, ``output``, ``gts``, ``score``, ``step``, ...)."""
    lines = []
    for g in groups:
        a, b = g["pair"]
        for text, ans, r in zip(g["texts"], g["answers"], g["rewards"], strict=True):
            lines.append(
                {
                    "input": task.prompt(a, b),
                    "output": text,
                    "gts": str(task.answer(a, b)),
                    "score": float(r),
                    "step": step,
                    "acc": bool(r),
                    "pred": ans,
                }
            )
    return lines


def write_dump(folder: str | Path, step: int, lines: list[dict]) -> Path:
    """Write ``folder/{step}.jsonl.gz`` (byte-reproducible: no time stamp in the gzip header)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{step}.jsonl.gz"
    data = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
        f.write(data)
    tmp.replace(path)
    return path


def config_dict(cfg: RLConfig) -> dict:
    """The config as a plain dict (for results files)."""
    return asdict(cfg)


# ----------------------------------------------------------------------------- a run
def held_out_reading(policy: Policy, samples: int, temperature: float, seed: int) -> tuple[dict, list[dict]]:
    """The held-out set read by sampling: per-prompt ``n, c``, the blind baseline's, distinct answers; dump lines.

    The generator's seed depends only on ``seed``, so a base model and the runs trained from it are read
    with the same random stream (paired readings).
    """
    from course_lib.realmodel.task import blind_counts

    task = policy.task
    gen = policy.generator([seed, 7])
    groups = policy.sample(task.held_out, samples, temperature, gen)
    c = np.array([int(g["rewards"].sum()) for g in groups])
    blind_n, blind_c = blind_counts([g["answers"] for g in groups], [str(task.answer(*g["pair"])) for g in groups])
    reading = {
        "ids": [task.task_id(*g["pair"]) for g in groups],
        "n": [samples] * len(groups),
        "c": c.tolist(),
        "blind_n": blind_n.tolist(),
        "blind_c": blind_c.tolist(),
        "distinct_answers": [len(set(g["answers"])) for g in groups],
    }
    return reading, dump_lines(task, groups, 0)


def run(policy: Policy, cfg: RLConfig, out: str | Path | None = None, progress=None) -> dict:
    """Train the policy's model with ``cfg`` from its current weights; the record of the run.

    Writes ``out/rollouts/{step}.jsonl.gz`` for steps 1..steps and ``out/validation/{steps}.jsonl.gz``
    (held-out samples after training) when ``out`` is given. The caller restores the base weights
    between runs (:func:`base_state`, :func:`restore`). ``progress(step, record)`` is called after each step.
    """
    from course_lib.lab._runtime import adam, reproducible

    model = policy.model
    device = next(model.parameters()).device
    params = trainable_parameters(model, cfg.train_layers)
    opt = adam(params, cfg.lr, device)
    history, t0 = [], time.perf_counter()
    with reproducible(cfg.threads):
        for step in range(1, cfg.steps + 1):
            record, lines = rl_step(policy, opt, cfg, step)
            if out is not None:
                write_dump(Path(out) / "rollouts", step, lines)
            if step % cfg.eval_every == 0 or step == cfg.steps:
                final = {
                    f"canonical_{w}": policy.canonical_probs(policy.task.prompts(w), cfg.temperature).tolist()
                    for w in ("seen", "held_out")
                }
                record.update({key: float(np.mean(value)) for key, value in final.items()})
            history.append(record)
            if progress is not None:
                progress(step, record)
        reading, lines = held_out_reading(policy, cfg.eval_samples, cfg.temperature, cfg.seed)
        if out is not None:
            write_dump(Path(out) / "validation", cfg.steps, [{**line, "step": cfg.steps} for line in lines])
    for p in model.parameters():
        p.requires_grad_(False)
    return {
        "config": config_dict(cfg),
        "history": history,
        "final": {**final, "held_out": reading},
        "wall_s": round(time.perf_counter() - t0, 1),
    }


def base_state(model, layers: int) -> dict:
    """A copy of the weights a run with ``layers`` trained blocks can change (to restore them after the run)."""
    keep = {f"model.layers.{i}." for i in range(len(model.model.layers) - layers, len(model.model.layers))}
    return {
        k: v.detach().clone()
        for k, v in model.state_dict().items()
        if any(k.startswith(p) for p in keep) or k.startswith("model.norm.")
    }


def restore(model, state: dict) -> None:
    """Put back the weights saved by :func:`base_state`."""
    missing = set(state) - set(model.state_dict())
    if missing:
        raise ValueError(f"state holds unknown weights: {sorted(missing)[:3]}")
    with torch.no_grad():
        params = dict(model.named_parameters())
        for k, v in state.items():
            params[k].copy_(v)
