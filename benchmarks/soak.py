"""Soak: a steady stream of consent traffic for a fixed time, with worker memory sampled.

    .venv/bin/python benchmarks/soak.py [--minutes 10] [--rate 100] [--db sqlite|postgresql]

Starts gunicorn on 127.0.0.1 (gunicorn.conf.py), sends `rate` requests per second (one
POST consents, each with a new user agent, for every three GET config / GET loader.js),
and every 30 s prints each worker's resident memory (VmRSS). Memory that is flat after
warm-up means no leak per request. Bounded by --minutes; all traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_bench import prepare, start_gunicorn, workers  # noqa: E402

PORT = 5182


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--rate", type=int, default=100)
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    args = ap.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="soak-"))
    if args.db == "postgresql":
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", "bench_soak"],
                       capture_output=True)
        url = "postgresql://postgres@127.0.0.1:5432/bench_soak"
    else:
        url = f"sqlite:///{instance}/soak.db"
    env, site = prepare(url, instance)
    key = site["site_key"]
    proc, base = start_gunicorn(env, instance, PORT)
    counts = {"ok": 0, "error": 0}
    stop = threading.Event()
    try:
        config = json.load(urllib.request.urlopen(f"{base}/api/v1/sites/{key}/config"))
        template = {"policy_version": config["policy_version"], "action": "custom",
                    "choices": {c["id"]: c["id"] == "analytics" for c in config["categories"]
                                if c["id"] != "necessary"},
                    "language": "sv", "banner_hash": config["banner_hashes"]["sv"],
                    "page_url": "https://bench.example.fi/sida", "gpc": False}

        def one(n: int) -> None:
            try:
                if n % 4 == 0:
                    data = json.dumps({**template, "event_id": str(uuid.uuid4())}).encode()
                    # A user agent never seen before on every POST: the parser's caches must
                    # stay bounded.
                    agent = (f"Mozilla/5.0 (X11; Linux x86_64; rv:{n % 150}.0) Gecko/20100101 "
                             f"Firefox/{n % 150}.{n}")
                    req = urllib.request.Request(f"{base}/api/v1/sites/{key}/consents", data,
                                                 {"Content-Type": "application/json",
                                                  "User-Agent": agent})
                elif n % 4 == 1:
                    req = urllib.request.Request(f"{base}/loader/{key}.js")
                else:
                    req = urllib.request.Request(f"{base}/api/v1/sites/{key}/config")
                with urllib.request.urlopen(req, timeout=10) as resp:
                    resp.read()
                counts["ok"] += 1
            except (urllib.error.URLError, OSError):
                counts["error"] += 1

        def driver() -> None:
            n, start = 0, time.monotonic()
            while not stop.is_set():
                due = start + n / args.rate
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                threading.Thread(target=one, args=(n,), daemon=True).start()
                n += 1

        threading.Thread(target=driver, daemon=True).start()
        end = time.monotonic() + args.minutes * 60
        print(f"soak: {args.rate} req/s for {args.minutes} min on {args.db}; "
              "RSS per worker in MB", flush=True)
        samples = []
        while time.monotonic() < end:
            time.sleep(30)
            pids = workers(proc.pid)
            sizes = [round(rss_mb(p), 1) for p in pids]
            samples.append(sizes)
            elapsed = args.minutes * 60 - (end - time.monotonic())
            print(f"{elapsed:6.0f} s  ok {counts['ok']:7d}  errors {counts['error']:4d}  "
                  f"RSS {sizes}", flush=True)
        stop.set()
        first, last = samples[1] if len(samples) > 1 else samples[0], samples[-1]
        print(f"after warm-up {first} MB, at the end {last} MB; "
              f"{counts['ok']} requests answered, {counts['error']} errors")
    finally:
        stop.set()
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
