"""Speed and memory of chapter 8's real model on this machine (prints figures; not a test).

Each part runs in a fresh process, so its resident-memory peak is its own:

* ``load``    -- loading the plain float32 copy (and the peak after the first forward pass, which pages
  the memory-mapped weights in);
* ``sample``  -- samples/s of the prefill-once sampler against ``model.generate`` on repeated prompts
  (64 four-token answers per prompt, several prompts, same temperature), the batched sampler on RL
  groups of 8, and exact canonical-answer probabilities per second;
* ``rl``      -- seconds per RL step (16 prompts x 8 samples, top 4 blocks, GRPO) and the step's peak.

Timings take the best of a few repeats (on a shared machine the best estimates the time without
interference) and print the median too. Usage::

    python benchmarks/bench_realmodel.py [--threads 2] [--repeats 3] [--part load|sample|rl]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def part_load(args) -> dict:
    import torch

    torch.set_num_threads(args.threads)
    from course_lib.realmodel.fetch import load

    t0 = time.perf_counter()
    model, tok = load()
    seconds = time.perf_counter() - t0
    before = peak_mb()
    with torch.no_grad():
        model(input_ids=torch.tensor([tok("2 + 3 = 5\n1 + 1 =").input_ids]))
    return {"load_s": round(seconds, 2), "peak_mb_after_load": round(before), "peak_mb_after_forward": round(peak_mb())}


def _best(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def part_sample(args) -> dict:
    import torch

    torch.set_num_threads(args.threads)
    from course_lib.realmodel.fetch import load
    from course_lib.realmodel.rl import Policy
    from course_lib.realmodel.sampler import sample

    model, tok = load()
    policy = Policy(model, tok)
    pairs = policy.task.held_out[:4]
    prompts = [policy.ids[p] for p in pairs]
    n = 64

    def generate():
        for ids in prompts:
            x = torch.tensor([ids] * n)
            model.generate(
                x,
                attention_mask=torch.ones_like(x),
                do_sample=True,
                temperature=1.0,
                top_k=0,
                top_p=1.0,
                max_new_tokens=4,
            )

    def ours():
        for ids in prompts:
            sample(model, ids, n, generator=torch.Generator().manual_seed(0))

    def ours_prefix():
        policy.sample(pairs, n, 1.0, torch.Generator().manual_seed(0))

    def groups():
        policy.sample(policy.task.seen[:16], 8, 1.0, torch.Generator().manual_seed(0))

    def canonical():
        policy.canonical_probs(policy.task.seen + policy.task.held_out)

    with torch.no_grad():
        ours()  # warm-up
        out = {}
        g, gm = _best(generate, args.repeats)
        mem_generate = peak_mb()
        for name, fn, count in (
            ("sampler", ours, n * len(prompts)),
            ("sampler_shared_prefix", ours_prefix, n * len(pairs)),
            ("rl_groups_16x8", groups, 128),
            ("canonical_per_s", canonical, 100),
        ):
            best, med = _best(fn, args.repeats)
            out[name] = {"per_s": round(count / best, 1), "median_per_s": round(count / med, 1)}
        out["generate"] = {
            "per_s": round(n * len(prompts) / g, 1),
            "median_per_s": round(n * len(prompts) / gm, 1),
            "peak_mb": round(mem_generate),
        }
        out["speed-up_vs_generate"] = round(out["sampler"]["per_s"] / out["generate"]["per_s"], 1)
        out["peak_mb"] = round(peak_mb())
    return out


def part_rl(args) -> dict:
    import torch

    from course_lib.lab._runtime import adam
    from course_lib.realmodel.fetch import load
    from course_lib.realmodel.rl import Policy, RLConfig, rl_step, trainable_parameters

    torch.set_num_threads(args.threads)
    model, tok = load()
    policy = Policy(model, tok)
    cfg = RLConfig(threads=args.threads)
    opt = adam(trainable_parameters(model, cfg.train_layers), cfg.lr, torch.device("cpu"))
    rows = [rl_step(policy, opt, cfg, step)[0] for step in range(1, args.repeats + 2)]
    total = [r["sample_s"] + r["update_s"] for r in rows[1:]]  # the first step warms up
    return {
        "step_s_best": round(min(total), 2),
        "step_s_median": round(statistics.median(total), 2),
        "sample_s_median": round(statistics.median(r["sample_s"] for r in rows[1:]), 2),
        "update_s_median": round(statistics.median(r["update_s"] for r in rows[1:]), 2),
        "peak_mb": round(peak_mb()),
    }


PARTS = {"load": part_load, "sample": part_sample, "rl": part_rl}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--part", choices=list(PARTS), default=None, help="run one part in this process")
    args = parser.parse_args()
    if args.part:
        print(json.dumps(PARTS[args.part](args)))
        return
    import platform

    print(f"chapter 8's real model, {args.threads} threads, best of {args.repeats} ({platform.machine()})")
    for name in PARTS:
        cmd = [sys.executable, __file__, "--part", name, "--threads", str(args.threads), "--repeats", str(args.repeats)]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode:
            print(f"{name}: failed\n{result.stderr[-2000:]}")
            continue
        print(f"{name}: {result.stdout.strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()
