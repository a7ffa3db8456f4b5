"""gunicorn starts the job worker (scans, periodic maintenance) beside its HTTP workers,
stops it with the master, and the job worker stops by itself if the master is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from consent_service.extensions import db
from consent_service.models import MaintenanceJob

from .harness import Server

pytestmark = pytest.mark.faults


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie has exited but still answers kill(0)
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(check, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    return check()


@pytest.fixture
def server(app, database_url, tmp_path, published_site):
    db.session.commit()
    (tmp_path / "srv").mkdir()
    srv = Server(database_url, tmp_path / "srv", workers=1)
    # The deployment's signing key, created on purpose as an operator does: no job or
    # request creates one, and without it the seal job fails.
    subprocess.run([sys.executable, "-m", "consent_service", "keys", "init"], env=srv.env,
                   check=True, capture_output=True, timeout=120)
    yield srv
    srv.stop()


def maintenance_rows() -> dict[str, str | None]:
    db.session.rollback()  # a fresh snapshot of what the job worker wrote
    return {row.name: row.status for row in db.session.scalars(select(MaintenanceJob))}


def test_gunicorn_runs_maintenance_and_stops_its_job_worker(server):
    server.start()
    job = wait_for(server.job_worker_pids)
    assert len(job) == 1, server.log.read_text()[-2000:]
    assert len(server.worker_pids()) == 1  # the HTTP worker; the job worker is not one
    # The job worker runs the due maintenance once at start (then every 5 minutes).
    assert wait_for(lambda: maintenance_rows() == {"seal": "ok", "purge": "ok",
                                                   "stats-rollup": "ok"}), maintenance_rows()
    time.sleep(1)
    assert alive(job[0]), server.log.read_text()[-2000:]  # it stays up for the next runs
    os.kill(server.proc.pid, signal.SIGTERM)  # the master alone: on_exit stops the worker
    server.proc.wait(timeout=40)
    assert not alive(job[0])


def test_job_worker_stops_when_the_master_is_killed(server):
    server.start()
    job = wait_for(server.job_worker_pids)
    assert job, server.log.read_text()[-2000:]
    os.kill(server.proc.pid, signal.SIGKILL)
    server.proc.wait()
    assert wait_for(lambda: not alive(job[0]), 15), "job worker outlived its master"


def test_embedded_job_worker_can_be_turned_off(server):
    server.env["CONSENT_EMBEDDED_WORKER"] = "0"
    server.start()
    time.sleep(2)
    assert server.job_worker_pids() == []
    assert "Started job worker" not in server.log.read_text()
