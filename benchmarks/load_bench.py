"""Throughput and latency of the public endpoints under gunicorn, driven by wrk.

Starts gunicorn on 127.0.0.1 (gunicorn.conf.py defaults), once on SQLite and once on
PostgreSQL, and measures for each: GET /livez (the ceiling: no database), GET config,
GET loader.js and POST consents, each for a fixed time at a fixed concurrency.

    .venv/bin/python benchmarks/load_bench.py [--seconds 15] [--connections 64]
        [--pg postgresql://postgres@127.0.0.1:5432/bench_load] [--only sqlite|postgresql]

Needs wrk (apt-get install wrk). Every request goes to 127.0.0.1; the run is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PORT = 5181

POST_LUA = r"""
local template = [[%s]]
local counter = 0
local prefix
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
init = function(args)
  -- each wrk thread has its own Lua state; a table address tells them apart
  local addr = tonumber(tostring({}):match("0x(%%x+)"), 16) or 0
  math.randomseed(os.time() + addr %% 1000003)
  local function hex(n)
    local s = ""
    for i = 1, n do s = s .. string.format("%%x", math.random(0, 15)) end
    return s
  end
  prefix = hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-a" .. hex(3) .. "-"
end
request = function()
  counter = counter + 1
  local id = prefix .. string.format("%%012x", counter)
  return wrk.format(nil, nil, nil, (template:gsub("EVENT_ID", id)))
end
"""


def wrk(url: str, seconds: int, connections: int, script: str | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 60).stdout

    def latency(pct: str) -> float:
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {"rps": rps, "p50": latency("50"), "p99": latency("99"),
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(0) if errors else ""}


def prepare(db_url: str, instance: Path) -> tuple[dict, dict]:
    env = {**os.environ, "CONSENT_DATABASE_URL": db_url, "CONSENT_INSTANCE_PATH": str(instance),
           "CONSENT_ENV": "production", "CONSENT_SECRET_KEY": "bench-" + "k" * 40,
           "CONSENT_RATELIMIT_CONSENTS": "100000000/minute",
           "CONSENT_RATELIMIT_SITE": "100000000/minute", "GUNICORN_ACCESSLOG": "/dev/null"}
    if db_url.startswith("postgresql"):
        import sqlalchemy as sa

        engine = sa.create_engine(db_url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    cli = str(BIN / "consent-service")
    subprocess.run([cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    out = subprocess.run([cli, "site", "create", "--domain", "bench.example.fi", "--publish",
                          "--services", "google-analytics", "--services", "facebook-pixel"],
                         env=env, check=True, capture_output=True, text=True).stdout
    return env, json.loads(out)


def start_gunicorn(env: dict, instance: Path, port: int) -> tuple[subprocess.Popen, str]:
    """gunicorn with gunicorn.conf.py on 127.0.0.1:port, returned once it answers."""
    proc = subprocess.Popen([str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
                             "--bind", f"127.0.0.1:{port}", "consent_service:create_app()"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=(instance / "gunicorn.log").open("w"))
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/livez", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    return proc, base


def run_leg(name: str, db_url: str, seconds: int, connections: int) -> list[dict]:
    instance = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    env, site = prepare(db_url, instance)
    key = site["site_key"]
    proc, base = start_gunicorn(env, instance, PORT)
    try:
        config = json.load(urllib.request.urlopen(f"{base}/api/v1/sites/{key}/config"))
        body = json.dumps({"event_id": "EVENT_ID", "policy_version": config["policy_version"],
                           "action": "accept_all",
                           "choices": {c["id"]: True for c in config["categories"]
                                       if c["id"] != "necessary"},
                           "language": "fi", "banner_hash": config["banner_hashes"]["fi"],
                           "page_url": "https://bench.example.fi/", "gpc": False})
        script = instance / "post.lua"
        script.write_text(POST_LUA % body)
        rows = []
        for label, url, lua in [
            ("GET /livez (ceiling)", f"{base}/livez", None),
            ("GET config", f"{base}/api/v1/sites/{key}/config", None),
            ("GET loader.js", f"{base}/loader/{key}.js", None),
            ("POST consents", f"{base}/api/v1/sites/{key}/consents", str(script)),
        ]:
            wrk(url, 3, connections, lua)  # warm-up: caches, connection pools
            result = wrk(url, seconds, connections, lua)
            rows.append({"database": name, "endpoint": label, **result})
            print(f"{name:10} {label:22} {result['rps']:9.0f} req/s  p50 {result['p50']:7.2f} ms"
                  f"  p99 {result['p99']:7.2f} ms  non-2xx {result['non2xx']}", flush=True)
        return rows
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(instance, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/bench_load")
    ap.add_argument("--only", choices=["sqlite", "postgresql"])
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    legs = []
    if args.only in (None, "sqlite"):
        tmp = tempfile.mkdtemp(prefix="bench-sqlite-db-")
        legs.append(("sqlite", f"sqlite:///{tmp}/bench.db"))
    if args.only in (None, "postgresql"):
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", "bench_load"],
                       capture_output=True)
        legs.append(("postgresql", args.pg))
    print(f"wrk: {args.connections} connections, {args.seconds} s per endpoint, "
          f"{os.cpu_count()} cores; gunicorn.conf.py defaults")
    rows = [row for name, url in legs for row in run_leg(name, url, args.seconds,
                                                         args.connections)]
    print("\n| database | endpoint | req/s | % of ceiling | p50 ms | p99 ms |")
    print("|---|---|---:|---:|---:|---:|")
    for row in rows:
        ceiling = next(r["rps"] for r in rows
                       if r["database"] == row["database"] and "ceiling" in r["endpoint"])
        print(f"| {row['database']} | {row['endpoint']} | {row['rps']:.0f} | "
              f"{100 * row['rps'] / ceiling:.0f}% | {row['p50']:.1f} | {row['p99']:.1f} |")


if __name__ == "__main__":
    main()
