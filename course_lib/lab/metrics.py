"""Metrics of the policy-gradient lab, exact (by enumerating every answer) or sampled.

Taught in ``notebooks/05_policy_gradient_lab.ipynb``. The formulas themselves live in
:mod:`course_lib.passk` (pass@k, Δ(k), α_k, the unbiased estimator); this module only turns a model
into per-prompt success probabilities and aggregates them.

Metric names (the keys of the dictionaries below, prefixed ``seen/`` or ``held/`` by the lab):

``pass@k``            dataset pass@k: mean over prompts of 1 - (1 - p)^k (exact) or the unbiased
                      estimate from m samples (sampled); ``pass@1`` is the mean p.
``delta@k``           Δ(k) = pass@k - pass@1, the exploration gap (Yu, arXiv 2511.16231). Per prompt
                      a function of p alone: it falls to 0 when a prompt is solved, so it is not by
                      itself a measure of exploration (chapter 5, section 7).
``alpha@k``           mean over prompts of α_k = k (1 - p)^(k-1), the weight of ∇J_1 in ∇J_k.
``coverage@K``        coverage at the large k = K (``LabConfig.k_cover``): :func:`course_lib.passk.coverage`,
                      the dataset pass@K. Against the initial policy on the same prompts it can fall
                      only if some prompt's p fell. Sampled: the unbiased estimate, NaN when K > m.
``distinct_correct``  distinct correct answers per prompt among m samples (exact: its expectation,
                      :func:`course_lib.passk.expected_distinct_correct`).
``modes``             correct answers holding more than :data:`MODE_THRESHOLD` of a prompt's
                      probability, mean over prompts (exact only).
``mass_off_top``      correct probability mass off each prompt's likeliest correct answer, mean over
                      prompts (exact only): 0 when one answer holds all of a prompt's correct mass.
``dominant_share``    share of the correct probability mass (or correct samples) of the dominant
                      style; averaged over prompts with any correct mass.
``answer_entropy``    entropy (nats) of the whole answer distribution, mean over prompts (exact only).
``cover@tau``         Cover@tau, the share of prompts with pass rate >= tau (:func:`cover_at_tau`; the
                      guess-robust reading, read by chapter 6's comparison).

The uniform guesser's values come from the same code (:func:`uniform_distribution`,
:func:`distribution_metrics`): every exploration diagnostic at a large k is shown beside them.

``dominant_share`` is NaN when no prompt has any correct mass (the lab logs it as null).
"""

from __future__ import annotations

import numpy as np
import torch

from course_lib import passk
from course_lib.lab.model import GPT, enumerate_answer_logprobs, sample_answers
from course_lib.lab.task import STYLE_DOMINANT, DigitSumTask
from course_lib.softmax import softmax_entropy

MODE_THRESHOLD = 0.01
"""A correct answer "holds a mode" when its probability exceeds this (1 %, as chapter 4's bandit)."""


@torch.no_grad()
def answer_distribution(model: GPT, task: DigitSumTask, targets, temperature: float = 1.0):
    """Probabilities of every answer, float64 (T, 10**L), and the correctness mask (T, 10**L)."""
    targets = torch.as_tensor(targets, dtype=torch.long)
    device = next(model.parameters()).device
    logp = enumerate_answer_logprobs(model, task.prompts(targets).to(device), task.answer_len, temperature)
    probs = logp.cpu().double().exp()  # float64 on the CPU (Apple's MPS has no float64)
    correct = task.verify(targets, task.all_answers()[None].expand(len(targets), -1, -1))
    return probs, correct


def exact_metrics(
    model: GPT,
    task: DigitSumTask,
    targets,
    ks=(1, 2, 4, 8),
    m: int = 32,
    temperature: float = 1.0,
    k_cover: int = 64,
) -> dict:
    """Exact per-step metrics of the policy on ``targets`` by enumerating all 10**L answers.

    Returns a dict of floats (means over prompts; see the module docstring) plus ``p``, the
    per-prompt pass@1 as a NumPy array. :func:`distribution_metrics` does the reading.
    """
    probs, correct = answer_distribution(model, task, targets, temperature)
    return distribution_metrics(probs, correct, task, ks, m, k_cover)


def uniform_distribution(task: DigitSumTask, targets):
    """The uniform guesser's answer distribution over the 10**L answers, float64 (T, 10**L), and the verifier mask."""
    targets = torch.as_tensor(targets, dtype=torch.long)
    probs = torch.full((len(targets), task.n_answers), 1.0 / task.n_answers, dtype=torch.float64)
    correct = task.verify(targets, task.all_answers()[None].expand(len(targets), -1, -1))
    return probs, correct


def distribution_metrics(probs, correct, task: DigitSumTask, ks=(1, 2, 4, 8), m: int = 32, k_cover: int = 64) -> dict:
    """The metrics of :func:`exact_metrics` read from any answer distribution (a model's, or a guesser's).

    ``probs`` (T, 10**L) float64 answer probabilities, ``correct`` (T, 10**L) the verifier's mask.
    """
    correct_probs = (probs * correct).numpy()  # (T, 10**L): pi(y) on correct answers, 0 elsewhere
    # float32 log-probs can make a solved prompt's correct mass exceed 1 by ~1e-7: rescale those rows to 1
    correct_probs /= np.maximum(correct_probs.sum(1, keepdims=True), 1.0)
    p = correct_probs.sum(1).clip(0, 1)
    dominant = correct & (task.style_of(task.all_answers()) == STYLE_DOMINANT)[None]
    out = {"p": p}
    for k in ks:
        out[f"pass@{k}"] = passk.dataset_pass_at_k(p, k)
        if k > 1:
            out[f"delta@{k}"] = float(np.mean(passk.delta_k(p, k)))
            out[f"alpha@{k}"] = float(np.mean(passk.alpha_k(p, k)))
    out[f"coverage@{k_cover}"] = passk.coverage(p, k_cover)
    out["distinct_correct"] = float(np.mean(passk.expected_distinct_correct(correct_probs, m)))
    out["modes"] = float(np.mean((correct_probs > MODE_THRESHOLD).sum(1)))
    out["mass_off_top"] = float(np.mean(p - correct_probs.max(1)))
    dom = (probs * dominant).sum(1).numpy()
    has = p > 1e-12
    out["dominant_share"] = float(np.mean(dom[has] / p[has])) if has.any() else float("nan")
    out["answer_entropy"] = float(softmax_entropy(probs.log()).mean())
    return out


def cover_at_tau(p, tau: float) -> float:
    r"""Cover@tau: the share of prompts whose pass rate is at least ``tau`` (Dragoi et al., arXiv 2510.08325).

    .. math:: \mathrm{Cover}@\tau = \frac1P \sum_x \mathbb 1[p_x \ge \tau]

    The guess-robust reading of exploration: a guesser that puts a little mass on every answer
    reaches a large coverage@k (pass@k at large k) on every prompt, but no prompt with a pass
    rate above what guessing gives (the lab's uniform guesser: at most 0.075 on any target).
    Here on the *exact* per-prompt pass rates (the lab enumerates every answer); from sampled counts,
    :func:`course_lib.evaluation.metrics.cover_plugin` gives the plug-in estimate ``c/n >= tau``.

    Examples
    --------
    >>> cover_at_tau([0.0, 0.05, 0.1, 0.8], 0.1)
    0.5
    """
    p = np.asarray(p, dtype=np.float64)
    if not 0 < float(tau) <= 1:
        raise ValueError(f"tau must lie in (0, 1], got {tau!r}")
    return float(np.mean(p >= tau))


@torch.no_grad()
def sampled_metrics(
    model: GPT,
    task: DigitSumTask,
    targets,
    ks=(1, 2, 4, 8),
    m: int = 32,
    temperature: float = 1.0,
    generator=None,
    k_cover: int = 64,
) -> dict:
    """The same metrics estimated from ``m`` samples per prompt (unbiased pass@k, k <= m).

    ``coverage@k_cover`` is NaN when ``k_cover > m``: no unbiased estimator of pass@k exists for
    k > m (Walder & Karkhanis, arXiv 2505.15201, Cor. 2). ``modes`` and ``mass_off_top`` are exact only.
    """
    targets = torch.as_tensor(targets, dtype=torch.long)
    device = next(model.parameters()).device
    roll = sample_answers(
        model, task.prompts(targets).to(device), m, task.answer_len, temperature=temperature, generator=generator
    )
    answers = roll.answers.cpu()
    ok = task.verify(targets, answers)  # (T, m)
    c = ok.sum(1).numpy()
    out = {"p": c / m}
    for k in ks:
        est = passk.pass_at_k(m, c, k)
        out[f"pass@{k}"] = float(np.mean(est))
        if k > 1:
            out[f"delta@{k}"] = float(np.mean(est - c / m))
            out[f"alpha@{k}"] = float(np.mean(passk.alpha_k(c / m, k)))
    out[f"coverage@{k_cover}"] = passk.coverage_from_counts(c, m, k_cover) if k_cover <= m else float("nan")
    codes = torch.where(ok, task.answer_ids(answers), -1)  # (T, m) answer ids, -1 if wrong
    out["distinct_correct"] = float(np.mean([len(set(row.tolist()) - {-1}) for row in codes]))
    dom = (ok & (task.style_of(answers) == STYLE_DOMINANT)).sum(1).numpy()
    has = c > 0
    out["dominant_share"] = float(np.mean(dom[has] / c[has])) if has.any() else float("nan")
    return out


def gradient_identity(model: GPT, task: DigitSumTask, target: int, k: int) -> dict:
    """Check ∇J_k = α_k ∇J_1 on the model itself, for one prompt, by exact enumeration.

    J_1 is the exact probability mass on correct answers (a differentiable function of the
    weights); J_k = 1 - (1 - J_1)^k. Both gradients are taken by autograd over all parameters.
    Taught line by line in ``notebooks/05_policy_gradient_lab.ipynb``, section 4: the cell that
    computes J_1, J_k and both gradients for one prompt by hand, then checks them against this function.

    Returns
    -------
    dict with ``J1``, ``alpha_k`` (from :func:`course_lib.passk.alpha_k`), ``cosine`` between
    ∇J_k and ∇J_1, and ``ratio`` = |∇J_k| / |∇J_1| (equals ``alpha_k``).

    References
    ----------
    Yu, arXiv 2511.16231, Theorem (per prompt gradient of pass@k).
    """
    device = next(model.parameters()).device
    targets = torch.tensor([target])
    logp = enumerate_answer_logprobs(model, task.prompts(targets).to(device), task.answer_len)
    correct = task.verify(targets, task.all_answers()[None]).to(device)
    J1 = (logp.exp() * correct).sum()
    params = [p for p in model.parameters() if p.requires_grad]
    g1 = torch.cat([g.flatten() for g in torch.autograd.grad(J1, params, retain_graph=True)])
    Jk = 1 - (1 - J1) ** k  # pass@k of one prompt (Yu's definition; passk.pass_at_k_from_p)
    gk = torch.cat([g.flatten() for g in torch.autograd.grad(Jk, params)])
    g1, gk = g1.cpu().double(), gk.cpu().double()  # MPS has no float64
    return {
        "J1": float(J1.detach()),
        "alpha_k": float(passk.alpha_k(float(J1.detach()), k)),
        "cosine": float(gk @ g1 / (gk.norm() * g1.norm())),
        "ratio": float(gk.norm() / g1.norm()),
    }
