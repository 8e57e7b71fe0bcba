"""Exercise 1, the metric (notebooks/01_pass_at_k_metric.ipynb): estimators, bias, Jensen, curves."""

from __future__ import annotations

import numpy as np

from ... import passk
from ..questions import ChoiceQuestion, FunctionQuestion, ValueQuestion

# The two models of the chart question: per-prompt pass@1 of an RL-tuned model (sharp on the prompts
# it solves, blind on the rest) and of its base model (spread thinly over every prompt).
RL_MODEL_P = np.array([0.9] * 6 + [0.0] * 4)
"""Per-prompt pass@1 of the RL-tuned model (10 prompts)."""
BASE_MODEL_P = np.array([0.3] * 6 + [0.05] * 4)
"""Per-prompt pass@1 of the base model (same 10 prompts)."""
CHART_K = np.arange(1, 65)
"""The k values on the chart's x axis."""
EXACT_ANSWER_BUDGET = 10.0
"""Seconds ex01.q2's cases may take together. An exact answer with Python's big integers
(``1 - math.comb(n - c, k) / math.comb(n, k)``) is correct but slow: with the grader's hidden
cases it took ~1.2 s on a 2-core machine, almost all of it in C(10**6, 10**5). Binder's shared CPUs
can be several times slower, so the budget is ~8x that; a subset-enumerating answer needs
C(200, 100) ~ 1e59 steps on the third case and still times out."""


def crossing_k() -> int:
    """Smallest k on the chart at which the base model's dataset pass@k exceeds the RL model's."""
    base = np.array([passk.dataset_pass_at_k(BASE_MODEL_P, k) for k in CHART_K])
    rl = np.array([passk.dataset_pass_at_k(RL_MODEL_P, k) for k in CHART_K])
    return int(CHART_K[np.argmax(base > rl)])


def plugin_bias(n: int = 10, p: float = 0.3, k: int = 5) -> float:
    """E[plug-in estimate] - true pass@k for c ~ Binomial(n, p), summed exactly."""
    _, values, pmf = passk.estimator_distribution(n, p, k, estimator="plugin")
    return float(np.sum(values * pmf) - passk.pass_at_k_from_p(p, k))


QUESTIONS = [
    FunctionQuestion(
        qid="ex01.q1",
        title="pass@k from pass@1",
        answer_name="pass_at_k_from_p",
        reference=passk.pass_at_k_from_p,
        params=("p", "k"),
        cases=(
            (0.3, 1),
            (0.3, 5),
            (0.0, 4),
            (1.0, 4),
            (0.5, 2),
            (0.05, 100),
            (1e-9, 10),
            (np.array([0.0, 0.1, 0.5, 1.0]), 4),
        ),
        hint="k independent attempts all fail with probability (1 - p)**k; it should also work on a NumPy array p.",
    ),
    FunctionQuestion(
        qid="ex01.q2",
        title="the unbiased estimator, stably",
        answer_name="pass_at_k",
        reference=passk.pass_at_k,
        params=("n", "c", "k"),
        cases=(
            (10, 3, 5),
            (5, 2, 3),
            (200, 1, 100),
            (10, 0, 3),
            (10, 10, 1),
            (10, 8, 3),
            (1, 1, 1),
            (1, 0, 1),
            (50, 5, 1),
            (1000, 10, 100),
            (10_000, 17, 500),
            (100_000, 3, 50_000),
        ),
        hint="Use 1 - prod_{i=n-c+1}^{n} (1 - k/i), and return 1.0 when n - c < k. "
        "Binomials like C(100000, 50000) overflow a float.",
        time_limit=EXACT_ANSWER_BUDGET,
    ),
    ValueQuestion(
        qid="ex01.q3",
        title="bias of the plug-in estimator",
        answer_name="bias",
        expected=plugin_bias,
        rtol=1e-9,
        hint="Sum over c = 0..n of P(c) * (1 - (1 - c/n)**k) with P(c) = C(n, c) p^c (1-p)^(n-c), "
        "then subtract the true 1 - (1 - p)**k. The bias is negative.",
    ),
    FunctionQuestion(
        qid="ex01.q4",
        title="dataset pass@k",
        answer_name="dataset_pass_at_k",
        reference=passk.dataset_pass_at_k,
        params=("p", "k"),
        cases=(
            (np.array([0.0, 0.5]), 4),
            (np.array([0.2]), 3),
            (np.array([0.1, 0.2, 0.9]), 1),
            (np.array([0.0, 0.0, 1.0]), 8),
            ([0.3, 0.6, 0.05, 0.5], 16),
            (np.linspace(0, 1, 101), 7),
        ),
        hint="Average the per-prompt pass@k, 1 - (1 - p_i)**k, over prompts; do not plug the mean p into it.",
    ),
    ChoiceQuestion(
        qid="ex01.q5",
        title="the Jensen pitfall",
        answer_name="jensen_answer",
        options=("a", "b", "c", "d"),
        correct="b",
        feedback=(
            ("a", "try p = (0, 0.5) and k = 4 with your two functions"),
            ("c", "at k = 1 both equal the mean p, but not for k > 1"),
            ("d", "1 - (1 - p)**k is concave in p for every k >= 1, so the inequality never flips"),
        ),
        hint="Is 1 - (1 - p)**k convex or concave in p?",
    ),
    ChoiceQuestion(
        qid="ex01.q6",
        title="reading the pass@k curves",
        answer_name="chart_answer",
        options=("a", "b", "c", "d"),
        correct="c",
        feedback=(
            ("a", "look at the right end of the chart"),
            ("b", "pass@1 is the left end of each curve"),
            ("d", "the RL model's curve flattens: prompts with p = 0 stay unsolved for every k"),
        ),
        hint="Where does each curve start (k = 1) and where does it level off?",
    ),
    ValueQuestion(
        qid="ex01.q7",
        title="where the curves cross",
        answer_name="k_cross",
        expected=crossing_k,
        hint="Compute both dataset pass@k curves over the chart's k values and find the first k where the "
        "base model is strictly higher.",
    ),
]
