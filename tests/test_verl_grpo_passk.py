"""The course's ``grpo_passk`` (course_lib.advantages.bestof) against verl's own built-in estimator.

Runs only where verl is installed (``make test-verl`` builds ``.venv-verl``); the main suite skips
it. The claims: on verl-shaped batches (groups of different sizes, interleaved rows, real and 0/1
rewards with ties) verl's ``compute_grpo_passk_outcome_advantage`` equals the course's function
applied group by group, with and without its std normalisation; the course's defaults are verl's;
the plugin name ``passk_grpo_passk`` gives verl's values through verl's own lookup and through
``compute_advantage`` on a ``DataProto``. verl computes in float32: the comparisons allow float32
rounding, no more.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

verl = pytest.importorskip("verl")
torch = pytest.importorskip("torch")

from course_lib.advantages import grpo_passk  # noqa: E402
from course_lib.advantages.registry import ESTIMATORS  # noqa: E402
from course_lib.integrations import verl as plugin  # noqa: E402

SIZES = (2, 3, 5, 8)  # groups of different sizes in one batch (verl requires >= 2 per group)


def _verl(name: str):
    from verl.trainer.ppo.core_algos import get_adv_estimator_fn

    return get_adv_estimator_fn(name)


def _batch(seed: int, binary: bool, length: int = 6):
    """verl-shaped tensors: interleaved groups of SIZES, the outcome reward on the last valid token."""
    rng = np.random.default_rng(seed)
    uids = np.array([f"uid-{g}" for g, n in enumerate(SIZES) for _ in range(n)], dtype=object)
    uids = uids[rng.permutation(len(uids))]
    bs = len(uids)
    # few distinct values: ties at the top are common, as they are with 0/1 rewards
    scores = rng.integers(0, 2, bs) if binary else rng.integers(-2, 3, bs) * 0.25
    scores = scores.astype(np.float32)
    lengths = rng.integers(1, length + 1, bs)
    mask = (np.arange(length)[None, :] < lengths[:, None]).astype(np.float32)
    rewards = np.zeros((bs, length), np.float32)
    rewards[np.arange(bs), lengths - 1] = scores
    return torch.from_numpy(rewards), torch.from_numpy(mask), uids, scores


def _course(scores: np.ndarray, uids: np.ndarray, scale: bool) -> np.ndarray:
    """The course's advantage group by group (mean form: verl's own scale), float64."""
    out = np.zeros(len(scores))
    for uid in dict.fromkeys(uids.tolist()):
        rows = np.flatnonzero(uids == uid)
        out[rows] = grpo_passk(scores[rows].astype(np.float64), scale=scale)
    return out


def test_course_defaults_are_verls():
    from verl.trainer.config.algorithm import AlgoConfig

    verl_params = inspect.signature(_verl("grpo_passk")).parameters
    assert AlgoConfig().norm_adv_by_std_in_grpo is True  # what verl reads from config, default True
    assert ESTIMATORS["grpo_passk"].params == {"scale": True, "eps": verl_params["epsilon"].default}
    assert ESTIMATORS["grpo_passk"].form == "mean" and not ESTIMATORS["grpo_passk"].uses_k


@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("binary", [True, False])
def test_verl_builtin_equals_the_course_group_by_group(scale, binary):
    for seed in range(5):
        rewards, mask, uids, scores = _batch(seed, binary)
        config = {"norm_adv_by_std_in_grpo": scale}
        adv, ret = _verl("grpo_passk")(token_level_rewards=rewards, response_mask=mask, index=uids, config=config)
        want = _course(scores, uids, scale)[:, None] * mask.double().numpy()
        np.testing.assert_allclose(adv.double().numpy(), want, rtol=2e-6, atol=1e-6, err_msg=f"seed {seed}")
        assert torch.equal(ret, adv)
        if binary:  # only groups with exactly one correct response carry a signal
            for uid in dict.fromkeys(uids.tolist()):
                rows = np.flatnonzero(uids == uid)
                moved = bool((adv[rows] != 0).any())
                assert moved == (scores[rows].sum() == 1), (uid, scores[rows])


@pytest.mark.parametrize("scale", [True, False])
def test_plugin_name_gives_verls_values(scale):
    """``passk_grpo_passk`` (the course's function through the plugin) vs verl's ``grpo_passk``."""
    assert "passk_grpo_passk" in plugin.register_all()
    for seed in range(3):
        rewards, mask, uids, _ = _batch(seed + 10, binary=seed % 2 == 0)
        ours, _ = _verl("passk_grpo_passk")(
            token_level_rewards=rewards, response_mask=mask, index=uids, config={"passk": {"scale": scale}}
        )
        theirs, _ = _verl("grpo_passk")(
            token_level_rewards=rewards, response_mask=mask, index=uids, config={"norm_adv_by_std_in_grpo": scale}
        )
        torch.testing.assert_close(ours, theirs, rtol=2e-6, atol=1e-6)


def test_through_verl_compute_advantage_on_a_dataproto():
    from omegaconf import OmegaConf
    from verl.protocol import DataProto
    from verl.trainer.ppo.ray_trainer import compute_advantage

    rewards, mask, uids, scores = _batch(21, binary=False)
    data = DataProto.from_dict(
        tensors={"token_level_rewards": rewards, "response_mask": mask}, non_tensors={"uid": uids}
    )
    config = OmegaConf.create({"adv_estimator": "grpo_passk", "norm_adv_by_std_in_grpo": True})
    out = compute_advantage(data, adv_estimator="grpo_passk", config=config)
    want = _course(scores, uids, scale=True)[:, None] * mask.double().numpy()
    np.testing.assert_allclose(out.batch["advantages"].double().numpy(), want, rtol=2e-6, atol=1e-6)


def test_a_group_of_one_is_refused_by_both():
    rewards, mask = torch.tensor([[1.0], [0.0], [1.0]]), torch.ones(3, 1)
    with pytest.raises(ValueError, match="at least 2 samples"):
        _verl("grpo_passk")(token_level_rewards=rewards, response_mask=mask, index=np.array(["a", "a", "b"]), config={})
    with pytest.raises(ValueError, match="at least 2"):
        grpo_passk([1.0])
