"""Exercise 3, the explorers (notebooks/03_explorers.ipynb): read the charts, rebuild one table."""

from __future__ import annotations

import numpy as np

from ... import passk
from ..questions import ChoiceQuestion, FunctionQuestion, ValueQuestion

ESTIMATOR = {"n": 20, "p": 0.1, "k": 5}
"""Setting of the estimator-explorer question."""
ZERO_SIGNAL = {"p": 0.01, "n": 8}
"""Setting of the zero-signal question."""
MIXTURE = {"p_groups": (0.02, 0.2, 0.7), "weights": (0.5, 0.3, 0.2), "k": 8}
"""Setting of the dataset-mix question."""


def unbiased_sd() -> float:
    """Standard deviation of the unbiased pass@k estimate at :data:`ESTIMATOR`."""
    e = ESTIMATOR
    return float(np.sqrt(passk.pass_at_k_variance(e["p"], e["n"], e["k"])))


def steps_to_signal() -> float:
    """Expected RL steps before the first non-zero sampled gradient at :data:`ZERO_SIGNAL`."""
    return float(passk.expected_steps_to_signal(ZERO_SIGNAL["p"], ZERO_SIGNAL["n"]))


def zero_signal_table(p, n):
    """Reference heatmap table: (1 - p_i)^(n_j), shape (len(p), len(n))."""
    return passk.zero_signal_prob(np.asarray(p, dtype=float)[:, None], np.asarray(n)[None, :])


_RNG = np.random.default_rng(3)

QUESTIONS = [
    ValueQuestion(
        qid="ex03.q1",
        title="spread of the unbiased estimator",
        answer_name="sd_unbiased",
        expected=unbiased_sd,
        rtol=2e-3,
        hint="Read the 'sd' of the unbiased estimator off the estimator explorer (or compute it from the "
        "binomial distribution of c); three significant digits are enough.",
    ),
    ValueQuestion(
        qid="ex03.q2",
        title="steps before the first signal",
        answer_name="steps",
        expected=steps_to_signal,
        rtol=0.0,
        atol=0.05,  # half a unit of the one decimal the chart shows (format ",.1f"): 12.9 for 12.944 passes
        hint="Each step gives signal with probability 1 - (1 - p)^n; the wait for the first success of "
        "such a trial is geometric, with mean 1 / (1 - (1 - p)^n). The chart's value, to the one decimal "
        "it shows, is enough.",
    ),
    FunctionQuestion(
        qid="ex03.q3",
        title="the zero-signal heatmap table",
        answer_name="zero_signal_grid",
        reference=zero_signal_table,
        params=("p", "n"),
        cases=(
            (np.array([0.01, 0.1, 0.5]), np.array([1, 4, 8, 16])),
            (np.array([0.0, 1.0]), np.array([1, 2])),
            (np.array([0.2]), np.array([8])),
            (_RNG.uniform(0, 1, 7), np.arange(1, 33)),
            ([0.05, 0.3], [2, 64]),
        ),
        hint="Broadcast: p[:, None] against n[None, :] gives one row per p and one column per n. "
        "Accept lists too (np.asarray).",
    ),
    ChoiceQuestion(
        qid="ex03.q4",
        title="who gets the weight in a mixture",
        answer_name="mixture_answer",
        options=("a", "b", "c", "d"),
        correct="b",
        feedback=(
            ("a", "α_k(p) = k(1 − p)^(k−1) is largest for the smallest p"),
            ("c", "α_k differs a lot between p = 0.02 and p = 0.7 at k = 8"),
            ("d", "α_k is never negative"),
        ),
        hint="Compare α_8 at the three p values of the mixture.",
    ),
]
