from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import JSONType, UTCDateTime

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class ConsentEvent(db.Model):
    """One visitor choice. Rows are only inserted; `purged_at` blanks personal fields later."""

    __tablename__ = "consent_event"
    __table_args__ = (
        UniqueConstraint("site_id", "event_id", name="uq_consent_event_site_event"),
        UniqueConstraint("site_id", "seq", name="uq_consent_event_site_seq"),
        Index("ix_consent_event_site_recorded", "site_id", "recorded_at", "id"),
        # Consent log filters (services/consent_log.py): keyset order after the filter.
        Index("ix_consent_event_site_action_recorded", "site_id", "action", "recorded_at",
              "id"),
        Index("ix_consent_event_site_policy_recorded", "site_id", "policy_version",
              "recorded_at", "id"),
        Index("ix_consent_event_site_policy_action_recorded", "site_id", "policy_version",
              "action", "recorded_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="RESTRICT"))
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    receipt_id: Mapped[str] = mapped_column(String(40), unique=True)
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_version.id"))
    policy_version: Mapped[int]
    policy_hash: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    choices: Mapped[dict] = mapped_column(JSONType)
    language: Mapped[str] = mapped_column(String(8))
    banner_hash: Mapped[str] = mapped_column(String(64))
    gpc: Mapped[bool] = mapped_column(default=False)
    # Action "embed" only: the service a placeholder click consented to (in the chain record).
    service: Mapped[str | None] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Personal fields: blanked by retention purge; their digest stays in the chain.
    page_url: Mapped[str | None] = mapped_column(String(2000))
    client_ip: Mapped[str | None] = mapped_column(String(80))
    ua_family: Mapped[str | None] = mapped_column(String(80))
    personal_hash: Mapped[str] = mapped_column(String(64))
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Hash chain per site.
    seq: Mapped[int] = mapped_column(BigId)
    prev_hash: Mapped[str] = mapped_column(String(64))
    event_hash: Mapped[str] = mapped_column(String(64))


class ChainHead(db.Model):
    """Latest link of a site's consent chain; its row lock serialises inserts."""

    __tablename__ = "chain_head"

    site_id: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigId, default=0)
    head_hash: Mapped[str] = mapped_column(String(64))
