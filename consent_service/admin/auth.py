"""Login and logout."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy import select

from ..extensions import db, limiter
from ..models import AdminUser, utcnow
from ..security import hash_password, minimise_ip, verify_password
from ..services import sessions, users
from ..services.audit import record
from . import bp
from .common import safe_next, start_session
from .forms import LoginForm

# Verifying against a dummy hash makes an unknown email cost the same time as a known one.
_DUMMY_HASH = hash_password("not-a-real-password")


def login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if g.user is not None and request.method == "GET":
        return redirect(url_for("admin.sites"))
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalars(select(AdminUser).where(AdminUser.email == email)).first()
        ok = verify_password(user.password_hash if user else _DUMMY_HASH, form.password.data)
        if user is not None and ok:
            start_session(user)
            user.last_login_at = utcnow()
            record("login", user_id=user.id, details={"ip": minimise_ip(
                request.remote_addr, "truncate", current_app.config["SECRET_KEY"])})
            if users.invitations_for(user):
                flash("You have invitations to sites: see your account page.", "info")
            return redirect(safe_next(request.args.get("next")))
        record("login.failed", details={"email": email[:320]})
        flash("Wrong email or password.", "error")
        return render_template("admin/login.html", form=form), 401
    return render_template("admin/login.html", form=form)


@bp.post("/logout")
def logout():
    record("logout", user_id=g.user.id)
    sessions.end(session.get("sid"))   # the server forgets it: a copied cookie is dead too
    session.clear()
    g.pop("csrf_token", None)
    flash("You have logged out.", "info")
    return redirect(url_for("admin.login"))
