"""Site set-up flows shared by the CLI, the admin and the demo."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..concurrency import run_blocking
from ..extensions import db
from ..models import AdminUser, Notice, Site
from ..security import sha256_hex
from . import policies, sites, users
from .errors import Invalid

DEMO_EMAIL = "admin@demo.example.fi"
DEMO_DOMAINS = ["demo.example.fi"]
DEMO_SERVICES = ["google-analytics", "facebook-pixel", "youtube"]


def analyse_notice(site, raw: bytes | str, *, source: str = "paste",
                   source_url: str | None = None, user_id: int | None = None) -> Notice:
    from ..analysis import NoticeError, analyze, normalise_text

    try:
        result = run_blocking(analyze, raw)
        text = normalise_text(raw)
    except NoticeError as exc:
        raise Invalid(str(exc), {"notice": [getattr(exc, "code", "invalid")]}) from exc
    notice = Notice(site_id=site.id, source=source, source_url=source_url, text=text,
                    text_hash=sha256_hex(text), analysis=result, created_by=user_id)
    db.session.add(notice)
    db.session.flush()
    return notice


def content_from_analysis(site, analysis: dict) -> dict:
    used = [c for c, v in analysis["categories"].items() if v["used"]]
    service_ids = [s["id"] for s in analysis["services"]]
    controller = (analysis.get("controller") or {}).get("name")
    return policies.build_content(used or list(policies.DEFAULT_CATEGORIES), service_ids,
                                  controller_name=controller, privacy_url=site.privacy_url)


def create_site_with_policy(domains, *, name=None, languages=None, privacy_url=None,
                            notice: bytes | None = None, services: list[str] | None = None,
                            publish: bool = False, owner: AdminUser | None = None,
                            allowed_origins: list[str] | None = None) -> dict:
    site = sites.create_site(domains, name=name, languages=languages,
                             privacy_url=privacy_url, owner=owner, commit=False,
                             allowed_origins=allowed_origins)
    notice_row = None
    if notice is not None:
        notice_row = analyse_notice(site, notice)
        content = content_from_analysis(site, notice_row.analysis)
    else:
        content = policies.build_content(list(policies.DEFAULT_CATEGORIES), services or [],
                                         privacy_url=privacy_url)
    policy = policies.create_draft(site, content, notice=notice_row, commit=False)
    if publish:
        policies.publish(policy, commit=False)
    db.session.commit()
    return {"site_key": site.site_key, "policy_version": policy.version,
            "published": policy.is_published}


def ensure_demo(base_url: str) -> dict:
    """A demo admin and site, created once; their details kept in the instance folder."""
    state_file = Path(current_app.instance_path) / "demo.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    user = db.session.scalars(select(AdminUser).where(AdminUser.email == DEMO_EMAIL)).first()
    if user is None:
        state["password"] = secrets.token_urlsafe(12)
        user = users.create_user(DEMO_EMAIL, state["password"], is_superuser=True)
    site = db.session.scalars(select(Site).where(Site.site_key == state.get("site_key"))).first()
    if site is None:
        # The demo page is served from base_url (often localhost), which is an allowed origin
        # but not a site domain: domains are public names, the ones scans may visit.
        result = create_site_with_policy(
            DEMO_DOMAINS, name="Demo site", privacy_url=f"{base_url}/demo/privacy",
            services=DEMO_SERVICES, publish=True, owner=user,
            allowed_origins=sorted(set(sites.origins_for(DEMO_DOMAINS)) | {base_url}))
        state["site_key"] = result["site_key"]
        site = sites.get_site(result["site_key"])
    state_file.write_text(json.dumps(state))
    state_file.chmod(0o600)
    key = state["site_key"]
    password = state.get("password", f"(set earlier; see {state_file})")
    text = "\n".join([
        "consent-service demo is ready.",
        f"  Admin:     {base_url}/admin/  login {DEMO_EMAIL} / {password}",
        f"  Site key:  {key}",
        f"  Config:    curl {base_url}/api/v1/sites/{key}/config",
        f"  Demo page: {base_url}/demo/{key}",
        "  Snippet (first element of <head>):",
        f'    <script src="{base_url}/loader/{key}.js"></script>',
    ])
    return {"site_key": key, "email": DEMO_EMAIL, "password": password, "text": text}
