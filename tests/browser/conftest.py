"""Browser fixtures: the test app served over real HTTP, and Debian's Chromium.

The server runs the session ``app`` in a background thread. Tests build their data in an
app context of their own before they browse; no app context stays open while the server
answers, so every request gets its own context and database session, as in production.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Screenshots for a person to look at; git-ignored.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _closing(app):
    """Serve ``app`` with each response's body read and closed before it is sent.

    The development server closes a response only when the client stays to the end. A browser
    that navigates away mid-download (a script still arriving when the test clicks on) would
    leave a static file open, and the run treats an unclosed file as an error. Nothing here
    streams, so reading the body first changes no response.
    """

    def serve(environ, start_response):
        response = app(environ, start_response)
        try:
            body = b"".join(response)
        finally:
            if hasattr(response, "close"):
                response.close()
        return [body]

    return serve


@pytest.fixture(scope="session")
def live_server(app):
    """The base URL of the app, served on a free local port for the whole run."""
    server = make_server("127.0.0.1", 0, _closing(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from Debian, not a browser that Playwright downloads."""
    if not CHROMIUM.exists():
        if os.environ.get("GONGJIAN_SKIP_BROWSER") == "1":
            pytest.skip(f"{CHROMIUM} is missing and GONGJIAN_SKIP_BROWSER=1")
        pytest.fail(
            f"{CHROMIUM} is missing: run `make system-deps` to install Chromium, "
            "or set GONGJIAN_SKIP_BROWSER=1 to skip the browser tests",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """Open a page in a fresh browser context (no cookies); ``new_page(viewport=...)``.

    The browser asks for Chinese, as the bank's staff's browsers do.
    """
    contexts = []

    def open_page(**options):
        options.setdefault("locale", "zh-CN")
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def eventually(check, page=None, seconds: float = 10.0) -> bool:
    """Ask ``check()`` until it is true (what the page sent has reached the database),
    for at most ``seconds``; no fixed wait that a busy machine could outlast. With a
    ``page``, the browser's events (dialogs, responses) are handled while waiting."""
    import time

    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        if page is not None:
            page.wait_for_timeout(50)
        else:
            time.sleep(0.05)
    return True
