"""Exercise 8, the real model (notebooks/08_real_model.ipynb): verifier, blind baseline, groups without signal."""

from __future__ import annotations

import numpy as np

from ..questions import ChoiceQuestion, FunctionQuestion


def verify_reference(completion, a, b):
    """The chapter's verifier: :func:`course_lib.realmodel.task.parse_answer` then ``AdditionTask.is_correct``."""
    from ...realmodel.task import AdditionTask, parse_answer

    return bool(AdditionTask.is_correct(parse_answer(completion), a, b))


def blind_reference(answers, targets):
    """The question-blind baseline's ``(n, c)``, :func:`course_lib.realmodel.task.blind_counts`, as lists."""
    from ...realmodel.task import blind_counts

    n, c = blind_counts(answers, targets)
    return n.tolist(), c.tolist()


def zero_signal_reference(p, group_size):
    """Expected share of GRPO groups with no signal, :func:`course_lib.evaluation.grpo_zero_signal_prob`, averaged."""
    from ...evaluation.groups import grpo_zero_signal_prob

    return float(np.mean(grpo_zero_signal_prob(np.asarray(p, dtype=float), group_size)))


TABLE = (
    # method vs GRPO, reading, mean difference over seeds, Holm-corrected p, seeds ahead / seeds
    ("method A", "held-out pass@1", +0.031, 0.40, "3/3"),
    ("method A", "held-out pass@32", -0.012, 0.90, "1/3"),
    ("method B", "held-out pass@1", -0.054, 0.04, "3/3 behind"),
    ("method B", "held-out pass@32", +0.020, 0.75, "2/3"),
)
"""An illustrative verdict table of three paired seeds, Holm over the four rows (question 4)."""

QUESTIONS = [
    FunctionQuestion(
        qid="ex08.q1",
        title="the verifier",
        answer_name="verify",
        reference=verify_reference,
        params=("completion", "a", "b"),
        cases=(
            (" 24\n", 5, 19),
            (" 24", 5, 19),  # no newline within the budget: unfinished
            (" 23\n", 5, 19),
            (" 8\n3 +", 3, 5),
            ("8\n", 3, 5),  # no leading space is still the number
            (" 8<|im_end|><|im_end|>", 3, 5),
            (" 240\n", 5, 19),
            ("\n24\n", 5, 19),  # an empty first line
        ),
        hint="Cut the completion at the first '\\n' or '<|im_end|>' (whichever comes first); no cut means the "
        "answer never ended: wrong. Strip spaces; correct when the rest is exactly str(a + b).",
    ),
    FunctionQuestion(
        qid="ex08.q2",
        title="the question-blind baseline",
        answer_name="blind_counts",
        reference=blind_reference,
        params=("answers", "targets"),
        cases=(
            ([["5", "5"], ["5", "7"], ["9", None]], ["5", "7", "9"]),
            ([["1"], ["1"], ["1"]], ["1", "1", "2"]),
            ([["3", "4", "3"], ["4"], [None, None]], ["3", "4", "4"]),
        ),
        hint="For prompt i pool the answers of every other prompt j != i: n_i is how many there are, c_i how "
        "many equal targets[i]. Return two lists (n, c).",
    ),
    FunctionQuestion(
        qid="ex08.q3",
        title="groups with no signal",
        answer_name="zero_signal_share",
        reference=zero_signal_reference,
        params=("p", "group_size"),
        cases=(
            ([0.5], 8),
            ([0.0, 1.0], 4),
            ([0.1, 0.3, 0.9], 8),
            ([0.2, 0.25, 0.6, 0.95], 16),
        ),
        hint="A GRPO group of G samples from a prompt with pass rate p has zero advantage when all G are right "
        "(p^G) or all wrong ((1-p)^G); average over the prompts.",
    ),
    ChoiceQuestion(
        qid="ex08.q4",
        title="what three paired seeds can say",
        answer_name="supported",
        options=("a", "b", "c", "d"),
        correct="c",
        feedback=(
            (
                "a",
                "3/3 seeds ahead is what chance gives one time in eight for a method no better than GRPO; its "
                "corrected p is 0.40",
            ),
            (
                "b",
                "a difference that is not significant is not evidence of no difference: three seeds detect only "
                "large effects",
            ),
            ("d", "one row passes the corrected threshold"),
        ),
        hint="Read only the Holm-corrected p-values (threshold 0.05) and remember that 'not significant' with "
        "three seeds means 'not resolved', not 'equal'.",
    ),
]
