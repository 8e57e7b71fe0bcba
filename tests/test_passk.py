"""Executable specification of :mod:`course_lib.passk`, the pass@k metric core.

Exact references used below, and how they are computed:

- ``exact_pass_at_k``: ``1 - C(n-c,k)/C(n,k)`` as a :class:`fractions.Fraction` from
  Python's exact integer ``math.comb``. For a large n the cheaper of two equal ratios is
  used, ``C(n-c,k)/C(n,k) = C(n-k,c)/C(n,c)`` (both count the same thing: k-subsets
  avoiding c marked items), so the integers have min(c, k) factors instead of ~n.
- Binomial sums over ``c ~ Bin(n, p)`` with a rational p are done in Fractions, so
  "exactly" means exactly; SymPy checks identities symbolically in p.
- Floats are compared to the correctly rounded exact value (``float(Fraction)``) with
  float64 tolerances (1e-12 absolute where the issue asks for it, ~1e-14 elsewhere).
"""

from __future__ import annotations

import inspect
import itertools
import math
import re
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import passk
from course_lib.passk import (
    alpha_k,
    binomial_pmf,
    coverage,
    coverage_from_counts,
    dataset_pass_at_k,
    delta_change_split,
    delta_k,
    estimator_distribution,
    expected_distinct_correct,
    expected_steps_to_signal,
    gap_argmax,
    pass_at_k,
    pass_at_k_from_p,
    pass_at_k_of_mean,
    pass_at_k_plugin,
    pass_at_k_variance,
    zero_signal_prob,
)

try:  # optional: the core install (NumPy only) runs the rest of this file
    import sympy
except ImportError:
    sympy = None
needs_sympy = pytest.mark.skipif(sympy is None, reason="sympy is not installed (core install)")

PROPERTY = settings(deadline=None, max_examples=150, derandomize=True)
"""Hypothesis settings for this file: reproducible examples, no per-example deadline."""

EXACT_FACTORS = 3000
"""Above this many factors in both ratios, the large-n reference switches to mpmath."""


# --------------------------------------------------------------------------- references


def exact_fail_ratio(n: int, c: int, k: int) -> Fraction:
    """C(n-c, k) / C(n, k) exactly, via whichever of the two equal ratios is cheaper."""
    if c <= k:
        return Fraction(math.comb(n - k, c), math.comb(n, c))
    return Fraction(math.comb(n - c, k), math.comb(n, k))


def exact_pass_at_k(n: int, c: int, k: int) -> Fraction:
    """The unbiased estimator in exact rational arithmetic."""
    return 1 - exact_fail_ratio(n, c, k)


def reference_pass_at_k(n: int, c: int, k: int) -> float:
    """pass@k to float precision: exact Fractions when cheap, else mpmath at 60 digits.

    ``math.comb(10**6, 5 * 10**5)`` alone takes ~20 s, so when both c and k exceed
    EXACT_FACTORS the log of the ratio is summed with mpmath's log-gamma at 60 digits
    (error ~1e-50, far below float64's 1e-16).
    """
    if min(c, k) <= EXACT_FACTORS:
        return float(exact_pass_at_k(n, c, k))
    if n - c < k:
        return 1.0
    with mpmath.workdps(60):
        lg = mpmath.loggamma
        log_ratio = lg(n - c + 1) - lg(n - c - k + 1) - lg(n + 1) + lg(n - k + 1)
        return float(1 - mpmath.exp(log_ratio))


def exact_binomial_pmf(n: int, p: Fraction) -> list[Fraction]:
    """P(c) = C(n, c) p^c (1 - p)^(n - c) for c = 0..n, exactly."""
    return [math.comb(n, c) * p**c * (1 - p) ** (n - c) for c in range(n + 1)]


def random_triples(rng: np.random.Generator, size: int, n_max: int) -> np.ndarray:
    """(n, c, k) rows with n log-uniform in [1, n_max], k small or anywhere up to n, c uniform."""
    n = np.exp(rng.uniform(0, np.log(n_max), size)).astype(np.int64).clip(1, n_max)
    k_small = np.minimum(n, np.exp(rng.uniform(0, np.log(200), size)).astype(np.int64)).clip(1)
    k_any = rng.integers(1, n + 1)
    k = np.where(rng.random(size) < 0.5, k_small, k_any)
    c = rng.integers(0, n + 1)
    return np.stack([n, c, k], axis=1)


# --------------------------------------------------------------------------- pass_at_k


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (10, 3, 5, Fraction(11, 12)),  # REFERENCE.md: 1 - C(7,5)/C(10,5) = 1 - 21/252
        (5, 2, 3, Fraction(9, 10)),  # 1 - C(3,3)/C(5,3) = 1 - 1/10
        (200, 1, 100, Fraction(1, 2)),  # one correct sample is in half of the 100-subsets
        (10, 0, 5, Fraction(0)),  # nothing correct: 0
        (10, 6, 5, Fraction(1)),  # n - c < k: every 5-subset holds a correct sample
        (7, 7, 7, Fraction(1)),
    ],
)
def test_pass_at_k_closed_form_cases(n, c, k, expected):
    assert exact_pass_at_k(n, c, k) == expected  # the reference itself
    assert pass_at_k(n, c, k) == pytest.approx(float(expected), abs=1e-15)


def test_pass_at_k_matches_exact_fractions_on_random_triples():
    """Random (n, c, k) with n up to 10^6: max abs error <= 1e-12 (vectorised call)."""
    rng = np.random.default_rng(20251123)
    rows = random_triples(rng, 400, 10**6)
    # the hard cases for a product of ~n rounded factors: n = 10^6, long products
    hard = [
        (10**6, 10**6 - 1, 1),
        (10**6, 999_000, 1000),
        (10**6, 500_000, 1),
        (10**6, 3, 500_000),
        (10**6, 1, 1),
        (10**6, 10**6, 1),
        (10**6, 0, 10**6),
        (999_983, 4_000, 4_000),
    ]
    rows = np.concatenate([rows, np.array(hard)])
    got = pass_at_k(rows[:, 0], rows[:, 1], rows[:, 2])
    want = np.array([reference_pass_at_k(int(n), int(c), int(k)) for n, c, k in rows])
    err = np.abs(got - want)
    worst = int(np.argmax(err))
    assert err.max() <= 1e-12, f"max abs error {err.max():.3g} at (n, c, k) = {tuple(rows[worst])}"


@PROPERTY
@given(st.integers(1, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_pass_at_k_matches_exact_fractions_small_n(nck):
    n, c, k = nck
    # a few units in the last place (1e-15), not one: log1p and expm1 may each be an ulp off on another CPU or libm
    assert abs(pass_at_k(n, c, k) - float(exact_pass_at_k(n, c, k))) <= 1e-15, nck


@PROPERTY
@given(st.integers(1, 10**6).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_pass_at_k_is_monotone_in_k_and_c(nck):
    n, c, k = nck
    here = pass_at_k(n, c, k)
    assert 0.0 <= here <= 1.0
    if k < n:
        assert pass_at_k(n, c, k + 1) >= here, nck
    if c < n:
        assert pass_at_k(n, c + 1, k) >= here, nck


@PROPERTY
@given(st.integers(1, 10**6).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_pass_at_1_is_the_fraction_correct(nc):
    n, c = nc
    assert pass_at_k(n, c, 1) == pytest.approx(c / n, abs=1e-14), nc


@PROPERTY
@given(
    st.integers(1, 12).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n))),
    st.fractions(min_value=0, max_value=1, max_denominator=50),
)
def test_unbiased_exactly_over_binomial_c(nk, p):
    """E_{c ~ Bin(n, p)}[pass@k estimate] = 1 - (1 - p)^k exactly (rational p, Fractions)."""
    n, k = nk
    pmf = exact_binomial_pmf(n, p)
    mean = sum(w * exact_pass_at_k(n, c, k) for c, w in enumerate(pmf))
    assert mean == 1 - (1 - p) ** k, (n, k, p)
    # and the float implementation reproduces the exact mean to float precision
    values = pass_at_k(n, np.arange(n + 1), k)
    assert float(np.dot([float(w) for w in pmf], values)) == pytest.approx(float(mean), abs=1e-15)


@pytest.mark.parametrize("n", [1, 2, 5, 8])
@needs_sympy
def test_unbiased_as_a_polynomial_identity_in_p(n):
    """SymPy: sum_c C(n,c) p^c (1-p)^(n-c) [1 - C(n-c,k)/C(n,k)] - (1 - (1-p)^k) expands to 0."""
    p = sympy.symbols("p")
    for k in range(1, n + 1):
        mean = sum(
            sympy.binomial(n, c) * p**c * (1 - p) ** (n - c) * sympy.Rational(str(exact_pass_at_k(n, c, k)))
            for c in range(n + 1)
        )
        assert sympy.expand(mean - (1 - (1 - p) ** k)) == 0, (n, k)


@pytest.mark.parametrize("budget", [None, 64])
def test_vectorised_equals_scalar_loop(budget, monkeypatch):
    """One call on many problems = one call per problem (also when tables are built in blocks)."""
    if budget is not None:
        monkeypatch.setattr(passk, "_TABLE_BUDGET", budget)
    rng = np.random.default_rng(7)
    rows = random_triples(rng, 300, 5000)
    same_n = np.column_stack([np.full(300, 500), rng.integers(0, 501, 300), rng.integers(1, 501, 300)])
    for batch in (rows, same_n):
        vec = pass_at_k(batch[:, 0], batch[:, 1], batch[:, 2])
        loop = np.array([pass_at_k(int(n), int(c), int(k)) for n, c, k in batch])
        np.testing.assert_allclose(vec, loop, rtol=0, atol=1e-15)
        exact = np.array([float(exact_pass_at_k(int(n), int(c), int(k))) for n, c, k in batch])
        np.testing.assert_allclose(vec, exact, rtol=0, atol=1e-14)


def test_broadcasting_shapes_and_scalar_type():
    n = np.array([[10], [20], [30]])  # (3, 1)
    c = np.array([0, 1, 2, 3])  # (4,)
    out = pass_at_k(n, c, 2)
    assert out.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            assert out[i, j] == pass_at_k(int(n[i, 0]), int(c[j]), 2)
    assert pass_at_k(10, [1, 2], [[1], [2], [3]]).shape == (3, 2)
    assert isinstance(pass_at_k(10, 3, 5), float)
    assert isinstance(pass_at_k(np.int64(10), np.array(3), 5.0), float)  # whole floats are fine
    assert pass_at_k(np.zeros(0, int), np.zeros(0, int), 1).shape == (0,)


def test_zero_is_positive_zero():
    """No "-0.0" in a learner's output."""
    for value in (pass_at_k(10, 0, 3), pass_at_k_from_p(0.0, 3), delta_k(0.0, 3), pass_at_k_plugin(5, 0, 2)):
        assert value == 0.0 and not math.copysign(1.0, value) < 0


def test_extremes_at_large_n():
    n = 10**6
    assert pass_at_k(n, 0, 1000) == 0.0
    assert pass_at_k(n, n, 1) == 1.0
    assert pass_at_k(n, 1, n) == 1.0
    assert pass_at_k(n, 1, 1) == pytest.approx(1e-6, rel=1e-12)


# --------------------------------------------------------------------------- plug-in, from_p


def test_plugin_bias_closed_form():
    """REFERENCE.md: c ~ Bin(10, 0.3), k = 5: E[plug-in] = 0.75974 vs true 0.83193 (exact sums)."""
    n, p, k = 10, Fraction(3, 10), 5
    pmf = exact_binomial_pmf(n, p)
    plugin_mean = sum(w * (1 - (1 - Fraction(c, n)) ** k) for c, w in enumerate(pmf))
    true = 1 - (1 - p) ** k
    assert round(float(plugin_mean), 5) == 0.75974
    assert round(float(true), 5) == 0.83193
    c, value, prob = estimator_distribution(n, 0.3, k, estimator="plugin")
    assert float(prob @ value) == pytest.approx(float(plugin_mean), abs=1e-15)
    assert pass_at_k_from_p(0.3, k) == pytest.approx(float(true), abs=1e-15)


@PROPERTY
@given(st.integers(1, 200).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))), st.integers(1, 500))
def test_plugin_matches_exact_and_allows_k_above_n(nc, k):
    n, c = nc
    assert pass_at_k_plugin(n, c, k) == pytest.approx(float(1 - (1 - Fraction(c, n)) ** k), abs=1e-15)


@PROPERTY
@given(st.fractions(0, 1, max_denominator=1000), st.integers(1, 300))
def test_pass_at_k_from_p_exact(p, k):
    assert pass_at_k_from_p(float(p), k) == pytest.approx(float(1 - (1 - p) ** k), rel=1e-14, abs=1e-300)


def test_pass_at_k_from_p_tiny_p_keeps_relative_precision():
    assert pass_at_k_from_p(1e-20, 3) == pytest.approx(3e-20, rel=1e-14)


# --------------------------------------------------------------------------- variance, distribution


def exact_variance(n: int, p: Fraction, k: int) -> Fraction:
    """Var of the unbiased estimator by brute force over c = 0..n, in Fractions."""
    pmf = exact_binomial_pmf(n, p)
    vals = [exact_pass_at_k(n, c, k) for c in range(n + 1)]
    mean = sum(w * v for w, v in zip(pmf, vals, strict=True))
    return sum(w * (v - mean) ** 2 for w, v in zip(pmf, vals, strict=True))


@pytest.mark.parametrize(
    ("n", "p", "k"),
    [
        (10, Fraction(3, 10), 5),
        (1, Fraction(1, 3), 1),
        (8, Fraction(1, 2), 8),
        (300, Fraction(1, 100), 1),
        (200, Fraction(1, 2), 100),
        (120, Fraction(99, 100), 2),
        (150, Fraction(1, 10), 20),
        (40, Fraction(0), 3),
        (40, Fraction(1), 3),
    ],
)
def test_variance_against_brute_force_fractions(n, p, k):
    want = float(exact_variance(n, p, k))
    assert pass_at_k_variance(float(p), n, k) == pytest.approx(want, rel=1e-13, abs=1e-300)


@PROPERTY
@given(
    st.integers(1, 25).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n))),
    st.fractions(0, 1, max_denominator=20),
)
def test_variance_against_brute_force_property(nk, p):
    n, k = nk
    assert pass_at_k_variance(float(p), n, k) == pytest.approx(float(exact_variance(n, p, k)), rel=1e-12, abs=1e-300)


@PROPERTY
@given(st.floats(0, 1), st.integers(1, 20), st.integers(0, 200))
def test_variance_never_grows_with_n(p, k, extra):
    """A U-statistic's variance is non-increasing in the sample size (Hoeffding, 1948)."""
    n = k + extra
    assert pass_at_k_variance(p, n + 1, k) <= pass_at_k_variance(p, n, k) * (1 + 1e-12) + 1e-300


def test_variance_when_n_equals_k_is_bernoulli():
    q = 0.7**10
    assert pass_at_k_variance(0.3, 10, 10) == pytest.approx(q * (1 - q), rel=1e-14)


@pytest.mark.parametrize(("n", "p", "k"), [(10, Fraction(3, 10), 5), (30, Fraction(1, 7), 4), (6, Fraction(1), 2)])
def test_estimator_distribution_is_exact(n, p, k):
    c, value, prob = estimator_distribution(n, float(p), k)
    assert c.tolist() == list(range(n + 1))
    # log-space pmf: an ulp of its logs (terms up to ~60 at n = 30) is ~1e-14 relative after exp, where the libm differs
    np.testing.assert_allclose(prob, [float(w) for w in exact_binomial_pmf(n, p)], rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(value, [float(exact_pass_at_k(n, cc, k)) for cc in c], rtol=0, atol=1e-15)
    assert prob.sum() == pytest.approx(1.0, abs=1e-14)
    assert float(prob @ value) == pytest.approx(float(1 - (1 - p) ** k), abs=1e-15)  # unbiased
    var = float(prob @ (value - prob @ value) ** 2)
    assert var == pytest.approx(pass_at_k_variance(float(p), n, k), rel=1e-10, abs=1e-300)


@PROPERTY
@given(st.integers(0, 60), st.fractions(0, 1, max_denominator=30))
def test_binomial_pmf_exact(n, p):
    np.testing.assert_allclose(
        binomial_pmf(n, float(p)), [float(w) for w in exact_binomial_pmf(n, p)], rtol=1e-13, atol=1e-300
    )


# --------------------------------------------------------------------------- Jensen pitfall


def test_jensen_example_exact():
    """REFERENCE.md: prompts p in {0, 0.5} in equal mix, k = 4: 0.46875 vs 0.68359."""
    dataset = Fraction(1, 2) * (1 - 1) + Fraction(1, 2) * (1 - Fraction(1, 2) ** 4)  # 15/32
    of_mean = 1 - (1 - Fraction(1, 4)) ** 4  # 175/256
    assert dataset_pass_at_k([0.0, 0.5], 4) == pytest.approx(float(dataset), abs=1e-15)
    assert pass_at_k_of_mean([0.0, 0.5], 4) == pytest.approx(float(of_mean), abs=1e-15)
    assert round(float(dataset), 5) == 0.46875 and round(float(of_mean), 5) == 0.68359


@PROPERTY
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.integers(1, 64))
def test_dataset_pass_at_k_is_below_pass_at_k_of_mean(p, k):
    lower, upper = dataset_pass_at_k(p, k), pass_at_k_of_mean(p, k)
    assert lower <= upper + 1e-15
    if k == 1 or max(p) == min(p):
        assert lower == pytest.approx(upper, abs=1e-15)


def test_weights_are_mixture_proportions():
    p = [0.1, 0.4, 0.9]
    assert dataset_pass_at_k(p, 3, weights=[1, 2, 0]) == pytest.approx(dataset_pass_at_k([0.1, 0.4, 0.4], 3), abs=1e-15)
    assert pass_at_k_of_mean(p, 3, weights=[1, 2, 0]) == pytest.approx(pass_at_k_of_mean([0.1, 0.4, 0.4], 3), abs=1e-15)
    assert dataset_pass_at_k(iter([0.2, 0.6]), 2) == pytest.approx(dataset_pass_at_k([0.2, 0.6], 2), abs=1e-16)


# --------------------------------------------------------------------------- zero signal


@PROPERTY
@given(st.fractions(0, 1, max_denominator=1000), st.integers(1, 500))
def test_zero_signal_prob_exact(p, n):
    want = float((1 - p) ** n)
    assert zero_signal_prob(float(p), n) == pytest.approx(want, rel=1e-13, abs=1e-300)
    assert zero_signal_prob(float(p), n) == pytest.approx(binomial_pmf(n, float(p))[0], rel=1e-12, abs=1e-300)


def test_expected_steps_to_signal():
    assert expected_steps_to_signal(0.0, 8) == math.inf
    assert expected_steps_to_signal(1.0, 8) == 1.0
    assert expected_steps_to_signal(0.25, 1) == pytest.approx(4.0, abs=1e-15)
    p, n = Fraction(1, 20), 4
    assert expected_steps_to_signal(float(p), n) == pytest.approx(float(1 / (1 - (1 - p) ** n)), rel=1e-14)
    np.testing.assert_allclose(
        expected_steps_to_signal([0.5, 0.1], [[1], [2]]),
        1 / (1 - (1 - np.array([0.5, 0.1])) ** np.array([[1], [2]])),
        rtol=1e-14,
    )


def test_expected_steps_to_signal_by_simulation():
    """Seeded simulation: steps until a group of n samples holds a success."""
    rng = np.random.default_rng(0)
    p, n, runs = 0.02, 8, 20_000
    steps = np.empty(runs)
    for r in range(runs):
        t = 1
        while not (rng.random(n) < p).any():
            t += 1
        steps[r] = t
    want = expected_steps_to_signal(p, n)
    assert abs(steps.mean() - want) < 4 * steps.std() / math.sqrt(runs)


# --------------------------------------------------------------------------- alpha_k, delta_k, gap_argmax


@PROPERTY
@given(st.integers(1, 64))
def test_alpha_k_end_points(k):
    assert alpha_k(0.0, k) == k
    assert alpha_k(1.0, k) == (1.0 if k == 1 else 0.0)


@PROPERTY
@given(st.floats(0, 1), st.floats(0, 1), st.integers(2, 64))
def test_alpha_k_is_decreasing_in_p(a, b, k):
    lo, hi = min(a, b), max(a, b)
    assert alpha_k(lo, k) >= alpha_k(hi, k)
    assert 0.0 <= alpha_k(hi, k) <= k


@pytest.mark.parametrize("k", [1, 2, 3, 4, 8, 16])
@needs_sympy
def test_alpha_k_is_the_derivative_of_pass_at_k(k):
    """SymPy: d/dp [1 - (1-p)^k] = alpha_k, evaluated exactly at rational points."""
    p = sympy.symbols("p")
    derivative = sympy.diff(1 - (1 - p) ** k, p)
    for x in [sympy.Rational(0), sympy.Rational(1, 7), sympy.Rational(1, 2), sympy.Rational(9, 10), sympy.Rational(1)]:
        assert alpha_k(float(x), k) == pytest.approx(float(derivative.subs(p, x)), rel=1e-14, abs=1e-300)


@PROPERTY
@given(st.floats(0, 1), st.integers(1, 64))
def test_delta_k_is_non_negative_and_equals_jk_minus_j1(p, k):
    d = delta_k(p, k)
    if k == 1:
        assert abs(d) <= 1e-15  # zero, up to the last bits of log1p and expm1
    else:
        assert d >= 0.0
    assert d == pytest.approx(pass_at_k_from_p(p, k) - p, abs=1e-16)


@PROPERTY
@given(st.integers(1, 64))
def test_delta_k_vanishes_at_the_end_points(k):
    assert delta_k(0.0, k) == 0.0
    assert delta_k(1.0, k) == 0.0


@pytest.mark.parametrize(
    ("k", "p_star", "delta_star"), [(2, 0.5, 0.25), (4, 0.370039, 0.472470), (8, 0.257003, 0.650123)]
)
@needs_sympy
def test_gap_argmax_reference_values_via_sympy(k, p_star, delta_star):
    """SymPy solves dDelta/dp = k (1-p)^(k-1) - 1 = 0 on [0, 1]; the root matches gap_argmax."""
    p = sympy.symbols("p", real=True)
    gap = 1 - (1 - p) ** k - p
    roots = sympy.solveset(sympy.diff(gap, p), p, domain=sympy.Interval(0, 1))
    (root,) = list(roots)
    assert sympy.simplify(root - (1 - sympy.Integer(k) ** sympy.Rational(-1, k - 1))) == 0
    assert sympy.diff(gap, p, 2).subs(p, root) < 0  # a maximum
    assert gap_argmax(k) == pytest.approx(float(sympy.N(root, 30)), abs=1e-15)
    assert delta_k(gap_argmax(k), k) == pytest.approx(float(sympy.N(gap.subs(p, root), 30)), abs=1e-15)
    assert round(gap_argmax(k), 6) == p_star and round(delta_k(gap_argmax(k), k), 6) == delta_star


@pytest.mark.parametrize("k", [2, 3, 4, 8, 16, 64, 256])
def test_gap_argmax_maximises_delta_on_a_fine_grid(k):
    grid = np.linspace(0.0, 1.0, 200_001)
    values = delta_k(grid, k)
    p_star = gap_argmax(k)
    assert delta_k(p_star, k) >= values.max() - 1e-15
    assert abs(grid[np.argmax(values)] - p_star) <= 1e-4
    assert alpha_k(p_star, k) == pytest.approx(1.0, abs=1e-12)  # the maximum is where alpha_k = 1


def test_gap_argmax_decreases_from_one_half():
    ks = np.arange(2, 500)
    p_star = gap_argmax(ks)
    assert p_star[0] == pytest.approx(0.5, abs=1e-15)  # 1 - 2^-1, through log and expm1
    assert (np.diff(p_star) < 0).all() and (p_star > 0).all()


# --------------------------------------------------------------------------- coverage, distinct answers, Delta split


def exact_gap(p: Fraction, k: int) -> Fraction:
    """Delta(k) = 1 - (1 - p)^k - p of one prompt, exactly."""
    return 1 - (1 - p) ** k - p


@pytest.mark.parametrize(
    ("p", "k", "weights"), [([0.0, 0.5], 4, None), ([0.1, 0.4, 0.9], 64, [1, 2, 0]), (np.linspace(0, 1, 11), 8, None)]
)
def test_coverage_is_exactly_dataset_pass_at_k(p, k, weights):
    assert coverage(p, k, weights) == dataset_pass_at_k(p, k, weights)


def test_coverage_can_only_fall_if_some_prompt_falls():
    """Each term 1 - (1 - p)^k increases with p: raising every prompt never lowers coverage@k."""
    rng = np.random.default_rng(4)
    for _ in range(200):
        start = rng.random(6)
        end = np.clip(start + rng.random(6) * rng.integers(0, 2, 6), 0, 1)  # no prompt falls
        for k in (1, 8, 256):
            assert coverage(end, k) >= coverage(start, k)
    assert coverage([0.2, 0.0], 64) < coverage([0.2, 0.05], 64)  # one lost prompt is enough


def test_coverage_from_counts_is_the_share_solved_and_estimates_coverage():
    assert coverage_from_counts([0, 3, 1, 0]) == 0.5
    assert coverage_from_counts(np.array([2, 2, 2])) == 1.0 and coverage_from_counts(range(1)) == 0.0
    c = np.array([0, 1, 5, 8, 0])
    assert coverage_from_counts(c, n=8, k=8) == coverage_from_counts(c)  # k = n: the share with c >= 1
    assert coverage_from_counts(c, n=8, k=3) == pytest.approx(float(np.mean([exact_pass_at_k(8, x, 3) for x in c])))
    # unbiased for coverage@k: exact mean over c_x ~ Bin(n, p_x), two prompts, every outcome
    n, k, ps = 4, 2, (Fraction(1, 3), Fraction(1, 2))
    pmf = [exact_binomial_pmf(n, p) for p in ps]
    mean = sum(
        pmf[0][a] * pmf[1][b] * (exact_pass_at_k(n, a, k) + exact_pass_at_k(n, b, k)) / 2
        for a in range(n + 1)
        for b in range(n + 1)
    )
    assert mean == sum(1 - (1 - p) ** k for p in ps) / 2
    floats = sum(
        float(pmf[0][a] * pmf[1][b]) * coverage_from_counts([a, b], n, k) for a in range(n + 1) for b in range(n + 1)
    )
    assert floats == pytest.approx(float(mean), abs=1e-15)
    assert floats == pytest.approx(coverage([float(p) for p in ps], k), abs=1e-15)


def test_expected_distinct_correct_against_enumeration():
    """Three correct answers of mass 1/10 and one wrong of mass 7/10: every sequence of k samples."""
    pi = [Fraction(1, 10)] * 3 + [Fraction(7, 10)]
    for k in (1, 2, 4):
        exact = Fraction(0)
        for seq in itertools.product(range(4), repeat=k):
            exact += math.prod(pi[y] for y in seq) * len({y for y in seq if y < 3})
        assert expected_distinct_correct([0.1] * 3, k) == pytest.approx(float(exact), rel=1e-14)
    assert expected_distinct_correct([0.3], 8) == pytest.approx(pass_at_k_from_p(0.3, 8), abs=1e-16)
    # the same pass@1 (hence the same Delta(k)), different numbers of distinct correct answers
    one, three = expected_distinct_correct([0.3], 8), expected_distinct_correct([0.1] * 3, 8)
    assert (round(one, 2), round(three, 2)) == (0.94, 1.71)
    np.testing.assert_allclose(expected_distinct_correct([[0.3, 0.0], [0.1, 0.2]], 2), [0.51, 0.55], atol=1e-15)


def test_delta_change_split_hand_computed_with_fractions():
    k = 3
    start = [Fraction(1, 2), Fraction(1, 2), Fraction(1, 5), Fraction(3, 10)]
    end = [Fraction(1), Fraction(1, 4), Fraction(1, 5), Fraction(3, 5)]  # solved, fell, same, rose
    d = delta_change_split([float(x) for x in start], [float(x) for x in end], k)
    rose = (exact_gap(end[0], k) - exact_gap(start[0], k) + exact_gap(end[3], k) - exact_gap(start[3], k)) / 4
    fell = (exact_gap(end[1], k) - exact_gap(start[1], k)) / 4
    # by hand, g(p) = p (1 - p)(2 - p): g(1/2) = 3/8, g(1) = 0, g(1/4) = 21/64, g(3/10) = 357/1000, g(3/5) = 336/1000
    # rose = (0 - 3/8 + 336/1000 - 357/1000) / 4 = -99/1000; fell = (21/64 - 3/8) / 4 = -3/256
    assert rose == Fraction(-99, 1000) and fell == Fraction(-3, 256)
    assert d.rose == pytest.approx(float(rose), abs=1e-16) and d.fell == pytest.approx(float(fell), abs=1e-16)
    assert d.total == d.rose + d.fell
    exact_total = sum(exact_gap(b, k) - exact_gap(a, k) for a, b in zip(start, end, strict=True)) / 4
    assert exact_total == rose + fell and d.total == pytest.approx(float(exact_total), abs=1e-16)
    assert (d.n_rose, d.n_fell, d.n_same) == (2, 1, 1)


def test_a_solved_prompt_lowers_delta_through_the_rose_part():
    d = delta_change_split([0.3, 0.2], [1.0, 0.2], 8)
    assert d.rose == pytest.approx(-delta_k(0.3, 8) / 2, abs=1e-16) and d.rose < 0
    assert d.fell == 0.0 and (d.n_rose, d.n_fell, d.n_same) == (1, 0, 1)
    same = delta_change_split([0.1, 0.7], [0.1, 0.7], 4)
    assert (same.total, same.rose, same.fell, same.n_same) == (0.0, 0.0, 0.0, 2)


@PROPERTY
@given(
    st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0.1, 5)), min_size=1, max_size=40),
    st.integers(1, 64),
)
def test_delta_change_split_sums_to_the_change_of_dataset_delta(rows, k):
    start, end, w = (np.array(col) for col in zip(*rows, strict=True))
    d = delta_change_split(start, end, k, weights=w)
    assert d.total == d.rose + d.fell  # exactly
    want = (dataset_pass_at_k(end, k, w) - np.average(end, weights=w)) - (
        dataset_pass_at_k(start, k, w) - np.average(start, weights=w)
    )
    assert d.total == pytest.approx(want, abs=1e-13)
    assert d.n_rose + d.n_fell + d.n_same == len(rows)
    assert delta_change_split(start, end, k, weights=3 * w).total == pytest.approx(d.total, abs=1e-14)


# --------------------------------------------------------------------------- bad input


BAD_INPUTS = [
    # (function, args, argument the message must name)
    (pass_at_k, (10, 3, 0), "k"),  # k < 1
    (pass_at_k, (5, 2, 6), "k"),  # k > n: no unbiased estimator
    (pass_at_k, (5, 6, 2), "c"),  # c > n
    (pass_at_k, (-5, 0, 1), "n"),  # negative
    (pass_at_k, (10, -1, 2), "c"),
    (pass_at_k, (10, 2.5, 2), "c"),  # non-integer
    (pass_at_k, (10, 2, 1.5), "k"),
    (pass_at_k, (float("nan"), 2, 1), "n"),  # NaN
    (pass_at_k, (10, [1, float("nan")], 1), "c"),
    (pass_at_k, (10, 2, float("inf")), "k"),
    (pass_at_k, ("10", 2, 1), "n"),  # strings
    (pass_at_k, (10, 2, "k"), "k"),
    (pass_at_k, (None, 2, 1), "n"),
    (pass_at_k, ([[10, 10], [10]], 2, 1), "n"),  # ragged
    (pass_at_k, (10, 1 + 2j, 1), "c"),  # complex
    (pass_at_k, (np.zeros((2, 3)) + 5, np.zeros((3, 2)), 1), "n"),  # shapes that do not broadcast
    (pass_at_k_plugin, (0, 0, 1), "n"),
    (pass_at_k_plugin, (4, 5, 1), "c"),
    (pass_at_k_plugin, (4, 2, 0), "k"),
    (pass_at_k_from_p, (1.5, 2), "p"),  # p outside [0, 1]
    (pass_at_k_from_p, (-0.1, 2), "p"),
    (pass_at_k_from_p, (float("nan"), 2), "p"),
    (pass_at_k_from_p, ([0.1, "a"], 2), "p"),
    (pass_at_k_from_p, (0.5, 0), "k"),
    (alpha_k, (2.0, 3), "p"),
    (alpha_k, (0.5, -1), "k"),
    (delta_k, (float("nan"), 2), "p"),
    (delta_k, (0.2, 2.5), "k"),
    (gap_argmax, (1,), "k"),
    (gap_argmax, (2.5,), "k"),
    (zero_signal_prob, (0.5, 0), "n"),
    (zero_signal_prob, (1.01, 3), "p"),
    (expected_steps_to_signal, (0.5, -2), "n"),
    (pass_at_k_variance, (1.2, 10, 2), "p"),
    (pass_at_k_variance, (0.2, 5, 6), "k"),
    (pass_at_k_variance, (0.2, 10, 0), "k"),
    (pass_at_k_variance, ([0.1, 0.2], 10, 2), "p"),
    (pass_at_k_variance, (0.1, [10, 11], 2), "n"),
    (binomial_pmf, (2.5, 0.2), "n"),
    (binomial_pmf, (5, float("nan")), "p"),
    (binomial_pmf, ([3, 4], 0.2), "n"),
    (estimator_distribution, (5, 0.2, 6), "k"),
    (estimator_distribution, (5, [0.1, 0.2], 2), "p"),
    (estimator_distribution, (5, 0.2, [1, 2]), "k"),
    (dataset_pass_at_k, ([], 2), "p"),
    (dataset_pass_at_k, ([[0.1, 0.2]], 2), "p"),
    (dataset_pass_at_k, ([0.1, 1.2], 2), "p"),
    (dataset_pass_at_k, ("abc", 2), "p"),
    (dataset_pass_at_k, ([0.1, 0.2], [2, 3]), "k"),
    (pass_at_k_of_mean, ([0.1, 0.2], 0), "k"),
    (pass_at_k_of_mean, ([0.1, float("nan")], 2), "p"),
    (coverage, ([], 2), "p"),
    (coverage, ([0.1], 0), "k"),
    (coverage_from_counts, ([1, -1],), "c"),
    (coverage_from_counts, ([[1, 2]],), "c"),
    (coverage_from_counts, ([1, 5], 4), "c"),
    (coverage_from_counts, ([1, 2], None, 2), "n"),
    (coverage_from_counts, ([1, 2], 4, 5), "k"),
    (expected_distinct_correct, ([0.6, 0.6], 2), "probs"),
    (expected_distinct_correct, ([0.1, -0.1], 2), "probs"),
    (expected_distinct_correct, ([0.1], 0), "k"),
    (delta_change_split, ([0.1], [0.1, 0.2], 2), "p_start"),
    (delta_change_split, ([0.1], [1.2], 2), "p"),
    (delta_change_split, ([0.1], [0.2], 0), "k"),
]


@pytest.mark.parametrize(("func", "args", "name"), BAD_INPUTS, ids=lambda v: getattr(v, "__name__", None))
def test_bad_input_raises_value_error_naming_the_argument(func, args, name):
    with pytest.raises(ValueError, match=rf"^{name}\b|\b{name} must\b") as info:
        func(*args)
    assert "Traceback" not in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"weights": [1, -1]}, "weights"),
        ({"weights": [0, 0]}, "weights"),
        ({"weights": [1, 2, 3]}, "weights"),
        ({"weights": [1, float("nan")]}, "weights"),
    ],
)
def test_bad_weights(kwargs, name):
    for func in (dataset_pass_at_k, pass_at_k_of_mean):
        with pytest.raises(ValueError, match=rf"^{name} must"):
            func([0.1, 0.2], 2, **kwargs)


def test_bad_estimator_name():
    with pytest.raises(ValueError, match=r"^estimator must be one of"):
        estimator_distribution(5, 0.2, 2, estimator="biased")


# --------------------------------------------------------------------------- documented contract
@pytest.mark.parametrize("name", [name for name in passk.__all__ if inspect.isfunction(getattr(passk, name))])
def test_public_functions_are_typed_and_name_their_rules(name):
    """Every public function has type hints, and its Raises section names a validator that exists."""
    func = getattr(passk, name)
    sig = inspect.signature(func)
    assert sig.return_annotation is not inspect.Signature.empty, name
    assert all(p.annotation is not inspect.Parameter.empty for p in sig.parameters.values()), name
    raises = func.__doc__.split("Raises\n    ------\n", 1)[1].split("\n\n", 1)[0]
    for helper in re.findall(r":func:`(\w+)`", raises):
        assert callable(getattr(passk, helper, None)), (name, helper)
