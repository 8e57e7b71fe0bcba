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
    assert set(report) >= {"files", "crossover", "crossover_ci"}
    assert list(report["files"]) == ["base.jsonl", "rl.jsonl"]  # the paths exactly as given
    ks = [1, 2, 4, 8, 16]
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
    assert cmp_.crossover is not None and f"k* = {cmp_.crossover}" in out


def test_curve_three_files_pairs_in_order(tmp_path, monkeypatch, capsys):
    _files(tmp_path, monkeypatch)
    (tmp_path / "t.csv").write_text("task_id,n,c\n" + "".join(f"HumanEval/{i},32,{i % 33}\n" for i in range(M)))
    assert main(["curve", "rl.jsonl", "base.jsonl", "t.csv", "--json", "c.json", "--resamples", "200"]) == 0
    report = json.loads((tmp_path / "c.json").read_text())
    assert list(report["crossover"]) == ["rl.jsonl|base.jsonl", "rl.jsonl|t.csv", "base.jsonl|t.csv"]
    assert report["ks"] == [1, 2, 4, 8, 16]  # powers of two up to the smallest n (16, not 32)


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


def test_out_without_altair_says_which_extra_and_the_rest_works(tmp_path, monkeypatch, capsys):
    _files(tmp_path, monkeypatch)
    monkeypatch.setitem(sys.modules, "altair", None)  # `import altair` now raises ImportError
    rc = main(["curve", "base.jsonl", "--json", "c.json", "--out", "c.png", "--resamples", "50"])
    captured = capsys.readouterr()
    assert rc == 1
    assert captured.err.strip().count("\n") == 0 and "pip install 'passk-course[charts]'" in captured.err
    assert "pass@k of A" in captured.out and (tmp_path / "c.json").exists() and not (tmp_path / "c.png").exists()


@needs_charts
def test_out_png_without_vl_convert(tmp_path, monkeypatch, capsys):
    _files(tmp_path, monkeypatch)
    monkeypatch.setitem(sys.modules, "vl_convert", None)
    assert main(["curve", "base.jsonl", "--out", "c.svg", "--resamples", "50"]) == 1
    assert "needs vl-convert-python" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, text",
    [
        (["curve", "base.jsonl", "--k", "1,64"], "k = 64 exceeds n for 60 of 60 problems in base.jsonl"),
        (["curve", "bad.jsonl"], "bad.jsonl:2: not valid JSON"),
        (["curve", "nope.jsonl"], "nope.jsonl: no such file"),
        (["curve", "base.jsonl", "--ci", "95"], "strictly between 0 and 1"),
        (["curve", "base.jsonl", "other.jsonl"], "share no problem id"),
        (["plan", "bad.jsonl", "--group-size", "4"], "bad.jsonl:2: not valid JSON"),
        (["plan", "base.jsonl", "--group-size", "1"], "group size must be >= 2"),
    ],
)
def test_errors_are_one_line_and_exit_2(tmp_path, monkeypatch, capsys, args, text):
    _files(tmp_path, monkeypatch)
    (tmp_path / "bad.jsonl").write_text('{"task_id": "a", "passed": true}\n{"task_id": "a", "passed": tru\n')
    (tmp_path / "other.jsonl").write_text('{"task_id": "zzz", "passed": true}\n')
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
