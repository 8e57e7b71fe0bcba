"""Keep the repository's notebooks (and README badges) in their committed form: ``python scripts/sync_notebooks.py``.

For every notebook under notebooks/ and solutions/ it

1. makes the first code cell the standard set-up cell (:func:`course_lib.config.setup_cell_source`),
   replacing an existing set-up cell or a ``# SETUP-CELL`` placeholder, otherwise inserting it;
2. clears outputs, execution counts and volatile metadata;

and it rewrites the README's title, badge line, headline claims and course map (between ``<!-- badges -->``,
``<!-- headline -->`` and ``<!-- course-map -->`` markers) from :mod:`course_lib.config`, so each has one home.

``--check`` changes nothing and exits 1 if a notebook would change (used by the tests).
This is a tool for the course's own sources; it never touches exercises/ (generated
by ``passk build-exercises``) or a learner's copies.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from course_lib.config import (
    SETUP_CELL_MARKER,
    badges_markdown,
    course_map_markdown,
    headline_markdown,
    install_markdown,
    readme_title,
    setup_cell_source,
)

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("notebooks", "solutions")


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return ``nb`` with the set-up cell in place and every output cleared."""
    setup = setup_cell_source()
    code = [c for c in nb.cells if c.cell_type == "code"]
    first = code[0] if code else None
    if first is not None and (first.source.startswith(SETUP_CELL_MARKER) or first.source.strip() == "# SETUP-CELL"):
        first.source = setup
    else:
        cell = nbformat.v4.new_code_cell(setup)
        index = nb.cells.index(first) if first is not None else len(nb.cells)
        nb.cells.insert(index, cell)
    for cell in nb.cells:
        cell.pop("id", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    nb.metadata.setdefault("language_info", {"name": "python"})
    nb.nbformat, nb.nbformat_minor = 4, 5
    for i, cell in enumerate(nb.cells):  # stable ids derived from position keep diffs quiet
        cell["id"] = f"cell-{i:03d}"
    return nb


def _replace_block(text: str, name: str, body: str) -> str:
    """``text`` with the lines between ``<!-- name -->`` and ``<!-- /name -->`` set to ``body``."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    if start not in text or end not in text:
        raise SystemExit(f"README.md lacks the {start} ... {end} markers")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


def sync_readme(text: str) -> str:
    """README text with the title, badges, headline, install lines and course map regenerated from course_lib.config."""
    first, rest = text.split("\n", 1)
    if not first.startswith("# "):
        raise SystemExit("README.md must start with its title, '# ...'")
    text = f"# {readme_title()}\n{rest}"
    text = _replace_block(text, "badges", badges_markdown())
    text = _replace_block(text, "headline", headline_markdown())
    text = _replace_block(text, "install", install_markdown())
    return _replace_block(text, "course-map", course_map_markdown())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report notebooks that would change; change nothing")
    args = parser.parse_args(argv)
    changed = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            before = path.read_text(encoding="utf-8")
            nb = normalise(nbformat.reads(before, as_version=4))
            after = nbformat.writes(nb) + "\n"
            if after != before:
                changed.append(path.relative_to(ROOT))
                if not args.check:
                    path.write_text(after, encoding="utf-8")
    readme = ROOT / "README.md"
    before = readme.read_text(encoding="utf-8")
    after = sync_readme(before)
    if after != before:
        changed.append(readme.relative_to(ROOT))
        if not args.check:
            readme.write_text(after, encoding="utf-8")
    for path in changed:
        print(("would change " if args.check else "normalised ") + str(path))
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
