"""Executable spec of the lab's fair comparison: readings, baselines, the sweep, parallel runs, verdicts."""

import dataclasses
import itertools
import json

import numpy as np
import pytest

from course_lib import stats
from course_lib.lab import LabConfig, WarmStartConfig
from course_lib.lab import experiments as E
from course_lib.lab.compare import FAMILY, compare_methods, dump
from course_lib.lab.methods import METHODS, baseline_readings, run_method
from course_lib.lab.metrics import cover_at_tau
from course_lib.lab.report import paired, power_table, prompt_changes, summary, tuning_table, values, verdicts
from course_lib.lab.tuning import best_rates, choose_rate, score, tune

SMALL = LabConfig(
    d_model=32, prompts_per_step=8, n=8, steps=12, eval_every=3, threads=1, warm=WarmStartConfig(steps=60), device="cpu"
)


pytestmark = pytest.mark.usefixtures("passk_cache")  # warm starts in a temporary cache (conftest.py)


# ----------------------------------------------------------------------------- baselines
def test_uniform_guesser_readings_hand_computed():
    """Digit sums of 3 digits counted by brute force; the guesser puts 1/1000 on every answer."""
    count = np.zeros(28)
    for digits in itertools.product(range(10), repeat=3):
        count[sum(digits)] += 1
    cfg = LabConfig(device="cpu")
    held = np.array(cfg.held_out)
    seen = np.array([t for t in range(28) if t not in held])
    g = baseline_readings(dataclasses.replace(cfg, warm=WarmStartConfig(steps=60)))["guesser"]
    p_held = count[held] / 1000
    assert g["held/pass@8"] == pytest.approx(np.mean(1 - (1 - p_held) ** 8), rel=1e-12)
    assert g["held/coverage@64"] == pytest.approx(np.mean(1 - (1 - p_held) ** 64), rel=1e-12)
    assert g["held/coverage@256"] == pytest.approx(np.mean(1 - (1 - p_held) ** 256), rel=1e-12)
    assert round(g["held/pass@8"], 3) == 0.090 and round(g["held/coverage@64"], 3) == 0.459
    assert round(g["held/coverage@256"], 3) == 0.766
    # each correct answer appears among m = 32 samples with probability 1 - 0.999^32
    assert g["seen/distinct_correct"] == pytest.approx(np.mean(count[seen]) * (1 - 0.999**32), rel=1e-12)
    assert round(g["seen/distinct_correct"], 2) == 1.25
    assert g["held/cover@0.1"] == g["seen/cover@0.1"] == 0.0  # no target has 100 solutions of 1000


def test_cover_at_tau():
    assert cover_at_tau([0.0, 0.05, 0.1, 0.8], 0.1) == 0.5
    assert cover_at_tau([0.2, 0.3], 0.5) == 0.0 and cover_at_tau([1.0], 1.0) == 1.0
    with pytest.raises(ValueError, match="tau must lie in"):
        cover_at_tau([0.5], 0.0)


# ----------------------------------------------------------------------------- one run, read twice
def test_run_reads_at_the_first_evaluation_reaching_the_target_and_at_the_end():
    row = run_method("grpo", 0, SMALL, 0.0)  # target 0: the first evaluation (step 3) is the matched one
    assert row["reached"] and row["steps"] == SMALL.eval_every
    assert row["trajectory"]["step"] == [3, 6, 9, 12]
    assert row["seen/pass@1 eval"] == pytest.approx(row["trajectory"]["seen/pass@1"][0], abs=1e-6)
    assert row["end"]["seen/pass@1"] == pytest.approx(row["trajectory"]["seen/pass@1"][-1], abs=1e-6)
    assert row["matched"] != row["end"]
    never = run_method("grpo", 0, SMALL, 1.1)  # unreachable: matched is read at the end
    assert not never["reached"] and never["matched"] == never["end"] and never["steps"] == SMALL.steps
    quick = run_method("grpo", 0, SMALL, 0.0, stop_at_target=True)
    assert set(quick) == {"method", "seed", "lr", "reached", "steps", "seen/pass@1 eval"} and quick["steps"] == 3


def test_temperature_readings_and_grpo_alpha_is_a_method():
    from course_lib.lab.methods import base_curves

    assert "grpo_alpha" in METHODS
    temps = {t: base_curves(SMALL, t) for t in (0.6, 1.0)}
    row = run_method("grpo_alpha", 1, SMALL, 0.5, temperatures=temps)
    at1 = row["temperatures"]["1.0"]
    assert at1["held/k_star"] == row["end"]["held/k_star"]  # the same policy at its training temperature
    assert at1["held/curve"][0] == pytest.approx(row["end"]["held/pass@1"], abs=1e-6)
    assert len(row["temperatures"]["0.6"]["seen/curve"]) == 11


# ----------------------------------------------------------------------------- parallel = serial
def test_jobs_2_gives_the_rows_of_jobs_1_bit_for_bit():
    kw = dict(methods=("grpo", "kl_reset"), seeds=(0, 1), base=SMALL, target=0.5, temperatures=(1.2,), progress=False)
    one, two = compare_methods(jobs=1, **kw), compare_methods(jobs=2, **kw)
    assert json.loads(json.dumps(one["rows"])) == json.loads(json.dumps(two["rows"]))
    assert [(r["method"], r["seed"]) for r in two["rows"]] == [
        ("grpo", 0),
        ("grpo", 1),
        ("kl_reset", 0),
        ("kl_reset", 1),
    ]
    assert json.loads(dump(one))["rows"] == json.loads(json.dumps(one["rows"]))  # dump is plain JSON
    lines = summary(one, "end")
    assert [line["method"] for line in lines] == ["base", "guesser", "grpo", "kl_reset"]


# ----------------------------------------------------------------------------- the sweep
def test_tuning_score_and_rule():
    assert score([30, 40, 150], [True, True, False], 150) == pytest.approx(370 / 3)
    assert choose_rate({1e-3: 40.0, 2e-3: 32.0, 4e-3: 32.0}) == 2e-3


def test_tune_widens_the_grid_and_records_the_choice():
    out = tune(("grpo",), (1e-3, 2e-3), (100,), SMALL, 1.1, max_widen=2, progress=False)  # target never reached
    assert out["rates"] == [2.5e-4, 5e-4, 1e-3, 2e-3]  # every rate ties at 2 x budget: the smallest, widened down
    assert out["best"]["grpo"] == {"lr": 2.5e-4, "score": 2.0 * SMALL.steps, "interior": False}
    assert out["provenance"]["criterion"]["rule"].startswith("the rate with the smallest score")
    assert best_rates(out) == out["best"] and tuning_table(out)[0]["0.00025"].endswith("*")


# ----------------------------------------------------------------------------- verdicts
def _fake_results(diffs: dict, seeds=range(20)):
    """Rows whose metrics are the reference's plus a fixed difference plus seeded noise."""
    rng = np.random.default_rng(0)
    rows = []
    for method, d in diffs.items():
        for s in seeds:
            reading = {key: 0.5 + d + 0.05 * rng.standard_normal() for key in FAMILY["metrics"]}
            rows.append({"method": method, "seed": s, "reached": True, "steps": 30, "matched": reading, "end": reading})
    prov = {"seeds": list(seeds), "methods": {m: {"lr": 1e-3} for m in diffs}}
    return {"provenance": prov, "rows": rows}


def test_verdicts_are_holm_corrected_over_the_declared_family():
    results = _fake_results({"grpo": 0.0, "a": 0.3, "b": 0.0})
    out = verdicts(results)
    assert len(out) == 2 * len(FAMILY["readings"]) * len(FAMILY["metrics"]) and out[0]["tests"] == len(out)
    adjusted, reject = stats.holm([v["p"] for v in out], FAMILY["alpha"])
    assert [v["p_holm"] for v in out] == adjusted.tolist() and [v["separated"] for v in out] == reject.tolist()
    assert all(v["separated"] for v in out if v["method"] == "a")
    c = paired(results, "a", "end", FAMILY["metrics"][0])
    assert c.mean == pytest.approx(
        np.mean(
            values(results, "a", "end", FAMILY["metrics"][0]) - values(results, "grpo", "end", FAMILY["metrics"][0])
        )
    )
    power = power_table(results)
    assert power[0]["level"] == FAMILY["alpha"] / len(out)
    first = power[0]
    assert stats.power(
        first["detectable difference"], first["median sd of differences"], 20, first["level"]
    ) == pytest.approx(0.8, abs=1e-6)


# ----------------------------------------------------------------------------- Barakat et al.'s reading
def test_prompt_changes_hand_made():
    rows = [
        {"arm": "grpo", "seed": 0, "trajectory": {"seen/p": [[0.5, 0.5, 0.5], [0.9, 0.6, 0.2]]}},
        {"arm": "chen", "seed": 0, "trajectory": {"seen/p": [[0.5, 0.5, 0.5], [0.7, 0.8, 0.05]]}},
    ]
    ch = prompt_changes({"rows": rows, "base_seen_p": [0.8, 0.3, 0.1]}, "chen")
    assert ch["fell"].tolist() == [[True, False, True]]  # 0.7 < 0.8, 0.05 < 0.1
    assert ch["behind"].tolist() == [[True, False, True]]  # 0.7 < 0.9, 0.05 < 0.2
    assert ch["high"].tolist() == [[True, False, False]]  # base pass@1 above the median 0.3


def test_tune_prorl_and_barakat_run_from_the_cli(tmp_path):
    from course_lib.cli import main

    tiny = ["--steps", "6", "--seeds", "0", "--device", "cpu", "--quiet", "--target", "0.5"]
    tuned = tmp_path / "tune.json"
    assert (
        main(
            ["lab", "tune", "--methods", "grpo", "chen", "pkpo", "--rates", "1e-3", "2e-3", *tiny, "--out", str(tuned)]
        )
        == 0
    )
    best = json.loads(tuned.read_text())["best"]
    assert set(best) == {"grpo", "chen", "pkpo"} and tuned.with_suffix(".md").exists()
    for name in ("prorl", "barakat"):
        out = tmp_path / f"{name}.json"
        assert main(["lab", name, "--rates-from", str(tuned), *tiny, "--out", str(out)]) == 0
        results = json.loads(out.read_text())
        assert {r["arm"] for r in results["rows"]} == set((E.PRORL if name == "prorl" else E.BARAKAT)["arms"])
    prolonged = json.loads((tmp_path / "prorl.json").read_text())
    assert prolonged["provenance"]["config"]["steps"] == 4 * 6 and prolonged["provenance"]["lr"] == best["grpo"]["lr"]
    assert set(prolonged["rows"][0]["at"]) == {"6", "12", "18"}
    bk = json.loads((tmp_path / "barakat.json").read_text())
    assert bk["provenance"]["config"]["n"] == 32 and bk["provenance"]["config"]["k"] == 16
    pkpo_row = next(r for r in bk["rows"] if r["arm"] == "pkpo")
    assert pkpo_row["lr"] == best["pkpo"]["lr"] and len(pkpo_row["trajectory"]["seen/p"][0]) == 24


# ----------------------------------------------------------------------------- the committed experiments
def test_committed_prorl_and_barakat_files_have_provenance_and_paired_seeds():
    from pathlib import Path

    from course_lib.lab import report

    results = Path(__file__).resolve().parents[1] / "results"
    tuned = {m: b["lr"] for m, b in json.loads((results / "ch06_tuning.json").read_text())["best"].items()}
    pro = json.loads((results / "ch06_prorl.json").read_text())
    prov = pro["provenance"]
    assert prov["config"]["steps"] >= 4 * 150 and prov["lr"] == tuned["grpo"] and len(prov["seeds"]) >= 5
    assert {(r["arm"], r["seed"]) for r in pro["rows"]} == {
        (a, s) for a in prov["design"]["arms"] for s in prov["seeds"]
    }
    assert len(report.prorl_table(pro)) == len(prov["design"]["arms"]) * (len(prov["read_at"]) + 1)
    bk = json.loads((results / "ch06_barakat.json").read_text())
    prov = bk["provenance"]
    assert (prov["config"]["n"], prov["config"]["k"]) == (32, 16) and len(prov["seeds"]) >= 5
    assert prov["rates"] == {arm: tuned[arm] for arm in prov["design"]["arms"]}
    assert len(bk["base_seen_p"]) == 24 and len(report.barakat_table(bk)) == len(prov["design"]["arms"])
