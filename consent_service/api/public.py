"""Public API: what a site's visitors' browsers call (config, consents, receipts)."""

from __future__ import annotations

import json

from flask import current_app, g, request
from flask.views import MethodView
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from .. import ratelimit
from ..errors import RETRY_AFTER_DB, error_response
from ..extensions import client_address
from ..proof.api import TOKEN_BODY_DOC, TOKEN_DOC, receipt_token
from ..schemas.public import (
    ConsentIn,
    ErrorOut,
    HealthOut,
    ReadyOut,
    ReceiptOut,
    ReceiptRecord,
    SiteConfigOut,
)
from ..security import ua_family
from ..services import consents, health
from ..services.errors import NotFound, ServiceError
from ..services.siteconfig import get_config
from . import cors
from .blueprint import Blueprint, load_body

blp = Blueprint("public", __name__, url_prefix="/api/v1",
                description="Consent configuration and consent events")
health_blp = Blueprint("health", __name__, description="Liveness")

JSON_TYPES = ("application/json", "text/plain")  # text/plain: navigator.sendBeacon bodies
CONFIG_MAX_AGE = 60


def api_base() -> str:
    # scheme://host, not request.host_url: that one converts to an IRI on every call, a
    # tenth of a config GET's CPU. ProxyFix has already set both from X-Forwarded-*.
    base = current_app.config.get("PUBLIC_URL") or f"{request.scheme}://{request.host}"
    return f"{base}{request.root_path}/api/v1"


def check_consent_body() -> None:
    """413 and 415 before anything reads the body. text/plain is accepted because
    navigator.sendBeacon sends that; the body is parsed as JSON all the same."""
    request.max_content_length = current_app.config["CONSENT_MAX_BODY"]
    if request.content_length and request.content_length > request.max_content_length:
        raise RequestEntityTooLarge("The body is larger than 16 KiB")
    if request.mimetype not in JSON_TYPES:
        raise UnsupportedMediaType("Send the consent event as application/json")


@blp.after_request
def _cors(resp):
    site_key = (request.view_args or {}).get("site_key")
    if site_key is None:
        return resp
    origins = getattr(g, "site_origins", None)
    if origins is None:
        try:
            origins = get_config(site_key).allowed_origins
        except (ServiceError, SQLAlchemyError):
            origins = ()  # unknown site, or the database is down: no CORS grant
    methods = "POST, OPTIONS" if request.endpoint == "public.Consents" else "GET, OPTIONS"
    return cors.apply(resp, origins, methods)


@blp.route("/sites/<string:site_key>/config")
class SiteConfig(MethodView):
    @blp.response(200, SiteConfigOut)
    @blp.alt_response(304, description="Not modified (ETag matched)")
    @blp.alt_response(404, schema=ErrorOut, description="Unknown site or nothing published")
    def get(self, site_key):
        """The site's current published policy, as the banner needs it."""
        config = get_config(site_key)
        g.site_origins = config.allowed_origins
        if config.payload is None:
            raise NotFound("The site has no published policy yet")
        body, etag = config.render(api_base())
        resp = current_app.response_class(body, mimetype="application/json")
        resp.set_etag(etag)
        resp.headers["Cache-Control"] = f"public, max-age={CONFIG_MAX_AGE}"
        # Only a conditional request can be answered 304; skip werkzeug's checks otherwise.
        if "HTTP_IF_NONE_MATCH" in request.environ:
            return resp.make_conditional(request)
        return resp


def documented_as(*decorators):
    """Give a view the OpenAPI description these flask-smorest decorators would give it,
    without their per-request wrappers (webargs parsing, response dumping, a dozen
    ensure_sync calls): on the consent POST those cost a fifth of the request's CPU."""

    def apply(func):
        stub = func
        for decorator in reversed(decorators):
            stub = decorator(stub)
        func._apidoc = stub._apidoc
        return func

    return apply


CONSENT_IN = ConsentIn()


def warm_up_consents() -> None:
    """Build, before a new worker serves, what its first consent POSTs would otherwise each
    build at once: the URL validator's regex (0.25 s to compile, per thread that gets there
    first) and the user-agent parser (0.2 s). Without this the first POST round after a
    start had a p99 of 2.6-2.8 s."""
    CONSENT_IN.validate({"page_url": "https://example.fi/"})
    ua_family("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")


@blp.route("/sites/<string:site_key>/consents")
class Consents(MethodView):
    @documented_as(
        blp.arguments(CONSENT_IN),
        blp.response(201, ReceiptOut),
        blp.alt_response(200, schema=ReceiptOut, description="Seen before: the same receipt"),
        blp.alt_response(409, schema=ErrorOut,
                         description="event_id seen before with different content"),
        blp.alt_response(404, schema=ErrorOut, description="Unknown site"),
        blp.alt_response(413, schema=ErrorOut, description="Body over 16 KiB"),
        blp.alt_response(415, schema=ErrorOut, description="Not JSON"),
        blp.alt_response(429, schema=ErrorOut, description="Rate limited"),
    )
    def post(self, site_key):
        """Record one consent choice; idempotent on event_id."""
        check_consent_body()
        cfg = current_app.config
        ratelimit.enforce(cfg["RATELIMIT_CONSENTS"], "consents", "ip:" + client_address())
        ratelimit.enforce(cfg["RATELIMIT_SITE"], "consents", "site:" + site_key)
        data = load_body(request.get_data(cache=False), CONSENT_IN)
        site = get_config(site_key)  # cached: id and origins without a query
        g.site_origins = site.allowed_origins
        event, created = consents.record(
            site.site_id, site_key, data, remote_addr=request.remote_addr,
            user_agent=request.headers.get("User-Agent"),
            ip_mode=cfg["IP_MODE"], secret=cfg["SECRET_KEY"],
        )
        body = {
            "receipt_id": event.receipt_id,
            "receipt": consents.sign_receipt(event, site_key, cfg["SECRET_KEY"]),
            "recorded_at": consents.iso(event.recorded_at),
            "seq": event.seq,
        }
        return current_app.response_class(json.dumps(body), status=201 if created else 200,
                                          mimetype="application/json")


def _receipt(receipt_id):
    event, site = consents.get_receipt(receipt_id, receipt_token(),
                                       current_app.config["SECRET_KEY"])
    return consents.receipt_record(event, site)


@blp.route("/receipts/<string(maxlength=40):receipt_id>")
class Receipt(MethodView):
    # The token goes in the X-Receipt-Token header or a POST body, never the URL (logs).
    @blp.response(200, ReceiptRecord)
    @blp.alt_response(400, schema=ErrorOut, description="Token missing or in the URL")
    @blp.alt_response(404, schema=ErrorOut, description="Unknown receipt or bad token")
    @blp.doc(**TOKEN_DOC)
    def get(self, receipt_id):
        """One stored consent event, for whoever holds its signed receipt token."""
        return _receipt(receipt_id)

    @blp.response(200, ReceiptRecord)
    @blp.alt_response(400, schema=ErrorOut, description="Token missing or in the URL")
    @blp.alt_response(404, schema=ErrorOut, description="Unknown receipt or bad token")
    @blp.doc(**TOKEN_BODY_DOC)
    def post(self, receipt_id):
        """The same, with the token in a JSON body {"token": …}."""
        return _receipt(receipt_id)


@health_blp.route("/livez")
class Live(MethodView):
    @health_blp.response(200, HealthOut)
    def get(self):
        """The process answers (no database call): for load balancers and as a baseline."""
        return {"status": "ok", "database": "not checked"}


@health_blp.route("/healthz")
class Health(MethodView):
    @health_blp.response(200, HealthOut)
    @health_blp.alt_response(503, schema=ErrorOut, description="Database unreachable")
    def get(self):
        """The service answers and its database is reachable (one pooled probe per process
        and half second, shared by the requests that arrive meanwhile)."""
        ok, error = health.database_reachable()
        if not ok:
            return error_response(503, "The database is unavailable; retry shortly",
                                  {"database": error}, {"Retry-After": RETRY_AFTER_DB})
        return {"status": "ok", "database": "ok"}


@health_blp.route("/readyz")
class Ready(MethodView):
    @health_blp.response(200, ReadyOut)
    @health_blp.alt_response(503, schema=ErrorOut,
                             description="Not ready: the failing checks are in `errors`")
    def get(self):
        """Ready to serve sites: the banner bundle is built, the database is reachable and
        migrated to this version, and the chain's signing key is present."""
        checks = health.readiness()
        failing = {name: state for name, state in checks.items() if state != "ok"}
        if failing:
            raise ServiceError(503, "Not ready: " + ", ".join(failing), failing)
        return {"status": "ready", "checks": checks}
