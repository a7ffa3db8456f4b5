"""Consent log: search with keyset pagination, CSV export, one event with its proof."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, g, jsonify, render_template, request, stream_with_context
from sqlalchemy import func, select

from ..extensions import db
from ..models import ConsentEvent, PolicyVersion
from ..services import consent_log, params
from ..services.audit import record
from ..services.consents import ACTIONS, iso
from ..services.errors import Invalid
from . import bp
from .common import site_or_404

EXPORT_FIELDS = ("recorded_at", "receipt_id", "event_id", "seq", "policy_version", "action",
                 "choices", "language", "gpc", "page_url", "client_ip", "ua_family",
                 "event_hash")


def _filter():
    try:
        return consent_log.LogFilter.from_args(request.args), {}
    except Invalid as exc:
        return consent_log.LogFilter(), exc.errors


def _valid_filter() -> consent_log.LogFilter:
    """The JSON and CSV views refuse a bad filter outright (the HTML page shows it)."""
    flt, errors = _filter()
    if errors:
        raise Invalid("Check the search fields", errors)
    return flt


def _versions(site) -> list[int]:
    return list(db.session.scalars(select(PolicyVersion.version).where(
        PolicyVersion.site_id == site.id, PolicyVersion.status == "published")
        .order_by(PolicyVersion.version.desc())))


@bp.get("/sites/<site_key>/log")
def log(site_key):
    site = site_or_404(site_key)
    flt, errors = _filter()
    cursor = request.args.get("cursor") or None
    try:
        rows, next_cursor = consent_log.search(site, flt, cursor)
    except Invalid as exc:
        rows, next_cursor, errors = [], None, exc.errors
    return render_template("admin/log.html", site=site, rows=rows, next_cursor=next_cursor,
                           flt=flt, errors=errors, args=request.args, actions=ACTIONS,
                           categories=consent_log.CATEGORIES, versions=_versions(site),
                           first_page=cursor is None), (422 if errors else 200)


def _event_json(e: ConsentEvent) -> dict:
    return {"receipt_id": e.receipt_id, "event_id": str(e.event_id), "seq": e.seq,
            "recorded_at": iso(e.recorded_at), "policy_version": e.policy_version,
            "action": e.action, "choices": e.choices, "language": e.language, "gpc": e.gpc,
            "event_hash": e.event_hash}


@bp.get("/api/sites/<site_key>/consents")
def log_json(site_key):
    site = site_or_404(site_key)
    flt = _valid_filter()
    rows, next_cursor = consent_log.search(site, flt, request.args.get("cursor") or None)
    return jsonify({"items": [_event_json(e) for e in rows], "next_cursor": next_cursor})


@bp.get("/sites/<site_key>/log.csv")
def log_export(site_key):
    site = site_or_404(site_key)
    flt = _valid_filter()
    record("consent_log.export", user_id=g.user.id, site_id=site.id,
           details={"filter": flt.query_args()})

    from ..proof.exports import csv_safe  # OWASP CSV-injection rule, as in exports

    def rows():
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(EXPORT_FIELDS)
        for e in consent_log.iterate(site, flt):
            data = _event_json(e) | {"page_url": e.page_url, "client_ip": e.client_ip,
                                     "ua_family": e.ua_family}
            data["choices"] = ";".join(f"{k}={'1' if v else '0'}" for k, v in e.choices.items())
            writer.writerow([csv_safe(data.get(f)) for f in EXPORT_FIELDS])
            if buf.tell() > 64 * 1024:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    name = f"consents-{site.site_key}.csv"
    return Response(stream_with_context(rows()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/sites/<site_key>/log/<receipt_id>")
def log_event(site_key, receipt_id):
    site = site_or_404(site_key)
    event = consent_log.get_event(site, receipt_id) if params.is_token(receipt_id) else None
    if event is None:
        abort(404)
    head = db.session.scalar(select(func.max(ConsentEvent.seq))
                             .where(ConsentEvent.site_id == site.id))
    return render_template("admin/log_event.html", site=site, event=event,
                           check=consent_log.verify(site, event), head_seq=head,
                           recorded=iso(event.recorded_at))
