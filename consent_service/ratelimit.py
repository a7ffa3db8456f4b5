"""In-process rate-limit storage without a timer thread per expiry.

limits' MemoryStorage starts a `threading.Timer` whenever the previous one has fired, so
under steady traffic about every third request starts a thread (~1.5 ms with a busy GIL;
it was a third of a consent POST's CPU). Keys already expire lazily on read; this storage
sweeps the rest inline at most once a second instead. Selected by the URI `lazymemory://`,
the default when no Redis is configured (Redis storage is unaffected).
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache

from limits import parse_many
from limits.storage import MemoryStorage
from werkzeug.exceptions import TooManyRequests

SWEEP_EVERY = 1.0


class LazyMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = ["lazymemory"]  # registered with limits by its storage metaclass

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()
        self._next_sweep = 0.0
        self._sweep_lock = threading.Lock()

    # MemoryStorage calls this (name-mangled) before each increment; limits is pinned in
    # requirements.lock and tests/test_ratelimit.py checks limiting and expiry.
    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802
        now = time.monotonic()
        if now < self._next_sweep or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + SWEEP_EVERY
            self._MemoryStorage__expire_events()
        finally:
            self._sweep_lock.release()


@lru_cache(maxsize=64)
def _parsed(limits_text: str) -> tuple:
    return tuple(parse_many(limits_text))


def enforce(limits_text: str, scope: str, key: str) -> None:
    """Count one hit of `key` against every limit in `limits_text` ("30/minute;500/hour"),
    in Flask-Limiter's storage (memory or Redis); 429 with Retry-After once one is spent.

    The consent endpoint calls this directly instead of through @limiter.limit: the
    decorator's per-request bookkeeping was a tenth of a consent POST's CPU."""
    from .extensions import limiter

    if not limiter.enabled:
        return
    strategy = limiter.limiter
    for item in _parsed(limits_text):
        if not strategy.hit(item, scope, key):
            reset = strategy.get_window_stats(item, scope, key).reset_time
            raise TooManyRequests(str(item), retry_after=max(1, int(reset - time.time())))
