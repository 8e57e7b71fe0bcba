"""course_lib: the shared library of the passk-course.

Pass@k in RLVR is a good diagnostic of exploration but a poor training objective
(Yu, arXiv 2511.16231). Modules, by topic:

- :mod:`course_lib.passk` -- the metric: estimators, J_k, alpha_k, Delta(k) (chapter 1)
- :mod:`course_lib.symbolic` -- SymPy derivations of the pass@k gradient (chapter 2)
- :mod:`course_lib.charts`, :mod:`course_lib.widgets`, :mod:`course_lib.rendering` -- explorers (chapter 3)
- :mod:`course_lib.advantages`, :mod:`course_lib.bandit` -- estimators and exact collapse simulator (chapter 4)
- :mod:`course_lib.model`, :mod:`course_lib.tasks`, :mod:`course_lib.lab` -- transformer RL lab (chapter 5)
- :mod:`course_lib.grading` -- auto-graded exercises
- :mod:`course_lib.env`, :mod:`course_lib.config` -- environment and project settings
"""

__version__ = "0.1.0"
