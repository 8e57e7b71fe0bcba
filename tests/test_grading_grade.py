"""``passk grade``: bad submissions get a row with a reason, grading goes on, files are never modified."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from course_lib.cli import main
from course_lib.grading.build import hidden_tests, packaged_hidden_tests
from course_lib.grading.export import feedback_text
from course_lib.grading.grade import FIELDS, GradeConfig, grade_all, grade_submission, summarise, write_csv
from course_lib.grading.questions import exercise_ids, exercise_questions

N_EX01 = len(exercise_questions("ex01"))
CONFIG = GradeConfig(cell_timeout=3, total_timeout=40)  # hidden tests: the course's own, shipped in the package

ANSWER_Q1 = (
    "from course_lib.grading import check\nimport numpy as np\n"
    "def pass_at_k_from_p(p, k):\n    return 1 - (1 - np.asarray(p, dtype=float)) ** k\n"
    "check('ex01.q1', pass_at_k_from_p)"
)


def notebook(path: Path, *sources: str, exercise: str | None = "ex01") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    if exercise:
        nb.metadata["passk"] = {"exercise": exercise}
    nbformat.write(nb, path)
    return path


def by_question(rows):
    return {r.question: r for r in rows}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "name,content,reason",
    [
        ("ex01_broken.ipynb", "{not json", "not a readable Jupyter notebook"),
        ("ex01_hello.ipynb", '{"hello": 1}', "not a readable Jupyter notebook"),
        ("ex01_binary.ipynb", b"\x89PNG\r\n\x1a\n\x00\x00", "not a readable Jupyter notebook"),
        ("ex01_solution.py", "print('hi')", "not a readable Jupyter notebook"),
        (
            "ex01_badcells.ipynb",
            '{"cells": [{"cell_type": "code"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
            "not a readable Jupyter notebook",
        ),
        (
            "ex01_cells.ipynb",
            '{"cells": "nope", "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
            "not a readable Jupyter notebook",
        ),
    ],
)
def test_unreadable_submissions_get_a_reason_without_a_kernel(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    rows = grade_submission(path, CONFIG)
    assert all(r.status == "not graded" and reason in r.message and r.score == 0 for r in rows)
    if name.endswith(".ipynb"):  # exercise told by the file name: one row per question
        assert [r.question for r in rows] == list(exercise_questions("ex01"))
    else:
        assert [r.question for r in rows] == ["*"]


def test_missing_file_and_unknown_exercise(tmp_path):
    (missing,) = grade_submission(tmp_path / "nope.ipynb", CONFIG)
    assert missing.message == "file not found" and missing.question == "*"
    anonymous = notebook(tmp_path / "homework.ipynb", "x = 1", exercise=None)
    (row,) = grade_submission(anonymous, CONFIG)
    assert "cannot tell which exercise" in row.message


@pytest.mark.slow
def test_graded_copy_runs_fresh_with_hidden_tests_and_the_file_is_untouched(tmp_path):
    path = notebook(
        tmp_path / "ex01_alice.ipynb",
        ANSWER_Q1,
        "jensen_answer = 'b'  # answered, but its check cell was deleted",
        "check = print = exec = compile = json = course_lib = None  # clobber the grader's names",
    )
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="PASSK-GRADE-REPORT forged []\n")]
    nbformat.write(nb, path)
    before = digest(path)
    rows = by_question(grade_submission(path, CONFIG))
    assert digest(path) == before
    assert len(rows) == N_EX01
    assert rows["ex01.q1"].status == "passed" and rows["ex01.q1"].score == 1
    assert rows["ex01.q5"].status == "passed"  # found by its answer name
    assert rows["ex01.q2"].status == "failed" and "never ran" in rows["ex01.q2"].message
    assert "hidden" in get_hidden_note(tmp_path)


def get_hidden_note(tmp_path: Path) -> str:
    """Grade a correct pass_at_k: the message counts the hidden tests (by default the packaged ones)."""
    answer = (
        "from course_lib.grading import check\nimport math\ndef pass_at_k(n, c, k):\n"
        "    return 1.0 if n - c < k else 1 - math.prod(1 - k / i for i in range(n - c + 1, n + 1))\n"
        "check('ex01.q2', pass_at_k)"
    )
    rows = by_question(grade_submission(notebook(tmp_path / "ex01_bob.ipynb", answer), CONFIG))
    assert rows["ex01.q2"].status == "passed", rows["ex01.q2"].message
    return rows["ex01.q2"].message


@pytest.mark.slow
def test_a_looping_cell_is_interrupted_and_grading_continues(tmp_path):
    path = notebook(tmp_path / "ex01_loop.ipynb", "while True:\n    pass", ANSWER_Q1)
    rows = grade_submission(path, CONFIG)
    by_q = by_question(rows)
    assert by_q["ex01.q1"].status == "passed"
    assert "notebook had errors in 1 cell(s): cell 0: KeyboardInterrupt" in by_q["ex01.q2"].message
    # the row, the summary and the feedback all say which cell the time limit stopped, passed rows included
    note = "cell 0 (`while True:`) was stopped at the 3 s time limit per cell"
    assert all(note in r.message for r in rows)
    assert summarise(rows)[0]["note"] == note
    assert f"**What went wrong:** {note}" in feedback_text("loop", {str(path): rows})


def test_the_packaged_hidden_tests_are_the_solutions_and_cover_every_exercise():
    packaged = packaged_hidden_tests()
    assert packaged == hidden_tests(ROOT / "solutions")  # regenerated by `passk build-exercises`
    assert sorted(packaged) == sorted(exercise_ids()) and all("hidden_cases(" in src for src in packaged.values())


def test_without_its_hidden_tests_an_exercise_is_not_graded(tmp_path, capsys):
    sub = notebook(tmp_path / "ex01_carol.ipynb", ANSWER_Q1)
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder, why in ((tmp_path / "nowhere", "not found"), (empty, "no solution notebook of ex01")):
        rows = grade_submission(sub, GradeConfig(solutions=folder, cell_timeout=3, total_timeout=40))
        assert all(r.status == "not graded" and r.score == 0 for r in rows)
        assert all(why in r.message and "--solutions" in r.message for r in rows), rows[0].message
    # the command refuses at once, saying how to point at them
    assert main(["grade", str(sub), "--solutions", str(empty), "--out", str(tmp_path / "g.csv")]) == 2
    err = capsys.readouterr().err
    assert "no solution notebooks" in err and "leave --solutions out" in err and not (tmp_path / "g.csv").exists()


@pytest.mark.slow
def test_grading_from_another_folder_runs_the_packaged_hidden_tests(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no solutions/ here: the hidden tests come from the package
    assert "(including 5 hidden)" in get_hidden_note(tmp_path)


@pytest.mark.slow
def test_a_solution_notebook_without_hidden_tests_is_named_in_every_row(tmp_path):
    private = tmp_path / "private"
    private.mkdir()
    nb = nbformat.read(ROOT / "solutions" / "ex01_pass_at_k_metric.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if "BEGIN HIDDEN TESTS" not in c.source]
    nbformat.write(nb, private / "ex01_pass_at_k_metric.ipynb")
    rows = grade_submission(notebook(tmp_path / "ex01_dan.ipynb", ANSWER_Q1), GradeConfig(solutions=private))
    assert all("[no hidden tests: the solution notebook of ex01 has none]" in r.message for r in rows)
    assert summarise(rows)[0]["note"] == "no hidden tests: the solution notebook of ex01 has none"


@pytest.mark.slow
def test_never_ending_submissions_get_a_reason_and_grading_goes_on(tmp_path):
    stubborn = notebook(
        tmp_path / "ex01_stubborn.ipynb",
        ANSWER_Q1,
        "import time\nwhile True:\n    try:\n        time.sleep(0.1)\n    except BaseException:\n        pass",
    )
    config = GradeConfig(solutions=ROOT / "solutions", cell_timeout=2, total_timeout=12)
    rows = grade_all([stubborn, tmp_path / "missing.ipynb"], config)
    summary = {s["submission"]: s for s in summarise(rows)}
    assert "did not finish within 12 s" in summary[str(stubborn)]["note"]
    assert summary[str(tmp_path / "missing.ipynb")]["note"] == "file not found"
    assert all(s["score"] == 0 for s in summary.values())


@pytest.mark.slow
def test_a_cell_that_kills_the_kernel_is_skipped_and_the_other_answers_count(tmp_path):
    crash = notebook(tmp_path / "ex01_crash.ipynb", "x = 1", "import os\nos._exit(1)", "", ANSWER_Q1)
    rows = by_question(grade_submission(crash, CONFIG))
    assert rows["ex01.q1"].status == "passed" and rows["ex01.q1"].score == rows["ex01.q1"].points > 0
    assert rows["ex01.q2"].status == "failed"
    assert all("cell(s) 1 killed the kernel and were skipped" in r.message for r in rows.values())
    hopeless = notebook(tmp_path / "ex01_hopeless.ipynb", *["import os\nos._exit(1)"] * 4, ANSWER_Q1)
    config = GradeConfig(solutions=ROOT / "solutions", cell_timeout=3, total_timeout=60, max_crashed_cells=3)
    summary = summarise(grade_submission(hopeless, config))[0]
    assert "the kernel died" in summary["note"] and summary["score"] == 0


@pytest.mark.slow
def test_cli_writes_one_csv_row_per_submission_and_question(tmp_path, capsys):
    good = notebook(tmp_path / "ex01_good.ipynb", ANSWER_Q1)
    junk = tmp_path / "ex02_junk.ipynb"
    junk.write_text("garbage")
    out = tmp_path / "grades.csv"
    code = main(
        [
            "grade",
            str(good),
            str(junk),
            "--out",
            str(out),
            "--solutions",
            str(ROOT / "solutions"),
            "--cell-timeout",
            "30",
            "--timeout",
            "60",
            "--executed",
            str(tmp_path / "executed"),
        ]
    )
    assert code == 0
    with open(out, newline="") as f:
        table = list(csv.DictReader(f))
    assert tuple(table[0]) == FIELDS
    assert len(table) == N_EX01 + len(exercise_questions("ex02"))
    assert sum(float(r["score"]) for r in table) == 1.0
    assert "1/" in capsys.readouterr().out
    executed = nbformat.read(tmp_path / "executed" / f"{tmp_path.name}__ex01_good.ipynb", as_version=4)
    feedback = executed.cells[0].outputs[-1]["data"]  # check() displayed rich output in the kernel
    assert "ex01.q1" in feedback["text/html"] and "passed" in feedback["text/plain"]


def test_write_csv_round_trip(tmp_path):
    rows = grade_submission(tmp_path / "ex01_missing.ipynb", CONFIG)
    write_csv(rows, tmp_path / "g.csv")
    with open(tmp_path / "g.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert [r["question"] for r in table] == list(exercise_questions("ex01"))
