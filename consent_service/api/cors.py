"""CORS for the public API only, per site: a site's allowed origins and nothing else."""

from __future__ import annotations

from flask import Response, request

ALLOWED_HEADERS = "Content-Type"
MAX_AGE = "86400"


def apply(resp: Response, allowed_origins, methods: str) -> Response:
    origin = request.headers.get("Origin")
    if "Vary" in resp.headers:
        resp.vary.add("Origin")
    else:  # the usual case; setting it directly skips parsing an empty header set
        resp.headers["Vary"] = "Origin"
    if origin and origin in allowed_origins:
        resp.headers["Access-Control-Allow-Origin"] = origin
        resp.headers["Access-Control-Expose-Headers"] = "ETag, Retry-After"
        if request.method == "OPTIONS":
            resp.headers["Access-Control-Allow-Methods"] = methods
            resp.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            resp.headers["Access-Control-Max-Age"] = MAX_AGE
    return resp
