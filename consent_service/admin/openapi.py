"""OpenAPI description of the admin's JSON endpoints (session-cookie authenticated), for
clients and for the schemathesis run (scripts/schemathesis.sh). The admin is a plain Flask
blueprint, so this is written by hand; tests/admin/test_admin_openapi.py keeps it in step
with the routes."""

from __future__ import annotations

import json

_ERROR = {"type": "object", "required": ["code", "status", "message", "errors"],
          "properties": {"code": {"type": "integer"}, "status": {"type": "string"},
                         "message": {"type": "string"}, "errors": {"type": "object"}}}
# The admin's forms submit empty fields and stray spaces, and the filters accept both, so
# the parameters are patterns rather than formats and enums.
_DAY = {"type": "string", "pattern": r"^\s*([0-9]{4}-[0-9]{2}-[0-9]{2})?\s*$",
        "example": "2026-01-31"}


def _one_of(*words: str) -> dict:
    return {"type": "string", "pattern": r"^\s*(" + "|".join(words) + r")?\s*$"}



def _errors(*codes: int) -> dict:
    text = {400: "Bad parameter", 401: "Not logged in", 404: "No such site (or no role on it)",
            422: "A filter did not validate"}
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {str(c): {"description": text[c], "content": body} for c in codes}


_SITE_KEY = {"name": "site_key", "in": "path", "required": True,
             "schema": {"type": "string", "maxLength": 64}}
_RANGE = [{"name": "from", "in": "query", "schema": _DAY},
          {"name": "to", "in": "query", "schema": _DAY}]
_EVENT = {"type": "object", "required": ["receipt_id", "event_id", "seq", "recorded_at",
                                         "policy_version", "action", "choices"],
          "properties": {"receipt_id": {"type": "string"}, "event_id": {"type": "string"},
                         "seq": {"type": "integer"}, "recorded_at": {"type": "string"},
                         "policy_version": {"type": "integer"}, "action": {"type": "string"},
                         "choices": {"type": "object",
                                     "additionalProperties": {"type": "boolean"}},
                         "language": {"type": "string"}, "gpc": {"type": "boolean"},
                         "event_hash": {"type": "string"}}}
_STATS = {"type": "object", "required": ["site_key", "from", "to", "days", "totals"],
          "properties": {"site_key": {"type": "string"}, "from": {"type": "string"},
                         "to": {"type": "string"}, "days": {"type": "array"},
                         "totals": {"type": "object"}}}


def _stats_op(summary: str) -> dict:
    return {"get": {"summary": summary, "parameters": [_SITE_KEY, *_RANGE],
                    "responses": {"200": {"description": "Per-day counts and opt-in rates",
                                          "content": {"application/json": {"schema": _STATS}}},
                                  **_errors(401, 404, 422)}}}


SPEC: dict = {
    "openapi": "3.0.3",
    "info": {"title": "consent-service admin JSON API", "version": "v1",
             "description": "Authenticated by the admin session cookie (log in at "
                            "/admin/login). Viewer role on the site or more."},
    # The session cookie is not declared as a security scheme: it comes from the login form
    # (with CSRF), not from a client that could send it or leave it out per request.
    "components": {"schemas": {"Error": _ERROR}},
    "paths": {
        "/admin/api/sites/{site_key}/consents": {"get": {
            "summary": "Consent log search, newest first, 50 per page (keyset cursor)",
            "parameters": [
                _SITE_KEY, *_RANGE,
                {"name": "version", "in": "query", "description": "1 to 2147483647",
                 "schema": {"type": "string", "pattern": r"^\s*([0-9]{1,10})?\s*$"}},
                {"name": "action", "in": "query",
                 "schema": _one_of("accept_all", "reject_all", "custom", "withdraw")},
                {"name": "category", "in": "query",
                 "schema": _one_of("necessary", "preferences", "analytics", "marketing")},
                {"name": "decision", "in": "query", "description": "with category",
                 "schema": _one_of("[Tt][Rr][Uu][Ee]", "[Ff][Aa][Ll][Ss][Ee]", "1", "0")},
                {"name": "receipt", "in": "query",
                 "schema": {"type": "string", "pattern": r"^\s*([A-Za-z0-9_-]{1,64})?\s*$"}},
                {"name": "cursor", "in": "query", "schema": {"type": "string", "maxLength": 200}},
            ],
            "responses": {
                "200": {"description": "One page", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["items", "next_cursor"],
                    "properties": {"items": {"type": "array", "items": _EVENT},
                                   "next_cursor": {"type": "string", "nullable": True}}}}}},
                **_errors(401, 404, 422)}}},
        "/admin/api/sites/{site_key}/stats": _stats_op("Statistics over a day range (UTC)"),
        "/admin/sites/{site_key}/stats.json": _stats_op("The same statistics (the stats "
                                                        "page's JSON link)"),
    },
}


def write(path: str) -> None:
    with open(path, "w") as fh:
        json.dump(SPEC, fh, indent=1)
