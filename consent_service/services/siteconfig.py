"""The public config of a site's current policy, built once and served from memory.

Entries are re-checked against the database after a few seconds, so a publish on
another worker or machine reaches every process within CACHE_TTL seconds; a
publish in this process invalidates at once.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select

from ..catalog import load_catalog
from ..extensions import db
from ..models import PolicyVersion, Site
from ..security import sha256_hex
from .errors import NotFound
from .policies import BASE_CONSENT_MODE, banner_hashes, current_policy

CACHE_TTL = 5.0
MAX_RENDERED = 16  # rendered bodies kept per site (one per host name it is reached through)


@dataclass(frozen=True)
class SiteConfig:
    site_id: int
    site_key: str
    allowed_origins: tuple[str, ...]
    policy_id: int | None
    payload: dict | None
    checked_at: float
    # Rendered JSON per api_base (the base depends on the host the request came through).
    rendered: dict

    def render(self, api_base: str) -> tuple[bytes, str]:
        hit = self.rendered.get(api_base)
        if hit is None:
            body = json.dumps({"api_base": api_base, **self.payload}, ensure_ascii=False,
                              separators=(",", ":")).encode()
            hit = (body, sha256_hex(body)[:40])
            if len(self.rendered) >= MAX_RENDERED:  # Host headers are the client's to choose
                self.rendered.clear()
            self.rendered[api_base] = hit
        return hit


_cache: dict[str, SiteConfig] = {}
_lock = threading.Lock()


def invalidate(site_key: str | None = None) -> None:
    with _lock:
        if site_key is None:
            _cache.clear()
        else:
            _cache.pop(site_key, None)


def blocking_rules() -> list[dict]:
    catalog = load_catalog()
    return [
        {"service": s.id, "category": s.category, "hosts": list(s.hosts)}
        for s in catalog.services
        if s.category != "necessary" and s.hosts
    ]


def consent_mode_map(content: dict) -> dict[str, list[str]]:
    mapping = {cat: list(signals) for cat, signals in BASE_CONSENT_MODE.items()}
    for service in content["services"]:
        signals = mapping.setdefault(service["category"], [])
        for signal in service.get("consent_mode", []):
            if signal not in signals and service["category"] != "necessary":
                signals.append(signal)
    return mapping


def build_payload(site: Site, policy: PolicyVersion) -> dict:
    content = policy.content
    services = {s["id"]: s for s in content["services"]}
    banner = content["banner"]
    languages = [lang for lang in site.languages if lang in banner] or list(banner)

    def text_of(cat_id: str, key: str, default: str) -> dict[str, str]:
        return {lang: banner[lang]["categories"].get(cat_id, {}).get(key, default)
                for lang in languages}

    return {
        "site_key": site.site_key,
        "policy_version": policy.version,
        "policy_hash": policy.content_hash,
        "material_version": policy.material_version or policy.version,
        "languages": languages,
        "reprompt_days": site.reprompt_days,
        "privacy_url": site.privacy_url,
        "categories": [
            {
                "id": cat["id"],
                "required": cat["required"],
                "title": text_of(cat["id"], "title", cat["id"]),
                "description": text_of(cat["id"], "description", ""),
                "services": [
                    {k: services[sid][k] for k in
                     ("id", "name", "vendor", "cookies", "privacy_policy_url", "vendor_country")}
                    for sid in cat["services"] if sid in services
                ],
            }
            for cat in content["categories"]
        ],
        "texts": {lang: banner[lang] for lang in languages},
        "banner_hashes": {k: v for k, v in banner_hashes(content).items() if k in languages},
        "blocking": blocking_rules(),
        "consent_mode": consent_mode_map(content),
    }


def _load(site_key: str) -> SiteConfig:
    site = db.session.scalars(select(Site).where(Site.site_key == site_key)).first()
    if site is None:
        raise NotFound("Unknown site key", {"site_key": [site_key]})
    policy = current_policy(site)
    payload = build_payload(site, policy) if policy is not None else None
    return SiteConfig(site.id, site.site_key, tuple(site.allowed_origins),
                      policy.id if policy else None, payload, time.monotonic(), {})


def _current_policy_id(site_id: int) -> int | None:
    return db.session.scalar(
        select(PolicyVersion.id)
        .where(PolicyVersion.site_id == site_id, PolicyVersion.status == "published")
        .order_by(PolicyVersion.version.desc())
        .limit(1)
    )


# One thread per site key refreshes an entry while the others of the process wait for it
# (striped, so unknown keys cannot grow a table of locks).
_refresh_locks = tuple(threading.Lock() for _ in range(64))


def get_config(site_key: str) -> SiteConfig:
    entry = _cache.get(site_key)
    if entry is not None and time.monotonic() - entry.checked_at < CACHE_TTL:
        return entry
    with _refresh_locks[hash(site_key) % len(_refresh_locks)]:
        return _refresh(site_key)


def _refresh(site_key: str) -> SiteConfig:
    entry = _cache.get(site_key)
    now = time.monotonic()
    if entry is not None and now - entry.checked_at < CACHE_TTL:
        return entry  # refreshed by another thread while this one waited
    if entry is not None and _current_policy_id(entry.site_id) == entry.policy_id:
        # Unchanged policy: the origins could still have changed; reload the cheap site row.
        site = db.session.get(Site, entry.site_id)
        if site is not None and tuple(site.allowed_origins) == entry.allowed_origins:
            entry = SiteConfig(**{**entry.__dict__, "checked_at": now})
            with _lock:
                _cache[site_key] = entry
            return entry
    entry = _load(site_key)
    with _lock:
        _cache[site_key] = entry
    return entry
