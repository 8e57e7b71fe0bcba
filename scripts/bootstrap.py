"""Create (or refresh) the course's virtual environment: ``python scripts/bootstrap.py [VENV]``.

Used by both README commands through the Makefile, so a fresh machine needs nothing
but Python >= 3.10. Idempotent: it does nothing when the environment is already
up to date with ``pyproject.toml``.

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
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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


def _stamp() -> str:
    data = (ROOT / "pyproject.toml").read_bytes() + Path(__file__).read_bytes()
    return hashlib.sha256(data).hexdigest()


def main(argv: list[str]) -> int:
    venv_dir = (ROOT / (argv[0] if argv else ".venv")).resolve()
    stamp_file = venv_dir / ".passk-installed"
    if stamp_file.exists() and stamp_file.read_text() == _stamp():
        return 0
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
    _pip(py, "install", *quiet, "-e", f"{ROOT}[course,test]")
    stamp_file.write_text(_stamp())
    print(f"Environment ready in {time.perf_counter() - t0:.0f} s: {venv_dir}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
