"""Speed and accuracy of the vectorised pass@k estimator: ``python benchmarks/bench_passk.py``.

Workload (issue 2): 10^5 problems, n = 200 samples each, random c in [0, n] and k in
[1, n]. Baseline: a per-problem Python loop of the stable product formula
``1 - prod_{i=n-c+1}^{n} (1 - k/i)`` (the HumanEval reference implementation's form).
Prints the speed ratio (target >= 50x) and the maximum absolute error against the loop
and against exact rational arithmetic on a subsample. Figures only, no assertions.
"""

from __future__ import annotations

import argparse
import math
import time
from fractions import Fraction

import numpy as np

from course_lib.passk import pass_at_k


def pass_at_k_loop(n: int, c: int, k: int) -> float:
    """The product formula for one problem, in plain Python."""
    if n - c < k:
        return 1.0
    fail = 1.0
    for i in range(n - c + 1, n + 1):
        fail *= 1.0 - k / i
    return 1.0 - fail


def exact(n: int, c: int, k: int) -> float:
    """1 - C(n-c,k)/C(n,k) from exact integers, correctly rounded to float."""
    return float(1 - Fraction(math.comb(n - c, k), math.comb(n, k)))


def best_time(fn, repeat: int) -> float:
    """Smallest wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=100_000, help="number of problems")
    parser.add_argument("--n", type=int, default=200, help="samples per problem")
    parser.add_argument("--subsample", type=int, default=5_000, help="problems checked against exact fractions")
    parser.add_argument("--repeat", type=int, default=5, help="timing repeats (best is reported)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    n = np.full(args.problems, args.n)
    c = rng.integers(0, args.n + 1, args.problems)
    k = rng.integers(1, args.n + 1, args.problems)
    triples = list(zip(n.tolist(), c.tolist(), k.tolist(), strict=True))

    vec = pass_at_k(n, c, k)
    loop = np.array([pass_at_k_loop(*t) for t in triples])
    t_vec = best_time(lambda: pass_at_k(n, c, k), args.repeat)
    t_loop = best_time(lambda: [pass_at_k_loop(*t) for t in triples], args.repeat)

    pick = rng.choice(args.problems, size=min(args.subsample, args.problems), replace=False)
    ref = np.array([exact(*triples[i]) for i in pick])

    print(f"pass_at_k benchmark: {args.problems:,} problems, n = {args.n}, random c and k (seed {args.seed})")
    print(f"  vectorised pass_at_k     : {t_vec * 1e3:9.1f} ms  (best of {args.repeat})")
    print(f"  per-problem Python loop  : {t_loop * 1e3:9.1f} ms")
    print(f"  speed ratio              : {t_loop / t_vec:9.1f}x  (target >= 50x)")
    print(f"  max |vectorised - loop|  : {np.abs(vec - loop).max():.3e}")
    print(f"  max |vectorised - exact| : {np.abs(vec[pick] - ref).max():.3e}  ({len(pick):,} problems, Fractions)")
    print(f"  max |loop - exact|       : {np.abs(loop[pick] - ref).max():.3e}")


if __name__ == "__main__":
    main()
