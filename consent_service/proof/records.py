"""Reading a site's chain in constant memory: keyset batches over (site_id, seq)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import ConsentEvent, PolicyVersion, Site
from ..services.policies import banner_hashes, content_hash

EVENTS = ConsentEvent.__table__
BATCH = 2000


def seq_range(site: Site | int, start: datetime | None = None,
              end: datetime | None = None) -> tuple[int, int] | None:
    """First and last seq of the events recorded in [start, end), through the time index.

    recorded_at is taken under the chain-head lock, so it grows with seq; the scan still
    filters on recorded_at, so a clock step backwards cannot add events outside the range.
    """
    c = EVENTS.c
    site_id = site if isinstance(site, int) else site.id

    def edge(order, *conds):
        return db.session.scalar(
            select(c.seq).where(c.site_id == site_id, *conds).order_by(*order).limit(1)
        )

    lo_conds = [c.recorded_at >= start] if start else []
    hi_conds = [c.recorded_at < end] if end else []
    lo = edge((c.recorded_at, c.id), *lo_conds) if start else 1
    hi = edge((c.recorded_at.desc(), c.id.desc()), *hi_conds)
    if lo is None or hi is None or hi < lo:
        return None
    return lo, hi


def iter_events(site_id: int, lo: int = 1, hi: int | None = None, *,
                start: datetime | None = None, end: datetime | None = None,
                batch: int = BATCH) -> Iterator:
    """Rows (attribute access like ConsentEvent) with lo <= seq <= hi, in seq order.

    Each batch is its own short query keyed on the last seq seen, so memory stays flat
    and no transaction or cursor is held open between batches.
    """
    c = EVENTS.c
    last = lo - 1
    while True:
        query = select(EVENTS).where(c.site_id == site_id, c.seq > last)
        if hi is not None:
            query = query.where(c.seq <= hi)
        if start is not None:
            query = query.where(c.recorded_at >= start)
        if end is not None:
            query = query.where(c.recorded_at < end)
        rows = db.session.execute(query.order_by(c.seq).limit(batch)).all()
        db.session.rollback()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        if len(rows) < batch:
            return


def iter_hashes(site_id: int, lo: int = 1, hi: int | None = None, *,
                batch: int = 10000) -> Iterator[tuple[int, str]]:
    """(seq, event_hash) with lo <= seq <= hi in seq order, in keyset batches."""
    c = EVENTS.c
    last = lo - 1
    while hi is None or last < hi:
        query = select(c.seq, c.event_hash).where(c.site_id == site_id, c.seq > last)
        if hi is not None:
            query = query.where(c.seq <= hi)
        rows = db.session.execute(query.order_by(c.seq).limit(batch)).all()
        db.session.rollback()
        if not rows:
            return
        yield from (tuple(row) for row in rows)
        last = rows[-1][0]
        if len(rows) < batch:
            return


@dataclass
class PolicyInfo:
    version: int
    content: dict
    stored_hash: str
    computed_hash: str
    notice_hash: str | None
    banner_hashes: dict
    published_at: datetime | None


class Policies:
    """Policy versions of one site, loaded once each (a site has few)."""

    def __init__(self, site_id: int):
        self.site_id = site_id
        self._by_version: dict[int, PolicyInfo | None] = {}

    def get(self, version: int) -> PolicyInfo | None:
        if version not in self._by_version:
            row = db.session.scalars(
                select(PolicyVersion).where(PolicyVersion.site_id == self.site_id,
                                            PolicyVersion.version == version)
            ).first()
            self._by_version[version] = None if row is None else PolicyInfo(
                version=row.version, content=row.content, stored_hash=row.content_hash,
                computed_hash=content_hash(row.content), notice_hash=row.notice_hash,
                banner_hashes=banner_hashes(row.content), published_at=row.published_at,
            )
        return self._by_version[version]

    def loaded(self) -> list[PolicyInfo]:
        return [p for p in self._by_version.values() if p is not None]
