"""The built site, read in headless Chromium as a reader would: pages, plots, links, Colab buttons.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them); the
test is skipped without them, except in CI, where it fails. A screenshot of the
retrieval chapter is saved to ``build/artifacts/``.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from recbook import checks

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "build" / "artifacts"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1280,2000")
SCREENSHOT_PAGE = "notebooks/03_retrieval_towers"

pytestmark = pytest.mark.site


def chapters() -> list[str]:
    return re.findall(r"file: (notebooks/\S+)\.ipynb", (REPO / "_toc.yml").read_text())


def pages() -> list[str]:
    return ["book/intro", *re.findall(r"file: (\S+?)(?:\.ipynb)?\n", (REPO / "_toc.yml").read_text())]


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
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        if checks.in_ci():
            pytest.fail("CI must install Debian's chromium and chromium-driver (see .ci/run).")
        pytest.skip("chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
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
        ".map(img => [img.currentSrc, img.complete, img.naturalWidth, img.naturalHeight]);")
    for src, complete, width, height in images:
        assert complete and width > 0 and height > 0, f"{page}: image {src} did not render"
    hrefs = browser.execute_script("return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);")
    internal = {href.split("#")[0] for href in hrefs if href.startswith(server)}
    for href in sorted(internal):
        try:
            with urllib.request.urlopen(href) as response:
                assert response.status == 200, href
        except urllib.error.HTTPError as error:
            pytest.fail(f"{page} links to {href}, which answers {error.code}")


@pytest.mark.parametrize("page", chapters())
def test_chapter_has_plots_and_an_open_in_colab_button(browser, server, page):
    open_page(browser, server, page)
    links = browser.execute_script("return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);")
    colab = [href for href in links if href.startswith("https://colab.research.google.com/github/")]
    assert colab, f"{page} has an open-in-Colab button"
    assert all(href.endswith(f"/{page}.ipynb") for href in colab), colab


def test_a_chapter_screenshot_is_saved(browser, server):
    open_page(browser, server, SCREENSHOT_PAGE)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / f"{Path(SCREENSHOT_PAGE).name}.png"
    assert browser.save_screenshot(str(target))
    assert target.stat().st_size > 20_000
