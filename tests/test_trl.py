"""The TRL path (course_lib.integrations.trl) inside TRL's own GRPOTrainer, on CPU.

Runs only where TRL is installed (``make test-verl`` installs it into ``.venv-verl``). A tiny,
randomly initialised Llama (one layer, d = 16) and a word-level tokenizer (tests/tiny_trl.py, no
download) train for one step. The claims: the advantages TRL computes inside ``_generate_and_score_completions``
(recorded, not replaced) equal the course's advantage of the rewards the verifier gave, group by
group, up to TRL's float32; TRL logs the verifier's mean (the accuracy) and writes it in its completions
table through the zero-weight ``passk_verifier`` reward; and each set-up that TRL accepts but that
would train on another advantage is refused, by the entry point at construction and, for a trainer
built by hand, at its first reward call, before any update.
"""

from __future__ import annotations

import numpy as np
import pytest

trl = pytest.importorskip("trl")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tiny_trl import N, dataset, model, tokenizer  # noqa: E402  (tests/tiny_trl.py)
from tiny_trl import args as make_args  # noqa: E402
from tiny_trl import verifier as _verifier  # noqa: E402

from course_lib.advantages.registry import loss_weights  # noqa: E402
from course_lib.integrations import trl as plugin  # noqa: E402


def _by_hand(tmp_path, reward_funcs, **overrides):
    """A GRPOTrainer built without the entry point: TRL accepts every set-up used below."""
    from trl import GRPOTrainer

    return GRPOTrainer(
        model=model(),
        reward_funcs=reward_funcs,
        args=make_args(tmp_path, **overrides),
        train_dataset=dataset(),
        processing_class=tokenizer(),
    )


def _entry(tmp_path, verifier=_verifier, *, method="chen", k=2, log_rewards=(), **overrides):
    """A GRPOTrainer built by the course's entry point."""
    return plugin.grpo_trainer(
        method,
        verifier,
        k=k,
        log_rewards=log_rewards,
        args=make_args(tmp_path, **overrides),
        model=model(),
        train_dataset=dataset(),
        processing_class=tokenizer(),
    )


@pytest.mark.parametrize(("method", "k"), [("chen", 2), ("rloo", None)])
def test_trl_advantages_are_the_course_advantages_and_the_accuracy_is_logged(tmp_path, monkeypatch, method, k):
    seen = {"rewards": []}

    def verifier(prompts, completions, **kw):
        r = _verifier(prompts, completions)
        seen["rewards"].append(r)
        return r

    trainer = _entry(tmp_path, verifier, method=method, k=k, log_completions=True)
    assert [f.__name__ for f in trainer.reward_funcs] == [f"passk_{method}", plugin.VERIFIER]
    assert trainer.reward_weights.tolist() == [1.0, 0.0]
    inner = type(trainer)._generate_and_score_completions

    def record(self, inputs):
        out = inner(self, inputs)
        seen.setdefault("advantages", []).append(out["advantages"].detach().cpu().double().numpy())
        return out

    monkeypatch.setattr(type(trainer), "_generate_and_score_completions", record)
    trainer.train()

    assert seen["advantages"], "TRL never computed advantages"
    assert any(np.abs(a).max() > 0.1 for a in seen["advantages"]), "only all-equal groups: the test saw no signal"
    assert len(seen["rewards"]) == len(seen["advantages"]), "the verifier ran more than once per batch"
    for r, adv in zip(seen["rewards"], seen["advantages"], strict=True):
        r = np.asarray(r)
        want = np.concatenate([N * loss_weights(method, r[i : i + N], k=k) for i in range(0, len(r), N)])
        # TRL: float32 rewards, minus the group mean (zero here, up to float32 rounding)
        np.testing.assert_allclose(adv, want, rtol=0, atol=2e-6, err_msg=f"{method}: rewards {r.tolist()}")
    # TRL's own log: its "reward" is the mean advantage (about 0); the accuracy is the verifier's mean
    log = next(row for row in trainer.state.log_history if f"rewards/{plugin.VERIFIER}/mean" in row)
    accuracy = float(np.mean(np.concatenate(seen["rewards"])))
    assert log[f"rewards/{plugin.VERIFIER}/mean"] == pytest.approx(accuracy, abs=1e-6)
    assert abs(log["reward"]) < 1e-5 and accuracy > 0.1
    # ... and its completions table holds the verifier's values of the last generation batch
    import pandas as pd

    table = pd.read_parquet(tmp_path / "completions" / "completions_00001.parquet")
    assert table[plugin.VERIFIER].tolist() == seen["rewards"][-1]
    np.testing.assert_allclose(table["advantage"], seen["advantages"][-1], rtol=0, atol=1e-6)


# ----------------------------------------------------------------------------- the three silent failures
def test_a_transform_for_another_group_size_is_refused(tmp_path):
    """group_reward(num_generations=2) in a trainer of 4: TRL would take each group of 4 as two of 2."""
    transform = plugin.group_reward("chen", _verifier, num_generations=2, k=2)
    trainer = _by_hand(tmp_path, [transform])  # TRL accepts it
    with pytest.raises(ValueError, match=r"built for groups of 2 completions but the trainer's num_generations is 4"):
        trainer.train()
    assert trainer.state.global_step == 0


def test_a_weight_other_than_one_is_refused(tmp_path):
    transform = plugin.group_reward("chen", _verifier, num_generations=N, k=2)
    trainer = _by_hand(tmp_path, [transform], reward_weights=[0.5])
    with pytest.raises(ValueError, match=r"passk_chen has reward weight 0.5; TRL multiplies the advantage by it"):
        trainer.train()
    assert trainer.state.global_step == 0
    with pytest.raises(ValueError, match=r"args.reward_weights = \[0.5, 0.0\]"):
        _entry(tmp_path, reward_weights=[0.5, 0.0])


def test_another_reward_with_weight_is_refused(tmp_path):
    def length(prompts, completions, **kw):
        return [float(len(c)) for c in completions]

    transform = plugin.group_reward("chen", _verifier, num_generations=N, k=2)
    trainer = _by_hand(tmp_path, [transform, length])  # TRL's default weights: 1 and 1
    with pytest.raises(ValueError, match=r"other reward functions with non-zero weight: length \(weight 1\)"):
        trainer.train()
    assert trainer.state.global_step == 0
    with pytest.raises(ValueError, match=r"args.reward_weights = \[1.0, 0.0, 1.0\]"):
        _entry(tmp_path, log_rewards=[length], reward_weights=[1.0, 0.0, 1.0])
    # weight 0: logged, not trained on
    trainer = _entry(tmp_path, log_rewards=[length])
    assert trainer.reward_weights.tolist() == [1.0, 0.0, 0.0]
    trainer.train()
    assert trainer.state.global_step == 1
