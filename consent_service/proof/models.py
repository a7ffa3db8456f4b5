"""Tables of the proof package: published signing keys and signed chain heads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models.consent import BigId
from ..models.types import UTCDateTime, utcnow


class SigningKey(db.Model):
    """Public half of every Ed25519 key that ever signed a seal (keys rotate, halves stay)."""

    __tablename__ = "signing_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    algorithm: Mapped[str] = mapped_column(String(16), default="Ed25519")
    public_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChainSeal(db.Model):
    """A signed tree head of one site's chain (docs/proof.md section 2)."""

    __tablename__ = "chain_seal"
    __table_args__ = (Index("ix_chain_seal_site_seq", "site_id", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="RESTRICT"))
    seq: Mapped[int] = mapped_column(BigId)
    head_hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    key_id: Mapped[str] = mapped_column(ForeignKey("signing_key.key_id", ondelete="RESTRICT"))
    # Base64 of the 64-byte Ed25519 signature over the canonical seal payload.
    signature: Mapped[str] = mapped_column(String(100))
    # Signed tree heads (RFC 9162 Merkle root over the first `seq` events); NULL on seals
    # made before them. frontier: JSON list of the perfect-subtree roots at `seq`, so the
    # next seal hashes only the events after it.
    root_hash: Mapped[str | None] = mapped_column(String(64))
    frontier: Mapped[str | None] = mapped_column(Text)
