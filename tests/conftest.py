"""Shared fixtures and the notebook-timing report printed at the end of a run."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output"
"""Artifacts for humans (executed notebooks, screenshots, timings); gitignored."""

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

NOT_FAST = ("test_grading_room.py", "test_grading_grade.py", "test_readme_commands.py")
"""Test files that drive kernels, servers or `make`, left out by ``--fast`` (with the notebook and browser tests)."""

NOTEBOOK_TIMES: dict[str, dict] = {}
"""Notebook name -> figures of its execution (scripts/measure_notebooks.py's dict), printed at the end."""


def script(name: str):
    """Module ``scripts/<name>.py`` (the scripts are not a package), imported once per session."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def pytest_addoption(parser):
    parser.addoption(
        "--fast",
        action="store_true",
        help="the unit tests and doctests only (make test-fast, the SIMD pass): no notebook or browser test, "
        f"none of {', '.join(NOT_FAST)} (they start kernels, servers, environments)",
    )


def _not_fast(item) -> bool:
    in_file = item.path.name in NOT_FAST and item.path.parent == ROOT / "tests"
    return in_file or item.get_closest_marker("notebook") is not None or item.get_closest_marker("browser") is not None


def pytest_collection_modifyitems(config, items):
    if config.getoption("--fast"):
        slow = [i for i in items if _not_fast(i)]
        if slow:
            config.hook.pytest_deselected(items=slow)
            items[:] = [i for i in items if i not in slow]


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
        for name, row in sorted(NOTEBOOK_TIMES.items()):
            reused = f"  (reused: executed {row['executed_at']}, its inputs unchanged)" if row["reused"] else ""
            terminalreporter.write_line(f"{row['seconds']:7.1f} s  {row['peak_mb']:5d} MB  {name}{reused}")
        OUTPUT.mkdir(exist_ok=True)
        times = {name: row["seconds"] for name, row in NOTEBOOK_TIMES.items()}
        (OUTPUT / "notebook_times.json").write_text(json.dumps(times, indent=2))


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
