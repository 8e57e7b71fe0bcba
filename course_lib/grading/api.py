"""The learner's API, ``check`` and ``progress``, and the hooks ``passk grade`` uses inside a kernel.

The session (the answers checked in this kernel and the hidden test cases registered by the grader)
lives in this module, not in the notebook's namespace, so a learner's variables cannot clobber it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from .feedback import progress_html, progress_text, show_bundle, verdict_html, verdict_text
from .questions import NOT_ANSWERED, Verdict, exercise_questions, get_question

__all__ = ["check", "progress", "hidden_cases", "CheckResult", "judge_exercise", "emit_report", "REPORT_PREFIX"]

REPORT_PREFIX = "PASSK-GRADE-REPORT"
"""Start of the line (followed by a per-run nonce and JSON) that ``passk grade`` reads back."""

_ANSWERS: dict[str, object] = {}
_VERDICTS: dict[str, Verdict] = {}
_HIDDEN: dict[str, list] = {}


class CheckResult:
    """What :func:`check` returns: the verdict, shown once (``check`` already displayed it)."""

    def __init__(self, verdict: Verdict):
        self.verdict = verdict
        self._shown = False

    @property
    def passed(self) -> bool:
        """True when every test passed."""
        return self.verdict.passed

    def __bool__(self) -> bool:
        return self.verdict.passed

    def __repr__(self) -> str:
        return verdict_text(self.verdict)

    def _repr_html_(self) -> str:
        return verdict_html(self.verdict)

    def _ipython_display_(self) -> None:
        # Last expression of a cell: check() has displayed it already, so don't show it twice.
        if not self._shown:
            self._shown = True
            show_bundle(verdict_text(self.verdict), verdict_html(self.verdict))


def check(qid: str, answer) -> CheckResult:
    """Run the tests of question ``qid`` on ``answer`` and show a clear pass or fail.

    Parameters
    ----------
    qid : str
        Question id, written in the exercise notebook, e.g. ``"ex01.q2"``.
    answer : object
        Your answer: a function (pass the function itself, don't call it), a number, an array,
        a letter for multiple choice or a SymPy expression, as the question asks.

    Returns
    -------
    CheckResult
        ``.passed`` and ``.verdict`` (message, first failing case, hint). The feedback is displayed
        (HTML in a notebook, text elsewhere) whether or not the call is the last line of the cell.

    Raises
    ------
    ValueError
        If ``qid`` is not a known question id (a typo in the notebook, not a wrong answer).

    Notes
    -----
    A wrong answer never raises: errors, timeouts, NaNs, wrong types or shapes and inputs changed in
    place are all reported as a failed check.

    Examples
    --------
    >>> from course_lib.grading import check
    >>> check("ex01.q1", lambda p, k: 1 - (1 - p) ** k).passed   # doctest: +SKIP
    True
    """
    question = get_question(qid)
    verdict = question.judge(answer, hidden=tuple(_HIDDEN.get(qid, ())))
    _ANSWERS[qid] = answer
    _VERDICTS[qid] = verdict
    result = CheckResult(verdict)
    result._ipython_display_()
    return result


def progress(exercise: str | None = None) -> None:
    """Show which questions pass in this session.

    Parameters
    ----------
    exercise : str, optional
        Exercise id such as ``"ex01"``. Default: every exercise set with a check run in this session.
    """
    exercises = [exercise] if exercise else sorted({qid.split(".")[0] for qid in _VERDICTS})
    if not exercises:
        show_bundle(
            "No checks have run yet: run the check cells first.",
            "<i>No checks have run yet: run the check cells first.</i>",
        )
        return
    texts, htmls = [], []
    for ex in exercises:
        questions = list(exercise_questions(ex).values())
        texts.append(progress_text(ex, questions, _VERDICTS))
        htmls.append(progress_html(ex, questions, _VERDICTS))
    show_bundle("\n\n".join(texts), "".join(htmls))


def hidden_cases(qid: str, cases: Sequence) -> None:
    """Register extra test cases for a function question (used by instructors' hidden-test cells).

    Duplicates (same ``repr``) are ignored, so running a hidden-test cell twice is harmless.
    """
    get_question(qid)  # validates the id
    known = _HIDDEN.setdefault(qid, [])
    seen = {repr(c) for c in known}
    known.extend(c for c in cases if repr(c) not in seen)


def _user_namespace() -> dict:
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    return shell.user_ns if shell is not None else vars(sys.modules["__main__"])


def judge_exercise(exercise: str) -> list[dict]:
    """Judge every question of ``exercise`` again, hidden tests included, on the answers of this kernel.

    The answer is the one last passed to :func:`check`; when no check ran, the notebook variable named
    by the question's ``answer_name``. Returns one dict per question (qid, points, score, passed,
    message).
    """
    namespace = _user_namespace()
    rows = []
    for qid, question in exercise_questions(exercise).items():
        if qid in _ANSWERS:
            answer = _ANSWERS[qid]
        elif question.answer_name and question.answer_name in namespace:
            answer = namespace[question.answer_name]
        else:
            answer = Ellipsis
        try:
            verdict = question.judge(answer, hidden=tuple(_HIDDEN.get(qid, ())))
            message = verdict.message
            if verdict.message == NOT_ANSWERED and qid not in _ANSWERS:
                message = f"{NOT_ANSWERED}: check({qid!r}, ...) never ran"
        except Exception as exc:  # a grader bug or a pathological answer object: report, keep going
            verdict, message = None, f"grader error: {type(exc).__name__}: {exc}"
        passed = bool(verdict and verdict.passed)
        rows.append(
            {
                "qid": qid,
                "points": question.points,
                "score": question.points if passed else 0.0,
                "passed": passed,
                "message": message,
            }
        )
    return rows


def emit_report(exercise: str, nonce: str, hidden: str = "") -> None:
    """Load the hidden tests, re-judge ``exercise`` and print the report line ``passk grade`` reads.

    ``hidden`` is the instructor's hidden-test code; it runs in a namespace of its own, so it neither
    sees nor changes the learner's variables. If it fails, the report still comes, with every
    question marked failed and the reason.
    """
    try:
        exec(compile(hidden, "<hidden tests>", "exec"), {"__name__": "passk_hidden_tests"})
    except Exception as exc:
        rows = [
            {
                "qid": qid,
                "points": q.points,
                "score": 0.0,
                "passed": False,
                "message": f"grader error: hidden tests failed to load ({type(exc).__name__}: {exc})",
            }
            for qid, q in exercise_questions(exercise).items()
        ]
    else:
        rows = judge_exercise(exercise)
    print(f"{REPORT_PREFIX} {nonce} {json.dumps(rows)}")
