"""The demo page shows the right way: no tracker request before consent (headless Chromium).

Every request to a host other than the live service is recorded and aborted (nothing leaves
the machine). Accepting all must then release the trackers, so the test sees them when the
page asks for them."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                       reason="needs /usr/bin/chromium (required when CI is set)"),
]


@pytest.fixture
def demo(app):
    if not Path(app.config["LOADER_BUNDLE"]).exists() and not os.environ.get("CI"):
        pytest.skip("banner bundle not built (npm run build in banner_js/)")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    from consent_service.services.setup import ensure_demo

    with app.app_context():
        info = ensure_demo(base)
    yield base, info["site_key"]
    server.shutdown()
    thread.join(5)


def test_demo_page_makes_no_tracker_request_before_consent(demo):
    from playwright.sync_api import sync_playwright

    base, key = demo
    own = urlsplit(base).netloc
    outside: list[str] = []

    def hold(route):
        outside.append(route.request.url)
        route.abort("blockedbyclient")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.route(lambda url: urlsplit(url).netloc != own, hold)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{base}/demo/{key}?lang=en", wait_until="load")
        root = page.locator("#consent-service-root [data-action='accept_all']").first
        root.wait_for()
        page.wait_for_timeout(500)  # late script insertions would land here
        assert outside == [], f"requests before consent: {outside}"
        assert page.locator("#analytics-state").inner_text() == "analytics script has not run"

        root.click()
        page.wait_for_function(
            "document.getElementById('analytics-state').textContent === 'analytics script ran'")
        page.wait_for_timeout(500)
        hosts = {urlsplit(url).netloc for url in outside}
        context.close()
        browser.close()
    # The check above can fail: once consented, the same page asks for both.
    assert "www.googletagmanager.com" in hosts and "www.youtube-nocookie.com" in hosts, outside
