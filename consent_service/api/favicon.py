"""GET /favicon.ico: browsers ask every origin for it; a 404 filled the access log."""

from __future__ import annotations

from flask import Blueprint, current_app

bp = Blueprint("favicon", __name__)


@bp.get("/favicon.ico")
def favicon():
    # An SVG at the .ico address: every current browser takes the content type over the name.
    resp = current_app.send_static_file("favicon.svg")
    resp.headers["Cache-Control"] = "public, max-age=86400"
    resp.mimetype = "image/svg+xml"
    return resp
