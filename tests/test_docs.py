"""The documentation holds in a clone and offline: links resolve, documented commands run.

Links: every relative link of the README, docs/ and solutions/README.md names a file of the repository
(and a README section that exists); none of them points at this repository on GitHub, which breaks
offline and in a fork. Commands: the instructor guide's measuring command, the start-here notebook's
pointer to the README's section on blank charts, and the real-model guide's rollout path.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT

from course_lib import config

DOCS = [ROOT / "README.md", ROOT / "solutions" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors of the headings of a Markdown text."""
    heads = re.findall(r"^#+ (.+)$", markdown, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in heads}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve_in_a_clone(doc):
    text = doc.read_text(encoding="utf-8")
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # http(s), mailto: not ours
            assert not target.startswith(f"{config.REPO_URL}/blob"), f"{doc.name}: {target} (use a relative link)"
            assert not target.startswith(f"{config.REPO_URL}/tree"), f"{doc.name}: {target} (use a relative link)"
            continue
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        assert file.exists(), f"{doc.relative_to(ROOT)}: link to {target}: no such file"
        if anchor and file.suffix == ".md":
            assert anchor in _anchors(file.read_text(encoding="utf-8")), f"{doc.name}: no section #{anchor} in {path}"


def test_the_start_here_notebook_points_at_the_readme_section_on_blank_charts():
    nb = nbformat.read(ROOT / "notebooks" / "00_start_here.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "../README.md#when-a-chart-stays-blank" in text
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "when-a-chart-stays-blank" in _anchors(readme)
    section = readme.split("## When a chart stays blank", 1)[1].split("\n## ", 1)[0]
    for front_end in ("JupyterLab", "Classic notebook", "Colab", "VS Code", "Binder"):
        assert f"**{front_end}**" in section, front_end


def test_the_readme_states_the_portability_rule():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Contributing", 1)[1].split("\n## ", 1)[0]
    assert "last bit of a float" in section and "signed zero" in section and "may stay exact" in section


def test_the_guides_measuring_command_runs_and_the_system_python_gets_one_line():
    guide = (ROOT / "docs" / "instructor_guide.md").read_text(encoding="utf-8")
    assert 'make measure MEASURE_ARGS="solutions/*.ipynb --json sol.json"' in guide
    assert "python scripts/measure_notebooks.py" not in guide.replace(".venv/bin/python scripts", "")
    if shutil.which("make"):
        dry = subprocess.run(
            ["make", "-n", "measure", "MEASURE_ARGS=--json x.json"], cwd=ROOT, capture_output=True, text=True
        )
        assert ".venv/bin/python scripts/measure_notebooks.py --json x.json" in dry.stdout, dry.stdout + dry.stderr
    # a Python without the course's packages (-S: no site-packages) is told what to run instead, in one line
    bare = subprocess.run(
        [sys.executable, "-S", str(ROOT / "scripts" / "measure_notebooks.py")], capture_output=True, text=True
    )
    assert bare.returncode == 2 and "make measure" in bare.stderr.strip().splitlines()[-1], bare.stderr


def test_the_guides_table_command_runs(tmp_path):
    saved = {
        "machine": {"date": "2026-12-01", "cpus": 2, "memory_gb": 24, "python": "3.11", "load_average_1min_before": 0}
        | {"load_average_1min_after": 0},
        "notebooks": [{"notebook": "notebooks/00_start_here.ipynb", "seconds": 3.0, "peak_mb": 200}],
    }
    (tmp_path / "t.json").write_text(json.dumps(saved))
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "measure_notebooks.py"), "--table", str(tmp_path / "t.json")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "| `notebooks/00_start_here.ipynb` | 3 | 200 |" in out


def test_the_guides_monitor_lines_read_where_the_example_scripts_write():
    """docs/real_model.md's `passk monitor ~/passk_runs/<run>` lines name the folder run_1gpu.sh writes by default."""
    guide = (ROOT / "docs" / "real_model.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"passk monitor (~/\S+)", guide))
    assert paths, "the guide shows no passk monitor line"
    script = (ROOT / "examples" / "verl" / "run_1gpu.sh").read_text()
    (estimator,) = re.findall(r"^ESTIMATOR=\$\{ESTIMATOR:-(\w+)\}", script, flags=re.M)
    (experiment,) = re.findall(r"^EXPERIMENT=\$\{EXPERIMENT:-([^}]+)\}", script, flags=re.M)
    (out,) = re.findall(r"^OUT=\$\{OUT:-\$HOME/([^}]+)\}", script, flags=re.M)
    default = "~/" + out.replace("$EXPERIMENT", experiment).replace("$ESTIMATOR", estimator)
    assert paths == {default}, (paths, default)
    for name in ("run_1gpu.sh", "run_multigpu.sh"):
        text = (ROOT / "examples" / "verl" / name).read_text()
        assert 'trainer.rollout_data_dir="$OUT/rollouts"' in text, name


def test_chapter_1_names_the_estimator_charts_colours_as_its_legend_does():
    from course_lib.viz import charts, explorers

    subtitle = explorers.estimator_template().to_dict()["title"]["subtitle"]
    subtitle = " ".join(subtitle) if isinstance(subtitle, list) else subtitle
    assert f"{charts.HIGHLIGHT_NAME}: mean of the estimator" in subtitle
    nb = nbformat.read(ROOT / "notebooks" / "01_pass_at_k_metric.ipynb", as_version=4)
    (text,) = [c.source for c in nb.cells if c.cell_type == "markdown" and "the estimator's mean" in c.source]
    assert f"Dashed black: the truth; {charts.HIGHLIGHT_NAME}: the estimator's mean." in text
