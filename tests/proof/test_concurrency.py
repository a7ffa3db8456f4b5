"""8 processes, each its own app and engine, record 5,000 events each for one site at once."""

from __future__ import annotations

import multiprocessing as mp
import os
import time
import uuid

import pytest

from consent_service.proof.verify import verify_site

from .helpers import record_event

PG_URL = os.environ.get("TEST_DATABASE_URL")
PROCESSES = int(os.environ.get("PROOF_CONCURRENCY_PROCESSES", "8"))
PER_PROCESS = int(os.environ.get("PROOF_CONCURRENCY_EVENTS", "5000"))
# About 1.5 min on an idle 2-core machine (90 s for the race itself, 444 events/s);
# several times that when other test suites load the machine.

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (PG_URL or "").startswith("postgresql"),
                       reason="needs PostgreSQL (set TEST_DATABASE_URL): SQLite has one "
                              "writer, so there is no row-lock race to test"),
]


def _worker(url, instance, site_key, banner_hashes, n, start_evt, out):
    from consent_service import create_app
    from consent_service.extensions import db
    from consent_service.services.sites import get_site

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t" * 40,
                      "CONSENT_ENV": "testing", "INSTANCE_PATH": instance})
    with app.app_context():
        site = get_site(site_key)
        start_evt.wait()
        seqs = []
        for i in range(n):
            lang = ("fi", "sv", "en")[i % 3]
            event, created = record_event(
                site, {"event_id": uuid.uuid4(), "policy_version": 1, "action": "custom",
                       "choices": {"analytics": i % 2 == 0, "marketing": False},
                       "language": lang, "banner_hash": banner_hashes[lang],
                       "page_url": "https://kauppa.example.fi/", "gpc": False},
                remote_addr="198.51.100.7", user_agent=None, ip_mode="truncate",
                secret="t" * 40)
            assert created
            seqs.append(event.seq)
        db.session.remove()
        db.engine.dispose()
    out.put(seqs)


def test_parallel_writers_make_one_contiguous_chain(app, proof_site, tmp_path):
    from consent_service.extensions import db
    from consent_service.services.policies import banner_hashes, current_policy

    hashes = banner_hashes(current_policy(proof_site).content)
    site_key = proof_site.site_key
    db.session.commit()
    ctx = mp.get_context("spawn")
    start_evt, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(app.config["SQLALCHEMY_DATABASE_URI"],
                                               str(tmp_path / f"i{i}"), site_key, hashes,
                                               PER_PROCESS, start_evt, out))
             for i in range(PROCESSES)]
    for p in procs:
        p.start()
    time.sleep(3)  # let every process import and connect before the race starts
    t0 = time.perf_counter()
    start_evt.set()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    elapsed = time.perf_counter() - t0
    total = PROCESSES * PER_PROCESS
    seqs = sorted(s for r in results for s in r)
    assert seqs == list(range(1, total + 1))
    db.session.expire_all()
    report = verify_site(proof_site)
    assert report.ok, [str(p) for p in report.problems[:20]]
    assert report.events == total and report.first_seq == 1 and report.last_seq == total
    print(f"\n{total} events from {PROCESSES} processes in {elapsed:.1f} s "
          f"({total / elapsed:.0f}/s); chain verified")
