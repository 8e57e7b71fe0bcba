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

import subprocess
import sys

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
