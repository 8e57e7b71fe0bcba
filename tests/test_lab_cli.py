"""``passk lab run`` as a user meets it: continuing a run, a complete run, refusals that name the setting,
the warm start shown, the files written, and a plain ``--help`` with examples (issue 25, items 5-7)."""

from __future__ import annotations

import re

import pytest
import torch

from course_lib.cli import main
from course_lib.lab.loop import read_history

COMMON = ["--eval-every", "2", "--d-model", "32", "--prompts-per-step", "4", "--threads", "1", "--device", "cpu"]
COMMON += ["--warm-steps", "60", "--quiet"]


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    """Warm-start checkpoints go to a fresh temporary cache, never to the user's."""
    monkeypatch.setenv("PASSK_CACHE", str(tmp_path / "cache"))


def run(capsys, out, *args):
    code = main(["lab", "run", "--out", str(out), *COMMON, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def strip_time(history):
    return [{k: v for k, v in row.items() if k != "time/s"} for row in history]


def test_a_complete_run_says_so_and_raising_steps_continues_it_bit_for_bit(tmp_path, capsys):
    code, out, _ = run(capsys, tmp_path / "a", "--steps", "4", "--png")
    assert code == 0
    assert re.search(r"warm start: training the base model \(60 supervised steps\) \.\.\. done in [\d.]+ s", out)
    files = ["config.json", "history.jsonl", "checkpoint.pt", "chart.html", "chart.png"]
    assert f"wrote {', '.join(str(tmp_path / 'a' / f) for f in files)}" in out
    assert all((tmp_path / "a" / f).exists() for f in files)
    assert "grpo seed 0: 4/4 steps (4 trained now)" in out
    # the same command again: complete, nothing trained, and the base model comes from the cache
    code, out, _ = run(capsys, tmp_path / "a", "--steps", "4")
    assert code == 0 and "already holds this run, complete (4/4 steps): nothing to train" in out
    assert "4/4 steps (trained before)" in out and "warm start" not in out
    # more steps: a continuation, the same run as one started with 6 steps
    code, out, _ = run(capsys, tmp_path / "a", "--steps", "6")
    assert code == 0 and f"continuing {tmp_path / 'a'} from step 4 to 6 (it was a 4-step run)" in out
    assert "6/6 steps (2 trained now)" in out
    assert run(capsys, tmp_path / "b", "--steps", "6")[0] == 0
    assert strip_time(read_history(tmp_path / "a")) == strip_time(read_history(tmp_path / "b"))
    a = torch.load(tmp_path / "a" / "checkpoint.pt", weights_only=False)["model"]
    b = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=False)["model"]
    assert all(torch.equal(a[name], b[name]) for name in a)  # bit for bit


def test_another_setting_is_refused_naming_it(tmp_path, capsys):
    assert run(capsys, tmp_path / "a", "--steps", "2")[0] == 0
    code, _, err = run(capsys, tmp_path / "a", "--steps", "2", "--seed", "1")
    assert code == 2 and "holds a run with a different config: seed is 0 there, 1 now" in err
    assert "pick another --out folder" in err and "Traceback" not in err
    code, _, err = run(capsys, tmp_path / "a", "--steps", "1")
    assert code == 2 and "fewer (1) asked now" in err


def test_an_objective_that_anneals_k_cannot_be_continued_and_says_why(tmp_path, capsys):
    assert run(capsys, tmp_path / "p", "--objective", "pkpo", "--steps", "2")[0] == 0
    code, _, err = run(capsys, tmp_path / "p", "--objective", "pkpo", "--steps", "4")
    assert code == 2 and "pkpo trains with k for the first anneal_frac of the steps" in err
    assert "steps is 2 there, 4 now" in err


def test_help_is_plain_text_with_examples(capsys):
    with pytest.raises(SystemExit):
        main(["lab", "run", "--help"])
    text = capsys.readouterr().out
    assert "``" not in text and not re.search(r":(mod|func|data|class):`", text)
    assert "examples:\n  passk lab run --objective grpo" in text and "# continue it to 300 steps" in text
    assert "chart.png with --png" in text.replace("\n", " ").replace("  ", " ")
