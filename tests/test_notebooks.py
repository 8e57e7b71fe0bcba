"""Every course notebook executes top to bottom in a fresh kernel, without errors.

The notebooks are committed without outputs; here they run on a copy, with the notebook's own
folder as working directory, exactly as a learner's "Run All" would, through
``scripts/measure_notebooks.py`` (one way to execute: time and peak memory are recorded). The
executed copy is kept in test-output/notebooks/ with its execution key (the notebook, the
``course_lib`` it imports, ``results/``, the environment's packages): a copy whose key is current
was executed from these very inputs in this environment -- by this test earlier, by ``make site``
or ``make measure`` -- and is checked instead of running the notebook a second time (CI executes
each chapter once per environment; delete test-output/notebooks/ to run them all again). The
browser test and the course site draw their charts from the same copies.
"""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pytest
from conftest import NOTEBOOK_TIMES, ROOT, script

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_course_has_its_chapters():
    names = {p.name for p in NOTEBOOKS}
    assert {"00_start_here.ipynb", "01_pass_at_k_metric.ipynb"} <= names, names


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path):
    row = script("measure_notebooks").executed(path)  # per cell at most 600 s; budgets: the timing summary
    NOTEBOOK_TIMES[path.name] = row
    if row["failure"]:
        pytest.fail(f"{path.name} raised while executing:\n{row['failure']}", pytrace=False)
    assert not row["errors"], f"{path.name}: {row['errors']} error output(s), see {row['output']}"


def test_notebooks_are_committed_clean():
    """Outputs cleared, set-up cell in place, README badges in sync (scripts/sync_notebooks.py --check)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "sync_notebooks.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, f"run `python scripts/sync_notebooks.py`:\n{result.stdout}{result.stderr}"


def test_an_executed_copy_is_reused_only_while_its_inputs_are_unchanged(tmp_path, monkeypatch):
    """The execution key: the notebook, course_lib, results/ and the packages; a copy that raised is not reused."""
    m = script("measure_notebooks")
    src, out = tmp_path / "ch.ipynb", tmp_path / "executed"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), src)
    assert m.current(src, out) == (None, "not executed yet")

    def executed_copy(**record):
        nb = nbformat.read(src, as_version=4)
        nb.metadata[m.KEY] = {"key": m.execution_key(src), "errors": 0, "failure": None, "executed_at": "now"} | record
        out.mkdir(exist_ok=True)
        nbformat.write(nb, out / src.name)

    executed_copy(seconds=1.0)
    record, why = m.current(src, out)
    assert record["reused"] and record["seconds"] == 1.0 and why == "current (executed now)"
    assert m.executed(src, out) == record  # reused: nothing runs
    executed_copy(errors=1)
    assert m.current(src, out) == (None, "it raised when it ran")
    assert m.current(src, out, allow_errors=True)[0]["errors"] == 1  # the site's --allow-errors
    executed_copy()
    tree = m._tree_digest
    monkeypatch.setattr(m, "_tree_digest", lambda folder: "edited" if folder.name == "course_lib" else tree(folder))
    assert m.current(src, out) == (None, "changed since it ran: course_lib")
    monkeypatch.setattr(m, "_tree_digest", lambda folder: "new run" if folder.name == "results" else tree(folder))
    monkeypatch.setattr(m, "_packages", lambda: "altair==5.5.0")
    assert m.current(src, out) == (None, "changed since it ran: results, packages")
    monkeypatch.undo()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 2")]), src)
    assert m.current(src, out) == (None, "changed since it ran: notebook")
    (out / src.name).write_text(json.dumps({"cells": [], "metadata": {}}))
    assert m.current(src, out) == (None, "copy without an execution key")


def test_the_digest_of_a_folder_follows_its_files_and_not_its_caches(tmp_path):
    m = script("measure_notebooks")
    (tmp_path / "pkg" / "__pycache__").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    first = m._tree_digest(tmp_path / "pkg")
    (tmp_path / "pkg" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"cache")
    assert m._tree_digest(tmp_path / "pkg") == first
    (tmp_path / "pkg" / "data.json").write_text("{}")
    assert m._tree_digest(tmp_path / "pkg") != first
    assert m._tree_digest(tmp_path / "missing") == ""


def test_only_a_notebook_that_loads_the_real_model_is_keyed_on_its_copy(tmp_path, monkeypatch):
    """Chapter 8's key holds the model copy's record (fetched or re-converted: executed again); the others do not."""
    m = script("measure_notebooks")
    plain, real, out = tmp_path / "ch.ipynb", tmp_path / "real.ipynb", tmp_path / "executed"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), plain)
    cell = nbformat.v4.new_code_cell(f"import {m.MODEL_USERS}.fetch as F  # noqa")
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), real)
    monkeypatch.setattr(m, "_model_digest", lambda: "")  # not fetched yet
    assert "model" not in m.execution_key(plain) and m.execution_key(real)["model"] == ""
    for src in (plain, real):
        nb = nbformat.read(src, as_version=4)
        nb.metadata[m.KEY] = {"key": m.execution_key(src), "errors": 0, "failure": None, "executed_at": "now"}
        out.mkdir(exist_ok=True)
        nbformat.write(nb, out / src.name)
    monkeypatch.setattr(m, "_model_digest", lambda: "fetched")
    assert m.current(plain, out)[0] is not None
    assert m.current(real, out) == (None, "changed since it ran: model")


def test_the_model_digest_follows_the_copys_record(tmp_path, monkeypatch):
    """Without chapter 8's package: ''; with it, the digest of passk-model.json in the course's cache."""
    m = script("measure_notebooks")
    try:
        from course_lib.realmodel.fetch import MANIFEST, model_dir
    except ImportError:
        assert m._model_digest() == ""
        return
    monkeypatch.setenv("PASSK_CACHE", str(tmp_path))
    assert m._model_digest() == ""
    model_dir().mkdir(parents=True)
    (model_dir() / MANIFEST).write_text('{"safetensors_sha256": "a"}')
    first = m._model_digest()
    (model_dir() / MANIFEST).write_text('{"safetensors_sha256": "b"}')
    assert first and m._model_digest() not in ("", first)
