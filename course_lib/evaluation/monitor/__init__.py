"""``passk monitor``: pass@k as a diagnostic of exploration, read from a training run's own sample logs.

The seed paper's advice is to *watch* pass@k during RL training rather than optimise it (Yu, arXiv
2511.16231). The monitor reads what a run already writes: verl's validation and rollout dumps
(:mod:`course_lib.evaluation.runs`), TRL's completions tables (:mod:`course_lib.evaluation.completions`),
and the lab's dumps (``passk lab run --dump-dir``, the same format as verl's).

- :mod:`.report` -- the numbers of one step (the course's estimators on its samples) and the warnings;
- :mod:`.sources` -- which folders hold a run's samples; reading them once, or following a live run;
- :mod:`.charts`, :mod:`.cli` -- the chart of ``--out`` and the ``passk monitor`` command.

Taught in ``notebooks/07_passk_as_a_diagnostic.ipynb``; used next to the verl command in
``docs/real_model.md``.
"""

from .report import StepReport, run_reports, step_report
from .sources import Source, find_sources, read_source

__all__ = ["StepReport", "step_report", "run_reports", "Source", "find_sources", "read_source"]
