"""The public consent endpoint: happy path, idempotency, every refusal."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from consent_service.extensions import db
from consent_service.models import ConsentEvent


def url(site):
    return f"/api/v1/sites/{site.site_key}/consents"


def count_events():
    return db.session.scalar(select(func.count()).select_from(ConsentEvent))


def assert_error_shape(resp, status):
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"code", "status", "message", "errors"}
    assert body["code"] == status
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_consent_returns_receipt_and_stores_minimised_fields(client, published_site,
                                                             consent_body):
    body = consent_body()
    resp = client.post(url(published_site), json=body,
                       headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"
                                " (KHTML, like Gecko) Chrome/131.0 Safari/537.36"},
                       environ_base={"REMOTE_ADDR": "203.0.113.77"})
    assert resp.status_code == 201
    out = resp.get_json()
    assert out["receipt_id"].startswith("rc_") and out["receipt"]
    event = db.session.scalars(select(ConsentEvent)).one()
    assert str(event.event_id) == body["event_id"]
    assert event.choices == {"necessary": True, "analytics": True, "marketing": True}
    assert event.client_ip == "203.0.113.0/24"
    assert event.ua_family == "Chrome"
    assert event.page_url == "https://shop.example.fi/tuotteet"
    assert event.recorded_at.tzinfo is not None
    assert event.seq == 1 and event.prev_hash == "0" * 64


def test_ipv6_is_truncated_to_48(client, published_site, consent_body):
    client.post(url(published_site), json=consent_body(),
                environ_base={"REMOTE_ADDR": "2001:db8:abcd:12:1:2:3:4"})
    assert db.session.scalars(select(ConsentEvent)).one().client_ip == "2001:db8:abcd::/48"


def test_same_event_id_returns_same_receipt_and_one_row(client, published_site, consent_body):
    body = consent_body()
    first = client.post(url(published_site), json=body)
    second = client.post(url(published_site), json=body)
    assert first.status_code == 201 and second.status_code == 200
    assert first.get_json()["receipt"] == second.get_json()["receipt"]
    assert count_events() == 1


def test_necessary_is_always_true(client, published_site, consent_body):
    body = consent_body(action="reject_all",
                        choices={"necessary": False, "analytics": False, "marketing": False})
    assert client.post(url(published_site), json=body).status_code == 201
    assert db.session.scalars(select(ConsentEvent)).one().choices["necessary"] is True


def test_beacon_text_plain_body_is_accepted(client, published_site, consent_body):
    resp = client.post(url(published_site), data=json.dumps(consent_body()),
                       content_type="text/plain;charset=UTF-8")
    assert resp.status_code == 201


def test_chain_links_each_event_to_the_previous(client, published_site, consent_body):
    for _ in range(3):
        client.post(url(published_site), json=consent_body())
    events = db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.seq)).all()
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[1].prev_hash == events[0].event_hash
    assert events[2].prev_hash == events[1].event_hash


def test_unknown_site_is_404(client, published_site, consent_body):
    resp = client.post("/api/v1/sites/pk_nope/consents", json=consent_body())
    assert_error_shape(resp, 404)


@pytest.mark.parametrize("version", [99, 2])
def test_unknown_or_unpublished_policy_version(client, published_site, consent_body, version):
    if version == 2:  # a draft exists but is not published
        from consent_service.services import policies

        policies.create_draft(published_site, published_site.policies[0].content)
    resp = client.post(url(published_site), json=consent_body(policy_version=version))
    body = assert_error_shape(resp, 422)
    assert "policy_version" in body["errors"]
    assert count_events() == 0


@pytest.mark.parametrize(
    "choices,key",
    [
        ({"analytics": True}, "missing"),
        ({"analytics": True, "marketing": True, "tracking": True}, "unknown"),
    ],
)
def test_missing_or_unknown_category(client, published_site, consent_body, choices, key):
    resp = client.post(url(published_site), json=consent_body(action="custom", choices=choices))
    body = assert_error_shape(resp, 422)
    assert key in body["errors"]["choices"]


@pytest.mark.parametrize(
    "field,value",
    [
        ("event_id", "not-a-uuid"),
        ("event_id", 12),
        ("action", "maybe"),
        ("language", "de"),
        ("banner_hash", "abc"),
        ("policy_version", "1"),
        ("gpc", "yes"),
        ("page_url", "javascript:alert(1)"),
    ],
)
def test_malformed_fields_are_422(client, published_site, consent_body, field, value):
    resp = client.post(url(published_site), json=consent_body(**{field: value}))
    body = assert_error_shape(resp, 422)
    assert field in json.dumps(body["errors"])


def test_banner_hash_must_match_policy(client, published_site, consent_body):
    resp = client.post(url(published_site), json=consent_body(banner_hash="a" * 64))
    assert "banner_hash" in assert_error_shape(resp, 422)["errors"]


def test_inconsistent_accept_all(client, published_site, consent_body):
    resp = client.post(url(published_site),
                       json=consent_body(choices={"analytics": True, "marketing": False}))
    assert_error_shape(resp, 422)


def test_unknown_field_is_refused(client, published_site, consent_body):
    body = consent_body()
    body["fingerprint"] = "x"
    assert_error_shape(client.post(url(published_site), json=body), 422)


def test_oversized_body_is_413(client, published_site, consent_body):
    body = consent_body()
    body["page_url"] = "https://shop.example.fi/" + "a" * 17000
    resp = client.post(url(published_site), json=body)
    assert_error_shape(resp, 413)
    assert count_events() == 0


@pytest.mark.parametrize("ctype", ["application/x-www-form-urlencoded", "application/xml",
                                   "multipart/form-data; boundary=x"])
def test_wrong_content_type_is_415(client, published_site, consent_body, ctype):
    resp = client.post(url(published_site), data=json.dumps(consent_body()), content_type=ctype)
    assert_error_shape(resp, 415)


@pytest.mark.parametrize("raw", [b"{", b"[]", b"null", b"\xff\xfe", b"", b'"text"',
                                 b'{"a": NaN}', b"[" * 8000 + b"]" * 8000,
                                 b'{"a":' * 2000 + b"1" + b"}" * 2000])
def test_broken_json_is_4xx(client, published_site, raw):
    resp = client.post(url(published_site), data=raw, content_type="application/json")
    assert 400 <= resp.status_code < 500
    assert set(resp.get_json()) == {"code", "status", "message", "errors"}


def test_receipt_lookup_needs_its_token(client, published_site, consent_body):
    out = client.post(url(published_site), json=consent_body()).get_json()
    ok = client.get(f"/api/v1/receipts/{out['receipt_id']}",
                    headers={"X-Receipt-Token": out["receipt"]})
    assert ok.status_code == 200
    posted = client.post(f"/api/v1/receipts/{out['receipt_id']}", json={"token": out["receipt"]})
    assert posted.get_json() == ok.get_json()
    # Never in the URL, which reaches the access log: refused even when right.
    in_url = client.get(f"/api/v1/receipts/{out['receipt_id']}",
                        query_string={"token": out["receipt"]})
    assert_error_shape(in_url, 400)
    record = ok.get_json()
    assert record["receipt_id"] == out["receipt_id"] and record["hash_valid"] is True
    assert record["choices"]["analytics"] is True
    bad = client.get(f"/api/v1/receipts/{out['receipt_id']}", headers={"X-Receipt-Token": "forged"})
    assert_error_shape(bad, 404)
    other = client.post(url(published_site), json=consent_body()).get_json()
    swapped = client.get(f"/api/v1/receipts/{out['receipt_id']}",
                         headers={"X-Receipt-Token": other["receipt"]})
    assert_error_shape(swapped, 404)


def test_rate_limit_per_client_answers_429_with_retry_after(app, client, published_site,
                                                             consent_body):
    app.config["RATELIMIT_CONSENTS"] = "3/minute"
    codes = [client.post(url(published_site), json=consent_body(),
                         environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code
             for _ in range(5)]
    assert codes[:3] == [201, 201, 201] and codes[3:] == [429, 429]
    resp = client.post(url(published_site), json=consent_body(),
                       environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert_error_shape(resp, 429)
    assert int(resp.headers["Retry-After"]) > 0
    # Another client is not limited by the first one's traffic.
    other = client.post(url(published_site), json=consent_body(),
                        environ_base={"REMOTE_ADDR": "198.51.100.10"})
    assert other.status_code == 201


def test_cors_only_for_the_sites_origins(client, published_site, consent_body):
    good = client.options(url(published_site), headers={
        "Origin": "https://shop.example.fi", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert good.headers["Access-Control-Allow-Origin"] == "https://shop.example.fi"
    assert "POST" in good.headers["Access-Control-Allow-Methods"]
    evil = client.post(url(published_site), json=consent_body(),
                       headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in evil.headers
    refused = client.post(url(published_site), json=consent_body(action="bogus"),
                          headers={"Origin": "https://shop.example.fi"})
    # Errors carry CORS too, so the banner can read why it was refused.
    assert refused.headers["Access-Control-Allow-Origin"] == "https://shop.example.fi"


def test_event_ids_are_per_site(client, app, published_site, consent_body):
    from consent_service.services.setup import create_site_with_policy
    from consent_service.services.sites import get_site

    other = get_site(create_site_with_policy(["other.example.fi"], publish=True)["site_key"])
    body = consent_body()
    cfg = client.get(f"/api/v1/sites/{other.site_key}/config").get_json()
    assert client.post(url(published_site), json=body).status_code == 201
    body2 = dict(body, banner_hash=cfg["banner_hashes"]["fi"], policy_version=1)
    assert client.post(url(other), json=body2).status_code == 201
    assert count_events() == 2
    assert uuid.UUID(body["event_id"])
