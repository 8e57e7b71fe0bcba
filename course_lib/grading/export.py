"""Exports of graded rows: a gradebook (one row per learner), Gradescope results, feedback per learner.

All three read the rows of ``passk grade`` (:class:`~course_lib.grading.grade.Row`, one per
submission x question) and nothing else, so they can be made again from a grades CSV
(``passk grade --resume`` reuses every unchanged submission's rows).

Learner ids come from the submission's path (:func:`learner_id`): by default what is left of the
file name once the exercise id and the exercise's own notebook name are taken out
(``ex01_alice.ipynb``, ``alice_ex01.ipynb``, ``ex01_pass_at_k_metric-alice.ipynb`` are all
``alice``), or the folder's name when nothing is left (``alice/ex01_pass_at_k_metric.ipynb``).
``--id-regex`` overrides this: a regular expression searched in the path; its group ``id``, else
its first group, else the whole match.

Feedback shows each question's verdict, the check's message and the question's hint, and what went
wrong with the submission (a limit, a crash); never the hidden tests' source, which only the
grading cell of the executed copy ever held.
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections.abc import Sequence
from pathlib import Path

from .grade import Row, trouble_note
from .questions import exercise_questions

__all__ = [
    "learner_id",
    "by_submission",
    "gradebook",
    "write_gradebook",
    "gradescope_results",
    "write_gradescope",
    "feedback_text",
    "write_feedback",
]

_EXERCISE = re.compile(r"ex\d\d", re.I)


def _notebook_names() -> dict[str, str]:
    """Exercise id -> its notebook's name (``ex01`` -> ``pass_at_k_metric``): exercise NN follows chapter NN."""
    from ..config import CHAPTERS

    return {f"ex{stem[:2]}": stem[3:] for stem, *_ in CHAPTERS}


def learner_id(path: str, id_regex: str | None = None) -> str:
    """The learner a submission belongs to, from its path (see the module docstring for the rule).

    Returns ``''`` when ``id_regex`` does not match, or nothing is left of the name and folder.
    """
    text = Path(path).as_posix()
    if id_regex:
        m = re.search(id_regex, text)
        if not m:
            return ""
        if "id" in m.re.groupindex:
            return m.group("id") or ""
        return (m.group(1) if m.re.groups else m.group(0)) or ""
    stem = re.sub(r"\s*\(\d+\)$", "", Path(path).stem)  # "ex01_alice (1)": a browser's second download
    exercise = _EXERCISE.search(stem)
    if exercise:
        slug = _notebook_names().get(exercise.group(0).lower(), "")
        stem = stem[: exercise.start()] + stem[exercise.end() :]
        if slug:
            stem = re.sub(re.escape(slug), "", stem, count=1, flags=re.I)
    rest = stem.strip("_-. ")
    return rest or Path(path).parent.name


def by_submission(rows: Sequence[Row]) -> dict[str, list[Row]]:
    """Rows grouped by submission, in the order they come."""
    out: dict[str, list[Row]] = {}
    for r in rows:
        out.setdefault(r.submission, []).append(r)
    return out


def _trouble(rows: list[Row]) -> str:
    """What went wrong with a whole submission (not graded, a limit hit, cells skipped or stopped), or ''."""
    if any(r.status == "not graded" for r in rows):
        return rows[0].message
    return next((note for note in map(trouble_note, (r.message for r in rows)) if note), "")


def gradebook(rows: Sequence[Row], id_regex: str | None = None) -> tuple[list[str], list[dict]]:
    """``(columns, records)``: one record per learner, a column per exercise, a total and notes.

    Columns: ``learner``, one per exercise graded (its score), ``total``, ``possible`` (points of the
    exercises in the columns), ``notes``. An exercise a learner did not hand in is left empty (0 in
    the total); of two submissions of the same exercise the better counts, and the notes say so.
    A submission whose learner cannot be told is listed under its path.
    """
    subs = by_submission(rows)
    exercises = sorted({r.exercise for r in rows if r.exercise})
    possible = {ex: sum(q.points for q in exercise_questions(ex).values()) for ex in exercises}
    learners: dict[str, dict] = {}
    for sub, sub_rows in subs.items():
        who = learner_id(sub, id_regex) or sub
        rec = learners.setdefault(who, {"learner": who, "_notes": []})
        ex = sub_rows[0].exercise or "?"
        score = sum(r.score for r in sub_rows)
        trouble = _trouble(sub_rows)
        if not sub_rows[0].exercise:
            rec["_notes"].append(f"{Path(sub).name}: {trouble}")
            continue
        if ex in rec:
            rec["_notes"].append(f"{ex}: {Path(sub).name} also handed in; the better score counts")
            rec[ex] = max(rec[ex], score)
        else:
            rec[ex] = score
        if trouble:
            rec["_notes"].append(f"{ex}: {trouble}")
    columns = ["learner", *exercises, "total", "possible", "notes"]
    records = []
    for who in sorted(learners):
        rec = learners[who]
        records.append(
            {
                "learner": who,
                **{ex: (f"{rec[ex]:g}" if ex in rec else "") for ex in exercises},
                "total": f"{sum(rec.get(ex, 0.0) for ex in exercises):g}",
                "possible": f"{sum(possible.values()):g}",
                "notes": "; ".join(rec["_notes"]),
            }
        )
    return columns, records


def write_gradebook(rows: Sequence[Row], out: str | Path, id_regex: str | None = None) -> int:
    """Write :func:`gradebook` as CSV; returns the number of learners."""
    columns, records = gradebook(rows, id_regex)
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(records)
    return len(records)


def gradescope_results(rows: Sequence[Row]) -> dict:
    """Gradescope's ``results.json`` for one submission's rows: a test per question, with its hint."""
    hints = {q.qid: q.hint for q in exercise_questions(rows[0].exercise).values()} if rows[0].exercise else {}
    tests = []
    for r in rows:
        output = r.message
        if r.status != "passed" and hints.get(r.question):
            output += f"\nHint: {hints[r.question]}"
        tests.append(
            {
                "name": r.question if r.question != "*" else Path(r.submission).name,
                "number": r.question,
                "score": r.score,
                "max_score": r.points,
                "status": "passed" if r.status == "passed" else "failed",
                "output": output,
                "visibility": "visible",
            }
        )
    trouble = _trouble(list(rows))
    return {
        "score": sum(r.score for r in rows),
        "output": f"{rows[0].exercise or Path(rows[0].submission).name}: "
        f"{sum(r.score for r in rows):g}/{sum(r.points for r in rows):g}" + (f" ({trouble})" if trouble else ""),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _safe_name(text: str) -> str:
    """``text`` usable as a file name (letters, digits, ``_``, ``.``, ``-``)."""
    return re.sub(r"[^\w.-]", "_", text).lstrip(".") or "_"


def _folder_name(submission: str) -> str:
    path = Path(submission)
    return _safe_name(f"{path.parent.name or 'submission'}__{path.stem}")


def write_gradescope(rows: Sequence[Row], folder: str | Path) -> list[Path]:
    """Write ``folder/<parent>__<stem>/results.json`` for each submission; returns the files."""
    written = []
    for sub, sub_rows in by_submission(rows).items():
        target = Path(folder) / _folder_name(sub) / "results.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(gradescope_results(sub_rows), indent=2), encoding="utf-8")
        written.append(target)
    return written


def feedback_text(learner: str, subs: dict[str, list[Row]]) -> str:
    """Markdown feedback for one learner: per exercise, the score and each question's verdict and hint."""
    lines = [f"# Feedback for {learner}", ""]
    for sub, rows in subs.items():
        exercise = rows[0].exercise
        questions = exercise_questions(exercise) if exercise else {}
        lines += [
            f"## {exercise or Path(sub).name}: {sum(r.score for r in rows):g} / {sum(r.points for r in rows):g}",
            "",
            f"Submission: `{Path(sub).name}`",
            "",
        ]
        trouble = _trouble(rows)
        if trouble:
            lines += [f"**What went wrong:** {trouble}", ""]
        for r in rows:
            q = questions.get(r.question)
            mark = "✅" if r.status == "passed" else "❌"
            title = f" {q.title}" if q else ""
            lines.append(f"- {mark} **{r.question}**{title} ({r.score:g}/{r.points:g}): {r.message}")
            if r.status != "passed" and q is not None and q.hint:
                lines.append(f"  - Hint: {q.hint}")
        lines.append("")
    return "\n".join(lines)


def _markdown_to_html(text: str) -> str:
    """The small Markdown subset :func:`feedback_text` writes, as a standalone HTML page."""
    out, in_list = [], False
    for line in text.splitlines():
        e = html.escape(line.strip())
        e = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", e)
        e = re.sub(r"`(.+?)`", r"<code>\1</code>", e)
        if line.startswith("- "):
            out.append(("" if in_list else "<ul>") + f"<li>{e[2:]}")
            in_list = True
            continue
        if line.startswith("  - "):
            out.append(f"<br><i>{e[2:]}</i>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if line.startswith("## "):
            out.append(f"<h2>{e[3:]}</h2>")
        elif line.startswith("# "):
            out.append(f"<h1>{e[2:]}</h1>")
        elif e:
            out.append(f"<p>{e}</p>")
    if in_list:
        out.append("</ul>")
    body = "\n".join(out)
    head = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Feedback</title></head><body>'
    return f"{head}\n{body}\n</body></html>\n"


def write_feedback(rows: Sequence[Row], folder: str | Path, id_regex: str | None = None, fmt: str = "md") -> list[Path]:
    """Write one feedback file per learner, ``folder/<learner>.md`` (or ``.html``); returns the files."""
    per_learner: dict[str, dict[str, list[Row]]] = {}
    for sub, sub_rows in by_submission(rows).items():
        per_learner.setdefault(learner_id(sub, id_regex) or sub, {})[sub] = sub_rows
    Path(folder).mkdir(parents=True, exist_ok=True)
    written = []
    for learner in sorted(per_learner):
        text = feedback_text(learner, per_learner[learner])
        target = Path(folder) / f"{_safe_name(learner)}.{fmt}"
        target.write_text(_markdown_to_html(text) if fmt == "html" else text, encoding="utf-8")
        written.append(target)
    return written
