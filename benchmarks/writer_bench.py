"""CPU of the consent chain writer per event and per batch, in-process, on PostgreSQL.

Drives ChainWriter._write directly (no HTTP, no threads) with batches of 1, 4, 8 and 16
events for one site and prints the writer thread's CPU time per event and per batch.

    createdb -h 127.0.0.1 -U postgres bench_writer
    .venv/bin/python benchmarks/writer_bench.py [--db postgresql://postgres@127.0.0.1:5432/bench_writer]

The database's public schema is dropped and migrated first.
"""

from __future__ import annotations

import argparse
import logging
import time
import uuid

import sqlalchemy as sa

from consent_service import create_app
from consent_service.extensions import db

BATCHES = 500


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="postgresql://postgres@127.0.0.1:5432/bench_writer")
    args = ap.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "SECRET_KEY": "k" * 40,
                      "CONSENT_ENV": "testing"})
    with app.app_context():
        from flask_migrate import upgrade

        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        logging.disable(logging.INFO)
        upgrade(directory=app.config["MIGRATIONS_DIR"])
        from consent_service.models import PolicyVersion, Site
        from consent_service.services.chain_writer import ChainWriter, Pending
        from consent_service.services.consents import event_hash
        from consent_service.services.setup import create_site_with_policy

        create_site_with_policy(["bench.example.fi"], name="bench",
                                services=["google-analytics"], publish=True)
        db.session.commit()
        site = db.session.scalars(sa.select(Site)).one()
        policy = db.session.scalars(sa.select(PolicyVersion)).one()
        writer = ChainWriter(db.engine, event_hash)

        def event() -> Pending:
            return Pending(site.id, site.site_key, {
                "site_id": site.id, "event_id": uuid.uuid4(),
                "receipt_id": f"rc_{uuid.uuid4().hex}",
                "policy_version_id": policy.id, "policy_version": policy.version,
                "policy_hash": policy.content_hash, "action": "accept_all",
                "choices": {"necessary": True, "analytics": True}, "language": "fi",
                "banner_hash": "b" * 64, "gpc": False, "page_url": "https://bench.example.fi/",
                "client_ip": "203.0.113.0/24", "ua_family": "Chrome", "personal_hash": "c" * 64,
                "purged_at": None})

        print(f"{BATCHES} batches per size, one site, {db.engine.dialect.name}")
        for size in (1, 4, 8, 16):
            for _ in range(50):  # warm-up
                writer._queue = [event() for _ in range(size)]
                writer._write([site.id], [])
            batches = [[event() for _ in range(size)] for _ in range(BATCHES)]
            cpu, wall = time.thread_time(), time.perf_counter()
            for batch in batches:
                writer._queue = batch
                writer._write([site.id], [])
            cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
            print(f"batch {size:2}: CPU {cpu / (BATCHES * size) * 1e3:.3f} ms/event, "
                  f"{cpu / BATCHES * 1e3:.3f} ms/batch; wall {wall / BATCHES * 1e3:.3f} ms/batch")


if __name__ == "__main__":
    main()
