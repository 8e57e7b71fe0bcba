"""The unit tests and doctests again, on the other vector path: ``python scripts/simd_pass.py [PYTEST_ARGS]``.

No test may depend on the last bit of a float (README, "Contributing"), and NumPy's AVX-512 kernels
round some results differently from its AVX2 ones (a sum of -1/3 advantages came out -0.0 instead
of 0.0). CI runs on whatever CPU it gets, so on a CPU with AVX-512 this runs the suite a second
time with those kernels switched off:

- NumPy: every AVX-512 group that this NumPy build dispatches to and this CPU has (``X86_V4``,
  ``AVX512_ICL``, ``AVX512_SPR`` in NumPy 2.4) goes into ``NPY_DISABLE_CPU_FEATURES``. NumPy only
  warns about a name it does not know, so a fresh interpreter then checks NumPy's CPU-feature table
  (what ``numpy.show_runtime()`` lists as found) and the run stops if any of them is still on.
- PyTorch: ``ATEN_CPU_CAPABILITY=avx2`` where torch would pick AVX-512 (the lab pins AVX2 itself; this
  covers the torch code outside it), checked the same way.

On a CPU without AVX-512 there is no second path: it says so and exits 0. Cheap on purpose: the
selection of ``make test-fast`` (pytest's ``--fast``, tests/conftest.py): no notebooks, no browser,
and none of the tests that only start kernels, servers or environments (grading rooms,
``make course``), whose numbers are not NumPy's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PROBE = """
import json, sys
try:
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
except ImportError:  # NumPy 1.x
    from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
out = {"numpy": {t: bool(__cpu_features__.get(t)) for t in __cpu_dispatch__}}
try:
    import torch
    out["torch"] = torch.backends.cpu.get_cpu_capability()
except ImportError:
    out["torch"] = None
json.dump(out, sys.stdout)
"""


def probe(env: dict[str, str] | None = None) -> dict:
    """NumPy's dispatch targets (on or off on this CPU) and torch's CPU capability, seen by a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def avx512_groups(numpy_targets: dict[str, bool]) -> list[str]:
    """The AVX-512 dispatch targets that are on."""
    return [t for t, on in numpy_targets.items() if on and (t == "X86_V4" or t.startswith("AVX512"))]


def main(argv: list[str]) -> int:
    native = probe()
    groups = avx512_groups(native["numpy"])
    torch_avx512 = (native["torch"] or "").upper().startswith("AVX512")
    if not groups and not torch_avx512:
        found = [t for t, on in native["numpy"].items() if on]
        print(
            f"SIMD pass: this CPU has no AVX-512 (NumPy's vector paths found: {' '.join(found) or 'none'}; "
            f"torch: {native['torch']}): there is no second vector path to test, the suite ran once."
        )
        return 0
    env = dict(os.environ)
    if groups:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(groups)
    if torch_avx512:
        env["ATEN_CPU_CAPABILITY"] = "avx2"
    checked = probe(env)
    still_on = avx512_groups(checked["numpy"])
    if still_on or (torch_avx512 and (checked["torch"] or "").upper() != "AVX2"):
        print(f"SIMD pass: could not switch off AVX-512: NumPy still has {still_on}, torch uses {checked['torch']}")
        return 1
    found = [t for t, on in checked["numpy"].items() if on]
    print(
        f"SIMD pass: NumPy's AVX-512 groups off ({' '.join(groups) or 'none on this CPU'}; now found: "
        f"{' '.join(found)}), torch {native['torch']} -> {checked['torch']}: unit tests and doctests again",
        flush=True,
    )
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--fast"]
    rc = subprocess.call([*cmd, *argv], env=env, cwd=ROOT)
    print(f"SIMD pass: {'passed' if rc == 0 else 'FAILED'} in {time.perf_counter() - t0:.0f} s")
    return rc


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
