"""On PostgreSQL gunicorn runs gevent workers (gunicorn.conf.py): CPU-heavy admin work must
not stop the other requests of its process, and the worker class follows the database."""

from __future__ import annotations

import json
import os
import runpy
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from consent_service.services.sites import create_api_key

from .harness import ROOT, Server

pytestmark = pytest.mark.faults
NOTICE = (Path(__file__).parents[1] / "data" / "notice_fi_small.txt").read_text()


def test_worker_class_follows_the_database(monkeypatch):
    monkeypatch.delenv("GUNICORN_WORKER_CLASS", raising=False)

    def worker_class(database_url: str) -> str:
        monkeypatch.setenv("CONSENT_DATABASE_URL", database_url)
        return runpy.run_path(str(ROOT / "gunicorn.conf.py"))["worker_class"]

    assert worker_class("postgresql+psycopg://u@h/db") == "gevent"
    assert worker_class("sqlite:////var/lib/consent/consent.db") == "gthread"
    monkeypatch.setenv("GUNICORN_WORKER_CLASS", "gthread")
    assert worker_class("postgresql+psycopg://u@h/db") == "gthread"


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL leg only")
def test_analysis_does_not_stall_the_gevent_worker(app, database_url, tmp_path, published_site):
    """One worker analyses notices back to back for seconds of CPU (the analyzer no longer
    loads dictionaries that took that long on the first call). Meanwhile /livez on the same
    process keeps answering, because the analysis runs on the hub's native thread pool
    (consent_service.concurrency)."""
    from consent_service.extensions import db

    key = create_api_key(published_site, "ci", role="editor")[1]
    db.session.commit()
    (tmp_path / "srv").mkdir()
    server = Server(database_url, tmp_path / "srv", workers=1)
    server.start()
    try:
        assert "Using worker: gevent" in server.log.read_text()
        result: dict = {}

        def analyse():
            # notices of a real size (~40 kB), one after another for over a second
            req = urllib.request.Request(
                f"{server.url}/api/v1/analyze", method="POST",
                data=json.dumps({"notice": (NOTICE + "\n\n") * 100}).encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
            started = time.monotonic()
            for _ in range(200):
                with urllib.request.urlopen(req, timeout=120) as resp:
                    result["status"] = resp.status
                    result["body"] = json.load(resp)
                if time.monotonic() - started > 2.0:
                    break
            result["seconds"] = time.monotonic() - started

        worker = threading.Thread(target=analyse)
        worker.start()
        slowest = 0.0
        answered = 0
        while worker.is_alive():
            started = time.monotonic()
            with urllib.request.urlopen(f"{server.url}/livez", timeout=30) as resp:
                assert resp.status == 200
            slowest = max(slowest, time.monotonic() - started)
            answered += 1
            time.sleep(0.02)
        worker.join()
        assert result["status"] == 200 and result["body"]["categories"]
        # The analysis took long enough for a stall to show, and none did. Run in place, it
        # held /livez for the whole analysis; on the pool, single long C calls (regex scans)
        # still hold the GIL for a while (up to 0.5 s seen on a loaded machine).
        assert result["seconds"] > 1.0, result
        assert answered >= 5, (answered, result)
        assert slowest < min(1.5, result["seconds"] / 3), (slowest, result)
    finally:
        server.stop()


def test_worker_heap_is_frozen_after_warm_up(tmp_path):
    """post_worker_init moves the worker's long-lived objects out of the collector's scans
    (a full collection of them stalled a loaded worker for 80-175 ms)."""
    import subprocess
    import sys

    probe = (
        "import gc, json, runpy, types\n"
        f"conf = runpy.run_path({str(ROOT / 'gunicorn.conf.py')!r})\n"
        "from consent_service import create_app\n"
        "create_app()\n"
        "conf['post_worker_init'](types.SimpleNamespace())\n"
        "print(json.dumps({'frozen': gc.get_freeze_count(), 'tracked': len(gc.get_objects())}))\n"
    )
    env = {**os.environ, "CONSENT_INSTANCE_PATH": str(tmp_path),
           "CONSENT_DATABASE_URL": f"sqlite:///{tmp_path}/probe.db"}
    env.pop("GUNICORN_WARM_ANALYZER", None)
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    heap = json.loads(out.strip().splitlines()[-1])
    assert heap["frozen"] > 50_000, heap
    assert heap["tracked"] < heap["frozen"] / 10, heap
