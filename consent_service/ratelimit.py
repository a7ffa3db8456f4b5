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

from limits.storage import MemoryStorage

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
