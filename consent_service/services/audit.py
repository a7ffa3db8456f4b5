"""Audit log of admin actions: write one entry, read them newest first."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import AdminUser, AuditLog

PAGE_SIZE = 50


def record(action: str, *, user_id: int | None = None, site_id: int | None = None,
           details: dict | None = None, commit: bool = True) -> AuditLog:
    entry = AuditLog(action=action, user_id=user_id, site_id=site_id, details=details or {})
    db.session.add(entry)
    if commit:
        db.session.commit()
    return entry


def entries(site_id: int | None, *, before_id: int | None = None,
            limit: int = PAGE_SIZE) -> tuple[list[tuple[AuditLog, str | None]], int | None]:
    """A page of entries (with the actor's email), newest first; site_id None = all sites.

    Returns (rows, next_before_id)."""
    query = (select(AuditLog, AdminUser.email)
             .outerjoin(AdminUser, AdminUser.id == AuditLog.user_id)
             .order_by(AuditLog.id.desc()).limit(limit + 1))
    if site_id is not None:
        query = query.where(AuditLog.site_id == site_id)
    if before_id is not None:
        query = query.where(AuditLog.id < before_id)
    rows = [(entry, email) for entry, email in db.session.execute(query)]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1][0].id if more else None)
