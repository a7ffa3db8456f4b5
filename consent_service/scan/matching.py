"""Requests and cookies → catalog services, first/third party, unknown third parties.

Registrable domains come from the ``publicsuffixlist`` package's bundled copy of the
Public Suffix List: it is read from the package, never fetched.
"""

from __future__ import annotations

import calendar
import functools
import ipaddress
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from ..catalog import load_catalog

NECESSARY = "necessary"
MAX_LIFETIME_MONTHS = 13


@functools.lru_cache(maxsize=1)
def _psl():
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()  # bundled list; no network


@functools.lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str:
    """``www.example.co.uk`` → ``example.co.uk``; IP addresses and single labels as they are."""
    host = (host or "").lower().strip(".").strip("[]")
    if not host:
        return ""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    if "." not in host:
        return host
    return _psl().privatesuffix(host) or host


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def is_third_party(host: str, site_domain: str) -> bool:
    return registrable_domain(host) != site_domain


def match_request(url: str):
    return load_catalog().match_url(url)


def match_cookie(name: str):
    return load_catalog().match_cookie(name)


def cookie_lifetime_days(cookie: dict, at: datetime) -> float | None:
    expires = cookie.get("expires")
    if not expires:
        return None
    when = datetime.fromisoformat(expires.replace("Z", "+00:00"))
    return (when - at).total_seconds() / 86400


def add_months(at: datetime, months: int) -> datetime:
    year, month = divmod(at.month - 1 + months, 12)
    last = calendar.monthrange(at.year + year, month + 1)[1]
    return at.replace(year=at.year + year, month=month + 1, day=min(at.day, last))


def lifetime_excessive(cookie: dict, at: datetime) -> bool:
    """Expires later than 13 calendar months (plus a day's slack) after ``at``."""
    expires = cookie.get("expires")
    if not expires:
        return False
    when = datetime.fromisoformat(expires.replace("Z", "+00:00"))
    return when > add_months(at, MAX_LIFETIME_MONTHS) + timedelta(days=1)


def iso(ts: float | None) -> str | None:
    if ts is None or ts < 0:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def classify_visit(visit: dict, site_domain: str, *, after_choice_only: bool = False) -> dict:
    """Services of one visit: ``{service_id: {"evidence": str, "via": "request"|"cookie"}}``
    and unknown third parties ``{domain: count}``. With ``after_choice_only`` only requests
    and cookies from after the banner answer count (the rest is still reported)."""
    services: dict[str, dict] = {}
    unknown: dict[str, int] = {}
    for req in visit["requests"]:
        if after_choice_only and not req.get("after_choice", True):
            continue
        if not req["url"].startswith(("http://", "https://")):
            continue
        service = match_request(req["url"])
        if service is not None:
            services.setdefault(service.id, {"evidence": req["url"], "via": "request"})
            continue
        if is_third_party(req["host"], site_domain):
            dom = registrable_domain(req["host"])
            unknown[dom] = unknown.get(dom, 0) + 1
    for cookie in visit["cookies"]:
        if after_choice_only and not cookie.get("after_choice", True):
            continue
        service = match_cookie(cookie["name"])
        if service is not None:
            services.setdefault(service.id,
                                {"evidence": f"cookie {cookie['name']}", "via": "cookie"})
    return {"services": services, "unknown": unknown}
