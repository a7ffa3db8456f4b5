"""The forgeries of issue 19: none may come out VALID, from `verify` or from `verify.sh`.

Each forged bundle is made the way an attacker would: records rewritten to accept_all
with every hash recomputed (so the chain itself checks), then (1) the seals dropped,
(2) re-sealed with a fresh key put into keys/, (3) only events.ndjson re-chained, or
(4) the database rewritten after a witness kept a head, and re-signed with the real key.
verify.sh runs for real (bash, openssl, sha256sum)."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, select, update

from consent_service.extensions import db
from consent_service.models import ChainHead, ConsentEvent
from consent_service.proof import merkle
from consent_service.proof.models import ChainSeal
from consent_service.proof.seals import fingerprint_of, head_payload, key_id_of, public_pem
from consent_service.security import canonical_hash, canonical_json
from consent_service.services.consents import event_hash
from consent_service.services.sites import GENESIS_HASH

pytestmark = pytest.mark.skipif(not (shutil.which("openssl") and shutil.which("sha256sum")
                                     and shutil.which("bash")),
                                reason="needs bash, openssl and sha256sum")

ACCEPT = {"necessary": True, "analytics": True, "marketing": True}


@pytest.fixture
def clean(runner, proof_site, add_events, tmp_path):
    add_events(9)
    out = tmp_path / "clean.zip"
    result = runner.invoke(args=["bundle", "--site", proof_site.site_key, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def verify(runner, path, *args):
    result = runner.invoke(args=["verify", str(path), *args])
    first = result.output.splitlines()[0] if result.output else ""
    return result.exit_code, first, result.output


def verify_sh(path: Path, tmp_path: Path, *args) -> tuple[int, str, str]:
    folder = tmp_path / f"x-{path.stem}-{len(list(tmp_path.iterdir()))}"
    with zipfile.ZipFile(path) as zf:
        zf.extractall(folder)
    run = subprocess.run(["bash", "verify.sh", *args], cwd=folder, capture_output=True,
                         text=True, timeout=120)
    return run.returncode, run.stdout.splitlines()[0] if run.stdout else "", run.stdout


def _read(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i.filename) for i in zf.infolist()}


def _write(files: dict[str, bytes], path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            if name == "verify.sh":
                info.external_attr = 0o100755 << 16
            zf.writestr(info, data)


def rechain(records: list[dict]) -> list[tuple[dict, str]]:
    """Every record accept_all, prev_hash and event_hash recomputed: a chain that checks."""
    out, prev = [], GENESIS_HASH
    for rec in records:
        rec = {**rec, "action": "accept_all", "choices": ACCEPT, "prev_hash": prev}
        prev = canonical_hash(rec)
        out.append((rec, prev))
    return out


def forge(src: Path, dst: Path, *, ndjson_only=False, seal_key=None) -> None:
    files = _read(src)
    records = [json.loads(line) for line in files["events.ndjson"].decode().splitlines()]
    for r in records:
        r.pop("event_hash")
    chain = rechain(records)
    files["events.ndjson"] = b"".join(
        canonical_json({**rec, "event_hash": h}) + b"\n" for rec, h in chain)
    if not ndjson_only:
        sums = [line for line in files["SHA256SUMS"].decode().splitlines()
                if "  events/" not in line]
        for rec, h in chain:
            name = f"events/{rec['seq']:012d}.json"
            files[name] = canonical_json(rec)
            sums.insert(0, f"{h}  {name}")
        files["SHA256SUMS"] = ("\n".join(sorted(sums, key=lambda s: s[66:])) + "\n").encode()
        for name in [n for n in files if n.startswith(("seals/", "keys/"))]:
            del files[name]
    if seal_key is not None:
        pub = seal_key.public_key()
        fp = fingerprint_of(pub)
        manifest = json.loads(files["manifest.json"])
        size = chain[-1][0]["seq"]
        root = merkle.root_of(h for _r, h in chain).hex()
        payload = head_payload(manifest["site_key"], size, root, chain[-1][1],
                               "2024-02-01T00:00:00Z", fp)
        files[f"seals/{size:012d}-99.payload"] = payload
        files[f"seals/{size:012d}-99.sig"] = seal_key.sign(payload)
        files[f"keys/{key_id_of(pub)}.pem"] = public_pem(pub).encode()
    _write(files, dst)


def test_clean_bundle_is_valid_everywhere(runner, clean, signing_key, tmp_path):
    code, first, out = verify(runner, clean, "--trusted-key", signing_key.fingerprint)
    assert code == 0 and first.startswith("VALID: "), out
    code, first, out = verify_sh(clean, tmp_path, signing_key.fingerprint)
    assert code == 0 and first.startswith("VALID: "), out
    # Without a pin neither says VALID: the key inside the bundle proves nothing.
    code, first, _ = verify(runner, clean)
    assert code == 3 and first.startswith("UNPINNED KEY: ") and signing_key.fingerprint in first
    code, first, _ = verify_sh(clean, tmp_path)
    assert code == 3 and first.startswith("UNPINNED KEY: ") and signing_key.fingerprint in first


def test_readme_openssl_steps_work(clean, signing_key, tmp_path):
    """README.txt section 3, command by command, as a reader would type them."""
    folder = tmp_path / "readme"
    with zipfile.ZipFile(clean) as zf:
        zf.extractall(folder)
    readme = (folder / "README.txt").read_text()
    kid = signing_key.key_id
    payload = next((folder / "seals").glob("*.payload"))
    stem = payload.name[:-len(".payload")]
    fp_cmd = "openssl pkey -pubin -in keys/KEYID.pem -outform DER | tail -c 32 | sha256sum"
    assert fp_cmd in readme
    got = subprocess.run(["bash", "-c", fp_cmd.replace("KEYID", kid)], cwd=folder,
                         capture_output=True, text=True, check=True).stdout[:64]
    assert "sha256:" + got == signing_key.fingerprint
    assert "sha256sum -c SHA256SUMS" in readme
    subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, check=True,
                   capture_output=True)
    verify_cmd = ("openssl pkeyutl -verify -pubin -inkey keys/KEYID.pem -rawin "
                  "-in seals/SEAL.payload -sigfile seals/SEAL.sig")
    assert " ".join(readme.replace("\\\n", " ").split()).count(verify_cmd) == 1
    ok = subprocess.run(["bash", "-c", verify_cmd.replace("KEYID", kid).replace("SEAL", stem)],
                        cwd=folder, capture_output=True, text=True)
    assert ok.returncode == 0 and "Signature Verified Successfully" in ok.stdout
    head = json.loads(payload.read_bytes())["head_hash"]
    last = subprocess.run(["sha256sum", "events/000000000009.json"], cwd=folder,
                          capture_output=True, text=True, check=True).stdout[:64]
    assert last == head


def test_forgery_seals_removed(runner, clean, signing_key, tmp_path):
    forged = tmp_path / "no-seals.zip"
    forge(clean, forged)
    code, first, out = verify(runner, forged, "--trusted-key", signing_key.fingerprint)
    assert code == 4 and first.startswith("UNSEALED TAIL: "), out
    assert verify(runner, forged)[0] == 4
    code, first, out = verify_sh(forged, tmp_path, signing_key.fingerprint)
    assert code == 4 and first.startswith("UNSEALED TAIL: "), out


def test_forgery_resealed_with_a_new_key_in_keys(runner, clean, signing_key, tmp_path):
    forged = tmp_path / "new-key.zip"
    fake = Ed25519PrivateKey.generate()
    forge(clean, forged, seal_key=fake)
    fake_fp = fingerprint_of(fake.public_key())
    code, first, out = verify(runner, forged, "--trusted-key", signing_key.fingerprint)
    assert code == 1 and first.startswith("INVALID: ") and "not a pinned key" in first, out
    code, first, out = verify(runner, forged)
    assert code == 3 and first.startswith("UNPINNED KEY: ") and fake_fp in first, out
    code, first, out = verify_sh(forged, tmp_path, signing_key.fingerprint)
    assert code == 1 and first.startswith("INVALID: ") and "not the pinned key" in first, out
    code, first, out = verify_sh(forged, tmp_path)
    assert code == 3 and fake_fp in first, out


def test_forgery_events_ndjson_rechained_event_files_left(runner, clean, signing_key,
                                                          tmp_path):
    forged = tmp_path / "ndjson.zip"
    forge(clean, forged, ndjson_only=True)
    code, first, out = verify(runner, forged, "--trusted-key", signing_key.fingerprint)
    assert code == 1 and first.startswith("INVALID: "), out
    assert "differs from events/" in out
    code, first, out = verify_sh(forged, tmp_path, signing_key.fingerprint)
    assert code == 1 and first == "INVALID: events.ndjson differs from events/ " \
        "(re-chained or edited)", out


def _rewrite_database(site) -> None:
    """The operator's forgery: event 5 becomes accept_all, 5..9 re-chained, seals gone."""
    rows = db.session.scalars(select(ConsentEvent).where(ConsentEvent.site_id == site.id)
                              .order_by(ConsentEvent.seq)).all()
    prev = rows[3].event_hash
    table = ConsentEvent.__table__
    for row in rows[4:]:
        values = {c.name: getattr(row, c.name) for c in table.columns}
        if row.seq == 5:
            values.update(action="accept_all", choices=ACCEPT)
        values["prev_hash"] = prev
        prev = values["event_hash"] = event_hash(values, site.site_key)
        db.session.execute(update(table).where(table.c.id == row.id).values(
            action=values["action"], choices=values["choices"], prev_hash=values["prev_hash"],
            event_hash=values["event_hash"]))
    db.session.execute(update(ChainHead).where(ChainHead.site_id == site.id)
                       .values(head_hash=prev))
    db.session.execute(delete(ChainSeal).where(ChainSeal.site_id == site.id))
    db.session.commit()
    db.session.expire_all()


def test_forgery_rewrite_after_a_witnessed_head_resigned_with_the_real_key(
        runner, client, proof_site, add_events, signing_key, tmp_path):
    add_events(9)
    assert runner.invoke(args=["seal"]).exit_code == 0
    # The witness (the WordPress plugin's hourly cron) keeps the served heads.
    served = client.get(f"/api/v1/sites/{proof_site.site_key}/seals").get_json()
    assert [h["tree_size"] for h in served["heads"]] == [9]
    witness = tmp_path / "witness.json"
    witness.write_text(json.dumps({"site_key": proof_site.site_key,
                                   "heads": served["heads"]}))
    _rewrite_database(proof_site)
    forged = tmp_path / "rewritten.zip"
    result = runner.invoke(args=["bundle", "--site", proof_site.site_key, "--out",
                                 str(forged)])
    assert result.exit_code == 0, result.output
    pin = ("--trusted-key", signing_key.fingerprint)
    # Without the witness the rewrite is indistinguishable: that is what witnesses are for.
    assert verify(runner, forged, *pin)[1].startswith("VALID: ")
    code, first, out = verify(runner, forged, *pin, "--witness", str(witness))
    assert code == 1 and first.startswith("INVALID: ") and \
        "rewritten after a witnessed head" in first, out
    code, first, out = verify_sh(forged, tmp_path, signing_key.fingerprint, "--witness",
                                 str(witness))
    assert code == 1 and "rewritten after a witnessed head" in first, out
    # The live check with the witness catches it too.
    live = runner.invoke(args=["verify", "--site", proof_site.site_key, "--witness",
                               str(witness)])
    assert live.exit_code == 1 and "rewritten after a witnessed head" in live.output


def test_witness_of_the_clean_history_agrees(runner, client, proof_site, add_events,
                                             signing_key, tmp_path):
    add_events(4)
    runner.invoke(args=["seal"])
    add_events(5)
    bundle = tmp_path / "b.zip"
    runner.invoke(args=["bundle", "--site", proof_site.site_key, "--out", str(bundle)])
    heads = client.get(f"/api/v1/sites/{proof_site.site_key}/seals").get_json()["heads"]
    assert [h["tree_size"] for h in heads] == [4, 9]
    witness = tmp_path / "w.json"
    witness.write_text(json.dumps({"site_key": proof_site.site_key, "heads": heads}))
    code, first, out = verify(runner, bundle, "--trusted-key", signing_key.fingerprint,
                              "--witness", str(witness))
    assert code == 0 and "2 witness heads agree" in first, out
    code, first, text = verify_sh(bundle, tmp_path, signing_key.fingerprint, "--witness",
                                  str(witness))
    assert code == 0 and first.startswith("VALID: "), text
    # A witness head whose signature does not check is not silently accepted.
    heads[0]["root_hash"] = hashlib.sha256(b"x").hexdigest()
    witness.write_text(json.dumps({"site_key": proof_site.site_key, "heads": heads}))
    code, first, out = verify(runner, bundle, "--trusted-key", signing_key.fingerprint,
                              "--witness", str(witness))
    assert code == 1 and "bad signature" in first, out
    code, first, text = verify_sh(bundle, tmp_path, signing_key.fingerprint, "--witness",
                                  str(witness))
    assert code == 1 and "bad signature" in first, text
    # As PHP's json_encode writes it: one line, "/" escaped as "\/".
    heads[0]["root_hash"] = client.get(f"/api/v1/sites/{proof_site.site_key}/seals").get_json(
    )["heads"][0]["root_hash"]
    escaped = json.dumps({"site_key": proof_site.site_key, "heads": heads}).replace("/", "\\/")
    witness.write_text(escaped)
    code, first, text = verify_sh(bundle, tmp_path, signing_key.fingerprint, "--witness",
                                  str(witness))
    assert code == 0 and first.startswith("VALID: "), text


def test_export_says_plainly_when_the_tail_is_unsealed(runner, app, proof_site, add_events,
                                                       signing_key, tmp_path):
    add_events(3)
    runner.invoke(args=["seal"])
    add_events(2)
    # A machine without the key file: the bundle is still made, and says so.
    Path(app.config["SIGNING_KEY_FILE"]).unlink()
    app.extensions.pop("proof_signer", None)
    out = tmp_path / "tail.zip"
    result = runner.invoke(args=["bundle", "--site", proof_site.site_key, "--out", str(out)])
    assert result.exit_code == 0
    assert "warning: the tail is unsealed: events seq 4..5" in result.output
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    assert manifest["unsealed_tail"]["from_seq"] == 4 and manifest["last_seq"] == 5
    code, first, _ = verify(runner, out, "--trusted-key", signing_key.fingerprint)
    assert code == 4 and first.startswith("UNSEALED TAIL: events seq 4..5 (2)")
    code, first, _ = verify(runner, out)
    assert code == 3 and first.endswith("and events seq 4..5 are after the last seal")
    code, first, _ = verify_sh(out, tmp_path, signing_key.fingerprint)
    assert code == 4 and first.startswith("UNSEALED TAIL: events seq 4..5")


def test_signature_helpers_agree_with_the_served_head(client, runner, proof_site, add_events,
                                                      signing_key):
    """The signed bytes in docs/proof.md, rebuilt from a served head (as D's plugin does)."""
    add_events(3)
    runner.invoke(args=["seal"])
    head = client.get(f"/api/v1/sites/{proof_site.site_key}/seals").get_json()["heads"][0]
    assert set(head) == {"tree_size", "root_hash", "head_hash", "timestamp",
                         "key_fingerprint", "signature"}
    signed = (f'{{"head_hash":"{head["head_hash"]}","key_fingerprint":'
              f'"{head["key_fingerprint"]}","root_hash":"{head["root_hash"]}",'
              f'"site_key":"{proof_site.site_key}","timestamp":"{head["timestamp"]}",'
              f'"tree_size":{head["tree_size"]},"type":"consent-tree-head"}}').encode()
    signing_key.private_key.public_key().verify(base64.b64decode(head["signature"]), signed)
