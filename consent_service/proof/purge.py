"""Retention: blank the personal fields of old events; hashes and seals stay."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..extensions import db
from ..models import AuditLog, ConsentEvent, Site, utcnow
from ..services.consents import iso

_DURATION = re.compile(r"^\s*(\d+)\s*([ymwd])\s*$", re.IGNORECASE)
BATCH = 5000


def parse_duration(text: str) -> tuple[int, str]:
    """'3y', '18m', '6w', '90d' -> (3, 'y'); years and months are calendar ones."""
    match = _DURATION.match(text or "")
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"not a duration like 3y, 18m, 6w or 90d: {text!r}")
    return int(match.group(1)), match.group(2).lower()


def cutoff_for(text: str, now: datetime | None = None) -> datetime:
    """The moment `text` before `now`: 3y = same day three years ago (29 Feb -> 28 Feb)."""
    now = now or utcnow()
    n, unit = parse_duration(text)
    if unit == "d":
        return now - timedelta(days=n)
    if unit == "w":
        return now - timedelta(weeks=n)
    months = n * 12 if unit == "y" else n
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    month += 1
    day = now.day
    while True:
        try:
            return now.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


def purge_site(site: Site, cutoff: datetime, *, user_id: int | None = None,
               via: str = "cli") -> int:
    """Blank page_url, client_ip, ua_family of events recorded before `cutoff`.

    Works in batches, each its own short transaction, so consents keep being recorded.
    """
    site_id = site.id
    c = ConsentEvent.__table__.c
    total = 0
    now = utcnow()
    while True:
        ids = db.session.scalars(
            select(c.id).where(c.site_id == site_id, c.recorded_at < cutoff,
                               c.purged_at.is_(None)).limit(BATCH)
        ).all()
        if not ids:
            break
        result = db.session.execute(
            update(ConsentEvent.__table__).where(c.id.in_(ids), c.purged_at.is_(None))
            .values(page_url=None, client_ip=None, ua_family=None, purged_at=now)
        )
        db.session.commit()
        total += result.rowcount
    db.session.add(AuditLog(site_id=site_id, user_id=user_id, action="purge",
                            details={"before": iso(cutoff), "events": total, "via": via,
                                     "fields": ["page_url", "client_ip", "ua_family"]}))
    db.session.commit()
    return total


def purge(older_than: str | None = None, site_key: str | None = None, *,
          now: datetime | None = None, via: str = "cli") -> list[dict]:
    """Purge one site or all; without `older_than`, each site's own retention_days."""
    now = now or utcnow()
    query = select(Site).order_by(Site.id)
    if site_key:
        query = query.where(Site.site_key == site_key)
    results = []
    for site in db.session.scalars(query).all():
        key = site.site_key
        cutoff = cutoff_for(older_than, now) if older_than else \
            now - timedelta(days=site.retention_days)
        count = purge_site(site, cutoff, via=via)
        results.append({"site_key": key, "before": iso(cutoff), "purged": count})
    return results
