"""Every acknowledged consent survives kill -9 of workers and master, and a database restart."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest
from sqlalchemy import select

from consent_service.extensions import db
from consent_service.models import ConsentEvent, Site
from consent_service.services.consents import event_hash
from consent_service.services.sites import GENESIS_HASH, get_site

from .harness import ConsentStream, Server

pytestmark = pytest.mark.faults


def verify_chain(site: Site) -> list[ConsentEvent]:
    events = db.session.scalars(
        select(ConsentEvent).where(ConsentEvent.site_id == site.id).order_by(ConsentEvent.seq)
    ).all()
    prev = GENESIS_HASH
    for n, event in enumerate(events, start=1):
        assert event.seq == n, f"gap or fork at seq {n}"
        assert event.prev_hash == prev, f"broken link at seq {n}"
        assert event_hash(event, site.site_key) == event.event_hash, f"bad hash at seq {n}"
        prev = event.event_hash
    return events


def assert_nothing_lost(site_key: str, stream: ConsentStream) -> None:
    db.session.expire_all()
    events = verify_chain(get_site(site_key))
    stored = [str(e.event_id) for e in events]
    assert len(stored) == len(set(stored)), "an event was stored twice"
    missing = set(stream.acked) - set(stored)
    assert not missing, f"{len(missing)} acknowledged events lost"
    assert len(stream.acked) > 20, "the stream hardly ran"


@pytest.fixture
def server(app, database_url, tmp_path):
    srv = Server(database_url, tmp_path / "srv")
    (tmp_path / "srv").mkdir()
    yield srv
    srv.stop()


def test_kill_worker_then_master(server, published_site, consent_body):
    key = published_site.site_key
    db.session.commit()
    server.start()
    stream = ConsentStream(server, key, consent_body())
    stream.start()
    time.sleep(2)
    victim = server.worker_pids()[0]
    os.kill(victim, 9)
    time.sleep(2)
    server.kill_master()
    time.sleep(1)
    server.start()
    time.sleep(2)
    stream.stop()
    assert_nothing_lost(key, stream)
    assert not [s for s in stream.statuses if s >= 500 and s != 503], stream.statuses


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL leg only")
@pytest.mark.skipif(shutil.which("pg_ctlcluster") is None, reason="needs pg_ctlcluster")
def test_postgres_restart_mid_stream(server, published_site, consent_body):
    key = published_site.site_key
    db.session.commit()
    db.session.close()
    server.start()
    stream = ConsentStream(server, key, consent_body())
    stream.start()
    time.sleep(2)
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart",
                    "-m", "fast"], check=True, timeout=60)
    time.sleep(3)
    stream.stop()
    db.engine.dispose()
    assert_nothing_lost(key, stream)
    bad = {s: n for s, n in stream.statuses.items() if s >= 500 and s != 503}
    assert not bad, f"5xx other than 503 during the restart: {bad}"
