"""The course's headline (course_lib.config.TAGLINE, HEADLINE) is backed by the cells it names.

Each headline claim names the notebook cells that assert it: a notebook, a heading and the text of an
``assert`` statement in a code cell of that section. The notebooks run top to bottom in CI
(tests/test_notebooks.py), so an assert named here that stops holding fails there; this file checks
that the named asserts exist, so that a claim cannot lose its backing by an edit of the notebook (or of
the claim). It also checks that every front states the same headline: the README's title and opening
(rendered by scripts/sync_notebooks.py), pyproject.toml's description and ``passk --help``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from course_lib import config

ROOT = Path(__file__).resolve().parent.parent
ANCHORS = [(claim.title, anchor) for claim in config.HEADLINE for anchor in claim.anchors]


def _section(cells, heading: str):
    """The cells under the first Markdown heading line that starts with ``heading``, up to the next heading
    of the same or a higher level (fewer or equal ``#``)."""
    found, level, out = False, 0, []
    for cell in cells:
        if cell.cell_type == "markdown":
            fenced = False
            for line in cell.source.splitlines():
                if line.lstrip().startswith("```"):
                    fenced = not fenced  # a "# comment" inside a code block is not a heading
                hashes = len(line) - len(line.lstrip("#"))
                if fenced or not hashes or not line[hashes:].startswith(" "):
                    continue
                if found and hashes <= level:
                    return out
                if not found and line.startswith(heading):
                    found, level = True, hashes
        if found:
            out.append(cell)
    if not found:
        return None
    return out


def _asserts(source: str) -> list[str]:
    """The source text of every ``assert`` statement of a code cell, whitespace collapsed."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a cell with IPython magics: no asserts of ours there
        return []
    return [
        " ".join(ast.get_source_segment(source, node).split())
        for node in ast.walk(tree)
        if isinstance(node, ast.Assert)
    ]


@pytest.mark.parametrize(("claim", "anchor"), ANCHORS, ids=[f"{a.notebook}:{a.heading}" for _, a in ANCHORS])
def test_each_headline_claim_is_asserted_by_the_cell_it_names(claim, anchor):
    path = ROOT / "notebooks" / f"{anchor.notebook}.ipynb"
    assert path.exists(), f"{claim!r} names {path.name}, which does not exist"
    cells = _section(nbformat.read(path, as_version=4).cells, anchor.heading)
    assert cells is not None, f"{claim!r}: {path.name} has no heading starting with {anchor.heading!r}"
    wanted = " ".join(anchor.asserts.split())
    found = [a for cell in cells if cell.cell_type == "code" for a in _asserts(cell.source)]
    assert any(wanted in a for a in found), (
        f"{claim!r}: no assert containing {wanted!r} under {anchor.heading!r} of {path.name}; "
        f"the asserts there: {found}"
    )


def test_every_claim_is_backed_and_the_course_map_has_its_notebooks():
    stems = {stem for stem, *_ in config.CHAPTERS}
    for claim in config.HEADLINE:
        assert claim.anchors, f"{claim.title!r} names no cell"
        assert {a.notebook for a in claim.anchors} <= stems


def test_the_section_finder_stops_at_the_next_heading_and_finds_nothing_it_should_not():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [
        md("# T\n## 1. A"),
        code("assert x == 1"),
        md("### 1.1 sub\n```python\n# 2. not a heading\n```"),
        code("assert y"),
        md("## 2. B"),
        code("assert z"),
    ]
    assert [c.source for c in _section(cells, "## 1.") if c.cell_type == "code"] == ["assert x == 1", "assert y"]
    assert [c.source for c in _section(cells, "### 1.1") if c.cell_type == "code"] == ["assert y"]
    assert _section(cells, "## 3.") is None
    assert _asserts("assert a <  b  # note\nprint(1)") == ["assert a < b"]


def test_the_readme_title_and_opening_are_the_headline():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.splitlines()[0] == f"# {config.readme_title()}"
    block = re.search(r"<!-- headline -->\n(.*?)\n<!-- /headline -->", readme, re.S)
    assert block, "README.md lacks the <!-- headline --> block (python scripts/sync_notebooks.py writes it)"
    assert block.group(1) == config.headline_markdown()


def test_the_headline_quotes_chen_et_al_from_the_papers_module():
    from course_lib import papers

    text = config.headline_markdown()
    base, pass1, _, both = papers.CHEN_ENIGMATA
    for value in (base.pass_at_1, pass1.pass_at_1, both.pass_at_1):
        assert f"{value:g} %" in text
    assert "2508.10751" in text and "2511.16231" in text


def test_pyproject_and_passk_help_state_the_tagline():
    from course_lib.cli import build_parser

    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    description = re.search(r'^description = "(.*)"$', pyproject, re.M).group(1)
    assert description.lower().startswith(config.TAGLINE.lower())
    assert config.TAGLINE in build_parser().description


@pytest.mark.parametrize(
    "path",
    [
        "README.md",
        "pyproject.toml",
        "course_lib/cli.py",
        "course_lib/__init__.py",
        "docs/instructor_guide.md",
        "scripts/build_site.py",
        "notebooks/00_start_here.ipynb",
        "notebooks/01_pass_at_k_metric.ipynb",
        "notebooks/07_passk_as_a_diagnostic.ipynb",
    ],
)
def test_no_front_calls_pass_at_k_a_poor_objective(path):
    """The course shows pass@k's reweighting keeping exploration in its own runs: 'poor objective' overclaims."""
    text = (ROOT / path).read_text(encoding="utf-8")
    assert not re.search(r"poor (training )?\*?objective|not an objective", text, re.I), path
