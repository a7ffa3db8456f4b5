"""Our own banner through the loader, the scan API, jobs and the admin pages."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from consent_service.services import sites
from consent_service.services.setup import create_site_with_policy

SHOP = "oma-kauppa.example.fi"
OWN_PAGE = """<!doctype html><html lang="fi"><head><meta charset="utf-8"><title>Oma</title>
<script src="/loader/{key}.js"></script>
<script type="text/plain" data-category="analytics"
  src="https://www.googletagmanager.com/gtag/js?id=G-TEST123"></script>
<script type="text/plain" data-category="marketing"
  src="https://connect.facebook.net/en_US/fbevents.js"></script>
</head><body><h1>Verkkokauppa</h1><p>Sivu, jolla on oma evästebanneri.</p></body></html>"""


@pytest.fixture
def live(app, scan_options):
    """The Flask app on a real port, serving a page that uses our loader."""
    opts = scan_options()
    # Site domains are public names: the shop's name reaches the local server through the
    # scan's test resolver, and loopback is allowed as an operator allows an intranet.
    app.config.update(SCAN_OFFLINE=True, SCAN_ROUTE_HANDLER=opts.route_handler,
                      SCAN_SETTLE=0.5, SCAN_BANNER_WAIT=3, SCAN_TIMEOUT=60,
                      SCAN_ALLOW_NETWORKS=opts.allow_networks,
                      SCAN_RESOLVER=lambda host: ["127.0.0.1"] if host == SHOP else [])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    port = server.server_address[1]
    result = create_site_with_policy([f"{SHOP}:{port}"], name="Oma kauppa",
                                     services=["google-analytics", "facebook-pixel"],
                                     publish=True, allowed_origins=[f"http://{SHOP}:{port}"])
    key = result["site_key"]
    app.add_url_rule("/own-page", "own_page", lambda: OWN_PAGE.format(key=key))
    pixel = (Path(__file__).with_name("sites") / "ga-pixel.html").read_text()
    app.add_url_rule("/no-banner", "no_banner", lambda: pixel)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"base": f"http://{SHOP}:{port}", "site": sites.get_site(key), "key": key}
    server.shutdown()


@pytest.mark.browser
def test_own_banner_and_api(app, client, live, no_orphans):
    from consent_service.extensions import db
    from consent_service.models import ConsentEvent

    _, editor = sites.create_api_key(live["site"], "ci", role="editor")
    _, viewer = sites.create_api_key(live["site"], "ro", role="viewer")
    url = live["base"] + "/own-page"
    path = f"/api/v1/sites/{live['key']}/scans"
    assert client.post(path, json={"url": url}).status_code == 401
    assert client.post(path, json={"url": url},
                       headers={"Authorization": f"Bearer {viewer}"}).status_code == 403
    resp = client.post(path, json={"url": "https://elsewhere.example/"},
                       headers={"Authorization": f"Bearer {editor}"})
    assert resp.status_code == 422
    resp = client.post(path, json={"url": url}, headers={"Authorization": f"Bearer {editor}"})
    assert resp.status_code == 202, resp.get_json()
    scan_id = resp.get_json()["id"]
    got = client.get(f"{path}/{scan_id}", headers={"Authorization": f"Bearer {viewer}"})
    body = got.get_json()
    assert body["status"] == "done", body
    doc = body["result"]
    assert doc["banner"] == {"found": True, "cmp": "consent-service",
                             "reject_on_first_layer": True}
    assert doc["visits"]["before_consent"]["services"] == []
    assert doc["visits"]["after_accept"]["services"] == ["facebook-pixel", "google-analytics"]
    assert doc["visits"]["after_reject"]["services"] == []
    assert sorted((f["code"], f["service"]) for f in doc["findings"]) == [
        ("cookie-lifetime-excessive", "google-analytics")] * 2
    assert all(s["in_policy"] for s in doc["services"])
    # the scanner's clicks were never recorded as consents
    posts = [q for q in doc["visits"]["after_accept"]["requests"] if "/consents" in q["url"]]
    assert posts and all(q["failed"] for q in posts)
    assert db.session.query(ConsentEvent).count() == 0
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/sites/{site_key}/scans" in spec["paths"]


def _login(client, app, site):
    from consent_service.admin.common import session_fingerprint
    from consent_service.services import sessions
    from consent_service.services.users import create_user, grant

    user = create_user("editor@example.fi", "x" * 12)
    grant(user, site.id, "editor")
    token = sessions.start(user, user_agent=None, remote_addr=None, secret="")
    with client.session_transaction() as sess:
        sess["uid"] = user.id
        sess["sid"] = token
        sess["fp"] = session_fingerprint(user)
    return user


@pytest.mark.browser
def test_admin_scan_and_propose_policy(app, client, live, no_orphans):
    if "admin" not in app.blueprints:
        pytest.skip("the admin dashboard is not registered")
    from consent_service.services import policies
    from consent_service.services.policies import current_policy

    site = live["site"]
    # publish a policy that lacks the Meta Pixel, so the scan proposes it
    draft = policies.create_draft(site, policies.build_content(
        ["necessary", "analytics"], ["google-analytics"]))
    policies.publish(draft)
    assert client.get(f"/admin/sites/{live['key']}/scans").status_code == 302
    _login(client, app, site)
    page = client.get(f"/admin/sites/{live['key']}/scans")
    assert page.status_code == 200 and b"Start scan" in page.data
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()
    assert client.post(f"/admin/sites/{live['key']}/scans",
                       data={"url": live["base"] + "/no-banner"}).status_code == 400  # no CSRF
    resp = client.post(f"/admin/sites/{live['key']}/scans",
                       data={"url": live["base"] + "/no-banner", "csrf_token": token})
    assert resp.status_code == 302
    view = client.get(resp.headers["Location"])
    assert b"Status: <strong>done</strong>" in view.data
    assert b"Propose policy change" in view.data and b"Meta Pixel" in view.data
    scan_id = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    report = client.get(f"/admin/sites/{live['key']}/scans/{scan_id}/report")
    assert report.status_code == 200 and b"data:image/png;base64," in report.data
    assert "default-src 'none'" in report.headers["Content-Security-Policy"]
    resp = client.post(f"/admin/sites/{live['key']}/scans/{scan_id}/propose",
                       data={"csrf_token": token})
    assert resp.status_code == 302
    newest = max(site.policies, key=lambda p: p.version)
    assert newest.status == "draft"
    assert {s["id"] for s in newest.content["services"]} == {"google-analytics",
                                                             "facebook-pixel"}
    assert current_policy(site).version == draft.version
