"""Equality of two results trees up to the last bits of their floats (no test may depend on those).

A committed results file is regenerated on another machine, or with NumPy's AVX-512 kernels switched
off (`make test-simd`), and compared with the file: integers, strings, booleans, None and the tree's
shape must be equal; floats equal to a relative 1e-9 (a sampled run that took another path would differ
in the first digits, not the last).
"""

from __future__ import annotations

import math


def differences(a, b, rel: float = 1e-9, path: str = "") -> list[str]:
    """Where two JSON-like trees differ beyond ``rel`` on floats; empty when they agree."""
    if isinstance(a, float) or isinstance(b, float):
        if (
            isinstance(a, bool)
            or isinstance(b, bool)
            or not isinstance(a, (int, float))
            or not isinstance(b, (int, float))
        ):
            return [f"{path or '.'}: {a!r} != {b!r}"]
        return [] if math.isclose(a, b, rel_tol=rel, abs_tol=rel) else [f"{path or '.'}: {a!r} != {b!r}"]
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path or '.'}: keys {sorted(a.keys() ^ b.keys())} in one only"]
        return [d for key in a for d in differences(a[key], b[key], rel, f"{path}/{key}")]
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return [f"{path or '.'}: lengths {len(a)} != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, rel, f"{path}[{i}]")]
    return [] if a == b and type(a) is type(b) else [f"{path or '.'}: {a!r} != {b!r}"]
