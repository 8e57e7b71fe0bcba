"""The code hash of committed results: prose edits keep it, code edits change it (course_lib.provenance)."""

from __future__ import annotations

from pathlib import Path

from course_lib.provenance import ROOT, code_text, source_hash

MODULE = '''"""A module docstring."""

import math

RATE = 0.5
"""An attribute docstring."""


def step(x, lr=RATE):
    """One step.

    Returns x plus lr.  # not a comment: inside the docstring
    """
    # why the step looks like this
    return x + lr  # the update
'''


def _hash(tmp_path: Path, source: str) -> str:
    (tmp_path / "m.py").write_text(source)
    return source_hash(["*.py"], root=tmp_path)


def test_docstring_and_comment_edits_keep_the_hash(tmp_path):
    before = _hash(tmp_path, MODULE)
    prose = (
        MODULE.replace('"""A module docstring."""', '"""Another module docstring,\n\nlonger, on three lines."""')
        .replace("An attribute docstring.", "Reworded.")
        .replace("One step.", "One gradient step (arXiv 2511.16231).")
        .replace("# why the step looks like this", "# reworded comment\n    # and a second line")
        .replace("# the update", "# θ ← θ + lr")
    )
    assert prose != MODULE
    assert _hash(tmp_path, prose) == before
    assert (
        code_text(prose) == code_text(MODULE) == ("import math\nRATE = 0.5\ndef step(x, lr=RATE):\n    return x + lr")
    )


def test_code_edits_change_the_hash(tmp_path):
    before = _hash(tmp_path, MODULE)
    for old, new in [("x + lr", "x - lr"), ("RATE = 0.5", "RATE = 0.25"), ("import math\n", "")]:
        edited = MODULE.replace(old, new)
        assert edited != MODULE
        assert _hash(tmp_path, edited) != before, (old, new)
    # a string that is an argument, not a statement, is code
    assert code_text('print("a")') != code_text('print("b")')


def test_a_docstring_edit_of_real_hashed_modules_keeps_the_hash(tmp_path):
    rels = ["lab/methods.py", "bandit/fair.py"]
    for rel in rels:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text((ROOT / rel).read_text())
    before = source_hash(rels, root=tmp_path)
    assert before == source_hash(rels)
    edits = {
        "lab/methods.py": ("SHA-256 (first 16 hex digits) of the library code", "Reworded: the hash of the code"),
        "bandit/fair.py": ('"""', '"""Reworded (arXiv 2511.16231). '),
    }
    for rel, (old, new) in edits.items():
        src = (tmp_path / rel).read_text()
        assert old in src
        (tmp_path / rel).write_text(src.replace(old, new, 1))
    assert source_hash(rels, root=tmp_path) == before
    (tmp_path / "lab/methods.py").write_text(
        (tmp_path / "lab/methods.py").read_text().replace("K_MAX = ", "K_MAX = 1 + ", 1)
    )
    assert source_hash(rels, root=tmp_path) != before
