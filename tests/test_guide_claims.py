"""Every sentence of the instructor guide that describes a run is checked here against that run.

docs/instructor_guide.md tells an instructor what a chapter will show in the room. Each such sentence is
quoted here (so an edit of the sentence fails until it is checked again) and its numbers or its claim are
recomputed: the chapter-1 estimator figures, chapter 4's exact bandit (the configuration and step count
of the notebook itself), the FAQ's Jensen example, and the prose about run times against the measured
tables above it (written by scripts/measure_notebooks.py). The course map's run sentences are checked
in tests/test_course_map.py.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "instructor_guide.md").read_text(encoding="utf-8")
FLAT = " ".join(GUIDE.split())  # sentences wrap across lines: compare with whitespace collapsed


def _says(sentence: str) -> None:
    assert " ".join(sentence.split()) in FLAT, f"the guide no longer says: {sentence!r}"


def _number(pattern: str) -> str:
    found = re.search(pattern, FLAT)
    assert found, f"the guide no longer matches {pattern!r}"
    return found.group(1)


# ----------------------------------------------------------------------------------------- chapter 1


def test_live_demo_1_numbers_are_the_estimators():
    from course_lib.passk import pass_at_k

    value = _number(r"`pass_at_k\(10, 3, 5\)` is (\d+/\d+)")
    assert Fraction(value) == Fraction(11, 12)
    assert pass_at_k(10, 3, 5) == pytest.approx(float(Fraction(value)), abs=1e-12)
    plugin, truth = _number(r"it averages (0\.\d{3}) against"), _number(r"against the true (0\.\d{3})")
    n, p, k = 10, 0.3, 5  # "with c ~ Bin(10, 0.3) and k = 5"
    _says("with c ~ Bin(10, 0.3) and k = 5 it averages")
    mean_plugin = sum(math.comb(n, c) * p**c * (1 - p) ** (n - c) * (1 - (1 - c / n) ** k) for c in range(n + 1))
    assert f"{mean_plugin:.3f}" == plugin and f"{1 - (1 - p) ** k:.3f}" == truth
    assert mean_plugin < 1 - (1 - p) ** k  # "the 'obvious' estimator is biased low"


def test_faq_jensen_example():
    from course_lib.passk import dataset_pass_at_k, pass_at_k_from_p

    right, pooled = _number(r"Jensen\): (0\.\d{3}) against"), _number(r"against (0\.\d{3}) for p ∈ \{0, 0\.5\}, k = 4")
    assert f"{dataset_pass_at_k([0.0, 0.5], 4):.3f}" == right and f"{pass_at_k_from_p(0.25, 4):.3f}" == pooled


# ----------------------------------------------------------------------------------------- chapter 4


@pytest.fixture(scope="module")
def chapter_4_runs():
    """Exact pass@1 and pass@4 training on chapter 4's bandit, with the notebook's own step count."""
    B = pytest.importorskip("course_lib.bandit")
    source = (ROOT / "notebooks" / "04_exploration_collapse.ipynb").read_text(encoding="utf-8")
    assert "B.make_bandit(B.BanditConfig())" in source  # the notebook's bandit is the default one
    steps = int(re.search(r"STEPS = (\d+)", source).group(1))
    bandit = B.make_bandit(B.BanditConfig())
    runs = {
        "pass@1": B.train(bandit, objective="pass@1", steps=steps),
        "pass@4": B.train(bandit, objective="pass@k", k=4, steps=steps),
        "stepped": B.train(bandit, objective="pass@1", prompt_step="alpha_k", k=4, steps=steps),
    }
    easy = ~np.asarray(bandit.hard)
    live = {
        name: [(run.mode_mass(t) > B.MODE_THRESHOLD).sum(axis=1)[easy] for t in (0, -1)] for name, run in runs.items()
    }
    return bandit, runs, live


def test_live_demo_3_pass1_narrows_each_easy_prompt_and_pass4_keeps_all_three(chapter_4_runs):
    bandit, runs, live = chapter_4_runs
    _says("exact pass@1 training narrows each easy prompt to one correct answer; exact pass@4 keeps all three.")
    _says(
        "After the same number of exact steps, pass@1 training leaves each easy prompt one live correct answer of "
        "its three, while pass@4 training keeps all three live"
    )
    assert bandit.config.num_correct == 3  # "its three"
    assert (live["pass@1"][0] == 3).all() and (live["pass@1"][1] == 1).all()
    assert (live["pass@4"][0] == 3).all() and (live["pass@4"][1] == 3).all()


def test_live_demo_3_minority_mass_modes_and_pass1(chapter_4_runs):
    _, runs, _ = chapter_4_runs
    h1, hk = runs["pass@1"], runs["pass@4"]
    _says("only the minority answers' mass shrinks, and the mode count rises where pass@1's falls.")
    assert hk.minority_mass[-1] < hk.minority_mass[0]
    assert hk.modes[-1] > hk.modes[0] and h1.modes[-1] < h1.modes[0]
    _says("Mean pass@1 rises under both.")
    assert h1.J1[-1] > h1.J1[0] and hk.J1[-1] > hk.J1[0]


def test_live_demo_3_per_prompt_step_reproduces_pass4(chapter_4_runs):
    _, runs, _ = chapter_4_runs
    _says("pass@1 ascent with the step α_4(J_1) on each prompt reproduces the pass@4 run to the last bit")
    assert np.array_equal(runs["stepped"].theta, runs["pass@4"].theta)  # same run, same machine: exact


def test_the_guide_no_longer_says_the_bandit_loses_its_minority_mode_under_pass_k():
    assert "under pass@1 *and* pass@k" not in GUIDE and "under pass@1 *and* under pass@k" not in GUIDE


# ----------------------------------------------------------------------------------------- run times


def _table(caption_start: str, next_text: str) -> dict[str, float]:
    """Rows ``{notebook: Run All seconds}`` of the measured table between ``caption_start`` and ``next_text``."""
    segment = GUIDE.split(caption_start, 1)[1].split(next_text, 1)[0]
    return {name: float(seconds) for name, seconds in re.findall(r"^\| `([^`]+)` \| (\d+) \|", segment, re.M)}


def test_run_time_prose_matches_the_measured_tables():
    chapters = _table("**Chapters**", "**Exercise notebooks, answered**")
    answers = _table("**Exercise notebooks, answered**", "How to read them")
    assert chapters and answers
    lab = chapters.pop("notebooks/05_policy_gradient_lab.ipynb")
    _says("in well under a minute, except the lab of chapter 5 (about two and a half minutes on 2 cores)")
    assert 120 <= lab <= 180 and max(chapters.values()) <= 45
    _says("chapters 00–04 together take under 90 s of *Run All*")
    assert sum(t for name, t in chapters.items() if name.split("/")[1][:2] <= "04") < 90
    total = int(_number(r"\((\d+) s for all six on the loaded machine"))
    assert len(answers) == 6 and abs(total - sum(answers.values())) <= len(answers)  # rounded rows
    _says("so about 2.5 minutes per learner")
    assert abs(total / 60 - 2.5) <= 0.25
    _says("Thirty learners × six notebooks is 180 runs, about 75 minutes of one core at those rates")
    assert abs(30 * total / 60 - 75) <= 5
