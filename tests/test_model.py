"""Executable spec of the tiny transformer and its samplers (course_lib.lab.model)."""

import copy
import math

import pytest
import torch

from course_lib.lab.model import (
    GPT,
    GPTConfig,
    answer_logprobs,
    causal_attention,
    enumerate_answer_logprobs,
    expand_past,
    one_token_attention,
    sample_answers,
)
from course_lib.lab.task import DigitSumTask

TASK = DigitSumTask()


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = GPT(GPTConfig(d_model=32, n_head=4, block_size=7))
    with torch.no_grad():  # larger weights than the init, so that the distribution is far from uniform
        for p in m.parameters():
            p.mul_(8.0)
    return m


def prompts(*targets):
    return TASK.prompts(torch.tensor(targets))


def test_config_validation():
    with pytest.raises(ValueError, match="divisible"):
        GPTConfig(d_model=30, n_head=4)
    with pytest.raises(ValueError, match="n_layer"):
        GPTConfig(n_layer=0)
    with pytest.raises(ValueError, match="block_size"):
        GPT(GPTConfig(block_size=4))(torch.zeros(1, 5, dtype=torch.long))


@pytest.mark.parametrize("bias", [False, True])
def test_parameter_count_of_the_default_model(bias):
    d, V, T = (
        64,
        12,
        16,
    )  # per block: 2 LN 2d (+2d biases), qkv 3d^2 (+3d), proj d^2 (+d), fc 4d^2 (+4d), proj 4d^2 (+d)
    per_block = 2 * d + 12 * d * d + bias * (2 * d + 3 * d + d + 4 * d + d)
    assert GPT(GPTConfig(bias=bias)).num_params() == V * d + T * d + 2 * per_block + d * (1 + bias)


def test_causality(model):
    x = torch.tensor([[10, 1, 3, 11, 4, 5]])
    y = x.clone()
    y[0, 5] = 9
    lx, _ = model(x)
    ly, _ = model(y)
    assert torch.equal(lx[:, :5], ly[:, :5]) and not torch.equal(lx[:, 5], ly[:, 5])


def textbook_attention(q, k, v):
    """softmax(q k^T / sqrt(hs) + causal mask) v with explicit matmuls in float64 (Vaswani et al. 2017).

    q (B, T, nh, hs) are the last T of the S positions of k, v (B, S, nh, hs): query t sees keys
    0 .. S - T + t.
    """
    T, S = q.shape[1], k.shape[1]
    q, k, v = (z.transpose(1, 2).double() for z in (q, k, v))  # (B, nh, T or S, hs)
    att = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (B, nh, T, S)
    allowed = torch.ones(T, S, dtype=torch.bool).tril(S - T)
    att = att.masked_fill(~allowed, float("-inf")).softmax(-1)
    return (att @ v).transpose(1, 2)  # (B, T, nh, hs)


def random_qkv(T, S, seed=0):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(3, T, 4, 8, generator=g, requires_grad=True)  # B = 3, nh = 4, hs = 8
    k = torch.randn(3, S, 4, 8, generator=g, requires_grad=True)
    v = torch.randn(3, S, 4, 8, generator=g, requires_grad=True)
    return q, k, v


@pytest.mark.parametrize("T, S", [(1, 1), (6, 6), (2, 6), (1, 7)])
def test_causal_attention_is_the_textbook_formula(T, S):
    q, k, v = random_qkv(T, S)
    torch.testing.assert_close(causal_attention(q, k, v).double(), textbook_attention(q, k, v), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("S", [1, 4, 7])
def test_one_token_fast_path_equals_the_plain_attention(S):
    """The sampler's fast path (one query after a cache) is the plain attention: values and gradients."""
    q, k, v = random_qkv(1, S, seed=S)
    fast, plain = one_token_attention(q, k, v), causal_attention(q, k, v)
    assert fast.shape == plain.shape == (3, 1, 4, 8)
    torch.testing.assert_close(fast, plain, atol=1e-6, rtol=1e-5)
    g = torch.randn(fast.shape, generator=torch.Generator().manual_seed(1))
    for a, b in zip(torch.autograd.grad(fast, (q, k, v), g), torch.autograd.grad(plain, (q, k, v), g), strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)


def test_model_samples_the_same_with_and_without_the_fast_path(model):
    """Switching the fast path off changes no sample, and log-probs and gradients only by rounding."""
    plain = copy.deepcopy(model)
    for block in plain.blocks:
        block.attn.fast_one_token = False
    pr = prompts(4, 13)
    a = sample_answers(model, pr, 16, 3, generator=torch.Generator().manual_seed(5))
    b = sample_answers(plain, pr, 16, 3, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a.answers, b.answers)
    torch.testing.assert_close(a.logp, b.logp, atol=1e-4, rtol=1e-5)
    ga = torch.autograd.grad(a.logp.sum(), list(model.parameters()))
    gb = torch.autograd.grad(b.logp.sum(), list(plain.parameters()))
    for x, y in zip(ga, gb, strict=True):
        torch.testing.assert_close(x, y, atol=1e-3, rtol=1e-4)


def test_cache_matches_full_forward(model):
    seq = torch.tensor([[10, 1, 3, 11, 4, 5], [10, 2, 0, 11, 9, 9]])
    full, _ = model(seq)
    logits, past = model(seq[:, :4])
    pieces = [logits]
    for t in range(4, 6):  # one token at a time
        logits, past = model(seq[:, t : t + 1], past)
        pieces.append(logits)
    torch.testing.assert_close(torch.cat(pieces, 1), full, atol=1e-4, rtol=1e-4)
    _, past = model(seq[:, :3])  # several tokens after a cache (shifted causal mask)
    logits, _ = model(seq[:, 3:], past)
    torch.testing.assert_close(logits, full[:, 3:], atol=1e-4, rtol=1e-4)


def test_expand_past_repeats_rows_in_prompt_major_order():
    k = torch.arange(6.0).view(2, 3, 1, 1)
    ((k2, _),) = expand_past([(k, k)], 3)
    assert k2[:, 0, 0, 0].tolist() == [0, 0, 0, 3, 3, 3]


def test_enumeration_is_a_distribution_and_matches_teacher_forcing(model):
    pr = prompts(0, 13, 27)
    lp = enumerate_answer_logprobs(model, pr, 3)
    assert lp.shape == (3, 1000)
    torch.testing.assert_close(lp.exp().sum(1), torch.ones(3), atol=1e-5, rtol=0)
    tf = answer_logprobs(model, pr.repeat_interleave(1000, 0), TASK.all_answers().repeat(3, 1)).view(3, 1000)
    torch.testing.assert_close(lp, tf, atol=1e-5, rtol=1e-5)
    assert lp.exp().max() > 0.01  # the scaled model is far from uniform (0.001)


@pytest.mark.parametrize("use_cache", [True, False])
def test_sampled_logp_equals_teacher_forced(model, use_cache):
    pr = prompts(5, 13)
    roll = sample_answers(model, pr, 16, 3, generator=torch.Generator().manual_seed(0), use_cache=use_cache)
    assert roll.answers.shape == (2, 16, 3) and roll.logp.shape == (2, 16) and roll.entropy.shape == (2, 16)
    assert roll.answers.min() >= 0 and roll.answers.max() <= 9
    assert roll.logp.requires_grad
    tf = answer_logprobs(model, pr.repeat_interleave(16, 0), roll.answers.view(-1, 3)).view(2, 16)
    torch.testing.assert_close(roll.logp, tf, atol=1e-4, rtol=1e-4)


def test_cache_and_no_cache_paths_sample_the_same_answers(model):
    """Same samples, same log-probabilities and the same gradient (float64: equal to 1e-10)."""
    model = copy.deepcopy(model).double()
    pr = prompts(3, 20)
    a = sample_answers(model, pr, 32, 3, generator=torch.Generator().manual_seed(7), use_cache=True)
    b = sample_answers(model, pr, 32, 3, generator=torch.Generator().manual_seed(7), use_cache=False)
    assert torch.equal(a.answers, b.answers)
    torch.testing.assert_close(a.entropy, b.entropy, atol=1e-10, rtol=1e-10)
    params = list(model.parameters())
    for ga, gb in zip(
        torch.autograd.grad(a.logp.sum(), params), torch.autograd.grad(b.logp.sum(), params), strict=True
    ):
        torch.testing.assert_close(ga, gb, atol=1e-10, rtol=1e-8)


def test_sampling_frequencies_match_enumerated_probabilities(model):
    """20,000 samples of one prompt: the answer frequencies agree with exact probabilities."""
    pr = prompts(13)
    with torch.no_grad():
        probs = enumerate_answer_logprobs(model, pr, 3).exp()[0].double()
        roll = sample_answers(model, pr, 20000, 3, generator=torch.Generator().manual_seed(3))
    ids = (roll.answers[0] * torch.tensor([100, 10, 1])).sum(-1)
    freq = torch.bincount(ids, minlength=1000).double() / 20000
    top = probs.topk(20).indices  # the likeliest answers, each within 5 standard errors
    se = (probs[top] * (1 - probs[top]) / 20000).sqrt()
    assert ((freq[top] - probs[top]).abs() < 5 * se + 1e-4).all()
    assert 0.5 * (freq - probs).abs().sum() < 0.08  # total variation


def test_temperature_sharpens_and_is_validated(model):
    pr = prompts(13)
    with torch.no_grad():
        h = [-(lp.exp() * lp).sum() for lp in (enumerate_answer_logprobs(model, pr, 3, t)[0] for t in (0.5, 1, 2))]
    assert h[0] < h[1] < h[2]
    with pytest.raises(ValueError, match="temperature"):
        sample_answers(model, pr, 2, 3, temperature=0)


def test_same_generator_seed_same_samples(model):
    pr = prompts(8, 9)
    a = sample_answers(model, pr, 8, 3, generator=torch.Generator().manual_seed(11))
    b = sample_answers(model, pr, 8, 3, generator=torch.Generator().manual_seed(11))
    assert torch.equal(a.answers, b.answers) and torch.equal(a.logp, b.logp)
