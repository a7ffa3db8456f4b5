"""GET config and the loader: cache headers, conditional requests, CORS."""

from consent_service.services import policies


def test_config_of_published_policy(client, published_site):
    resp = client.get(f"/api/v1/sites/{published_site.site_key}/config")
    assert resp.status_code == 200
    cfg = resp.get_json()
    assert cfg["policy_version"] == 1 and len(cfg["policy_hash"]) == 64
    ids = [c["id"] for c in cfg["categories"]]
    assert ids == ["necessary", "analytics", "marketing"]
    analytics = cfg["categories"][1]
    assert [s["id"] for s in analytics["services"]] == ["google-analytics"]
    assert set(analytics["title"]) == {"fi", "sv", "en"}
    assert set(cfg["texts"]) == {"fi", "sv", "en"}
    assert cfg["api_base"].endswith("/api/v1")
    assert any(r["service"] == "facebook-pixel" for r in cfg["blocking"])
    assert resp.headers["ETag"].startswith('"')
    assert "max-age" in resp.headers["Cache-Control"]


def test_config_304_on_matching_etag(client, published_site):
    first = client.get(f"/api/v1/sites/{published_site.site_key}/config")
    again = client.get(f"/api/v1/sites/{published_site.site_key}/config",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_config_cors(client, published_site):
    ok = client.get(f"/api/v1/sites/{published_site.site_key}/config",
                    headers={"Origin": "https://shop.example.fi"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://shop.example.fi"
    no = client.get(f"/api/v1/sites/{published_site.site_key}/config",
                    headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in no.headers


def test_new_version_changes_config_and_etag(client, published_site):
    first = client.get(f"/api/v1/sites/{published_site.site_key}/config")
    content = policies.build_content(["analytics", "marketing"],
                                     ["google-analytics", "facebook-pixel", "hotjar"])
    change = policies.publish(policies.create_draft(published_site, content))
    assert change["material"] and change["added_services"] == ["hotjar"]
    second = client.get(f"/api/v1/sites/{published_site.site_key}/config",
                        headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert second.get_json()["policy_version"] == 2
    assert second.get_json()["material_version"] == 2


def test_unknown_site_and_unpublished(client, app):
    from consent_service.services.setup import create_site_with_policy

    assert client.get("/api/v1/sites/pk_missing/config").status_code == 404
    key = create_site_with_policy(["draft.example.fi"], publish=False)["site_key"]
    resp = client.get(f"/api/v1/sites/{key}/config")
    assert resp.status_code == 404 and resp.get_json()["code"] == 404


def test_healthz(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json()["database"] == "ok"


def test_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/sites/{site_key}/consents" in doc["paths"]
    assert "/api/v1/sites/{site_key}/config" in doc["paths"]


def test_unknown_route_is_json_404(client):
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404 and set(resp.get_json()) == {"code", "status", "message",
                                                                "errors"}


def test_rendered_configs_per_host_are_bounded(client, published_site):
    from consent_service.services.siteconfig import MAX_RENDERED, get_config

    url = f"/api/v1/sites/{published_site.site_key}/config"
    for n in range(MAX_RENDERED * 3):
        resp = client.get(url, headers={"Host": f"h{n}.example.fi"})
        assert resp.get_json()["api_base"] == f"http://h{n}.example.fi/api/v1"
    assert len(get_config(published_site.site_key).rendered) <= MAX_RENDERED


def test_cold_config_is_loaded_once_for_concurrent_requests(app, published_site, monkeypatch):
    """A new or recycled worker gets many requests for one site at once; one thread loads
    the config and the others take its result (they all loaded it before)."""
    import threading
    import time

    from consent_service.services import siteconfig

    loads = []
    real_load = siteconfig._load

    def slow_load(site_key):
        loads.append(site_key)
        time.sleep(0.05)  # keep the others arriving while this load runs
        return real_load(site_key)

    monkeypatch.setattr(siteconfig, "_load", slow_load)
    siteconfig.invalidate()
    start = threading.Barrier(8)
    results, errors = [], []

    def request():
        with app.app_context():
            start.wait()
            try:
                results.append(siteconfig.get_config(published_site.site_key))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=request) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert loads == [published_site.site_key]
    assert len({id(r) for r in results}) == 1 and results[0].payload is not None
