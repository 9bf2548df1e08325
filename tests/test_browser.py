"""The built site, read in headless Chromium as a reader would, at 1280 x 800 and at a
390 px phone width: pages, plots, links, launch links (Colab and Binder), the license
footer, and what a reader would notice:

- figures: every image of the article shown at >= 90% of the width it was drawn for at
  1280 px (never scaled down), with a caption (the ``<figcaption>`` of its ``<figure>``,
  as the figure directive and MyST-NB's ``glue:figure`` make it) and alt text that says
  what it shows (not a file name, a hash or matplotlib's ``<Figure size ...>``); every
  chapter figure is an SVG or a PNG with at least twice the pixels it is shown at
  (sharp on a HiDPI screen; the stored notebooks hold 2x PNGs, ``recbook.plots.setup``),
  and a link to its own file (it opens full size);
- width: no table or listing wider than the content column unless it is inside a
  scrolling container that fits the column; at 1280 px code and printed output fit
  without scrolling (88 columns), and a table that scrolls keeps its first column in
  view (sticky). No cell tag exempts anything (``wide-table`` is retired);
- tables: no ``NaN`` cell and no snake_case header (``accuracy_all_std``; an
  identifier set as code in a header is meant);
- no stderr (or error) output block on any page;
- length: a chapter is at most 15 screens at 1280 x 800; the chapters still longer
  (``LONGER_FOR_NOW``, issue #27) may not grow past their bound;
- accessibility: axe-core (``AXE_CORE_VERSION`` of ``.ci/run``) with 0 critical and 0
  serious findings;
- numbers printed as ``623744.000000``, bookkeeping calls (``glue.record(``) on the
  page, results whose verdict needs scrolling to see, pages whose title a phone does
  not show, and the "Open in Colab" / "View source on GitHub" links under every
  chapter's title.

Needs Chromium and its driver: Debian's ``chromium`` and ``chromium-driver`` on PATH
(``.ci/run`` installs them), or the browser and driver named by ``RECBOOK_CHROMIUM`` and
``RECBOOK_CHROMEDRIVER`` (GitHub's workflow names the runner's Chrome and ChromeDriver
so); and axe-core, which ``.ci/run`` installs from npm into ``build/npm`` (or the
``axe.min.js`` named by ``RECBOOK_AXE``; with npm on PATH the test installs the pinned
version itself). The tests are skipped without them, except in CI, where they fail. A
screenshot of every page at both widths is saved to ``build/artifacts/``
(``<page>-1280.png``, ``<page>-390.png``, ``api-<module>-390.png``; CI keeps them), also
when a check fails.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from recbook import checks
from recbook_tools import repository

import pytest
import yaml

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
WIDTHS = {"1280": DESKTOP, "390": PHONE}
SCREENSHOT_MAX_HEIGHT = 16_000
"""Screenshots stop there."""
RESULTS_PAGE = "notebooks/11_results"
API_PAGE = "book/api"
BOOKKEEPING = ("glue.record(", "results.record(")
MAX_SCREENS = 15
"""A chapter is at most this many screens long at 1280 x 800 (issue #27)."""
LONGER_FOR_NOW = {
    "notebooks/03_retrieval_towers": 22,
    "notebooks/05_training_towers": 27,
    "notebooks/06_memory_efficient_embeddings": 39,
}
"""The chapters still longer, each with the screens it may not grow past until it is
split (issue #27); a bound is lowered whenever its chapter shrinks by two screens."""
MIN_SHOWN_SHARE = 0.9
"""At 1280 px an image is shown at least at this share of the width it was drawn for
(its natural width, or half of it for a 2x PNG: :func:`drawn_width`)."""
PIXEL_DENSITY = 2
"""A chapter's PNG figure has at least this many pixels per CSS pixel it is shown at."""
AXE_FAILING_IMPACTS = ("critical", "serious")
AXE_DIR = REPO / "build" / "npm"
"""Where ``.ci/run`` installs axe-core (``npm install --prefix build/npm``)."""

pytestmark = pytest.mark.site


def axe_version() -> str:
    """The axe-core version ``.ci/run`` pins (``AXE_CORE_VERSION=...``)."""
    found = re.search(
        r"^AXE_CORE_VERSION=([0-9][0-9.]*)$",
        (REPO / ".ci" / "run").read_text(),
        re.MULTILINE,
    )
    assert found, ".ci/run pins AXE_CORE_VERSION"
    return found.group(1)


def chapters() -> list[str]:
    return re.findall(r"file: (notebooks/\S+)\.ipynb", (REPO / "_toc.yml").read_text())


def api_pages() -> list[str]:
    """The API reference's module pages (written by book/_ext/recbook_site.py)."""
    sys.path.insert(0, str(REPO / "book" / "_ext"))
    import recbook_site

    return [
        f"{recbook_site.API_FOLDER}/{recbook_site.short_name(name)}"
        for name in recbook_site.modules(REPO)
    ]


def pages() -> list[str]:
    return [
        "book/intro",
        *re.findall(r"file: (\S+?)(?:\.ipynb)?\n", (REPO / "_toc.yml").read_text()),
        *api_pages(),
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
    session.set_script_timeout(300)
    yield session
    session.quit()


@pytest.fixture(scope="module")
def axe() -> str:
    """The source of axe-core's ``axe.min.js``, of the version ``.ci/run`` pins."""
    version = axe_version()
    named = os.environ.get("RECBOOK_AXE")
    script = (
        Path(named) if named else AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    )
    if not named and not script.is_file() and shutil.which("npm"):
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(AXE_DIR),
                "--no-save",
                "--no-audit",
                "--no-fund",
                f"axe-core@{version}",
            ],
            check=False,
            capture_output=True,
            timeout=300,
        )
    if not script.is_file():
        message = (
            f"axe-core {version} is not installed: npm install --prefix build/npm "
            f"axe-core@{version} (as .ci/run does), or name axe.min.js in RECBOOK_AXE"
        )
        if checks.in_ci():
            pytest.fail(message)
        pytest.skip(message)
    if not named:
        package = json.loads((script.parent / "package.json").read_text())
        assert package["version"] == version, (
            f"build/npm holds axe-core {package['version']}; .ci/run pins {version}"
        )
    return script.read_text(encoding="utf-8")


def open_page(browser, base: str, page: str) -> None:
    """Open a page and wait until it has loaded (images, styles and scripts)."""
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(urllib.parse.urljoin(base, f"{page}.html"))
    WebDriverWait(browser, 60).until(
        lambda driver: driver.execute_script("return document.readyState") == "complete"
    )


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
    name = page.removeprefix("notebooks/").removeprefix("book/").replace("/", "-")
    target = ARTIFACTS / f"{name}-{metrics['width']}.png"
    target.write_bytes(base64.b64decode(shot["data"]))
    return target


SURVEY = """
const main = document.querySelector('main');
const article = document.querySelector('main article.bd-article') || main;
const box = article.getBoundingClientRect();
const style = getComputedStyle(article);
const columnLeft = box.left + parseFloat(style.paddingLeft);
const columnRight = box.right - parseFloat(style.paddingRight);
const cells = Array.from(article.querySelectorAll('div.cell'));
const text = el => (el.innerText || el.textContent || '').replace(/\\s+/g, ' ').trim();
function where(el) {
  const cell = el.closest('div.cell');
  const section = el.closest('section[id]');
  const place = section ? `section #${section.id}` : 'page';
  return cell ? `cell ${cells.indexOf(cell) + 1} (${place})` : place;
}
function scroller(el) {
  // The nearest ancestor inside the article that scrolls horizontally.
  for (let up = el.parentElement; up && up !== article; up = up.parentElement) {
    const overflow = getComputedStyle(up).overflowX;
    if (overflow === 'auto' || overflow === 'scroll') return up;
  }
  return null;
}
function longest(el) {
  const lines = (el.textContent || '').split('\\n');
  return lines.reduce((a, b) => (b.length > a.length ? b : a), '').trim();
}
function listing(el, kind) {
  const r = el.getBoundingClientRect();
  const s = getComputedStyle(el);
  const line = longest(el);
  return {kind, where: where(el), right: r.right, left: r.left,
          width: r.width, scroll: el.scrollWidth - el.clientWidth,
          scrolls: s.overflowX === 'auto' || s.overflowX === 'scroll',
          line: line.slice(0, 100), length: line.length};
}
const listings = [];
article.querySelectorAll('.cell_input pre').forEach(el => listings.push(listing(el, 'code')));
article.querySelectorAll('div.highlight pre').forEach(el => {
  if (!el.closest('div.cell')) listings.push(listing(el, 'code block'));
});
article.querySelectorAll('.cell_output pre').forEach(el => {
  if (!el.closest('table')) listings.push(listing(el, 'printed output'));
});
const tables = Array.from(article.querySelectorAll('table')).map(table => {
  const r = table.getBoundingClientRect();
  const up = scroller(table);
  const u = up ? up.getBoundingClientRect() : null;
  const heads = Array.from(table.querySelectorAll('th')).map(th => {
    const plain = th.cloneNode(true);
    plain.querySelectorAll('code, kbd, samp').forEach(c => c.remove());
    return [text(th), text(plain)];
  });
  const nan = Array.from(table.querySelectorAll('td, th'))
    .map(text).filter(t => /^(NaN|nan|<NA>|NaT)$/.test(t));
  const first = table.querySelector('tbody tr > :first-child') ||
                table.querySelector('tr > :first-child');
  const caption = table.querySelector('caption');
  return {where: where(table), right: r.right, width: r.width,
          heading: heads.slice(0, 6).map(h => h[0]).join(' | ').slice(0, 120),
          caption: caption ? text(caption).slice(0, 80) : '',
          scroller: up ? {right: u.right, width: u.width,
                          overflow: up.scrollWidth - up.clientWidth} : null,
          sticky: first ? getComputedStyle(first).position === 'sticky' : false,
          heads, nan};
});
const images = Array.from(article.querySelectorAll('img')).map(img => {
  const r = img.getBoundingClientRect();
  const figure = img.closest('figure');
  const caption = figure ? figure.querySelector('figcaption') : null;
  const link = img.closest('a[href]');
  return {where: where(img), src: img.currentSrc || img.src,
          alt: img.getAttribute('alt'), natural: img.naturalWidth, shown: r.width,
          right: r.right, caption: caption ? text(caption) : null,
          figure: !!figure, link: link ? link.href : null};
});
const stderr = Array.from(article.querySelectorAll(
  'div.output.stderr, div.output.traceback, div.output.error')).map(el =>
  ({where: where(el), kind: el.classList.contains('stderr') ? 'stderr' : 'error',
    line: text(el).slice(0, 160)}));
const outputs = Array.from(article.querySelectorAll('.cell_output > .output')).map(el => {
  const r = el.getBoundingClientRect();
  return {where: where(el), right: r.right, kind: el.className};
});
const links = Array.from(article.querySelectorAll('a[href]')).map(a => {
  const r = a.getBoundingClientRect();
  return {text: text(a), href: a.href, top: r.top, bottom: r.bottom,
          visible: a.offsetParent !== null && r.width > 0};
});
const sideways = [];
article.querySelectorAll('*').forEach(el => {
  const r = el.getBoundingClientRect();
  if (r.width > 0 && r.right > window.innerWidth + 1 && !scroller(el) &&
      el.parentElement.getBoundingClientRect().right <= window.innerWidth + 1) {
    sideways.push(`${where(el)}, <${el.tagName.toLowerCase()}> ` +
                  `${text(el).slice(0, 60)} (to ${Math.round(r.right)} px)`);
  }
});
return {columnLeft, columnRight, viewport: window.innerWidth,
        pageWidth: document.documentElement.scrollWidth, sideways,
        viewportHeight: window.innerHeight,
        pageHeight: document.documentElement.scrollHeight, listings, tables, images, stderr,
        outputs, links, text: main.innerText, content: main.textContent};
"""
"""One pass over a page: what the checks below measure (positions in CSS pixels)."""

AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(
  result => done(result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' '))}))),
  error => done({error: String(error)}));
"""


@pytest.fixture(scope="module")
def survey(browser, server, axe):
    """``survey(page, width)``: the page opened at that width (a screenshot saved),
    measured by :data:`SURVEY` and checked by axe; each page and width once."""
    done: dict[tuple[str, str], dict] = {}

    def measure(page: str, width: str) -> dict:
        if (page, width) not in done:
            metrics = WIDTHS[width]
            try:
                open_at(browser, server, page, metrics)
                screenshot(browser, page, metrics)
                found = browser.execute_script(SURVEY)
                browser.execute_script(axe)
                found["axe"] = browser.execute_async_script(AXE_RUN)
            finally:
                browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DESKTOP)
            done[page, width] = found
        return done[page, width]

    return measure


def test_axe_core_is_pinned_in_ci():
    """``.ci/run`` installs the axe-core version the tests use, from npm."""
    version = axe_version()
    run = (REPO / ".ci" / "run").read_text()
    assert '"axe-core@${AXE_CORE_VERSION}"' in run and "npm install" in run, version


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


def launch_addresses(page: str) -> tuple[str, str, str]:
    """The chapter's Colab, GitHub source and Binder addresses, from the one setting."""
    url = repository.configured_url(REPO)
    owner_name = url.removeprefix("https://github.com/")
    branch = yaml.safe_load((REPO / "_config.yml").read_text())["repository"]["branch"]
    return (
        f"https://colab.research.google.com/github/{owner_name}/blob/{branch}/{page}.ipynb",
        f"{url}/blob/{branch}/{page}.py",
        f"https://mybinder.org/v2/gh/{owner_name}/",
    )


@pytest.mark.parametrize("page", chapters())
def test_chapter_has_colab_and_binder_buttons_for_the_configured_repository(
    browser, server, page
):
    """Both launch buttons open this chapter from the repository of the one setting."""
    colab_address, _, binder_prefix = launch_addresses(page)
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
        assert href == colab_address, href
    for href in binder:
        assert href.startswith(binder_prefix), href
        assert urllib.parse.unquote(href).endswith(f"{page}.ipynb"), href


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", chapters())
def test_chapter_shows_open_in_colab_and_its_source_under_its_title(
    survey, page, width
):
    """Visible text links "Open in Colab" and "View source on GitHub" on the first
    screen, to this chapter in the configured repository (keras.io's manner)."""
    found = survey(page, width)
    colab, source, _ = launch_addresses(page)
    for text, address in (("Open in Colab", colab), ("View source on GitHub", source)):
        link = [a for a in found["links"] if a["text"] == text]
        assert link, f"{page}: no link {text!r}"
        assert link[0]["href"] == address, (text, link[0]["href"])
        assert link[0]["visible"] and 0 <= link[0]["top"], (page, text, link[0])
        assert link[0]["bottom"] <= found["viewportHeight"], (
            f"{page} at {width} px: {text!r} is below the first screen"
        )


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


def report(page: str, width: str, problems: list[str]) -> str:
    return f"{page} at {width} px:\n" + "\n".join(problems)


FILE_NAME = re.compile(
    r"(^|[/\\])[^/\\\s]+\.(png|jpe?g|gif|svg|webp)$|^[0-9a-f]{16,}$|^<Figure size",
    re.IGNORECASE,
)
"""Alt text that names a file (``../_images/345c...de7.png``), a hash, or matplotlib's
repr (``<Figure size 640x480 with 1 Axes>``) instead of saying what a figure shows."""


def alt_problem(alt: str | None, src: str) -> str | None:
    """Why an image's alt text does not describe it, or None."""
    if alt is None or not alt.strip():
        return "no alt text"
    stem = Path(urllib.parse.urlparse(src).path).stem
    if FILE_NAME.search(alt.strip()) or alt.strip() in (stem, Path(src).name):
        return f"alt text is a file name ({alt.strip()[:60]!r})"
    return None


@functools.cache
def stored_pngs() -> dict[str, dict]:
    """Every PNG output of the stored chapters, by the file name the site gives it
    (MyST-NB: the SHA-256 of its bytes, ``.png``): its ``chapter``, its ``pixels``
    (width of the PNG) and its ``width`` in the output's metadata (None without one:
    a 1x PNG of the inline backend's default)."""
    from PIL import Image

    found = {}
    for chapter in chapters():
        notebook = json.loads((REPO / f"{chapter}.ipynb").read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            for output in cell.get("outputs", []):
                encoded = output.get("data", {}).get("image/png")
                if not encoded:
                    continue
                png = base64.b64decode("".join(encoded))
                with Image.open(io.BytesIO(png)) as image:
                    pixels = image.size[0]
                metadata = output.get("metadata", {}).get("image/png", {})
                found[f"{hashlib.sha256(png).hexdigest()}.png"] = {
                    "chapter": chapter,
                    "pixels": pixels,
                    "width": metadata.get("width"),
                }
    return found


def drawn_width(image: dict) -> float:
    """The width in CSS pixels an image of the page was drawn for: the ``width`` of its
    stored notebook output (a 2x PNG is drawn for half its pixels), else its natural
    width."""
    name = Path(urllib.parse.urlparse(image["src"]).path).name
    return (stored_pngs().get(name) or {}).get("width") or image["natural"]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", pages())
def test_figures_are_shown_full_size_with_a_caption_and_alt_text(survey, page, width):
    """At 1280 px every image of the article is shown at >= 90% of the width it was
    drawn for (:func:`drawn_width`); at both widths every figure image has a caption
    (its ``<figure>``'s ``<figcaption>``, with text) and alt text that is not a file
    name."""
    found = survey(page, width)
    problems = []
    for image in found["images"]:
        name = Path(urllib.parse.urlparse(image["src"]).path).name
        label = f"{image['where']}, image {name[:24]}"
        if width == "1280" and image["natural"]:
            drawn = drawn_width(image)
            share = image["shown"] / drawn
            if share < MIN_SHOWN_SHARE:
                problems.append(
                    f"{label}: shown at {image['shown']:.0f} of the {drawn:.0f} px it "
                    f"was drawn for ({share:.0%}; at least {MIN_SHOWN_SHARE:.0%})"
                )
        if not image["caption"]:
            where = "empty figcaption" if image["figure"] else "no figure/figcaption"
            problems.append(f"{label}: no caption ({where})")
        why = alt_problem(image["alt"], image["src"])
        if why:
            problems.append(f"{label}: {why}")
    assert not problems, report(page, width, problems)


# Passes only once the chapters are re-executed with recbook.plots.setup()'s 2x PNGs
# (until then their stored PNGs are 1x and this test fails: it must, not skip).
@pytest.mark.parametrize("page", chapters())
def test_figures_are_sharp_and_open_full_size(survey, page):
    """At 1280 px every figure of a chapter is an SVG or has at least
    :data:`PIXEL_DENSITY` times the pixels of its shown width (sharp on a HiDPI
    screen), and is a link to its own file (a tap or click opens it full size). A PNG
    stored at 1x in the chapter's notebook is named as such."""
    found = survey(page, "1280")
    problems = []
    for image in found["images"]:
        name = Path(urllib.parse.urlparse(image["src"]).path).name
        label = f"{image['where']}, image {name[:24]}"
        stored = stored_pngs().get(name)
        if not name.lower().endswith(".svg"):
            if image["natural"] < PIXEL_DENSITY * image["shown"] - 1:
                problems.append(
                    f"{label}: {image['natural']} px for {image['shown']:.0f} px shown "
                    f"(at least {PIXEL_DENSITY}x)"
                )
            if stored and stored["pixels"] != PIXEL_DENSITY * (stored["width"] or 0):
                problems.append(
                    f"{label}: stored at 1x in {stored['chapter']}.ipynb: re-execute "
                    "the chapter (recbook-run) after recbook.plots.setup() makes 2x PNGs"
                )
        if image["link"] != image["src"]:
            problems.append(f"{label}: not a link to its own file ({image['link']})")
    stores = any(png["chapter"] == page for png in stored_pngs().values())
    assert found["images"] or not stores, f"{page}: its stored figures are not shown"
    assert not problems, report(page, "1280", problems)


# Passes only once the chapters are re-executed with recbook.plots.setup()'s 2x PNGs.
@pytest.mark.parametrize("page", chapters())
def test_stored_figures_are_2x_pngs_of_the_column_width(page):
    """Every PNG a chapter's notebook stores has twice the pixels of the width in its
    metadata, which is at most the column's (``recbook.plots.setup``'s retina PNGs).
    Fails, naming each 1x PNG, until the chapter is re-executed after that change."""
    from recbook import plots

    stored = [png for png in stored_pngs().values() if png["chapter"] == page]
    problems = [
        f"a PNG of {png['pixels']} px with metadata width {png['width']}"
        for png in stored
        if png["width"] is None
        or png["pixels"] != PIXEL_DENSITY * png["width"]
        or png["width"] > plots.COLUMN_PX
    ]
    assert not problems, (
        f"{page}.ipynb stores 1x or over-wide figures (re-execute it: recbook-run): "
        + "; ".join(problems)
    )


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", pages())
def test_tables_and_listings_fit_the_column(survey, page, width):
    """No table, listing or output is wider than the content column unless it is inside
    a scrolling container that fits the column. At 1280 px code, printed output and
    every table fit without scrolling (88 columns of code fit, ruff). At 390 px a table
    may scroll inside its own output (the site keeps a notebook table's first column in
    view), and a listing inside its own block (so indentation is never broken)."""
    found = survey(page, width)
    right = found["columnRight"] + 1
    problems = []
    wide = max(found["viewport"], found["pageWidth"])
    if wide > WIDTHS[width]["width"] + 1:
        problems.append(
            f"the page is {wide} px wide in a {width} px window (it scrolls sideways): "
            + "; ".join(found["sideways"][:4])
        )
    for item in found["listings"]:
        what = f"{item['where']}, {item['kind']}"
        longest = f"(longest line {item['length']} characters: {item['line']})"
        if item["right"] > right:
            problems.append(
                f"{what}: its box ends {item['right'] - right + 1:.0f} px past the column"
            )
        elif item["scroll"] > 1 and (width == "1280" or not item["scrolls"]):
            problems.append(
                f"{what}: {item['scroll']} px wider than its box {longest}"
                + ("" if item["scrolls"] else ", and the box does not scroll")
            )
    for table in found["tables"]:
        what = f"{table['where']}, table [{table['heading']}]"
        up = table["scroller"]
        if up is None or up["right"] > right:
            if table["right"] > right:
                problems.append(
                    f"{what}: {table['right'] - right + 1:.0f} px past the column "
                    f"({table['width']:.0f} px wide), not in a scrolling container"
                    + ("" if up is None else " that fits the column")
                )
        elif up["overflow"] > 1 and width == "1280":
            problems.append(
                f"{what}: {up['overflow']} px of it hidden at full width (every column "
                "must show without scrolling)"
            )
    for output in found["outputs"]:
        if output["right"] > right:
            problems.append(
                f"{output['where']}, output ({output['kind']}): "
                f"{output['right'] - right + 1:.0f} px past the column"
            )
    assert not problems, report(page, width, problems)


SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
"""A header written as an identifier (``accuracy_all_std``)."""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", pages())
def test_tables_have_no_nan_and_human_headers(survey, page, width):
    """No rendered table has a ``NaN`` (``nan``, ``<NA>``, ``NaT``) cell or a
    snake_case header (outside code set in the header)."""
    problems = []
    for table in survey(page, width)["tables"]:
        what = f"{table['where']}, table [{table['heading']}]"
        if table["nan"]:
            problems.append(f"{what}: {len(table['nan'])} NaN cells")
        snake = sorted(
            {
                match
                for _, plain in table["heads"]
                for match in SNAKE_CASE.findall(plain)
            }
        )
        if snake:
            problems.append(f"{what}: snake_case headers {snake[:8]}")
    assert not problems, report(page, width, problems)


@pytest.mark.parametrize("page", pages())
def test_page_shows_no_stderr(survey, page):
    """No output block of stderr (a warning, a log line) or of an error on the page."""
    blocks = survey(page, "1280")["stderr"]
    assert not blocks, report(
        page,
        "1280",
        [f"{b['where']}: {b['kind']} output: {b['line']}" for b in blocks],
    )


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", pages())
def test_axe_finds_nothing_critical_or_serious(survey, page, width):
    """axe-core (every rule it runs by default) reports no critical or serious finding."""
    found = survey(page, width)["axe"]
    assert not (isinstance(found, dict) and "error" in found), found
    failing = [
        f"{v['impact']} {v['id']} ({v['help']}), {len(v['nodes'])} elements: "
        + "; ".join(v["nodes"][:4])
        for v in found
        if v["impact"] in AXE_FAILING_IMPACTS
    ]
    assert not failing, report(page, width, failing)


@pytest.mark.parametrize("page", pages())
def test_page_shows_no_bookkeeping_or_six_zero_decimals(survey, page):
    """No number is printed with six zero decimals; no bookkeeping call is on the page
    (the API reference documents ``recbook.glue.record`` itself)."""
    found = survey(page, "1280")
    problems = [
        f"a number with six zero decimals: {match}"
        for match in re.findall(r"\d+\.0{6}\b", found["text"])
    ]
    if page != API_PAGE and not page.startswith(f"{API_PAGE}/"):
        problems += [
            f"{call} is on the page" for call in BOOKKEEPING if call in found["content"]
        ]
    assert not problems, report(page, "1280", problems)


@pytest.mark.parametrize("page", pages())
def test_page_shows_its_title_on_a_phone(browser, server, page):
    """At a 390 px phone width the page loads and its title is on the first screen."""
    try:
        open_at(browser, server, page, PHONE)
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
    """Every answered comparison's verdict is inside the column and the viewport at 1280
    px, in the page's first table with a verdict column (the context rows follow in a
    collapsed one)."""
    from recbook_tools import results_page

    comparisons = results_page.comparisons(REPO / "notebooks")
    expected = int((comparisons["verdict"] != "context").sum())
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
    words = ("within", "outside", "met", "not met")
    assert all(text.split(" ±")[0] in words for text, _, _ in verdicts), verdicts


MATHS_PAGE = "notebooks/03_retrieval_towers"
"""A page with inline and display maths (the two towers' score)."""

MATHJAX_TYPESET = """
const done = arguments[arguments.length - 1];
if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise) {
  done({error: 'MathJax did not start (its script was not loaded)'});
  return;
}
MathJax.startup.promise.then(() => document.fonts.ready).then(() => {
  const maths = Array.from(document.querySelectorAll('main .math'));
  done({
    maths: maths.length,
    containers: document.querySelectorAll('main mjx-container').length,
    display: document.querySelectorAll('main mjx-container[display="true"]').length,
    raw: maths.filter(el => !el.querySelector('mjx-container'))
              .map(el => el.textContent.trim().slice(0, 80)),
    errors: Array.from(document.querySelectorAll('main mjx-merror'))
              .map(el => el.textContent.slice(0, 80)),
  });
}, error => done({error: String(error)}));
"""
"""Once MathJax has typeset the page: the maths elements Sphinx wrote, MathJax's
containers, maths left as TeX, and MathJax's error boxes."""

LOADED = (
    "return performance.getEntriesByType('navigation')"
    ".concat(performance.getEntriesByType('resource'))"
    ".map(e => [e.name, e.responseStatus || 0]);"
)
"""Every address the page loaded (Resource Timing), with the HTTP status."""

NAMED = (
    "return Array.from(document.querySelectorAll('script[src], link[href]'))"
    ".filter(el => el.tagName === 'SCRIPT' || "
    "/stylesheet|preload|icon/.test(el.rel)).map(el => el.src || el.href);"
)
"""The scripts, stylesheets, preloads and icons the page names."""


def off_site(addresses: list[str]) -> list[str]:
    """The addresses not on the local server (127.0.0.1)."""
    return [
        address
        for address in addresses
        if urllib.parse.urlparse(address).hostname != "127.0.0.1"
    ]


def mathjax_failures(loaded: list[list], server: str) -> list[str]:
    """MathJax's components and fonts that the site did not serve (status >= 400)."""
    folder = urllib.parse.urljoin(server, "_static/mathjax/")
    return [
        f"{name} answered {status}"
        for name, status in loaded
        if name.startswith(folder) and status >= 400
    ]


def typeset(browser) -> dict:
    found = browser.execute_async_script(MATHJAX_TYPESET)
    assert "error" not in found, found["error"]
    return found


def test_maths_is_typeset_by_mathjax_from_the_site_alone(browser, server):
    """The chapter 3 page's maths is rendered by MathJax (``mjx-container``, display
    maths included, none left as TeX, no error box), and the page loaded nothing
    from outside 127.0.0.1: MathJax, its fonts and every script come from the site."""
    open_page(browser, server, MATHS_PAGE)
    found = typeset(browser)
    assert found["maths"] >= 10, f"{MATHS_PAGE} has maths ({found})"
    assert found["containers"] >= found["maths"], found
    assert found["display"] >= 1, "the display maths is typeset as display maths"
    assert not found["raw"], f"maths left as TeX: {found['raw']}"
    assert not found["errors"], f"MathJax errors: {found['errors']}"
    loaded = browser.execute_script(LOADED)
    names = [name for name, _ in loaded]
    assert any(name.endswith(".woff") for name in names), "MathJax's fonts"
    assert not off_site(names), f"loaded from the network: {off_site(names)}"
    assert not off_site(browser.execute_script(NAMED))
    assert not mathjax_failures(loaded, server)


MENU_CHOICES = {"collapsible": True, "explorer": True, "renderer": "SVG"}
"""MathJax menu settings that load more of MathJax: the accessibility tools (with the
speech rule engine and its rules) and the SVG renderer."""

MENU_CHOOSE = """
const [choices, done] = [arguments[0], arguments[arguments.length - 1]];
try {
  const pool = MathJax.startup.document.menu.menu.pool;
  for (const [name, value] of Object.entries(choices)) pool.lookup(name).setValue(value);
  MathJax.loader.ready('a11y/complexity', 'a11y/explorer', 'output/svg').then(
    () => done('ready'), error => done(String(error)));
} catch (error) { done(String(error)); }
"""

MENU_SETTINGS = "MathJax-Menu-Settings"
"""Where MathJax's menu keeps a reader's choices (localStorage)."""


def test_maths_menu_loads_its_choices_from_the_site(browser, server):
    """What MathJax's menu loads when a reader turns on its accessibility tools or the
    SVG renderer is on the site too (``MATHJAX_PARTS`` of ``book/_ext/recbook_site.py``):
    all of it answered from 127.0.0.1, and the maths is then drawn as SVG."""
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(browser, server, MATHS_PAGE)
    try:
        typeset(browser)
        assert browser.execute_async_script(MENU_CHOOSE, MENU_CHOICES) == "ready"
        WebDriverWait(browser, 60).until(
            lambda driver: (
                any(
                    name.endswith("/sre/mathmaps/en.json")
                    for name, _ in driver.execute_script(LOADED)
                )
                and driver.execute_script(
                    "return document.querySelectorAll('main mjx-container svg').length"
                    " === document.querySelectorAll('main mjx-container').length"
                )
            ),
            message="the speech rules and the SVG rendering did not arrive",
        )
        loaded = browser.execute_script(LOADED)
    finally:
        browser.execute_script(f"localStorage.removeItem('{MENU_SETTINGS}');")
    names = [name for name, _ in loaded]
    for component in ("a11y/sre.js", "a11y/explorer.js", "output/svg.js"):
        assert any(name.endswith(f"/_static/mathjax/es5/{component}") for name in names)
    assert not off_site(names), f"loaded from the network: {off_site(names)}"
    assert not mathjax_failures(loaded, server)


@pytest.mark.parametrize("page", chapters())
def test_a_chapter_is_at_most_fifteen_screens(survey, page):
    """At 1280 x 800 a chapter is at most :data:`MAX_SCREENS` screens; the few still
    longer may not grow past their bound in :data:`LONGER_FOR_NOW`, which shrinks with
    them."""
    found = survey(page, "1280")
    screens = found["pageHeight"] / found["viewportHeight"]
    bound = LONGER_FOR_NOW.get(page, MAX_SCREENS)
    assert screens <= bound, (
        f"{page} is {screens:.1f} screens at 1280 x 800, over its {bound}: split the "
        "chapter, or move a secondary study to an appendix"
    )
    if page in LONGER_FOR_NOW:
        assert screens > bound - 2, (
            f"{page} shrank to {screens:.1f} screens: lower its bound in "
            f"LONGER_FOR_NOW (drop it at {MAX_SCREENS} or fewer)"
        )
        assert bound > MAX_SCREENS, f"{page}: drop it from LONGER_FOR_NOW"
