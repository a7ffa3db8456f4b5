"""Policy versions: build, hash, diff, publish."""

from __future__ import annotations

from sqlalchemy import func, select

from ..catalog import load_catalog
from ..extensions import db
from ..models import AuditLog, PolicyVersion, Site, utcnow
from ..security import canonical_hash
from .errors import Invalid, NotFound

CATEGORIES = ("necessary", "preferences", "analytics", "marketing")
DEFAULT_CATEGORIES = ("necessary", "analytics", "marketing")
BASE_CONSENT_MODE = {
    "analytics": ["analytics_storage"],
    "marketing": ["ad_storage", "ad_user_data", "ad_personalization"],
    "preferences": ["functionality_storage", "personalization_storage"],
}


def build_content(
    categories: list[str],
    service_ids: list[str],
    banner: dict | None = None,
    *,
    controller_name: str | None = None,
    privacy_url: str | None = None,
) -> dict:
    """Policy content from category and service ids; banner texts generated when not given."""
    from ..analysis.banner import build_banner_texts

    catalog = load_catalog()
    unknown = [s for s in service_ids if catalog.get(s) is None]
    if unknown:
        raise Invalid("Unknown service ids", {"services": unknown})
    bad = [c for c in categories if c not in CATEGORIES]
    if bad:
        raise Invalid("Unknown categories", {"categories": bad})
    services = [catalog.get(s) for s in dict.fromkeys(service_ids)]
    # A service's category comes from the catalog; the policy must carry that category.
    used = set(categories) | {s.category for s in services} | {"necessary"}
    ordered = [c for c in CATEGORIES if c in used]
    if banner is None:
        banner = build_banner_texts(ordered, services, controller_name, privacy_url)
    return {
        "categories": [
            {
                "id": c,
                "required": c == "necessary",
                "services": [s.id for s in services if s.category == c],
            }
            for c in ordered
        ],
        "services": [s.to_dict() for s in services],  # frozen into the version
        "banner": banner,
    }


def content_hash(content: dict) -> str:
    return canonical_hash(
        {k: content[k] for k in ("categories", "services", "banner")}
    )


def banner_hashes(content: dict) -> dict[str, str]:
    return {lang: canonical_hash(texts) for lang, texts in content["banner"].items()}


def current_policy(site: Site) -> PolicyVersion | None:
    return db.session.scalars(
        select(PolicyVersion)
        .where(PolicyVersion.site_id == site.id, PolicyVersion.status == "published")
        .order_by(PolicyVersion.version.desc())
        .limit(1)
    ).first()


def get_version(site: Site, version: int) -> PolicyVersion:
    policy = db.session.scalars(
        select(PolicyVersion).where(
            PolicyVersion.site_id == site.id, PolicyVersion.version == version
        )
    ).first()
    if policy is None:
        raise NotFound(f"Policy version {version} not found")
    return policy


def diff(old: dict | None, new: dict) -> dict:
    """What changed between two policy contents, and whether visitors must consent again."""
    old = old or {"categories": [], "services": [], "banner": {}}
    old_cats = {c["id"] for c in old["categories"]}
    new_cats = {c["id"] for c in new["categories"]}
    old_svcs = {s["id"] for s in old["services"]}
    new_svcs = {s["id"] for s in new["services"]}
    purposes = []
    for lang, texts in new["banner"].items():
        before = old["banner"].get(lang, {}).get("categories", {})
        for cat, entry in texts.get("categories", {}).items():
            if cat in before and before[cat].get("description") != entry.get("description"):
                purposes.append(f"{lang}:{cat}")
    changed_texts = sorted(
        lang for lang in new["banner"] if old["banner"].get(lang) != new["banner"][lang]
    )
    added_categories = sorted(new_cats - old_cats)
    added_services = sorted(new_svcs - old_svcs)
    return {
        "added_categories": added_categories,
        "removed_categories": sorted(old_cats - new_cats),
        "added_services": added_services,
        "removed_services": sorted(old_svcs - new_svcs),
        "changed_purposes": purposes,
        "changed_texts": changed_texts,
        "material": bool(added_categories or added_services or purposes or not old_cats),
    }


def create_draft(site: Site, content: dict, *, notice=None, user_id: int | None = None,
                 commit: bool = True) -> PolicyVersion:
    last = db.session.scalar(
        select(func.max(PolicyVersion.version)).where(PolicyVersion.site_id == site.id)
    )
    policy = PolicyVersion(
        site_id=site.id,
        version=(last or 0) + 1,
        status="draft",
        content=content,
        content_hash=content_hash(content),
        notice_id=notice.id if notice is not None else None,
        notice_hash=notice.text_hash if notice is not None else None,
    )
    db.session.add(policy)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return policy


def update_draft(policy: PolicyVersion, content: dict) -> PolicyVersion:
    if policy.is_published:
        raise Invalid(f"Policy version {policy.version} is published and cannot change")
    policy.content = content
    policy.content_hash = content_hash(content)
    db.session.commit()
    return policy


def publish(policy: PolicyVersion, *, user_id: int | None = None, commit: bool = True) -> dict:
    if policy.is_published:
        raise Invalid(f"Policy version {policy.version} is already published")
    site = db.session.get(Site, policy.site_id)
    current = current_policy(site)
    if current is not None and current.version > policy.version:
        raise Invalid("A newer version is already published; create a new draft")
    change = diff(current.content if current else None, policy.content)
    policy.material = change["material"]
    policy.material_version = (
        policy.version if change["material"] or current is None else current.material_version
    )
    policy.status = "published"
    policy.published_at = utcnow()
    policy.published_by = user_id
    db.session.add(AuditLog(site_id=site.id, user_id=user_id, action="policy.publish",
                            details={"version": policy.version, "material": policy.material,
                                     "content_hash": policy.content_hash}))
    if commit:
        db.session.commit()
    from .siteconfig import invalidate

    invalidate(site.site_key)
    return change
