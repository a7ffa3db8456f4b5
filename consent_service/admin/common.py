"""Authentication, per-site access checks and template helpers shared by the admin views."""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import ROLES, AdminUser, Site, SiteMembership
from ..services import sessions
from ..services.users import has_role, role_on
from . import bp

# Endpoints reachable without a session.
PUBLIC_ENDPOINTS = {"admin.login"}


def session_fingerprint(user: AdminUser) -> str:
    """Also bound into the cookie: a password hash changed out of band (CLI, another
    tool) ends the user's sessions even where no row was deleted."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hashlib.sha256(secret + user.password_hash.encode()).hexdigest()[:24]


def start_session(user: AdminUser) -> None:
    """A server-side session for `user` in this browser. Clearing first drops everything
    an attacker could have planted in the cookie before login."""
    session.clear()
    g.pop("csrf_token", None)      # Flask-WTF caches the old session's token per context
    session["uid"] = user.id
    session["fp"] = session_fingerprint(user)
    session["sid"] = sessions.start(user, user_agent=request.headers.get("User-Agent"),
                                    remote_addr=request.remote_addr,
                                    secret=current_app.config["SECRET_KEY"])


@bp.before_request
def load_user():
    g.user = g.site = g.role = g.admin_session = None
    if "sid" in session or "uid" in session:
        found = sessions.lookup(session.get("sid"))
        if found is not None and found[1].id == session.get("uid") \
                and session.get("fp") == session_fingerprint(found[1]):
            g.admin_session, g.user = found
        else:              # ended (logout, password change, expiry) or forged
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
    # No inline code runs but ours: static files, or a tag carrying this response's nonce.
    nonce = g.get("csp_nonce")
    extra = f" 'nonce-{nonce}'" if nonce else ""
    resp.headers.setdefault("Content-Security-Policy", ADMIN_CSP.format(nonce=extra))
    if current_app.config["CONSENT_ENV"] == "production":
        resp.headers.setdefault("Strict-Transport-Security", HSTS)
    return resp


ADMIN_CSP = ("default-src 'self'; script-src 'self'{nonce}; style-src 'self'{nonce}; "
             "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
             "frame-ancestors 'self'")
HSTS = "max-age=31536000"  # subdomains are the operator's to decide


def csp_nonce() -> str:
    """The nonce for an inline <script>/<style> in this response (made on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


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

    return {"can": can, "ROLES": ROLES, "csp_nonce": csp_nonce}
