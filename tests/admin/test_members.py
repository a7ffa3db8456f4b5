"""The members form does not tell an owner whether an email has an account: both get the
same answer, nothing is created, and the role waits until its holder accepts it."""

from __future__ import annotations

import re

from flask import g
from sqlalchemy import func, select

from consent_service.extensions import db
from consent_service.models import AdminUser, SiteMembership

from .conftest import csrf_token


def _add(client, site, email, role="viewer"):
    g.pop("csrf_token", None)
    token = csrf_token(client, f"/admin/sites/{site.site_key}/members")
    resp = client.post(f"/admin/sites/{site.site_key}/members",
                       data={"csrf_token": token, "email": email, "role": role},
                       follow_redirects=True)
    html = resp.get_data(as_text=True)
    flash = re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', html, re.S)
    return resp.status_code, [f.replace(email.strip().lower(), "EMAIL") for f in flash], html


def test_existing_and_unknown_email_get_the_same_answer(login, published_site, people):
    owner = login("owner")
    users_before = db.session.scalar(select(func.count()).select_from(AdminUser))
    known = _add(owner, published_site, "stranger@example.fi")
    unknown = _add(owner, published_site, "nobody-here@example.fi")
    assert known[0] == unknown[0] == 200
    assert known[1] == unknown[1] and known[1]
    for _, _, html in (known, unknown):
        assert 'id="new-password"' not in html
    # nothing was created or granted: the answer cannot depend on it later either
    assert db.session.scalar(select(func.count()).select_from(AdminUser)) == users_before
    assert db.session.scalar(select(func.count()).select_from(SiteMembership).where(
        SiteMembership.user_id == people["stranger"].id)) == 0
    # nor does the case
    again = _add(owner, published_site, "Stranger@Example.FI")
    assert again[0] == 200 and again[1] == known[1]


def test_invited_user_accepts_after_login(login, published_site, people):
    owner = login("owner")
    _add(owner, published_site, "stranger@example.fi", role="editor")
    stranger = login("stranger")
    key = published_site.site_key
    assert stranger.get(f"/admin/sites/{key}").status_code == 404
    page = stranger.get("/admin/account").get_data(as_text=True)
    assert published_site.name in page and "editor" in page
    inv = re.search(r'/admin/account/invitations/(\d+)/accept', page).group(1)
    g.pop("csrf_token", None)
    token = csrf_token(stranger, "/admin/account")
    # another user cannot take it
    viewer = login("viewer")
    g.pop("csrf_token", None)
    vtoken = csrf_token(viewer, "/admin/account")
    assert viewer.post(f"/admin/account/invitations/{inv}/accept",
                       data={"csrf_token": vtoken}).status_code == 404
    stranger = login("stranger")
    g.pop("csrf_token", None)
    token = csrf_token(stranger, "/admin/account")
    resp = stranger.post(f"/admin/account/invitations/{inv}/accept", data={"csrf_token": token})
    assert resp.status_code == 302
    assert stranger.get(f"/admin/sites/{key}/notices").status_code == 200   # editor
    assert "stranger@example.fi" in owner.get(f"/admin/sites/{key}/members").get_data(
        as_text=True)


def test_owner_changes_role_of_a_listed_member_at_once(login, published_site, people):
    owner = login("owner")
    status, flash, _ = _add(owner, published_site, "viewer@example.fi", role="editor")
    assert status == 200 and "is now editor" in flash[0]
    assert login("viewer").get(f"/admin/sites/{published_site.site_key}/notices"
                               ).status_code == 200
