"""The built site, read in headless Chromium as a reader would: pages, plots, links,
launch buttons (Colab and Binder), the license footer, and what a reader would notice:
code or tables running off the content column at 1280 x 800, numbers printed as
``623744.000000``, bookkeeping calls (``glue.record(``) on the page, results whose
verdict needs scrolling to see, and pages whose title a 390 px phone does not show.

Needs Chromium and its driver: Debian's ``chromium`` and ``chromium-driver`` on PATH
(``.ci/run`` installs them), or the browser and driver named by ``RECBOOK_CHROMIUM`` and
``RECBOOK_CHROMEDRIVER`` (GitHub's workflow names the runner's Chrome and ChromeDriver
so). The test is skipped without them, except in CI, where it fails. A screenshot of
every page at both widths is saved to ``build/artifacts/`` (``<page>-1280.png``,
``<page>-390.png``; CI keeps them), also when a check fails.
"""

from __future__ import annotations

import base64
import functools
import http.server
import os
import re
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from recbook import checks, repository

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "build" / "artifacts"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,800",
)
DESKTOP = {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False}
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
SCREENSHOT_MAX_HEIGHT = 16_000
"""Screenshots stop there (the API page is far longer)."""
WIDE_TAG = "wide-table"
"""The cell tag that lets a cell's output tables be wider than the column (they scroll)."""
RESULTS_PAGE = "notebooks/06_results"
API_PAGE = "book/api"
BOOKKEEPING = ("glue.record(", "results.record(")

pytestmark = pytest.mark.site


def chapters() -> list[str]:
    return re.findall(r"file: (notebooks/\S+)\.ipynb", (REPO / "_toc.yml").read_text())


def pages() -> list[str]:
    return [
        "book/intro",
        *re.findall(r"file: (\S+?)(?:\.ipynb)?\n", (REPO / "_toc.yml").read_text()),
    ]


@pytest.fixture(scope="module")
def server(site):
    """The site served on a free localhost port; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = os.environ.get("RECBOOK_CHROMIUM") or shutil.which("chromium")
    driver = os.environ.get("RECBOOK_CHROMEDRIVER") or shutil.which("chromedriver")
    if not (chromium and driver):
        if checks.in_ci():
            pytest.fail(
                "CI must install Debian's chromium and chromium-driver (see .ci/run), "
                "or name a browser and its driver in RECBOOK_CHROMIUM and RECBOOK_CHROMEDRIVER."
            )
        pytest.skip(
            "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"
    )
    session = webdriver.Chrome(service=Service(driver), options=options)
    session.set_page_load_timeout(60)
    yield session
    session.quit()


def open_page(browser, base: str, page: str) -> None:
    browser.get(urllib.parse.urljoin(base, f"{page}.html"))
    assert browser.execute_script("return document.readyState") == "complete"


@pytest.mark.parametrize("page", pages())
def test_page_loads_with_its_plots_and_working_links(browser, server, page):
    open_page(browser, server, page)
    assert browser.find_elements("css selector", "main h1"), f"{page} has a heading"
    images = browser.execute_script(
        "return Array.from(document.querySelectorAll('main img'))"
        ".map(img => [img.currentSrc, img.complete, img.naturalWidth, img.naturalHeight]);"
    )
    for src, complete, width, height in images:
        assert complete and width > 0 and height > 0, (
            f"{page}: image {src} did not render"
        )
    hrefs = browser.execute_script(
        "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);"
    )
    internal = {href.split("#")[0] for href in hrefs if href.startswith(server)}
    for href in sorted(internal):
        try:
            with urllib.request.urlopen(href) as response:
                assert response.status == 200, href
        except urllib.error.HTTPError as error:
            pytest.fail(f"{page} links to {href}, which answers {error.code}")


@pytest.mark.parametrize("page", chapters())
def test_chapter_has_colab_and_binder_buttons_for_the_configured_repository(
    browser, server, page
):
    """Both launch buttons open this chapter from the repository of the one setting."""
    owner_name = repository.configured_url(REPO).removeprefix("https://github.com/")
    open_page(browser, server, page)
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);"
    )
    colab = [
        href for href in links if href.startswith("https://colab.research.google.com/")
    ]
    binder = [href for href in links if href.startswith("https://mybinder.org/")]
    assert colab, f"{page} has an open-in-Colab button"
    assert binder, f"{page} has an open-in-Binder button"
    for href in colab:
        assert href.startswith(
            f"https://colab.research.google.com/github/{owner_name}/"
        ), href
        assert href.endswith(f"/{page}.ipynb"), href
    for href in binder:
        assert href.startswith(f"https://mybinder.org/v2/gh/{owner_name}/"), href
        assert urllib.parse.unquote(href).endswith(f"{page}.ipynb"), href


@pytest.mark.parametrize("page", pages())
def test_footer_shows_the_licenses(browser, server, page):
    open_page(browser, server, page)
    footer = browser.execute_script(
        "return Array.from(document.querySelectorAll('footer a[href]'))"
        ".filter(a => a.offsetParent !== null).map(a => [a.textContent.trim(), a.href]);"
    )
    assert ["CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"] in footer, (
        footer
    )
    assert [
        "Apache License 2.0",
        "https://www.apache.org/licenses/LICENSE-2.0",
    ] in footer, footer
    text = browser.execute_script(
        "return Array.from(document.querySelectorAll('footer')).map(f => f.innerText).join('\\n');"
    )
    assert "MovieLens" in text, "the footer says the data is under GroupLens's terms"


def open_at(browser, base: str, page: str, metrics: dict) -> None:
    """Open a page in a viewport of the given size (Chromium's device emulation)."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    open_page(browser, base, page)


def screenshot(browser, page: str, metrics: dict) -> Path:
    """The whole page (up to SCREENSHOT_MAX_HEIGHT) at the viewport's width."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    height = min(height, SCREENSHOT_MAX_HEIGHT)
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {**metrics, "height": height}
    )
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "clip": {
                "x": 0,
                "y": 0,
                "width": metrics["width"],
                "height": height,
                "scale": 1,
            }
        },
    )
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / f"{Path(page).name}-{metrics['width']}.png"
    target.write_bytes(base64.b64decode(shot["data"]))
    return target


TOO_WIDE = """
const wideTag = arguments[0];
const found = [];
const cells = Array.from(document.querySelectorAll('main div.cell'));
function longest(el) {
  const lines = (el.textContent || '').split('\\n');
  return lines.reduce((a, b) => (b.length > a.length ? b : a), '');
}
function check(el, what) {
  const container = el.parentElement;
  const over = Math.max(
    el.scrollWidth - el.clientWidth,
    el.getBoundingClientRect().right - container.getBoundingClientRect().right
  );
  if (over > 1) {
    const cell = el.closest('div.cell');
    const where = cell ? `cell ${cells.indexOf(cell) + 1}` : 'markdown';
    const line = longest(el);
    found.push(`${where}, ${what} ${Math.round(over)} px too wide ` +
      `(longest line ${line.length} characters: ${line.trim().slice(0, 100)})`);
  }
}
for (const cell of cells) {
  cell.querySelectorAll('.cell_input pre').forEach(el => check(el, 'code'));
  if (cell.classList.contains('tag_' + wideTag)) continue;
  cell.querySelectorAll('.cell_output pre').forEach(el => check(el, 'text output'));
  cell.querySelectorAll('.cell_output .output').forEach(el => check(el, 'output'));
  cell.querySelectorAll('.cell_output table').forEach(el => check(el, 'table'));
}
document.querySelectorAll('main div.highlight pre').forEach(el => {
  if (!el.closest('div.cell')) check(el, 'code block');
});
return found;
"""


@pytest.mark.parametrize("page", pages())
def test_page_fits_the_column_at_1280_and_shows_no_bookkeeping(browser, server, page):
    """At 1280 x 800 no code cell, code block, text output or table is wider than its
    container (except outputs of cells tagged ``wide-table``); no number is printed
    with six zero decimals; no bookkeeping call is on the page."""
    open_at(browser, server, page, DESKTOP)
    screenshot(browser, page, DESKTOP)
    problems = browser.execute_script(TOO_WIDE, WIDE_TAG)
    text = browser.execute_script("return document.querySelector('main').innerText;")
    problems += [
        f"a number with six zero decimals: {match}"
        for match in re.findall(r"\d+\.0{6}\b", text)
    ]
    if page != API_PAGE:  # the API reference documents recbook.glue.record itself
        everything = browser.execute_script(
            "return document.querySelector('main').textContent;"
        )
        problems += [
            f"{call} is on the page" for call in BOOKKEEPING if call in everything
        ]
    assert not problems, f"{page}:\n" + "\n".join(problems)


@pytest.mark.parametrize("page", pages())
def test_page_shows_its_title_on_a_phone(browser, server, page):
    """At a 390 px phone width the page loads and its title is on the first screen."""
    try:
        open_at(browser, server, page, PHONE)
        screenshot(browser, page, PHONE)
        title = browser.execute_script(
            "const h = document.querySelector('main h1');"
            "if (!h) return null; const r = h.getBoundingClientRect();"
            "return [h.innerText, r.left, r.right, r.top, r.bottom, "
            "getComputedStyle(h).visibility, window.innerWidth];"
        )
    finally:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DESKTOP)
    assert title, f"{page} has a title"
    text, left, right, top, bottom, visibility, width = title
    assert width == PHONE["width"]
    assert text.strip() and visibility == "visible", page
    assert left >= 0 and right <= width + 1, f"{page}: title {left}-{right} of {width}"
    assert 0 <= top and bottom <= PHONE["height"], f"{page}: title at {top}-{bottom}"


def test_results_page_shows_every_verdict_without_scrolling(browser, server):
    """Every comparison's verdict is inside the column and the viewport at 1280 px."""
    from recbook import results_page

    expected = len(results_page.comparisons(REPO / "notebooks"))
    open_at(browser, server, RESULTS_PAGE, DESKTOP)
    verdicts = browser.execute_script(
        """
        const table = Array.from(document.querySelectorAll('main table')).find(t =>
          Array.from(t.querySelectorAll('thead th')).some(th => th.innerText.trim() === 'verdict'));
        if (!table) return null;
        const heads = Array.from(table.querySelectorAll('thead th')).map(th => th.innerText.trim());
        const column = heads.indexOf('verdict');
        const output = table.closest('.output') || table.parentElement;
        const box = output.getBoundingClientRect();
        return Array.from(table.querySelectorAll('tbody tr')).map(row => {
          const cell = row.children[column];
          const r = cell.getBoundingClientRect();
          return [cell.innerText.trim(), r.right <= Math.min(box.right, window.innerWidth) + 1,
                  output.scrollWidth <= output.clientWidth + 1];
        }).filter(([text]) => text);
        """
    )
    assert verdicts is not None, "the results page has a table with a verdict column"
    assert len(verdicts) == expected, "a verdict for every comparison"
    hidden = [
        text for text, inside, no_scroll in verdicts if not (inside and no_scroll)
    ]
    assert not hidden, f"verdicts past the column's edge: {hidden}"
    words = ("within", "outside", "met", "not met", "context")
    assert all(text.split(" ±")[0] in words for text, _, _ in verdicts), verdicts
