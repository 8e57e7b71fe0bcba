"""Auto-graded exercises: ``check`` and ``progress`` for learners, ``passk grade`` for instructors.

Learners: in an exercise notebook, ``check("ex01.q2", pass_at_k)`` runs that question's tests on
your answer and shows a pass, or the first failing case with a hint; ``progress()`` lists the
questions of the notebook.

Instructors: exercise notebooks are generated from ``solutions/`` (``passk build-exercises``,
:mod:`course_lib.grading.build`) and graded in fresh kernels (``passk grade``,
:mod:`course_lib.grading.grade`); a room is graded in parallel workers (:mod:`course_lib.grading.room`),
each capped in memory, processes and CPU time by a control group or by polling
(:mod:`course_lib.grading.limits`), and exported as a gradebook, Gradescope results and feedback per
learner (:mod:`course_lib.grading.export`). Modeled on nbgrader's markers and otter-grader's ``check``.
"""

from .api import check, hidden_cases, progress

__all__ = ["check", "progress", "hidden_cases"]
