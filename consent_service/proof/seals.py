"""Ed25519 signing key and signed tree heads ("seals") of each site's chain.

Keys change only on purpose: create_key and rotate_key (the `consent-service keys` CLI)
are the only code that writes a key file or a signing_key row. get_signer never creates
one; a machine without the active key's file cannot sign (SigningUnavailable)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import AuditLog, ChainHead, Site, utcnow
from ..security import canonical_json
from ..services.consents import iso
from ..services.errors import ServiceError
from .merkle import Frontier
from .models import ChainSeal, SigningKey
from .records import iter_hashes

ALGORITHM = "Ed25519"
SEAL_TYPE = "consent-chain-seal"  # seals made before tree heads (still verified)
HEAD_TYPE = "consent-tree-head"


class SigningUnavailable(ServiceError):
    """This machine has no usable signing key; it serves public keys and never signs."""

    def __init__(self, message: str):
        super().__init__(503, message, {}, code="signing_unavailable")


SigningKeyMissing = SigningUnavailable  # the name the maintenance job used


@dataclass(frozen=True)
class Signer:
    key_id: str
    fingerprint: str
    private_key: Ed25519PrivateKey
    public_key_pem: str

    def sign(self, payload: bytes) -> bytes:
        return self.private_key.sign(payload)


def raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint_of(public_key: Ed25519PublicKey) -> str:
    """sha256: + SHA-256 hex of the 32-byte raw public key."""
    return "sha256:" + hashlib.sha256(raw_public(public_key)).hexdigest()


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """First 16 hex characters of SHA-256 over the 32-byte raw public key."""
    return hashlib.sha256(raw_public(public_key)).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _key_path() -> Path:
    return Path(current_app.config["SIGNING_KEY_FILE"])


def _read_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningUnavailable(f"{path} is not an Ed25519 private key")
    return key


def _signer(key: Ed25519PrivateKey) -> Signer:
    pub = key.public_key()
    return Signer(key_id_of(pub), fingerprint_of(pub), key, public_pem(pub))


def get_signer(**_ignored) -> Signer:
    """The key in SIGNING_KEY_FILE, when it is the active published key. Never creates,
    publishes or retires a key (that is create_key / rotate_key, on purpose)."""
    path = _key_path()
    cache = current_app.extensions.setdefault("proof_signer", {})
    signer = cache.get(str(path))
    if signer is None:
        if not path.is_file():
            raise SigningUnavailable(
                f"no signing key file at {path} on this machine: copy the deployment's key "
                "file here, or create the first key with `consent-service keys init`")
        signer = _signer(_read_key(path))
    row = db.session.scalar(select(SigningKey).where(SigningKey.key_id == signer.key_id))
    if row is None or row.retired_at is not None:
        cache.pop(str(path), None)
        state = "not a published key" if row is None else "a retired key"
        raise SigningUnavailable(
            f"the signing key file at {path} holds {state} ({signer.key_id}): this machine "
            "does not sign (copy the active key file, or `consent-service keys rotate`)")
    cache[str(path)] = signer
    return signer


def _write_new_key(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two processes at once must not both write a key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    return key


def _publish(signer: Signer, action: str, via: str, details: dict | None = None) -> None:
    db.session.add(SigningKey(key_id=signer.key_id, algorithm=ALGORITHM,
                              public_key_pem=signer.public_key_pem))
    db.session.add(AuditLog(action=action, details={
        "key_id": signer.key_id, "fingerprint": signer.fingerprint, "via": via,
        **(details or {})}))
    db.session.commit()


def active_key() -> SigningKey | None:
    return db.session.scalar(select(SigningKey).where(SigningKey.retired_at.is_(None))
                             .order_by(SigningKey.id.desc()).limit(1))


def create_key(*, via: str = "cli") -> Signer:
    """The first key: a new key file (mode 0600) and its published public half.

    Refuses when a key is already active: another machine's key file belongs here."""
    path = _key_path()
    active = active_key()
    if active is not None:
        raise ServiceError(409, f"key {active.key_id} is already active: copy its key file "
                           f"to {path} (or `consent-service keys rotate`)", code="key_exists")
    if path.exists():
        key = _read_key(path)  # a file from before, never published: publish it
    else:
        key = _write_new_key(path)
    signer = _signer(key)
    _publish(signer, "signing_key.create", via)
    current_app.extensions.setdefault("proof_signer", {})[str(path)] = signer
    return signer


def ensure_key(*, via: str = "cli") -> Signer:
    """An explicit first-run step (demo / setup commands): the active key, or a new one."""
    if active_key() is None:
        return create_key(via=via)
    return get_signer()


def rotate_key(*, via: str = "cli") -> Signer:
    """A new key in SIGNING_KEY_FILE; the old file is kept beside it, its key retired."""
    path = _key_path()
    old = active_key()
    tmp = path.with_name(path.name + ".new")
    if tmp.exists():
        tmp.unlink()
    key = _write_new_key(tmp)
    if path.exists():
        kept = path.with_name(f"{path.name}.retired-{old.key_id if old else 'unpublished'}")
        os.replace(path, kept)
    os.replace(tmp, path)
    signer = _signer(key)
    now = utcnow()
    for row in db.session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
        row.retired_at = now
    _publish(signer, "signing_key.rotate", via,
             {"retired": old.key_id if old is not None else None})
    current_app.extensions.setdefault("proof_signer", {})[str(path)] = signer
    return signer


def public_keys() -> dict[str, Ed25519PublicKey]:
    return {row.key_id: serialization.load_pem_public_key(row.public_key_pem.encode())
            for row in db.session.scalars(select(SigningKey))}


def fingerprint_of_key_id(key_id: str) -> str | None:
    cache = current_app.extensions.setdefault("proof_fingerprints", {})
    if key_id not in cache:
        pem = db.session.scalar(select(SigningKey.public_key_pem)
                                .where(SigningKey.key_id == key_id))
        if pem is None:
            return None
        cache[key_id] = fingerprint_of(serialization.load_pem_public_key(pem.encode()))
    return cache[key_id]


def stamp(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def seal_payload(site_key: str, seq: int, head_hash: str, sealed_at: datetime | str,
                 key_id: str) -> bytes:
    """Seals made before tree heads: RFC 8785 JSON of these six fields."""
    return canonical_json({
        "type": SEAL_TYPE, "site_key": site_key, "seq": seq, "head_hash": head_hash,
        "sealed_at": sealed_at if isinstance(sealed_at, str) else iso(sealed_at),
        "key_id": key_id,
    })


def head_payload(site_key: str, tree_size: int, root_hash: str, head_hash: str,
                 timestamp: str, key_fingerprint: str) -> bytes:
    """The exact bytes a signed tree head's signature is over (docs/proof.md section 2)."""
    return canonical_json({
        "type": HEAD_TYPE, "site_key": site_key, "tree_size": tree_size,
        "root_hash": root_hash, "head_hash": head_hash, "timestamp": timestamp,
        "key_fingerprint": key_fingerprint,
    })


def payload_of(seal: ChainSeal, site_key: str) -> bytes:
    if seal.root_hash is None:
        return seal_payload(site_key, seal.seq, seal.head_hash, seal.sealed_at, seal.key_id)
    return head_payload(site_key, seal.seq, seal.root_hash, seal.head_hash,
                        stamp(seal.sealed_at), fingerprint_of_key_id(seal.key_id) or "")


def head_dict(seal: ChainSeal) -> dict:
    """A head object exactly as the heads API serves it (the seals contract)."""
    return {"tree_size": seal.seq, "root_hash": seal.root_hash, "head_hash": seal.head_hash,
            "timestamp": stamp(seal.sealed_at),
            "key_fingerprint": fingerprint_of_key_id(seal.key_id),
            "signature": seal.signature}


def seal_dict(seal: ChainSeal, site_key: str) -> dict:
    out = {
        "site_key": site_key,
        "seq": seal.seq,
        "tree_size": seal.seq,
        "head_hash": seal.head_hash,
        "root_hash": seal.root_hash,
        "sealed_at": iso(seal.sealed_at),
        "key_id": seal.key_id,
        "key_fingerprint": fingerprint_of_key_id(seal.key_id),
        "algorithm": ALGORITHM,
        "signature": seal.signature,
        "payload": payload_of(seal, site_key).decode(),
    }
    if seal.root_hash is not None:
        out["timestamp"] = stamp(seal.sealed_at)
    return out


def check_signature(public_key: Ed25519PublicKey, payload: bytes, signature_b64) -> bool:
    try:
        public_key.verify(base64.b64decode(signature_b64, validate=True), payload)
    except (InvalidSignature, ValueError, TypeError):
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


def frontier_at(site_id: int, size: int) -> Frontier:
    """The Merkle frontier of the first `size` events: from the nearest stored one."""
    base = db.session.scalars(
        select(ChainSeal).where(ChainSeal.site_id == site_id, ChainSeal.seq <= size,
                                ChainSeal.frontier.is_not(None))
        .order_by(ChainSeal.seq.desc(), ChainSeal.id.desc()).limit(1)).first()
    frontier = Frontier.from_hex(base.seq, json.loads(base.frontier)) if base else Frontier()
    expect = frontier.size + 1
    for seq, event_hash in iter_hashes(site_id, frontier.size + 1, size):
        if seq != expect:
            raise RuntimeError(f"site {site_id}: seq {expect} is missing from the chain")
        frontier.append(event_hash)
        expect += 1
    if frontier.size != size:
        raise RuntimeError(f"site {site_id}: {frontier.size} events, not {size}")
    return frontier


def seal_site(site: Site, *, force: bool = False, **_ignored) -> ChainSeal | None:
    """Sign the site's current tree head; None when it is empty or already sealed as is."""
    signer = get_signer()
    site_id, site_key = site.id, site.site_key
    head = db.session.get(ChainHead, site_id)
    if head is None or head.seq == 0:
        return None
    tree_size, head_hash = head.seq, head.head_hash
    last = latest_seal(site)
    if not force and last is not None and last.seq == tree_size and \
            last.head_hash == head_hash and last.root_hash is not None:
        return None
    frontier = frontier_at(site_id, tree_size)
    root = frontier.root().hex()
    sealed_at = utcnow().replace(microsecond=0)
    payload = head_payload(site_key, tree_size, root, head_hash, stamp(sealed_at),
                           signer.fingerprint)
    seal = ChainSeal(site_id=site_id, seq=tree_size, head_hash=head_hash, root_hash=root,
                     frontier=json.dumps(frontier.to_hex()), sealed_at=sealed_at,
                     key_id=signer.key_id,
                     signature=base64.b64encode(signer.sign(payload)).decode())
    db.session.add(seal)
    db.session.commit()
    return seal


def seal_all(site_keys: list[str] | None = None, *, force: bool = False,
             **_ignored) -> list[dict]:
    """Seal every site's head (or the named sites); SigningUnavailable without a key."""
    get_signer()
    query = select(Site).order_by(Site.id)
    if site_keys:
        query = query.where(Site.site_key.in_(site_keys))
    sealed = []
    for site in db.session.scalars(query).all():
        seal = seal_site(site, force=force)
        if seal is not None:
            sealed.append(seal_dict(seal, site.site_key))
    return sealed


def tree_heads(site: Site, after: int, limit: int) -> tuple[list[ChainSeal], bool]:
    """Signed tree heads with tree_size > after, one per size (the first signed), oldest
    first; and whether more follow."""
    first_ids = (select(func.min(ChainSeal.id)).where(
        ChainSeal.site_id == site.id, ChainSeal.root_hash.is_not(None),
        ChainSeal.seq > after).group_by(ChainSeal.seq))
    rows = db.session.scalars(select(ChainSeal).where(ChainSeal.id.in_(first_ids))
                              .order_by(ChainSeal.seq).limit(limit + 1)).all()
    return list(rows[:limit]), len(rows) > limit


def latest_tree_size(site: Site) -> int:
    return db.session.scalar(select(func.max(ChainSeal.seq)).where(
        ChainSeal.site_id == site.id, ChainSeal.root_hash.is_not(None))) or 0
