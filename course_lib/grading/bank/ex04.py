"""Exercise 4, advantages and collapse (notebooks/04_exploration_collapse.ipynb)."""

from __future__ import annotations

import numpy as np

from ... import advantages, bandit, passk
from ..questions import ChoiceQuestion, FunctionQuestion


def passk_gradient_reference(logits, correct, k):
    """Exact grad of J_k for one prompt's softmax policy, from :func:`course_lib.bandit.exact_gradient`."""
    logits = np.asarray(logits, dtype=float)[None, :]
    correct = np.asarray(correct, dtype=bool)[None, :]
    return bandit.exact_gradient(logits, correct, "pass@k", k)[0]


def grpo_passk_signal_reference(n, p):
    """P(verl's ``grpo_passk`` gives some sample of a group of n a non-zero weight), prompt pass rate p.

    Read off the registry itself: the weights of a group depend only on its number c of correct
    samples, so sum Bin(c; n, p) over the c whose group gets any non-zero weight.
    """
    live = [bool(np.any(advantages.loss_weights("grpo_passk", (np.arange(n) < c).astype(float)))) for c in range(n + 1)]
    return float(passk.binomial_pmf(n, p)[np.array(live)].sum())


_RNG = np.random.default_rng(4)

_REWARDS = (
    (np.array([1.0, 0.0, 0.0, 0.0]),),
    (np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]),),
    (np.array([0.0, 0.0, 0.0]),),
    (np.array([1.0, 1.0]),),
    (np.array([0.5, 0.2, 0.9, 0.1, 0.4]),),
    (_RNG.integers(0, 2, 16).astype(float),),
)
_BINARY_K = (
    (np.array([1, 0, 0, 0]), 2),
    (np.array([1, 1, 1, 0, 0, 0, 0, 0]), 4),
    (np.array([0, 0, 0, 0]), 3),
    (np.array([1, 1, 1, 1]), 2),
    (np.array([0, 1, 0, 0, 0, 0]), 6),
    (_RNG.integers(0, 2, 12), 5),
)
_POLICIES = (
    (np.zeros(2), np.array([True, False]), 1),
    (np.zeros(4), np.array([True, False, False, True]), 4),
    (np.array([2.0, 0.0, -1.0, -6.0]), np.array([False, False, True, True]), 8),
    (_RNG.normal(size=6), np.array([True, True, False, False, False, False]), 3),
    (np.array([50.0, 0.0, 0.0]), np.array([False, True, True]), 2),
)

QUESTIONS = [
    FunctionQuestion(
        qid="ex04.q1",
        title="the GRPO advantage",
        answer_name="grpo",
        reference=advantages.grpo,
        params=("r",),
        cases=_REWARDS,
        hint="(r − mean(r)) / (std(r) + 1e-6) with the population std (NumPy's default, ddof=0); "
        "a group with equal rewards gets zeros.",
    ),
    FunctionQuestion(
        qid="ex04.q2",
        title="PKPO weights for binary rewards",
        answer_name="pkpo_weights",
        reference=advantages.pkpo_binary,
        params=("r", "k"),
        cases=_BINARY_K,
        hint="k/n for a correct sample; (k/n)·ρ(n−1, c, k−1) for a wrong one, where ρ is the unbiased "
        "pass@k estimator (course_lib.passk.pass_at_k is allowed here). Careful when every sample is "
        "correct (c = n): there is no wrong sample, but a vectorised pass_at_k(n − 1, c, k − 1) is still "
        "evaluated and raises (c > n − 1). Use each sample's count among the other n − 1 samples, c − r_i "
        "(equal to c for a wrong sample), or skip ρ when c = n.",
    ),
    FunctionQuestion(
        qid="ex04.q3",
        title="the exact pass@k gradient of a softmax policy",
        answer_name="passk_gradient",
        reference=passk_gradient_reference,
        params=("logits", "correct", "k"),
        cases=_POLICIES,
        hint="π = softmax(logits) (subtract the max first); ∇J_1 = π ⊙ (1_correct − J_1); "
        "∇J_k = k(1 − J_1)^(k−1) ∇J_1. Don't change logits in place.",
    ),
    ChoiceQuestion(
        qid="ex04.q4",
        title="why exact pass@1 training collapses",
        answer_name="collapse_answer",
        options=("a", "b", "c", "d"),
        correct="c",
        feedback=(
            ("a", "look at the factor π_a in π_a (1 − J_1)"),
            ("b", "with exact gradients there is no sampling noise at all"),
            ("d", "per prompt ∇J_k = α_k ∇J_1 only rescales the step; the direction is the same"),
        ),
        hint="Write the logit gradient of one correct answer a: π_a (1 − J_1).",
    ),
    ChoiceQuestion(
        qid="ex04.q5",
        title="what the fall of Δ(8) measured",
        answer_name="delta_answer",
        options=("a", "b", "c", "d"),
        correct="b",
        feedback=(
            ("a", "compare the dataset J_8 and coverage@64 at the start and at the end"),
            ("c", "this run uses exact gradients: there are no samples"),
            ("d", "look at the split: how many prompts' J_1 fell?"),
        ),
        hint="Per prompt Δ(k) = 1 − (1 − J_1)^k − J_1 is a function of J_1 alone; where is it 0?",
    ),
    FunctionQuestion(
        qid="ex04.q6",
        title="how often verl's grpo_passk gives signal",
        answer_name="signal_probability",
        reference=grpo_passk_signal_reference,
        params=("n", "p"),
        cases=((8, 0.05), (8, 0.3), (8, 0.8), (2, 0.5), (16, 0.01), (4, 0.0), (4, 1.0)),
        hint="With 0/1 rewards the top two rewards tie as soon as two samples are correct, and all rewards are "
        "equal when none is: only a group with exactly one correct sample gets a non-zero weight. "
        "How likely is exactly one success in n Bernoulli(p) draws?",
    ),
]
