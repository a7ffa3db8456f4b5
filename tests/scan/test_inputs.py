"""Scan routes and scan starts: hostile ids and URLs give clear 4xx answers, never a 500,
and a URL is judged by the host Chromium would connect to."""

from __future__ import annotations

import pytest

from consent_service.scan import jobs
from consent_service.services import sites
from consent_service.services.errors import Invalid


@pytest.fixture
def viewer_key(published_site):
    return sites.create_api_key(published_site, "ro", role="viewer")[1]


@pytest.mark.parametrize("scan_id", ["9223372036854775808", "9223372036854775807", "2147483648",
                                     "18446744073709551616", "9" * 40, "0", "000"])
def test_huge_scan_ids_are_404_json(client, published_site, viewer_key, scan_id):
    resp = client.get(f"/api/v1/sites/{published_site.site_key}/scans/{scan_id}",
                      headers={"Authorization": f"Bearer {viewer_key}"})
    assert resp.status_code == 404 and resp.is_json, resp.get_data(as_text=True)[:300]
    assert resp.json["code"] == 404 and resp.json["status"]


@pytest.mark.parametrize("scan_id", ["-1", "1.5", "abc", "%C2%B2", "1e3", "%00", " 1"])
def test_odd_scan_ids_are_json_4xx(client, published_site, viewer_key, scan_id):
    resp = client.get(f"/api/v1/sites/{published_site.site_key}/scans/{scan_id}",
                      headers={"Authorization": f"Bearer {viewer_key}"})
    assert resp.status_code in (400, 404) and resp.is_json


def test_start_scan_judges_the_host_chromium_uses(app, published_site):
    # shop.example.fi is the site's domain; Chromium reads each of these as another host
    for url in ("http://127.0.0.1:9\\@shop.example.fi/", "https://127.0.0.1\\@shop.example.fi/",
                "http://shop.example.fi.evil.example/", "http://evilshop.example.fi/",
                "https://shop.example.fi@127.0.0.1/", "http://0x7f.1/?shop.example.fi"):
        with pytest.raises(Invalid):
            jobs.start_scan(published_site, url)
    assert jobs.site_url_allowed(published_site, "https://SHOP.example.fi/tuotteet?a=1")
    assert jobs.site_url_allowed(published_site, "https://www.shop.example.fi/")
    assert not jobs.site_url_allowed(published_site, "http://127.0.0.1:9\\@shop.example.fi/")


def test_hostile_scan_urls_are_422_json(client, published_site):
    editor = sites.create_api_key(published_site, "ci", role="editor")[1]
    path = f"/api/v1/sites/{published_site.site_key}/scans"
    for url in ("https://shop.example.fi/" + "x" * 5000, "https://shop.example.fi/\ud800",
                "http://[::1", "javascript:alert(1)", "https://shop.example.fi:99999/",
                "http://127.0.0.1:9\\@shop.example.fi/"):
        resp = client.post(path, json={"url": url}, headers={"Authorization": f"Bearer {editor}"})
        assert resp.status_code in (400, 422) and resp.is_json, (url, resp.status_code)
