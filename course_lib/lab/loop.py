"""The lab's training loop: run, checkpoint, resume, Ctrl-C, histories, runs in parallel (chapter 5).

:func:`train` repeats :func:`course_lib.lab.rl_step` and :func:`course_lib.lab.evaluate`; this module
holds only the plumbing around them (files, progress bar, interruption, several runs).

Files of a run folder: ``config.json`` (the :class:`course_lib.lab.LabConfig`), ``history.jsonl``
(one JSON object per step: ``train/...`` metrics every step, ``seen/...`` and ``held/...`` metrics at
evaluation steps, ``time/s``) and ``checkpoint.pt`` (model, optimiser, generator states, history and
the objective's own state).
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import torch

from course_lib import advantages
from course_lib.lab._runtime import reproducible
from course_lib.lab.config import LabConfig
from course_lib.lab.dumps import write_step
from course_lib.lab.step import LabState, evaluate, make_state, rl_step


def save_checkpoint(state: LabState, path) -> None:
    """Save everything :func:`load_checkpoint` needs to continue the run exactly."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    blob = {
        "cfg": state.cfg.to_dict(),
        "step": state.step,
        "history": state.history,
        "model": state.model.state_dict(),
        "opt": state.opt.state_dict(),
        "sample_gen": state.sample_gen.get_state(),
        "prompt_gen": state.prompt_gen.get_state(),
        "estimator_state": state.estimator_state,
        "ref_model": None if state.ref_model is None else state.ref_model.state_dict(),
    }
    tmp = path.with_suffix(".tmp")
    torch.save(blob, tmp)
    tmp.replace(path)


def load_checkpoint(path, use_cache: bool = True) -> LabState:
    """The run saved by :func:`save_checkpoint`, ready for :func:`train` to continue."""
    blob = torch.load(Path(path), map_location="cpu", weights_only=False)
    state = make_state(LabConfig.from_dict(blob["cfg"]), use_cache=use_cache)
    state.model.load_state_dict(blob["model"])
    state.opt.load_state_dict(blob["opt"])
    state.sample_gen.set_state(blob["sample_gen"])
    state.prompt_gen.set_state(blob["prompt_gen"])
    state.step, state.history = blob["step"], blob["history"]
    state.estimator_state = blob.get("estimator_state", {})
    if blob.get("ref_model") is not None:
        state.ref_model.load_state_dict(blob["ref_model"])
    return state


def saved_run(out) -> tuple[LabConfig, int] | None:
    """The config and the number of steps done of the run saved in folder ``out``; None if it holds none."""
    path = Path(out) / "checkpoint.pt"
    if not path.exists():
        return None
    blob = torch.load(path, map_location="cpu", weights_only=False)
    return LabConfig.from_dict(blob["cfg"]), int(blob["step"])


def continuation_problem(saved: LabConfig, wanted: LabConfig, step: int) -> str | None:
    """Why a run saved with ``saved`` at ``step`` cannot go on as ``wanted``; None when it can.

    It can when the configs are equal, or differ only in ``steps`` (at least ``step`` of them) for an
    objective whose k does not depend on the number of steps: the run then goes on bit for bit as if
    it had been started with ``wanted.steps`` (the random generators are saved with it and the
    evaluations draw nothing from them); only its history keeps the evaluation of the old last step.
    """
    changed = [f.name for f in dataclasses.fields(LabConfig) if getattr(saved, f.name) != getattr(wanted, f.name)]
    if not changed:
        return None
    if changed != ["steps"]:
        return ", ".join(f"{name} is {getattr(saved, name)!r} there, {getattr(wanted, name)!r} now" for name in changed)
    if wanted.steps < step:
        return f"steps is {saved.steps} there and {step} are done, fewer ({wanted.steps}) asked now"
    if advantages.estimator(saved.objective).anneals_k:
        return (
            f"steps is {saved.steps} there, {wanted.steps} now, and {saved.objective} trains with k for the first "
            f"anneal_frac of the steps: its k at every step depends on steps, so it cannot be continued"
        )
    return None


def train(
    cfg: LabConfig | LabState,
    out=None,
    *,
    callback=None,
    progress: bool = True,
    checkpoint_every: int = 50,
    use_cache: bool = True,
    dump_dir=None,
) -> LabState:
    """Run (or continue) an RL run; returns its state, whose ``history`` holds one dict per step.

    Parameters
    ----------
    cfg : LabConfig, or a LabState to continue (from :func:`load_checkpoint`)
    out : folder or None. When given: ``config.json``, ``history.jsonl`` (one line per step) and
        ``checkpoint.pt`` (every ``checkpoint_every`` steps and at the end); an existing
        checkpoint there is resumed.
    callback : called as ``callback(history)`` after each evaluation (live charts).
    progress : show a tqdm progress bar.
    dump_dir : folder or None. When given, every step's samples in verl's dump format, for
        ``passk monitor`` (:mod:`course_lib.lab.dumps`).

    Ctrl-C (KeyboardInterrupt) stops the run cleanly: the state so far is saved (when ``out`` is
    given) and returned with ``interrupted = True``.
    """
    out = Path(out) if out is not None else None
    if isinstance(cfg, LabState):
        state = cfg
    elif out is not None and (out / "checkpoint.pt").exists():
        state = load_checkpoint(out / "checkpoint.pt", use_cache=use_cache)
        problem = continuation_problem(state.cfg, cfg, state.step)
        if problem:
            raise ValueError(f"{out} holds a run with a different config: {problem}; pick another out folder")
        state.cfg = cfg  # the same run, maybe with more steps
    else:
        state = make_state(cfg, use_cache=use_cache)
    cfg = state.cfg
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(cfg.to_dict(), indent=1))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.steps, initial=state.step, desc=f"{cfg.objective} seed {cfg.seed}", leave=False)
    t0 = time.perf_counter() - (state.history[-1]["time/s"] if state.history else 0.0)
    state.interrupted = False
    try:
        with reproducible(cfg.threads):
            if state.step == 0 and not state.history:
                state.history.append({"step": 0, **evaluate(state), "time/s": 0.0})
                if dump_dir is not None:
                    write_step(dump_dir, state, validation=True)
            while state.step < cfg.steps:
                row = rl_step(state)
                if state.step % cfg.eval_every == 0 or state.step == cfg.steps:
                    row.update(evaluate(state))
                row["time/s"] = time.perf_counter() - t0
                state.history.append(row)
                if dump_dir is not None:
                    write_step(dump_dir, state, validation="seen/pass@1" in row)
                if bar is not None:
                    bar.update(1)
                if "seen/pass@1" in row:
                    if bar is not None:
                        bar.set_postfix(
                            {"pass@1": f"{row['seen/pass@1']:.3f}", f"Δ({cfg.k})": f"{row[f'seen/delta@{cfg.k}']:.3f}"}
                        )
                    if callback is not None:
                        callback(state.history)
                if out is not None and state.step % checkpoint_every == 0:
                    save_checkpoint(state, out / "checkpoint.pt")
    except KeyboardInterrupt:
        state.interrupted = True
    finally:
        if bar is not None:
            bar.close()
    if out is not None:
        save_checkpoint(state, out / "checkpoint.pt")
        with open(out / "history.jsonl", "w") as f:
            for row in state.history:
                f.write(json.dumps(row) + "\n")
    return state


def read_history(run_dir) -> list[dict]:
    """The per-step rows of a saved run (``history.jsonl``)."""
    with open(Path(run_dir) / "history.jsonl") as f:
        return [json.loads(line) for line in f if line.strip()]


def evaluated(history: list[dict]) -> list[dict]:
    """The rows of a history that carry evaluation metrics."""
    return [row for row in history if "seen/pass@1" in row]


def run_many(
    objectives, seeds, base: LabConfig = LabConfig(), *, progress: bool = True, callback=None, **overrides
) -> dict:
    """Train one run per (objective, seed); returns ``{(objective, seed): history}``."""
    results = {}
    for objective in objectives:
        for seed in seeds:
            cfg = dataclasses.replace(base, objective=objective, seed=seed, **overrides)
            state = train(
                cfg,
                progress=progress,
                callback=None if callback is None else (lambda h, o=objective, s=seed: callback(results | {(o, s): h})),
            )
            results[(objective, seed)] = state.history
    return results


def _one_thread() -> None:
    """Worker initialiser: one thread per process (the runs pin it too; this covers the imports)."""
    torch.set_num_threads(1)


def map_runs(fn, tasks, jobs: int = 1, *, desc: str = "runs", progress: bool = True) -> list:
    """``[fn(*args) for args in tasks]``, in ``jobs`` worker processes; results in the order of ``tasks``.

    Each run is seeded and pins its own thread count (one), so a run gives the same numbers in
    any process: the results are equal, bit for bit, at any ``jobs``. Workers are forked on Linux
    (as PyTorch's DataLoader does; no ``if __name__ == "__main__"`` guard needed) and spawned
    elsewhere; either way they inherit the environment, hence the CPU-kernel pinning of
    :mod:`course_lib.lab._runtime` and ``PASSK_CACHE``. ``fn`` must be a module-level function.
    """
    tasks = list(tasks)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc=desc)
    out: list = [None] * len(tasks)
    try:
        if jobs <= 1:
            for i, args in enumerate(tasks):
                out[i] = fn(*args)
                if bar is not None:
                    bar.update(1)
            return out
        ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_one_thread) as pool:
            futures = {pool.submit(fn, *args): i for i, args in enumerate(tasks)}
            for future in as_completed(futures):
                out[futures[future]] = future.result()
                if bar is not None:
                    bar.update(1)
        return out
    finally:
        if bar is not None:
            bar.close()
