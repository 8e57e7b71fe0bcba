"""Executable spec of the policy-gradient lab (course_lib.lab: step, loop, metrics, charts, cli)."""

import dataclasses
import json

import numpy as np
import pytest
import torch

from course_lib import advantages, passk
from course_lib.lab import LabConfig, WarmStartConfig, make_state, warm_start
from course_lib.lab.loop import evaluated, load_checkpoint, read_history, train
from course_lib.lab.metrics import exact_metrics, gradient_identity, sampled_metrics
from course_lib.lab.model import sample_answers
from course_lib.lab.step import current_k, objective_weights, rl_step

# small and fast: d = 32, a short warm start, 8 prompts x 8 samples
SMALL = LabConfig(
    d_model=32, prompts_per_step=8, n=8, steps=12, eval_every=4, threads=1, warm=WarmStartConfig(steps=60), device="cpu"
)


pytestmark = pytest.mark.usefixtures("passk_cache")  # warm starts in a temporary cache (conftest.py)


def strip_time(history):
    return [{k: v for k, v in row.items() if k != "time/s"} for row in history]


@pytest.mark.parametrize("objective", ["grpo", "rloo", "chen", "pkpo"])
def test_all_fail_group_gives_exactly_zero_gradient(objective):
    """Rewards all 0 => advantages exactly 0 => every parameter gradient is exactly 0.0 (bitwise)."""
    state = make_state(dataclasses.replace(SMALL, objective=objective, k=4))
    task = state.cfg.task
    targets = torch.tensor([1, 26] * 4)  # held-out, 3 solutions each: most groups of 8 fail
    roll = sample_answers(state.model, task.prompts(targets), 8, 3, generator=torch.Generator().manual_seed(0))
    r = task.verify(targets, roll.answers).float()
    fail = (r.sum(1) == 0).nonzero().flatten()[:2]
    assert len(fail) == 2
    roll = dataclasses.replace(roll, logp=roll.logp[fail])  # keep the graph, keep two all-fail groups
    r = r[fail]
    w = objective_weights(objective, r, 4)
    loss = -(w * roll.logp).sum(1).mean()
    loss.backward(retain_graph=True)
    grads = [p.grad for p in state.model.parameters()]
    assert all(g is not None and torch.equal(g, torch.zeros_like(g)) for g in grads)
    # a group with one success gives a non-zero gradient, for contrast
    state.model.zero_grad()
    r[0, 0] = 1.0
    (-(objective_weights(objective, r, 4) * roll.logp).sum(1).mean()).backward()
    assert any(p.grad.abs().sum() > 0 for p in state.model.parameters())


@pytest.mark.parametrize("target, k", [(13, 2), (13, 4), (8, 8), (20, 4)])
def test_gradient_identity_by_enumeration(target, k):
    """Yu's theorem on the model itself: grad J_k = alpha_k grad J_1 (cosine 1, ratio alpha_k)."""
    model = warm_start(SMALL.model_config, SMALL.task, SMALL.warm, threads=1)
    g = gradient_identity(model, SMALL.task, target, k)
    assert 0 < g["J1"] < 1
    assert g["cosine"] == pytest.approx(1.0, abs=1e-6)
    assert g["ratio"] == pytest.approx(g["alpha_k"], rel=1e-4)
    assert g["alpha_k"] == pytest.approx(k * (1 - g["J1"]) ** (k - 1), rel=1e-9)


def test_exact_metrics_against_sampled_estimates():
    model = warm_start(SMALL.model_config, SMALL.task, SMALL.warm, threads=1)
    targets = torch.tensor([3, 13, 20])
    ex = exact_metrics(model, SMALL.task, targets, ks=(1, 4), m=32)
    assert ex["pass@4"] == pytest.approx(passk.dataset_pass_at_k(ex["p"], 4))
    assert ex["delta@4"] == pytest.approx(ex["pass@4"] - ex["pass@1"])
    sm = sampled_metrics(model, SMALL.task, targets, ks=(1, 4), m=4000, generator=torch.Generator().manual_seed(0))
    se = np.sqrt(ex["p"] * (1 - ex["p"]) / 4000).max()
    assert np.abs(sm["p"] - ex["p"]).max() < 5 * se
    assert sm["pass@4"] == pytest.approx(ex["pass@4"], abs=0.03)
    assert 0 <= ex["dominant_share"] <= 1 and ex["distinct_correct"] > 0


@pytest.mark.parametrize("threshold", [None, 1e-3])
def test_exact_metrics_coverage_distinct_modes_by_brute_force(threshold, monkeypatch):
    """coverage@K is passk.coverage; distinct_correct, modes and mass_off_top from the enumerated answers."""
    from course_lib.lab import metrics

    if threshold is not None:  # the short warm start holds no correct answer above 1 %: count a lower bar too
        monkeypatch.setattr(metrics, "MODE_THRESHOLD", threshold)
    model = warm_start(SMALL.model_config, SMALL.task, SMALL.warm, threads=1)
    targets = torch.tensor([3, 13, 20, 26])
    ex = exact_metrics(model, SMALL.task, targets, ks=(1, 4), m=32, k_cover=64)
    probs, correct = metrics.answer_distribution(model, SMALL.task, targets)
    assert ex["coverage@64"] == passk.coverage(ex["p"], 64) == passk.dataset_pass_at_k(ex["p"], 64)
    distinct, modes, off_top = [], [], []
    for row, ok in zip(probs.numpy(), correct.numpy(), strict=True):  # one prompt at a time, by hand
        mass = row[ok]  # pi(y) of the prompt's correct answers
        distinct.append(sum(1 - (1 - q) ** 32 for q in mass))
        modes.append(int((mass > metrics.MODE_THRESHOLD).sum()))
        off_top.append(mass.sum() - mass.max())
    assert ex["distinct_correct"] == pytest.approx(np.mean(distinct), rel=1e-9)
    assert ex["modes"] == np.mean(modes)
    assert threshold is None or ex["modes"] > 0
    assert ex["mass_off_top"] == pytest.approx(np.mean(off_top), abs=1e-9)
    sm = sampled_metrics(model, SMALL.task, targets, ks=(1, 4), m=32, generator=torch.Generator().manual_seed(0))
    assert np.isnan(sm["coverage@64"])  # no unbiased estimate of pass@64 from 32 samples
    sm = sampled_metrics(
        model, SMALL.task, targets, ks=(1, 4), m=32, generator=torch.Generator().manual_seed(0), k_cover=16
    )
    assert sm["coverage@16"] == pytest.approx(float(np.mean(passk.pass_at_k(32, np.round(sm["p"] * 32), 16))))


def test_chen_and_grpo_alpha_are_grpo_times_a_factor_of_c():
    """Within a group both are GRPO times a number that depends on c: Chen's is 0 for c > n - k, alpha_k(c/n) not."""
    for n in range(3, 13):
        for k in range(2, n):
            for c in range(n + 1):
                r = (np.arange(n) < c).astype(float)
                g, ch, ga = (advantages.loss_weights(m, r, k=k) for m in ("grpo", "chen", "grpo_alpha"))
                if c in (0, n):
                    assert not g.any() and not ch.any() and not ga.any()
                    continue
                np.testing.assert_allclose(ga, passk.alpha_k(c / n, k) * g, rtol=1e-12, atol=1e-15)
                factor = ch[0] / g[0]  # one factor for the whole group: correct and wrong samples alike
                np.testing.assert_allclose(ch, factor * g, rtol=1e-9, atol=1e-12)
                assert (factor == 0) == (c > n - k), (n, k, c, factor)
                assert passk.alpha_k(c / n, k) > 0


def test_update_norm_is_the_step_adam_took():
    state = make_state(SMALL)
    before = [p.detach().clone() for p in state.model.parameters()]
    row = rl_step(state)
    moved = torch.cat([(p.detach() - b).flatten() for p, b in zip(state.model.parameters(), before, strict=True)])
    assert row["train/update_norm"] == pytest.approx(float(moved.norm()), rel=1e-5)
    assert row["train/update_norm"] > 0 and row["train/grad_norm"] > 0


def test_diagnostics_read_a_history():
    from course_lib.lab.diagnostics import (
        common_level,
        delta_split,
        matched_row,
        mean_sd,
        mean_sd_text,
        paired,
        run_diagnostics,
    )

    h = train(dataclasses.replace(SMALL, steps=12, eval_every=4), progress=False).history
    rows = evaluated(h)
    split = delta_split(h, 4)
    assert split.total == split.rose + split.fell
    # the logged per-prompt p are rounded to 6 decimals; the logged delta@4 is not
    assert split.total == pytest.approx(rows[-1]["seen/delta@4"] - rows[0]["seen/delta@4"], abs=1e-5)
    assert split.n_rose + split.n_fell + split.n_same == len(rows[0]["seen/p"])
    top = max(r["seen/pass@1"] for r in rows)
    assert matched_row(h, top + 1e-9) is None
    assert matched_row(h, top)["seen/pass@1"] == top
    first = matched_row(h, rows[0]["seen/pass@1"])
    assert first["step"] == 0
    level = common_level([h])
    assert level <= top < level + 0.05
    d = run_diagnostics(h, 4, SMALL.k_cover, level)
    assert d["seen/delta@4 change"] == split.total and d["seen/prompts J_1 fell"] == split.n_fell
    assert d["held/coverage@64 change"] == rows[-1]["held/coverage@64"] - rows[0]["held/coverage@64"]
    assert d["matched/step"] == matched_row(h, level)["step"]
    assert d["matched/held/coverage@64"] == matched_row(h, level)["held/coverage@64"]
    assert np.isnan(run_diagnostics(h, 4, SMALL.k_cover, 2.0)["matched/seen/delta@4"])
    assert mean_sd([1.0, 2.0, 3.0]) == (2.0, 1.0) and mean_sd([5.0]) == (5.0, 0.0)
    assert mean_sd_text([1.0, 2.0, 3.0], ".2f") == "2.00 ± 1.00"
    assert paired([1, 2, 3], [0, 2, 4]) == (1, 1)


def test_same_seed_same_metrics_and_other_seed_differs():
    a = train(SMALL, progress=False).history
    b = train(SMALL, progress=False).history
    c = train(dataclasses.replace(SMALL, seed=1), progress=False).history
    assert strip_time(a) == strip_time(b)
    assert strip_time(a) != strip_time(c)
    assert len(evaluated(a)) == 1 + SMALL.steps // SMALL.eval_every
    p = np.array(a[0]["seen/p"])  # per-prompt pass@1; the logged alpha is their mean alpha_k
    assert len(p) == len(SMALL.task.seen_targets)
    assert a[0]["seen/alpha@4"] == pytest.approx(float(np.mean(passk.alpha_k(p, 4))), rel=1e-4)
    assert a[0]["seen/pass@1"] == pytest.approx(float(p.mean()), abs=1e-6)


def test_resume_equals_uninterrupted_run(tmp_path):
    full = train(SMALL, progress=False).history

    def stop_at_8(history):
        if history[-1]["step"] == 8:
            raise KeyboardInterrupt  # what Ctrl-C does in a notebook

    part = train(SMALL, tmp_path / "run", progress=False, callback=stop_at_8)
    assert part.interrupted and part.step == 8
    assert len(read_history(tmp_path / "run")) == 9  # steps 0..8 saved
    resumed = train(SMALL, tmp_path / "run", progress=False)
    assert not resumed.interrupted and resumed.step == SMALL.steps
    assert strip_time(resumed.history) == strip_time(full)
    assert strip_time(load_checkpoint(tmp_path / "run" / "checkpoint.pt").history) == strip_time(full)
    with pytest.raises(ValueError, match="different config"):
        train(dataclasses.replace(SMALL, seed=5), tmp_path / "run", progress=False)


def test_grpo_collapses_the_exploration_gap_on_seen_targets():
    """Regression: with the default warm start, 60 GRPO steps shrink seen Δ(4) by more than half."""
    cfg = LabConfig(steps=60, eval_every=60, threads=1, device="cpu")
    h = evaluated(train(cfg, progress=False).history)
    start, end = h[0], h[-1]
    assert 0.05 < start["seen/pass@1"] < 0.3  # the warm start sits in the range
    assert start["held/pass@1"] < start["seen/pass@1"]
    assert start["seen/distinct_correct"] > 1.5
    assert end["seen/delta@4"] < 0.5 * start["seen/delta@4"]
    assert end["seen/pass@1"] > start["seen/pass@1"]


def test_pkpo_anneals_k_and_weights_are_in_sum_form():
    cfg = dataclasses.replace(SMALL, objective="pkpo", k=4, steps=10, anneal_frac=0.5)
    assert [current_k(cfg, s) for s in range(10)] == [4] * 5 + [1] * 5
    assert [current_k(dataclasses.replace(cfg, objective="chen"), s) for s in range(10)] == [4] * 10
    assert current_k(dataclasses.replace(SMALL, objective="grpo"), 0) == 1
    r = torch.tensor([[1.0, 0, 0, 0, 0, 0, 0, 0]])
    torch.testing.assert_close(objective_weights("grpo", r, 1).sum(), torch.tensor(0.0), atol=1e-6, rtol=0)
    assert objective_weights("pkpo", r, 1).shape == (1, 8)


@pytest.mark.parametrize("objective", sorted(advantages.ESTIMATORS))
def test_the_lab_weights_are_the_registry_weights(objective):
    """objective_weights is loss_weights (sum form); the lab's objectives are the registry's keys."""
    est = advantages.ESTIMATORS[objective]
    if est.needs:
        pytest.skip(f"{objective} needs {est.needs}")
    r = (torch.rand(6, 8, generator=torch.Generator().manual_seed(0)) < 0.4).float()
    w = objective_weights(objective, r, 4)
    assert isinstance(w, torch.Tensor) and w.shape == r.shape
    assert torch.equal(w, advantages.loss_weights(objective, r, k=4))
    cfg = dataclasses.replace(SMALL, objective=objective, steps=10)
    k_at = [advantages.k_at_step(objective, s, 10, cfg.k, cfg.anneal_frac) for s in range(10)]
    assert [current_k(cfg, s) for s in range(10)] == (k_at if est.uses_k else [1] * 10)


def test_a_newly_registered_method_trains_in_the_lab_with_no_other_change(tmp_path):
    """Register a tiny method (it uses k, the answer ids and a state of its own); lab and CLI train it."""

    @advantages.register(
        "tiny_lab_test",
        summary="a test: GRPO centring times k",
        reference="tests/test_lab.py",
        needs=("answer_ids", "state"),
    )
    def _tiny(group, k, scale: float = 1.0):
        group.state["calls"] = group.state.get("calls", 0) + 1
        assert group.answer_ids.shape == group.rewards.shape and group.answer_ids.max() < 1000
        return scale * k * (group.rewards - group.rewards.mean(-1, keepdim=True))

    try:
        cfg = dataclasses.replace(SMALL, objective="tiny_lab_test", steps=2, eval_every=2)
        state = train(cfg, progress=False)
        assert state.step == 2 and state.estimator_state == {"calls": 2}
        assert [row["train/k"] for row in state.history[1:]] == [cfg.k, cfg.k]
        assert np.isfinite(state.history[-1]["train/grad_norm"]) and state.history[-1]["train/grad_norm"] > 0
        from course_lib.cli import main

        common = ["--steps", "2", "--eval-every", "2", "--d-model", "32", "--prompts-per-step", "8"]
        common += ["--threads", "1", "--device", "cpu", "--warm-steps", "60", "--quiet"]
        assert main(["lab", "run", "--objective", "tiny_lab_test", "--out", str(tmp_path / "t"), *common]) == 0
        assert [r["step"] for r in read_history(tmp_path / "t")] == [0, 1, 2]
        assert load_checkpoint(tmp_path / "t" / "checkpoint.pt").estimator_state == {"calls": 2}
    finally:
        del advantages.ESTIMATORS["tiny_lab_test"]


def test_cli_lists_every_registered_objective_with_its_summary(capsys, monkeypatch):
    from course_lib.cli import main

    monkeypatch.setenv("COLUMNS", "10000")  # no wrapping (argparse would break "loo-1" at the hyphen)
    with pytest.raises(SystemExit):
        main(["lab", "run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for key, est in advantages.ESTIMATORS.items():
        assert f"{key} = {' '.join(est.summary.split())}" in text


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"objective": "ppo"}, "objective"),
        ({"objective": "passk"}, "objective"),  # the old lab key: no alias
        ({"objective": "chen", "k": 8, "n": 8}, "k must satisfy"),
        ({"objective": "pkpo", "k": 1}, "k must satisfy"),
        ({"steps": 0}, "steps"),
        ({"lr": -1.0}, "lr"),
        ({"anneal_frac": 2.0}, "anneal_frac"),
    ],
)
def test_bad_config(kw, match):
    with pytest.raises(ValueError, match=match):
        LabConfig(**kw)


def test_config_round_trips_through_json():
    cfg = dataclasses.replace(SMALL, objective="chen", held_out=(2, 7))
    assert LabConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


def test_cli_run_and_compare(tmp_path, capsys):
    from course_lib.cli import main

    common = [
        "--steps",
        "4",
        "--eval-every",
        "2",
        "--d-model",
        "32",
        "--prompts-per-step",
        "4",
        "--threads",
        "1",
        "--device",
        "cpu",
        "--warm-steps",
        "60",
        "--quiet",
    ]
    assert main(["lab", "run", "--objective", "grpo", "--out", str(tmp_path / "a"), *common]) == 0
    assert main(["lab", "run", "--objective", "chen", "--k", "2", "--out", str(tmp_path / "b"), *common]) == 0
    rows = read_history(tmp_path / "a")
    assert [r["step"] for r in rows] == [0, 1, 2, 3, 4] and (tmp_path / "a" / "chart.html").exists()
    assert main(["lab", "run", "--objective", "grpo", "--seed", "1", "--out", str(tmp_path / "a1"), *common]) == 0
    capsys.readouterr()
    runs = [str(tmp_path / name) for name in ("a", "b", "a1")]
    assert main(["lab", "compare", *runs, "--out", str(tmp_path / "c.html")]) == 0
    assert (tmp_path / "c.html").stat().st_size > 1000
    table = [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]
    assert "Δ(2)" in table[0] or "Δ(4)" in table[0]
    body = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in table[2:]}
    assert body == {"grpo": "2", "chen": "1"}  # the two grpo seeds share a row


def test_chart_tables_hold_every_evaluated_point():
    from course_lib.lab.charts import lab_chart, lab_tables, summary_rows

    h = train(SMALL, progress=False).history
    t = lab_tables({("grpo", 0): h}, k=4)["lab"]
    assert (t["metric"] == "pass@1 (seen)").sum() == len(evaluated(h))
    lab_chart({("grpo", 0): h}, k=4).to_dict()  # a valid Vega-Lite spec
    row = summary_rows({("grpo", 0): h, ("grpo", 1): h}, k=4)[0]
    assert row["seeds"] == 2 and row["seen/delta@4 end sd"] == 0.0


def test_sampled_evaluation_mode_is_deterministic_and_close_to_exact():
    cfg = dataclasses.replace(SMALL, steps=4, eval_every=4, exact_eval=False, eval_samples=64)
    a = evaluated(train(cfg, progress=False).history)
    b = evaluated(train(cfg, progress=False).history)
    assert strip_time(a) == strip_time(b)
    exact = evaluated(train(dataclasses.replace(cfg, exact_eval=True), progress=False).history)
    assert a[-1]["seen/pass@1"] == pytest.approx(exact[-1]["seen/pass@1"], abs=0.03)  # 24 x 64 samples


def test_entropy_bonus_reaches_all_fail_groups():
    """Unlike any advantage, the entropy bonus gives all-fail groups a non-zero gradient."""
    state = make_state(SMALL)
    roll = sample_answers(
        state.model, SMALL.task.prompts(torch.tensor([1, 26])), 8, 3, generator=torch.Generator().manual_seed(0)
    )
    (-0.01 * roll.entropy.mean()).backward()
    assert any(p.grad.abs().sum() > 0 for p in state.model.parameters())


def test_reproducible_pins_threads_and_deterministic_algorithms_then_restores():
    import torch.utils.deterministic as det

    from course_lib.lab._runtime import reproducible

    before = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(), det.fill_uninitialized_memory)
    with reproducible(1):
        # NaN-filling fresh memory (a debugging aid of deterministic mode) would cost time every step
        inside = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(), det.fill_uninitialized_memory)
    assert inside == (1, True, False)
    assert (
        torch.get_num_threads(),
        torch.are_deterministic_algorithms_enabled(),
        det.fill_uninitialized_memory,
    ) == before


def test_warm_start_cache_is_keyed_by_the_code_that_trains_it(monkeypatch, tmp_path):
    """A changed model (same configs) must never load a stale checkpoint."""
    from course_lib.lab import base_model

    monkeypatch.setenv("PASSK_CACHE", str(tmp_path))
    cfg = dataclasses.replace(SMALL, warm=WarmStartConfig(steps=2))
    a = warm_start(cfg.model_config, cfg.task, cfg.warm, threads=1)
    assert len(list(tmp_path.glob("warm-*.pt"))) == 1
    b = warm_start(cfg.model_config, cfg.task, cfg.warm, threads=1)  # cached: the same weights
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))
    monkeypatch.setattr(base_model, "_code_version", lambda: "another model")
    warm_start(cfg.model_config, cfg.task, cfg.warm, threads=1)
    assert len(list(tmp_path.glob("warm-*.pt"))) == 2


def test_cpu_kernels_are_pinned_where_the_cpu_has_avx2():
    """Chapter 6's committed table repeats bit for bit on any AVX2 CPU only if AVX-512 ones use the same kernels."""
    import torch

    from course_lib.lab._runtime import cpu_kernels

    if not torch.cpu._is_avx2_supported():
        pytest.skip("no AVX2 on this CPU: the lab leaves the kernels unpinned")
    assert cpu_kernels() == "AVX2"
    assert torch.backends.cpu.get_cpu_capability() == "AVX2"
