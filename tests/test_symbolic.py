"""Chapter 2's symbolic results (course_lib.symbolic): each identity proven by SymPy, then cross-checked.

Exact references: SymPy simplification to 0 (``is_identity``), sums over every outcome of a
group of Bernoulli samples, brute-force means over all size-k subsets, and torch.autograd.
Numeric cross-checks use course_lib.passk and course_lib.advantages (never re-implemented here).
"""

from __future__ import annotations

import inspect
import itertools
import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import passk as pk
from course_lib import symbolic as S
from course_lib.advantages import passk_group_analytic, pkpo_binary
from course_lib.symbolic import K, P, alpha_k_expr, is_identity, pass_at_k_expr
from course_lib.symbolic import groups as G

ALL_NK = [(n, k) for n in range(1, 6) for k in range(1, n + 1)]


def outcomes(n):
    return list(itertools.product((0, 1), repeat=n))


# ---------------------------------------------------------------- 1. generic derivation
def test_generic_ratio_is_alpha_k_for_symbolic_k():
    d = S.generic_derivation()
    assert is_identity(d.ratio, alpha_k_expr(d.J1, K))
    assert d.ratio.free_symbols == {K, d.theta}  # theta only through J_1(theta)


@pytest.mark.parametrize("k", [1, 2, 3, 7])
def test_generic_ratio_for_concrete_k(k):
    d = S.generic_derivation(k)
    assert is_identity(d.ratio, k * (1 - d.J1) ** (k - 1))
    assert not is_identity(d.ratio, (k + 1) * (1 - d.J1) ** (k - 1))  # the check can fail


def test_generic_derivation_is_taught_in_chapter_2():
    """The library copy points at the notebook that teaches it, and a code cell there writes it out in SymPy."""
    path = "notebooks/02_pass_at_k_gradient.ipynb"
    assert path in S.generic_derivation.__doc__
    nb = json.loads((Path(__file__).resolve().parent.parent / path).read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    taught = [s for s in code if "sp.Function(" in s and "sp.diff(" in s and "generic_derivation" not in s]
    checked = [s for s in code if "S.generic_derivation()" in s]
    assert taught and checked and code.index(taught[0]) < code.index(checked[0])


@pytest.mark.parametrize("module", [S, G], ids=["core", "groups"])
def test_public_functions_have_type_hints(module):
    for name in module.__all__:
        func = getattr(module, name)
        if not inspect.isfunction(func):
            continue
        sig = inspect.signature(func)
        assert sig.return_annotation is not inspect.Signature.empty, name
        assert all(p.annotation is not inspect.Parameter.empty for p in sig.parameters.values()), name


def test_is_identity_rejects_false_claims():
    assert is_identity(sp.sin(P) ** 2 + sp.cos(P) ** 2, 1)
    assert not is_identity(alpha_k_expr(P, K), K * (1 - P) ** K)
    assert not is_identity(sp.Matrix([P, 1]), sp.Matrix([P, 2]))


def test_alpha_k_expr_matches_passk_numerically():
    f = sp.lambdify((P, K), alpha_k_expr(P, K))
    grid = np.linspace(0, 1, 41)
    for k in (1, 2, 5, 32):
        np.testing.assert_allclose(f(grid, k), pk.alpha_k(grid, k), rtol=1e-13, atol=1e-15)


# ---------------------------------------------------------------- 2. softmax policy
@pytest.mark.parametrize("m,correct,k", [(3, (0,), 4), (3, (0, 1), K), (4, (1, 3), 3)])
def test_softmax_gradients_are_collinear_with_ratio_alpha_k(m, correct, k):
    pol = S.softmax_policy(m, correct)
    ratios = S.collinearity_ratios(pol, k)
    assert len(ratios) == m
    assert all(is_identity(r, alpha_k_expr(pol.J1, k)) for r in ratios), ratios


def test_softmax_symbolic_gradients_match_torch_autograd():
    pol = S.softmax_policy(3, (0, 2))
    k = 5
    g1 = sp.lambdify(pol.logits, list(S.gradient(pol.J1, pol.logits)))
    gk = sp.lambdify(pol.logits, list(S.gradient(pass_at_k_expr(pol.J1, k), pol.logits)))
    J1 = sp.lambdify(pol.logits, pol.J1)
    rng = np.random.default_rng(1)
    for _ in range(10):
        z = rng.normal(scale=2.0, size=3)
        t1, tk = S.autograd_gradients(pol, k, z)
        np.testing.assert_allclose(t1, g1(*z), rtol=1e-12, atol=1e-14, err_msg=f"z={z}")
        np.testing.assert_allclose(tk, gk(*z), rtol=1e-12, atol=1e-14, err_msg=f"z={z}")
        np.testing.assert_allclose(tk, pk.alpha_k(J1(*z), k) * t1, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("m,correct", [(1, (0,)), (3, ()), (3, (0, 1, 2)), (3, (3,))])
def test_softmax_policy_rejects_bad_input(m, correct):
    with pytest.raises(ValueError, match="m|correct"):
        S.softmax_policy(m, correct)


def test_at_probs_and_autograd_validate_input():
    pol = S.softmax_policy(3, (0,))
    with pytest.raises(ValueError, match="probs"):
        pol.at_probs([0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="logits"):
        S.autograd_gradients(pol, 2, [0.0, 1.0])


# ---------------------------------------------------------------- 3. properties
def test_alpha_properties():
    a = S.alpha_properties()
    assert a.at_0 == K
    assert a.at_1 == 0
    assert is_identity(a.derivative, -K * (K - 1) * (1 - P) ** (K - 2))
    assert S.alpha_properties(1).at_1 == 1  # k = 1: alpha_1 = 1 everywhere


def test_gap_properties_symbolic():
    g = S.gap_properties()
    assert g.at_ends == (0, 0)
    assert is_identity(g.slope, alpha_k_expr(P, K) - 1)
    assert is_identity(g.curvature, -K * (K - 1) * (1 - P) ** (K - 2))
    assert is_identity(g.p_star, 1 - K ** (-1 / (K - 1)))
    assert is_identity(g.delta_star, (1 - 1 / K) * K ** (-1 / (K - 1)))
    assert (g.limit_p_star, g.limit_delta_star) == (0, 1)
    s = sp.Symbol("s", positive=True)
    assert is_identity(g.limit_delta_fixed_p, 1 / (1 + s))  # = 1 - p


def test_gap_properties_match_passk_numerically():
    g = S.gap_properties()
    p_star, delta_star = sp.lambdify(K, g.p_star), sp.lambdify(K, g.delta_star)
    for k in range(2, 30):
        assert math.isclose(p_star(k), pk.gap_argmax(k), rel_tol=1e-12)
        assert math.isclose(delta_star(k), pk.delta_k(pk.gap_argmax(k), k), rel_tol=1e-12)
        grid = np.linspace(0, 1, 2001)  # p* is the grid's argmax of delta_k
        assert abs(grid[np.argmax(pk.delta_k(grid, k))] - p_star(k)) <= 1e-3


# ---------------------------------------------------------------- 4a. across prompts
def test_dataset_gradient_is_sum_of_alpha_weighted_prompt_gradients():
    pol = S.softmax_policy(3, (0,))
    probs = [sp.Rational(4, 5), sp.Rational(1, 10), sp.Rational(1, 10)]
    G1, G4 = S.dataset_gradients(pol, [(0,), (1,)], 4, probs)
    at = pol.at_probs(probs)
    per_prompt = [S.gradient(pol.probs[j], pol.logits).subs(at) for j in (0, 1)]
    assert is_identity(G1, (per_prompt[0] + per_prompt[1]) / 2)
    weights = [alpha_k_expr(probs[j], 4) for j in (0, 1)]
    assert is_identity(G4, (weights[0] * per_prompt[0] + weights[1] * per_prompt[1]) / 2)
    cos = S.cosine(G1, G4)
    assert float(cos) < 0  # negative interference: a pass@4 step lowers mean pass@1
    u, v = np.array(G1, dtype=float).ravel(), np.array(G4, dtype=float).ravel()
    assert math.isclose(float(cos), u @ v / np.linalg.norm(u) / np.linalg.norm(v), rel_tol=1e-12)


def test_dataset_gradients_parallel_when_prompts_have_equal_pass_at_1():
    pol = S.softmax_policy(3, (0,))
    probs = [sp.Rational(2, 5), sp.Rational(2, 5), sp.Rational(1, 5)]
    G1, G4 = S.dataset_gradients(pol, [(0,), (1,)], 4, probs)
    assert is_identity(S.cosine(G1, G4), 1)
    with pytest.raises(ValueError, match="prompts"):
        S.dataset_gradients(pol, [], 4, probs)


# ---------------------------------------------------------------- 4b. zero signal
@pytest.mark.parametrize("n", [1, 3, 6])
def test_zero_signal_probabilities(n):
    assert is_identity(G.zero_signal_probability(G.reinforce_weights, n), (1 - P) ** n)
    for q in (0.1, 0.7):
        got = float(G.zero_signal_probability(G.reinforce_weights, n).subs(P, q))
        assert math.isclose(got, pk.zero_signal_prob(q, n), rel_tol=1e-12)
    expected_grpo = (1 - P) ** n + P**n if n > 1 else 1  # one sample: always centred to 0
    assert is_identity(G.zero_signal_probability(G.grpo_weights, n), expected_grpo)
    for k in range(1, n + 1):
        tail = sum(sp.binomial(n, c) * P**c * (1 - P) ** (n - c) for c in range(n - k + 1, n + 1))
        got = G.zero_signal_probability(lambda r, k=k: G.chen_advantages(r, k), n)
        assert is_identity(got, (1 - P) ** n + tail), (n, k, got)


# ---------------------------------------------------------------- 4c. group estimators
@pytest.mark.parametrize("n,k", ALL_NK)
def test_pkpo_weights_are_unbiased_for_grad_pass_at_k(n, k):
    w = G.expected_group_gradient(lambda r: G.pkpo_weights(r, k), n)
    assert is_identity(w, alpha_k_expr(P, k)), (n, k, w)


def test_reinforce_weights_are_unbiased_for_grad_pass_at_1():
    assert is_identity(G.expected_group_gradient(G.reinforce_weights, 4), 1)


def test_bernoulli_reduction_holds_for_a_softmax_policy():
    pol = S.softmax_policy(3, (0, 2))
    probs = [sp.Rational(1, 4), sp.Rational(1, 2), sp.Rational(1, 4)]
    answers = G.softmax_answers(pol, probs)
    at = pol.at_probs(probs)
    grad_J1 = S.gradient(pol.J1, pol.logits).subs(at)
    J1 = pol.J1.subs(at)
    for weights in [lambda r: G.pkpo_weights(r, 2), lambda r: G.chen_advantages(r, 2)]:
        vec = G.expected_group_gradient(weights, 3, answers)
        scalar = G.expected_group_gradient(weights, 3).subs(P, J1)
        assert is_identity(vec, scalar * grad_J1)  # mean = w(J_1) grad J_1
    pkpo = G.expected_group_gradient(lambda r: G.pkpo_weights(r, 2), 3, answers)
    assert is_identity(pkpo, S.gradient(pass_at_k_expr(pol.J1, 2), pol.logits).subs(at))


@pytest.mark.parametrize("n", range(1, 6))
def test_chen_closed_form_equals_mean_over_subsets(n):
    for k in range(1, n + 1):
        for r in outcomes(n):
            for normalise in (True, False):
                closed = G.chen_advantages(r, k, normalise)
                brute = G.chen_advantages_bootstrap(r, k, normalise)
                assert all(is_identity(a, b) for a, b in zip(closed, brute, strict=True)), (r, k, normalise)


@pytest.mark.parametrize("n", range(1, 7))
def test_chen_matches_numeric_advantages_module(n):
    for k in range(1, n + 1):
        for r in outcomes(n):
            exact = np.array(G.chen_advantages(r, k), dtype=float)
            np.testing.assert_allclose(
                passk_group_analytic(np.array(r), k, eps=0), exact, rtol=1e-12, atol=1e-12, err_msg=f"r={r}, k={k}"
            )


def test_chen_example_group_n8_c3_k4_exactly():
    r = (1, 1, 1, 0, 0, 0, 0, 0)  # N = 8, N_neg = 5, k = 4: Rbar = 13/14
    a = G.chen_advantages(r, 4)
    assert is_identity(a[0], 1 / sp.sqrt(13)) and is_identity(a[-1], -3 / (5 * sp.sqrt(13)))
    assert S.rho_expr(8, 3, 4) == sp.Rational(13, 14)


@pytest.mark.parametrize("n,k", ALL_NK + [(6, 2), (6, 3), (6, 6)])
def test_chen_unnormalised_expectation_is_n_minus_k_over_k_grad_pass_at_k(n, k):
    w = G.expected_group_gradient(lambda r: G.chen_advantages(r, k, normalise=False), n)
    assert is_identity(w, sp.Rational(n - k, k) * alpha_k_expr(P, k)), (n, k, w)


@pytest.mark.parametrize("n", range(1, 7))
def test_chen_advantage_is_identically_zero_when_n_equals_k(n):
    for r in outcomes(n):
        assert all(a == 0 for a in G.chen_advantages(r, n, normalise=False))
        assert all(a == 0 for a in G.chen_advantages(r, n))


@pytest.mark.parametrize("n,k", ALL_NK)
def test_chen_unnormalised_is_scaled_pkpo_minus_rbar(n, k):
    for r in outcomes(n):
        chen, pkpo = G.chen_advantages(r, k, normalise=False), G.pkpo_weights(r, k)
        assert all(a == sp.Rational(n, k) * w - S.rho_expr(n, sum(r), k) for a, w in zip(chen, pkpo, strict=True)), r


@pytest.mark.parametrize("n,k", [(n, k) for n in range(2, 6) for k in range(1, n)])
def test_leave_one_out_baseline_gives_n_over_k_grad_pass_at_k(n, k):
    w = G.expected_group_gradient(lambda r: G.loo_advantages(r, k), n)
    assert is_identity(w, sp.Rational(n, k) * alpha_k_expr(P, k))


def test_normalised_chen_is_not_proportional_to_grad_pass_at_k():
    w = G.expected_group_gradient(lambda r: G.chen_advantages(r, 4), 8)
    ratio = sp.lambdify(P, w / alpha_k_expr(P, 4))
    values = ratio(np.array([0.05, 0.5, 0.9]))
    assert np.all(np.diff(values) > 0.1), values


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_pkpo_weights_match_numeric_advantages_module(k):
    for r in outcomes(5):
        exact = np.array(G.pkpo_weights(r, k), dtype=float)
        np.testing.assert_allclose(pkpo_binary(np.array(r), k), exact, rtol=1e-12, atol=1e-15, err_msg=f"r={r}, k={k}")


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: G.chen_advantages((1, 0), 3), "at least"),
        (lambda: G.pkpo_weights((1, 2, 0), 1), "0 or 1"),
        (lambda: G.loo_advantages((1, 0, 1), 3), "at least"),
        (lambda: G.pkpo_weights((1, 0), 0), "k must be"),
        (lambda: S.rho_expr(3, 4, 1), "c <= n"),
        (lambda: G.expected_group_gradient(G.reinforce_weights, 0), "n must be"),
    ],
)
def test_group_estimators_reject_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------- 5. HumanEval estimator
@pytest.mark.parametrize("n", range(1, 9))
def test_humaneval_estimator_is_unbiased(n):
    for k in range(1, n + 1):
        mean = G.estimator_expectation(lambda c, k=k: S.rho_expr(n, c, k), n)
        assert is_identity(mean, pass_at_k_expr(P, k)), (n, k)


@pytest.mark.parametrize("n,k", ALL_NK)
def test_humaneval_estimator_is_the_unique_unbiased_function_of_c(n, k):
    """Solving E[f(c)] = 1 - (1-p)^k for the n + 1 values f(0..n) gives exactly rho (completeness of c)."""
    (solution,) = G.unbiased_estimator_solutions(n, k)
    assert [solution[sp.Symbol(f"f_{c}")] for c in range(n + 1)] == [S.rho_expr(n, c, k) for c in range(n + 1)]


@pytest.mark.parametrize("n,k", [(1, 2), (3, 4), (4, 7)])
def test_no_unbiased_estimator_when_k_exceeds_n(n, k):
    assert G.unbiased_estimator_solutions(n, k) == []


# ---------------------------------------------------------------- 5b. not the only unbiased estimator: Rao-Blackwell
def exact_variances(n: int, k: int, p: Fraction) -> tuple[Fraction, Fraction, Fraction]:
    """(Var[first-k indicator], Var[rho], E[rho (1 - rho)]) in Fractions, by enumeration, independent of the library.

    The first-k variance sums over all 2^n ordered outcomes; Var[rho] sums over c ~ Bin(n, p) with
    rho(c) = 1 - C(n-c, k)/C(n, k) from math.comb.
    """
    jk = 1 - (1 - p) ** k
    var_first = sum(
        p ** sum(r) * (1 - p) ** (n - sum(r)) * (int(any(r[:k])) - jk) ** 2 for r in itertools.product((0, 1), repeat=n)
    )
    rho = [1 - Fraction(math.comb(n - c, k), math.comb(n, k)) for c in range(n + 1)]
    pmf = [math.comb(n, c) * p**c * (1 - p) ** (n - c) for c in range(n + 1)]
    var_rho = sum(w * (r - jk) ** 2 for w, r in zip(pmf, rho, strict=True))
    within = sum(w * r * (1 - r) for w, r in zip(pmf, rho, strict=True))
    return var_first, var_rho, within


@pytest.mark.parametrize("n,k", ALL_NK + [(6, 3), (7, 2)])
def test_first_k_indicator_is_unbiased_but_not_a_function_of_c(n, k):
    mean = G.outcome_expectation(lambda r: G.first_k_indicator(r, k), n)
    assert is_identity(mean, pass_at_k_expr(P, k)), (n, k, mean)
    if k < n:  # two orders with the same c, different values: so uniqueness among functions of c does not apply
        assert G.first_k_indicator((1,) + (0,) * (n - 1), k) != G.first_k_indicator((0,) * (n - 1) + (1,), k)


@pytest.mark.parametrize("n", range(1, 8))
def test_rho_is_the_first_k_indicator_averaged_given_c(n):
    """Rao-Blackwell: E[1st-k indicator | c] = rho(n, c, k), enumerated over all C(n, c) orders."""
    for k in range(1, n + 1):
        for c in range(n + 1):
            assert G.given_count(lambda r, k=k: G.first_k_indicator(r, k), n, c) == S.rho_expr(n, c, k), (n, c, k)
    assert G.given_count(lambda r: r[0], n, 1) == sp.Rational(1, n)  # the enumeration can give other values


@pytest.mark.parametrize(
    "n,k,p",
    [
        (10, 5, Fraction(3, 10)),
        (8, 1, Fraction(1, 2)),
        (12, 4, Fraction(1, 10)),
        (6, 5, Fraction(9, 10)),
        (9, 3, Fraction(1, 50)),
        (5, 5, Fraction(1, 3)),
    ],
)
def test_first_k_variance_exceeds_rho_variance_exactly(n, k, p):
    var_first, var_rho, within = exact_variances(n, k, p)
    jk = 1 - (1 - p) ** k
    assert var_first == jk * (1 - jk)  # a 0/1 variable with mean J_k
    assert var_first - var_rho == within  # law of total variance: the gap is E[Var(indicator | c)]
    if k < n:
        assert var_first > var_rho
    else:  # k = n: the indicator is rho itself
        assert var_first == var_rho
    assert pk.pass_at_k_variance(float(p), n, k) == pytest.approx(float(var_rho), rel=1e-12)


def test_exact_variances_can_fail():
    """The Fraction reference is not vacuous: at k < n it finds a strictly positive gap."""
    var_first, var_rho, within = exact_variances(4, 1, Fraction(1, 2))
    assert (var_first, var_rho, within) == (Fraction(1, 4), Fraction(1, 16), Fraction(3, 16))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_rho_expr_matches_passk(nck):
    n, c, k = nck
    assert math.isclose(float(S.rho_expr(n, c, k)), pk.pass_at_k(n, c, k), rel_tol=1e-12, abs_tol=1e-15)


def test_plugin_bias_and_variance_match_passk():
    n, k = 10, 5
    plugin = G.estimator_expectation(lambda c: pass_at_k_expr(sp.Rational(c, n), k), n)
    bias = plugin - pass_at_k_expr(P, k)
    for q in (0.05, 0.3, 0.8):
        _, est, pmf = pk.estimator_distribution(n, q, k, estimator="plugin")
        assert math.isclose(float(plugin.subs(P, sp.nsimplify(q))), float(pmf @ est), rel_tol=1e-12)
        assert float(bias.subs(P, sp.nsimplify(q))) < 0  # biased low
    variance = G.estimator_expectation(lambda c: S.rho_expr(n, c, k) ** 2, n) - sp.expand(pass_at_k_expr(P, k) ** 2)
    for q in (0.05, 0.3, 0.8):
        assert math.isclose(float(variance.subs(P, sp.nsimplify(q))), pk.pass_at_k_variance(q, n, k), rel_tol=1e-10)


def test_expected_weights_match_numeric_bandit_module():
    """bandit.expected_weight uses mean-form advantages (scale 1/n) and eps = 1e-6 in sigma."""
    from course_lib import bandit

    p = np.array([0.01, 0.2, 0.5, 0.9])
    for n, k in [(4, 2), (8, 4), (6, 1)]:
        chen = sp.lambdify(P, G.expected_group_gradient(lambda r, k=k: G.chen_advantages(r, k), n) / n)
        np.testing.assert_allclose(bandit.expected_weight("chen", p, n, k), chen(p), rtol=1e-5)
        pkpo = sp.lambdify(P, G.expected_group_gradient(lambda r, k=k: G.pkpo_weights(r, k), n))
        np.testing.assert_allclose(bandit.expected_weight("pkpo", p, n, k), pkpo(p), rtol=1e-12)
