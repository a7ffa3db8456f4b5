"""Throughput and latency of the public endpoints under gunicorn, driven by wrk.

Starts gunicorn on 127.0.0.1 (gunicorn.conf.py defaults), once on SQLite and once on
PostgreSQL, and measures for each: GET /livez (the ceiling: no database), GET /healthz
(database probe), GET config, GET loader.js and POST consents, each for a fixed time at a
fixed concurrency. On PostgreSQL it also counts the database sessions each endpoint's
measured runs opened (pg_stat_database.sessions): a pooled endpoint opens next to none.

The four endpoints are measured in turn, in several rounds, and the table gives the
median of the rounds; "% of ceiling" is the median of each round's ratio to that round's
/livez. On a shared 2-core machine one 15 s run per endpoint moved by ±20 % between runs
minutes apart; interleaved rounds keep a slow minute from landing on one endpoint only.
A first round of every endpoint warms up and is not counted.

    .venv/bin/python benchmarks/load_bench.py [--seconds 5] [--rounds 3] [--connections 64]
        [--pg postgresql://postgres@127.0.0.1:5432/bench_load] [--only sqlite|postgresql]
        [--endpoints livez,healthz,config,loader,post]

Needs wrk (apt-get install wrk). Every request goes to 127.0.0.1; the run is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
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
local ua_pool = %d
local counter = 0
local prefix
local heads, tails = {}, {}
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
  -- browsers' user agents: the consent log keeps their family, parsed per new string
  local forms = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      .. "Chrome/%%d.0.%%d.%%d Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_%%d like Mac OS X) AppleWebKit/605.1.15 "
      .. "(KHTML, like Gecko) Version/17.%%d Mobile/15E%%d Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:%%d.0) Gecko/20100101 Firefox/%%d.%%d",
    "Mozilla/5.0 (Linux; Android 14; SM-S91%%dB) AppleWebKit/537.36 (KHTML, like Gecko) "
      .. "Chrome/%%d.0.%%d.0 Mobile Safari/537.36",
  }
  -- Each request is built once per user agent, split where the event id goes (an id has
  -- a fixed length, so Content-Length holds): request() only joins three strings, and the
  -- load tool's own CPU, which shares the cores with the server, stays near a GET's.
  local marker = string.rep("#", 36)
  local body = template:gsub("EVENT_ID", marker)
  for i = 1, ua_pool do
    local agent = string.format(forms[i %% 4 + 1], 100 + i %% 40, math.random(1000, 9999), i)
    local req = wrk.format("POST", nil, {["Content-Type"] = "application/json",
                                         ["User-Agent"] = agent}, body)
    local at = req:find(marker, 1, true)
    heads[i], tails[i] = req:sub(1, at - 1), req:sub(at + 36)
  end
end
request = function()
  counter = counter + 1
  local i = math.random(1, ua_pool)
  return heads[i] .. prefix .. string.format("%%012x", counter) .. tails[i]
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
           "CONSENT_ENV": "production",
           "CONSENT_SECRET_KEY": "bench-Zq8vT1xK_p3Lm9Rw2Yb7Nc4Hd6Jf0Gs5Ue",
           "CONSENT_PUBLIC_URL": "http://127.0.0.1",
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
    wait_until_idle(proc.pid)
    return proc, base


def workers(master: int) -> list[int]:
    """gunicorn's HTTP workers (forks of the master), not the job worker it also starts."""
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    pids = []
    for pid in map(int, out.stdout.split()):
        try:
            if b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes():
                pids.append(pid)
        except OSError:
            continue  # exited meanwhile
    return sorted(pids)


def _cpu_of_tree(master: int) -> float:
    """CPU seconds of gunicorn's master and all its children (job worker included)."""
    total = 0.0
    children = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    for pid in [master, *map(int, children.stdout.split())]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a worker that just exited
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def wait_until_idle(pid: int, timeout: float = 60.0) -> None:
    """The first answer comes from the first worker up; the others are still importing and
    warming up, which used to land in the first measured round. Wait until the whole
    tree is idle (under 5 % of a core over half a second)."""
    deadline = time.monotonic() + timeout
    before = _cpu_of_tree(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = _cpu_of_tree(pid)
        if now - before < 0.025:
            return
        before = now


class Sessions:
    """PostgreSQL sessions opened so far in the benchmark's database (None on SQLite)."""

    def __init__(self, db_url: str):
        self.conn = None
        if db_url.startswith("postgresql"):
            import sqlalchemy as sa

            self.conn = sa.create_engine(db_url, poolclass=sa.pool.NullPool).connect()

    def count(self) -> int | None:
        if self.conn is None:
            return None
        import sqlalchemy as sa

        time.sleep(0.6)  # backends report their counters about every half second
        self.conn.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
        value = self.conn.execute(sa.text(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()")).scalar()
        self.conn.rollback()
        return int(value)


def run_leg(name: str, db_url: str, seconds: int, rounds: int, connections: int,
            ua_pool: int, only: set[str] | None = None) -> list[dict]:
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
        script.write_text(POST_LUA % (body, ua_pool))
        endpoints = [
            ("GET /livez (ceiling)", f"{base}/livez", None, "livez"),
            ("GET /healthz", f"{base}/healthz", None, "healthz"),
            ("GET config", f"{base}/api/v1/sites/{key}/config", None, "config"),
            ("GET loader.js", f"{base}/loader/{key}.js", None, "loader"),
            ("POST consents", f"{base}/api/v1/sites/{key}/consents", str(script), "post"),
        ]
        # the ceiling is always measured: every ratio is against it
        endpoints = [(label, url, lua) for label, url, lua, short in endpoints
                     if not only or short in only or short == "livez"]
        sessions = Sessions(db_url)
        opened: dict[str, int] = {}
        runs: dict[str, list[dict]] = {label: [] for label, _, _ in endpoints}
        # Round 0 is not counted: the first POST round on a new database and new workers
        # was the slowest in every run (p99 1-3 s against ~0.3 s in later rounds).
        for label, url, lua in endpoints:
            warm = wrk(url, seconds, connections, lua)
            print(f"{name:10} round 0 {label:22} {warm['rps']:7.0f} req/s  p99 "
                  f"{warm['p99']:7.2f} ms  (warm-up, not counted)", flush=True)
        for n in range(1, rounds + 1):
            for label, url, lua in endpoints:
                wrk(url, 2, connections, lua)  # warm-up: caches, pools, keep-alive connections
                before = sessions.count()
                result = wrk(url, seconds, connections, lua)
                after = sessions.count()
                if before is not None:
                    opened[label] = opened.get(label, 0) + after - before
                    result["socket_errors"] += f" (PostgreSQL sessions opened: {after - before})"
                runs[label].append(result)
                print(f"{name:10} round {n} {label:22} {result['rps']:7.0f} req/s"
                      f"  p50 {result['p50']:7.2f} ms  p99 {result['p99']:7.2f} ms"
                      f"  non-2xx {result['non2xx']} {result['socket_errors']}", flush=True)
        ceilings = [r["rps"] for r in runs[endpoints[0][0]]]
        return [{"database": name, "endpoint": label,
                 "rps": statistics.median(r["rps"] for r in results),
                 "ratio": statistics.median(r["rps"] / c
                                            for r, c in zip(results, ceilings, strict=True)),
                 "p50": statistics.median(r["p50"] for r in results),
                 "p99": statistics.median(r["p99"] for r in results),
                 "p99_worst": max(r["p99"] for r in results),
                 "non2xx": sum(r["non2xx"] for r in results),
                 "sessions": opened.get(label), "requests": sum(
                     r["rps"] * seconds for r in results)}
                for label, results in runs.items()]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(instance, ignore_errors=True)


def python_loop_seconds() -> float:
    start = time.perf_counter()
    total = 0
    for i in range(20_000_000):
        total += i
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=5, help="per endpoint and round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/bench_load")
    ap.add_argument("--only", choices=["sqlite", "postgresql"])
    ap.add_argument("--endpoints", default="",
                    help="comma-separated subset of livez,healthz,config,loader,post")
    ap.add_argument("--ua-pool", type=int, default=1000,
                    help="distinct User-Agent strings each wrk thread sends on POST")
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
    print(f"this machine: a 20,000,000-step Python loop takes {python_loop_seconds():.2f} s "
          "(compare machines by it: the same code ran 2-3x faster on others)")
    print(f"wrk: {args.connections} connections, {args.rounds} rounds of {args.seconds} s per "
          f"endpoint, {os.cpu_count()} cores; gunicorn.conf.py defaults; POSTs carry one of "
          f"{args.ua_pool} user agents per wrk thread")
    rows = [row for name, url in legs
            for row in run_leg(name, url, args.seconds, args.rounds, args.connections,
                                   args.ua_pool, set(filter(None, args.endpoints.split(","))))]
    print(f"\nMedian of {args.rounds} rounds:\n")
    print("| database | endpoint | req/s | % of ceiling | p50 ms | p99 ms | worst p99 ms "
          "| non-2xx | PostgreSQL sessions opened / requests |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        opened = ("" if row["sessions"] is None
                  else f"{row['sessions']} / {row['requests']:.0f}")
        print(f"| {row['database']} | {row['endpoint']} | {row['rps']:.0f} | "
              f"{100 * row['ratio']:.0f}% | {row['p50']:.1f} | {row['p99']:.1f} | "
              f"{row['p99_worst']:.1f} | {row['non2xx']} | {opened} |")


if __name__ == "__main__":
    main()
