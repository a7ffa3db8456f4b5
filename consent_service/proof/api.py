"""Proof endpoints: published signing keys, admin exports and bundles, receipt proofs."""

from __future__ import annotations

import os
import tempfile

from flask import current_app, request, send_file, stream_with_context
from flask.views import MethodView
from marshmallow import ValidationError

from ..api.blueprint import Blueprint, load_body
from ..schemas.public import ErrorOut
from ..services import consents
from ..services.errors import ServiceError
from ..services.sites import get_site
from .models import SigningKey
from .schemas import (
    ConsistencyOut,
    ConsistencyQuery,
    ExportQuery,
    HeadsOut,
    HeadsQuery,
    ProofOut,
    RangeQuery,
    SealResult,
    SigningKeyOut,
    TokenIn,
    VerifyOut,
)

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
        """Every Ed25519 public key that signed seals or proofs, current and retired.

        Read from the database only: a machine without the key file answers the same."""
        from cryptography.hazmat.primitives import serialization
        from sqlalchemy import select

        from ..extensions import db
        from .seals import fingerprint_of

        rows = db.session.scalars(select(SigningKey).order_by(SigningKey.created_at)).all()
        return [{"key_id": r.key_id, "algorithm": r.algorithm,
                 "public_key_pem": r.public_key_pem, "created_at": r.created_at,
                 "retired_at": r.retired_at,
                 "fingerprint": fingerprint_of(
                     serialization.load_pem_public_key(r.public_key_pem.encode()))}
                for r in rows]


TOKEN_HEADER = "X-Receipt-Token"
TOKEN_DOC = {"parameters": [{"in": "header", "name": TOKEN_HEADER, "required": True,
                             "schema": {"type": "string"},
                             "description": "the signed receipt token (never in the URL)"}]}
TOKEN_BODY_DOC = {"requestBody": {"content": {"application/json": {"schema": {
    "type": "object", "required": ["token"],
    "properties": {"token": {"type": "string", "maxLength": 400}}}}}}}


def receipt_token() -> str:
    """The receipt token from the X-Receipt-Token header (GET) or a JSON body (POST).

    Never from the query string: URLs reach access logs and proxies' logs."""
    if "token" in request.args:
        raise ServiceError(400, "Send the receipt token in the X-Receipt-Token header or a "
                           "POST body, not in the URL (URLs are logged)",
                           {"token": ["not accepted in the query string"]},
                           code="token_in_url")
    if request.method == "POST":
        return load_body(request.get_data(cache=False), TokenIn())["token"]
    token = request.headers.get(TOKEN_HEADER, "")
    if not token or len(token) > 400:
        raise ServiceError(400, f"Send the receipt token in the {TOKEN_HEADER} header",
                           {TOKEN_HEADER: ["missing or too long"]}, code="token_missing")
    return token


def _receipt_proof(receipt_id):
    from .receipts import build_proof

    event, site = consents.get_receipt(receipt_id, receipt_token(),
                                       current_app.config["SECRET_KEY"])
    return build_proof(event, site)


@keys_blp.route("/receipts/<string(maxlength=40):receipt_id>/proof")
class ReceiptProof(MethodView):
    @keys_blp.response(200, ProofOut)
    @keys_blp.alt_response(400, schema=ErrorOut, description="Token missing or in the URL")
    @keys_blp.alt_response(404, schema=ErrorOut, description="Unknown receipt or bad token")
    @keys_blp.alt_response(503, schema=ErrorOut, description="No signing key on this server")
    @keys_blp.doc(**TOKEN_DOC)
    def get(self, receipt_id):
        """A signed proof of one consent event, for whoever holds its receipt token."""
        return _receipt_proof(receipt_id)

    @keys_blp.response(200, ProofOut)
    @keys_blp.alt_response(400, schema=ErrorOut, description="Token missing or in the URL")
    @keys_blp.alt_response(404, schema=ErrorOut, description="Unknown receipt or bad token")
    @keys_blp.alt_response(503, schema=ErrorOut, description="No signing key on this server")
    @keys_blp.doc(**TOKEN_BODY_DOC)
    def post(self, receipt_id):
        """The same proof, with the receipt token in a JSON body {"token": …}."""
        return _receipt_proof(receipt_id)


def _query(schema):
    try:
        return schema.load(request.args.to_dict())
    except ValidationError as exc:
        raise ServiceError(400, "Bad query parameters", exc.messages,
                           code="bad_request") from exc


def _public_site(site_key: str):
    from .. import ratelimit
    from ..extensions import client_address

    ratelimit.enforce(current_app.config.get("RATELIMIT_SEALS", "120/minute"), "seals",
                      "ip:" + client_address())
    if len(site_key) > 64:
        raise ServiceError(404, "Unknown site", code="not_found")
    return get_site(site_key)


@keys_blp.route("/sites/<string:site_key>/seals")
class Heads(MethodView):
    @keys_blp.response(200, HeadsOut)
    @keys_blp.alt_response(400, schema=ErrorOut, description="Bad after or limit")
    @keys_blp.alt_response(404, schema=ErrorOut, description="Unknown site")
    @keys_blp.alt_response(429, schema=ErrorOut, description="Rate limited")
    @keys_blp.doc(parameters=[
        {"in": "query", "name": "after",
         "schema": {"type": "integer", "minimum": 0, "maximum": 2**62}},
        {"in": "query", "name": "limit",
         "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}])
    def get(self, site_key):
        """Signed tree heads with tree_size > after, oldest first (for witnesses)."""
        from .seals import head_dict, tree_heads

        query = _query(HeadsQuery())
        site = _public_site(site_key)
        heads, more = tree_heads(site, query["after"], query["limit"])
        return {"site_key": site.site_key, "heads": [head_dict(h) for h in heads],
                "next_after": heads[-1].seq if more and heads else None}


@keys_blp.route("/sites/<string:site_key>/seals/consistency")
class Consistency(MethodView):
    @keys_blp.response(200, ConsistencyOut)
    @keys_blp.alt_response(400, schema=ErrorOut, description="Bad first or second")
    @keys_blp.alt_response(404, schema=ErrorOut, description="Unknown site")
    @keys_blp.alt_response(429, schema=ErrorOut, description="Rate limited")
    @keys_blp.doc(parameters=[
        {"in": "query", "name": "first", "required": True,
         "schema": {"type": "integer", "minimum": 1, "maximum": 2**62}},
        {"in": "query", "name": "second", "required": True,
         "schema": {"type": "integer", "minimum": 1, "maximum": 2**62}}])
    def get(self, site_key):
        """RFC 9162 consistency proof between the trees of the first m and n events."""
        from .merkle import consistency_proof
        from .records import iter_hashes
        from .seals import latest_tree_size

        query = _query(ConsistencyQuery())
        site = _public_site(site_key)
        m, n = query["first"], query["second"]
        top = latest_tree_size(site)
        if m > n or n > top:
            raise ServiceError(400, f"need 1 <= first <= second <= {top} (the latest "
                               "signed tree head)", {"second": [n], "first": [m]},
                               code="bad_request")
        # A proof reads the first n event hashes once; answers are kept per (site, m, n)
        # and the hash of event n, so repeated monitor polls do not re-read the chain.
        last = next(iter_hashes(site.id, n, n), (None, None))[1]
        cache = current_app.extensions.setdefault("proof_consistency", {})
        key = (site.id, m, n, last)
        proof = cache.get(key)
        if proof is None:
            hashes = (h for _seq, h in iter_hashes(site.id, 1, n))
            proof = [p.hex() for p in consistency_proof(m, n, hashes)]
            if len(cache) >= 512:
                try:
                    cache.pop(next(iter(cache)), None)
                except (RuntimeError, StopIteration):  # another thread trimmed it
                    pass
            cache[key] = proof
        return {"first": m, "second": n, "proof": proof}


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
