"""Matching, public suffixes without network, the real (non-immediate) job queue."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime

import pytest

from consent_service.scan import matching


def test_registrable_domain_uses_bundled_list_without_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the public suffix list must not be fetched")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    matching._psl.cache_clear()
    matching.registrable_domain.cache_clear()
    assert matching.registrable_domain("www.googletagmanager.com") == "googletagmanager.com"
    assert matching.registrable_domain("a.b.example.co.uk") == "example.co.uk"
    assert matching.registrable_domain("kauppa.example.fi") == "example.fi"
    assert matching.registrable_domain("127.0.0.1") == "127.0.0.1"
    assert matching.registrable_domain("localhost") == "localhost"


def test_lifetime_thirteen_months():
    at = datetime(2026, 11, 25, tzinfo=UTC)
    assert not matching.lifetime_excessive({"expires": "2027-12-25T00:00:00Z"}, at)
    assert matching.lifetime_excessive({"expires": "2027-12-30T00:00:00Z"}, at)
    assert not matching.lifetime_excessive({"expires": None}, at)


def test_queue_runs_jobs_through_huey(app, published_site):
    """SqliteHuey in the instance folder: start_scan enqueues, a worker executes."""
    from consent_service.scan import jobs

    app.config["SCAN_QUEUE_IMMEDIATE"] = False
    app.extensions.pop("scan_huey", None)
    published_site.domains = ["127.0.0.1:9"]  # the discard port: nothing listens there
    huey = jobs.get_huey(app)
    assert type(huey).__name__ == "SqliteHuey" and not huey.immediate
    scan = jobs.start_scan(published_site)
    assert scan.status == "queued" and huey.pending_count() == 1
    task = huey.dequeue()
    start = time.monotonic()
    huey.execute(task)
    assert time.monotonic() - start < 30
    from consent_service.extensions import db

    db.session.expire_all()
    assert scan.status == "failed" and scan.error["code"] in ("unreachable", "no-browser")
    assert scan.finished_at is not None


def test_redis_huey_when_configured(app):
    pytest.importorskip("redis")
    from consent_service.scan import jobs

    app.config["REDIS_URL"] = "redis://127.0.0.1:6399/0"
    app.extensions.pop("scan_huey", None)
    assert type(jobs.get_huey(app)).__name__ == "RedisHuey"
