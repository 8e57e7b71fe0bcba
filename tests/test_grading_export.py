"""Gradebook, Gradescope and feedback exports of ``passk grade``: written, parsed back and checked.

The unit tests build rows by hand; the end-to-end test grades a small room through the CLI and
checks that no line of the hidden tests' source reaches any file a learner could be given.
"""

from __future__ import annotations

import csv
import json

import nbformat
import pytest
from conftest import ROOT
from test_grading_grade import ANSWER_Q1, N_EX01, notebook

from course_lib.cli import main
from course_lib.grading.build import hidden_source
from course_lib.grading.export import (
    feedback_text,
    gradebook,
    gradescope_results,
    learner_id,
    write_feedback,
    write_gradebook,
    write_gradescope,
)
from course_lib.grading.grade import Row, _rows_for_problem
from course_lib.grading.questions import exercise_questions

Q = exercise_questions("ex01")
N_EX02 = len(exercise_questions("ex02"))


def rows_for(sub: str, passed: set[str], note: str = "") -> list[Row]:
    return [
        Row(sub, "ex01", qid, q.points, q.points if qid in passed else 0.0, "passed" if qid in passed else "failed",
            ("passed all tests" if qid in passed else "expected 0.5, got 0.25") + note)
        for qid, q in Q.items()
    ]  # fmt: skip


@pytest.mark.parametrize(
    "path,regex,expected",
    [
        ("room/ex01_alice.ipynb", None, "alice"),
        ("room/alice_ex01.ipynb", None, "alice"),
        ("room/ex01_pass_at_k_metric-alice.ipynb", None, "alice"),
        ("room/ex01_pass_at_k_metric_alice (1).ipynb", None, "alice"),
        ("room/alice/ex01_pass_at_k_metric.ipynb", None, "alice"),
        ("room/alice/ex01.ipynb", None, "alice"),
        ("canvas/bob_12345_67890_ex01.ipynb", r"canvas/(?P<id>[a-z]+)_\d+", "bob"),
        ("canvas/bob_12345_ex01.ipynb", r"_(\d+)_", "12345"),
        ("canvas/bob.ipynb", r"\d+", ""),
    ],
)
def test_learner_id(path, regex, expected):
    assert learner_id(path, regex) == expected


def test_gradebook_one_row_per_learner_parsed_back(tmp_path):
    rows = (
        rows_for("room/ex01_alice.ipynb", {"ex01.q1", "ex01.q2"})
        + rows_for("room/ex01_alice (1).ipynb", {"ex01.q1", "ex01.q2", "ex01.q3"})  # handed in twice: the better
        + rows_for("room/ex01_bob.ipynb", set(), " [exceeded the memory limit of 2 GiB]")
        + _rows_for_problem("room/ex02_bob.ipynb", "ex02", "file not found")
        + _rows_for_problem("room/notes.ipynb", None, "cannot tell which exercise this is")
    )
    out = tmp_path / "gradebook.csv"
    assert write_gradebook(rows, out) == 3
    with open(out, newline="") as f:
        table = {r["learner"]: r for r in csv.DictReader(f)}
    columns, _ = gradebook(rows)
    assert columns == ["learner", "ex01", "ex02", "total", "possible", "notes"]
    possible = sum(q.points for q in Q.values()) + sum(q.points for q in exercise_questions("ex02").values())
    alice, bob, unknown = table["alice"], table["bob"], table["notes"]
    assert (alice["ex01"], alice["ex02"], alice["total"], alice["possible"]) == ("3", "", "3", f"{possible:g}")
    assert "also handed in; the better score counts" in alice["notes"]
    assert (bob["ex01"], bob["ex02"], bob["total"]) == ("0", "0", "0")
    assert "ex01: exceeded the memory limit of 2 GiB" in bob["notes"] and "ex02: file not found" in bob["notes"]
    assert unknown["total"] == "0" and "cannot tell which exercise" in unknown["notes"]


def test_gradescope_results_json_parsed_back(tmp_path):
    rows = rows_for("room/alice/ex01_pass_at_k_metric.ipynb", {"ex01.q1"}) + rows_for(
        "room/bob/ex01_pass_at_k_metric.ipynb", set(Q)
    )
    files = write_gradescope(rows, tmp_path / "gs")
    assert sorted(p.parent.name for p in files) == ["alice__ex01_pass_at_k_metric", "bob__ex01_pass_at_k_metric"]
    alice = json.loads((tmp_path / "gs" / "alice__ex01_pass_at_k_metric" / "results.json").read_text())
    assert alice["score"] == 1.0 and len(alice["tests"]) == N_EX01
    assert {"score", "tests", "output", "visibility"} <= set(alice)
    q1, q2 = alice["tests"][0], alice["tests"][1]
    assert (q1["name"], q1["score"], q1["max_score"], q1["status"]) == ("ex01.q1", 1.0, 1.0, "passed")
    assert q2["status"] == "failed" and q2["score"] == 0 and f"Hint: {Q['ex01.q2'].hint}" in q2["output"]
    assert "Hint" not in q1["output"]
    bob = json.loads((tmp_path / "gs" / "bob__ex01_pass_at_k_metric" / "results.json").read_text())
    assert bob["score"] == sum(t["max_score"] for t in bob["tests"])
    assert gradescope_results(_rows_for_problem("x.ipynb", None, "why"))["tests"][0]["output"] == "why"


def test_feedback_per_learner_with_hints(tmp_path):
    rows = rows_for("room/ex01_alice.ipynb", {"ex01.q1"}, "") + rows_for(
        "room/ex01_bob.ipynb", set(), " [cell(s) 2 killed the kernel and were skipped]"
    )
    md = write_feedback(rows, tmp_path / "fb")
    assert [p.name for p in md] == ["alice.md", "bob.md"]
    alice = (tmp_path / "fb" / "alice.md").read_text()
    assert "# Feedback for alice" in alice and "## ex01: 1 / 7" in alice
    assert f"Hint: {Q['ex01.q2'].hint}" in alice and f"Hint: {Q['ex01.q1'].hint}" not in alice
    assert "What went wrong" not in alice
    bob = (tmp_path / "fb" / "bob.md").read_text()
    assert "**What went wrong:** cell(s) 2 killed the kernel and were skipped" in bob
    page = write_feedback(rows, tmp_path / "html", fmt="html")[0].read_text()
    assert page.startswith("<!DOCTYPE html>") and "<h1>Feedback for alice</h1>" in page and "<li>" in page
    assert "<b>ex01.q2</b>" in page and feedback_text("x", {}) == "# Feedback for x\n"


@pytest.mark.slow
def test_cli_room_with_exports_and_resume_never_shows_hidden_tests(tmp_path, capsys):
    room = tmp_path / "room"
    for who in ("alice", "bob"):
        (room / who).mkdir(parents=True)
    notebook(room / "alice" / "ex01_pass_at_k_metric.ipynb", ANSWER_Q1)
    notebook(room / "bob" / "ex01_pass_at_k_metric.ipynb", ANSWER_Q1.replace("1 - (1 - ", "(1 - "))
    (room / "bob" / "ex02_pass_at_k_gradient.ipynb").write_text("garbage")
    args = [
        "grade",
        *map(str, sorted(room.rglob("*.ipynb"))),
        "--out",
        str(tmp_path / "grades.csv"),
        "--solutions",
        str(ROOT / "solutions"),
        "--cell-timeout",
        "30",
        "--timeout",
        "90",
        "--jobs",
        "2",
        "--gradebook",
        str(tmp_path / "gradebook.csv"),
        "--gradescope",
        str(tmp_path / "gs"),
        "--feedback",
        str(tmp_path / "fb"),
        "--executed",
        str(tmp_path / "executed"),
    ]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "sandbox: " in captured.err and "wrote the gradebook (2 learner(s))" in captured.out
    with open(tmp_path / "gradebook.csv", newline="") as f:
        book = {r["learner"]: r for r in csv.DictReader(f)}
    assert book["alice"]["ex01"] == "1" and book["alice"]["ex02"] == ""
    assert book["bob"]["ex01"] == "0" and book["bob"]["ex02"] == "0" and "not a readable" in book["bob"]["notes"]
    results = sorted((tmp_path / "gs").glob("*/results.json"))
    assert len(results) == 3 and all(json.loads(p.read_text())["tests"] for p in results)
    assert sorted(p.name for p in (tmp_path / "fb").iterdir()) == ["alice.md", "bob.md"]
    assert f"Hint: {Q['ex01.q1'].hint}" in (tmp_path / "fb" / "bob.md").read_text()

    # Nothing a learner may be given holds a line of the hidden tests.
    solution = nbformat.read(ROOT / "solutions" / "ex01_pass_at_k_metric.ipynb", as_version=4)
    secret = [line for line in hidden_source(solution).splitlines() if "hidden_cases(" in line]
    assert secret
    handed_out = [*(tmp_path / "fb").iterdir(), *results, *(tmp_path / "executed").iterdir()]
    assert len(list((tmp_path / "executed").iterdir())) == 2
    for path in handed_out:
        text = path.read_text()
        assert not any(line in text or json.dumps(line)[1:-1] in text for line in secret), path

    # Run again with --resume: every submission is unchanged, so nothing is graded and the files match.
    before = {p: p.read_text() for p in [tmp_path / "grades.csv", tmp_path / "gradebook.csv", *results]}
    assert main([*args, "--resume"]) == 0
    assert {p: p.read_text() for p in before} == before
    assert len(list(csv.DictReader(open(tmp_path / "grades.csv")))) == 2 * N_EX01 + N_EX02
