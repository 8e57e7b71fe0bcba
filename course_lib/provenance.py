"""Provenance of a committed results file: what made it, with which code, when, how long it took.

One home for the fields every ``results/*.json`` of the course carries (the bandit's comparison of
chapter 4, the lab's of chapters 5 and 6): the command, a hash of the library code the numbers
depend on (:func:`source_hash`), the Python and NumPy versions, the date and the wall time. A
notebook compares the hash with the code it runs and says when the file is stale.
"""

from __future__ import annotations

import hashlib
import platform
import time
from pathlib import Path

import numpy as np

__all__ = ["ROOT", "source_hash", "stamp", "results_file"]

ROOT = Path(__file__).resolve().parent
"""The course_lib folder."""


def source_hash(patterns, skip=("charts.py", "cli.py"), root: Path | None = None) -> str:
    """SHA-256 (first 16 hex digits) of the library files matching ``patterns`` (globs under course_lib).

    Files named in ``skip`` (charts and command-line fronts: they change no number) are left
    out; the relative path of each file is hashed with its bytes, in sorted order.

    Examples
    --------
    >>> len(source_hash(["passk.py"]))
    16
    """
    root = ROOT if root is None else Path(root)
    files = sorted({f for pattern in patterns for f in root.glob(pattern) if f.is_file() and f.name not in skip})
    h = hashlib.sha256()
    for f in files:
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def stamp(command: str, code_hash: str, t0: float, **extra) -> dict:
    """The provenance block: command, code hash, versions, date (UTC) and wall time since ``t0`` (perf_counter)."""
    return {
        "command": command,
        "code_hash": code_hash,
        **extra,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "wall_s": round(time.perf_counter() - t0, 1),
    }


def results_file(name: str) -> Path:
    """The committed results file ``results/<name>``, found from a notebook's folder, the repository root or
    the library's own checkout; a one-line ``FileNotFoundError`` if none holds it (e.g. a pip install)."""
    for folder in (Path("..") / "results", Path("results"), ROOT.parent / "results"):
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(f"results/{name} not found: open the notebook from a clone of the course repository")
