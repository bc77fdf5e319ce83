"""The browser harness: the app served on a free local port, and Debian's Chromium via Playwright.

Later issues reuse `live_server` and `browser` for their own pages.
"""
import threading

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.support.backends import make_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(app):  # `app` first: the schema must exist
    # The test configuration as it is, TESTING and SERVER_NAME included: the suite always served it so (an
    # earlier filter of those two keys was undone by make_app's merge), and the pages do not depend on them.
    with LiveServer(make_app()) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def is_csp_violation(message) -> bool:
    """Chromium reports what the Content-Security-Policy blocked as a console error ("Refused to …")."""
    return message.type == "error" and "Content Security Policy" in message.text


@pytest.fixture
def new_page(browser, live_server):
    """new_page(locale="en") → a page in a fresh browser context (its own cookies). Dialogs are accepted
    unless `accept_dialogs=False`. Whatever the Content-Security-Policy blocks on any page fails the test."""
    contexts, violations = [], []

    def factory(locale: str = "en-US", accept_dialogs: bool = True):
        context = browser.new_context(base_url=live_server.url, locale=locale, timezone_id="Asia/Shanghai")
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        if accept_dialogs:
            page.on("dialog", lambda dialog: dialog.accept())
        page.on("console", lambda message: violations.append(f"{page.url}: {message.text}")
                if is_csp_violation(message) else None)
        return page

    yield factory
    for context in contexts:
        context.close()
    assert not violations, "blocked by the Content-Security-Policy:\n" + "\n".join(violations)
