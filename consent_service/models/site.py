from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import JSONType, UTCDateTime, utcnow


class Site(db.Model):
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    domains: Mapped[list] = mapped_column(JSONType, default=list)
    allowed_origins: Mapped[list] = mapped_column(JSONType, default=list)
    languages: Mapped[list] = mapped_column(JSONType, default=lambda: ["fi", "sv", "en"])
    privacy_url: Mapped[str | None] = mapped_column(String(2000))
    reprompt_days: Mapped[int] = mapped_column(default=365)
    retention_days: Mapped[int] = mapped_column(default=365 * 4)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    policies: Mapped[list[PolicyVersion]] = relationship(  # noqa: F821
        back_populates="site", order_by="PolicyVersion.version"
    )


class ApiKey(db.Model):
    """Admin API key of one site; only a SHA-256 of the high-entropy secret is kept."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(24), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="editor")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    site: Mapped[Site] = relationship()


class Notice(db.Model):
    """A privacy notice as pasted, uploaded or fetched, with its analysis."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16), default="paste")
    source_url: Mapped[str | None] = mapped_column(String(2000))
    text: Mapped[str] = mapped_column(db.Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    analysis: Mapped[dict | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id", ondelete="SET NULL"))
