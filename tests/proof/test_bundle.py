"""Proof bundles: a clean one verifies (our verifier, sha256sum, openssl); tampering fails."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from .conftest import T0

pytestmark = pytest.mark.skipif(not (shutil.which("openssl") and shutil.which("sha256sum")),
                                reason="needs openssl and sha256sum")


@pytest.fixture
def bundle(runner, proof_site, add_events, tmp_path):
    events = add_events(9)
    out = tmp_path / "bundle.zip"
    result = runner.invoke(args=["bundle", "--site", proof_site.site_key, "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.output)
    assert manifest["events"] == 9 and manifest["seals"] == 1 and manifest["first_seq"] == 1
    return out, events


def rewrite(src: Path, dst: Path, change) -> None:
    """Copy a zip, passing each member through change(name, bytes) -> bytes | None."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info, data)


def edit_lines(change_lines):
    def change(name, data):
        if name != "events.ndjson":
            return data
        lines = data.decode().splitlines()
        return ("\n".join(change_lines(lines)) + "\n").encode()
    return change


PIN: list[str] = []


@pytest.fixture(autouse=True)
def _pin(signing_key):
    PIN[:] = [signing_key.fingerprint] if signing_key else []
    yield
    PIN.clear()


def verify(runner, path, *extra):
    pins = [a for fp in PIN for a in ("--trusted-key", fp)]
    result = runner.invoke(args=["verify", str(path), *pins, *extra])
    return result.exit_code, result.output


def test_clean_bundle_verifies(runner, bundle):
    path, _ = bundle
    code, out = verify(runner, path)
    assert code == 0, out
    assert out.startswith("VALID: ") and "9 events" in out and "1 seals checked" in out


def test_clean_bundle_verifies_with_openssl_and_sha256sum(bundle, tmp_path):
    path, _ = bundle
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(path) as zf:
        zf.extractall(folder)
    # The commands of README.txt, one by one.
    sums = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True,
                          text=True)
    assert sums.returncode == 0, sums.stdout + sums.stderr
    assert sums.stdout.count(": OK") == 9 + 1 + 3  # events, policy content, 3 banners
    payloads = sorted(folder.glob("seals/*.payload"))
    assert len(payloads) == 1
    payload = payloads[0]
    seal = json.loads(payload.read_text())
    key = folder / "keys" / f"{seal['key_fingerprint'][7:23]}.pem"
    # README.txt 1.: the key's fingerprint, with openssl and sha256sum.
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", str(key), "-outform", "DER"],
                         capture_output=True, check=True).stdout
    fp = subprocess.run(["sha256sum"], input=der[-32:], capture_output=True,
                        check=True).stdout[:64].decode()
    assert f"sha256:{fp}" == PIN[0] == seal["key_fingerprint"]
    ok = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(key),
                         "-rawin", "-in", str(payload), "-sigfile",
                         str(payload.with_suffix(".sig"))], capture_output=True, text=True)
    assert ok.returncode == 0 and "Signature Verified Successfully" in ok.stdout, ok.stderr
    head = subprocess.run(["sha256sum", f"events/{seal['tree_size']:012d}.json"], cwd=folder,
                          capture_output=True, text=True, check=True).stdout[:64]
    assert head == seal["head_hash"]
    # A changed payload must not verify.
    bad = tmp_path / "bad.payload"
    bad.write_bytes(payload.read_bytes().replace(b'"tree_size":9', b'"tree_size":8'))
    fail = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(key),
                           "-rawin", "-in", str(bad), "-sigfile",
                           str(payload.with_suffix(".sig"))], capture_output=True, text=True)
    assert fail.returncode != 0
    # And the whole script: VALID only with the fingerprint.
    script = subprocess.run(["bash", "verify.sh", PIN[0]], cwd=folder, capture_output=True,
                            text=True)
    assert script.returncode == 0 and script.stdout.startswith("VALID: "), script.stdout
    bare = subprocess.run(["bash", "verify.sh"], cwd=folder, capture_output=True, text=True)
    assert bare.returncode == 3 and bare.stdout.startswith("UNPINNED KEY: "), bare.stdout
    assert PIN[0] in bare.stdout.splitlines()[0]


def test_script_catches_an_edited_event_file(bundle, tmp_path):
    path, _ = bundle
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(path) as zf:
        zf.extractall(folder)
    f = folder / "events" / "000000000004.json"
    f.write_text(f.read_text().replace('"language":"fi"', '"language":"sv"')
                 .replace('"language":"en"', '"language":"fi"'))
    script = subprocess.run(["bash", "verify.sh", PIN[0]], cwd=folder, capture_output=True,
                            text=True)
    assert script.returncode == 1 and script.stdout.startswith("INVALID: "), script.stdout
    assert "events/000000000004.json: FAILED" in script.stdout


def _edit_record(lines, seq, **changes):
    out = []
    for line in lines:
        record = json.loads(line)
        if record["seq"] == seq:
            record.update(changes)
        out.append(json.dumps(record))
    return out


@pytest.mark.parametrize("changes", [
    {"choices": {"necessary": True, "analytics": True, "marketing": True},
     "action": "accept_all"},
    {"recorded_at": T0.replace(year=2022).strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
    {"policy_version": 2},
    {"action": "withdraw"},
])
def test_edited_event_in_bundle_is_named(runner, bundle, tmp_path, changes):
    path, events = bundle
    bad = tmp_path / "bad.zip"
    rewrite(path, bad, edit_lines(lambda lines: _edit_record(lines, 5, **changes)))
    code, out = verify(runner, bad)
    assert code == 1 and f"seq 5 event {events[4][0]}" in out, out


def test_deleted_event_in_bundle_is_named(runner, bundle, tmp_path):
    path, events = bundle
    bad = tmp_path / "bad.zip"
    rewrite(path, bad, edit_lines(lambda lines: lines[:3] + lines[4:]))
    code, out = verify(runner, bad)
    assert code == 1 and f"seq 5 event {events[4][0]}: seq 4 missing" in out, out


def test_deleted_last_event_in_bundle_is_caught(runner, bundle, tmp_path):
    path, _ = bundle
    bad = tmp_path / "bad.zip"
    rewrite(path, bad, edit_lines(lambda lines: lines[:-1]))
    code, out = verify(runner, bad)
    assert code == 1 and "[seal]" in out and "[seq]" in out, out


def test_reordered_events_in_bundle_are_named(runner, bundle, tmp_path):
    path, events = bundle
    bad = tmp_path / "bad.zip"
    rewrite(path, bad, edit_lines(lambda lines: lines[:2] + [lines[3], lines[2]] + lines[4:]))
    code, out = verify(runner, bad)
    assert code == 1
    assert f"seq 4 event {events[3][0]}" in out and f"seq 3 event {events[2][0]}" in out, out


def test_changed_policy_text_in_bundle_names_events(runner, bundle, tmp_path):
    path, events = bundle
    bad = tmp_path / "bad.zip"

    def change(name, data):
        if name.endswith(".content.json"):
            from consent_service.security import canonical_json

            doc = json.loads(data)
            doc["banner"]["sv"]["description"] = "Vi använder inga kakor."
            return canonical_json(doc)
        return data

    rewrite(path, bad, change)
    code, out = verify(runner, bad)
    assert code == 1 and "[policy]" in out
    for eid, _rid, _seq in events:
        assert eid in out
    assert f"[banner] seq 2 event {events[1][0]}" in out  # the Swedish events


def test_forged_seal_in_bundle_fails(runner, bundle, tmp_path):
    path, _ = bundle
    bad = tmp_path / "bad.zip"

    def change(name, data):
        if name.endswith(".payload"):
            return data.replace(b'"timestamp":"20', b'"timestamp":"19')
        return data

    rewrite(path, bad, change)
    code, out = verify(runner, bad)
    assert code == 1 and "bad signature" in out.splitlines()[0], out


def test_trusted_key_pins_the_signer(runner, app, bundle, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path, _ = bundle
    other = tmp_path / "other.pem"
    other.write_bytes(Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    result = runner.invoke(args=["verify", str(path), "--trusted-key", str(other)])
    assert result.exit_code == 1 and "not a pinned key" in result.output.splitlines()[0]
    with zipfile.ZipFile(path) as zf:
        kid = json.loads(zf.read("manifest.json"))["keys"][0]
        (tmp_path / "ours.pem").write_bytes(zf.read(f"keys/{kid}.pem"))
    ok = runner.invoke(args=["verify", str(path), "--trusted-key", str(tmp_path / "ours.pem")])
    assert ok.exit_code == 0, ok.output


def test_date_range_bundle_reaches_the_covering_seal(runner, proof_site, add_events, tmp_path):
    events = add_events(10)  # one a day from T0
    runner.invoke(args=["seal"])
    add_events(2)
    out = tmp_path / "range.zip"
    result = runner.invoke(args=["bundle", "--site", proof_site.site_key, "--from",
                                 "2024-01-12", "--to", "2024-01-14", "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.output)
    # Days 12..14 are seq 3..5; the events then run to the seal at seq 10 (not 11, 12).
    assert manifest["first_seq"] == 3 and manifest["range_last_seq"] == 5
    assert manifest["last_seq"] == 10 and manifest["seals"] == 1
    code, text = verify(runner, out)
    assert code == 0, text
    assert "anchor" in text
    with zipfile.ZipFile(out) as zf:
        first = json.loads(zf.read("events.ndjson").decode().splitlines()[0])
    assert first["event_id"] == events[2][0]


def test_bundle_is_audited(runner, app, bundle):
    from sqlalchemy import select

    from consent_service.extensions import db
    from consent_service.models import AuditLog

    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "export")).all()
    assert [r.details["format"] for r in rows] == ["bundle"] and rows[0].details["rows"] == 9
