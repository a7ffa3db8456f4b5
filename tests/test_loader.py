"""GET /loader/<site_key>.js: bundle + inlined config, caching, cache busting."""

import json

from consent_service.services import policies


def _config_from_script(body: str) -> dict:
    start = body.index("window.__consentServiceConfig=") + len("window.__consentServiceConfig=")
    end = body.index(";\n", start)
    return json.loads(body[start:end])


def test_loader_inlines_config_before_bundle(app, client, published_site, tmp_path):
    bundle = tmp_path / "loader.min.js"
    bundle.write_text("/*bundle*/console.log(window.__consentServiceConfig.site_key);")
    app.config["LOADER_BUNDLE"] = str(bundle)
    resp = client.get(f"/loader/{published_site.site_key}.js")
    assert resp.status_code == 200
    assert resp.mimetype == "application/javascript"
    body = resp.get_data(as_text=True)
    assert body.index("window.__consentServiceConfig=") < body.index("/*bundle*/")
    config = _config_from_script(body)
    assert config["site_key"] == published_site.site_key and config["policy_version"] == 1
    assert "max-age" in resp.headers["Cache-Control"]
    again = client.get(f"/loader/{published_site.site_key}.js",
                       headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304


def test_new_policy_or_bundle_changes_etag(app, client, published_site, tmp_path):
    bundle = tmp_path / "loader.min.js"
    bundle.write_text("/*v1*/")
    app.config["LOADER_BUNDLE"] = str(bundle)
    first = client.get(f"/loader/{published_site.site_key}.js").headers["ETag"]
    content = policies.build_content(["analytics"], ["google-analytics", "hotjar"])
    policies.publish(policies.create_draft(published_site, content))
    second = client.get(f"/loader/{published_site.site_key}.js")
    assert second.headers["ETag"] != first
    assert _config_from_script(second.get_data(as_text=True))["policy_version"] == 2
    import os

    from consent_service.api import loader

    bundle.write_text("/*v2*/")
    os.utime(bundle, (1, 1))
    loader._bundle.clear()  # skip the 2 s between checks of the file
    third = client.get(f"/loader/{published_site.site_key}.js").headers["ETag"]
    assert third != second.headers["ETag"]


def test_config_cannot_break_out_of_script(app, client, published_site, tmp_path):
    bundle = tmp_path / "loader.min.js"
    bundle.write_text("")
    app.config["LOADER_BUNDLE"] = str(bundle)
    base = published_site.policies[0].content
    banner = {lang: dict(t) for lang, t in base["banner"].items()}
    banner["fi"]["title"] = "</script><script>alert(1)</script>"
    policies.publish(policies.create_draft(published_site, {**base, "banner": banner}))
    body = client.get(f"/loader/{published_site.site_key}.js").get_data(as_text=True)
    assert "</script>" not in body
    assert _config_from_script(body)["texts"]["fi"]["title"].startswith("</script>")


def test_missing_bundle_is_503_json(app, client, published_site, tmp_path):
    app.config["LOADER_BUNDLE"] = str(tmp_path / "nope.js")
    resp = client.get(f"/loader/{published_site.site_key}.js")
    assert resp.status_code == 503 and "build" in resp.get_json()["message"]


def test_unknown_site_loader_404(client):
    assert client.get("/loader/pk_unknown.js").status_code == 404


def test_loader_is_gzipped_when_asked(app, client, published_site, tmp_path):
    import gzip

    bundle = tmp_path / "loader.min.js"
    bundle.write_text("/*bundle*/" + "x" * 5000)
    app.config["LOADER_BUNDLE"] = str(bundle)
    plain = client.get(f"/loader/{published_site.site_key}.js")
    zipped = client.get(f"/loader/{published_site.site_key}.js",
                        headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data) / 2
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    again = client.get(f"/loader/{published_site.site_key}.js",
                       headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304
