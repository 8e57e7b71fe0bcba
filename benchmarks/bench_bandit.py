"""Print the speed figures of chapter 4: advantage throughput, bandit runs, explorer reruns.

Targets (issue 5): the explorer reruns in < 2 s; the chapter notebook executes in < 90 s in CI
(aim < 40 s; pass ``--notebook`` to time it here). The lab calls the registry's
``loss_weights`` on (B, n) batches, so its per-call cost on a 32 x 8 batch is printed for every
registered method, for NumPy and torch input.

Usage: ``python benchmarks/bench_bandit.py [--notebook]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def best_of(fn, repeat: int = 5, number: int = 1) -> float:
    """Best wall time of ``number`` calls, over ``repeat`` tries, per call (seconds)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def bench_advantages() -> None:
    import torch

    from course_lib import advantages as A

    torch.set_num_threads(1)
    r = (np.random.default_rng(0).random((32, 8)) < 0.3).astype(float)
    t = torch.tensor(r, dtype=torch.float32)
    # every registered method, through the one entry point the bandit, the lab and the charts use
    # (the chapter-6 methods also read log-probs, answer ids, prompt ids and a state: all are given)
    rng = np.random.default_rng(1)
    context = dict(logp=-rng.random((32, 8)), answer_ids=rng.integers(0, 5, (32, 8)), prompt_ids=np.arange(32))

    def call(name, x):
        return A.loss_weights(name, A.Group(rewards=x, state={}, **context), k=4)

    calls = {f"{name} k=4": (lambda x, name=name: call(name, x)) for name in A.ESTIMATORS}
    print("loss_weights on a (32, 8) batch, microseconds per call (best of 5 x 200):")
    for name, fn in calls.items():
        us_np = 1e6 * best_of(lambda fn=fn: fn(r), number=200)
        us_t = 1e6 * best_of(lambda fn=fn: fn(t), number=200)
        print(f"  {name:32s} numpy {us_np:8.1f}   torch {us_t:8.1f}")


def bench_bandit() -> None:
    from course_lib import bandit as B
    from course_lib.bandit import charts as BC

    bandit = B.make_bandit()
    print("bandit runs, default bandit (8 prompts x 12 answers), 400 steps, seconds (best of 3):")
    for objective in B.OBJECTIVES:
        sec = best_of(lambda objective=objective: B.train(bandit, objective=objective, steps=400), repeat=3)
        print(f"  {objective:16s} {sec:6.3f}")
    ex = BC.collapse_explorer(bandit, use_widget=False)
    worst = 0.0
    for objective in B.OBJECTIVES:
        ex.controls["objective"].value = objective
        start = time.perf_counter()
        ex.refresh()  # one rerun: train + tables + readout + redraw into the output
        worst = max(worst, time.perf_counter() - start)
    print(f"explorer rerun (worst over objectives): {worst:.3f} s  (target < 2 s)")


def bench_notebook() -> None:
    import nbformat
    from nbclient import NotebookClient

    path = Path(__file__).resolve().parent.parent / "notebooks" / "04_exploration_collapse.ipynb"
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    print(f"notebook 04 executed in {time.perf_counter() - start:.1f} s  (budget 90 s, aim < 40 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", action="store_true", help="also time the chapter notebook (about 30 s)")
    args = parser.parse_args()
    bench_advantages()
    bench_bandit()
    if args.notebook:
        bench_notebook()


if __name__ == "__main__":
    main()
