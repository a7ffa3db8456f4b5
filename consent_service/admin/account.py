"""The user's own account: active sessions, "log out everywhere", password change, and
invitations to sites waiting for an answer."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, session, url_for

from ..extensions import db
from ..models import Site
from ..services import sessions, users
from ..services.errors import Invalid, NotFound
from . import bp
from .common import start_session
from .forms import PasswordChangeForm


def _page(form: PasswordChangeForm, status: int = 200):
    invitations = [(inv, db.session.get(Site, inv.site_id))
                   for inv in users.invitations_for(g.user)]
    return render_template("admin/account.html", form=form,
                           sessions=sessions.active(g.user), current=g.admin_session,
                           invitations=invitations), status


@bp.get("/account")
def account():
    return _page(PasswordChangeForm(formdata=None))


@bp.post("/account/password")
def password_change():
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        ended = users.change_password(g.user, form.current.data, form.new.data)
    except Invalid as exc:
        for name, _ in exc.errors.items():
            getattr(form, name).errors = [exc.message]
        return _page(form, 422)
    start_session(g.user)   # this browser goes on, on a new session; the others are over
    others = ended - 1
    flash("Password changed." + (f" {others} other session(s) logged out." if others > 0
                                 else ""), "info")
    return redirect(url_for("admin.account"))


@bp.post("/account/sessions/logout-all")
def logout_everywhere():
    sessions.end_all(g.user)
    session.clear()
    g.pop("csrf_token", None)
    flash("You have logged out on every browser and device.", "info")
    return redirect(url_for("admin.login"))


@bp.post("/account/sessions/<int:session_id>/revoke")
def session_revoke(session_id):
    if not sessions.end_one(g.user, session_id):
        abort(404)
    if g.admin_session is not None and session_id == g.admin_session.id:
        session.clear()
        return redirect(url_for("admin.login"))
    flash("That session is logged out.", "info")
    return redirect(url_for("admin.account"))


@bp.post("/account/invitations/<int:invitation_id>/<any(accept, decline):answer>")
def invitation_answer(invitation_id, answer):
    try:
        row = users.answer_invitation(g.user, invitation_id, accept=answer == "accept")
    except NotFound:
        abort(404)
    if answer == "accept":
        site = db.session.get(Site, row.site_id)
        flash(f"You are now {row.role} on {site.name}.", "info")
        return redirect(url_for("admin.site", site_key=site.site_key))
    flash("Invitation declined.", "info")
    return redirect(url_for("admin.account"))
