"""Proof endpoints: signing keys, admin export/bundle/seal/verify, receipt proofs; proof CLI."""

from __future__ import annotations

import base64
import io
import json
import os
import stat
import zipfile

from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from consent_service.extensions import db
from consent_service.models import AuditLog, ConsentEvent
from consent_service.security import canonical_json
from consent_service.services import consents
from consent_service.services.sites import create_api_key


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def test_signing_key_created_0600_and_published(app, client):
    from consent_service.proof.seals import get_signer, key_id_of

    signer = get_signer()
    path = app.config["SIGNING_KEY_FILE"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    keys = client.get("/api/v1/signing-keys").get_json()
    assert len(keys) == 1 and keys[0]["key_id"] == signer.key_id
    assert keys[0]["algorithm"] == "Ed25519" and keys[0]["retired_at"] is None
    public = serialization.load_pem_public_key(keys[0]["public_key_pem"].encode())
    assert key_id_of(public) == signer.key_id and len(signer.key_id) == 16
    assert keys[0]["fingerprint"] == signer.fingerprint == "sha256:" + __import__(
        "hashlib").sha256(public.public_bytes(serialization.Encoding.Raw,
                                              serialization.PublicFormat.Raw)).hexdigest()
    spec = client.get("/api/v1/openapi.json").get_json()
    for path_ in ("/api/v1/signing-keys", "/api/v1/admin/sites/{site_key}/export",
                  "/api/v1/admin/sites/{site_key}/bundle", "/api/v1/receipts/{receipt_id}/proof"):
        assert path_ in spec["paths"], path_
    assert "SigningKeyOut" in spec["components"]["schemas"]


def test_key_rotation_keeps_old_public_keys(app, client, runner, proof_site, add_events,
                                            tmp_path):
    add_events(2)
    runner.invoke(args=["seal"])
    first = client.get("/api/v1/signing-keys").get_json()[0]["key_id"]
    result = runner.invoke(args=["keys", "rotate", "--yes"])
    assert result.exit_code == 0 and "new key" in result.output, result.output
    audit = db.session.scalars(select(AuditLog).where(
        AuditLog.action == "signing_key.rotate")).one()
    assert audit.details["retired"] == first
    add_events(1)
    runner.invoke(args=["seal"])
    keys = client.get("/api/v1/signing-keys").get_json()
    assert [k["key_id"] for k in keys][0] == first and len(keys) == 2
    assert keys[0]["retired_at"] is not None and keys[1]["retired_at"] is None
    # Seals of both keys still verify.
    result = runner.invoke(args=["verify", "--site", proof_site.site_key])
    assert result.exit_code == 0 and "2 seals checked" in result.output, result.output
    assert result.output.startswith("VALID: ")


def test_admin_export_auth(client, proof_site, add_events):
    from consent_service.services.sites import create_site

    add_events(3)
    url = f"/api/v1/admin/sites/{proof_site.site_key}/export"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=bearer("sk_nope.x")).status_code == 401
    other = create_site(["muu.example.fi"])
    _, other_key = create_api_key(other, "other", role="owner")
    assert client.get(url, headers=bearer(other_key)).status_code == 404
    _, key = create_api_key(proof_site, "viewer", role="viewer")
    assert client.get(url + "?format=xml", headers=bearer(key)).status_code == 422
    assert client.get(url + "?from=eilen", headers=bearer(key)).status_code == 422
    assert client.get(url + "?to=9999-12-31", headers=bearer(key)).status_code == 422
    resp = client.get(url, headers=bearer(key))
    assert resp.status_code == 200 and resp.mimetype == "application/x-ndjson"
    assert resp.is_streamed
    assert [json.loads(line)["seq"] for line in resp.get_data(as_text=True).splitlines()] \
        == [1, 2, 3]


def test_admin_export_formats_and_range(client, proof_site, add_events):
    add_events(5)
    _, key = create_api_key(proof_site, "viewer", role="viewer")
    url = f"/api/v1/admin/sites/{proof_site.site_key}/export"
    resp = client.get(url + "?format=csv&from=2024-01-11&to=2024-01-12", headers=bearer(key))
    assert resp.mimetype == "text/csv"
    lines = resp.get_data(as_text=True).splitlines()
    assert lines[0].startswith("seq,event_id") and len(lines) == 3
    assert "attachment" in resp.headers["Content-Disposition"]
    doc = client.get(url + "?format=json27560&to=2024-01-10", headers=bearer(key)).get_json()
    assert len(doc["records"]) == 1 and doc["records"][0]["event"]["method"] == "banner"
    audits = db.session.scalars(select(AuditLog).where(AuditLog.action == "export")).all()
    assert [a.details["format"] for a in audits] == ["csv", "json27560"]
    assert all(a.details["via"] == "api" and a.details["api_key"] for a in audits)


def test_admin_bundle_seal_verify(client, proof_site, add_events, tmp_path, runner):
    add_events(4)
    _, viewer = create_api_key(proof_site, "viewer", role="viewer")
    _, editor = create_api_key(proof_site, "editor", role="editor")
    base = f"/api/v1/admin/sites/{proof_site.site_key}"
    assert client.post(base + "/seal", headers=bearer(viewer)).status_code == 403
    sealed = client.post(base + "/seal", headers=bearer(editor)).get_json()
    assert sealed["sealed"] is True and sealed["seal"]["seq"] == 4
    again = client.post(base + "/seal", headers=bearer(editor)).get_json()
    assert again == {"sealed": False, "seal": None}
    resp = client.get(base + "/bundle", headers=bearer(viewer))
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    path = tmp_path / "api.zip"
    path.write_bytes(resp.get_data())
    with zipfile.ZipFile(io.BytesIO(resp.get_data())) as zf:
        assert json.loads(zf.read("manifest.json"))["events"] == 4
    unpinned = runner.invoke(args=["verify", str(path)])
    assert unpinned.exit_code == 3 and unpinned.output.startswith("UNPINNED KEY: ")
    fingerprint = client.get("/api/v1/signing-keys").get_json()[0]["fingerprint"]
    assert fingerprint in unpinned.output.splitlines()[0]
    pinned = runner.invoke(args=["verify", str(path), "--trusted-key", fingerprint])
    assert pinned.exit_code == 0 and pinned.output.startswith("VALID: "), pinned.output
    report = client.get(base + "/verify", headers=bearer(viewer)).get_json()
    assert report["verdict"] == "VALID" and report["ok"] is True
    assert report["events"] == 4 and report["seals_checked"] == 1


def test_receipt_proof(app, client, runner, proof_site, add_events):
    events = add_events(3)
    event = db.session.scalars(select(ConsentEvent).where(ConsentEvent.seq == 2)).one()
    token = consents.sign_receipt(event, proof_site.site_key, app.config["SECRET_KEY"])
    url = f"/api/v1/receipts/{event.receipt_id}/proof"
    assert client.get(url, headers={"X-Receipt-Token": "bad"}).status_code == 404
    # Never in the URL (access logs): refused even with the right token.
    in_url = client.get(url, query_string={"token": token})
    assert in_url.status_code == 400 and "token" in in_url.get_json()["errors"]
    assert client.get(url).status_code == 400
    runner.invoke(args=["seal"])
    proof = client.get(url, headers={"X-Receipt-Token": token}).get_json()
    assert client.post(url, json={"token": token}).get_json()["document"]["record"] == \
        proof["document"]["record"]
    doc = proof["document"]
    assert doc["record"]["event_id"] == events[1][0] and doc["event_hash_valid"] is True
    assert doc["policy"]["content_hash"] == doc["record"]["policy_hash"]
    assert doc["policy"]["content_hash_valid"] is True
    assert doc["banner"]["language"] == "sv" and doc["banner"]["text"]["title"] == \
        "Evästeet (sv)"
    assert doc["seal"]["seq"] == 3
    keys = {k["key_id"]: k for k in client.get("/api/v1/signing-keys").get_json()}
    public = serialization.load_pem_public_key(keys[proof["key_id"]]["public_key_pem"].encode())
    public.verify(base64.b64decode(proof["signature"]), canonical_json(doc))  # raises if bad
    # The CLI gives the same document, signed.
    result = runner.invoke(args=["proof", event.receipt_id])
    assert result.exit_code == 0, result.output
    cli_doc = json.loads(result.output)["document"]
    assert cli_doc["record"] == doc["record"] and cli_doc["seal"]["seq"] == 3
    assert runner.invoke(args=["proof", "rc_nope"]).exit_code == 1


def test_proof_cli_seals_when_nothing_covers(runner, proof_site, add_events):
    events = add_events(2)
    result = runner.invoke(args=["proof", events[1][1]])
    assert json.loads(result.output)["document"]["seal"]["seq"] == 2
    no_seal = runner.invoke(args=["proof", events[1][1], "--no-seal"])
    assert json.loads(no_seal.output)["document"]["seal"]["seq"] == 2  # now sealed


def test_seal_cli_skips_unchanged_heads(runner, proof_site, add_events):
    assert json.loads(runner.invoke(args=["seal"]).output) == []  # empty chain
    add_events(1)
    assert len(json.loads(runner.invoke(args=["seal"]).output)) == 1
    assert json.loads(runner.invoke(args=["seal"]).output) == []
    assert len(json.loads(runner.invoke(args=["seal", "--force"]).output)) == 1


def test_export_streams_after_the_view_context_is_gone(app, proof_site, add_events):
    """Under gunicorn the body is iterated after the view's app context (and session) ended;
    the `app` fixture keeps one context open, so use a second app without one."""
    from consent_service import create_app

    add_events(3)
    _, key = create_api_key(proof_site, "viewer", role="viewer")
    site_key = proof_site.site_key
    db.session.commit()
    other = create_app({k: app.config[k] for k in (
        "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "CONSENT_ENV", "INSTANCE_PATH")})
    client = other.test_client()
    for fmt in ("ndjson", "csv", "json27560"):
        resp = client.get(f"/api/v1/admin/sites/{site_key}/export?format={fmt}",
                          headers=bearer(key))
        assert resp.status_code == 200
        body = resp.get_data(as_text=True)
        assert body.count("rc_") == 3, (fmt, body[:300])
    with other.app_context():
        from consent_service.extensions import db as other_db

        other_db.engine.dispose()
