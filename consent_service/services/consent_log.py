"""Consent log search (keyset pagination) and per-event proof checks for the admin."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, tuple_

from ..extensions import db
from ..models import ConsentEvent, Site
from . import params
from .consents import ACTIONS, event_hash
from .errors import Invalid
from .sites import GENESIS_HASH

PAGE_SIZE = 50
CATEGORIES = ("necessary", "preferences", "analytics", "marketing")

@dataclass(frozen=True)
class LogFilter:
    start: date | None = None          # inclusive, UTC day
    end: date | None = None            # inclusive, UTC day
    policy_version: int | None = None
    action: str | None = None
    category: str | None = None
    granted: bool | None = None
    receipt_id: str | None = None

    @classmethod
    def from_args(cls, args) -> LogFilter:
        errors: dict[str, list[str]] = {}
        start = params.parse_day(args.get("from"), "from", errors)
        end = params.parse_day(args.get("to"), "to", errors)
        version = params.parse_int(args.get("version"), "version", errors)
        action = (args.get("action") or "").strip() or None
        if action and action not in ACTIONS:
            errors["action"] = [f"one of {', '.join(ACTIONS)}"]
        category = (args.get("category") or "").strip() or None
        decision = (args.get("decision") or "").strip()
        choice = (args.get("choice") or "").strip()          # "analytics=true" shorthand
        if choice and "=" in choice:
            category, decision = (p.strip() for p in choice.split("=", 1))
        if category and category not in CATEGORIES:
            errors["category"] = [f"one of {', '.join(CATEGORIES)}"]
        granted = {"true": True, "1": True, "false": False, "0": False}.get(decision.lower())
        if (category or decision) and granted is None:   # decision alone: checked, unused
            errors["decision"] = ["true or false"]
        receipt = params.parse_token(args.get("receipt"), "receipt", errors)
        result = cls(start=start, end=end, policy_version=version,
                     action=action, category=category if granted is not None else None,
                     granted=granted, receipt_id=receipt)
        if errors:
            raise Invalid("Check the search fields", errors)
        return result

    def query_args(self) -> dict:
        out = {"from": self.start, "to": self.end, "version": self.policy_version,
               "action": self.action, "receipt": self.receipt_id}
        if self.category:
            out["category"] = self.category
            out["decision"] = "true" if self.granted else "false"
        return {k: str(v) for k, v in out.items() if v is not None}


def day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


def conditions(site: Site, f: LogFilter) -> list:
    cond = [ConsentEvent.site_id == site.id]
    if f.start:
        cond.append(ConsentEvent.recorded_at >= day_start(f.start))
    if f.end:
        cond.append(ConsentEvent.recorded_at < day_start(f.end + timedelta(days=1)))
    if f.policy_version is not None:
        cond.append(ConsentEvent.policy_version == f.policy_version)
    if f.action:
        cond.append(ConsentEvent.action == f.action)
    if f.category:
        # JSON extraction that SQLAlchemy renders for both dialects:
        # SQLite JSON_EXTRACT(choices, '$."analytics"'), PostgreSQL CAST(choices ->> ... AS BOOL).
        cond.append(ConsentEvent.choices[f.category].as_boolean() == f.granted)
    if f.receipt_id:
        cond.append(ConsentEvent.receipt_id == f.receipt_id)
    return cond


def encode_cursor(event: ConsentEvent) -> str:
    raw = f"{event.recorded_at.isoformat()}|{event.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        if len(cursor) > 200:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, ident = raw.split("|")
        ts = datetime.fromisoformat(stamp)
        ts = (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).astimezone(UTC)
        errors: dict = {}
        number = params.parse_int(ident, "cursor", errors, high=params.INT64_MAX)
        if errors or number is None or not params.FIRST_DAY.year <= ts.year \
                <= params.LAST_DAY.year:
            raise ValueError("out of range")
        return ts, number
    except (ValueError, UnicodeDecodeError, OverflowError) as exc:
        raise Invalid("Bad page cursor", {"cursor": [cursor[:80]]}) from exc


def search_query(site: Site, f: LogFilter, cursor: str | None = None, limit: int = PAGE_SIZE):
    cond = conditions(site, f)
    if cursor:
        ts, ident = decode_cursor(cursor)
        cond.append(tuple_(ConsentEvent.recorded_at, ConsentEvent.id) < tuple_(ts, ident))
    return (select(ConsentEvent).where(*cond)
            .order_by(ConsentEvent.recorded_at.desc(), ConsentEvent.id.desc()).limit(limit))


def search(site: Site, f: LogFilter, cursor: str | None = None,
           limit: int = PAGE_SIZE) -> tuple[list[ConsentEvent], str | None]:
    """One page, newest first: WHERE (recorded_at, id) < cursor ORDER BY recorded_at DESC,
    id DESC LIMIT n+1; returns (rows, cursor of the next page or None)."""
    rows = list(db.session.scalars(search_query(site, f, cursor, limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1]) if more and rows else None)


def iterate(site: Site, f: LogFilter, batch: int = 1000):
    """Every matching event, newest first, in keyset batches (for exports)."""
    cursor = None
    while True:
        rows, cursor = search(site, f, cursor, batch)
        yield from rows
        if cursor is None:
            return


def get_event(site: Site, receipt_id: str) -> ConsentEvent | None:
    return db.session.scalars(select(ConsentEvent).where(
        ConsentEvent.site_id == site.id, ConsentEvent.receipt_id == receipt_id)).first()


def verify(site: Site, event: ConsentEvent) -> dict:
    """Recompute the event hash and check the link to the previous and next events."""
    recomputed = event_hash(event, site.site_key)
    prev = db.session.scalars(select(ConsentEvent).where(
        ConsentEvent.site_id == site.id, ConsentEvent.seq == event.seq - 1)).first()
    nxt = db.session.scalars(select(ConsentEvent).where(
        ConsentEvent.site_id == site.id, ConsentEvent.seq == event.seq + 1)).first()
    if event.seq == 1:
        prev_ok = event.prev_hash == GENESIS_HASH
    else:
        prev_ok = prev is not None and prev.event_hash == event.prev_hash
    return {
        "recomputed_hash": recomputed,
        "hash_valid": recomputed == event.event_hash,
        "prev": prev,
        "prev_link_valid": prev_ok,
        "next": nxt,
        "next_link_valid": nxt is None or nxt.prev_hash == event.event_hash,
        "genesis": event.seq == 1,
    }
