"""course_lib.integrations without verl or TRL installed (the main suite; the real trainers: ``make test-verl``).

The claims: the integrations import NumPy only (torch, verl and TRL load when a trainer calls them);
``passk doctor`` reports both integrations; the verl adapter's NumPy core groups, scales and refuses as
documented; the methods offered to TRL sum to zero in every group (what makes TRL's mean baseline
harmless), and the TRL reward transform refuses what it cannot reproduce.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from course_lib.advantages.registry import ESTIMATORS, loss_weights
from course_lib.config import pip_spec
from course_lib.integrations import TRL_INSTALL, TRL_PIN, VERL_CPU, VERL_INSTALL, VERL_VERSION, status
from course_lib.integrations import trl as trl_plugin
from course_lib.integrations import verl as verl_plugin

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent


def test_integrations_import_no_trainer_or_torch():
    code = (
        "import sys, course_lib.integrations.verl, course_lib.integrations.trl, course_lib.integrations.verl_main,"
        " course_lib.doctor\n"
        "heavy = sorted(m for m in ('torch', 'verl', 'trl', 'transformers', 'ray') if m in sys.modules)\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_doctor_reports_both_integrations():
    rows = status()
    assert set(rows) == {"verl integration", "TRL integration"}
    assert "verl" in rows["verl integration"] and "TRL" in rows["TRL integration"]


def test_verl_adapter_groups_by_uid_and_scales_by_n():
    scores = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0])
    uids = ["a", "b", "a", "b", "b", "lone", "a"]
    adv = verl_plugin.advantages("passk_chen", scores, uids, {"passk": {"k": 2}})
    for uid in ("a", "b"):
        rows = [i for i, u in enumerate(uids) if u == uid]
        want = len(rows) * loss_weights("chen", scores[rows], k=2)
        assert np.array_equal(adv[rows], want), uid
    assert adv[5] == 0.0  # a group of one: the documented fallback


@pytest.mark.parametrize(
    ("scores", "uids", "config", "match"),
    [
        ([1.0, np.nan, 0.0, 1.0], ["a", "a", "b", "b"], {"passk": {"k": 2}}, r"uid='a' has NaN"),
        ([1.0, 0.5, 0.0, 1.0], ["a", "a", "b", "b"], {"passk": {"k": 2}}, r"uid='a' \(n=2, rewards \[1, 0.5\]\)"),
        ([1.0, 0.0], ["a", "a"], {"passk": {}}, r"set \+\+algorithm.passk.k"),
        ([1.0, 0.0], ["a", "a"], {"passk": {"k": 2, "bogus": 1}}, r"unknown key\(s\) \['bogus'\]"),
        ([1.0, 0.0], ["a", "b"], {"passk": {"k": 1}}, "every group has one response"),
    ],
)
def test_verl_adapter_refuses_with_the_group_named(scores, uids, config, match):
    with pytest.raises(ValueError, match=match):
        verl_plugin.advantages("passk_chen", np.array(scores), uids, config)


@pytest.mark.parametrize("method", trl_plugin.ZERO_SUM)
def test_trl_methods_sum_to_zero_in_every_group(method):
    """Exhaustive over binary groups n = 2..10 and every valid k: |sum_i A_i| stays at float64 rounding."""
    worst = 0.0
    for n in range(2, 11):
        ks = [k for k in range(1, n + 1) if method != "chen_full" or n % k == 0]
        for c in range(n + 1):
            r = np.array([1.0] * c + [0.0] * (n - c))
            for k in ks if ESTIMATORS[method].uses_k else [None]:
                a = n * loss_weights(method, r, k=k)
                worst = max(worst, abs(float(a.sum())) / max(1.0, float(np.abs(a).max())))
    assert worst < 1e-12, (method, worst)


def _acc(prompts, completions, **kw):
    return [float(c == "right") for c in completions]


def test_trl_reward_transform_is_the_course_advantage():
    fn = trl_plugin.group_reward("chen", _acc, num_generations=4, k=2)
    completions = ["right", "wrong", "wrong", "wrong", "wrong", "right", "right", "wrong"]
    out = fn(prompts=["p"] * 4 + ["q"] * 4, completions=completions)
    r = np.array(_acc(None, completions))
    want = np.concatenate([4 * loss_weights("chen", r[:4], k=2), 4 * loss_weights("chen", r[4:], k=2)])
    assert out == want.tolist()
    assert fn.__name__ == "passk_chen"


def test_trl_reward_transform_refuses_what_trl_would_change():
    with pytest.raises(ValueError, match="not exact through TRL"):
        trl_plugin.group_reward("pkpo", _acc, num_generations=4, k=2)
    with pytest.raises(ValueError, match="give k"):
        trl_plugin.group_reward("chen", _acc, num_generations=4)
    fn = trl_plugin.group_reward("chen", _acc, num_generations=4, k=2)
    with pytest.raises(ValueError, match="not whole groups of num_generations=4"):
        fn(prompts=["p"] * 6, completions=["right"] * 6)
    with pytest.raises(ValueError, match="not one prompt repeated 4 times"):
        fn(prompts=["p", "p", "q", "q"], completions=["right"] * 4)
    with pytest.raises(ValueError, match="binary"):
        trl_plugin.group_reward("chen", lambda **kw: [0.5, 1, 0, 0], num_generations=4, k=2)(
            prompts=["p"] * 4, completions=["x"] * 4
        )


def test_trl_check_trainer_on_a_stand_in_trainer():
    """The three silent failures of TRL, refused from the trainer's own attributes (the real trainer: test_trl.py)."""

    class Args:
        scale_rewards, multi_objective_aggregation = "none", "sum_then_normalize"
        per_device_train_batch_size, steps_per_generation, num_generations = 8, 1, 4

    class Trainer:
        args, num_generations = Args, 4
        reward_funcs = [trl_plugin.group_reward("chen", _acc, num_generations=4, k=2)]
        reward_funcs.append(trl_plugin.verifier_reward(reward_funcs[0]))
        reward_weights = [1.0, 0.0]

    trl_plugin.check_trainer(Trainer)
    Trainer.reward_weights = [2.0, 0.0]
    with pytest.raises(ValueError, match="passk_chen has reward weight 2"):
        trl_plugin.check_trainer(Trainer)
    Trainer.reward_weights = [1.0, 0.5]
    with pytest.raises(ValueError, match=r"non-zero weight: passk_verifier \(weight 0.5\)"):
        trl_plugin.check_trainer(Trainer)
    Trainer.reward_weights, Trainer.num_generations = [1.0, 0.0], 8
    with pytest.raises(ValueError, match="built for groups of 4 completions but the trainer's num_generations is 8"):
        trl_plugin.check_trainer(Trainer)
    Trainer.reward_funcs = [_acc]
    with pytest.raises(ValueError, match=r"hold 0 course transforms"):
        trl_plugin.check_trainer(Trainer)


@pytest.mark.skipif(importlib.util.find_spec("trl") is not None, reason="TRL is installed here (make test-verl)")
def test_trl_entry_point_without_trl_says_how_to_install():
    class Args:
        scale_rewards, multi_objective_aggregation, reward_weights = "none", "sum_then_normalize", None
        per_device_train_batch_size, steps_per_generation, num_generations = 8, 1, 4

    with pytest.raises(ImportError, match=r"TRL is not importable .*pip install \"passk-course\[trl\] @ git\+"):
        trl_plugin.grpo_trainer("chen", _acc, k=2, args=Args)


def test_trl_verifier_copy_reuses_the_transforms_rewards():
    calls = []

    def acc(prompts, completions, **kw):
        calls.append(len(completions))
        return _acc(prompts, completions)

    transform = trl_plugin.group_reward("rloo", acc, num_generations=2)
    logged = trl_plugin.verifier_reward(transform)
    completions = ["right", "wrong"]
    transform(prompts=["p", "p"], completions=completions)
    assert logged(prompts=["p", "p"], completions=completions) == [1.0, 0.0] and calls == [2]
    assert logged(prompts=["p", "p"], completions=["wrong", "right"]) == [0.0, 1.0] and calls == [2, 2]
    assert logged.__name__ == trl_plugin.VERIFIER == "passk_verifier"


def test_trl_check_config():
    class Args:
        scale_rewards = "group"
        multi_objective_aggregation = "sum_then_normalize"
        per_device_train_batch_size, steps_per_generation, num_generations = 4, 1, 8

    with pytest.raises(ValueError, match=r"scale_rewards='group'.*not a multiple of num_generations = 8"):
        trl_plugin.check_config(Args)
    Args.scale_rewards, Args.steps_per_generation = "none", 2
    trl_plugin.check_config(Args)
    Args.num_generations_eval = 4
    with pytest.raises(ValueError, match="num_generations_eval=4"):
        trl_plugin.check_config(Args)


def _verl_main(*args):
    return subprocess.run(
        [sys.executable, "-m", "course_lib.integrations.verl_main", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.skipif(importlib.util.find_spec("verl") is not None, reason="verl is installed here (make test-verl)")
def test_verl_main_without_verl_says_so_in_one_line():
    """--help works without verl and ends with the install line; a run says it in one line (no traceback)."""
    out = _verl_main("--help")
    assert out.returncode == 0 and out.stderr == ""
    assert out.stdout.startswith("usage: python -m course_lib.integrations.verl_main")
    assert out.stdout.splitlines()[-1].endswith(VERL_INSTALL)
    out = _verl_main("algorithm.adv_estimator=passk_chen", "++algorithm.passk.k=4")
    assert out.returncode == 2 and out.stdout == ""
    want = f"verl_main: error: verl is not installed in this Python ({sys.executable}): {VERL_INSTALL}"
    assert out.stderr.splitlines() == [want]


def test_install_lines_come_from_the_repository_url():
    """The package is on no index: the lines install it from course_lib.config (REPO_URL), with verl's tested pins."""
    spec = pip_spec()
    assert VERL_INSTALL == f'pip install "passk-course[verl] @ {spec}" "verl[vllm]=={VERL_VERSION}"'
    assert TRL_INSTALL == f'pip install "passk-course[trl] @ {spec}"'
    rows = status()
    if importlib.util.find_spec("verl") is None:
        assert VERL_INSTALL in rows["verl integration"]
    if importlib.util.find_spec("trl") is None:
        assert TRL_INSTALL in rows["TRL integration"]
    # the CPU environment of `make test-verl` installs the same releases
    makefile = (ROOT / "Makefile").read_text()
    pins = next(line for line in makefile.splitlines() if line.startswith("VERL_PINS"))
    assert VERL_CPU in pins.split() and TRL_PIN in pins.split(), pins
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert TRL_PIN.replace("==", ">=") in "".join(extras["trl"]).replace(",<", " ")


@pytest.mark.parametrize("path", ["examples/verl/run_1gpu.sh", "examples/verl/run_multigpu.sh", "docs/real_model.md"])
def test_install_lines_are_the_courses(path):
    """Every line that pip-installs the course is one of course_lib.integrations' (REPO_URL of course_lib.config)."""
    text = (ROOT / path).read_text()
    assert VERL_INSTALL in text, path
    for line in text.splitlines():
        if "pip install" in line and "passk-course" in line:
            assert VERL_INSTALL in line or TRL_INSTALL in line, f"{path}: {line.strip()}"


def test_verl_main_list_needs_no_verl(capsys):
    from course_lib.integrations import verl_main

    verl_main.main(["--list"])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(verl_plugin.OFFERS)
    assert any(line.startswith("passk_chen ") and "k=<required>" in line for line in lines)
