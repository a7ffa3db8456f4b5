"""GET /loader/<site_key>.js (the blocking core + its config) and the UI script
/loader/<site_key>/ui-<lang>.<version>.js: config split, caching, cache busting, sizes."""

import gzip
import json
import os
import re
from pathlib import Path

import pytest

from consent_service.api import loader
from consent_service.services import policies

REPO = Path(__file__).resolve().parents[1]


def _config_from_script(body: str, name: str = "__consentServiceConfig") -> dict:
    start = body.index(f"window.{name}=") + len(f"window.{name}=")
    end = body.index(";\n", start)
    return json.loads(body[start:end])


@pytest.fixture
def dist(app, tmp_path):
    d = tmp_path / "dist"
    d.mkdir()
    (d / "core.min.js").write_text("/*core*/console.log(window.__consentServiceConfig.site_key);")
    (d / "ui.min.js").write_text("/*ui*/")
    app.config["BANNER_DIST_DIR"] = str(d)
    loader._bundle.clear()
    return d


def _ui_path(core_body: str, lang: str) -> str:
    url = _config_from_script(core_body)["ui"].replace("{lang}", lang)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_core_inlines_only_what_the_core_needs(app, client, published_site, dist):
    resp = client.get(f"/loader/{published_site.site_key}.js")
    assert resp.status_code == 200
    assert resp.mimetype == "application/javascript"
    body = resp.get_data(as_text=True)
    assert body.index("window.__consentServiceConfig=") < body.index("/*core*/")
    config = _config_from_script(body)
    assert config["site_key"] == published_site.site_key and config["policy_version"] == 1
    # No texts, services or descriptions in the render-blocking script.
    assert "texts" not in config and "services" not in json.dumps(config["categories"])
    assert config["blocking"] and config["consent_mode"]
    assert config["reopen"]["fi"] == "Evästeasetukset"
    assert re.fullmatch(r"http://localhost/loader/pk_[\w-]+/ui-\{lang\}\.[0-9a-f]{20}\.js",
                        config["ui"]), config["ui"]
    assert resp.headers["Cache-Control"] == f"public, max-age={loader.LOADER_MAX_AGE}"
    again = client.get(f"/loader/{published_site.site_key}.js",
                       headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304


def test_ui_script_has_one_language_and_is_immutable(app, client, published_site, dist):
    core = client.get(f"/loader/{published_site.site_key}.js").get_data(as_text=True)
    resp = client.get(_ui_path(core, "sv"))
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    body = resp.get_data(as_text=True)
    assert body.index("window.__consentServiceTexts=") < body.index("/*ui*/")
    texts = _config_from_script(body, "__consentServiceTexts")
    assert list(texts["texts"]) == ["sv"] and list(texts["banner_hashes"]) == ["sv"]
    assert texts["api_base"] == "http://localhost/api/v1" and texts["policy_version"] == 1
    services = [s["id"] for c in texts["categories"] for s in c["services"]]
    assert "google-analytics" in services
    assert client.get(_ui_path(core, "de")).status_code == 404
    # A stale version still works, without long caching.
    stale = client.get(f"/loader/{published_site.site_key}/ui-sv.{'0' * 20}.js")
    assert stale.status_code == 200 and "immutable" not in stale.headers["Cache-Control"]


def test_versioned_core_url_is_immutable(app, client, published_site, dist):
    etag = client.get(f"/loader/{published_site.site_key}.js").headers["ETag"].strip('"')
    resp = client.get(f"/loader/{published_site.site_key}/core.{etag[:20]}.js")
    assert resp.status_code == 200 and "immutable" in resp.headers["Cache-Control"]
    old = client.get(f"/loader/{published_site.site_key}/core.{'0' * 20}.js")
    assert "immutable" not in old.headers["Cache-Control"]


def test_new_policy_or_bundle_changes_etag_and_ui_version(app, client, published_site, dist):
    first = client.get(f"/loader/{published_site.site_key}.js")
    content = policies.build_content(["analytics"], ["google-analytics", "hotjar"])
    policies.publish(policies.create_draft(published_site, content))
    second = client.get(f"/loader/{published_site.site_key}.js")
    assert second.headers["ETag"] != first.headers["ETag"]
    assert _config_from_script(second.get_data(as_text=True))["policy_version"] == 2
    ui_fi = [_ui_path(r.get_data(as_text=True), "fi") for r in (first, second)]
    assert ui_fi[0] != ui_fi[1]
    (dist / "ui.min.js").write_text("/*ui v2*/")
    os.utime(dist / "ui.min.js", (1, 1))
    loader._bundle.clear()  # skip the 2 s between checks of the file
    third = client.get(f"/loader/{published_site.site_key}.js")
    assert third.headers["ETag"] != second.headers["ETag"]
    assert _ui_path(third.get_data(as_text=True), "fi") != ui_fi[1]


def test_config_cannot_break_out_of_script(app, client, published_site, dist):
    base = published_site.policies[0].content
    banner = {lang: dict(t) for lang, t in base["banner"].items()}
    banner["fi"]["reopen_label"] = "</script><script>alert(1)</script>"
    banner["fi"]["title"] = "</script><script>alert(2)</script>"
    policies.publish(policies.create_draft(published_site, {**base, "banner": banner}))
    core = client.get(f"/loader/{published_site.site_key}.js").get_data(as_text=True)
    assert "</script>" not in core
    assert _config_from_script(core)["reopen"]["fi"].startswith("</script>")
    ui = client.get(_ui_path(core, "fi")).get_data(as_text=True)
    assert "</script>" not in ui
    texts = _config_from_script(ui, "__consentServiceTexts")["texts"]
    assert texts["fi"]["title"].startswith("</script>")


def test_missing_bundle_is_503_json(app, client, published_site, tmp_path):
    app.config["BANNER_DIST_DIR"] = str(tmp_path / "nope")
    resp = client.get(f"/loader/{published_site.site_key}.js")
    assert resp.status_code == 503 and "build" in resp.get_json()["message"]


def test_unknown_site_loader_404(client):
    assert client.get("/loader/pk_unknown.js").status_code == 404
    assert client.get(f"/loader/pk_unknown/ui-fi.{'0' * 20}.js").status_code == 404


def test_loader_is_gzipped_when_asked(app, client, published_site, dist):
    (dist / "core.min.js").write_text("/*bundle*/" + "x" * 5000)
    loader._bundle.clear()
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


def test_served_sizes_within_the_budgets(app, client, published_site):
    """The real build, this site's config and the whole catalog's blocking rules, gzipped
    as served, against the budgets the build enforces (banner_js/dist/manifest.json)."""
    manifest = Path(app.config["BANNER_DIST_DIR"]) / "manifest.json"
    assert manifest.is_file(), "banner_js is not built (npm ci && npm run build in banner_js/)"
    budgets = json.loads(manifest.read_text())["budgets"]
    loader._bundle.clear()
    gz = {"Accept-Encoding": "gzip"}
    core = client.get(f"/loader/{published_site.site_key}.js", headers=gz)
    text = gzip.decompress(core.data).decode()
    ui_sizes = [len(client.get(_ui_path(text, lang), headers=gz).data)
                for lang in ("fi", "sv", "en")]
    assert len(core.data) <= budgets["core"], (len(core.data), budgets)
    assert len(core.data) + max(ui_sizes) <= budgets["first_visit"], (len(core.data), ui_sizes)
    assert len(core.data) <= budgets["return_visit"]
