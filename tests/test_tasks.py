"""Executable spec of the digit-sum task (course_lib.lab.task)."""

import itertools

import pytest
import torch

from course_lib.lab.task import BOS, SEP, STYLE_DOMINANT, STYLE_MINORITY, STYLE_OTHER, DigitSumTask


def brute_force_answers(L):
    """Every L-digit answer as a tuple, by itertools (independent of the vectorised code)."""
    return list(itertools.product(range(10), repeat=L))


@pytest.mark.parametrize("L", [1, 2, 3])
def test_all_answers_and_solution_counts_match_brute_force(L):
    task = DigitSumTask(answer_len=L, held_out=())
    answers = task.all_answers()
    assert answers.tolist() == [list(a) for a in brute_force_answers(L)]
    counts = {N: sum(sum(a) == N for a in brute_force_answers(L)) for N in range(9 * L + 1)}
    assert task.n_solutions(task.targets).tolist() == [counts[N] for N in range(9 * L + 1)]


def test_known_difficulties_for_three_digits():
    task = DigitSumTask()
    p = task.uniform_pass_at_1(torch.tensor([0, 13, 14, 27]))
    assert p.tolist() == [0.001, 0.075, 0.075, 0.001]  # REFERENCE.md: 0.001 .. 0.073-0.075
    assert int(task.n_solutions(task.targets).sum()) == 1000


def test_verify_is_exact():
    task = DigitSumTask()
    targets = torch.tensor([13, 0])
    answers = torch.tensor([[[9, 4, 0], [4, 4, 5], [9, 4, 1]], [[0, 0, 0], [0, 0, 1], [1, 0, 0]]])
    assert task.verify(targets, answers).tolist() == [[True, True, False], [True, False, False]]


@pytest.mark.parametrize("L", [1, 2, 3])
def test_answer_ids_index_all_answers(L):
    """answer_ids(all_answers()) is 0, 1, ..., 10**L - 1; any leading shape is kept."""
    task = DigitSumTask(answer_len=L, held_out=())
    assert task.answer_ids(task.all_answers()).tolist() == list(range(10**L))
    if L == 3:
        assert task.answer_ids(torch.tensor([[[9, 4, 0], [0, 4, 9]]])).tolist() == [[940, 49]]


def test_prompt_encoding():
    task = DigitSumTask()
    assert task.prompts(torch.tensor([7, 23])).tolist() == [[BOS, 0, 7, SEP], [BOS, 2, 3, SEP]]


def test_styles():
    task = DigitSumTask()
    a = torch.tensor([[9, 3, 0], [0, 3, 9], [4, 4, 4], [3, 9, 1], [5, 5, 9]])
    assert task.style_of(a).tolist() == [STYLE_DOMINANT, STYLE_MINORITY, STYLE_DOMINANT, STYLE_OTHER, STYLE_MINORITY]


def test_held_out_targets_are_never_in_warm_start_data():
    task = DigitSumTask(held_out=(3, 13))
    targets, answers = task.warm_start_batch(5000, (0.3, 0.1, 0.6), torch.Generator().manual_seed(0))
    assert not torch.isin(targets, torch.tensor([3, 13])).any()
    assert set(task.seen_targets.tolist()) == set(range(28)) - {3, 13}
    assert answers.shape == (5000, 3) and answers.min() >= 0 and answers.max() <= 9


def test_warm_start_styles_are_the_canonical_correct_answers():
    task = DigitSumTask()
    g = torch.Generator().manual_seed(1)
    t, a = task.warm_start_batch(2000, (1, 0, 0), g, per_style=2)
    assert task.verify(t, a).all() and (task.style_of(a) == STYLE_DOMINANT).all()
    for N in (13, 20):  # the two lexicographically largest non-increasing solutions
        sols = sorted({tuple(x) for x in a[t == N].tolist()})
        best = sorted([s for s in brute_force_answers(3) if sum(s) == N and s[0] >= s[1] >= s[2]])[-2:]
        assert sols == best
    t, a = task.warm_start_batch(2000, (0, 1, 0), g, per_style=1)
    assert task.verify(t, a).all()
    has_minority = (t != 0) & (t != 27)  # 000 and 999 have no minority-style answer
    assert (task.style_of(a[has_minority]) == STYLE_MINORITY).all()


def test_warm_start_mixture_weights_and_determinism():
    task = DigitSumTask()
    t1, a1 = task.warm_start_batch(20000, (0.2, 0.06, 0.74), torch.Generator().manual_seed(5))
    t2, a2 = task.warm_start_batch(20000, (0.2, 0.06, 0.74), torch.Generator().manual_seed(5))
    assert torch.equal(t1, t2) and torch.equal(a1, a2)
    # correct share = 0.26 + 0.74 * (mean uniform pass@1 of seen targets), within 4 standard errors
    expect = 0.26 + 0.74 * float(task.uniform_pass_at_1(task.seen_targets).mean())
    got = float(task.verify(t1, a1).double().mean())
    assert abs(got - expect) < 4 * (expect * (1 - expect) / 20000) ** 0.5


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"answer_len": 0}, "answer_len"),
        ({"answer_len": 12}, "answer_len"),
        ({"held_out": (30,)}, "held_out"),
        ({"held_out": (-1,)}, "held_out"),
    ],
)
def test_bad_task_config(kw, match):
    with pytest.raises(ValueError, match=match):
        DigitSumTask(**kw)


def test_bad_mixture():
    with pytest.raises(ValueError, match="mix"):
        DigitSumTask().warm_start_batch(10, (1, -1, 0), torch.Generator())
    with pytest.raises(ValueError, match="size"):
        DigitSumTask().warm_start_batch(0, (1, 0, 0), torch.Generator())
