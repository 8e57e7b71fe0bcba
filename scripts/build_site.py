"""Build the course site (static HTML, viewable offline): ``make site`` -> ``build/site/index.html``.

    python scripts/build_site.py              # reuse executed notebooks where current, else execute
    python scripts/build_site.py --execute    # execute every chapter again first
    python -m http.server -d build/site       # then read it at http://localhost:8000

Steps:

1. **Executed chapters.** The chapter notebooks (``course_lib.config.CHAPTERS``) executed by the
   notebook test (``tests/test_notebooks.py``) or by ``scripts/measure_notebooks.py`` are in
   ``test-output/notebooks/``. A copy is reused when it is current (its execution key: the same
   notebook, ``course_lib``, ``results/`` and package versions, see ``measure_notebooks.current``)
   and holds no error; otherwise the chapter is executed here (the same way, and the copy is kept
   there, so that the notebook test and the browser test reuse it in turn).
2. **Static charts.** Charts are anywidget widgets (offline charts in JupyterLab), which a static
   page cannot run. Their state is saved in the executed notebook (the Vega-Lite ``spec``, and
   for the explorers' :class:`~course_lib.viz.widgets.VegaPane` its datasets too), so each chart
   is drawn to SVG with vl-convert at build time; sliders and other controls become a line of
   text with their value. The widget state (and its JavaScript) is then dropped.
3. **Pages.** Each chapter gets launch buttons (Colab, Binder, source) from
   ``course_lib.config`` (one home of the addresses); the home page is the course map; the
   instructor guide and the other Markdown pages of ``docs/`` are added; one API page per
   package of ``course_lib`` is generated (autodoc + napoleon read the numpydoc docstrings;
   ``course_lib.grading.bank``, the hidden tests, is left out on purpose).
4. **MathJax** 3 is fetched once from the npm registry (``npm pack``, or the registry's tarball
   URL when npm is missing), checked against its sha512 and copied into ``_static/mathjax/``:
   equations render with no CDN.
5. **Sphinx** (MyST-NB, sphinx-book-theme; see ``site/conf.py``) writes ``build/site/``, and
   ``build/site/_passk_site.json`` records what each chapter page should show (charts, equations)
   for the browser test (``tests/test_site.py``).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from measure_notebooks import current, execute  # noqa: E402  (sibling script: one way to execute)

from course_lib import config  # noqa: E402

SRC = ROOT / "build" / "site-src"
"""Generated Sphinx source tree (rebuilt every time)."""
OUT = ROOT / "build" / "site"
"""The site."""
CACHE = ROOT / "build" / "cache"
"""Downloads kept between builds (MathJax)."""

MATHJAX = (
    "mathjax",
    "3.2.2",
    "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
)
"""npm package, version and its registry integrity (``npm view mathjax@3.2.2 dist.integrity``)."""
MATHJAX_PARTS = ["es5/tex-chtml.js", "es5/output/chtml/fonts/woff-v2", "es5/input/tex/extensions", "es5/ui", "LICENSE"]
"""What the site needs of the package (the TeX input, HTML output, its fonts, lazily loaded extensions)."""

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
NOTE = (
    '<p class="passk-widget-note">Interactive in JupyterLab, Binder or Colab; here a snapshot at the values shown.</p>'
)


# ---------------------------------------------------------------- 1. executed chapters


def executed_chapters(force: bool, jobs: int, allow_errors: bool = False) -> dict[str, Path]:
    """Stem -> executed copy of each chapter: reused when current, else executed (``jobs`` at a time).

    A chapter that raises stops the build, unless ``allow_errors``: then its executed copy (run up to
    the failing cell, error shown) goes on the site and the manifest counts its errors.
    """
    found, todo = {}, []
    t0 = time.perf_counter()
    for stem, *_ in config.CHAPTERS:
        src = ROOT / "notebooks" / f"{stem}.ipynb"
        record, why = (None, "--execute") if force else current(src, allow_errors=allow_errors)
        if record is not None:
            print(f"  reuse   {Path(record['output']).relative_to(ROOT)}: {why}", flush=True)
            found[stem] = Path(record["output"])
        else:
            print(f"  execute {src.relative_to(ROOT)} ({why})", flush=True)
            todo.append(src)
    if todo:
        jobs = max(1, min(jobs, len(todo)))
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for row in pool.map(execute, todo):
                print(f"  executed {row['notebook']}: {row['seconds']:.0f} s, peak {row['peak_mb']} MB", flush=True)
                if (row["errors"] or row["failure"]) and not allow_errors:
                    raise SystemExit(f"{row['notebook']} raised while executing:\n{row['failure']}")
                found[Path(row["output"]).stem] = Path(row["output"])
        print(f"  {len(todo)} chapter(s) executed in {time.perf_counter() - t0:.0f} s ({jobs} at a time)", flush=True)
    return found


# ---------------------------------------------------------------- 2. static charts


def _vl_version(spec: dict) -> str | None:
    """The Vega-Lite version named by ``$schema`` if vl-convert has it (``.../v6.4.1.json`` -> ``6.4``)."""
    import vl_convert

    name = spec.get("$schema", "").rsplit("/", 1)[-1]
    if name.startswith("v"):
        short = ".".join(name[1:].split(".")[:2])
        if short in vl_convert.get_vegalite_versions():
            return short
    return None


def chart_svg(spec: dict) -> str:
    """A Vega-Lite spec drawn to SVG (vl-convert, no browser)."""
    import vl_convert

    spec = {k: v for k, v in spec.items() if k != "autosize" or isinstance(v, dict)}
    return vl_convert.vegalite_to_svg(spec, vl_version=_vl_version(spec))


def _alt_text(spec: dict) -> str:
    """The chart's text alternative: its ``description`` if it has one, else its title and subtitle."""
    if isinstance(spec.get("description"), str):
        return spec["description"]
    title = spec.get("title") or "chart"
    if isinstance(title, dict):
        parts = [title.get("text", ""), title.get("subtitle", "")]
        title = ". ".join(" ".join(p) if isinstance(p, list) else str(p) for p in parts if p)
    return " ".join(title) if isinstance(title, list) else str(title)


class Staticizer:
    """Turns the widget outputs of one executed notebook into static HTML with inline SVG charts."""

    def __init__(self, nb: dict):
        state = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
        self.models = {mid: m.get("state", {}) for mid, m in state.items()}
        self.charts = 0
        self.controls = 0
        self.outputs = 0
        """Widget outputs replaced (or dropped)."""

    def _model(self, ref: str) -> dict:
        return self.models.get(ref.removeprefix("IPY_MODEL_"), {})

    def render(self, model_id: str) -> str:
        """HTML for widget ``model_id`` and its children; '' if nothing static can stand for it."""
        m = self._model(model_id)
        if isinstance(m.get("spec"), dict) and m["spec"]:
            spec = dict(m["spec"])
            data = {**m.get("base", {}), **m.get("datasets", {})}
            if data:
                spec["datasets"] = {**spec.get("datasets", {}), **data}
            self.charts += 1
            label = html.escape(_alt_text(spec), quote=True)
            return f'<div class="passk-chart" role="img" aria-label="{label}">{chart_svg(spec)}</div>'
        if "children" in m:
            inner = "".join(self.render(child) for child in m["children"])
            return f'<div class="passk-hbox">{inner}</div>' if m.get("_model_name") == "HBoxModel" else inner
        if m.get("_model_name") == "HTMLModel" or (m.get("_view_name") == "HTMLView"):
            return f"<span>{m.get('value', '')}</span>"
        if m.get("_model_name") in ("IntProgressModel", "FloatProgressModel"):  # tqdm's bar: its final state
            return f'<progress value="{m.get("value", 0)}" max="{m.get("max", 100)}"></progress>'
        if "value" in m and "description" in m:
            self.controls += 1
            value = m["value"]
            if "_options_labels" in m and isinstance(value, int) and m.get("index") is not None:
                value = m["_options_labels"][m["index"]]
            text = f"{m['description']} {value}" if m["description"] else str(value)
            return f'<span class="passk-control">{html.escape(text)}</span>'
        if "outputs" in m:  # an ipywidgets.Output: keep its static outputs
            parts = []
            for out in m["outputs"]:
                data = out.get("data", {})
                if "image/svg+xml" in data:
                    parts.append("".join(data["image/svg+xml"]))
                elif "image/png" in data:
                    parts.append(f'<img alt="chart" src="data:image/png;base64,{data["image/png"]}">')
                elif "text/html" in data:
                    parts.append("".join(data["text/html"]))
            return "".join(parts)
        return ""

    def apply(self, nb: dict) -> None:
        """Replace every widget output by static HTML (or drop it); remove the saved widget state."""
        for cell in nb["cells"]:
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if WIDGET_VIEW not in data:
                    continue
                before = self.controls
                self.outputs += 1
                body = self.render(data.pop(WIDGET_VIEW)["model_id"])
                if body:
                    note = NOTE if self.controls > before else ""
                    data.pop("text/plain", None)  # the widget's repr ("JupyterChart(...)") is not for readers
                    data["text/html"] = f'<div class="passk-widget">{body}{note}</div>'
        nb.get("metadata", {}).pop("widgets", None)


# ---------------------------------------------------------------- 3. pages


def launch_buttons(stem: str) -> str:
    """HTML of the Colab, Binder and source links of chapter ``stem`` (addresses from course_lib.config)."""
    path = f"notebooks/{stem}.ipynb"
    links = [
        ("colab", config.colab_url(path), "Open in Colab"),
        ("binder", config.binder_url(path), "Launch Binder"),
        ("source", f"{config.REPO_URL}/blob/{config.BRANCH}/{path}", "Notebook source"),
    ]
    anchors = "".join(f'<a class="{cls}" href="{url}">{label}</a>' for cls, url, label in links)
    return f'<div class="launch-buttons">{anchors}</div>'


BADGE = re.compile(r"!\[([^\]]*)\]\(https?://[^)]+\)")
"""A Markdown image from another site (the README's Colab/Binder badges): the site shows its alt text instead."""


def chapter_page(stem: str, executed: Path) -> dict:
    """The chapter as the site shows it, and what the page must show (for the browser test)."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    static = Staticizer(nb)
    static.apply(nb)
    for cell in nb["cells"]:  # the set-up cells are plumbing: not shown on the site
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and (
            src.startswith(config.SETUP_CELL_MARKER) or src.strip().startswith("from course_lib.viz.rendering")
        ):
            cell.setdefault("metadata", {}).setdefault("tags", []).append("remove-cell")
        if cell["cell_type"] == "markdown" and BADGE.search(src):
            cell["source"] = BADGE.sub(r"\1", src)  # no image fetched from another site when offline
        for out in cell.get("outputs", []):  # the same in Markdown that a cell printed (chapter 0's badges)
            md = out.get("data", {}).get("text/markdown")
            if md is not None:
                out["data"]["text/markdown"] = BADGE.sub(r"\1", "".join(md))
    first = nb["cells"][0]
    title, _, rest = "".join(first["source"]).partition("\n")
    if first["cell_type"] == "markdown" and title.startswith("# "):  # the buttons go right under the title
        first["source"] = f"{title}\n\n{launch_buttons(stem)}\n\n{rest}"
    else:
        nb["cells"].insert(0, {"cell_type": "markdown", "id": "launch", "metadata": {}, "source": launch_buttons(stem)})
    text = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    (SRC / "chapters").mkdir(parents=True, exist_ok=True)
    (SRC / "chapters" / f"{stem}.ipynb").write_text(json.dumps(nb, indent=1), encoding="utf-8")
    errors = sum(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", []))
    return {
        "widget_outputs": static.outputs,
        "charts": static.charts,
        "controls": static.controls,
        "math": "$" in text,
        "errors": errors,
    }


def index_page(docs: list[str]) -> str:
    """Home page: what the course is, the course map (from config.CHAPTERS), the other pages."""
    rows = ["| Chapter | What you learn | Minutes | Open |", "|---|---|---|---|"]
    for stem, title, what, minutes in config.CHAPTERS:
        path = f"notebooks/{stem}.ipynb"
        launch = f"[Colab]({config.colab_url(path)}) · [Binder]({config.binder_url(path)})"
        rows.append(f"| [{stem[:2]} {title}](chapters/{stem}.ipynb) | {what} | {minutes} | {launch} |")
    binder = config.binder_url("exercises/ex01_pass_at_k_metric.ipynb")
    rows.append(
        f"| exercises | Auto-graded questions per chapter, solutions in `solutions/` | {config.EXERCISE_MINUTES} "
        f"| [Binder]({binder}) |"
    )
    toc_chapters = "\n".join(f"chapters/{stem}" for stem, *_ in config.CHAPTERS)
    toc_docs = "\n".join(docs + ["api/index"])
    claim = config.TAGLINE.split(": ", 1)[1]  # the tagline without its "pass@k in RLVR: " (the page title)
    return f"""# Pass@k in RLVR

*{claim[0].upper() + claim[1:]}.* A Jupyter course with executable math and experiments (Yu, arXiv
[2511.16231](https://arxiv.org/abs/2511.16231); Chen et al., arXiv
[2508.10751](https://arxiv.org/abs/2508.10751)). These pages are the course's notebooks, executed, with
their charts; to run them, open a chapter in Colab or Binder, or install the course:
`pip install "passk-course[course] @ {config.pip_spec()}"`, then `make course`.

## Course map

{chr(10).join(rows)}

## For instructors and practitioners

{chr(10).join(f"- [{_title(ROOT / 'docs' / (d + '.md'))}]({d}.md)" for d in docs)}
- {{doc}}`API reference of course_lib <api/index>`
- Source: <{config.REPO_URL}>

```{{toctree}}
:hidden:
:caption: Chapters

{toc_chapters}
```

```{{toctree}}
:hidden:
:caption: Guides and reference

{toc_docs}
```
"""


def _title(md: Path) -> str:
    for line in md.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return md.stem.replace("_", " ")


API_SKIP = ("course_lib.grading.bank",)
"""Left out of the API pages: the question bank holds the hidden tests and the answers."""


def api_pages() -> list[str]:
    """One page per top-level module or package of course_lib (its public submodules on it)."""
    import course_lib

    pages = []
    top = sorted(m.name for m in pkgutil.iter_modules(course_lib.__path__) if not m.name.startswith("_"))
    for name in top:
        full = f"course_lib.{name}"
        modules = [full]
        spec_path = Path(course_lib.__path__[0]) / name
        if spec_path.is_dir():
            modules += sorted(
                m.name
                for m in pkgutil.walk_packages([str(spec_path)], prefix=f"{full}.")
                if not m.name.rsplit(".", 1)[-1].startswith("_") and not m.name.startswith(API_SKIP)
            )
        title = f"``{full}``"
        body = [title, "=" * len(title), ""]
        for mod in modules:
            if mod != full:
                sub = f"``{mod}``"
                body += [sub, "-" * len(sub), ""]
            body += [f".. automodule:: {mod}", "   :members:", ""]
        # reStructuredText, not MyST: autodoc writes the docstrings as rST
        (SRC / "api" / f"{name}.rst").write_text("\n".join(body), encoding="utf-8")
        pages.append(name)
    (SRC / "api" / "index.rst").write_text(
        "API reference\n=============\n\nGenerated from the numpydoc docstrings of ``course_lib`` (its package "
        "docstring below maps each module to the chapter that teaches it).\n\n.. automodule:: course_lib\n\n"
        ".. toctree::\n   :maxdepth: 1\n\n" + "".join(f"   {p}\n" for p in pages),
        encoding="utf-8",
    )
    return pages


# ---------------------------------------------------------------- 4. MathJax


def mathjax(dest: Path) -> None:
    """Copy MathJax (fetched once from the npm registry, integrity checked) into ``dest``."""
    name, version, integrity = MATHJAX
    tarball = CACHE / f"{name}-{version}.tgz"
    if not tarball.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        if shutil.which("npm"):
            npm = ["npm", "pack", "--silent", f"{name}@{version}"]
            subprocess.run(npm, cwd=CACHE, check=True, stdout=subprocess.DEVNULL)
        else:
            url = f"https://registry.npmjs.org/{name}/-/{name}-{version}.tgz"
            with urllib.request.urlopen(url, timeout=60) as r:
                tarball.write_bytes(r.read())
    algo, digest = integrity.split("-", 1)
    if base64.b64encode(hashlib.new(algo, tarball.read_bytes()).digest()).decode() != digest:
        tarball.unlink()
        raise SystemExit(f"{tarball.name}: integrity check failed (removed; run again)")
    with tarfile.open(tarball) as tar:
        members = [m for m in tar.getmembers() if any(m.name.startswith(f"package/{p}") for p in MATHJAX_PARTS)]
        tmp = CACHE / "mathjax-extract"
        shutil.rmtree(tmp, ignore_errors=True)
        tar.extractall(tmp, members=members, filter="data")
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(tmp / "package" / "es5", dest)
    shutil.copy(tmp / "package" / "LICENSE", dest / "LICENSE")


# ---------------------------------------------------------------- 5. build


def _size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--execute", action="store_true", help="execute every chapter again")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="notebooks executed at once")
    parser.add_argument(
        "--allow-errors", action="store_true", help="put a chapter that raised on the site, error shown"
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    (OUT / "_passk_site.json").unlink(missing_ok=True)  # a failed build leaves no manifest: the test fails
    print("1/5 executed chapters", flush=True)
    executed = executed_chapters(args.execute, args.jobs, args.allow_errors)
    shutil.rmtree(SRC, ignore_errors=True)
    shutil.copytree(ROOT / "site", SRC)
    print(f"2/5 static charts ({time.perf_counter() - t0:.0f} s)", flush=True)
    manifest = {"chapters": {}}
    for stem, *_ in config.CHAPTERS:
        manifest["chapters"][stem] = page = chapter_page(stem, executed[stem])
        errors = f", {page['errors']} ERRORS" if page["errors"] else ""
        print(f"  {stem}: {page['charts']} charts, {page['controls']} controls{errors}", flush=True)
    print(f"3/5 pages ({time.perf_counter() - t0:.0f} s)", flush=True)
    docs = sorted(p.stem for p in (ROOT / "docs").glob("*.md"))
    docs.sort(key=lambda d: d != "instructor_guide")  # the guide first
    for d in docs:  # a link to a repository file outside docs/ (right in a clone) points at GitHub on the site
        text = (ROOT / "docs" / f"{d}.md").read_text(encoding="utf-8")
        text = re.sub(r"\]\(\.\./([^)\s]+)\)", lambda m: f"]({config.REPO_URL}/blob/{config.BRANCH}/{m[1]})", text)
        (SRC / f"{d}.md").write_text(text, encoding="utf-8")
    (SRC / "api").mkdir()
    api = api_pages()
    (SRC / "index.md").write_text(index_page(docs), encoding="utf-8")
    print(f"4/5 MathJax {MATHJAX[1]} ({time.perf_counter() - t0:.0f} s)", flush=True)
    mathjax(SRC / "_static" / "mathjax")
    print(f"5/5 sphinx-build ({time.perf_counter() - t0:.0f} s)", flush=True)
    shutil.rmtree(OUT, ignore_errors=True)
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-d", str(ROOT / "build" / "site-doctrees")]
    result = subprocess.run([*cmd, str(SRC), str(OUT)], cwd=ROOT)
    if result.returncode:
        return result.returncode
    manifest.update(docs=docs, api=api)
    (OUT / "_passk_site.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    n, size = _size(OUT)
    seconds = time.perf_counter() - t0
    print(f"site: {OUT.relative_to(ROOT)}/index.html, {n} files, {size / 2**20:.1f} MB, built in {seconds:.0f} s")
    print("read it offline: python -m http.server -d build/site  (then http://localhost:8000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
