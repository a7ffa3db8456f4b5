"""gunicorn settings for consent-service (I/O-bound: few processes, several threads each)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
# 16 threads: consent POSTs wait on their group commit, and the more of them wait together
# the bigger (and cheaper per event) each commit is; see benchmarks/README.md.
threads = int(os.environ.get("GUNICORN_THREADS", 16))
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


def post_worker_init(worker):
    """Build the consent POST's regex and user-agent parser before the worker serves
    (consent_service.api.public.warm_up_consents): a new worker's first POSTs waited for them.

    With GUNICORN_WARM_ANALYZER=1, also load the analyzer's dictionaries in the background.
    They take ~7 s and ~480 MB per process, so by default only the worker that first
    analyses a notice pays; consent traffic never needs them."""
    from consent_service.api.public import warm_up_consents

    warm_up_consents()
    if os.environ.get("GUNICORN_WARM_ANALYZER") != "1":
        return
    import threading

    from consent_service.analysis import warm_up

    threading.Thread(target=warm_up, name="analysis-warm-up", daemon=True).start()
