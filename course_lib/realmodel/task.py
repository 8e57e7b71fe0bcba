r"""Chapter 8's task: eight-example few-shot addition, with seen and held-out prompts and a blind baseline.

A prompt is eight solved examples and one question, one per line::

    2 + 3 = 5
    7 + 1 = 8
    ...
    5 + 19 =

with a, b in 1..20, so every sum has one or two digits. The model's answer is its next
``max_new_tokens`` = 4 tokens (the tokenizer gives each digit its own token: " 24\n" is 4 tokens);
it is correct when the text up to the first newline (or the end-of-text token), stripped of spaces,
is the sum. An answer that does not end within the budget is wrong. The format is part of the
experiment: the same model in its chat format almost never replies with just the number.

The prompts are split into a **seen** set (the RL run trains on it) and a **held-out** set (never
trained on), by unordered pair, so ``a + b`` and ``b + a`` are never on both sides; the eight
examples come from pairs in neither set. The question-blind baseline
(:func:`blind_counts`) scores each prompt's answer against the samples drawn for the *other*
prompts: what a guesser that never reads the question -- but knows the format and the range of
sums -- would get.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["AdditionTask", "parse_answer", "blind_counts"]


def parse_answer(text: str, eos: str = "<|im_end|>") -> str | None:
    """The answer a completion gives: its text up to the first newline or ``eos``, stripped; None if unfinished.

    Examples
    --------
    >>> parse_answer(" 24\\n5 +"), parse_answer(" 8<|im_end|>"), parse_answer(" 210"), parse_answer(" 2 1\\n")
    ('24', '8', None, '2 1')
    """
    cut = [i for i in (text.find("\n"), text.find(eos)) if i >= 0]
    if not cut:
        return None
    return text[: min(cut)].strip()


@dataclass(frozen=True)
class AdditionTask:
    """Few-shot addition prompts, a seen/held-out split by unordered pair, and the verifier."""

    low: int = 1
    """Smallest summand."""
    high: int = 20
    """Largest summand (sums stay below 100, so the canonical answer " s\\n" fits the 4-token budget)."""
    shots: int = 8
    """Solved examples in every prompt (the same ones for every prompt)."""
    per_set: int = 50
    """Prompts in each of the seen and held-out sets."""
    seed: int = 0
    """Seed of the split and of the examples."""
    max_new_tokens: int = 4
    """Tokens sampled per answer."""

    def __post_init__(self):
        if not 1 <= self.low <= self.high <= 49:
            raise ValueError(f"need 1 <= low <= high <= 49 (sums below 100), got {self.low}, {self.high}")
        pairs = (self.high - self.low + 1) * (self.high - self.low + 2) // 2
        if 2 * self.per_set + self.shots > 2 * pairs - (self.high - self.low + 1):
            raise ValueError(f"{self.low}..{self.high} has too few pairs for 2 x {self.per_set} prompts")

    @cached_property
    def _split(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        rng = np.random.default_rng(self.seed)
        pairs = [(a, b) for a in range(self.low, self.high + 1) for b in range(a, self.high + 1)]
        order = rng.permutation(len(pairs))
        examples, sets = [], ([], [])
        for i in order:
            a, b = pairs[i]
            if len(examples) < self.shots:
                examples.append((a, b) if rng.random() < 0.5 else (b, a))
                continue
            both = [(a, b)] if a == b else [(a, b), (b, a)]  # a + b and b + a go to the same side
            for side in sorted(sets, key=len):
                if len(side) + len(both) <= self.per_set:
                    side.extend(both)
                    break
            if all(len(s) == self.per_set for s in sets):
                break
        return tuple(examples), tuple(sets[0]), tuple(sets[1])

    @property
    def examples(self) -> tuple[tuple[int, int], ...]:
        """The ``shots`` solved examples (a, b) at the top of every prompt."""
        return self._split[0]

    @property
    def seen(self) -> tuple[tuple[int, int], ...]:
        """Prompts (a, b) of the seen set (RL trains on these)."""
        return self._split[1]

    @property
    def held_out(self) -> tuple[tuple[int, int], ...]:
        """Prompts (a, b) never trained on."""
        return self._split[2]

    def prompts(self, which: str) -> tuple[tuple[int, int], ...]:
        """``"seen"`` or ``"held_out"``: that set's (a, b) pairs."""
        if which not in ("seen", "held_out"):
            raise ValueError(f"which must be 'seen' or 'held_out', got {which!r}")
        return self.seen if which == "seen" else self.held_out

    def prefix(self) -> str:
        """The text every prompt starts with: the solved examples, one per line (newline-terminated)."""
        return "".join(f"{x} + {y} = {x + y}\n" for x, y in self.examples)

    def prompt(self, a: int, b: int) -> str:
        """The prompt text: :meth:`prefix`, then ``"a + b ="``."""
        return f"{self.prefix()}{a} + {b} ="

    def token_ids(self, tokenizer, pairs) -> tuple[list[int], list[list[int]]]:
        """``(prefix_ids, [prompt_ids, ...])`` of the prompts of ``pairs``, each prompt starting with the prefix's ids.

        Raises ValueError if the tokenizer merges across the prefix's last newline (then the prefix
        could not be encoded once for all prompts).
        """
        prefix = tokenizer(self.prefix()).input_ids
        prompts = [tokenizer(self.prompt(a, b)).input_ids for a, b in pairs]
        for (a, b), ids in zip(pairs, prompts, strict=True):
            if ids[: len(prefix)] != prefix:
                raise ValueError(f"the tokenizer merges across the examples' last newline in prompt {a} + {b}")
        return prefix, prompts

    @staticmethod
    def answer(a: int, b: int) -> int:
        """The correct answer, a + b."""
        return a + b

    @staticmethod
    def canonical(a: int, b: int) -> str:
        """The completion written the examples' way: ``" {a + b}\\n"``."""
        return f" {a + b}\n"

    @staticmethod
    def task_id(a: int, b: int) -> str:
        """The prompt's id in result files, e.g. ``"5+19"``."""
        return f"{a}+{b}"

    @staticmethod
    def is_correct(answer: str | None, a: int, b: int) -> bool:
        """The verifier: the parsed answer (:func:`parse_answer`) is exactly the sum's digits."""
        return answer is not None and answer == str(a + b)


def blind_counts(answers: Sequence[Sequence[str | None]], targets: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    r"""The question-blind baseline's ``(n, c)`` per prompt: other prompts' samples scored against this answer.

    Parameters
    ----------
    answers : sequence of m sequences of str or None
        The parsed answers sampled for each of the m prompts.
    targets : sequence of m str
        Each prompt's correct answer.

    Returns
    -------
    n, c : ndarray of int64, shape (m,)
        For prompt i, the pooled samples of every prompt j != i (``n_i = sum_{j != i} n_j``) and how
        many of them equal ``targets[i]``.

    Notes
    -----
    Pooling makes the guesser one that, for each of its k tries, answers a random other question:
    pass@k of the pooled counts is the chance that k such tries hit this question's answer. It
    counts the coincidences a guess makes (another prompt with the same sum, ``b + a`` for ``a + b``),
    which is what chance gives a guesser that knows the format and the range of sums.

    Examples
    --------
    >>> blind_counts([["5", "5"], ["5", "7"], ["9", None]], ["5", "7", "9"])
    (array([4, 4, 4]), array([1, 0, 0]))
    """
    if len(answers) != len(targets) or len(targets) < 2:
        raise ValueError(
            f"need one list of answers per target and at least 2 prompts, got {len(answers)}, {len(targets)}"
        )
    n_each = np.array([len(a) for a in answers], dtype=np.int64)
    n = n_each.sum() - n_each
    c = np.zeros(len(targets), dtype=np.int64)
    for i, target in enumerate(targets):
        c[i] = sum(ans.count(target) for j, ans in enumerate(answers) if j != i)
    return n, c
