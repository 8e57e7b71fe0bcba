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
]
