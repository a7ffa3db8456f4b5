"""`consent-service scan`: exit codes, error shape, formats, bad and hostile input."""

from __future__ import annotations

import base64
import json
import socket
import time

import pytest


@pytest.fixture
def offline_app(app, scan_options):
    opts = scan_options()
    app.config.update(SCAN_OFFLINE=True, SCAN_ROUTE_HANDLER=opts.route_handler,
                      SCAN_ALLOW_NETWORKS=opts.allow_networks)
    return app


def scan(runner, *args):
    return runner.invoke(args=["scan", *args, "--settle", "0.5", "--offline"])


@pytest.mark.parametrize("url", ["not a url", "file:///etc/passwd", "javascript:alert(1)",
                                 "ftp://example.fi/", "http://", "http://example.fi:99999/"])
def test_bad_urls_exit_2(runner, url):
    result = runner.invoke(args=["scan", url])
    assert result.exit_code == 2, result.output
    err = json.loads(result.stdout)["error"]
    assert err["code"] == "bad-url" and err["message"]
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")


def test_text_mode_error_has_no_json(runner):
    result = runner.invoke(args=["scan", "file:///etc/passwd", "--format", "text"])
    assert result.exit_code == 2 and result.stdout == ""


def test_unreadable_notice_and_unknown_site_exit_2(runner, tmp_path):
    result = runner.invoke(args=["scan", "http://127.0.0.1/", "--notice", str(tmp_path / "x")])
    assert result.exit_code == 2 and json.loads(result.stdout)["error"]["code"] == "bad-notice"
    result = runner.invoke(args=["scan", "http://127.0.0.1/", "--site", "pk_nope"])
    assert result.exit_code == 2 and json.loads(result.stdout)["error"]["code"] == "unknown-site"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.browser
def test_unreachable_host_exit_3(runner, offline_app, no_orphans):
    result = scan(runner, f"http://127.0.0.1:{_closed_port()}/")
    assert result.exit_code == 3, result.output
    assert json.loads(result.stdout)["error"]["code"] == "unreachable"
    assert "ERR_CONNECTION_REFUSED" in result.stderr
    # offline mode: a page on another host is unreachable, never fetched
    result = scan(runner, "https://example.invalid/")
    assert result.exit_code == 3 and "unreachable" in result.stdout


@pytest.mark.browser
def test_page_that_never_finishes_is_bounded(runner, offline_app, site_server, no_orphans):
    start = time.monotonic()
    result = scan(runner, f"{site_server}/hang", "--page-timeout", "3", "--timeout", "20")
    assert time.monotonic() - start < 25
    assert result.exit_code == 3, result.output
    assert json.loads(result.stdout)["error"]["code"] == "timeout"


@pytest.mark.browser
def test_pdf_is_not_html(runner, offline_app, site_server, no_orphans):
    result = scan(runner, f"{site_server}/esite.pdf")
    assert result.exit_code == 3, result.output
    assert json.loads(result.stdout)["error"]["code"] == "not-html"
    assert "not HTML" in result.stderr


@pytest.mark.browser
def test_20_mb_page_finishes_or_fails_clearly(runner, offline_app, site_server, no_orphans):
    start = time.monotonic()
    result = scan(runner, f"{site_server}/big.html", "--page-timeout", "30", "--timeout", "60")
    assert time.monotonic() - start < 70
    if result.exit_code == 0:
        assert json.loads(result.stdout)["findings"] == []
    else:
        assert result.exit_code == 3 and json.loads(result.stdout)["error"]["message"]


@pytest.mark.browser
def test_text_and_html_reports(runner, offline_app, site_server, tmp_path, no_orphans):
    out = tmp_path / "report.html"
    result = scan(runner, f"{site_server}/ga.html", "--format", "html", "--out", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    html = out.read_text()
    assert "tracker-before-consent" in html and "Before any choice" in html
    png = html.split("data:image/png;base64,", 1)[1].split("'", 1)[0]
    assert base64.b64decode(png).startswith(b"\x89PNG")
    assert "<script" not in html  # self-contained and inert
    result = scan(runner, f"{site_server}/ga.html", "--format", "text")
    assert result.exit_code == 0
    assert "[high] tracker-before-consent google-analytics" in result.stdout


@pytest.mark.browser
def test_site_policy_comparison(runner, offline_app, site_server, published_site, no_orphans):
    # published_site lists google-analytics and facebook-pixel
    result = scan(runner, f"{site_server}/gtm.html", "--site", published_site.site_key)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    got = sorted((f["code"], f["service"]) for f in doc["findings"])
    assert got == [
        ("declared-not-seen", "facebook-pixel"), ("declared-not-seen", "google-analytics"),
        ("no-consent-banner", None),
        ("service-not-in-policy", "google-ads"), ("service-not-in-policy", "google-tag-manager"),
        ("tracker-before-consent", "google-ads"), ("tracker-before-consent", "google-tag-manager"),
    ]
    assert {s["id"]: s["in_policy"] for s in doc["services"]} == {
        "google-ads": False, "google-tag-manager": False}
