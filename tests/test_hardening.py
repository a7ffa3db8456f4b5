"""Issue 20 (B): production refuses unsafe settings, the loader's api_base never comes from
request headers in production, admin security headers, consent input hygiene, file modes."""

from __future__ import annotations

import json
import os
import stat

import pytest
from sqlalchemy import select

from consent_service import create_app
from consent_service.config import ConfigError
from consent_service.extensions import db
from consent_service.models import ConsentEvent

GOOD_SECRET = "Zq8-vT1xK_p3Lm9Rw2Yb7Nc4Hd6Jf0Gs5Ue"


@pytest.fixture
def prod_env(monkeypatch, tmp_path):
    monkeypatch.setenv("CONSENT_ENV", "production")
    monkeypatch.setenv("CONSENT_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("CONSENT_PUBLIC_URL", "https://consent.example.fi")
    monkeypatch.delenv("CONSENT_TRUSTED_PROXIES", raising=False)
    monkeypatch.setenv("CONSENT_DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    return monkeypatch


@pytest.mark.parametrize("secret", [
    "a" * 32, "a" * 64, "ab" * 20, "abcabcabcabcabcabcabcabcabcabcabc", "0123456789" * 4,
    "change-me-change-me-change-me-change-me", "changemechangemechangemechangeme",
    "please-set-a-secret-key-in-production", "your-secret-key-here-your-secret-key",
    "secretsecretsecretsecretsecretsecret", "x" * 40, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
])
def test_production_refuses_low_entropy_secret(prod_env, tmp_path, secret):
    prod_env.setenv("CONSENT_SECRET_KEY", secret)
    with pytest.raises(ConfigError, match="CONSENT_SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


@pytest.mark.parametrize("secret", [
    GOOD_SECRET, "fS3kPq9v2LxN7bT4mW8cR1yH6dJ0aZ5eGuQ", "9f86d081884c7d659a2feaa0c55ad015",
])
def test_production_accepts_generated_secrets(prod_env, tmp_path, secret):
    import secrets

    prod_env.setenv("CONSENT_SECRET_KEY", secret)
    create_app({"INSTANCE_PATH": str(tmp_path)})
    prod_env.setenv("CONSENT_SECRET_KEY", secrets.token_urlsafe(48))
    create_app({"INSTANCE_PATH": str(tmp_path)})
    prod_env.setenv("CONSENT_SECRET_KEY", secrets.token_hex(32))
    create_app({"INSTANCE_PATH": str(tmp_path)})


def test_production_with_trusted_proxies_needs_public_url(prod_env, tmp_path):
    prod_env.delenv("CONSENT_PUBLIC_URL")
    prod_env.setenv("CONSENT_TRUSTED_PROXIES", "1")
    with pytest.raises(ConfigError, match="CONSENT_PUBLIC_URL"):
        create_app({"INSTANCE_PATH": str(tmp_path)})
    prod_env.delenv("CONSENT_TRUSTED_PROXIES")
    with pytest.raises(ConfigError, match="CONSENT_PUBLIC_URL"):
        create_app({"INSTANCE_PATH": str(tmp_path)})
    for bad in ("consent.example.fi", "ftp://consent.example.fi", "https://",
                "https://consent.example.fi/?x=1", "https://u:p@consent.example.fi"):
        prod_env.setenv("CONSENT_PUBLIC_URL", bad)
        with pytest.raises(ConfigError, match="CONSENT_PUBLIC_URL"):
            create_app({"INSTANCE_PATH": str(tmp_path)})


def _migrated(app):
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=app.config["MIGRATIONS_DIR"])


def test_poisoned_forwarded_host_never_reaches_the_loader(prod_env, tmp_path):
    prod_env.setenv("CONSENT_TRUSTED_PROXIES", "1")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    _migrated(app)
    bundle = tmp_path / "loader.min.js"
    bundle.write_text("/*bundle*/")
    app.config["LOADER_BUNDLE"] = str(bundle)
    with app.app_context():
        from consent_service.services.setup import create_site_with_policy

        key = create_site_with_policy(["shop.example.fi"], publish=True)["site_key"]
    client = app.test_client()
    evil = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https",
            "Host": "evil2.example"}
    body = client.get(f"/loader/{key}.js", headers=evil).get_data(as_text=True)
    assert "evil" not in body
    # The core's config names the UI script's URL (the UI carries api_base).
    assert '"ui":"https://consent.example.fi/loader/' in body.replace(" ", "")
    config = client.get(f"/api/v1/sites/{key}/config", headers=evil).get_json()
    assert config["api_base"] == "https://consent.example.fi/api/v1"


def test_admin_pages_get_hsts_and_strict_csp_in_production(prod_env, tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    _migrated(app)
    client = app.test_client()
    resp = client.get("/admin/login", base_url="https://consent.example.fi")
    assert resp.status_code == 200
    assert "max-age=" in resp.headers["Strict-Transport-Security"]
    csp = resp.headers["Content-Security-Policy"]
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives["default-src"] == "'self'" or directives["default-src"] == "'none'"
    assert "script-src" in directives and "frame-ancestors" in directives
    assert directives["object-src"] == "'none'" and "base-uri" in directives
    # every <script>/<style> on the page is external or carries this response's nonce
    html = resp.get_data(as_text=True)
    assert "<style" not in html and " style=" not in html
    assert all("src=" in tag for tag in html.split("<script")[1:])


def test_development_has_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/admin/login").headers


def test_admin_templates_have_no_inline_style_or_script():
    """A strict CSP blocks inline code: templates use static files, or a nonce."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "consent_service"
    offenders = []
    for path in [*root.glob("admin/templates/**/*.html"), *root.glob("scan/templates/**/*.html")]:
        text = path.read_text()
        for marker in (" style=", " onclick=", " onsubmit=", " onload=", "javascript:"):
            if marker in text:
                offenders.append((path.name, marker))
        for chunk in text.split("<script")[1:] + text.split("<style")[1:]:
            head = chunk.split(">", 1)[0]
            if "src=" not in head and "csp_nonce" not in head:
                offenders.append((path.name, head[:40]))
    assert offenders == [] or all(name == "report.html" for name, _ in offenders), offenders


# --- consent POST input hygiene ---------------------------------------------------------

def _post(client, site, body: str):
    return client.post(f"/api/v1/sites/{site.site_key}/consents", data=body,
                       content_type="application/json")


@pytest.mark.parametrize("field,raw", [
    ("page_url", '"https://shop.example.fi/\\ud800"'),
    ("page_url", '"https://shop.example.fi/\\udfff/x"'),
    ("page_url", '"https://shop.example.fi/\\ud83d"'),
    ("page_url", '"https://\\ud800.example.fi/"'),
    ("language", '"f\\udc00"'),
    ("action", '"\\ud800"'),
    ("banner_hash", '"\\ud800"'),
    ("event_id", '"\\ud800"'),
    ("choices", '{"\\ud800": true}'),
    ("choices", '{"analytics": true, "x\\udbff": false}'),
    ("extra", '"\\ud800"'),
    ("page_url", '"https://shop.example.fi/\\u0000"'),
    ("language", '"fi\\u0000"'),
    ("choices", '{"analytics\\u0000": true}'),
])
def test_lone_surrogates_and_nul_are_400_not_500(client, published_site, consent_body, field, raw):
    data = consent_body()
    data[field] = "@@PLACEHOLDER@@"
    body = json.dumps(data).replace('"@@PLACEHOLDER@@"', raw)
    resp = _post(client, published_site, body)
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert set(resp.get_json()) == {"code", "status", "message", "errors"}
    assert db.session.scalar(select(db.func.count()).select_from(ConsentEvent)) == 0


def test_surrogate_pairs_are_fine(client, published_site, consent_body):
    data = consent_body()
    data["page_url"] = "@@"
    body = json.dumps(data).replace('"@@"', '"https://shop.example.fi/\\ud83d\\ude00"')
    assert _post(client, published_site, body).status_code == 201


@pytest.mark.parametrize("url,stored", [
    ("https://user:password@shop.example.fi/cart?x=1", "https://shop.example.fi/cart"),
    ("https://user@shop.example.fi/a", "https://shop.example.fi/a"),
    ("https://:pw@shop.example.fi:8443/a", "https://shop.example.fi:8443/a"),
    ("https://us%40er:p%3Ass@shop.example.fi/", "https://shop.example.fi/"),
    ("https://a:b@[2001:db8::1]:8080/p", "https://[2001:db8::1]:8080/p"),
])
def test_credentials_are_stripped_from_page_url(client, published_site, consent_body,
                                                url, stored):
    resp = _post(client, published_site, json.dumps(consent_body(page_url=url)))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    row = db.session.scalars(select(ConsentEvent)).one()
    assert row.page_url == stored
    assert "password" not in (row.page_url or "") and "@" not in (row.page_url or "")


def test_strip_url_drops_userinfo_everywhere():
    from consent_service.security import strip_url

    assert strip_url("https://u:p@x.example/a?b#c") == "https://x.example/a"
    assert strip_url("http://x.example/@y") == "http://x.example/@y"
    assert strip_url(None) is None


# --- database files are private ---------------------------------------------------------

def test_sqlite_files_are_created_0600(tmp_path, monkeypatch):
    from consent_service.security import private_file

    monkeypatch.setenv("CONSENT_ENV", "development")
    monkeypatch.delenv("CONSENT_DATABASE_URL", raising=False)
    old = os.umask(0o022)
    try:
        instance = tmp_path / "inst"
        app = create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": GOOD_SECRET,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'consent.db'}"})
        _migrated(app)
        with app.app_context():
            db.session.execute(db.text("SELECT 1"))
            db.session.commit()
            from consent_service.scan.jobs import get_huey

            app.config["SCAN_QUEUE_IMMEDIATE"] = False
            huey = get_huey(app)
            huey.storage.enqueued_items()  # touches the queue file
        files = [p for p in instance.iterdir()
                 if p.name.startswith(("consent.db", "scan-queue.db"))]
        assert {p.name for p in files} >= {"consent.db", "scan-queue.db"}
        for p in files:
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, (p.name, oct(p.stat().st_mode))
        # the helper makes a file private even when it already exists 0644
        loose = tmp_path / "loose.db"
        loose.write_text("")
        loose.chmod(0o644)
        private_file(loose)
        assert stat.S_IMODE(loose.stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_admin_form_urls_lose_credentials(app):
    from consent_service.admin.forms import NoticeForm, SiteForm
    from consent_service.security import drop_userinfo

    assert drop_userinfo("https://u:p@x.example/a?b=1") == "https://x.example/a?b=1"
    assert drop_userinfo("https://x.example/@me") == "https://x.example/@me"
    with app.test_request_context(method="POST", data={
            "domains": "shop.example.fi", "privacy_url": "https://admin:hunter2@shop.example.fi/p",
            "source_url": "https://me:pw@shop.example.fi/notice"}):
        site = SiteForm(meta={"csrf": False})
        notice = NoticeForm(meta={"csrf": False})
        assert site.privacy_url.data == "https://shop.example.fi/p"
        assert notice.source_url.data == "https://shop.example.fi/notice"
