"""The verl plugin (course_lib.integrations.verl) against verl itself, on CPU.

Runs only where verl is installed (``make test-verl`` builds ``.venv-verl``); the main suite skips
it. The claims: every offered name is found by verl's own lookup; on verl-shaped batches each
adapter equals the course's estimator applied group by group, in the documented scaling
``A_i = n * w_i`` broadcast over the response mask, also through verl's ``compute_advantage`` on a
``DataProto``; Chen et al.'s advantage through verl matches its closed form; edge cases give clear
errors. If a verl release moves the plugin API, ``test_plugin_api`` names the call that broke.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

verl = pytest.importorskip("verl")
torch = pytest.importorskip("torch")

from course_lib.advantages.registry import ESTIMATORS, loss_weights  # noqa: E402
from course_lib.integrations import verl as plugin  # noqa: E402
from course_lib.integrations.verl_main import ENV, ENV_KEY, MODULE, with_registration  # noqa: E402

K = 2
SIZES = (4, 6, 8, 10)  # groups of different sizes in one batch (even, for chen_full; > K for PKPO loo)
BINARY = {"chen", "pkpo_binary", "psr", "nsr", "w_reinforce"}  # the others take real rewards (max@k, clipped mean)


def _api(path: str):
    """verl's object at ``module:attr``; a missing one fails with the call that broke."""
    import importlib

    module, attr = path.split(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"verl {verl.__version__} changed the plugin API: {module}.{attr} is gone ({exc})")


@pytest.fixture(scope="module")
def registered():
    return plugin.register_all()


def test_plugin_api():
    for path in (
        "verl.trainer.ppo.core_algos:register_adv_est",
        "verl.trainer.ppo.core_algos:get_adv_estimator_fn",
        "verl.trainer.ppo.ray_trainer:compute_advantage",
        "verl.protocol:DataProto",
    ):
        _api(path)


def test_every_registry_method_is_offered_or_refused_with_a_reason():
    offered = {o.method for o in plugin.OFFERS.values()}
    assert set(ESTIMATORS) == offered | set(plugin.NOT_OFFERED)
    assert not offered & set(plugin.NOT_OFFERED)
    assert {"passk_chen", "passk_pkpo", "passk_pkpo_loo", "passk_pkpo_loo1", "passk_pkpo_none"} <= set(plugin.OFFERS)
    assert {"passk_pkpo_binary", "passk_grpo_alpha", "passk_w_reinforce"} <= set(plugin.OFFERS)
    for method in ("ucb_explore", "batch_explore", "unlikely"):
        assert method in plugin.NOT_OFFERED, method


def test_each_name_is_found_by_verl(registered):
    get = _api("verl.trainer.ppo.core_algos:get_adv_estimator_fn")
    assert registered == list(plugin.OFFERS)
    for name in registered:
        assert get(name) is plugin.adapter(name), name
    assert plugin.register_all() == registered  # idempotent: a second call (Ray hook + driver) is harmless


def _batch(method: str, seed: int, length: int = 7):
    """verl-shaped tensors: rows of groups of SIZES (interleaved), reward on the last valid token."""
    rng = np.random.default_rng(seed)
    uids = np.array([f"uid-{g}" for g, n in enumerate(SIZES) for _ in range(n)], dtype=object)
    order = rng.permutation(len(uids))  # verl does not promise contiguous groups
    uids = uids[order]
    bs = len(uids)
    if method in BINARY:
        scores = rng.integers(0, 2, bs).astype(np.float32)
    else:
        scores = rng.normal(size=bs).astype(np.float32)
    lengths = rng.integers(1, length + 1, bs)
    mask = (np.arange(length)[None, :] < lengths[:, None]).astype(np.float32)  # (bs, T)
    rewards = np.zeros((bs, length), np.float32)
    rewards[np.arange(bs), lengths - 1] = scores
    return torch.from_numpy(rewards), torch.from_numpy(mask), uids, scores


def _expected(offer, scores, uids, config):
    """The course's estimator group by group, in the documented scaling: A_i = n w_i, float32."""
    k = config["passk"].get("k")
    params = {key: v for key, v in config["passk"].items() if key != "k"}
    out = np.zeros(len(scores))
    for uid in dict.fromkeys(uids.tolist()):
        rows = np.flatnonzero(uids == uid)
        w = loss_weights(offer.method, scores[rows].astype(np.float64), k=k, **{**params, **offer.fixed})
        out[rows] = len(rows) * np.asarray(w)
    return torch.from_numpy(out).to(torch.float32)


def _config(offer) -> dict:
    return {"passk": {"k": K}} if ESTIMATORS[offer.method].uses_k else {"passk": {}}


@pytest.mark.parametrize("name", list(plugin.OFFERS))
def test_adapter_equals_course_estimator_group_by_group(registered, name):
    offer = plugin.OFFERS[name]
    get = _api("verl.trainer.ppo.core_algos:get_adv_estimator_fn")
    for seed in range(3):
        rewards, mask, uids, scores = _batch(offer.method, seed)
        config = _config(offer)
        adv, ret = get(name)(token_level_rewards=rewards, response_mask=mask, index=uids, config=config)
        want = _expected(offer, scores, uids, config)[:, None] * mask
        assert adv.shape == rewards.shape and adv.dtype == rewards.dtype
        assert torch.equal(adv, want), f"{name}, seed {seed}: max diff {(adv - want).abs().max():.3g}"
        assert torch.equal(ret, adv)


@pytest.mark.parametrize("name", list(plugin.OFFERS))
def test_verl_compute_advantage_puts_the_same_values_in_the_batch(registered, name):
    compute_advantage = _api("verl.trainer.ppo.ray_trainer:compute_advantage")
    DataProto = _api("verl.protocol:DataProto")
    from omegaconf import OmegaConf

    offer = plugin.OFFERS[name]
    rewards, mask, uids, scores = _batch(offer.method, seed=11)
    config = OmegaConf.create({"adv_estimator": name, **_config(offer)})  # verl passes its DictConfig
    data = DataProto.from_dict(
        tensors={"token_level_rewards": rewards, "response_mask": mask}, non_tensors={"uid": uids}
    )
    want = _expected(offer, scores, uids, _config(offer))[:, None] * mask
    out = compute_advantage(data, adv_estimator=name, config=config)
    assert torch.equal(out.batch["advantages"], want), name
    assert torch.equal(out.batch["returns"], want), name
    # verl 0.9's default trainer (trainer.use_v1=True) goes through this wrapper, with keys uid_session_index
    v1 = _api("verl.trainer.ppo.v1.utils:compute_advantage_for_multi_trajectories")
    data = DataProto.from_dict(
        tensors={"token_level_rewards": rewards, "response_mask": mask}, non_tensors={"uid": uids}
    )
    keys = [f"{uid}_0_{i}" for i, uid in enumerate(uids)]
    out = v1(data, batch_keys=keys, adv_estimator=name, num_repeat=max(SIZES), config=config)
    assert torch.equal(out.batch["advantages"], want), f"{name} through the v1 trainer's wrapper"


def test_passk_grpo_is_verls_own_grpo_up_to_the_std_convention(registered):
    """Same layout and form as verl's compute_grpo_outcome_advantage; values differ by sqrt(n / (n - 1))."""
    verl_grpo = _api("verl.trainer.ppo.core_algos:compute_grpo_outcome_advantage")
    rewards, mask, uids, _ = _batch("grpo", seed=5)
    ours, ours_ret = plugin.adapter("passk_grpo")(rewards, mask, uids, {"passk": {"eps": 0.0}})
    theirs, theirs_ret = verl_grpo(token_level_rewards=rewards, response_mask=mask, index=uids, epsilon=0.0)
    assert ours.shape == theirs.shape == rewards.shape and ours.dtype == theirs.dtype
    n = torch.tensor([float((uids == uid).sum()) for uid in uids])
    # population std (course) vs sample std (verl): theirs = ours * sqrt((n - 1) / n)
    torch.testing.assert_close(ours * torch.sqrt((n - 1) / n)[:, None], theirs, rtol=1e-5, atol=1e-6)
    assert torch.equal(ours_ret, ours) and torch.equal(theirs_ret, theirs)  # returns = advantages, both


def _chen_closed_form(n: int, c: int, k: int) -> tuple[float, float]:
    """Chen et al.'s (A_pos, A_neg), eps = 0, from binomials (math.comb, exact integers)."""
    r_bar = 1 - math.comb(n - c, k) / math.comb(n, k)
    sigma = math.sqrt(r_bar * (1 - r_bar))
    if sigma == 0:
        return 0.0, 0.0
    a_pos = (1 - r_bar) / sigma
    a_neg = (1 - r_bar - math.comb(n - c - 1, k - 1) / math.comb(n - 1, k - 1)) / sigma if c < n else 0.0
    return a_pos, a_neg


def test_chen_through_verl_matches_the_closed_form(registered):
    fn = _api("verl.trainer.ppo.core_algos:get_adv_estimator_fn")("passk_chen")
    checked = 0
    for n in range(2, 13):
        for k in range(1, n + 1):
            for c in range(n + 1):
                r = torch.tensor([1.0] * c + [0.0] * (n - c))
                rewards = torch.zeros(n, 3)
                rewards[:, -1] = r
                adv, _ = fn(rewards, torch.ones(n, 3), np.array(["g"] * n, dtype=object), {"passk": {"k": k, "eps": 0}})
                a_pos, a_neg = _chen_closed_form(n, c, k)
                want = torch.tensor([a_pos] * c + [a_neg] * (n - c), dtype=torch.float64).float()
                torch.testing.assert_close(adv[:, 0], want, rtol=1e-6, atol=1e-6, msg=f"n={n} c={c} k={k}")
                assert abs(float(adv[:, 0].double().sum())) < 1e-5, (n, c, k)  # sums to zero in the group
                checked += 1
    assert checked == sum((n + 1) * n for n in range(2, 13))


def _call(name, scores, uids, config):
    rewards = torch.tensor(scores, dtype=torch.float32)[:, None]
    return plugin.adapter(name)(rewards, torch.ones_like(rewards), np.array(uids, dtype=object), config)[0][:, 0]


def test_edge_cases_give_clear_errors_or_the_documented_fallback():
    with pytest.raises(ValueError, match=r"passk_chen: group uid='b' has NaN"):
        _call("passk_chen", [1, 0, 1, float("nan")], ["a", "a", "b", "b"], {"passk": {"k": 2}})
    with pytest.raises(ValueError, match=r"passk_chen: group uid='b' \(n=2, rewards \[0.5, 1\]\): .*binary"):
        _call("passk_chen", [1, 0, 0.5, 1], ["a", "a", "b", "b"], {"passk": {"k": 2}})
    with pytest.raises(ValueError, match=r"group uid='a' \(n=2.*k must be <= 2"):
        _call("passk_chen", [1, 0], ["a", "a"], {"passk": {"k": 3}})
    with pytest.raises(ValueError, match=r"passk_chen is a pass@k method: set \+\+algorithm.passk.k"):
        _call("passk_chen", [1, 0], ["a", "a"], None)
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['beta'\]"):
        _call("passk_chen", [1, 0], ["a", "a"], {"passk": {"k": 2, "beta": 1}})
    with pytest.raises(ValueError, match=r"every group has one response"):
        _call("passk_grpo", [1, 0], ["a", "b"], None)
    # a group of one next to real groups: advantage 0 (documented fallback)
    out = _call("passk_rloo", [1, 0, 1], ["a", "a", "lone"], None)
    assert out.tolist() == [1.0, -1.0, 0.0]
    # hyper-parameters from the config section reach the course estimator
    lam = _call("passk_w_reinforce", [1, 0], ["a", "a"], {"passk": {"lam": 0.5, "k": 4}})  # k: ignored here
    assert lam.tolist() == [0.5, -1.0]


def test_hydra_overrides_reach_verl_config():
    """The guide's overrides compose with verl's own ppo_trainer config (no Ray, no GPU)."""
    cfg = _compose(["algorithm.adv_estimator=passk_chen", "++algorithm.passk.k=4", "++algorithm.passk.eps=0"])
    assert cfg.algorithm.adv_estimator == "passk_chen"
    assert plugin._params(plugin.OFFERS["passk_chen"], cfg.algorithm) == (4, {"eps": 0})
    assert cfg.ray_kwargs.ray_init.runtime_env.env_vars[ENV] == MODULE
    # another plugin already named, on the command line or in the environment: kept, ours added once
    for given, environ in ((["++" + ENV_KEY + "=my.plugin"], {}), ([], {ENV: "my.plugin"})):
        cfg = _compose_raw(with_registration(["algorithm.adv_estimator=passk_chen", *given], environ=environ))
        assert cfg.ray_kwargs.ray_init.runtime_env.env_vars[ENV] == f"my.plugin,{MODULE}"
    twice = with_registration(with_registration([], environ={}), environ={})
    assert twice == with_registration([], environ={})


def _compose_raw(overrides):
    """verl's ppo_trainer config composed by Hydra with exactly these overrides."""
    import os

    from hydra import compose, initialize_config_dir
    from verl.trainer import main_ppo

    config_dir = os.path.join(os.path.dirname(main_ppo.__file__), "config")
    with initialize_config_dir(config_dir=config_dir, version_base=None):
        return compose(config_name="ppo_trainer", overrides=overrides)


def _compose(overrides):
    """The config verl_main gives verl for ``overrides``."""
    return _compose_raw(with_registration(overrides, environ={}))


ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def _documented_commands() -> list[str]:
    """Every command line of docs/real_model.md's bash blocks that launches verl (scripts or verl_main)."""
    import re

    text = (ROOT / "docs" / "real_model.md").read_text()
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line and not line.startswith("#") and ("examples/verl/" in line or "verl_main" in line):
                lines.append(line)
    return lines


def _verl_args(command: str, tmp_path) -> list[str]:
    """The arguments ``command`` gives ``python`` (the scripts run with a stand-in ``python`` that records them)."""
    import os
    import shlex
    import subprocess

    words = shlex.split(command)
    env = {"HOME": str(tmp_path / "home")}
    while "=" in words[0] and not words[0].startswith("-"):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    if words[0] == "python":
        return words[1:]
    assert words[0] == "bash" and words[1].startswith("examples/verl/"), command
    fake = tmp_path / "bin" / "python"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$ARGS_OUT"\n')
    fake.chmod(0o755)
    env = {**os.environ, **env, "PATH": f"{fake.parent}:{os.environ['PATH']}", "ARGS_OUT": str(tmp_path / "args")}
    subprocess.run(["bash", str(ROOT / words[1]), *words[2:]], env=env, check=True, timeout=60, cwd=ROOT)
    return (tmp_path / "args").read_text().splitlines()


def test_the_guide_shows_the_commands_it_should():
    commands = _documented_commands()
    assert any(c == "bash examples/verl/run_1gpu.sh" for c in commands), commands
    assert any(c.startswith("NNODES=2 bash examples/verl/run_multigpu.sh") for c in commands), commands
    assert any("++algorithm.passk." in c for c in commands), commands
    assert any(c.startswith("LOGGER=") for c in commands), commands


@pytest.mark.parametrize("command", _documented_commands())
def test_every_documented_command_composes_with_verl_config(tmp_path, command):
    """Each launch line of the guide, through its script, composes with verl's own Hydra config."""
    args = _verl_args(command, tmp_path)
    assert args[:2] == ["-m", "course_lib.integrations.verl_main"], args[:2]
    if args[2:] in (["--list"], ["--help"]):
        return
    cfg = _compose(args[2:])
    name = cfg.algorithm.adv_estimator
    assert name in plugin.OFFERS, name
    k, _ = plugin._params(plugin.OFFERS[name], cfg.algorithm)
    assert k <= cfg.actor_rollout_ref.rollout.n
    assert k <= cfg.actor_rollout_ref.rollout.val_kwargs.n
    # the run leaves the dumps that `passk monitor` reads, on a validation set sized for pass@k
    home = str(tmp_path / "home")
    assert cfg.trainer.validation_data_dir.startswith(home) and cfg.trainer.validation_data_dir.endswith("/validation")
    assert cfg.trainer.rollout_data_dir.startswith(home) and cfg.trainer.rollout_data_dir.endswith("/rollouts")
    assert 100 <= cfg.data.val_max_samples <= 1000 and cfg.data.seed == 0
    assert list(cfg.trainer.logger) == (["console", "wandb"] if "LOGGER=" in command else ["console"])
    assert cfg.ray_kwargs.ray_init.runtime_env.env_vars[ENV] == MODULE


# ----------------------------------------------------------------------------- Ray workers with fake GPUs
# A probe loaded by every Ray worker at interpreter start (sitecustomize on the workers' PYTHONPATH):
# it records CUDA_VISIBLE_DEVICES at the first call of torch.cuda.is_available() in the process, the
# call that initialises the CUDA driver on a GPU machine (the driver reads CUDA_VISIBLE_DEVICES then,
# once). verl's verl/utils/device.py makes that call when verl is imported.
_PROBE = """
import json, os
import torch

_is_available = torch.cuda.is_available


def _probed():
    path = os.path.join(os.environ["PASSK_PROBE_DIR"], f"{os.getpid()}.json")
    if not os.path.exists(path):
        with open(path, "w") as f:
            json.dump({"CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES")}, f)
    return _is_available()


torch.cuda.is_available = _probed
"""

# A GPU actor as verl's workers are: its module imports verl at the top, so verl is imported when
# Ray loads the class into the worker; and a TaskRunner for verl's own run_ppo that only looks up
# the estimators in the actor where verl's trainer computes advantages.
_ACTORS = """
import json, os
import ray
import verl  # noqa: F401  (as verl's worker modules do)


def _report():
    from verl.trainer.ppo import core_algos

    path = os.path.join(os.environ["PASSK_PROBE_DIR"], f"{os.getpid()}.json")
    first = json.load(open(path)) if os.path.exists(path) else {}
    found = sorted(n for n in core_algos.ADV_ESTIMATOR_REGISTRY if n.startswith("passk_"))
    found = [n for n in found if core_algos.get_adv_estimator_fn(n).__name__ == f"{n}_advantage"]
    return {
        "pid": os.getpid(),
        "gpu_ids": [str(g) for g in ray.get_gpu_ids()],
        "visible_now": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "visible_at_first_cuda_call": first.get("CUDA_VISIBLE_DEVICES", "<never called>"),
        "registered": found,
    }


class GpuWorker:
    def report(self):
        return _report()


@ray.remote(num_cpus=1)
class LookupRunner:
    def run(self, config):
        report = _report()
        with open(os.path.join(os.environ["PASSK_PROBE_DIR"], "runner.json"), "w") as f:
            json.dump(report, f)
"""


def _probe_files(tmp_path):
    """The probe and the actors' module in a folder for the workers' PYTHONPATH; returns the env vars."""
    probe = tmp_path / "probe"
    (probe / "out").mkdir(parents=True)
    (probe / "sitecustomize.py").write_text(_PROBE)
    (probe / "passk_probe_actors.py").write_text(_ACTORS)
    import os
    import sys

    sys.path.insert(0, str(probe))
    here = os.pathsep.join(p for p in (str(probe), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": here, "PASSK_PROBE_DIR": str(probe / "out")}


@pytest.mark.slow
def test_every_gpu_actor_registers_after_ray_set_its_device(tmp_path, monkeypatch):
    """Each Ray GPU actor sees its own device at its first CUDA call, and has the names registered.

    The runtime_env is the one verl's run_ppo builds from verl_main's overrides (verl's defaults merged
    with ``ray_kwargs.ray_init.runtime_env``); the driver's own environment is cleared of the plugin
    variable, so what reaches the workers is what the runtime_env carries (as on a multi-node cluster).
    Ray runs a worker_process_setup_hook when the worker starts, before it sets CUDA_VISIBLE_DEVICES
    for a GPU actor: registering there imports verl, whose device module initialises CUDA with every
    GPU visible, and every actor of a node would bind GPU 0.
    """
    ray = pytest.importorskip("ray")
    from omegaconf import OmegaConf
    from verl.trainer.constants_ppo import get_ppo_ray_runtime_env

    monkeypatch.delenv("VERL_USE_EXTERNAL_MODULES", raising=False)
    env = _probe_files(tmp_path)
    cfg = _compose(["algorithm.adv_estimator=passk_chen", "++algorithm.passk.k=4"])
    runtime_env = OmegaConf.to_container(
        OmegaConf.merge(get_ppo_ray_runtime_env(cfg), cfg.ray_kwargs.ray_init.runtime_env)
    )  # as verl's run_ppo does
    runtime_env.setdefault("env_vars", {}).update(env)
    runtime_env = {key: value for key, value in runtime_env.items() if value is not None}
    import passk_probe_actors

    gpus = 3
    ray.init(num_cpus=gpus, num_gpus=gpus, include_dashboard=False, runtime_env=runtime_env)
    try:
        worker = ray.remote(num_gpus=1, num_cpus=1)(passk_probe_actors.GpuWorker)
        actors = [worker.remote() for _ in range(gpus)]
        reports = ray.get([a.report.remote() for a in actors], timeout=300)
    finally:
        ray.shutdown()
    assert sorted(r["visible_now"] for r in reports) == [str(i) for i in range(gpus)], reports
    for r in reports:
        assert r["gpu_ids"] == [r["visible_now"]], r
        assert r["visible_at_first_cuda_call"] == r["visible_now"], (
            f"actor pid {r['pid']} (GPU {r['visible_now']}) first called torch.cuda.is_available() with "
            f"CUDA_VISIBLE_DEVICES={r['visible_at_first_cuda_call']!r}: on a GPU machine it would bind the wrong GPU"
        )
        assert r["registered"] == sorted(plugin.OFFERS), r


@pytest.mark.slow
def test_verl_run_ppo_finds_the_names_in_its_trainer_actor(tmp_path, monkeypatch):
    """verl's own run_ppo (its ray.init from the config, its TaskRunner actor) with verl_main's overrides."""
    pytest.importorskip("ray")
    from verl.trainer import main_ppo

    monkeypatch.delenv("VERL_USE_EXTERNAL_MODULES", raising=False)
    env = _probe_files(tmp_path)
    import passk_probe_actors

    overrides = [
        "algorithm.adv_estimator=passk_chen",
        "++algorithm.passk.k=4",
        "ray_kwargs.ray_init.num_cpus=2",
        *(f"++ray_kwargs.ray_init.runtime_env.env_vars.{key}={value}" for key, value in env.items()),
    ]
    cfg = _compose(overrides)
    import ray

    try:
        main_ppo.run_ppo(cfg, task_runner_class=passk_probe_actors.LookupRunner)
    finally:
        ray.shutdown()
    import json

    report = json.loads((tmp_path / "probe" / "out" / "runner.json").read_text())
    assert report["registered"] == sorted(plugin.OFFERS), report


def test_verl_main_sets_the_variable_then_runs_verls_main(monkeypatch):
    """The entry point: the variable set in the driver and in Ray's env vars, verl's own main called."""
    import os
    import sys

    from verl.trainer import main_ppo

    from course_lib.integrations import verl_main

    seen = {}
    monkeypatch.setattr(main_ppo, "main", lambda: seen.setdefault("argv", list(sys.argv)))
    monkeypatch.setattr(sys, "argv", ["verl_main"])
    monkeypatch.setenv(ENV, "my.plugin")
    args = ["algorithm.adv_estimator=passk_chen", "++algorithm.passk.k=4"]
    assert verl_main.main(args) == 0
    assert seen["argv"][1:] == with_registration(args, environ={ENV: "my.plugin"})
    assert os.environ[ENV] == f"my.plugin,{MODULE}"
    get = _api("verl.trainer.ppo.core_algos:get_adv_estimator_fn")
    assert get("passk_chen") is plugin.adapter("passk_chen")


def test_importing_verl_with_the_variable_registers_in_a_fresh_process():
    """verl's own mechanism: `import verl` with VERL_USE_EXTERNAL_MODULES set registers every name."""
    import os
    import subprocess
    import sys

    code = (
        "import verl\n"
        "from verl.trainer.ppo import core_algos\n"
        "print(sorted(n for n in core_algos.ADV_ESTIMATOR_REGISTRY if n.startswith('passk_')))"
    )
    env = {**os.environ, ENV: MODULE}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == str(sorted(plugin.OFFERS))
