"""GET /loader/<site_key>.js: the banner bundle with the site's config inlined."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Blueprint, current_app, request

from ..security import sha256_hex
from ..services.errors import NotFound, ServiceError
from ..services.siteconfig import get_config
from .public import api_base

bp = Blueprint("loader", __name__)
LOADER_MAX_AGE = 300

_bundle: dict[str, tuple[float, bytes, str]] = {}
_lock = threading.Lock()


def bundle_path() -> Path:
    return Path(current_app.config["LOADER_BUNDLE"])


def read_bundle() -> tuple[bytes, str]:
    """The built bundle and its hash, re-read only when the file changes."""
    path = bundle_path()
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        raise ServiceError(503, "The banner bundle is not built; run the build step "
                                "(npm ci && npm run build in banner_js/)") from None
    hit = _bundle.get(str(path))
    if hit is None or hit[0] != mtime:
        with _lock:
            data = path.read_bytes()
            hit = (mtime, data, sha256_hex(data))
            _bundle[str(path)] = hit
    return hit[1], hit[2]


@bp.get("/loader/<string:site_key>.js")
def loader(site_key: str):
    config = get_config(site_key)
    if config.payload is None:
        raise NotFound("The site has no published policy yet")
    body, config_etag = config.render(api_base())
    bundle, bundle_hash = read_bundle()
    etag = sha256_hex(f"{config_etag}:{bundle_hash}")[:40]
    if etag in request.if_none_match:
        resp = current_app.response_class(status=304)
        resp.set_etag(etag)
        return resp
    script = (
        f"/* consent-service loader {config.payload['policy_version']} {etag} */\n".encode()
        + b"window.__consentServiceConfig=" + body.replace(b"</", b"<\\/") + b";\n" + bundle
    )
    resp = current_app.response_class(script, mimetype="application/javascript")
    resp.set_etag(etag)
    resp.cache_control.public = True
    resp.cache_control.max_age = LOADER_MAX_AGE
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
