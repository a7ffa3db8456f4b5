"""Sessions end server-side: logout, password change and "log out everywhere" make a copied
cookie worthless; the account page lists the user's sessions without raw addresses."""

from __future__ import annotations

import re

from flask import g
from sqlalchemy import select

from consent_service.extensions import db
from consent_service.models import AdminSession

from .conftest import PASSWORD
from .conftest import csrf_token as _csrf_token

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/126.0.0.0 Safari/537.36")


def csrf_token(client, path):
    g.pop("csrf_token", None)      # the test app context outlives requests and clients
    return _csrf_token(client, path)


def _real_login(app, email="owner@example.fi", password=PASSWORD, ua=FIREFOX,
                addr="198.51.100.77"):
    """A fresh browser that logs in through the form; returns (client, session cookie)."""
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": ua, "REMOTE_ADDR": addr})
    token = csrf_token(client, "/admin/login")
    resp = client.post("/admin/login", data={"csrf_token": token, "email": email,
                                             "password": password})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return client, client.get_cookie("session").value


def _replay(app, cookie: str, path: str):
    """An attacker's browser with nothing but the copied cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get(path)


def _keys(site):
    return f"/admin/sites/{site.site_key}/keys"


def test_cookie_copied_before_logout_is_dead_after(app, people, published_site):
    client, cookie = _real_login(app)
    assert _replay(app, cookie, _keys(published_site)).status_code == 200
    token = csrf_token(client, "/admin/sites")
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    resp = _replay(app, cookie, _keys(published_site))
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]
    # and the JSON API says 401, not the data
    assert _replay(app, cookie, f"/admin/api/sites/{published_site.site_key}/consents"
                   ).status_code == 401


def test_password_change_ends_other_sessions_and_keeps_this_one(app, people, published_site):
    other, other_cookie = _real_login(app, ua=CHROME)
    client, cookie = _real_login(app)
    token = csrf_token(client, "/admin/account")
    bad = client.post("/admin/account/password", data={
        "csrf_token": token, "current": "wrong", "new": "a new password 123",
        "confirm": "a new password 123"})
    assert bad.status_code == 422
    assert _replay(app, other_cookie, _keys(published_site)).status_code == 200
    resp = client.post("/admin/account/password", data={
        "csrf_token": token, "current": PASSWORD, "new": "a new password 123",
        "confirm": "a new password 123"})
    assert resp.status_code == 302
    # the other browser and the cookie from before the change are both out
    assert _replay(app, other_cookie, _keys(published_site)).status_code == 302
    assert _replay(app, cookie, _keys(published_site)).status_code == 302
    # the browser that changed it stays logged in (on a new session)
    assert client.get(_keys(published_site)).status_code == 200
    # the old password no longer works, the new one does
    c = app.test_client()
    t = csrf_token(c, "/admin/login")
    assert c.post("/admin/login", data={"csrf_token": t, "email": "owner@example.fi",
                                        "password": PASSWORD}).status_code == 401
    _real_login(app, password="a new password 123")


def test_log_out_everywhere(app, people, published_site):
    a, cookie_a = _real_login(app, ua=CHROME)
    b, cookie_b = _real_login(app)
    viewer, viewer_cookie = _real_login(app, email="viewer@example.fi")
    token = csrf_token(b, "/admin/account")
    resp = b.post("/admin/account/sessions/logout-all", data={"csrf_token": token})
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]
    for cookie in (cookie_a, cookie_b):
        assert _replay(app, cookie, _keys(published_site)).status_code == 302
    # another user's session is untouched
    assert _replay(app, viewer_cookie, f"/admin/sites/{published_site.site_key}").status_code \
        == 200


def test_account_page_lists_sessions_without_addresses(app, people):
    _real_login(app, ua=CHROME, addr="203.0.113.201")
    client, _ = _real_login(app, ua=FIREFOX, addr="198.51.100.77")
    page = client.get("/admin/account").get_data(as_text=True)
    assert "Chrome" in page and "Firefox" in page
    assert "This browser" in page
    # neither the raw address nor the raw user agent is stored or shown
    for raw in ("203.0.113.201", "198.51.100.77", "Gecko/20100101"):
        assert raw not in page
    rows = db.session.scalars(select(AdminSession)).all()
    assert len(rows) == 2
    for row in rows:
        stored = " ".join(str(v) for v in (row.client_ip, row.ua_family, row.token_hash))
        assert "203.0.113.201" not in stored and "198.51.100.77" not in stored
        assert row.client_ip in ("203.0.113.0/24", "198.51.100.0/24")
    # one session can be ended from the list
    other = next(r for r in rows if r.ua_family == "Chrome")
    token = csrf_token(client, "/admin/account")
    assert client.post(f"/admin/account/sessions/{other.id}/revoke",
                       data={"csrf_token": token}).status_code == 302
    assert db.session.get(AdminSession, other.id) is None


def test_cannot_revoke_another_users_session(app, people):
    _real_login(app, email="viewer@example.fi")
    victim = db.session.scalars(select(AdminSession)).one()
    client, _ = _real_login(app)
    token = csrf_token(client, "/admin/account")
    assert client.post(f"/admin/account/sessions/{victim.id}/revoke",
                       data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert db.session.get(AdminSession, victim.id) is not None


def test_forged_or_unknown_session_ids_are_refused(app, people, published_site, login):
    client = login("owner")
    with client.session_transaction() as sess:
        sess["sid"] = "not-a-session"
    resp = client.get(_keys(published_site))
    assert resp.status_code == 302
    with client.session_transaction() as sess:
        sess["sid"] = None
    assert client.get(_keys(published_site)).status_code == 302


def test_visitor_requests_open_no_session(app, published_site, monkeypatch):
    """The fast path stays: no cookie, no signer, no session query."""
    from flask.sessions import SecureCookieSessionInterface

    from consent_service.services import sessions

    def boom(*a, **k):
        raise AssertionError("touched the session machinery")

    monkeypatch.setattr(SecureCookieSessionInterface, "get_signing_serializer", boom)
    monkeypatch.setattr(sessions, "lookup", boom)
    client = app.test_client()
    assert client.get(f"/api/v1/sites/{published_site.site_key}/config").status_code == 200


def test_last_seen_is_updated_at_most_once_a_minute(app, people, published_site):
    client, _ = _real_login(app)
    row = db.session.scalars(select(AdminSession)).one()
    first = row.last_seen_at
    client.get("/admin/sites")
    db.session.expire_all()
    assert db.session.scalars(select(AdminSession)).one().last_seen_at == first
    assert re.match(r"^[0-9a-f]{64}$", row.token_hash)
