"""CI checks of the course's exercises (nbgrader's ``validate`` and ``validate --invert`` ideas).

1. ``exercises/`` is exactly what ``passk build-exercises`` generates from ``solutions/`` (no diff).
2. Every solution notebook executes in a fresh kernel with every check passing, hidden tests included.
3. Every exercise notebook executes without an error in any cell, and every graded check fails.
"""

from __future__ import annotations

import math
import re

import nbformat
import numpy as np
import pytest
from conftest import ROOT

from course_lib import passk
from course_lib.grading.build import HIDDEN_BEGIN, SOLUTION_BEGIN, build_exercises, exercise_id
from course_lib.grading.grade import GradeConfig, grade_submission
from course_lib.grading.questions import exercise_ids, exercise_questions, get_question

SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
CONFIG = GradeConfig(solutions=ROOT / "solutions", cell_timeout=120, total_timeout=300)


def test_exercises_are_exactly_what_the_build_generates(tmp_path):
    build_exercises(ROOT / "solutions", tmp_path)
    generated = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.glob("*.ipynb")}
    committed = {p.name: p.read_text(encoding="utf-8") for p in EXERCISES}
    assert sorted(generated) == sorted(committed), "run `passk build-exercises` (or `make exercises`)"
    stale = [name for name in generated if generated[name] != committed[name]]
    assert not stale, f"out of date: {stale}; run `passk build-exercises`"
    assert build_exercises(ROOT / "solutions", ROOT / "exercises", check=True).stale == []


def test_every_question_has_a_solution_notebook_and_a_check_cell():
    assert len(SOLUTIONS) == len(exercise_ids()) and sum(len(exercise_questions(e)) for e in exercise_ids()) >= 12
    for path in SOLUTIONS:
        nb = nbformat.read(path, as_version=4)
        exercise = exercise_id(nb, path)
        assert exercise in exercise_ids(), path.name
        checked = re.findall(r"check\(\"(ex\d\d\.q\w+)\"", "\n".join(c.source for c in nb.cells))
        assert checked == list(exercise_questions(exercise)), f"{path.name}: check cells {checked}"


@pytest.mark.parametrize("path", EXERCISES, ids=[p.stem for p in EXERCISES])
def test_exercises_hold_no_answers_no_hidden_tests_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert SOLUTION_BEGIN not in text and HIDDEN_BEGIN not in text and "hidden_cases" not in text
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    from course_lib.config import setup_cell_source

    assert first_code.source == setup_cell_source()


@pytest.mark.notebook
@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_solution_notebook_passes_every_check(path):
    rows = grade_submission(path, CONFIG)
    failed = [(r.question, r.message) for r in rows if r.status != "passed"]
    assert not failed, failed
    assert any("hidden" in r.message for r in rows), "every solution notebook carries hidden tests"


@pytest.mark.notebook
@pytest.mark.parametrize("path", EXERCISES, ids=[p.stem for p in EXERCISES])
def test_exercise_notebook_runs_cleanly_with_every_check_failing(path):
    rows = grade_submission(path, CONFIG)
    assert rows and all(r.status == "failed" for r in rows), [(r.question, r.status, r.message) for r in rows]
    crashed = [r.message for r in rows if "notebook had errors" in r.message]
    assert not crashed, crashed[0]


# ---------------------------------------------------------------------------------------------- answers
# A check must accept every correct formulation and reject wrong ones: these call the questions'
# judges directly (no kernel), with the hidden cases of the solution notebooks.


def _pkpo_loop(r, k):
    """PKPO's binary weights, one sample at a time with math.comb."""
    n, c = len(r), int(sum(r))
    return [k / n if ri == 1 else k / n * (1 - math.comb(n - 1 - c, k - 1) / math.comb(n - 1, k - 1)) for ri in r]


def _pkpo_clipped(r, k):
    """Vectorised, with c clipped to n - 1 (c = n has no wrong sample to weight)."""
    r = np.asarray(r)
    n, c = r.size, int(r.sum())
    return np.where(r == 1, k / n, k / n * passk.pass_at_k(n - 1, min(c, n - 1), k - 1))


def _pkpo_others(r, k):
    """Vectorised, with each sample's count among the other n - 1 samples (c - r_i): valid when c = n."""
    r = np.asarray(r, dtype=int)
    return k / r.size * np.where(r == 1, 1.0, passk.pass_at_k(r.size - 1, r.sum() - r, k - 1))


def _pkpo_guarded(r, k):
    """A guard for the all-correct group, then the formula as written."""
    r = np.asarray(r, dtype=float)
    n, c = r.size, int(r.sum())
    if c == n:
        return np.full(n, k / n)
    return np.where(r == 1, k / n, k / n * passk.pass_at_k(n - 1, c, k - 1))


def _pkpo_naive(r, k):
    """The natural vectorised answer: raises on the all-correct group (c > n - 1)."""
    r = np.asarray(r)
    n, c = r.size, int(r.sum())
    return np.where(r == 1, k / n, k / n * passk.pass_at_k(n - 1, c, k - 1))


def _pkpo_wrong_k(r, k):
    """A wrong formula: rho at k instead of k - 1."""
    r = np.asarray(r, dtype=int)
    return k / r.size * np.where(r == 1, 1.0, passk.pass_at_k(r.size - 1, r.sum() - r, k))


PKPO_HIDDEN = [(np.array([1, 0]), 2), (np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0]), 10)]


@pytest.mark.parametrize("answer", [_pkpo_loop, _pkpo_clipped, _pkpo_others, _pkpo_guarded], ids=lambda f: f.__name__)
def test_ex04_q2_accepts_every_correct_formulation(answer):
    question = get_question("ex04.q2")
    assert any(int(np.sum(r)) == len(r) for r, _ in question.cases), "a visible all-correct case (c = n)"
    verdict = question.judge(answer, hidden=PKPO_HIDDEN)
    assert verdict.passed, verdict.message
    assert verdict.n_hidden == len(PKPO_HIDDEN)


def test_ex04_q2_rejects_wrong_answers_and_its_hint_warns_about_c_equal_n():
    question = get_question("ex04.q2")
    naive = question.judge(_pkpo_naive, hidden=PKPO_HIDDEN)
    assert not naive.passed and naive.message.startswith("raised ValueError")
    assert "c = n" in naive.hint and "c − r_i" in naive.hint
    wrong = question.judge(_pkpo_wrong_k, hidden=PKPO_HIDDEN)
    assert not wrong.passed and "differ" in wrong.message


def _matched_loop(history, level, k):
    for row in history:
        if "seen/pass@1" in row and row["seen/pass@1"] >= level:
            return row[f"seen/delta@{k}"]
    return float("nan")


def _matched_next(history, level, k):
    rows = (row for row in history if row.get("seen/pass@1", -1.0) >= level)
    row = next(rows, None)
    return np.nan if row is None else np.float64(row[f"seen/delta@{k}"])


def _matched_last(history, level, k):
    """Wrong: the last row that reaches the level, not the first."""
    rows = [row for row in history if row.get("seen/pass@1", -1.0) >= level]
    return rows[-1][f"seen/delta@{k}"] if rows else float("nan")


def _matched_no_skip(history, level, k):
    """Wrong: reads every row, training rows included (they have no seen/pass@1)."""
    for row in history:
        if row["seen/pass@1"] >= level:
            return row[f"seen/delta@{k}"]
    return float("nan")


def test_ex05_q5_matched_pass1_accepts_correct_answers_and_rejects_wrong_ones():
    from course_lib.grading.bank.ex05 import lab_history

    question = get_question("ex05.q5")
    hidden = [(lab_history([0.0, 0.2, 0.6], [0.1, 0.3, 0.9], every=3), 0.75, 2)]
    for answer in (_matched_loop, _matched_next):
        verdict = question.judge(answer, hidden=hidden)
        assert verdict.passed, (answer.__name__, verdict.message)
    assert not question.judge(_matched_last, hidden=hidden).passed
    no_skip = question.judge(_matched_no_skip, hidden=hidden)
    assert not no_skip.passed and "KeyError" in no_skip.message


def test_ex05_reading_questions_take_one_letter():
    for qid, right in (("ex05.q6", "b"), ("ex05.q7", "c")):
        question = get_question(qid)
        assert question.judge(right).passed
        assert all(not question.judge(x).passed for x in question.options if x != right)


def test_ex03_q2_accepts_the_value_the_chart_shows():
    """The zero-signal chart prints E[steps] to one decimal (12.9 for 12.944): that reading passes."""
    from course_lib.grading.bank.ex03 import ZERO_SIGNAL
    from course_lib.viz import explorers

    question = get_question("ex03.q2")
    text = explorers.zero_signal_description(explorers.zero_signal_tables(**ZERO_SIGNAL))
    shown = float(re.search(r"after ([\d,.]+) RL steps", text).group(1).replace(",", ""))
    exact = 1 / (1 - (1 - ZERO_SIGNAL["p"]) ** ZERO_SIGNAL["n"])
    assert shown == round(exact, 1) and shown != exact
    for answer in (shown, exact, round(exact, 2)):
        assert question.judge(answer).passed, answer
    for wrong in (round(exact, 1) - 0.1, round(exact, 1) + 0.1, 1 / ZERO_SIGNAL["p"], exact * ZERO_SIGNAL["n"]):
        assert not question.judge(wrong).passed, wrong
