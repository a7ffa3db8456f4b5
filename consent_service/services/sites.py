"""Sites, their keys and members."""

from __future__ import annotations

import ipaddress
import re

from sqlalchemy import select

from ..extensions import db
from ..models import AdminUser, ApiKey, AuditLog, ChainHead, Site, SiteMembership, utcnow
from ..security import api_key_matches, new_api_key, new_site_key
from .errors import Invalid, NotFound, ServiceError

GENESIS_HASH = "0" * 64
LANGUAGES = ("fi", "sv", "en")


# Names that are never a public site, whatever the public suffix list says of them.
NON_PUBLIC_SUFFIXES = ("localhost", "local", "internal", "localdomain", "lan", "home", "corp",
                       "intranet", "private", "test", "example", "invalid", "arpa", "onion",
                       "alt")
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _bad_domain(domain: str, message: str) -> Invalid:
    return Invalid(message, {"domain": [domain]})


def normalise_domain(domain: str) -> str:
    """A site's domain: a registrable public domain name (or a name under one), lower case
    and in its ASCII (IDNA) form, with an optional port. IP addresses in any spelling,
    single labels, local-only names and a trailing dot are refused; scans are limited to
    these domains, so this is part of keeping scans out of internal networks."""
    from ..scan.matching import _psl
    from ..scan.netpolicy import parse_url

    raw = domain
    value = (domain or "").strip().lower()
    if "://" in value:
        parsed = parse_url(value)
        if parsed is None or parsed.username or parsed.password:
            raise _bad_domain(raw, "Not a domain name")
        value = parsed.host
    value = value.split("/")[0]
    if not value or any(c.isspace() or c in "\\@?#%" for c in value):
        raise _bad_domain(raw, "Not a domain name")
    if value.startswith("[") or value.count(":") > 1:
        raise _bad_domain(raw, "An IP address is not a site domain: use the site's domain name")
    name, sep, port = value.partition(":")
    if sep and (not port.isdigit() or not 0 < int(port) < 65536 or port != str(int(port))):
        raise _bad_domain(raw, "Not a domain name (bad port)")
    if name.endswith("."):
        raise _bad_domain(raw, "A domain name without the trailing dot, please")
    # Parsed as the browser parses a host: 0x7f.1, 0177.0.0.1 and 2130706433 are IPv4 there.
    parsed = parse_url(f"http://{name}/")
    if parsed is None or not parsed.hostname:
        raise _bad_domain(raw, "Not a domain name")
    host = parsed.hostname
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        raise _bad_domain(raw, "An IP address is not a site domain: use the site's domain name")
    labels = host.split(".")
    if labels[-1] in NON_PUBLIC_SUFFIXES:
        raise _bad_domain(raw, f"{host} is not a public domain name")
    if len(labels) < 2 or len(host) > 253 or not all(LABEL.match(label) for label in labels):
        raise _bad_domain(raw, "Not a public domain name (it needs a dot, like shop.example.fi)"
                          if len(labels) < 2 else "Not a domain name")
    if _psl().privatesuffix(host, accept_unknown=False) is None:
        raise _bad_domain(raw, "Not a registrable public domain name (unknown or public suffix)")
    return host + (f":{port}" if sep else "")


def origins_for(domains: list[str]) -> list[str]:
    origins = []
    for d in domains:
        host = d.split(":")[0]
        scheme = "http" if host in ("localhost", "127.0.0.1") else "https"
        origins.append(f"{scheme}://{d}")
    return origins


def create_site(
    domains: list[str],
    *,
    name: str | None = None,
    languages: list[str] | None = None,
    allowed_origins: list[str] | None = None,
    privacy_url: str | None = None,
    owner: AdminUser | None = None,
    commit: bool = True,
) -> Site:
    if owner is not None and not may_create_sites(owner):
        raise ServiceError(403, "Creating sites needs a superuser or an operator's grant",
                           {"user": ["may not create sites"]})
    domains = [normalise_domain(d) for d in domains]
    if not domains:
        raise Invalid("A site needs at least one domain", {"domains": ["required"]})
    languages = list(dict.fromkeys(languages or LANGUAGES))
    bad = [lang for lang in languages if lang not in LANGUAGES]
    if bad:
        raise Invalid("Unsupported language", {"languages": bad})
    site = Site(
        site_key=new_site_key(),
        name=name or domains[0],
        domains=domains,
        allowed_origins=allowed_origins or origins_for(domains),
        languages=languages,
        privacy_url=privacy_url,
    )
    db.session.add(site)
    db.session.flush()
    db.session.add(ChainHead(site_id=site.id, seq=0, head_hash=GENESIS_HASH))
    if owner is not None:
        db.session.add(SiteMembership(user_id=owner.id, site_id=site.id, role="owner"))
    db.session.add(AuditLog(site_id=site.id, user_id=owner.id if owner else None,
                            action="site.create", details={"domains": domains}))
    if commit:
        db.session.commit()
    return site


def may_create_sites(user: AdminUser) -> bool:
    """Superusers, and users an operator granted it (a site can be scanned, so creating one
    is not for every admin user)."""
    return bool(user.is_superuser or user.can_create_sites)


def set_site_creation(email: str, allowed: bool, *, actor_id: int | None = None) -> AdminUser:
    """Grant or take back an admin user's right to create sites (an operator's CLI)."""
    user = db.session.scalars(
        select(AdminUser).where(AdminUser.email == (email or "").strip().lower())).first()
    if user is None:
        raise NotFound("No admin user with that email", {"email": [email]})
    user.can_create_sites = allowed
    db.session.add(AuditLog(user_id=actor_id, action="user.site_creation",
                            details={"email": user.email, "allowed": allowed}))
    db.session.commit()
    return user


def get_site(site_key: str) -> Site:
    site = db.session.scalars(select(Site).where(Site.site_key == site_key)).first()
    if site is None:
        raise NotFound("Unknown site key", {"site_key": [site_key]})
    return site


def create_api_key(site: Site, name: str, *, role: str = "editor",
                   user_id: int | None = None) -> tuple[ApiKey, str]:
    key, prefix, digest = new_api_key()
    row = ApiKey(site_id=site.id, name=name, prefix=prefix, key_hash=digest, role=role,
                 created_by=user_id)
    db.session.add(row)
    db.session.add(AuditLog(site_id=site.id, user_id=user_id, action="api_key.create",
                            details={"prefix": prefix, "name": name, "role": role}))
    db.session.commit()
    return row, key


def revoke_api_key(row: ApiKey, *, user_id: int | None = None) -> None:
    row.revoked_at = utcnow()
    db.session.add(AuditLog(site_id=row.site_id, user_id=user_id, action="api_key.revoke",
                            details={"prefix": row.prefix}))
    db.session.commit()


def authenticate_api_key(key: str) -> ApiKey | None:
    prefix = key.split(".", 1)[0]
    row = db.session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if row is None or row.revoked_at is not None or not api_key_matches(key, row.key_hash):
        return None
    return row
