"""Admin consent-log search and statistics on 1,000,000 consent events in PostgreSQL.

    createdb -h 127.0.0.1 -U postgres bench_admin
    .venv/bin/python benchmarks/admin_bench.py [--events 1000000] [--url postgresql://...]

Migrates the database from scratch, bulk-inserts events spread over 180 days for one site
(the worst case: every row belongs to the searched site), then times the first page of the
log search for several filter combinations and the 90-day statistics (cold: builds the daily
rollup; warm: reads it), printing the median of 5 runs and the plan's indexes (EXPLAIN).
Target: < 300 ms each.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from consent_service import create_app
from consent_service.extensions import db

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_admin"
TARGET_MS = 300

INSERT = """
INSERT INTO consent_event (site_id, event_id, receipt_id, policy_version_id, policy_version,
  policy_hash, action, choices, language, banner_hash, gpc, recorded_at, page_url, client_ip,
  ua_family, personal_hash, purged_at, seq, prev_hash, event_hash)
SELECT :site_id, md5(i::text || 'e')::uuid, 'rc_bench' || i, :pv_id,
  CASE WHEN i <= :n / 3 THEN 1 WHEN i <= 2 * :n / 3 THEN 2 ELSE 3 END,
  md5('p'), a.action,
  CASE a.action
    WHEN 'accept_all' THEN '{"necessary": true, "analytics": true, "marketing": true}'::jsonb
    WHEN 'custom' THEN jsonb_build_object('necessary', true, 'analytics', (i / 20) % 3 = 0,
                                          'marketing', (i / 20) % 5 = 0)
    ELSE '{"necessary": true, "analytics": false, "marketing": false}'::jsonb END,
  'fi', md5('b'), i % 50 = 0,
  :start + (i * interval '1 second' * :spread),
  'https://shop.example.fi/p', '192.0.2.0/24', 'Chrome', md5('x'), NULL,
  i, md5((i - 1)::text), md5(i::text)
FROM generate_series(1, :n) AS i
CROSS JOIN LATERAL (SELECT CASE
    WHEN i % 20 < 11 THEN 'accept_all' WHEN i % 20 < 16 THEN 'reject_all'
    WHEN i % 20 < 19 THEN 'custom' ELSE 'withdraw' END AS action) AS a
"""


def setup(app, n: int):
    from flask_migrate import upgrade

    from consent_service.services.setup import create_site_with_policy
    from consent_service.services.sites import get_site

    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    upgrade(directory=app.config["MIGRATIONS_DIR"])
    result = create_site_with_policy(["bench.example.fi"], services=["google-analytics"],
                                     publish=True)
    site = get_site(result["site_key"])
    pv_id = site.policies[0].id
    now = datetime.now(UTC)
    start = now - timedelta(days=180)
    t0 = time.perf_counter()
    db.session.execute(sa.text(INSERT), {"site_id": site.id, "pv_id": pv_id, "n": n,
                                         "start": start,
                                         "spread": 180 * 86400 / n})
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE consent_event"))
    print(f"inserted {n:,} events in {time.perf_counter() - t0:.1f} s")
    return site


def timed(fn, runs: int = 5) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        db.session.expire_all()
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), out


def indexes_of(query) -> str:
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = [r[0] for r in db.session.execute(sa.text(f"EXPLAIN {compiled}"))]
    used = sorted(set(re.findall(r"using (\w+)", " ".join(plan), re.I)))
    return ", ".join(used) or ("seq scan" if "Seq Scan" in " ".join(plan) else "-")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true", help="skip set-up (data exists)")
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.url, "CONSENT_ENV": "testing",
                      "SECRET_KEY": "bench-" + "x" * 40,
                      "INSTANCE_PATH": tempfile.mkdtemp(prefix="admin-bench-")})
    from consent_service.models import ConsentEvent, Site
    from consent_service.services import consent_log
    from consent_service.services.stats import daily_stats

    with app.app_context():
        if args.reuse:
            site = db.session.scalars(sa.select(Site)).first()
        else:
            site = setup(app, args.events)
        total = db.session.scalar(sa.select(sa.func.count()).select_from(ConsentEvent))
        print(f"{total:,} events; PostgreSQL "
              f"{db.session.scalar(sa.text('SHOW server_version'))}\n")
        today = datetime.now(UTC).date()
        receipt = f"rc_bench{args.events // 2}"
        cases = {
            "no filter": {},
            "action=custom": {"action": "custom"},
            "analytics=true": {"choice": "analytics=true"},
            "withdraw, last 7 days": {"action": "withdraw",
                                      "from": str(today - timedelta(days=6))},
            "policy v1 (oldest third)": {"version": "1"},
            "v1 + reject_all + marketing=false": {"version": "1", "action": "reject_all",
                                                  "choice": "marketing=false"},
            "custom + marketing=true, 30 days": {"action": "custom", "choice": "marketing=true",
                                                 "from": str(today - timedelta(days=29))},
            "receipt id": {"receipt": receipt},
        }
        rows = []
        for name, params in cases.items():
            flt = consent_log.LogFilter.from_args(params)
            ms, (page, cursor) = timed(lambda flt=flt: consent_log.search(site, flt))
            ms2, _ = timed(lambda flt=flt, cursor=cursor: consent_log.search(
                site, flt, cursor)) if cursor else (0.0, None)
            rows.append((f"log: {name}", ms, f"{len(page)} rows, page 2 {ms2:.1f} ms",
                         indexes_of(consent_log.search_query(site, flt))))
        start = today - timedelta(days=89)
        t0 = time.perf_counter()
        data = daily_stats(site, start, today)
        cold = (time.perf_counter() - t0) * 1000
        rows.append(("stats 90 days, cold (builds rollup)", cold,
                     f"{data['totals']['total']:,} events", "consent_event (one pass)"))
        ms, data = timed(lambda: daily_stats(site, start, today))
        rows.append(("stats 90 days, warm", ms, f"{data['totals']['total']:,} events",
                     "pk_consent_daily + ix_consent_event_site_recorded (today)"))
        width = max(len(r[0]) for r in rows)
        for name, ms, note, idx in rows:
            flag = "ok " if ms < TARGET_MS else "SLOW"
            print(f"{flag} {name:<{width}} {ms:8.1f} ms  {note:<28} {idx}")


if __name__ == "__main__":
    main()
