"""The ``scan`` table: one site scan job and its result."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models.types import JSONType, UTCDateTime, utcnow

STATUSES = ("queued", "running", "done", "failed")


class Scan(db.Model):
    __tablename__ = "scan"
    __table_args__ = (Index("ix_scan_site_created", "site_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    options: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("admin_user.id", ondelete="SET NULL"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[dict | None] = mapped_column(JSONType)
    report_html: Mapped[str | None] = mapped_column(Text)
    error: Mapped[dict | None] = mapped_column(JSONType)

    def summary(self) -> dict:
        findings = (self.result or {}).get("findings") or []
        return {
            "id": self.id, "url": self.url, "status": self.status,
            "created_at": _iso(self.created_at), "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at), "error": self.error,
            "findings": len(findings),
        }


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None
