"""Scans of local WordPress-like pages, each with its exact expected findings."""

from __future__ import annotations

import pytest

from consent_service.scan import scan_url

pytestmark = pytest.mark.browser


def codes(result) -> list[tuple[str, str | None]]:
    return sorted((f["code"], f["service"]) for f in result["findings"])


@pytest.fixture(autouse=True)
def _opts(scan_options):
    global options
    options = scan_options


options = None


def scan(site_server, page, **kw):
    notice = kw.pop("notice_services", None)
    policy = kw.pop("policy_services", None)
    return scan_url(f"{site_server}/{page}", notice_services=notice, policy_services=policy,
                    options=options(**kw))


def test_gtag_in_head(site_server, no_orphans):
    r = scan(site_server, "ga.html")
    assert r["schema"] == "site-scan/1"
    assert r["banner"] == {"found": False, "cmp": None, "reject_on_first_layer": None}
    assert r["visits"]["after_accept"] is None and r["visits"]["after_reject"] is None
    before = r["visits"]["before_consent"]
    assert before["services"] == ["google-analytics"]
    hosts = {q["host"] for q in before["requests"]}
    assert {"www.googletagmanager.com", "region1.google-analytics.com"} <= hosts
    ga = {c["name"]: c for c in before["cookies"]}["_ga"]
    assert ga["third_party"] is False and ga["expires"].startswith("20")
    # one per cookie: _ga and _ga_TEST123 (2 years asked, 400 days kept by Chromium)
    assert codes(r) == [("cookie-lifetime-excessive", "google-analytics")] * 2 + [
        ("no-consent-banner", None), ("tracker-before-consent", "google-analytics")]
    assert {f["evidence"].split()[0] for f in r["findings"]
            if f["code"] == "cookie-lifetime-excessive"} == {"_ga", "_ga_TEST123"}
    f = r["findings"][0]
    assert f["language"] == "fi" and " / " in f["message"] and "ennen" in f["message"]
    assert r["unknown_third_parties"] == []


def test_gtm_container_injects_a_tag_later(site_server, no_orphans):
    r = scan(site_server, "gtm.html")
    assert r["visits"]["before_consent"]["services"] == ["google-ads", "google-tag-manager"]
    assert codes(r) == [("no-consent-banner", None),
                        ("tracker-before-consent", "google-ads"),
                        ("tracker-before-consent", "google-tag-manager")]
    assert r["findings"][0]["message"] == r["findings"][0]["message_en"]  # lang=en


def test_meta_pixel_inline_snippet(site_server, no_orphans):
    r = scan(site_server, "pixel.html")
    before = r["visits"]["before_consent"]
    assert before["services"] == ["facebook-pixel"]
    assert any(q["url"].startswith("https://www.facebook.com/tr?") for q in before["requests"])
    assert "_fbp" in {c["name"] for c in before["cookies"]}
    assert codes(r) == [("no-consent-banner", None), ("tracker-before-consent", "facebook-pixel")]


def test_hotjar(site_server, no_orphans):
    r = scan(site_server, "hotjar.html")
    assert r["visits"]["before_consent"]["services"] == ["hotjar"]
    assert "_hjLocalStorageTest" in r["visits"]["before_consent"]["storage"]
    assert codes(r) == [("no-consent-banner", None), ("tracker-before-consent", "hotjar")]
    assert "innan" in r["findings"][0]["message"]  # lang=sv


def test_linkedin_insight(site_server, no_orphans):
    r = scan(site_server, "linkedin.html")
    assert codes(r) == [("no-consent-banner", None),
                        ("tracker-before-consent", "linkedin-insight")]


def test_youtube_iframe(site_server, no_orphans):
    r = scan(site_server, "youtube.html")
    reqs = r["visits"]["before_consent"]["requests"]
    assert any(q["type"] == "document" and "youtube.com/embed" in q["url"] for q in reqs)
    assert codes(r) == [("no-consent-banner", None), ("static-embed-iframe", "youtube"),
                        ("tracker-before-consent", "youtube")]
    static = next(f for f in r["findings"] if f["code"] == "static-embed-iframe")
    assert "youtube.com/embed/dQw4w9WgXcQ" in static["evidence"]
    assert 'data-category="marketing"' in static["message_en"] and static["language"] == "fi"


def test_tracker_inserted_two_seconds_after_load(site_server, no_orphans):
    r = scan(site_server, "delayed.html", settle=2.8)
    assert codes(r) == [("no-consent-banner", None),
                        ("tracker-before-consent", "microsoft-clarity")]


def test_banner_without_reject(site_server, no_orphans):
    r = scan(site_server, "accept-only.html")
    assert r["banner"] == {"found": True, "cmp": "unknown", "reject_on_first_layer": False}
    assert r["visits"]["before_consent"]["services"] == []
    assert r["visits"]["after_accept"]["services"] == ["google-analytics"]
    assert r["visits"]["after_reject"] is None
    assert codes(r) == [("cookie-lifetime-excessive", "google-analytics")] * 2 + [
        ("reject-missing-first-layer", None)]


def test_cookiebot_selectors(site_server, no_orphans):
    r = scan(site_server, "cookiebot.html")
    assert r["banner"] == {"found": True, "cmp": "cookiebot", "reject_on_first_layer": True}
    assert r["visits"]["before_consent"]["services"] == []
    assert r["visits"]["after_accept"]["services"] == ["facebook-pixel"]
    assert r["visits"]["after_reject"]["services"] == []
    assert "CookieConsent" in r["visits"]["after_reject"]["storage"]
    assert codes(r) == []


def test_page_without_banner_or_trackers(site_server, no_orphans):
    r = scan(site_server, "plain.html", pages=3)
    assert r["pages"] == [f"{site_server}/plain.html", f"{site_server}/page2.html",
                          f"{site_server}/page3.html"]
    assert r["banner"]["found"] is False
    assert r["services"] == [] and codes(r) == []
    # the off-site link is not followed, and the PDF is not a page
    assert all("example.org" not in p and not p.endswith(".pdf") for p in r["pages"])


def test_notice_declares_ga_only(site_server, no_orphans):
    from pathlib import Path

    from consent_service.scan.cli import notice_services_from_file

    notice = notice_services_from_file(str(Path(__file__).with_name("sites")
                                           / "notice_ga_only_fi.txt"))
    assert "google-analytics" in notice and "facebook-pixel" not in notice
    r = scan(site_server, "ga-pixel.html", notice_services=notice)
    undeclared = [f["service"] for f in r["findings"] if f["code"] == "undeclared-service"]
    assert undeclared == ["facebook-pixel"]
    svc = {s["id"]: s for s in r["services"]}
    assert svc["google-analytics"]["declared_in_notice"] is True
    assert svc["facebook-pixel"]["declared_in_notice"] is False
    assert not [f for f in r["findings"] if f["code"] == "declared-not-seen"]


def test_tracker_called_from_a_service_worker(site_server, no_orphans):
    """The page loads nothing third-party; its service worker calls Meta's pixel endpoint.
    Chromium reports a worker's requests to Playwright only with its service-worker network
    events on (scan/browser.py), and the scan must count them like the page's own."""
    r = scan(site_server, "sw.html")
    before = r["visits"]["before_consent"]
    from_worker = [q for q in before["requests"] if q["host"] == "www.facebook.com"]
    assert from_worker and all(q.get("service_worker") for q in from_worker), before["requests"]
    assert before["services"] == ["facebook-pixel"]
    assert ("tracker-before-consent", "facebook-pixel") in codes(r)
    assert ("worker-request", "facebook-pixel") in codes(r)
    started = [f for f in r["findings"] if f["code"] == "worker-started"]
    assert [f["evidence"].rsplit("/", 1)[1] for f in started] == ["sw-tracker.js"]
