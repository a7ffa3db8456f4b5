"""A placeholder click is recorded (issue 23): action "embed" names its service, the service
is in that event's chain record and hash, every other record stays as it was, and a bundle
holding an embed event verifies."""

from __future__ import annotations

import uuid

from consent_service.extensions import db
from consent_service.models import ConsentEvent
from consent_service.proof.verify import VALID, Pins, verify_bundle
from consent_service.services import consents, policies

from .helpers import record_event


def _embed(app, site, service="youtube", **extra):
    hashes = policies.banner_hashes(policies.current_policy(site).content)
    data = {"event_id": uuid.uuid4(), "policy_version": 1, "action": "embed",
            "service": service, "choices": {"analytics": False, "marketing": False},
            "language": "fi", "banner_hash": hashes["fi"],
            "page_url": "https://kauppa.example.fi/video", "gpc": False, **extra}
    return record_event(site, data, remote_addr="192.0.2.1", user_agent="Mozilla/5.0",
                        ip_mode="truncate", secret=app.config["SECRET_KEY"])


def test_embed_event_carries_its_service_in_the_chain(app, runner, proof_site, add_events,
                                                      tmp_path, signing_key):
    add_events(2)
    event, created = _embed(app, proof_site)
    assert created
    db.session.expire_all()
    rows = db.session.query(ConsentEvent).order_by(ConsentEvent.seq).all()
    assert [r.action for r in rows][-1] == "embed" and rows[-1].service == "youtube"
    assert all("service" not in consents.chain_record(r, proof_site.site_key) for r in rows[:-1])
    record = consents.chain_record(rows[-1], proof_site.site_key)
    assert record["service"] == "youtube"
    assert rows[-1].event_hash == consents.event_hash(rows[-1], proof_site.site_key)
    # The service is covered: another service gives another hash.
    other = {**{c.name: getattr(rows[-1], c.name) for c in ConsentEvent.__table__.columns},
             "service": "vimeo"}
    assert consents.event_hash(other, proof_site.site_key) != rows[-1].event_hash
    out = tmp_path / "b.zip"
    assert runner.invoke(args=["bundle", "--site", proof_site.site_key, "--out",
                               str(out)]).exit_code == 0
    report = verify_bundle(out, Pins(fingerprints={signing_key.fingerprint}))
    assert report.verdict == VALID, (report.verdict, report.counts)


def test_api_embed_needs_a_service_and_only_embed_has_one(client, published_site, consent_body):
    url = f"/api/v1/sites/{published_site.site_key}/consents"
    ok = client.post(url, json=consent_body(action="embed", service="youtube",
                                            choices={"analytics": False, "marketing": False}))
    assert ok.status_code == 201, ok.get_json()
    assert client.post(url, json=consent_body(action="embed")).status_code == 422
    assert client.post(url, json=consent_body(service="youtube")).status_code == 422
    bad = client.post(url, json=consent_body(action="embed", service="<b>x</b>",
                                             choices={"analytics": False, "marketing": False}))
    assert bad.status_code == 422
