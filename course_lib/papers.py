"""Results the papers report, quoted once here so that every chapter shows the same numbers.

These are the only figures in the course that are not computed by the course's own code: they are
measurements on large models that a laptop cannot repeat. Each entry names its paper (arXiv id),
model, task, metric and the exact table it is copied from, so a notebook can show them as a table
with their source.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Reported",
    "CHEN_ENIGMATA",
    "CHEN_ENIGMATA_32B",
    "CHEN_SEED_VL",
    "CHEN_K_NOTE",
    "CHEN_TABLES",
    "reported_rows",
    "pass_at_k_header",
]


@dataclass(frozen=True)
class Reported:
    """One row of a paper's results table: a training recipe and its pass@1 / pass@k (in %)."""

    recipe: str
    """What was trained (or "base model")."""
    pass_at_1: float
    """Reported pass@1, in percent."""
    pass_at_k: float
    """Reported pass@k, in percent, for the ``k`` below."""
    k: int
    """The k of ``pass_at_k`` (see ``k_stated``)."""
    k_stated: bool
    """True if the paper states this k for this table; False if the course infers it (then the
    reason is in the table's docstring, e.g. :data:`CHEN_K_NOTE`)."""
    source: str
    """Where the numbers are printed: paper, table, rows and column."""


CHEN_K_NOTE = (
    "k = 8 is inferred, not stated: the caption of Chen et al.'s Table 2 (and 3) says only "
    "'Pass@1/Pass@k'; their evaluation draws 8 samples per puzzle for every task but Maze "
    "(temperature 1.0, top-p 0.95; Appendix A.2), and the one Enigmata curve whose k the text names is "
    "'Pass@8' (Section 4.2.2, Figure 12)."
)
"""Why :data:`CHEN_ENIGMATA`'s pass@k is read as pass@8 (arXiv 2508.10751v1, checked against its
full text and the ``figures/main_results.jpg`` of github.com/RUCAIBox/Passk_Training)."""

_CHEN_TABLE2 = "Chen et al., arXiv 2508.10751v1, Table 2, 'Overall' column"


def _chen(rows, model: str, source: str = _CHEN_TABLE2) -> tuple[Reported, ...]:
    return tuple(Reported(recipe, p1, pk, 8, False, f"{source}, {model} rows") for recipe, p1, pk in rows)


CHEN_ENIGMATA = _chen(
    (
        ("base model (no RL)", 4.7, 10.1),
        ("pass@1 training", 12.9, 21.3),
        ("pass@k training", 17.9, 29.8),
        ("pass@k training, then pass@1 training", 30.8, 40.6),
    ),
    "Qwen2.5-7B-Instruct",
)
"""Chen et al., "Pass@k Training for Adaptively Balancing Exploration and Exploitation", arXiv 2508.10751:
Qwen2.5-7B-Instruct on the Enigmata puzzle suite (Table 2, 'Overall'; pass@k is pass@8 by
:data:`CHEN_K_NOTE`; "pass@k training" is their analytic advantage). Their reading: pass@k training
improves exploration, and exploration and exploitation reinforce each other (pass@k, then pass@1
training, is best on both). Their Table 1 prints the base model's pass@1 as 4.8 (Table 2: 4.7)."""

CHEN_ENIGMATA_32B = _chen(
    (
        ("base model (no RL)", 10.9, 21.6),
        ("pass@1 training", 45.2, 56.0),
        ("pass@k training", 44.5, 57.4),
        ("pass@k training, then pass@1 training", 46.8, 57.9),
    ),
    "Qwen2.5-32B-Instruct",
)
"""The same table for Qwen2.5-32B-Instruct: here pass@k training alone is 0.7 points *behind* pass@1
training on pass@1 (1.4 ahead on pass@k), and the two-phase recipe is ahead by 1.6 (pass@1) and 1.9
(pass@k) -- far smaller gains than at 7B."""

CHEN_SEED_VL = _chen(
    (
        ("base model (no RL)", 62.9, 76.4),
        ("pass@1 training", 63.7, 78.9),
        ("pass@k training", 63.0, 80.0),
        ("pass@k training, then pass@1 training", 64.4, 80.7),
    ),
    "Seed1.5-VL-Small (internal MoE)",
    source="Chen et al., arXiv 2508.10751v1, Table 3, 'Avg.' column (MathVision, MMMU)",
)
"""Chen et al.'s multimodal result: an internal mixture-of-experts vision-language model on
MathVision and MMMU (Table 3, average of the two; pass@k read as pass@8 by :data:`CHEN_K_NOTE`)."""


CHEN_TABLES = {
    "Qwen2.5-7B-Instruct, Enigmata": CHEN_ENIGMATA,
    "Qwen2.5-32B-Instruct, Enigmata": CHEN_ENIGMATA_32B,
    "Seed1.5-VL-Small (MoE), MathVision + MMMU": CHEN_SEED_VL,
}
"""Chen et al.'s three quoted tables by model and task, in the order the chapters show them (the breadth
of their result: two model sizes, dense and mixture-of-experts, puzzles and multimodal reasoning)."""


def reported_rows(results=CHEN_ENIGMATA) -> list[list]:
    """Rows ``[recipe, pass@1 %, pass@k %]`` for a table (e.g. :func:`course_lib.viz.tables.show_table`).

    Examples
    --------
    >>> reported_rows()[-1]
    ['pass@k training, then pass@1 training', 30.8, 40.6]
    """
    return [[r.recipe, r.pass_at_1, r.pass_at_k] for r in results]


def pass_at_k_header(results=CHEN_ENIGMATA) -> str:
    """Column title of the pass@k column: its k, marked "(k inferred)" where the paper does not state it.

    Raises
    ------
    ValueError
        If the rows do not share one k (they cannot go in one column).

    Examples
    --------
    >>> pass_at_k_header()
    'pass@8 (%, k inferred)'
    """
    ks = {r.k for r in results}
    if len(ks) != 1:
        raise ValueError(f"rows with different k cannot share a column: {sorted(ks)}")
    inferred = "" if all(r.k_stated for r in results) else ", k inferred"
    return f"pass@{ks.pop()} (%{inferred})"
