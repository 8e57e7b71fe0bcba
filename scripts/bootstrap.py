"""Create (or refresh) the course's virtual environment: ``python scripts/bootstrap.py [VENV] [--extras E] [--check]``.

Used by both README commands through the Makefile, so a fresh machine needs nothing
but Python >= 3.10. ``make course`` asks for the ``course`` extra only (what the notebooks
need); ``make test`` asks for ``course,test`` (adds pytest, Playwright, ruff, build, twine).
Idempotent: it does nothing when the environment is up to date with ``pyproject.toml`` and
already holds the extras asked for. The stamp file ``VENV/.passk-installed`` records both (a
hash of pyproject.toml, this script and binder/overrides.json, and the extras installed), so ``make course`` after
``make test`` installs nothing and ``make test`` after ``make course`` adds only the test tools.
``--check`` installs nothing: exit 0 when up to date, else 1 (what the test suite runs).

Torch is installed first and on its own, because it is by far the largest
dependency and the one whose "right" build depends on the machine:

1. if ``PASSK_TORCH`` is set, that requirement is installed (e.g.
   ``PASSK_TORCH="torch==2.5.1"`` or a path to a wheel);
2. else, if pip can find a torch wheel *without the network* (a wheel cache or
   ``find-links`` folder that a workshop image or CI machine provides, typically a
   CPU build), that one is used -- seconds instead of a multi-GB CUDA download;
3. else pip installs the normal wheel for the platform from PyPI.

Colab is not concerned: torch is preinstalled there and the notebooks' set-up
cell installs only the course package.

The course's JupyterLab settings (``binder/overrides.json``: no "get notified about official
Jupyter news?" pop-up over the first notebook, no update check) go into the environment's
``share/jupyter/lab/settings/overrides.json``, where JupyterLab reads defaults; Binder's
``postBuild`` installs the same file with ``python scripts/bootstrap.py --lab-settings PREFIX``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAB_SETTINGS = ROOT / "binder" / "overrides.json"
"""The course's JupyterLab settings (one file, for `make course` and Binder)."""


def _python(venv_dir: Path) -> Path:
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return venv_dir / sub


def _pip(py: Path, *args: str, check: bool = True) -> int:
    cmd = [str(py), "-m", "pip", "--disable-pip-version-check", *args]
    print("+", " ".join(cmd[2:]), flush=True)
    return subprocess.run(cmd, check=check).returncode


def _has_torch(py: Path) -> bool:
    code = "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)"
    return subprocess.run([str(py), "-c", code]).returncode == 0


def _digest() -> str:
    data = (ROOT / "pyproject.toml").read_bytes() + Path(__file__).read_bytes() + LAB_SETTINGS.read_bytes()
    return hashlib.sha256(data).hexdigest()


def install_lab_settings(prefix: Path) -> Path:
    """Merge the course's JupyterLab settings into ``prefix/share/jupyter/lab/settings/overrides.json``."""
    target = Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    merged = json.loads(target.read_text()) if target.exists() else {}
    for plugin, values in json.loads(LAB_SETTINGS.read_text()).items():
        merged.setdefault(plugin, {}).update(values)
    target.write_text(json.dumps(merged, indent=2) + "\n")
    return target


def read_stamp(stamp: str | None) -> tuple[str, set[str]]:
    """``(digest, extras)`` recorded by a stamp (``("", set())`` for none)."""
    lines = (stamp or "").splitlines()
    return (lines[0] if lines else ""), {e for e in (lines[1] if len(lines) > 1 else "").split(",") if e}


def to_install(stamp: str | None, digest: str, wanted: set[str]) -> set[str] | None:
    """The extras to install now, or None when the environment is up to date and holds ``wanted``.

    Otherwise ``wanted`` together with the extras the stamp lists, in one pip call: adding the test
    tools keeps the course, and a refresh after pyproject.toml changed never drops the test tools.
    """
    old_digest, have = read_stamp(stamp)
    if old_digest == digest and wanted <= have:
        return None
    return wanted | have


def main(argv: list[str]) -> int:
    args = list(argv)
    if args[:1] == ["--lab-settings"]:  # Binder's postBuild: the settings only, into an existing environment
        print(f"JupyterLab settings: {install_lab_settings(Path(args[1] if len(args) > 1 else sys.prefix))}")
        return 0
    extras = "course"
    if "--extras" in args:
        i = args.index("--extras")
        extras = args[i + 1] if i + 1 < len(args) else ""
        del args[i : i + 2]
    check = "--check" in args  # say whether it is up to date; install nothing
    args = [a for a in args if a != "--check"]
    wanted = {e for e in extras.split(",") if e}
    venv_dir = (ROOT / (args[0] if args else ".venv")).resolve()
    stamp_file = venv_dir / ".passk-installed"
    digest = _digest()
    todo = to_install(stamp_file.read_text() if stamp_file.exists() else None, digest, wanted)
    if todo is None:
        return 0
    if check:
        print(f"{venv_dir} is not up to date: it would install [{','.join(sorted(todo))}]")
        return 1
    t0 = time.perf_counter()
    if sys.version_info < (3, 10):  # noqa: UP036  (runs before any install, so it checks for itself)
        sys.exit(f"passk-course needs Python >= 3.10, this is {sys.version.split()[0]}")
    py = _python(venv_dir)
    if not py.exists():
        print(f"Creating virtual environment {venv_dir}", flush=True)
        venv.EnvBuilder(with_pip=True).create(venv_dir)
    quiet = ["-q"] if os.environ.get("CI") else []
    if not _has_torch(py):
        spec = os.environ.get("PASSK_TORCH")
        if spec:
            _pip(py, "install", *quiet, spec)
        elif _pip(py, "install", *quiet, "--no-index", "--no-deps", "torch", check=False) != 0:
            print("No local torch wheel found: installing torch from PyPI.", flush=True)
            _pip(py, "install", *quiet, "torch")
    # Editable install: learners' edits to course_lib show up without reinstalling.
    _pip(py, "install", *quiet, "-e", f"{ROOT}[{','.join(sorted(todo))}]")
    install_lab_settings(venv_dir)
    stamp_file.write_text(f"{digest}\n{','.join(sorted(todo))}\n")
    print(f"Environment ready in {time.perf_counter() - t0:.0f} s: {venv_dir}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
