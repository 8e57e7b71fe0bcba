"""Readers of training runs (course_lib.evaluation.runs): verl's generation dumps, live and strict.

The fixtures are written the way verl 0.9.1 writes them (``_write_generations`` in
``verl/trainer/ppo/ray_trainer.py`` and ``verl/trainer/ppo/v1/trainer_base.py``, read in the 0.9.1
wheel): one ``{step}.jsonl`` per step in ``rollout_data_dir`` / ``validation_data_dir``, one
``json.dumps(entry, ensure_ascii=False) + "\\n"`` per sample, ``entry`` holding ``input``,
``output``, ``gts``, ``score``, ``step`` in that order and then every reward-extra list whose length
is the batch's (``acc``/``pred`` from the math scorers, ``request_id`` in rollout dumps, ``uid``
``{prompt uid}_{session}_{output}`` in the v1 trainer). Rollout dumps are reordered by sequence
length, so a prompt's samples are scattered; the writer is one background thread.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from course_lib.cli import main
from course_lib.evaluation.curve import align, pass_at_k_curve
from course_lib.evaluation.readers import ReadError, ReadOptions, detect_format, read_counts
from course_lib.evaluation.runs import read_verl_dumps, read_verl_step, verl_step_files

PROMPTS = [
    ("<|user|>Compute 17 + 25. Put the answer in \\boxed{}.", "42"),
    ("<|user|>求 3 × 4 的值。", "12"),  # verl writes UTF-8 as is (ensure_ascii=False)
    ("<|user|>Compute 17 + 25. Put the answer in \\boxed{}.", "43"),  # same text, another answer: another prompt
]


def verl_lines(step: int, correct: list[list[int]], *, extras=("acc", "pred"), reward=(0.0, 1.0), seed=0) -> list:
    """One step's entries: prompt i gets len(correct[i]) samples with those verdicts, shuffled as a rollout dump."""
    entries = []
    for i, verdicts in enumerate(correct):
        prompt, gts = PROMPTS[i]
        for j, ok in enumerate(verdicts):
            pred = gts if ok else str(int(gts) + 1 + j)
            entry = {"input": prompt, "output": f"... so the answer is \\boxed{{{pred}}}", "gts": gts}
            entry["score"], entry["step"] = reward[ok], step
            if "acc" in extras:
                entry["acc"] = bool(ok)
            if "pred" in extras:
                entry["pred"] = pred
            if "request_id" in extras:
                entry["request_id"] = f"req-{step}-{i}-{j}"
            entries.append(entry)
    order = np.random.default_rng(seed + step).permutation(len(entries))
    return [entries[i] for i in order]


def dump(folder: Path, step: int, entries: list, cut: int | None = None, gz: bool = False) -> Path:
    """Write ``{step}.jsonl`` as verl does; ``cut`` keeps only that many bytes (a write still going on)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries).encode("utf-8")
    if cut is not None:
        data = data[:cut]
    path = folder / f"{step}.jsonl{'.gz' * gz}"
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


CORRECT = [[1, 0, 1, 1], [0, 0, 0, 0, 0], [1, 1, 1]]  # (n, c) = (4, 3), (5, 0), (3, 3)


def test_one_step_grouped_by_input_and_gts(tmp_path):
    path = dump(tmp_path, 7, verl_lines(7, CORRECT, extras=("acc", "pred", "request_id")))
    step = read_verl_step(path)
    assert step.step == 7 and step.records == 12 and step.verdict == "acc"
    assert sorted(step.n.tolist()) == [3, 4, 5]
    by_prompt = {(g.prompt, g.answer): g for g in step.groups}
    for (prompt, gts), verdicts in zip(PROMPTS, CORRECT, strict=True):
        g = by_prompt[(prompt, gts)]
        assert (g.n, g.c) == (len(verdicts), sum(verdicts))
        assert g.correct.dtype == bool and g.rewards.dtype == np.float64
        assert g.rewards.tolist() == g.correct.astype(float).tolist()  # score 1.0 / 0.0 here
        assert len(g.outputs) == g.n and all("\\boxed{" in o for o in g.outputs)
        assert set(g.extras) == {"acc", "pred", "request_id"} and len(g.extras["pred"]) == g.n
        # distinct answers: every wrong sample of the fixture predicts another number
        assert len(set(g.extras["pred"])) == (1 if g.c else 0) + g.n - g.c
    assert len({g.id for g in step.groups}) == 3 and all(len(g.id) == 12 for g in step.groups)
    assert not step.may_grow and not step.partial_line


def test_ids_are_stable_across_steps_and_files_pair(tmp_path):
    a = read_verl_step(dump(tmp_path / "run1", 0, verl_lines(0, CORRECT)))
    b = read_verl_step(dump(tmp_path / "run2", 100, verl_lines(100, [[0, 0], [1, 1, 0], [1, 0, 0, 0]], seed=5)))
    ia, ib = align(a.counts().ids, b.counts().ids)
    assert ia.size == 3
    assert [a.groups[i].prompt for i in ia] == [b.groups[j].prompt for j in ib]
    assert [a.groups[i].answer for i in ia] == [b.groups[j].answer for j in ib]


def test_folder_steps_in_numeric_order_and_after(tmp_path):
    for step in (10, 2, 0):
        dump(tmp_path, step, verl_lines(step, CORRECT))
    (tmp_path / "notes.jsonl").write_text("{}\n")  # not a step file: ignored
    (tmp_path / "latest.txt").write_text("10")
    assert [s for s, _ in verl_step_files(tmp_path)] == [0, 2, 10]
    steps = read_verl_dumps(tmp_path)
    assert [s.step for s in steps] == [0, 2, 10] and all(s.c.sum() == 6 for s in steps)
    assert [s.step for s in read_verl_dumps(tmp_path, after=2)] == [10]
    assert read_verl_dumps(tmp_path, after=10) == []


def test_counts_feed_the_curve_and_the_cli(tmp_path, monkeypatch, capsys):
    path = dump(tmp_path, 3, verl_lines(3, CORRECT))
    assert detect_format(path) == "verl"
    counts = read_counts(path)
    assert counts.format == "verl generations (step 3)" and counts.columns["correct"] == "acc"
    assert sorted(zip(counts.n.tolist(), counts.c.tolist(), strict=True)) == [(3, 3), (4, 3), (5, 0)]
    cur = pass_at_k_curve(counts.n, counts.c, [1, 3])
    assert cur.pass_at_k[0] == pytest.approx((3 / 4 + 0 + 1) / 3)
    dump(tmp_path, 9, verl_lines(9, [[0, 1, 0, 0], [1, 0, 0, 0, 0], [1, 0, 1]]))
    monkeypatch.chdir(tmp_path)
    assert main(["curve", "3.jsonl", "9.jsonl", "--resamples", "50"]) == 0
    out = capsys.readouterr().out
    assert "A = 3.jsonl: verl generations (step 3), 12 records -> 3 problems" in out and "(3 shared)" in out
    assert main(["curve", str(tmp_path)]) == 2
    assert "is a folder of verl dumps (steps 3..9); give one step's file" in capsys.readouterr().err


def test_score_verdicts_need_a_threshold_when_not_0_1(tmp_path):
    path = dump(tmp_path, 1, verl_lines(1, CORRECT, extras=(), reward=(-1.0, 1.0)))
    with pytest.raises(ReadError, match=r"1\.jsonl:1: column 'score' holds -1\.0, not 0/1 or true/false; give"):
        read_verl_step(path)
    step = read_verl_step(path, ReadOptions(threshold=0.5))
    assert step.verdict == "score >= 0.5" and sorted(step.c.tolist()) == [0, 3, 3]
    assert sorted(g.rewards.sum() for g in step.groups) == [-5.0, 2.0, 3.0]
    ok = read_verl_step(dump(tmp_path, 2, verl_lines(2, CORRECT, extras=())))  # 0/1 scores: no threshold needed
    assert ok.verdict == "score" and sorted(ok.c.tolist()) == [0, 3, 3]


def test_live_run_newest_file_cut_mid_line_and_mid_character(tmp_path):
    dump(tmp_path, 0, verl_lines(0, CORRECT))
    entries = verl_lines(5, CORRECT, seed=1)
    full = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries).encode()
    # cut inside the last line's JSON, and inside a 3-byte character of the Chinese prompt
    cuts = [len(full) - 20]
    cuts.append(full.rindex("求".encode()) + 1)
    for cut in cuts:
        newest = dump(tmp_path, 5, entries, cut=cut)
        whole_lines = full[:cut].count(b"\n")
        with pytest.raises(ReadError) as err:
            read_verl_step(newest)  # strict: says what happened
        assert f"5.jsonl:{whole_lines + 1}: the last line is cut off" in str(err.value) and "live" in str(err.value)
        steps = read_verl_dumps(tmp_path, live=True)
        assert [s.may_grow for s in steps] == [False, True] and [s.partial_line for s in steps] == [False, True]
        assert steps[1].records == whole_lines and steps[1].n.sum() == whole_lines
        assert "may still grow" in steps[1].counts().format and "partial last line" in steps[1].counts().summary()
    # the finished file reads the same either way
    dump(tmp_path, 5, entries)
    live = read_verl_dumps(tmp_path, live=True)[1]
    assert live.records == 12 and not live.partial_line and live.may_grow
    assert live.n.tolist() == read_verl_step(tmp_path / "5.jsonl").n.tolist()


def test_live_tolerates_only_the_newest_file(tmp_path):
    entries = verl_lines(0, CORRECT)
    dump(tmp_path, 0, entries, cut=50)  # an older file cut: not a write in progress (verl writes one at a time)
    dump(tmp_path, 1, verl_lines(1, CORRECT))
    with pytest.raises(ReadError, match="0.jsonl:1: the last line is cut off"):
        read_verl_dumps(tmp_path, live=True)
    dump(tmp_path, 2, [], cut=0)  # the newest file just opened: nothing written yet
    steps = read_verl_dumps(tmp_path, live=True, after=1)
    assert len(steps) == 1 and steps[0].step == 2 and steps[0].groups == () and steps[0].may_grow
    with pytest.raises(ReadError, match="2.jsonl: no samples found"):
        read_verl_step(tmp_path / "2.jsonl")


def test_v1_trainer_uid_sessions(tmp_path):
    entries = []
    for s, ok in enumerate([1, 0, 1]):  # prompt p0: 3 sessions, the second with two outputs (multi-turn)
        for out in range(2 if s == 1 else 1):
            entries.append(
                {"input": PROMPTS[0][0], "output": f"turn {out}", "gts": "42", "score": float(ok), "step": 4}
                | {"uid": f"9f3c-a1_{s}_{out}"}
            )
    entries.append({"input": PROMPTS[1][0], "output": "12", "gts": "12", "score": 1.0, "step": 4, "uid": "77b_0_0"})
    step = read_verl_step(dump(tmp_path, 4, entries))
    assert step.records == 4 and sorted(step.n.tolist()) == [1, 3] and sorted(step.c.tolist()) == [1, 2]
    g = next(g for g in step.groups if g.n == 3)
    assert g.outputs == ("turn 0", "turn 1", "turn 0")  # a session's last output is its text
    assert "5 lines are 4 sessions" in step.counts().summary()


def test_older_verl_without_gts_and_gzip(tmp_path):
    entries = [{k: v for k, v in e.items() if k != "gts"} for e in verl_lines(3, CORRECT[:2], extras=())]
    step = read_verl_step(dump(tmp_path, 3, entries, gz=True))
    assert sorted(step.n.tolist()) == [4, 5] and "no 'gts' key" in step.counts().summary()
    assert step.groups[0].answer is None


@pytest.mark.parametrize(
    "lines, text",
    [
        ([{"input": "a", "output": "b", "gts": "1", "score": 1.0, "step": s} for s in (3, 3, 4)],
         ":3: step 4, but the first line says step 3"),
        ([{"input": "a", "output": "b", "score": 1.0, "step": 3}, {"input": "a", "score": 1.0, "step": 3}],
         ":2: no 'output' key"),
        ([{"input": "a", "output": "b", "score": "1", "step": 3}], ":1: 'score' holds '1', not a number"),
        ([{"prompt": "a", "completion": "b", "score": 1.0, "step": 3}], "not a verl generation dump"),
    ],
)  # fmt: skip
def test_errors_name_file_and_line(tmp_path, lines, text):
    path = dump(tmp_path, 3, lines)
    with pytest.raises(ReadError) as err:
        read_verl_step(path)
    msg = str(err.value)
    assert msg.startswith(str(path)) and text in msg and "\n" not in msg, msg


def test_missing_folder_is_one_line(tmp_path):
    with pytest.raises(ReadError, match="no such folder"):
        read_verl_dumps(tmp_path / "nope")
