"""The built site, read in headless Chromium as a reader would: pages, plots, links,
launch buttons (Colab and Binder) and the license footer.

Needs Chromium and its driver: Debian's ``chromium`` and ``chromium-driver`` on PATH
(``.ci/run`` installs them), or the browser and driver named by ``RECBOOK_CHROMIUM`` and
``RECBOOK_CHROMEDRIVER`` (GitHub's workflow names the runner's Chrome and ChromeDriver
so). The test is skipped without them, except in CI, where it fails. A screenshot of
the retrieval chapter is saved to ``build/artifacts/``.
"""

from __future__ import annotations

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
    "--window-size=1280,2000",
)
SCREENSHOT_PAGE = "notebooks/03_retrieval_towers"

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


def test_a_chapter_screenshot_is_saved(browser, server):
    open_page(browser, server, SCREENSHOT_PAGE)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / f"{Path(SCREENSHOT_PAGE).name}.png"
    assert browser.save_screenshot(str(target))
    assert target.stat().st_size > 20_000
