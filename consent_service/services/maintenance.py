"""Periodic maintenance: seal each site's consent chain hourly, blank the personal fields of
events past their site's retention and summarise finished days for the statistics daily.

Without these the log keeps personal data past its retention period, and the chain head goes
unsealed, unless an operator remembers a cron table. So the service runs them itself: the
job worker (`consent-service worker`, which gunicorn starts beside its workers unless
CONSENT_EMBEDDED_WORKER=0) calls `run_due` every few minutes, and `consent-service
maintenance` runs it by hand or from cron. Any number of machines may call it: a run first
claims its job's row in `maintenance_job` with one UPDATE that only matches while the job is
due, so each job runs once per period wherever it is called from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import MaintenanceJob, utcnow

log = logging.getLogger(__name__)

# A failed run is tried again after this long rather than a whole period later.
RETRY_FAILED = timedelta(minutes=15)
# A run still marked running after this long died with its process (a deploy's SIGTERM, a
# database that went away before the failure could be written): it is due again.
STALE_RUNNING = timedelta(hours=1)
# The job worker looks every 5 minutes; a job counts as due this much before its period
# ends, so "hourly" is 55-60 minutes and not 60-65.
TICK = timedelta(minutes=5)


def _seal() -> str:
    from ..proof.seals import seal_all

    return f"{len(seal_all(rotate=False))} chain head(s) sealed"


def _purge() -> str:
    from ..proof.purge import purge

    results = purge(via="maintenance")
    return f"{sum(r['purged'] for r in results)} event(s) purged in {len(results)} site(s)"


def _stats_rollup() -> str:
    from .stats import roll_up_all

    return f"{len(roll_up_all())} site(s) summarised"


JOBS: dict[str, tuple[timedelta, Callable[[], str]]] = {
    "seal": (timedelta(hours=1), _seal),
    "purge": (timedelta(days=1), _purge),
    "stats-rollup": (timedelta(days=1), _stats_rollup),
}


def _claim(name: str, every: timedelta, now: datetime, force: bool) -> bool:
    """Mark `name` as started at `now` if it is due; True when this caller got the run."""
    if db.session.get(MaintenanceJob, name) is None:
        db.session.add(MaintenanceJob(name=name))
        try:
            db.session.commit()
        except IntegrityError:  # another machine inserted it first
            db.session.rollback()
    job = MaintenanceJob
    due = true() if force else or_(
        job.started_at.is_(None), job.started_at <= now - every + TICK,
        and_(job.status == "failed", job.started_at <= now - RETRY_FAILED),
        and_(job.status == "running", job.started_at <= now - STALE_RUNNING))
    claimed = db.session.execute(
        update(job).where(job.name == name, due)
        .values(started_at=now, finished_at=None, status="running", detail=None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return claimed == 1


def run_due(now: datetime | None = None, *, only: list[str] | None = None,
            force: bool = False) -> list[dict]:
    """Run every job that is due (or the named ones; `force`: due or not). One job's
    failure is recorded and does not stop the others."""
    now = now or utcnow()
    done = []
    for name, (every, work) in JOBS.items():
        if only and name not in only:
            continue
        if not _claim(name, every, now, force):
            continue
        try:
            status, detail = "ok", work()
        except Exception as exc:  # recorded, retried after RETRY_FAILED
            db.session.rollback()
            log.exception("maintenance job %s failed", name)
            status, detail = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        db.session.execute(update(MaintenanceJob).where(MaintenanceJob.name == name)
                           .values(finished_at=utcnow(), status=status, detail=detail)
                           .execution_options(synchronize_session=False))
        db.session.commit()
        log.info("maintenance job %s: %s (%s)", name, status, detail)
        done.append({"job": name, "status": status, "detail": detail})
    return done


# How late a job may start before the admin is told that no job worker seems to run.
LATE_AFTER = timedelta(minutes=15)


def status(now: datetime | None = None) -> list[dict]:
    """Each job with its period, its last run (None before the first) and whether it is
    overdue: never run, or not started within its period plus LATE_AFTER."""
    now = now or utcnow()
    rows = {row.name: row for row in db.session.scalars(select(MaintenanceJob))}
    out = []
    for name, (every, _) in JOBS.items():
        row = rows.get(name) or MaintenanceJob(name=name)
        out.append({
            "job": name, "every_seconds": int(every.total_seconds()),
            "overdue": row.started_at is None or row.started_at < now - every - LATE_AFTER,
            "started_at": row.started_at and row.started_at.isoformat(),
            "finished_at": row.finished_at and row.finished_at.isoformat(),
            "status": row.status, "detail": row.detail,
        })
    return out
