"""CPU-bound work off a gevent worker's event loop.

Under gunicorn's gevent worker (the PostgreSQL default, gunicorn.conf.py) one greenlet
that computes for seconds stops every other request of its process: a notice analysis
(up to ~7 s the first time, dictionaries loading) or an argon2 hash (~50 ms). Such work
runs in the hub's pool of native threads instead, where the GIL's switch interval lets the
event loop keep serving. Without gevent this calls the function in place."""

from __future__ import annotations

import sys


def gevent_active() -> bool:
    if "gevent" not in sys.modules:
        return False
    from gevent import monkey

    return bool(monkey.is_module_patched("threading"))


def run_blocking(fn, *args, **kwargs):
    if not gevent_active():
        return fn(*args, **kwargs)
    import gevent

    return gevent.get_hub().threadpool.apply(fn, args, kwargs)
