"""Consent events: validate, chain, store durably, sign a receipt."""

from __future__ import annotations

import uuid
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import ChainHead, ConsentEvent, PolicyVersion, Site, utcnow
from ..security import canonical_hash, minimise_ip, new_receipt_id, strip_url, ua_family
from .errors import Invalid, NotFound
from .policies import banner_hashes

ACTIONS = ("accept_all", "reject_all", "custom", "withdraw")
RECEIPT_SALT = "consent-receipt"


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def personal_digest(page_url: str | None, client_ip: str | None, ua: str | None) -> str:
    return canonical_hash({"page_url": page_url, "client_ip": client_ip, "ua_family": ua})


def chain_record(event: ConsentEvent, site_key: str) -> dict:
    """The fields an event hash covers (documented in docs/proof.md)."""
    return {
        "v": 1,
        "site_key": site_key,
        "seq": event.seq,
        "event_id": str(event.event_id),
        "receipt_id": event.receipt_id,
        "policy_version": event.policy_version,
        "policy_hash": event.policy_hash,
        "action": event.action,
        "choices": event.choices,
        "language": event.language,
        "banner_hash": event.banner_hash,
        "gpc": event.gpc,
        "recorded_at": iso(event.recorded_at),
        "personal_hash": event.personal_hash,
        "prev_hash": event.prev_hash,
    }


def event_hash(event: ConsentEvent, site_key: str) -> str:
    return canonical_hash(chain_record(event, site_key))


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=RECEIPT_SALT)


def sign_receipt(event: ConsentEvent, site_key: str, secret: str) -> str:
    return _serializer(secret).dumps(
        {"rid": event.receipt_id, "site": site_key, "seq": event.seq, "h": event.event_hash}
    )


def check_choices(policy: PolicyVersion, action: str, choices: dict[str, bool]) -> dict:
    categories = [c["id"] for c in policy.content["categories"]]
    errors = {}
    unknown = sorted(set(choices) - set(categories))
    missing = sorted(set(categories) - set(choices) - {"necessary"})
    if unknown:
        errors["unknown"] = unknown
    if missing:
        errors["missing"] = missing
    if errors:
        raise Invalid("Choices must name each category of the policy", {"choices": errors})
    normalised = {c: (True if c == "necessary" else bool(choices[c])) for c in categories}
    optional = [v for c, v in normalised.items() if c != "necessary"]
    if action == "accept_all" and not all(optional):
        raise Invalid("accept_all with a category denied", {"action": [action]})
    if action == "reject_all" and any(optional):
        raise Invalid("reject_all with a category granted", {"action": [action]})
    return normalised


def find_event(site: Site, event_id: uuid.UUID) -> ConsentEvent | None:
    return db.session.scalars(
        select(ConsentEvent).where(ConsentEvent.site_id == site.id,
                                   ConsentEvent.event_id == event_id)
    ).first()


def record(site: Site, data: dict, *, remote_addr: str | None, user_agent: str | None,
           ip_mode: str, secret: str) -> tuple[ConsentEvent, bool]:
    """Store one consent event; the same event_id again returns the stored one (False)."""
    existing = find_event(site, data["event_id"])
    if existing is not None:
        return existing, False
    policy = db.session.scalars(
        select(PolicyVersion).where(PolicyVersion.site_id == site.id,
                                    PolicyVersion.version == data["policy_version"])
    ).first()
    if policy is None or not policy.is_published:
        raise Invalid("Unknown or unpublished policy version",
                      {"policy_version": [data["policy_version"]]})
    choices = check_choices(policy, data["action"], data["choices"])
    hashes = banner_hashes(policy.content)
    if data["language"] not in hashes:
        raise Invalid("The policy has no banner in that language", {"language": [data["language"]]})
    if data["banner_hash"] != hashes[data["language"]]:
        raise Invalid("banner_hash is not the hash of this policy's banner text",
                      {"banner_hash": ["does not match policy version"]})
    page_url = strip_url(data.get("page_url"))
    client_ip = minimise_ip(remote_addr, ip_mode, secret)
    ua = ua_family(user_agent)
    site_key, site_id = site.site_key, site.id
    policy_id, version, policy_hash = policy.id, policy.version, policy.content_hash
    # End the read so the write transaction below starts with the chain-head update: on
    # PostgreSQL that row lock, on SQLite the write lock, serialises the chain per site.
    db.session.rollback()
    try:
        seq, prev = db.session.execute(
            update(ChainHead).where(ChainHead.site_id == site_id)
            .values(seq=ChainHead.seq + 1)
            .returning(ChainHead.seq, ChainHead.head_hash)
        ).one()
        event = ConsentEvent(
            site_id=site_id, event_id=data["event_id"], receipt_id=new_receipt_id(),
            policy_version_id=policy_id, policy_version=version,
            policy_hash=policy_hash, action=data["action"], choices=choices,
            language=data["language"], banner_hash=data["banner_hash"],
            gpc=bool(data.get("gpc")), recorded_at=utcnow(), page_url=page_url,
            client_ip=client_ip, ua_family=ua, personal_hash=personal_digest(page_url,
                                                                             client_ip, ua),
            seq=seq, prev_hash=prev, event_hash="",
        )
        event.event_hash = event_hash(event, site_key)
        db.session.add(event)
        db.session.execute(
            update(ChainHead).where(ChainHead.site_id == site_id)
            .values(head_hash=event.event_hash)
        )
        db.session.commit()
    except IntegrityError:
        # The same event_id raced in from another request; answer with the stored row.
        db.session.rollback()
        existing = find_event(db.session.get(Site, site_id), data["event_id"])
        if existing is None:
            raise
        return existing, False
    return event, True


def get_receipt(receipt_id: str, token: str, secret: str) -> tuple[ConsentEvent, Site]:
    try:
        claims = _serializer(secret).loads(token)
    except BadSignature:
        claims = None
    if not isinstance(claims, dict) or claims.get("rid") != receipt_id:
        raise NotFound("Unknown receipt, or the token does not prove it")
    event = db.session.scalars(
        select(ConsentEvent).where(ConsentEvent.receipt_id == receipt_id)
    ).first()
    if event is None:
        raise NotFound("Unknown receipt, or the token does not prove it")
    return event, db.session.get(Site, event.site_id)


def receipt_record(event: ConsentEvent, site: Site) -> dict:
    return {
        **chain_record(event, site.site_key),
        "event_hash": event.event_hash,
        "hash_valid": event_hash(event, site.site_key) == event.event_hash,
        "page_url": event.page_url,
        "purged": event.purged_at is not None,
    }
