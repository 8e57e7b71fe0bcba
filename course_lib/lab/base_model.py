"""The base model of the lab: a supervised warm start on a mixture of solution styles, cached on disk.

RL needs a policy that already solves some prompts in several ways; this gives it (chapter 5).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

import torch

from course_lib.lab._runtime import cpu_kernels, reproducible
from course_lib.lab.config import WarmStartConfig
from course_lib.lab.model import GPT, GPTConfig, answer_logprobs
from course_lib.lab.task import DigitSumTask


def cache_dir() -> Path:
    """Where warm-start checkpoints are cached: ``$PASSK_CACHE`` or ``~/.cache/passk-course``."""
    return Path(os.environ.get("PASSK_CACHE") or Path.home() / ".cache" / "passk-course")


def _code_version() -> str:
    """Hash of the source of the model, the task and the warm start (the checkpoint's recipe)."""
    import inspect

    from course_lib.lab import model, task

    try:
        source = "".join(inspect.getsource(obj) for obj in (model, task, warm_start))
    except (OSError, TypeError):  # no source files (a frozen install): fall back to the version
        from course_lib import __version__ as source
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def warm_start_path(model_cfg: GPTConfig, task: DigitSumTask, warm: WarmStartConfig, threads: int = 1) -> Path:
    """The cache file of :func:`warm_start` for these settings (it exists once the warm start has been trained)."""
    key = json.dumps(
        [asdict(model_cfg), asdict(task), asdict(warm), threads, torch.__version__, _code_version(), cpu_kernels()],
        sort_keys=True,
    )
    return cache_dir() / f"warm-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pt"


def warm_start(
    model_cfg: GPTConfig,
    task: DigitSumTask,
    warm: WarmStartConfig = WarmStartConfig(),
    use_cache: bool = True,
    threads: int = 1,
) -> GPT:
    """The warm-started model (on CPU): supervised training on the style mixture, cached on disk.

    Trained on CPU with ``threads`` threads so that a checkpoint is the same on every device; the
    cache key is a hash of the three configs, the thread count, the torch version, the CPU kernels
    (:func:`course_lib.lab._runtime.cpu_kernels`) and the source of the code that trains it (model,
    task, this function), so a changed model never loads a stale checkpoint.
    """
    path = warm_start_path(model_cfg, task, warm, threads)
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
