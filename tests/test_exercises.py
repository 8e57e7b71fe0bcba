"""CI checks of the course's exercises (nbgrader's ``validate`` and ``validate --invert`` ideas).

1. ``exercises/`` is exactly what ``passk build-exercises`` generates from ``solutions/`` (no diff).
2. Every solution notebook executes in a fresh kernel with every check passing, hidden tests included.
3. Every exercise notebook executes without an error in any cell, and every graded check fails.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import ROOT

from course_lib.grading.build import HIDDEN_BEGIN, SOLUTION_BEGIN, build_exercises, exercise_id
from course_lib.grading.grade import GradeConfig, grade_submission
from course_lib.grading.questions import exercise_ids, exercise_questions

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
