"""``passk curve`` and ``passk plan`` end to end: tables, the --json shape, charts, errors, light imports."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest
from test_evaluation_readers import humaneval_results, jsonl

from course_lib.cli import main
from course_lib.evaluation.curve import compare, pass_at_k_curve

needs_charts = pytest.mark.skipif(
    importlib.util.find_spec("altair") is None or importlib.util.find_spec("vl_convert") is None,
    reason="the [charts] extra is not installed (core install)",
)

M, N = 60, 16


def _files(tmp_path, monkeypatch):
    """Base and trained human-eval results (60 problems, n = 16): trained is sharper but loses hard problems."""
    rng = np.random.default_rng(0)
    p_base = rng.beta(0.6, 1.2, M)
    p_rl = np.where(p_base > 0.2, np.minimum(1, 1.8 * p_base), 0.1 * p_base)
    counts = []
    for name, p in (("base.jsonl", p_base), ("rl.jsonl", p_rl)):
        c = rng.binomial(N, p)
        counts.append(c)
        (tmp_path / name).write_text(jsonl(humaneval_results({f"HumanEval/{i}": (N, int(c[i])) for i in range(M)})))
    monkeypatch.chdir(tmp_path)
    return counts


def test_curve_two_files_table_and_json_shape(tmp_path, monkeypatch, capsys):
    c_base, c_rl = _files(tmp_path, monkeypatch)
    rc = main(["curve", "base.jsonl", "rl.jsonl", "--json", "out/curve.json", "--seed", "3"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "A = base.jsonl: human-eval results, 960 records -> 60 problems, 960 samples (n = 16 per problem)" in out
    assert "pass@k of A" in out and "coverage" in out and "B − A (60 shared)" in out
    report = json.loads((tmp_path / "out" / "curve.json").read_text())
    assert set(report) >= {"files", "crossover", "crossover_ci", "crossings", "crossings_resolved", "metric"}
    assert list(report["files"]) == ["base.jsonl", "rl.jsonl"]  # the paths exactly as given
    ks = [1, 2, 4, 5, 8, 10, 16]  # powers of two and the 5 and 10 papers publish
    for path, c in (("base.jsonl", c_base), ("rl.jsonl", c_rl)):
        entry = report["files"][path]
        assert type(entry["n_problems"]) is int and entry["n_problems"] == M
        assert type(entry["n_samples"]) is int and entry["n_samples"] == M * N
        assert list(entry["pass_at_k"]) == [str(k) for k in ks] == list(entry["ci"])
        cur = pass_at_k_curve(np.full(M, N), c, ks, seed=3)
        assert [entry["pass_at_k"][str(k)] for k in ks] == cur.pass_at_k.tolist()
        assert [entry["ci"][str(k)] for k in ks] == cur.ci.tolist()
        assert entry["coverage"] == cur.coverage == float(np.mean(c >= 1))
    cmp_ = compare(np.full(M, N), c_base, np.full(M, N), c_rl, ks, seed=3)
    assert report["crossover"] == {"base.jsonl|rl.jsonl": cmp_.crossover}
    expected_ci = None if cmp_.crossover_ci is None else list(cmp_.crossover_ci)
    assert report["crossover_ci"] == {"base.jsonl|rl.jsonl": expected_ci}
    assert cmp_.crossover is not None and f"first crossing k* = {cmp_.crossover}" in out
    assert report["crossings"] == {"base.jsonl|rl.jsonl": list(cmp_.crossings)}
    assert report["crossings_resolved"] == {"base.jsonl|rl.jsonl": list(cmp_.crossings_resolved)}


def test_curve_three_files_pairs_in_order(tmp_path, monkeypatch, capsys):
    _files(tmp_path, monkeypatch)
    (tmp_path / "t.csv").write_text("task_id,n,c\n" + "".join(f"HumanEval/{i},32,{i % 33}\n" for i in range(M)))
    assert main(["curve", "rl.jsonl", "base.jsonl", "t.csv", "--json", "c.json", "--resamples", "200"]) == 0
    report = json.loads((tmp_path / "c.json").read_text())
    assert list(report["crossover"]) == ["rl.jsonl|base.jsonl", "rl.jsonl|t.csv", "base.jsonl|t.csv"]
    assert report["ks"] == [1, 2, 4, 5, 8, 10, 16, 32]  # each file's grid, up to its own n (16, 16, 32)
    assert report["files"]["rl.jsonl"]["pass_at_k"]["32"] is None and report["files"]["t.csv"]["pass_at_k"]["32"] > 0
    assert report["files"]["rl.jsonl"]["not_estimable"] == [32] and report["files"]["t.csv"]["not_estimable"] == []
    assert all("32" not in d["diff"] for d in report["differences"].values())  # pairs skip it
    assert any("k = 32 skipped" in note for note in report["notes"])


@needs_charts
def test_curve_writes_charts(tmp_path, monkeypatch, capsys):
    _files(tmp_path, monkeypatch)
    assert main(["curve", "base.jsonl", "rl.jsonl", "--out", "charts/c.png", "--resamples", "100"]) == 0
    assert (tmp_path / "charts" / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["curve", "base.jsonl", "--out", "c.html", "--resamples", "100"]) == 0
    assert "vega" in (tmp_path / "c.html").read_text().lower()


@needs_charts
def test_chart_is_readable_without_colour():
    from course_lib.evaluation.charts import curve_chart
    from course_lib.viz.charts import DASHES, PALETTE, SHAPES

    cur = pass_at_k_curve([8, 8, 8], [1, 4, 8], [1, 2, 4], resamples=50)
    cmp_ = compare([8, 8, 8], [1, 4, 8], [8, 8, 8], [2, 2, 8], [1, 2, 4], resamples=50)
    spec = curve_chart({"A: a": cur, "B: b": cur}, {"B − A": cmp_}).to_dict()
    text = json.dumps(spec)
    assert '"strokeDash"' in text and '"shape"' in text and PALETTE[0] in text
    assert len(set(map(tuple, DASHES))) == len(DASHES) == len(set(SHAPES)) == len(set(PALETTE))
    assert set(spec["datasets"]) == {"curves", "diffs"}


def test_out_without_altair_is_refused_before_any_work(tmp_path, monkeypatch, capsys):
    _files(tmp_path, monkeypatch)
    monkeypatch.setitem(sys.modules, "altair", None)  # `import altair` now raises ImportError
    rc = main(["curve", "base.jsonl", "--json", "c.json", "--out", "c.png", "--resamples", "50"])
    captured = capsys.readouterr()
    assert rc == 2 and captured.out == ""  # nothing read, computed or printed first
    line = 'pip install "passk-course[charts] @ git+https://github.com/passk-course/passk-course@main"'
    assert captured.err.count("\n") == 1 and "needs Altair" in captured.err and line in captured.err
    assert not (tmp_path / "c.json").exists() and not (tmp_path / "c.png").exists()
    assert main(["curve", "base.jsonl", "--out", "c.txt"]) == 2
    assert "--out must end in .png" in capsys.readouterr().err


@needs_charts
def test_out_png_without_vl_convert(tmp_path, monkeypatch, capsys):
    _files(tmp_path, monkeypatch)
    monkeypatch.setitem(sys.modules, "vl_convert", None)
    assert main(["curve", "base.jsonl", "--out", "c.svg", "--resamples", "50"]) == 2
    captured = capsys.readouterr()
    assert "needs vl-convert-python" in captured.err and captured.out == ""


@pytest.mark.parametrize(
    "args, text",
    [
        (["curve", "base.jsonl", "--k", "1,64"], "k = 64 exceeds n for 60 of 60 problems in base.jsonl"),
        (["curve", "bad.jsonl"], "bad.jsonl:2: not valid JSON"),
        (["curve", "nope.jsonl"], "nope.jsonl: no such file"),
        (["curve", "base.jsonl", "--ci", "95"], "strictly between 0 and 1"),
        (["curve", "base.jsonl", "--k", "1,64", "--metric", "pass^k"], "k = 64 exceeds n"),
        (["curve", "base.jsonl", "--cover", "0,0.5"], "every τ must lie in (0, 1]"),
        (["curve", "greedy.jsonl", "--k", "2"], "k = 2 exceeds n for 60 of 60 problems in greedy.jsonl"),
        (["plan", "greedy.jsonl"], "60 of 60 problems have a single sample; pass rates need at least 2 samples"),
        (["plan", "bad.jsonl", "--group-size", "4"], "bad.jsonl:2: not valid JSON"),
        (["plan", "base.jsonl", "--group-size", "1"], "group size must be >= 2"),
    ],
)
def test_errors_are_one_line_and_exit_2(tmp_path, monkeypatch, capsys, args, text):
    _files(tmp_path, monkeypatch)
    (tmp_path / "bad.jsonl").write_text('{"task_id": "a", "passed": true}\n{"task_id": "a", "passed": tru\n')
    (tmp_path / "other.jsonl").write_text('{"task_id": "zzz", "passed": true}\n')
    (tmp_path / "greedy.jsonl").write_text(jsonl(humaneval_results({f"HumanEval/{i}": (1, i % 2) for i in range(M)})))
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("passk: error: ") and err.count("\n") == 1 and text in err, err
    assert "Traceback" not in err


def test_plan_output(tmp_path, monkeypatch, capsys):
    _files(tmp_path, monkeypatch)
    assert main(["plan", "base.jsonl", "--group-size", "2,4,8,32", "--k", "4", "--batch", "64"]) == 0
    out = capsys.readouterr().out
    assert "passk plan: base.jsonl: human-eval results" in out
    assert "no signal (GRPO)" in out and "zero advantage (pass@4, Chen)" in out and "informative / 64" in out
    assert "k > G" in out  # G = 2 < k = 4
    assert "recommendation (GRPO)" in out and "recommendation (pass@4 advantage)" in out
    assert "exact or estimated:" in out and "plug-in" in out
    rows = [line.split() for line in out.splitlines() if line.strip().startswith("32 ")]
    assert rows and rows[0][-1] == "60"  # G = 32 > n = 16: all 60 problems use the plug-in


@pytest.mark.parametrize("command", ["curve", "plan"])
def test_help_shows_an_example(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "example:" in out and f"passk {command} " in out


def test_library_and_parser_need_numpy_only():
    code = (
        "import sys, argparse\n"
        "import course_lib.passk\n"
        "import course_lib.evaluation, course_lib.evaluation.readers, course_lib.evaluation.curve\n"
        "import course_lib.evaluation.plan, course_lib.evaluation.groups, course_lib.evaluation.harnesses\n"
        "import course_lib.evaluation.records, course_lib.evaluation.cli as cli\n"
        "p = argparse.ArgumentParser(); cli.add_cli(p.add_subparsers())\n"
        "print(sorted(m for m in ('torch', 'sympy', 'altair', 'vl_convert', 'IPython') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr


# ----------------------------------------------------------------------------- issue 23: the files people have
def _codellama_like(tmp_path, sizes):
    """Two human-eval files, n = 10, whose paired difference changes sign twice (like CodeLlama at T = 0.6 and 0.8).

    Problem kinds (counts per kind from ``sizes``): B sharper on a hard problem (c 1 -> 3), B loses a problem
    (2 -> 0), B slightly worse on an easy one (10 -> 8), and unchanged problems (5 -> 5).
    """
    kinds = [(1, 3), (2, 0), (10, 8), (5, 5)]
    counts = [kind for kind, size in zip(kinds, sizes, strict=True) for _ in range(size)]
    for name, side in (("t06.jsonl", 0), ("t08.jsonl", 1)):
        table = {f"HumanEval/{i}": (10, pair[side]) for i, pair in enumerate(counts)}
        (tmp_path / name).write_text(jsonl(humaneval_results(table)))
    return [a for a, _ in counts], [b for _, b in counts]


def _exact_crossings(c_a, c_b, n, ks):
    """Where the exact-fraction difference of mean pass@k changes sign (math.comb, no floats)."""
    from fractions import Fraction
    from math import comb

    def mean(cs, k):
        return sum(1 - Fraction(comb(n - c, k), comb(n, k)) for c in cs) / len(cs)

    signs = [(mean(c_b, k) > mean(c_a, k)) - (mean(c_b, k) < mean(c_a, k)) for k in ks]
    return [k for k, s, prev in zip(ks[1:], signs[1:], signs[:-1], strict=True) if s and prev and s != prev]


@pytest.mark.parametrize(
    "sizes, resolved",
    [((11, 4, 10, 139), [False, False]), ((28, 10, 25, 101), [False, True])],
    ids=["within-noise", "second-resolved"],
)
def test_every_crossing_is_reported_and_only_resolved_ones_are_called_so(
    tmp_path, monkeypatch, capsys, sizes, resolved
):
    monkeypatch.chdir(tmp_path)
    c_a, c_b = _codellama_like(tmp_path, sizes)
    ks = list(range(1, 11))
    assert main(["curve", "t06.jsonl", "t08.jsonl", "--k", ",".join(map(str, ks)), "--json", "c.json"]) == 0
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "c.json").read_text())
    assert _exact_crossings(c_a, c_b, 10, ks) == [2, 7]
    assert report["crossings"] == {"t06.jsonl|t08.jsonl": [2, 7]}
    assert report["crossings_resolved"] == {"t06.jsonl|t08.jsonl": resolved}
    assert "B behind at k = 1, ahead at k = 2..6, behind at k = 7..10" in out
    words = ["resolved" if r else "within noise" for r in resolved]
    assert f"changes at k = 2 ({words[0]}), k = 7 ({words[1]})" in out
    assert "behind from k*" not in out  # the old, false summary
    cmp_ = compare(np.full(164, 10), c_a, np.full(164, 10), c_b, ks)
    for k, ok in zip(cmp_.crossings, cmp_.crossings_resolved, strict=True):  # the rule, checked on the intervals
        at, ci, d = ks.index(k), cmp_.diff_ci, cmp_.diff
        old = [(hi < 0) if d[at] > 0 else (lo > 0) for lo, hi in ci[:at]]
        new = [(lo > 0) if d[at] > 0 else (hi < 0) for lo, hi in ci[at:]]
        assert ok == (any(old) and any(new))


def test_greedy_and_sampled_files_each_up_to_their_own_n(tmp_path, monkeypatch, capsys):
    """Yue et al.'s comparison in one run: greedy (n = 1) against sampled (n = 10), --k 1,10."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "greedy.jsonl").write_text(
        jsonl(humaneval_results({f"T/{i}": (1, int(i % 3 == 0)) for i in range(30)}))
    )
    (tmp_path / "sampled.jsonl").write_text(jsonl(humaneval_results({f"T/{i}": (10, i % 11) for i in range(30)})))
    assert main(["curve", "greedy.jsonl", "sampled.jsonl", "--k", "1,10", "--json", "g.json"]) == 0
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "g.json").read_text())
    greedy, sampled = report["files"]["greedy.jsonl"], report["files"]["sampled.jsonl"]
    assert greedy["pass_at_k"] == {"1": pytest.approx(10 / 30), "10": None} and greedy["ci"]["10"] is None
    assert sampled["pass_at_k"]["10"] == pytest.approx(np.mean([i % 11 > 0 for i in range(30)]))
    assert list(report["differences"]["greedy.jsonl|sampled.jsonl"]["diff"]) == ["1"]
    assert report["differences"]["greedy.jsonl|sampled.jsonl"]["skipped_ks"] == [10]
    row10 = next(line for line in out.splitlines() if line.strip().startswith("10 "))
    assert "—" in row10 and "k = 10 skipped" in out
    assert main(["curve", "sampled.jsonl", "--json", "d.json"]) == 0  # the default grid has 5 and 10 for n = 10
    assert json.loads((tmp_path / "d.json").read_text())["ks"] == [1, 2, 4, 5, 8, 10]


def test_files_without_shared_problems_still_report(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "humaneval.jsonl").write_text(
        jsonl(humaneval_results({f"HumanEval/{i}": (5, i % 6) for i in range(20)}))
    )
    (tmp_path / "mbpp.jsonl").write_text(jsonl(humaneval_results({f"Mbpp/{i}": (5, i % 4) for i in range(20)})))
    assert main(["curve", "humaneval.jsonl", "mbpp.jsonl", "--json", "hm.json"]) == 0
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "hm.json").read_text())
    assert list(report["files"]) == ["humaneval.jsonl", "mbpp.jsonl"] and report["differences"] == {}
    assert "share no problem id: comparison skipped" in out and report["notes"]


def test_base_and_plus_of_one_evalplus_file_pair_and_repeats_stay_apart(tmp_path, monkeypatch, capsys):
    from test_evaluation_readers import COUNTS, evalplus_doc

    monkeypatch.chdir(tmp_path)
    (tmp_path / "eval_results.json").write_text(json.dumps(evalplus_doc()))
    args = ["curve", "eval_results.json:base", "eval_results.json:plus", "eval_results.json", "eval_results.json"]
    assert main([*args, "--k", "1,3", "--json", "e.json"]) == 0
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "e.json").read_text())
    keys = ["eval_results.json:base", "eval_results.json:plus", "eval_results.json", "eval_results.json (D)"]
    assert list(report["files"]) == keys and report["files"][keys[1]]["path"] == "eval_results.json"
    base, plus = report["files"][keys[0]], report["files"][keys[1]]
    assert base["format"] == "EvalPlus (base tests)" and plus["format"] == "EvalPlus (base + extra tests)"
    c_base = np.array([c for _, c in COUNTS.values()])
    n = np.array([n for n, _ in COUNTS.values()])
    assert base["pass_at_k"]["1"] == pytest.approx(np.mean(c_base / n))
    assert plus["pass_at_k"]["1"] == pytest.approx(np.mean(np.maximum(c_base - 1, 0) / n))  # one extra fail each
    diff = report["differences"]["eval_results.json:base|eval_results.json:plus"]
    assert diff["shared_problems"] == 4 and diff["diff"]["1"] < 0 and "B − A (4 shared)" in out


def test_pass_hat_k_cover_and_forecast_in_text_and_json(tmp_path, monkeypatch, capsys):
    from course_lib.evaluation.forecast import forecast
    from course_lib.evaluation.metrics import pass_hat_k

    c_base, _ = _files(tmp_path, monkeypatch)
    argv = ["curve", "base.jsonl", "--metric", "pass^k", "--cover", "0.1,0.5,0.9", "--forecast", "64,1000"]
    assert main([*argv, "--k", "1,4,16", "--json", "h.json", "--resamples", "200"]) == 0
    out = capsys.readouterr().out
    entry = json.loads((tmp_path / "h.json").read_text())["files"]["base.jsonl"]
    assert "pass_at_k" not in entry and json.loads((tmp_path / "h.json").read_text())["metric"] == "pass^k"
    for k in (1, 4, 16):
        assert entry["pass_hat_k"][str(k)] == pytest.approx(np.mean(pass_hat_k(N, c_base, k)), abs=1e-15)
    assert entry["cover"] == {t: pytest.approx(np.mean(c_base / N >= float(t))) for t in ("0.1", "0.5", "0.9")}
    assert entry["cover_estimator"].startswith("plug-in")
    fc = forecast(np.full(M, N), c_base, [64, 1000], metric="pass^k", resamples=200)
    assert entry["forecast"]["model_based"] is True and entry["forecast"]["metric"] == "pass^k"
    assert entry["forecast"]["values"] == {"64": pytest.approx(fc.value[0]), "1000": pytest.approx(fc.value[1])}
    assert entry["forecast"]["ci"]["64"] == pytest.approx(fc.ci[0].tolist())
    assert "pass^k of A" in out and "Cover@τ of A" in out and "plug-in" in out and "MODEL-BASED" in out


def test_forecast_needs_two_samples_per_problem(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "greedy.jsonl").write_text(jsonl(humaneval_results({f"T/{i}": (1, i % 2) for i in range(10)})))
    assert main(["curve", "greedy.jsonl", "--forecast", "10", "--json", "f.json"]) == 0
    assert "no forecast for greedy.jsonl: it has one sample per problem" in capsys.readouterr().out
    assert "forecast" not in json.loads((tmp_path / "f.json").read_text())["files"]["greedy.jsonl"]


@needs_charts
def test_chart_shows_the_metric_forecast_and_cover(tmp_path, monkeypatch, capsys):
    _files(tmp_path, monkeypatch)
    argv = ["curve", "base.jsonl", "rl.jsonl", "--metric", "pass^k", "--cover", "0.5,0.9", "--forecast", "100"]
    assert main([*argv, "--out", "c.html", "--resamples", "50"]) == 0
    html = (tmp_path / "c.html").read_text()  # the spec inside is JSON: τ is written \u03c4
    assert "pass^k against k" in html and "A: forecast" in html and "Cover@\\u03c4 against \\u03c4" in html


def test_plan_defaults_and_names_the_estimator_jump(tmp_path, monkeypatch, capsys):
    _files(tmp_path, monkeypatch)
    assert main(["plan", "base.jsonl"]) == 0  # no --group-size: 4, 8, 16, 32
    out = capsys.readouterr().out
    sizes = [line.split()[0] for line in out.splitlines() if line.strip()[:2] in ("4 ", "8 ", "16", "32")]
    assert sizes[:4] == ["4", "8", "16", "32"]
    assert "the estimator changes between G = 16 and G = 32: G > n for 60 of 60 problems (smallest n = 16)" in out
