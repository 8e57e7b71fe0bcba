"""Project-wide settings that live in exactly one place.

`REPO_URL` is the one home of the repository address: the README badges
(`scripts/render_readme_badges.py`), the Colab set-up cell of every notebook and
`passk doctor` all read it from here.
"""

REPO_URL = "https://github.com/passk-course/passk-course"
"""Public repository of the course (GitHub). Change it here only."""

BRANCH = "main"
"""Branch that Colab and Binder open."""

def repo_slug() -> str:
    """``owner/name`` part of :data:`REPO_URL`."""
    return REPO_URL.rstrip("/").split("github.com/", 1)[1]


def colab_url(notebook: str) -> str:
    """Open-in-Colab address of a notebook path such as ``notebooks/00_start_here.ipynb``."""
    return f"https://colab.research.google.com/github/{repo_slug()}/blob/{BRANCH}/{notebook}"


def binder_url(notebook: str = "notebooks/00_start_here.ipynb") -> str:
    """Launch-Binder address that opens JupyterLab at ``notebook``."""
    return f"https://mybinder.org/v2/gh/{repo_slug()}/{BRANCH}?urlpath=lab/tree/{notebook}"


def pip_spec() -> str:
    """What ``pip install`` takes to install the course package straight from the repository."""
    return f"git+{REPO_URL}@{BRANCH}"
