"""Exercise 5, the transformer lab (notebooks/05_policy_gradient_lab.ipynb): the digit-sum task."""

from __future__ import annotations

from ... import passk
from ..questions import ChoiceQuestion, FunctionQuestion, ValueQuestion

TARGET = 13
"""Target N of the uniform-policy question."""
HARD_TARGET, GROUP = 0, 8
"""Target and group size of the all-fail question."""


def _task(L: int = 3):
    from ...lab.task import DigitSumTask

    return DigitSumTask(answer_len=L, held_out=())


def n_solutions_reference(N, L):
    """Number of L-digit answers whose digits sum to N, from :class:`course_lib.lab.task.DigitSumTask`."""
    import torch

    if not 0 <= N <= 9 * L:
        return 0
    return int(_task(L).n_solutions(torch.tensor([N]))[0])


def uniform_pass1() -> float:
    """pass@1 of the uniform policy on target :data:`TARGET` (3 digits)."""
    import torch

    return float(_task().uniform_pass_at_1(torch.tensor([TARGET]))[0])


def delta_at_matched_pass1_reference(history, level, k):
    """Seen Δ(k) at the first evaluation whose seen pass@1 reaches ``level`` (NaN if none does).

    From :func:`course_lib.lab.diagnostics.matched_row`, the function chapter 5 reads its runs with.
    """
    from ...lab.diagnostics import matched_row

    row = matched_row(history, level)
    return float("nan") if row is None else float(row[f"seen/delta@{k}"])


def lab_history(pass1_a, pass1_b, every: int = 10) -> list[dict]:
    """A lab-shaped history of two seen prompts with these pass@1 paths (one value per evaluation).

    Rows for every step; only every ``every``-th row (and the first) carries evaluation metrics,
    as in :func:`course_lib.lab.train`; Δ(2) and Δ(4) come from :func:`course_lib.passk.delta_k`.
    """
    rows = []
    for i, (pa, pb) in enumerate(zip(pass1_a, pass1_b, strict=True)):
        if i:
            rows += [{"step": (i - 1) * every + j, "train/reward": 0.5} for j in range(1, every)]
        row = {"step": i * every, "seen/p": [pa, pb], "seen/pass@1": (pa + pb) / 2}
        for k in (2, 4):
            row[f"seen/delta@{k}"] = float((passk.delta_k(pa, k) + passk.delta_k(pb, k)) / 2)
        rows.append(row)
    return rows


_RISING = lab_history([0.1, 0.4, 0.7, 0.95], [0.3, 0.6, 0.7, 0.85])
_BUMPY = lab_history([0.2, 0.9, 0.3, 0.9, 1.0], [0.4, 0.4, 0.5, 0.5, 0.9], every=5)
_MATCHED_CASES = (
    (_RISING, 0.6, 4),  # reached at the third evaluation
    (_RISING, 0.2, 4),  # reached at the first
    (_RISING, 0.5, 2),  # reached exactly (>=), another k
    (_RISING, 0.95, 4),  # never reached: NaN
    (_BUMPY, 0.6, 4),  # the first row that reaches it, not a later one
)


def all_fail_prob() -> float:
    """P(all GROUP uniform samples fail) on target HARD_TARGET."""
    import torch

    p = float(_task().uniform_pass_at_1(torch.tensor([HARD_TARGET]))[0])
    return float(passk.zero_signal_prob(p, GROUP))


QUESTIONS = [
    FunctionQuestion(
        qid="ex05.q1",
        title="how many answers are correct",
        answer_name="n_solutions",
        reference=n_solutions_reference,
        params=("N", "L"),
        cases=((0, 3), (1, 3), (13, 3), (27, 3), (14, 3), (9, 1), (5, 2), (18, 4), (0, 1), (36, 4)),
        hint="Enumerate all 10**L digit strings (itertools.product(range(10), repeat=L)) and count those "
        "whose digits add up to N.",
    ),
    ValueQuestion(
        qid="ex05.q2",
        title="pass@1 of the uniform policy",
        answer_name="p_uniform",
        expected=uniform_pass1,
        rtol=1e-9,
        hint="A uniform policy picks each of the 10**L answers with probability 10**-L.",
    ),
    ValueQuestion(
        qid="ex05.q3",
        title="an all-fail group",
        answer_name="p_all_fail",
        expected=all_fail_prob,
        rtol=1e-9,
        hint="First the uniform policy's pass@1 on that target, then (1 − p)^n.",
    ),
    ChoiceQuestion(
        qid="ex05.q4",
        title="why an all-fail group teaches nothing",
        answer_name="all_fail_answer",
        options=("a", "b", "c", "d"),
        correct="a",
        feedback=(
            ("b", "the log-probabilities are not zero; what multiplies them is"),
            ("c", "the gradient is zero exactly, not just small"),
            ("d", "the group is not discarded by the loss; its terms are multiplied by 0"),
        ),
        hint="What is r − mean(r) when every r is 0?",
    ),
    FunctionQuestion(
        qid="ex05.q5",
        title="Δ(k) at matched pass@1",
        answer_name="delta_at_matched_pass1",
        reference=delta_at_matched_pass1_reference,
        params=("history", "level", "k"),
        cases=_MATCHED_CASES,
        hint="Only evaluation rows carry 'seen/pass@1' (skip the others); return row['seen/delta@{k}'] of "
        "the first row whose 'seen/pass@1' is >= level, and float('nan') when no row reaches it.",
    ),
    ChoiceQuestion(
        qid="ex05.q6",
        title="was exploration lost in this GRPO run?",
        answer_name="lost_answer",
        options=("a", "b", "c", "d"),
        correct="b",
        feedback=(
            ("a", "look at the split: on which prompts did Δ(4) fall, and what does Δ(4) do when a prompt is solved?"),
            ("c", "Δ(4) is a function of pass@1, but distinct correct answers and held-out coverage are not"),
            ("d", "seen coverage@64 is one diagnostic; read the held-out row and the distinct correct answers"),
        ),
        hint="Δ(4) of one prompt is 1 − (1 − J_1)^4 − J_1, zero at J_1 = 1. Which rows of the table can "
        "fall when a prompt is solved, and which only when something is lost?",
    ),
    ChoiceQuestion(
        qid="ex05.q7",
        title="Δ(4) fell, and nothing was lost",
        answer_name="nothing_lost_answer",
        options=("a", "b", "c", "d"),
        correct="c",
        feedback=(
            ("a", "Δ(4) does not count answers: two policies with the same J_1 have the same Δ(4)"),
            ("b", "this is an exact computation on the answer distribution, with no sampling"),
            ("d", "only the seen prompts' correct mass changed here"),
        ),
        hint="Which prompts' J_1 rose, and where does 1 − (1 − J_1)^4 − J_1 go as J_1 → 1?",
    ),
]
