"""Executable specification of course_lib.bandit (the exact exploration-collapse simulator).

References: central finite differences of the exact objective (float64, h = 1e-6);
enumeration of all M**n joint samples of a small bandit for exact expectations of the
sampled estimators; seeded Monte Carlo for the sampler itself.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from course_lib import advantages as A
from course_lib import bandit as B
from course_lib import passk as pk
from course_lib.advantages import grpo, passk_group_analytic, passk_group_bootstrap, pkpo, risk_seeking
from course_lib.passk import alpha_k
from course_lib.softmax import softmax, softmax_entropy


def _logits(seed, shape=(4, 6), scale=2.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


def _correct(shape=(4, 6)):
    c = np.zeros(shape, dtype=bool)
    c[:, :2] = True
    c[1, 2] = True
    return c


# ----------------------------------------------------------------------------- exact gradients


@pytest.mark.parametrize(
    "objective,k,tau",
    [("pass@1", 1, 0.0), ("pass@k", 2, 0.0), ("pass@k", 8, 0.0), ("pass@1", 1, 0.3), ("pass@k", 4, 0.1)],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_gradient_matches_finite_differences(objective, k, tau, seed):
    theta, correct, h = _logits(seed), _correct(), 1e-6
    g = B.exact_gradient(theta, correct, objective, k, tau)
    fd = np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        up, dn = theta.copy(), theta.copy()
        up[idx] += h
        dn[idx] -= h
        row = idx[0]
        fd[idx] = (
            B.exact_objective(up, correct, objective, k, tau)[row]
            - B.exact_objective(dn, correct, objective, k, tau)[row]
        ) / (2 * h)
    np.testing.assert_allclose(g, fd, atol=1e-8)


def test_exact_gradient_keeps_precision_near_saturation():
    theta = np.array([[30.0, 0.0, 0.0]])  # J_1 = 1 - 2e-13
    g = B.exact_gradient(theta, np.array([[True, False, False]]))
    q = 2 * math.exp(-30) / (1 + 2 * math.exp(-30))
    assert g[0, 0] == pytest.approx((1 - q) * q, rel=1e-12)  # not rounded to 0 by 1 - J_1


# ----------------------------------------------------------------------------- expected estimates


def test_expected_weight_known_cases():
    p = np.linspace(0, 1, 11)
    np.testing.assert_allclose(B.expected_weight("rloo", p, 8), 1.0, atol=1e-13)
    for k in range(1, 9):  # PKPO is unbiased for grad J_k = alpha_k grad J_1 (Yu, Thm 3.1)
        np.testing.assert_allclose(B.expected_weight("pkpo", p, 8, k=k), alpha_k(p, k), atol=1e-12)
    np.testing.assert_allclose(B.expected_weight("chen", p, 8, k=1), B.expected_weight("grpo", p, 8), atol=1e-12)


@pytest.mark.parametrize("objective", sorted(B.SAMPLED_OBJECTIVES))
def test_expected_weight_equals_enumeration_of_all_samples(objective):
    """E over all M**n joint rollouts of the estimate equals lambda(p) * grad J_1, per prompt.

    Every registered method is tried; one whose weights depend on more than the sample's reward
    and c (disjoint blocks, random subsets) must be refused by expected_weight with a clear error.
    """
    theta = np.array([[0.3, -0.2, 0.5], [1.5, 0.0, -1.0]])
    correct = np.array([[True, False, False], [False, True, True]])
    n, k, beta = 4, 2, 1.5
    if not B.depends_only_on_c(objective, n, k, beta):
        with pytest.raises(ValueError, match="depend only on a sample's reward and on c"):
            B.expected_weight(objective, 0.5, n, k=k, beta=beta)
        return
    pi = softmax(theta)
    for row in range(2):
        tuples = np.array(list(itertools.product(range(3), repeat=n)))  # (81, n)
        prob = np.prod(pi[row][tuples], axis=1)
        r = correct[row][tuples].astype(float)
        w = B.group_weights(objective, r, k, beta)  # sum form
        est = np.einsum("tn,tnm->tm", w, np.eye(3)[tuples]) - w.sum(1, keepdims=True) * pi[row]
        p = pi[row][correct[row]].sum()
        lam = B.expected_weight(objective, p, n, k=k, beta=beta)
        np.testing.assert_allclose(prob @ est, lam * B.exact_gradient(theta, correct)[row], atol=1e-13)


def test_depends_only_on_c_tells_the_exchangeable_methods():
    assert all(B.depends_only_on_c(m, 8, 4) for m in ("grpo", "rloo", "risk_seeking", "chen", "pkpo", "pkpo_binary"))
    assert not B.depends_only_on_c("chen_full", 8, 4)  # two disjoint blocks of 4
    assert B.depends_only_on_c("chen_full", 8, 8)  # one block: every weight is 0
    assert not B.depends_only_on_c("chen_bootstrap", 8, 4)  # random subsets


def test_group_weights_are_the_registry_weights_with_the_bandit_parameters():
    """beta and rng reach only the methods that take them; the weights are in sum form."""
    r = (np.random.default_rng(5).random((6, 8)) < 0.4).astype(float)
    np.testing.assert_allclose(B.group_weights("risk_seeking", r, beta=0.5), risk_seeking(r, 0.5) / 8, atol=1e-15)
    np.testing.assert_array_equal(B.group_weights("grpo", r, beta=0.5), B.group_weights("grpo", r))  # no beta
    gen = np.random.default_rng(9)
    np.testing.assert_allclose(
        B.group_weights("chen_bootstrap", r, 3, rng=gen),
        passk_group_bootstrap(r, 3, 64, np.random.default_rng(9)) / 8,
        atol=1e-15,
    )
    np.testing.assert_array_equal(B.group_weights("pkpo", r, 1), pkpo(r, 1, baseline="loo"))
    np.testing.assert_array_equal(B.group_weights("pkpo", r, 3), pkpo(r, 3, baseline="loo-1"))
    with pytest.raises(ValueError, match="unknown method"):
        B.group_weights("sgd", r)


def test_sampled_gradient_is_the_sum_form_estimate():
    """g = sum_i w_i (e_{y_i} - pi): rebuilt from the rollouts the sampler draws (same seed)."""
    bandit = B.make_bandit(B.BanditConfig(num_prompts=3, num_answers=5, num_correct=2, num_hard=0, seed=2))
    n, pi = 6, softmax(bandit.logits)
    for objective in ("grpo", "chen", "pkpo"):
        g, zero, fail = B.sampled_gradient(bandit.logits, bandit.correct, objective, n, np.random.default_rng(4), k=3)
        cdf = np.cumsum(pi, axis=-1)  # the sampler's draws: inverse CDF of pi with the same uniforms
        u = np.random.default_rng(4).random((3, n)) * cdf[:, -1:]
        y = np.minimum((u[..., None] >= cdf[:, None, :]).sum(-1), 4)  # (P, n) answers
        r = np.take_along_axis(bandit.correct, y, axis=-1).astype(float)
        adv = {"grpo": grpo(r) / n, "chen": passk_group_analytic(r, 3) / n, "pkpo": pkpo(r, 3, baseline="loo-1")}
        w = adv[objective]
        expected = np.stack([sum(w[x, i] * (np.eye(5)[y[x, i]] - pi[x]) for i in range(n)) for x in range(3)])
        np.testing.assert_allclose(g, expected, atol=1e-15, err_msg=objective)
        np.testing.assert_array_equal(fail, r.sum(-1) == 0)
        np.testing.assert_array_equal(zero, np.all(g == 0, axis=-1))


@pytest.mark.parametrize("objective", ["rloo", "pkpo", "grpo", "chen"])
def test_sampled_gradient_mean_within_statistical_bounds(objective):
    bandit = B.make_bandit(B.BanditConfig(num_prompts=3, num_answers=5, num_correct=2, num_hard=0, seed=3))
    n, k, draws = 8, 4, 4000
    rng = np.random.default_rng(12)
    samples = np.stack(
        [B.sampled_gradient(bandit.logits, bandit.correct, objective, n, rng, k=k)[0] for _ in range(draws)]
    )  # (draws, P, M)
    mean, se = samples.mean(0), samples.std(0) / math.sqrt(draws)
    p = softmax(bandit.logits)[bandit.correct].reshape(3, 2).sum(1)
    exact = B.expected_weight(objective, p, n, k=k)[:, None] * B.exact_gradient(bandit.logits, bandit.correct)
    assert (np.abs(mean - exact) <= 4.5 * se + 1e-12).all(), (objective, mean - exact, se)


# ----------------------------------------------------------------------------- training dynamics


@pytest.fixture(scope="module")
def bandit():
    return B.make_bandit()


def test_pass1_training_collapses_exploration(bandit):
    """Regression: exact pass@1 on the default bandit drives Delta(8) from > 0.4 to < 0.02."""
    h = B.train(bandit, objective="pass@1", steps=400, lr=1.0)
    assert h.delta[0] > 0.4 and h.delta[-1] < 0.02, (h.delta[0], h.delta[-1])
    assert h.modes[-1] < h.modes[0] and h.dominant_share[-1] > 0.9
    assert h.entropy[-1] < 0.5 * h.entropy[0]


def test_grpo_training_collapses_exploration(bandit):
    h = B.train(bandit, objective="grpo", steps=400, lr=1.0, seed=0)
    assert h.delta[-1] < 0.02 and h.modes[-1] <= 1.0


def test_entropy_bonus_keeps_the_gap_open(bandit):
    plain = B.train(bandit, objective="pass@k", steps=400)
    bonus = B.train(bandit, objective="pass@k", steps=400, entropy_coef=0.05)
    assert bonus.delta[-1] > 0.2 and bonus.delta[-1] > plain.delta[-1]
    assert bonus.entropy[-1] > plain.entropy[-1]


def test_passk_follows_the_pass1_path_more_slowly(bandit):
    """Per prompt grad J_k = alpha_k grad J_1: same path in policy space, different speed."""
    one = B.train(bandit, objective="pass@1", steps=400, lr=0.05)
    kk = B.train(bandit, objective="pass@k", steps=400, lr=0.05, k=4)
    easy = ~bandit.hard
    # pass@k moves an easy prompt's J_1 less far in the same number of steps ...
    assert (kk.p[-1, easy] < one.p[-1, easy]).all()
    # ... but along the same curve: at equal J_1 the two policies agree
    for x in np.flatnonzero(easy):
        pi_one = B.policy_at_pass1(one, x, kk.p[-1, x])
        np.testing.assert_allclose(kk.pi[-1, x], pi_one, atol=5e-4, err_msg=f"prompt {x}")
    assert np.abs(kk.pi[-1] - one.pi[-1]).max() > 0.05  # while at equal *step* they differ


def test_low_pass1_regime_sampled_signal_is_exactly_zero(bandit):
    h = B.train(bandit, objective="grpo", steps=200, seed=0)
    hard = np.flatnonzero(bandit.hard)
    first = np.argmax(~h.prompt_zero[:-1, hard], axis=0)  # first step with a non-zero estimate
    assert (first >= 20).all(), first
    for j, x in enumerate(hard):
        assert (h.prompt_update[: first[j], x] == 0).all()
        assert (h.prompt_grad[: first[j], x] > 0).all() and (h.prompt_grad[: first[j], x] < 1e-2).all()


@pytest.mark.parametrize("objective", ["pkpo", "chen_bootstrap"])
def test_same_seed_same_history_and_seeds_matter(bandit, objective):
    a = B.train(bandit, objective=objective, steps=60, seed=5, k_start=8)
    b = B.train(bandit, objective=objective, steps=60, seed=5, k_start=8)
    c = B.train(bandit, objective=objective, steps=60, seed=6, k_start=8)
    for name in B.History.METRICS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.J1, c.J1)


def test_cosine_is_one_for_identical_prompts_and_below_one_otherwise(bandit):
    same = B.make_bandit(B.BanditConfig(num_hard=0, noise=0.0))
    h = B.train(same, steps=1)
    assert h.cos_k1[0] == pytest.approx(1.0, abs=1e-12)
    assert B.train(bandit, steps=1, k=8).cos_k1[0] < 0.95 and B.train(bandit, steps=1, k=4).cos_k1[0] < 0.97


@pytest.mark.parametrize("k", [2, 4, 8])
def test_cosine_uses_the_training_k_and_is_only_the_per_prompt_rescaling(bandit, k):
    """Tabular bandit: the dataset gradients are stacks of per-prompt blocks, and grad J_k's block
    is alpha_k(J_1(x)) times grad J_1's, so the cosine is a function of the per-prompt norms and
    alpha_k alone: sum a n^2 / sqrt(sum a^2 n^2 * sum n^2). Checked at every step of a run."""
    h = B.train(bandit, objective="pass@k", k=k, k_eval=8, steps=50)
    direct = B.exact_gradient(h.theta[0], bandit.correct, "pass@k", k=k).ravel()
    g1 = B.exact_gradient(h.theta[0], bandit.correct).ravel()
    assert h.cos_k1[0] == pytest.approx(direct @ g1 / np.linalg.norm(direct) / np.linalg.norm(g1), rel=1e-12)
    a, nrm = alpha_k(h.p, k), h.prompt_grad  # (T, P)
    by_blocks = (a * nrm**2).sum(1) / np.sqrt((a**2 * nrm**2).sum(1) * (nrm**2).sum(1))
    np.testing.assert_allclose(h.cos_k1, by_blocks, rtol=1e-12)
    if k != 8:  # the cosine does not use k_eval
        assert not np.allclose(h.cos_k1, B.train(bandit, objective="pass@k", k=8, steps=50).cos_k1)


@pytest.mark.parametrize("lr", [1.0, 0.37, 2.5])
@pytest.mark.parametrize("k", [2, 4, 8])
def test_pass1_with_per_prompt_step_alpha_k_is_exact_passk_bit_for_bit(bandit, lr, k):
    """Yu's reading of pass@k (arXiv 2511.16231): plain gradient ascent on pass@1 with the per-prompt
    step lr * alpha_k(J_1(x)) is exact pass@k training -- the same logits at every step, with ==."""
    passk = B.train(bandit, objective="pass@k", k=k, lr=lr, steps=400)
    stepped = B.train(bandit, objective="pass@1", prompt_step="alpha_k", k=k, lr=lr, steps=400)
    assert np.array_equal(passk.theta, stepped.theta)  # (T, P, M): every step, every logit
    assert np.array_equal(passk.logits, stepped.logits) and np.array_equal(passk.J1, stepped.J1)
    plain = B.train(bandit, objective="pass@1", k=k, lr=lr, steps=400)  # a constant step does differ
    assert not np.array_equal(plain.theta[1], passk.theta[1])
    # with an entropy bonus the per-prompt step also scales the bonus: then the runs differ
    bonus = {"entropy_coef": 0.05, "steps": 5, "k": k, "lr": lr}
    assert not np.array_equal(
        B.train(bandit, objective="pass@k", **bonus).theta,
        B.train(bandit, objective="pass@1", prompt_step="alpha_k", **bonus).theta,
    )


def test_theta_records_the_logits_of_every_step(bandit):
    h = B.train(bandit, objective="pass@k", k=4, steps=12)
    assert np.array_equal(h.theta[0], bandit.logits) and np.array_equal(h.theta[-1], h.logits)
    for t in (1, 5, 12):
        assert np.array_equal(h.theta[t], B.train(bandit, objective="pass@k", k=4, steps=t).logits)
    np.testing.assert_allclose(h.pi, softmax(h.theta), rtol=0, atol=0)


def test_exploration_diagnostics_follow_their_definitions(bandit):
    """coverage@k_cover, minority mass, distinct correct answers and mode_mass, recomputed by hand
    from the recorded policies (pk.coverage, pk.expected_distinct_correct: the formulas' one home)."""
    h = B.train(bandit, objective="grpo", steps=30, seed=2, k_cover=32)
    dom = np.argmax(np.where(bandit.correct, bandit.logits, -np.inf), axis=-1)
    for t in (0, 17, 30):
        pi = h.pi[t]
        mass = h.mode_mass(t)
        np.testing.assert_array_equal(mass[~bandit.correct], 0.0)
        np.testing.assert_allclose(mass.sum(1), h.p[t], rtol=1e-12)
        assert h.coverage[t] == pk.coverage(h.p[t], 32)
        others = [sum(pi[x, a] for a in np.flatnonzero(bandit.correct[x]) if a != dom[x]) for x in range(len(pi))]
        assert h.minority_mass[t] == pytest.approx(np.mean(others), rel=1e-12)
        distinct = [sum(1 - (1 - pi[x, a]) ** 32 for a in np.flatnonzero(bandit.correct[x])) for x in range(len(pi))]
        assert h.distinct[t] == pytest.approx(np.mean(distinct), rel=1e-12)
        assert h.at(t)["coverage"] == h.coverage[t] and h.at(t)["modes"] == h.modes[t]
    s = h.summary()
    assert s["distinct_start"] == h.distinct[0] and s["minority_mass_end"] == h.minority_mass[-1]


def test_delta_falls_because_prompts_are_solved_while_the_modes_are_lost(bandit):
    """Chapter 4's distinction, on its own bandit: under exact pass@1 Delta(8) collapses while the
    dataset J_8 and coverage@64 *rise* (no prompt loses J_1, so coverage against the initial policy
    cannot fall); the whole fall of Delta(8) comes from prompts whose J_1 rose. What is lost is the
    spread over correct answers, which Delta(k) cannot see: the mode count and the minority mass."""
    h = B.train(bandit, objective="pass@1", steps=400)
    assert h.delta[0] > 0.4 and h.delta[-1] < 0.02
    assert h.Jk[-1] > h.Jk[0] and h.coverage[-1] > h.coverage[0]
    assert (h.p[-1] > h.p[0]).all()
    split = pk.delta_change_split(h.p[0], h.p[-1], h.config.k_eval)
    assert split.n_fell == 0 and split.fell == 0.0 and split.rose == pytest.approx(h.delta[-1] - h.delta[0], abs=1e-12)
    easy = ~bandit.hard
    live = (h.mode_mass(0) > B.MODE_THRESHOLD).sum(1), (h.mode_mass(-1) > B.MODE_THRESHOLD).sum(1)
    assert (live[0][easy] == 3).all() and (live[1][easy] == 1).all()
    assert h.minority_mass[-1] < 0.02 * h.minority_mass[0] and h.distinct[-1] < 0.5 * h.distinct[0]


def test_passk_lifts_the_hard_prompts_that_pass1_leaves_near_zero(bandit):
    """alpha_k ~ k on hard prompts: exact pass@4 is pass@1 with a ~4x step there, which decides a
    fixed budget of 400 steps; exact pass@1 needs more steps to get as far."""
    hard = np.flatnonzero(bandit.hard)
    one = B.train(bandit, objective="pass@1", steps=1200)
    four = B.train(bandit, objective="pass@k", k=4, steps=400)
    assert (one.p[400, hard] < 0.01).all() and (four.p[-1, hard] > 0.8).all()
    np.testing.assert_allclose(alpha_k(four.p[0, hard], 4), 4.0, rtol=0.01)
    first = [int(np.argmax(one.p[:, x] >= four.p[-1, x])) for x in hard]
    assert all(400 < t <= 1200 for t in first), first


def test_step_at_pass1_and_matched_comparison(bandit):
    runs = {"pass@1": B.train(bandit, steps=200), "pass@4": B.train(bandit, objective="pass@k", k=4, steps=200)}
    target = 0.6
    rows = B.at_matched_pass1(runs, target)
    for label, h in runs.items():
        t = rows[label]["step"]
        assert h.J1[t] >= target > h.J1[t - 1]
        assert rows[label] == {"step": t, **h.at(t)}
    with pytest.raises(ValueError, match="never reached"):
        B.step_at_pass1(runs["pass@1"], 0.99)


def test_k_schedule_is_the_registry_step(bandit):
    """PKPO trains with k_start for the first anneal_frac of the steps, then k = 1 (A.k_at_step)."""
    run = B.train(bandit, objective="pkpo", steps=100, k_start=8, anneal_frac=0.5)
    assert run.k_used.tolist() == [8] * 50 + [1] * 51
    assert run.k_used.tolist() == [A.k_at_step("pkpo", t, 100, 8, 0.5) for t in range(101)]
    assert set(B.train(bandit, objective="pkpo", steps=20, k=4, anneal_frac=1.0).k_used[:-1]) == {4}  # never
    assert set(B.train(bandit, objective="pkpo", steps=20, k=4, anneal_frac=0.0).k_used) == {1}  # k = 1 throughout
    chen = B.train(bandit, objective="chen_then_pass1", steps=10, k=4, anneal_frac=0.3)  # Chen et al.'s recipe
    assert chen.k_used.tolist() == [4] * 3 + [1] * 8
    # methods whose recipe does not anneal keep k (and ignore k_start)
    assert set(B.train(bandit, objective="chen", steps=20, k=3, k_start=8).k_used) == {3}
    assert set(B.train(bandit, objective="pass@k", steps=5, k=3).k_used) == {3}


def test_entropy_metric_uses_course_lib_entropy(bandit):
    h = B.train(bandit, steps=0)
    assert h.entropy[0] == pytest.approx(np.mean(softmax_entropy(bandit.logits)))
    assert h.J1.shape == (1,) and h.logits.shape == bandit.logits.shape


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda b: B.train(b, objective="sgd"), "objective"),
        (lambda b: B.train(b, objective="chen", k=9, n=8), "k must be <= n"),
        (lambda b: B.train(b, lr=0), "lr"),
        (lambda b: B.train(b, entropy_coef=-1), "entropy_coef"),
        (lambda b: B.train(b, objective="grpo", n=1), "n must be >= 2"),
        (lambda b: B.train_many(b, {"x": {"learning_rate": 1}}), "unknown TrainConfig"),
        (lambda b: B.make_bandit(B.BanditConfig(num_correct=12)), "num_correct"),
        (lambda b: B.make_bandit(B.BanditConfig(num_hard=9)), "num_hard"),
        (lambda b: B.exact_gradient(b.logits, b.correct, "pass@2"), "objective"),
        (lambda b: B.expected_weight("grpo", 1.5, 8), "probability"),
        (lambda b: B.expected_weight("chen_full", 0.5, 8, k=2), "depend only"),
        (lambda b: B.train(b, objective="pkpo", k=4, k_start=9, n=8), "k must be <= n"),
        (lambda b: B.train(b, objective="pkpo", anneal_frac=1.5), "anneal_frac"),
        (lambda b: B.policy_at_pass1(B.train(b, steps=3), 0, 0.99), "must cross"),
        (lambda b: B.train(b, prompt_step="adam"), "prompt_step"),
        (lambda b: B.train(b, objective="pass@k", prompt_step="alpha_k"), "pass@1"),
        (lambda b: B.train(b, objective="grpo", prompt_step="alpha_k"), "pass@1"),
        (lambda b: B.train(b, k_cover=0), "k_cover"),
    ],
)
def test_bad_input_raises_clear_value_error(bandit, call, match):
    with pytest.raises(ValueError, match=match):
        call(bandit)


# ----------------------------------------------------------------------------- charts and explorer


@pytest.fixture(scope="module")
def runs(bandit):
    return {"pass@1": B.train(bandit, steps=120), "grpo": B.train(bandit, objective="grpo", steps=120, seed=1)}


def test_collapse_tables_thin_but_keep_values(runs):
    from course_lib.bandit import charts as BC

    t = BC.collapse_tables(runs, metrics=("delta", "J1"), max_points=31)["collapse"]
    assert len({len(col) for col in t.values()}) == 1
    for label, h in runs.items():
        sel = (t["run"] == label) & (t["metric"] == BC.METRIC_TITLES["delta"])
        assert sel.sum() <= 31 and t["step"][sel][0] == 0 and t["step"][sel][-1] == len(h.J1) - 1
        np.testing.assert_array_equal(t["value"][sel], h.delta[t["step"][sel]])
    with pytest.raises(ValueError, match="metrics"):
        BC.collapse_tables(runs, metrics=("loss",))


def test_every_chart_builds_a_valid_spec(bandit, runs):
    from course_lib.bandit import charts as BC

    charts = [
        BC.collapse_chart(runs),
        BC.mass_chart(bandit, runs, prompts=(0, 7)),
        BC.signal_chart(runs["grpo"], 7),
        BC.weight_chart(n=8, k=4),
        BC.path_chart(runs, 0),
    ]
    for chart in charts:
        spec = chart.to_dict()  # Altair validates against the Vega-Lite schema here
        assert spec["datasets"] and all(len(rows) > 0 for rows in spec["datasets"].values())


def test_chart_tables_carry_the_simulator_numbers(bandit, runs):
    from course_lib.bandit import charts as BC

    mass = BC.mass_tables(bandit, runs, prompts=(0, 7))["mass"]
    for panel in set(mass["panel"]):
        for when in ("start", "end"):
            sel = (mass["panel"] == panel) & (mass["when"] == when)
            assert mass["prob"][sel].astype(float).sum() == pytest.approx(1.0)
    sig = BC.signal_tables(runs["grpo"], 7)
    nonzero = sig["signal"]["series"] != "exact ‖∇J_1‖"
    assert (sig["signal"]["norm"][nonzero] > 0).all()
    z = sig["zero"]
    steps_nonzero = sum(e - s for s, e, f in zip(z["start"], z["end"], z["zero"], strict=True) if f == "non-zero")
    assert nonzero.sum() == steps_nonzero and z["start"][0] == 0 and z["end"][-1] == len(runs["grpo"].J1) - 1
    assert (z["start"][1:] == z["end"][:-1]).all() and len(set(z["zero"][::2])) == 1  # alternating runs
    w = BC.weight_tables(n=8, k=4)["weights"]
    np.testing.assert_allclose(w["lam"][w["estimator"] == "rloo"], 1.0, atol=1e-12)


def test_explorer_reruns_the_bandit(bandit):
    from course_lib.bandit import charts as BC

    ex = BC.collapse_explorer(bandit, steps=50, use_widget=False)
    first = ex.readout.value
    ex.controls["objective"].value = "grpo"
    ex.refresh()
    assert ex.readout.value != first and "all n wrong" in ex.readout.value
    ex.controls["objective"].value = "chen"
    ex.controls["k"].value = 8
    ex.refresh()  # k = n is allowed for Chen (degenerate but valid)
    assert "Δ(8)" in ex.readout.value
