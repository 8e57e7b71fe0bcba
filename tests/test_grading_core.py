"""The checker itself: a matrix of bad answers, each with the message a learner should see.

The questions are real ones from the bank (ex01: pass@k), so these tests also pin that the
references are course_lib's functions.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import signal
import threading
import time

import numpy as np
import pytest
import sympy as sp

from course_lib import passk
from course_lib.grading import check, hidden_cases, progress
from course_lib.grading.compare import mismatch
from course_lib.grading.feedback import verdict_html, verdict_text
from course_lib.grading.questions import NOT_ANSWERED, get_question
from course_lib.grading.safe import call_safely


def good_pass_at_k(n, c, k):
    if n - c < k:
        return 1.0
    return 1 - math.prod(1 - k / i for i in range(n - c + 1, n + 1))


def judge(qid, answer, hidden=()):
    return get_question(qid).judge(answer, hidden=hidden)


# ----------------------------------------------------------------------------- the bad-answer matrix
def raises(n, c, k):
    return n / (c - c)


def not_implemented(n, c, k):
    raise NotImplementedError()


def forgot_return(n, c, k):
    1 - math.comb(n - c, k) / math.comb(n, k)


def returns_string(n, c, k):
    return "0.9"


def returns_array(n, c, k):
    return np.array([good_pass_at_k(n, c, k)])


def float_binomials(n, c, k):  # the classic overflow: inf/inf = nan for big n
    with np.errstate(all="ignore"):
        return 1 - float(
            np.prod(np.arange(n - c - k + 1, n - c + 1, dtype=float))
            / np.prod(np.arange(n - k + 1, n + 1, dtype=float))
        )


def loops_forever(n, c, k):
    while True:
        pass


def swallows_errors(n, c, k):
    while True:
        try:
            time.sleep(0.001)
        except Exception:  # must not catch the checker's timeout
            pass


def prints_a_flood(n, c, k):
    for _ in range(20_000):
        print("debug: still here")
    return good_pass_at_k(n, c, k)


def exits(n, c, k):
    raise SystemExit(3)


MATRIX = [
    (raises, "raised ZeroDivisionError"),
    (not_implemented, NOT_ANSWERED),
    (forgot_return, "returned None — is a `return` statement missing?"),
    (returns_string, "returned a string"),
    (returns_array, "returned an array of shape (1,), but a single number was expected"),
    (float_binomials, "NaN (not a number)"),
    (exits, "raised SystemExit"),
    (good_pass_at_k(10, 3, 5), "expected a function"),
    (passk.pass_at_k, "the course's own implementation"),
    (..., NOT_ANSWERED),
    (None, NOT_ANSWERED),
]


@pytest.mark.parametrize("answer,message", MATRIX, ids=[str(getattr(a, "__name__", a))[:20] for a, _ in MATRIX])
def test_bad_answers_fail_with_a_clear_message(answer, message):
    verdict = judge("ex01.q2", answer)
    assert not verdict.passed
    assert message in verdict.message, verdict.message


def test_good_answer_passes_and_hidden_cases_count():
    verdict = judge("ex01.q2", good_pass_at_k, hidden=[(10**6, 1, 10**5)])
    assert verdict.passed, verdict.message
    assert verdict.n_hidden == 1 and verdict.n_tests == len(get_question("ex01.q2").cases) + 1
    assert verdict.score == verdict.points


def test_first_failing_case_shows_input_expected_got():
    def off_by_one(n, c, k):
        return good_pass_at_k(n, c, k) if n < 5 else good_pass_at_k(n, c, k) * 0.99

    verdict = judge("ex01.q2", off_by_one)
    assert verdict.case["input"] == "n=10, c=3, k=5"
    assert float(verdict.case["expected"]) == pytest.approx(11 / 12)
    assert float(verdict.case["got"]) == pytest.approx(0.99 * 11 / 12)
    assert verdict.hint and "prod" in verdict.hint


def test_error_message_points_at_the_learners_line():
    verdict = judge("ex01.q2", raises)
    assert "return n / (c - c)" in verdict.message


@pytest.mark.parametrize("answer", [loops_forever, swallows_errors])
def test_infinite_loop_times_out_and_leaves_no_alarm_behind(answer):
    question = dataclasses.replace(get_question("ex01.q2"), time_limit=1.0)  # the mechanism, not the budget
    start = time.perf_counter()
    verdict = question.judge(answer)
    elapsed = time.perf_counter() - start
    assert not verdict.passed and "did not finish within" in verdict.message
    assert elapsed < question.time_limit + 1.5
    time.sleep(0.2)  # a stray SIGALRM would raise here
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert judge("ex01.q2", good_pass_at_k).passed


def exact_big_integers(n, c, k):  # correct but slow: Python's exact binomials, ~10^5 digits at n = 10^6
    if n - c < k:
        return 1.0
    return 1 - math.comb(n - c, k) / math.comb(n, k)


def subset_enumeration(n, c, k):  # correct but hopeless beyond tiny n: visits every size-k subset
    graded = [1] * c + [0] * (n - c)
    hits = sum(any(graded[i] for i in s) for s in itertools.combinations(range(n), k))  # streamed, no list
    return hits / math.comb(n, k)


LARGEST_HIDDEN = [(10**6, 1, 10**5), (10**6, 1000, 1000)]
"""The largest hidden cases the instructor registers for ex01.q2 (solutions/ex01_pass_at_k_metric.ipynb)."""


def test_exact_big_integer_answer_passes_with_room_for_a_slower_cpu():
    question = get_question("ex01.q2")
    start = time.perf_counter()
    verdict = question.judge(exact_big_integers, hidden=LARGEST_HIDDEN)
    elapsed = time.perf_counter() - start
    assert verdict.passed, verdict.message
    assert 3 * elapsed < question.time_limit, f"{elapsed:.2f} s of {question.time_limit} s: no room for a slow CPU"


def test_subset_enumeration_is_still_caught_by_the_budget():
    question = get_question("ex01.q2")
    assert subset_enumeration(5, 2, 3) == pytest.approx(passk.pass_at_k(5, 2, 3))  # right where it finishes
    start = time.perf_counter()
    verdict = question.judge(subset_enumeration)
    elapsed = time.perf_counter() - start
    assert not verdict.passed and f"did not finish within {question.time_limit:g} s" in verdict.message
    assert verdict.case["input"] == "n=200, c=1, k=100"  # the first case with an astronomical C(n, k)
    assert elapsed < question.time_limit + 1.5


def test_outer_alarm_is_restored():
    fired = []
    old = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 5.0)
        judge("ex01.q2", good_pass_at_k)
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < remaining <= 5.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert not fired


def test_timeout_from_a_worker_thread_uses_the_thread_fallback():
    box = {}
    worker = threading.Thread(target=lambda: box.update(out=call_safely(loops_forever, (1, 0, 1), time_limit=0.3)))
    worker.start()
    worker.join(5)
    assert box["out"].timed_out
    # the runaway answer is stopped, not left spinning (it would hold the GIL and slow the kernel)
    deadline = time.perf_counter() + 5
    while any(t.name == "passk-answer" for t in threading.enumerate()) and time.perf_counter() < deadline:
        time.sleep(0.05)
    assert not [t for t in threading.enumerate() if t.name == "passk-answer"]


def test_print_flood_is_captured_and_reported_not_shown(capsys):
    start = time.perf_counter()
    verdict = judge("ex01.q2", prints_a_flood)
    assert time.perf_counter() - start < 3
    assert verdict.passed
    assert any("print flood" in note for note in verdict.notes)
    assert capsys.readouterr().out == ""


def test_input_mutation_is_caught_and_callers_data_untouched():
    def squares_in_place(p, k):
        p = np.asarray(p)
        p **= 1  # a no-op on values would not be caught; change them:
        p[...] = 1 - (1 - p) ** k
        return float(p.mean())

    verdict = judge("ex01.q4", squares_in_place)
    assert not verdict.passed
    assert "changed its input p in place" in verdict.message
    cases = get_question("ex01.q4").cases
    assert np.array_equal(cases[0][0], [0.0, 0.5])  # the question's own cases were never touched


def test_wrong_shape_and_nan_for_array_answers():
    def per_prompt(p, k):
        return 1 - (1 - np.asarray(p, dtype=float)) ** k

    assert "returned an array of shape" in judge("ex01.q4", per_prompt).message

    def nan_element(p, k):
        out = np.array(1 - (1 - np.asarray(p, dtype=float)) ** k)
        if out.ndim:
            out[-1] = np.nan
        return out

    verdict = judge("ex01.q1", nan_element)
    assert "element 3 is nan (expected 1)" in verdict.message and "NaN" in verdict.message


def test_learner_names_cannot_clobber_the_reference(monkeypatch):
    question = get_question("ex01.q2")  # bank loaded before the learner's monkeypatch
    monkeypatch.setattr(passk, "pass_at_k", lambda n, c, k: 0.5)
    assert not question.judge(lambda n, c, k: 0.5).passed
    assert question.judge(good_pass_at_k).passed


def test_learner_globals_cannot_clobber_the_checker():
    learner = {"check": check}
    exec(
        "np = None\nmath = None\nlen = None\nfloat = None\nprint = None\nisinstance = None\n"
        "def pass_at_k(n, c, k):\n    return 1.0 if n - c < k else 1 - __import__('math').prod("
        "1 - k / i for i in range(n - c + 1, n + 1))\n"
        "result = check('ex01.q2', pass_at_k)",
        learner,
    )
    assert learner["result"].passed


# ----------------------------------------------------------------------------- other question kinds
@pytest.mark.parametrize(
    "answer,ok,message",
    [
        ("b", True, "is right"),
        (" (B) ", True, "is right"),
        ("a", False, "try p = (0, 0.5)"),
        ("z", False, "not one of the options"),
        (2, False, "one letter as a string"),
        (..., False, NOT_ANSWERED),
    ],
)
def test_choice_question(answer, ok, message):
    verdict = judge("ex01.q5", answer)
    assert verdict.passed is ok and message in verdict.message


@pytest.mark.parametrize(
    "answer,message",
    [
        ("0.1", "your answer is a string"),
        (np.array([1.0, 2.0]), "shape (2,)"),
        (float("nan"), "NaN"),
        (lambda: 0, "expected a value, got a function"),
        (0.0, "expected"),
    ],
)
def test_value_question_bad_answers(answer, message):
    verdict = judge("ex01.q3", answer)
    assert not verdict.passed and message in verdict.message, verdict.message
    assert "hidden until" in verdict.case.get("expected", "hidden until")


def test_value_question_exact_integer():
    from course_lib.grading.bank.ex01 import crossing_k

    assert judge("ex01.q7", crossing_k()).passed
    assert not judge("ex01.q7", crossing_k() + 1).passed
    assert judge("ex01.q7", float(crossing_k())).passed


def test_symbolic_question_matches_by_symbol_name_and_gives_a_counterexample():
    p, k = sp.symbols("p k")  # no assumptions: still the same symbols by name
    assert judge("ex02.q3", sp.diff(1 - (1 - p) ** k, p)).passed
    wrong = judge("ex02.q3", (1 - p) ** (k - 1))
    assert not wrong.passed and wrong.case["input"] == "p=0.3, k=4"
    assert float(wrong.case["expected"]) == pytest.approx(4 * 0.7**3)
    assert "uses x" in judge("ex02.q3", sp.Symbol("x") * k).message
    assert "SymPy expression" in judge("ex02.q3", "k*(1-p)**(k-1)").message


# ----------------------------------------------------------------------------- check, progress, rendering
def test_check_displays_once_and_records_progress(capsys):
    result = check("ex01.q1", lambda p, k: 1 - (1 - np.asarray(p, dtype=float)) ** k)
    assert result.passed and bool(result)
    printed = capsys.readouterr().out
    assert printed.count("ex01.q1") == 1 and "passed" in printed
    result._ipython_display_()  # IPython's display of the cell's last value: already shown
    assert capsys.readouterr().out == ""
    progress("ex01")
    table = capsys.readouterr().out
    assert "✅ ex01.q1" in table and "ex01.q7" in table and "passing" in table


def test_unknown_question_is_a_value_error():
    with pytest.raises(ValueError, match="qid"):
        check("ex01.q99", 1)
    with pytest.raises(ValueError, match="exercise"):
        check("ex77.q1", 1)
    with pytest.raises(ValueError, match="qid"):
        hidden_cases("nonsense", [])


def test_feedback_is_escaped_in_html():
    def shouty(n, c, k):
        print("<script>alert(1)</script>")
        return 0.0

    verdict = judge("ex01.q2", shouty)
    html = verdict_html(verdict)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "expected" in verdict_text(verdict)


# ----------------------------------------------------------------------------- comparison helper
@pytest.mark.parametrize(
    "got,expected,fragment",
    [
        (True, 1.0, "bool"),
        (np.float64(0.5), 0.5, None),
        (np.array(0.5), 0.5, None),
        ([1, 2], (1, 2), None),
        ((1, 3), (1, 2), "item 1"),
        (np.ones((3, 1)), np.ones(3), "shape (3, 1)"),
        (1 + 2j, 1.0, "complex"),
        (float("inf"), 1.0, "inf"),
        (5, 5, None),
        (5.5, 5, "expected 5"),
        ([[1], [2, 3]], np.ones(2), "not an array"),
    ],
)
def test_mismatch(got, expected, fragment):
    problem = mismatch(got, expected)
    if fragment is None:
        assert problem is None
    else:
        assert problem is not None and fragment in problem, problem


def test_a_case_is_described_even_when_it_omits_defaulted_parameters():
    q = get_question("ex01.q1")
    assert q.describe((10,), {}) == f"{q.params[0]}=10"
