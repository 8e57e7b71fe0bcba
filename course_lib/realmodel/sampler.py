r"""Fast sampling of many short answers per prompt: prefill once, repeat the KV cache (chapter 8).

Evaluation and RL need n samples of a few tokens for the *same* prompt. ``model.generate`` on n
copies of the prompt encodes the prompt n times; here the prompt is encoded once (the prefill), its
key/value cache is repeated for ``rows`` samples (``cache.batch_repeat_interleave``), and each new
token is one forward pass of ``rows`` single tokens. The token draws are those of ``generate``
(temperature, then ``torch.multinomial`` on the softmax of all rows at once, rows that emitted EOS
padded), so with the same seed and ``n <= rows_per_call`` the tokens are the same
(``tests/test_realmodel.py`` checks it). Rows per call are capped: the cache costs 46 KB per token
per row for this model (30 layers x 2 x 3 KV heads x 64 x 4 bytes).

The same prefill gives exact answer probabilities by teacher forcing (:func:`answer_logprobs`) and,
with gradients through the trainable layers, the RL loss (``course_lib.realmodel.rl``).
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from course_lib.lab import _runtime  # noqa: F401  (first: pins the CPU kernels, so a seed repeats across CPUs)

__all__ = [
    "Prefix",
    "encode_prefix",
    "prefill",
    "prefill_rows",
    "copy_cache",
    "forward_cached",
    "sample",
    "sample_prompts",
    "answer_logprobs",
    "answer_logprobs_prompts",
    "answer_mask",
]


@functools.cache
def _cache_argument(model_class) -> str:
    return "cache" if "cache" in inspect.signature(model_class.forward).parameters else "past_key_values"


def forward_cached(model, input_ids: torch.Tensor, cache=None, **kw):
    """``model(input_ids, cache=cache, use_cache=True)`` -> ``(logits, cache)``.

    transformers renamed the argument ``past_key_values`` to ``cache`` (5.2x; the old name warns as
    deprecated): the model's own signature decides which one is passed.
    """
    out = model(input_ids=input_ids, use_cache=True, **{_cache_argument(type(model)): cache}, **kw)
    new = getattr(out, "cache", None)
    return out.logits, (out.past_key_values if new is None else new)


def copy_cache(cache):
    """A copy of a key/value cache that shares its tensors (no data copied).

    Safe because a cache never writes into its tensors: each update concatenates into new ones,
    and ``batch_repeat_interleave`` makes new ones. Unlike ``copy.deepcopy`` it also copies a cache
    whose tensors carry gradients (the RL loss through a shared prefix).
    """
    new = copy.copy(cache)
    new.layers = [copy.copy(layer) for layer in cache.layers]
    return new


@dataclass(frozen=True)
class Prefix:
    """Tokens shared by many prompts (the few-shot examples), encoded once: its ids and its cache."""

    ids: tuple[int, ...]
    cache: object


def encode_prefix(model, ids: Sequence[int]) -> Prefix:
    """The :class:`Prefix` of ``ids`` (with gradients if they are enabled: the RL step's shared prefix)."""
    device = next(model.parameters()).device
    ids_t = torch.as_tensor(list(ids), dtype=torch.long, device=device).view(1, -1)
    _, cache = forward_cached(model, ids_t, logits_to_keep=1)
    return Prefix(tuple(int(i) for i in ids), cache)


def prefill(model, prompt_ids: Sequence[int] | torch.Tensor, prefix: Prefix | None = None):
    """``(cache, last_logits)``: one prompt encoded once; ``last_logits`` (1, V) predict the first new token.

    With a ``prefix`` that the prompt starts with, only the rest of the prompt is encoded, on a copy of
    the prefix's cache (the prefix is reused by every prompt of the task).
    """
    return prefill_rows(model, [prompt_ids], prefix)


def prefill_rows(model, prompts: Sequence[Sequence[int]], prefix: Prefix | None = None):
    """``(cache, last_logits)`` of B prompts at once, one row each: ``last_logits`` is (B, V).

    The prompts must have equal lengths (after the prefix, if given): no padding is used, so each
    row's positions and attention are exactly those of the prompt alone.
    """
    device = next(model.parameters()).device
    rows = [[int(i) for i in ids] for ids in prompts]
    cache = None
    if prefix is not None:
        m = len(prefix.ids)
        if any(tuple(ids[:m]) != prefix.ids or len(ids) <= m for ids in rows):
            raise ValueError("a prompt does not start with the prefix (or has nothing after it)")
        rows = [ids[m:] for ids in rows]
        cache = copy_cache(prefix.cache)
        if len(rows) > 1:
            cache.batch_repeat_interleave(len(rows))
    if len({len(ids) for ids in rows}) != 1:
        raise ValueError("prompts encoded together must have the same length (after the prefix)")
    logits, cache = forward_cached(model, torch.tensor(rows, dtype=torch.long, device=device), cache, logits_to_keep=1)
    return cache, logits[:, -1].float()


def _batches(prompts, n: int, rows_per_call: int, prefix: Prefix | None) -> list[list[int]]:
    """Indices of prompts decoded together: equal lengths, at most ``rows_per_call // n`` prompts per call."""
    skip = len(prefix.ids) if prefix is not None else 0
    per = max(1, rows_per_call // n)
    by_length: dict[int, list[int]] = {}
    for i, ids in enumerate(prompts):
        by_length.setdefault(len(ids) - skip, []).append(i)
    return [idx[j : j + per] for _, idx in sorted(by_length.items()) for j in range(0, len(idx), per)]


@torch.no_grad()
def sample(
    model,
    prompt_ids: Sequence[int] | torch.Tensor,
    n: int,
    *,
    max_new_tokens: int = 4,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
    rows_per_call: int = 32,
    eos_token_id: int | None = None,
    pad_token_id: int | None = None,
    prefix: Prefix | None = None,
) -> torch.Tensor:
    r"""n sampled continuations of one prompt, ``(n, max_new_tokens)`` token ids on the CPU.

    Parameters
    ----------
    model : transformers causal LM
        In eval mode; any device.
    prompt_ids : sequence of int
        The prompt's token ids (no padding needed: one prompt per call).
    n : int
        Samples to draw, ``>= 1``.
    max_new_tokens : int
        Tokens per sample (every row gets exactly this many; after EOS a row holds ``pad_token_id``).
    temperature : float
        Logits are divided by it before the softmax, ``> 0``.
    generator : torch.Generator, optional
        Source of randomness, on the model's device (default: torch's global generator, as ``generate``).
    rows_per_call : int
        At most this many samples decoded at once (memory: the repeated cache).
    eos_token_id, pad_token_id : int, optional
        Default: the model config's.
    prefix : Prefix, optional
        Shared start of the prompt, encoded once (:func:`encode_prefix`); the tokens are then those of
        a one-piece prefill up to last-bit differences of the logits.

    Returns
    -------
    torch.Tensor, int64, shape (n, max_new_tokens)

    Notes
    -----
    Each step draws :math:`y_t \sim \mathrm{softmax}(z_t / T)` for every row at once, as
    ``generate(do_sample=True, temperature=T, top_k=0, top_p=1.0)`` does; the prompt's cache is
    computed once and repeated, so a step costs one forward pass of ``rows`` tokens.
    With ``n > rows_per_call`` the rows are drawn in chunks, so the random stream is consumed in
    another order than by one ``generate`` call on n rows (same distribution, other tokens).
    """
    if n < 1 or max_new_tokens < 1 or rows_per_call < 1:
        raise ValueError(
            f"n, max_new_tokens and rows_per_call must be >= 1, got {n}, {max_new_tokens}, {rows_per_call}"
        )
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    eos, pad = _eos_pad(model, eos_token_id, pad_token_id)
    cache, last = prefill(model, prompt_ids, prefix)
    chunks = []
    for start in range(0, n, rows_per_call):
        rows = min(rows_per_call, n - start)
        rows_cache = copy_cache(cache)
        rows_cache.batch_repeat_interleave(rows)
        chunks.append(
            _decode(model, rows_cache, last.expand(rows, -1), max_new_tokens, temperature, generator, eos, pad)
        )
    return torch.cat(chunks).cpu()


@torch.no_grad()
def sample_prompts(
    model,
    prompts: Sequence[Sequence[int]],
    n: int,
    *,
    max_new_tokens: int = 4,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
    rows_per_call: int = 32,
    prefix: Prefix | None = None,
) -> list[torch.Tensor]:
    """n samples of each of several prompts, ``[(n, max_new_tokens), ...]`` in the prompts' order.

    As :func:`sample`, but prompts of equal length share a call (up to ``rows_per_call`` rows), which
    pays off for small n (an RL group of 8: ~2x faster than one prompt per call). With
    ``n >= rows_per_call`` it is :func:`sample` per prompt. Same distribution as :func:`sample`;
    the random stream is consumed in another order.
    """
    if n >= rows_per_call:
        return [
            sample(
                model,
                ids,
                n,
                max_new_tokens=max_new_tokens,
                temperature=temperature,
                generator=generator,
                rows_per_call=rows_per_call,
                prefix=prefix,
            )
            for ids in prompts
        ]
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    eos, pad = _eos_pad(model, None, None)
    out: list[torch.Tensor | None] = [None] * len(prompts)
    for idx in _batches(prompts, n, rows_per_call, prefix):
        cache, last = prefill_rows(model, [prompts[i] for i in idx], prefix)
        cache.batch_repeat_interleave(n)
        tokens = _decode(
            model, cache, last.repeat_interleave(n, dim=0), max_new_tokens, temperature, generator, eos, pad
        )
        for j, i in enumerate(idx):
            out[i] = tokens[j * n : (j + 1) * n].cpu()
    return out


def _eos_pad(model, eos_token_id, pad_token_id) -> tuple[int | None, int | None]:
    cfg = model.config
    eos = cfg.eos_token_id if eos_token_id is None else eos_token_id
    pad = (cfg.pad_token_id if cfg.pad_token_id is not None else eos) if pad_token_id is None else pad_token_id
    return eos, pad


def _decode(model, cache, logits, steps, temperature, generator, eos, pad) -> torch.Tensor:
    """``steps`` tokens for each row of ``logits`` (rows, V), feeding one token per row per step."""
    rows = logits.shape[0]
    out = torch.empty(rows, steps, dtype=torch.long, device=logits.device)
    alive = torch.ones(rows, dtype=torch.bool, device=logits.device)
    for t in range(steps):
        probs = torch.softmax(logits / temperature, dim=-1)
        token = torch.multinomial(probs, num_samples=1, generator=generator).squeeze(1)
        token = torch.where(alive, token, torch.full_like(token, pad))  # as generate: finished rows get padding
        out[:, t] = token
        if eos is not None:
            alive &= token != eos
        if t + 1 < steps:
            logits = forward_cached(model, token[:, None], cache)[0][:, -1].float()
    return out


def answer_mask(answers: torch.Tensor, stop_ids: Sequence[int]) -> torch.Tensor:
    """``(rows, L)`` bool: the tokens up to and including the first stop token (all if none).

    The verifier reads an answer up to its first newline, so later tokens change nothing and carry
    no loss.

    Examples
    --------
    >>> answer_mask(torch.tensor([[5, 9, 7, 7], [5, 5, 5, 5]]), stop_ids=[9]).tolist()
    [[True, True, False, False], [True, True, True, True]]
    """
    stop = torch.zeros_like(answers, dtype=torch.bool)
    for s in stop_ids:
        stop |= answers == s
    before = torch.cumsum(stop.long(), dim=1) - stop.long()  # stop tokens strictly before position t
    return before == 0


def answer_logprobs(
    model,
    prompt_ids: Sequence[int] | torch.Tensor,
    answers: torch.Tensor,
    *,
    temperature: float = 1.0,
    mask: torch.Tensor | None = None,
    prefix: Prefix | None = None,
) -> torch.Tensor:
    r"""Log-probability of each answer given the prompt, by teacher forcing: ``(rows,)``.

    .. math:: \log \pi_T(y \mid x) = \sum_{t \in \text{mask}} \log \mathrm{softmax}(z_t / T)[y_t]

    The prompt is encoded once and its cache repeated for the ``rows`` answers ``(rows, L)`` (all of one
    length; ``mask`` (rows, L) selects the tokens that count, default all; ``prefix`` as in :func:`sample`).
    Differentiable: call it under ``torch.no_grad()`` for probabilities, or with gradients for the RL loss (the prompt's
    prefill then carries the gradient of the trainable layers' keys and values, so the gradient is exact).
    """
    answers = torch.as_tensor(answers, dtype=torch.long)
    rows, length = answers.shape
    device = next(model.parameters()).device
    answers = answers.to(device)
    cache, last = prefill(model, prompt_ids, prefix)
    logits = last.expand(rows, -1)[:, None]  # (rows, 1, V): predicts answer token 0
    if length > 1:
        cache.batch_repeat_interleave(rows)
        rest = forward_cached(model, answers[:, :-1], cache)[0].float()
        logits = torch.cat([logits, rest], dim=1)  # (rows, L, V)
    logp = torch.log_softmax(logits / temperature, dim=-1).gather(-1, answers[..., None]).squeeze(-1)
    if mask is not None:
        logp = logp * mask.to(device)
    return logp.sum(dim=1)


def answer_logprobs_prompts(
    model,
    prompts: Sequence[Sequence[int]],
    answers: Sequence[torch.Tensor],
    *,
    temperature: float = 1.0,
    masks: Sequence[torch.Tensor] | None = None,
    prefix: Prefix | None = None,
    rows_per_call: int = 32,
):
    """:func:`answer_logprobs` of several prompts, equal-length prompts sharing a call; yields ``(indices, logps)``.

    ``answers[i]`` is (G, L) for prompt i, the same G and L for all. Each yielded pair holds the prompt
    indices of one call and their log-probs, (len(indices), G): a caller can take a backward pass per
    call (with ``retain_graph=True`` when a prefix with gradients is shared) to bound memory.
    """
    group = int(answers[0].shape[0])
    device = next(model.parameters()).device
    for idx in _batches(prompts, group, rows_per_call, prefix):
        cache, last = prefill_rows(model, [prompts[i] for i in idx], prefix)
        ans = torch.cat([torch.as_tensor(answers[i], dtype=torch.long) for i in idx]).to(device)  # (b G, L)
        logits = last.repeat_interleave(group, dim=0)[:, None]
        if ans.shape[1] > 1:
            cache.batch_repeat_interleave(group)
            logits = torch.cat([logits, forward_cached(model, ans[:, :-1], cache)[0].float()], dim=1)
        logp = torch.log_softmax(logits / temperature, dim=-1).gather(-1, ans[..., None]).squeeze(-1)
        if masks is not None:
            logp = logp * torch.cat([masks[i] for i in idx]).to(device)
        yield idx, logp.sum(dim=1).view(len(idx), group)
