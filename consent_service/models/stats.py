"""Daily summaries of consent events, for statistics over long ranges."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class ConsentDaily(db.Model):
    """Events of one site, UTC day and action; `<cat>_yes` of `<cat>_seen` granted it."""

    __tablename__ = "consent_daily"

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"),
                                         primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    action: Mapped[str] = mapped_column(String(16), primary_key=True)
    events: Mapped[int] = mapped_column(default=0)
    preferences_yes: Mapped[int] = mapped_column(default=0)
    preferences_seen: Mapped[int] = mapped_column(default=0)
    analytics_yes: Mapped[int] = mapped_column(default=0)
    analytics_seen: Mapped[int] = mapped_column(default=0)
    marketing_yes: Mapped[int] = mapped_column(default=0)
    marketing_seen: Mapped[int] = mapped_column(default=0)


class ConsentRollupState(db.Model):
    """Every day before `rolled_until` is in consent_daily for the site."""

    __tablename__ = "consent_rollup_state"

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"),
                                         primary_key=True)
    rolled_until: Mapped[date] = mapped_column(Date)
