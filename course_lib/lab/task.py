"""Verifiable tasks for the policy-gradient lab (chapter 5, ``notebooks/05_policy_gradient_lab.ipynb``).

The default task is **digit sum**: the prompt states a target ``N`` and an answer is any string
of ``L`` digits whose digits add up to ``N``. The verifier is exact, many answers are correct (so a
policy can keep several *modes* or collapse onto one), and the difficulty is set by ``N``: under a
uniform policy over the ``10**L`` answers, pass@1 is ``n_solutions(N) / 10**L`` (0.001 for N = 0 and
N = 27, 0.075 for N = 13 and 14, when L = 3). With ``10**L`` answers the model's exact pass@1 can
be computed by enumerating them all (see :func:`course_lib.lab.model.enumerate_answer_logprobs`).

Token layout (vocabulary of 12 tokens)::

    digits 0..9 -> ids 0..9,  BOS -> 10,  SEP ("=") -> 11
    prompt  = [BOS, tens(N), ones(N), SEP]          (4 tokens)
    answer  = [a_1, ..., a_L]                        (L digit tokens)

Solution *styles* give the warm-start data a dominant mode and a minority mode:
``STYLE_DOMINANT`` answers have non-increasing digits ("930"), ``STYLE_MINORITY`` answers have
non-decreasing (but not non-increasing) digits ("039"), every other answer is ``STYLE_OTHER``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

from course_lib._checks import as_int_array, as_positive_int

N_DIGITS = 10
"""Digit tokens are the ids 0..9; answers may only use them (digit-masked softmax)."""
BOS = 10
"""Beginning-of-sequence token id."""
SEP = 11
"""Separator ("=") between the target and the answer."""
VOCAB_SIZE = 12
"""Digits, BOS and SEP."""
PROMPT_LEN = 4
"""Tokens in a prompt: BOS, two target digits, SEP."""

STYLE_DOMINANT, STYLE_MINORITY, STYLE_OTHER = 0, 1, 2
STYLE_NAMES = ("dominant (non-increasing)", "minority (non-decreasing)", "other")


@dataclass(frozen=True)
class DigitSumTask:
    """Digit-sum task: answer ``L`` digits that add up to the target ``N`` in ``0 .. 9 L``.

    Targets in ``held_out`` never appear in warm-start data nor in RL prompts; they measure whether
    a policy can still find answers to prompts it was never trained on.
    """

    answer_len: int = 3
    """L, digits per answer (10**L answers in all; L <= 5 keeps enumeration cheap)."""
    held_out: tuple[int, ...] = (1, 5, 22, 26)
    """Targets kept out of warm-start data and RL prompts (evaluated only)."""

    def __post_init__(self):
        L = as_positive_int("answer_len", self.answer_len)
        if L > 11:
            raise ValueError(f"answer_len must be <= 11 (targets are written with two digits), got {L}")
        held = as_int_array("held_out", list(self.held_out)) if self.held_out else []
        if len(held) and held.max() > 9 * L:
            raise ValueError(f"held_out targets must lie in 0..{9 * L}, got {int(held.max())}")
        if len(set(int(h) for h in held)) >= 9 * L + 1:
            raise ValueError("held_out must leave at least one target for training")

    # --- targets -------------------------------------------------------------------------------
    @property
    def n_answers(self) -> int:
        """Number of possible answers, 10**L."""
        return N_DIGITS**self.answer_len

    @property
    def targets(self) -> torch.Tensor:
        """All targets 0..9L, shape (9L+1,)."""
        return torch.arange(9 * self.answer_len + 1)

    @property
    def seen_targets(self) -> torch.Tensor:
        """Targets used for warm-start data and RL prompts."""
        t = self.targets
        return t[~torch.isin(t, torch.tensor(self.held_out, dtype=torch.long))]

    @property
    def held_out_targets(self) -> torch.Tensor:
        """Targets never trained on, sorted."""
        return torch.tensor(sorted(self.held_out), dtype=torch.long)

    # --- encoding and verification ------------------------------------------------------------
    def prompts(self, targets: torch.Tensor) -> torch.Tensor:
        """Token ids of the prompts for ``targets`` (shape (B,)), shape (B, 4)."""
        targets = torch.as_tensor(targets, dtype=torch.long)
        out = torch.empty(targets.shape[0], PROMPT_LEN, dtype=torch.long, device=targets.device)
        out[:, 0] = BOS
        out[:, 1] = targets // 10
        out[:, 2] = targets % 10
        out[:, 3] = SEP
        return out

    def verify(self, targets: torch.Tensor, answers: torch.Tensor) -> torch.Tensor:
        """Exact verifier V(x, y): do the digits of ``answers`` add up to ``targets``?

        Parameters
        ----------
        targets : LongTensor, shape (B,)
        answers : LongTensor, shape (B, ..., L) of digit ids

        Returns
        -------
        BoolTensor of shape (B, ...).
        """
        sums = answers.sum(-1)
        t = torch.as_tensor(targets, device=answers.device).reshape(-1, *([1] * (sums.dim() - 1)))
        return sums == t

    def all_answers(self) -> torch.Tensor:
        """Every answer in lexicographic order ("000", "001", ...), shape (10**L, L)."""
        idx = torch.arange(self.n_answers)
        powers = N_DIGITS ** torch.arange(self.answer_len - 1, -1, -1)
        return (idx[:, None] // powers) % N_DIGITS

    def answer_ids(self, answers: torch.Tensor) -> torch.Tensor:
        """Index of each answer in :meth:`all_answers` (its digits read in base 10): (..., L) -> (...)."""
        powers = N_DIGITS ** torch.arange(self.answer_len - 1, -1, -1, device=answers.device)
        return (answers * powers).sum(-1)

    def n_solutions(self, targets: torch.Tensor) -> torch.Tensor:
        """Number of correct answers for each target (shape of ``targets``)."""
        counts = torch.bincount(self.all_answers().sum(-1), minlength=9 * self.answer_len + 1)
        return counts[torch.as_tensor(targets, dtype=torch.long)]

    def uniform_pass_at_1(self, targets: torch.Tensor) -> torch.Tensor:
        """pass@1 of the uniform policy over all answers: n_solutions(N) / 10**L."""
        return self.n_solutions(targets).double() / self.n_answers

    def style_of(self, answers: torch.Tensor) -> torch.Tensor:
        """Style of each answer (shape (..., L) -> (...)): 0 dominant, 1 minority, 2 other."""
        d = answers[..., 1:] - answers[..., :-1]
        non_inc = (d <= 0).all(-1)
        non_dec = (d >= 0).all(-1)
        style = torch.full(non_inc.shape, STYLE_OTHER, dtype=torch.long, device=answers.device)
        style[non_dec] = STYLE_MINORITY
        style[non_inc] = STYLE_DOMINANT
        return style

    # --- warm-start data ----------------------------------------------------------------------
    def warm_start_batch(
        self, size: int, mix: tuple[float, float, float], generator: torch.Generator, per_style: int = 2
    ):
        """A supervised batch drawn from a mixture of solution styles (vectorised, no Python loop).

        Each example picks a seen target uniformly, then with probabilities ``mix`` = (dominant,
        minority, random) an answer: one of the ``per_style`` canonical answers of the dominant
        style (the lexicographically largest non-increasing solutions: "940", "931" for N = 13),
        one of the minority style (the smallest non-decreasing ones: "049", "058"; the dominant
        style stands in when a target has none), or ``L`` uniformly random digits (usually wrong).

        Returns
        -------
        targets : LongTensor (size,); answers : LongTensor (size, L).
        """
        size = as_positive_int("size", size)
        w = torch.tensor(mix, dtype=torch.double)
        if w.shape != (3,) or (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"mix must be three non-negative weights with a positive sum, got {mix}")
        per_style = as_positive_int("per_style", per_style)
        table, counts = self._style_tables()
        counts = counts.clamp(max=per_style)
        seen = self.seen_targets
        targets = seen[torch.randint(len(seen), (size,), generator=generator)]
        kind = torch.multinomial(w / w.sum(), size, replacement=True, generator=generator)
        u = torch.rand(size, generator=generator, dtype=torch.double)
        # the minority table falls back to the dominant one where a target has no minority answer
        style = kind.clamp(max=1)
        style = torch.where((style == 1) & (counts[1, targets] == 0), 0, style)
        pick = (u * counts[style, targets]).long()
        answers = table[style, targets, pick]
        rand = torch.randint(N_DIGITS, (size, self.answer_len), generator=generator)
        answers = torch.where((kind == 2)[:, None], rand, answers)
        return targets, answers

    @functools.lru_cache(maxsize=8)  # noqa: B019 (the task is frozen and hashable)
    def _style_tables(self):
        """Correct answers per (style, target) in canonical order, padded: (2, T, M, L); counts (2, T)."""
        ans = self.all_answers()  # lexicographic order: the minority table takes the smallest first
        sums, style = ans.sum(-1), self.style_of(ans)
        n_t = 9 * self.answer_len + 1
        groups = [[ans[(style == s) & (sums == t)] for t in range(n_t)] for s in (0, 1)]
        groups[0] = [g.flip(0) for g in groups[0]]  # dominant: largest first ("940" before "931")
        m = max(len(g) for row in groups for g in row)
        table = torch.zeros(2, n_t, m, self.answer_len, dtype=torch.long)
        counts = torch.zeros(2, n_t, dtype=torch.long)
        for s in range(2):
            for t in range(n_t):
                table[s, t, : len(groups[s][t])] = groups[s][t]
                counts[s, t] = len(groups[s][t])
        return table, counts
