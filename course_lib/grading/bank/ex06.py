"""Exercise 6, beyond pass@k (notebooks/06_beyond_passk.ipynb): exploration methods and how to read them."""

from __future__ import annotations

import numpy as np

from ..questions import ChoiceQuestion, FunctionQuestion


def batch_explore_reference(rewards, answer_ids, c):
    """Batch-exploration advantages of one group, :func:`course_lib.advantages.explore.batch_explore`."""
    from ...advantages.explore import batch_explore

    return batch_explore(np.asarray(rewards, dtype=float), np.asarray(answer_ids), c=c)


def crossover_reference(base_curve, rl_curve):
    """Smallest k (1-based) where the base curve is above the RL curve, 0 if never (``lab.methods.crossover``)."""
    from ...lab.methods import crossover

    k = crossover(base_curve, rl_curve)
    return 0 if k is None else k


def entropy_change_reference(logits, update):
    """First-order entropy change of one softmax, :func:`course_lib.bandit.predicted_entropy_change`."""
    from ...bandit.entropy import predicted_entropy_change

    return float(predicted_entropy_change(np.asarray(logits, float)[None], np.asarray(update, float)[None])[0])


def _curve(p, k_max=64):
    """Exact dataset pass@k, k = 1..k_max, of per-prompt pass@1 ``p`` (:func:`course_lib.lab.methods.pass_curve`)."""
    from ...lab.methods import pass_curve

    return pass_curve(p, k_max).tolist()


TABLE = (
    # method, runs that reached seen pass@1 0.85 (of 5), held coverage@256 mean, sd, distinct correct mean, sd
    ("grpo", 5, 0.78, 0.13, 1.37, 0.17),
    ("method A", 5, 0.82, 0.15, 1.40, 0.16),
    ("method B", 2, 0.95, 0.03, 1.90, 0.10),
    ("method C", 5, 0.93, 0.04, 1.75, 0.08),
)
"""A results table read at matched pass@1 (0.85), mean and sd over 5 seeds (question 4)."""

QUESTIONS = [
    FunctionQuestion(
        qid="ex06.q1",
        title="the batch-exploration penalty",
        answer_name="batch_explore_adv",
        reference=batch_explore_reference,
        params=("rewards", "answer_ids", "c"),
        cases=(
            ([1, 1, 1, 0], [5, 5, 7, 9], 0.5),
            ([1, 0, 0, 0], [1, 2, 2, 2], 0.5),
            ([1, 1, 0, 0, 1, 0], [3, 3, 3, 8, 4, 8], 1.0),
            ([0, 0, 0, 0], [1, 2, 3, 4], 0.5),  # all wrong, all different: no penalty, GRPO gives 0
            ([1, 1, 1, 1], [2, 2, 2, 2], 0.3),  # all correct, all the same: equal penalties, 0 again
            ([1, 0, 1, 0], [0, 1, 2, 3], 0.0),  # c = 0 is GRPO
        ),
        hint="For each sample count the *other* samples of the group with the same answer id; subtract "
        "c * count / n from its reward; then GRPO: (r~ - mean) / (std + 1e-6), np.std with ddof = 0.",
    ),
    FunctionQuestion(
        qid="ex06.q2",
        title="the crossover k*",
        answer_name="crossover_k",
        reference=crossover_reference,
        params=("base_curve", "rl_curve"),
        cases=(
            ([0.2, 0.5, 0.9], [0.4, 0.6, 0.8]),
            ([0.1, 0.2], [0.3, 0.4]),
            ([0.5, 0.6], [0.4, 0.7]),
            (_curve([0.28, 0.28, 0.28]), _curve([0.9, 0.0, 0.0])),  # equal means would tie at k = 1: avoided
            (_curve([0.05, 0.05]), _curve([0.2, 0.01])),
            (_curve([0.1]), _curve([0.1])),  # equal curves: never strictly above
        ),
        hint="Walk k = 1, 2, ... (list index + 1) and return the first k where base_curve[k-1] > rl_curve[k-1]; "
        "return 0 when there is none.",
    ),
    FunctionQuestion(
        qid="ex06.q3",
        title="the entropy change from the covariance",
        answer_name="entropy_change",
        reference=entropy_change_reference,
        params=("logits", "update"),
        cases=(
            ([0.0, 0.0], [1.0, -1.0]),
            ([1.0, 0.0, -1.0], [0.1, 0.0, 0.0]),
            ([1.0, 0.0, -1.0], [0.0, 0.0, 0.1]),
            ([2.0, 0.5, 0.5, -3.0], [0.3, -0.1, 0.2, 0.05]),
            ([0.0, 0.0, 0.0], [0.5, 0.5, 0.5]),  # a constant shift changes nothing
        ),
        hint="pi = softmax(logits); the answer is -sum_a pi_a (log pi_a - E[log pi]) (update_a - E[update]), "
        "both expectations under pi.",
    ),
    ChoiceQuestion(
        qid="ex06.q4",
        title="which method kept exploration at matched pass@1?",
        answer_name="kept_answer",
        options=("a", "b", "c", "d"),
        correct="c",
        feedback=(
            ("a", "its differences from GRPO are smaller than one sd over 5 seeds: within noise"),
            ("b", "3 of its 5 runs never reached the matched pass@1: its row is not read at the same pass@1"),
            ("d", "one method separates from GRPO on both columns and reached the target in every run"),
        ),
        hint="Two filters: did every run reach the target pass@1 (else the comparison is not matched), and is "
        "the difference from GRPO larger than about 2 standard errors (sd / sqrt(5) per method)?",
    ),
]
