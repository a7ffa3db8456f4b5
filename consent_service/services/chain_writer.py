"""Group commit of consent events onto their site's hash chain.

Every event must be linked to the previous one of its site, so inserts of one site are
serialised by a lock on its chain-head row (PostgreSQL) or the database write lock
(SQLite). Taking that lock once per request makes the lock, and the fsync of each commit,
the bottleneck. Instead each process runs one writer thread: request threads hand it a
validated event and wait; the writer takes every waiting event, locks each site's chain
head once, links and inserts them all, commits once, and only then wakes the waiters. An
event is durable before its request answers, and the chain stays linear across workers and
machines because the lock is in the database, not in the process.
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ..models import ChainHead, ConsentEvent, utcnow

MAX_BATCH = 256
WAIT_SECONDS = 30.0


@dataclass
class Pending:
    """A validated event waiting for its place in the chain."""

    site_id: int
    site_key: str
    row: dict  # ConsentEvent columns except seq, prev_hash, event_hash, recorded_at
    done: threading.Event = field(default_factory=threading.Event)
    result: dict | None = None
    created: bool = False
    error: BaseException | None = None


class ChainWriter:
    def __init__(self, engine: Engine, hash_row):
        self.engine = engine
        self.hash_row = hash_row  # (row dict, site_key) -> event hash
        self._queue: list[Pending] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid = None

    def submit(self, item: Pending) -> Pending:
        self._ensure_thread()
        with self._cond:
            self._queue.append(item)
            self._cond.notify()
        if not item.done.wait(WAIT_SECONDS):
            raise TimeoutError("the consent writer did not answer in time")
        if item.error is not None:
            raise item.error
        return item

    def _ensure_thread(self) -> None:
        # A forked worker (gunicorn) inherits no running thread: start its own.
        if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
            with self._cond:
                if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                    self._queue = []
                    self._pid = os.getpid()
                    self._thread = threading.Thread(target=self._run, name="chain-writer",
                                                    daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                self._write(batch)
            except IntegrityError:
                # A duplicate event_id (a retry racing its original): isolate it.
                for item in batch:
                    try:
                        self._write([item])
                    except BaseException as exc:  # noqa: BLE001 - handed to the waiter
                        self._finish_error([item], exc)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiters
                self._finish_error(batch, exc)

    def _finish_error(self, batch: list[Pending], exc: BaseException) -> None:
        for item in batch:
            if not item.done.is_set():
                if isinstance(exc, IntegrityError):
                    found = self._existing(item)
                    if found is not None:
                        item.result, item.created = found, False
                        item.done.set()
                        continue
                item.error = exc
                item.done.set()

    def _existing(self, item: Pending) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(ConsentEvent.__table__).where(
                ConsentEvent.site_id == item.site_id,
                ConsentEvent.event_id == item.row["event_id"])).mappings().first()
        return dict(row) if row else None

    def _write(self, batch: list[Pending]) -> None:
        by_site: dict[int, list[Pending]] = defaultdict(list)
        for item in batch:
            by_site[item.site_id].append(item)
        rows = []
        with self.engine.begin() as conn:
            for site_id in sorted(by_site):  # one lock order: no deadlock between writers
                items = by_site[site_id]
                seq, prev = conn.execute(
                    update(ChainHead).where(ChainHead.site_id == site_id)
                    .values(seq=ChainHead.seq + len(items))
                    .returning(ChainHead.seq, ChainHead.head_hash)
                ).one()
                seq -= len(items)
                now = utcnow()
                for item in items:
                    seq += 1
                    row = {**item.row, "seq": seq, "prev_hash": prev, "recorded_at": now}
                    row["event_hash"] = prev = self.hash_row(row, item.site_key)
                    item.result = row
                    rows.append(row)
                conn.execute(update(ChainHead).where(ChainHead.site_id == site_id)
                             .values(head_hash=prev))
            conn.execute(insert(ConsentEvent.__table__), rows)
        for item in batch:
            item.created = True
            item.done.set()
