"""GET /loader/<site_key>.js: the banner bundle with the site's config inlined."""

from __future__ import annotations

import gzip
import threading
import time
from pathlib import Path

from flask import Blueprint, current_app, request

from ..security import sha256_hex
from ..services.errors import NotFound, ServiceError
from ..services.siteconfig import get_config
from .public import api_base

bp = Blueprint("loader", __name__)
LOADER_MAX_AGE = 300
BUNDLE_RECHECK = 2.0  # seconds between stat() calls of the bundle file

_bundle: dict[str, tuple[float, float, bytes, str]] = {}  # path: (checked, mtime, data, hash)
# (config etag, bundle hash) -> (etag, script, gzipped script)
_scripts: dict[tuple[str, str], tuple[str, bytes, bytes]] = {}
_lock = threading.Lock()


def read_bundle() -> tuple[bytes, str]:
    """The built bundle and its hash, re-read only when the file changes."""
    path = str(current_app.config["LOADER_BUNDLE"])
    now = time.monotonic()
    hit = _bundle.get(path)
    if hit is not None and now - hit[0] < BUNDLE_RECHECK:
        return hit[2], hit[3]
    try:
        mtime = Path(path).stat().st_mtime
    except FileNotFoundError:
        raise ServiceError(503, "The banner bundle is not built; run the build step "
                                "(npm ci && npm run build in banner_js/)") from None
    with _lock:
        if hit is None or hit[1] != mtime:
            data = Path(path).read_bytes()
            hit = (now, mtime, data, sha256_hex(data))
        else:
            hit = (now, *hit[1:])
        _bundle[path] = hit
    return hit[2], hit[3]


def build_script(policy_version: int, config_body: bytes, config_etag: str,
                 bundle: bytes, bundle_hash: str) -> tuple[str, bytes, bytes]:
    key = (config_etag, bundle_hash)
    hit = _scripts.get(key)
    if hit is None:
        etag = sha256_hex(f"{config_etag}:{bundle_hash}")[:40]
        script = (
            f"/* consent-service loader {policy_version} {etag} */\n".encode()
            + b"window.__consentServiceConfig=" + config_body.replace(b"</", b"<\\/")
            + b";\n" + bundle
        )
        hit = (etag, script, gzip.compress(script, compresslevel=9, mtime=0))
        with _lock:
            if len(_scripts) > 1000:  # old policy versions and bundles fall out
                _scripts.clear()
            _scripts[key] = hit
    return hit


@bp.get("/loader/<string:site_key>.js")
def loader(site_key: str):
    config = get_config(site_key)
    if config.payload is None:
        raise NotFound("The site has no published policy yet")
    body, config_etag = config.render(api_base())
    bundle, bundle_hash = read_bundle()
    etag, script, zipped = build_script(config.payload["policy_version"], body, config_etag,
                                        bundle, bundle_hash)
    # Compressed once per version; most visitors get a third of the bytes.
    use_gzip = "gzip" in request.accept_encodings
    if use_gzip:
        etag, script = etag + "-gz", zipped
    if etag in request.if_none_match:
        resp = current_app.response_class(status=304)
    else:
        resp = current_app.response_class(script, mimetype="application/javascript")
        resp.headers["X-Content-Type-Options"] = "nosniff"
        if use_gzip:
            resp.headers["Content-Encoding"] = "gzip"
    resp.headers["Vary"] = "Accept-Encoding"
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = f"public, max-age={LOADER_MAX_AGE}"
    return resp
