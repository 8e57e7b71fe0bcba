r"""Pass@k with dependent samples on the bandit: k answers drawn *without replacement* (chapter 6).

Yu's collinearity, grad J_k = alpha_k grad J_1, rests on J_k = 1 - (1 - J_1)^k, i.e. on k i.i.d.
samples (arXiv 2511.16231, open question 2). A diverse decoder that never repeats an answer --
here the simplest one: draw an answer from pi, remove it, renormalise, draw again (successive
sampling, the Plackett--Luce order) -- breaks that identity. Its pass@k depends on how the
*wrong* mass is spread, not only on J_1:

    fail(x) = P(k draws without replacement are all wrong)
            = sum over ordered k-tuples (a_1..a_k) of distinct wrong answers of
              prod_j pi_{a_j} / (1 - pi_{a_1} - ... - pi_{a_{j-1}})

so its gradient is not parallel to grad J_1 (:func:`course_lib.symbolic.dependent.dependent_collinearity`
proves it on a 3-answer policy). This module computes that pass@k and its exact gradient for the
tabular bandit and registers it as the exact objective ``"pass@k-wor"``, so
``train(bandit, objective="pass@k-wor", k=4)`` trains with it.

How: the probability that the first j draws are some set S (in any order) obeys
``f(S) = sum_{s in S} f(S - s) pi_s / (1 - pi(S - s))``, ``f({}) = 1``; fail = sum of f over the
k-subsets of the wrong answers. The recursion runs level by level over subsets (vectorised over
prompts, wrong answers padded with zero-probability dummies), carrying d f / d pi alongside; the
chain rule through the softmax then gives the gradient in the logits. All terms are positive (no
cancellation); the remaining mass ``1 - pi(S)`` is summed from the answers outside S.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np

from .._checks import as_positive_int
from ..softmax import pass1, softmax
from .core import register_exact

__all__ = ["fail_without_replacement", "pass_at_k_wor", "pass_at_k_wor_gradient", "cosine_to_pass1"]

_MAX_CELLS = 20_000_000
"""Refuse a recursion larger than this many (prompt, subset, element, answer) cells."""


@lru_cache(maxsize=64)
def _levels(w: int, k: int) -> tuple:
    """Per level j = 1..min(k, w): (pred (L_j, j), elem (L_j, j), member (L_j, w)) of the j-subsets of range(w)."""
    out, index_prev = [], {(): 0}
    for j in range(1, min(k, w) + 1):
        subsets = list(itertools.combinations(range(w), j))
        index = {s: i for i, s in enumerate(subsets)}
        pred = np.array([[index_prev[s[:t] + s[t + 1 :]] for t in range(j)] for s in subsets], dtype=np.int64)
        elem = np.array(subsets, dtype=np.int64)
        member = np.zeros((len(subsets), w), dtype=bool)
        member[np.repeat(np.arange(len(subsets)), j), elem.ravel()] = True
        for arr in (pred, elem, member):
            arr.setflags(write=False)
        out.append((pred, elem, member))
        index_prev = index
    return tuple(out)


def _wrong_table(pi: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P, W) probabilities of each prompt's wrong answers (zero-padded) and their answer indices (-1: padding)."""
    wrong = ~correct
    w = int(wrong.sum(-1).max())
    idx = np.full((pi.shape[0], w), -1, dtype=np.int64)
    for x in range(pi.shape[0]):
        cols = np.flatnonzero(wrong[x])
        idx[x, : cols.size] = cols
    piw = np.where(idx >= 0, np.take_along_axis(pi, np.maximum(idx, 0), axis=-1), 0.0)
    return piw, idx


def _fail_and_grad(pi: np.ndarray, correct: np.ndarray, k: int, with_grad: bool):
    """fail (P,) and d fail / d pi_wrong (P, W) by the subset recursion (see the module docstring)."""
    p, _ = pass1(pi, correct)
    piw, idx = _wrong_table(pi, correct)
    P, w = piw.shape
    levels = _levels(w, k)
    cells = sum(pred.size for pred, _, _ in levels) * P * (w if with_grad else 1)
    if cells > _MAX_CELLS:
        raise ValueError(f"pass@k without replacement over {w} wrong answers with k={k} is too large to enumerate")
    if len(levels) < k:  # fewer than k wrong answers: k distinct draws always include a correct one
        return np.zeros(P), np.zeros((P, w)), piw, idx
    f = np.ones((P, 1))  # level 0: the empty set
    df = np.zeros((P, 1, w))
    member_prev = np.zeros((1, w), dtype=bool)
    for pred, elem, member in levels:
        rem = p[:, None] + piw @ (~member_prev).T.astype(np.float64)  # (P, L_{j-1}) mass left after the set
        step = piw[:, elem] / rem[:, pred]  # (P, L_j, j): pi_s / (1 - pi(S - s))
        f_new = (f[:, pred] * step).sum(-1)
        if with_grad:
            # d/d pi_a of f(S-s) pi_s / (1 - pi(S-s)) =
            #   df(S-s)_a pi_s/rem + f(S-s) [a = s]/rem + f(S-s) pi_s/rem^2 [a in S-s]
            inv = 1.0 / rem[:, pred]  # (P, L_j, j)
            df_new = (df[:, pred, :] * step[..., None]).sum(2)
            df_new += (
                (f[:, pred] * inv)[..., None] * (elem[..., None] == np.arange(w))[None]
                + (f[:, pred] * step * inv)[..., None] * member_prev[pred][None]
            ).sum(2)
            df = df_new
        f, member_prev = f_new, member
    return f.sum(-1), (df.sum(1) if with_grad else None), piw, idx


def fail_without_replacement(logits, correct, k: int) -> np.ndarray:
    """P(k answers drawn without replacement from softmax(logits) are all wrong), per prompt; shape (P,)."""
    k = as_positive_int("k", k)
    return _fail_and_grad(softmax(logits), np.asarray(correct, dtype=bool), k, with_grad=False)[0]


def pass_at_k_wor(logits, correct, k: int) -> np.ndarray:
    r"""Pass@k of each prompt when its k answers are drawn without replacement; shape (P,).

    Parameters
    ----------
    logits : ndarray, shape (P, M)
    correct : ndarray of bool, shape (P, M)
    k : int
        Draws, ``>= 1`` (k = 1 gives J_1; k above the number of wrong answers gives 1).

    Returns
    -------
    ndarray, shape (P,)
        ``J_k^wor = 1 - fail``, always ``>=`` the i.i.d. ``1 - (1 - J_1)^k``.

    Notes
    -----
    .. math:: J_k^{wor} = 1 - \sum_{(a_1..a_k)\ \text{distinct, wrong}} \prod_{j=1}^k
              \frac{\pi_{a_j}}{1 - \sum_{l<j} \pi_{a_l}}

    Plain text: one minus the probability that k successive draws, each from pi renormalised
    over the answers not yet drawn, are all wrong.

    References
    ----------
    Y. Yu, arXiv 2511.16231 (open question 2: dependent samples); W. Kool et al., "Stochastic
    beams and where to find them" (sampling without replacement), arXiv 1903.06059.

    Examples
    --------
    >>> round(float(pass_at_k_wor(np.log([[0.5, 0.25, 0.25]]), [[True, False, False]], 2)[0]), 12)  # 5/6
    0.833333333333
    """
    return 1.0 - fail_without_replacement(logits, correct, k)


def pass_at_k_wor_gradient(logits, correct, k: int) -> np.ndarray:
    r"""Exact gradient of :func:`pass_at_k_wor` with respect to the logits; shape (P, M).

    Notes
    -----
    With ``g = d fail / d pi`` (zero on the correct answers, whose split does not matter), the
    softmax chain rule gives

    .. math:: \nabla_\theta J_k^{wor} = -\,\pi \odot \big(g - \langle \pi, g \rangle\big)

    Plain text: ``grad = -pi * (g - sum(pi * g))``. Unlike i.i.d. pass@k it moves mass *between
    wrong answers*: concentrating the wrong mass lowers ``fail`` (a repeat is skipped), so the
    direction differs from grad J_1 whenever the wrong answers have unequal probabilities.

    Examples
    --------
    >>> g = pass_at_k_wor_gradient(np.zeros((1, 3)), [[True, False, False]], 1)  # k = 1: grad J_1
    >>> bool(np.allclose(g, [[2 / 9, -1 / 9, -1 / 9]]))
    True
    """
    k = as_positive_int("k", k)
    pi = softmax(logits)
    _, dw, _, idx = _fail_and_grad(pi, np.asarray(correct, dtype=bool), k, with_grad=True)
    g = np.zeros_like(pi)  # d fail / d pi, (P, M)
    rows = np.broadcast_to(np.arange(pi.shape[0])[:, None], idx.shape)
    real = idx >= 0
    g[rows[real], idx[real]] = dw[real]
    return -pi * (g - (pi * g).sum(-1, keepdims=True))


def cosine_to_pass1(logits, correct, k: int) -> np.ndarray:
    """Per prompt, the cosine between grad J_k^wor and grad J_1 (1 for i.i.d. sampling; NaN where either is 0); (P,)."""
    pi = softmax(logits)
    p, q = pass1(pi, np.asarray(correct, dtype=bool))
    g1 = pi * np.where(correct, q[:, None], -p[:, None])
    gk = pass_at_k_wor_gradient(logits, correct, k)
    norm = np.linalg.norm(g1, axis=-1) * np.linalg.norm(gk, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, (g1 * gk).sum(-1) / np.where(norm > 0, norm, 1.0), math.nan)


register_exact(
    "pass@k-wor",
    "exact gradient of pass@k with the k answers drawn without replacement (not alpha_k grad J_1)",
    pass_at_k_wor_gradient,
    pass_at_k_wor,
)
