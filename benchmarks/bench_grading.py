"""How long each graded check takes: ``python benchmarks/bench_grading.py``.

Target (issue 7): every check runs in under 1 s. For each question of the bank, the answer is
the reference itself (functions wrapped so that the checker accepts them; values, letters and
SymPy expressions as the checker expects them), so the figure is the cost of the tests, not of a
slow learner. The first call of a question includes importing what it needs (SymPy, torch);
both the first and the best of three later calls are printed. Figures only, no assertions.
"""

from __future__ import annotations

import time

from course_lib.grading.questions import (
    ChoiceQuestion,
    FunctionQuestion,
    SymbolicQuestion,
    ValueQuestion,
    exercise_ids,
    exercise_questions,
)


def reference_answer(question):
    """A right answer to ``question`` built from its own reference."""
    if isinstance(question, FunctionQuestion):
        ref = question.reference
        return lambda *args, **kwargs: ref(*args, **kwargs)
    if isinstance(question, (ValueQuestion, SymbolicQuestion)):
        return question.expected()
    if isinstance(question, ChoiceQuestion):
        return question.correct
    raise TypeError(type(question).__name__)


def main() -> None:
    print(f"{'question':<9} {'kind':<17} {'tests':>5} {'first (s)':>10} {'best of 3 (s)':>14}  ok")
    worst = 0.0
    for exercise in exercise_ids():
        for qid, question in exercise_questions(exercise).items():
            answer = reference_answer(question)
            start = time.perf_counter()
            verdict = question.judge(answer)
            first = time.perf_counter() - start
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                question.judge(answer)
                best = min(best, time.perf_counter() - start)
            worst = max(worst, best)
            print(
                f"{qid:<9} {type(question).__name__:<17} {verdict.n_tests:>5} {first:>10.4f} {best:>14.4f}"
                f"  {'yes' if verdict.passed else 'NO: ' + verdict.message}"
            )
    print(f"slowest check (best of 3): {worst:.4f} s (target < 1 s)")


if __name__ == "__main__":
    main()
