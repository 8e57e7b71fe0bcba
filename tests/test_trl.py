"""The TRL reward transform (course_lib.integrations.trl) inside TRL's own GRPOTrainer, on CPU.

Runs only where TRL is installed (``make test-verl`` installs it into ``.venv-verl``). A tiny,
randomly initialised Llama (one layer, d = 16) and a word-level tokenizer built here (no download)
train for one step; the advantages TRL computes inside ``_generate_and_score_completions`` (recorded,
not replaced) must equal the course's advantage of the rewards the verifier gave, group by group,
up to TRL's float32.
"""

from __future__ import annotations

import numpy as np
import pytest

trl = pytest.importorskip("trl")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from course_lib.advantages.registry import loss_weights  # noqa: E402
from course_lib.integrations import trl as plugin  # noqa: E402

N = 4  # num_generations
WORDS = ["<pad>", "<eos>", "<unk>", "+", "=", *[str(d) for d in range(10)]]


def _tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")


def _verifier(prompts, completions, **kw):
    """A stand-in verifier: in each group of N, 1 <= c <= N - 2 correct at seeded random places.

    A random model's answers mean nothing, so the rewards are drawn (seeded by the call's text) such
    that every group carries signal for both methods (Chen's advantage is 0 once c > n - k).
    """
    rng = np.random.default_rng(sum(map(ord, "".join(completions))))
    out = []
    for _ in range(0, len(completions), N):
        r = np.zeros(N)
        r[rng.permutation(N)[: rng.integers(1, N - 1)]] = 1.0
        out.extend(r.tolist())
    return out


@pytest.mark.parametrize(("method", "k"), [("chen", 2), ("rloo", None)])
def test_trl_advantages_are_the_course_advantages(tmp_path, monkeypatch, method, k):
    from datasets import Dataset
    from transformers import LlamaConfig, LlamaForCausalLM
    from trl import GRPOConfig, GRPOTrainer

    torch.manual_seed(0)
    tokenizer = _tokenizer()
    model = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(WORDS),
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=2,
            max_position_embeddings=32,
            pad_token_id=0,
            eos_token_id=1,
            bos_token_id=None,
        )
    )
    prompts = [f"{a} + {b} =" for a in range(4) for b in range(4)]
    args = GRPOConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=2 * N,  # two groups per reward call
        num_generations=N,
        max_completion_length=3,
        max_steps=1,
        learning_rate=1e-4,
        scale_rewards="none",
        beta=0.0,
        use_cpu=True,
        bf16=False,
        report_to=[],
        save_strategy="no",
        logging_steps=1,
        seed=0,
        dataloader_num_workers=0,
    )
    plugin.check_config(args)
    seen = {"rewards": []}

    def verifier(prompts, completions, **kw):
        r = _verifier(prompts, completions)
        seen["rewards"].append(r)
        return r

    trainer = GRPOTrainer(
        model=model,
        reward_funcs=plugin.group_reward(method, verifier, num_generations=N, k=k),
        args=args,
        train_dataset=Dataset.from_dict({"prompt": prompts}),
        processing_class=tokenizer,
    )
    inner = type(trainer)._generate_and_score_completions

    def record(self, inputs):
        out = inner(self, inputs)
        seen.setdefault("advantages", []).append(out["advantages"].detach().cpu().double().numpy())
        return out

    monkeypatch.setattr(type(trainer), "_generate_and_score_completions", record)
    trainer.train()

    assert seen["advantages"], "TRL never computed advantages"
    assert any(np.abs(a).max() > 0.1 for a in seen["advantages"]), "only all-equal groups: the test saw no signal"
    for r, adv in zip(seen["rewards"], seen["advantages"], strict=True):
        r = np.asarray(r)
        want = np.concatenate([N * loss_weights(method, r[i : i + N], k=k) for i in range(0, len(r), N)])
        # TRL: float32 rewards, minus the group mean (zero here, up to float32 rounding)
        np.testing.assert_allclose(adv, want, rtol=0, atol=2e-6, err_msg=f"{method}: rewards {r.tolist()}")
