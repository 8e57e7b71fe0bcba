"""Shared fixtures and the notebook-timing report printed at the end of a run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output"
"""Artifacts for humans (executed notebooks, screenshots, timings); gitignored."""

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

NOTEBOOK_TIMES: dict[str, float] = {}


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="module")
def passk_cache(tmp_path_factory):
    """Warm-start checkpoints go to a temporary cache, never to the user's (``PASSK_CACHE``)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("PASSK_CACHE", str(tmp_path_factory.mktemp("passk-cache")))
    yield
    mp.undo()


def pytest_terminal_summary(terminalreporter):
    _skipped_summary(terminalreporter)
    if NOTEBOOK_TIMES:
        terminalreporter.section("notebook run times")
        for name, seconds in sorted(NOTEBOOK_TIMES.items()):
            terminalreporter.write_line(f"{seconds:7.1f} s  {name}")
        OUTPUT.mkdir(exist_ok=True)
        (OUTPUT / "notebook_times.json").write_text(json.dumps(NOTEBOOK_TIMES, indent=2))


def _skipped_summary(terminalreporter) -> None:
    """What this run did not test, grouped by file and reason (the reasons say what to install or run)."""
    groups: dict[tuple[str, str], int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        if isinstance(longrepr, tuple) and len(longrepr) == 3:
            where = report.nodeid.split("::")[0] or str(longrepr[0])  # (no node id outside the rootdir)
            key = (where, str(longrepr[2]).removeprefix("Skipped: "))
            groups[key] = groups.get(key, 0) + 1
    if not groups:
        return
    terminalreporter.section("not tested in this run (skipped: what to install or run to test them)")
    for (path, reason), n in sorted(groups.items()):
        terminalreporter.write_line(f"{n:4d}  {path}: {reason}")
