"""Executable specification of the estimator registry (course_lib.advantages.registry).

One key per method, one call (``loss_weights``) in sum form, one k schedule (``k_at_step``).
References: every key's weights are rebuilt here from the estimator functions themselves
(:mod:`course_lib.advantages.pass1`, :mod:`course_lib.advantages.passk`), never from
``loss_weights``; the three fronts that use the registry -- the bandit (chapter 4), the lab
(chapter 5) and the advantage explorer (chapter 3) -- must agree with those references in
float64 to 1e-12 for every key and every k.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from course_lib import advantages as A
from course_lib import bandit as B
from course_lib.advantages.bestof import grpo_passk
from course_lib.advantages.explore import nsr, psr, w_reinforce
from course_lib.advantages.pass1 import grpo, risk_seeking, rloo
from course_lib.advantages.passk import (
    passk_group_analytic,
    passk_group_bootstrap,
    passk_group_full,
    pkpo,
    pkpo_binary,
)
from course_lib.passk import alpha_k
from course_lib.viz import explorers


def _pkpo_recipe(r, k):
    """PKPO with the paper's loo-1 baseline; loo at k = 1, where loo-1 is undefined."""
    return pkpo(r, k, baseline="loo-1" if k >= 2 else "loo")


def _grpo_alpha(r, k):
    """GRPO times alpha_k(c/n), c/n the group's own pass@1."""
    x = np.asarray(r, dtype=float)
    return grpo(x) * alpha_k(x.mean(axis=-1, keepdims=True), k)


def _mean_form(advantage):
    """Sum-form weights w = A / n of a mean-form advantage function A(r, k)."""
    return lambda r, k: advantage(r, k) / np.shape(r)[-1]


REFERENCE = {
    # key: sum-form weights from the estimator functions, with the registry's default parameters
    "grpo": _mean_form(lambda r, k: grpo(r)),
    "rloo": _mean_form(lambda r, k: rloo(r)),
    "risk_seeking": _mean_form(lambda r, k: risk_seeking(r, 2.0)),
    "chen": _mean_form(passk_group_analytic),
    "chen_then_pass1": _mean_form(passk_group_analytic),
    "grpo_alpha": _mean_form(_grpo_alpha),
    "chen_bootstrap": _mean_form(lambda r, k: passk_group_bootstrap(r, k, 64, 0)),
    "chen_full": _mean_form(passk_group_full),
    "pkpo": _pkpo_recipe,  # sum form already
    "pkpo_binary": pkpo_binary,  # sum form already
    "grpo_passk": _mean_form(lambda r, k: grpo_passk(r)),  # verl's; its k is the group size n
    "psr": _mean_form(lambda r, k: psr(r)),
    "nsr": _mean_form(lambda r, k: nsr(r)),
    "w_reinforce": _mean_form(lambda r, k: w_reinforce(r, 0.1)),
}
"""A reference for every registered key: a new method is specified by adding its line here."""

NEEDS_CONTEXT = {"batch_explore", "ucb_explore", "unlikely", "clip_cov"}
"""Keys that read more of the group than its rewards (answer ids, log-probs, state); their
references, hand-computed cases and bandit runs are in tests/test_explore.py."""

ANNEALING = {"pkpo", "chen_then_pass1"}
"""Keys whose recipe anneals k to 1 during training."""


def _groups(n: int, seed: int = 0, extra: int = 12) -> np.ndarray:
    """Binary groups (n+1+extra, n): c = 0..n correct first, then random arrangements."""
    canonical = (np.arange(n)[None, :] < np.arange(n + 1)[:, None]).astype(float)
    random = (np.random.default_rng(seed).random((extra, n)) < 0.4).astype(float)
    return np.concatenate([canonical, random])


def test_every_registered_key_has_a_reference():
    missing = sorted(set(A.ESTIMATORS) - set(REFERENCE) - NEEDS_CONTEXT)
    assert not missing, f"add a reference for {missing} to REFERENCE in tests/test_registry.py"
    stale = sorted((set(REFERENCE) | NEEDS_CONTEXT) - set(A.ESTIMATORS))
    assert not stale, f"REFERENCE names keys that are not registered: {stale}"
    assert all(A.estimator(key).needs for key in NEEDS_CONTEXT)
    assert not any(A.estimator(key).needs for key in REFERENCE)


@pytest.mark.parametrize("key", sorted(REFERENCE))
def test_every_key_is_reachable_and_described(key):
    est = A.estimator(key)
    assert est.name == key and est.summary and est.reference and est.form in ("mean", "sum")
    assert est.anneals_k == (key in ANNEALING)
    w = A.loss_weights(key, [1.0, 0.0, 0.0, 1.0], k=2)
    assert w.shape == (4,) and np.isfinite(w).all()


@pytest.mark.parametrize("key", sorted(REFERENCE))
@pytest.mark.parametrize("k", [1, 2, 4])
def test_loss_weights_equal_the_estimator_functions(key, k):
    """1-D, 2-D, torch float64 and float32 (n = 8): the registry adds nothing but the /n of the mean form."""
    r = _groups(8, seed=k)
    ref = REFERENCE[key](r, k)
    np.testing.assert_allclose(A.loss_weights(key, r, k=k), ref, rtol=0, atol=1e-15, err_msg=key)
    for row in (0, 3, 9, len(r) - 1):
        one = A.loss_weights(key, r[row], k=k)
        assert one.shape == (8,)
        np.testing.assert_allclose(one, REFERENCE[key](r[row], k), rtol=0, atol=1e-15, err_msg=f"{key} row {row}")
    t64 = A.loss_weights(key, torch.tensor(r, dtype=torch.float64), k=k)
    assert isinstance(t64, torch.Tensor) and t64.dtype == torch.float64 and not t64.requires_grad
    np.testing.assert_allclose(t64.numpy(), ref, rtol=0, atol=1e-15, err_msg=key)
    t32 = A.loss_weights(key, torch.tensor(r, dtype=torch.float32, requires_grad=True), k=k)
    assert t32.dtype == torch.float32 and not t32.requires_grad
    np.testing.assert_allclose(t32.numpy(), ref, rtol=1e-6, atol=1e-6, err_msg=key)


def test_mean_form_is_divided_by_n_and_sum_form_is_not():
    r = np.array([1.0, 0.0, 0.0])
    np.testing.assert_allclose(A.loss_weights("rloo", r), [1 / 3, -1 / 6, -1 / 6], rtol=1e-15)  # A = (1, -1/2, -1/2)
    np.testing.assert_allclose(A.loss_weights("pkpo_binary", r, k=2), [2 / 3, 2 / 6, 2 / 6], rtol=1e-15)


def test_parameters_reach_the_estimator():
    r = _groups(6)
    np.testing.assert_allclose(A.loss_weights("risk_seeking", r, beta=0.5), risk_seeking(r, 0.5) / 6, atol=1e-15)
    np.testing.assert_allclose(A.loss_weights("grpo", r, eps=0.0), grpo(r, eps=0.0) / 6, atol=1e-15)
    np.testing.assert_allclose(
        A.loss_weights("chen_bootstrap", r, k=2, num_groups=7, rng=3),
        passk_group_bootstrap(r, 2, 7, 3) / 6,
        atol=1e-15,
    )
    np.testing.assert_allclose(A.loss_weights("pkpo", r, k=3, baseline=None), pkpo(r, 3), atol=1e-15)


def test_pkpo_at_k1_is_rloo_in_sum_form():
    r = _groups(5)
    np.testing.assert_allclose(A.loss_weights("pkpo", r, k=1), rloo(r) / 5, atol=1e-15)


def test_pass1_methods_ignore_k():
    r = _groups(6)
    for key in ("grpo", "rloo", "risk_seeking", "grpo_passk"):
        np.testing.assert_array_equal(A.loss_weights(key, r, k=5), A.loss_weights(key, r))


@pytest.mark.parametrize("n", [2, 4, 8])
def test_grpo_passk_expected_step_is_a_pass_at_n_reweighting(n):
    """verl's grpo_passk, 0/1 rewards: lambda(p) = sqrt(n) (1-p)^(n-1) / (1 + eps sqrt(n)); unscaled alpha_n(p) / n.

    Only a group with exactly one correct sample moves (probability n p (1-p)^(n-1)), and its sample
    std is 1/sqrt(n). Unscaled it is the pass@n gradient over n (Yu: grad J_n = alpha_n grad J_1).
    """
    p = np.linspace(0, 1, 11)
    lam = B.expected_weight("grpo_passk", p, n)
    np.testing.assert_allclose(lam, math.sqrt(n) * (1 - p) ** (n - 1) / (1 + 1e-6 * math.sqrt(n)), atol=1e-13)
    # unscaled, by expected_weight's formula: lambda = n sum_c Bin(c-1; n-1, p) w_pos(c) (w_neg = 0)
    rows = (np.arange(n)[None, :] < np.arange(n + 1)[:, None]).astype(float)
    w_pos = A.loss_weights("grpo_passk", rows, scale=False)[:, 0]  # the first sample is correct for c >= 1
    pmf = [[math.comb(n - 1, c - 1) * q ** (c - 1) * (1 - q) ** (n - c) if c else 0.0 for c in range(n + 1)] for q in p]
    np.testing.assert_allclose(n * np.asarray(pmf) @ w_pos, alpha_k(p, n) / n, atol=1e-13)


# ----------------------------------------------------------------------------- errors


def _register_needing_logp():
    @A.register("needs_logp_demo", summary="demo", reference="test", needs=("logp",))
    def _demo(group):
        return np.asarray(group.rewards, dtype=float) * 0.0


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: A.loss_weights("ppo", [1, 0]), "unknown method 'ppo'; registered: .*grpo"),
        (lambda: A.loss_weights(["grpo"], [1, 0]), "unknown method"),
        (lambda: A.estimator("nope"), "unknown method"),
        (lambda: A.loss_weights("grpo", [1, 0], beta=2.0), r"unknown parameter\(s\) \['beta'\]; it accepts: eps"),
        (lambda: A.loss_weights("rloo", [1, 0], eps=0.1), "it accepts: none"),
        (lambda: A.loss_weights("chen", [1, 0]), "pass@k method: give k"),
        (lambda: A.loss_weights("pkpo", [1, 0, 0]), "give k"),
        (lambda: A.loss_weights("chen", [1, 0, 0], k=4), "k must be <= 3"),
        (lambda: A.loss_weights("chen_full", [1, 0, 0], k=2), "divide"),
        (lambda: A.loss_weights("grpo", [1.0, float("nan")]), "NaN"),
        (lambda: A.register("x", summary="s", reference="r", form="other"), "form"),
        (lambda: A.register("x", summary="s", reference="r", needs=("logits",)), "unknown Group fields"),
        (lambda: A.register("grpo", summary="s", reference="r")(lambda group: group.rewards), "already registered"),
        (lambda: A.annealed_k(0, 10, 4, 1.5), "anneal_frac"),
        (lambda: A.annealed_k(0, 10, 0, 0.5), "k must be >= 1"),
        (lambda: A.k_at_step("nope", 0, 10, 4, 0.5), "unknown method"),
    ],
)
def test_bad_input_raises_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_missing_group_field_is_a_clear_error():
    _register_needing_logp()
    try:
        with pytest.raises(ValueError, match="'needs_logp_demo' needs the group's logp"):
            A.loss_weights("needs_logp_demo", [1.0, 0.0])
        r = np.array([1.0, 0.0])
        out = A.loss_weights("needs_logp_demo", A.Group(rewards=r, logp=np.log([0.5, 0.5])))
        np.testing.assert_array_equal(out, [0.0, 0.0])
    finally:
        del A.ESTIMATORS["needs_logp_demo"]
    assert "needs_logp_demo" not in A.ESTIMATORS


# ----------------------------------------------------------------------------- the k schedule


def test_annealed_k_is_a_step():
    assert [A.annealed_k(t, 4, 8, 0.5) for t in range(4)] == [8, 8, 1, 1]
    ks = [A.annealed_k(t, 400, 8, 0.5) for t in range(401)]
    assert ks[:200] == [8] * 200 and ks[200:] == [1] * 201
    assert {A.annealed_k(t, 100, 8, 1.0) for t in range(100)} == {8}  # 1: never anneals
    assert {A.annealed_k(t, 100, 8, 0.0) for t in range(101)} == {1}  # 0: k = 1 throughout
    assert [A.annealed_k(t, 10, 3, 0.25) for t in range(10)] == [3, 3, 3] + [1] * 7  # first 2.5 steps -> 3


def test_k_at_step_follows_the_recipe():
    for key in A.ESTIMATORS:
        ks = [A.k_at_step(key, t, 10, 4, 0.5) for t in range(10)]
        assert ks == ([4] * 5 + [1] * 5 if A.estimator(key).anneals_k else [4] * 10), key


# ----------------------------------------------------------------------------- a method added here


def test_a_method_registered_here_trains_in_the_bandit_with_no_other_change():
    """Register one function; the bandit accepts it, trains with it, and computes its lambda(p)."""

    @A.register("double_rloo_demo", summary="RLOO times two", reference="a test")
    def _double_rloo(group):
        return 2.0 * rloo(group.rewards)

    @A.register("annealed_pkpo_binary_demo", summary="PKPO, annealed", reference="a test", form="sum", anneals_k=True)
    def _annealed(group, k):
        return pkpo_binary(group.rewards, k)

    try:
        assert "double_rloo_demo" in B.SAMPLED_OBJECTIVES and "double_rloo_demo" in B.OBJECTIVES
        assert B.OBJECTIVES["double_rloo_demo"] == "RLOO times two"
        bandit = B.make_bandit(B.BanditConfig(num_prompts=4, num_answers=6, num_correct=2, num_hard=1))
        # twice the weights at half the step size: the same run, bit for bit (scaling by 2 is exact)
        twice = B.train(bandit, objective="double_rloo_demo", lr=0.5, steps=30, seed=3)
        once = B.train(bandit, objective="rloo", lr=1.0, steps=30, seed=3)
        np.testing.assert_array_equal(twice.logits, once.logits)
        assert not np.array_equal(twice.logits, bandit.logits)
        np.testing.assert_allclose(B.expected_weight("double_rloo_demo", np.linspace(0, 1, 5), 8), 2.0, atol=1e-13)
        # a method whose recipe anneals k gets the schedule of the registry
        run = B.train(bandit, objective="annealed_pkpo_binary_demo", k=2, k_start=4, anneal_frac=0.5, steps=10)
        assert run.k_used.tolist() == [4] * 5 + [1] * 6
    finally:
        del A.ESTIMATORS["double_rloo_demo"]
        del A.ESTIMATORS["annealed_pkpo_binary_demo"]
    assert "double_rloo_demo" not in B.SAMPLED_OBJECTIVES and "double_rloo_demo" not in B.OBJECTIVES


# ----------------------------------------------------------------------------- the fronts agree


def _lab_objective_weights():
    """The lab's objective_weights, or a skip while the lab is not yet on the registry."""
    step = pytest.importorskip("course_lib.lab.step")
    try:
        step.objective_weights("chen", torch.tensor([[1.0, 0.0]], dtype=torch.float64), 1)
    except ValueError:
        pytest.skip("lab not yet on the registry (objective_weights rejects the registry key 'chen')")
    return step.objective_weights


FRONTS = {
    # front: sum-form weights it trains (or draws) with, as float64 NumPy
    "bandit": lambda key, r, k: np.asarray(B.group_weights(key, r, k)),
    "explorer": lambda key, r, k: explorers._advantages(key, r, k) / r.shape[-1],  # its bars show n w
    "lab": lambda key, r, k: _lab_objective_weights()(key, torch.tensor(r, dtype=torch.float64), k).double().numpy(),
}


@pytest.mark.parametrize("front", sorted(FRONTS))
@pytest.mark.parametrize("n", [5, 8])
@pytest.mark.parametrize("key", sorted(REFERENCE))
def test_every_front_agrees_with_the_estimators_for_every_k(key, n, front):
    """For k = 1..n-1 (PKPO at k = 1 included), each front's weights equal the reference to 1e-12."""
    r = _groups(n, seed=n)
    accepted = []
    for k in range(1, n):
        try:
            ref = np.asarray(REFERENCE[key](r, k))
        except ValueError as exc:  # e.g. chen_full needs k | n: the front must refuse it as well
            with pytest.raises(ValueError, match=re.escape(str(exc))):
                FRONTS[front](key, r, k)
            continue
        got = FRONTS[front](key, r, k)
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12, err_msg=f"{front}: key={key}, n={n}, k={k}")
        accepted.append(k)
    assert accepted, f"{key} accepts no k in 1..{n - 1}"
    if key == "pkpo":
        assert accepted[0] == 1


def test_pkpo_at_k1_gives_an_all_correct_group_exactly_zero_weight():
    r = np.array([[1.0, 1.0, 1.0, 1.0], [1.0, 0.0, 0.0, 0.0]])
    w = A.loss_weights("pkpo", r, k=1)
    assert (w[0] == 0).all()  # exact, not ~1e-17
    np.testing.assert_allclose(w[1], rloo(r[1]) / 4, rtol=0, atol=0)
