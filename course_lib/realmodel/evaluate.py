r"""The base model evaluated on the addition task: result files ``passk curve`` reads, with provenance (chapter 8).

For each prompt set (seen, held-out) and temperature T (0.6, 1.0, 1.3 by default):

- ``{set}_T{T}.jsonl.gz`` -- one line per sample, ``task_id``, ``completion``, ``answer``, ``passed``
  (``passk curve`` reads it as a per-sample file);
- ``blind_{set}_T{T}.jsonl`` -- the question-blind baseline per prompt, ``task_id``, ``n``, ``c``
  (:func:`course_lib.realmodel.task.blind_counts`; ``passk curve`` reads it as an n-c table);
- ``summary.json`` -- the exact probability of the canonical answer per prompt and T (teacher forcing),
  the settings, the run time and the provenance (model SHA-256 values, code hash, CPU kernels, seed).

The curves, intervals, crossovers, group-size plans and forecasts are computed from these files by
the course's evaluation code (``course_lib.evaluation``), in the notebook and by ``passk curve``.
"""

from __future__ import annotations

import gzip
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from course_lib.realmodel.task import blind_counts

__all__ = ["EvalConfig", "evaluate", "samples_file", "blind_file", "SETS"]

SETS = ("seen", "held_out")
"""The two prompt sets, in file-name form."""


@dataclass(frozen=True)
class EvalConfig:
    """What the evaluation samples."""

    temperatures: tuple[float, ...] = (0.6, 1.0, 1.3)
    """Sampling temperatures."""
    samples: int = 64
    """Samples per prompt (pass@k for k <= samples)."""
    seed: int = 0
    """Seed of every sampler (one generator per set and temperature, derived from it)."""
    threads: int = 2
    """CPU threads (pinned: the thread count changes the last bits)."""


def samples_file(folder: str | Path, which: str, temperature: float) -> Path:
    """Path of the per-sample file of a set and temperature."""
    return Path(folder) / f"{which}_T{temperature:g}.jsonl.gz"


def blind_file(folder: str | Path, which: str, temperature: float) -> Path:
    """Path of the blind baseline's n-c table of a set and temperature."""
    return Path(folder) / f"blind_{which}_T{temperature:g}.jsonl"


def _write_gz(path: Path, lines: list[dict]) -> None:
    data = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
        f.write(data)  # no time stamp in the header: the same samples give the same bytes


def evaluate(policy, cfg: EvalConfig, out: str | Path, progress=None) -> dict:
    """Sample every prompt of both sets at every temperature, write the files (module docstring), return the summary.

    ``policy`` is a :class:`course_lib.realmodel.rl.Policy`; ``progress(message)`` is called after each
    set and temperature. The summary's ``provenance`` is left to the caller (it knows the command).
    """
    from course_lib.lab._runtime import reproducible

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    task = policy.task
    summary: dict = {"config": asdict(cfg), "task": asdict(task), "sets": {}, "seconds": {}}
    t_all = time.perf_counter()
    with reproducible(cfg.threads):
        for s, which in enumerate(SETS):
            pairs = task.prompts(which)
            entry = {
                "ids": [task.task_id(a, b) for a, b in pairs],
                "canonical": {},
                "pass_at_1": {},
                "blind_pass_at_1": {},
            }
            t0 = time.perf_counter()
            for T in cfg.temperatures:
                entry["canonical"][f"{T:g}"] = policy.canonical_probs(pairs, T).tolist()
            summary["seconds"][f"canonical_{which}"] = round(time.perf_counter() - t0, 1)
            for j, T in enumerate(cfg.temperatures):
                t0 = time.perf_counter()
                gen = policy.generator([cfg.seed, s, j])
                groups = policy.sample(pairs, cfg.samples, T, gen)
                lines = [
                    {"task_id": task.task_id(*g["pair"]), "completion": text, "answer": ans, "passed": bool(r)}
                    for g in groups
                    for text, ans, r in zip(g["texts"], g["answers"], g["rewards"], strict=True)
                ]
                _write_gz(samples_file(out, which, T), lines)
                bn, bc = blind_counts([g["answers"] for g in groups], [str(task.answer(*g["pair"])) for g in groups])
                with open(blind_file(out, which, T), "w") as f:
                    for tid, n, c in zip(entry["ids"], bn, bc, strict=True):
                        f.write(json.dumps({"task_id": tid, "n": int(n), "c": int(c)}) + "\n")
                c = np.array([g["rewards"].sum() for g in groups])
                entry["pass_at_1"][f"{T:g}"] = float(c.mean() / cfg.samples)
                entry["blind_pass_at_1"][f"{T:g}"] = float(np.mean(bc / bn))
                summary["seconds"][f"{which}_T{T:g}"] = round(time.perf_counter() - t0, 1)
                if progress is not None:
                    progress(
                        f"{which} T={T:g}: pass@1 {entry['pass_at_1'][f'{T:g}']:.3f} "
                        f"({len(pairs)} prompts x {cfg.samples}, {time.perf_counter() - t0:.0f} s)"
                    )
            summary["sets"][which] = entry
    summary["seconds"]["total"] = round(time.perf_counter() - t_all, 1)
    return summary
