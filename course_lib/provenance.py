"""Provenance of a committed results file: what made it, with which code, when, how long it took.

One home for the fields every ``results/*.json`` of the course carries (the bandit's comparison of
chapter 4, the lab's of chapters 5 and 6): the command, a hash of the library code the numbers
depend on (:func:`source_hash`), the Python and NumPy versions, the date and the wall time. A
notebook compares the hash with the code it runs and says when the file is stale.
"""

from __future__ import annotations

import ast
import hashlib
import io
import platform
import time
import tokenize
from pathlib import Path

import numpy as np

__all__ = ["ROOT", "code_text", "source_hash", "stamp", "results_file"]

ROOT = Path(__file__).resolve().parent
"""The course_lib folder."""


def code_text(source: str) -> str:
    """The code of a Python module without its comments and docstrings: the lines that are left.

    Every string statement (module, class and function docstrings, and the attribute docstrings
    after an assignment; found with :mod:`ast`) and every comment (found with :mod:`tokenize`) is
    cut out of the source; trailing blanks and the lines left empty are dropped. So an edit of
    prose leaves the text, hence the hash of :func:`source_hash`, as it was, and any edit of code
    changes it. Cut from the source rather than re-printed from the tree (``ast.unparse``, whose
    f-strings print differently from Python 3.12 on), the text is the same on every Python.

    Examples
    --------
    >>> code_text("def f(x):\\n    'Twice x.'\\n    return 2 * x  # why\\n")
    'def f(x):\\n    return 2 * x'
    """
    text = source.splitlines()
    spans = []  # (first line, first column, last line, end column), lines from 1, columns in UTF-8 bytes
    for node in ast.walk(ast.parse(source)):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            for stmt in body if isinstance(body, list) else ():
                if (
                    isinstance(stmt, ast.Expr)
                    and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)
                ):
                    spans.append((stmt.lineno, stmt.col_offset, stmt.end_lineno, stmt.end_col_offset))
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:  # tokenize counts characters, ast bytes: convert
            (row, col), (_, end) = tok.start, tok.end
            line = text[row - 1]
            spans.append((row, len(line[:col].encode()), row, len(line[:end].encode())))
    lines = [bytearray(line.encode()) for line in text]
    cut = [[False] * len(line) for line in lines]
    for r0, c0, r1, c1 in spans:
        for row in range(r0, r1 + 1):
            lo = c0 if row == r0 else 0
            hi = c1 if row == r1 else len(lines[row - 1])
            cut[row - 1][lo:hi] = [True] * (hi - lo)
    kept = (
        bytes(b for b, gone in zip(line, mask, strict=True) if not gone).decode().rstrip()
        for line, mask in zip(lines, cut, strict=True)
    )
    return "\n".join(line for line in kept if line)


def source_hash(patterns, skip=("charts.py", "cli.py"), root: Path | None = None) -> str:
    """SHA-256 (first 16 hex digits) of the code of the library files matching ``patterns`` (globs under course_lib).

    Python files are hashed through :func:`code_text`: without comments and docstrings, so that
    an edit of the prose around the code does not mark committed results as stale; other files
    by their bytes. Files named in ``skip`` (charts and command-line fronts: they change no number)
    are left out; the relative path of each file is hashed with its code, in sorted order.

    Examples
    --------
    >>> len(source_hash(["passk.py"]))
    16
    """
    root = ROOT if root is None else Path(root)
    files = sorted({f for pattern in patterns for f in root.glob(pattern) if f.is_file() and f.name not in skip})
    h = hashlib.sha256()
    for f in files:
        code = code_text(f.read_text(encoding="utf-8")).encode() if f.suffix == ".py" else f.read_bytes()
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + code + b"\0")
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
