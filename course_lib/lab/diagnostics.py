"""What a lab run measured: Δ(k) split by prompt, coverage against the start, matched pass@1, seeds.

Taught in ``notebooks/05_policy_gradient_lab.ipynb``, section 7. Pure functions of run histories
(the lists of dicts that :func:`course_lib.lab.train` returns and :func:`course_lib.lab.read_history`
reads); the formulas are :mod:`course_lib.passk`'s.

A fall of the dataset Δ(k) is not by itself a loss of exploration: per prompt Δ(k) is a function
of pass@1 alone and falls to 0 when the prompt is solved. The diagnostics that do see a loss:

- the change of Δ(k) **split by prompt** (:func:`delta_split`): lost ground sits in the part from
  prompts whose pass@1 fell;
- **coverage@K at a large K** against the initial policy on the same prompts (``coverage@K change``),
  and on **held-out** prompts, which a shared-parameter model can lose without training on them;
- the **number and mass of distinct correct answers** (``distinct_correct``, ``modes``,
  ``mass_off_top``);
- Δ(k) **at matched pass@1** (:func:`matched_row`): each run at the first evaluation where its
  pass@1 reaches a common level, which removes the difference in how fast the runs learn.
"""

from __future__ import annotations

import math

import numpy as np

from course_lib import passk
from course_lib.lab.loop import evaluated

__all__ = ["delta_split", "matched_row", "common_level", "run_diagnostics", "mean_sd", "mean_sd_text", "paired"]


def delta_split(history: list[dict], k: int, prefix: str = "seen") -> passk.DeltaChange:
    """The change of the dataset Δ(k) from the first to the last evaluation, split by prompt.

    :func:`course_lib.passk.delta_change_split` on the per-prompt pass@1 that every evaluation
    logs (``seen/p``, ``held/p``).
    """
    rows = evaluated(history)
    return passk.delta_change_split(rows[0][f"{prefix}/p"], rows[-1][f"{prefix}/p"], k)


def matched_row(history: list[dict], level: float, prefix: str = "seen") -> dict | None:
    """The first evaluated row whose ``{prefix}/pass@1`` reaches ``level`` (None if none does).

    Evaluations are ``eval_every`` steps apart, so the row's pass@1 may overshoot ``level``:
    report it next to what is read there.

    Examples
    --------
    >>> rows = [{"step": 0, "seen/pass@1": 0.2}, {"step": 10, "seen/pass@1": 0.6}, {"step": 20, "seen/pass@1": 0.7}]
    >>> matched_row(rows, 0.5)["step"], matched_row(rows, 0.9)
    (10, None)
    """
    for row in evaluated(history):
        if row[f"{prefix}/pass@1"] >= level:
            return row
    return None


def common_level(histories, prefix: str = "seen", grid: float = 0.05) -> float:
    """The largest multiple of ``grid`` that every run's ``{prefix}/pass@1`` reaches (the matched level)."""
    best = min(max(row[f"{prefix}/pass@1"] for row in evaluated(h)) for h in histories)
    return math.floor(best / grid + 1e-9) * grid


def run_diagnostics(history: list[dict], k: int, k_cover: int, level: float | None = None) -> dict:
    """One run's diagnostics as scalars: its end values and what changed since the first evaluation.

    Keys: ``seen/pass@1``, ``seen/delta@k``, ``seen/delta@k change`` and its parts ``... J_1 rose``
    and ``... J_1 fell`` (:func:`delta_split`), ``seen/prompts J_1 fell``; ``{seen,held}/coverage@K``
    and ``... change``; ``seen/distinct_correct``, ``seen/modes``, ``seen/mass_off_top`` (and their
    ``held/`` values); ``held/pass@1``. With ``level``: the row of :func:`matched_row` as
    ``matched/step``, ``matched/seen/pass@1``, ``matched/seen/delta@k``, ``matched/seen/distinct_correct``,
    ``matched/seen/mass_off_top`` and ``matched/held/coverage@K`` (NaN where the run never reaches ``level``).
    """
    rows = evaluated(history)
    start, end = rows[0], rows[-1]
    split = delta_split(history, k)
    d, cov = f"seen/delta@{k}", f"coverage@{k_cover}"
    out = {
        "seen/pass@1": end["seen/pass@1"],
        d: end[d],
        f"{d} change": split.total,
        f"{d} change, J_1 rose": split.rose,
        f"{d} change, J_1 fell": split.fell,
        "seen/prompts J_1 fell": split.n_fell,
        "held/pass@1": end["held/pass@1"],
    }
    for prefix in ("seen", "held"):
        out[f"{prefix}/{cov}"] = end[f"{prefix}/{cov}"]
        out[f"{prefix}/{cov} change"] = end[f"{prefix}/{cov}"] - start[f"{prefix}/{cov}"]
        for key in ("distinct_correct", "modes", "mass_off_top"):
            out[f"{prefix}/{key}"] = end[f"{prefix}/{key}"]
    if level is not None:
        row = matched_row(history, level)
        for key in ("step", "seen/pass@1", d, "seen/distinct_correct", "seen/mass_off_top", f"held/{cov}"):
            out[f"matched/{key}"] = float("nan") if row is None else row[key]
    return out


def mean_sd(values) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof = 1; 0 for a single value) over seeds."""
    x = np.asarray(values, dtype=float)
    return float(x.mean()), float(x.std(ddof=1)) if x.size > 1 else 0.0


def mean_sd_text(values, fmt: str = ".3f") -> str:
    """``"mean ± sd"`` of :func:`mean_sd`, for a table cell."""
    mean, sd = mean_sd(values)
    return f"{mean:{fmt}} ± {sd:{fmt}}"


def paired(a, b) -> tuple[int, int]:
    """In how many seeds ``a`` is above ``b``, and in how many below (ties count in neither).

    ``a[i]`` and ``b[i]`` come from runs with the same seed: the same warm start, the same prompt
    draws and sampler seed (the runs diverge after their first different update).

    Examples
    --------
    >>> paired([1, 2, 3], [0, 2, 4])
    (1, 1)
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return int(np.sum(a > b)), int(np.sum(a < b))
