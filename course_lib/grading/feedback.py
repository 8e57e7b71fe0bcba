"""Render verdicts and progress tables: HTML in a notebook, plain text elsewhere."""

from __future__ import annotations

import html
from collections.abc import Sequence

from .questions import NOT_ANSWERED, Question, Verdict

__all__ = ["verdict_text", "verdict_html", "progress_text", "progress_html", "show_bundle"]

_PASS, _FAIL, _TODO = "✅", "❌", "⬜"


def _symbol(verdict: Verdict | None) -> str:
    if verdict is None or verdict.message.startswith(NOT_ANSWERED):
        return _TODO
    return _PASS if verdict.passed else _FAIL


def verdict_text(v: Verdict) -> str:
    """Plain-text feedback for one verdict."""
    head = f"{_symbol(v)} {v.qid}: " + ("passed — " if v.passed else "not yet — ") + v.message
    lines = [head]
    for key in ("input", "expected", "got"):
        if key in v.case:
            lines.append(f"   {key:>8}: {v.case[key]}")
    if v.hint:
        lines.append(f"   hint: {v.hint}")
    lines += [f"   note: {note}" for note in v.notes]
    return "\n".join(lines)


def verdict_html(v: Verdict) -> str:
    """HTML feedback for one verdict (a coloured box with the first failing case)."""
    colour = "#1a7f37" if v.passed else ("#9a6700" if _symbol(v) == _TODO else "#cf222e")
    e = html.escape
    rows = "".join(
        f"<tr><th style='text-align:right;padding-right:8px'>{key}</th><td><code>{e(v.case[key])}</code></td></tr>"
        for key in ("input", "expected", "got")
        if key in v.case
    )
    parts = [
        f"<div style='border-left:4px solid {colour};padding:4px 10px;margin:4px 0'>",
        f"<b>{_symbol(v)} {e(v.qid)}</b>: {'passed' if v.passed else 'not yet'} — {e(v.message)}",
    ]
    if rows:
        parts.append(f"<table style='margin:4px 0'>{rows}</table>")
    if v.hint:
        parts.append(f"<div><i>Hint:</i> {e(v.hint)}</div>")
    parts += [f"<div style='color:#57606a'><i>Note:</i> {e(note)}</div>" for note in v.notes]
    parts.append("</div>")
    return "".join(parts)


def _progress_rows(questions: Sequence[Question], verdicts: dict[str, Verdict]):
    for q in questions:
        v = verdicts.get(q.qid)
        status = "not checked yet" if v is None else ("passed" if v.passed else v.message.split(":")[0])
        yield _symbol(v), q.qid, q.title, status


def progress_text(title: str, questions: Sequence[Question], verdicts: dict[str, Verdict]) -> str:
    """Plain-text progress table."""
    rows = list(_progress_rows(questions, verdicts))
    done = sum(verdicts.get(q.qid) is not None and verdicts[q.qid].passed for q in questions)
    width = max((len(r[2]) for r in rows), default=5)
    lines = [f"{title}: {done}/{len(questions)} passing"]
    lines += [f"{sym} {qid:<8} {name:<{width}}  {status}" for sym, qid, name, status in rows]
    return "\n".join(lines)


def progress_html(title: str, questions: Sequence[Question], verdicts: dict[str, Verdict]) -> str:
    """HTML progress table."""
    e = html.escape
    done = sum(verdicts.get(q.qid) is not None and verdicts[q.qid].passed for q in questions)
    body = "".join(
        f"<tr><td>{sym}</td><td><code>{e(qid)}</code></td><td>{e(name)}</td><td>{e(status)}</td></tr>"
        for sym, qid, name, status in _progress_rows(questions, verdicts)
    )
    return (
        f"<div><b>{e(title)}: {done}/{len(questions)} passing</b>"
        f"<table><tr><th></th><th>question</th><th>title</th><th>status</th></tr>{body}</table></div>"
    )


def show_bundle(text: str, html_text: str) -> None:
    """Display rich output in IPython (HTML with a plain-text fallback), print it elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python without IPython
        print(text)
        return
    if get_ipython() is None:
        print(text)
    else:
        display({"text/plain": text, "text/html": html_text}, raw=True)
