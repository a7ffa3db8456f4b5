"""Authentication, per-site access checks and template helpers shared by the admin views."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import ROLES, AdminUser, Site, SiteMembership
from ..services.users import has_role, role_on
from . import bp

# Endpoints reachable without a session.
PUBLIC_ENDPOINTS = {"admin.login"}


def session_fingerprint(user: AdminUser) -> str:
    """Bound into the session: a password change ends every other session of the user."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hashlib.sha256(secret + user.password_hash.encode()).hexdigest()[:24]


def start_session(user: AdminUser) -> None:
    # Cookie sessions: clearing drops everything an attacker could have planted before login.
    session.clear()
    g.pop("csrf_token", None)      # Flask-WTF caches the old session's token per context
    session["uid"] = user.id
    session["fp"] = session_fingerprint(user)


@bp.before_request
def load_user():
    g.user = g.site = g.role = None
    uid = session.get("uid")
    if uid is not None:
        user = db.session.get(AdminUser, uid)
        if user is not None and session.get("fp") == session_fingerprint(user):
            g.user = user
        else:
            session.clear()
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if request.path.startswith("/admin/api") or request.path.endswith(".json"):
            abort(401)
        return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
    return None


@bp.after_request
def no_store(resp):
    """Admin pages carry personal data and one-time secrets: never cached, never framed
    by another site. Other admin blueprints (site scans) register this hook too."""
    resp.headers.setdefault("Cache-Control", "no-store")
    resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    return resp


def safe_next(target: str | None) -> str:
    """Only same-site admin paths; anything else goes to the site list."""
    if target and target.startswith("/admin") and not urlsplit(target).netloc \
            and not target.startswith("//"):
        return target
    return url_for("admin.sites")


def site_or_404(site_key: str, role: str = "viewer") -> Site:
    """The site if the user may see it; 404 without any role (existence is not leaked),
    403 when the user sees the site but lacks `role`."""
    site = db.session.scalars(select(Site).where(Site.site_key == site_key)).first()
    if site is None or role_on(g.user, site.id) is None:
        abort(404)
    if not has_role(g.user, site.id, role):
        abort(403, f"This needs the {role} role on the site")
    g.site = site
    g.role = role_on(g.user, site.id)
    return site


def row_of_site_or_404(model, row_id: int, site: Site):
    """A row (notice, API key, …) by id, only if it belongs to `site`: ids of other sites'
    rows answer 404 like unknown ones."""
    row = db.session.get(model, row_id)
    if row is None or row.site_id != site.id:
        abort(404)
    return row


def visible_sites(user: AdminUser) -> list[Site]:
    query = select(Site).order_by(Site.name)
    if not user.is_superuser:
        query = query.join(SiteMembership, SiteMembership.site_id == Site.id).where(
            SiteMembership.user_id == user.id)
    return list(db.session.scalars(query))


@bp.app_context_processor
def admin_helpers():
    def can(role: str) -> bool:
        site = g.get("site")
        user = g.get("user")
        return bool(site and user and has_role(user, site.id, role))

    return {"can": can, "ROLES": ROLES}
