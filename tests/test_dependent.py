"""Executable specification of chapter 6's exact results on dependent samples and entropy.

- pass@k when the k answers are drawn without replacement: SymPy (course_lib.symbolic.dependent)
  proves its gradient leaves the direction of grad J_1 where i.i.d. pass@k stays on it; the bandit
  (course_lib.bandit.dependent) computes it for any size, checked against brute-force enumeration,
  SymPy and finite differences, and trains with it as the exact objective "pass@k-wor";
- the entropy-change covariance identity of Cui et al. (course_lib.bandit.entropy): a hand case,
  and predicted vs actual change of one exact step agreeing to O(lr^2).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import sympy as sp

from course_lib import bandit as B
from course_lib.softmax import softmax
from course_lib.symbolic import is_identity, softmax_policy
from course_lib.symbolic.dependent import dependent_collinearity, fail_wor_expr, pass_at_k_wor_expr

THIRDS = ("1/2", "1/3", "1/6")  # pi of the 3-answer policy, answer 0 correct


def _brute_fail(logits, correct, k):
    """P(all k draws wrong), drawing without replacement: every ordered tuple of distinct wrong answers."""
    pi = softmax(logits)
    out = []
    for x in range(pi.shape[0]):
        total = 0.0
        for seq in itertools.permutations(np.flatnonzero(~np.asarray(correct[x])), k):
            prob, left = 1.0, 1.0
            for a in seq:
                prob, left = prob * pi[x, a] / left, left - pi[x, a]
            total += prob
        out.append(total)
    return np.array(out)


# ----------------------------------------------------------------------------- SymPy
def test_fail_wor_by_hand_for_two_wrong_answers():
    """k = 2, wrong {1, 2}: fail = pi1 pi2 / (1 - pi1) + pi2 pi1 / (1 - pi2); k = 1: 1 - J_1; k = 3: 0."""
    pol = softmax_policy(3, (0,))
    p1, p2 = pol.probs[1], pol.probs[2]
    assert is_identity(fail_wor_expr(pol, 2), p1 * p2 / (1 - p1) + p2 * p1 / (1 - p2))
    assert is_identity(fail_wor_expr(pol, 1), 1 - pol.J1)
    assert fail_wor_expr(pol, 3) == 0  # only two wrong answers: 3 distinct draws always hit the correct one
    assert is_identity(pass_at_k_wor_expr(pol, 1), pol.J1)


def test_without_replacement_gradient_is_not_collinear_but_iid_is():
    """pi = (1/2, 1/3, 1/6), k = 2 (written out in dependent_collinearity's docstring).

    d fail / d pi1 = pi2/(1-pi1)^2 + pi2/(1-pi2) = (1/6)(9/4) + (1/6)(6/5) = 23/40,
    d fail / d pi2 = pi1/(1-pi2)^2 + pi1/(1-pi1) = (1/3)(36/25) + (1/3)(3/2) = 49/50;
    <pi, g> = 23/120 + 49/300 = 71/200; grad_z fail = pi * (g - 71/200) = (-71/400, 11/150, 5/48),
    so grad J_2^wor = (71/400, -11/150, -5/48) against grad J_1 = pi * (1_C - 1/2) = (1/4, -1/6, -1/12):
    on the wrong answers the ratios are 0.704 vs 2, and cos^2 = (47/720)^2 / ((14/144)(34369/720000))
    = 220900/240583 < 1.
    """
    d = dependent_collinearity(softmax_policy(3, (0,)), 2, THIRDS)
    R = sp.Rational
    assert list(d.g1) == [R(1, 4), R(-1, 6), R(-1, 12)]
    assert list(d.gk_wor) == [R(71, 400), R(-11, 150), R(-5, 48)]
    assert d.cos_iid == 1  # i.i.d.: alpha_2 grad J_1, collinear exactly
    assert sp.simplify(d.cos_wor**2 - R(220900, 240583)) == 0
    assert d.cos_wor < 1 and float(d.cos_wor) == pytest.approx(0.958221, abs=1e-6)


def test_equal_wrong_probabilities_keep_collinearity_and_k3_iid_is_alpha_k():
    """With the wrong mass split evenly the without-replacement gradient is parallel again."""
    even = dependent_collinearity(softmax_policy(4, (0, 1)), 2, ("1/8", "3/8", "1/4", "1/4"))
    assert even.cos_wor == 1
    d3 = dependent_collinearity(softmax_policy(4, (0,)), 3, ("1/2", "1/4", "1/8", "1/8"))
    assert is_identity(d3.gk_iid, sp.Rational(3, 4) * d3.g1)  # alpha_3(1/2) = 3 (1/2)^2
    assert d3.cos_wor < 1


# ----------------------------------------------------------------------------- the bandit's numbers
def test_pass_at_k_wor_hand_case_and_brute_force():
    """pi = (1/2, 1/4, 1/4), answer 0 correct, k = 2: fail = 2 (1/4)(1/4)/(3/4) = 1/6, pass = 5/6 (iid: 3/4)."""
    logits = np.log([[0.5, 0.25, 0.25]])
    assert B.pass_at_k_wor(logits, [[True, False, False]], 2)[0] == pytest.approx(5 / 6, rel=1e-15)
    rng = np.random.default_rng(0)
    theta = rng.normal(size=(3, 6))
    correct = np.zeros((3, 6), dtype=bool)
    correct[0, :2] = correct[1, [1, 4]] = correct[2, 0] = True
    for k in range(1, 7):
        np.testing.assert_allclose(
            B.fail_without_replacement(theta, correct, k), _brute_fail(theta, correct, k), atol=1e-15
        )
        p = np.where(correct, softmax(theta), 0).sum(-1)
        assert (B.pass_at_k_wor(theta, correct, k) >= 1 - (1 - p) ** k - 1e-15).all()  # never below i.i.d.


def test_pass_at_k_wor_gradient_matches_sympy_and_finite_differences():
    g = B.pass_at_k_wor_gradient(np.log([[0.5, 1 / 3, 1 / 6]]), [[True, False, False]], 2)
    np.testing.assert_allclose(g[0], [71 / 400, -11 / 150, -5 / 48], rtol=1e-13)
    rng = np.random.default_rng(1)
    theta = rng.normal(size=(2, 7))
    correct = np.zeros((2, 7), dtype=bool)
    correct[0, 0] = correct[1, [2, 5]] = True
    h = 1e-6
    for k in (2, 3, 4):
        g = B.pass_at_k_wor_gradient(theta, correct, k)
        for x, j in itertools.product(range(2), range(7)):
            up, down = theta.copy(), theta.copy()
            up[x, j] += h
            down[x, j] -= h
            fd = (B.pass_at_k_wor(up, correct, k)[x] - B.pass_at_k_wor(down, correct, k)[x]) / (2 * h)
            assert g[x, j] == pytest.approx(fd, abs=1e-8), (k, x, j)


def test_pass_at_k_wor_edge_cases():
    bandit = B.make_bandit()
    np.testing.assert_allclose(  # k = 1: one draw, nothing to exclude: grad J_1
        B.pass_at_k_wor_gradient(bandit.logits, bandit.correct, 1),
        B.exact_gradient(bandit.logits, bandit.correct),
        atol=1e-15,
    )
    np.testing.assert_allclose(B.cosine_to_pass1(bandit.logits, bandit.correct, 1), 1.0, atol=1e-12)
    assert (B.cosine_to_pass1(bandit.logits, bandit.correct, 4) < 1 - 1e-6).all()  # noisy logits: unequal wrong mass
    # more draws than wrong answers: a correct answer is always drawn
    assert B.pass_at_k_wor(bandit.logits, bandit.correct, 10).tolist() == [1.0] * 8
    assert not B.pass_at_k_wor_gradient(bandit.logits, bandit.correct, 10).any()
    with pytest.raises(ValueError, match="k must be"):
        B.pass_at_k_wor(bandit.logits, bandit.correct, 0)


def test_pass_at_k_wor_is_an_exact_objective_the_bandit_trains_with():
    bandit = B.make_bandit(B.BanditConfig(num_prompts=4, num_answers=8, num_correct=2, num_hard=1))
    assert "pass@k-wor" in B.EXACT_OBJECTIVES and "pass@k-wor" in B.OBJECTIVES
    np.testing.assert_array_equal(
        B.exact_gradient(bandit.logits, bandit.correct, "pass@k-wor", k=3),
        B.pass_at_k_wor_gradient(bandit.logits, bandit.correct, 3),
    )
    np.testing.assert_array_equal(
        B.exact_objective(bandit.logits, bandit.correct, "pass@k-wor", k=3),
        B.pass_at_k_wor(bandit.logits, bandit.correct, 3),
    )
    runs = [B.train(bandit, objective="pass@k-wor", k=3, steps=40) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].logits, runs[1].logits)
    assert runs[0].J1[-1] > runs[0].J1[0]
    iid = B.train(bandit, objective="pass@k", k=3, steps=40)
    assert not np.allclose(runs[0].logits, iid.logits)  # a different direction, not just a different step
    with pytest.raises(ValueError, match="already registered"):
        B.register_exact("pass@k-wor", "again", B.pass_at_k_wor_gradient, B.pass_at_k_wor)


# ----------------------------------------------------------------------------- the entropy identity
def test_covariance_identity_hand_case():
    """pi = (2/3, 1/3), answer 0 correct: J_1 = 2/3, A = (1/3, -2/3), plain-PG step pi A = (2/9, -2/9).

    log pi - E log pi = (1/3 log 2, -2/3 log 2); pi A - E[pi A] = (2/9 - 2/27, -2/9 - 2/27) = (4/27, -8/27);
    Cov = (2/3)(1/3)(4/27) log 2 + (1/3)(2/3)(8/27) log 2 = (8/81) log 2, so dH ~= -lr (8/81) log 2.
    """
    logits, correct = np.log([[2.0, 1.0]]), np.array([[True, False]])
    lr = 1e-3
    e = B.entropy_change(logits, correct, lr)
    assert e.predicted[0] == pytest.approx(-lr * 8 / 81 * math.log(2), rel=1e-12)
    assert e.actual[0] == pytest.approx(e.predicted[0], rel=1e-2)
    # the unlikely answer is the correct one: pushing it up spreads the mass, entropy rises
    rise = B.entropy_change(np.log([[1.0, 2.0]]), correct, lr)
    assert rise.predicted[0] > 0 and rise.actual[0] > 0
    # natural policy gradient: update = lr A, prediction -lr Cov(log pi, A)
    nat = B.entropy_change(logits, correct, lr, update=lr * np.array([[1 / 3, -2 / 3]]))
    assert nat.predicted[0] == pytest.approx(-lr * (2 / 9) * math.log(2), rel=1e-12)  # Cov = (2/9) log 2


@pytest.mark.parametrize("objective, k", [("pass@1", 1), ("pass@k", 4), ("pass@k-wor", 4)])
def test_predicted_and_actual_entropy_change_agree_to_second_order(objective, k):
    """actual - predicted = O(lr^2): halving lr divides the error by ~4, on every prompt of the bandit."""
    bandit = B.make_bandit()
    errors = []
    for lr in (1e-2, 5e-3, 2.5e-3):
        e = B.entropy_change(bandit.logits, bandit.correct, lr, objective, k)
        assert np.all(np.sign(e.predicted) == np.sign(e.actual))
        errors.append(np.abs(e.actual - e.predicted))
    ratios = np.stack([errors[0] / errors[1], errors[1] / errors[2]])
    assert np.all((ratios > 3.5) & (ratios < 4.5)), ratios
