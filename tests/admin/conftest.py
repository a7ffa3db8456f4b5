"""Admin fixtures: one site with an owner, an editor, a viewer, a stranger and a superuser."""

from __future__ import annotations

import re
import uuid

import pytest
from flask import g

from consent_service.admin.common import session_fingerprint
from consent_service.extensions import db
from consent_service.models import AdminUser
from consent_service.services import consents, sessions, users
from consent_service.services.policies import banner_hashes, current_policy

PASSWORD = "correct horse battery staple"
ROLE_NAMES = ("owner", "editor", "viewer")


@pytest.fixture
def people(app, published_site):
    """{name: AdminUser}; owner/editor/viewer on published_site, stranger has no site."""
    app.config["RATELIMIT_LOGIN"] = "1000/minute"
    out = {}
    for name in (*ROLE_NAMES, "stranger", "super"):
        out[name] = users.create_user(f"{name}@example.fi", PASSWORD,
                                      is_superuser=name == "super")
    for role in ROLE_NAMES:
        users.grant(out[role], published_site.id, role)
    return out


@pytest.fixture
def login(client, people):
    """login("editor") puts that user's session on the client (no password round trip)."""

    def as_user(name: str):
        user = db.session.get(AdminUser, people[name].id)
        g.pop("csrf_token", None)      # the test app context outlives each request
        token = sessions.start(user, user_agent=None, remote_addr=None, secret="")
        with client.session_transaction() as sess:
            sess.clear()
            sess["uid"] = user.id
            sess["sid"] = token
            sess["fp"] = session_fingerprint(user)
        sess["fp"] = session_fingerprint(user)
        return client

    return as_user


def csrf_token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def add_events(site, specs, app):
    """specs: list of (action, {category: bool}); stored through the real service."""
    from sqlalchemy import select

    from consent_service.models import ConsentEvent

    policy = current_policy(site)
    hashes = banner_hashes(policy.content)
    site_id, site_key, version = site.id, site.site_key, policy.version
    receipts = []
    for action, choices in specs:
        done, _ = consents.record(site_id, site_key, {
            "event_id": uuid.uuid4(), "policy_version": version, "action": action,
            "choices": choices, "language": "fi", "banner_hash": hashes["fi"],
            "page_url": "https://shop.example.fi/x", "gpc": False,
        }, remote_addr="192.0.2.10", user_agent="Mozilla/5.0", ip_mode="truncate",
            secret=app.config["SECRET_KEY"])
        receipts.append(done.receipt_id)
    rows = {e.receipt_id: e for e in db.session.scalars(
        select(ConsentEvent).where(ConsentEvent.receipt_id.in_(receipts)))}
    return [rows[r] for r in receipts]


FI_NOTICE = """Tietosuojaseloste ja evästeet

Rekisterinpitäjä: Koekauppa Oy (Y-tunnus 1234567-8), Esimerkkikatu 1, 00100 Helsinki.

Käytämme sivustollamme evästeitä. Välttämättömät evästeet ovat tarpeen ostoskorin ja
kirjautumisen toimimiseksi. Käytämme Google Analytics -palvelua kävijämäärien ja sivuston
käytön tilastointiin. Markkinointia varten käytämme Meta Pixel -seurantaa, jonka avulla
kohdennamme mainoksia Facebookissa ja Instagramissa.

Jatkamalla sivuston käyttöä hyväksyt evästeiden käytön. Voit estää evästeet selaimesi
asetuksista.

Tietoja voidaan siirtää EU:n ulkopuolelle Yhdysvaltoihin. Päivitetty 3.2.2025.
"""
