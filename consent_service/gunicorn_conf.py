"""gunicorn settings for consent-service (`consent-service serve` runs gunicorn with them).

gunicorn loads this file by its path (the root gunicorn.conf.py of a checkout is a shim
that runs it), so the master never imports the app: gevent patches a worker's modules
before they are first imported. Hooks import what they need when they run.

On PostgreSQL the workers are gevent workers: a consent POST spends most of its life
waiting for its group commit, and with greenlets that wait costs a switch of a few
microseconds instead of a thread handoff under the GIL. On SQLite they are threaded
workers, because sqlite3 calls (and the writers' queue on the database file) block and
would stop every greenlet of the process. See benchmarks/README.md for the measurements.
"""

import multiprocessing
import os
import socket
import sys
import threading
import time

from gunicorn.glogging import Logger as _GunicornLogger

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or (
    "gevent" if os.environ.get("CONSENT_DATABASE_URL", "").startswith("postgresql")
    else "gthread")
# gthread: 16 threads, so that consent POSTs waiting on one group commit make it bigger
# (and cheaper per event). gevent: up to 1000 open connections per worker.
threads = int(os.environ.get("GUNICORN_THREADS", 16))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", 1000))
# Each worker listens on its own SO_REUSEPORT socket and the kernel spreads connections
# over them. With one shared socket the first worker awake took most of them (47/16/1/0 of
# 64 keep-alive connections), and its queue set the tail latency.
reuse_port = True
# gunicorn's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl), so two
# instances on one machine took it from each other. We manage gunicorn with signals; set
# GUNICORN_CONTROL_SOCKET to a path of this instance's own to use gunicornc.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or "gunicorn.ctl"
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound. Memory stays flat
# in the soak; at 20,000 a busy worker restarted every few seconds under load, and each
# restart costs a second of CPU and closes its keep-alive connections.
max_requests = 200000
max_requests_jitter = 20000
# No client addresses in the access log: the consent log keeps only truncated ones.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Long enough for any URL our API documents; longer ones get 414 from gunicorn itself.
limit_request_line = 8190


def _write_json_error(sock, status_int, reason, mesg):
    """gunicorn's own refusals (414 request line too long, 431 header too large, 400 bad
    request line) come before the app sees the request: answer them in the API's JSON error
    shape too, instead of gunicorn's HTML page."""
    import json

    from gunicorn import util

    body = json.dumps({"code": status_int, "status": reason, "message": str(mesg)[:500],
                       "errors": {}}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin1") + body)


def _install_json_errors() -> None:
    from gunicorn import util

    util.write_error = _write_json_error


_install_json_errors()


class Logger(_GunicornLogger):
    """With SO_REUSEPORT the master holds no socket, so gunicorn logged "Listening at:  (pid)";
    name the addresses the workers bind instead."""

    def info(self, msg, *args, **kwargs):
        if msg.startswith("Listening at: %s") and args and not args[0]:
            args = (",".join(_urls(self.cfg.bind)) + " (one SO_REUSEPORT socket per worker)",
                    *args[1:])
        super().info(msg, *args, **kwargs)


logger_class = Logger


def _urls(binds) -> list[str]:
    return [b if b.startswith("unix:") else f"http://{b}" for b in binds]


def _tcp_address(bind: str) -> tuple[str, int] | None:
    if bind.startswith(("unix:", "fd://")):
        return None
    host, _, port = bind.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    return host, int(port or 8000)


def _announce_when_listening(server, text: str, timeout: float = 120.0) -> None:
    """Print `text` once a worker accepts connections on the first address: the workers
    open their own sockets after the master is ready, so "ready" printed earlier was early."""
    address = _tcp_address(server.cfg.bind[0])
    deadline = time.monotonic() + timeout
    while address is not None and time.monotonic() < deadline:
        try:
            socket.create_connection(address, timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        if address is not None:
            server.log.warning("no worker listens at %s:%s after %.0f s", *address, timeout)
            return
    print(text, flush=True)


def when_ready(server):
    """Start the job worker (`consent-service worker`: scans queued in the admin or API, and
    the periodic chain seals, retention purge and statistics roll-up) beside the HTTP
    workers, so the one command that serves also keeps the log within its retention. With
    CONSENT_EMBEDDED_WORKER=0, run `consent-service worker` yourself (e.g. under systemd)."""
    announce = os.environ.pop("_CONSENT_SERVE_ANNOUNCE", None)  # set by `consent-service demo`
    if announce:
        threading.Thread(target=_announce_when_listening, args=(server, announce),
                         name="announce", daemon=True).start()
    if os.environ.get("CONSENT_EMBEDDED_WORKER", "1") == "0":
        return
    import subprocess

    # Its own session: a terminal's Ctrl-C or hang-up reaches the master, which stops it.
    server.job_worker = subprocess.Popen(
        [sys.executable, "-m", "consent_service", "worker", f"--parent-pid={os.getpid()}"],
        start_new_session=True)
    server.log.info("Started job worker (pid: %s)", server.job_worker.pid)


def on_exit(server):
    """Stop the job worker with the master; it also stops by itself if the master dies."""
    import subprocess

    proc = getattr(server, "job_worker", None)
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=graceful_timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


def post_worker_init(worker):
    """Build the consent POST's regex and user-agent parser before the worker serves
    (consent_service.api.public.warm_up_consents): a new worker's first POSTs waited for them.
    Then freeze what the worker holds for its whole life out of the garbage collector's scans.

    With GUNICORN_WARM_ANALYZER=1, also warm the analyzer in the background (Voikko and the
    rules: ~0.1 s and ~10 MB, benchmarks/analysis_bench.py); by default only the worker that
    first analyses a notice pays; consent traffic never needs it. Under gevent the patched
    Thread is a greenlet, and run_blocking moves the load to a native thread."""
    import gc

    from consent_service.api.public import warm_up_consents
    from consent_service.concurrency import gevent_active, run_blocking

    warm_up_consents()
    # The app's ~134,000 long-lived objects (SQLAlchemy mappers, schemas, catalog) leave the
    # collector's view: a full collection of them paused a loaded worker, and every request
    # it held, for 80-175 ms, and took 8-19 ms once frozen. Consent POST p99 83 -> 65 ms.
    gc.collect()
    gc.freeze()
    if gevent_active():
        import gevent

        worker.before_request = gevent.idle  # see pre_request
    if os.environ.get("GUNICORN_WARM_ANALYZER") == "1":
        from consent_service.analysis import warm_up

        threading.Thread(target=run_blocking, args=(warm_up,), name="analysis-warm-up",
                         daemon=True).start()


def pre_request(worker, req):
    """On gevent, serve this request only once the event loop has had its turn. A greenlet
    whose client sends its next request at once finds it already in the socket and would
    serve it without yielding: /livez had a p50 of 0.7 ms but a p75 of 160 ms and a p99 of
    0.8 s, the starved connections' share. gevent.sleep(0) only reorders the greenlets that
    are ready (p99 still 0.4-0.5 s with four workers); gevent.idle() waits until the loop has
    polled the sockets too (p99 85-92 ms). Threaded workers do nothing here (gunicorn's
    default hook only logs at debug)."""
    before_request = getattr(worker, "before_request", None)
    if before_request is not None:
        before_request()
