"""Sphinx configuration of the course site; ``scripts/build_site.py`` copies it into the generated source tree.

Sphinx + MyST-NB + sphinx-book-theme (all pure Python): the toolchain that installs and builds
offline here (Jupyter Book 2 / mystmd fetches its site template from api.mystmd.org at build time).
Notebooks arrive executed (``nb_execution_mode = "off"``) with their charts already static SVG.
MathJax is served from ``_static/mathjax/`` (vendored by the build script), never from a CDN.
"""

import course_lib
from course_lib.config import REPO_URL

project = "Pass@k in RLVR"
author = "passk-course contributors"
copyright = "passk-course contributors, MIT licence"
version = release = course_lib.__version__

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax"]
exclude_patterns = ["_build"]

# Notebooks: executed beforehand (test-output/notebooks/, reused), rendered as they are.
nb_execution_mode = "off"
nb_render_markdown_format = "myst"  # $...$ in Markdown outputs (show_table) becomes math too
nb_ipywidgets_js = {}  # widget outputs were turned into static SVG: no widget JavaScript from a CDN
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = [
    "myst.header",
    "myst.xref_missing",
    "misc.highlighting_failure",
    "mystnb.unknown_mime_type",
    "ref.python",  # a name re-exported by a package (symbolic.SoftmaxPolicy) has two targets: either is right
]

# Equations: a local MathJax 3 (no CDN), so that the site renders equations offline.
mathjax_path = "mathjax/tex-chtml.js"

# API pages: numpydoc-style docstrings read by napoleon; optional heavy imports mocked.
autodoc_mock_imports = ["verl", "ray"]
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the numpydoc Parameters give the types; ArrayLike would expand to a page of Unions
autodoc_default_options = {"members": True, "show-inheritance": False}
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False

html_theme = "sphinx_book_theme"
html_title = "Pass@k in RLVR"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_theme_options = {
    "repository_url": REPO_URL,
    "use_repository_button": True,
    "use_download_button": True,
    "show_toc_level": 2,
}
html_last_updated_fmt = None
