"""Consent events: validate, chain, store durably, sign a receipt."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace

from flask import current_app
from itsdangerous import BadSignature, Serializer, URLSafeSerializer
from itsdangerous.encoding import base64_encode
from sqlalchemy import select

from ..extensions import db
from ..models import ConsentEvent, PolicyVersion, Site
from ..security import canonical_hash, minimise_ip, new_receipt_id, strip_url, ua_family
from .chain_writer import ChainWriter, Pending
from .errors import Invalid, NotFound, ServiceError
from .policies import banner_hashes

ACTIONS = ("accept_all", "reject_all", "custom", "withdraw")
# A click on an embed's placeholder: consent to that one service (`service`) for that
# view; `choices` are the category choices as they stood. Not a category choice, so not
# in ACTIONS (statistics, log filters).
EMBED = "embed"
RECEIPT_SALT = "consent-receipt"


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def personal_digest(page_url: str | None, client_ip: str | None, ua: str | None) -> str:
    return canonical_hash({"page_url": page_url, "client_ip": client_ip, "ua_family": ua})


def _get(obj, name):
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def chain_record(event, site_key: str) -> dict:
    """The fields an event hash covers (documented in docs/proof.md); `event` is a model
    instance or a row mapping."""
    record = {
        "v": 1,
        "site_key": site_key,
        "seq": _get(event, "seq"),
        "event_id": str(_get(event, "event_id")),
        "receipt_id": _get(event, "receipt_id"),
        "policy_version": _get(event, "policy_version"),
        "policy_hash": _get(event, "policy_hash"),
        "action": _get(event, "action"),
        "choices": _get(event, "choices"),
        "language": _get(event, "language"),
        "banner_hash": _get(event, "banner_hash"),
        "gpc": _get(event, "gpc"),
        "recorded_at": iso(_get(event, "recorded_at")),
        "personal_hash": _get(event, "personal_hash"),
        "prev_hash": _get(event, "prev_hash"),
    }
    # Only embed events name a service: every other record (and its hash) stays as it was.
    service = event.get("service") if isinstance(event, dict) else getattr(event, "service",
                                                                            None)
    return {**record, "service": service} if service is not None else record


def event_hash(event, site_key: str) -> str:
    return canonical_hash(chain_record(event, site_key))


class ReceiptSerializer(URLSafeSerializer):
    """Receipt tokens without itsdangerous's zlib attempt. zlib.compress releases the GIL,
    and under load every release let another thread in and left the POST waiting to get
    it back; the token is ~60 characters longer. `loads` still reads compressed tokens
    (a leading "."), so receipts issued before stay valid."""

    def dump_payload(self, obj) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


@lru_cache(maxsize=4)  # built once per secret, not on every consent POST
def _serializer(secret: str) -> URLSafeSerializer:
    return ReceiptSerializer(secret, salt=RECEIPT_SALT)


def sign_receipt(event, site_key: str, secret: str) -> str:
    return _serializer(secret).dumps(
        {"rid": event.receipt_id, "site": site_key, "seq": event.seq, "h": event.event_hash}
    )


@dataclass(frozen=True)
class PolicyFacts:
    """What validating an event needs of a published (so immutable) policy version."""

    id: int
    version: int
    content_hash: str
    categories: tuple[str, ...]
    banner_hashes: dict


_writer_lock = threading.Lock()


def policy_facts(site_id: int, version: int) -> PolicyFacts | None:
    # Per app, so that tests (and several apps in one process) never share entries.
    _facts = current_app.extensions.setdefault("policy_facts", {})
    hit = _facts.get((site_id, version))
    if hit is not None:
        return hit
    policy = db.session.scalars(
        select(PolicyVersion).where(PolicyVersion.site_id == site_id,
                                    PolicyVersion.version == version)
    ).first()
    if policy is None or not policy.is_published:
        return None
    hit = PolicyFacts(policy.id, policy.version, policy.content_hash,
                      tuple(c["id"] for c in policy.content["categories"]),
                      banner_hashes(policy.content))
    _facts[(site_id, version)] = hit
    db.session.rollback()  # end the read; the writer has its own connection
    return hit


def normalise_choices(categories, choices: dict) -> dict[str, bool]:
    """One boolean per category of the policy; necessary is always granted."""
    return {c: True if c == "necessary" else bool(choices.get(c)) for c in categories}


def check_choices(categories, action: str, choices: dict[str, bool], gpc: bool) -> dict:
    errors = {}
    unknown = sorted(set(choices) - set(categories))
    missing = sorted(set(categories) - set(choices) - {"necessary"})
    if unknown:
        errors["unknown"] = unknown
    if missing:
        errors["missing"] = missing
    if errors:
        raise Invalid("Choices must name each category of the policy", {"choices": errors})
    normalised = normalise_choices(categories, choices)
    # With Global Privacy Control, "accept all" grants all but marketing (rules.md).
    exempt = {"necessary"} | ({"marketing"} if gpc else set())
    if action == "accept_all" and not all(v for c, v in normalised.items() if c not in exempt):
        raise Invalid("accept_all with a category denied", {"action": [action]})
    if action == "reject_all" and any(v for c, v in normalised.items() if c != "necessary"):
        raise Invalid("reject_all with a category granted", {"action": [action]})
    return normalised


def find_event(site_id: int, event_id: uuid.UUID) -> dict | None:
    row = db.session.execute(
        select(ConsentEvent.__table__).where(ConsentEvent.site_id == site_id,
                                             ConsentEvent.event_id == event_id)
    ).mappings().first()
    return dict(row) if row else None


def _writer() -> ChainWriter:
    writer = current_app.extensions.get("chain_writer")
    if writer is None:
        with _writer_lock:
            writer = current_app.extensions.get("chain_writer")
            if writer is None:
                writer = ChainWriter(db.engine, event_hash)
                current_app.extensions["chain_writer"] = writer
    return writer


def record(site_id: int, site_key: str, data: dict, *, remote_addr: str | None,
           user_agent: str | None, ip_mode: str, secret: str) -> tuple[SimpleNamespace, bool]:
    """Store one consent event durably; the same event_id with the same content again
    returns the stored one, with different content raises a 409 ServiceError.

    No query runs here on the hot path: policy facts are cached, and a repeated event_id
    is caught by the unique constraint in the writer, which then answers with the stored
    row."""
    facts = policy_facts(site_id, data["policy_version"])
    if facts is None:
        existing = find_event(site_id, data["event_id"])
        db.session.rollback()
        if existing is not None:  # stored under a version that was since superseded
            given = data.get("choices") or {}
            # Normalised as the stored event was; a category it does not have differs.
            choices = (dict(given) if set(given) - set(existing["choices"])
                       else normalise_choices(existing["choices"], given))
            _same_or_conflict(existing, data, choices, bool(data.get("gpc")))
            return SimpleNamespace(**existing), False
        raise Invalid("Unknown or unpublished policy version",
                      {"policy_version": [data["policy_version"]]})
    gpc = bool(data.get("gpc"))
    if (data["action"] == EMBED) != bool(data.get("service")):
        raise Invalid("An embed event names its service, and only an embed event does",
                      {"service": ["required with action embed, else not allowed"]})
    choices = check_choices(facts.categories, data["action"], data["choices"], gpc)
    if data["language"] not in facts.banner_hashes:
        raise Invalid("The policy has no banner in that language", {"language": [data["language"]]})
    if data["banner_hash"] != facts.banner_hashes[data["language"]]:
        raise Invalid("banner_hash is not the hash of this policy's banner text",
                      {"banner_hash": ["does not match policy version"]})
    page_url = strip_url(data.get("page_url"))
    client_ip = minimise_ip(remote_addr, ip_mode, secret)
    ua = ua_family(user_agent)
    row = {
        "site_id": site_id, "event_id": data["event_id"], "receipt_id": new_receipt_id(),
        "policy_version_id": facts.id, "policy_version": facts.version,
        "policy_hash": facts.content_hash, "action": data["action"], "choices": choices,
        "language": data["language"], "banner_hash": data["banner_hash"], "gpc": gpc,
        "page_url": page_url, "client_ip": client_ip, "ua_family": ua,
        "personal_hash": personal_digest(page_url, client_ip, ua), "purged_at": None,
        "service": data.get("service"),
    }
    done = _writer().submit(Pending(site_id, site_key, row))
    if not done.created:
        # The row the database kept (unique (site_id, event_id)), whichever request won.
        _same_or_conflict(done.result, data, choices, gpc)
    return SimpleNamespace(**done.result), done.created


CONTENT = ("policy_version", "action", "choices", "language", "banner_hash", "gpc",
           "service")


def _same_or_conflict(stored: dict, data: dict, choices: dict, gpc: bool) -> None:
    """The same event_id again must be the same consent: otherwise 409, never a silently
    dropped choice. page_url, address and browser may differ on a retry."""
    given = {"policy_version": data["policy_version"], "action": data["action"],
             "choices": choices, "language": data["language"],
             "banner_hash": data["banner_hash"], "gpc": gpc,
             "service": data.get("service") or None}
    differ = sorted(k for k in CONTENT if (bool(stored.get(k)) if k == "gpc" else
                                           stored.get(k)) != given[k])
    if differ:
        raise ServiceError(409, "This event_id is already recorded with different content; "
                           "a new choice needs a new event_id",
                           {"event_id": [str(data["event_id"])], "differs": differ},
                           code="event_id_conflict")


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
