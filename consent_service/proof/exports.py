"""Exports of a site's consent records: CSV, NDJSON, ISO/IEC TS 27560-aligned JSON."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app

from ..extensions import db
from ..models import AuditLog, Site, utcnow
from ..services.consents import chain_record, iso
from ..services.policies import CATEGORIES
from .records import Policies, iter_events, seq_range

FORMATS = ("csv", "ndjson", "json27560")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson",
               "json27560": "application/json"}
EXTENSIONS = {"csv": "csv", "ndjson": "ndjson", "json27560": "json"}
CSV_COLUMNS = (
    "seq", "event_id", "receipt_id", "recorded_at", "action",
    *CATEGORIES, "language", "gpc", "policy_version", "policy_hash", "banner_hash",
    "page_url", "client_ip", "ua_family", "purged_at", "personal_hash", "prev_hash",
    "event_hash",
)
SCHEMA_27560 = "ISO/IEC TS 27560:2023 consent record (aligned; consent-service v1)"
STATE = {"accept_all": "given", "custom": "given", "reject_all": "refused",
         "withdraw": "withdrawn"}


def parse_when(value: str | None, *, end: bool = False) -> datetime | None:
    """ISO date or datetime; naive means UTC. A bare end date includes that whole day."""
    if not value:
        return None
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
            return moment + timedelta(days=1) if end else moment
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(f"not an ISO date or datetime: {value}") from None
    return moment


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def flat_record(row, site_key: str) -> dict:
    """The chain record plus what sits beside it: event hash and the personal fields."""
    return {
        **chain_record(row, site_key),
        "event_hash": row.event_hash,
        "page_url": row.page_url,
        "client_ip": row.client_ip,
        "ua_family": row.ua_family,
        "purged_at": iso(row.purged_at) if row.purged_at else None,
    }


class Record27560:
    """Builds one ISO/IEC TS 27560-aligned record per event (field names in docs/proof.md)."""

    def __init__(self, site: Site, secret: str):
        self.site_key = site.site_key
        self.controller = {"name": site.name, "domains": list(site.domains),
                           "privacy_notice_url": site.privacy_url}
        self.policies = Policies(site.id)
        self.key = hashlib.sha256(("27560-subject:" + secret).encode()).digest()

    def subject(self, event_id) -> str:
        """A pseudonym: keyed hash of the browser-made event id (not linkable without it)."""
        return "ps_" + hmac.new(self.key, str(event_id).encode(), hashlib.sha256).hexdigest()[:32]

    def __call__(self, row) -> dict:
        policy = self.policies.get(row.policy_version)
        content = policy.content if policy else {"categories": [], "services": [], "banner": {}}
        texts = content["banner"].get(row.language, {})
        services = {s["id"]: s for s in content["services"]}
        purposes = []
        for cat in content["categories"]:
            entry = texts.get("categories", {}).get(cat["id"], {})
            decision = row.choices.get(cat["id"])
            purposes.append({
                "purpose_id": cat["id"],
                "purpose": entry.get("title"),
                "description": entry.get("description"),
                "lawful_basis": "necessary" if cat.get("required") else "consent",
                "services": [
                    {"id": sid, "name": services.get(sid, {}).get("name"),
                     "vendor": services.get(sid, {}).get("vendor"),
                     "vendor_country": services.get(sid, {}).get("vendor_country")}
                    for sid in cat.get("services", [])
                ],
                "decision": "granted" if decision else "refused",
            })
        recorded = iso(row.recorded_at)
        return {
            "schema_version": SCHEMA_27560,
            "record_id": row.receipt_id,
            "pii_principal_id": self.subject(row.event_id),
            "controller": self.controller,
            "jurisdiction": "EU/FI",
            "notice": {
                "policy_version": row.policy_version,
                "policy_hash": row.policy_hash,
                "notice_hash": policy.notice_hash if policy else None,
                "language": row.language,
                "banner_hash": row.banner_hash,
                "banner_text": texts or None,
            },
            "purposes": purposes,
            "event": {
                "timestamp": recorded,
                "method": "banner",
                "action": row.action,
                "state": STATE.get(row.action, row.action),
                "gpc_signal": row.gpc,
            },
            "withdrawal": {
                "withdrawn": row.action == "withdraw",
                "timestamp": recorded if row.action == "withdraw" else None,
                "how": "the banner's reopen button, data-consent-open links or its JS API",
            },
            "integrity": {"seq": row.seq, "prev_hash": row.prev_hash,
                          "event_hash": row.event_hash, "personal_hash": row.personal_hash},
            "retention": {"purged_at": iso(row.purged_at) if row.purged_at else None},
        }


CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """OWASP CSV injection: a text cell that a spreadsheet would read as a formula gets a
    leading apostrophe (=, +, -, @, tab, carriage return)."""
    if isinstance(value, str) and value.startswith(CSV_TRIGGERS):
        return "'" + value
    return value


def _csv_line(values) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([csv_safe(v) for v in values])
    return buf.getvalue()


def _csv_row(row, site_key: str) -> str:
    choices = row.choices or {}
    values = [row.seq, str(row.event_id), row.receipt_id, iso(row.recorded_at), row.action]
    values += ["" if c not in choices else str(bool(choices[c])).lower() for c in CATEGORIES]
    values += [row.language, str(row.gpc).lower(), row.policy_version, row.policy_hash,
               row.banner_hash, row.page_url or "", row.client_ip or "", row.ua_family or "",
               iso(row.purged_at) if row.purged_at else "", row.personal_hash, row.prev_hash,
               row.event_hash]
    return _csv_line(values)


def generate(site: Site, fmt: str, start: datetime | None, end: datetime | None, *,
             secret: str | None = None, counter: dict | None = None) -> Iterator[str]:
    """Text chunks of the export, one or a few records each; never the whole file in memory.

    Everything needed of `site` is read now: a streaming response runs the returned
    generator after the view's session is gone (in a fresh app context)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    counter = counter if counter is not None else {}
    counter.setdefault("rows", 0)
    build = Record27560(site, secret or current_app.config["SECRET_KEY"]) \
        if fmt == "json27560" else None
    return _chunks(site.id, site.site_key, fmt, start, end, counter, build)


def _chunks(site_id, site_key, fmt, start, end, counter, build) -> Iterator[str]:
    span = seq_range(site_id, start, end)
    rows = iter_events(site_id, *span, start=start, end=end) if span else iter([])
    if fmt == "csv":
        yield _csv_line(CSV_COLUMNS)
        for row in rows:
            counter["rows"] += 1
            yield _csv_row(row, site_key)
    elif fmt == "ndjson":
        for row in rows:
            counter["rows"] += 1
            yield _dumps(flat_record(row, site_key)) + "\n"
    else:
        head = {"schema": SCHEMA_27560, "site_key": site_key, "generated_at": iso(utcnow()),
                "from": iso(start) if start else None, "to": iso(end) if end else None}
        yield _dumps(head)[:-1] + ',"records":['
        sep = "\n"
        for row in rows:
            counter["rows"] += 1
            yield sep + _dumps(build(row))
            sep = ",\n"
        yield "\n]}\n"


def audit_export(site: Site, fmt: str, start, end, *, rows: int | None, via: str,
                 kind: str = "export", user_id: int | None = None,
                 api_key: str | None = None) -> None:
    db.session.add(AuditLog(site_id=site.id, user_id=user_id, action=kind, details={
        "format": fmt, "from": iso(start) if start else None, "to": iso(end) if end else None,
        "rows": rows, "via": via, "api_key": api_key,
    }))
    db.session.commit()


def write_export(site: Site, fmt: str, start, end, out, *, via: str = "cli") -> int:
    """Write the export to a text stream; the audit row records the row count."""
    counter: dict = {}
    for chunk in generate(site, fmt, start, end, counter=counter):
        out.write(chunk)
    audit_export(site, fmt, start, end, rows=counter["rows"], via=via)
    return counter["rows"]
