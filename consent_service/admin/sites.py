"""Sites: list, create, overview, edit, API keys, members, embed code."""

from __future__ import annotations

import secrets

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import AdminUser, ApiKey, SiteMembership
from ..services import sites as site_service
from ..services import users
from ..services.audit import record
from ..services.errors import Invalid
from ..services.policies import current_policy
from ..services.siteconfig import invalidate
from . import bp
from .common import row_of_site_or_404, site_or_404, visible_sites
from .forms import ApiKeyForm, MemberForm, SiteForm, split_lines


@bp.get("/")
def index():
    return redirect(url_for("admin.sites"))


@bp.get("/sites")
def sites():
    from ..services.maintenance import status

    jobs = status() if g.user.is_superuser else None  # the service's own health: superusers
    return render_template("admin/sites.html", sites=visible_sites(g.user), jobs=jobs)


def _site_values(form: SiteForm) -> dict:
    languages = [lang for lang in request.form.getlist("languages")
                 if lang in ("fi", "sv", "en")] or ["fi"]
    return {"domains": split_lines(form.domains.data), "name": form.name.data or None,
            "languages": list(dict.fromkeys(languages)),
            "allowed_origins": split_lines(form.allowed_origins.data) or None,
            "privacy_url": form.privacy_url.data or None}


@bp.route("/sites/new", methods=["GET", "POST"])
def site_new():
    if not site_service.may_create_sites(g.user):
        abort(403)  # superusers, or users an operator granted it (sites can be scanned)
    form = SiteForm()
    if form.validate_on_submit():
        values = _site_values(form)
        try:
            site = site_service.create_site(values.pop("domains"), owner=g.user, **values)
        except Invalid as exc:
            form.domains.errors = [exc.message + ": " + ", ".join(
                str(v) for vs in exc.errors.values() for v in vs)]
        else:
            flash(f"Site {site.name} created. Next: analyse its privacy notice.", "info")
            return redirect(url_for("admin.site", site_key=site.site_key))
    return render_template("admin/site_form.html", form=form, site=None)


@bp.get("/sites/<site_key>")
def site(site_key):
    site = site_or_404(site_key)
    return render_template("admin/site.html", site=site, policy=current_policy(site))


@bp.route("/sites/<site_key>/edit", methods=["GET", "POST"])
def site_edit(site_key):
    site = site_or_404(site_key, "owner")
    form = SiteForm(data={"name": site.name, "domains": "\n".join(site.domains),
                          "allowed_origins": "\n".join(site.allowed_origins),
                          "languages": site.languages, "privacy_url": site.privacy_url})
    if form.validate_on_submit():
        values = _site_values(form)
        try:
            domains = [site_service.normalise_domain(d) for d in values["domains"]]
        except Invalid as exc:
            form.domains.errors = [exc.message + ": " + ", ".join(exc.errors.get("domain", []))]
        else:
            if not domains:
                form.domains.errors = ["A site needs at least one domain"]
                return render_template("admin/site_form.html", form=form, site=site)
            # TODO(lead): move into services.sites.update_site.
            site.name = values["name"] or domains[0]
            site.domains = domains
            site.allowed_origins = values["allowed_origins"] or site_service.origins_for(domains)
            site.languages = values["languages"]
            site.privacy_url = values["privacy_url"]
            record("site.edit", user_id=g.user.id, site_id=site.id,
                   details={"domains": domains, "languages": site.languages,
                            "allowed_origins": site.allowed_origins})
            invalidate(site.site_key)
            flash("Site saved.", "info")
            return redirect(url_for("admin.site", site_key=site.site_key))
    return render_template("admin/site_form.html", form=form, site=site)


def _keys(site):
    return list(db.session.scalars(
        select(ApiKey).where(ApiKey.site_id == site.id).order_by(ApiKey.id.desc())))


@bp.route("/sites/<site_key>/keys", methods=["GET", "POST"])
def keys(site_key):
    site = site_or_404(site_key, "owner")
    form = ApiKeyForm()
    new_key = None
    if form.validate_on_submit():
        _row, new_key = site_service.create_api_key(site, form.name.data.strip(),
                                                    role=form.role.data, user_id=g.user.id)
    # The full key is in this response only (no redirect, no flash: sessions are not secret).
    return render_template("admin/keys.html", site=site, form=form, keys=_keys(site),
                           new_key=new_key)


@bp.post("/sites/<site_key>/keys/<int:key_id>/revoke")
def key_revoke(site_key, key_id):
    site = site_or_404(site_key, "owner")
    row = row_of_site_or_404(ApiKey, key_id, site)
    if row.revoked_at is None:
        site_service.revoke_api_key(row, user_id=g.user.id)
        flash(f"Key {row.prefix} revoked.", "info")
    return redirect(url_for("admin.keys", site_key=site.site_key))


def _members(site):
    return list(db.session.execute(
        select(SiteMembership, AdminUser).join(AdminUser, AdminUser.id == SiteMembership.user_id)
        .where(SiteMembership.site_id == site.id).order_by(AdminUser.email)))


@bp.route("/sites/<site_key>/members", methods=["GET", "POST"])
def members(site_key):
    site = site_or_404(site_key, "owner")
    form = MemberForm()
    created = None
    if form.validate_on_submit():
        email, role = form.email.data.strip().lower(), form.role.data
        member = next((u for _m, u in _members(site) if u.email == email), None)
        if member is not None:      # already listed on this page: nothing to hide
            users.grant(member, site.id, role, actor_id=g.user.id)
            flash(f"{email} is now {role} on this site.", "info")
        elif not g.user.is_superuser:
            # The same answer whether or not the address has an account: an owner must not
            # learn who else uses the service. The role waits until its holder accepts.
            users.invite(site.id, email, role, actor_id=g.user.id)
            flash(f"Invitation recorded: {email} as {role}. They accept it on their account "
                  "page after logging in; an operator creates accounts for people who have "
                  "none.", "info")
        else:                       # operators see every account anyway
            user = db.session.scalars(select(AdminUser).where(AdminUser.email == email)).first()
            if user is None:
                password = secrets.token_urlsafe(12)
                user = users.create_user(email, password, actor_id=g.user.id)
                created = {"email": email, "password": password}
            users.grant(user, site.id, role, actor_id=g.user.id)
            if created is None:
                flash(f"{email} is now {role} on this site.", "info")
        if created is None:
            return redirect(url_for("admin.members", site_key=site.site_key))
        form = MemberForm(formdata=None)
    return render_template("admin/members.html", site=site, form=form,
                           members=_members(site), created=created,
                           invitations=users.site_invitations(site.id))


@bp.get("/sites/<site_key>/embed")
def embed(site_key):
    site = site_or_404(site_key)
    base = current_app.config.get("PUBLIC_URL")
    base = (base + "/") if base else request.host_url
    tag = f'<script src="{base}loader/{site.site_key}.js"></script>'
    return render_template("admin/embed.html", site=site, tag=tag,
                           policy=current_policy(site))
