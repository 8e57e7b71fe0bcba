"""The course site (``make site`` -> build/site/) read offline in headless Chromium.

The site is served by a local ``http.server`` (as a reader would: ``python -m http.server -d
build/site``), and every request that leaves 127.0.0.1 is refused and recorded: a page that
needs the internet to show a chart or an equation fails here. For each chapter page the test
checks that

- it shows no error output (a chapter that raised is on the site only with ``--allow-errors``);
- every chart of the executed notebook is on the page as a drawn SVG (marks inside, at least
  :data:`MIN_SIDE` px each way); the expected number comes from the build's manifest
  (``build/site/_passk_site.json``), and a chapter that displayed widgets shows at least one chart;
- MathJax (the copy shipped in ``_static/mathjax``) rendered the equations: ``mjx-container``
  elements are present, and no raw TeX (``$$``, ``\\frac``, ``\\alpha``, ``\\(``) is left in
  the prose (code cells excluded);
- the Colab and Binder launch buttons point at this chapter (addresses from course_lib.config);

and that the home page links every chapter, the instructor guide and the API pages, and the
API pages carry the docstrings. Screenshots go to ``test-output/site/``.

The site is built by ``make site`` (CI runs it before ``make test``); without a built site or
Chromium the test is skipped locally but fails in CI.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path

import pytest
from conftest import IN_CI, ROOT

from course_lib import config

SITE = ROOT / "build" / "site"
MANIFEST = SITE / "_passk_site.json"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
MIN_SIDE = 80
"""Smallest width and height in px of a drawn chart."""
RAW_TEX = ["$$", "\\frac", "\\alpha", "\\(", "\\[", "\\binom", "\\nabla"]
"""Text that must not be visible in the prose once MathJax has run."""

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _need(reason: str):
    """Skip locally, fail in CI."""
    if IN_CI:
        pytest.fail(f"site test cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def manifest() -> dict:
    if not MANIFEST.exists():
        _need("the site is not built: run `make site`")
    return json.loads(MANIFEST.read_text())


@pytest.fixture(scope="module")
def server(manifest):
    """Base URL of a local HTTP server serving build/site/."""
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no request log in pytest's output
        pass


@pytest.fixture(scope="module")
def browser(server):
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        _need("Chromium not found (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("playwright is not installed (pip install playwright)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, server):
    """A page whose requests outside the local server are refused; ``page.external`` lists them."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.external = []

    def route(r):
        if r.request.url.startswith(server) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            pg.external.append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    yield pg
    context.close()


@pytest.fixture(scope="module")
def shots(output_dir) -> Path:
    path = output_dir / "site"
    path.mkdir(exist_ok=True)
    return path


def _open(page, url: str) -> None:
    page.goto(url, wait_until="load")
    # MathJax typesets after load; its startup promise resolves when the page is done.
    page.wait_for_function("() => !window.MathJax || (window.MathJax.startup && window.MathJax.startup.promise)")
    page.evaluate("() => window.MathJax ? window.MathJax.startup.promise : null")


PROSE_TEXT = """() => {
    const main = document.querySelector('main') || document.body;
    const copy = main.cloneNode(true);
    copy.querySelectorAll('pre, code, .highlight, mjx-container, script, style, .cell_output')
        .forEach(e => e.remove());
    return copy.innerText;
}"""

CHARTS = """() => Array.from(document.querySelectorAll('.passk-chart svg')).map(svg => {
    const r = svg.getBoundingClientRect();
    return {w: r.width, h: r.height, marks: svg.querySelectorAll('path, line, rect, text, circle').length};
})"""


@pytest.mark.parametrize("stem", [c[0] for c in config.CHAPTERS])
def test_chapter_page(stem, manifest, server, page, shots):
    expected = manifest["chapters"][stem]
    _open(page, f"{server}chapters/{stem}.html")
    assert page.title(), "page has no title"

    charts = page.evaluate(CHARTS)
    drew = expected["charts"]
    assert len(charts) == drew, f"{len(charts)} charts on the page, the executed notebook drew {drew}"
    if expected["widget_outputs"]:
        assert charts, f"the notebook displayed {expected['widget_outputs']} widgets and the page shows no chart"
    small = [c for c in charts if c["w"] < MIN_SIDE or c["h"] < MIN_SIDE or c["marks"] < 3]
    assert not small, f"charts drawn empty or as slivers: {small}"

    if expected["math"]:
        assert page.locator("mjx-container").count() > 0, "no MathJax output: equations not rendered"
    prose = page.evaluate(PROSE_TEXT)
    raw = [t for t in RAW_TEX if t in prose]
    assert not raw, f"raw TeX left in the page text: {raw}"

    path = f"notebooks/{stem}.ipynb"
    for url in (config.colab_url(path), config.binder_url(path)):
        assert page.locator(f'.launch-buttons a[href="{url}"]').count() == 1, f"launch button missing: {url}"

    assert not page.external, f"the page asked the internet for: {page.external[:5]}"
    page.screenshot(path=str(shots / f"{stem}.png"))
    if charts:
        page.locator(".passk-chart").first.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / f"{stem}_chart.png"))
    # last, so that the page of a chapter that raised (built with --allow-errors) is still checked and captured
    assert not expected.get("errors"), f"the executed notebook shows {expected['errors']} error(s) on its page"


def test_home_links_everything(manifest, server, page, shots):
    _open(page, server)
    hrefs = page.evaluate("() => Array.from(document.querySelectorAll('main a')).map(a => a.getAttribute('href'))")
    for stem, *_ in config.CHAPTERS:
        assert f"chapters/{stem}.html" in hrefs, f"course map does not link chapter {stem}"
    assert "instructor_guide.html" in hrefs
    assert "api/index.html" in hrefs
    assert not page.external, f"the page asked the internet for: {page.external[:5]}"
    page.screenshot(path=str(shots / "index.png"), full_page=True)


def test_instructor_guide_and_api_pages(manifest, server, page):
    _open(page, f"{server}instructor_guide.html")
    text = page.inner_text("main")
    assert "passk grade" in text and "--gradebook" in text
    for name in manifest["api"]:
        _open(page, f"{server}api/{name}.html")
        assert page.locator("dl.py").count() > 0, f"API page {name} documents nothing"
    _open(page, f"{server}api/passk.html")
    assert "pass_at_k" in page.inner_text("main")
    assert page.locator("mjx-container").count() > 0, "docstring equations (Notes) not rendered"
    assert not page.external, f"the pages asked the internet for: {page.external[:5]}"
