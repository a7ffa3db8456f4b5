"""Proof bundle: one zip a regulator or court can check offline, with or without our code."""

from __future__ import annotations

import base64
import json
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from ..models import Site, utcnow
from ..security import canonical_json
from ..services.consents import chain_record, iso
from .exports import audit_export
from .models import ChainSeal, SigningKey
from .records import Policies, iter_events, seq_range
from .seals import SigningUnavailable, frontier_at, payload_of, seal_site
from .texts import README_TXT, VERIFY_SH

FORMAT = "consent-service proof bundle v2"
# Per-event files make `sha256sum -c` possible; a zip keeps one directory entry per file in
# memory while it is written, so very large bundles leave them out (events.ndjson has all).
EVENT_FILES_LIMIT = 200_000


def event_file(seq: int) -> str:
    return f"events/{seq:012d}.json"


def _first_seal_at_or_after(site: Site, seq: int) -> ChainSeal | None:
    from ..extensions import db

    return db.session.scalars(
        select(ChainSeal).where(ChainSeal.site_id == site.id, ChainSeal.seq >= seq)
        .order_by(ChainSeal.seq, ChainSeal.id).limit(1)
    ).first()


def build_bundle(site: Site, out: str | Path, start: datetime | None = None,
                 end: datetime | None = None, *, seal: bool = True,
                 event_files: bool | None = None, via: str = "cli") -> dict:
    """Write the bundle zip to `out`; returns its manifest.

    The events run from the first event in [start, end) to the first seal at or after the
    last one, so every event is chained to a signed head. With `seal`, the current head is
    sealed first (nothing happens when it already is).
    """
    from ..extensions import db

    unsealed_reason = "not asked to seal (--no-seal)"
    if seal:
        try:
            seal_site(site)
            unsealed_reason = None
        except SigningUnavailable as exc:
            unsealed_reason = exc.message
    site_key, site_id, site_name = site.site_key, site.id, site.name
    span = seq_range(site, start, end)
    lo = hi = last = cover = None
    seals: list[ChainSeal] = []
    if span:
        lo, hi = span
        cover = _first_seal_at_or_after(site, hi)
        last = cover.seq if cover else hi
        seals = list(db.session.scalars(
            select(ChainSeal).where(ChainSeal.site_id == site_id, ChainSeal.seq >= lo,
                                    ChainSeal.seq <= last).order_by(ChainSeal.seq, ChainSeal.id)
        ))
    count = (last - lo + 1) if span else 0
    if event_files is None:
        event_files = count <= EVENT_FILES_LIMIT
    key_ids = sorted({s.key_id for s in seals})
    keys = {k.key_id: k for k in db.session.scalars(
        select(SigningKey).where(SigningKey.key_id.in_(key_ids)))}
    policies = Policies(site_id)
    prefix = frontier_at(site_id, lo - 1) if span else None
    n = 0
    with tempfile.TemporaryDirectory() as tmp, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        events_path, sums_path = Path(tmp) / "events.ndjson", Path(tmp) / "sums"
        with open(events_path, "w", encoding="utf-8") as events, \
                open(sums_path, "w", encoding="utf-8") as sums:
            rows = iter_events(site_id, lo, last) if span else iter([])
            for row in rows:
                n += 1
                record = chain_record(row, site_key)
                policies.get(row.policy_version)
                events.write(canonical_json({**record, "event_hash": row.event_hash})
                             .decode() + "\n")
                if event_files:
                    zf.writestr(event_file(row.seq), canonical_json(record))
                    sums.write(f"{row.event_hash}  {event_file(row.seq)}\n")
            for info in sorted(policies.loaded(), key=lambda p: p.version):
                base = f"policies/v{info.version}"
                # Metadata only: the content is in .content.json, once (nothing to disagree).
                zf.writestr(f"{base}.policy.json", json.dumps({
                    "version": info.version, "content_hash": info.stored_hash,
                    "notice_hash": info.notice_hash,
                    "published_at": iso(info.published_at) if info.published_at else None,
                }, ensure_ascii=False, indent=1))
                body = {k: info.content[k] for k in ("categories", "services", "banner")}
                zf.writestr(f"{base}.content.json", canonical_json(body))
                sums.write(f"{info.stored_hash}  {base}.content.json\n")
                for lang, texts in sorted(info.content["banner"].items()):
                    zf.writestr(f"{base}.banner.{lang}.json", canonical_json(texts))
                    sums.write(f"{info.banner_hashes[lang]}  {base}.banner.{lang}.json\n")
        zf.write(events_path, "events.ndjson")
        zf.write(sums_path, "SHA256SUMS")
        for row in seals:
            name = f"seals/{row.seq:012d}-{row.id}"
            zf.writestr(f"{name}.payload", payload_of(row, site_key))
            zf.writestr(f"{name}.sig", base64.b64decode(row.signature))
        for kid, key in keys.items():
            zf.writestr(f"keys/{kid}.pem", key.public_key_pem)
        manifest = {
            "format": FORMAT, "site_key": site_key, "site_name": site_name,
            "from": iso(start) if start else None, "to": iso(end) if end else None,
            "first_seq": lo, "last_seq": last if n else None, "range_last_seq": hi,
            "events": n, "event_files": bool(event_files and n), "seals": len(seals),
            "merkle_prefix": {"tree_size": prefix.size, "frontier": prefix.to_hex()}
            if prefix is not None else None,
            # Sealing closes the tail; when it could not, the bundle says so plainly.
            "unsealed_tail": {"from_seq": (seals[-1].seq + 1) if seals else lo,
                              "to_seq": last,
                              "reason": unsealed_reason or "no seal covers these events"}
            if span and cover is None else None,
            "keys": sorted(keys), "policy_versions": sorted(p.version for p in policies.loaded()),
            "created_at": iso(utcnow()),
        }
        zf.writestr("manifest.json", json.dumps(manifest, indent=1))
        zf.writestr("README.txt", README_TXT)
        script = zipfile.ZipInfo("verify.sh", date_time=utcnow().timetuple()[:6])
        script.external_attr = 0o100755 << 16
        zf.writestr(script, VERIFY_SH)
    audit_export(db.session.get(Site, site_id), "bundle", start, end, rows=n, via=via,
                 kind="export")
    return manifest
