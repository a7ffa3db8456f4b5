"""Ed25519 signing key and seals of each site's chain head."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import AuditLog, ChainHead, Site, utcnow
from ..security import canonical_json
from ..services.consents import iso
from .models import ChainSeal, SigningKey

ALGORITHM = "Ed25519"
SEAL_TYPE = "consent-chain-seal"


@dataclass(frozen=True)
class Signer:
    key_id: str
    private_key: Ed25519PrivateKey
    public_key_pem: str

    def sign(self, payload: bytes) -> bytes:
        return self.private_key.sign(payload)


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """First 16 hex characters of SHA-256 over the 32-byte raw public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _load_or_create(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            # O_EXCL: two processes starting at once must not both write a key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
            return key
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RuntimeError(f"{path} is not an Ed25519 private key")
    return key


class SigningKeyMissing(RuntimeError):
    """No key file here while the database lists an active key, and rotating was not asked."""


def get_signer(*, rotate: bool = True) -> Signer:
    """The configured key (created with mode 0600 on first use), its public half published.

    A missing key file means "rotate" to `consent-service seal` by hand (a new key, the old
    one retired). Scheduled seals pass rotate=False: there it more likely means a machine
    that never got the shared key file, which must not retire the key the others sign with."""
    path = Path(current_app.config["SIGNING_KEY_FILE"])
    cache = current_app.extensions.setdefault("proof_signer", {})
    signer = cache.get(str(path))
    if signer is None:
        if not rotate and not path.exists():
            active = db.session.scalar(
                select(SigningKey.key_id).where(SigningKey.retired_at.is_(None)))
            if active is not None:
                raise SigningKeyMissing(
                    f"no signing key file at {path} on this machine, but key {active} is "
                    "active: copy the key file here (scheduled seals do not rotate keys; "
                    "`consent-service seal` by hand does)")
        key = _load_or_create(path)
        signer = Signer(key_id_of(key.public_key()), key, public_pem(key.public_key()))
        cache[str(path)] = signer
    publish_key(signer)
    return signer


def publish_key(signer: Signer) -> None:
    """Make sure the signer's public half is in signing_key (commits when it adds the row)."""
    found = db.session.scalar(select(SigningKey.id).where(SigningKey.key_id == signer.key_id))
    if found is not None:
        return
    # Rotating: the keys signed with before stay listed, marked retired.
    for old in db.session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
        old.retired_at = utcnow()
    db.session.add(SigningKey(key_id=signer.key_id, algorithm=ALGORITHM,
                              public_key_pem=signer.public_key_pem))
    db.session.add(AuditLog(action="signing_key.publish", details={"key_id": signer.key_id}))
    db.session.commit()


def public_keys() -> dict[str, Ed25519PublicKey]:
    return {row.key_id: serialization.load_pem_public_key(row.public_key_pem.encode())
            for row in db.session.scalars(select(SigningKey))}


def seal_payload(site_key: str, seq: int, head_hash: str, sealed_at: datetime | str,
                 key_id: str) -> bytes:
    """The exact bytes a seal signature is over: RFC 8785 JSON of these six fields."""
    return canonical_json({
        "type": SEAL_TYPE,
        "site_key": site_key,
        "seq": seq,
        "head_hash": head_hash,
        "sealed_at": sealed_at if isinstance(sealed_at, str) else iso(sealed_at),
        "key_id": key_id,
    })


def seal_dict(seal: ChainSeal, site_key: str) -> dict:
    return {
        "site_key": site_key,
        "seq": seal.seq,
        "head_hash": seal.head_hash,
        "sealed_at": iso(seal.sealed_at),
        "key_id": seal.key_id,
        "algorithm": ALGORITHM,
        "signature": seal.signature,
        "payload": seal_payload(site_key, seal.seq, seal.head_hash, seal.sealed_at,
                                seal.key_id).decode(),
    }


def check_signature(public_key: Ed25519PublicKey, payload: bytes, signature_b64: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature_b64, validate=True), payload)
    except (InvalidSignature, ValueError):
        return False
    return True


def latest_seal(site: Site) -> ChainSeal | None:
    return db.session.scalars(
        select(ChainSeal).where(ChainSeal.site_id == site.id)
        .order_by(ChainSeal.seq.desc(), ChainSeal.id.desc()).limit(1)
    ).first()


def covering_seal(site: Site, seq: int) -> ChainSeal | None:
    """The latest seal whose head is at or after `seq` (the head chains back to that event)."""
    return db.session.scalars(
        select(ChainSeal).where(ChainSeal.site_id == site.id, ChainSeal.seq >= seq)
        .order_by(ChainSeal.seq.desc(), ChainSeal.id.desc()).limit(1)
    ).first()


def seal_site(site: Site, *, force: bool = False, rotate: bool = True) -> ChainSeal | None:
    """Sign the site's current chain head; None when it is empty or already sealed as is."""
    signer = get_signer(rotate=rotate)
    head = db.session.get(ChainHead, site.id)
    if head is None or head.seq == 0:
        return None
    last = latest_seal(site)
    if not force and last is not None and last.seq == head.seq and \
            last.head_hash == head.head_hash:
        return None
    # Microseconds survive in SQLite and PostgreSQL, so the payload re-renders exactly.
    sealed_at = utcnow()
    payload = seal_payload(site.site_key, head.seq, head.head_hash, sealed_at, signer.key_id)
    seal = ChainSeal(site_id=site.id, seq=head.seq, head_hash=head.head_hash,
                     sealed_at=sealed_at, key_id=signer.key_id,
                     signature=base64.b64encode(signer.sign(payload)).decode())
    db.session.add(seal)
    db.session.commit()
    return seal


def seal_all(site_keys: list[str] | None = None, *, force: bool = False,
             rotate: bool = True) -> list[dict]:
    """Seal every site's head (or the named sites); see get_signer for `rotate`."""
    query = select(Site).order_by(Site.id)
    if site_keys:
        query = query.where(Site.site_key.in_(site_keys))
    sealed = []
    for site in db.session.scalars(query).all():
        seal = seal_site(site, force=force, rotate=rotate)
        if seal is not None:
            sealed.append(seal_dict(seal, site.site_key))
    return sealed
