"""A reused event_id never loses a choice: same content → 200 and the same receipt,
different content → 409 JSON error, also when the requests race into one writer batch."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import func, select

from consent_service.extensions import db
from consent_service.models import ConsentEvent
from consent_service.services import policies


def _body(site, **changes):
    hashes = policies.banner_hashes(policies.current_policy(site).content)
    body = {"event_id": str(uuid.uuid4()), "policy_version": 1, "action": "custom",
            "choices": {"analytics": True, "marketing": False}, "language": "fi",
            "banner_hash": hashes["fi"], "page_url": "https://kauppa.example.fi/a",
            "gpc": False}
    body.update(changes)
    return body


def _url(site):
    return f"/api/v1/sites/{site.site_key}/consents"


def _count():
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(ConsentEvent))


def test_same_content_same_receipt_different_content_409(client, proof_site):
    body = _body(proof_site)
    first = client.post(_url(proof_site), json=body)
    again = client.post(_url(proof_site), json={**body, "page_url": "https://kauppa.example.fi/b"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["receipt_id"] == first.get_json()["receipt_id"]
    for change in ({"action": "reject_all", "choices": {"analytics": False, "marketing": False}},
                   {"choices": {"analytics": False, "marketing": True}},
                   {"gpc": True}, {"language": "sv", "banner_hash": policies.banner_hashes(
                       policies.current_policy(proof_site).content)["sv"]}):
        resp = client.post(_url(proof_site), json={**body, **change})
        assert resp.status_code == 409, change
        doc = resp.get_json()
        assert set(doc) == {"code", "status", "message", "errors"} and doc["code"] == 409
        assert doc["errors"]["event_id"] == [body["event_id"]]
    assert _count() == 1
    stored = db.session.scalars(select(ConsentEvent)).one()
    assert stored.action == "custom" and stored.choices["analytics"] is True


def test_racing_duplicates_in_one_batch(app, proof_site):
    """Eight threads, one event_id, two contents: one row; the same content as the row
    answers 200 or 201, the other 409; never a 200 for a choice that was not stored."""
    eid = str(uuid.uuid4())
    accept = _body(proof_site, event_id=eid, action="accept_all",
                   choices={"analytics": True, "marketing": True})
    reject = _body(proof_site, event_id=eid, action="reject_all",
                   choices={"analytics": False, "marketing": False})
    results: list[tuple[str, int]] = []
    start = threading.Barrier(8)

    def post(kind, body):
        client = app.test_client()
        start.wait()
        resp = client.post(_url(proof_site), json=body)
        results.append((kind, resp.status_code))

    threads = [threading.Thread(target=post, args=(("accept", accept) if i % 2 else
                                                   ("reject", reject)))
               for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert _count() == 1
    stored = db.session.scalars(select(ConsentEvent)).one().action
    winner = "accept" if stored == "accept_all" else "reject"
    assert sorted(code for kind, code in results if kind == winner) == [200, 200, 200, 201]
    assert [code for kind, code in results if kind != winner] == [409] * 4


def test_embed_event_reused_for_another_service_is_409(client, proof_site):
    body = _body(proof_site, action="embed", service="youtube",
                 choices={"analytics": False, "marketing": False})
    assert client.post(_url(proof_site), json=body).status_code == 201
    assert client.post(_url(proof_site), json=body).status_code == 200
    other = client.post(_url(proof_site), json={**body, "service": "vimeo"})
    assert other.status_code == 409 and other.get_json()["errors"]["differs"] == ["service"]
    assert _count() == 1
