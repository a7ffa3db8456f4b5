"""Server-rendered admin dashboard at /admin (issue 6).

One blueprint; views are split per area. Every request is authenticated by
`common.load_user` and every site page goes through `common.site_or_404`.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import account, audit, auth, common, log, notices, policies, sites, stats  # noqa: E402,F401


def init_app(app) -> None:
    """Register the blueprint (called once from create_app)."""
    app.register_blueprint(bp)
