"""Import cost of the core (prints figures; not a test): ``python benchmarks/bench_import.py``.

Target (packaging issue): ``import course_lib.passk`` in a core environment under 0.3 s, without
torch, sympy or altair. Each measurement is a fresh interpreter; the best of several is printed,
minus the cost of starting Python itself.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

STATEMENTS = {
    "python itself": "pass",
    "import course_lib.passk": "import course_lib.passk",
    "import course_lib.advantages": "import course_lib.advantages",
    "import course_lib.evaluation.curve": "import course_lib.evaluation.curve",
    "passk CLI parser": "from course_lib.cli import build_parser; build_parser()",
}
HEAVY = ("torch", "sympy", "altair", "IPython", "ipywidgets")


def cost(statement: str, repeats: int = 7) -> tuple[float, float]:
    """Best and median wall time of ``python -c statement`` over fresh interpreters."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True)
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> None:
    base, _ = cost("pass")
    print(f"fresh interpreter, best of 7 (Python start-up {base * 1e3:.0f} ms subtracted):")
    for name, statement in STATEMENTS.items():
        if name == "python itself":
            continue
        best, median = cost(statement)
        code = f"import sys; {statement}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
        heavy = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        print(
            f"  {name:36s} {1e3 * (best - base):7.0f} ms (median {1e3 * (median - base):.0f})  heavy: {heavy or 'none'}"
        )
    print("target: import course_lib.passk < 300 ms, no heavy module")


if __name__ == "__main__":
    main()
