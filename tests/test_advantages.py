"""Executable specification of course_lib.advantages.

References used below:
- brute force: explicit enumeration of all C(n, k) subsets with itertools.combinations,
  in exact Fractions where the quantity is rational;
- exact expectations: enumeration of all M**n joint samples of a small softmax policy,
  against gradients of the exact objective obtained by torch autograd in float64.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import advantages as A
from course_lib.passk import alpha_k, pass_at_k

try:  # optional: the core install (NumPy only) runs the rest of this file
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (core install)")

# ----------------------------------------------------------------------------- brute-force references


def brute_chen(r, k):
    """Per-rollout mean, over all size-k subsets containing it, of the standardised subset score."""
    n = len(r)
    subsets = list(itertools.combinations(range(n), k))
    score = np.array([max(r[j] for j in s) for s in subsets], dtype=float)
    mu, sd = score.mean(), score.std()
    z = np.zeros_like(score) if sd == 0 else (score - mu) / sd
    return np.array([np.mean([z[t] for t, s in enumerate(subsets) if i in s]) for i in range(n)])


def brute_pkpo(g, k, baseline=None):
    """PKPO weights by the subset definition, in Fractions (g holds ints or Fractions)."""
    n = len(g)
    g = [Fraction(x) for x in g]
    subsets = list(itertools.combinations(range(n), k))
    out = []
    for i in range(n):
        others = [j for j in range(n) if j != i]
        if baseline == "loo":
            subs = list(itertools.combinations(others, k))
            b = sum(max(g[j] for j in s) for s in subs) / len(subs)
        total = Fraction(0)
        for s in subsets:
            if i not in s:
                continue
            m = max(g[j] for j in s)
            if baseline is None:
                total += m
            elif baseline == "loo":
                total += m - b
            else:  # loo-1
                rest = [g[j] for j in s if j != i]
                total += m - max(rest)
        out.append(total / math.comb(n, k))
    return out


def all_binary(n):
    return [list(bits) for bits in itertools.product([0, 1], repeat=n)]


# ----------------------------------------------------------------------------- GRPO / RLOO


def test_grpo_centres_and_scales():
    rng = np.random.default_rng(0)
    r = rng.normal(size=(5, 7))
    a = A.grpo(r, eps=0)
    np.testing.assert_allclose(a.sum(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(a.std(axis=1), 1, rtol=1e-12)
    np.testing.assert_allclose(A.grpo(r, scale=False), r - r.mean(axis=1, keepdims=True), atol=1e-15)


def test_grpo_constant_groups_are_exact_zeros():
    r = np.array([[0.3, 0.3, 0.3], [0, 0, 0], [1, 1, 1]])
    assert (A.grpo(r) == 0).all()
    assert (A.grpo(r, eps=0) == 0).all()


def test_rloo_matches_loop():
    rng = np.random.default_rng(1)
    r = rng.normal(size=6)
    expect = [r[i] - np.mean(np.delete(r, i)) for i in range(6)]
    np.testing.assert_allclose(A.rloo(r), expect, atol=1e-14)


# ----------------------------------------------------------------------------- Chen et al.


def test_chen_reference_example():
    # N = 8, N_neg = 5, k = 4: Rbar = 1 - C(5,4)/C(8,4) = 1 - 5/70 = 13/14 (exact Fractions)
    r_bar = 1 - Fraction(math.comb(5, 4), math.comb(8, 4))
    assert r_bar == Fraction(13, 14)
    sigma = math.sqrt(r_bar * (1 - r_bar))
    ratio = Fraction(math.comb(4, 3), math.comb(7, 3))
    a = A.passk_group_analytic([1, 1, 1, 0, 0, 0, 0, 0], 4, eps=0)
    assert a[0] == pytest.approx(float(1 - r_bar) / sigma, rel=1e-13)
    assert a[-1] == pytest.approx(float(1 - r_bar - ratio) / sigma, rel=1e-13)
    assert a[0] == pytest.approx(0.2773501, abs=1e-7) and a[-1] == pytest.approx(-0.1664101, abs=1e-7)


@pytest.mark.parametrize("n", [2, 3, 5, 6])
def test_chen_analytic_equals_average_over_all_subsets(n):
    for r in all_binary(n):
        for k in range(1, n + 1):
            got = A.passk_group_analytic(r, k, eps=0)
            np.testing.assert_allclose(got, brute_chen(r, k), atol=1e-12, err_msg=f"r={r}, k={k}")


def test_chen_k1_is_grpo():
    rng = np.random.default_rng(2)
    r = (rng.random((50, 8)) < 0.4).astype(float)
    np.testing.assert_allclose(A.passk_group_analytic(r, 1, eps=0), A.grpo(r, eps=0), atol=1e-12)
    np.testing.assert_allclose(A.passk_group_analytic(r, 1), A.grpo(r), atol=1e-12)


def test_chen_unnormalised_is_pkpo_minus_group_baseline():
    # sigma * A * k/N  ==  pkpo_binary - (k/N) Rbar   (links arXiv 2508.10751 and 2505.15201)
    n = 7
    for r in all_binary(n):
        c = sum(r)
        for k in range(1, n + 1):
            r_bar = pass_at_k(n, c, k)
            sigma = math.sqrt(r_bar * (1 - r_bar))
            if sigma == 0:
                continue
            lhs = sigma * A.passk_group_analytic(r, k, eps=0) * k / n
            rhs = A.pkpo_binary(r, k) - k / n * r_bar
            np.testing.assert_allclose(lhs, rhs, atol=1e-12, err_msg=f"r={r}, k={k}")


def test_chen_degenerate_groups_give_zeros():
    assert (A.passk_group_analytic([0, 0, 0, 0], 2) == 0).all()
    assert (A.passk_group_analytic([1, 1, 1, 1], 2) == 0).all()
    assert (A.passk_group_analytic([1, 1, 0, 0], 3) == 0).all()  # N_neg = 2 < k: every subset passes


def test_bootstrap_converges_to_analytic_and_is_seeded():
    r = np.array([[1, 0, 0, 0, 0, 1, 0, 0], [1, 1, 1, 0, 0, 0, 0, 0]], dtype=float)
    boot = A.passk_group_bootstrap(r, 3, num_groups=20000, rng=np.random.default_rng(3), eps=0)
    np.testing.assert_allclose(boot, A.passk_group_analytic(r, 3, eps=0), atol=0.03)
    a1 = A.passk_group_bootstrap(r, 3, num_groups=50, rng=7)
    a2 = A.passk_group_bootstrap(r, 3, num_groups=50, rng=7)
    np.testing.assert_array_equal(a1, a2)


def test_full_sampling_blocks():
    r = np.array([1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0], dtype=float)  # k = 3: block scores [1, 0, 1, 0]
    a = A.passk_group_full(r, 3, eps=0)
    np.testing.assert_allclose(a, np.repeat([1.0, -1.0, 1.0, -1.0], 3))
    assert (A.passk_group_full([1, 0, 0], 3) == 0).all()  # one block: nothing to compare


# ----------------------------------------------------------------------------- PKPO


def test_pkpo_reference_example():
    np.testing.assert_allclose(A.pkpo([0.1, 0.5, 0.2, 0.9], 2), [0.8 / 3, 0.95 / 3, 0.8 / 3, 0.45], atol=1e-15)


@pytest.mark.parametrize("baseline", [None, "loo", "loo-1"])
def test_pkpo_equals_subset_definition_with_ties(baseline):
    rng = np.random.default_rng(4)
    for n in (2, 3, 5, 6):
        for _ in range(6):
            g = rng.integers(-2, 3, size=n)  # small integers: many ties
            for k in range(1, n + 1):
                if (baseline == "loo" and k > n - 1) or (baseline == "loo-1" and k < 2):
                    continue
                want = [float(x) for x in brute_pkpo(g.tolist(), k, baseline)]
                np.testing.assert_allclose(
                    A.pkpo(g, k, baseline=baseline), want, atol=1e-12, err_msg=f"g={g}, k={k}, baseline={baseline}"
                )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-10, 10, allow_nan=False), min_size=1, max_size=6), st.data())
def test_pkpo_property_random_floats(g, data):
    k = data.draw(st.integers(1, len(g)))
    want = [float(x) for x in brute_pkpo(g, k)]
    np.testing.assert_allclose(A.pkpo(g, k), want, atol=1e-9, rtol=1e-9)


def test_pkpo_binary_equals_subset_average_exactly():
    n = 6
    for r in all_binary(n):
        for k in range(1, n + 1):
            want = [float(x) for x in brute_pkpo(r, k)]
            np.testing.assert_allclose(A.pkpo_binary(r, k), want, atol=1e-14, err_msg=f"r={r}, k={k}")
            np.testing.assert_allclose(A.pkpo(r, k), want, atol=1e-14)


# ----------------------------------------------------------------------------- unbiasedness on a softmax policy


def _policy(seed=5, m=3):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(m, generator=gen, dtype=torch.float64)


def _exact_grad_max_at_k(theta, g, k):
    """grad of E[max of k i.i.d. draws of g] by enumerating all M**k draws (autograd, float64)."""
    theta = theta.clone().requires_grad_(True)
    pi = torch.softmax(theta, 0)
    total = 0.0
    for tup in itertools.product(range(len(g)), repeat=k):
        total = total + torch.prod(pi[list(tup)]) * max(g[a] for a in tup)
    (grad,) = torch.autograd.grad(total, theta)
    return grad.numpy()


def _expected_estimate(theta, g, n, weights_fn, mean_form):
    """E over all M**n joint samples of the estimator sum_i w_i grad log pi(y_i) (or its 1/n mean)."""
    pi = torch.softmax(theta, 0).numpy()
    m = len(pi)
    tuples = np.array(list(itertools.product(range(m), repeat=n)))  # (M**n, n)
    prob = np.prod(pi[tuples], axis=1)
    w = np.asarray(weights_fn(np.asarray(g, dtype=float)[tuples]))  # batched: one row per joint sample
    onehot = np.eye(m)[tuples]  # (T, n, M)
    score = onehot - pi  # grad_theta log pi(y) = e_y - pi
    est = np.einsum("tn,tnm->tm", w, score)
    if mean_form:
        est = est / n
    return prob @ est


@pytest.mark.parametrize("k", [1, 2, 3, 4])
@needs_torch
def test_pkpo_binary_is_exactly_unbiased_for_grad_pass_at_k(k):
    theta, g, n = _policy(), [1.0, 0.0, 0.0], 4
    exact = _exact_grad_max_at_k(theta, g, k)
    p = float(torch.softmax(theta, 0)[0])
    pi = torch.softmax(theta, 0).numpy()
    grad_j1 = pi * (np.array(g) - p)  # closed form of grad J_1 for a softmax policy
    np.testing.assert_allclose(exact, alpha_k(p, k) * grad_j1, atol=1e-12)  # Yu, Thm 3.1
    est = _expected_estimate(theta, g, n, lambda r: A.pkpo_binary(r, k), mean_form=False)
    np.testing.assert_allclose(est, exact, atol=1e-12)


@pytest.mark.parametrize("baseline,k", [(None, 2), ("loo", 2), ("loo-1", 2), ("loo-1", 4), ("loo", 3)])
@needs_torch
def test_pkpo_continuous_is_exactly_unbiased_for_grad_max_at_k(baseline, k):
    theta, g, n = _policy(6), [0.2, 0.9, -0.4], 4
    exact = _exact_grad_max_at_k(theta, g, k)
    est = _expected_estimate(theta, g, n, lambda r: A.pkpo(r, k, baseline=baseline), mean_form=False)
    np.testing.assert_allclose(est, exact, atol=1e-12)


@needs_torch
def test_rloo_is_exactly_unbiased_for_grad_pass_at_1():
    theta, g, n = _policy(7), [1.0, 0.0, 1.0], 3
    exact = _exact_grad_max_at_k(theta, g, 1)
    est = _expected_estimate(theta, g, n, A.rloo, mean_form=True)
    np.testing.assert_allclose(est, exact, atol=1e-12)


@needs_torch
def test_monte_carlo_pkpo_within_statistical_bounds():
    """Seeded sampling: the sample mean of the estimator is within 4 standard errors of the exact gradient."""
    theta, g, n, k = _policy(8), [1.0, 0.0, 0.0], 8, 4
    pi = torch.softmax(theta, 0).numpy()
    rng = np.random.default_rng(9)
    draws = 40000
    y = rng.choice(3, size=(draws, n), p=pi)
    r = np.asarray(g)[y]
    w = A.pkpo(r, k, baseline="loo-1")  # (draws, n), one batched call
    est = np.einsum("dn,dnm->dm", w, np.eye(3)[y] - pi)
    mean, se = est.mean(axis=0), est.std(axis=0) / math.sqrt(draws)
    exact = _exact_grad_max_at_k(theta, g, k)
    assert (np.abs(mean - exact) < 4 * se + 1e-12).all(), (mean, exact, se)


# ----------------------------------------------------------------------------- verl's grpo_passk (best of group)


def brute_loo_max(r):
    """Leave-one-out advantage of the group max: max(r) - max(r without i), by a loop over i."""
    return np.array([max(r) - max(r[:i] + r[i + 1 :]) for i in range(len(r))], dtype=float)


def test_grpo_passk_hand_computed_cases():
    np.testing.assert_array_equal(A.grpo_passk([0, 1, 0, 0], scale=False), [0, 1, 0, 0])
    # one 1 among n = 4: sample std (ddof 1) = sqrt((3/4) / 3) = 1/2, so A = 1 / (1/2) = 2
    np.testing.assert_allclose(A.grpo_passk([0, 1, 0, 0], eps=0), [0, 2, 0, 0], rtol=1e-15)
    np.testing.assert_allclose(A.grpo_passk([0, 1, 0, 0]), [0, 1 / (0.5 + 1e-6), 0, 0], rtol=1e-15)
    np.testing.assert_allclose(A.grpo_passk([0.1, 0.5, 0.2, 0.9], scale=False), [0, 0, 0, 0.4], atol=1e-15)
    # mean 0.425, squared deviations sum to 31/80, sample variance 31/240: A = 0.4 / sqrt(31/240)
    np.testing.assert_allclose(A.grpo_passk([0.1, 0.5, 0.2, 0.9], eps=0), [0, 0, 0, 0.4 / math.sqrt(31 / 240)])
    np.testing.assert_allclose(A.grpo_passk([-1.0, -3.0, -2.0], scale=False), [1, 0, 0])  # -1 - (-2)


def test_grpo_passk_ties_and_equal_groups_give_exact_zeros():
    for r in ([0.3, 0.9, 0.9, 0.1], [0.9, 0.3, 0.9], [1, 1, 0, 0], [0.5] * 5, [0] * 4, [1] * 4, [7.0, 7.0]):
        for scale in (True, False):
            out = A.grpo_passk(r, scale=scale, eps=0)  # eps = 0: no 0/0 on an all-equal group
            assert (out == 0).all() and np.isfinite(out).all(), (r, scale, out)


@pytest.mark.parametrize("n", range(2, 9))
def test_grpo_passk_binary_signal_only_when_exactly_one_sample_is_correct(n):
    """All 2**n groups: a non-zero advantage iff c = 1, on that sample, equal to sqrt(n) (eps = 0)."""
    groups = np.array(list(itertools.product([0.0, 1.0], repeat=n)))  # (2**n, n)
    out = A.grpo_passk(groups, eps=0)
    c = groups.sum(1)
    assert (out[c != 1] == 0).all()
    lone = out[c == 1]
    np.testing.assert_array_equal(lone != 0, groups[c == 1] == 1)
    np.testing.assert_allclose(lone.sum(1), math.sqrt(n), rtol=1e-14)
    np.testing.assert_array_equal(A.grpo_passk(groups, scale=False)[c == 1], groups[c == 1])


def test_grpo_passk_is_the_leave_one_out_max_and_pkpo_at_k_equal_n():
    """Unscaled: A_i = max(r) - max(r without i) (ties included), = PKPO(k = n, loo-1) exactly."""
    rng = np.random.default_rng(12)
    for n in (2, 3, 5, 8):
        r = rng.integers(0, 4, size=(200, n)).astype(float)  # few values: many ties
        want = np.array([brute_loo_max(row.tolist()) for row in r])
        np.testing.assert_array_equal(A.grpo_passk(r, scale=False), want)
        np.testing.assert_allclose(A.pkpo(r, n, baseline="loo-1"), want, atol=1e-12)
        std = r.std(axis=1, ddof=1, keepdims=True)
        np.testing.assert_allclose(A.grpo_passk(r), np.where(want > 0, want / (std + 1e-6), 0.0), rtol=1e-15)


@needs_torch
def test_grpo_passk_unscaled_is_exactly_unbiased_for_grad_max_at_n():
    """Summed over the group (not averaged), the unscaled advantage estimates grad max@n without bias."""
    theta, g, n = _policy(9), [0.2, 0.9, -0.4], 4
    exact = _exact_grad_max_at_k(theta, g, n)
    est = _expected_estimate(theta, g, n, lambda r: A.grpo_passk(r, scale=False), mean_form=False)
    np.testing.assert_allclose(est, exact, atol=1e-12)


# ----------------------------------------------------------------------------- risk seeking, entropy


def test_risk_seeking_formula_and_limits():
    r = np.array([[1.0, 0.0, 0.0, 0.0], [0.2, 0.5, 0.9, 0.1]])
    beta = 2.0
    e = np.exp(beta * r)
    np.testing.assert_allclose(A.risk_seeking(r, beta), (e / e.mean(1, keepdims=True) - 1) / beta, atol=1e-14)
    np.testing.assert_allclose(A.risk_seeking(r, 0.0), r - r.mean(1, keepdims=True))
    np.testing.assert_allclose(A.risk_seeking(r, 1e-7), r - r.mean(1, keepdims=True), atol=1e-6)
    big = A.risk_seeking([1, 0, 0, 0], 1000.0)  # no overflow; the rare success gets ~(n/c - 1)/beta
    assert np.isfinite(big).all() and big[0] * 1000.0 == pytest.approx(3.0)
    np.testing.assert_allclose(A.risk_seeking(r, -3.0).sum(1), 0, atol=1e-12)


# ----------------------------------------------------------------------------- batching, torch, errors

BATCHED = {  # the estimator functions themselves; the registry's keys are tested in test_registry.py
    "grpo": lambda r: A.grpo(r),
    "rloo": lambda r: A.rloo(r),
    "chen (passk_group_analytic)": lambda r: A.passk_group_analytic(r, 3),
    "chen_full (passk_group_full)": lambda r: A.passk_group_full(r, 4),
    "pkpo_binary": lambda r: A.pkpo_binary(r, 3),
    "pkpo, no baseline": lambda r: A.pkpo(r, 3),
    "pkpo, loo": lambda r: A.pkpo(r, 3, baseline="loo"),
    "pkpo, loo-1": lambda r: A.pkpo(r, 3, baseline="loo-1"),
    "risk_seeking": lambda r: A.risk_seeking(r, 2.0),
    "grpo_passk": lambda r: A.grpo_passk(r),
    "grpo_passk, unscaled": lambda r: A.grpo_passk(r, scale=False),
}


@pytest.mark.parametrize("name", sorted(BATCHED))
def test_batched_rows_equal_single_groups(name):
    rng = np.random.default_rng(10)
    r = (rng.random((16, 8)) < 0.3).astype(float)
    f = BATCHED[name]
    batched = f(r)
    assert batched.shape == r.shape
    for b in range(len(r)):
        np.testing.assert_allclose(batched[b], f(r[b]), atol=1e-14)


@pytest.mark.parametrize("name", sorted(BATCHED))
@needs_torch
def test_torch_in_torch_out(name):
    rng = np.random.default_rng(11)
    r = (rng.random((4, 8)) < 0.5).astype(float)
    t32 = torch.tensor(r, dtype=torch.float32, requires_grad=True)
    out = BATCHED[name](t32)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32 and out.device == t32.device
    assert not out.requires_grad
    np.testing.assert_allclose(out.numpy(), BATCHED[name](r), atol=1e-6)
    out_int = BATCHED[name](torch.tensor(r, dtype=torch.int64))
    assert out_int.dtype == torch.get_default_dtype()


@needs_torch
def test_bootstrap_batched_and_torch():
    r = torch.tensor([[1, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0]])
    out = A.passk_group_bootstrap(r, 2, num_groups=100, rng=1)
    assert isinstance(out, torch.Tensor) and out.shape == r.shape
    assert (out[1] == 0).all()


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: A.passk_group_analytic([1, 0, 0], 4), "k must be <= 3"),
        (lambda: A.passk_group_analytic([1, 0, 0], 0), "k must be >= 1"),
        (lambda: A.passk_group_analytic([1, 0.5, 0], 2), "binary"),
        (lambda: A.pkpo_binary([1, 2, 0], 2), "binary"),
        (lambda: A.grpo([1.0, float("nan")]), "NaN"),
        (lambda: A.pkpo([1.0, float("inf")], 1), "finite"),
        (lambda: A.grpo(np.zeros((2, 2, 2))), "1-D"),
        (lambda: A.grpo([]), "at least"),
        (lambda: A.rloo([1.0]), "at least 2"),
        (lambda: A.passk_group_full([1, 0, 0, 0, 0], 2), "divide"),
        (lambda: A.pkpo([1, 0, 0], 3, baseline="loo"), "k must be <= 2"),
        (lambda: A.pkpo([1, 0, 0], 1, baseline="loo-1"), "k must be >= 2"),
        (lambda: A.pkpo([1, 0, 0], 1, baseline="mean"), "baseline"),
        (lambda: A.risk_seeking([1, 0], float("inf")), "beta"),
        (lambda: A.grpo([1, 0], eps=-1), "eps"),
        (lambda: A.passk_group_bootstrap([1, 0], 1, 0, rng=0), "num_groups"),
        (lambda: A.passk_group_bootstrap([1, 0], 1, 5, rng="x"), "rng"),
        (lambda: A.passk_group_analytic([1, 0], 1.5), "whole number"),
        (lambda: A.loss_weights("ppo", [1, 0]), "unknown method 'ppo'"),
        (lambda: A.grpo_passk([1.0]), "at least 2"),
        (lambda: A.grpo_passk([1, 0], eps=-1), "eps"),
        (lambda: A.grpo_passk([1.0, float("nan")]), "NaN"),
    ],
)
def test_bad_input_raises_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()
