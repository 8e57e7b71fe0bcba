"""One real TRL GRPO step on chapter 8's model, with the course's zero-sum advantage as TRL's reward (item 6).

Runs where TRL is installed (``make test-verl`` builds ``.venv-verl``). The model is the plain
float32 copy of SmolLM2-135M-Instruct in the course's cache (``passk model fetch``): TRL loads it
from its folder like any model (it refuses the GGUF-loaded one as "purely quantized"). Two few-shot
addition prompts, eight completions each, the chapter's verifier, Chen et al.'s pass@k advantage
through :func:`course_lib.integrations.trl.group_reward`: the advantages TRL computes inside
``_generate_and_score_completions`` must equal the course's for the rewards of the same completions,
and the step must move the trained weights.
"""

from __future__ import annotations

import numpy as np
import pytest

trl = pytest.importorskip("trl")
torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("datasets")

from course_lib.advantages.registry import loss_weights  # noqa: E402
from course_lib.integrations import trl as plugin  # noqa: E402
from course_lib.realmodel import fetch as F  # noqa: E402
from course_lib.realmodel.task import AdditionTask, parse_answer  # noqa: E402

N = 8  # num_generations
K = 2  # Chen et al.'s advantage is 0 when fewer than k samples fail: k = 2 keeps signal at p ~ 0.5


def test_one_grpo_step_on_the_real_model_has_the_course_advantages(tmp_path, monkeypatch):
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    from course_lib.realmodel.rl import Policy

    folder = F.fetch(quiet=True)
    task = AdditionTask()
    # two held-out prompts of one length (no padding) that the base model answers about half the time, by the
    # exact canonical-answer probability (the course's sampler code under this environment's transformers)
    model, tok = F.load()
    candidates = [(a, b) for a, b in task.held_out if a >= 10 and b >= 10]
    p = Policy(model, tok, task).canonical_probs(candidates)
    pairs = [candidates[i] for i in np.argsort(np.abs(p - 0.5))[:2]]
    assert np.all(np.abs(p[np.argsort(np.abs(p - 0.5))[:2]] - 0.5) < 0.25), p
    del model
    answers = {task.prompt(a, b): (a, b) for a, b in pairs}

    def verifier(prompts, completions, **kw):
        return [
            float(AdditionTask.is_correct(parse_answer(c), *answers[p]))
            for p, c in zip(prompts, completions, strict=True)
        ]

    seen: dict = {"rewards": []}

    def recorded(prompts, completions, **kw):
        r = verifier(prompts, completions)
        seen["rewards"].append(r)
        return r

    args = GRPOConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=2 * N,  # both groups in one reward call
        num_generations=N,
        max_completion_length=task.max_new_tokens,
        temperature=1.0,
        top_k=0,
        top_p=1.0,
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
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    tokenizer.padding_side = "left"
    trainer = GRPOTrainer(
        model=str(folder),
        reward_funcs=plugin.group_reward("chen", recorded, num_generations=N, k=K),
        args=args,
        train_dataset=Dataset.from_dict({"prompt": list(answers)}),
        processing_class=tokenizer,
    )
    model = trainer.model
    assert sum(p.numel() for p in model.parameters()) == 134_515_008  # the plain copy, loaded by TRL
    for p in model.parameters():  # train the top 4 blocks and the final norm, as chapter 8 does
        p.requires_grad_(False)
    top = [p for block in model.model.layers[-4:] for p in block.parameters()] + list(model.model.norm.parameters())
    for p in top:
        p.requires_grad_(True)
    before = [p.detach().clone() for p in top]
    frozen = model.model.layers[0].mlp.up_proj.weight.detach().clone()

    inner = type(trainer)._generate_and_score_completions

    def record(self, inputs):
        out = inner(self, inputs)
        seen.setdefault("advantages", []).append(out["advantages"].detach().cpu().double().numpy())
        return out

    monkeypatch.setattr(type(trainer), "_generate_and_score_completions", record)
    trainer.train()

    assert seen["advantages"] and len(seen["rewards"]) == len(seen["advantages"])
    for r, adv in zip(seen["rewards"], seen["advantages"], strict=True):
        r = np.asarray(r)
        want = np.concatenate([N * loss_weights("chen", r[i : i + N], k=K) for i in range(0, len(r), N)])
        np.testing.assert_allclose(adv, want, rtol=0, atol=2e-6, err_msg=f"rewards {r.tolist()}")
    signal = any(np.abs(a).max() > 0 for a in seen["advantages"])
    moved = any(not torch.equal(b, p.detach()) for b, p in zip(before, top, strict=True))
    assert moved == signal, "the weights move exactly when some group carries signal"
    assert torch.equal(frozen, model.model.layers[0].mlp.up_proj.weight), "a frozen block moved"
    assert signal, f"no group carried signal (rewards {seen['rewards']}): pick other prompts or another seed"
