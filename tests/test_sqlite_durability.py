"""An accepted consent event is durable before the 2xx: another process sees its row.

On SQLite the 0600 connect hook (security.py) once opened and closed the database file for
every new pooled connection. Closing any descriptor of a file drops every POSIX lock the
process holds on it, SQLite's own included; the next connection another process closed then
found the database unused, checkpointed and deleted the WAL, and this process's connections
went on committing into the deleted file: 201s whose rows no other connection ever saw.
"""

from __future__ import annotations

import json
import subprocess
import sys

import sqlalchemy as sa

from consent_service.extensions import db

# Connect, read, close: as the WordPress e2e harness (or any other process) reads.
READ = """
import sys, sqlalchemy as sa
engine = sa.create_engine(sys.argv[1], poolclass=sa.pool.NullPool)
with engine.connect() as conn:
    print(conn.execute(sa.text(sys.argv[2])).scalar())
"""


def other_process(url: str, sql: str) -> int:
    res = subprocess.run([sys.executable, "-c", READ, url, sql], capture_output=True, text=True,
                         timeout=60, check=True)
    return int(res.stdout.strip())


def test_a_commit_after_the_pool_grows_is_seen_by_another_process(tmp_path):
    import consent_service.security  # noqa: F401 - its connect hook and the WAL pragma

    url = f"sqlite:///{tmp_path / 'consent.db'}"
    engine = sa.create_engine(url)
    with engine.connect() as kept:  # the writer's connection, open throughout
        kept.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        kept.commit()
        with engine.connect() as grown:  # a second one: the connect hook runs again
            grown.execute(sa.text("SELECT 1"))
        assert other_process(url, "SELECT count(*) FROM t") == 0
        kept.execute(sa.text("INSERT INTO t VALUES (1)"))
        kept.commit()
        # (checked while `kept` is open: closing the process's last connection would
        # checkpoint even a deleted WAL, as a service never does while it runs)
        assert other_process(url, "SELECT count(*) FROM t") == 1
        assert (tmp_path / "consent.db-wal").exists()  # not deleted under this process
    engine.dispose()


def test_every_201_is_a_row_another_process_reads(app, client, published_site, consent_body,
                                                   database_url):
    def post(body):
        resp = client.post(f"/api/v1/sites/{published_site.site_key}/consents",
                           data=json.dumps(body), content_type="application/json")
        assert resp.status_code == 201, resp.get_json()

    count = ("SELECT count(*) FROM consent_event WHERE site_id = "
             f"{int(published_site.id)}")
    post(consent_body())
    assert other_process(database_url, count) == 1
    # More connections than one (threaded requests beside the writer): the pool grows.
    with db.engine.connect() as first, db.engine.connect() as second:
        first.execute(sa.text("SELECT 1"))
        second.execute(sa.text("SELECT 1"))
    assert other_process(database_url, count) == 1
    for _ in range(3):
        post(consent_body(action="reject_all", choices={"analytics": False,
                                                        "marketing": False}))
    assert other_process(database_url, count) == 4
