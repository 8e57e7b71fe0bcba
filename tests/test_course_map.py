"""The course map (course_lib.config.CHAPTERS, rendered into the README) says what the runs show.

A sentence of the map that describes a run is checked here against that run, so that a change of
the run (or of the sentence) that makes them disagree fails a test.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import config

MAP = {stem: what for stem, _, what, _ in config.CHAPTERS}


def test_chapter_4_line_is_what_the_exact_bandit_runs_show():
    """'exact pass@1 training narrows each easy prompt to one correct answer, exact pass@4 keeps all three'.

    The runs of chapter 4's sections 4 and 7: the default bandit, exact gradient ascent, 400 steps.
    """
    B = pytest.importorskip("course_lib.bandit")
    line = MAP["04_exploration_collapse"]
    assert "exact pass@1 training narrows each easy prompt to one correct answer" in line
    assert "exact pass@4 keeps all three" in line
    bandit = B.make_bandit(B.BanditConfig())
    assert bandit.config.num_correct == 3  # "all three"
    easy = ~np.asarray(bandit.hard)
    live = {}
    for name, kw in (("pass@1", {"objective": "pass@1"}), ("pass@4", {"objective": "pass@k", "k": 4})):
        run = B.train(bandit, steps=400, **kw)
        live[name] = [(run.mode_mass(t) > B.MODE_THRESHOLD).sum(axis=1) for t in (0, -1)]  # (P,) at start, end
    start, end = live["pass@1"]
    assert (start[easy] == 3).all() and (end[easy] == 1).all()
    start, end = live["pass@4"]
    assert (start[easy] == 3).all() and (end[easy] == 3).all()


def test_grpo_alpha_is_not_called_yus_method():
    """grpo_alpha is the course's pass@k-style reweighting of GRPO, not a method of Yu's paper."""
    from course_lib.advantages import estimator

    assert "Yu's" not in MAP["05_policy_gradient_lab"]
    assert "grpo_alpha" in MAP["05_policy_gradient_lab"]
    est = estimator("grpo_alpha")
    assert "Yu's" not in est.summary and "the course's" in est.summary


def test_chapter_6_does_not_credit_the_seed_paper_with_its_questions():
    """The open questions come from the course (the abstract of arXiv 2511.16231 states none)."""
    line = MAP["06_beyond_passk"]
    assert "The seed paper's open questions" not in line and "the course's list" in line
