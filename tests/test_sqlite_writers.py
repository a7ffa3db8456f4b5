"""SQLite writers of every process queue on an flock beside the database file."""

import fcntl
import threading

import sqlalchemy as sa

from consent_service.services.chain_writer import CoreStore


def test_a_writer_waits_for_the_queue_file_and_wakes_when_it_is_free(tmp_path):
    store = CoreStore(sa.create_engine(f"sqlite:///{tmp_path / 'consent.db'}"))
    assert store._queue_file == f"{tmp_path / 'consent.db'}.writers"
    entered = threading.Event()

    def write():
        with store._writers_queue():
            entered.set()

    with open(store._queue_file, "a") as other_process:
        fcntl.flock(other_process, fcntl.LOCK_EX)
        writer = threading.Thread(target=write)
        writer.start()
        assert not entered.wait(0.3)  # queued behind the holder
        fcntl.flock(other_process, fcntl.LOCK_UN)
        assert entered.wait(2)
    writer.join(2)


def test_no_queue_file_for_an_in_memory_database():
    assert CoreStore(sa.create_engine("sqlite://"))._queue_file is None
