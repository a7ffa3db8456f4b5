"""Keys change only on purpose; the heads API for witnesses.

Two app servers (two create_app instances, separate instance folders, one database):
only the first has the key file. No GET or POST on either creates or rotates a key."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from consent_service import create_app
from consent_service.extensions import db
from consent_service.models import AuditLog
from consent_service.proof import merkle
from consent_service.proof.models import SigningKey
from consent_service.services import policies
from consent_service.services.sites import create_api_key


def _keys_state():
    rows = db.session.scalars(select(SigningKey).order_by(SigningKey.id)).all()
    audits = db.session.scalars(select(AuditLog.action).where(
        AuditLog.action.like("signing_key.%"))).all()
    return [(r.key_id, r.retired_at) for r in rows], sorted(audits)


@pytest.fixture
def second_app(app, database_url, tmp_path):
    other = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "CONSENT_ENV": "testing",
        "INSTANCE_PATH": str(tmp_path / "instance-b"),
        "RATELIMIT_CONSENTS": "10000/minute",
        "RATELIMIT_SITE": "100000/minute",
    })
    assert other.config["SIGNING_KEY_FILE"] != app.config["SIGNING_KEY_FILE"]
    yield other
    with other.app_context():
        db.engine.dispose()


def _sweep(flask_app, site_key, receipt_id, api_key):
    """GET and POST every route of the app with plausible arguments."""
    values = {"site_key": site_key, "receipt_id": receipt_id, "key": site_key,
              "version": "1", "job_id": "1", "scan_id": "1", "user_id": "1", "id": "1",
              "filename": "x.js", "lang": "fi", "token": "x", "member_id": "1",
              "key_id": "1", "path": "x", "name": "x"}
    statuses = []
    client = flask_app.test_client()
    for rule in flask_app.url_map.iter_rules():
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<{arg}>", values.get(arg, "1"))
            for conv in ("string", "int", "path", "uuid", "string(maxlength=40)"):
                url = url.replace(f"<{conv}:{arg}>", values.get(arg, "1"))
        for method in ("GET", "POST"):
            if method not in rule.methods:
                continue
            resp = client.open(url, method=method, json={},
                               headers={"Authorization": f"Bearer {api_key}",
                                        "X-Receipt-Token": "x"})
            statuses.append(resp.status_code)
    return statuses


def test_two_app_servers_no_request_creates_or_rotates_a_key(
        app, second_app, proof_site, add_events, signing_key):
    add_events(3)
    _, api_key = create_api_key(proof_site, "ops", role="owner")
    receipt = add_events(1)[0][1]
    before = _keys_state()
    assert before == ([(signing_key.key_id, None)], ["signing_key.create"])
    site_key = proof_site.site_key
    b_key_file = Path(second_app.config["SIGNING_KEY_FILE"])

    client_b = second_app.test_client()
    keys = client_b.get("/api/v1/signing-keys")
    assert keys.status_code == 200
    assert [k["fingerprint"] for k in keys.get_json()] == [signing_key.fingerprint]
    seal = client_b.post(f"/api/v1/admin/sites/{site_key}/seal",
                         headers={"Authorization": f"Bearer {api_key}"})
    assert seal.status_code == 503 and "no signing key file" in seal.get_json()["message"]
    proof = client_b.get(f"/api/v1/receipts/{receipt}/proof", headers={
        "X-Receipt-Token": "not-checked-before-the-key"})
    assert proof.status_code in (404, 503)
    bundle = client_b.get(f"/api/v1/admin/sites/{site_key}/bundle",
                          headers={"Authorization": f"Bearer {api_key}"})
    assert bundle.status_code == 200
    hashes = policies.banner_hashes(policies.current_policy(proof_site).content)
    post = client_b.post(f"/api/v1/sites/{site_key}/consents", json={
        "event_id": str(uuid.uuid4()), "policy_version": 1, "action": "reject_all",
        "choices": {"analytics": False, "marketing": False}, "language": "fi",
        "banner_hash": hashes["fi"]})
    assert post.status_code == 201

    statuses_b = _sweep(second_app, site_key, receipt, api_key)
    statuses_a = _sweep(app, site_key, receipt, api_key)
    assert 500 not in statuses_a + statuses_b
    assert not b_key_file.exists()
    db.session.expire_all()
    assert _keys_state() == before  # nothing created, nothing retired, nothing audited
    # The server with the key still signs with the same key.
    client_a = app.test_client()
    sealed = client_a.post(f"/api/v1/admin/sites/{site_key}/seal",
                           headers={"Authorization": f"Bearer {api_key}"}).get_json()
    assert sealed["seal"] is None or sealed["seal"]["key_id"] == signing_key.key_id
    assert _keys_state() == before


def test_a_key_file_that_is_not_the_published_key_never_signs(app, runner, proof_site,
                                                               add_events, signing_key):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    add_events(2)
    path = Path(app.config["SIGNING_KEY_FILE"])
    path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    app.extensions.pop("proof_signer", None)
    result = runner.invoke(args=["seal"])
    assert result.exit_code == 1 and "not a published key" in result.output
    assert _keys_state()[0] == [(signing_key.key_id, None)]


def test_keys_init_refuses_a_second_active_key(runner, signing_key):
    result = runner.invoke(args=["keys", "init"])
    assert result.exit_code == 1 and "already active" in result.output
    listed = runner.invoke(args=["keys", "list"])
    assert signing_key.fingerprint in listed.output and "active" in listed.output


def test_heads_api_pages_and_proves_consistency(client, runner, proof_site, add_events):
    site_key = proof_site.site_key
    sizes = []
    for n in (3, 2, 4, 1):
        add_events(n)
        runner.invoke(args=["seal"])
        sizes.append(sum([3, 2, 4, 1][:len(sizes) + 1]))
    url = f"/api/v1/sites/{site_key}/seals"
    page = client.get(url + "?limit=2").get_json()
    assert [h["tree_size"] for h in page["heads"]] == [3, 5] and page["next_after"] == 5
    rest = client.get(url + f"?after={page['next_after']}").get_json()
    assert [h["tree_size"] for h in rest["heads"]] == [9, 10] and rest["next_after"] is None
    heads = {h["tree_size"]: h for h in page["heads"] + rest["heads"]}
    for m in sizes:
        for n in sizes:
            if m > n:
                continue
            doc = client.get(f"{url}/consistency?first={m}&second={n}").get_json()
            proof = [bytes.fromhex(p) for p in doc["proof"]]
            assert merkle.verify_consistency(m, n, bytes.fromhex(heads[m]["root_hash"]),
                                             bytes.fromhex(heads[n]["root_hash"]), proof)
    for bad in ("?first=0&second=3", "?first=4&second=3", "?first=1&second=11",
                "?first=x&second=3", "?first=1", "?first=1.5&second=3",
                "?first=99999999999999999999999&second=3"):
        resp = client.get(url + "/consistency" + bad)
        assert resp.status_code == 400 and resp.get_json()["errors"], bad
    for bad in ("?limit=0", "?limit=1001", "?after=-1", "?after=x"):
        assert client.get(url + bad).status_code == 400, bad
    assert client.get("/api/v1/sites/pk_nope/seals").status_code == 404
    assert client.get("/api/v1/sites/pk_nope/seals/consistency?first=1&second=1"
                      ).status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/sites/{site_key}/seals/consistency" in spec["paths"]
