"""Service catalog: which third-party services exist, their cookies, hosts and category.

``load_catalog()`` reads ``services.yaml`` beside this file (plus the YAML named by the
``CONSENT_CATALOG_EXTRA`` environment variable, whose entries are added, or replace an
entry with the same id), validates every entry and caches the result. A bad entry raises
``CatalogError`` naming the file, the entry and the field, so a broken catalog fails at
start-up rather than at the first request.
"""

from __future__ import annotations

import fnmatch
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

# libyaml's loader where PyYAML was built with it: the pure-Python one took 0.15 s for our
# catalog, per worker process.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CATEGORIES = ("necessary", "preferences", "analytics", "marketing")
LANGUAGES = ("fi", "sv", "en")
CONSENT_MODE_SIGNALS = frozenset(
    {
        "ad_storage",
        "ad_user_data",
        "ad_personalization",
        "analytics_storage",
        "functionality_storage",
        "personalization_storage",
        "security_storage",
    }
)
EXTRA_ENV = "CONSENT_CATALOG_EXTRA"
DEFAULT_PATH = Path(__file__).with_name("services.yaml")

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_HOST_RE = re.compile(r"^(?:\*|\*\.)?[a-z0-9.-]*[a-z0-9](?:/[^\s]*)?$|^\*/[^\s]+$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


class CatalogError(ValueError):
    """The catalog file is unreadable or an entry is invalid."""


@dataclass(frozen=True)
class Cookie:
    name: str  # exact name, or a glob such as "_ga_*"
    lifetime: str
    purpose: str = ""

    @property
    def is_pattern(self) -> bool:
        return "*" in self.name

    def matches(self, name: str) -> bool:
        if self.is_pattern:
            return fnmatch.fnmatchcase(name, self.name)
        return name == self.name


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    vendor: str
    category: str
    aliases: dict[str, list[str]]
    cookies: list[Cookie]
    hosts: list[str]
    consent_mode: list[str]
    vendor_country: str
    privacy_policy_url: str
    source: str

    def to_dict(self) -> dict:
        """The policy-version form of the service (see docs/interfaces.md)."""
        return {
            "id": self.id,
            "name": self.name,
            "vendor": self.vendor,
            "category": self.category,
            "cookies": [
                {"name": c.name, "lifetime": c.lifetime, "purpose": c.purpose} for c in self.cookies
            ],
            "hosts": list(self.hosts),
            "consent_mode": list(self.consent_mode),
            "vendor_country": self.vendor_country,
            "privacy_policy_url": self.privacy_policy_url,
        }

    def all_aliases(self) -> list[str]:
        seen: dict[str, None] = {}
        for lang in LANGUAGES:
            for alias in self.aliases.get(lang, []):
                seen.setdefault(alias, None)
        return list(seen)


def _host_matches(pattern: str, host: str, path: str) -> bool:
    """``pattern`` is ``host[/path-prefix]``; ``*.`` matches the domain and its subdomains,
    a bare ``*`` host matches any host (used for self-hosted scripts such as matomo.js)."""
    p_host, _, p_path = pattern.partition("/")
    if p_host == "*":
        pass
    elif p_host.startswith("*."):
        base = p_host[2:]
        if host != base and not host.endswith("." + base):
            return False
    elif host != p_host:
        return False
    if not p_path:
        return True
    p_path = "/" + p_path
    if p_host == "*":
        # "*/matomo.js": the file name may sit in any folder.
        return path == p_path or path.endswith(p_path)
    return path == p_path or path.startswith(p_path.rstrip("/") + "/") or path.startswith(p_path)


@dataclass
class Catalog:
    services: list[Service]
    _by_id: dict[str, Service] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {s.id: s for s in self.services}

    def get(self, id: str) -> Service | None:  # noqa: A002 - the interface names it id
        return self._by_id.get(id)

    def __iter__(self):
        return iter(self.services)

    def __len__(self) -> int:
        return len(self.services)

    def match_url(self, url: str) -> Service | None:
        """The service whose host pattern matches ``url`` (scheme optional)."""
        if not url:
            return None
        if "://" not in url and not url.startswith("//"):
            url = "//" + url
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        path = parts.path or "/"
        best: tuple[int, Service] | None = None
        for service in self.services:
            for pattern in service.hosts:
                if _host_matches(pattern, host, path):
                    # the most specific (longest) pattern wins: gtag/js over *.google.com
                    score = len(pattern.replace("*", ""))
                    if best is None or score > best[0]:
                        best = (score, service)
        return best[1] if best else None

    def match_cookie(self, name: str) -> Service | None:
        """Exact names win over glob patterns; among patterns the longest wins."""
        best: tuple[int, Service] | None = None
        for service in self.services:
            for cookie in service.cookies:
                if cookie.matches(name):
                    score = 10_000 if not cookie.is_pattern else len(cookie.name)
                    if best is None or score > best[0]:
                        best = (score, service)
        return best[1] if best else None

    def by_category(self, category: str) -> list[Service]:
        return [s for s in self.services if s.category == category]

    def all_hosts_by_category(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {c: [] for c in CATEGORIES}
        for service in self.services:
            for host in service.hosts:
                if host not in out[service.category]:
                    out[service.category].append(host)
        return out


def _fail(where: str, message: str) -> CatalogError:
    return CatalogError(f"{where}: {message}")


def _str_list(value, where: str, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(where, f"'{name}' must be a list of non-empty strings")
    return [v.strip() for v in value]


def _parse_service(raw, where: str) -> Service:
    if not isinstance(raw, dict):
        raise _fail(where, "entry must be a mapping")
    required = (
        "id", "name", "vendor", "category", "vendor_country", "privacy_policy_url", "source",
    )
    for key in required:
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise _fail(where, f"missing or empty '{key}'")
    sid = raw["id"]
    where = f"{where} ({sid})"
    if not _ID_RE.match(sid):
        raise _fail(where, "'id' must be lowercase words joined by hyphens")
    if raw["category"] not in CATEGORIES:
        raise _fail(where, f"'category' must be one of {', '.join(CATEGORIES)}")
    if not _COUNTRY_RE.match(raw["vendor_country"]):
        raise _fail(where, "'vendor_country' must be an ISO 3166 alpha-2 code such as US")
    for key in ("privacy_policy_url", "source"):
        if not raw[key].startswith(("https://", "http://")):
            raise _fail(where, f"'{key}' must be an http(s) URL")
    aliases_raw = raw.get("aliases") or {}
    if not isinstance(aliases_raw, dict):
        raise _fail(where, "'aliases' must map a language to a list of names")
    unknown = set(aliases_raw) - set(LANGUAGES)
    if unknown:
        raise _fail(where, f"'aliases' has unknown languages {sorted(unknown)}")
    aliases = {
        lang: _str_list(aliases_raw.get(lang), where, f"aliases.{lang}") for lang in LANGUAGES
    }
    if not any(aliases.values()):
        raise _fail(where, "'aliases' needs at least one name")
    cookies = []
    for i, c in enumerate(raw.get("cookies") or []):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not c["name"]:
            raise _fail(where, f"cookies[{i}] needs a 'name'")
        if not isinstance(c.get("lifetime"), str) or not c["lifetime"]:
            raise _fail(where, f"cookie '{c['name']}' needs a 'lifetime'")
        cookies.append(Cookie(c["name"], c["lifetime"], str(c.get("purpose") or "")))
    hosts = [h.lower() for h in _str_list(raw.get("hosts"), where, "hosts")]
    for h in hosts:
        if "://" in h or not _HOST_RE.match(h):
            raise _fail(where, f"host pattern {h!r} must look like 'host[/path]' or '*.domain'")
    consent_mode = _str_list(raw.get("consent_mode"), where, "consent_mode")
    bad = set(consent_mode) - CONSENT_MODE_SIGNALS
    if bad:
        raise _fail(where, f"unknown consent_mode signals {sorted(bad)}")
    tracking = {"analytics_storage", "ad_storage", "ad_user_data", "ad_personalization"}
    if raw["category"] == "necessary" and tracking & set(consent_mode):
        raise _fail(where, "an analytics or advertising service cannot be 'necessary'")
    return Service(
        id=sid,
        name=raw["name"].strip(),
        vendor=raw["vendor"].strip(),
        category=raw["category"],
        aliases=aliases,
        cookies=cookies,
        hosts=hosts,
        consent_mode=consent_mode,
        vendor_country=raw["vendor_country"],
        privacy_policy_url=raw["privacy_policy_url"],
        source=raw["source"],
    )


def parse_catalog_file(path: str | os.PathLike) -> list[Service]:
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read catalog: {exc}") from exc
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("services"), list):
        raise CatalogError(f"{path}: top level must be a mapping with a 'services' list")
    services, seen = [], set()
    for i, raw in enumerate(data["services"]):
        service = _parse_service(raw, f"{path.name}: services[{i}]")
        if service.id in seen:
            raise CatalogError(f"{path.name}: duplicate service id {service.id!r}")
        seen.add(service.id)
        services.append(service)
    return services


def build_catalog(paths: list[str | os.PathLike]) -> Catalog:
    """Merge catalog files in order; a later entry with the same id replaces an earlier one."""
    merged: dict[str, Service] = {}
    for path in paths:
        for service in parse_catalog_file(path):
            merged[service.id] = service
    return Catalog(list(merged.values()))


_loaded: dict[str | None, Catalog] = {}
_load_lock = threading.Lock()


def load_catalog() -> Catalog:
    """The validated catalog, cached per value of ``CONSENT_CATALOG_EXTRA``.

    Check, lock, check again: one thread parses while the others of a cold process wait for
    it, and once parsed no caller takes the lock (scans call this for every request they
    observe)."""
    extra = os.environ.get(EXTRA_ENV) or None
    catalog = _loaded.get(extra)
    if catalog is None:
        with _load_lock:
            catalog = _loaded.get(extra)
            if catalog is None:
                paths: list[str | os.PathLike] = [DEFAULT_PATH, *([extra] if extra else [])]
                catalog = _loaded[extra] = build_catalog(paths)
    return catalog


def clear_cache() -> None:
    _loaded.clear()


__all__ = [
    "CATEGORIES",
    "Catalog",
    "CatalogError",
    "Cookie",
    "Service",
    "build_catalog",
    "clear_cache",
    "load_catalog",
    "parse_catalog_file",
]
