"""Executable spec of course_lib.bandit.fair: step normalisation, the rate sweep's criterion, baselines.

Hand-computed cases use a two-prompt bandit with all logits 0 and M = 4 answers, 2 correct on the
first prompt and 1 on the second, so the initial pass rates are exactly 1/2 and 1/4.
"""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from course_lib import advantages as A
from course_lib import bandit as B
from course_lib.bandit import fair

ROOT = Path(__file__).resolve().parents[1]


def _half_quarter() -> B.Bandit:
    correct = np.array([[True, True, False, False], [True, False, False, False]])
    return B.Bandit(logits=np.zeros((2, 4)), correct=correct, hard=np.array([False, True]), config=B.BanditConfig())


def test_constants_hand_computed():
    b = _half_quarter()
    # exact pass@2: lambda = alpha_2(p) = 2 (1 - p) = 1 and 1.5 -> mean 1.25 -> c = 0.8
    assert fair.step_constants(b, B.TrainConfig(objective="pass@k", k=2)) == ((2, pytest.approx(0.8, rel=1e-14)),)
    assert fair.step_constants(b, B.TrainConfig(objective="pass@1")) == ((4, 1.0),)
    # RLOO is unbiased for grad J_1 (lambda = 1)
    ((_, c),) = fair.step_constants(b, B.TrainConfig(objective="rloo"))
    assert c == pytest.approx(1.0, abs=1e-12)
    # GRPO with n = 2: a mixed group has A = +-(1/2) / (1/2 + eps), w = A / 2 = +-1 / (2 (1 + 2 eps)); an equal
    # group 0, so lambda(p) = 2 [(1 - p) w+(1) + p w+(2) - (1 - p) w-(0) - p w-(1)] = 1 / (1 + 2 eps) for every p
    ((_, c),) = fair.step_constants(b, B.TrainConfig(objective="grpo", n=2))
    assert c == pytest.approx(1 + 2e-6, rel=1e-12)
    # PKPO annealed k = 2 -> 1, n = 4: phase 1 lambda = alpha_2 (unbiased for grad J_2), phase 2 RLOO
    consts = fair.step_constants(b, B.TrainConfig(objective="pkpo", n=4, k=2))
    assert consts == ((2, pytest.approx(0.8, rel=1e-10)), (1, pytest.approx(1.0, abs=1e-12)))
    # Chen's recipe: its k phase, then GRPO's (k = 1)
    (k1, c1), (k2, c2) = fair.step_constants(b, B.TrainConfig(objective="chen_then_pass1", n=4, k=2))
    lam_chen = B.expected_weight("chen", [0.5, 0.25], 4, k=2)
    lam_grpo = B.expected_weight("grpo", [0.5, 0.25], 4)
    assert (k1, k2) == (2, 1) and c1 == pytest.approx(1 / lam_chen.mean()) and c2 == pytest.approx(1 / lam_grpo.mean())


def test_normalised_mean_expected_step_is_one_on_the_chapters_bandit():
    b = B.make_bandit()
    p0, _ = B.core.pass1(B.core.softmax(b.logits), b.correct)
    for label, over in fair.RUNS.items():
        cfg = dataclasses.replace(fair.BASE, **over)
        if fair.why_not_normalisable(cfg.objective, cfg.n, cfg.k, cfg.beta, cfg.entropy_coef):
            continue
        for k, c in fair.normalised(b, cfg).step_scale:
            mean_step = c * np.mean(fair.expected_step(cfg.objective, p0, cfg.n, k, cfg.beta))
            assert mean_step == pytest.approx(1.0, rel=1e-12), label


def test_a_scale_of_one_changes_nothing_and_two_doubles_the_rate_bit_for_bit():
    b = B.make_bandit()
    plain = B.train(b, objective="grpo", steps=30, seed=1)
    one = B.train(b, objective="grpo", steps=30, seed=1, step_scale=((4, 1.0),))
    assert np.array_equal(plain.theta, one.theta)
    doubled = B.train(b, objective="pass@1", steps=30, lr=2.0)  # x 2 is exact in floating point
    scaled = B.train(b, objective="pass@1", steps=30, lr=1.0, step_scale=((4, 2.0),))
    assert np.array_equal(doubled.theta, scaled.theta)


def test_each_phase_gets_its_own_constant():
    b = B.make_bandit()
    kw = dict(objective="pkpo", k_start=8, steps=40, seed=2)
    ref = B.train(b, step_scale=((8, 1.0), (1, 1.0)), **kw)
    later = B.train(b, step_scale=((8, 1.0), (1, 3.0)), **kw)  # only the k = 1 phase (from step 20) differs
    switch = int(np.argmax(ref.k_used < 8))
    assert switch == 20
    assert np.array_equal(ref.theta[: switch + 1], later.theta[: switch + 1])
    assert not np.array_equal(ref.theta[switch + 1 :], later.theta[switch + 1 :])


def test_which_objectives_can_be_normalised():
    n, k = 8, 4
    can = {name for name in B.SAMPLED_OBJECTIVES if fair.why_not_normalisable(name, n, k) is None}
    reads_more = {name for name, est in A.ESTIMATORS.items() if est.needs}
    assert reads_more and not (can & reads_more)
    assert {"grpo", "rloo", "chen", "chen_then_pass1", "pkpo", "risk_seeking", "grpo_alpha", "psr", "nsr"} <= can
    assert "chen_bootstrap" not in can and "chen_full" not in can
    assert fair.why_not_normalisable("pass@1") is None and fair.why_not_normalisable("pass@k") is None
    assert "not parallel" in fair.why_not_normalisable("pass@k-wor")
    assert "entropy" in fair.why_not_normalisable("pass@k", entropy_coef=0.05)
    with pytest.raises(ValueError, match="cannot be step-normalised"):
        fair.step_constants(B.make_bandit(), B.TrainConfig(objective="batch_explore"))


def test_bad_step_scale_is_refused():
    with pytest.raises(ValueError, match="step_scale"):
        B.train(B.make_bandit(), objective="grpo", steps=1, step_scale=((4, -1.0),))


def test_choose_rate_is_the_declared_rule():
    assert fair.choose_rate({1.0: 0.5, 2.0: 0.9, 4.0: 0.995, 8.0: 1.0}) == 4.0  # within 0.01 of the best
    assert fair.choose_rate({1.0: 0.5, 2.0: 0.9, 4.0: 0.98, 8.0: 1.0}) == 8.0
    assert fair.choose_rate({1.0: 0.7, 2.0: 0.7}) == 1.0  # a tie goes to the smaller rate
    assert fair.CRITERION["tol"] == 0.01


def test_sweep_widens_until_the_choice_is_inside_the_grid():
    b = B.make_bandit()
    runs = {"pass@1": {"objective": "pass@1"}}
    out = fair.sweep(b, runs, rates=(0.5, 1.0), seeds=(0,), base=dataclasses.replace(fair.BASE, steps=60))
    best = out["best"]["pass@1"]
    assert best["interior"] and out["rates"][0] < best["lr"] < out["rates"][-1] and len(out["rates"]) > 2
    means = {float(r): np.mean(v) for r, v in out["scores"]["pass@1"].items()}
    assert best["lr"] == fair.choose_rate(means)


def test_baselines_hand_computed():
    b = B.make_bandit()
    base = fair.baselines(b)
    g = base["guesser"]  # uniform over M = 12 answers, 3 correct on every prompt
    assert g["J1"] == pytest.approx(0.25, rel=1e-14) and g["hard_J1"] == pytest.approx(0.25, rel=1e-14)
    assert g["coverage"] == pytest.approx(1 - 0.75**64, rel=1e-12)
    assert g["distinct"] == pytest.approx(3 * (1 - (11 / 12) ** 64), rel=1e-12)
    assert g["modes"] == 3.0 and g["minority_mass"] == pytest.approx(2 / 12, rel=1e-12)
    h0 = B.train(b, steps=0)
    assert base["base"] == fair.read(h0, b.hard, 0)
    assert base["base"]["hard_J1"] == pytest.approx(h0.p[0][b.hard].mean())


def test_committed_bandit_results_have_provenance_and_every_variant():
    results = json.loads((ROOT / "results" / "ch04_bandit.json").read_text())
    prov = results["provenance"]
    assert {"command", "code_hash", "criterion", "tuning_seeds", "eval_seeds", "runs", "date", "wall_s"} <= set(prov)
    assert len(prov["eval_seeds"]) >= 20 and not set(prov["tuning_seeds"]) & set(prov["eval_seeds"])
    assert all(best["interior"] for best in results["sweep"]["best"].values())
    for run in prov["runs"]:
        variants = {r["variant"] for r in results["rows"] if r["run"] == run}
        assert variants == ({"raw", "best"} if "reason" in results["constants"][run] else {"raw", "best", "normalised"})


def test_one_exact_row_of_the_committed_bandit_results_regenerates():
    """Exact runs have no sampling: the same code gives the same numbers (to rounding across CPUs)."""
    results = json.loads((ROOT / "results" / "ch04_bandit.json").read_text())
    row = next(r for r in results["rows"] if r["run"] == "pass@4" and r["variant"] == "normalised")
    cfg = dataclasses.replace(fair.BASE, **fair.RUNS["pass@4"])
    again = fair._run(
        B.make_bandit(), fair.BASE, fair.RUNS["pass@4"], row["lr"], 0, fair.normalised(B.make_bandit(), cfg).step_scale
    )
    assert again == pytest.approx({k: v for k, v in row.items() if k in fair.METRICS}, rel=1e-9)
