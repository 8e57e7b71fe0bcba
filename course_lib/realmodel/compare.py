r"""Methods compared on the real model with paired seeds: the runs, their readings, corrected verdicts (chapter 8).

Each seed gives every method the same prompts at each step and the same sampler seeds (the runs part
as soon as the policies differ), and the same held-out reading stream after training. A method is
read by:

- the exact probability of the canonical answer, mean over the seen and over the held-out prompts;
- held-out pass@1, pass@8 and pass@32 from ``eval_samples`` samples per prompt (unbiased estimator),
  beside the question-blind baseline of the same samples and the base model's reading;
- the share of groups that carried no gradient, and distinct answers per group (diversity).

Each method is compared with GRPO seed by seed (:func:`course_lib.stats.compare_paired`), and the
p-values of the whole family (methods x readings) are corrected with Holm's procedure
(:func:`course_lib.stats.holm`); :func:`course_lib.stats.detectable_effect` says how large a
difference this many seeds could have detected. Results: ``results/ch08_rl.json`` plus the runs'
verl-style dumps under ``results/ch08_rl/`` (``passk monitor`` reads them).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import platform
import shutil
import time
from pathlib import Path

import numpy as np

from course_lib import passk
from course_lib.realmodel.rl import Policy, RLConfig, base_state, held_out_reading, restore, run, write_dump

__all__ = ["METHODS", "READINGS", "provenance", "code_hash", "run_comparison", "readings", "verdicts"]

METHODS = ("grpo", "chen", "grpo_alpha")
"""Registry keys compared: GRPO, Chen et al.'s pass@k advantage, GRPO with Yu's per-prompt step alpha_k."""

READINGS = (
    "canonical_seen",
    "canonical_held_out",
    "held_out_pass@1",
    "held_out_pass@8",
    "held_out_pass@32",
    "distinct_answers",
)
"""Readings of a run compared between methods (the verdict family, with the methods)."""


NUMERIC_SOURCES = (
    "realmodel/sampler.py",
    "realmodel/task.py",
    "realmodel/rl.py",
    "realmodel/evaluate.py",
    "realmodel/compare.py",
    "advantages/*.py",
    "passk.py",
    "_checks.py",
    "stats.py",
)
"""The library files the committed numbers depend on (the fetch, the CLI and the docs change none)."""


def code_hash() -> str:
    """SHA-256 (16 hex digits) of :data:`NUMERIC_SOURCES`, each file's relative path hashed with its bytes."""
    root = Path(__file__).resolve().parents[1]
    files = sorted({f for pattern in NUMERIC_SOURCES for f in root.glob(pattern)})
    h = hashlib.sha256()
    for f in files:
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def provenance(command: str, t0: float, seeds, threads: int, code: str | None = None) -> dict:
    """What made a results file: command, model SHA-256 values, code hash, versions, CPU kernels, seeds, wall time.

    ``code`` is the :func:`code_hash` taken when the run started (default: now).
    """
    import torch
    import transformers

    from course_lib.lab._runtime import cpu_kernels
    from course_lib.realmodel.fetch import manifest

    model = manifest()
    return {
        "command": command,
        "model": model["model"],
        "model_package": model["package"],
        "gguf_sha256": model["gguf_sha256"],
        "safetensors_sha256": model["safetensors_sha256"],
        "code_hash": code_hash() if code is None else code,
        "cpu_kernels": cpu_kernels(),
        "threads": threads,
        "seeds": list(seeds),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads available to torch",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "wall_s": round(time.perf_counter() - t0, 1),
    }


def readings(record: dict) -> dict:
    """The :data:`READINGS` (and the blind baseline's) of one run's record or of the base model's reading."""
    final = record["final"] if "final" in record else record
    h = final["held_out"]
    n, c = np.array(h["n"]), np.array(h["c"])
    bn, bc = np.array(h["blind_n"]), np.array(h["blind_c"])
    out = {
        "canonical_seen": float(np.mean(final["canonical_seen"])),
        "canonical_held_out": float(np.mean(final["canonical_held_out"])),
    }
    for k in (1, 8, 32):
        if k <= n.min():
            out[f"held_out_pass@{k}"] = float(np.mean(passk.pass_at_k(n, c, k)))
            out[f"blind_pass@{k}"] = float(np.mean(passk.pass_at_k(bn, bc, k)))
    out["distinct_answers"] = float(np.mean(h["distinct_answers"]))
    if "history" in record:
        out["zero_weight"] = float(np.mean([r["zero_weight"] for r in record["history"]]))
        out["zero_signal"] = float(np.mean([r["zero_signal"] for r in record["history"]]))
    return out


def verdicts(runs: list[dict], methods=METHODS, reference: str = "grpo", alpha: float = 0.05) -> list[dict]:
    """Each method against ``reference``, seed by seed, for every reading; Holm over the whole family.

    Each row: the mean difference (method - reference) with its t-interval, the paired t-test's ``p``,
    Holm's adjusted ``p_holm`` and ``significant`` (``p_holm <= alpha``) over all rows, seeds ahead and
    behind, and ``detectable``: the difference the paired t-test finds with 80 % power at alpha / m (the
    level of the family's first Holm step; :func:`course_lib.stats.detectable_effect`).
    """
    from course_lib.stats import compare_paired, detectable_effect, holm

    by = {(r["config"]["method"], r["config"]["seed"]): readings(r) for r in runs}
    seeds = sorted({s for _, s in by})
    rows = []
    for method in methods:
        if method == reference:
            continue
        paired = [s for s in seeds if (method, s) in by and (reference, s) in by]
        if len(paired) < 2:
            continue
        for reading in READINGS:
            if any(reading not in by[(m, s)] for m in (method, reference) for s in paired):
                continue  # e.g. pass@32 from fewer than 32 samples
            a = [by[(method, s)][reading] for s in paired]
            b = [by[(reference, s)][reading] for s in paired]
            cmp = compare_paired(a, b)
            rows.append(
                {
                    "method": method,
                    "reference": reference,
                    "reading": reading,
                    "seeds": len(paired),
                    "mean_diff": cmp.mean,
                    "t_interval": list(cmp.t_interval),
                    "p": cmp.p,
                    "wins": cmp.above,
                    "losses": cmp.below,
                    "sd": cmp.sd,
                }
            )
    if rows:
        p_holm, reject = holm([r["p"] for r in rows], alpha)  # adjusted p-values first, then the rejections
        for r, ph, rej in zip(rows, p_holm, reject, strict=True):
            r["p_holm"], r["significant"] = float(ph), bool(rej)
            # the smallest difference these seeds detect with 80 % power at the family's first Holm level
            sd = r.pop("sd")
            r["detectable"] = detectable_effect(sd, r["seeds"], alpha / len(rows)) if sd > 0 else 0.0
    return rows


def run_comparison(
    policy: Policy,
    methods=METHODS,
    seeds=(0, 1, 2),
    base: RLConfig | None = None,
    out: str | Path = "results/ch08_rl",
    command: str = "",
    progress=None,
) -> dict:
    """Every method x seed from the same base weights; the results dict (also written to ``out``.json).

    A run whose record (``out/<method>-s<seed>/record.json``) exists with the same config and code
    hash is read, not run again, so an interrupted comparison resumes.
    """
    t0, out, code = time.perf_counter(), Path(out), code_hash()
    base = RLConfig() if base is None else base
    say = progress or (lambda message: None)
    state = base_state(policy.model, base.train_layers)
    base_file = out / "base" / "reading.json"
    if base_file.exists() and json.loads(base_file.read_text()).get("code_hash") == code:
        base_reading = json.loads(base_file.read_text())["reading"]
    else:
        t = time.perf_counter()
        reading, lines = held_out_reading(policy, base.eval_samples, base.temperature, seed=0)
        base_reading = {
            "canonical_seen": policy.canonical_probs(policy.task.seen, base.temperature).tolist(),
            "canonical_held_out": policy.canonical_probs(policy.task.held_out, base.temperature).tolist(),
            "held_out": reading,
        }
        write_dump(out / "base" / "validation", 0, lines)
        base_file.write_text(json.dumps({"code_hash": code, "reading": base_reading}) + "\n")
        say(f"base model read in {time.perf_counter() - t:.0f} s: {readings(base_reading)}")
    runs = []
    for seed in seeds:
        for method in methods:
            cfg = dataclasses.replace(base, method=method, seed=seed)
            folder = out / f"{method}-s{seed}"
            saved = folder / "record.json"
            if saved.exists():
                record = json.loads(saved.read_text())
                if record.get("code_hash") == code and record["config"] == dataclasses.asdict(cfg):
                    runs.append(record)
                    say(f"{method} seed {seed}: read from {saved}")
                    continue
            record = run(
                policy,
                cfg,
                folder,
                progress=lambda step, rec, m=method, s=seed: say(
                    f"{m} seed {s} step {step}: batch pass rate {rec['pass_rate']:.3f}, "
                    f"{rec['sample_s'] + rec['update_s']:.1f} s"
                ),
            )
            restore(policy.model, state)
            # the base model's validation as the run's step 0 (verl's validation before training), so that
            # `passk monitor` reads each run folder alone: its paired change since step 0 is the run's effect
            shutil.copy(out / "base" / "validation" / "0.jsonl.gz", folder / "validation" / "0.jsonl.gz")
            record["code_hash"] = code
            saved.write_text(json.dumps(record) + "\n")
            runs.append(record)
    results = {
        "provenance": provenance(command, t0, seeds, base.threads, code),
        "base_config": dataclasses.asdict(base),
        "methods": list(methods),
        "base": {"reading": base_reading, "readings": readings(base_reading)},
        "runs": [{**r, "readings": readings(r)} for r in runs],
        "verdicts": verdicts(runs, methods),
    }
    results["provenance"]["run_wall_s"] = round(sum(r["wall_s"] for r in runs), 1)
    Path(f"{out}.json").write_text(json.dumps(results, indent=1) + "\n")
    return results
