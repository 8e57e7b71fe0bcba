"""The README's two commands: their environments (scripts/bootstrap.py), settings, and what `make test` reports.

`make course` installs what the course needs (the [course] extra); `make test` adds the test and lint
tools ([test]); the stamp file records both, so neither command reinstalls what the other made. The
course's JupyterLab settings (binder/overrides.json) go into the environment, for `make course` and
Binder alike. At its end, `make test` lists what it skipped and why (tests/conftest.py). `make course`
itself, end to end: tests/test_readme_commands.py.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import conftest
import pytest
from conftest import ROOT

spec = importlib.util.spec_from_file_location("bootstrap", ROOT / "scripts" / "bootstrap.py")
bootstrap = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bootstrap)


def test_make_course_installs_the_course_and_make_test_adds_the_test_tools():
    d = "digest"
    assert bootstrap.to_install(None, d, {"course"}) == {"course"}  # a fresh clone: `make course`
    assert bootstrap.to_install(f"{d}\ncourse\n", d, {"course"}) is None  # ... again: nothing to do
    assert bootstrap.to_install(f"{d}\ncourse\n", d, {"course", "test"}) == {"course", "test"}  # then `make test`
    assert bootstrap.to_install(f"{d}\ncourse,test\n", d, {"course", "test"}) is None
    assert bootstrap.to_install(f"{d}\ncourse,test\n", d, {"course"}) is None  # `make course` after `make test`
    # pyproject.toml changed: refreshed, with what was there (the test tools are not dropped)
    assert bootstrap.to_install("old\ncourse,test\n", d, {"course"}) == {"course", "test"}
    assert bootstrap.to_install("old-stamp-without-extras", d, {"course"}) == {"course"}


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
@pytest.mark.parametrize(
    "target, extras", [("course", "course"), ("test", "course,test"), ("lint", "course,test"), ("exercises", "course")]
)
def test_each_make_target_asks_for_its_extras(target, extras):
    out = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert f"scripts/bootstrap.py .venv --extras {extras}\n" in out, out


def test_the_pyproject_extras_split_the_course_from_the_test_tools():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    course = " ".join(extras["course"] + extras["lab"] + extras["charts"])
    for tool in ("pytest", "playwright", "ruff", "twine", "build"):
        assert tool not in course and any(r.startswith(tool) for r in extras["test"]), tool


def test_the_jupyterlab_settings_turn_the_news_pop_up_off_and_merge_into_the_environment(tmp_path):
    settings = json.loads(bootstrap.LAB_SETTINGS.read_text())
    news = settings["@jupyterlab/apputils-extension:notification"]
    assert news == {"fetchNews": "false", "checkForUpdates": False}
    schema_file = Path(sys.prefix, "share/jupyter/lab/schemas/@jupyterlab/apputils-extension/notification.json")
    if schema_file.exists():  # the keys and values are the installed JupyterLab's own
        schema = json.loads(schema_file.read_text())["properties"]
        assert {c["const"] for c in schema["fetchNews"]["oneOf"]} >= {news["fetchNews"]}
        assert schema["checkForUpdates"]["type"] == "boolean"
    target = tmp_path / "share/jupyter/lab/settings/overrides.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}))
    assert bootstrap.install_lab_settings(tmp_path) == target
    merged = json.loads(target.read_text())
    assert merged["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}  # someone's own kept
    assert merged["@jupyterlab/apputils-extension:notification"] == news
    # Binder's postBuild installs the same file the same way
    assert "scripts/bootstrap.py --lab-settings" in (ROOT / "binder" / "postBuild").read_text()


def test_make_test_ends_by_saying_what_it_skipped_and_why():
    class Report:
        def __init__(self, nodeid, reason):
            self.nodeid, self.longrepr = nodeid, (nodeid.split("::")[0], 1, f"Skipped: {reason}")

    class Terminal:
        lines: list[str] = []
        site = [Report(f"tests/test_site.py::test_{i}", "the site is not built: run `make site`") for i in range(3)]
        browser = Report("tests/test_browser.py::test_charts", "Chromium not found (apt-get chromium)")
        stats = {"skipped": [*site, browser]}

        def section(self, title):
            self.lines.append(f"== {title}")

        def write_line(self, line):
            self.lines.append(line)

    terminal = Terminal()
    conftest._skipped_summary(terminal)
    assert terminal.lines == [
        "== not tested in this run (skipped: what to install or run to test them)",
        "   1  tests/test_browser.py: Chromium not found (apt-get chromium)",
        "   3  tests/test_site.py: the site is not built: run `make site`",
    ]


def test_check_mode_installs_nothing(tmp_path):
    """`bootstrap.py VENV --check` says whether VENV is up to date, never touches it."""
    venv = tmp_path / "venv"
    venv.mkdir()
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bootstrap.py"), str(venv), "--check"], capture_output=True, text=True
    )
    assert out.returncode == 1 and "would install [course]" in out.stdout, out.stdout + out.stderr
    assert sorted(p.name for p in venv.iterdir()) == []  # no environment made, no stamp written
    (venv / ".passk-installed").write_text(f"{bootstrap._digest()}\ncourse,test\n")
    for extras in ("course", "course,test"):
        args = [sys.executable, str(ROOT / "scripts" / "bootstrap.py"), str(venv), "--extras", extras, "--check"]
        assert subprocess.run(args, capture_output=True).returncode == 0


def _simd_pass():
    spec = importlib.util.spec_from_file_location("simd_pass", ROOT / "scripts" / "simd_pass.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_simd_pass_switches_off_exactly_the_avx512_groups_and_checks_it(monkeypatch, capsys):
    simd = _simd_pass()
    targets = {"X86_V3": True, "X86_V4": True, "AVX512_ICL": True, "AVX512_SPR": False}
    assert simd.avx512_groups(targets) == ["X86_V4", "AVX512_ICL"]  # on this CPU and AVX-512: off in the second pass
    # a CPU without AVX-512: one line, nothing run
    monkeypatch.setattr(simd, "probe", lambda env=None: {"numpy": {"X86_V3": True, "X86_V4": False}, "torch": "AVX2"})
    assert simd.main([]) == 0
    assert "this CPU has no AVX-512" in capsys.readouterr().out
    # NumPy ignoring the names (it only warns): the pass refuses to run as if they were off
    seen = iter([{"numpy": targets, "torch": "AVX512"}, {"numpy": targets, "torch": "AVX2"}])
    monkeypatch.setattr(simd, "probe", lambda env=None: next(seen))
    assert simd.main([]) == 1
    assert "could not switch off AVX-512: NumPy still has ['X86_V4', 'AVX512_ICL']" in capsys.readouterr().out


def test_ci_runs_the_simd_pass():
    assert "make test-simd" in (ROOT / ".ci" / "run").read_text()
    live = _simd_pass().probe()  # this machine, as the pass sees it
    assert set(live["numpy"]) and all(isinstance(on, bool) for on in live["numpy"].values())


def test_ci_calls_the_readmes_make_test_last():
    """.ci/run's last command is `make test` (its output ends with pytest's summary line)."""
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    commands = [line for line in lines if line and not line.startswith("#")]
    assert commands[-1].split()[:2] == ["make", "test"], commands[-1]
    assert "make test" in (ROOT / "README.md").read_text()


def test_make_test_fast_runs_the_unit_tests_and_doctests_only_and_the_readme_says_so():
    """`make test-fast` (pytest --fast, also the SIMD pass): no notebook or browser test, no kernel-driving file."""
    assert "$(PY) -m pytest --fast" in (ROOT / "Makefile").read_text()
    assert '"--fast"' in (ROOT / "scripts" / "simd_pass.py").read_text()  # one selection for both
    contributing = (ROOT / "README.md").read_text().split("## Contributing", 1)[1].split("\n## ", 1)[0]
    assert "`make test-fast`" in contributing and "`make test`" in contributing
    files = ["tests/test_notebooks.py", "tests/test_browser.py", "tests/test_grading_grade.py", "tests/test_make.py"]
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "--fast", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    ids = [line for line in out.splitlines() if "::" in line]
    assert any(i.startswith("tests/test_make.py::") for i in ids), out
    assert "tests/test_notebooks.py::test_notebooks_are_committed_clean" in ids  # a unit test of that file stays
    assert not [i for i in ids if "test_notebook_executes" in i or "test_browser.py" in i or "test_grading_grade" in i]
