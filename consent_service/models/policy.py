from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import JSONType, UTCDateTime, utcnow


class PolicyImmutableError(RuntimeError):
    pass


class PolicyVersion(db.Model):
    """One version of a site's consent policy; frozen once published."""

    __tablename__ = "policy_version"
    __table_args__ = (
        UniqueConstraint("site_id", "version", name="uq_policy_version_site_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | published
    content: Mapped[dict] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(String(64))
    material: Mapped[bool] = mapped_column(default=True)
    # Last version (this one or earlier) whose change made visitors consent again.
    material_version: Mapped[int | None]
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id", ondelete="SET NULL"))
    notice_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[int | None] = mapped_column(
        ForeignKey("admin_user.id", ondelete="SET NULL")
    )

    site: Mapped[Site] = relationship(back_populates="policies")  # noqa: F821

    @property
    def is_published(self) -> bool:
        return self.status == "published"


_FROZEN = ("content", "content_hash", "version", "site_id", "material", "material_version",
           "notice_hash", "published_at")


@event.listens_for(PolicyVersion, "before_update")
def _refuse_changes_to_published(mapper, connection, target: PolicyVersion) -> None:
    state = db.inspect(target)
    was_published = state.attrs.status.history.deleted == ["published"] or (
        target.status == "published" and not state.attrs.status.history.has_changes()
    )
    if not was_published:
        return
    changed = [name for name in _FROZEN if state.attrs[name].history.has_changes()]
    if changed or target.status != "published":
        raise PolicyImmutableError(
            f"policy version {target.version} is published and cannot change ({changed})"
        )


@event.listens_for(PolicyVersion, "before_delete")
def _refuse_delete_of_published(mapper, connection, target: PolicyVersion) -> None:
    if target.status == "published":
        raise PolicyImmutableError(f"policy version {target.version} is published")
