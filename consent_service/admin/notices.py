"""Notice workflow: paste / upload / URL → analysis with highlighted evidence → draft."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import Notice, PolicyVersion
from ..services import policies
from ..services.audit import record
from ..services.errors import Invalid
from ..services.setup import analyse_notice, content_from_analysis
from . import bp
from .common import row_of_site_or_404, site_or_404
from .forms import NoticeForm
from .highlight import collect, segments

CATEGORY_ORDER = ("necessary", "preferences", "analytics", "marketing")


def latest_draft(site) -> PolicyVersion | None:
    return db.session.scalars(
        select(PolicyVersion).where(PolicyVersion.site_id == site.id,
                                    PolicyVersion.status == "draft")
        .order_by(PolicyVersion.version.desc()).limit(1)).first()


@bp.get("/sites/<site_key>/notices")
def notices(site_key):
    site = site_or_404(site_key, "editor")
    rows = db.session.scalars(select(Notice).where(Notice.site_id == site.id)
                              .order_by(Notice.id.desc()).limit(100))
    return render_template("admin/notices.html", site=site, notices=list(rows))


def _raw_input(form: NoticeForm) -> tuple[bytes | str | None, str]:
    upload = form.file.data
    if upload and getattr(upload, "filename", ""):
        return upload.read(), "upload"
    if form.text.data and form.text.data.strip():
        return form.text.data, "paste"
    return None, "url"


@bp.route("/sites/<site_key>/notices/new", methods=["GET", "POST"])
def notice_new(site_key):
    site = site_or_404(site_key, "editor")
    form = NoticeForm()
    if form.validate_on_submit():
        raw, source = _raw_input(form)
        if raw is None:
            form.text.errors = [
                "Paste the notice text or upload the file"
                + (" (the URL is stored, not fetched)" if form.source_url.data else "")]
            return render_template("admin/notice_new.html", site=site, form=form), 422
        try:
            notice = analyse_notice(site, raw, source=source,
                                    source_url=form.source_url.data or None, user_id=g.user.id)
            content = content_from_analysis(site, notice.analysis)
        except Invalid as exc:
            db.session.rollback()
            form.text.errors = [exc.message]
            return render_template("admin/notice_new.html", site=site, form=form), 422
        draft = latest_draft(site)
        if draft is None:
            draft = policies.create_draft(site, content, notice=notice, commit=False)
        else:
            draft.notice_id, draft.notice_hash = notice.id, notice.text_hash
            draft.content, draft.content_hash = content, policies.content_hash(content)
        record("notice.analyse", user_id=g.user.id, site_id=site.id,
               details={"notice_id": notice.id, "source": source, "draft": draft.version,
                        "text_hash": notice.text_hash})
        return redirect(url_for("admin.notice", site_key=site.site_key, notice_id=notice.id))
    return render_template("admin/notice_new.html", site=site, form=form)


@bp.get("/sites/<site_key>/notices/<int:notice_id>")
def notice(site_key, notice_id):
    site = site_or_404(site_key, "editor")
    row = row_of_site_or_404(Notice, notice_id, site)
    analysis = row.analysis or {}
    items = collect(analysis)
    parts = segments(row.text, items)
    draft = db.session.scalars(
        select(PolicyVersion).where(PolicyVersion.site_id == site.id,
                                    PolicyVersion.notice_id == row.id)
        .order_by(PolicyVersion.version.desc()).limit(1)).first()
    if items and not any(ev.found for ev in items):
        flash("None of the evidence quotes was found in the stored text.", "error")
    categories = [(c, (analysis.get("categories") or {}).get(c, {"used": False, "evidence": []}))
                  for c in CATEGORY_ORDER]
    return render_template("admin/notice.html", site=site, notice=row, analysis=analysis,
                           categories=categories, items=items, parts=parts, draft=draft)
