"""Where is the course running? Environment, compute device and library versions.

One home for these questions: ``passk doctor``, ``notebooks/00_start_here.ipynb``,
:mod:`course_lib.viz.rendering` (which chart renderer to use) and the lab (which device)
all ask here.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import sys

ENVIRONMENTS = ("colab", "kaggle", "binder", "vscode", "jupyterlab", "notebook", "ipython", "python")
"""Values :func:`detect_environment` can return, most specific first."""


def _in_ipython_kernel() -> bool:
    """True inside a Jupyter kernel (not a terminal IPython, not plain Python)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def detect_environment() -> str:
    """Name of the front end the code runs under, one of :data:`ENVIRONMENTS`.

    Checked in order: Google Colab (the ``google.colab`` module is importable there),
    Kaggle (``KAGGLE_KERNEL_RUN_TYPE``), Binder (``BINDER_SERVICE_HOST`` or
    ``BINDER_LAUNCH_HOST``), VS Code (``VSCODE_PID`` / ``VSCODE_CWD`` set by its Jupyter
    extension), then JupyterLab or the classic Notebook (``JPY_SESSION_NAME`` /
    ``JPY_PARENT_PID`` set by jupyter_server; JupyterLab 4 and Notebook 7 share it),
    a terminal IPython, and finally plain Python. A kernel cannot see its front end for
    certain: Notebook 7 is reported as "jupyterlab" because both use the same widget and
    renderer stack, which is what callers need to know.
    """
    if "google.colab" in sys.modules or _module_exists("google.colab"):
        return "colab"
    env = os.environ
    if "KAGGLE_KERNEL_RUN_TYPE" in env:
        return "kaggle"
    if "BINDER_SERVICE_HOST" in env or "BINDER_LAUNCH_HOST" in env or "BINDER_REPO_URL" in env:
        return "binder"
    in_kernel = _in_ipython_kernel()
    if in_kernel and ("VSCODE_PID" in env or "VSCODE_CWD" in env or env.get("TERM_PROGRAM") == "vscode"):
        return "vscode"
    if in_kernel:
        return "jupyterlab" if ("JPY_SESSION_NAME" in env or "JPY_PARENT_PID" in env) else "notebook"
    if sys.modules.get("IPython") is not None and sys.modules["IPython"].get_ipython() is not None:
        return "ipython"
    return "python"


def _module_exists(name: str) -> bool:
    """True if ``name`` can be imported (without importing it)."""
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def compute_device():
    """The torch device the lab uses: CUDA if present, else Apple MPS, else CPU."""
    import torch

    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def device_description() -> str:
    """Human-readable device line, e.g. ``cuda (NVIDIA H100 80GB HBM3)`` or ``cpu (2 threads)``."""
    import torch

    dev = compute_device()
    if dev.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(0)})"
    if dev.type == "mps":
        return "mps (Apple GPU)"
    return f"cpu ({torch.get_num_threads()} threads, {platform.machine()})"


def version_of(package: str) -> str:
    """Installed version of a distribution, or ``"not installed"``."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def versions() -> dict[str, str]:
    """Versions of Python and the libraries the course depends on."""
    out = {"python": platform.python_version()}
    for pkg in (
        "passk-course",
        "torch",
        "ipywidgets",
        "altair",
        "jupyterlab",
        "anywidget",
        "vl-convert-python",
        "sympy",
        "numpy",
    ):
        out[pkg] = version_of(pkg)
    return out


LAYERS: dict[str, str] = {"charts": "altair", "lab": "torch", "course": "jupyterlab"}
"""The extras of ``passk-course`` that add to the core (NumPy only), smallest first, each with its main package."""


def _dist_key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def install_layers(dist: str = "passk-course") -> dict[str, list[str]] | None:
    """For each extra of :data:`LAYERS`: the packages it needs that are not installed (``[]``: complete).

    Read from the installed package's metadata (pyproject.toml's extras, nested extras such as
    ``course = [passk-course[lab,charts], ...]`` followed); None when ``dist`` is not installed.
    """
    try:
        requires = importlib.metadata.requires(dist) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    own: dict[str, list[str]] = {}
    nested: dict[str, list[str]] = {}
    for req in requires:
        marker = re.search(r"extra\s*==\s*[\"']([^\"']+)[\"']", req)
        name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
        if not (marker and name):
            continue
        extra = marker.group(1)
        if _dist_key(name.group(1)) == _dist_key(dist):
            inner = re.search(r"\[([^\]]*)\]", req.split(";")[0])
            nested.setdefault(extra, []).extend(e.strip() for e in (inner.group(1).split(",") if inner else []))
        else:
            own.setdefault(extra, []).append(name.group(1))

    def missing(extra: str, seen: frozenset = frozenset()) -> list[str]:
        out = [n for n in own.get(extra, []) if version_of(n) == "not installed"]
        for sub in nested.get(extra, []):
            if sub not in seen:
                out += missing(sub, seen | {extra})
        return list(dict.fromkeys(out))

    return {extra: missing(extra) for extra in LAYERS if extra in own or extra in nested}
