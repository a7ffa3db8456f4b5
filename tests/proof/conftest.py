"""Fixtures of the proof tests: a site with our own banner texts, events at chosen times."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from consent_service.extensions import db
from consent_service.services import consents, policies, sites

from .helpers import clock_modules, record_event

# Our own short test texts (never copied from a real notice).
BANNER = {
    lang: {
        "title": f"Evästeet ({lang})",
        "description": "Käytämme evästeitä sivuston toimintaan ja kävijämäärien mittaamiseen.",
        "accept_all": "Hyväksy kaikki", "reject_all": "Hylkää kaikki", "settings": "Asetukset",
        "categories": {
            "necessary": {"title": "Välttämättömät", "description": "Sivusto toimii."},
            "analytics": {"title": "Analytiikka", "description": "Mittaamme käyntejä."},
            "marketing": {"title": "Markkinointi", "description": "Mainonnan kohdistus."},
        },
    }
    for lang in ("fi", "sv", "en")
}
T0 = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def signing_key(request):
    """The deployment's key, created on purpose as an operator would (`keys init`)."""
    if "app" not in request.fixturenames or request.node.get_closest_marker("no_key"):
        return None
    from consent_service.proof.seals import create_key

    request.getfixturevalue("app")
    return create_key(via="test")


@pytest.fixture
def proof_site(app):
    # An earlier services.consents cached policy facts per (site_id, version) process-wide
    # (now per app); every test database starts again at site 1, version 1 with other texts.
    getattr(consents, "_facts", {}).clear()
    site = sites.create_site(["kauppa.example.fi"], name="Testikauppa Oy")
    content = policies.build_content(["necessary", "analytics", "marketing"],
                                     ["google-analytics", "facebook-pixel"], banner=BANNER)
    policy = policies.create_draft(site, content)
    policies.publish(policy)
    return sites.get_site(site.site_key)


@pytest.fixture
def add_events(app, proof_site, monkeypatch):
    """add_events(n, start=T0, step=timedelta(days=1)) -> list of (event_id, receipt_id)."""
    clock = {"now": T0}
    for module in clock_modules():
        monkeypatch.setattr(module, "utcnow", lambda: clock["now"])
    hashes = policies.banner_hashes(
        policies.current_policy(proof_site).content)
    made = []

    def add(n: int, start: datetime | None = None, step: timedelta = timedelta(days=1),
            site=None, version: int = 1):
        site = site or proof_site
        if start is not None:
            clock["now"] = start
        out = []
        for i in range(n):
            action = ("accept_all", "reject_all", "custom")[i % 3]
            choices = {"analytics": action != "reject_all", "marketing": action == "accept_all"}
            lang = ("fi", "sv", "en")[i % 3]
            event, created = record_event(
                site, {"event_id": uuid.uuid4(), "policy_version": version, "action": action,
                       "choices": choices, "language": lang, "banner_hash": hashes[lang],
                       "page_url": f"https://kauppa.example.fi/sivu/{i}?q=x", "gpc": i % 5 == 0},
                remote_addr=f"192.0.2.{i % 250}", user_agent="Mozilla/5.0 (X11; Linux x86_64) "
                "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
                ip_mode="truncate", secret=app.config["SECRET_KEY"])
            assert created
            out.append((str(event.event_id), event.receipt_id, event.seq))
            clock["now"] = clock["now"] + step
        made.extend(out)
        db.session.expire_all()
        return out

    return add
