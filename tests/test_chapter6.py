"""Executable spec of chapter 6 in the lab: hyper-parameters, the KL term, the method comparison."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from same_numbers import differences  # tests/same_numbers.py

from course_lib import advantages, passk
from course_lib.lab import LabConfig, WarmStartConfig, train
from course_lib.lab._runtime import cpu_kernels
from course_lib.lab.compare import rerun
from course_lib.lab.loop import load_checkpoint
from course_lib.lab.methods import METHODS, crossover, method_config, pass_curve
from course_lib.lab.report import summary

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results" / "ch06_comparison.json"
TUNING = ROOT / "results" / "ch06_tuning.json"
SMALL = LabConfig(
    d_model=32, prompts_per_step=8, n=8, steps=6, eval_every=3, threads=1, warm=WarmStartConfig(steps=60), device="cpu"
)
NEW = [
    "psr",
    "nsr",
    "w_reinforce",
    "batch_explore",
    "ucb_explore",
    "unlikely",
    "clip_cov",
    "entropy_bonus",
    "kl",
    "kl_reset",
]


pytestmark = pytest.mark.usefixtures("passk_cache")  # warm starts in a temporary cache (conftest.py)


def strip_time(history):
    return [{k: v for k, v in row.items() if k != "time/s"} for row in history]


@pytest.mark.parametrize("method", NEW)
def test_same_seed_same_metrics_for_every_new_method(method):
    cfg = method_config(method, 3, SMALL)
    if method == "kl_reset":  # a reset inside the short run
        cfg = dataclasses.replace(cfg, ref_reset_every=2)
    a, b = train(cfg, progress=False), train(cfg, progress=False)
    assert strip_time(a.history) == strip_time(b.history)
    other = train(dataclasses.replace(cfg, seed=4), progress=False)
    assert strip_time(other.history) != strip_time(a.history)


def test_params_reach_the_estimator():
    """lam = 1 makes W-REINFORCE differ from lam = 0.1; lam = 0 is NSR exactly (same samples, same steps)."""

    def run(obj, **p):
        return strip_time(train(dataclasses.replace(SMALL, objective=obj, params=p), progress=False).history)

    nsr, w0 = run("nsr"), run("w_reinforce", lam=0.0)
    assert nsr == w0
    assert run("w_reinforce", lam=1.0) != run("w_reinforce", lam=0.1)


def test_params_round_trip_through_json():
    cfg = dataclasses.replace(SMALL, objective="ucb_explore", params={"c": 0.2})
    assert cfg.params == (("c", 0.2),) and cfg.method_params == {"c": 0.2}
    assert LabConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"objective": "w_reinforce", "params": {"lam": -0.5}}, "lam must be"),
        ({"objective": "ucb_explore", "params": {"c": 0.0}}, "UCB constant"),
        ({"objective": "ucb_explore", "params": {"c": -1.0}}, "UCB constant"),
        ({"objective": "w_reinforce", "params": {"beta": 1.0}}, "no hyper-parameter 'beta'"),
        ({"objective": "chen", "k": 9, "n": 8}, "k must satisfy"),
        ({"kl_coef": -0.1}, "kl_coef"),
        ({"objective": "no_such_method"}, "objective must be one of"),
    ],
)
def test_bad_hyper_parameters(kw, match):
    with pytest.raises(ValueError, match=match):
        LabConfig(**kw)


@pytest.mark.parametrize(
    "flags, match",
    [
        (["--objective", "w_reinforce", "--param", "lam=-1"], "lam must be"),
        (["--objective", "ucb_explore", "--param", "c=0"], "UCB constant"),
        (["--objective", "chen", "--k", "8", "--n", "8"], "k must satisfy"),
    ],
)
def test_cli_bad_hyper_parameters_give_one_error_line(flags, match, capsys, tmp_path):
    from course_lib.cli import main

    assert main(["lab", "run", *flags, "--out", str(tmp_path / "x"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and match in err[0] and err[0].startswith("passk lab run: error:")


def test_cli_unknown_objective_is_refused(capsys, tmp_path):
    from course_lib.cli import main

    with pytest.raises(SystemExit):
        main(["lab", "run", "--objective", "nope", "--out", str(tmp_path / "x")])
    assert "invalid choice: 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("objective", sorted(advantages.ESTIMATORS))
def test_lab_run_cli_trains_every_registered_method(objective, tmp_path):
    from course_lib.cli import main

    flags = ["--steps", "2", "--eval-every", "2", "--d-model", "32", "--prompts-per-step", "4", "--threads", "1"]
    flags += ["--device", "cpu", "--warm-steps", "60", "--quiet", "--k", "2", "--n", "4"]
    assert main(["lab", "run", "--objective", objective, "--out", str(tmp_path / objective), *flags]) == 0


def test_kl_is_zero_at_the_first_step_and_after_each_reset():
    """The reference is the warm-started model: the first batch is drawn from pi = pi_ref (k3 = 0 exactly)."""
    cfg = dataclasses.replace(SMALL, kl_coef=0.5, ref_reset_every=3)
    h = train(cfg, progress=False).history
    kl = [row["train/kl"] for row in h[1:]]
    assert kl[0] == 0.0 and kl[3] == 0.0  # steps 1 and 4 (the reference was reset before step 4)
    assert all(x > 0 for x in kl[1:3] + kl[4:])


def test_kl_run_resumes_exactly(tmp_path):
    cfg = dataclasses.replace(SMALL, kl_coef=0.2, ref_reset_every=4)
    full = train(cfg, progress=False)
    train(dataclasses.replace(cfg, steps=3), tmp_path / "r", progress=False)
    state = load_checkpoint(tmp_path / "r" / "checkpoint.pt")
    state.cfg = cfg  # continue to the full length
    assert strip_time(train(state, progress=False).history) == strip_time(full.history)


def test_pass_curve_and_crossover():
    p = np.array([0.0, 0.3, 1.0])
    curve = pass_curve(p, 16)
    for k in (1, 4, 16):
        assert curve[k - 1] == pytest.approx(passk.dataset_pass_at_k(p, k), abs=1e-15)
    # a peaked policy (one prompt solved) against a flat one (both at 0.4): the flat one wins from k = 2
    peaked, flat = pass_curve([0.8, 0.0]), pass_curve([0.4, 0.4])
    assert crossover(flat, peaked) == 2 and crossover(peaked, flat) is None


# ----------------------------------------------------------------------------- the committed table
def test_committed_table_has_provenance_paired_seeds_and_every_method():
    results = json.loads(RESULTS.read_text())
    prov = results["provenance"]
    assert {"command", "config", "seeds", "code_hash", "torch", "target", "cpu_kernels", "family", "wall_s"} <= set(
        prov
    )
    assert set(prov["methods"]) == set(METHODS) and "grpo_alpha" in prov["methods"]
    assert len(prov["seeds"]) >= 20
    assert not set(prov["rates_from"]["seeds"]) & set(prov["seeds"])  # tuning seeds never evaluated
    assert {(r["method"], r["seed"]) for r in results["rows"]} == {
        (m, s) for m in prov["methods"] for s in prov["seeds"]
    }
    tuned = json.loads(TUNING.read_text())
    assert {m: b["lr"] for m, b in tuned["best"].items()} == {m: spec["lr"] for m, spec in prov["methods"].items()}
    assert all(b["interior"] for b in tuned["best"].values())  # every best rate inside the grid
    assert [line["method"] for line in summary(results)] == ["base", "guesser", *prov["methods"]]


def test_one_row_of_the_committed_table_regenerates_exactly():
    """Runs are deterministic on CPU with pinned threads: one (method, seed) row is recomputed from scratch.

    Equal to the committed row up to the last bits of its floats (tests/same_numbers.py): NumPy's own
    kernels (AVX-512 or not) may change a sum's last bit; a run that sampled differently would differ at once.
    """
    results = json.loads(RESULTS.read_text())
    prov = results["provenance"]
    assert LabConfig.from_dict(prov["config"]).device == "cpu"
    if prov["cpu_kernels"] != cpu_kernels():  # e.g. an ARM machine: its own kernels, its own last bits
        pytest.skip(f"the table was made with CPU kernels {prov['cpu_kernels']}, this machine has {cpu_kernels()}")
    seed = prov["seeds"][0]
    committed = next(r for r in results["rows"] if r["method"] == "grpo" and r["seed"] == seed)
    assert differences(json.loads(json.dumps(rerun(results, "grpo", seed))), committed) == []


def test_differences_sees_a_changed_digit_and_forgives_the_last_bit():
    assert differences({"x": [0.8739287864479471, 3, None]}, {"x": [0.873928786447947, 3, None]}) == []
    assert differences({"x": [0.87392, 3]}, {"x": [0.87393, 3]}) == ["/x[0]: 0.87392 != 0.87393"]
    assert differences({"x": 1}, {"x": True}) and differences({"x": 1}, {"y": 1}) and differences([1], [1, 2])


def test_compare_methods_cli_writes_results_with_provenance(tmp_path, capsys):
    from course_lib.cli import main

    out = tmp_path / "cmp.json"
    flags = ["--methods", "grpo", "kl", "--seeds", "0", "--steps", "10", "--target", "0.5", "--device", "cpu"]
    flags += ["--temperatures", "1.2", "--jobs", "2"]
    assert main(["lab", "compare-methods", *flags, "--out", str(out), "--quiet"]) == 0
    results = json.loads(out.read_text())
    assert [r["method"] for r in results["rows"]] == ["grpo", "kl"]
    assert results["provenance"]["seeds"] == [0] and len(results["provenance"]["code_hash"]) == 16
    assert results["provenance"]["jobs"] == 2 and list(results["rows"][0]["temperatures"]) == ["1.2"]
    assert "| grpo |" in out.with_suffix(".md").read_text()
    assert main(["lab", "compare-methods", "--methods", "nope", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown method 'nope'" in err[0]
    assert main(["lab", "compare-methods", "--rates-from", str(tmp_path / "none.json"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot read rates from" in err[0]
