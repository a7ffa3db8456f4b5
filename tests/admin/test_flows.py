"""Functional tests of the admin flows with the Flask test client."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from consent_service.extensions import db
from consent_service.models import AdminUser, ApiKey, AuditLog, PolicyVersion, Site
from consent_service.security import sha256_hex

from .conftest import FI_NOTICE, PASSWORD, csrf_token


def actions(site_id=None) -> list[str]:
    query = select(AuditLog.action).order_by(AuditLog.id)
    if site_id is not None:
        query = query.where(AuditLog.site_id == site_id)
    return list(db.session.scalars(query))


def test_login_logout_and_session_fixation(client, people):
    token = csrf_token(client, "/admin/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by-attacker"
    bad = client.post("/admin/login", data={"csrf_token": token, "email": "owner@example.fi",
                                            "password": "wrong"})
    assert bad.status_code == 401 and "Wrong email or password" in bad.get_data(as_text=True)
    token = csrf_token(client, "/admin/login")
    resp = client.post("/admin/login?next=/admin/sites", data={
        "csrf_token": token, "email": "Owner@Example.fi", "password": PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/sites")
    with client.session_transaction() as sess:
        assert "planted" not in sess and sess["uid"] == people["owner"].id
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/admin/sites").status_code == 200
    assert {"login.failed", "login"} <= set(actions())
    token = csrf_token(client, "/admin/sites")
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/sites").status_code == 302


def test_login_next_is_not_an_open_redirect(client, people):
    token = csrf_token(client, "/admin/login")
    resp = client.post("/admin/login?next=//evil.example/x", data={
        "csrf_token": token, "email": "viewer@example.fi", "password": PASSWORD})
    assert resp.headers["Location"].endswith("/admin/sites")


def test_password_change_ends_sessions(login, people):
    client = login("viewer")
    user = db.session.get(AdminUser, people["viewer"].id)
    user.password_hash = "changed"
    db.session.commit()
    assert client.get("/admin/sites").status_code == 302


def test_login_is_rate_limited(app, client, people):
    app.config["RATELIMIT_LOGIN"] = "3/minute"
    token = csrf_token(client, "/admin/login")
    codes = [client.post("/admin/login", data={"csrf_token": token, "email": "x@example.fi",
                                               "password": "nope"}).status_code
             for _ in range(5)]
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
    assert client.get("/admin/login").status_code == 200        # GET is not limited


def test_create_and_edit_site(login, people):
    from consent_service.services.sites import set_site_creation

    set_site_creation("stranger@example.fi", True)  # an operator's grant
    client = login("stranger")
    token = csrf_token(client, "/admin/sites/new")
    resp = client.post("/admin/sites/new", data={
        "csrf_token": token, "name": "Kahvila",
        "domains": "kahvila.example.fi\nwww.kahvila.example.fi",
        "languages": ["fi", "en"], "privacy_url": "https://kahvila.example.fi/tietosuoja"})
    assert resp.status_code == 302
    site = db.session.scalars(select(Site).where(Site.name == "Kahvila")).one()
    assert site.domains == ["kahvila.example.fi", "www.kahvila.example.fi"]
    assert site.languages == ["fi", "en"]
    assert site.allowed_origins == ["https://kahvila.example.fi", "https://www.kahvila.example.fi"]
    page = client.get(f"/admin/sites/{site.site_key}/edit")
    assert page.status_code == 200                                  # the creator owns it
    token = csrf_token(client, f"/admin/sites/{site.site_key}/edit")
    resp = client.post(f"/admin/sites/{site.site_key}/edit", data={
        "csrf_token": token, "name": "Kahvila Oy", "domains": "kahvila.example.fi",
        "allowed_origins": "https://kahvila.example.fi\nhttp://localhost:8000",
        "languages": ["sv"], "privacy_url": ""})
    assert resp.status_code == 302
    db.session.refresh(site)
    assert site.name == "Kahvila Oy" and site.languages == ["sv"]
    assert site.allowed_origins == ["https://kahvila.example.fi", "http://localhost:8000"]
    assert site.privacy_url is None
    assert actions(site.id) == ["site.create", "site.edit"]
    bad = client.post("/admin/sites/new", data={"csrf_token": token, "domains": "not a domain"})
    assert bad.status_code == 200 and "Not a domain name" in bad.get_data(as_text=True)


def test_api_key_shown_once_stored_hashed_revocable(login, published_site):
    client = login("owner")
    key = published_site.site_key
    token = csrf_token(client, f"/admin/sites/{key}/keys")
    resp = client.post(f"/admin/sites/{key}/keys", data={"csrf_token": token, "name": "CI",
                                                         "role": "editor"})
    html = resp.get_data(as_text=True)
    secret = re.search(r'id="new-key">(sk_[^<]+)<', html).group(1)
    assert resp.headers["Cache-Control"] == "no-store"
    row = db.session.scalars(select(ApiKey).where(ApiKey.site_id == published_site.id)).one()
    assert row.key_hash == sha256_hex(secret) and secret not in str(row.__dict__)
    listing = client.get(f"/admin/sites/{key}/keys").get_data(as_text=True)
    assert secret not in listing and row.prefix in listing
    client.post(f"/admin/sites/{key}/keys/{row.id}/revoke", data={"csrf_token": token})
    db.session.refresh(row)
    assert row.revoked_at is not None
    assert actions(published_site.id)[-2:] == ["api_key.create", "api_key.revoke"]


def test_superuser_adds_members(login, published_site, people):
    client = login("super")   # owners invite instead (test_members.py)
    key = published_site.site_key
    token = csrf_token(client, f"/admin/sites/{key}/members")
    resp = client.post(f"/admin/sites/{key}/members", data={
        "csrf_token": token, "email": "uusi@example.fi", "role": "editor"})
    html = resp.get_data(as_text=True)
    password = re.search(r'id="new-password">([^<]+)<', html).group(1)
    assert resp.status_code == 200 and "uusi@example.fi" in html
    new = db.session.scalars(select(AdminUser).where(AdminUser.email == "uusi@example.fi")).one()
    assert new.password_hash.startswith("$argon2") and password not in new.password_hash
    # an existing user changes role; no password is shown
    resp = client.post(f"/admin/sites/{key}/members", data={
        "csrf_token": token, "email": "stranger@example.fi", "role": "viewer"})
    assert resp.status_code == 302
    assert login("stranger").get(f"/admin/sites/{key}/log").status_code == 200
    assert "user.grant" in actions(published_site.id)


def test_embed_code(login, published_site, app):
    html = login("viewer").get(f"/admin/sites/{published_site.site_key}/embed").get_data(
        as_text=True)
    assert (f'&lt;script src=&#34;http://localhost/loader/{published_site.site_key}.js&#34;&gt;'
            in html)
    assert "WordPress" in html and 'data-copy="#embed-tag"' in html
    app.config["PUBLIC_URL"] = "https://consent.example.fi"
    html = login("viewer").get(f"/admin/sites/{published_site.site_key}/embed").get_data(
        as_text=True)
    assert f"https://consent.example.fi/loader/{published_site.site_key}.js" in html


def _analyse(client, site, **data):
    token = csrf_token(client, f"/admin/sites/{site.site_key}/notices/new")
    return client.post(f"/admin/sites/{site.site_key}/notices/new",
                       data={"csrf_token": token, **data}, content_type="multipart/form-data")


def test_notice_paste_analysis_highlights_evidence(login, published_site):
    client = login("editor")
    resp = _analyse(client, published_site, text=FI_NOTICE + "\nHuom: <img src=x onerror=alert(1)>",
                    source_url="https://shop.example.fi/tietosuoja")
    assert resp.status_code == 302, resp.get_data(as_text=True)[-500:]
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "<mark" in html and "Google Analytics" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    marked = re.findall(r"<mark[^>]*>([^<]*)</mark>", html)
    assert any("Google Analytics" in m for m in marked)
    assert "browser-settings-consent" in html
    draft = db.session.scalars(select(PolicyVersion).where(
        PolicyVersion.site_id == published_site.id, PolicyVersion.status == "draft")).one()
    assert {s["id"] for s in draft.content["services"]} >= {"google-analytics"}
    assert "notice.analyse" in actions(published_site.id)


def test_notice_upload_and_limits(login, published_site, app):
    client = login("editor")
    resp = _analyse(client, published_site,
                    file=(io.BytesIO(FI_NOTICE.encode("utf-8")), "tietosuoja.txt"))
    assert resp.status_code == 302
    too_big = _analyse(client, published_site,
                       file=(io.BytesIO(b"a" * (2 * 1024 * 1024 + 10)), "big.txt"))
    assert too_big.status_code == 200 and "larger than 2 MB" in too_big.get_data(as_text=True)
    only_url = _analyse(client, published_site, source_url="https://shop.example.fi/privacy")
    assert only_url.status_code == 422 and "not fetched" in only_url.get_data(as_text=True)
    binary = _analyse(client, published_site,
                      file=(io.BytesIO(b"%PDF-1.7 \x00\x01\x02"), "notice.txt"))
    assert binary.status_code == 422
