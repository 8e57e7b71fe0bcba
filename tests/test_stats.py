"""Executable spec of course_lib.stats: paired comparisons, Student's t, Holm, the sign test, power.

References are hand-computed closed forms (noted at each case), mpmath's incomplete beta and
quadrature (independent implementations), and Monte Carlo simulations of the test itself.
"""

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import stats as S
from course_lib.evaluation.bootstrap import percentile_interval, resampled_means


# ----------------------------------------------------------------------------- Student's t
@pytest.mark.parametrize("t", [-30.0, -2.5, -1.0, -0.1, 0.0, 0.3, 1.0, 2.0, 7.5, 100.0])
def test_t_cdf_closed_forms_for_1_2_3_degrees_of_freedom(t):
    # df = 1 (Cauchy): 1/2 + atan(t)/pi; df = 2: 1/2 + t / (2 sqrt(2 + t^2));
    # df = 3: 1/2 + (1/pi) [ (t/sqrt3) / (1 + t^2/3) + atan(t/sqrt3) ]
    s3 = math.sqrt(3)
    assert S.t_cdf(t, 1) == pytest.approx(0.5 + math.atan(t) / math.pi, abs=1e-13)
    assert S.t_cdf(t, 2) == pytest.approx(0.5 + t / (2 * math.sqrt(2 + t * t)), abs=1e-13)
    exact3 = 0.5 + ((t / s3) / (1 + t * t / 3) + math.atan(t / s3)) / math.pi
    assert S.t_cdf(t, 3) == pytest.approx(exact3, abs=1e-13)


@pytest.mark.parametrize("df", [0.5, 4, 7.5, 19, 99, 1000])
@pytest.mark.parametrize("t", [-4.0, -1.3, 0.2, 2.093, 6.0])
def test_t_cdf_against_mpmath_incomplete_beta(df, t):
    x = mp.mpf(df) / (df + mp.mpf(t) ** 2)
    tail = mp.betainc(mp.mpf(df) / 2, mp.mpf(1) / 2, 0, x, regularized=True) / 2
    ref = 1 - tail if t >= 0 else tail
    assert S.t_cdf(t, df) == pytest.approx(float(ref), rel=1e-12, abs=1e-15)


def test_t_ppf_table_values_and_round_trip():
    # printed tables: t_{0.975, 19} = 2.093024, t_{0.975, 3} = 3.182446, t_{0.995, 9} = 3.249836
    assert S.t_ppf(0.975, 19) == pytest.approx(2.0930240544, abs=1e-9)
    assert S.t_ppf(0.975, 3) == pytest.approx(3.1824463053, abs=1e-9)
    assert S.t_ppf(0.995, 9) == pytest.approx(3.2498355416, abs=1e-9)
    assert S.t_ppf(0.5, 5) == pytest.approx(0.0, abs=1e-12)
    for q in (1e-6, 0.01, 0.3, 0.9, 0.999999):
        for df in (1, 2, 19, 250):
            assert S.t_cdf(S.t_ppf(q, df), df) == pytest.approx(q, rel=1e-9)
    assert S.t_ppf(0.025, 19) == -S.t_ppf(0.975, 19)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5])
def test_t_ppf_refuses_a_bad_quantile(bad):
    with pytest.raises(ValueError, match="q must lie strictly between 0 and 1"):
        S.t_ppf(bad, 5)


def test_t_cdf_refuses_bad_degrees_of_freedom():
    with pytest.raises(ValueError, match="df must be a finite number > 0"):
        S.t_cdf(1.0, 0)


# ----------------------------------------------------------------------------- one paired comparison
def test_compare_paired_hand_computed_case():
    # d = 1, 2, 3, 4: mean 2.5, s^2 = 5/3, se = sqrt(5/12), t = 2.5 / se = sqrt(15) = 3.872983...
    # p = 2 (1 - F_3(sqrt 15)) with F_3 the closed form above: t/sqrt3 = sqrt5, 1 + t^2/3 = 6
    c = S.compare_paired([3, 4, 5, 6], [2, 2, 2, 2])
    assert (c.n, c.mean, c.above, c.below) == (4, 2.5, 4, 0)
    assert c.sd == pytest.approx(math.sqrt(5 / 3), rel=1e-14)
    assert c.se == pytest.approx(math.sqrt(5 / 12), rel=1e-14)
    F3 = 0.5 + (math.sqrt(5) / 6 + math.atan(math.sqrt(5))) / math.pi
    assert c.p == pytest.approx(2 * (1 - F3), rel=1e-10)
    half = 3.1824463052842638 * math.sqrt(5 / 12)  # t_{0.975, 3} se
    assert c.t_interval == pytest.approx((2.5 - half, 2.5 + half), rel=1e-10)
    assert c.sign_p == 0.125  # 4 of 4: 2 / 16


def test_compare_paired_bootstrap_is_the_evaluation_bootstrap_of_the_differences():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=20), rng.normal(size=20)
    c = S.compare_paired(a, b, level=0.9, resamples=5000, seed=7)
    ref = percentile_interval(resampled_means(a - b, resamples=5000, seed=7), 0.9)
    assert c.boot_interval == (ref[0], ref[1])
    assert c.boot_interval[0] < c.mean < c.boot_interval[1]


def test_constant_differences():
    c = S.compare_paired([1.5, 2.5, 3.5], [1.0, 2.0, 3.0])
    assert c.sd == 0 and c.p == 0.0 and c.t_interval == (0.5, 0.5) and c.boot_interval == (0.5, 0.5)
    same = S.compare_paired([1.0, 2.0], [1.0, 2.0])
    assert same.p == 1.0 and same.above == same.below == 0 and same.sign_p == 1.0


@pytest.mark.parametrize(
    "a, b, match",
    [
        ([1.0], [2.0], "at least 2 seeds"),
        ([1.0, 2.0], [1.0], "one value per seed"),
        ([1.0, float("nan")], [1.0, 2.0], "must be finite"),
    ],
)
def test_compare_paired_bad_input_is_one_clear_error(a, b, match):
    with pytest.raises(ValueError, match=match):
        S.compare_paired(a, b)


def test_paired_t_p_value_is_calibrated_under_the_null():
    """Under no difference the two-sided test rejects about alpha of the time (Monte Carlo, 4000 runs)."""
    rng = np.random.default_rng(0)
    p = np.array([S.compare_paired(rng.normal(size=10), rng.normal(size=10), resamples=1).p for _ in range(4000)])
    assert abs((p < 0.05).mean() - 0.05) < 0.012  # 3.5 binomial sd
    assert abs((p < 0.2).mean() - 0.2) < 0.022


# ----------------------------------------------------------------------------- the sign test
@pytest.mark.parametrize(
    "above, below, p",
    [
        (4, 1, 2 * (1 + 5) / 32),  # the example: 4 of 5 seeds
        (5, 0, 2 / 32),
        (1, 4, 2 * (1 + 5) / 32),
        (3, 3, 1.0),
        (0, 0, 1.0),
        (20, 0, 2 / 2**20),
        (15, 5, 2 * sum(math.comb(20, j) for j in range(6)) / 2**20),
    ],
)
def test_sign_test_hand_computed(above, below, p):
    assert S.sign_test(above, below) == pytest.approx(p, rel=1e-15)


# ----------------------------------------------------------------------------- Holm
def test_holm_hand_computed():
    # sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> max(0.06, 0.04)
    adj, rej = S.holm([0.01, 0.04, 0.03, 0.005])
    assert adj == pytest.approx([0.03, 0.06, 0.06, 0.02], abs=1e-15)
    assert rej.tolist() == [True, False, False, True]
    adj, rej = S.holm([0.3, 0.9], alpha=0.5)  # 0.3 x 2 = 0.6 > 0.5: nothing rejected
    assert adj.tolist() == pytest.approx([0.6, 0.9]) and not rej.any()
    assert S.holm([0.02])[0].tolist() == [0.02]  # a family of one: no correction


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=12), st.sampled_from([0.01, 0.05, 0.1]))
def test_holm_matches_the_sequential_procedure(p, alpha):
    """Reject the smallest p while p_(j) <= alpha / (m - j + 1); stop at the first that is not."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    expected = [False] * m
    for j, i in enumerate(order):
        if p[i] * (m - j) > alpha:
            break
        expected[i] = True
    adj, rej = S.holm(p, alpha)
    assert rej.tolist() == expected
    assert (adj >= np.asarray(p) - 1e-15).all() and (adj <= 1).all()


def test_holm_refuses_bad_p_values():
    with pytest.raises(ValueError, match="p-values in"):
        S.holm([0.1, 1.2])


# ----------------------------------------------------------------------------- power
def _power_mpmath(delta, sd, n, alpha):
    """The same expectation by mpmath quadrature over V ~ chi2(nu) (an independent integration)."""
    nu, lam = n - 1, mp.mpf(delta) * mp.sqrt(n) / sd
    c = mp.mpf(S.t_ppf(1 - alpha / 2, nu))
    h = mp.mpf(nu) / 2

    def f(v):
        u = mp.sqrt(v / nu)
        return (mp.ncdf(lam - c * u) + mp.ncdf(-lam - c * u)) * v ** (h - 1) * mp.e ** (-v / 2) / (2**h * mp.gamma(h))

    return float(mp.quad(f, [0, 1, 5, 20, 80, mp.inf]))


@pytest.mark.parametrize(
    "delta, sd, n, alpha",
    [(1.0, 1.0, 2, 0.05), (1.0, 1.0, 3, 0.05), (0.5, 1.0, 20, 0.05), (0.3, 0.2, 20, 0.05 / 90), (0.05, 0.1, 60, 0.01)],
)
def test_power_against_mpmath_quadrature(delta, sd, n, alpha):
    assert S.power(delta, sd, n, alpha) == pytest.approx(_power_mpmath(delta, sd, n, alpha), abs=1e-7)


def test_power_textbook_and_limits():
    assert S.power(0.5, 1.0, 20, 0.05) == pytest.approx(0.5645, abs=5e-5)  # one-sample t, d = 0.5, n = 20
    for n in (2, 3, 20, 500):
        assert S.power(0.0, 1.0, n, 0.05) == pytest.approx(0.05, abs=1e-7)  # no effect: size alpha
    # large n: the normal approximation Phi(lam - z) + Phi(-lam - z)
    z, lam = 1.959963984540054, 0.1 * math.sqrt(2000)
    normal = 0.5 * math.erfc(-(lam - z) / math.sqrt(2)) + 0.5 * math.erfc((lam + z) / math.sqrt(2))
    assert S.power(0.1, 1.0, 2000, 0.05) == pytest.approx(normal, abs=1e-3)
    assert S.power(-0.5, 1.0, 20) == S.power(0.5, 1.0, 20)  # two-sided: symmetric in delta


def test_power_matches_a_simulation_of_the_test():
    rng = np.random.default_rng(1)
    n, delta, alpha = 8, 0.8, 0.05
    d = rng.normal(delta, 1.0, size=(200_000, n))
    t = d.mean(1) / (d.std(1, ddof=1) / math.sqrt(n))
    rate = (np.abs(t) > S.t_ppf(1 - alpha / 2, n - 1)).mean()
    assert rate == pytest.approx(S.power(delta, 1.0, n, alpha), abs=0.004)  # 3.5 binomial sd


def test_detectable_effect_and_seeds_needed_invert_power():
    d = S.detectable_effect(0.2, 20, 0.05 / 90)
    assert S.power(d, 0.2, 20, 0.05 / 90) == pytest.approx(0.8, abs=1e-9)
    assert S.detectable_effect(0.4, 20, 0.05 / 90) == pytest.approx(2 * d, rel=1e-9)  # scales with sd
    n = S.seeds_needed(0.5, 1.0, 0.05)
    assert n == 34  # G*Power's one-sample t for d = 0.5, alpha 0.05, power 0.8
    assert S.power(0.5, 1.0, n) >= 0.8 > S.power(0.5, 1.0, n - 1)
    with pytest.raises(ValueError, match="non-zero"):
        S.seeds_needed(0.0, 1.0)


@pytest.mark.parametrize(
    "kw, match", [({"sd": 0.0}, "sd must be"), ({"n": 1}, "n must be >= 2"), ({"alpha": 1.5}, "confidence level")]
)
def test_power_bad_input(kw, match):
    args = {"delta": 0.1, "sd": 1.0, "n": 10, "alpha": 0.05} | kw
    with pytest.raises(ValueError, match=match):
        S.power(**args)
