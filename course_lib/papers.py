"""Results the papers report, quoted once here so that every chapter shows the same numbers.

These are the only figures in the course that are not computed by the course's own code: they are
measurements on large models that a laptop cannot repeat. Each entry names its paper (arXiv id),
model, task and metric, so a notebook can show them as a table with their source.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Reported", "CHEN_ENIGMATA", "reported_rows"]


@dataclass(frozen=True)
class Reported:
    """One row of a paper's results table: a training recipe and its pass@1 / pass@k (in %)."""

    recipe: str
    """What was trained (or "base model")."""
    pass_at_1: float
    """Reported pass@1, in percent."""
    pass_at_k: float
    """Reported pass@k, in percent (k as in the paper's table)."""


CHEN_ENIGMATA = (
    Reported("base model (no RL)", 4.7, 10.1),
    Reported("pass@1 training", 12.9, 21.3),
    Reported("pass@k training", 17.9, 29.8),
    Reported("pass@k training, then pass@1 training", 30.8, 40.6),
)
"""Chen et al., "Pass@k Training for Adaptively Balancing Exploration and Exploitation", arXiv 2508.10751:
Qwen2.5-7B on the Enigmata puzzle suite. Their reading: pass@k training improves exploration, and
exploration and exploitation reinforce each other (pass@k, then pass@1 training, is best on both)."""


def reported_rows(results=CHEN_ENIGMATA) -> list[list]:
    """Rows ``[recipe, pass@1 %, pass@k %]`` for a table (e.g. :func:`course_lib.viz.tables.show_table`).

    Examples
    --------
    >>> reported_rows()[-1]
    ['pass@k training, then pass@1 training', 30.8, 40.6]
    """
    return [[r.recipe, r.pass_at_1, r.pass_at_k] for r in results]
