"""Proof endpoints: published signing keys, admin exports and bundles, receipt proofs."""

from __future__ import annotations

import os
import tempfile

from flask import current_app, send_file, stream_with_context
from flask.views import MethodView

from ..api.blueprint import Blueprint
from ..schemas.public import ErrorOut, ReceiptQuery
from ..services import consents
from ..services.sites import get_site
from .models import SigningKey
from .schemas import ExportQuery, ProofOut, RangeQuery, SealResult, SigningKeyOut, VerifyOut

keys_blp = Blueprint("proof_keys", __name__, url_prefix="/api/v1",
                     description="Public keys that sign consent-chain seals and proofs")
admin_blp = Blueprint("proof_admin", __name__, url_prefix="/api/v1/admin",
                      description="Consent records: exports, proof bundles, seals "
                                  "(site admin API key as Bearer token)")
SECURITY = [{"apiKey": []}]  # the scheme create_app registers


def init_app(app) -> None:
    """Register the blueprints on the flask-smorest Api (one call from create_app)."""
    from ..extensions import api, csrf

    for blp in (keys_blp, admin_blp):
        api.register_blueprint(blp)
        csrf.exempt(blp)


def require_key(site_key: str, role: str = "viewer"):
    """The site, when the Bearer key belongs to it with at least `role` (shared check)."""
    from ..api.auth import require_api_key

    key = require_api_key(role, site_key)
    return get_site(site_key), key.prefix


@keys_blp.route("/signing-keys")
class SigningKeys(MethodView):
    @keys_blp.response(200, SigningKeyOut(many=True))
    def get(self):
        """Every Ed25519 public key that signed seals or proofs, current and retired."""
        from sqlalchemy import select

        from ..extensions import db
        from .seals import get_signer

        get_signer()
        return db.session.scalars(select(SigningKey).order_by(SigningKey.created_at)).all()


@keys_blp.route("/receipts/<string(maxlength=40):receipt_id>/proof")
class ReceiptProof(MethodView):
    @keys_blp.arguments(ReceiptQuery(), location="query")
    @keys_blp.response(200, ProofOut)
    @keys_blp.alt_response(404, schema=ErrorOut, description="Unknown receipt or bad token")
    def get(self, query, receipt_id):
        """A signed proof of one consent event, for whoever holds its receipt token."""
        from .receipts import build_proof

        event, site = consents.get_receipt(receipt_id, query["token"],
                                           current_app.config["SECRET_KEY"])
        return build_proof(event, site)


ERRORS = ((401, "No or unknown API key"), (403, "The key's role is too low"),
          (404, "Unknown site, or a key of another site"), (422, "Bad query"))


def _errors(blp):
    def wrap(fn):
        for status, text in ERRORS:
            fn = blp.alt_response(status, schema=ErrorOut, description=text)(fn)
        return blp.doc(security=SECURITY)(fn)
    return wrap


EXPORT_200 = ("Streamed: text/csv, application/x-ndjson or application/json "
              "(ISO/IEC TS 27560 records)")


@admin_blp.route("/sites/<string:site_key>/export")
class Export(MethodView):
    @admin_blp.arguments(ExportQuery(), location="query")
    @admin_blp.response(200)
    @admin_blp.doc(responses={"200": {"description": EXPORT_200, "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/x-ndjson": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "object"}},
    }}})
    @_errors(admin_blp)
    def get(self, query, site_key):
        """Stream the consent records of [from, to) as csv, ndjson or json27560."""
        from .exports import EXTENSIONS, MEDIA_TYPES, audit_export, generate

        site, prefix = require_key(site_key)
        fmt, start, end = query["format"], query["from_"], query["to"]
        audit_export(site, fmt, start, end, rows=None, via="api", api_key=prefix)
        body = generate(site, fmt, start, end)
        resp = current_app.response_class(stream_with_context(body), mimetype=None,
                                          content_type=MEDIA_TYPES[fmt])
        resp.headers["Content-Disposition"] = (
            f'attachment; filename="{site_key}-consents.{EXTENSIONS[fmt]}"')
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.cache_control.no_store = True
        return resp


@admin_blp.route("/sites/<string:site_key>/bundle")
class Bundle(MethodView):
    @admin_blp.arguments(RangeQuery(), location="query")
    @admin_blp.response(200)
    @admin_blp.doc(responses={"200": {"description": "The proof bundle zip", "content": {
        "application/zip": {"schema": {"type": "string", "format": "binary"}}}}})
    @_errors(admin_blp)
    def get(self, query, site_key):
        """A proof bundle zip of [from, to) (seals the current head first)."""
        from .bundle import build_bundle

        site, _prefix = require_key(site_key)
        fd, path = tempfile.mkstemp(suffix=".zip")
        os.close(fd)
        try:
            build_bundle(site, path, query["from_"], query["to"], via="api")
            fh = open(path, "rb")  # noqa: SIM115  (send_file closes it)
        finally:
            os.unlink(path)  # the open handle keeps the data until the response ends
        return send_file(fh, mimetype="application/zip", as_attachment=True,
                         download_name=f"{site_key}-proof.zip", max_age=0)


@admin_blp.route("/sites/<string:site_key>/seal")
class Seal(MethodView):
    @admin_blp.response(200, SealResult)
    @_errors(admin_blp)
    def post(self, site_key):
        """Seal the site's chain head now (editor role); sealed=false when already sealed."""
        from .seals import seal_dict, seal_site

        site, _prefix = require_key(site_key, "editor")
        seal = seal_site(site)
        return {"sealed": seal is not None,
                "seal": seal_dict(seal, site_key) if seal is not None else None}


@admin_blp.route("/sites/<string:site_key>/verify")
class Verify(MethodView):
    @admin_blp.response(200, VerifyOut)
    @_errors(admin_blp)
    def get(self, site_key):
        """Verify the live chain: hashes, links, policies, personal digests, seals."""
        from .verify import verify_site

        site, _prefix = require_key(site_key)
        return verify_site(site).as_dict()
