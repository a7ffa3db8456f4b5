"""Sites, their keys and members."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from ..extensions import db
from ..models import AdminUser, ApiKey, AuditLog, ChainHead, Site, SiteMembership, utcnow
from ..security import api_key_matches, new_api_key, new_site_key
from .errors import Invalid, NotFound

GENESIS_HASH = "0" * 64
LANGUAGES = ("fi", "sv", "en")


def normalise_domain(domain: str) -> str:
    value = domain.strip().lower()
    if "://" in value:
        value = urlsplit(value).netloc
    value = value.split("/")[0]
    if not value or " " in value or "." not in value and value != "localhost":
        raise Invalid("Not a domain name", {"domain": [domain]})
    return value


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
