"""A gunicorn under test and a stream of consent POSTs that retries until acknowledged."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, database_url: str, instance: Path, workers: int = 2):
        self.port = free_port()
        self.env = {**os.environ, "CONSENT_DATABASE_URL": database_url,
                    "CONSENT_INSTANCE_PATH": str(instance), "CONSENT_ENV": "testing",
                    "CONSENT_SECRET_KEY": "fault-test-secret-" + "x" * 32,
                    "CONSENT_RATELIMIT_CONSENTS": "1000000/minute",
                    "CONSENT_RATELIMIT_SITE": "1000000/minute"}
        self.workers = workers
        self.proc: subprocess.Popen | None = None
        self.log = instance / "gunicorn.log"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
             "--access-logfile", "/dev/null", "consent_service:create_app()"],
            cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start: " + self.log.read_text()[-2000:])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def children(self) -> dict[int, bytes]:
        """The master's child processes and their command lines."""
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True,
                             text=True)
        found = {}
        for pid in map(int, out.stdout.split()):
            try:
                found[pid] = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue  # exited meanwhile
        return found

    def worker_pids(self) -> list[int]:
        """The HTTP workers: forks of the master, so their command line is gunicorn's."""
        return sorted(pid for pid, cmd in self.children().items() if b"gunicorn" in cmd)

    def job_worker_pids(self) -> list[int]:
        return [pid for pid, cmd in self.children().items()
                if b"worker\x00--parent-pid=" in cmd]

    def kill_master(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        # Orphaned workers notice their parent is gone and exit; make sure they have.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.killpg(self.proc.pid, signal.SIGKILL)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, TypeError, AttributeError):
            pass


class ConsentStream:
    """Clients that POST consents and retry each one until the service acknowledges it."""

    def __init__(self, server: Server, site_key: str, body: dict, clients: int = 6):
        self.server, self.site_key, self.body = server, site_key, body
        self.clients = clients
        self.acked: list[str] = []
        self.statuses: dict[int, int] = {}
        self.connection_errors = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def _post(self, event_id: str) -> int | None:
        data = json.dumps({**self.body, "event_id": event_id}).encode()
        req = urllib.request.Request(
            f"{self.server.url}/api/v1/sites/{self.site_key}/consents", data=data,
            headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return None

    def _run(self) -> None:
        while not self._stop.is_set():
            event_id = str(uuid.uuid4())
            for _attempt in range(400):  # ~40 s of retrying at most
                status = self._post(event_id)
                with self._lock:
                    if status is None:
                        self.connection_errors += 1
                    else:
                        self.statuses[status] = self.statuses.get(status, 0) + 1
                if status in (200, 201):
                    with self._lock:
                        self.acked.append(event_id)
                    break
                if status is not None and 400 <= status < 500 and status != 429:
                    raise AssertionError(f"refused with {status}")
                time.sleep(0.1)

    def start(self) -> None:
        for _ in range(self.clients):
            t = threading.Thread(target=self._run, daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=60)
