"""Every role against every page: allowed → 200, too low → 403, no access → 404."""

from __future__ import annotations

import pytest

from consent_service.models import ROLES

from .conftest import csrf_token

PAGES = [
    ("/admin/sites/{k}", "viewer"),
    ("/admin/sites/{k}/embed", "viewer"),
    ("/admin/sites/{k}/policies", "viewer"),
    ("/admin/sites/{k}/policies/1", "viewer"),
    ("/admin/sites/{k}/policies/1/preview", "viewer"),
    ("/admin/sites/{k}/log", "viewer"),
    ("/admin/sites/{k}/log.csv", "viewer"),
    ("/admin/sites/{k}/stats", "viewer"),
    ("/admin/sites/{k}/stats.json", "viewer"),
    ("/admin/api/sites/{k}/consents", "viewer"),
    ("/admin/api/sites/{k}/stats", "viewer"),
    ("/admin/sites/{k}/notices", "editor"),
    ("/admin/sites/{k}/notices/new", "editor"),
    ("/admin/sites/{k}/edit", "owner"),
    ("/admin/sites/{k}/keys", "owner"),
    ("/admin/sites/{k}/members", "owner"),
    ("/admin/sites/{k}/audit", "owner"),
]


def expected(who: str, needed: str) -> int:
    if who == "super":
        return 200
    if who == "stranger":
        return 404
    return 200 if ROLES.index(who) >= ROLES.index(needed) else 403


@pytest.mark.parametrize("who", ["owner", "editor", "viewer", "stranger", "super"])
def test_role_matrix(login, published_site, who):
    client = login(who)
    for path, needed in PAGES:
        resp = client.get(path.format(k=published_site.site_key))
        assert resp.status_code == expected(who, needed), (who, path, resp.status_code)


def test_anonymous_is_sent_to_login(client, published_site):
    resp = client.get(f"/admin/sites/{published_site.site_key}/log")
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]
    assert client.get(f"/admin/api/sites/{published_site.site_key}/stats").status_code == 401


def test_unknown_site_and_no_access_look_the_same(login, published_site):
    client = login("stranger")
    unknown = client.get("/admin/sites/pk_doesnotexist/log")
    hidden = client.get(f"/admin/sites/{published_site.site_key}/log")
    assert unknown.status_code == hidden.status_code == 404
    api = client.get(f"/admin/api/sites/{published_site.site_key}/consents")
    assert api.status_code == 404 and api.is_json and api.get_json()["code"] == 404


def test_site_list_shows_only_own_sites(login, published_site):
    assert published_site.name in login("viewer").get("/admin/sites").get_data(as_text=True)
    assert published_site.name not in login("stranger").get("/admin/sites").get_data(as_text=True)
    assert published_site.name in login("super").get("/admin/sites").get_data(as_text=True)


def _draft(client, site):
    token = csrf_token(client, f"/admin/sites/{site.site_key}/policies")
    return client.post(f"/admin/sites/{site.site_key}/policies/draft",
                       data={"csrf_token": token})


def test_viewer_cannot_publish_or_draft(login, published_site):
    editor = login("editor")
    assert _draft(editor, published_site).status_code == 302          # draft v2 exists now
    viewer = login("viewer")
    key = published_site.site_key
    assert viewer.get(f"/admin/sites/{key}/policies/2/publish").status_code == 403
    assert viewer.get(f"/admin/sites/{key}/policies/2/edit").status_code == 403
    token = csrf_token(viewer, f"/admin/sites/{key}/log")
    resp = viewer.post(f"/admin/sites/{key}/policies/2/publish",
                       data={"csrf_token": token, "confirm": "y"})
    assert resp.status_code == 403
    assert viewer.post(f"/admin/sites/{key}/policies/draft",
                       data={"csrf_token": token}).status_code == 403


def test_editor_cannot_manage_keys_or_members(login, published_site):
    editor = login("editor")
    key = published_site.site_key
    token = csrf_token(editor, f"/admin/sites/{key}/log")
    assert editor.post(f"/admin/sites/{key}/keys",
                       data={"csrf_token": token, "name": "x"}).status_code == 403
    assert editor.post(f"/admin/sites/{key}/members", data={
        "csrf_token": token, "email": "new@example.fi", "role": "owner"}).status_code == 403
    assert editor.post(f"/admin/sites/{key}/keys/1/revoke",
                       data={"csrf_token": token}).status_code == 403


def test_post_without_csrf_is_refused(login, published_site):
    owner = login("owner")
    key = published_site.site_key
    for path, data in [(f"/admin/sites/{key}/keys", {"name": "ci", "role": "editor"}),
                       (f"/admin/sites/{key}/members", {"email": "a@b.fi", "role": "viewer"}),
                       (f"/admin/sites/{key}/policies/draft", {}),
                       ("/admin/sites/new", {"domains": "x.example.fi"}),
                       ("/admin/logout", {})]:
        resp = owner.post(path, data=data)
        assert resp.status_code == 400, path
        assert "CSRF" in resp.get_data(as_text=True)


def test_superusers_see_maintenance_jobs_and_when_they_are_overdue(login, published_site):
    from consent_service.proof.seals import create_key
    from consent_service.services.maintenance import run_due

    create_key(via="test")  # on purpose, as `consent-service keys init` does

    page = login("super").get("/admin/sites").get_data(as_text=True)
    assert "Maintenance" in page and "overdue: is the job worker running?" in page
    assert page.count("never") == 3
    run_due()
    page = login("super").get("/admin/sites").get_data(as_text=True)
    assert "overdue" not in page and "chain head(s) sealed" in page
    assert "Maintenance" not in login("owner").get("/admin/sites").get_data(as_text=True)
