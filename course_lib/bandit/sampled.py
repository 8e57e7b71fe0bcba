r"""Sampled group estimates on the bandit: n rollouts per prompt, weighted by the registry (chapter 4).

Every registered estimator (:data:`course_lib.advantages.ESTIMATORS`) is a sampled objective of
the bandit; :func:`expected_weight` gives the mean of its estimate in closed form, which is
``lambda(p) grad J_1`` per prompt when the weights depend only on the rewards.

The group context a method may ask for (:class:`course_lib.advantages.Group`) is always passed:
the answer ids are the sampled answers themselves (the bandit's answers *are* final answers),
``logp`` is log pi(y) under the sampling policy, the prompt ids are the rows 0..P-1, and the
per-run ``state`` dict is the one :func:`course_lib.bandit.train` keeps for the whole run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from .. import advantages as adv
from .._checks import as_positive_int, as_prob_array, scalar_or_array
from ..passk import binomial_pmf
from ..softmax import softmax

__all__ = ["SAMPLED_OBJECTIVES", "group_weights", "sampled_gradient", "expected_weight", "depends_only_on_c"]


class _Objectives(Mapping):
    """Live view ``key -> one-line description``: some fixed objectives, then every registered estimator."""

    def __init__(self, fixed: dict):
        self._fixed = fixed

    def __getitem__(self, key: str) -> str:
        if key in self._fixed:
            return self._fixed[key]
        return adv.ESTIMATORS[key].summary

    def __iter__(self) -> Iterator[str]:
        yield from self._fixed
        yield from (key for key in adv.ESTIMATORS if key not in self._fixed)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self)!r})"


SAMPLED_OBJECTIVES = _Objectives({})
"""Every key of the estimator registry (:data:`course_lib.advantages.ESTIMATORS`), with its summary:
n samples per prompt, weighted by :func:`course_lib.advantages.loss_weights`. A live view: a method
registered later is a valid objective at once."""


def group_weights(
    objective: str,
    r,
    k: int = 4,
    beta: float = 2.0,
    rng: np.random.Generator | None = None,
    *,
    params: dict | None = None,
    **context,
) -> np.ndarray:
    """Sum-form weights w of the registered method ``objective`` for rewards ``r`` (n,) or (B, n).

    The estimate of a group is ``sum_i w_i grad log pi(y_i)`` (mean-form advantages arrive
    divided by n): :func:`course_lib.advantages.loss_weights` with the method's k, and ``beta``
    and ``rng`` passed only to the methods that take such a parameter (RS-GRPO's beta, the
    bootstrap's random subsets). PKPO uses the ``"loo-1"`` baseline for k >= 2 and ``"loo"`` at k = 1.
    ``params`` holds more hyper-parameters of the method (e.g. ``{"lam": 0.1}``; they override
    beta and rng), ``context`` the optional fields of :class:`course_lib.advantages.Group`
    (``logp``, ``answer_ids``, ``prompt_ids``, ``state``).
    """
    est = adv.estimator(objective)
    given = {"beta": beta, "rng": rng}
    kwargs = {name: value for name, value in given.items() if name in est.params and value is not None}
    kwargs.update(params or {})
    group = adv.Group(rewards=r, **context) if context else r
    return adv.loss_weights(objective, group, k=k, **kwargs)


def sampled_gradient(
    logits,
    correct,
    objective: str,
    n: int,
    rng: np.random.Generator,
    k: int = 4,
    beta: float = 2.0,
    *,
    params: dict | None = None,
    state: dict | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""One sampled policy-gradient estimate per prompt from ``n`` rollouts.

    Parameters
    ----------
    logits : ndarray, shape (P, M)
    correct : ndarray of bool, shape (P, M)
    objective : str
        A key of :data:`SAMPLED_OBJECTIVES`.
    n : int
        Rollouts per prompt.
    rng : numpy.random.Generator
        Source of the rollouts (and of the estimator's own draws, if it makes any).
    k, beta : int, float
        Passed to the estimator (see :func:`group_weights`).
    params : dict, optional
        More hyper-parameters of the estimator (see :func:`group_weights`).
    state : dict, optional
        The run's state dict (:class:`course_lib.advantages.Group`), kept by the caller across
        steps; a fresh one when omitted (a stateful method then forgets between calls).

    Returns
    -------
    g : ndarray, shape (P, M)
        ``sum_i w_i (e_{y_i} - pi)`` with the sum-form weights of :func:`group_weights`, since
        ``grad log pi(y) = e_y - pi``.
    zero : ndarray of bool, shape (P,)
        The estimate is exactly zero.
    all_fail : ndarray of bool, shape (P,)
        All n rollouts were wrong.
    """
    pi = softmax(logits)
    correct = np.asarray(correct, dtype=bool)
    P, M = pi.shape
    cdf = np.cumsum(pi, axis=-1)
    u = rng.random((P, n)) * cdf[:, -1:]
    y = np.minimum((u[..., None] >= cdf[:, None, :]).sum(-1), M - 1)  # (P, n) sampled answers
    r = np.take_along_axis(correct, y, axis=-1).astype(np.float64)  # (P, n) binary rewards
    context = {
        "logp": np.log(np.take_along_axis(pi, y, axis=-1)),  # (P, n) log pi(y), > -inf: y was drawn
        "answer_ids": y,
        "prompt_ids": np.arange(P),
        "state": {} if state is None else state,
    }
    w = group_weights(objective, r, k, beta, rng=rng, params=params, **context)  # (P, n) sum-form weights
    onehot = y[..., None] == np.arange(M)  # (P, n, M)
    g = np.einsum("pn,pnm->pm", w, onehot) - w.sum(axis=-1, keepdims=True) * pi
    return g, np.all(g == 0.0, axis=-1), r.sum(axis=-1) == 0


def _weights_by_c(objective: str, n: int, k: int, beta: float) -> tuple[np.ndarray, bool]:
    """Sum-form weights (n+1, n) of the groups "c ones, then n - c zeros", and whether they
    depend only on a sample's own reward and on c (see :func:`depends_only_on_c`)."""
    c = np.arange(n + 1)
    groups = (np.arange(n)[None, :] < c[:, None]).astype(np.float64)
    if adv.estimator(objective).needs:  # it reads more of the group than the rewards
        return np.zeros_like(groups), False
    w = np.asarray(group_weights(objective, groups, k, beta))
    flipped = np.asarray(group_weights(objective, groups[:, ::-1], k, beta))[:, ::-1]
    shared = np.where(groups == 1.0, w[:, :1], w[:, -1:])  # one weight per outcome
    ok = np.allclose(w, shared, rtol=1e-10, atol=1e-14) and np.allclose(w, flipped, rtol=1e-10, atol=1e-14)
    return w, bool(ok)


def depends_only_on_c(objective: str, n: int, k: int = 4, beta: float = 2.0) -> bool:
    """True if ``objective``'s weight of a sample depends only on its own reward and on c (the
    number of correct samples in its group of ``n``) -- the condition of :func:`expected_weight`.

    Checked for every c on the group "c correct, then n - c wrong": all correct samples share
    one weight, all wrong ones another, and reversing the samples' order reverses the weights.
    GRPO, RLOO, RS-GRPO, Chen et al.'s closed form, PKPO, NSR, PSR and W-REINFORCE pass; Chen et
    al.'s disjoint blocks (for 1 < k < n) and bootstrap subsets do not, nor does a method that
    reads more of the group than its rewards (answer ids, log-probs, state: chapter 6's
    exploration methods).
    """
    return _weights_by_c(objective, as_positive_int("n", n, minimum=2), k, beta)[1]


def expected_weight(objective: str, p, n: int, k: int = 4, beta: float = 2.0) -> float | np.ndarray:
    r"""Exact lambda(p) with E[sampled estimate] = lambda(p) * grad J_1 (any policy, binary rewards).

    Parameters
    ----------
    objective : str
        A key of :data:`SAMPLED_OBJECTIVES` whose weights pass :func:`depends_only_on_c`.
    p : float or array_like
        Pass@1 of the prompt(s), in [0, 1].
    n : int
        Rollouts per prompt, ``>= 2``.
    k, beta : int, float
        As in :func:`group_weights`.

    Returns
    -------
    float or ndarray
        lambda(p), shaped like ``p``.

    Raises
    ------
    ValueError
        On invalid ``p``, ``n``, ``k`` or objective, or a method whose weights depend on more
        than a sample's reward and c (see :func:`depends_only_on_c`).

    Notes
    -----
    A method here gives rollout i a sum-form weight that depends only on its own reward and
    on c, the number of correct rollouts: w_pos(c) or w_neg(c). Given the rewards, the
    rollouts are independent draws from pi restricted to the correct (or wrong) answers, and
    ``E[grad log pi(y) | correct] = grad p / p``, ``E[grad log pi(y) | wrong] = -grad p / (1 - p)``
    for *any* differentiable policy. So the expected estimate is parallel to ``grad J_1``
    for every prompt, with

    .. math:: \lambda(p) = n \sum_{c} \Big[\mathrm{Bin}(c-1; n-1, p)\,w_{pos}(c)
              - \mathrm{Bin}(c; n-1, p)\,w_{neg}(c)\Big]

    Plain text: ``lambda = n sum_c [Bin(c-1; n-1, p) w_pos(c) - Bin(c; n-1, p) w_neg(c)]``
    (for a mean-form advantage A = n w this is the same sum over A without the factor n). So
    in expectation each method is pass@1 with a per-prompt step size lambda(p) -- a
    reweighting, like pass@k's alpha_k (Yu, arXiv 2511.16231). Checks: RLOO gives 1, PKPO
    gives alpha_k exactly.
    """
    p_arr = np.asarray(as_prob_array("p", p), dtype=np.float64)
    n = as_positive_int("n", n, minimum=2)
    w, ok = _weights_by_c(objective, n, k, beta)  # (n+1, n) sum form, row c: c correct first
    if not ok:
        needs = adv.estimator(objective).needs
        why = f"the group's {', '.join(needs)}" if needs else "the samples' order or on random draws"
        raise ValueError(
            f"expected_weight needs weights that depend only on a sample's reward and on c; {objective!r} "
            f"also depends on {why} (see depends_only_on_c)"
        )
    c = np.arange(n + 1)
    w_pos = np.where(c > 0, w[:, 0], 0.0)  # (n+1,)
    w_neg = np.where(c < n, w[:, -1], 0.0)
    pmf = np.array([binomial_pmf(n - 1, float(x)) for x in p_arr.ravel()])  # (len p, n)
    first = pmf @ w_pos[1:]  # Bin(c-1; n-1, p) for c = 1..n
    second = pmf @ w_neg[:-1]  # Bin(c; n-1, p) for c = 0..n-1
    lam = n * (first - second)
    return scalar_or_array(lam.reshape(p_arr.shape))
