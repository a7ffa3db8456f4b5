"""Local test sites on 127.0.0.1 and stand-ins for tracker hosts (nothing leaves the machine).

``site_server`` serves tests/scan/sites/ plus a few pathological pages; ``tracker_routes``
fulfils requests to the real tracker host names with small scripts that do what the real
ones do (set ``_ga``/``_fbp``..., send a beacon), so the scanner sees real host names.
"""

from __future__ import annotations

import os
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from consent_service.scan import ScanOptions, procs

SITES = Path(__file__).with_name("sites")
CHROMIUM = os.environ.get("CONSENT_CHROMIUM", "/usr/bin/chromium")



def pytest_collection_modifyitems(config, items):
    """Browser tests skip only when Chromium is missing and CI is not set."""
    if Path(CHROMIUM).exists() or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason=f"needs {CHROMIUM} (required when CI is set)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)

TEST_SITE_NETWORKS = ("127.0.0.1/32",)
TWO_YEARS = 2 * 365 * 86400
SCRIPTS = {
    # host + path prefix: JavaScript the stand-in answers with
    "www.googletagmanager.com/gtag/js": f"""
        document.cookie = '_ga=GA1.1.123.456; path=/; max-age={TWO_YEARS}';
        document.cookie = '_ga_TEST123=GS1.1.1; path=/; max-age={TWO_YEARS}';
        navigator.sendBeacon('https://region1.google-analytics.com/g/collect?v=2&tid=G-TEST123');
    """,
    "www.googletagmanager.com/gtm.js": """
        setTimeout(function () {
          var s = document.createElement('script'); s.async = true;
          s.src = 'https://www.googleadservices.com/pagead/conversion_async.js';
          document.head.appendChild(s);
        }, 300);
    """,
    "www.googleadservices.com/pagead/conversion_async.js":
        "document.cookie = '_gcl_au=1.1.1; path=/; max-age=7776000';",
    "connect.facebook.net/": """
        document.cookie = '_fbp=fb.1.1.1; path=/; max-age=7776000';
        new Image().src = 'https://www.facebook.com/tr?id=1234567890&ev=PageView';
    """,
    "static.hotjar.com/c/": """
        document.cookie = '_hjSessionUser_1234567=eyJpZCI6IjEifQ; path=/; max-age=31536000';
        try { localStorage.setItem('_hjLocalStorageTest', '1'); } catch (e) {}
        var s = document.createElement('script'); s.async = true;
        s.src = 'https://script.hotjar.com/modules.js'; document.head.appendChild(s);
    """,
    "snap.licdn.com/": "new Image().src = 'https://px.ads.linkedin.com/collect?pid=123456';",
    "www.clarity.ms/": "document.cookie = '_clck=abc; path=/; max-age=31536000';",
}


def tracker_routes(route, request) -> bool:
    """Fulfil tracker hosts with the stand-in scripts; True when handled."""
    url = request.url.split("://", 1)[-1]
    for prefix, body in SCRIPTS.items():
        if url.startswith(prefix):
            route.fulfill(status=200, content_type="application/javascript", body=body)
            return True
    if url.startswith("www.youtube.com/embed/"):
        route.fulfill(status=200, content_type="text/html",
                      body="<html><body>video<script src='https://www.youtube.com/iframe_api'>"
                           "</script></body></html>")
        return True
    return False


class Handler(SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(SITES), **kwargs)

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):  # noqa: N802 - http.server's name
        path = self.path.split("?")[0]
        if path == "/hang":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"<!doctype html><html><head><title>slow</title>")
            self.wfile.flush()
            time.sleep(self.server.hang_seconds)
            return
        if path == "/esite.pdf":
            body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if path == "/big.html":
            chunk = ("<p>" + "lorem ipsum dolor sit amet " * 36 + "</p>\n").encode()
            count = (20 * 1024 * 1024) // len(chunk)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(chunk) * count + 60))
            self.end_headers()
            self.wfile.write(b"<!doctype html><html lang=en><body>".ljust(60))
            for _ in range(count):
                self.wfile.write(chunk)
            return
        super().do_GET()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    hang_seconds = 30


@pytest.fixture(scope="session")
def site_server():
    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def scan_options():
    """``scan_options(**overrides)``: offline options with the tracker stand-ins."""
    return options


def options(**kw) -> ScanOptions:
    # The test sites are on loopback, which scans may not reach: allowed here the way an
    # operator allows an intranet range.
    base = dict(offline=True, route_handler=tracker_routes, settle=0.5, banner_wait=1.5,
                page_timeout=10, total_timeout=60, chromium=CHROMIUM,
                allow_networks=TEST_SITE_NETWORKS)
    base.update(kw)
    return ScanOptions(**base)


def chromium_count() -> int:
    """Chromium processes below this test process (others' browsers on the machine don't count)."""
    return sum(1 for comm, _, _ in procs.descendants().values() if procs.is_chromium(comm))


@pytest.fixture
def no_orphans():
    """Fails the test when it leaves Chromium processes behind."""
    before = chromium_count()
    yield
    deadline = time.monotonic() + 5
    while chromium_count() > before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert chromium_count() <= before, "the scan left Chromium processes behind"
