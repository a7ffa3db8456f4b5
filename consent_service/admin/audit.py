"""Audit log: owners read their site's entries; superusers also the global ones."""

from __future__ import annotations

from flask import abort, g, render_template, request

from ..services import params
from ..services.audit import entries
from ..services.errors import Invalid
from . import bp
from .common import site_or_404


def _before() -> int | None:
    errors: dict = {}
    before = params.parse_int(request.args.get("before"), "before", errors)
    if errors:
        raise Invalid("Bad page link", errors)
    return before


@bp.get("/sites/<site_key>/audit")
def audit(site_key):
    site = site_or_404(site_key, "owner")
    rows, next_before = entries(site.id, before_id=_before())
    return render_template("admin/audit.html", site=site, rows=rows, next_before=next_before)


@bp.get("/audit")
def audit_all():
    if not g.user.is_superuser:
        abort(404)
    rows, next_before = entries(None, before_id=_before())
    return render_template("admin/audit.html", site=None, rows=rows, next_before=next_before)
