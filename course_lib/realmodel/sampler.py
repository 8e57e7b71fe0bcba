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

import torch

__all__ = ["prefill", "forward_cached", "sample", "answer_logprobs", "answer_mask"]


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


def prefill(model, prompt_ids: Sequence[int] | torch.Tensor):
    """``(cache, last_logits)``: the prompt encoded once; ``last_logits`` (1, V) predict the first new token."""
    device = next(model.parameters()).device
    ids = torch.as_tensor(prompt_ids, dtype=torch.long, device=device).view(1, -1)
    logits, cache = forward_cached(model, ids, logits_to_keep=1)
    return cache, logits[:, -1].float()


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
        raise ValueError(f"n, max_new_tokens and rows_per_call must be >= 1, got {n}, {max_new_tokens}, {rows_per_call}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    cfg = model.config
    eos = cfg.eos_token_id if eos_token_id is None else eos_token_id
    pad = (cfg.pad_token_id if cfg.pad_token_id is not None else eos) if pad_token_id is None else pad_token_id
    cache, last = prefill(model, prompt_ids)
    chunks = []
    for start in range(0, n, rows_per_call):
        rows = min(rows_per_call, n - start)
        rows_cache = cache if start + rows >= n else copy.deepcopy(cache)  # the last chunk may consume it
        rows_cache.batch_repeat_interleave(rows)
        chunks.append(_decode(model, rows_cache, last.expand(rows, -1), max_new_tokens, temperature, generator, eos, pad))
    return torch.cat(chunks).cpu()


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
) -> torch.Tensor:
    r"""Log-probability of each answer given the prompt, by teacher forcing: ``(rows,)``.

    .. math:: \log \pi_T(y \mid x) = \sum_{t \in \text{mask}} \log \mathrm{softmax}(z_t / T)[y_t]

    The prompt is encoded once and its cache repeated for the ``rows`` answers ``(rows, L)`` (all of one
    length; ``mask`` (rows, L) selects the tokens that count, default all). Differentiable: call it
    under ``torch.no_grad()`` for probabilities, or with gradients for the RL loss (the prompt's
    prefill then carries the gradient of the trainable layers' keys and values, so the gradient is exact).
    """
    answers = torch.as_tensor(answers, dtype=torch.long)
    rows, length = answers.shape
    device = next(model.parameters()).device
    answers = answers.to(device)
    cache, last = prefill(model, prompt_ids)
    logits = last.expand(rows, -1)[:, None]  # (rows, 1, V): predicts answer token 0
    if length > 1:
        cache.batch_repeat_interleave(rows)
        rest = forward_cached(model, answers[:, :-1], cache)[0].float()
        logits = torch.cat([logits, rest], dim=1)  # (rows, L, V)
    logp = torch.log_softmax(logits / temperature, dim=-1).gather(-1, answers[..., None]).squeeze(-1)
    if mask is not None:
        logp = logp * mask.to(device)
    return logp.sum(dim=1)
