"""A lab run's samples in verl's dump format (``passk lab run --dump-dir``), for ``passk monitor``.

verl writes, per step, ``{step}.jsonl`` into ``trainer.rollout_data_dir`` (the training groups) and
``trainer.validation_data_dir`` (the validation samples): one JSON object per sample with ``input``,
``output``, ``gts``, ``score`` and ``step``, then extra keys (``_write_generations`` in verl 0.9.1).
The lab writes the same into ``<dump-dir>/rollouts/`` (every step: the step's prompts and their n
samples, with their rewards) and ``<dump-dir>/validation/`` (every evaluation: ``eval_samples``
samples of every target, seen and held out, marked by the extra key ``split``), with ``uid`` as
verl's v1 trainer writes it, so the monitor reads a lab run as it reads a verl run. A file is
written under a hidden name and renamed, so a reader never sees half of it.

The validation samples are drawn with their own generator, seeded by (seed, step), with no
gradient: a run writes the same history with or without ``--dump-dir``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from course_lib.lab.model import sample_answers

__all__ = ["ROLLOUTS", "VALIDATION", "write_generations", "write_step"]

ROLLOUTS, VALIDATION = "rollouts", "validation"
"""The two sub-folders of a dump folder (as the course's verl scripts name theirs)."""


def write_generations(folder, step: int, rows: list[dict]) -> Path:
    """``folder/{step}.jsonl`` with one line per row, as verl writes it (``ensure_ascii=False``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{step}.jsonl"
    tmp = folder / f".{step}.jsonl.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return path


def _rows(task, targets: torch.Tensor, answers: torch.Tensor, rewards: torch.Tensor, step: int, **extra) -> list[dict]:
    """One row per sample: prompt, answer digits, ground truth (the target), reward, step, extras, uid.

    ``uid`` is verl's v1 form ``{group}_{sample}_0``: the lab draws prompts with replacement, so one
    step may hold two groups of the same prompt, which the uid keeps apart.
    """
    targets, answers, rewards = targets.cpu().tolist(), answers.cpu().tolist(), rewards.cpu().tolist()
    rows = []
    for b, target in enumerate(targets):
        prompt = f"{task.answer_len} digits adding up to {target} ="
        for i, (answer, reward) in enumerate(zip(answers[b], rewards[b], strict=True)):
            row = {"input": prompt, "output": "".join(map(str, answer)), "gts": str(target)}
            row.update(score=float(reward), step=step, **{k: v[b] for k, v in extra.items()})
            row["uid"] = f"step{step}-group{b}_{i}_0"
            rows.append(row)
    return rows


@torch.no_grad()
def _validation(state) -> list[dict]:
    cfg, task = state.cfg, state.cfg.task
    device = next(state.model.parameters()).device
    targets = torch.cat([task.seen_targets, task.held_out_targets])
    split = ["seen"] * len(task.seen_targets) + ["held"] * len(task.held_out_targets)
    gen = torch.Generator(device=device).manual_seed(cfg.seed * 100_019 + state.step + 7)
    roll = sample_answers(
        state.model,
        task.prompts(targets).to(device),
        cfg.eval_samples,
        task.answer_len,
        temperature=cfg.temperature,
        generator=gen,
        use_cache=cfg.kv_cache,
    )
    rewards = task.verify(targets.to(device), roll.answers).float()
    return _rows(task, targets, roll.answers, rewards, state.step, split=split)


def write_step(folder, state, *, validation: bool) -> None:
    """The dumps of the step just taken: its rollouts (if it trained), and validation samples if asked."""
    if state.last_rollout is not None and state.last_rollout[0] == state.step:
        _, targets, answers, rewards = state.last_rollout
        write_generations(
            Path(folder) / ROLLOUTS, state.step, _rows(state.cfg.task, targets, answers, rewards, state.step)
        )
    if validation:
        write_generations(Path(folder) / VALIDATION, state.step, _validation(state))
