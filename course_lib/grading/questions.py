"""Question types and the question registry.

A question knows how to judge an answer and returns a :class:`Verdict`. Four kinds cover the course:

- :class:`FunctionQuestion`: the learner writes a function; it is called on a list of cases and
  compared with the course's reference implementation (one formula, one home: the reference is the
  ``course_lib`` function, never a copy).
- :class:`ValueQuestion`: the learner computes a number (or array); compared with a reference value.
- :class:`ChoiceQuestion`: multiple choice, answered with a letter.
- :class:`SymbolicQuestion`: the learner derives a SymPy expression; checked symbolically.

Questions live in ``course_lib/grading/bank/exNN.py`` (one module per exercise notebook, a list
called ``QUESTIONS``) and are loaded on first use by :func:`get_question`.
"""

from __future__ import annotations

import copy
import importlib
import pkgutil
import re
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .compare import mismatch, show
from .safe import call_safely

__all__ = [
    "Verdict",
    "Question",
    "FunctionQuestion",
    "ValueQuestion",
    "ChoiceQuestion",
    "SymbolicQuestion",
    "get_question",
    "exercise_questions",
    "exercise_ids",
]

NOT_ANSWERED = "not answered yet"


@dataclass
class Verdict:
    """The result of judging one answer to one question."""

    qid: str
    """Question id such as ``"ex01.q2"``."""
    passed: bool
    """True when every test passed."""
    message: str
    """One sentence: what passed, or the first thing that went wrong."""
    hint: str = ""
    """The question's hint (shown on failure)."""
    case: dict[str, str] = field(default_factory=dict)
    """The first failing case as text: ``input``, ``expected``, ``got`` (empty when none applies)."""
    notes: list[str] = field(default_factory=list)
    """Extra remarks: output the answer printed, warnings it raised."""
    n_tests: int = 0
    """How many tests ran."""
    n_hidden: int = 0
    """How many of them were hidden tests (registered by the grader)."""
    points: float = 1.0
    """What the question is worth."""

    @property
    def score(self) -> float:
        """Points earned: all or nothing."""
        return self.points if self.passed else 0.0


@dataclass(frozen=True)
class Question:
    """Base class: an id, a title, a hint and the notebook name that usually holds the answer."""

    qid: str
    """``exNN.qM``: exercise id, dot, question id."""
    title: str
    """Short title shown by ``progress()``."""
    hint: str = ""
    """Shown when the answer fails."""
    answer_name: str = ""
    """Name the exercise notebook binds the answer to (the grader's fallback when no check ran)."""
    points: float = 1.0
    """Points for a correct answer."""

    @property
    def exercise(self) -> str:
        """The exercise id, e.g. ``"ex01"``."""
        return self.qid.split(".", 1)[0]

    def verdict(self, passed: bool, message: str, **extra) -> Verdict:
        """Build a :class:`Verdict` for this question."""
        return Verdict(
            qid=self.qid, passed=passed, message=message, hint="" if passed else self.hint, points=self.points, **extra
        )

    def judge(self, answer, hidden: Sequence = ()) -> Verdict:  # pragma: no cover - abstract
        """Judge ``answer``; ``hidden`` are extra test cases from the grader."""
        raise NotImplementedError


def _not_answered(answer) -> bool:
    return answer is Ellipsis or answer is None


def _error_text(exc: BaseException) -> str:
    """``ZeroDivisionError: division by zero (line 4: return a / b)`` from the learner's frame."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "course_lib" not in f.filename.replace("\\", "/")]
    if frames:
        last = frames[-1]
        where = f"line {last.lineno}" + (f": {last.line.strip()}" if last.line else "")
        text += f" ({where})"
    return text


def _output_notes(printed: str, printed_chars: int, warned: list[str]) -> list[str]:
    notes = []
    if printed_chars:
        first = printed.strip().splitlines()[:3]
        preview = " | ".join(line[:80] for line in first)
        if printed_chars > 2000:
            notes.append(
                f"Your code printed {printed_chars:,} characters during the tests (a print flood); "
                f"they were hidden. Remove debugging prints. It began: {preview}"
            )
        else:
            notes.append(f"Your code printed during the tests (hidden): {preview}")
    notes += [f"Your code raised a warning: {w}" for w in warned]
    return notes


@dataclass(frozen=True)
class FunctionQuestion(Question):
    """The answer is a function; it must agree with ``reference`` on every case.

    ``cases`` is a sequence of argument tuples (or ``(args, kwargs)`` pairs when the second item is
    a dict); ``params`` names the arguments for feedback. Each case runs under
    :func:`~course_lib.grading.safe.call_safely` with what is left of ``time_limit`` seconds.
    """

    reference: Callable | None = None
    """The course_lib function that defines the right answer."""
    cases: tuple = ()
    """Visible test cases (argument tuples)."""
    params: tuple[str, ...] = ()
    """Argument names, for feedback."""
    rtol: float = 1e-9
    """Relative tolerance."""
    atol: float = 1e-12
    """Absolute tolerance."""
    time_limit: float = 3.0
    """Seconds all cases together may take."""

    def describe(self, args: tuple, kwargs: dict) -> str:
        """``n=10, c=3, k=5`` for a case."""
        # args may stop before the last (defaulted) params: zip stops with them
        names = list(self.params) + [f"arg{i}" for i in range(len(self.params), len(args))]
        parts = [f"{name}={show(value, 60)}" for name, value in zip(names, args, strict=False)]
        parts += [f"{key}={show(value, 60)}" for key, value in kwargs.items()]
        return ", ".join(parts)

    @staticmethod
    def _split(case) -> tuple[tuple, dict]:
        if isinstance(case, tuple) and len(case) == 2 and isinstance(case[1], dict) and isinstance(case[0], tuple):
            return case
        return (case if isinstance(case, tuple) else (case,)), {}

    def judge(self, answer, hidden: Sequence = ()) -> Verdict:
        if _not_answered(answer):
            return self.verdict(False, NOT_ANSWERED)
        if not callable(answer):
            return self.verdict(
                False,
                f"expected a function, got a {type(answer).__name__}: pass the function "
                f"itself, e.g. check({self.qid!r}, my_function), without calling it",
            )
        if str(getattr(answer, "__module__", "") or "").startswith("course_lib"):
            return self.verdict(False, "that is the course's own implementation — pass the function you wrote")
        cases = [(c, False) for c in self.cases] + [(c, True) for c in hidden]
        budget, printed, printed_chars, warned = self.time_limit, "", 0, []
        for n_done, (case, is_hidden) in enumerate(cases):
            args, kwargs = self._split(case)
            expected = self.reference(*copy.deepcopy(args), **copy.deepcopy(kwargs))
            out = call_safely(answer, args, kwargs, time_limit=max(budget, 0.05))
            budget -= out.seconds
            printed += out.printed[: 2000 - len(printed)]
            printed_chars += out.printed_chars
            warned += [w for w in out.warnings if w not in warned][:3]
            where = {"input": self.describe(args, kwargs) + (" (hidden test)" if is_hidden else "")}
            notes = _output_notes(printed, printed_chars, warned)
            fail = dict(case=where, notes=notes, n_tests=n_done + 1, n_hidden=sum(h for _, h in cases[: n_done + 1]))
            if out.timed_out:
                return self.verdict(
                    False,
                    f"did not finish within {self.time_limit:g} s — an infinite loop, "
                    "or a loop far longer than needed?",
                    **fail,
                )
            if isinstance(out.error, NotImplementedError):
                return self.verdict(False, NOT_ANSWERED + ": replace `raise NotImplementedError()` with your code")
            if out.error is not None:
                return self.verdict(False, f"raised {_error_text(out.error)}", **fail)
            if out.mutated:
                names = [self.params[i] if isinstance(i, int) and i < len(self.params) else str(i) for i in out.mutated]
                return self.verdict(
                    False,
                    f"changed its input {', '.join(names)} in place; work on a copy "
                    "(for example x = np.array(x, dtype=float)) instead",
                    **fail,
                )
            problem = mismatch(out.value, expected, rtol=self.rtol, atol=self.atol)
            if problem:
                where.update(expected=show(expected), got=show(out.value))
                return self.verdict(False, problem, **fail)
        n_hidden = sum(h for _, h in cases)
        extra = f" (including {n_hidden} hidden)" if n_hidden else ""
        return self.verdict(
            True,
            f"passed all {len(cases)} tests{extra}",
            n_tests=len(cases),
            n_hidden=n_hidden,
            notes=_output_notes(printed, printed_chars, warned),
        )


@dataclass(frozen=True)
class ValueQuestion(Question):
    """The answer is a value; ``expected()`` computes the right one with course_lib."""

    expected: Callable[[], Any] | None = None
    """Zero-argument function returning the right value (computed on demand, never typed in)."""
    rtol: float = 1e-6
    """Relative tolerance."""
    atol: float = 1e-9
    """Absolute tolerance."""

    def judge(self, answer, hidden: Sequence = ()) -> Verdict:
        if _not_answered(answer):
            return self.verdict(False, NOT_ANSWERED)
        if callable(answer) and not isinstance(answer, type):
            return self.verdict(False, "expected a value, got a function: call it and check the result")
        expected = self.expected()
        problem = mismatch(answer, expected, rtol=self.rtol, atol=self.atol)
        if problem:
            problem = problem.replace("returned", "your answer is", 1) if problem.startswith("returned") else problem
            return self.verdict(
                False, problem, case={"expected": "(hidden until you get it right)", "got": show(answer)}, n_tests=1
            )
        return self.verdict(True, "correct", n_tests=1)


@dataclass(frozen=True)
class ChoiceQuestion(Question):
    """Multiple choice: the answer is one letter among ``options``."""

    options: tuple[str, ...] = ()
    """The allowed letters, e.g. ``("a", "b", "c", "d")``."""
    correct: str = ""
    """The right letter."""
    feedback: tuple[tuple[str, str], ...] = ()
    """Optional (letter, why it is wrong) pairs shown when that letter is chosen."""

    def judge(self, answer, hidden: Sequence = ()) -> Verdict:
        if _not_answered(answer):
            return self.verdict(False, NOT_ANSWERED)
        allowed = ", ".join(repr(o) for o in self.options)
        if not isinstance(answer, str):
            return self.verdict(False, f"answer with one letter as a string: one of {allowed}")
        letter = re.sub(r"[\s().:]", "", answer).lower()
        if letter not in self.options:
            return self.verdict(False, f"{show(answer)} is not one of the options {allowed}")
        if letter != self.correct:
            why = dict(self.feedback).get(letter, "")
            return self.verdict(False, f"({letter}) is not right" + (f": {why}" if why else ""), n_tests=1)
        return self.verdict(True, f"({letter}) is right", n_tests=1)


@dataclass(frozen=True)
class SymbolicQuestion(Question):
    """The answer is a SymPy expression equal to ``expected()`` (checked by simplifying the difference).

    Free symbols are matched by name, so ``sympy.Symbol("p")`` and ``sympy.Symbol("p", positive=True)``
    count as the same symbol. ``samples`` are substitutions used to show a counterexample.
    """

    expected: Callable[[], Any] | None = None
    """Zero-argument function returning the right SymPy expression."""
    samples: tuple[tuple[tuple[str, float], ...], ...] = ()
    """Points ((name, value), ...) at which a wrong answer is evaluated for the feedback."""
    time_limit: float = 5.0
    """Seconds the simplification may take."""

    def judge(self, answer, hidden: Sequence = ()) -> Verdict:
        import sympy as sp

        if _not_answered(answer):
            return self.verdict(False, NOT_ANSWERED)
        if isinstance(answer, str) or not isinstance(answer, (sp.Basic, int, float)):
            return self.verdict(False, f"expected a SymPy expression, got a {type(answer).__name__}")
        expected = sp.sympify(self.expected())
        by_name = {s.name: s for s in expected.free_symbols}
        answer = sp.sympify(answer)
        extra = sorted(s.name for s in answer.free_symbols if s.name not in by_name)
        if extra:
            return self.verdict(
                False,
                f"your expression uses {', '.join(extra)}, which the answer does not "
                f"depend on (allowed: {', '.join(sorted(by_name)) or 'no symbols'})",
            )
        answer = answer.subs({s: by_name[s.name] for s in answer.free_symbols})
        out = call_safely(lambda: sp.simplify(answer - expected), time_limit=self.time_limit)
        if out.timed_out or out.error is not None:
            return self.verdict(
                False, "could not simplify the difference with the answer in time; simplify your expression first"
            )
        if out.value == 0:
            return self.verdict(True, "equal to the answer (the difference simplifies to 0)", n_tests=1)
        case = {}
        for point in self.samples:
            subs = {by_name[n]: v for n, v in point if n in by_name}
            got, want = complex(answer.evalf(subs=subs)), complex(expected.evalf(subs=subs))
            if abs(got - want) > 1e-9 * max(1.0, abs(want)):
                case = {
                    "input": ", ".join(f"{n}={v}" for n, v in point),
                    "expected": show(want.real if want.imag == 0 else want),
                    "got": show(got.real if got.imag == 0 else got),
                }
                break
        return self.verdict(
            False, "not equal to the answer: the difference does not simplify to 0", case=case, n_tests=1
        )


# -- registry ---------------------------------------------------------------------------------------

_BANK = "course_lib.grading.bank"
_LOADED: dict[str, dict[str, Question]] = {}


def exercise_ids() -> list[str]:
    """Ids of all exercise sets in the bank (``ex01``, ``ex02``, ...)."""
    bank = importlib.import_module(_BANK)
    return sorted(m.name for m in pkgutil.iter_modules(bank.__path__) if re.fullmatch(r"ex\d\d", m.name))


def exercise_questions(exercise: str) -> dict[str, Question]:
    """All questions of one exercise set, in order, keyed by id."""
    if exercise not in _LOADED:
        if exercise not in exercise_ids():
            raise ValueError(f"exercise: unknown exercise set {exercise!r}; known: {', '.join(exercise_ids())}")
        module = importlib.import_module(f"{_BANK}.{exercise}")
        questions = {q.qid: q for q in module.QUESTIONS}
        _LOADED[exercise] = questions
    return _LOADED[exercise]


def get_question(qid: str) -> Question:
    """The question with id ``qid`` (``"ex01.q2"``); ValueError naming the known ids when there is none."""
    if not isinstance(qid, str) or not re.fullmatch(r"ex\d\d\.q\w+", qid):
        raise ValueError(f"qid: expected a question id like 'ex01.q2', got {qid!r}")
    questions = exercise_questions(qid.split(".", 1)[0])
    if qid not in questions:
        raise ValueError(f"qid: no question {qid!r}; this exercise has {', '.join(questions)}")
    return questions[qid]
