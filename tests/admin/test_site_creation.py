"""Who may create sites, and what a site's domain may be (scans visit a site's domains, so
a site on an internal address was a way to scan the internal network)."""

from __future__ import annotations

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from consent_service.extensions import db
from consent_service.models import Site
from consent_service.services import sites
from consent_service.services.errors import Invalid, ServiceError

from .conftest import csrf_token

BAD_DOMAINS = [
    "127.0.0.1:8000", "127.0.0.1", "0x7f.0.0.1", "0177.0.0.1", "127.1", "2130706433",
    "0x7f000001", "0.0.0.0", "0", "169.254.169.254", "10.0.0.1", "[::1]", "::1",
    "[::ffff:127.0.0.1]", "::ffff:7f00:1", "localhost", "localhost.", "LocalHost",
    "app.localhost", "intranet", "wiki.local", "db.internal", "nas.lan", "printer.home.arpa",
    "shop.example.fi.", "shop.example.fi..", "a.example", "site.test", "co.uk", "fi",
    "github.io", "http://127.0.0.1:9/", "https://user:pw@shop.example.fi/",
    "http://127.0.0.1:1\\@shop.example.fi/", "x_y.example.fi", "-x.example.fi",
    "shop.example.fi:0", "shop.example.fi:99999", "not a domain", "",
]


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Site))


def _new_site(client, domains: str):
    token = csrf_token(client, "/admin/sites")
    return client.post("/admin/sites/new", data={"csrf_token": token, "name": "Uusi",
                                                 "domains": domains, "languages": ["fi"]})


def test_only_superusers_and_granted_users_may_create_sites(login, people, runner):
    before = _count()
    for name in ("viewer", "editor", "owner", "stranger"):
        client = login(name)
        assert client.get("/admin/sites/new").status_code == 403, name
        assert _new_site(client, "uusi.example.fi").status_code == 403, name
        assert "New site" not in client.get("/admin/sites").get_data(as_text=True)
    assert _count() == before
    with pytest.raises(ServiceError) as err:
        sites.create_site(["uusi.example.fi"], owner=people["viewer"])
    assert err.value.status == 403

    result = runner.invoke(args=["admin", "site-creation", "stranger@example.fi", "--allow"])
    assert result.exit_code == 0, result.output
    client = login("stranger")
    assert "New site" in client.get("/admin/sites").get_data(as_text=True)
    assert _new_site(client, "uusi.example.fi").status_code == 302
    assert _count() == before + 1

    assert runner.invoke(args=["admin", "site-creation", "stranger@example.fi",
                               "--deny"]).exit_code == 0
    assert login("stranger").get("/admin/sites/new").status_code == 403
    assert login("super").get("/admin/sites/new").status_code == 200
    result = runner.invoke(args=["admin", "site-creation", "nobody@example.fi", "--allow"])
    assert result.exit_code != 0 and "No admin user" in result.output


def test_each_bad_domain_is_refused_with_a_clear_error(login, people, runner):
    client = login("super")
    before = _count()
    for domain in BAD_DOMAINS:
        with pytest.raises(Invalid) as err:
            sites.normalise_domain(domain)
        message = err.value.message
        page = _new_site(client, domain)
        text = page.get_data(as_text=True)
        assert page.status_code == 200, domain
        if domain.strip():
            assert str(escape(message)) in text, (domain, message)
    assert _count() == before
    for domain in ("127.1", "localhost", "wiki.local"):
        result = runner.invoke(args=["site", "create", "--domain", domain])
        assert result.exit_code != 0 and "domain" in result.output.lower(), domain
    # editing a site cannot move it onto an internal address either
    site = sites.create_site(["kahvila.example.fi"], owner=people["super"])
    token = csrf_token(client, f"/admin/sites/{site.site_key}/edit")
    page = client.post(f"/admin/sites/{site.site_key}/edit", data={
        "csrf_token": token, "name": "x", "domains": "0x7f.0.0.1:8000", "languages": ["fi"]})
    assert page.status_code == 200 and "IP address" in page.get_data(as_text=True)
    db.session.refresh(site)
    assert site.domains == ["kahvila.example.fi"]


@pytest.mark.parametrize(("domain", "stored"), [
    ("shop.example.fi", "shop.example.fi"), ("Shop.Example.FI", "shop.example.fi"),
    ("https://www.shop.example.fi/tuotteet", "www.shop.example.fi"),
    ("shop.example.fi:8443", "shop.example.fi:8443"), ("bücher.fi", "xn--bcher-kva.fi"),
    ("kauppa.co.uk", "kauppa.co.uk"), ("user.github.io", "user.github.io"),
])
def test_public_domains_are_accepted(app, domain, stored):
    assert sites.normalise_domain(domain) == stored
