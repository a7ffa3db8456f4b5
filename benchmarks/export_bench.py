"""Export benchmark: 1,000,000 chained consent events in PostgreSQL, exported as NDJSON.

Shows throughput (rows/s) and that memory stays flat: peak RSS (VmHWM) and current RSS
are sampled at 100k, 500k and 1M rows by a fresh process that only exports.

    .venv/bin/python benchmarks/export_bench.py                      # creates bench_export
    .venv/bin/python benchmarks/export_bench.py --url postgresql://... --events 200000
    .venv/bin/python benchmarks/export_bench.py --skip-generate      # export only

The events get valid chain hashes (the same functions as services.consents.record) and
are written with COPY in batches; `consent-service verify --site` passes on them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_export"
SAMPLES = (100_000, 500_000, 1_000_000)
BATCH = 50_000
COLUMNS = ("site_id", "event_id", "receipt_id", "policy_version_id", "policy_version",
           "policy_hash", "action", "choices", "language", "banner_hash", "gpc", "recorded_at",
           "page_url", "client_ip", "ua_family", "personal_hash", "purged_at", "seq",
           "prev_hash", "event_hash")


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def ensure_database(url: str) -> None:
    import sqlalchemy as sa

    base, name = url.rsplit("/", 1)
    engine = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def make_app(url: str):
    from consent_service import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + "x" * 40,
                       "CONSENT_ENV": "testing", "INSTANCE_PATH": "/tmp/export-bench"})


def generate(url: str, n: int) -> str:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from consent_service.extensions import db
    from consent_service.models import ChainHead
    from consent_service.services import policies, sites
    from consent_service.services.consents import event_hash, personal_digest
    from consent_service.services.sites import GENESIS_HASH

    ensure_database(url)
    app = make_app(url)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade(directory=app.config["MIGRATIONS_DIR"])
        sys.path.insert(0, str(ROOT / "tests"))
        from proof.conftest import BANNER  # our own test banner texts

        site = sites.create_site(["bench.example.fi"], name="Bench Oy")
        content = policies.build_content(["necessary", "analytics", "marketing"],
                                         ["google-analytics", "facebook-pixel"], banner=BANNER)
        policy = policies.create_draft(site, content)
        policies.publish(policy)
        hashes = policies.banner_hashes(content)
        site_key, site_id, pid, phash = site.site_key, site.id, policy.id, policy.content_hash
        start = datetime(2023, 1, 1, tzinfo=UTC)
        prev, t0 = GENESIS_HASH, time.perf_counter()
        raw = db.engine.raw_connection()
        try:
            seq = 0
            while seq < n:
                cur = raw.cursor()
                with cur.copy(f"COPY consent_event ({', '.join(COLUMNS)}) FROM STDIN") as cp:
                    for _ in range(min(BATCH, n - seq)):
                        seq += 1
                        action = ("accept_all", "reject_all", "custom")[seq % 3]
                        lang = ("fi", "sv", "en")[seq % 3]
                        page = f"https://bench.example.fi/p/{seq % 997}"
                        ip = f"198.51.{seq % 256}.0/24"
                        ua = ("Chrome", "Firefox", "Safari")[seq % 3]
                        ev = SimpleNamespace(
                            seq=seq, event_id=uuid.uuid4(), receipt_id=f"rc_bench{seq:012d}",
                            policy_version=1, policy_hash=phash, action=action,
                            choices={"necessary": True, "analytics": action != "reject_all",
                                     "marketing": action == "accept_all"},
                            language=lang, banner_hash=hashes[lang], gpc=seq % 7 == 0,
                            recorded_at=start + timedelta(seconds=30 * seq),
                            personal_hash=personal_digest(page, ip, ua), prev_hash=prev)
                        ev.event_hash = event_hash(ev, site_key)
                        prev = ev.event_hash
                        cp.write_row((site_id, ev.event_id, ev.receipt_id, pid, 1, phash,
                                      action, json.dumps(ev.choices), lang, ev.banner_hash,
                                      ev.gpc, ev.recorded_at, page, ip, ua, ev.personal_hash,
                                      None, seq, ev.prev_hash, ev.event_hash))
                raw.commit()
                rate = seq / (time.perf_counter() - t0)
                print(f"generated {seq:>9,} events ({rate:,.0f}/s)", flush=True)
        finally:
            raw.close()
        db.session.execute(sa.update(ChainHead).where(ChainHead.site_id == site_id)
                           .values(seq=n, head_hash=prev))
        db.session.commit()
        db.session.execute(sa.text("ANALYZE consent_event"))
        db.session.commit()
        return site_key


def export_only(url: str, site_key: str, out: str) -> dict:
    """Runs in its own process so its peak RSS is the export's alone."""
    from consent_service.proof.exports import generate
    from consent_service.services.sites import get_site

    app = make_app(url)
    samples = []
    with app.app_context():
        site = get_site(site_key)
        counter: dict = {}
        base_hwm = status_kb("VmHWM")
        t0 = time.perf_counter()
        nbytes = 0
        next_sample = iter(SAMPLES)
        target = next(next_sample)
        with open(out, "w", encoding="utf-8") as fh:
            for chunk in generate(site, "ndjson", None, None, counter=counter):
                fh.write(chunk)
                nbytes += len(chunk)
                if target is not None and counter["rows"] >= target:
                    samples.append({"rows": counter["rows"],
                                    "seconds": round(time.perf_counter() - t0, 1),
                                    "vm_hwm_mb": round(status_kb("VmHWM") / 1024, 1),
                                    "vm_rss_mb": round(status_kb("VmRSS") / 1024, 1)})
                    print(f"  {samples[-1]}", flush=True)
                    target = next(next_sample, None)
        elapsed = time.perf_counter() - t0
    return {"rows": counter["rows"], "seconds": round(elapsed, 1),
            "rows_per_s": round(counter["rows"] / elapsed), "bytes": nbytes,
            "hwm_before_export_mb": round(base_hwm / 1024, 1), "samples": samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--skip-generate", action="store_true")
    parser.add_argument("--out", default="/tmp/export-bench.ndjson")
    parser.add_argument("--site-key", help="with --skip-generate: the site to export")
    parser.add_argument("--export-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        print("RESULT " + json.dumps(export_only(args.url, args.site_key, args.out)))
        return
    site_key = args.site_key
    if not args.skip_generate:
        t0 = time.perf_counter()
        site_key = generate(args.url, args.events)
        print(f"generation: {time.perf_counter() - t0:.0f} s", flush=True)
    elif not site_key:
        import sqlalchemy as sa

        engine = sa.create_engine(args.url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            site_key = conn.scalar(sa.text("SELECT site_key FROM site ORDER BY id LIMIT 1"))
    print(f"exporting site {site_key} as NDJSON to {args.out}", flush=True)
    proc = subprocess.run([sys.executable, __file__, "--export-child", "--url", args.url,
                           "--site-key", site_key, "--out", args.out],
                          capture_output=True, text=True, env={**os.environ})
    sys.stderr.write(proc.stderr[-2000:] if proc.returncode else "")
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
            print(json.dumps(result, indent=1))
        else:
            print(line)
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
