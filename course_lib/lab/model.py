"""A tiny decoder-only transformer (nanoGPT style) and the samplers the lab needs.

Taught in ``notebooks/05_policy_gradient_lab.ipynb``. One class per box of the transformer figure
(``CausalSelfAttention``, ``MLP``, ``Block``, ``GPT``); the forward pass optionally takes and returns
a key/value cache so that a prompt shared by ``n`` samples is encoded once. Attention is
:func:`causal_attention` (the plain form); a single new token after a cache -- every sampling step --
takes :func:`one_token_attention`, the same attention without a mask (tested equal to the plain form).
Why the code is shaped the way it is for speed: :mod:`course_lib.lab._runtime`.

Samplers (answers are digits only, so the softmax at answer positions runs over the 10 digit
logits: the "digit-masked softmax" is a slice, not a mask):

* :func:`sample_answers` draws ``n`` answers per prompt and returns their log-probabilities **with
  the autograd graph**: the forward passes that sample the answer are the forward pass of the
  policy-gradient loss, so an RL step costs one forward and one backward.
* :func:`answer_logprobs` scores given answers (teacher forcing, one forward).
* :func:`enumerate_answer_logprobs` scores *every* answer in ``10**L`` by expanding the answer tree
  level by level with the cache (exact pass@1, exact gradients).

References: Vaswani et al. 2017 (arXiv 1706.03762); Radford et al. 2019 (GPT-2); Karpathy's nanoGPT.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from course_lib.lab.task import N_DIGITS, VOCAB_SIZE
from course_lib.softmax import softmax_entropy


@dataclass(frozen=True)
class GPTConfig:
    """Size of the tiny transformer."""

    vocab_size: int = VOCAB_SIZE
    """Token ids (digits, BOS, SEP)."""
    block_size: int = 16
    """Longest sequence (prompt + answer) the position table holds."""
    n_layer: int = 2
    """Transformer blocks."""
    n_head: int = 4
    """Attention heads per block."""
    d_model: int = 64
    """Width of the residual stream (must be divisible by n_head)."""
    bias: bool = False
    """Biases in the Linear and LayerNorm layers (True: as in GPT-2; off by default, as in nanoGPT)."""

    def __post_init__(self):
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "d_model"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.d_model % self.n_head:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_head ({self.n_head})")


def causal_attention(q, k, v):
    """Causal self-attention, the plain form: softmax(q k^T / sqrt(hs) + mask) v, per head.

    q: (B, T, nh, hs) for the T newest positions; k, v: (B, S, nh, hs) for all S >= T positions
    (S > T when a key/value cache holds the earlier ones). Query t sees keys 0 .. S - T + t.
    Returns (B, T, nh, hs). ``torch.nn.functional.scaled_dot_product_attention`` computes

        att = (q @ k^T) * hs**-0.5, set to -inf above the shifted diagonal; y = softmax(att) @ v

    (Vaswani et al. 2017, eq. 1; ``tests/test_model.py`` checks it against these matmuls).
    """
    T, S = q.shape[1], k.shape[1]
    q, k, v = (z.transpose(1, 2) for z in (q, k, v))  # (B, nh, T or S, hs)
    if S == T:  # no cache: the usual lower-triangular mask
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    else:  # after a cache the mask is shifted by S - T (sdpa's is_causal is aligned top-left)
        mask = torch.ones(T, S, dtype=torch.bool, device=q.device).tril(S - T)  # (T, S)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    return y.transpose(1, 2)  # (B, T, nh, hs)


def one_token_attention(q, k, v):
    """:func:`causal_attention` for one new token after a cache (T = 1), by broadcast products.

    The single query sees every cached key, so there is no mask: the same numbers to float
    rounding, and the fast path of sampling (why: :mod:`course_lib.lab._runtime`).
    q: (B, 1, nh, hs); k, v: (B, S, nh, hs). Returns (B, 1, nh, hs).
    """
    att = (q * k).sum(-1, keepdim=True) * q.shape[-1] ** -0.5  # (B, S, nh, 1): q . k_s / sqrt(hs)
    return (att.softmax(1) * v).sum(1, keepdim=True)  # (B, 1, nh, hs)


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with an optional key/value cache."""

    fast_one_token: bool = True
    """One new token after a cache uses :func:`one_token_attention` (False: always the plain form)."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.n_head = cfg.n_head
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model, bias=cfg.bias)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model, bias=cfg.bias)

    def forward(self, x, T: int, past=None):
        """x: (B T, C), the T new positions of B sequences as rows; past: (keys, values) or None."""
        C = x.shape[1]
        B, hs = x.shape[0] // T, C // self.n_head
        q, k, v = self.qkv(x).view(B, T, 3, self.n_head, hs).unbind(2)  # each (B, T, nh, hs)
        if past is not None:  # the cache keeps this (B, S, nh, hs) layout
            k = torch.cat([past[0], k], dim=1)  # (B, S, nh, hs), S = cached + T
            v = torch.cat([past[1], v], dim=1)
        if T == 1 and past is not None and self.fast_one_token:
            y = one_token_attention(q, k, v)  # (B, 1, nh, hs)
        else:
            y = causal_attention(q, k, v)  # (B, T, nh, hs)
        return self.proj(y.reshape(B * T, C)), (k, v)


class MLP(nn.Module):
    """Position-wise feed-forward network, width 4 d, ReLU as in the original Transformer (GPT-2: GELU)."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.fc = nn.Linear(cfg.d_model, 4 * cfg.d_model, bias=cfg.bias)
        self.proj = nn.Linear(4 * cfg.d_model, cfg.d_model, bias=cfg.bias)

    def forward(self, x):
        return self.proj(F.relu(self.fc(x)))


class Block(nn.Module):
    """Pre-LayerNorm transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.d_model, bias=cfg.bias)
        self.attn = CausalSelfAttention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.d_model, bias=cfg.bias)
        self.mlp = MLP(cfg)

    def forward(self, x, T: int, past=None):
        a, present = self.attn(self.ln_1(x), T, past)
        x = x + a
        return x + self.mlp(self.ln_2(x)), present


class GPT(nn.Module):
    """Decoder-only transformer; ``forward(idx, past)`` returns logits and the new cache."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.wpe = nn.Embedding(cfg.block_size, cfg.d_model)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)])
        self.ln_f = nn.LayerNorm(cfg.d_model, bias=cfg.bias)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        self.head.weight = self.wte.weight  # weight tying (Press & Wolf 2017, arXiv 1608.05859)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2: scale residual projections by 1/sqrt(2 L)
            if name.endswith("proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)

    def num_params(self) -> int:
        """Number of trainable parameters (tied weights counted once)."""
        return sum(p.numel() for p in self.parameters())

    def forward(self, idx, past=None):
        """Logits (B, T, vocab) for token ids ``idx`` (B, T) following the cache ``past``.

        The cache is a list with one (keys, values) pair per block, (B, S, nh, hs) each, for the S
        positions seen so far. The new cache (S + T positions) is returned with the logits.
        """
        B, T = idx.shape
        t0 = 0 if past is None else past[0][0].shape[1]
        if t0 + T > self.cfg.block_size:
            raise ValueError(f"sequence length {t0 + T} exceeds block_size {self.cfg.block_size}")
        pos = torch.arange(t0, t0 + T, device=idx.device)
        x = (self.wte(idx) + self.wpe(pos)).view(B * T, -1)  # (B T, C): rows are tokens from here on
        present = []
        for i, block in enumerate(self.blocks):
            x, kv = block(x, T, None if past is None else past[i])
            present.append(kv)
        return self.head(self.ln_f(x)).view(B, T, -1), present


def expand_past(past, n: int):
    """Repeat each row of a cache ``n`` times (prompt b -> rows b*n .. b*n+n-1)."""

    def rep(x):  # (B, ...) -> (B n, ...); the backward is a sum over n
        return x.unsqueeze(1).expand(x.shape[0], n, *x.shape[1:]).reshape(-1, *x.shape[1:])

    return [(rep(k), rep(v)) for k, v in past]


def digit_logprobs(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """log softmax(logits / temperature) over the 10 digit tokens only: (..., V) -> (..., 10).

    The "digit-masked softmax" of the answer positions: non-digit tokens get probability 0.
    """
    digits = logits[..., :N_DIGITS]
    return F.log_softmax(digits if temperature == 1 else digits / temperature, -1)


@dataclass
class Rollout:
    """Answers sampled for B prompts, n per prompt, with their log-probabilities."""

    answers: torch.Tensor
    """Digit ids, shape (B, n, L)."""
    logp: torch.Tensor
    """log pi(answer | prompt), shape (B, n); carries the autograd graph when sampled with grad."""
    entropy: torch.Tensor
    """Mean over the L answer positions of the next-digit entropy (nats), shape (B, n); with graph."""


def _draw(logp: torch.Tensor, generator) -> torch.Tensor:
    """One digit per row of log-probabilities (R, 10) by inverse-CDF sampling."""
    u = torch.rand(logp.shape[0], 1, generator=generator, device=logp.device, dtype=logp.dtype)
    cdf = logp.detach().exp().cumsum(-1)
    return (cdf < u).sum(-1).clamp_(max=logp.shape[-1] - 1)


def sample_answers(
    model: GPT,
    prompts: torch.Tensor,
    n: int,
    answer_len: int,
    *,
    temperature: float = 1.0,
    generator=None,
    use_cache: bool = True,
) -> Rollout:
    """Sample ``n`` answers of ``answer_len`` digits for each prompt, keeping the loss graph.

    With ``use_cache`` the prompt (B rows) is encoded once, its cache is expanded to B n rows and
    each new digit is one single-token forward; the graph of those passes *is* the loss forward.
    Without it, every step re-runs the whole prefix (no grad) and the last pass, run with grad on
    prompt + L-1 answer digits, yields the log-probabilities of all L digits at once (causal
    attention makes its earlier positions equal to the earlier passes). Both give the same samples.

    Parameters
    ----------
    model : GPT
    prompts : LongTensor, shape (B, P)
    n : int, samples per prompt
    answer_len : int, L
    temperature : float > 0; the policy is softmax(digit logits / temperature)
    generator : torch.Generator on the model's device, or None
    use_cache : bool

    Returns
    -------
    Rollout with answers (B, n, L), logp (B, n), entropy (B, n).
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    B = prompts.shape[0]
    with torch.set_grad_enabled(torch.is_grad_enabled() and (use_cache or answer_len == 1)):
        logits, past = model(prompts)  # (B, P, V): the prompt is encoded once, not n times
    lp = digit_logprobs(logits[:, -1], temperature).repeat_interleave(n, 0)  # (Bn, 10)
    tokens, step_lp = [], []
    if use_cache:
        past = expand_past(past, n)
    else:
        seq = prompts.repeat_interleave(n, 0)  # (Bn, P)
    for t in range(answer_len):
        a = _draw(lp, generator)  # (Bn,)
        tokens.append(a)
        step_lp.append(lp)
        if t == answer_len - 1:
            break
        if use_cache:
            logits, past = model(a[:, None], past)
            lp = digit_logprobs(logits[:, -1], temperature)
        else:
            seq = torch.cat([seq, a[:, None]], 1)
            if t < answer_len - 2:
                with torch.no_grad():
                    logits, _ = model(seq)
                lp = digit_logprobs(logits[:, -1], temperature)
            else:  # last pass, with grad: logits for every answer position at once
                logits, _ = model(seq)
                all_lp = digit_logprobs(logits[:, -answer_len:], temperature)
                step_lp = list(all_lp.unbind(1))  # (Bn, 10) per answer position
                lp = step_lp.pop()  # appended again at the top of the last iteration
    answers = torch.stack(tokens, 1)  # (Bn, L)
    lps = torch.stack(step_lp, 1)  # (Bn, L, 10)
    logp = lps.gather(2, answers[:, :, None]).squeeze(2).sum(1)  # (Bn,)
    entropy = softmax_entropy(lps).mean(1)  # (Bn,): next-digit entropy, mean over positions
    return Rollout(answers.view(B, n, answer_len), logp.view(B, n), entropy.view(B, n))


def answer_logprobs(model: GPT, prompts: torch.Tensor, answers: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """log pi(answer | prompt) by teacher forcing: prompts (B, P), answers (B, L) -> (B,).

    Distinct prompts are encoded once (a batch over 24 targets has at most 24), their cache is
    gathered to the B rows, and only the L - 1 answer digits are fed row by row.
    """
    L = answers.shape[1]
    uniq, inv = torch.unique(prompts, dim=0, return_inverse=True)  # (U, P), (B,)
    logits, past = model(uniq)
    first = logits[:, -1][inv]  # (B, V): the logits of digit 1
    if L > 1:
        past = [(k[inv], v[inv]) for k, v in past]  # (B, P, nh, hs)
        logits, _ = model(answers[:, :-1], past)  # (B, L - 1, V)
        all_logits = torch.cat([first[:, None], logits], 1)  # (B, L, V)
    else:
        all_logits = first[:, None]
    lp = digit_logprobs(all_logits, temperature)  # (B, L, 10)
    return lp.gather(2, answers[:, :, None]).squeeze(2).sum(1)


def enumerate_answer_logprobs(
    model: GPT, prompts: torch.Tensor, answer_len: int, temperature: float = 1.0
) -> torch.Tensor:
    """log pi(y | prompt) of every answer y in lexicographic order: (B, P) -> (B, 10**L).

    The answer tree is expanded level by level with the cache (B, 10 B, 100 B ... rows of one
    token), so L = 3 costs about as much as a forward over B (4 + 10 + 100) tokens. Differentiable.
    """
    B = prompts.shape[0]
    logits, past = model(prompts)
    total = digit_logprobs(logits[:, -1], temperature).reshape(B, N_DIGITS)  # (B, 10)
    for _ in range(answer_len - 1):
        rows = total.shape[1]  # prefixes of the current length per prompt (10, 100, ...)
        past = expand_past(past, N_DIGITS)  # each prefix gets 10 children: B * rows rows
        digits = torch.arange(N_DIGITS, device=prompts.device).repeat(B * rows // N_DIGITS)
        logits, past = model(digits[:, None], past)  # row b * rows + i holds prefix i of prompt b
        lp = digit_logprobs(logits[:, -1], temperature)  # (B * rows, 10)
        total = (total.reshape(-1, 1) + lp).reshape(B, rows * N_DIGITS)
    return total
