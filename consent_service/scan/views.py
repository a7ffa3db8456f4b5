"""Admin pages for site scans: list and start, status and report, propose a policy draft.

A blueprint of its own under /admin that reuses the admin dashboard's session and role
checks (``admin.common.load_user`` / ``site_or_404``) and its ``admin/base.html`` layout.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from ..admin.common import no_store
from ..services.errors import ServiceError
from . import jobs

bp = Blueprint("scan_admin", __name__, url_prefix="/admin", template_folder="templates")

REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'"


@bp.before_request
def _login():
    from ..admin.common import load_user

    return load_user()


bp.after_request(no_store)  # the admin's own security headers


def _site(site_key: str, role: str = "viewer"):
    from ..admin.common import site_or_404

    return site_or_404(site_key, role)


@bp.get("/sites/<site_key>/scans")
def scans(site_key):
    site = _site(site_key)
    return render_template("scan/scans.html", site=site, scans=jobs.list_scans(site),
                           default_url=jobs.default_url(site))


@bp.post("/sites/<site_key>/scans")
def scan_start(site_key):
    site = _site(site_key, "editor")
    pages = request.form.get("pages", type=int)
    try:
        scan = jobs.start_scan(site, request.form.get("url"), pages=pages, user_id=g.user.id)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".scans", site_key=site_key))
    flash(f"Scan {scan.id} {scan.status}.", "info")
    return redirect(url_for(".scan_view", site_key=site_key, scan_id=scan.id))


def _scan(site, scan_id):
    try:
        return jobs.get_scan(site, scan_id)
    except ServiceError:
        abort(404)


@bp.get("/sites/<site_key>/scans/<int:scan_id>")
def scan_view(site_key, scan_id):
    site = _site(site_key)
    scan = _scan(site, scan_id)
    result = scan.result or {}
    missing = [s for s in result.get("services", []) if s.get("in_policy") is False]
    return render_template("scan/scan.html", site=site, scan=scan, result=result,
                           missing=missing)


@bp.get("/sites/<site_key>/scans/<int:scan_id>/report")
def scan_report(site_key, scan_id):
    site = _site(site_key)
    scan = _scan(site, scan_id)
    if not scan.report_html:
        abort(404)
    resp = make_response(scan.report_html)
    resp.mimetype = "text/html"
    resp.headers["Content-Security-Policy"] = REPORT_CSP
    return resp


@bp.post("/sites/<site_key>/scans/<int:scan_id>/propose")
def scan_propose(site_key, scan_id):
    site = _site(site_key, "editor")
    scan = _scan(site, scan_id)
    try:
        draft, added = jobs.propose_policy(site, scan, user_id=g.user.id)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".scan_view", site_key=site_key, scan_id=scan_id))
    flash(f"Draft version {draft.version} adds {', '.join(added)}: review it before "
          "publishing.", "info")
    return redirect(url_for("admin.policy_view", site_key=site_key, version=draft.version))
