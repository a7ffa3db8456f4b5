"""Site scan: load a site in headless Chromium before any choice, after "accept all" and
after "reject all"; report what it contacts and stores against its notice and policy.

``scan_url(url, ...)`` returns the ``site-scan/1`` document (see the workspace
contract shared/contracts/site-scan.md) or raises ``ScanError`` (``exit_code`` 2 or 3).
"""

from __future__ import annotations

from datetime import UTC, datetime

from .browser import ScanError
from .visits import ScanOptions

SCHEMA = "site-scan/1"


def check_url(url: str) -> str:
    """An absolute http(s) URL, or ScanError(exit 2). Parsed as Chromium parses it (WHATWG),
    returned in that parser's serialisation, which is what the browser will request."""
    from .netpolicy import parse_url

    url = (url or "").strip()
    parsed = parse_url(url)
    if parsed is None:
        raise ScanError("bad-url", f"not a URL: {url!r}", 2)
    if parsed.protocol not in ("http:", "https:"):
        raise ScanError("bad-url", f"only http and https URLs can be scanned, not {url!r}", 2)
    if not parsed.hostname or parsed.username or parsed.password:
        raise ScanError("bad-url", f"not a URL to scan: {url!r}", 2)
    return parsed.href


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def scan_url(url: str, *, notice_services: list[str] | None = None,
             policy_services: list[str] | None = None,
             options: ScanOptions | None = None) -> dict:
    from .compare import compare
    from .matching import host_of, registrable_domain
    from .visits import run_visits

    url = check_url(url)
    options = options or ScanOptions()
    started = _now()
    raw = run_visits(url, options)
    site_domain = registrable_domain(host_of(url))
    result = compare(raw, site_domain, notice_services=notice_services,
                     policy_services=policy_services, at=started)
    notes = list(raw["notes"])
    for visit in raw["visits"].values():
        if visit is not None:
            notes += visit.pop("notes", [])
    return {
        "schema": SCHEMA,
        "url": url,
        "started_at": _stamp(started),
        "finished_at": _stamp(_now()),
        "pages": raw["pages"],
        "language": raw["language"],
        "banner": raw["banner"],
        "visits": {k: raw["visits"].get(k) for k in ("before_consent", "after_accept",
                                                       "after_reject")},
        **result,
        "notes": notes,
        # Hosts the network policy refused: named, with nothing of their content.
        "blocked": raw.get("blocked", []),
        "screenshot_png": raw["screenshot"],
    }


__all__ = ["SCHEMA", "ScanError", "ScanOptions", "check_url", "init_app", "scan_url"]


def init_app(app) -> None:
    """Register the scan table, API, admin pages and job queue (called from create_app)."""
    from ..extensions import api, csrf
    from . import api as scan_api
    from . import (
        models,  # noqa: F401  (registers the scan table)
        views,
    )

    api.register_blueprint(scan_api.blp)
    csrf.exempt(scan_api.blp)
    app.register_blueprint(views.bp)
