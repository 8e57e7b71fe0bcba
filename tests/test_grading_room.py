"""Grading a room: parallel workers, per-submission limits, cleanup, resume, identical rows at any --jobs.

The limit tests use tiny synthetic ex01 notebooks (one answer cell and the offending cell) and small
caps, so a memory hog, a fork bomb or an endless loop is stopped in seconds. The fork bomb needs the
kernel's process cap (a control group); the poll fallback is tested with slower offenders, which is
all it promises. Each offender also starts a detached process tagged with a marker, and the tests
check that no process with the marker outlives the grading.
"""

from __future__ import annotations

import csv
import secrets
import sys
import time
from dataclasses import replace

import psutil
import pytest
from conftest import ROOT
from test_grading_grade import ANSWER_Q1, N_EX01, by_question, notebook

from course_lib.grading.grade import GradeConfig
from course_lib.grading.limits import MODES, Limits, Sandbox, parse_size, sandbox_mode
from course_lib.grading.room import file_hash, grade_room, read_csv

CONFIG = GradeConfig(solutions=ROOT / "solutions", cell_timeout=20, total_timeout=90)
MODE = sandbox_mode()
needs_cgroup = pytest.mark.skipif(not MODE.startswith("cgroup"), reason=f"no writable control group ({MODE})")


def escapee(marker: str) -> str:
    """Cell source: start a detached process (own session, double fork) that would outlive a careless grader."""
    return (
        "import os, subprocess, sys\n"
        "if os.fork() == 0:\n"
        "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', "
        f"{marker!r}], start_new_session=True)\n"
        "    os._exit(0)\n"
        "os.wait()"
    )


def survivors(marker: str) -> list[int]:
    """Processes whose command line carries ``marker`` (give a killed tree a moment to be reaped)."""
    for _ in range(20):
        found = []
        for p in psutil.process_iter(["cmdline", "status"]):
            if marker in (p.info["cmdline"] or []) and p.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(p.pid)
        if not found:
            return []
        time.sleep(0.1)
    return found


def test_parse_size_and_mode(monkeypatch):
    assert parse_size("2G") == parse_size("2GiB") == parse_size("2gb") == 2 * 2**30
    assert parse_size("512M") == 512 * 2**20 and parse_size("1.5k") == 1536 and parse_size(1000) == 1000
    assert MODE in MODES
    monkeypatch.setenv("PASSK_SANDBOX", "poll")
    assert sandbox_mode() == "poll"
    assert Limits(memory_bytes=2**29).describe("memory") == "memory limit of 0.5 GiB"


@needs_cgroup
def test_a_sandbox_caps_kills_and_removes_its_group():
    import subprocess

    box = Sandbox(Limits(memory_bytes=300 * 2**20, max_procs=16), MODE)
    assert box.mode == MODE and box.dirs
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    box.join(child.pid)
    box.worker = child.pid
    assert box.pids() == {child.pid}
    box.close()
    assert child.wait(timeout=10) < 0 and not any(d.exists() for d in box.dirs)


def test_a_sandbox_that_cannot_be_made_falls_back_to_polling(monkeypatch):
    import course_lib.grading.limits as limits

    monkeypatch.setattr(limits, "CGROUP_ROOT", ROOT / "no-such-cgroup-root")
    assert Sandbox(Limits(), "cgroup-v1").mode == "poll" and Sandbox(Limits(), "cgroup-v2").mode == "poll"


@pytest.mark.slow
@needs_cgroup
def test_memory_hog_and_fork_bomb_are_stopped_and_the_room_goes_on(tmp_path):
    marker = f"passk-test-{secrets.token_hex(4)}"
    bomb = tmp_path / "bomb.py"
    bomb.write_text(
        "import subprocess, sys, time\n"
        "while True:\n"
        "    try:\n"
        "        subprocess.Popen([sys.executable, __file__, *sys.argv[1:]])\n"
        "    except OSError:\n"
        "        time.sleep(0.05)\n"
    )
    hog = notebook(tmp_path / "ex01_hog.ipynb", ANSWER_Q1, escapee(marker), "x = b'x' * (1200 * 2**20)")
    forks = notebook(
        tmp_path / "ex01_forks.ipynb",
        ANSWER_Q1,
        f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, {str(bomb)!r}, {marker!r}])\ntime.sleep(6)",
    )
    good = notebook(tmp_path / "ex01_good.ipynb", ANSWER_Q1)
    limits = Limits(memory_bytes=400 * 2**20, max_procs=48)
    rows = grade_room([hog, forks, good], CONFIG, limits, jobs=2, mode=MODE)
    subs = {}
    for r in rows:
        subs.setdefault(r.submission, {})[r.question] = r
    hog_rows, fork_rows, good_rows = subs[str(hog)], subs[str(forks)], subs[str(good)]
    assert all("exceeded the memory limit of 0.390625 GiB" in r.message for r in hog_rows.values())
    assert hog_rows["ex01.q1"].status == "passed", "the hog's cell is skipped; its other answer still counts"
    assert all("exceeded the process limit of 48 processes/threads" in r.message for r in fork_rows.values())
    assert good_rows["ex01.q1"].status == "passed" and "exceeded" not in good_rows["ex01.q1"].message
    assert survivors(marker) == []


@pytest.mark.slow
def test_an_endless_loop_is_stopped_by_the_cpu_time_limit(tmp_path):
    marker = f"passk-test-{secrets.token_hex(4)}"
    loop = notebook(tmp_path / "ex01_loop.ipynb", ANSWER_Q1, escapee(marker), "while True:\n    pass")
    config = replace(CONFIG, cell_timeout=300, total_timeout=300)  # the CPU cap, not a timeout, must stop it
    rows = grade_room([loop], config, Limits(cpu_seconds=6), mode=MODE)
    assert len(rows) == N_EX01 and all(r.status == "not graded" and r.score == 0 for r in rows)
    assert "exceeded the CPU time limit of 6 s; the submission was stopped" in rows[0].message
    assert survivors(marker) == []


@pytest.mark.slow
def test_the_poll_fallback_stops_a_hog_and_a_spawner_and_leaves_no_process(tmp_path):
    marker = f"passk-test-{secrets.token_hex(4)}"
    hog = notebook(
        tmp_path / "ex01_hog.ipynb",
        ANSWER_Q1,
        escapee(marker),
        "import time\nchunks = []\nfor _ in range(40):\n    chunks.append(b'x' * (50 * 2**20))\n    time.sleep(0.1)",
    )
    spawner = notebook(
        tmp_path / "ex01_spawner.ipynb",
        ANSWER_Q1,
        "import subprocess, time\nkids = []\nfor _ in range(150):\n"
        f"    kids.append(subprocess.Popen(['sh', '-c', 'sleep 300; true', {marker!r}]))\n    time.sleep(0.02)",
    )
    limits = Limits(memory_bytes=500 * 2**20, max_procs=80)
    rows = grade_room([hog, spawner], CONFIG, limits, jobs=2, mode="poll")
    summary = {r.submission: r.message for r in rows}
    assert "exceeded the memory limit" in summary[str(hog)] and "stopped" in summary[str(hog)]
    assert "exceeded the process limit of 80" in summary[str(spawner)]
    assert survivors(marker) == []


@pytest.mark.slow
def test_resume_after_an_interrupted_run_and_rows_identical_at_any_jobs(tmp_path):
    good = notebook(tmp_path / "ex01_alice.ipynb", ANSWER_Q1)
    wrong = notebook(tmp_path / "ex01_bob.ipynb", ANSWER_Q1.replace("1 - (1 - ", "(1 - "))
    junk = tmp_path / "ex02_carol.ipynb"
    junk.write_text("not a notebook")
    missing = tmp_path / "ex03_dave.ipynb"
    paths = [good, junk, wrong, missing, good]  # named twice: graded once
    out = tmp_path / "grades.csv"
    fresh = grade_room(paths, CONFIG, jobs=2, out=out)
    assert [r.submission for r in fresh] == sorted([r.submission for r in fresh], key=[str(p) for p in paths].index), (
        "rows in the order of the submissions"
    )
    assert {r.submission for r in fresh} == {str(p) for p in paths}
    assert by_question(r for r in fresh if r.submission == str(good))["ex01.q1"].status == "passed"
    assert by_question(r for r in fresh if r.submission == str(wrong))["ex01.q1"].status == "failed"
    assert read_csv(out) == fresh and fresh[0].sha256 == file_hash(good)

    # Interrupted (Ctrl-C reaches the main thread while it records a result) after the first submission.
    out2 = tmp_path / "grades2.csv"
    seen = []

    def interrupt(path, rows, reused):
        seen.append((path, reused))
        if len(seen) == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        grade_room(paths, CONFIG, jobs=1, out=out2, progress=interrupt)
    partial = read_csv(out2)
    assert [r.submission for r in partial] == [str(good)] * N_EX01
    with open(out2, "a", encoding="utf-8") as f:
        f.write(f"{good},ex01,ex01.q9,1,")  # a line cut off by a power cut: ignored

    def note(path, rows, reused):
        seen.append(reused)

    seen.clear()
    resumed = grade_room(paths, CONFIG, jobs=1, out=out2, resume=True, progress=note)
    assert seen.count(True) == 1, "the interrupted run's submission is reused, not graded again"
    assert resumed == fresh, "--jobs 1 after a resume writes exactly the rows of a fresh --jobs 2 run"
    with open(out2, newline="") as f:
        assert len(list(csv.DictReader(f))) == len(fresh)

    # A submission changed since: graded again; the others reused (a missing file is looked for again).
    wrong.write_bytes(good.read_bytes())
    seen.clear()
    again = grade_room(paths, CONFIG, jobs=2, out=out2, resume=True, progress=note)
    assert seen.count(False) == 2, "the changed file, and the missing one (looked for again)"
    assert by_question(r for r in again if r.submission == str(wrong))["ex01.q1"].status == "passed"
    assert [replace(r, sha256="") for r in again if r.submission != str(wrong)] == [
        replace(r, sha256="") for r in fresh if r.submission != str(wrong)
    ]
