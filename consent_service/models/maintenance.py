"""The ``maintenance_job`` table: when each periodic job last ran, shared by every machine."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime


class MaintenanceJob(db.Model):
    """One row per job name. A run claims the row by moving `started_at` forward in one
    UPDATE that only matches when the job is due, so two machines never run it twice."""

    __tablename__ = "maintenance_job"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str | None] = mapped_column(String(16))  # running, ok, failed
    detail: Mapped[str | None] = mapped_column(Text)
