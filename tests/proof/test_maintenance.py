"""Periodic maintenance (services/maintenance.py): seal, retention purge and statistics
roll-up run when due, once per period however many callers, and a failure is kept and
retried."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from consent_service.extensions import db
from consent_service.models import ConsentRollupState, MaintenanceJob
from consent_service.proof.models import ChainSeal
from consent_service.services import maintenance

ALL = ["seal", "purge", "stats-rollup"]


def ran(results: list[dict]) -> list[str]:
    return [r["job"] for r in results]


def test_each_job_runs_when_due_and_once_per_period(app, proof_site, add_events):
    now = datetime.now(UTC)
    proof_site.retention_days = 30
    db.session.commit()
    add_events(2, start=now - timedelta(days=40))
    add_events(1, start=now - timedelta(days=5))

    assert all(job["overdue"] for job in maintenance.status(now))  # never run
    first = maintenance.run_due(now)
    assert ran(first) == ALL and all(r["status"] == "ok" for r in first), first
    assert first[0]["detail"] == "1 chain head(s) sealed"
    assert first[1]["detail"] == "2 event(s) purged in 1 site(s)"
    assert db.session.scalar(select(func.count()).select_from(ChainSeal)) == 1
    assert db.session.get(ConsentRollupState, proof_site.id) is not None

    assert maintenance.run_due(now + timedelta(minutes=5)) == []
    # Due one tick (5 min) before the period ends, so "hourly" is never 60-65 minutes.
    hourly = maintenance.run_due(now + timedelta(minutes=56))
    assert ran(hourly) == ["seal"] and hourly[0]["detail"] == "0 chain head(s) sealed"
    assert ran(maintenance.run_due(now + timedelta(days=1, minutes=2))) == ALL
    status = {row["job"]: row for row in maintenance.status()}
    assert not any(row["overdue"] for row in status.values())
    late = {row["job"]: row["overdue"]
            for row in maintenance.status(now + timedelta(days=1, hours=2))}
    assert late == {"seal": True, "purge": False, "stats-rollup": False}
    assert status["seal"]["status"] == "ok" and status["seal"]["every_seconds"] == 3600
    assert status["purge"]["finished_at"] is not None


def test_a_failure_is_recorded_and_retried_sooner(app, proof_site, monkeypatch):
    def broken() -> str:
        raise RuntimeError("disk full")

    every, _ = maintenance.JOBS["purge"]
    monkeypatch.setitem(maintenance.JOBS, "purge", (every, broken))
    now = datetime.now(UTC)
    results = {r["job"]: r for r in maintenance.run_due(now)}
    assert results["purge"] == {"job": "purge", "status": "failed",
                                "detail": "RuntimeError: disk full"}
    assert results["seal"]["status"] == results["stats-rollup"]["status"] == "ok"
    row = db.session.get(MaintenanceJob, "purge")
    db.session.refresh(row)
    assert row.status == "failed" and row.finished_at is not None

    assert maintenance.run_due(now + timedelta(minutes=10)) == []
    assert ran(maintenance.run_due(now + timedelta(minutes=16))) == ["purge"]


def test_concurrent_callers_run_each_job_once(app, proof_site):
    """Four callers at the same instant (as four machines' job workers would be): each job
    is claimed by one of them."""
    now = datetime.now(UTC)
    barrier = threading.Barrier(4)
    results: list[dict] = []
    errors: list[BaseException] = []

    def caller() -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                results.extend(maintenance.run_due(now))
                db.session.remove()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sorted(ran(results)) == sorted(ALL), results


def test_cli_runs_due_jobs_and_shows_status(runner, proof_site):
    result = runner.invoke(args=["maintenance"])
    assert result.exit_code == 0, result.output
    assert ran(json.loads(result.output)) == ALL
    again = runner.invoke(args=["maintenance"])
    assert json.loads(again.output) == []
    forced = runner.invoke(args=["maintenance", "--job", "seal", "--force"])
    assert ran(json.loads(forced.output)) == ["seal"]
    status = json.loads(runner.invoke(args=["maintenance", "--status"]).output)
    assert [row["job"] for row in status] == ALL
    assert all(row["status"] == "ok" for row in status)
    bad = runner.invoke(args=["maintenance", "--job", "vacuum"])
    assert bad.exit_code == 2 and "unknown job" in bad.output


def test_job_worker_runs_maintenance_every_five_minutes(app):
    from consent_service.scan.jobs import MAINTENANCE_TASK_NAME, get_huey

    huey = get_huey(app)

    def due_at(minute: int) -> list[str]:
        return [task.name for task in huey.read_periodic(datetime(2026, 1, 5, 3, minute))]

    assert MAINTENANCE_TASK_NAME in due_at(0) and MAINTENANCE_TASK_NAME in due_at(35)
    assert MAINTENANCE_TASK_NAME not in due_at(3)


def test_a_run_that_died_mid_way_is_due_again_after_an_hour(app, proof_site):
    now = datetime.now(UTC)
    every, _ = maintenance.JOBS["purge"]
    assert maintenance._claim("purge", every, now, force=False)  # then the process died
    assert db.session.get(MaintenanceJob, "purge").status == "running"
    assert "purge" not in ran(maintenance.run_due(now + timedelta(minutes=30), only=["purge"]))
    assert ran(maintenance.run_due(now + timedelta(minutes=61), only=["purge"])) == ["purge"]


def test_scheduled_seal_does_not_rotate_a_missing_key(app, proof_site, add_events):
    """A machine without the shared key file must not mint a new key and retire the
    others; `consent-service seal` by hand still rotates (docs/proof.md)."""
    from pathlib import Path

    from consent_service.proof.models import SigningKey

    add_events(1)
    first = maintenance.run_due(only=["seal"])
    assert first[0]["status"] == "ok", first
    Path(app.config["SIGNING_KEY_FILE"]).unlink()
    app.extensions.pop("proof_signer", None)
    add_events(1)
    again = maintenance.run_due(only=["seal"], force=True)
    assert again[0]["status"] == "failed" and "no signing key file" in again[0]["detail"]
    keys = db.session.scalars(select(SigningKey)).all()
    assert len(keys) == 1 and keys[0].retired_at is None
