"""A tiny TRL set-up on the CPU, shared by tests/test_trl.py and scripts/monitor_fixtures.py (no download).

A randomly initialised Llama (one layer, d = 16), a word-level tokenizer built here, prompts
"a + b =" and a stand-in verifier. Imports TRL, transformers and datasets: only in ``.venv-verl``.
"""

from __future__ import annotations

import numpy as np
import torch

N = 4  # num_generations
WORDS = ["<pad>", "<eos>", "<unk>", "+", "=", *[str(d) for d in range(10)]]


def tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")


def model():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
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
    return LlamaForCausalLM(config)


def verifier(prompts, completions, **kw):
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


def args(output_dir, **overrides):
    from trl import GRPOConfig

    settings = dict(
        output_dir=str(output_dir),
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
    return GRPOConfig(**{**settings, **overrides})


def dataset():
    from datasets import Dataset

    return Dataset.from_dict({"prompt": [f"{a} + {b} =" for a in range(4) for b in range(4)]})
