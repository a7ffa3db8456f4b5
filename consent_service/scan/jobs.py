"""Scan jobs: a row in ``scan`` plus a huey task that runs it.

The queue is huey: SqliteHuey in the instance folder by default, RedisHuey when
``REDIS_URL`` is set. ``SCAN_QUEUE_IMMEDIATE`` (default: on when CONSENT_ENV=testing) runs
tasks synchronously in the caller. ``consent-service worker`` runs the consumer, which also
runs the periodic maintenance (services/maintenance.py) every 5 minutes.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import AuditLog, Notice, Site, utcnow
from ..services import policies
from ..services.errors import Invalid
from . import ScanError, ScanOptions, check_url, netpolicy, scan_url
from .models import Scan
from .report import public, to_html

log = logging.getLogger(__name__)
TASK_NAME = "consent_service.scan.run"
MAINTENANCE_TASK_NAME = "consent_service.maintenance"


def get_huey(app=None):
    """The app's huey instance, with the scan task registered on it."""
    app = app or current_app._get_current_object()
    huey = app.extensions.get("scan_huey")
    if huey is not None:
        return huey
    from huey import RedisHuey, SqliteHuey, crontab

    immediate = app.config.get("SCAN_QUEUE_IMMEDIATE", app.config["CONSENT_ENV"] == "testing")
    if app.config.get("REDIS_URL"):
        huey = RedisHuey("consent-scan", url=app.config["REDIS_URL"], immediate=immediate)
    else:
        path = Path(app.instance_path) / "scan-queue.db"
        from ..security import private_file

        private_file(path)  # 0600 before huey's sqlite opens it (journals copy the mode)
        huey = SqliteHuey("consent-scan", filename=str(path), immediate=immediate)

    @huey.task(name=TASK_NAME)
    def run(scan_id: int) -> None:
        with app.app_context():
            run_scan_job(scan_id)

    # Every consumer runs this; run_due claims each job in the database, so with several
    # machines each job still runs once per period.
    @huey.periodic_task(crontab(minute="*/5"), name=MAINTENANCE_TASK_NAME)
    def maintenance() -> None:
        from ..services.maintenance import run_due

        with app.app_context():
            run_due()

    app.extensions["scan_huey"] = huey
    app.extensions["scan_task"] = run
    app.extensions["maintenance_task"] = maintenance
    return huey


def options_for(app, pages: int | None = None) -> ScanOptions:
    cfg = app.config
    return ScanOptions(
        pages=max(1, min(int(pages or cfg.get("SCAN_PAGES", 1)), 20)),
        page_timeout=float(cfg.get("SCAN_PAGE_TIMEOUT", 20)),
        total_timeout=float(cfg.get("SCAN_TIMEOUT", 180)),
        settle=float(cfg.get("SCAN_SETTLE", 3)),
        banner_wait=float(cfg.get("SCAN_BANNER_WAIT", 5)),
        chromium=cfg.get("CHROMIUM", "/usr/bin/chromium"),
        offline=bool(cfg.get("SCAN_OFFLINE", False)),
        route_handler=cfg.get("SCAN_ROUTE_HANDLER"),
        record_consents=False,
        allow_networks=cfg.get("SCAN_ALLOW_NETWORKS"),
        resolver=cfg.get("SCAN_RESOLVER"),
    )


def site_url_allowed(site: Site, url: str) -> bool:
    """Admin-started scans stay on the site's own domains (no scanning of arbitrary hosts).
    The host is the one Chromium will connect to (WHATWG parsing, as the browser does):
    ``http://127.0.0.1:1\\@a.example/`` is on 127.0.0.1, not on a.example."""
    parsed = netpolicy.parse_url(url)
    if parsed is None or not parsed.hostname:
        return False
    host, port = parsed.hostname.lower(), parsed.port
    for domain in site.domains:
        d_host, _, d_port = domain.lower().partition(":")
        if d_port and port != d_port:
            continue
        if host == d_host or host.endswith("." + d_host):
            return True
    return False


def default_url(site: Site) -> str:
    domain = site.domains[0]
    host = domain.split(":")[0]
    scheme = "http" if host in ("localhost", "127.0.0.1") else "https"
    return f"{scheme}://{domain}/"


def start_scan(site: Site, url: str | None = None, *, pages: int | None = None,
               user_id: int | None = None) -> Scan:
    """Queue a scan of ``url`` (default: the site's first domain); returns the row."""
    url = (url or "").strip() or default_url(site)
    try:
        url = check_url(url)
    except ScanError as exc:
        raise Invalid(exc.message, {"url": [url]}) from None
    if len(url) > 2000:  # the scan.url column
        raise Invalid("The URL is longer than 2000 characters", {"url": [url[:100] + "…"]})
    if not site_url_allowed(site, url):
        raise Invalid("The URL is not on one of the site's domains", {"url": [url]})
    scan = Scan(site_id=site.id, url=url, status="queued", created_by=user_id,
                options={"pages": pages} if pages else {})
    db.session.add(scan)
    db.session.add(AuditLog(site_id=site.id, user_id=user_id, action="scan.start",
                            details={"url": url}))
    db.session.commit()
    get_huey()
    current_app.extensions["scan_task"](scan.id)
    db.session.refresh(scan)
    return scan


def notice_services(site: Site) -> list[str] | None:
    notice = db.session.scalars(
        select(Notice).where(Notice.site_id == site.id, Notice.analysis.is_not(None))
        .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(1)
    ).first()
    if notice is None:
        return None
    return [s["id"] for s in (notice.analysis or {}).get("services", [])]


def policy_services(site: Site) -> list[str] | None:
    policy = policies.current_policy(site)
    if policy is None:
        return None
    return [s["id"] for s in policy.content.get("services", [])]


def run_scan_job(scan_id: int) -> None:
    scan = db.session.get(Scan, scan_id)
    if scan is None or scan.status != "queued":
        return
    scan.status, scan.started_at = "running", utcnow()
    db.session.commit()
    site = db.session.get(Site, scan.site_id)
    try:
        result = scan_url(scan.url, notice_services=notice_services(site),
                          policy_services=policy_services(site),
                          options=options_for(current_app, scan.options.get("pages")))
        scan.result, scan.report_html, scan.status = public(result), to_html(result), "done"
    except ScanError as exc:
        scan.status, scan.error = "failed", exc.to_dict()
    except Exception as exc:  # noqa: BLE001 - a job must end in a state the admin can see
        log.exception("scan %s failed", scan_id)
        scan.status, scan.error = "failed", {"code": "internal", "message": str(exc)[:500]}
    scan.finished_at = utcnow()
    db.session.commit()


def get_scan(site: Site, scan_id: int) -> Scan:
    from ..services.errors import NotFound

    # Route ids are capped at 32 bits by the app's <int:> converter (services/params.py).
    scan = db.session.get(Scan, scan_id)
    if scan is None or scan.site_id != site.id:
        raise NotFound("Unknown scan", {"scan_id": [scan_id]})
    return scan


def list_scans(site: Site, limit: int = 20) -> list[Scan]:
    return list(db.session.scalars(
        select(Scan).where(Scan.site_id == site.id)
        .order_by(Scan.created_at.desc(), Scan.id.desc()).limit(limit)))


def propose_policy(site: Site, scan: Scan, *, user_id: int | None = None):
    """Services the scan saw that the published policy lacks → a new draft policy version."""
    seen = [s["id"] for s in (scan.result or {}).get("services", [])]
    current = policies.current_policy(site)
    content = current.content if current else {"categories": [], "services": []}
    have = [s["id"] for s in content.get("services", [])]
    missing = [s for s in seen if s not in have]
    if not missing:
        raise Invalid("The published policy already lists every service the scan saw")
    categories = [c["id"] for c in content.get("categories", [])]
    new = policies.build_content(categories, have + missing, privacy_url=site.privacy_url)
    draft = policies.create_draft(site, new, user_id=user_id, commit=False)
    db.session.add(AuditLog(site_id=site.id, user_id=user_id, action="scan.propose_policy",
                            details={"scan_id": scan.id, "added_services": missing,
                                     "version": draft.version}))
    db.session.commit()
    return draft, missing
