r"""What ``passk monitor`` reports for one step of a training run: the numbers, and the warnings.

Pure functions of :class:`~course_lib.evaluation.runs.StepGroups` (verl's dumps, TRL's completions
tables, a lab run's dumps): every number is the course's estimator on the step's samples.

Per step (``kind`` says whose samples: ``validation``, the same prompts at every validation, or
``rollouts``, the training groups, other prompts every step):

- **pass@1 and pass@k** for k on the grid 1, 2, 4, ... up to the smallest n, and at ``k_max`` = that
  n: the mean over prompts of the unbiased estimate (:func:`course_lib.passk.pass_at_k`, Chen et al.
  arXiv 2107.03374), with a percentile-bootstrap interval over prompts at ``k_max``
  (:func:`course_lib.evaluation.curve.pass_at_k_curve`);
- **Δ(k)** = pass@k - pass@1 at the run's k;
- the **zero-signal share**: groups whose rewards are all equal, where GRPO's advantage is 0 (what
  GRPO trainers log as ``frac_reward_zero_std``); and **Chen et al.'s zero-advantage share** at k
  (arXiv 2508.10751): groups with no correct sample or fewer than k wrong ones, where every
  advantage of their pass@k method is 0. Both on the groups as the file has them;
- **distinct correct outputs** per prompt: exact texts, or the answers an ``answer_regex`` extracts
  (its first group, else its whole match; a sample without a match has no answer);
- on validation steps, against the **first validation**, on the prompts both hold: the paired
  change of pass@1 and of pass@k_max with paired-bootstrap intervals
  (:func:`course_lib.evaluation.curve.compare`), and the change of Δ(k) split into the prompts
  whose pass rate rose and those whose pass rate fell
  (:func:`course_lib.passk.delta_change_split_counts`; Yu, arXiv 2511.16231).

Each warning names the diagnostic that fired and why (:func:`warnings_of`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ... import passk
from ..curve import align, compare, default_ks, pass_at_k_curve
from ..runs import StepGroups

__all__ = ["ZERO_SIGNAL_WARN", "StepReport", "step_report", "run_reports", "distinct_correct", "warnings_of"]

ZERO_SIGNAL_WARN = 0.5
"""A training step where at least this share of groups carries no signal gets a warning."""

DISTINCT_WARN = 0.5
"""A validation whose distinct correct outputs per prompt fell below this share of the first's gets a warning."""


@dataclass(frozen=True)
class StepReport:
    """The monitor's numbers for one step of one run (``None``: not defined for this kind of step)."""

    run: str
    """The run's label (its folder)."""
    kind: str
    """``validation`` (same prompts at every validation) or ``rollouts`` (training groups)."""
    step: int
    path: str
    prompts: int
    samples: int
    n_min: int
    """Fewest samples of a prompt (k_max)."""
    n_max: int
    ks: tuple[int, ...]
    """The k grid: 1, 2, 4, ... and ``k_max``."""
    pass_at_k: tuple[float, ...]
    """Dataset pass@k at each k of ``ks`` (``pass_at_k[0]`` is pass@1)."""
    k_max: int
    pass_at_k_max_ci: tuple[float, float]
    """Bootstrap interval (over prompts) of pass@k_max."""
    k: int
    """k of Δ(k) and of the zero-advantage share (the run's k, at most n_min)."""
    delta: float
    """Dataset Δ(k) = pass@k - pass@1."""
    zero_signal: float
    zero_advantage: float
    distinct_correct: float
    may_grow: bool = False
    """The newest file of a run had a cut last line (left out): the trainer was still writing it."""
    baseline_step: int | None = None
    """The first validation's step (validation steps after it)."""
    shared: int = 0
    """Prompts shared with the first validation."""
    pass1_change: float | None = None
    pass1_change_ci: tuple[float, float] | None = None
    passk_change: float | None = None
    """Paired change of pass@k_max against the first validation."""
    passk_change_ci: tuple[float, float] | None = None
    delta_rose: float | None = None
    """Part of the change of Δ(k) from prompts whose pass rate rose."""
    delta_fell: float | None = None
    """Part from prompts whose pass rate fell or stayed."""
    n_rose: int | None = None
    n_fell: int | None = None
    distinct_baseline: float | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def pass1(self) -> float:
        return self.pass_at_k[0]

    @property
    def pass_k_max(self) -> float:
        return self.pass_at_k[-1]


def _answer(text: str, pattern: re.Pattern | None):
    """The answer of one sample: the text itself, or what ``pattern`` extracts (None: no match)."""
    if pattern is None:
        return text
    m = pattern.search(text)
    if m is None:
        return None
    return m.group(1) if pattern.groups else m.group(0)


def distinct_correct(step: StepGroups, answer_regex: str | None = None) -> np.ndarray:
    r"""Distinct correct outputs (or extracted answers) of each prompt, shape (m,).

    >>> from course_lib.evaluation.runs import PromptGroup, StepGroups
    >>> g = PromptGroup("a", "p", None, np.ones(3), np.array([True, True, False]), ("x=1", "so x=1", "x=2"))
    >>> s = StepGroups(0, "f", (g,), 3, "score")
    >>> distinct_correct(s).tolist(), distinct_correct(s, r"x=(\d)").tolist()
    ([2], [1])
    """
    pattern = re.compile(answer_regex) if answer_regex else None
    out = []
    for g in step.groups:
        answers = {_answer(o, pattern) for o, ok in zip(g.outputs, g.correct, strict=True) if ok}
        answers.discard(None)
        out.append(len(answers))
    return np.array(out, dtype=np.int64)


def _shares(step: StepGroups, k: int) -> tuple[float, float]:
    """(zero-signal share, Chen's zero-advantage share at k) over the step's groups."""
    equal = np.array([bool(np.all(g.rewards == g.rewards[0])) for g in step.groups])
    n, c = step.n, step.c
    return float(equal.mean()), float(((c == 0) | (n - c < k)).mean())


def step_report(
    step: StepGroups,
    *,
    run: str = "",
    kind: str = "validation",
    k: int = 4,
    answer_regex: str | None = None,
    baseline: StepGroups | None = None,
    distinct_baseline: float | None = None,
    level: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
) -> StepReport:
    """The numbers of one step (and, given the first validation as ``baseline``, the changes since).

    Raises
    ------
    ValueError
        A step without samples, or an invalid ``k``, ``level`` or regex.
    """
    if not step.groups:
        raise ValueError(f"{step.path}: no samples yet")
    n, c = step.n, step.c
    n_min = int(n.min())
    ks = sorted(set(default_ks(n_min)) | {n_min})
    curve = pass_at_k_curve(n, c, ks, level=level, resamples=resamples, seed=seed)
    k = min(int(k), n_min)
    p1, pk = float(curve.pass_at_k[0]), float(np.mean(passk.pass_at_k(n, c, k)))
    zero_signal, zero_adv = _shares(step, k)
    distinct = float(distinct_correct(step, answer_regex).mean())
    out = dict(
        run=run,
        kind=kind,
        step=step.step,
        path=step.path,
        prompts=len(step.groups),
        samples=int(n.sum()),
        n_min=n_min,
        n_max=int(n.max()),
        ks=tuple(int(x) for x in curve.ks),
        pass_at_k=tuple(float(x) for x in curve.pass_at_k),
        k_max=n_min,
        pass_at_k_max_ci=(float(curve.ci[-1, 0]), float(curve.ci[-1, 1])),
        k=k,
        delta=pk - p1,
        zero_signal=zero_signal,
        zero_advantage=zero_adv,
        distinct_correct=distinct,
        may_grow=step.partial_line,
    )
    if baseline is not None and baseline.groups:
        ia, ib = align([g.id for g in baseline.groups], [g.id for g in step.groups])
        if len(ia):
            na, ca, nb, cb = baseline.n[ia], baseline.c[ia], n[ib], c[ib]
            top = int(min(na.min(), nb.min()))
            cmp = compare(na, ca, nb, cb, ks=sorted({1, top}), level=level, resamples=resamples, seed=seed)
            split = passk.delta_change_split_counts(na, ca, nb, cb, min(k, top))
            out.update(
                baseline_step=baseline.step,
                shared=int(len(ia)),
                pass1_change=float(cmp.diff[0]),
                pass1_change_ci=(float(cmp.diff_ci[0, 0]), float(cmp.diff_ci[0, 1])),
                passk_change=float(cmp.diff[-1]),
                passk_change_ci=(float(cmp.diff_ci[-1, 0]), float(cmp.diff_ci[-1, 1])),
                delta_rose=split.rose,
                delta_fell=split.fell,
                n_rose=split.n_rose,
                n_fell=split.n_fell,
                distinct_baseline=distinct_baseline,
            )
    report = StepReport(**out)
    return StepReport(**{**out, "warnings": warnings_of(report, level)})


def warnings_of(r: StepReport, level: float = 0.95) -> tuple[str, ...]:
    """The warnings of one step, each naming the diagnostic that fired and why."""
    out = []
    pct = f"{100 * level:g} %"
    if r.passk_change is not None and r.passk_change_ci is not None and r.passk_change_ci[1] < 0:
        lo, hi = r.passk_change_ci
        why = f"pass@{r.k_max} on the {r.shared} validation prompts fell by {-r.passk_change:.3f}"
        why += f" since step {r.baseline_step}"
        why += f" (paired {pct} interval [{lo:+.3f}, {hi:+.3f}], all below 0)"
        if r.pass1_change is not None and r.pass1_change > 0:
            out.append(
                f"exploration: {why} while pass@1 rose by {r.pass1_change:.3f}: the run sharpens onto fewer "
                "answers and solves fewer prompts at large k (Yue et al., arXiv 2504.13837)"
            )
        else:
            out.append(f"held-out pass@{r.k_max}: {why}")
    if r.kind == "rollouts" and r.zero_signal >= ZERO_SIGNAL_WARN:
        out.append(
            f"zero signal: {r.zero_signal:.0%} of the step's groups have all rewards equal "
            f"(>= {ZERO_SIGNAL_WARN:.0%}): "
            "GRPO's advantage is 0 there, so that generation teaches nothing; a larger group or other prompts "
            "(passk plan, chapter 7)"
        )
    if (
        r.distinct_baseline
        and r.distinct_correct < DISTINCT_WARN * r.distinct_baseline
        and (r.pass1_change is None or r.pass1_change >= 0)
    ):
        out.append(
            f"distinct correct outputs: {r.distinct_correct:.2f} per prompt, below {DISTINCT_WARN:.0%} of the first "
            f"validation's {r.distinct_baseline:.2f} while pass@1 did not fall: correct answers concentrate on "
            "fewer modes"
        )
    return tuple(out)


def run_reports(steps: list[StepGroups], *, kind: str, **kwargs) -> list[StepReport]:
    """The reports of one run's steps, in order; validation steps compare with the first one."""
    out, first, first_distinct = [], None, None
    answer_regex = kwargs.get("answer_regex")
    for step in steps:
        if not step.groups:
            continue
        base = first if kind == "validation" else None
        out.append(step_report(step, kind=kind, baseline=base, distinct_baseline=first_distinct, **kwargs))
        if kind == "validation" and first is None:
            first, first_distinct = step, float(distinct_correct(step, answer_regex).mean())
    return out
