"""Exercise 2, the gradient (notebooks/02_pass_at_k_gradient.ipynb): alpha_k, p*, SymPy, a bug hunt, group sizes."""

from __future__ import annotations

from functools import partial

import numpy as np

from ... import advantages, passk
from ..questions import ChoiceQuestion, FunctionQuestion, SymbolicQuestion, ValueQuestion

ZERO_SIGNAL_P = 0.02
"""Per-prompt pass@1 in the group-size question."""
ZERO_SIGNAL_TARGET = 0.9
"""Wanted probability that a group holds at least one correct sample."""


def alpha_k_expected():
    """SymPy alpha_k = k (1-p)^(k-1) from course_lib.symbolic."""
    from ... import symbolic

    return symbolic.alpha_k_expr(symbolic.P, symbolic.K)


def p_star_4_expected():
    """The maximiser of Delta(4) in (0, 1), solved exactly from course_lib.symbolic's Delta(k)."""
    import sympy as sp

    from ... import symbolic

    roots = sp.solve(sp.diff(symbolic.delta_k_expr(symbolic.P, 4), symbolic.P), symbolic.P)
    (root,) = [r for r in roots if r.is_real and 0 < r < 1]
    return root


def smallest_group() -> int:
    """Smallest n with P(at least one of n samples correct) >= ZERO_SIGNAL_TARGET at p = ZERO_SIGNAL_P."""
    n = np.arange(1, 10_000)
    ok = 1 - passk.zero_signal_prob(ZERO_SIGNAL_P, n) >= ZERO_SIGNAL_TARGET
    return int(n[np.argmax(ok)])


_BINARY_GROUPS = (
    (np.array([1, 1, 1, 0, 0, 0, 0, 0]), 4),
    (np.array([1, 0, 0, 0]), 2),
    (np.array([1, 0, 0, 0, 0, 0]), 3),
    (np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0]), 1),
    (np.array([0, 1, 0, 1, 1, 0, 0, 0]), 2),
    (np.array([0, 0, 0, 0]), 2),
    (np.array([1, 1, 1, 0]), 2),
    (np.array([1, 0, 0, 0, 0, 0, 0, 0]), 8),
)

QUESTIONS = [
    FunctionQuestion(
        qid="ex02.q1",
        title="the weight alpha_k",
        answer_name="alpha_k",
        reference=passk.alpha_k,
        params=("p", "k"),
        cases=(
            (0.3, 1),
            (0.3, 4),
            (0.0, 8),
            (1.0, 8),
            (1.0, 1),
            (0.5, 2),
            (0.01, 100),
            (np.array([0.0, 0.25, 0.5, 0.75, 1.0]), 4),
        ),
        hint="Differentiate J_k = 1 - (1 - J_1)**k with respect to J_1.",
    ),
    FunctionQuestion(
        qid="ex02.q2",
        title="where the gap peaks",
        answer_name="p_star",
        reference=passk.gap_argmax,
        params=("k",),
        cases=((2,), (3,), (4,), (8,), (16,), (100,), (10_000,)),
        hint="Set dDelta/dp = alpha_k - 1 to zero and solve for p.",
    ),
    SymbolicQuestion(
        qid="ex02.q3",
        title="alpha_k with SymPy",
        answer_name="alpha_sym",
        expected=alpha_k_expected,
        samples=((("p", 0.3), ("k", 4)), (("p", 0.1), ("k", 2))),
        hint="p, k = sympy.symbols('p k', positive=True); sympy.diff(1 - (1 - p)**k, p).",
    ),
    SymbolicQuestion(
        qid="ex02.q4",
        title="p* for k = 4, exactly",
        answer_name="p_star_4",
        expected=p_star_4_expected,
        hint="sympy.solve(sympy.diff(1 - (1 - p)**4 - p, p), p) and keep the root in (0, 1); "
        "declare p = sympy.Symbol('p', positive=True) to drop the complex roots.",
    ),
    FunctionQuestion(
        qid="ex02.q5",
        title="find the bug in the pass@k advantage",
        answer_name="passk_advantage",
        reference=partial(advantages.passk_group_analytic, eps=0.0),
        params=("r", "k"),
        cases=_BINARY_GROUPS,
        hint="Compare each line with Chen et al.'s formulas, symbol by symbol. Sanity check: for a group "
        "with no correct rollout, R_bar must be 0.",
    ),
    ValueQuestion(
        qid="ex02.q6",
        title="group size against zero signal",
        answer_name="n_needed",
        expected=smallest_group,
        hint="A group is all-fail with probability (1 - p)**n; find the first n where 1 - (1 - p)**n >= 0.9.",
    ),
    ChoiceQuestion(
        qid="ex02.q7",
        title="which prompts pass@k training pushes on",
        answer_name="alpha_answer",
        options=("a", "b", "c", "d"),
        correct="a",
        feedback=(
            ("b", "alpha_k(p) = k (1-p)^(k-1) is largest at p = 0"),
            ("c", "alpha_k depends on p: look how the curves fall"),
            ("d", "per prompt the two gradients are parallel; alpha_k only rescales"),
        ),
        hint="Read alpha_8 at small p and near p = 1 on the chart.",
    ),
]
