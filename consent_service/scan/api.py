"""Admin API: start a site scan and read its result (admin API key, editor or above)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from ..api.auth import require_api_key
from ..api.blueprint import Blueprint
from . import jobs

blp = Blueprint("scans", __name__, url_prefix="/api/v1",
                description="Site scans (admin API key)")


class ScanIn(ma.Schema):
    url = ma.fields.String(load_default=None, metadata={"description": "defaults to the site"})
    pages = ma.fields.Integer(load_default=None, strict=True, validate=ma.validate.Range(1, 20))


class ScanOut(ma.Schema):
    id = ma.fields.Integer()
    url = ma.fields.String()
    status = ma.fields.String(metadata={"description": "queued | running | done | failed"})
    created_at = ma.fields.String()
    started_at = ma.fields.String(allow_none=True)
    finished_at = ma.fields.String(allow_none=True)
    error = ma.fields.Dict(allow_none=True)
    findings = ma.fields.Integer()
    result = ma.fields.Dict(allow_none=True, metadata={"description": "site-scan/1 document"})


def _authorise(site_key: str, needed: str):
    key = require_api_key(needed, site_key)
    return key.site, key


def _out(scan) -> dict:
    return {**scan.summary(), "result": scan.result}


@blp.route("/sites/<string:site_key>/scans")
class Scans(MethodView):
    @blp.arguments(ScanIn(), required=False)  # all fields optional: no body scans the site
    @blp.response(202, ScanOut)
    @blp.doc(security=[{"apiKey": []}])
    def post(self, body, site_key):
        """Start a scan of the site (or of `url`, which must be on the site's domains)."""
        site, _ = _authorise(site_key, "editor")
        scan = jobs.start_scan(site, body.get("url"), pages=body.get("pages"))
        return _out(scan), 202, {"Location": f"/api/v1/sites/{site_key}/scans/{scan.id}"}


@blp.route("/sites/<string:site_key>/scans/<int:scan_id>")
class ScanOne(MethodView):
    @blp.response(200, ScanOut)
    @blp.doc(security=[{"apiKey": []}])
    def get(self, site_key, scan_id):
        """A scan's status and, when done, its site-scan/1 result."""
        site, _ = _authorise(site_key, "viewer")
        return _out(jobs.get_scan(site, scan_id))
