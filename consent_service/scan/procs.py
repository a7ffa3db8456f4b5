"""Chromium processes under this Python process, read from /proc (Linux).

Playwright starts a driver process, which starts Chromium in its own process group. A scan
notes the Chromium process groups that appeared while it launched its browser, so a
timeout or a crash can kill exactly those groups and nothing else.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

PROC = Path("/proc")


def stat(pid: int) -> tuple[str, int, int] | None:
    """(comm, ppid, pgid) of a live process; None when it is gone or a zombie."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    comm = raw[raw.find("(") + 1 : raw.rfind(")")]
    fields = raw[raw.rfind(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        return None
    return comm, int(fields[1]), int(fields[2])


def all_processes() -> dict[int, tuple[str, int, int]]:
    out = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            info = stat(int(entry.name))
            if info is not None:
                out[int(entry.name)] = info
    return out


def descendants(root: int | None = None) -> dict[int, tuple[str, int, int]]:
    """Every process below ``root`` (default: this process)."""
    root = os.getpid() if root is None else root
    procs = all_processes()
    children: dict[int, list[int]] = {}
    for pid, (_, ppid, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    out, stack = {}, [root]
    while stack:
        for child in children.get(stack.pop(), []):
            out[child] = procs[child]
            stack.append(child)
    return out


def is_chromium(comm: str) -> bool:
    return "chrom" in comm.lower() or "headless_shell" in comm.lower()


def chromium_count() -> int:
    """Chromium processes on the whole machine (tests compare before and after)."""
    return sum(1 for comm, _, _ in all_processes().values() if is_chromium(comm))


def chromium_groups_below(root: int | None = None) -> set[int]:
    return {pgid for comm, _, pgid in descendants(root).values() if is_chromium(comm)}


def kill_groups(groups: set[int]) -> None:
    """SIGKILL each process group (a no-op for groups already gone)."""
    for pgid in groups:
        if pgid in (0, 1, os.getpgid(0)):
            continue
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def kill_pids(pids: set[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
