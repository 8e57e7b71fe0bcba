"""The math of ``passk curve`` and ``passk plan``: exact references, bootstrap laws, interval coverage.

References used below:
- the per-problem HumanEval estimator loop, copied from openai/human-eval (human_eval/evaluation.py,
  ``estimate_pass_at_k.estimator``): ``1 - prod(1 - k / arange(n - c + 1, n + 1))``, 1 when ``n - c < k``;
- exact fractions (``math.comb``) for the hypergeometric and binomial probabilities of the planner;
- the population pass@k of a Beta(a, b) prompt mix in closed form,
  ``E_p[1 - (1 - p)^k] = 1 - prod_{j<k} (b + j) / (a + b + j)`` (the Beta function ratio B(a, b + k) / B(a, b));
- Chen et al.'s analytic pass@k advantage (course_lib.advantages.passk_group_analytic), enumerated over groups.
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
    crossover_k,
    default_ks,
    pass_at_k_curve,
    per_problem_pass_at_k,
)
from course_lib.evaluation.groups import (
    group_pmf_estimate,
    grpo_zero_signal_prob,
    passk_zero_advantage_prob,
    zero_advantage_estimate,
    zero_signal_estimate,
)
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
    assert default_ks(1) == [1] and default_ks(64) == [1, 2, 4, 8, 16, 32, 64] and default_ks(63)[-1] == 32
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
    assert coverage.tolist() == [0.948, 0.95, 0.953]  # the seeded run (documents the figures above)


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
    assert crossover_k([0.0, 0.0, 0.1, 0.1, -0.1], ks) == 4  # equal at the first k: the first k they differ
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
