"""``passk monitor`` (course_lib.evaluation.monitor, .completions) on files written by the trainers' own writers.

The inputs in ``tests/data/monitor/`` were written by verl 0.9.1's ``_write_generations`` (validation:
the default v1 trainer's, with ``uid``; rollouts: the legacy trainer's, no uid, scrambled order) and by
a real TRL 1.16 ``GRPOTrainer`` run with ``log_completions=True``; ``scripts/monitor_fixtures.py``
(run by ``make test-verl``) regenerates them and fails if they differ. The claims: every number the
monitor prints equals the course's estimators (:mod:`course_lib.passk`) on the same samples, grouped
here independently of the readers; bad files give one line naming the file and the line; a live run's
half-written file is waited for; a lab run's ``--dump-dir`` is read the same way and leaves the run's
history unchanged.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import shutil
import sys
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from course_lib import passk
from course_lib.cli import main
from course_lib.evaluation.completions import read_trl_step
from course_lib.evaluation.curve import default_ks
from course_lib.evaluation.monitor import find_sources, read_source, run_reports
from course_lib.evaluation.monitor.cli import format_line
from course_lib.evaluation.monitor.sources import Follower
from course_lib.evaluation.records import ReadError

DATA = Path(__file__).resolve().parent / "data" / "monitor"
VERL, TRL = DATA / "verl", DATA / "trl"


def _groups_of_jsonl(path: Path) -> dict:
    """(input, gts) -> list of (score, output), read here without the course's reader."""
    out = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        out[(rec["input"], rec["gts"])].append((rec["score"], rec["output"]))
    return out


def _expected(groups: dict, k: int) -> dict:
    """The course's estimators on groups of (reward, output): what the monitor must print."""
    n = np.array([len(g) for g in groups.values()])
    c = np.array([sum(r == 1.0 for r, _ in g) for g in groups.values()])
    k_max = int(n.min())
    return {
        "n": n,
        "c": c,
        "pass1": float(np.mean(passk.pass_at_k(n, c, 1))),
        "pass_k_max": float(np.mean(passk.pass_at_k(n, c, k_max))),
        "k_max": k_max,
        "delta": float(np.mean(passk.pass_at_k(n, c, k)) - np.mean(c / n)),
        "zero_signal": float(np.mean([len({r for r, _ in g}) == 1 for g in groups.values()])),
        "zero_advantage": float(np.mean((c == 0) | (n - c < k))),
        "distinct": float(np.mean([len({o for r, o in g if r == 1.0}) for g in groups.values()])),
    }


def _json(capsys, *args) -> list[dict]:
    assert main(["monitor", *map(str, args), "--json", "-", "--resamples", "200"]) == 0
    out = capsys.readouterr().out
    return json.loads(out[out.index("\n[") + 1 :])


def test_verl_validation_numbers_are_the_courses_estimators(capsys):
    rows = _json(capsys, VERL / "validation", "--k", "4")
    files = sorted((VERL / "validation").glob("*.jsonl"), key=lambda p: int(p.stem))
    assert [r["step"] for r in rows] == [0, 10, 20] and [r["kind"] for r in rows] == ["validation"] * 3
    first = _groups_of_jsonl(files[0])
    for row, path in zip(rows, files, strict=True):
        groups = _groups_of_jsonl(path)
        want = _expected(groups, 4)
        assert (row["prompts"], row["samples"], row["k_max"], row["k"]) == (6, 48, 8, 4)
        assert row["pass_at_k"][0] == pytest.approx(want["pass1"], abs=1e-12)
        assert row["pass_at_k"][-1] == pytest.approx(want["pass_k_max"], abs=1e-12)
        assert row["ks"] == sorted(set(default_ks(8)) | {8})  # the grid of passk curve, and k_max
        for k, value in zip(row["ks"], row["pass_at_k"], strict=True):
            assert value == pytest.approx(float(np.mean(passk.pass_at_k(want["n"], want["c"], k))), abs=1e-12)
        lo, hi = row["pass_at_k_max_ci"]
        assert lo <= row["pass_at_k"][-1] <= hi
        for key in ("delta", "zero_signal", "zero_advantage"):
            assert row[key] == pytest.approx(want[key], abs=1e-12), key
        assert row["distinct_correct"] == pytest.approx(want["distinct"], abs=1e-12)
        if row["step"] == 0:
            assert row["baseline_step"] is None and row["passk_change"] is None
            continue
        # against the first validation, prompt by prompt (the same six prompts: verl's uids differ per validation)
        keys = list(first)
        n0 = np.array([len(first[key]) for key in keys])
        c0 = np.array([sum(r == 1.0 for r, _ in first[key]) for key in keys])
        n1 = np.array([len(groups[key]) for key in keys])
        c1 = np.array([sum(r == 1.0 for r, _ in groups[key]) for key in keys])
        assert (row["baseline_step"], row["shared"]) == (0, 6)
        assert row["pass1_change"] == pytest.approx(float(np.mean(c1 / n1 - c0 / n0)), abs=1e-12)
        diff8 = np.mean(passk.pass_at_k(n1, c1, 8) - passk.pass_at_k(n0, c0, 8))
        assert row["passk_change"] == pytest.approx(float(diff8), abs=1e-12)
        split = passk.delta_change_split_counts(n0, c0, n1, c1, 4)
        assert (row["delta_rose"], row["delta_fell"]) == (pytest.approx(split.rose), pytest.approx(split.fell))
        assert (row["n_rose"], row["n_fell"]) == (split.n_rose, split.n_fell)
        # the split adds up to the change of the dataset Δ(4) the monitor prints
        assert split.rose + split.fell == pytest.approx(row["delta"] - rows[0]["delta"], abs=1e-12)
        assert split.n_rose >= 1 and split.n_fell >= 1  # the fixture has prompts going both ways


def test_verl_rollouts_without_uid_are_grouped_by_prompt_and_answer(capsys):
    rows = _json(capsys, VERL / "rollouts", "--k", "4")
    assert [r["kind"] for r in rows] == ["rollouts", "rollouts"]
    for row, step in zip(rows, (1, 2), strict=True):
        want = _expected(_groups_of_jsonl(VERL / "rollouts" / f"{step}.jsonl"), 4)
        assert row["prompts"] == 6 and row["n_min"] == row["n_max"] == 8
        for key, got in (("pass1", row["pass_at_k"][0]), ("zero_signal", row["zero_signal"])):
            assert got == pytest.approx(want[key], abs=1e-12), key
        assert row["zero_advantage"] == pytest.approx(want["zero_advantage"], abs=1e-12)
        assert row["baseline_step"] is None  # rollout prompts change every step: no change, no split


def test_a_run_folder_holds_both_kinds_validation_first(capsys):
    assert [(s.kind, s.path.name) for s in find_sources(VERL)] == [
        ("validation", "validation"),
        ("rollouts", "rollouts"),
    ]
    assert main(["monitor", str(VERL), "--resamples", "100"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith(("validation ", "rollouts "))]
    assert [line.split()[2] for line in lines] == ["0", "10", "20", "1", "2"]


def test_trl_completions_numbers_are_the_courses_estimators(capsys):
    import pyarrow.parquet as pq

    rows = _json(capsys, TRL, "--k", "2")
    assert [r["step"] for r in rows] == [1, 2] and {r["kind"] for r in rows} == {"rollouts"}
    for row in rows:
        table = pq.read_table(TRL / "completions" / f"completions_{row['step']:05d}.parquet").to_pylist()
        groups = defaultdict(list)
        for rec in table:
            groups[rec["prompt"]].append((rec["passk_verifier"], rec["completion"]))
        want = _expected(groups, 2)
        assert row["prompts"] == len(groups) == 2 and row["samples"] == 8
        for key in ("delta", "zero_signal", "zero_advantage"):
            assert row[key] == pytest.approx(want[key], abs=1e-12), key
        assert row["pass_at_k"][0] == pytest.approx(want["pass1"], abs=1e-12)
        # TRL's own advantage column is the course transform (zero-sum in each group)
        for g in groups:
            adv = [rec["advantage"] for rec in table if rec["prompt"] == g]
            assert abs(sum(adv)) < 1e-5


def test_trl_tables_need_the_verifier_column_or_a_named_one(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = pq.read_table(TRL / "completions" / "completions_00001.parquet").to_pylist()
    for row in rows:
        row["correct"] = row.pop("passk_verifier")
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "completions_00001.parquet")
    with pytest.raises(ReadError, match=r"completions_00001.parquet: no 'passk_verifier' column; .*--correct-col"):
        read_trl_step(tmp_path / "completions_00001.parquet")
    from course_lib.evaluation.records import ReadOptions

    step = read_trl_step(tmp_path / "completions_00001.parquet", ReadOptions(correct_col="correct"))
    assert step.step == 1 and step.n.tolist() == [4, 4]


def test_without_pyarrow_one_line_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    assert main(["monitor", str(TRL)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs pyarrow" in err[0] and "passk-course[monitor] @ git+" in err[0], err


def test_bad_lines_give_one_line_naming_the_file_and_line(tmp_path, capsys):
    run = tmp_path / "validation"
    shutil.copytree(VERL / "validation", run)
    lines = (run / "10.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2][:40] + "\n"  # a broken line inside a complete file
    (run / "10.jsonl").write_text("".join(lines), encoding="utf-8")
    assert main(["monitor", str(run)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{run / '10.jsonl'}:3: not valid JSON" in err[0], err
    assert main(["monitor", str(tmp_path / "nothing")]) == 2
    assert "no such folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["monitor", str(tmp_path / "empty")]) == 2
    assert "no training samples found" in capsys.readouterr().err


def _copy_lines(src: Path, dst: Path, upto: int | None = None, cut: bool = False) -> None:
    data = src.read_bytes().splitlines(keepends=True)
    text = b"".join(data[:upto])
    if cut:
        text += data[upto][: len(data[upto]) // 2]  # the writer's buffer cut a line
    dst.write_bytes(text)


def test_following_a_live_run_waits_for_the_newest_file(tmp_path):
    live = tmp_path / "validation"
    live.mkdir()
    src = VERL / "validation"
    shutil.copy(src / "0.jsonl", live / "0.jsonl")
    follower = Follower(find_sources(live)[0])
    assert follower.poll() == []  # the newest file: read again before it counts (it may still grow)
    assert [s.step for s in follower.poll()] == [0]
    _copy_lines(src / "10.jsonl", live / "10.jsonl", upto=20, cut=True)
    assert follower.poll() == [] and follower.poll() == []  # half written: waited for, not an error
    _copy_lines(src / "10.jsonl", live / "10.jsonl")
    assert follower.poll() == []  # it grew since the last poll
    (step,) = follower.poll()
    assert step.step == 10 and step.n.tolist() == [8] * 6
    shutil.copy(src / "20.jsonl", live / "20.jsonl")
    assert follower.poll() == []
    assert [s.step for s in follower.poll()] == [20]
    assert follower.poll() == []  # each step once


def test_follow_mode_prints_one_line_per_step(capsys):
    assert main(["monitor", str(VERL), "--follow", "--interval", "0", "--max-polls", "3", "--resamples", "100"]) == 0
    out = capsys.readouterr().out
    steps = [line.split()[2] for line in out.splitlines() if line.startswith(("validation ", "rollouts "))]
    assert sorted(steps, key=int) == ["0", "1", "2", "10", "20"]


def test_the_chart_and_the_terminal_line(tmp_path, capsys):
    pytest.importorskip("altair")
    from course_lib.evaluation.monitor.charts import monitor_chart

    reports = run_reports(read_source(find_sources(VERL / "validation")[0]), kind="validation", resamples=100)
    spec = monitor_chart(reports).to_dict()
    assert {"passk", "shares"} <= set(spec["datasets"])
    assert spec["description"].startswith("pass@1 and pass@K over training")
    line = format_line(reports[1])
    assert f"pass@1 {reports[1].pass1:.3f} ({reports[1].pass1_change:+.3f}" in line and "Δ(4)" in line
    out = tmp_path / "monitor.html"
    assert main(["monitor", str(VERL), "--out", str(out), "--resamples", "100"]) == 0
    assert out.stat().st_size > 1000 and "wrote" in capsys.readouterr().out


def test_delta_split_from_counts_matches_exact_enumeration():
    """Per prompt, the unbiased gap is the average over size-k subsets of samples (brute force, Fractions)."""

    def exact_gap(n, c, k):
        samples = [1] * c + [0] * (n - c)
        subsets = list(itertools.combinations(range(n), k))
        return Fraction(sum(any(samples[i] for i in s) for s in subsets), len(subsets)) - Fraction(c, n)

    rng = np.random.default_rng(0)
    for _ in range(20):
        m, k = 5, int(rng.integers(1, 5))
        n0, n1 = rng.integers(k, 8, m), rng.integers(k, 8, m)
        c0, c1 = rng.integers(0, n0 + 1), rng.integers(0, n1 + 1)
        d = passk.delta_change_split_counts(n0, c0, n1, c1, k)
        change = [exact_gap(b, d1, k) - exact_gap(a, d0, k) for a, d0, b, d1 in zip(n0, c0, n1, c1, strict=True)]
        rose = [
            Fraction(int(d1), int(b)) > Fraction(int(d0), int(a)) for a, d0, b, d1 in zip(n0, c0, n1, c1, strict=True)
        ]
        want_rose = sum((x for x, up in zip(change, rose, strict=True) if up), Fraction(0)) / m
        want_fell = sum((x for x, up in zip(change, rose, strict=True) if not up), Fraction(0)) / m
        assert d.rose == pytest.approx(float(want_rose), abs=1e-12) and d.fell == pytest.approx(
            float(want_fell), abs=1e-12
        )
        assert d.n_rose == sum(rose)
    with pytest.raises(ValueError, match="k = 3 is above some prompt's n"):
        passk.delta_change_split_counts([2], [1], [4], [1], 3)


@pytest.fixture()
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PASSK_CACHE", str(tmp_path / "cache"))


def test_a_lab_run_dumps_what_verl_dumps_and_trains_the_same(tmp_path, _cache, capsys):
    pytest.importorskip("torch")
    from course_lib.lab import LabConfig, WarmStartConfig
    from course_lib.lab.loop import train

    cfg = LabConfig(
        d_model=32,
        prompts_per_step=8,
        n=8,
        steps=4,
        eval_every=2,
        eval_samples=16,
        threads=1,
        warm=WarmStartConfig(steps=60),
        device="cpu",
    )
    plain = train(cfg, progress=False)
    dumped = train(cfg, progress=False, dump_dir=tmp_path / "dumps")
    strip = lambda h: [{k: v for k, v in row.items() if k != "time/s"} for row in h]  # noqa: E731
    assert strip(dumped.history) == strip(plain.history)  # the dumps draw with their own generator
    assert sorted(int(p.stem) for p in (tmp_path / "dumps" / "rollouts").glob("*.jsonl")) == [1, 2, 3, 4]
    assert sorted(int(p.stem) for p in (tmp_path / "dumps" / "validation").glob("*.jsonl")) == [0, 2, 4]
    first = json.loads((tmp_path / "dumps" / "rollouts" / "1.jsonl").read_text().splitlines()[0])
    assert list(first)[:5] == ["input", "output", "gts", "score", "step"] and first["step"] == 1
    rows = _json(capsys, tmp_path / "dumps", "--k", "4")
    val = [r for r in rows if r["kind"] == "validation"]
    roll = [r for r in rows if r["kind"] == "rollouts"]
    assert [r["step"] for r in val] == [0, 2, 4] and [r["step"] for r in roll] == [1, 2, 3, 4]
    targets = cfg.task.seen_targets.numel() + cfg.task.held_out_targets.numel()
    assert all(r["prompts"] == targets and r["n_min"] == 16 for r in val)
    assert all(r["prompts"] == 8 and r["n_min"] == r["n_max"] == 8 for r in roll)  # groups kept apart by uid
    # the rollout's pass@1 is the step's logged train/reward
    logged = {row["step"]: row["train/reward"] for row in dumped.history if "train/reward" in row}
    for r in roll:
        assert r["pass_at_k"][0] == pytest.approx(logged[r["step"]], abs=1e-12)


def test_dataclass_fields_are_in_the_json(capsys):
    from course_lib.evaluation.monitor.report import StepReport

    rows = _json(capsys, VERL / "rollouts")
    assert set(rows[0]) == {f.name for f in dataclasses.fields(StepReport)}


def test_the_guides_monitor_commands_run(tmp_path, monkeypatch, capsys):
    """docs/real_model.md's `passk monitor` lines, on the fixture run folder in place of ~/passk_runs/<run>."""
    import re
    import shlex

    text = (Path(__file__).resolve().parent.parent / "docs" / "real_model.md").read_text()
    lines = [
        line.split("  #")[0].strip()
        for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)
        for line in block.splitlines()
        if line.strip().startswith("passk monitor")
    ]
    assert len(lines) >= 2, lines
    monkeypatch.chdir(tmp_path)
    for line in lines:
        words = [re.sub(r"^~/passk_runs/[^/\s]+", str(VERL), w) for w in shlex.split(line)[2:]]
        extra = ["--max-polls", "2", "--interval", "0"] if "--follow" in words else []
        assert main(["monitor", *words, *extra, "--resamples", "100"]) == 0, line
    assert "validation step    20" in capsys.readouterr().out
    assert (tmp_path / "monitor.json").exists() and (tmp_path / "monitor.html").exists()


def test_following_a_run_that_has_not_written_yet_waits_for_it(tmp_path, capsys):
    assert main(["monitor", str(tmp_path / "not-yet"), "--follow", "--interval", "0", "--max-polls", "2"]) == 1
    err = capsys.readouterr().err
    assert "waiting for samples" in err and err.strip().splitlines()[-1].endswith(
        "no such folder (give a verl dump folder, a run folder or a TRL output_dir)"
    )
