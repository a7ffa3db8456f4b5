"""Launch and always tear down the system Chromium through Playwright.

``BrowserSession`` starts Playwright and Chromium, notes the Chromium process groups that
appeared, and on exit closes the browser, stops Playwright, waits for those groups to end
and SIGKILLs what is left. A watchdog thread kills the groups when the overall deadline
passes, which makes any Playwright call that is stuck raise, so a scan is always bounded.
"""

from __future__ import annotations

import logging
import os
import pwd
import shlex
import shutil
import tempfile
import threading
import time
from pathlib import Path

from . import procs

log = logging.getLogger(__name__)

# Chromium's own sandbox stays on (no --no-sandbox): pages of any site run in it.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
# One launch at a time in this process, so the process groups that appear are ours.
_launch_lock = threading.Lock()


class ScanError(Exception):
    """A scan that could not run. ``exit_code`` 2 is bad input, 3 an unscannable site."""

    def __init__(self, code: str, message: str, exit_code: int = 3):
        super().__init__(message)
        self.code = code
        self.message = message
        self.exit_code = exit_code

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


SCAN_USER_ENV = "CONSENT_SCAN_USER"
SANDBOX_ENV = "CONSENT_SCAN_SANDBOX"  # "0": an operator turns the sandbox off (not advised)
# Chromium refuses to run its sandbox as root; as root we start it as this user instead.
DEFAULT_SCAN_USER = "nobody"


def unprivileged_launcher(executable: str, user: str, folder: Path) -> str:
    """A script that starts ``executable`` as ``user`` (we are root): Playwright's profile
    folder is handed to that user first, and HOME points into it."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise ScanError("no-scan-user", f"the scan user {user!r} does not exist (set "
                        f"{SCAN_USER_ENV} to an unprivileged system user)", 3) from None
    if entry.pw_uid == 0:
        raise ScanError("no-scan-user", f"the scan user {user!r} is root", 3)
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise ScanError("no-scan-user", "setpriv (util-linux) is needed to start the browser "
                        "as an unprivileged user", 3)
    ids = f"{entry.pw_uid}:{entry.pw_gid}"
    script = folder / "chromium-as-scan-user"
    script.write_text(f"""#!/bin/sh
home=
for arg in "$@"; do
  case "$arg" in --user-data-dir=*) home="${{arg#--user-data-dir=}}"; chown -R {ids} "$home";;
  esac
done
exec {shlex.quote(setpriv)} --reuid={entry.pw_uid} --regid={entry.pw_gid} --clear-groups \
  --inh-caps=-all --bounding-set=-all --no-new-privs \
  env HOME="$home" XDG_CONFIG_HOME="$home" XDG_CACHE_HOME="$home" \
  {shlex.quote(executable)} "$@"
""")
    script.chmod(0o700)
    return str(script)


class BrowserSession:
    def __init__(self, executable: str, deadline: float, extra_args: list[str] | None = None,
                 sandbox: bool = True):
        self.executable = executable
        self.deadline = deadline
        self.extra_args = list(extra_args or [])
        self.sandbox = sandbox and os.environ.get(SANDBOX_ENV, "1") != "0"
        self._tmp: str | None = None
        self.groups: set[int] = set()
        self.driver_pids: dict[int, str] = {}
        self.timed_out = False
        self.proxy = None  # the egress proxy the browser goes through (set by run_visits)
        self._pw = None
        self.browser = None
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None

    def __enter__(self) -> BrowserSession:
        from playwright.sync_api import sync_playwright

        if not Path(self.executable).exists():
            raise ScanError("no-browser", f"Chromium not found at {self.executable}", 3)
        args = CHROMIUM_ARGS + self.extra_args
        executable = self.executable
        try:
            if not self.sandbox:
                args.append("--no-sandbox")
            elif os.geteuid() == 0:
                self._tmp = tempfile.mkdtemp(prefix="consent-scan-")
                user = os.environ.get(SCAN_USER_ENV) or DEFAULT_SCAN_USER
                executable = unprivileged_launcher(self.executable, user, Path(self._tmp))
            with _launch_lock:
                before = set(procs.descendants())
                self._pw = sync_playwright().start()
                try:
                    self.browser = self._pw.chromium.launch(
                        executable_path=executable, args=args, headless=True,
                        chromium_sandbox=self.sandbox,
                        timeout=30_000, handle_sigint=False, handle_sigterm=False,
                        handle_sighup=False,
                    )
                finally:
                    new = {p: v for p, v in procs.descendants().items() if p not in before}
                    self.groups = {pgid for comm, _, pgid in new.values()
                                   if procs.is_chromium(comm)}
                    self.driver_pids = {p: comm for p, (comm, _, _) in new.items()
                                        if not procs.is_chromium(comm)}
        except BaseException as exc:
            self.__exit__(None, None, None)
            if self.sandbox and "sandbox" in str(exc).lower():
                raise ScanError("no-sandbox", "Chromium's sandbox cannot start on this machine "
                                f"({str(exc).splitlines()[0][:200]}): allow unprivileged user "
                                "namespaces, or set CONSENT_SCAN_SANDBOX=0 to scan without "
                                "it (the other limits stay)", 3) from None
            if isinstance(exc, Exception) and not isinstance(exc, ScanError):
                raise ScanError("browser-error", "the browser did not start: "
                                f"{str(exc).splitlines()[0][:200]}", 3) from None
            raise
        self._watchdog = threading.Thread(target=self._watch, name="scan-watchdog", daemon=True)
        self._watchdog.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.25):
            if time.monotonic() > self.deadline:
                log.warning("scan deadline passed; killing Chromium groups %s", self.groups)
                self.timed_out = True
                procs.kill_groups(self.groups)
                return

    def __exit__(self, *exc) -> None:
        self._stop.set()
        try:
            if self.browser is not None:
                self.browser.close()
        except Exception:  # noqa: BLE001 - the browser may already be dead
            pass
        try:
            if self._pw is not None:
                self._pw.stop()
        except Exception:  # noqa: BLE001
            pass
        self.reap()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def reap(self, wait: float = 3.0) -> None:
        """Kill what is left of our Chromium groups (the browser was closed, or is hung) and
        of the driver, and wait until they are gone."""
        procs.kill_groups(self.groups)
        end = time.monotonic() + wait
        while time.monotonic() < end and self._alive():
            time.sleep(0.02)
        live = {p for p, comm in self.driver_pids.items()
                if (procs.stat(p) or ("",))[0] == comm}
        procs.kill_pids(live)

    def _alive(self) -> bool:
        if not self.groups:
            return False
        return any(pgid in self.groups and procs.is_chromium(comm)
                   for comm, _, pgid in procs.all_processes().values())
