"""One error shape for every JSON endpoint: {code, status, message, errors}."""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from .services.errors import ServiceError

log = logging.getLogger(__name__)
RETRY_AFTER_DB = "5"


def error_response(status: int, message: str | None = None, errors: dict | None = None,
                   headers: dict | None = None):
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body = {"code": status, "status": phrase, "message": message or phrase,
            "errors": errors or {}}
    if _wants_html():
        resp = render_template("error.html", error=body), status
        resp = (resp[0], status, headers or {})
        return resp
    resp = jsonify(body)
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _wants_html() -> bool:
    path = request.path
    return (path.startswith("/admin") and not path.startswith("/admin/api")
            and not path.endswith(".json"))


def _http_error(exc: HTTPException):
    data = getattr(exc, "data", None) or {}
    errors = data.get("errors") or data.get("messages") or {}
    message = data.get("message") or exc.description or None
    if exc.code == 422 and not data.get("message"):
        message = "The request did not validate"
    headers = {}
    if exc.code == 405 and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    if exc.code == 429:
        message = f"Too many requests: limit {exc.description}"
        headers["Retry-After"] = str(_retry_after(exc))
    resp = error_response(exc.code or 500, message, errors if isinstance(errors, dict)
                          else {"body": errors}, headers)
    return resp


def _retry_after(exc) -> int:
    """Seconds until the exceeded rate-limit window resets (at least 1)."""
    import time

    from .extensions import limiter

    if isinstance(getattr(exc, "retry_after", None), int):  # ratelimit.enforce knows it
        return exc.retry_after
    current = getattr(limiter, "current_limit", None)
    if current is not None:
        return max(1, int(current.reset_at - time.time()))
    return 60


def _service_error(exc: ServiceError):
    return error_response(exc.status, exc.message, exc.errors)


def _database_down(exc: Exception):
    log.warning("database unavailable: %s", exc)
    from .extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the session may be unusable; we only answer 503
        pass
    return error_response(503, "The database is unavailable; retry shortly", {},
                          {"Retry-After": RETRY_AFTER_DB})


def _unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    log.exception("unhandled error")
    return error_response(500, "Internal error; it has been logged")


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(OperationalError, _database_down)
    app.register_error_handler(InterfaceError, _database_down)

    def _dbapi(exc: DBAPIError):
        if exc.connection_invalidated:
            return _database_down(exc)
        return _unexpected(exc)

    app.register_error_handler(DBAPIError, _dbapi)
    app.register_error_handler(Exception, _unexpected)
