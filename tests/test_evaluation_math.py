"""The math of ``passk curve`` and ``passk plan``: exact references, bootstrap laws, interval coverage.

References used below:
- the per-problem HumanEval estimator loop, copied from openai/human-eval (human_eval/evaluation.py,
  ``estimate_pass_at_k.estimator``): ``1 - prod(1 - k / arange(n - c + 1, n + 1))``, 1 when ``n - c < k``;
- exact fractions (``math.comb``) for the hypergeometric and binomial probabilities of the planner;
- the population pass@k of a Beta(a, b) prompt mix in closed form,
  ``E_p[1 - (1 - p)^k] = 1 - prod_{j<k} (b + j) / (a + b + j)`` (the Beta function ratio B(a, b + k) / B(a, b));
- Chen et al.'s analytic pass@k advantage (course_lib.advantages.passk_group_analytic), enumerated over groups;
- pass^k and the Cover@τ identity against ``math.comb`` fractions; the beta-binomial forecast against the
  population it was drawn from, and on chapter 7's files by subsampling (fit on 10 of 256 samples).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from course_lib import passk
from course_lib.advantages import passk_group_analytic
from course_lib.evaluation.bootstrap import percentile_interval, resampled_means
from course_lib.evaluation.curve import (
    align,
    check_ks,
    compare,
    crossings,
    crossover_k,
    default_ks,
    pass_at_k_curve,
    per_problem_pass_at_k,
    resolved,
)
from course_lib.evaluation.forecast import beta_metric, fit_beta_binomial, forecast, subsample
from course_lib.evaluation.groups import (
    group_pmf_estimate,
    grpo_zero_signal_prob,
    passk_zero_advantage_prob,
    zero_advantage_estimate,
    zero_signal_estimate,
)
from course_lib.evaluation.metrics import cover_plugin, cover_weights, pass_hat_k, per_problem
from course_lib.evaluation.plan import plan_groups


def humaneval_estimator(n: int, c: int, k: int) -> float:
    """openai/human-eval's per-problem loop, verbatim in substance."""
    if n - c < k:
        return 1.0
    return 1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1))


def beta_pass_at_k(a: float, b: float, k: int) -> float:
    """Population pass@k of prompts with p ~ Beta(a, b): 1 - B(a, b + k) / B(a, b)."""
    return 1 - math.prod((b + j) / (a + b + j) for j in range(k))


# ----------------------------------------------------------------------------- estimator
@pytest.mark.parametrize("seed", range(3))
def test_agrees_with_the_humaneval_loop_on_random_data(seed):
    rng = np.random.default_rng(seed)
    m = 300
    n = rng.integers(1, 400, m)
    c = rng.binomial(n, rng.beta(0.5, 1.0, m))
    ks = np.array([1, 2, 3, 5, 10, 50])
    ks = ks[ks <= n.min()] if seed else np.array([1])
    table = per_problem_pass_at_k(n, c, ks)
    loop = np.array([[humaneval_estimator(int(ni), int(ci), int(k)) for k in ks] for ni, ci in zip(n, c, strict=True)])
    assert np.abs(table - loop).max() <= 1e-12
    curve = pass_at_k_curve(n, c, ks, resamples=10)
    assert np.abs(curve.pass_at_k - loop.mean(axis=0)).max() <= 1e-12


def test_agrees_with_the_loop_at_one_large_n():
    rng = np.random.default_rng(7)
    n = np.full(2000, 200)
    c = rng.binomial(200, rng.beta(0.3, 2.0, 2000))
    ks = default_ks(200)
    loop = np.array([[humaneval_estimator(200, int(ci), k) for k in ks] for ci in c])
    assert np.abs(per_problem_pass_at_k(n, c, ks) - loop).max() <= 1e-12


def test_coverage_is_the_course_definition():
    c = np.array([0, 3, 1, 0, 7])
    cur = pass_at_k_curve(np.full(5, 7), c, [1, 7], resamples=50)
    assert cur.coverage == passk.coverage_from_counts(c) == 0.6
    assert cur.pass_at_k[-1] == pytest.approx(0.6, abs=1e-15)  # pass@n is coverage


def test_default_grid_and_k_above_n_is_reported():
    assert default_ks(1) == [1] and default_ks(64) == [1, 2, 4, 5, 8, 10, 16, 32, 50, 64] and default_ks(63)[-1] == 50
    assert default_ks(10) == [1, 2, 4, 5, 8, 10]  # the pass@5 and pass@10 papers publish for n = 10
    assert default_ks(1000)[-3:] == [500, 512, 1000]
    with pytest.raises(ValueError, match=r"k = 64 exceeds n for 2 of 3 problems in f.jsonl \('b' has n = 20\)"):
        check_ks([1, 64], np.array([100, 20, 50]), ids=("a", "b", "c"), where="f.jsonl")
    with pytest.raises(ValueError, match="exceeds n"):
        pass_at_k_curve([10, 3], [1, 1], ks=[4])


# ----------------------------------------------------------------------------- bootstrap
def test_bootstrap_paths_draw_the_exact_resampling_distribution():
    """Two problems, values 0 and 1: a resampled mean is 0, 1/2 or 1 with probabilities 1/4, 1/2, 1/4.

    With 8 copies of each problem (16 problems) the mean of 16 draws is Binomial(16, 1/2) / 16. The
    categories path (2 distinct keys) and the index path (no key) must both draw it.
    """
    small = resampled_means([0.0, 1.0], resamples=40_000, seed=1)  # index path (m // 4 = 0 categories allowed)
    freq = np.array([(small == v).mean() for v in (0.0, 0.5, 1.0)])
    assert np.abs(freq - [0.25, 0.5, 0.25]).max() < 0.01
    values, key = np.repeat([0.0, 1.0], 8), np.repeat([0, 1], 8)
    pmf = passk.binomial_pmf(16, 0.5)
    for k in (key, None):
        draws = resampled_means(values, key=k, resamples=40_000, seed=2)
        freq = np.bincount(np.rint(draws * 16).astype(int), minlength=17) / draws.size
        assert np.abs(freq - pmf).max() < 0.01


def test_bootstrap_category_and_index_paths_agree_in_distribution():
    rng = np.random.default_rng(3)
    c = rng.binomial(10, rng.beta(1, 2, 400))
    est = per_problem_pass_at_k(np.full(400, 10), c, [1, 4])
    by_key = resampled_means(est, key=c, resamples=4000, seed=0)
    by_index = resampled_means(est, resamples=4000, seed=1)
    assert np.allclose(by_key.mean(0), est.mean(0), atol=3e-3) and np.allclose(by_index.mean(0), est.mean(0), atol=3e-3)
    assert np.allclose(by_key.std(0), by_index.std(0), rtol=0.06)
    se = est.std(0) / np.sqrt(400)  # the plug-in standard error the bootstrap estimates
    assert np.allclose(by_key.std(0), se, rtol=0.06)


def test_bootstrap_is_seeded():
    v = np.random.default_rng(0).random((50, 2))
    assert np.array_equal(resampled_means(v, resamples=30, seed=5), resampled_means(v, resamples=30, seed=5))
    assert not np.array_equal(resampled_means(v, resamples=30, seed=5), resampled_means(v, resamples=30, seed=6))


def test_percentile_interval_and_its_checks():
    assert percentile_interval(np.arange(1, 101), 0.9).tolist() == [5.0, 95.0]
    assert percentile_interval([1.0, np.inf, np.inf, np.inf], 0.5).tolist() == [1.0, np.inf]
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        percentile_interval([1.0, 2.0], 95)
    with pytest.raises(ValueError, match="one row per problem"):
        resampled_means(np.zeros((0, 2)))


def test_interval_covers_the_population_value_in_93_to_97_percent():
    """1,000 repetitions: fresh p_i ~ Beta(0.5, 1.5), c_i ~ Binomial(16, p_i), m = 100, 95 % intervals.

    The truth is the population value E_p[1 - (1 - p)^k], not the mean over the drawn problems. Seeded;
    observed coverage 94.8 %, 95.0 %, 95.3 % at k = 1, 4, 16 (about 2 s).
    """
    a, b, m, n, ks = 0.5, 1.5, 100, 16, np.array([1, 4, 16])
    truth = np.array([beta_pass_at_k(a, b, int(k)) for k in ks])
    rng = np.random.default_rng(2024)
    hits, reps = np.zeros(ks.size), 1000
    for r in range(reps):
        c = rng.binomial(n, rng.beta(a, b, m))
        ci = pass_at_k_curve(np.full(m, n), c, ks, level=0.95, resamples=1000, seed=r).ci
        hits += (ci[:, 0] <= truth) & (truth <= ci[:, 1])
    coverage = hits / reps
    assert ((0.93 <= coverage) & (coverage <= 0.97)).all(), coverage
    # the seeded run (documents the figures above) to within 2 of the 1,000 repetitions: an interval's end can sit
    # exactly on the truth (at k = 1 both are multiples of 1/1600 here), so the last bit of a float decides a hit
    np.testing.assert_allclose(coverage, [0.948, 0.95, 0.953], atol=0.0025)


def test_paired_difference_interval_covers_the_population_difference():
    """Model B = model A sampled twice (p_B = 1 - (1 - p_A)^2), so pass@k(B) - pass@k(A) = T(2k) - T(k) exactly.

    400 seeded repetitions, m = 100: observed 94.75 % (k = 1) and 93.5 % (k = 4). Percentile intervals run
    slightly short at small m (the bootstrap spread is sqrt((m - 1)/m) of the true one), hence 92 % as the floor.
    """
    a, b, m, n, ks = 0.5, 1.5, 100, 16, np.array([1, 4])
    truth = np.array([beta_pass_at_k(a, b, 2 * k) - beta_pass_at_k(a, b, k) for k in ks])
    rng = np.random.default_rng(11)
    hits, reps = np.zeros(2), 400
    for r in range(reps):
        p = rng.beta(a, b, m)
        c_a, c_b = rng.binomial(n, p), rng.binomial(n, 1 - (1 - p) ** 2)
        cmp_ = compare(np.full(m, n), c_a, np.full(m, n), c_b, ks, resamples=500, seed=r)
        hits += (cmp_.diff_ci[:, 0] <= truth) & (truth <= cmp_.diff_ci[:, 1])
    assert ((0.92 <= hits / reps) & (hits / reps <= 0.97)).all(), hits / reps


# ----------------------------------------------------------------------------- crossover and pairing
def test_crossover_definition():
    ks = [1, 2, 4, 8, 16]
    assert crossover_k([0.2, 0.1, 0.0, -0.1, -0.2], ks) == 8  # touching at 4 is not crossing
    assert crossover_k([-0.2, -0.1, 0.05, 0.1, 0.1], ks) == 4  # either direction
    assert crossover_k([0.1, 0.05, 0.02, 0.0, 0.0], ks) == 0  # meets at 1.0, never reverses
    assert crossover_k([0.0, 0.0, 0.1, 0.1, -0.1], ks) == 16  # equal at first: their first order is B ahead
    assert crossover_k([1e-13, -1e-13, 0.0, 0.0, 0.0], ks) == 0  # rounding is a tie
    rows = np.array([[0.1, -0.1, 0.2, 0.2, 0.2], [0.1, 0.1, 0.1, 0.1, -0.3]])
    assert crossover_k(rows, ks).tolist() == [2, 16]


def test_compare_on_lab_like_curves_finds_the_crossover_and_its_interval():
    """Model B: most problems sharpened, a few lost; pass@1 higher, pass@k lower from some k on."""
    rng = np.random.default_rng(5)
    m, n = 400, 64
    p_a = rng.beta(0.7, 1.5, m)
    p_b = np.where(rng.random(m) < 0.2, p_a * 0.05, np.minimum(1, 1.6 * p_a))
    c_a, c_b = rng.binomial(n, p_a), rng.binomial(n, p_b)
    ks = default_ks(n)
    cmp_ = compare(np.full(m, n), c_a, np.full(m, n), c_b, ks, resamples=1000, seed=0)
    truth = [np.mean(1 - (1 - p_b) ** k) - np.mean(1 - (1 - p_a) ** k) for k in ks]
    assert cmp_.diff[0] > 0 > cmp_.diff[-1]
    assert cmp_.crossover == crossover_k(cmp_.diff, ks) == crossover_k(truth, ks)
    lo, hi = cmp_.crossover_ci
    assert lo <= cmp_.crossover <= hi and cmp_.crossover_share > 0.9
    assert np.allclose(
        cmp_.diff,
        per_problem_pass_at_k(np.full(m, n), c_b, ks).mean(0) - per_problem_pass_at_k(np.full(m, n), c_a, ks).mean(0),
        atol=1e-15,
    )


def test_no_crossover_gives_null_interval():
    n = np.full(50, 8)
    cmp_ = compare(n, np.full(50, 2), n, np.full(50, 4), [1, 2, 4], resamples=200)
    assert cmp_.crossover is None and cmp_.crossover_ci is None and cmp_.crossover_share == 0.0


def test_align_keeps_shared_problems_in_the_first_order():
    ia, ib = align(["a", "b", "c", "d"], ["d", "x", "b"])
    assert ia.tolist() == [1, 3] and ib.tolist() == [2, 0]
    ia, ib = align(["a"], ["b"])
    assert ia.size == ib.size == 0
    with pytest.raises(ValueError, match="share no problem"):
        compare([], [], [], [], [1])


# ----------------------------------------------------------------------------- planner
def test_group_pmf_estimate_exact_and_unbiased():
    for n, c, G in [(6, 2, 3), (10, 7, 4), (5, 5, 5), (8, 0, 2)]:
        for j in range(G + 1):
            exact = Fraction(math.comb(c, j) * math.comb(n - c, G - j), math.comb(n, G))
            assert group_pmf_estimate(n, c, G, j) == pytest.approx(float(exact), abs=1e-15)
    # unbiased: E over c ~ Binomial(n, p) equals the Binomial(G, p) probability, in exact fractions
    n, G, p = 7, 3, Fraction(2, 5)
    for j in range(G + 1):
        mean = sum(
            Fraction(math.comb(n, c))
            * p**c
            * (1 - p) ** (n - c)
            * Fraction(math.comb(c, j) * math.comb(n - c, G - j), math.comb(n, G))
            for c in range(n + 1)
        )
        assert mean == math.comb(G, j) * p**j * (1 - p) ** (G - j)
    assert group_pmf_estimate(5, 2, 3, 0) == pytest.approx(1 - passk.pass_at_k(5, 2, 3), abs=1e-15)
    with pytest.raises(ValueError, match="G must be <= n"):
        group_pmf_estimate(3, 1, 4, 0)


def test_exact_formulas_against_fractions_and_the_advantage_itself():
    p = 0.3
    for G in (2, 5, 8):
        assert grpo_zero_signal_prob(p, G) == pytest.approx(p**G + (1 - p) ** G, rel=1e-14)
        for k in range(1, G + 1):
            # enumerate every group: zero advantage for the whole group, weighted by its probability
            zero = 0.0
            for c in range(G + 1):
                r = np.array([1] * c + [0] * (G - c), dtype=float)
                if np.all(passk_group_analytic(r, k) == 0):
                    zero += math.comb(G, c) * p**c * (1 - p) ** (G - c)
            assert passk_zero_advantage_prob(p, G, k) == pytest.approx(zero, abs=1e-14), (G, k)
    assert passk_zero_advantage_prob(0.4, 6, 1) == pytest.approx(grpo_zero_signal_prob(0.4, 6), abs=1e-15)
    assert passk_zero_advantage_prob(0.4, 6, 6) == pytest.approx(1.0)
    assert grpo_zero_signal_prob(0.0, 4) == grpo_zero_signal_prob(1.0, 4) == 1.0
    assert passk_zero_advantage_prob(np.array([0.0, 1.0]), 1000, 4).tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="G must be >= k"):
        passk_zero_advantage_prob(0.5, 3, 4)


def test_estimates_are_unbiased_and_plug_in_where_n_is_short():
    n, p, G, k = 10, 0.35, 6, 2
    pmf = passk.binomial_pmf(n, p)
    cs = np.arange(n + 1)
    z, plug = zero_signal_estimate(np.full(n + 1, n), cs, G)
    assert not plug.any() and pmf @ z == pytest.approx(grpo_zero_signal_prob(p, G), abs=1e-13)
    a, _ = zero_advantage_estimate(np.full(n + 1, n), cs, G, k)
    assert pmf @ a == pytest.approx(passk_zero_advantage_prob(p, G, k), abs=1e-13)
    z, plug = zero_signal_estimate([4, 20], [1, 5], 8)
    assert plug.tolist() == [True, False] and z[0] == pytest.approx(grpo_zero_signal_prob(0.25, 8))


def test_plan_exact_and_estimated_agree_and_recommend():
    rng = np.random.default_rng(0)
    p = rng.beta(0.6, 1.4, 3000)
    exact = plan_groups([2, 4, 8, 16], p=p, k=4, batch=64)
    assert exact.exact and exact.rows[0].zero_signal_ci is None
    for r in exact.rows:
        assert r.zero_signal == pytest.approx(np.mean(p**r.G + (1 - p) ** r.G), abs=1e-12)
        assert r.informative_per_batch == pytest.approx(64 * (1 - r.zero_signal))
    assert exact.rows[0].zero_advantage is None and exact.rows[1].zero_advantage == pytest.approx(1.0)
    G = exact.recommended
    share = lambda g: 1 - np.mean(p**g + (1 - p) ** g)  # noqa: E731
    assert share(G) >= 0.75 > share(G - 1)
    # estimated from n = 32 samples per problem: close to the exact values, intervals cover them
    c = rng.binomial(32, p)
    est = plan_groups([2, 4, 8, 16], n=np.full(3000, 32), c=c, k=4, batch=64)
    assert not est.exact
    for e, x in zip(est.rows, exact.rows, strict=True):
        lo, hi = e.zero_signal_ci
        assert lo <= x.zero_signal <= hi and e.plug_in == 0
    assert abs(est.recommended - G) <= 1


def test_plan_ceiling_and_unreachable_target():
    n = np.full(4, 10)
    plan = plan_groups([2, 64], n=n, c=np.array([0, 10, 3, 5]), target=0.75)
    assert plan.never_solved == plan.always_solved == 0.25 and plan.ceiling == 0.5
    assert plan.recommended is None  # half the problems never give signal
    assert plan.rows[1].plug_in == 4  # G = 64 > n = 10: plug-in for every problem
    with pytest.raises(ValueError, match="either per-problem counts"):
        plan_groups([4])
    with pytest.raises(ValueError, match="group size must be >= 2"):
        plan_groups([1], p=[0.5])


# ----------------------------------------------------------------------------- crossings (issue 23, item 1)
def test_crossings_lists_every_sign_change_and_zeros_keep_the_sign():
    ks = list(range(1, 11))
    diff = [-0.01, 0.02, 0.03, 0.02, 0.01, 0.005, -0.01, -0.02, -0.03, -0.04]  # CodeLlama T = 0.6 vs 0.8
    assert crossings(diff, ks) == [2, 7] and crossover_k(diff, ks) == 2
    assert crossings([0.0, 0.1, 0.0, 0.1], [1, 2, 4, 8]) == []  # touching at 1.0 and parting the same way
    assert crossings([0.0, 0.0, 0.1, -0.1], [1, 2, 4, 8]) == [8]  # a tie at the start takes the first sign
    assert crossings([0.1, 0.0, -0.1, 0.0, 0.2], [1, 2, 4, 8, 16]) == [4, 16]
    rows = np.array([diff, np.sign(diff) * -1])
    assert crossover_k(rows, ks).tolist() == [2, 2]


def test_resolved_needs_an_interval_off_zero_on_each_side():
    ks, d = [1, 2, 4, 8], [0.1, 0.05, -0.02, -0.1]
    wide = [[-0.1, 0.3]] * 4
    assert not resolved(4, ks, d, wide)
    left = [[0.05, 0.15], [-0.01, 0.1], [-0.05, 0.01], [-0.2, 0.02]]  # only the old side is resolved
    assert not resolved(4, ks, d, left)
    both = [*left[:3], [-0.2, -0.01]]
    assert resolved(4, ks, d, both)
    # the new side must be the crossing's own sign: an interval above 0 after a fall to negative does not count
    assert not resolved(4, ks, d, [[0.05, 0.15], [0.0, 0.1], [0.01, 0.05], [0.01, 0.2]])


# ----------------------------------------------------------------------------- pass^k and Cover@τ (items 2, 3)
def test_pass_hat_k_is_the_exact_fraction_and_unbiased():
    """C(c, k)/C(n, k) against math.comb fractions for every (n, c, k), n <= 12; its binomial mean is p^k exactly."""
    for n in range(1, 13):
        for k in range(1, n + 1):
            c = np.arange(n + 1)
            got = pass_hat_k(n, c, k)
            want = [Fraction(math.comb(int(x), k), math.comb(n, k)) for x in c]
            assert np.allclose(got, [float(w) for w in want], rtol=0, atol=1e-14), (n, k)
            for p in (Fraction(1, 3), Fraction(7, 10)):  # E_c[C(c,k)/C(n,k)] = p^k, summed exactly
                mean = sum(math.comb(n, x) * p**x * (1 - p) ** (n - x) * w for x, w in enumerate(want))
                assert mean == p**k
    assert pass_hat_k(10, 7, 3) == pytest.approx(35 / 120, abs=1e-15) and pass_hat_k(10, 2, 3) == 0.0
    assert np.allclose(per_problem("pass^k", [10, 4], [7, 4], [1, 3]), [[0.7, 35 / 120], [1.0, 1.0]], atol=1e-15)
    with pytest.raises(ValueError, match="c must be <= n"):
        pass_hat_k(3, 4, 1)
    with pytest.raises(ValueError, match="metric must be one of"):
        per_problem("pass@any", [3], [1], [1])


def test_pass_hat_k_curve_interval_covers_the_population_value():
    """p ~ Beta(2, 1), so E[p^k] = B(2 + k, 1)/B(2, 1) = 2/(k + 2); 200 seeded repetitions, m = 100, n = 8."""
    ks, truth, hits = np.array([1, 4]), np.array([2 / 3, 1 / 3]), np.zeros(2)
    rng = np.random.default_rng(7)
    for r in range(200):
        c = rng.binomial(8, rng.beta(2.0, 1.0, 100))
        ci = pass_at_k_curve(np.full(100, 8), c, ks, metric="pass^k", resamples=500, seed=r).ci
        hits += (ci[:, 0] <= truth) & (truth <= ci[:, 1])
    assert ((hits / 200 >= 0.9) & (hits / 200 <= 0.99)).all(), hits / 200


def test_pass_at_k_is_the_cover_average_exactly():
    """Unbiased pass@k = sum_j C(n-j, k-1)/C(n, k) * plug-in Cover@(j/n), in exact fractions (hockey stick)."""
    rng = np.random.default_rng(0)
    for n in (1, 5, 10, 16):
        c = rng.integers(0, n + 1, 40)
        for k in range(1, n + 1):
            weights = [Fraction(math.comb(n - j, k - 1), math.comb(n, k)) for j in range(1, n + 1)]
            cover = [Fraction(int((c >= j).sum()), c.size) for j in range(1, n + 1)]  # plug-in Cover@(j/n)
            exact = sum(1 - Fraction(math.comb(n - int(x), k), math.comb(n, k)) for x in c) / c.size
            assert sum(w * v for w, v in zip(weights, cover, strict=True)) == exact
            assert sum(weights) == 1
            lib = cover_weights(n, k) @ cover_plugin(np.full(c.size, n), c, np.arange(1, n + 1) / n).mean(0)
            assert lib == pytest.approx(float(exact), abs=1e-14)


def test_cover_plugin_by_hand_and_its_curve():
    c, n = np.array([0, 3, 5, 10, 7]), np.full(5, 10)
    assert cover_plugin(n, c, [0.3, 0.5, 1.0]).mean(0).tolist() == [0.8, 0.6, 0.2]
    cur = pass_at_k_curve(n, c, [1], taus=[0.3, 0.5, 1.0], resamples=300)
    assert cur.cover.tolist() == [0.8, 0.6, 0.2] and cur.cover_ci.shape == (3, 2)
    assert ((cur.cover_ci[:, 0] <= cur.cover) & (cur.cover <= cur.cover_ci[:, 1])).all()
    with pytest.raises(ValueError, match=r"every τ must lie in \(0, 1\]"):
        cover_plugin(n, c, [0.0])


# ----------------------------------------------------------------------------- the forecast (item 4)
def test_beta_metric_against_exact_fractions():
    """Beta(2, 3): pass@4 = 1 - (3*4*5*6)/(5*6*7*8) = 11/14 and pass^4 = (2*3*4*5)/(5*6*7*8) = 1/14."""
    assert beta_metric("pass@k", 2.0, 3.0, 4) == pytest.approx(11 / 14, abs=1e-13)
    assert beta_metric("pass^k", 2.0, 3.0, 4) == pytest.approx(1 / 14, abs=1e-13)
    for a, b in ((0.3, 1.7), (5.0, 0.5)):  # the tests' own product formula, over k = 1..50
        got = beta_metric("pass@k", a, b, np.arange(1, 51))
        assert np.allclose(got, [beta_pass_at_k(a, b, k) for k in range(1, 51)], rtol=0, atol=1e-12)
    assert 0 < float(beta_metric("pass@k", 1e-6, 1.0, 10**6)) < 2e-5  # a -> 0: almost never solved, even at 10^6


def test_fit_recovers_the_population_and_handles_the_edges():
    rng = np.random.default_rng(0)
    for a, b, n in ((0.4, 1.6, 10), (3.0, 2.0, 5)):
        p = rng.beta(a, b, 20_000)
        fit = fit_beta_binomial(np.full(p.size, n), rng.binomial(n, p))
        assert fit.converged and abs(fit.a / a - 1) < 0.08 and abs(fit.b / b - 1) < 0.08, (fit, a, b)
    mixed_n = rng.integers(2, 40, 5000)  # n differs per problem: the likelihood uses each problem's own n
    fit = fit_beta_binomial(mixed_n, rng.binomial(mixed_n, rng.beta(0.5, 0.5, 5000)))
    assert abs(fit.a - 0.5) < 0.06 and abs(fit.b - 0.5) < 0.06
    never = fit_beta_binomial(np.full(20, 10), np.zeros(20, int))  # nothing ever solved: forecast 0, not an error
    assert never.a < 1e-5 and float(beta_metric("pass@k", never.a, never.b, 1000)) < 1e-3
    with pytest.raises(ValueError, match="at least 2 samples per problem"):
        fit_beta_binomial(np.ones(10, int), np.zeros(10, int))


def test_forecast_interval_covers_the_population_beyond_n():
    """p ~ Beta(0.3, 1.2), m = 300 problems, n = 10, forecast pass@100 and pass@1000: 40 seeded repetitions."""
    a, b, truth = 0.3, 1.2, beta_metric("pass@k", 0.3, 1.2, np.array([100, 1000]))
    rng, hits = np.random.default_rng(3), np.zeros(2)
    for r in range(40):
        c = rng.binomial(10, rng.beta(a, b, 300))
        fc = forecast(np.full(300, 10), c, [100, 1000], resamples=300, seed=r)
        hits += (fc.ci[:, 0] <= truth) & (truth <= fc.ci[:, 1])
        assert (fc.ci[:, 0] <= fc.value).all() and (fc.value <= fc.ci[:, 1]).all()
    assert (hits / 40 >= 0.85).all(), hits / 40


def test_subsample_is_hypergeometric():
    c = subsample(np.full(20_000, 20), np.full(20_000, 5), 8, seed=1)
    assert c.min() >= 0 and c.max() <= 5 and abs(c.mean() - 8 * 5 / 20) < 0.02  # mean m c / n
    assert abs(c.var() - 8 * (5 / 20) * (15 / 20) * (12 / 19)) < 0.03  # finite-population variance
    with pytest.raises(ValueError, match="n >= m = 30"):
        subsample([20], [5], 30)


def _chapter7_counts(n=256):
    """Chapter 7's two files (notebook 07, cells 4-6): the lab's base model and 150 GRPO steps, c ~ Bin(256, p)."""
    torch = pytest.importorskip("torch")
    import copy

    from course_lib.lab import LabConfig, make_state, train
    from course_lib.lab.metrics import answer_distribution

    cfg = LabConfig(objective="grpo", steps=150, seed=0)
    torch.set_num_threads(cfg.threads)
    state = make_state(cfg)
    base_model = copy.deepcopy(state.model)
    state = train(state, progress=False)

    def rates(model):
        probs, correct = answer_distribution(model, cfg.task, cfg.task.targets)
        return (probs * correct).sum(1).clamp(0, 1).numpy()

    p_base, p_rl = rates(base_model), rates(state.model)
    rng = np.random.default_rng(0)
    return {"base": rng.binomial(n, p_base), "GRPO": rng.binomial(n, p_rl)}


def test_forecast_from_ten_samples_on_chapter_7_files():
    """Fit on m = 10 of the 256 samples per problem, forecast pass@100 and pass@256, compare with the measured ones.

    Observed on this machine (seeded): errors of +0.02 to +0.05 (the Beta shape misses the few hardest
    prompts; more samples do not shrink that part, see the note of issue 23); the bound below is the claim.
    """
    for name, c in _chapter7_counts().items():
        n = np.full(c.size, 256)
        measured = per_problem_pass_at_k(n, c, [100, 256]).mean(0)
        errors = []
        for seed in range(5):
            fc = forecast(np.full(c.size, 10), subsample(n, c, 10, seed=seed), [100, 256], resamples=300, seed=seed)
            errors.append(fc.value - measured)
        errors = np.array(errors)
        assert np.abs(errors).max() < 0.08, (name, errors)
        assert np.abs(errors.mean(0)).max() < 0.06, (name, errors.mean(0))
