"""Executable specification of chapter 6's exploration methods (course_lib.advantages.explore, .regularise).

Each method is pinned by a hand-computed case (the arithmetic is written out in the test), its
edge cases and its bad hyper-parameters (one clear ValueError each), then reached by its registry
key from the three fronts' entry points: ``loss_weights`` (NumPy and torch, with the group
context the lab passes) and a short bandit run (same seed -> identical run).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import torch

from course_lib import advantages as A
from course_lib import bandit as B
from course_lib.advantages import Group, loss_term, loss_weights
from course_lib.advantages.explore import batch_explore, nsr, psr, ucb_explore, unlikely, w_reinforce
from course_lib.advantages.pass1 import grpo
from course_lib.advantages.regularise import clip_cov, kl_penalty
from course_lib.softmax import softmax

NEW_KEYS = ("psr", "nsr", "w_reinforce", "batch_explore", "ucb_explore", "unlikely", "clip_cov")


def _f(values) -> list[float]:
    """Fractions (or ints) as floats."""
    return [float(Fraction(v)) for v in values]


# ----------------------------------------------------------------------------- 1. NSR, PSR, W-REINFORCE
def test_psr_nsr_w_reinforce_hand_case():
    r = [1, 0, 0, 1]
    assert psr(r).tolist() == [1.0, 0.0, 0.0, 1.0]  # A = r
    assert nsr(r).tolist() == [0.0, -1.0, -1.0, 0.0]  # A = r - 1
    assert w_reinforce(r).tolist() == [0.1, -1.0, -1.0, 0.1]  # A = 0.1 r - (1 - r)
    assert w_reinforce(r, lam=0.0).tolist() == nsr(r).tolist()  # lam = 0 is NSR
    assert w_reinforce(r, lam=1.0).tolist() == [1.0, -1.0, -1.0, 1.0]  # lam = 1: REINFORCE with +-1
    # mean form: the registry divides by n = 4
    np.testing.assert_array_equal(loss_weights("w_reinforce", r, lam=0.5), [0.125, -0.25, -0.25, 0.125])
    np.testing.assert_array_equal(loss_weights("nsr", [[1, 0], [0, 0]]), [[0.0, -0.5], [-0.5, -0.5]])


def test_psr_and_nsr_are_unbiased_for_grad_j1_and_w_reinforce_for_1_plus_lam():
    """E[[r=1] grad log pi] = grad J_1 = E[-[r=0] grad log pi]: lambda(p) = 1, and 1 + lam for W-REINFORCE."""
    p = np.linspace(0, 1, 11)
    for key in ("psr", "nsr"):
        assert B.depends_only_on_c(key, 8)
        np.testing.assert_allclose(B.expected_weight(key, p, 8), 1.0, atol=1e-13, err_msg=key)
    np.testing.assert_allclose(B.expected_weight("w_reinforce", p, 8), 1.1, atol=1e-13)


def test_signed_reinforcement_refuses_non_binary_rewards_and_negative_lam():
    with pytest.raises(ValueError, match="binary"):
        nsr([1.0, 0.5])
    with pytest.raises(ValueError, match=r"lam must be a finite number >= 0, got -0\.1"):
        loss_weights("w_reinforce", [1, 0], lam=-0.1)
    with pytest.raises(ValueError, match="lam must be"):
        w_reinforce([1, 0], lam=math.nan)


# ----------------------------------------------------------------------------- 2. outcome-based exploration
def test_batch_explore_hand_case():
    """r = (1, 1, 1, 0), answers (5, 5, 7, 9), c = 1/2, n = 4.

    Repeats among the others: (1, 1, 0, 0), so r~ = r - (1/2)(repeats)/4 = (7/8, 7/8, 1, 0);
    mean 11/16, deviations (3, 3, 5, -11)/16, variance (9+9+25+121)/(256*4) = 41/256,
    std sqrt(41)/16, A = (3, 3, 5, -11)/sqrt(41).
    """
    a = batch_explore([1, 1, 1, 0], [5, 5, 7, 9], c=0.5, eps=0)
    np.testing.assert_allclose(a * math.sqrt(41), [3, 3, 5, -11], rtol=1e-13)
    # correct_only: a repeated *wrong* answer is not penalised; c = 0 is GRPO
    wrong_repeat = batch_explore([1, 0, 0, 0], [1, 2, 2, 3], c=0.5, correct_only=True)
    np.testing.assert_array_equal(wrong_repeat, grpo([1, 0, 0, 0]))
    np.testing.assert_array_equal(batch_explore([1, 0, 1, 0], [1, 1, 1, 1], c=0.0), grpo([1, 0, 1, 0]))


def test_batch_explore_through_the_registry_numpy_and_torch():
    r = np.array([[1, 1, 1, 0], [0, 1, 0, 1]], dtype=float)
    ids = np.array([[5, 5, 7, 9], [3, 3, 3, 4]])
    w = loss_weights("batch_explore", Group(rewards=r, answer_ids=ids), c=0.5, eps=0)
    np.testing.assert_allclose(w[0], batch_explore(r[0], ids[0], c=0.5, eps=0) / 4, rtol=1e-15)
    np.testing.assert_allclose(w[1], batch_explore(r[1], ids[1], c=0.5, eps=0) / 4, rtol=1e-15)
    t = loss_weights("batch_explore", Group(rewards=torch.tensor(r, dtype=torch.float32), answer_ids=torch.tensor(ids)))
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float32
    np.testing.assert_allclose(t.numpy(), loss_weights("batch_explore", Group(rewards=r, answer_ids=ids)), atol=1e-6)
    with pytest.raises(ValueError, match="needs the group's answer_ids"):
        loss_weights("batch_explore", r)
    with pytest.raises(ValueError, match=r"c must be a finite number >= 0"):
        loss_weights("batch_explore", Group(rewards=r, answer_ids=ids), c=-1)
    with pytest.raises(ValueError, match=r"answer_ids must have shape \(2, 4\)"):
        loss_weights("batch_explore", Group(rewards=r, answer_ids=ids[:, :3]))


def test_ucb_explore_hand_case_and_counts_kept_across_steps():
    """Prompt 3 has seen answer 1 twice. Group r = (1, 0, 0, 0), answers (1, 1, 2, 4), c = 1/2.

    Counts after this group: N(1) = 4, N(2) = 1, N(4) = 1 -> bonuses c/sqrt(N) = (1/4, 1/4, 1/2, 1/2),
    r~ = (5/4, 1/4, 1/2, 1/2); mean 5/8, deviations (5, -3, -1, -1)/8, variance 36/256, std 3/8,
    A = (5/3, -1, -1/3, -1/3).
    """
    counts = {3: {1: 2}}
    a = ucb_explore([[1, 0, 0, 0]], [[1, 1, 2, 4]], [3], counts, c=0.5, eps=0)
    np.testing.assert_allclose(a[0], _f(["5/3", -1, "-1/3", "-1/3"]), rtol=1e-13)
    assert counts == {3: {1: 4, 2: 1, 4: 1}}
    # the same group again: N = (6, 6, 2, 2), r~ = r + c / sqrt(N)
    a2 = ucb_explore([1, 0, 0, 0], [1, 1, 2, 4], 3, counts, c=0.5, eps=0)
    np.testing.assert_allclose(a2, grpo(np.array([1, 0, 0, 0]) + 0.5 / np.sqrt([6, 6, 2, 2]), eps=0), rtol=1e-13)
    assert counts == {3: {1: 6, 2: 2, 4: 2}}


def test_ucb_explore_counts_the_whole_batch_first_and_lives_in_the_run_state():
    state: dict = {}
    r = np.array([[1, 0], [0, 1]], dtype=float)
    ids = np.array([[7, 8], [7, 9]])
    group = Group(rewards=r, answer_ids=ids, prompt_ids=np.array([5, 5]), state=state)  # one prompt twice
    w = loss_weights("ucb_explore", group, c=1.0, eps=0)
    assert state == {"ucb_explore": {5: {7: 2, 8: 1, 9: 1}}}
    # row 0: r~ = (1 + 1/sqrt 2, 0 + 1) -> deviations +-(1/sqrt 2)/2, std (1/sqrt 2)/2, A = (1, -1), w = A / 2
    np.testing.assert_allclose(w[0], [0.5, -0.5], rtol=1e-13)
    with pytest.raises(ValueError, match=r"c \(the UCB constant\) must be a finite number > 0, got 0\.0"):
        loss_weights("ucb_explore", group, c=0)
    with pytest.raises(ValueError, match="UCB constant"):
        loss_weights("ucb_explore", group, c=-0.5)
    with pytest.raises(ValueError, match="needs the group's prompt_ids, state"):
        loss_weights("ucb_explore", Group(rewards=r, answer_ids=ids))
    with pytest.raises(ValueError, match="state must be a dict"):
        loss_weights("ucb_explore", Group(rewards=r, answer_ids=ids, prompt_ids=np.array([5, 5]), state=[]))


# ----------------------------------------------------------------------------- 3. unlikeliness reward
def test_unlikely_hand_case():
    """r = (1, 1, 0, 1), log pi = (-1, -3, -2, -1), beta_rank = 1/2, n = 4.

    Ascending ranks (0 = least likely): -3 -> 0, -2 -> 1, the tie at -1 shares (2 + 3)/2 = 5/2.
    Factors 1 - (1/2) rank / 4: (11/16, 1, 13/16, 11/16); r~ = (11/16, 1, 0, 11/16);
    mean 19/32, deviations (3, 13, -19, 3)/32, variance 548/(1024*4) = 137/1024, A = (3, 13, -19, 3)/sqrt(137).
    """
    a = unlikely([1, 1, 0, 1], [-1.0, -3.0, -2.0, -1.0], beta_rank=0.5, eps=0)
    np.testing.assert_allclose(a * math.sqrt(137), [3, 13, -19, 3], rtol=1e-13)
    assert a[0] == a[3]  # the same answer twice: the same weight


def test_unlikely_matches_the_release_code_without_ties_and_is_grpo_at_beta_0():
    """He et al.'s code: r * (1 - beta * argsort(argsort(logp)) / n), then group normalisation."""
    rng = np.random.default_rng(0)
    r = (rng.random((5, 8)) < 0.5).astype(float)
    logp = rng.normal(size=(5, 8))
    ranks = np.argsort(np.argsort(logp, axis=-1), axis=-1)
    np.testing.assert_allclose(unlikely(r, logp, 0.25), grpo(r * (1 - 0.25 * ranks / 8)), atol=1e-14)
    np.testing.assert_array_equal(unlikely(r, logp, 0.0), grpo(r))
    w = loss_weights("unlikely", Group(rewards=torch.tensor(r), logp=torch.tensor(logp)))
    np.testing.assert_allclose(w.numpy(), unlikely(r, logp) / 8, atol=1e-15)
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="beta_rank must be a finite number >= 0 and <= 1"):
            loss_weights("unlikely", Group(rewards=r, logp=logp), beta_rank=bad)


# ----------------------------------------------------------------------------- 4. Clip-Cov
def test_clip_cov_hand_case():
    """r = (1, 0, 1, 0): GRPO A = (1, -1, 1, -1). log pi = (-1, -2, -3, -2), mean -2.

    Covariance terms (log pi - mean)(A - 0) = (1, 0, -1, 0); with [cov_low, cov_high] = [1/2, inf]
    only sample 0 is eligible, so its advantage is set to 0: (0, -1, 1, -1).
    """
    a = clip_cov([1, 0, 1, 0], [-1.0, -2.0, -3.0, -2.0], clip_frac=1.0, cov_low=0.5, eps=0)
    assert a.tolist() == [0.0, -1.0, 1.0, -1.0]
    np.testing.assert_array_equal(clip_cov([1, 0, 1, 0], [-1.0, -2.0, -3.0, -2.0], clip_frac=0.0), grpo([1, 0, 1, 0]))


def test_clip_cov_detaches_floor_r_n_random_eligible_samples_reproducibly():
    r = np.tile([1.0, 1, 1, 0, 0, 0, 0, 0], (20, 1))
    logp = np.tile([-0.5, -0.6, -0.7, -3.0, -3.1, -3.2, -3.3, -3.4], (20, 1))  # correct = likely: all 8 terms > 0
    a = clip_cov(r, logp, clip_frac=0.25, rng=np.random.default_rng(1))
    g = grpo(r)
    assert ((a == 0) & (g != 0)).sum(-1).tolist() == [2] * 20  # floor(0.25 * 8) = 2 per group
    np.testing.assert_array_equal(a, clip_cov(r, logp, clip_frac=0.25, rng=np.random.default_rng(1)))
    with pytest.raises(ValueError, match="clip_frac must be a finite number >= 0 and <= 1"):
        loss_weights("clip_cov", Group(rewards=r, logp=logp), clip_frac=2.0)


# ----------------------------------------------------------------------------- 5. KL to a reference
def test_kl_exact_and_k3_hand_case():
    """pi = (1/2, 1/2), pi_ref = (1/4, 3/4): KL = (1/2) log 2 + (1/2) log(2/3) = (1/2) log(4/3).

    k3 at a = 0: rho = 1/2, k3 = 1/2 - 1 + log 2; at a = 1: rho = 3/2, k3 = 1/2 - log(3/2);
    their pi-weighted mean is (1/2)(log 2 - log(3/2)) = (1/2) log(4/3): k3 is unbiased.
    """
    kl = 0.5 * math.log(4 / 3)
    logits, ref = np.log([[0.5, 0.5]]), np.log([[0.25, 0.75]])
    assert kl_penalty(2.0, logits=logits, ref_logits=ref) == pytest.approx(-2 * kl, rel=1e-14)
    k3 = [-kl_penalty(1.0, logp=[math.log(0.5)], ref_logp=[math.log(q)]) for q in (0.25, 0.75)]
    np.testing.assert_allclose(k3, [0.5 - 1 + math.log(2), 0.5 - math.log(1.5)], rtol=1e-14)
    assert 0.5 * k3[0] + 0.5 * k3[1] == pytest.approx(kl, rel=1e-14)
    assert loss_term("kl", 2.0, logits=logits, ref_logits=ref) == pytest.approx(-2 * kl, rel=1e-14)


def test_kl_is_differentiable_for_torch_and_refuses_bad_inputs():
    logits = torch.tensor([[0.3, -0.2, 0.1]], dtype=torch.float64, requires_grad=True)
    val = loss_term("kl", 0.5, logits=logits, ref_logits=torch.zeros(1, 3, dtype=torch.float64))
    val.backward()
    assert val.item() < 0 and logits.grad.abs().sum() > 0
    lp = torch.tensor([-1.0, -2.0], requires_grad=True)
    loss_term("kl", 1.0, logp=lp, ref_logp=torch.tensor([-1.5, -1.0])).backward()
    assert lp.grad is not None
    with pytest.raises(ValueError, match="coef must be a finite number >= 0"):
        loss_term("kl", -1.0, logits=[[0.0, 0.0]], ref_logits=[[0.0, 0.0]])
    with pytest.raises(ValueError, match="either logp and ref_logp"):
        kl_penalty(1.0)
    with pytest.raises(ValueError, match="needs ref_logp"):
        kl_penalty(1.0, logp=[0.0])


# ----------------------------------------------------------------------------- every key trains in the bandit
@pytest.fixture(scope="module")
def small_bandit():
    return B.make_bandit(B.BanditConfig(num_prompts=4, num_answers=6, num_correct=2, num_hard=1, seed=1))


@pytest.mark.parametrize("key", NEW_KEYS)
def test_every_new_method_trains_in_the_bandit_reproducibly(key, small_bandit):
    assert key in A.ESTIMATORS and key in B.SAMPLED_OBJECTIVES and key in B.OBJECTIVES
    runs = [B.train(small_bandit, objective=key, steps=25, n=8, lr=0.5, seed=7) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].logits, runs[1].logits)  # same seed -> identical run
    np.testing.assert_array_equal(runs[0].J1, runs[1].J1)
    assert not np.array_equal(runs[0].logits, small_bandit.logits)
    assert np.isfinite(runs[0].J1).all()


def test_bandit_params_reach_the_method_and_bad_ones_fail_clearly(small_bandit):
    lam0 = B.train(small_bandit, objective="w_reinforce", params={"lam": 0.0}, steps=10, seed=2)
    nsr_run = B.train(small_bandit, objective="nsr", steps=10, seed=2)
    np.testing.assert_array_equal(lam0.logits, nsr_run.logits)  # W-REINFORCE at lam = 0 is NSR
    with pytest.raises(ValueError, match="lam must be a finite number >= 0"):
        B.train(small_bandit, objective="w_reinforce", params={"lam": -1.0}, steps=2)
    with pytest.raises(ValueError, match="UCB constant"):
        B.train(small_bandit, objective="ucb_explore", params={"c": 0.0}, steps=2)
    with pytest.raises(ValueError, match="unknown parameter"):
        B.train(small_bandit, objective="nsr", params={"lam": 0.1}, steps=2)
    with pytest.raises(ValueError, match="sampled methods only"):
        B.train(small_bandit, objective="pass@1", params={"lam": 0.1}, steps=2)


def test_the_bandit_passes_the_context_and_keeps_the_state(small_bandit):
    """Answer ids are the sampled answers, logp = log pi(y), prompt ids 0..P-1, one state dict per run."""
    state: dict = {}
    for seed in (0, 1):
        B.sampled_gradient(
            small_bandit.logits, small_bandit.correct, "ucb_explore", 8, np.random.default_rng(seed), state=state
        )
    counts = state["ucb_explore"]
    assert sorted(counts) == [0, 1, 2, 3] and all(sum(c.values()) == 16 for c in counts.values())
    seen = {}

    @A.register("context_probe_demo", summary="records its context", reference="a test", needs=("logp", "answer_ids"))
    def _probe(group):
        seen["logp"], seen["ids"] = group.logp, group.answer_ids
        return grpo(group.rewards)

    try:
        B.sampled_gradient(small_bandit.logits, small_bandit.correct, "context_probe_demo", 5, np.random.default_rng(3))
    finally:
        del A.ESTIMATORS["context_probe_demo"]
    pi = softmax(small_bandit.logits)
    np.testing.assert_allclose(seen["logp"], np.log(np.take_along_axis(pi, seen["ids"], axis=-1)), rtol=1e-15)
    with pytest.raises(ValueError, match="also depends on the group's answer_ids"):
        B.expected_weight("batch_explore", 0.5, 8)
