"""Every course notebook executes top to bottom in a fresh kernel, without errors.

The notebooks are committed without outputs; here they run on a copy (the executed
copy is written to test-output/notebooks/ for inspection), with the notebook's own
folder as working directory, exactly as a learner's "Run All" would.
"""

from __future__ import annotations

import subprocess
import sys
import time

import nbformat
import pytest
from conftest import NOTEBOOK_TIMES, OUTPUT, ROOT
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_course_has_its_chapters():
    names = {p.name for p in NOTEBOOKS}
    assert {"00_start_here.ipynb", "01_pass_at_k_metric.ipynb"} <= names, names


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,  # per cell; chapter budgets are printed in the timing summary
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name} raised while executing:\n{str(exc)[-3000:]}", pytrace=False)
    finally:
        NOTEBOOK_TIMES[path.name] = time.perf_counter() - start
        (OUTPUT / "notebooks").mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, OUTPUT / "notebooks" / path.name)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, errors


def test_notebooks_are_committed_clean():
    """Outputs cleared, set-up cell in place, README badges in sync (scripts/sync_notebooks.py --check)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "sync_notebooks.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, f"run `python scripts/sync_notebooks.py`:\n{result.stdout}{result.stderr}"
