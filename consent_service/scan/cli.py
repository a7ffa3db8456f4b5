"""`consent-service scan URL ...` and `consent-service worker` (the job queue)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from . import ScanError, check_url, scan_url
from .report import render


def _fail(exc: ScanError, fmt: str) -> None:
    click.echo(f"error: {exc.message}", err=True)
    if fmt == "json":
        click.echo(json.dumps({"error": exc.to_dict()}))
    sys.exit(exc.exit_code)


def notice_services_from_file(path: str) -> list[str]:
    """Service ids of a privacy notice, through the notice analyzer."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ScanError("bad-notice", f"cannot read notice {path}: {exc.strerror}", 2) from None
    try:
        from ..analysis import analyze
    except ImportError:  # the analyzer is not there: fall back to catalog aliases
        return _alias_services(data)
    try:
        result = analyze(data)
    except ValueError as exc:  # NoticeError is a ValueError
        raise ScanError("bad-notice", f"cannot analyse notice {path}: {exc}", 2) from None
    return [s["id"] for s in result.get("services", [])]


def _alias_services(data: bytes) -> list[str]:
    from ..catalog import load_catalog

    text = data.decode("utf-8", "replace").lower()
    if not text.strip():
        raise ScanError("bad-notice", "the notice is empty", 2)
    found = []
    for service in load_catalog():
        for alias in [service.name, *service.all_aliases()]:
            if re.search(r"(?<!\w)" + re.escape(alias.lower()) + r"(?!\w)", text):
                found.append(service.id)
                break
    return found


@click.command("scan")
@click.argument("url")
@click.option("--notice", "notice_path", help="privacy notice to compare with")
@click.option("--site", "site_key", help="site key: compare with its published policy")
@click.option("--pages", default=1, show_default=True, type=click.IntRange(1, 50),
              help="pages to visit (the URL plus same-site links)")
@click.option("--format", "fmt", default="json", show_default=True,
              type=click.Choice(["json", "text", "html"]))
@click.option("--out", "out_path", type=click.Path(dir_okay=False), help="write here")
@click.option("--timeout", default=180.0, show_default=True, help="whole scan, seconds")
@click.option("--page-timeout", default=20.0, show_default=True, help="one page, seconds")
@click.option("--settle", default=3.0, show_default=True,
              help="seconds to watch after each load and banner answer")
@click.option("--offline", is_flag=True,
              help="answer every non-loopback request locally (empty 200); for tests and CI")
@click.option("--record-consents", is_flag=True,
              help="let the banner send its consent events (off: they are blocked)")
@with_appcontext
def scan_command(url, notice_path, site_key, pages, fmt, out_path, timeout, page_timeout,
                 settle, offline, record_consents):
    """Scan a site before any choice, after accept all and after reject all."""
    from . import ScanOptions

    try:
        url = check_url(url)
        notice = notice_services_from_file(notice_path) if notice_path else None
        policy = None
        if site_key:
            notice, policy = _site_inputs(site_key, notice)
        options = ScanOptions(
            pages=pages, total_timeout=timeout, page_timeout=page_timeout, settle=settle,
            chromium=current_app.config.get("CHROMIUM", "/usr/bin/chromium"),
            offline=offline or bool(current_app.config.get("SCAN_OFFLINE")),
            route_handler=current_app.config.get("SCAN_ROUTE_HANDLER"),
            record_consents=record_consents,
            allow_networks=current_app.config.get("SCAN_ALLOW_NETWORKS"),
            resolver=current_app.config.get("SCAN_RESOLVER"),
        )
        result = scan_url(url, notice_services=notice, policy_services=policy, options=options)
    except ScanError as exc:
        _fail(exc, fmt)
    text = render(result, fmt)
    if out_path:
        try:
            Path(out_path).write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail(ScanError("bad-output", f"cannot write {out_path}: {exc.strerror}", 2), fmt)
    else:
        click.echo(text, nl=not text.endswith("\n"))


def _site_inputs(site_key: str, notice: list[str] | None):
    from ..services.errors import NotFound
    from ..services.sites import get_site
    from .jobs import notice_services, policy_services

    try:
        site = get_site(site_key)
    except NotFound:
        raise ScanError("unknown-site", f"unknown site {site_key!r}", 2) from None
    if notice is None:
        notice = notice_services(site)
    return notice, policy_services(site) or []


@click.command("worker")
@click.option("--workers", default=1, show_default=True, help="scans run at once")
@click.option("--parent-pid", type=int,
              help="stop once this process (gunicorn's master) is gone")
@with_appcontext
def worker_command(workers, parent_pid):
    """Run the job queue (huey consumer): scans started in the admin or API, and the
    periodic maintenance (chain seals, retention purge, statistics roll-up)."""
    from .jobs import get_huey

    huey = get_huey(current_app._get_current_object())
    # A consumer needs the real queue, also where requests run tasks in place (testing).
    huey.immediate = False
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    if parent_pid:
        _exit_with_parent(parent_pid)
    # Once at start too: a periodic task otherwise waits for the next 5-minute mark.
    current_app.extensions["maintenance_task"]()
    click.echo(f"job worker: {type(huey).__name__}, {workers} worker(s), maintenance every "
               "5 minutes", err=True)
    consumer.run()


def _exit_with_parent(parent: int) -> None:
    """SIGTERM ourselves (the consumer stops on it) once `parent` is no longer our parent,
    e.g. after a kill -9 of gunicorn's master, so a restarted master does not find a second
    worker still running. The pid comes from the master itself: read here, after a second
    of start-up, it could already be init's."""
    import os
    import signal
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
