"""Real-browser test: JupyterLab + headless Chromium show every chapter notebook that draws charts.

It starts JupyterLab from this test's Python environment on 127.0.0.1 (free port, no token,
temporary settings, workspace, runtime and config folders) serving temporary copies of the
chart notebooks (:data:`CHART_NOTEBOOKS`: those whose code calls ``setup_notebook()``), opens
each once in Debian's Chromium through Playwright at a 1280 px wide window (JupyterLab's
default layout: file browser open), and checks:

- no cell produced an error and no chart reported one;
- every chart is drawn *whole* (:func:`_check_whole`): it holds a canvas or SVG, it is no
  wider than its output area (so not cut at the notebook's right edge), no ancestor clips it
  or scrolls it sideways, and it is not a sliver (at least :data:`MIN_SIDE` px each way); it
  has a text alternative (``aria-label``, from the chart's description);
- chapter 3: every explorer drew a chart, and so did the static chart of the last section;
  moving a slider with the keyboard changes the chart, *in place* (the same ``<canvas>`` is
  updated: no re-display, hence no flicker), the numeric readout and the chart's text
  alternative; the same on the drawing
  path chosen for Colab (HTML renderer redrawn into Output widgets);
- the lab's live chart (chapter 5's :class:`~course_lib.lab.charts.LiveChart`), drawn empty and
  then filled in place as a run goes, has grown to its full size when the run ends.

**Saved state or a live kernel.** The charts are widgets (anywidget), saved with the executed
notebook. JupyterLab draws them again from that saved state when the notebook is opened: the
widget manager restores the notebook's widget state once the notebook has a kernel session
(a fresh kernel that runs nothing is enough; with "No Kernel" they stay "Loading widget..."),
and only in a trusted notebook (else JupyterLab shows the text form). So the drawn-whole checks
of chapters other than 3 run on the executed copy that the notebook test keeps
(``scripts/measure_notebooks.py``'s :func:`executed`: the same execution, not a second one),
signed as trusted, opened with an idle kernel that executes nothing. What needs Python to answer
runs with a live kernel, all cells run in the browser: chapter 3 on both drawing paths (key
presses, in-place redraws, the text alternative that follows them, the Colab path's
Output widgets) and the live chart being filled in place (a small notebook that feeds
:class:`LiveChart` as chapter 5's training loop does).

One page per notebook, one browser shared by the module. Screenshots of every
chart go to ``test-output/browser/``. Without Chromium or Playwright the test is skipped
locally but fails in CI (``CI=true``), where ``.ci/run`` installs Chromium.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import IN_CI, ROOT, script

NOTEBOOK = "03_explorers.ipynb"
COLAB_COPY = "03_explorers_colab_path.ipynb"
LIVE_CHART = "live_chart.ipynb"
LIVE_CHART_CELLS = [
    "from course_lib.viz.rendering import setup_notebook\n\nsetup_notebook()",
    "import time\n\nfrom course_lib.lab.charts import DEFAULT_METRICS, LiveChart\n\n"
    "live = LiveChart(k=4, interval=0.0)  # chapter 5's live chart: displayed empty",
    "# filled in place, one update per evaluation, as chapter 5's run_many(..., callback=live.update) does\n"
    "histories = {(run, seed): [] for run in ('grpo', 'chen') for seed in (0, 1)}\n"
    "for step in range(0, 101, 10):\n"
    "    for (run, seed), rows in histories.items():\n"
    "        value = 0.1 + (0.004 if run == 'grpo' else 0.006) * step + 0.05 * seed\n"
    "        metrics = {key.format(k=4): value / (1 + j) for j, (key, _) in enumerate(DEFAULT_METRICS)}\n"
    "        rows.append({'step': step, **metrics})\n"
    "    live.update(histories)\n"
    "    time.sleep(0.3)\n"
    "live.finish()",
]
"""A notebook that feeds the lab's live chart as a training run does (no training: the chart is what is tested)."""
EXPLORERS = 5
VIEWPORT = {"width": 1280, "height": 1000}
MIN_SIDE = 80
"""Smallest width and height in px of a drawn chart (the lab's live chart was once a 50 px strip)."""


def _draws_charts(path: Path) -> bool:
    """True if a code cell of notebook ``path`` calls ``setup_notebook()`` (every chart notebook does)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return any(c["cell_type"] == "code" and "setup_notebook(" in "".join(c["source"]) for c in cells)


CHART_NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb") if _draws_charts(p))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _need(reason: str):
    """Skip locally, fail in CI."""
    if IN_CI:
        pytest.fail(f"browser test cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _chromium() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        _need("Chromium not found (apt-get install -y chromium chromium-driver)")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "api/status", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


class Lab(NamedTuple):
    """The throw-away JupyterLab: its URL, the folder it serves, and its notary's files (trust)."""

    url: str
    root: Path
    notary: dict

    def add_executed(self, name: str) -> None:
        """Serve the current executed copy of chapter ``name`` (executed now if there is none), signed as trusted.

        The copy is the notebook test's (scripts/measure_notebooks.py): one execution serves both tests.
        """
        from nbformat import read
        from nbformat.sign import NotebookNotary

        row = script("measure_notebooks").executed(ROOT / "notebooks" / name)
        assert not row["failure"] and not row["errors"], f"{name} raised while executing:\n{row['failure']}"
        shutil.copy(row["output"], self.root / name)
        NotebookNotary(**self.notary).sign(read(self.root / name, as_version=4))  # JupyterLab trusts it


@pytest.fixture(scope="module")
def lab():
    """A throw-away JupyterLab (:class:`Lab`) serving copies of the notebooks run live here; stopped afterwards."""
    _chromium()
    tmp = Path(tempfile.mkdtemp(prefix="passk-lab-"))
    root, settings = tmp / "notebooks", tmp / "settings"
    root.mkdir()
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, root / NOTEBOOK)
    # The kernels run in the copies' folder; a notebook that reads ../results (chapter 6) finds the repository's.
    if (ROOT / "results").is_dir():
        (tmp / "results").symlink_to(ROOT / "results", target_is_directory=True)
    # The same notebook on the drawing path chosen for Colab (HTML renderer + Output widgets).
    text = (ROOT / "notebooks" / NOTEBOOK).read_text(encoding="utf-8")
    assert "setup_notebook()" in text
    (root / COLAB_COPY).write_text(text.replace("setup_notebook()", 'setup_notebook(\\"colab\\")', 1), encoding="utf-8")
    import nbformat

    cells = [nbformat.v4.new_code_cell(source) for source in LIVE_CHART_CELLS]
    kernel = {"kernelspec": json.loads(text)["metadata"]["kernelspec"]}  # chapter 3's: the python3 kernel
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata=kernel), root / LIVE_CHART)
    notary = {"db_file": str(tmp / "nbsignatures.db"), "secret_file": str(tmp / "notebook_secret")}
    # Render every cell, even off-screen ones, so that all explorers are drawn and checked.
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false"}))  # no "Jupyter news?" pop-up over the screenshots
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
    }
    log = tmp / "lab.log"
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        f"--NotebookNotary.db_file={notary['db_file']}",
        f"--NotebookNotary.secret_file={notary['secret_file']}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI often run as root
        cmd.append("--allow-root")
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for_server(url, proc, log)
        yield Lab(url, root, notary)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


_STATE_JS = """name => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.content || !w.sessionContext || !w.sessionContext.session) return null;
  if (!w.context || w.context.path.split('/').pop() !== name) return null;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  return {
    kernel: w.sessionContext.session.kernel ? w.sessionContext.session.kernel.status : 'none',
    counts: cells.map(c => c.model.executionCount),
    errors: cells.flatMap((c, i) => c.model.outputs.toJSON()
      .filter(o => o.output_type === 'error').map(o => `cell ${i}: ${o.ename}: ${o.evalue}`)),
  };
}"""


def _wait(page, predicate_js: str, timeout_s: float, what: str, arg=None):
    deadline = time.monotonic() + timeout_s
    value = None
    while time.monotonic() < deadline:
        value = page.evaluate(predicate_js, arg)
        if value:
            return value
        page.wait_for_timeout(250)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what} (last value {value!r})")


_PIXELS_JS = """i => { const e = document.querySelectorAll('.passk-explorer')[i]
  .querySelector('.vega-embed canvas, .vega-embed svg');
  return !e ? '' : (e.tagName === 'CANVAS' ? e.toDataURL() : e.outerHTML); }"""

_DRAWN_JS = """() => {
  const ex = [...document.querySelectorAll('.passk-explorer')];
  const ok = ex.filter(e => e.querySelector('.vega-embed canvas, .vega-embed svg'));
  const all = [...document.querySelectorAll('.vega-embed')].filter(e => e.querySelector('svg, canvas'));
  const errors = [...document.querySelectorAll('.passk-vega-error, .vega-embed .error, .passk-explorer .error')];
  return {explorers: ex.length, drawn: ok.length, charts: all.length, errors: errors.map(e => e.textContent)};
}"""


_CHART_OUTPUTS_JS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  return w.content.widgets.flatMap(c => c.model.type === 'code' ? c.model.outputs.toJSON() : [])
    .filter(o => o.data && ((o.data['application/vnd.jupyter.widget-view+json']
      && /JupyterChart|VegaPane|^Explorer\\(/.test(o.data['text/plain'] || ''))
      || String(o.data['text/html'] || '').includes('vegaEmbed'))).length;
}"""
"""How many outputs of the open notebook are charts: widget views of Altair's chart widget, of an
explorer or of the lab's live chart (told by their text form: other widgets, such as progress
bars, are not charts), or Altair HTML (the Colab path's static charts)."""

_WHOLE_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget.node;
  const cells = [...panel.querySelectorAll('.jp-Cell')];
  const round = r => [r.left, r.top, r.width, r.height].map(Math.round);
  const errors = [...panel.querySelectorAll('.jp-OutputArea-output')]
    .filter(o => o.querySelector('.passk-vega-error') || /JavaScript Error|Chart error/.test(o.textContent))
    .map(o => `cell ${cells.indexOf(o.closest('.jp-Cell'))}: ${o.textContent.slice(0, 300)}`);
  const charts = [...panel.querySelectorAll('.vega-embed')].map(e => {
    const cell = e.closest('.jp-Cell');
    const area = cell && cell.querySelector('.jp-OutputArea-output');
    const drawing = e.querySelector(':scope > .chart-wrapper > canvas, :scope > .chart-wrapper > svg, '
      + ':scope > canvas, :scope > svg.marks');
    const d = drawing ? drawing.getBoundingClientRect() : null;
    // the embed (with its menu) and the drawing, which may stick out of an embed of fixed width
    const b0 = e.getBoundingClientRect(), b1 = d || b0;
    const left = Math.min(b0.left, b1.left), top = Math.min(b0.top, b1.top);
    const r = {left, top, right: Math.max(b0.right, b1.right), bottom: Math.max(b0.bottom, b1.bottom)};
    r.width = r.right - left; r.height = r.bottom - top;
    const clips = [];
    for (let a = e.parentElement; a && a !== cell; a = a.parentElement) {
      const s = getComputedStyle(a), b = a.getBoundingClientRect();
      const x0 = b.left + a.clientLeft, y0 = b.top + a.clientTop;
      const name = a.className.toString().split(' ').filter(c => !c.startsWith('lm-')).slice(0, 3).join('.');
      if (s.overflowX !== 'visible' && (r.left < x0 - 1 || r.right > x0 + a.clientWidth + 1)) {
        clips.push(`${name}: ${Math.round(a.clientWidth)} px wide cuts a ${Math.round(r.width)} px chart`);
      } else if (s.overflowX !== 'visible' && a.scrollWidth > a.clientWidth + 1) {
        clips.push(`${name}: scrolls sideways (${a.scrollWidth} > ${a.clientWidth} px)`);
      }
      if (s.overflowY !== 'visible' && (r.top < y0 - 1 || r.bottom > y0 + a.clientHeight + 1)) {
        clips.push(`${name}: ${Math.round(a.clientHeight)} px high cuts a ${Math.round(r.height)} px chart`);
      }
    }
    const holder = e.querySelector('[aria-label]');  // Vega's view: the spec's description as its aria-label
    return {
      cell: cells.indexOf(cell), embed: round(r), drawing: d && round(d), area: area ? area.clientWidth : null,
      clips, label: holder ? holder.getAttribute('aria-label') : null,
    };
  });
  return {charts, errors};
}"""
"""Per ``.vega-embed`` of the open notebook: its cell, boxes ([left, top, width, height] of the
chart, i.e. the embed with vega-embed's menu joined with the drawing, and of the drawn canvas or
SVG alone), the width of its cell's output area, and every ancestor (inside the cell) that cuts
the chart or scrolls it sideways, and the chart's text alternative (``aria-label``). Also the text
of any chart error shown in an output."""


def _check_whole(page, shots: Path, prefix: str) -> list[dict]:
    """Every chart of the open notebook is drawn whole; screenshot each output with a chart.

    Waits (after the run) until every chart output has drawn and the sizes stop changing (the
    lab's live chart is redrawn when training ends), then checks each chart: drawn, at least
    :data:`MIN_SIDE` px each way, no wider than its output area, not cut or scrolled by an
    ancestor, and labelled for screen readers (its description as ``aria-label``). Returns the
    measurements (also written to ``<prefix>charts.json``).
    """
    expected = page.evaluate(_CHART_OUTPUTS_JS)
    assert expected, "no chart output in this notebook"
    last, stable = None, 0
    deadline = time.monotonic() + 60
    while stable < 2:  # the same measurements three polls in a row
        seen = page.evaluate(_WHOLE_JS)
        assert not seen["errors"], seen["errors"]
        charts = seen["charts"]
        ready = sum(c["drawing"] is not None for c in charts) >= expected
        stable = stable + 1 if ready and charts == last else 0
        last = charts
        if time.monotonic() > deadline:
            raise AssertionError(f"{prefix}: {expected} chart outputs, charts not drawn or still resizing: {charts}")
        page.wait_for_timeout(400)
    (shots / f"{prefix}charts.json").write_text(json.dumps(charts, indent=1))
    outputs = page.locator(".jp-Cell-outputArea > .jp-OutputArea-child:has(.vega-embed)")  # each chart output
    for i in range(outputs.count()):
        outputs.nth(i).scroll_into_view_if_needed()
        outputs.nth(i).screenshot(path=str(shots / f"{prefix}chart_{i + 1}.png"))
    bad = []
    for c in charts:
        where = f"cell {c['cell']}: chart {c['embed'][2]} x {c['embed'][3]} px"
        if c["drawing"] is None:
            bad.append(f"{where} has no canvas or SVG")
            continue
        if min(c["drawing"][2:]) < MIN_SIDE:
            bad.append(f"{where}: drawn {c['drawing'][2]} x {c['drawing'][3]} px, a sliver")
        if c["area"] is not None and c["embed"][2] > c["area"] + 1:
            bad.append(f"{where} is wider than its output area ({c['area']} px)")
        bad += [f"{where}: {clip}" for clip in c["clips"]]
        if not c["label"]:
            bad.append(f"{where} has no text alternative (aria-label)")
    assert not bad, f"{prefix}charts not drawn whole at {VIEWPORT['width']} px:\n" + "\n".join(bad)
    return charts


def _close(page) -> None:
    """Stop the notebook's kernel (the next notebook gets the CPU) and close the page."""
    with contextlib.suppress(Exception):
        page.evaluate("() => window.jupyterapp.serviceManager.sessions.shutdownAll()")
    page.close()


def _pixels(page, index: int) -> str:
    """The drawn chart of explorer ``index`` (canvas pixels as a data URL, or SVG markup)."""
    return page.evaluate(_PIXELS_JS, index)


def _browser(pw):
    return pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS, headless=True)


@pytest.fixture(scope="module")
def browser(lab):
    """One headless Chromium for the module; each test opens its own page (and context)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("playwright is not installed (pip install playwright)")
    with sync_playwright() as pw:
        chromium = _browser(pw)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def shots(output_dir) -> Path:
    folder = output_dir / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(page, lab: Lab, name: str) -> dict:
    """Open notebook ``name`` in a workspace of its own; its state once its kernel is idle."""
    page.goto(lab.url + f"lab/workspaces/{Path(name).stem}/tree/{name}?reset", wait_until="domcontentloaded")
    return _wait(
        page,
        f"n => {{ const s = ({_STATE_JS})(n); return s && s.kernel === 'idle' && s; }}",
        120,
        "the notebook to open with an idle kernel",
        name,
    )


def _open_saved(page, lab: Lab, name: str) -> None:
    """Open the executed copy of chapter ``name`` (saved outputs and widget state), running nothing."""
    lab.add_executed(name)
    state = _open(page, lab, name)
    assert any(c is not None for c in state["counts"]), f"{name}: not an executed copy"
    assert not state["errors"], state["errors"]


def _run_all(page, lab: Lab, name: str) -> None:
    """Open notebook ``name`` in a workspace of its own, run all cells, fail on any error output."""
    state = _open(page, lab, name)
    n_code = len(state["counts"])
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    state = _wait(
        page,
        f"""n => {{ const s = ({_STATE_JS})(n);
        return s && s.kernel === 'idle' && (s.counts.every(c => c !== null) || s.errors.length) && s; }}""",
        900,  # chapter 5 trains 30 small models: about 2 min on 2 idle CPU cores, ~10 min on busy ones
        "all cells to run",
        name,
    )
    assert not state["errors"], state["errors"]  # (run-all stops at the first error)
    assert len(state["counts"]) == n_code


def _check_drawn(page, shots: Path, prefix: str) -> None:
    """Every explorer (and the static chart at the end) drew a chart; screenshot each explorer."""
    _wait(
        page,
        f"() => {{ const d = ({_DRAWN_JS})(); return d.drawn === {EXPLORERS} && d.charts > d.drawn; }}",
        60,
        "every explorer to draw",
    )  # (the page shows one notebook: its own workspace)
    drawn = page.evaluate(_DRAWN_JS)
    assert drawn["explorers"] == EXPLORERS and drawn["drawn"] == EXPLORERS, drawn
    assert drawn["charts"] >= EXPLORERS + 1, drawn  # + the static chart of the last section
    assert not drawn["errors"], drawn["errors"]
    explorers = page.locator(".passk-explorer")
    for i in range(EXPLORERS):
        explorers.nth(i).scroll_into_view_if_needed()
        explorers.nth(i).screenshot(path=str(shots / f"{prefix}explorer_{i + 1}.png"))


def _press_slider(page, shots: Path, prefix: str, presses: int = 5):
    """Press the right arrow on the first explorer's p slider; the chart and the readout must change.

    Also records the key-to-redraw time as seen in the browser (kernel round trip + drawing)
    in ``test-output/browser/<prefix>latency.json``.
    """
    first = page.locator(".passk-explorer").first
    first.scroll_into_view_if_needed()
    label = first.locator(".vega-embed [aria-label]").first
    before = _pixels(page, 0), first.locator(".passk-readout").first.inner_text(), label.get_attribute("aria-label")
    handle = first.locator(".noUi-handle, .ui-slider-handle, input[type=range]").first
    handle.focus()
    seconds = []
    for _ in range(presses):
        old = _pixels(page, 0)
        t0 = time.perf_counter()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"before => ({_PIXELS_JS})(0) !== before", arg=old, timeout=15000)
        seconds.append(time.perf_counter() - t0)
    page.wait_for_timeout(300)  # let any throttled trailing update land
    assert _pixels(page, 0) != before[0]
    assert first.locator(".passk-readout").first.inner_text() != before[1]
    after = first.locator(".vega-embed [aria-label]").first.get_attribute("aria-label")
    assert after and after != before[2], (before[2], after)  # the text alternative follows the data
    ms = sorted(round(x * 1e3, 1) for x in seconds)
    (shots / f"{prefix}latency.json").write_text(json.dumps({"key_to_redraw_ms": ms}, indent=1))
    print(
        f"{prefix or 'widget_'}path key-to-redraw seen by Playwright (an upper bound: includes its polling): "
        f"median {ms[len(ms) // 2]} ms, max {ms[-1]} ms"
    )
    return first


def test_explorers_draw_whole_and_respond_in_jupyterlab(lab, browser, shots):
    """The default path (offline chart widgets): draws every chart whole, and a key press updates the chart in place."""
    console_errors: list[str] = []
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        _run_all(page, lab, NOTEBOOK)
        _check_drawn(page, shots, "")
        _check_whole(page, shots, "03_")
        page.evaluate(
            "() => { window.__passkChart = document.querySelector("
            "'.passk-explorer .vega-embed canvas, .passk-explorer .vega-embed svg'); }"
        )
        first = _press_slider(page, shots, "")
        assert page.evaluate("() => window.__passkChart.isConnected"), "the chart was re-displayed, not updated"
        first.screenshot(path=str(shots / "explorer_1_after_keys.png"))
        page.screenshot(path=str(shots / "notebook_top.png"))
    finally:
        _close(page)
    bad = [m for m in console_errors if "vega" in m.lower() or "passk" in m.lower()]
    assert not bad, bad


def test_colab_drawing_path_draws_and_responds(lab, browser, shots):
    """The Colab path (HTML renderer redrawn into Output widgets), in JupyterLab.

    The HTML renderer loads Vega from cdn.jsdelivr.net; with no internet here the browser's
    requests are answered with the same Vega bundle that vl-convert ships (so this checks our
    Output-widget plumbing and Altair's HTML output, not Colab itself).
    """
    import vl_convert

    # The bundle declares top-level names; wrap it so it can be loaded once per CDN path.
    bundle = "(function () {\n" + vl_convert.javascript_bundle() + "\n})();"
    served: list[str] = []

    def cdn(route):
        served.append(route.request.url)
        route.fulfill(status=200, content_type="application/javascript", body=bundle)

    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.route("https://cdn.jsdelivr.net/**", cdn)
        _run_all(page, lab, COLAB_COPY)
        _check_drawn(page, shots, "colab_path_")
        _check_whole(page, shots, "colab_path_")
        assert served, "the HTML renderer never asked the CDN for Vega: was the Colab path taken?"
        assert page.locator(".passk-explorer .jupyter-widgets-output-area, .passk-explorer .widget-output").count()
        first = _press_slider(page, shots, "colab_path_")
        first.screenshot(path=str(shots / "colab_path_explorer_1_after_keys.png"))
    finally:
        _close(page)


@pytest.mark.parametrize("name", [n for n in CHART_NOTEBOOKS if n != NOTEBOOK])
def test_every_chart_is_drawn_whole(lab, browser, shots, name):
    """Every other chart notebook (chapter 3 is checked above), as executed: every chart drawn whole.

    Drawn from the executed copy's saved widget state (the notebook test's execution); in chapter 5
    this includes the lab's live chart as the training run left it.
    """
    page = browser.new_page(viewport=VIEWPORT)
    try:
        _open_saved(page, lab, name)
        _check_whole(page, shots, name[:3])
    finally:
        _close(page)


def test_live_chart_grows_in_place_to_full_size(lab, browser, shots):
    """The lab's live chart, first drawn empty and then filled in place while a run goes (chapter 5's
    training cell), has grown to its full size when the run ends (it once stayed a ~50 px strip)."""
    page = browser.new_page(viewport=VIEWPORT)
    try:
        _run_all(page, lab, LIVE_CHART)
        charts = _check_whole(page, shots, "live_chart_")
        assert len(charts) == 1, charts
    finally:
        _close(page)
